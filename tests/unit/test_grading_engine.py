"""The §6 grading engine: percentiles, scores, bands, overrides and the next-band gap, from tables."""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from factories.grading.bands import Band, next_band, select_band
from factories.grading.engine import (
    FLAG_NO_DATA,
    FactoryInput,
    FactoryResult,
    IncidentInput,
    grade_year,
    improvement_rate,
    result_to_dict,
)
from factories.grading.standard import DEFAULT_STANDARD, standard_from_dict, standard_to_dict
from factories.indicators import Direction
from factories.scoring import (
    PEER_GROUP_ALL,
    IndicatorSpec,
    build_column,
    exact,
    group_percentiles,
    peer_percentile,
    percentile_counts,
)
from tests.unit.readings import DOWN, NA, NR, UP, Y, reading, readings

# One indicator per dimension keeps D_k = p, so every expected number below is worked out by hand.
MINI = replace(
    DEFAULT_STANDARD,
    code="TEST",
    indicators=(
        IndicatorSpec("EL-01", "energy", DOWN, False),
        IndicatorSpec("WR-02", "waste", UP, True),
        IndicatorSpec("CP-01", "clean", DOWN, False),
        IndicatorSpec("LI-01", "land", UP, False),
        IndicatorSpec("RH-01", "materials", UP, True),
    ),
)
DIMENSIONS = ("energy", "waste", "clean", "land", "materials")


def ranked(k: int, **override: str) -> dict[str, str]:
    """Values of the k-th best of five factories in every indicator (k = 1 best … 5 worst)."""
    values = {
        "EL-01": f"{0.1 * k:.1f}",
        "WR-02": str(100 - 10 * k),
        "CP-01": str(k),
        "LI-01": f"{2.2 - 0.2 * k:.1f}",
        "RH-01": str(60 - 10 * k),
    }
    values.update({code.replace("_", "-"): raw for code, raw in override.items()})
    return values


def factory(
    eid: int,
    values: Mapping[str, str] | None,
    *,
    division: str = "26",
    tier: str = "national",
    recognized_year: int = 2020,
    previous: Mapping[str, str] | None = None,
    previous_grade: str | None = None,
    previous_no_data: bool = False,
    incidents: tuple[IncidentInput, ...] = (),
) -> FactoryInput:
    return FactoryInput(
        enterprise_id=eid,
        division=division,
        tier=tier,
        recognized_year=recognized_year,
        indicators=None if values is None else readings(values),
        previous_indicators=None if previous is None else readings(previous),
        previous_grade=previous_grade,
        previous_no_data=previous_no_data,
        incidents=incidents,
    )


def five_ranked(**changes: Any) -> list[FactoryInput]:
    """Division 26 with factories 1–5 ranked 1st–5th; ``changes`` maps "f3" to factory() keywords."""
    members = []
    for k in range(1, 6):
        extra = dict(changes.get(f"f{k}", {}))
        values = extra.pop("values", ranked(k))
        members.append(factory(k, values, **extra))
    return members


def by_id(results: list[FactoryResult]) -> dict[int, FactoryResult]:
    return {r.enterprise_id: r for r in results}


def codes(result: FactoryResult) -> list[str]:
    return [r.code for r in result.reasons]


# --- percentiles (§6.3) -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "x", "direction", "expected"),
    [
        # [1, 2, 2, 3]: for ↑ the worse values are the smaller ones, for ↓ the larger ones.
        (["1", "2", "2", "3"], "2", UP, (1, 2)),
        (["1", "2", "2", "3"], "2", DOWN, (1, 2)),
        (["1", "2", "2", "3"], "1", UP, (0, 1)),
        (["1", "2", "2", "3"], "1", DOWN, (3, 1)),
        (["1", "2", "2", "3"], "2.5", UP, (3, 0)),
        (["1", "2", "2", "3"], "2.5", DOWN, (1, 0)),
        # 6-dp values compare exactly: 0.000001 apart is not a tie.
        (["0.100000", "0.100001"], "0.1", UP, (0, 1)),
        ([], "7", UP, (0, 0)),
    ],
)
def test_percentile_counts_count_worse_and_equal_values_following_the_direction(
    values: list[str], x: str, direction: Direction, expected: tuple[int, int]
) -> None:
    assert percentile_counts([Decimal(v) for v in values], Decimal(x), direction) == expected


