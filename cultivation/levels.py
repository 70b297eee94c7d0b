"""Cultivation-pool level engine B / C / D (DOMAIN §7; Art. 4, 5, 10, 11, 12).

Pure: no Django, no ORM, no I/O. D_k and L use the §6 formulas of ``factories.scoring`` (the same
percentile counting, dimension means and weighted mean); only the percentile denominator differs: a
pool member is not one of its benchmark, so ``p = 100·(W + T/2)/n`` over the n benchmark green factories
for which the indicator is applicable. Indicator values are ``Decimal``; p, D_k and L are exact
``Fraction`` values like §6.7 (so an exact 50 is 50 and meets a floor of 50, and 50 − 10⁻¹⁰ does not),
and the thresholds are read as the decimals they print as. ``LevelResult`` holds their rendering
(``factories.scoring.render``): scores and gaps rounded to ``SCORE_DIGITS`` decimals, p the nearest float.

Interpretations where §7 is silent (all covered by tests):

- "Applicable" for the member is its own indicator status: not applicable → no p (left out of D_k);
  not reported (or missing from its mapping) → p = 0, whatever the benchmark.
- A reported indicator for which no benchmark green factory has the indicator applicable (n = 0) gets no
  p (a rank against nobody is no measurement) and is left out of D_k, with reason
  ``INDICATOR_NO_BENCHMARK``.
- Benchmark group: the green factories with verified data in the member's division; when there are fewer
  than ``min_benchmark`` (5) of them, all green factories with verified data (``"ALL"``).
- A condition that cannot be evaluated does not hold: a member without district-approved data for Y
  (``NO_DATA``), or with data but no green factory to compare with (``NO_BENCHMARK``), or with no scorable
  indicator (``NO_SCORE``) has no L, so it is level D even when supervised, guided and with a plan.
- "Every D_k ≥ b_dimension_min" is over the dimensions the member has (a dimension without an
  applicable indicator does not block), as in §6.
- The engine's ``B`` means *B-eligible*; the B title itself needs the district's certification.
- D_k and L weights and the indicator specs default to those of the city grading standard CQ-GF-2024.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from typing import Any

from factories.indicators import IndicatorValue
from factories.scoring import (
    DEFAULT_INDICATORS,
    DEFAULT_WEIGHTS,
    PEER_GROUP_ALL,
    ZERO,
    IndicatorSpec,
    PeerColumn,
    Reason,
    build_column,
    dimension_layout,
    dimension_means,
    exact,
    is_applicable,
    render,
    render_ratio,
    reported_value,
    spec_from_dict,
    spec_to_dict,
    weighted_mean,
)


class PoolLevel(StrEnum):
    B_ELIGIBLE = "B"
    C = "C"
    D = "D"


@dataclass(frozen=True)
class PoolStandard:
    """A district's versioned B/C/D standard, created from the city template CQ-CULT-2024 (Art. 5)."""

    code: str
    version: int
    b_dimension_min: float = 50.0
    b_level_min: float = 50.0
    c_level_min: float = 0.0
    min_benchmark: int = 5
    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    indicators: tuple[IndicatorSpec, ...] = DEFAULT_INDICATORS

    def __post_init__(self) -> None:
        problems = []
        if self.min_benchmark < 1:
            problems.append("min_benchmark must be at least 1")
        problems += [
            f"{spec.code}: dimension {spec.dimension!r} needs a positive weight"
            for spec in self.indicators
            if self.weights.get(spec.dimension, 0) <= 0
        ]
        if problems:
            raise ValueError(f"invalid pool standard {self.code} v{self.version}: " + "; ".join(problems))


DEFAULT_POOL_STANDARD = PoolStandard(code="CQ-CULT-2024", version=1)


@dataclass(frozen=True)
class PoolMemberInput:
    """A pool enterprise for year Y; ``indicators`` from district-approved data, None when there is none."""

    enterprise_id: int
    division: str
    indicators: Mapping[str, IndicatorValue] | None
    supervised: bool
    guided: bool
    has_plan: bool


@dataclass(frozen=True)
class BenchmarkFactory:
    """An active green factory with its verified indicators for Y (None = no verified data: ignored)."""

    enterprise_id: int
    division: str
    indicators: Mapping[str, IndicatorValue] | None


