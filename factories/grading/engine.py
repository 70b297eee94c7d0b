"""Green-factory grading engine AAAA / AAA / AA / A (DOMAIN §6; Art. 3, 6, 7, 8, 9).

Pure: no Django, no ORM, no I/O. Inputs and outputs are frozen dataclasses; the results convert to
JSON-safe dicts so a grading run can store them and reproduce them. The standard (parameters, the default
CQ-GF-2024, its JSON form) is ``factories.grading.standard``; the bands and the next-band gap are
``factories.grading.bands``; the percentile, dimension and weighting math shared with the cultivation
pool is ``factories.scoring`` (its docstring says how numbers are compared).

Interpretations where §6 is silent (all covered by tests):

- Peer-group fallback: the members of a division with fewer than ``min_peer`` factories with data are
  compared with *every* factory with data (group ``"ALL"``), both for percentiles and for q; the C values
  ranked in ``"ALL"`` are each factory's own C (computed in its own peer group).
- Improvement (§6.6): the % formula is the gap-closing one for ↑ % indicators and is *not* skipped at
  x_{Y−1} = 0 (a share rising from nothing gives ``r = x_Y / 100``); x_{Y−1} ≥ 100 uses
  ``(x_Y − x_{Y−1}) / 100`` (= ``(x_Y − 100) / 100`` at 100). The relative formulas (other ↑ indicators,
  every ↓ one) are skipped at x_{Y−1} = 0. A ↓ % indicator (none in GB/T 36132-2018) would use the ↓
  formula, skip included: "lower is better" has no gap to 100 to close. Y−1 data with no comparable
  indicator gives no S, like no Y−1 data (C = L). When Y−1 was reported on another catalogue (§4b), an
  indicator is compared with the Y−1 indicator its ``same_as`` names, and has no r without one.
- Exact scores (§6.7): p, D_k, L, r, G_k, G, S, C and q are ``Fraction`` (see ``factories.scoring``);
  the standard's float parameters are read as the decimals they print as, so q < 0.30 and C ≥ 55 are
  decided on exact values. ``result_to_dict`` renders them for storage (scores to 9 dp); the reasons
  carry the rendered figures, since they are stored as they are.
- A factory with data for Y but no applicable indicator at all has no L and no C: it is not ranked, does
  not count as "higher" for anyone, and its computed grade is the lowest band (reason ``NO_SCORE``).
- Overrides run in the order of §6.9 on a running grade (``OVERRIDES``):
  1. *first year* (tier ``city`` and ``recognized_year == Y``; a national-tier factory is evaluated)
     sets the lowest band;
  2. *no verified data for Y* flags ``no_data``; the grade becomes the previous grade one band down, or
     the lowest band when there is no previous grade (a factory new to the platform); a first-year
     factory keeps the A of rule 1 (``NO_DATA_FIRST_YEAR``); if last year was flagged too, revocation
     is proposed (``previous_no_data``: the caller passes last year's ``no_data`` flag);
  3. *incidents in Y* act on the grade as it stands after 1–2 (the standard looks an incident's effect
     up by kind first, then by severity); "one band down" and "cap at the lowest band" commute, so
     incident order does not change the grade. So a first-year factory with a 一般 accident stays A.
- A proposed revocation does not erase the grade: ``grade`` is what stands if the city does not confirm
  the revocation, and ``revocation_proposed`` is set.
- ``next_band`` is ``None`` for a factory without C.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from factories.grading.bands import NextBand, next_band, select_band
from factories.grading.standard import INCIDENT_KINDS, INCIDENT_SEVERITIES, GradingStandard, IncidentEffect
from factories.indicators import Direction, IndicatorValue, Status
from factories.scoring import (
    HUNDRED,
    PEER_GROUP_ALL,
    ZERO,
    DimensionLayout,
    IndicatorSpec,
    PeerColumn,
    Reason,
    _peer_p,
    dimension_layout,
    dimension_means,
    exact,
    group_percentiles,
    is_applicable,
    merge_columns,
    peer_percentile,
    render,
    render_ratio,
    weighted_mean,
)

FLAG_NO_DATA = "no_data"

TIERS = ("city", "national")


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
    # The catalogue of the Y−1 data when it is not the standard's; None = the same catalogue (§4b same_as).
    previous_catalogue: str | None = None


@dataclass(frozen=True, slots=True)
class FactoryResult:
    """Every intermediate number of one factory's grading for one year, and the rules applied.

    ``reasons`` in order of application; codes: ``PEER_FALLBACK``, ``NO_SCORE``, ``NO_IMPROVEMENT_SCORE``,
    ``BAND``, ``FLOOR_BLOCK``, ``AAAA_DIMENSION_BLOCK``, ``FIRST_YEAR``, ``NO_DATA_DOWNGRADE``,
    ``NO_DATA_NO_PREVIOUS_GRADE``, ``NO_DATA_FIRST_YEAR``, ``NO_DATA_SECOND_YEAR_REVOKE``,
    ``INCIDENT_GENERAL_DOWN``, ``INCIDENT_LARGE_CAP``, ``INCIDENT_REVOKE``. ``decided_by`` is the code of
    the last rule that set ``grade``. ``percentiles`` has every indicator code (None = not applicable).
    The numbers are exact; ``result_to_dict`` renders them.
    """

    enterprise_id: int
    year: int
    standard_code: str
    standard_version: int
    peer_group: str | None
    peer_count: int
    percentiles: Mapping[str, Fraction | None]
    dimension_scores: Mapping[str, Fraction]
    level_score: Fraction | None
    improvement_rates: Mapping[str, Fraction]
    dimension_improvement: Mapping[str, Fraction]
    improvement_score: Fraction | None
    composite: Fraction | None
    q: Fraction | None
    computed_grade: str | None
    grade: str
    decided_by: str
    revocation_proposed: bool
    flags: tuple[str, ...]
    reasons: tuple[Reason, ...]
    next_band: NextBand | None


# --- improvement (§6.6) -------------------------------------------------------------------------------


def improvement_rate(
    spec: IndicatorSpec, current: Decimal, previous: Decimal, clip: float | Fraction
) -> Fraction | None:
    """§6.6 year-on-year r of one indicator, clipped to [−clip, clip]; None when skipped.

    The relative formulas are skipped at x_{Y−1} = 0; the % formula is defined there and is not.
    """
    limit = exact(clip)
    return _rate(spec, current, previous, limit, *limit.as_integer_ratio())


def _rate(
    spec: IndicatorSpec, current: Decimal, previous: Decimal, limit: Fraction, cn: int, cd: int
) -> Fraction | None:
    """``improvement_rate`` with the clip ``limit`` = cn/cd given (the same for every indicator of a run)."""
    # Integer numerator and denominator, one Fraction at the end: this runs for every indicator of
    # every factory, and Fraction arithmetic step by step would cost a reduction per step.
    an, ad = current.as_integer_ratio()
    bn, bd = previous.as_integer_ratio()
    if spec.direction == Direction.DOWN:
        if bn == 0:
            return None
        num, den = bn * ad - an * bd, ad * bn  # (x_{Y−1} − x_Y) / x_{Y−1}
    elif spec.is_percent:
        gap = 100 * bd - bn if bn < 100 * bd else 100 * bd  # (100 − x_{Y−1}) · bd, or 100 · bd from 100 up
        num, den = an * bd - bn * ad, ad * gap  # (x_Y − x_{Y−1}) / (100 − x_{Y−1}), or / 100
    else:
        if bn == 0:
            return None
        num, den = an * bd - bn * ad, ad * bn  # (x_Y − x_{Y−1}) / x_{Y−1}
    if den < 0:
        num, den = -num, -den
    if num * cd > cn * den:
        return limit
    if -num * cd > cn * den:
        return -limit
    return Fraction(num, den)


def previous_codes(
    specs: Sequence[IndicatorSpec], catalogue: str, previous_catalogue: str | None
) -> dict[str, str] | None:
    """The code in Y−1's catalogue of each indicator of Y (§4b ``same_as``); None when both years share
    the catalogue. An indicator that continues none of the Y−1 catalogue's has no Y−1 value."""
    if previous_catalogue is None or previous_catalogue == catalogue:
        return None
    prefix = f"{previous_catalogue}/"
    return {s.code: s.same_as.removeprefix(prefix) for s in specs if s.same_as.startswith(prefix)}