@pytest.mark.parametrize(
    ("case", "raws", "direction", "expected"),
    [
        # n = 4: p = 100·(W + T/2)/3; the two 20s each have W = 1 (the 10) and T = 1 (each other).
        ("ties share the mid rank", ["10", "20", "20", "30"], UP, [0.0, 50.0, 50.0, 100.0]),
        ("lower is better for ↓", ["10", "20", "30"], DOWN, [100.0, 50.0, 0.0]),
        ("a lone peer is 50", ["5"], UP, [50.0]),
        ("a lone peer among n/a ones is 50", [NA, "5", NA], DOWN, [None, 50.0, None]),
        # n = 3 (the non-reporter is one of the applicable peers): 10 beats the non-reporter, W = 1.
        ("a non-reporter is worse than every reporter", ["10", NR, "30"], UP, [50.0, 0.0, 100.0]),
        ("non-reporters all get 0", [NR, NR, "7"], DOWN, [0.0, 0.0, 100.0]),
        ("a lone non-reporter gets 0, not 50", [NR, NA], UP, [0.0, None]),
        ("an indicator missing from the mapping is not reported", [None, "1"], UP, [0.0, 100.0]),
        # n = 2: the n/a peer is not a peer for this indicator at all.
        ("not applicable peers are left out", ["10", NA, "30"], UP, [0.0, None, 100.0]),
        ("all equal is the middle", ["4", "4", "4"], UP, [50.0, 50.0, 50.0]),
    ],
)
def test_group_percentiles_follow_section_6_3(
    case: str, raws: list[str | None], direction: Direction, expected: list[float | None]
) -> None:
    percentiles, column = group_percentiles([reading("X", raw) for raw in raws], direction)
    assert percentiles == expected, case
    assert column.n == sum(1 for raw in raws if raw != NA)


def test_group_percentiles_agree_with_the_single_member_percentile() -> None:
    rng = random.Random(20250101)
    for direction in (UP, DOWN):
        raws = [rng.choice([NR, NA, "1", "2", "2.5", "3", str(rng.randint(0, 9))]) for _ in range(300)]
        group = [reading("X", raw) for raw in raws]
        percentiles, _ = group_percentiles(group, direction)
        column = build_column(group, direction)
        assert percentiles == [peer_percentile(column, member) for member in group]


# --- scores, bands and the next band ------------------------------------------------------------------


def test_five_ranked_factories_get_percentiles_level_bands_and_a_floor_block() -> None:
    results = by_id(grade_year(Y, five_ranked(), MINI))
    # n = 5, W = 4, 3, 2, 1, 0 → p = 100, 75, 50, 25, 0 in every indicator, so every D_k and L too;
    # no Y−1 data → C = L; q = higher/5 = 0, 1/5, 2/5, 3/5, 4/5 — exact (§6.7), stored as the nearest float.
    for k, (p, q, grade) in enumerate(
        [
            (100.0, Fraction(0), "AAAA"),
            (75.0, Fraction(1, 5), "AAA"),
            (50.0, Fraction(2, 5), "A"),
            (25.0, Fraction(3, 5), "A"),
            (0.0, Fraction(4, 5), "A"),
        ],
        start=1,
    ):
        r = results[k]
        assert r.peer_group == "26"
        assert r.peer_count == 5
        assert r.percentiles == dict.fromkeys(("EL-01", "WR-02", "CP-01", "LI-01", "RH-01"), p)
        assert r.dimension_scores == dict.fromkeys(DIMENSIONS, p)
        assert (r.level_score, r.improvement_score, r.composite, r.q) == (p, None, p, q)
        assert (r.computed_grade, r.grade, r.decided_by) == (grade, grade, "BAND")
        assert r.reasons[1].to_dict() == {"code": "BAND", "grade": grade, "q": float(q), "C": p}
    # Factory 3 ranks inside AA's 60 % quota, but C = 50 is below AA's floor of 55.
    assert codes(results[3]) == ["NO_IMPROVEMENT_SCORE", "BAND", "FLOOR_BLOCK"]
    assert results[3].reasons[2].params == {"grade": "AA", "c_min": 55.0, "C": 50.0}
    # Factory 4 (q = .6) is outside every quota, so no floor is reported as blocking it.
    assert codes(results[4]) == ["NO_IMPROVEMENT_SCORE", "BAND"]


@pytest.mark.parametrize(
    ("eid", "grade", "c_needed", "c_gap", "blocked_by"),
    [
        (1, None, None, None, "TOP_BAND"),
        # AAAA: k/5 < .10 only for k = 0 → must reach the highest other C (100), above the floor 80.
        (2, "AAAA", 100.0, 25.0, None),
        # AA: k ≤ 2 others above → the 3rd highest other C is 25 (f3) or 50 (f4, f5); the floor 55 binds.
        (3, "AA", 55.0, 5.0, None),
        (4, "AA", 55.0, 30.0, None),
        (5, "AA", 55.0, 55.0, None),
    ],
)
def test_next_band_is_the_smallest_rise_in_c_meeting_both_rank_and_floor(
    eid: int, grade: str | None, c_needed: float | None, c_gap: float | None, blocked_by: str | None
) -> None:
    nb = by_id(grade_year(Y, five_ranked(), MINI))[eid].next_band
    assert nb is not None
    assert (nb.grade, nb.c_needed, nb.c_gap, nb.blocked_by) == (grade, c_needed, c_gap, blocked_by)