@dataclass(frozen=True)
class LevelResult:
    """A pool member's level for one year, its scores and the checklist of what stands between it and B.

    ``dimension_gaps`` holds, per dimension the member has, ``max(0, b_dimension_min − D_k)``;
    ``level_gap`` is ``max(0, b_level_min − L)`` (None without L). Every number is the rendering of the
    exact value the level was decided on.
    """

    enterprise_id: int
    year: int
    standard_code: str
    standard_version: int
    benchmark_group: str | None
    benchmark_count: int
    percentiles: Mapping[str, float | None]
    dimension_scores: Mapping[str, float]
    level_score: float | None
    level: PoolLevel
    reasons: tuple[Reason, ...]
    dimension_gaps: Mapping[str, float]
    level_gap: float | None


def benchmark_percentile(column: PeerColumn, reading: IndicatorValue | None) -> Fraction | None:
    """§7 percentile of a pool member against benchmark green factories: ``100·(W + T/2)/n``.

    None when the member's indicator is not applicable or no benchmark factory has it applicable.
    """
    if not is_applicable(reading):
        return None
    value = reported_value(reading)
    if value is None:
        return ZERO
    if column.n == 0:
        return None
    worse, ties = column.counts(value)
    return Fraction(100 * (2 * worse + ties), 2 * column.n)


def classify_level(
    *,
    supervised: bool,
    guided: bool,
    has_plan: bool,
    dimension_scores: Mapping[str, Fraction],
    level_score: Fraction | None,
    standard: PoolStandard,
) -> tuple[PoolLevel, list[Reason]]:
    """The highest level whose conditions hold, with each failed condition of the levels above it.

    Without L (no data, no benchmark, nothing scorable) neither B nor C can be shown to hold: level D.
    """
    shared: list[Reason] = []
    b_only: list[Reason] = []
    c_only: list[Reason] = []
    if not supervised:
        shared.append(Reason("NOT_SUPERVISED"))
    if not guided:
        shared.append(Reason("NOT_GUIDED"))
    if not has_plan:
        c_only.append(Reason("NO_PLAN"))
    if level_score is not None:
        for dimension, score in dimension_scores.items():
            if score < exact(standard.b_dimension_min):
                b_only.append(
                    _shortfall("DIMENSION_BELOW_B", "D", score, standard.b_dimension_min, dimension)
                )
        if level_score < exact(standard.b_level_min):
            b_only.append(_shortfall("LEVEL_BELOW_B", "L", level_score, standard.b_level_min))
        if level_score < exact(standard.c_level_min):
            c_only.append(_shortfall("LEVEL_BELOW_C", "L", level_score, standard.c_level_min))
    if level_score is not None and not shared and not b_only:
        return PoolLevel.B_ELIGIBLE, []
    if level_score is not None and not shared and not c_only:
        return PoolLevel.C, b_only
    return PoolLevel.D, shared + b_only + c_only


def _shortfall(code: str, name: str, value: Fraction, minimum: float, dimension: str | None = None) -> Reason:
    params: dict[str, Any] = {} if dimension is None else {"dimension": dimension}
    params.update({name: render(value), "min": minimum, "gap": render(exact(minimum) - value)})
    return Reason(code, params)