def improvement_rates(
    current: Mapping[str, IndicatorValue],
    previous: Mapping[str, IndicatorValue],
    specs: Sequence[IndicatorSpec],
    clip: float | Fraction,
    codes: Mapping[str, str] | None = None,
) -> dict[str, Fraction]:
    """r of every indicator reported in both years (and not skipped), in catalogue order.

    ``codes`` (from ``previous_codes``) names each indicator's Y−1 code when Y−1 used another catalogue.
    """
    rates: dict[str, Fraction] = {}
    limit = exact(clip)
    cn, cd = limit.as_integer_ratio()
    for spec in specs:
        before_code = spec.code if codes is None else codes.get(spec.code)
        if before_code is None:
            continue
        # reported_value() inlined: this loop runs for every indicator of every factory.
        now, before = current.get(spec.code), previous.get(before_code)
        if now is None or before is None or now.status != Status.OK or before.status != Status.OK:
            continue
        if now.value is not None and before.value is not None:
            r = _rate(spec, now.value, before.value, limit, cn, cd)
            if r is not None:
                rates[spec.code] = r
    return rates


# --- the run ------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Scores:
    peer_group: str
    peer_count: int
    reasons: list[Reason]
    percentiles: dict[str, Fraction | None]
    dimension_scores: dict[str, Fraction] = field(default_factory=dict)
    level_score: Fraction | None = None
    improvement_rates: dict[str, Fraction] = field(default_factory=dict)
    dimension_improvement: dict[str, Fraction] = field(default_factory=dict)
    improvement_score: Fraction | None = None
    composite: Fraction | None = None