def test_next_band_when_the_rank_quota_binds_above_the_floor() -> None:
    # Ten factories: C of factory k (1..10) is L = 100·(10−k)/9. Factory 4 (C = 66.67, q = .3) is AA;
    # AAA allows k ≤ 2 others above (2/10 < .3), so it must reach the 3rd highest other C = factory 3's
    # 77.78 — above AAA's floor of 70.
    members = [
        factory(
            k,
            {
                "EL-01": str(k),
                "WR-02": str(100 - k),
                "CP-01": str(k),
                "LI-01": str(20 - k),
                "RH-01": str(50 - k),
            },
        )
        for k in range(1, 11)
    ]
    r = by_id(grade_year(Y, members, MINI))[4]
    assert (r.computed_grade, r.q) == ("AA", Fraction(3, 10))
    assert r.next_band is not None
    assert r.next_band.grade == "AAA"
    assert (r.next_band.c_needed, r.next_band.c_gap) == (Fraction(700, 9), Fraction(100, 9))


def test_equal_composites_do_not_count_as_higher_for_the_next_band() -> None:
    # Five factories all at C = 60: each has q = 0 and is AA (index 2). AAA allows one other above
    # (1/5 < .3); the 2nd highest other C is 60, already reached, so only AAA's floor 70 remains: gap 10.
    sixty = Fraction(60)
    nb = next_band(2, sixty, dict.fromkeys(DIMENSIONS, sixty), [sixty] * 5, 5, MINI.bands)
    assert next_band(2, sixty, dict.fromkeys(DIMENSIONS, sixty), [sixty] * 5, 5, MINI.bands, higher=0) == nb
    assert (nb.grade, nb.c_needed, nb.c_gap, nb.blocked_by) == ("AAA", 70.0, 10.0, None)


@pytest.mark.parametrize(
    ("q", "c", "lowest_d", "grade", "blocks"),
    [
        (0.0, 80.0, 50.0, "AAAA", []),  # every floor met exactly
        (0.0, 79.99, 50.0, "AAA", ["FLOOR_BLOCK:AAAA"]),
        (0.0, 85.0, 49.99, "AAA", ["AAAA_DIMENSION_BLOCK:AAAA"]),
        (0.0, 79.0, 49.0, "AAA", ["FLOOR_BLOCK:AAAA", "AAAA_DIMENSION_BLOCK:AAAA"]),
        (0.0999, 80.0, 50.0, "AAAA", []),
        (0.1, 95.0, 90.0, "AAA", []),  # q must be *below* .10; outside the quota nothing "blocks"
        (0.29, 70.0, 0.0, "AAA", []),
        (0.3, 70.0, 0.0, "AA", []),
        (0.1, 69.99, 0.0, "AA", ["FLOOR_BLOCK:AAA"]),
        (0.59, 55.0, 0.0, "AA", []),
        (0.6, 99.0, 99.0, "A", []),
        (0.0, 54.99, 99.0, "A", ["FLOOR_BLOCK:AAAA", "FLOOR_BLOCK:AAA", "FLOOR_BLOCK:AA"]),
    ],
)
def test_band_is_the_highest_whose_every_condition_holds(
    q: float, c: float, lowest_d: float, grade: str, blocks: list[str]
) -> None:
    # The engine's q, C and D_k are exact: the table's decimals are read as the decimals they are.
    dims = {"energy": Fraction(99), "waste": exact(lowest_d), "clean": Fraction(99)}
    index, reasons = select_band(exact(q), exact(c), dims, DEFAULT_STANDARD.bands)
    assert DEFAULT_STANDARD.bands[index].grade == grade
    assert [f"{r.code}:{r.params['grade']}" for r in reasons] == blocks


def test_tied_factories_share_the_rank_and_both_reach_aaaa() -> None:
    members = five_ranked(f2={"values": ranked(1)})
    results = by_id(grade_year(Y, members, MINI))
    # Factories 1 and 2 tie at the top: W = 3, T = 1 → p = 100·3.5/4 = 87.5; neither is "higher".
    for eid in (1, 2):
        assert results[eid].percentiles["EL-01"] == 87.5
        assert (results[eid].composite, results[eid].q, results[eid].grade) == (87.5, 0.0, "AAAA")
    assert results[3].q == Fraction(2, 5)


def test_indicator_applicable_to_a_single_peer_scores_50_for_it() -> None:
    # Only factory 1 uses main raw materials (RH-01); the others' is n/a: n = 1 → p = 50.
    members = five_ranked(**{f"f{k}": {"values": ranked(k, RH_01=NA)} for k in range(2, 6)})
    results = by_id(grade_year(Y, members, MINI))
    assert results[1].percentiles["RH-01"] == 50.0
    assert results[1].dimension_scores["materials"] == 50.0
    assert results[2].percentiles["RH-01"] is None
    assert "materials" not in results[2].dimension_scores


def test_non_reporter_gets_0_and_counts_as_worse_than_every_reporter() -> None:
    members = five_ranked(f3={"values": ranked(3, EL_01=NR)})
    results = by_id(grade_year(Y, members, MINI))
    # EL-01 (↓): reporters 0.1, 0.2, 0.4, 0.5 plus the non-reporter, n = 5.
    # f1: W = 3 + 1 → 100; f2: 2 + 1 → 75; f4: 1 + 1 → 50; f5: 0 + 1 → 25; f3: 0.
    assert [results[k].percentiles["EL-01"] for k in range(1, 6)] == [100.0, 75.0, 0.0, 50.0, 25.0]
    # f3: energy 0, the other four dimensions 50 → L = (30·0 + 30·50 + 20·50 + 10·50 + 10·50)/100 = 35.
    assert results[3].level_score == 35.0


