"""The catalogue engine: GBT36132-2025 indicators worked out by hand, statuses, and every check in words (§4b)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pytest

from factories.catalogues.engine import CatalogueSpec, check, evaluate, spec_from_data
from factories.catalogues.shipped import ENERGY_CARBON_FUNCTIONS, from_code, gbt36132_2025
from factories.indicators import GBT36132_2018, Status, derive_indicators

D = Decimal
KNOWN_2018 = frozenset(f"GBT36132-2018/{i.code}" for i in GBT36132_2018.indicators)
SPEC_2025 = spec_from_data(gbt36132_2025(), KNOWN_2018)
SPEC_2018 = spec_from_data(from_code(GBT36132_2018))

# A plant reporting on the 2025 catalogue; each indicator below is worked out by hand from these figures.
PLANT_2025: dict[str, Any] = {
    "site_area": "20000", "floor_area": "30000", "footprint_area": "12000", "output_value": "50000",
    "solid_waste": "3000", "solid_waste_utilized": "3600", "electricity": "20000000", "natural_gas": "1000000",
    "coal": "500", "oil_products": "100", "purchased_heat": "10000", "renewable_electricity": "3000000",
    "co2": "16000", "renewable_heat": "2000", "water_withdrawal": "150000", "water_reused": "350000",
    "energy_carbon_functions": ["能耗查询", "能效对标", "碳排放核算"], "advanced_equipment": "4",
    "retrofit_projects_3y": "7", "retrofit_investment_3y": "1200", "fixed_investment_3y": "8000",
    "wastewater_conc_pct": "60", "waste_gas_conc_pct": "35", "product_categories": "8",
    "footprint_categories": "3", "energy_saving_output": "12500", "material_cases": "2", "green_design_cases": "1",
}  # fmt: skip

# energy_tce = 2458 + 1214.3 + 357.15 + 145.71 + 341.2 = 4516.36 tce
EXPECTED_2025 = {
    "EN-01": "0.090327",  # 4516.36 / 50000 = 0.0903272
    "EN-02": "0.320000",  # 16000 / 50000
    "EN-03": "9.674605",  # (3 000 000 × 0.0001229 + 2000 × 0.03412) / 4516.36 × 100 = 436.94 / 4516.36 × 100
    "EN-04": "3.000000",
    "RE-01": "3.000000",  # 150000 / 50000
    "RE-02": "70.000000",  # 350000 / 500000 × 100
    "RE-03": "100.000000",  # 3600 / 3000 × 100 = 120, capped at 100
    "RE-04": "2.000000",
    "CL-01": "4.000000",
    "CL-02": "2.333333",  # 7 / 3
    "CL-03": "15.000000",  # 1200 / 8000 × 100
    "CL-04": "52.500000",  # ((100 − 60) + (100 − 35)) / 2
    "PR-01": "37.500000",  # 3 / 8 × 100
    "PR-02": "25.000000",  # 12500 / 50000 × 100
    "PR-03": "1.000000",
    "LA-01": "1666.675000",  # 50000 × 666.67 / 20000
    "LA-02": "60.000000",
    "LA-03": "1.500000",
}


def test_every_gbt36132_2025_indicator_matches_the_hand_computed_value() -> None:
    results = evaluate(SPEC_2025, PLANT_2025)
    assert {code: format(v.value, "f") for code, v in results.items()} == EXPECTED_2025
    assert all(v.status is Status.OK for v in results.values())


def test_the_shipped_catalogues_have_no_problem() -> None:
    assert check(SPEC_2025) == []
    assert check(SPEC_2018) == []


@pytest.mark.parametrize(
    ("change", "code", "status"),
    [
        ({"wastewater_conc_pct": None}, "CL-04", ("ok", "65.000000")),  # only waste gas has a limit
        ({"wastewater_conc_pct": None, "waste_gas_conc_pct": None}, "CL-04", ("not_applicable", None)),
        ({"energy_saving_output": None}, "PR-02", ("not_applicable", None)),
        ({"energy_carbon_functions": None}, "EN-04", ("not_reported", None)),
        ({"energy_carbon_functions": []}, "EN-04", ("ok", "0.000000")),
        ({"product_categories": "0", "footprint_categories": "0"}, "PR-01", ("not_applicable", None)),
        ({"water_withdrawal": "0", "water_reused": "0"}, "RE-02", ("not_applicable", None)),
        ({"water_reused": None}, "RE-02", ("not_reported", None)),
        ({"coal": None}, "EN-03", ("not_reported", None)),
        ({"renewable_heat": None}, "EN-03", ("not_reported", None)),
        ({"retrofit_projects_3y": None}, "CL-02", ("not_reported", None)),
        ({"fixed_investment_3y": "0", "retrofit_investment_3y": "0"}, "CL-03", ("not_applicable", None)),
    ],
)
def test_not_applicable_and_not_reported_follow_the_catalogue(
    change: dict[str, Any], code: str, status: tuple[str, str | None]
) -> None:
    value = evaluate(SPEC_2025, {**PLANT_2025, **change})[code]
    assert (str(value.status), None if value.value is None else format(value.value, "f")) == status


def test_the_2018_data_catalogue_gives_the_code_catalogues_results_on_edge_cases() -> None:
    names = [f.name for f in GBT36132_2018.raw_fields]
    cases: list[dict[str, str | None]] = [
        {},
        dict.fromkeys(names, "0"),
        dict.fromkeys(names, "1"),
        {**dict.fromkeys(names, "7.123456"), "solid_waste_utilized": "99999999.5", "solid_waste": "0.000001"},
        {**dict.fromkeys(names, "3"), "coal": None},
        {**dict.fromkeys(names, "123456789012345.123456")},
    ]
    for raw in cases:
        expected = derive_indicators({k: None if v is None else D(v) for k, v in raw.items()})
        got = evaluate(SPEC_2018, raw)
        assert {c: (v.status, str(v.value)) for c, v in got.items()} == {
            c: (v.status, str(v.value)) for c, v in expected.items()
        }


def _problems(spec: CatalogueSpec) -> list[str]:
    return [str(m) for m in check(spec)]


def _with_indicator(code: str, **changes: Any) -> CatalogueSpec:
    indicators = tuple(
        dataclasses.replace(i, **changes) if i.code == code else i for i in SPEC_2025.indicators
    )
    return dataclasses.replace(SPEC_2025, indicators=indicators)


def _with_field(name: str, **changes: Any) -> CatalogueSpec:
    fields = tuple(dataclasses.replace(f, **changes) if f.name == name else f for f in SPEC_2025.fields)
    return dataclasses.replace(SPEC_2025, fields=fields)


def test_an_unknown_field_in_a_definition_is_named() -> None:
    definition = {
        **SPEC_2025.indicators[4].definition,
        "numerator": [{"field": "water_withdrawl", "weight": "1"}],
    }
    assert _problems(_with_indicator("RE-01", definition=definition)) == [
        "指标 RE-01 的定义引用了不存在的数据项“water_withdrawl”。"
    ]


def test_a_cycle_of_at_most_rules_is_named_with_the_fields_labels() -> None:
    spec = _with_field("fixed_investment_3y", at_most="retrofit_investment_3y")
    assert _problems(spec) == [
        "“不大于”约束构成循环：近三年绿色低碳改造投资额 ≤ 近三年固定资产投资额 ≤ 近三年绿色低碳改造投资额。"
    ]


def test_a_missing_scale_and_a_missing_cap_are_named() -> None:
    definition = {k: v for k, v in SPEC_2025.indicators[5].definition.items() if k not in ("scale", "cap")}
    assert _problems(_with_indicator("RE-02", definition=definition)) == [
        "指标 RE-02 缺少倍数（如百分比填 100，否则填 1）。",
        "指标 RE-02 未说明上限：请填写上限（如 100），不封顶请填“无”。",
    ]


def test_same_as_an_indicator_that_does_not_exist_is_named() -> None:
    assert _problems(_with_indicator("EN-01", same_as="GBT36132-2018/EL-09")) == [
        "指标 EN-01 所延续的指标“GBT36132-2018/EL-09”不存在（应为早先目录中的指标，如 GBT36132-2018/EL-01）。"
    ]


def test_counting_choices_of_a_numeric_field_is_refused() -> None:
    spec = _with_indicator("EN-04", definition={"kind": "choice_count", "field": "coal"})
    assert _problems(spec) == ["指标 EN-04 按选项计数，但“煤炭消费量”不是多选数据项。"]


def test_every_problem_is_listed_at_once() -> None:
    spec = _with_field("fixed_investment_3y", at_most="retrofit_investment_3y")
    spec = dataclasses.replace(
        spec,
        indicators=(
            dataclasses.replace(spec.indicators[0], same_as="X/Y"),
            *spec.indicators[1:],
        ),
    )
    assert len(check(spec)) == 2


def test_the_choice_set_holds_the_twelve_functions_of_the_standard() -> None:
    assert len(ENERGY_CARBON_FUNCTIONS) == 12