def _division_percentiles(
    members: Sequence[FactoryInput], standard: GradingStandard
) -> tuple[list[dict[str, Fraction | None]], list[PeerColumn]]:
    """§6.3 percentiles of each member within the division (members' order), and each indicator's column."""
    by_indicator = []
    columns = []
    for spec in standard.indicators:
        readings = [m.indicators.get(spec.code) for m in members if m.indicators is not None]
        percentiles, column = group_percentiles(readings, spec.direction)
        columns.append(column)
        by_indicator.append(percentiles)
    codes = [spec.code for spec in standard.indicators]
    rows = [dict(zip(codes, row, strict=True)) for row in zip(*by_indicator, strict=True)]
    return rows, columns


def _percentiles(
    by_division: Mapping[str, Sequence[FactoryInput]], standard: GradingStandard
) -> dict[int, dict[str, Fraction | None]]:
    """§6.2–6.3: each factory's percentiles in its division, or against everyone below ``min_peer``."""
    out: dict[int, dict[str, Fraction | None]] = {}
    small = [d for d, members in by_division.items() if len(members) < standard.min_peer]
    columns: dict[str, list[PeerColumn]] = defaultdict(list)
    for division, members in by_division.items():
        rows, division_columns = _division_percentiles(members, standard)
        for spec, column in zip(standard.indicators, division_columns, strict=True):
            columns[spec.code].append(column)
        if division not in small:
            out.update((m.enterprise_id, row) for m, row in zip(members, rows, strict=True))
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
    percentiles: dict[str, Fraction | None],
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
    s.level_score = weighted_mean(s.dimension_scores, standard.weights)
    if factory.previous_indicators is not None:
        codes = previous_codes(standard.indicators, standard.catalogue_version, factory.previous_catalogue)
        s.improvement_rates = improvement_rates(
            factory.indicators,
            factory.previous_indicators,
            standard.indicators,
            standard.improvement_clip,
            codes,
        )
        s.dimension_improvement = dimension_means(s.improvement_rates, layout)
        g = weighted_mean(s.dimension_improvement, standard.weights)
        if g is not None:
            raw = exact(standard.improvement_base) + exact(standard.improvement_multiplier) * g
            s.improvement_score = min(HUNDRED, max(ZERO, raw))
    if s.level_score is None:
        reasons.append(Reason("NO_SCORE"))
    elif s.improvement_score is None:
        cause = "no_previous_data" if factory.previous_indicators is None else "no_comparable_indicator"
        reasons.append(Reason("NO_IMPROVEMENT_SCORE", {"cause": cause}))
        s.composite = s.level_score
    else:
        alpha = exact(standard.alpha)
        s.composite = alpha * s.level_score + (1 - alpha) * s.improvement_score
    return s