def test_dimension_without_applicable_indicator_is_left_out_and_weights_renormalise() -> None:
    # Factory 1 has no land indicator (n/a) and the worst green-material rate (5 < 10).
    members = five_ranked(f1={"values": ranked(1, LI_01=NA, RH_01="5")})
    r = by_id(grade_year(Y, members, MINI))[1]
    assert r.percentiles["LI-01"] is None
    assert r.dimension_scores == {"energy": 100.0, "waste": 100.0, "clean": 100.0, "materials": 0.0}
    # L = (30·100 + 30·100 + 20·100 + 10·0) / (30 + 30 + 20 + 10) = 8000/90, not 8000/100.
    assert r.level_score == pytest.approx(8000 / 90, abs=1e-9)


def test_aaaa_needs_every_dimension_at_least_50() -> None:
    members = five_ranked(f1={"values": ranked(1, RH_01="5")})
    r = by_id(grade_year(Y, members, MINI))[1]
    # D = 100 except materials 0 → L = C = 90, q = 0: AAAA by rank and floor, refused by materials.
    assert (r.composite, r.q, r.computed_grade) == (90.0, 0.0, "AAA")
    block = next(x for x in r.reasons if x.code == "AAAA_DIMENSION_BLOCK")
    assert block.params == {"grade": "AAAA", "dimension_min": 50.0, "dimensions": {"materials": 0.0}}
    assert r.next_band is not None
    assert (r.next_band.grade, r.next_band.c_needed, r.next_band.blocked_by) == (
        "AAAA",
        None,
        "DIMENSION_MIN",
    )
    assert r.next_band.blocking_dimensions == ("materials",)


def test_small_division_falls_back_to_every_factory_with_data() -> None:
    members = [
        *five_ranked(),
        factory(6, ranked(3), division="13"),
        factory(7, None, division="13"),  # no verified data: not a peer of anyone
    ]
    results = by_id(grade_year(Y, members, MINI))
    r = results[6]
    assert (r.peer_group, r.peer_count) == (PEER_GROUP_ALL, 6)
    assert r.reasons[0].to_dict() == {
        "code": "PEER_FALLBACK",
        "division": "13",
        "division_count": 1,
        "min_peer": 5,
        "peer_count": 6,
    }
    # Against all six: W = 2 (f4, f5), T = 1 (f3) → p = 100·2.5/5 = 50 in every indicator.
    assert r.percentiles == dict.fromkeys(("EL-01", "WR-02", "CP-01", "LI-01", "RH-01"), 50.0)
    # q among all six by their own C (100, 75, 50, 25, 0, 50): two higher → 2/6; AA's floor blocks.
    assert r.q == pytest.approx(2 / 6)
    assert (r.computed_grade, codes(r)[-1]) == ("A", "FLOOR_BLOCK")
    # Division 26 keeps its own group of five; factory 6 is not its peer.
    assert (results[3].peer_group, results[3].peer_count, results[3].level_score) == ("26", 5, 50.0)


# --- improvement (§6.6) and composite (§6.7) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "direction", "is_percent", "previous", "current", "expected"),
    [
        ("% closes the gap to 100", UP, True, "60", "80", "0.5"),
        ("% small step", UP, True, "80", "84", "0.2"),
        ("% thirds stay exact", UP, True, "70", "80", "1/3"),
        ("% from 100 falls by /100", UP, True, "100", "90", "-0.1"),
        ("% stays at 100", UP, True, "100", "100", "0"),
        # §6.6 (clarified): the % formula is defined at 0 and is not skipped: r = (x_Y − 0) / (100 − 0).
        ("% rising from 0 counts", UP, True, "0", "30", "0.3"),
        ("% staying at 0 counts as no change", UP, True, "0", "0", "0"),
        ("% from 0 to 80 is clipped", UP, True, "0", "80", "0.5"),
        ("% collapse is clipped", UP, True, "50", "0", "-0.5"),
        ("↑ relative rise", UP, False, "2", "2.5", "0.25"),
        ("↑ rise is clipped", UP, False, "1", "3", "0.5"),
        ("↑ from 0 is skipped", UP, False, "0", "1", None),
        ("↓ relative fall is good", DOWN, False, "0.5", "0.4", "0.2"),
        ("↓ doubling is clipped", DOWN, False, "1", "2", "-0.5"),
        ("↓ from 0 is skipped", DOWN, False, "0", "0.3", None),
    ],
)
def test_improvement_rate_follows_section_6_6(
    case: str, direction: Direction, is_percent: bool, previous: str, current: str, expected: str | None
) -> None:
    spec = IndicatorSpec("X", "energy", direction, is_percent)
    rate = improvement_rate(spec, Decimal(current), Decimal(previous), 0.5)
    assert rate == (None if expected is None else Fraction(expected)), case


