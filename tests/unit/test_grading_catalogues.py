"""The §6 engine on the draft CQ-GF-2026 and the GBT36132-2025 catalogue (§4b), from values built by hand."""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from factories.grading.engine import FactoryInput, grade_year, previous_codes
from factories.grading.standard import (
    DEFAULT_STANDARD,
    DRAFT_2026_CATALOGUE,
    DRAFT_2026_CODE,
    DRAFT_2026_WEIGHTS,
    specs_from_catalogue_data,
    standard_from_dict,
    standard_on_catalogue,
    standard_to_dict,
)
from factories.indicators import Direction, IndicatorValue, Status
from factories.scoring import DEFAULT_INDICATORS

CATALOGUES = Path(__file__).resolve().parents[2] / "factories" / "data" / "catalogues"


def catalogue_data(code: str) -> dict[str, Any]:
    return json.loads((CATALOGUES / f"{code}.json").read_text(encoding="utf-8"))


SPECS_2025 = specs_from_catalogue_data(catalogue_data(DRAFT_2026_CATALOGUE)["indicators"])
CQ_GF_2026 = standard_on_catalogue(
    DEFAULT_STANDARD,
    code=DRAFT_2026_CODE,
    version=1,
    catalogue_version=DRAFT_2026_CATALOGUE,
    weights=DRAFT_2026_WEIGHTS,
    indicators=SPECS_2025,
)
SECOND = {"energy", "resources"}  # the dimensions in which factory 1 leads in the tables below


def values(good: bool, dimensions: set[str]) -> dict[str, IndicatorValue]:
    """Every 2025 indicator reported: the better value in ``dimensions`` when ``good``, else the worse."""
    out = {}
    for spec in SPECS_2025:
        better = good == (spec.dimension in dimensions)
        high = better == (spec.direction == Direction.UP)
        out[spec.code] = IndicatorValue(spec.code, Status.OK, Decimal(2 if high else 1))
    return out


def ok(**by_code: str) -> dict[str, IndicatorValue]:
    """Reported values, keyed EL_01= for EL-01."""
    return {
        code.replace("_", "-"): IndicatorValue(code.replace("_", "-"), Status.OK, Decimal(value))
        for code, value in by_code.items()
    }


def member(
    eid: int,
    indicators: dict[str, IndicatorValue],
    previous_indicators: dict[str, IndicatorValue] | None = None,
    previous_catalogue: str | None = None,
) -> FactoryInput:
    return FactoryInput(
        enterprise_id=eid,
        division="26",
        tier="national",
        recognized_year=2020,
        indicators=indicators,
        previous_indicators=previous_indicators,
        previous_catalogue=previous_catalogue,
    )


def test_the_2018_code_catalogue_and_its_data_give_the_same_specs() -> None:
    assert specs_from_catalogue_data(catalogue_data("GBT36132-2018")["indicators"]) == DEFAULT_INDICATORS


def test_cq_gf_2026_weighs_the_five_2025_dimensions_as_domain_4b() -> None:
    assert dict(CQ_GF_2026.weights) == {"energy": 30, "resources": 30, "clean": 16, "products": 16, "land": 8}
    assert {s.dimension for s in CQ_GF_2026.indicators} == set(CQ_GF_2026.weights)
    assert [s.code for s in CQ_GF_2026.indicators][:4] == ["EN-01", "EN-02", "EN-03", "EN-04"]
    assert standard_from_dict(standard_to_dict(CQ_GF_2026)) == CQ_GF_2026


def test_a_2018_standard_stores_its_indicators_exactly_as_before() -> None:
    stored = standard_to_dict(DEFAULT_STANDARD)["indicators"]
    assert all(set(item) == {"code", "dimension", "direction", "is_percent"} for item in stored)


def test_a_2025_year_is_graded_on_the_2025_dimensions_with_the_2026_weights() -> None:
    # Two peers: the leader of an indicator has p = 100, the other 0; factory 1 leads in energy and
    # resources (30 + 30), factory 2 in clean, products and land (16 + 16 + 8).
    first = member(1, values(True, SECOND))
    second = member(2, values(False, SECOND))
    one, two = grade_year(2026, [first, second], CQ_GF_2026)
    assert one.dimension_scores == {"energy": 100, "resources": 100, "clean": 0, "products": 0, "land": 0}
    assert one.level_score == 60 and two.level_score == 40
    assert set(one.percentiles) == {s.code for s in SPECS_2025}


def test_the_improvement_rate_follows_same_as_across_the_change_of_catalogue() -> None:
    previous_2018 = ok(EL_01="0.5", EL_02="1", WR_02="50", LI_01="1", LI_02="40", LI_03="100", EL_03="10")
    current = {
        **values(True, SECOND),
        **ok(EN_01="0.49", EN_02="0.99", RE_03="51", LA_01="101", LA_02="40.6", LA_03="1.01", EN_03="20"),
    }
    f = member(1, current, previous_indicators=previous_2018, previous_catalogue="GBT36132-2018")
    (result,) = grade_year(2026, [f], CQ_GF_2026)
    # EN-01 ↓ (0.5 − 0.49)/0.5; EN-02 ↓ 0.01/1; RE-03 % (51 − 50)/(100 − 50); LA-01 1/100;
    # LA-02 % 0.6/60; LA-03 0.01/1. EN-03 continues nothing of 2018 (EL-03 is another measure): no r.
    assert result.improvement_rates == {
        "EN-01": Fraction(1, 50),
        "EN-02": Fraction(1, 100),
        "RE-03": Fraction(1, 50),
        "LA-01": Fraction(1, 100),
        "LA-02": Fraction(1, 100),
        "LA-03": Fraction(1, 100),
    }
    g = (30 * Fraction(3, 200) + 30 * Fraction(1, 50) + 8 * Fraction(1, 100)) / 68
    assert result.dimension_improvement == {
        "energy": Fraction(3, 200),
        "resources": Fraction(1, 50),
        "land": Fraction(1, 100),
    }
    assert result.improvement_score == 50 + 500 * g
    assert result.composite == Fraction(7, 10) * result.level_score + Fraction(3, 10) * (50 + 500 * g)


def test_without_the_previous_catalogue_2018_codes_are_not_compared_with_2025_ones() -> None:
    previous_2018 = ok(EL_01="0.5")
    f = member(1, {**values(True, SECOND), **ok(EN_01="0.49")}, previous_indicators=previous_2018)
    (result,) = grade_year(2026, [f], CQ_GF_2026)
    assert result.improvement_rates == {} and result.composite == result.level_score


def test_previous_codes_map_only_across_a_change_of_catalogue() -> None:
    assert previous_codes(SPECS_2025, DRAFT_2026_CATALOGUE, None) is None
    assert previous_codes(SPECS_2025, DRAFT_2026_CATALOGUE, DRAFT_2026_CATALOGUE) is None
    assert previous_codes(SPECS_2025, DRAFT_2026_CATALOGUE, "GBT36132-2018") == {
        "EN-01": "EL-01",
        "EN-02": "EL-02",
        "RE-03": "WR-02",
        "LA-01": "LI-03",
        "LA-02": "LI-02",
        "LA-03": "LI-01",
    }
    assert previous_codes(SPECS_2025, DRAFT_2026_CATALOGUE, "SECTOR-X") == {}