def compute_levels(
    year: int,
    members: Sequence[PoolMemberInput],
    benchmark: Sequence[BenchmarkFactory],
    standard: PoolStandard,
) -> list[LevelResult]:
    """Levels of a district's pool members for year Y against the city's green factories (§7)."""
    seen: set[int] = set()
    for member in members:
        if member.enterprise_id in seen:
            raise ValueError(f"enterprise {member.enterprise_id} appears twice")
        seen.add(member.enterprise_id)

    with_data = [f for f in benchmark if f.indicators is not None]
    by_division: dict[str, list[BenchmarkFactory]] = defaultdict(list)
    for factory in with_data:
        by_division[factory.division].append(factory)
    columns: dict[str, dict[str, PeerColumn]] = {}

    def columns_of(label: str, factories: Sequence[BenchmarkFactory]) -> dict[str, PeerColumn]:
        if label not in columns:
            columns[label] = {
                spec.code: build_column(
                    (f.indicators.get(spec.code) for f in factories if f.indicators is not None),
                    spec.direction,
                )
                for spec in standard.indicators
            }
        return columns[label]

    layout = dimension_layout(standard.indicators)
    results = []
    for member in sorted(members, key=lambda m: m.enterprise_id):
        reasons: list[Reason] = []
        percentiles: dict[str, Fraction | None] = {}
        group: str | None = None
        group_factories: Sequence[BenchmarkFactory] = ()
        if member.indicators is None:
            reasons.append(Reason("NO_DATA"))
        elif not with_data:
            reasons.append(Reason("NO_BENCHMARK"))
        else:
            division_factories = by_division.get(member.division, [])
            if len(division_factories) >= standard.min_benchmark:
                group, group_factories = member.division, division_factories
            else:
                group, group_factories = PEER_GROUP_ALL, with_data
                reasons.append(
                    Reason(
                        "BENCHMARK_FALLBACK",
                        {
                            "division": member.division,
                            "division_count": len(division_factories),
                            "min_benchmark": standard.min_benchmark,
                            "benchmark_count": len(with_data),
                        },
                    )
                )
            group_columns = columns_of(group, group_factories)
            unbenchmarked = []
            for spec in standard.indicators:
                reading = member.indicators.get(spec.code)
                column = group_columns[spec.code]
                percentiles[spec.code] = benchmark_percentile(column, reading)
                if column.n == 0 and reported_value(reading) is not None:
                    unbenchmarked.append(spec.code)
            if unbenchmarked:
                reasons.append(Reason("INDICATOR_NO_BENCHMARK", {"indicators": unbenchmarked}))
        dimension_scores = dimension_means(percentiles, layout)
        level_score = weighted_mean(dimension_scores, standard.weights)
        if level_score is None and group is not None:
            reasons.append(Reason("NO_SCORE"))
        level, failures = classify_level(
            supervised=member.supervised,
            guided=member.guided,
            has_plan=member.has_plan,
            dimension_scores=dimension_scores,
            level_score=level_score,
            standard=standard,
        )
        results.append(
            LevelResult(
                enterprise_id=member.enterprise_id,
                year=year,
                standard_code=standard.code,
                standard_version=standard.version,
                benchmark_group=group,
                benchmark_count=len(group_factories),
                percentiles={code: render_ratio(p) for code, p in percentiles.items()},
                dimension_scores={dim: render(d) for dim, d in dimension_scores.items()},
                level_score=None if level_score is None else render(level_score),
                level=level,
                reasons=(*reasons, Reason("LEVEL", {"level": str(level)}), *failures),
                dimension_gaps={
                    dim: render(max(ZERO, exact(standard.b_dimension_min) - d))
                    for dim, d in dimension_scores.items()
                },
                level_gap=None
                if level_score is None
                else render(max(ZERO, exact(standard.b_level_min) - level_score)),
            )
        )
    return results


def pool_standard_to_dict(standard: PoolStandard) -> dict[str, Any]:
    """JSON-safe parameters of a pool standard; ``pool_standard_from_dict`` reads them back unchanged."""
    return {
        "code": standard.code,
        "version": standard.version,
        "b_dimension_min": standard.b_dimension_min,
        "b_level_min": standard.b_level_min,
        "c_level_min": standard.c_level_min,
        "min_benchmark": standard.min_benchmark,
        "weights": dict(standard.weights),
        "indicators": [spec_to_dict(s) for s in standard.indicators],
    }


def pool_standard_from_dict(data: Mapping[str, Any]) -> PoolStandard:
    """Build a pool standard from stored JSON; absent thresholds take the CQ-CULT-2024 template values."""
    try:
        template = DEFAULT_POOL_STANDARD
        return PoolStandard(
            code=str(data["code"]),
            version=int(data["version"]),
            b_dimension_min=float(data.get("b_dimension_min", template.b_dimension_min)),
            b_level_min=float(data.get("b_level_min", template.b_level_min)),
            c_level_min=float(data.get("c_level_min", template.c_level_min)),
            min_benchmark=int(data.get("min_benchmark", template.min_benchmark)),
            weights={str(k): float(v) for k, v in data.get("weights", template.weights).items()},
            indicators=tuple(spec_from_dict(s) for s in data["indicators"])
            if "indicators" in data
            else template.indicators,
        )
    except KeyError as missing:
        raise ValueError(f"pool standard parameters lack {missing}") from None
    except (TypeError, AttributeError) as wrong:
        raise ValueError(f"pool standard parameters are malformed: {wrong}") from None


def level_result_to_dict(result: LevelResult) -> dict[str, Any]:
    """JSON-safe form of a level result, for storage with the district's yearly levels."""
    return {
        "enterprise_id": result.enterprise_id,
        "year": result.year,
        "standard": {"code": result.standard_code, "version": result.standard_version},
        "benchmark_group": result.benchmark_group,
        "benchmark_count": result.benchmark_count,
        "percentiles": dict(result.percentiles),
        "dimension_scores": dict(result.dimension_scores),
        "level_score": result.level_score,
        "level": str(result.level),
        "reasons": [r.to_dict() for r in result.reasons],
        "dimension_gaps": dict(result.dimension_gaps),
        "level_gap": result.level_gap,
    }