def test_improvement_lifts_composite_and_can_lift_the_band() -> None:
    # f3 (L = 50): EL-01 0.32 → 0.3: r = 0.02/0.32 = 0.0625; WR-02 68 → 70: r = 2/(100 − 68) = 0.0625;
    # LI-01 unchanged: r = 0; CP-01 not reported last year: skipped. RH-01 (a % indicator) 0 → 30 counts
    # since §6.6 was clarified (it was skipped before): r = 30/100 = 0.3.
    previous = {"EL-01": "0.32", "WR-02": "68", "CP-01": NR, "LI-01": "1.6", "RH-01": "0"}
    r = by_id(grade_year(Y, five_ranked(f3={"previous": previous}), MINI))[3]
    assert r.improvement_rates == {"EL-01": 0.0625, "WR-02": 0.0625, "LI-01": 0, "RH-01": Fraction(3, 10)}
    assert r.dimension_improvement == {
        "energy": 0.0625,
        "waste": 0.0625,
        "land": 0,
        "materials": Fraction(3, 10),
    }
    # G = (30·.0625 + 30·.0625 + 10·0 + 10·.3)/80 = 6.75/80; S = 50 + 500·G = 92.1875;
    # C = .7·50 + .3·S = 62.65625 ≥ 55, exactly.
    assert r.improvement_score == Fraction("92.1875")
    assert r.composite == Fraction("62.65625")
    assert (r.q, r.computed_grade) == (Fraction(2, 5), "AA")


@pytest.mark.parametrize(
    ("previous_el01", "expected_s"),
    [
        ("1.0", 100.0),  # r = 0.7 → 0.5; S = 50 + 250 = 300 → 100
        ("0.15", 0.0),  # r = −1 → −0.5; S = 50 − 250 → 0
        ("0.3", 50.0),  # no change
    ],
)
def test_improvement_score_is_clipped_to_0_100(previous_el01: str, expected_s: float) -> None:
    previous = {"EL-01": previous_el01, "WR-02": NR, "CP-01": NR, "LI-01": NR, "RH-01": NR}
    r = by_id(grade_year(Y, five_ranked(f3={"previous": previous}), MINI))[3]
    assert r.improvement_score == expected_s
    assert r.composite == pytest.approx(0.7 * 50 + 0.3 * expected_s, abs=1e-9)


@pytest.mark.parametrize(
    ("previous", "cause"),
    [
        (None, "no_previous_data"),
        ({"EL-01": NR, "WR-02": NA, "CP-01": "0", "LI-01": NR, "RH-01": NR}, "no_comparable_indicator"),
    ],
)
def test_without_an_improvement_score_composite_equals_level(
    previous: dict[str, str] | None, cause: str
) -> None:
    r = by_id(grade_year(Y, five_ranked(f2={"previous": previous}), MINI))[2]
    assert (r.improvement_score, r.composite, r.level_score) == (None, 75.0, 75.0)
    assert r.reasons[0].to_dict() == {"code": "NO_IMPROVEMENT_SCORE", "cause": cause}


# --- exact scores (§6.7) ------------------------------------------------------------------------------


def by_rank(worse: str, **override: str) -> dict[str, str]:
    """Full-catalogue values of one of five peers from W, the number of peers it beats in each indicator
    (one digit per indicator, catalogue order LI-01 … EL-03): 10 + 10·W for ↑, 50 − 10·W for ↓, so
    p = 25·W. ``override`` sets raw values (LI_01="3.89")."""
    values = {
        spec.code: str(10 + 10 * int(w) if spec.direction == UP else 50 - 10 * int(w))
        for spec, w in zip(DEFAULT_STANDARD.indicators, worse, strict=True)
    }
    values.update({code.replace("_", "-"): raw for code, raw in override.items()})
    return values


# Five factories of division 26 graded by CQ-GF-2024 over the full catalogue (three indicators in every
# dimension but materials, so D_k and L come in thirds). Only LI-01 (↑, relative) has Y−1 data: G = r(LI-01).
TIE = [
    # D = land 200/3, materials 50, clean 175/3, waste 75, energy 75 → L = 205/3;
    # LI-01 3.6 → 3.89: r = 29/360, S = 1625/18; C = .7·205/3 + .3·1625/18 = 899/12.
    factory(1, by_rank("2422232333423", LI_01="3.89"), previous={"LI-01": "3.6"}),
    # D = land 75, materials 100, clean 275/3, waste 200/3, energy 200/3 → L = 455/6;
    # LI-01 9 → 9.41: r = 41/900, S = 655/9; C = .7·455/6 + .3·655/9 = 899/12.
    factory(2, by_rank("4234443242242", LI_01="9.41"), previous={"LI-01": "9"}),
    # L = 485/6; LI-01 doubles: r clipped to 0.5, S = 100, C = .7·485/6 + 30 ≈ 86.58: the one above.
    factory(3, by_rank("3343324424334", LI_01="5"), previous={"LI-01": "2.5"}),
    factory(4, by_rank("1110010110110", LI_01="2")),  # C = L = 85/6
    factory(5, by_rank("0001101001001", LI_01="1")),  # C = L = 65/6
]
EXACTLY_55 = [
    # D = land 75, materials 75, clean 175/3, waste 175/3, energy 175/3 → L = 185/3;
    # LI-01 9 → 8.81: r = −19/900, S = 355/9; C = .7·185/3 + .3·355/9 = 495/9 = 55 exactly.
    factory(1, by_rank("1443421223232", LI_01="8.81"), previous={"LI-01": "9"}),
    factory(2, by_rank("3021004440121", LI_01="15")),  # C = L = 130/3
    factory(3, by_rank("4104242004344", LI_01="20")),  # C = L = 65: the one above
    factory(4, by_rank("0210110331410", LI_01="5")),  # C = L = 215/6
    factory(5, by_rank("2332333112003", LI_01="10")),  # C = L = 265/6
]
JUST_BELOW_55 = [
    # D = land 125/3, materials 25, clean 125/3, waste 200/3, energy 200/3 → L = 55 exactly;
    # LI-01 500000 → 504999.999999: r = 0.01 − 2·10⁻¹², S = 54.999999999; C = 55 − 3·10⁻¹⁰.
    factory(1, by_rank("4101302341431", LI_01="504999.999999"), previous={"LI-01": "500000"}),
    factory(2, by_rank("2340233413022")),  # C = L = 305/6
    factory(3, by_rank("1022421032243")),  # C = L = 325/6
    factory(4, by_rank("3434114220100")),  # C = L = 245/6
    factory(5, by_rank("0213040104314")),  # C = L = 295/6
]