@dataclass(frozen=True, slots=True)
class _Group:
    """The C values of a peer group, ascending, for ranking (§6.8).

    ``keys`` pairs each C with its float: float() is monotone, so comparing the pairs gives the exact
    order, and the exact values are compared only when two floats are equal — sorting and bisecting
    tuples of floats runs in C, where comparing ``Fraction`` objects would cost a Python call each.
    """

    keys: list[tuple[float, Fraction]]
    values: list[Fraction]

    @classmethod
    def of(cls, composites: Sequence[Fraction]) -> _Group:
        keys = sorted((float(c), c) for c in composites)
        return cls(keys, [c for _, c in keys])

    def higher(self, composite: Fraction) -> int:
        """How many members have a C strictly above ``composite``."""
        return len(self.keys) - bisect.bisect_right(self.keys, (float(composite), composite))


_NO_GROUP = _Group([], [])


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
    composites: dict[str, list[Fraction]] = defaultdict(list)
    for division, members in by_division.items():
        fallback = len(members) < standard.min_peer
        label = PEER_GROUP_ALL if fallback else division
        peer_count = with_data if fallback else len(members)
        for f in members:
            reasons = [_fallback_reason(division, len(members), peer_count, standard)] if fallback else []
            s = _score(f, percentiles[f.enterprise_id], reasons, label, peer_count, standard, layout)
            scores[f.enterprise_id] = s
            if s.composite is not None:
                composites[label].append(s.composite)
                if label != PEER_GROUP_ALL:
                    composites[PEER_GROUP_ALL].append(s.composite)
    groups = {label: _Group.of(values) for label, values in composites.items()}

    results = []
    for f in sorted(factories, key=lambda f: f.enterprise_id):
        own = scores.get(f.enterprise_id)
        group = groups.get(own.peer_group, _NO_GROUP) if own else _NO_GROUP
        results.append(_finish(year, f, own, group, standard))
    return results


def _fallback_reason(
    division: str, division_count: int, peer_count: int, standard: GradingStandard
) -> Reason:
    return Reason(
        "PEER_FALLBACK",
        {
            "division": division,
            "division_count": division_count,
            "min_peer": standard.min_peer,
            "peer_count": peer_count,
        },
    )


