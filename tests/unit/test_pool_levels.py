"""The §7 pool level engine: percentiles against green factories, B/C/D rules and the gap to B."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pytest

from cultivation.levels import (
    DEFAULT_POOL_STANDARD,
    BenchmarkFactory,
    LevelResult,
    PoolLevel,
    PoolMemberInput,
    PoolStandard,
    benchmark_percentile,
    classify_level,
    compute_levels,
    level_result_to_dict,
    pool_standard_from_dict,
    pool_standard_to_dict,
)
from factories.indicators import Direction
from factories.scoring import PEER_GROUP_ALL, IndicatorSpec, build_column
from tests.unit.readings import DOWN, NA, NR, UP, Y, reading, readings

B, C, D = PoolLevel.B_ELIGIBLE, PoolLevel.C, PoolLevel.D


# One indicator per dimension keeps D_k = p, so every expected number below is worked out by hand.
MINI = PoolStandard(
    code="TEST-CULT",
    version=1,
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
    """Values of the k-th best of five green factories in every indicator (k = 1 best … 5 worst)."""
    values = {
        "EL-01": f"{0.1 * k:.1f}",
        "WR-02": str(100 - 10 * k),
        "CP-01": str(k),
        "LI-01": f"{2.2 - 0.2 * k:.1f}",
        "RH-01": str(60 - 10 * k),
    }
    values.update({code.replace("_", "-"): raw for code, raw in override.items()})
    return values


def green(eid: int, values: Mapping[str, str] | None, division: str = "26") -> BenchmarkFactory:
    return BenchmarkFactory(eid, division, None if values is None else readings(values))


def five_green(division: str = "26", first_id: int = 1) -> list[BenchmarkFactory]:
    return [green(first_id + k - 1, ranked(k), division) for k in range(1, 6)]


def member(
    eid: int,
    values: Mapping[str, str] | None,
    *,
    division: str = "26",
    supervised: bool = True,
    guided: bool = True,
    has_plan: bool = True,
) -> PoolMemberInput:
    return PoolMemberInput(
        eid, division, None if values is None else readings(values), supervised, guided, has_plan
    )


def only(results: list[LevelResult]) -> LevelResult:
    assert len(results) == 1
    return results[0]


def codes(result: LevelResult) -> list[str]:
    return [r.code for r in result.reasons]


# --- percentile against the benchmark -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "benchmark", "direction", "x", "expected"),
    [
        # n = 5 (four reporters and a non-reporter); the non-reporter is worse than any value.
        ("between ties", ["10", "20", "20", "30", NR], UP, "20", 100 * (2 + 0.5 * 2) / 5),
        ("worst reporter still beats a non-reporter", ["10", "20", "20", "30", NR], UP, "5", 20.0),
        ("best of all", ["10", "20", "20", "30", NR], UP, "35", 100.0),
        ("tied with the best", ["10", "20", "20", "30", NR], UP, "30", 90.0),
        ("lower is better for ↓", ["10", "20", "30"], DOWN, "20", 50.0),
        ("tied with the best for ↓", ["10", "20", "30"], DOWN, "10", 100 * 2.5 / 3),
        ("n/a green factories are not counted", [NA, "10"], UP, "10", 50.0),
        ("member did not report", ["10", "20"], UP, NR, 0.0),
        ("member's indicator missing from its mapping", ["10", "20"], UP, None, 0.0),
        ("member's indicator not applicable", ["10", "20"], UP, NA, None),
        ("no green factory has it applicable", [NA, NA], UP, "10", None),
        ("not reported even without benchmark", [NA], UP, NR, 0.0),
    ],
)
def test_benchmark_percentile_follows_section_7(
    case: str, benchmark: list[str], direction: Direction, x: str | None, expected: float | None
) -> None:
    column = build_column([reading("X", raw) for raw in benchmark], direction)
    p = benchmark_percentile(column, reading("X", x))
    assert p == (None if expected is None else pytest.approx(expected)), case


# --- the level rules ----------------------------------------------------------------------------------

ALL_50 = dict.fromkeys(DIMENSIONS, 50.0)


@pytest.mark.parametrize(
    ("case", "flags", "dims", "level_score", "level", "reason_codes"),
    [
        ("every floor met exactly", (True, True, True), ALL_50, 50.0, B, []),
        ("B does not need a plan", (True, True, False), ALL_50, 50.0, B, []),
        (
            "a dimension at 49.99",
            (True, True, True),
            {**ALL_50, "energy": 49.99},
            60.0,
            C,
            ["DIMENSION_BELOW_B"],
        ),
        ("L at 49.99", (True, True, True), ALL_50, 49.99, C, ["LEVEL_BELOW_B"]),
        (
            "far below B is still C",
            (True, True, True),
            {"energy": 10.0},
            10.0,
            C,
            ["DIMENSION_BELOW_B", "LEVEL_BELOW_B"],
        ),
        (
            "no plan and below B",
            (True, True, False),
            {"energy": 40.0},
            40.0,
            D,
            ["DIMENSION_BELOW_B", "LEVEL_BELOW_B", "NO_PLAN"],
        ),
        ("not supervised", (False, True, True), {"energy": 90.0}, 90.0, D, ["NOT_SUPERVISED"]),
        ("not guided", (True, False, True), {"energy": 90.0}, 90.0, D, ["NOT_GUIDED"]),
        (
            "only willing",
            (False, False, False),
            {"energy": 90.0},
            90.0,
            D,
            ["NOT_SUPERVISED", "NOT_GUIDED", "NO_PLAN"],
        ),
        ("no score at all", (True, True, True), {}, None, D, []),
    ],
)
def test_level_is_the_highest_whose_conditions_hold(
    case: str,
    flags: tuple[bool, bool, bool],
    dims: dict[str, float],
    level_score: float | None,
    level: PoolLevel,
    reason_codes: list[str],
) -> None:
    supervised, guided, has_plan = flags
    got, reasons = classify_level(
        supervised=supervised,
        guided=guided,
        has_plan=has_plan,
        dimension_scores=dims,
        level_score=level_score,
        standard=DEFAULT_POOL_STANDARD,
    )
    assert (got, [r.code for r in reasons]) == (level, reason_codes), case


def test_shortfalls_state_the_gap_to_the_floor() -> None:
    _, reasons = classify_level(
        supervised=True,
        guided=True,
        has_plan=True,
        dimension_scores={"energy": 49.99, "waste": 80.0},
        level_score=47.0,
        standard=DEFAULT_POOL_STANDARD,
    )
    assert [r.to_dict() for r in reasons] == [
        {"code": "DIMENSION_BELOW_B", "dimension": "energy", "D": 49.99, "min": 50.0, "gap": 0.01},
        {"code": "LEVEL_BELOW_B", "L": 47.0, "min": 50.0, "gap": 3.0},
    ]


@pytest.mark.parametrize(("level_score", "level"), [(30.0, C), (29.99, D)])
def test_district_c_floor_is_inclusive(level_score: float, level: PoolLevel) -> None:
    standard = replace(DEFAULT_POOL_STANDARD, c_level_min=30.0)
    got, reasons = classify_level(
        supervised=True,
        guided=True,
        has_plan=True,
        dimension_scores={"energy": level_score},
        level_score=level_score,
        standard=standard,
    )
    assert got == level
    assert ("LEVEL_BELOW_C" in [r.code for r in reasons]) is (level == D)


# --- the yearly computation ---------------------------------------------------------------------------


def test_member_tied_with_the_median_green_factory_scores_exactly_50_and_is_b_eligible() -> None:
    r = only(compute_levels(Y, [member(101, ranked(3))], five_green(), MINI))
    # Against the five green factories of division 26: W = 2, T = 1 → p = 100·2.5/5 = 50 everywhere.
    assert (r.benchmark_group, r.benchmark_count) == ("26", 5)
    assert r.dimension_scores == dict.fromkeys(DIMENSIONS, 50.0)
    assert (r.level_score, r.level, r.level_gap) == (50.0, B, 0.0)
    assert r.dimension_gaps == dict.fromkeys(DIMENSIONS, 0.0)
    assert codes(r) == ["LEVEL"]


def test_member_below_b_gets_a_gap_checklist() -> None:
    # EL-01 (↓) 0.300001 is just worse than the median factory's 0.3: W = 2 → p = 40.
    r = only(compute_levels(Y, [member(102, ranked(3, EL_01="0.300001"))], five_green(), MINI))
    assert r.dimension_scores["energy"] == 40.0
    # L = (30·40 + 30·50 + 20·50 + 10·50 + 10·50)/100 = 47.
    assert (r.level_score, r.level) == (47.0, C)
    assert r.dimension_gaps == {**dict.fromkeys(DIMENSIONS, 0.0), "energy": 10.0}
    assert r.level_gap == 3.0
    assert codes(r) == ["LEVEL", "DIMENSION_BELOW_B", "LEVEL_BELOW_B"]


def test_level_of_exactly_50_is_not_failed_by_binary_rounding() -> None:
    # Three green factories (below 5: all of them). Member p: energy 0, waste 50, clean 83.33 (tied with
    # the best: 100·2.5/3), land 100, materials 83.33. L = (0 + 1500 + 5000/3 + 1000 + 2500/3)/100 = 50
    # exactly, which plain floating point computes as 49.99999999999999.
    benchmark = [
        green(1, {"EL-01": "0.1", "WR-02": "60", "CP-01": "1", "LI-01": "1.0", "RH-01": "10"}),
        green(2, {"EL-01": "0.2", "WR-02": "70", "CP-01": "2", "LI-01": "1.2", "RH-01": "20"}),
        green(3, {"EL-01": "0.3", "WR-02": "80", "CP-01": "3", "LI-01": "1.4", "RH-01": "30"}),
    ]
    values = {"EL-01": "0.4", "WR-02": "70", "CP-01": "1", "LI-01": "1.5", "RH-01": "30"}
    lenient = replace(MINI, b_dimension_min=0.0)
    r = only(compute_levels(Y, [member(103, values)], benchmark, lenient))
    assert r.percentiles["EL-01"] == 0.0
    assert r.percentiles["CP-01"] == pytest.approx(250 / 3)
    assert (r.level_score, r.level) == (50.0, B)


@pytest.mark.parametrize(
    ("own_division_size", "group", "count", "p"),
    [
        # 4 green factories in division 13 (ranked 1–4) + 5 in 26: the member is compared with all 9;
        # ranked(3) beats ranked(4) ×2 and ranked(5), ties ranked(3) ×2: p = 100·(3 + 1)/9.
        (4, PEER_GROUP_ALL, 9, 400 / 9),
        # 5 in division 13: its own group; W = 2, T = 1 → 50.
        (5, "13", 5, 50.0),
    ],
)
def test_benchmark_falls_back_to_all_green_factories_below_5_in_the_division(
    own_division_size: int, group: str, count: int, p: float
) -> None:
    benchmark = [*five_green("26"), *five_green("13", first_id=11)[:own_division_size]]
    r = only(compute_levels(Y, [member(104, ranked(3), division="13")], benchmark, MINI))
    assert (r.benchmark_group, r.benchmark_count) == (group, count)
    assert r.percentiles["EL-01"] == pytest.approx(p)
    fallback = [x.to_dict() for x in r.reasons if x.code == "BENCHMARK_FALLBACK"]
    expected = {
        "code": "BENCHMARK_FALLBACK",
        "division": "13",
        "division_count": 4,
        "min_benchmark": 5,
        "benchmark_count": 9,
    }
    assert fallback == ([expected] if group == PEER_GROUP_ALL else [])


def test_green_factories_without_verified_data_are_not_benchmarks() -> None:
    benchmark = [*five_green(), green(6, None), green(7, None)]
    r = only(compute_levels(Y, [member(101, ranked(3))], benchmark, MINI))
    assert (r.benchmark_group, r.benchmark_count, r.level_score) == ("26", 5, 50.0)


def test_green_factory_that_did_not_report_counts_as_worse_than_the_member() -> None:
    benchmark = [green(k, ranked(k, EL_01=NR) if k == 3 else ranked(k)) for k in range(1, 6)]
    r = only(compute_levels(Y, [member(101, ranked(3))], benchmark, MINI))
    # EL-01: reporters 0.1, 0.2, 0.4, 0.5 and one non-reporter; member 0.3: W = 2 + 1 → p = 60.
    assert r.percentiles["EL-01"] == 60.0


def test_member_non_reported_indicator_scores_0_and_not_applicable_one_is_left_out() -> None:
    values = ranked(3, EL_01=NR, LI_01=NA)
    r = only(compute_levels(Y, [member(101, values)], five_green(), MINI))
    assert (r.percentiles["EL-01"], r.percentiles["LI-01"]) == (0.0, None)
    assert r.dimension_scores == {"energy": 0.0, "waste": 50.0, "clean": 50.0, "materials": 50.0}
    # L = (30·0 + 30·50 + 20·50 + 10·50)/90 = 3000/90: the land weight drops out.
    assert r.level_score == pytest.approx(3000 / 90, abs=1e-9)
    assert "land" not in r.dimension_gaps


def test_indicator_no_green_factory_has_is_left_out_and_named() -> None:
    benchmark = [green(k, ranked(k, RH_01=NA)) for k in range(1, 6)]
    r = only(compute_levels(Y, [member(101, ranked(3))], benchmark, MINI))
    assert r.percentiles["RH-01"] is None
    assert "materials" not in r.dimension_scores
    assert r.reasons[0].to_dict() == {"code": "INDICATOR_NO_BENCHMARK", "indicators": ["RH-01"]}


@pytest.mark.parametrize(
    ("members", "benchmark", "cause"),
    [
        ([member(101, None)], five_green(), "NO_DATA"),
        ([member(101, ranked(3))], [], "NO_BENCHMARK"),
        ([member(101, ranked(3))], [green(1, None)], "NO_BENCHMARK"),
        (
            [member(101, dict.fromkeys(ranked(3), NA))],
            five_green(),
            "NO_SCORE",
        ),
    ],
)
def test_member_without_a_score_is_d_even_when_supervised_guided_and_planned(
    members: list[PoolMemberInput], benchmark: list[BenchmarkFactory], cause: str
) -> None:
    r = only(compute_levels(Y, members, benchmark, MINI))
    assert (r.level, r.level_score, r.level_gap, dict(r.dimension_gaps)) == (D, None, None, {})
    assert codes(r) == [cause, "LEVEL"]


def test_results_are_ordered_by_enterprise_id() -> None:
    members = [member(303, ranked(2)), member(101, ranked(3)), member(202, None)]
    assert [r.enterprise_id for r in compute_levels(Y, members, five_green(), MINI)] == [101, 202, 303]


def test_duplicate_members_are_refused() -> None:
    with pytest.raises(ValueError, match="appears twice"):
        compute_levels(Y, [member(1, None), member(1, None)], [], MINI)


def test_default_pool_standard_is_the_city_template() -> None:
    s = DEFAULT_POOL_STANDARD
    assert (s.code, s.b_dimension_min, s.b_level_min, s.c_level_min, s.min_benchmark) == (
        "CQ-CULT-2024",
        50.0,
        50.0,
        0.0,
        5,
    )
    assert len(s.indicators) == 13


def test_pool_standard_round_trips_through_json_and_fills_template_defaults() -> None:
    stored = json.loads(json.dumps(pool_standard_to_dict(DEFAULT_POOL_STANDARD)))
    assert pool_standard_from_dict(stored) == DEFAULT_POOL_STANDARD
    district: dict[str, Any] = {"code": "500103-CULT", "version": 2, "b_level_min": 60}
    assert pool_standard_from_dict(district) == replace(
        DEFAULT_POOL_STANDARD, code="500103-CULT", version=2, b_level_min=60.0
    )
    with pytest.raises(ValueError, match="lack 'version'"):
        pool_standard_from_dict({"code": "X"})


def test_level_result_is_json_safe() -> None:
    members = [member(101, ranked(3)), member(102, ranked(4)), member(103, None)]
    for result in compute_levels(Y, members, five_green(), MINI):
        stored = level_result_to_dict(result)
        assert json.loads(json.dumps(stored, allow_nan=False)) == stored
    assert stored["level"] == "D"