# Each case: the factories, and for some of them the exact C, the exact q and the computed grade.
EXACT_CASES = [
    pytest.param(
        TIE,
        # One factory above each, q = 1/5 < 0.30 and C ≥ 70 → both AAA. Rounding D_k, L, S and C to 9 dp
        # along their own paths made factory 1's C 74.916666666 and factory 2's 74.916666667, so factory 2
        # counted as higher than factory 1 (q = 2/5 → AA): the split of issue 12.
        {
            1: (Fraction(899, 12), Fraction(1, 5), "AAA"),
            2: (Fraction(899, 12), Fraction(1, 5), "AAA"),
            3: (Fraction(7, 10) * Fraction(485, 6) + 30, Fraction(0), "AAAA"),
        },
        id="two factories with C = 899 over 12 through different D_k tie",
    ),
    pytest.param(
        EXACTLY_55,
        # q = 1/5 and C = 55 meets AA's floor (AAA's 70 blocks). The rounded path made C 54.999999999: A.
        {1: (Fraction(55), Fraction(1, 5), "AA")},
        id="C exactly 55 through thirds meets the AA floor",
    ),
    pytest.param(
        JUST_BELOW_55,
        # First of five (q = 0), but C is below every floor: A. Rounding C to 9 dp lifted it to 55.0: AA.
        {1: (Fraction(55) - Fraction(3, 10**10), Fraction(0), "A")},
        id="C a hair below 55 is not lifted over the AA floor",
    ),
]


@pytest.mark.parametrize(("members", "expected"), EXACT_CASES)
def test_bands_follow_the_exact_composite(
    members: list[FactoryInput], expected: dict[int, tuple[Fraction, Fraction, str]]
) -> None:
    results = by_id(grade_year(Y, members, DEFAULT_STANDARD))
    got = {eid: (results[eid].composite, results[eid].q, results[eid].computed_grade) for eid in expected}
    assert got == expected


def test_tied_factories_have_different_dimension_scores_and_the_same_stored_figures() -> None:
    results = by_id(grade_year(Y, TIE, DEFAULT_STANDARD))
    first, second = results[1], results[2]
    assert first.dimension_scores != second.dimension_scores
    assert (first.level_score, second.level_score) == (Fraction(205, 3), Fraction(455, 6))
    stored = [result_to_dict(r) for r in (first, second)]
    # One rendering of one exact value: the tie is visible in what the run stores and shows.
    assert [d["composite"] for d in stored] == [74.916666667, 74.916666667]
    assert [d["q"] for d in stored] == [0.2, 0.2]
    assert [r.reasons[-1].to_dict() for r in (first, second)] == [
        {"code": "BAND", "grade": "AAA", "q": 0.2, "C": 74.916666667}
    ] * 2


def test_a_floor_block_reports_the_rendered_exact_composite() -> None:
    r = by_id(grade_year(Y, JUST_BELOW_55, DEFAULT_STANDARD))[1]
    # 55 − 3·10⁻¹⁰ renders as 55.0 at 9 dp; the band was decided on the exact value.
    assert [x.to_dict() for x in r.reasons if x.code == "FLOOR_BLOCK"][-1] == {
        "code": "FLOOR_BLOCK",
        "grade": "AA",
        "c_min": 55.0,
        "C": 55.0,
    }
    assert r.next_band is not None
    assert (r.next_band.grade, r.next_band.c_gap) == ("AA", Fraction(3, 10**10))


def test_a_percent_indicator_rising_from_0_counts_in_the_improvement_rate() -> None:
    # §6.6 (clarified): f3's renewable share RH-01 (a % indicator) was 0 last year and is 30 now:
    # r = (30 − 0)/(100 − 0) = 0.3 — the only rate, so G = 0.3, S = 50 + 150 = 200 → 100, C = .7·50 + 30.
    previous = {"EL-01": NR, "WR-02": NR, "CP-01": NR, "LI-01": NR, "RH-01": "0"}
    r = by_id(grade_year(Y, five_ranked(f3={"previous": previous}), MINI))[3]
    assert r.improvement_rates == {"RH-01": Fraction(3, 10)}
    assert (r.improvement_score, r.composite) == (100, 65)
    assert "NO_IMPROVEMENT_SCORE" not in codes(r)