def grade_stream(
    year: int, divisions: Iterable[Sequence[FactoryInput]], standard: GradingStandard
) -> Iterator[list[FactoryResult]]:
    """``grade_year`` one division at a time: the same results, in another order, in bounded memory.

    ``divisions`` is the population in groups, one division each (its members with and without data,
    in enterprise order), the divisions with fewer than ``min_peer`` members with data *first*. Those
    are compared with everyone (§6.2): they are held (few, by definition) and finished last, from the
    counts gathered against each division's columns as it passes, ranked among every factory's C, which
    is kept (one number a factory) only when there are such divisions. Every other division is graded
    and given back (a list of results) as soon as it has been read, so at most one division's inputs
    are held.
    """
    seen: set[int] = set()
    grades = set(standard.grades)
    layout = dimension_layout(standard.indicators)
    small: list[tuple[str, list[FactoryInput]]] = []
    small_columns: list[list[PeerColumn]] = []
    tallies: dict[int, list[list[int] | None]] | None = None  # small member → per indicator [W, T]
    n_everyone = [0] * len(standard.indicators)
    everyone: list[Fraction] = []
    with_data = 0
    for group in divisions:
        members = []
        finished = []
        for f in group:
            _check_input(f, seen, grades, standard)
            if f.indicators is None:
                finished.append(_finish(year, f, None, _NO_GROUP, standard))
            else:
                members.append(f)
        if not members:
            yield finished
            continue
        with_data += len(members)
        division = members[0].division
        rows, columns = _division_percentiles(members, standard)
        if len(members) < standard.min_peer:
            if tallies is not None:
                raise ValueError(f"division {division} has fewer than min_peer members and came late")
            small.append((division, members))
            small_columns.append(columns)
            yield finished
            continue
        if small:
            if tallies is None:
                tallies = _start_tallies(small, small_columns, n_everyone, standard)
            _tally(tallies, small, columns, n_everyone, standard)
        scores = [
            _score(f, row, [], division, len(members), standard, layout)
            for f, row in zip(members, rows, strict=True)
        ]
        composites = [s.composite for s in scores if s.composite is not None]
        group_of = _Group.of(composites)
        if small:
            everyone.extend(composites)
        finished.extend(_finish(year, f, s, group_of, standard) for f, s in zip(members, scores, strict=True))
        del scores, rows
        yield finished
    if not small:
        return
    if tallies is None:
        tallies = _start_tallies(small, small_columns, n_everyone, standard)
    held = []
    for division, members in small:
        for f in members:
            reasons = [_fallback_reason(division, len(members), with_data, standard)]
            percentiles: dict[str, Fraction | None] = {}
            for index, (spec, tally) in enumerate(
                zip(standard.indicators, tallies[f.enterprise_id], strict=True)
            ):
                if tally is not None:
                    percentiles[spec.code] = _peer_p(tally[0], tally[1], n_everyone[index])
                else:
                    reading = f.indicators.get(spec.code) if f.indicators is not None else None
                    percentiles[spec.code] = None if not is_applicable(reading) else ZERO
            s = _score(f, percentiles, reasons, PEER_GROUP_ALL, with_data, standard, layout)
            if s.composite is not None:
                everyone.append(s.composite)
            held.append((f, s))
    group_all = _Group.of(everyone)
    del everyone
    yield [_finish(year, f, s, group_all, standard) for f, s in held]


def _start_tallies(
    small: Sequence[tuple[str, Sequence[FactoryInput]]],
    small_columns: Sequence[Sequence[PeerColumn]],
    n_everyone: list[int],
    standard: GradingStandard,
) -> dict[int, list[list[int] | None]]:
    """[W, T] of each reported value of the small divisions' members against the small divisions."""
    tallies: dict[int, list[list[int] | None]] = {}
    for _division, members in small:
        for f in members:
            assert f.indicators is not None
            row: list[list[int] | None] = []
            for spec in standard.indicators:
                reading = f.indicators.get(spec.code)
                reported = reading is not None and reading.status == Status.OK and reading.value is not None
                row.append([0, 0] if reported else None)
            tallies[f.enterprise_id] = row
    for columns in small_columns:
        _tally(tallies, small, columns, n_everyone, standard)
    return tallies


def _tally(
    tallies: dict[int, list[list[int] | None]],
    small: Sequence[tuple[str, Sequence[FactoryInput]]],
    columns: Sequence[PeerColumn],
    n_everyone: list[int],
    standard: GradingStandard,
) -> None:
    """Add one division's columns to the counts of the small divisions' members (the merged column's
    W and T are the sums of each column's, its n the sum of theirs)."""
    for index, column in enumerate(columns):
        n_everyone[index] += column.n
    for _division, members in small:
        for f in members:
            assert f.indicators is not None
            for index, (spec, tally) in enumerate(
                zip(standard.indicators, tallies[f.enterprise_id], strict=True)
            ):
                if tally is None:
                    continue
                value = f.indicators[spec.code].value
                assert value is not None
                worse, ties = columns[index].counts(value)
                tally[0] += worse
                tally[1] += ties


