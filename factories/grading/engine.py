"""Green-factory grading engine AAAA / AAA / AA / A (DOMAIN §6; Art. 3, 6, 7, 8, 9).

Pure: no Django, no ORM, no I/O. Inputs and outputs are frozen dataclasses; the standard and the results
convert to JSON-safe dicts so a grading run can store them and reproduce them.

Numbers. Indicator values come in as ``Decimal`` (rounded to 6 dp by ``factories.indicators``) and are
compared as ``Decimal``, so ties are exact. Everything derived from them — percentiles p, D_k, L,
improvement rates r, G_k, S, C, q — is ``float``. To stop binary rounding noise (``49.99999999999999``
for an exact 50, or two equal C values differing in the last bit) from deciding a threshold or a tie,
every score that is compared or shown (D_k, L, S, C, gaps) is rounded to ``SCORE_DIGITS`` = 9 decimal
places, far below the 2-dp display precision. p and r are single correctly-rounded divisions and G_k, G
stay unrounded (G is multiplied by 500, which would magnify a rounding). Comparisons use these values,
never the 2-dp display values.

The engine does not read the catalogue object: it takes ``IndicatorSpec`` (code, dimension, direction,
is_percent) in the standard; ``specs_from_catalogue`` builds them from a ``factories.indicators`` catalogue.

Interpretations where §6 is silent (all covered by tests):

- A code in the standard's indicator specs that is missing from a factory's mapping counts as *not
  reported*; a reading with status ``ok`` but no value likewise.
- §6.3: a peer that did not report an applicable indicator is one of the n applicable peers, counts as
  worse than every reporter (so it adds to their W) and gets p = 0 itself — also when n = 1 (a lone
  non-reporter is not "50").
- Peer-group fallback: the members of a division with fewer than ``min_peer`` factories with data are
  compared with *every* factory with data (group ``"ALL"``), both for percentiles and for q; the C values
  ranked in ``"ALL"`` are each factory's own C (computed in its own peer group).
- Improvement (§6.6): the "skip when x_{Y−1} = 0" clause applies to every indicator, % ones included
  (it is written for the whole list, like the clip). The % formula is the gap-closing one for ↑ %
  indicators; x_{Y−1} ≥ 100 uses ``(x_Y − x_{Y−1}) / 100`` (= ``(x_Y − 100) / 100`` at 100). A ↓ %
  indicator (none in GB/T 36132-2018) would use the ↓ formula. Y−1 data with no comparable indicator
  gives no S, like no Y−1 data (C = L).
- A factory with data for Y but no applicable indicator at all has no L and no C: it is not ranked, does
  not count as "higher" for anyone, and its computed grade is the lowest band (reason ``NO_SCORE``).
- AAAA's "every D_k ≥ 50" is over the dimensions the factory has (a dimension left out does not block).
- Overrides run in the order of §6.9 on a running grade:
  1. *first year* (tier ``city`` and ``recognized_year == Y``; a national-tier factory is evaluated)
     sets the lowest band;
  2. *no verified data for Y* flags ``no_data``; the grade becomes the previous grade one band down, or
     the lowest band when there is no previous grade (a factory new to the platform); a first-year
     factory keeps the A of rule 1 (``NO_DATA_FIRST_YEAR``); if last year was flagged too, revocation
     is proposed (``previous_no_data``: the caller passes last year's ``no_data`` flag);
  3. *incidents in Y* act on the grade as it stands after 1–2: an incident's effect is looked up by kind
     first (falsification → revoke, whatever the severity), then by severity; "one band down" and "cap
     at the lowest band" commute, so incident order does not change the grade. So a first-year factory
     with a 一般 accident stays A.
- A proposed revocation does not erase the grade: ``grade`` is what stands if the city does not confirm
  the revocation, and ``revocation_proposed`` is set.
- ``next_band`` refers to the band above the *computed* grade (the overrides are shown separately on the
  explanation card); ``None`` for a factory without C.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Context, Decimal, localcontext
from enum import StrEnum
from itertools import chain
from typing import Any

from factories.indicators import GBT36132_2018, Catalogue, Direction, IndicatorValue, Status

SCORE_DIGITS = 9
PEER_GROUP_ALL = "ALL"
FLAG_NO_DATA = "no_data"

TIERS = ("city", "national")
INCIDENT_KINDS = ("environmental", "safety", "quality", "falsification")
INCIDENT_SEVERITIES = ("general", "large", "major", "especially_major")

_DECIMAL = Context(prec=28)
_HUNDRED = Decimal(100)


class IncidentEffect(StrEnum):
    REVOKE = "revoke"
    CAP_AT_LOWEST = "cap_at_lowest"
    ONE_BAND_DOWN = "one_band_down"


@dataclass(frozen=True, slots=True)
class IndicatorSpec:
    """The little the engine needs of a catalogue indicator; the caller builds these from the catalogue."""

    code: str
    dimension: str
    direction: Direction
    is_percent: bool


@dataclass(frozen=True, slots=True)
class Band:
    """One grade and its conditions; ``None`` means "no such condition" (the lowest band has none)."""

    grade: str
    q_below: float | None = None
    c_min: float | None = None
    dimension_min: float | None = None


@dataclass(frozen=True)
class GradingStandard:
    """A versioned city grading standard (§6); stored as JSON with its run."""

    code: str
    version: int
    catalogue_version: str
    weights: Mapping[str, float]
    alpha: float
    improvement_clip: float
    improvement_base: float
    improvement_multiplier: float
    bands: tuple[Band, ...]
    min_peer: int
    kind_effects: Mapping[str, IncidentEffect]
    severity_effects: Mapping[str, IncidentEffect]
    indicators: tuple[IndicatorSpec, ...]

    def __post_init__(self) -> None:
        problems = []
        if not self.bands:
            problems.append("at least one band is needed")
        else:
            last = self.bands[-1]
            if (last.q_below, last.c_min, last.dimension_min) != (None, None, None):
                problems.append("the lowest band must have no condition")
            if len({b.grade for b in self.bands}) != len(self.bands):
                problems.append("band grades must be distinct")
            if any(b.q_below is not None and not 0 < b.q_below <= 1 for b in self.bands):
                problems.append("q_below must lie in (0, 1]")
        if not 0 <= self.alpha <= 1:
            problems.append("alpha must lie in [0, 1]")
        if self.min_peer < 1:
            problems.append("min_peer must be at least 1")
        for spec in self.indicators:
            if self.weights.get(spec.dimension, 0) <= 0:
                problems.append(f"{spec.code}: dimension {spec.dimension!r} needs a positive weight")
        if len({s.code for s in self.indicators}) != len(self.indicators):
            problems.append("indicator codes must be distinct")
        if set(self.severity_effects) != set(INCIDENT_SEVERITIES):
            problems.append(f"severity_effects must cover {', '.join(INCIDENT_SEVERITIES)}")
        if not set(self.kind_effects) <= set(INCIDENT_KINDS):
            problems.append(f"kind_effects keys must be among {', '.join(INCIDENT_KINDS)}")
        if problems:
            raise ValueError(f"invalid grading standard {self.code} v{self.version}: " + "; ".join(problems))

    @property
    def grades(self) -> tuple[str, ...]:
        return tuple(b.grade for b in self.bands)

    @property
    def lowest_grade(self) -> str:
        return self.bands[-1].grade

    def one_band_down(self, grade: str) -> str:
        grades = self.grades
        return grades[min(grades.index(grade) + 1, len(grades) - 1)]

    def incident_effect(self, incident: IncidentInput) -> IncidentEffect:
        return self.kind_effects.get(incident.kind) or self.severity_effects[incident.severity]


def specs_from_catalogue(catalogue: Catalogue) -> tuple[IndicatorSpec, ...]:
    return tuple(IndicatorSpec(i.code, i.dimension, i.direction, i.is_percent) for i in catalogue.indicators)


DEFAULT_STANDARD = GradingStandard(
    code="CQ-GF-2024",
    version=1,
    catalogue_version=GBT36132_2018.version,
    weights={"energy": 30.0, "waste": 30.0, "clean": 20.0, "land": 10.0, "materials": 10.0},
    alpha=0.7,
    improvement_clip=0.5,
    improvement_base=50.0,
    improvement_multiplier=500.0,
    bands=(
        Band("AAAA", q_below=0.10, c_min=80.0, dimension_min=50.0),
        Band("AAA", q_below=0.30, c_min=70.0),
        Band("AA", q_below=0.60, c_min=55.0),
        Band("A"),
    ),
    min_peer=5,
    kind_effects={"falsification": IncidentEffect.REVOKE},
    severity_effects={
        "general": IncidentEffect.ONE_BAND_DOWN,
        "large": IncidentEffect.CAP_AT_LOWEST,
        "major": IncidentEffect.REVOKE,
        "especially_major": IncidentEffect.REVOKE,
    },
    indicators=specs_from_catalogue(GBT36132_2018),
)


@dataclass(frozen=True, slots=True)
class IncidentInput:
    """An accident or falsification recorded by the city for year Y (Art. 9)."""

    kind: str
    severity: str
    id: int | None = None


@dataclass(frozen=True, slots=True)
class FactoryInput:
    """One member of the population (active on 31 Dec of Y); ``indicators`` None = no verified data."""

    enterprise_id: int
    division: str
    tier: str
    recognized_year: int
    indicators: Mapping[str, IndicatorValue] | None
    previous_indicators: Mapping[str, IndicatorValue] | None = None
    previous_grade: str | None = None
    previous_no_data: bool = False
    incidents: tuple[IncidentInput, ...] = ()


@dataclass(frozen=True, slots=True)
class Reason:
    """One rule that shaped a result, with the numbers the explanation card shows."""

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, **self.params}


@dataclass(frozen=True, slots=True)
class NextBand:
    """The smallest rise in C reaching the band above the computed grade, others held fixed.

    ``blocked_by`` is ``"TOP_BAND"`` (already the highest band) or ``"DIMENSION_MIN"`` (a dimension is
    below the band's floor, which no rise in C fixes; see ``blocking_dimensions``); C figures are then None.
    """

    grade: str | None
    c_needed: float | None
    c_gap: float | None
    blocked_by: str | None = None
    blocking_dimensions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FactoryResult:
    """Every intermediate number of one factory's grading for one year, and the rules applied.

    ``reasons`` in order of application; codes: ``PEER_FALLBACK``, ``NO_SCORE``, ``NO_IMPROVEMENT_SCORE``,
    ``BAND``, ``FLOOR_BLOCK``, ``AAAA_DIMENSION_BLOCK``, ``FIRST_YEAR``, ``NO_DATA_DOWNGRADE``,
    ``NO_DATA_NO_PREVIOUS_GRADE``, ``NO_DATA_FIRST_YEAR``, ``NO_DATA_SECOND_YEAR_REVOKE``,
    ``INCIDENT_GENERAL_DOWN``, ``INCIDENT_LARGE_CAP``, ``INCIDENT_REVOKE``. ``decided_by`` is the code of
    the last rule that set ``grade``. ``percentiles`` has every indicator code (None = not applicable).
    """

    enterprise_id: int
    year: int
    standard_code: str
    standard_version: int
    peer_group: str | None
    peer_count: int
    percentiles: Mapping[str, float | None]
    dimension_scores: Mapping[str, float]
    level_score: float | None
    improvement_rates: Mapping[str, float]
    dimension_improvement: Mapping[str, float]
    improvement_score: float | None
    composite: float | None
    q: float | None
    computed_grade: str | None
    grade: str
    decided_by: str
    revocation_proposed: bool
    flags: tuple[str, ...]
    reasons: tuple[Reason, ...]
    next_band: NextBand | None


# --- percentiles, shared with cultivation.levels ------------------------------------------------------


def _worse_and_ties(lo: int, hi: int, total: int, direction: Direction) -> tuple[int, int]:
    """(W, T) of a value occupying ``[lo, hi)`` of an ascending list of ``total`` values."""
    return (lo if direction == Direction.UP else total - hi), hi - lo


def percentile_counts(sorted_values: Sequence[Decimal], x: Decimal, direction: Direction) -> tuple[int, int]:
    """(W, T): how many of ``sorted_values`` (ascending) are strictly worse than ``x``, and equal to it.

    "Worse" follows the direction: smaller for ↑, larger for ↓. ``x`` itself is counted in T if present.
    """
    lo = bisect.bisect_left(sorted_values, x)
    hi = bisect.bisect_right(sorted_values, x, lo)
    return _worse_and_ties(lo, hi, len(sorted_values), direction)


def reported_value(reading: IndicatorValue | None) -> Decimal | None:
    """The value of an applicable, reported reading; None when not reported (or missing)."""
    if reading is None or reading.status != Status.OK:
        return None
    return reading.value


def is_applicable(reading: IndicatorValue | None) -> bool:
    return reading is None or reading.status != Status.NOT_APPLICABLE


@dataclass(frozen=True, slots=True)
class PeerColumn:
    """One indicator across a group: the reporters' values ascending and the number of non-reporters.

    Peers for which the indicator is not applicable are not in the column; ``n`` counts the others.
    """

    direction: Direction
    values: Sequence[Decimal]
    non_reporters: int

    @property
    def n(self) -> int:
        return len(self.values) + self.non_reporters

    def counts(self, x: Decimal) -> tuple[int, int]:
        """(W, T) of value ``x`` in the column; non-reporters are worse than any reported value."""
        worse, ties = percentile_counts(self.values, x, self.direction)
        return worse + self.non_reporters, ties


def build_column(readings: Iterable[IndicatorValue | None], direction: Direction) -> PeerColumn:
    values: list[Decimal] = []
    non_reporters = 0
    for reading in readings:
        if not is_applicable(reading):
            continue
        value = reported_value(reading)
        if value is None:
            non_reporters += 1
        else:
            values.append(value)
    values.sort()
    return PeerColumn(direction, values, non_reporters)


def merge_columns(columns: Sequence[PeerColumn]) -> PeerColumn:
    """The column of the union of disjoint groups (sorting concatenated sorted runs is a merge)."""
    values = sorted(chain.from_iterable(c.values for c in columns))
    return PeerColumn(columns[0].direction, values, sum(c.non_reporters for c in columns))


def _peer_p(worse: int, ties: int, n: int) -> float:
    """§6.3 for a reporter; ``worse`` includes the non-reporters, ``ties`` includes the factory itself."""
    if n == 1:
        return 50.0
    return 100.0 * (worse + 0.5 * (ties - 1)) / (n - 1)


def peer_percentile(column: PeerColumn, reading: IndicatorValue | None) -> float | None:
    """§6.3 percentile of a member of ``column``: ``100·(W + T/2)/(n − 1)``; None when not applicable."""
    if not is_applicable(reading):
        return None
    value = reported_value(reading)
    if value is None:
        return 0.0
    worse, ties = column.counts(value)
    return _peer_p(worse, ties, column.n)


def group_percentiles(
    readings: Sequence[IndicatorValue | None], direction: Direction
) -> tuple[list[float | None], PeerColumn]:
    """§6.3 percentiles of every member of a group for one indicator (input order), and the column.

    Same numbers as ``peer_percentile`` for each member, in one sort and one scan of the group.
    """
    percentiles: list[float | None] = [None] * len(readings)
    values: list[Decimal] = []
    owners: list[int] = []
    non_reporters = 0
    for index, reading in enumerate(readings):
        # is_applicable() and reported_value() inlined: this loop runs for every factory-indicator.
        if reading is not None and reading.status == Status.OK and reading.value is not None:
            values.append(reading.value)
            owners.append(index)
        elif reading is None or reading.status != Status.NOT_APPLICABLE:
            percentiles[index] = 0.0
            non_reporters += 1
    order = sorted(range(len(values)), key=values.__getitem__)
    ascending = [values[k] for k in order]
    owners = [owners[k] for k in order]
    total = len(ascending)
    n = total + non_reporters
    lo = 0
    while lo < total:
        value = ascending[lo]
        hi = lo + 1
        while hi < total and ascending[hi] == value:
            hi += 1
        worse, ties = _worse_and_ties(lo, hi, total, direction)
        p = _peer_p(worse + non_reporters, ties, n)
        for owner in owners[lo:hi]:
            percentiles[owner] = p
        lo = hi
    return percentiles, PeerColumn(direction, ascending, non_reporters)


# --- aggregation, shared with cultivation.levels ------------------------------------------------------


def clean_score(x: float) -> float:
    """Drop binary rounding noise below ``SCORE_DIGITS`` so equal scores compare equal (and −0.0 is 0.0)."""
    return round(x, SCORE_DIGITS) + 0.0


DimensionLayout = tuple[tuple[str, tuple[str, ...]], ...]


def dimension_layout(specs: Sequence[IndicatorSpec]) -> DimensionLayout:
    """The dimensions in catalogue order, each with its indicator codes."""
    codes: dict[str, list[str]] = {}
    for spec in specs:
        codes.setdefault(spec.dimension, []).append(spec.code)
    return tuple((dim, tuple(members)) for dim, members in codes.items())


def dimension_means(
    per_indicator: Mapping[str, float | None], layout: DimensionLayout, *, clean: bool = True
) -> dict[str, float]:
    """Mean per dimension over the indicators with a number; a dimension without one is left out.

    ``clean=False`` keeps full precision for means that are scaled up later (G_k, multiplied by 500).
    """
    means: dict[str, float] = {}
    for dim, codes in layout:
        total = 0.0
        count = 0
        for code in codes:
            x = per_indicator.get(code)
            if x is not None:
                total += x
                count += 1
        if count:
            means[dim] = clean_score(total / count) if clean else total / count
    return means


def weighted_mean(by_dimension: Mapping[str, float], weights: Mapping[str, float]) -> float | None:
    """``Σ w_k·x_k / Σ w_k`` over the dimensions present (weights renormalise); None when none is."""
    total_weight = sum(weights[dim] for dim in by_dimension)
    if total_weight <= 0:
        return None
    return sum(weights[dim] * x for dim, x in by_dimension.items()) / total_weight


def dimension_floor_failures(dimension_scores: Mapping[str, float], minimum: float) -> tuple[str, ...]:
    return tuple(dim for dim, score in dimension_scores.items() if score < minimum)


# --- improvement (§6.6) -------------------------------------------------------------------------------


def improvement_rate(spec: IndicatorSpec, current: Decimal, previous: Decimal, clip: float) -> float | None:
    """Year-on-year r of one indicator, clipped to [−clip, clip]; None when x_{Y−1} = 0 (skipped).

    Computed in the current decimal context; ``improvement_rates`` sets a 28-digit one.
    """
    if previous == 0:
        return None
    if spec.direction == Direction.DOWN:
        r = (previous - current) / previous
    elif spec.is_percent:
        r = (current - previous) / (_HUNDRED - previous if previous < _HUNDRED else _HUNDRED)
    else:
        r = (current - previous) / previous
    rate = float(r)
    return clip if rate > clip else -clip if rate < -clip else rate


def improvement_rates(
    current: Mapping[str, IndicatorValue],
    previous: Mapping[str, IndicatorValue],
    specs: Sequence[IndicatorSpec],
    clip: float,
) -> dict[str, float]:
    """r of every indicator reported in both years (and not skipped), in catalogue order."""
    rates: dict[str, float] = {}
    with localcontext(_DECIMAL):
        for spec in specs:
            # reported_value() inlined: this loop runs for every indicator of every factory.
            now, before = current.get(spec.code), previous.get(spec.code)
            if now is None or before is None or now.status != Status.OK or before.status != Status.OK:
                continue
            if now.value is not None and before.value is not None:
                r = improvement_rate(spec, now.value, before.value, clip)
                if r is not None:
                    rates[spec.code] = r
    return rates


# --- bands (§6.8) -------------------------------------------------------------------------------------


def select_band(
    q: float, composite: float, dimension_scores: Mapping[str, float], bands: Sequence[Band]
) -> tuple[int, list[Reason]]:
    """Index of the highest band whose every condition holds, and why each higher band it could reach by
    rank was refused (``FLOOR_BLOCK``, ``AAAA_DIMENSION_BLOCK``)."""
    blocks: list[Reason] = []
    for index, band in enumerate(bands):
        quota_ok = band.q_below is None or q < band.q_below
        floor_ok = band.c_min is None or composite >= band.c_min
        below = (
            ()
            if band.dimension_min is None
            else dimension_floor_failures(dimension_scores, band.dimension_min)
        )
        if quota_ok and floor_ok and not below:
            return index, blocks
        if quota_ok and not floor_ok:
            blocks.append(Reason("FLOOR_BLOCK", {"grade": band.grade, "c_min": band.c_min, "C": composite}))
        if quota_ok and below:
            blocks.append(
                Reason(
                    "AAAA_DIMENSION_BLOCK",
                    {
                        "grade": band.grade,
                        "dimension_min": band.dimension_min,
                        "dimensions": {dim: dimension_scores[dim] for dim in below},
                    },
                )
            )
    raise ValueError("the lowest band must have no condition")


def _largest_count_within_quota(q_below: float, n: int) -> int:
    """Largest k with ``k / n < q_below``, evaluated exactly as the band rule evaluates q."""
    k = max(0, math.ceil(q_below * n) - 1)
    while (k + 1) / n < q_below:
        k += 1
    while k >= 0 and not k / n < q_below:
        k -= 1
    return k


def next_band(
    band_index: int,
    composite: float,
    dimension_scores: Mapping[str, float],
    group_composites: Sequence[float],
    peer_count: int,
    bands: Sequence[Band],
) -> NextBand:
    """Smallest C reaching ``bands[band_index − 1]`` with every other factory's C held fixed.

    ``group_composites`` are the C values of the peer group, ascending, this factory's included.
    Rank: at most k_max others may stay strictly above, so C must reach the (k_max+1)-th highest other C.
    """
    if band_index == 0:
        return NextBand(None, None, None, blocked_by="TOP_BAND")
    target = bands[band_index - 1]
    if target.dimension_min is not None:
        below = dimension_floor_failures(dimension_scores, target.dimension_min)
        if below:
            return NextBand(target.grade, None, None, blocked_by="DIMENSION_MIN", blocking_dimensions=below)
    needed = -math.inf
    if target.c_min is not None:
        needed = target.c_min
    if target.q_below is not None:
        k_max = _largest_count_within_quota(target.q_below, peer_count)
        total = len(group_composites)
        first_own_desc = total - bisect.bisect_right(group_composites, composite)
        index = total - 1 - k_max if k_max < first_own_desc else total - 2 - k_max
        if index >= 0:
            needed = max(needed, group_composites[index])
    return NextBand(target.grade, needed, clean_score(needed - composite))


# --- the run ------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Scores:
    peer_group: str
    peer_count: int
    reasons: list[Reason]
    percentiles: dict[str, float | None]
    dimension_scores: dict[str, float] = field(default_factory=dict)
    level_score: float | None = None
    improvement_rates: dict[str, float] = field(default_factory=dict)
    dimension_improvement: dict[str, float] = field(default_factory=dict)
    improvement_score: float | None = None
    composite: float | None = None


def _percentiles(
    by_division: Mapping[str, Sequence[FactoryInput]], standard: GradingStandard
) -> dict[int, dict[str, float | None]]:
    """§6.2–6.3: each factory's percentiles in its division, or against everyone below ``min_peer``."""
    out: dict[int, dict[str, float | None]] = {}
    small = [d for d, members in by_division.items() if len(members) < standard.min_peer]
    columns: dict[str, list[PeerColumn]] = defaultdict(list)
    codes = [spec.code for spec in standard.indicators]
    for division, members in by_division.items():
        by_indicator = []
        for spec in standard.indicators:
            readings = [m.indicators.get(spec.code) for m in members if m.indicators is not None]
            percentiles, column = group_percentiles(readings, spec.direction)
            columns[spec.code].append(column)
            by_indicator.append(percentiles)
        if division not in small:
            by_factory = zip(*by_indicator, strict=True)
            out.update(
                (m.enterprise_id, dict(zip(codes, row, strict=True)))
                for m, row in zip(members, by_factory, strict=True)
            )
    if small:
        everyone = {spec.code: merge_columns(columns[spec.code]) for spec in standard.indicators}
        for division in small:
            for m in by_division[division]:
                assert m.indicators is not None
                out[m.enterprise_id] = {
                    spec.code: peer_percentile(everyone[spec.code], m.indicators.get(spec.code))
                    for spec in standard.indicators
                }
    return out


def _score(
    factory: FactoryInput,
    percentiles: dict[str, float | None],
    reasons: list[Reason],
    peer_group: str,
    peer_count: int,
    standard: GradingStandard,
    layout: DimensionLayout,
) -> _Scores:
    """§6.4–6.7: D_k, L, r, G_k, S and C of one factory with data."""
    assert factory.indicators is not None
    s = _Scores(peer_group, peer_count, reasons, percentiles)
    s.dimension_scores = dimension_means(percentiles, layout)
    level = weighted_mean(s.dimension_scores, standard.weights)
    s.level_score = None if level is None else clean_score(level)
    if factory.previous_indicators is not None:
        s.improvement_rates = improvement_rates(
            factory.indicators, factory.previous_indicators, standard.indicators, standard.improvement_clip
        )
        s.dimension_improvement = dimension_means(s.improvement_rates, layout, clean=False)
        g = weighted_mean(s.dimension_improvement, standard.weights)
        if g is not None:
            s.improvement_score = clean_score(
                min(100.0, max(0.0, standard.improvement_base + standard.improvement_multiplier * g))
            )
    if s.level_score is None:
        reasons.append(Reason("NO_SCORE"))
    elif s.improvement_score is None:
        cause = "no_previous_data" if factory.previous_indicators is None else "no_comparable_indicator"
        reasons.append(Reason("NO_IMPROVEMENT_SCORE", {"cause": cause}))
        s.composite = s.level_score
    else:
        s.composite = clean_score(standard.alpha * s.level_score + (1 - standard.alpha) * s.improvement_score)
    return s


def grade_year(
    year: int, factories: Sequence[FactoryInput], standard: GradingStandard
) -> list[FactoryResult]:
    """Grade the population of year Y (the caller passes the factories active on 31 Dec of Y)."""
    _check_inputs(factories, standard)
    by_division: dict[str, list[FactoryInput]] = defaultdict(list)
    for f in sorted(factories, key=lambda f: f.enterprise_id):
        if f.indicators is not None:
            by_division[f.division].append(f)
    with_data = sum(len(members) for members in by_division.values())
    percentiles = _percentiles(by_division, standard)
    layout = dimension_layout(standard.indicators)

    scores: dict[int, _Scores] = {}
    composites: dict[str, list[float]] = defaultdict(list)
    for division, members in by_division.items():
        fallback = len(members) < standard.min_peer
        label = PEER_GROUP_ALL if fallback else division
        peer_count = with_data if fallback else len(members)
        for f in members:
            reasons = []
            if fallback:
                reasons.append(
                    Reason(
                        "PEER_FALLBACK",
                        {
                            "division": division,
                            "division_count": len(members),
                            "min_peer": standard.min_peer,
                            "peer_count": peer_count,
                        },
                    )
                )
            s = _score(f, percentiles[f.enterprise_id], reasons, label, peer_count, standard, layout)
            scores[f.enterprise_id] = s
            if s.composite is not None:
                composites[label].append(s.composite)
                if label != PEER_GROUP_ALL:
                    composites[PEER_GROUP_ALL].append(s.composite)
    for values in composites.values():
        values.sort()

    results = []
    for f in sorted(factories, key=lambda f: f.enterprise_id):
        own = scores.get(f.enterprise_id)
        results.append(_finish(year, f, own, composites[own.peer_group] if own else (), standard))
    return results


def _finish(
    year: int,
    factory: FactoryInput,
    s: _Scores | None,
    group_composites: Sequence[float],
    standard: GradingStandard,
) -> FactoryResult:
    reasons: list[Reason] = list(s.reasons) if s else []
    flags: list[str] = []
    q: float | None = None
    computed: str | None = None
    upcoming: NextBand | None = None
    decided_by = ""
    revoke = False

    if s is not None:
        if s.composite is None:
            computed = standard.lowest_grade
        else:
            higher = len(group_composites) - bisect.bisect_right(group_composites, s.composite)
            q = higher / s.peer_count
            index, blocks = select_band(q, s.composite, s.dimension_scores, standard.bands)
            computed = standard.bands[index].grade
            reasons.append(Reason("BAND", {"grade": computed, "q": q, "C": s.composite}))
            reasons.extend(blocks)
            upcoming = next_band(
                index, s.composite, s.dimension_scores, group_composites, s.peer_count, standard.bands
            )
        decided_by = "BAND" if s.composite is not None else "NO_SCORE"
    grade = computed

    first_year = factory.tier == "city" and factory.recognized_year == year
    if first_year:
        grade = standard.lowest_grade
        decided_by = "FIRST_YEAR"
        reasons.append(Reason("FIRST_YEAR", {"computed_grade": computed, "grade": grade}))

    if s is None:
        flags.append(FLAG_NO_DATA)
        if factory.previous_no_data:
            revoke = True
            reasons.append(Reason("NO_DATA_SECOND_YEAR_REVOKE"))
        if first_year:
            reasons.append(Reason("NO_DATA_FIRST_YEAR", {"grade": grade}))
        elif factory.previous_grade is not None:
            grade = standard.one_band_down(factory.previous_grade)
            decided_by = "NO_DATA_DOWNGRADE"
            reasons.append(
                Reason("NO_DATA_DOWNGRADE", {"previous_grade": factory.previous_grade, "grade": grade})
            )
        else:
            grade = standard.lowest_grade
            decided_by = "NO_DATA_NO_PREVIOUS_GRADE"
            reasons.append(Reason("NO_DATA_NO_PREVIOUS_GRADE", {"grade": grade}))
    assert grade is not None

    for incident in factory.incidents:
        effect = standard.incident_effect(incident)
        about = {"incident_id": incident.id, "kind": incident.kind, "severity": incident.severity}
        if effect is IncidentEffect.REVOKE:
            revoke = True
            reasons.append(Reason("INCIDENT_REVOKE", about))
            continue
        before = grade
        if effect is IncidentEffect.CAP_AT_LOWEST:
            grade, code = standard.lowest_grade, "INCIDENT_LARGE_CAP"
        else:
            grade, code = standard.one_band_down(grade), "INCIDENT_GENERAL_DOWN"
        decided_by = code
        reasons.append(Reason(code, {**about, "from": before, "to": grade}))

    return FactoryResult(
        enterprise_id=factory.enterprise_id,
        year=year,
        standard_code=standard.code,
        standard_version=standard.version,
        peer_group=s.peer_group if s else None,
        peer_count=s.peer_count if s else 0,
        percentiles=s.percentiles if s else {},
        dimension_scores=s.dimension_scores if s else {},
        level_score=s.level_score if s else None,
        improvement_rates=s.improvement_rates if s else {},
        dimension_improvement=s.dimension_improvement if s else {},
        improvement_score=s.improvement_score if s else None,
        composite=s.composite if s else None,
        q=q,
        computed_grade=computed,
        grade=grade,
        decided_by=decided_by,
        revocation_proposed=revoke,
        flags=tuple(flags),
        reasons=tuple(reasons),
        next_band=upcoming,
    )


def _check_inputs(factories: Sequence[FactoryInput], standard: GradingStandard) -> None:
    seen: set[int] = set()
    grades = set(standard.grades)
    for f in factories:
        where = f"enterprise {f.enterprise_id}"
        if f.enterprise_id in seen:
            raise ValueError(f"{where} appears twice")
        seen.add(f.enterprise_id)
        if f.tier not in TIERS:
            raise ValueError(f"{where}: tier must be one of {TIERS}, not {f.tier!r}")
        if f.previous_grade is not None and f.previous_grade not in grades:
            raise ValueError(f"{where}: previous grade {f.previous_grade!r} is not a band of {standard.code}")
        for incident in f.incidents:
            if incident.kind not in INCIDENT_KINDS or incident.severity not in INCIDENT_SEVERITIES:
                raise ValueError(f"{where}: unknown incident {incident.kind!r}/{incident.severity!r}")


# --- JSON ---------------------------------------------------------------------------------------------


def spec_to_dict(spec: IndicatorSpec) -> dict[str, Any]:
    return {
        "code": spec.code,
        "dimension": spec.dimension,
        "direction": str(spec.direction),
        "is_percent": spec.is_percent,
    }


def spec_from_dict(data: Mapping[str, Any]) -> IndicatorSpec:
    return IndicatorSpec(
        str(data["code"]), str(data["dimension"]), Direction(data["direction"]), bool(data["is_percent"])
    )


def _optional_float(x: Any) -> float | None:
    return None if x is None else float(x)


def standard_to_dict(standard: GradingStandard) -> dict[str, Any]:
    """JSON-safe parameters of a standard; ``standard_from_dict`` reads them back unchanged."""
    return {
        "code": standard.code,
        "version": standard.version,
        "catalogue_version": standard.catalogue_version,
        "weights": dict(standard.weights),
        "alpha": standard.alpha,
        "improvement_clip": standard.improvement_clip,
        "improvement_base": standard.improvement_base,
        "improvement_multiplier": standard.improvement_multiplier,
        "bands": [
            {"grade": b.grade, "q_below": b.q_below, "c_min": b.c_min, "dimension_min": b.dimension_min}
            for b in standard.bands
        ],
        "min_peer": standard.min_peer,
        "incident_effects": {
            "by_kind": {k: str(v) for k, v in standard.kind_effects.items()},
            "by_severity": {k: str(v) for k, v in standard.severity_effects.items()},
        },
        "indicators": [spec_to_dict(s) for s in standard.indicators],
    }


def standard_from_dict(data: Mapping[str, Any]) -> GradingStandard:
    """Build a standard from stored JSON; raises ValueError naming what is missing or wrong."""
    try:
        effects = data["incident_effects"]
        return GradingStandard(
            code=str(data["code"]),
            version=int(data["version"]),
            catalogue_version=str(data["catalogue_version"]),
            weights={str(k): float(v) for k, v in data["weights"].items()},
            alpha=float(data["alpha"]),
            improvement_clip=float(data["improvement_clip"]),
            improvement_base=float(data["improvement_base"]),
            improvement_multiplier=float(data["improvement_multiplier"]),
            bands=tuple(
                Band(
                    str(b["grade"]),
                    _optional_float(b.get("q_below")),
                    _optional_float(b.get("c_min")),
                    _optional_float(b.get("dimension_min")),
                )
                for b in data["bands"]
            ),
            min_peer=int(data["min_peer"]),
            kind_effects={str(k): IncidentEffect(v) for k, v in effects["by_kind"].items()},
            severity_effects={str(k): IncidentEffect(v) for k, v in effects["by_severity"].items()},
            indicators=tuple(spec_from_dict(s) for s in data["indicators"]),
        )
    except KeyError as missing:
        raise ValueError(f"grading standard parameters lack {missing}") from None
    except (TypeError, AttributeError) as wrong:
        raise ValueError(f"grading standard parameters are malformed: {wrong}") from None


def result_to_dict(result: FactoryResult) -> dict[str, Any]:
    """JSON-safe form of a result, for the run's stored intermediate numbers."""
    nb = result.next_band
    return {
        "enterprise_id": result.enterprise_id,
        "year": result.year,
        "standard": {"code": result.standard_code, "version": result.standard_version},
        "peer_group": result.peer_group,
        "peer_count": result.peer_count,
        "percentiles": dict(result.percentiles),
        "dimension_scores": dict(result.dimension_scores),
        "level_score": result.level_score,
        "improvement_rates": dict(result.improvement_rates),
        "dimension_improvement": dict(result.dimension_improvement),
        "improvement_score": result.improvement_score,
        "composite": result.composite,
        "q": result.q,
        "computed_grade": result.computed_grade,
        "grade": result.grade,
        "decided_by": result.decided_by,
        "revocation_proposed": result.revocation_proposed,
        "flags": list(result.flags),
        "reasons": [r.to_dict() for r in result.reasons],
        "next_band": None
        if nb is None
        else {
            "grade": nb.grade,
            "c_needed": nb.c_needed,
            "c_gap": nb.c_gap,
            "blocked_by": nb.blocked_by,
            "blocking_dimensions": list(nb.blocking_dimensions),
        },
    }