def test_a_relative_indicator_from_0_is_still_skipped() -> None:
    # LI-01 (↑, not %) and EL-01 (↓) have no relative change from 0: no rate, so no S and C = L.
    previous = {"EL-01": "0", "WR-02": NR, "CP-01": NR, "LI-01": "0", "RH-01": NR}
    r = by_id(grade_year(Y, five_ranked(f3={"previous": previous}), MINI))[3]
    assert (r.improvement_rates, r.improvement_score, r.composite) == ({}, None, 50)
    assert r.reasons[0].to_dict() == {"code": "NO_IMPROVEMENT_SCORE", "cause": "no_comparable_indicator"}


# --- overrides (§6.9) ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tier", "recognized_year", "grade", "decided_by"),
    [
        ("city", Y, "A", "FIRST_YEAR"),
        ("city", Y - 1, "AAAA", "BAND"),
        ("national", Y, "AAAA", "BAND"),  # Art. 7 speaks of newly created *city-level* factories
    ],
)
def test_first_year_city_factory_is_graded_a_and_still_shows_its_composite(
    tier: str, recognized_year: int, grade: str, decided_by: str
) -> None:
    r = by_id(grade_year(Y, five_ranked(f1={"tier": tier, "recognized_year": recognized_year}), MINI))[1]
    assert (r.computed_grade, r.composite, r.grade, r.decided_by) == ("AAAA", 100.0, grade, decided_by)


@pytest.mark.parametrize(
    ("previous_grade", "previous_no_data", "grade", "revoke", "reason_codes"),
    [
        ("AAAA", False, "AAA", False, ["NO_DATA_DOWNGRADE"]),
        ("AAA", False, "AA", False, ["NO_DATA_DOWNGRADE"]),
        ("A", False, "A", False, ["NO_DATA_DOWNGRADE"]),
        (None, False, "A", False, ["NO_DATA_NO_PREVIOUS_GRADE"]),
        ("AA", True, "A", True, ["NO_DATA_SECOND_YEAR_REVOKE", "NO_DATA_DOWNGRADE"]),
    ],
)
def test_factory_without_verified_data_drops_one_band_and_a_second_year_proposes_revocation(
    previous_grade: str | None, previous_no_data: bool, grade: str, revoke: bool, reason_codes: list[str]
) -> None:
    members = [
        *five_ranked(),
        factory(9, None, previous_grade=previous_grade, previous_no_data=previous_no_data),
    ]
    results = by_id(grade_year(Y, members, MINI))
    r = results[9]
    assert (r.grade, r.revocation_proposed, r.flags) == (grade, revoke, (FLAG_NO_DATA,))
    assert codes(r) == reason_codes
    assert (r.computed_grade, r.composite, r.peer_group, r.peer_count, r.next_band) == (
        None,
        None,
        None,
        0,
        None,
    )
    # It is nobody's peer: division 26 still has n = 5.
    assert results[1].peer_count == 5


def test_first_year_factory_without_data_is_a_and_flagged() -> None:
    r = grade_year(Y, [factory(1, None, tier="city", recognized_year=Y)], MINI)[0]
    assert (r.grade, r.flags, r.revocation_proposed) == ("A", (FLAG_NO_DATA,), False)
    assert codes(r) == ["FIRST_YEAR", "NO_DATA_FIRST_YEAR"]


def incident(kind: str, severity: str, id: int = 1) -> IncidentInput:
    return IncidentInput(kind=kind, severity=severity, id=id)


@pytest.mark.parametrize(
    ("incidents", "grade", "revoke", "reason_codes"),
    [
        ([incident("environmental", "general")], "AAA", False, ["INCIDENT_GENERAL_DOWN"]),
        (
            [incident("safety", "general"), incident("quality", "general", 2)],
            "AA",
            False,
            ["INCIDENT_GENERAL_DOWN"] * 2,
        ),
        ([incident("safety", "general", i) for i in range(5)], "A", False, ["INCIDENT_GENERAL_DOWN"] * 5),
        ([incident("quality", "large")], "A", False, ["INCIDENT_LARGE_CAP"]),
        ([incident("safety", "major")], "AAAA", True, ["INCIDENT_REVOKE"]),
        ([incident("environmental", "especially_major")], "AAAA", True, ["INCIDENT_REVOKE"]),
        ([incident("falsification", "general")], "AAAA", True, ["INCIDENT_REVOKE"]),
        (
            [incident("falsification", "large"), incident("safety", "general", 2)],
            "AAA",
            True,
            ["INCIDENT_REVOKE", "INCIDENT_GENERAL_DOWN"],
        ),
    ],
)
def test_incidents_of_the_year_lower_cap_or_propose_revocation(
    incidents: list[IncidentInput], grade: str, revoke: bool, reason_codes: list[str]
) -> None:
    r = by_id(grade_year(Y, five_ranked(f1={"incidents": tuple(incidents)}), MINI))[1]
    assert (r.computed_grade, r.grade, r.revocation_proposed) == ("AAAA", grade, revoke)
    assert codes(r)[-len(reason_codes) :] == reason_codes