# --- the grade: rank, then the §6.9 overrides -----------------------------------------------------------


@dataclass(slots=True)
class _Verdict:
    """One factory's running grade as the §6.9 overrides act on it, and every rule applied so far."""

    grade: str
    decided_by: str
    reasons: list[Reason]
    q: Fraction | None = None
    computed_grade: str | None = None
    next_band: NextBand | None = None
    flags: list[str] = field(default_factory=list)
    revocation_proposed: bool = False

    def decide(self, grade: str, code: str, params: Mapping[str, Any]) -> None:
        """Set the grade by the rule ``code``; the rule becomes the one that decided it."""
        self.grade, self.decided_by = grade, code
        self.reasons.append(Reason(code, params))


def _ranked(s: _Scores | None, group: _Group, standard: GradingStandard) -> _Verdict:
    """§6.8: the computed grade by rank in the peer group; a factory without data has none yet.

    Without data the running grade starts at the lowest band, which the no-data rule always replaces.
    """
    if s is None:
        return _Verdict(standard.lowest_grade, "", [])
    reasons = list(s.reasons)
    if s.composite is None:
        return _Verdict(standard.lowest_grade, "NO_SCORE", reasons, computed_grade=standard.lowest_grade)
    higher = group.higher(s.composite)
    q = Fraction(higher, s.peer_count)
    index, blocks = select_band(q, s.composite, s.dimension_scores, standard.bands)
    computed = standard.bands[index].grade
    reasons.append(Reason("BAND", {"grade": computed, "q": render_ratio(q), "C": render(s.composite)}))
    reasons.extend(blocks)
    upcoming = next_band(
        index, s.composite, s.dimension_scores, group.values, s.peer_count, standard.bands, higher=higher
    )
    return _Verdict(computed, "BAND", reasons, q=q, computed_grade=computed, next_band=upcoming)


def _is_first_year(factory: FactoryInput, year: int) -> bool:
    return factory.tier == "city" and factory.recognized_year == year


def _first_year_override(
    verdict: _Verdict, year: int, factory: FactoryInput, has_data: bool, standard: GradingStandard
) -> None:
    """Art. 7: a factory recognised as city-level in year Y is graded A; its computed C is still shown."""
    if _is_first_year(factory, year):
        grade = standard.lowest_grade
        verdict.decide(grade, "FIRST_YEAR", {"computed_grade": verdict.computed_grade, "grade": grade})


def _no_data_override(
    verdict: _Verdict, year: int, factory: FactoryInput, has_data: bool, standard: GradingStandard
) -> None:
    """Art. 9 (不履行职责): without verified data for Y the previous grade drops one band (never below A)
    and is flagged; a second consecutive year without data proposes revocation."""
    if has_data:
        return
    verdict.flags.append(FLAG_NO_DATA)
    if factory.previous_no_data:
        verdict.revocation_proposed = True
        verdict.reasons.append(Reason("NO_DATA_SECOND_YEAR_REVOKE"))
    if _is_first_year(factory, year):
        verdict.reasons.append(Reason("NO_DATA_FIRST_YEAR", {"grade": verdict.grade}))
    elif factory.previous_grade is not None:
        grade = standard.one_band_down(factory.previous_grade)
        verdict.decide(grade, "NO_DATA_DOWNGRADE", {"previous_grade": factory.previous_grade, "grade": grade})
    else:
        grade = standard.lowest_grade
        verdict.decide(grade, "NO_DATA_NO_PREVIOUS_GRADE", {"grade": grade})