def test_incident_reason_records_the_move() -> None:
    r = by_id(grade_year(Y, five_ranked(f2={"incidents": (incident("safety", "general", 42),)}), MINI))[2]
    assert r.reasons[-1].to_dict() == {
        "code": "INCIDENT_GENERAL_DOWN",
        "incident_id": 42,
        "kind": "safety",
        "severity": "general",
        "from": "AAA",
        "to": "AA",
    }
    assert r.decided_by == "INCIDENT_GENERAL_DOWN"


def test_general_incident_cannot_take_a_first_year_factory_below_a() -> None:
    f1 = {"tier": "city", "recognized_year": Y, "incidents": (incident("safety", "general"),)}
    r = by_id(grade_year(Y, five_ranked(f1=f1), MINI))[1]
    assert (r.grade, codes(r)[-2:]) == ("A", ["FIRST_YEAR", "INCIDENT_GENERAL_DOWN"])


def test_incident_applies_after_the_no_data_downgrade() -> None:
    member = factory(9, None, previous_grade="AAA", incidents=(incident("quality", "general"),))
    assert grade_year(Y, [member], MINI)[0].grade == "A"  # AAA → AA (no data) → A (incident)


# --- run properties, JSON and validation --------------------------------------------------------------


def test_results_are_ordered_by_enterprise_id_and_do_not_depend_on_input_order() -> None:
    members = [*five_ranked(), factory(6, ranked(2), division="13"), factory(7, None, previous_grade="AA")]
    shuffled = members[:]
    random.Random(7).shuffle(shuffled)
    first, second = grade_year(Y, members, MINI), grade_year(Y, shuffled, MINI)
    assert [r.enterprise_id for r in first] == [1, 2, 3, 4, 5, 6, 7]
    assert first == second


def test_default_standard_is_cq_gf_2024_over_the_full_catalogue() -> None:
    s = DEFAULT_STANDARD
    assert (s.code, s.catalogue_version, s.alpha, s.min_peer) == ("CQ-GF-2024", "GBT36132-2018", 0.7, 5)
    assert dict(s.weights) == {"energy": 30, "waste": 30, "clean": 20, "land": 10, "materials": 10}
    assert s.bands == (
        Band("AAAA", 0.10, 80.0, 50.0),
        Band("AAA", 0.30, 70.0),
        Band("AA", 0.60, 55.0),
        Band("A"),
    )
    assert [spec.code for spec in s.indicators if spec.is_percent] == [
        "LI-02",
        "RH-01",
        "WR-02",
        "WR-03",
        "EL-03",
    ]


def test_standard_round_trips_through_json() -> None:
    stored = json.loads(json.dumps(standard_to_dict(DEFAULT_STANDARD)))
    assert standard_from_dict(stored) == DEFAULT_STANDARD


def test_result_round_trips_through_json() -> None:
    members = [*five_ranked(f1={"values": ranked(1, RH_01="5")}), factory(9, None, previous_grade="AA")]
    for result in grade_year(Y, members, MINI):
        stored = result_to_dict(result)
        assert json.loads(json.dumps(stored, allow_nan=False)) == stored
    assert stored["flags"] == ["no_data"]


def test_the_full_catalogue_grades_derived_indicators() -> None:
    codes_2018 = [spec.code for spec in DEFAULT_STANDARD.indicators]
    members = [factory(k, dict.fromkeys(codes_2018, str(k)), division="31") for k in range(1, 6)]
    results = grade_year(Y, members, DEFAULT_STANDARD)
    # Same value k everywhere: ↑ indicators favour factory 5, ↓ ones factory 1, so every D_k differs.
    assert [r.peer_count for r in results] == [5] * 5
    assert results[0].dimension_scores["clean"] == 100.0  # three ↓ indicators
    assert results[0].dimension_scores["land"] == 0.0  # three ↑ indicators


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"bands": ()}, "at least one band"),
        ({"bands": (Band("AAAA", 0.1, 80.0), Band("A", 0.5))}, "lowest band must have no condition"),
        ({"alpha": 1.5}, "alpha"),
        ({"min_peer": 0}, "min_peer"),
        ({"weights": {"energy": 30.0}}, "needs a positive weight"),
        ({"severity_effects": {}}, "severity_effects"),
    ],
)
def test_standard_refuses_inconsistent_parameters(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        replace(DEFAULT_STANDARD, **change)


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ([factory(1, None), factory(1, None)], "appears twice"),
        ([factory(1, None, previous_grade="B")], "previous grade"),
        ([factory(1, None, tier="district")], "tier"),
        ([factory(1, None, incidents=(incident("fire", "general"),))], "unknown incident"),
    ],
)
def test_grade_year_refuses_malformed_inputs(members: list[FactoryInput], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        grade_year(Y, members, MINI)