def _incident_override(
    verdict: _Verdict, year: int, factory: FactoryInput, has_data: bool, standard: GradingStandard
) -> None:
    """Art. 9: falsification or a 重大/特别重大 accident proposes revocation, a 较大 accident caps the
    grade at A, each 一般 accident lowers it one band (never below A)."""
    for incident in factory.incidents:
        effect = standard.incident_effect(incident.kind, incident.severity)
        about = {"incident_id": incident.id, "kind": incident.kind, "severity": incident.severity}
        if effect is IncidentEffect.REVOKE:
            verdict.revocation_proposed = True
            verdict.reasons.append(Reason("INCIDENT_REVOKE", about))
            continue
        before = verdict.grade
        if effect is IncidentEffect.CAP_AT_LOWEST:
            grade, code = standard.lowest_grade, "INCIDENT_LARGE_CAP"
        else:
            grade, code = standard.one_band_down(before), "INCIDENT_GENERAL_DOWN"
        verdict.decide(grade, code, {**about, "from": before, "to": grade})


Override = Callable[[_Verdict, int, FactoryInput, bool, GradingStandard], None]

OVERRIDES: tuple[Override, ...] = (_first_year_override, _no_data_override, _incident_override)
"""The overrides of §6.9, in the policy's order: each acts on the grade the previous ones left."""


def _finish(
    year: int,
    factory: FactoryInput,
    s: _Scores | None,
    group: _Group,
    standard: GradingStandard,
) -> FactoryResult:
    """The computed grade (§6.8), then each override of §6.9 in order, as one result."""
    verdict = _ranked(s, group, standard)
    for override in OVERRIDES:
        override(verdict, year, factory, s is not None, standard)
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
        q=verdict.q,
        computed_grade=verdict.computed_grade,
        grade=verdict.grade,
        decided_by=verdict.decided_by,
        revocation_proposed=verdict.revocation_proposed,
        flags=tuple(verdict.flags),
        reasons=tuple(verdict.reasons),
        next_band=verdict.next_band,
    )


def _check_inputs(factories: Sequence[FactoryInput], standard: GradingStandard) -> None:
    seen: set[int] = set()
    grades = set(standard.grades)
    for f in factories:
        _check_input(f, seen, grades, standard)


def _check_input(f: FactoryInput, seen: set[int], grades: set[str], standard: GradingStandard) -> None:
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


def _render_all(scores: Mapping[str, Fraction]) -> dict[str, float]:
    return {key: render(x) for key, x in scores.items()}


def _render_ratios(ratios: Mapping[str, Fraction | None]) -> dict[str, float | None]:
    return {key: render_ratio(x) for key, x in ratios.items()}


def _render_optional(x: Fraction | None) -> float | None:
    return None if x is None else render(x)


def result_to_dict(result: FactoryResult) -> dict[str, Any]:
    """JSON-safe form of a result, for the run's stored intermediate numbers: the exact values rendered,
    scores (D_k, L, S, C, next-band figures) to 9 decimals, ratios (p, r, G_k, q) as the nearest float."""
    nb = result.next_band
    return {
        "enterprise_id": result.enterprise_id,
        "year": result.year,
        "standard": {"code": result.standard_code, "version": result.standard_version},
        "peer_group": result.peer_group,
        "peer_count": result.peer_count,
        "percentiles": _render_ratios(result.percentiles),
        "dimension_scores": _render_all(result.dimension_scores),
        "level_score": _render_optional(result.level_score),
        "improvement_rates": _render_ratios(result.improvement_rates),
        "dimension_improvement": _render_ratios(result.dimension_improvement),
        "improvement_score": _render_optional(result.improvement_score),
        "composite": _render_optional(result.composite),
        "q": render_ratio(result.q),
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
            "c_needed": _render_optional(nb.c_needed),
            "c_gap": _render_optional(nb.c_gap),
            "blocked_by": nb.blocked_by,
            "blocking_dimensions": list(nb.blocking_dimensions),
        },
    }
