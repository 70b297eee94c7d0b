"""Derived indicators, raw-data validation and year-on-year flags of the GB/T 36132-2018 catalogue (§4)."""

import dataclasses
import decimal
from decimal import Decimal
from typing import Any

import pytest

from factories.indicators import (
    CATALOGUES,
    DEFAULT_CATALOGUE_VERSION,
    GBT36132_2018,
    AtMost,
    Catalogue,
    Direction,
    IndicatorDef,
    IndicatorValue,
    Ratio,
    Status,
    derive_indicators,
    energy_tce,
    get_catalogue,
    validate_raw,
    year_on_year_flags,
)

D = Decimal

# A mid-sized plant; every indicator below is worked out by hand from these figures.
PLANT: dict[str, Decimal | None] = {
    "site_area": D(20000),
    "floor_area": D(30000),
    "footprint_area": D(12000),
    "output_value": D(50000),
    "main_material": D(8000),
    "green_material": D(2000),
    "cod": D(1500),
    "ammonia_nitrogen": D(100),
    "so2": D(250),
    "nox": D(400),
    "waste_gas": D(12000),
    "wastewater": D(60000),
    "wastewater_treated": D(50000),
    "wastewater_reused": D(15000),
    "solid_waste": D(3000),
    "solid_waste_utilized": D(2400),
    "electricity": D(20_000_000),
    "natural_gas": D(1_000_000),
    "coal": D(500),
    "oil_products": D(100),
    "purchased_heat": D(10000),
    "renewable_electricity": D(3_000_000),
    "co2": D(16000),
}

# energy_tce = 20 000 000 kWh × 0.1229 kgce/kWh ÷ 1000 = 2458
#            +  1 000 000 m³  × 1.2143 kgce/m³  ÷ 1000 = 1214.3
#            +        500 t   × 0.7143 kgce/kg            =  357.15  (kgce/kg = tce/t)
#            +        100 t   × 1.4571 kgce/kg            =  145.71
#            +     10 000 GJ  × 0.03412 kgce/MJ × 1000 MJ/GJ ÷ 1000 = 341.2
#            = 4516.36 tce
PLANT_ENERGY_TCE = D("4516.36")

PLANT_INDICATORS = {
    "LI-01": D("1.5"),  # 30000 / 20000
    "LI-02": D("60"),  # 12000 / 20000 × 100
    "LI-03": D("1666.675"),  # 50000 / (20000 / 666.67) = 50000 × 666.67 / 20000 = 33 333 500 / 20000
    "RH-01": D("25"),  # 2000 / 8000 × 100
    "CP-01": D("0.045"),  # (1500 + 100 + 250 + 400) / 50000 = 2250 / 50000
    "CP-02": D("0.24"),  # 12000 / 50000
    "CP-03": D("1.2"),  # 60000 / 50000
    "WR-01": D("0.16"),  # 8000 / 50000
    "WR-02": D("80"),  # min(100, 2400 / 3000 × 100)
    "WR-03": D("30"),  # 15000 / 50000 × 100
    "EL-01": D("0.090327"),  # 4516.36 / 50000 = 0.0903272 → 0.090327
    "EL-02": D("0.32"),  # 16000 / 50000
    "EL-03": D("15"),  # 3 000 000 / 20 000 000 × 100
}


def plant(**changes: Decimal | None) -> dict[str, Decimal | None]:
    return {**PLANT, **changes}


def test_every_indicator_of_a_fully_reported_plant_matches_the_hand_computation() -> None:
    derived = derive_indicators(PLANT)

    assert list(derived) == list(PLANT_INDICATORS)
    assert derived == {
        code: IndicatorValue(code, Status.OK, value) for code, value in PLANT_INDICATORS.items()
    }


def test_indicator_values_carry_exactly_six_decimal_places() -> None:
    derived = derive_indicators(PLANT)

    assert {str(item.value) for item in derived.values()} >= {"1.500000", "1666.675000", "0.090327"}
    assert all(item.value is not None and item.value.as_tuple().exponent == -6 for item in derived.values())


def test_energy_tce_converts_each_carrier_with_its_gb_2589_coefficient() -> None:
    assert energy_tce(PLANT) == PLANT_ENERGY_TCE


@pytest.mark.parametrize(
    ("field", "quantity", "tce"),
    [
        ("electricity", D(10000), D("1.229")),  # 10 000 × 0.1229 / 1000
        ("natural_gas", D(10000), D("12.143")),  # 10 000 × 1.2143 / 1000
        ("coal", D(1), D("0.7143")),  # 1 t = 1000 kg × 0.7143 / 1000
        ("oil_products", D(1), D("1.4571")),
        ("purchased_heat", D(1), D("0.03412")),  # 1 GJ = 1000 MJ × 0.03412 / 1000
    ],
)
def test_energy_tce_counts_one_carrier_in_its_raw_unit(field: str, quantity: Decimal, tce: Decimal) -> None:
    raw = dict.fromkeys(["electricity", "natural_gas", "coal", "oil_products", "purchased_heat"], D(0))
    raw[field] = quantity

    assert energy_tce(raw) == tce


@pytest.mark.parametrize("empty", ["electricity", "natural_gas", "coal", "oil_products", "purchased_heat"])
def test_one_empty_energy_field_leaves_energy_and_el01_not_reported(empty: str) -> None:
    raw = plant(**{empty: None})

    assert energy_tce(raw) is None
    assert derive_indicators(raw)["EL-01"] == IndicatorValue("EL-01", Status.NOT_REPORTED)


def test_energy_carriers_reported_as_zero_count_as_none_used() -> None:
    raw = plant(natural_gas=D(0), coal=D(0), oil_products=D(0), purchased_heat=D(0))

    # 20 000 000 × 0.1229 / 1000 = 2458 tce; 2458 / 50000 = 0.04916
    assert derive_indicators(raw)["EL-01"] == IndicatorValue("EL-01", Status.OK, D("0.04916"))


@pytest.mark.parametrize(
    ("changes", "code", "status"),
    [
        # Zero denominator: not applicable, whatever the numerator says.
        ({"wastewater_treated": D(0), "wastewater_reused": D(0)}, "WR-03", Status.NOT_APPLICABLE),
        ({"wastewater_treated": D(0), "wastewater_reused": None}, "WR-03", Status.NOT_APPLICABLE),
        ({"solid_waste": D(0)}, "WR-02", Status.NOT_APPLICABLE),
        ({"main_material": D(0), "green_material": D(0)}, "RH-01", Status.NOT_APPLICABLE),
        ({"electricity": D(0), "renewable_electricity": D(0)}, "EL-03", Status.NOT_APPLICABLE),
        # Empty denominator: not reported, whatever the numerator says.
        ({"wastewater_treated": None}, "WR-03", Status.NOT_REPORTED),
        ({"wastewater_treated": None, "wastewater_reused": D(0)}, "WR-03", Status.NOT_REPORTED),
        ({"solid_waste": None}, "WR-02", Status.NOT_REPORTED),
        # Non-zero denominator and an empty input: not reported.
        ({"wastewater_reused": None}, "WR-03", Status.NOT_REPORTED),
        ({"floor_area": None}, "LI-01", Status.NOT_REPORTED),
        ({"nox": None}, "CP-01", Status.NOT_REPORTED),
        ({"co2": None}, "EL-02", Status.NOT_REPORTED),
    ],
)
def test_zero_denominator_is_not_applicable_and_empty_input_is_not_reported(
    changes: dict[str, Decimal | None], code: str, status: Status
) -> None:
    assert derive_indicators(plant(**changes))[code] == IndicatorValue(code, status)


def test_a_field_missing_from_the_mapping_counts_as_not_reported() -> None:
    raw = {name: value for name, value in PLANT.items() if name != "waste_gas"}

    assert derive_indicators(raw)["CP-02"] == IndicatorValue("CP-02", Status.NOT_REPORTED)


def test_zero_output_value_makes_every_per_output_indicator_not_applicable() -> None:
    derived = derive_indicators(plant(output_value=D(0)))

    per_output = {"CP-01", "CP-02", "CP-03", "WR-01", "EL-01", "EL-02"}
    assert {code for code, item in derived.items() if item.status is Status.NOT_APPLICABLE} == per_output
    assert derived["LI-03"] == IndicatorValue("LI-03", Status.OK, D(0))


def test_a_numerator_reported_as_zero_gives_a_zero_value_not_a_missing_one() -> None:
    derived = derive_indicators(
        plant(wastewater_reused=D(0), cod=D(0), ammonia_nitrogen=D(0), so2=D(0), nox=D(0))
    )

    assert derived["WR-03"] == IndicatorValue("WR-03", Status.OK, D(0))
    assert derived["CP-01"] == IndicatorValue("CP-01", Status.OK, D(0))


def test_an_empty_plant_has_every_indicator_not_reported() -> None:
    derived = derive_indicators({})

    assert {item.status for item in derived.values()} == {Status.NOT_REPORTED}
    assert all(item.value is None for item in derived.values())


@pytest.mark.parametrize(
    ("utilized", "expected"),
    [
        (D(4500), D(100)),  # 4500 / 3000 × 100 = 150, capped
        (D(3000), D(100)),  # exactly 100
        (D(2999), D("99.966667")),  # 2999 / 3000 × 100 = 99.9666…
    ],
)
def test_solid_waste_utilisation_rate_is_capped_at_100(utilized: Decimal, expected: Decimal) -> None:
    derived = derive_indicators(plant(solid_waste=D(3000), solid_waste_utilized=utilized))

    assert derived["WR-02"] == IndicatorValue("WR-02", Status.OK, expected)


@pytest.mark.parametrize(
    ("changes", "code", "expected"),
    [
        # 1 / 128 = 0.0078125: half-up gives 0.007813 (half-even would give 0.007812).
        ({"floor_area": D(1), "site_area": D(128)}, "LI-01", "0.007813"),
        # 1 / 2 000 000 = 0.0000005: half-up gives 0.000001 (half-even would give 0).
        ({"wastewater": D(1), "output_value": D(2_000_000)}, "CP-03", "0.000001"),
        # 1 / 2 000 001 = 0.00000049999975…: just below half, rounds down.
        ({"wastewater": D(1), "output_value": D(2_000_001)}, "CP-03", "0.000000"),
        # 2 / 3 = 0.6666666…
        ({"floor_area": D(2), "site_area": D(3)}, "LI-01", "0.666667"),
        # 1 × 666.67 / 3 = 222.2233333…
        ({"output_value": D(1), "site_area": D(3)}, "LI-03", "222.223333"),
        # 1 / 7 × 100 = 14.2857142857…
        ({"renewable_electricity": D(1), "electricity": D(7)}, "EL-03", "14.285714"),
        # 0.1234565 × 100 / 100 = 0.1234565 with 7 decimals in the input: half-up at the 6th decimal.
        ({"co2": D("0.1234565"), "output_value": D(1)}, "EL-02", "0.123457"),
    ],
)
def test_values_are_rounded_half_up_at_the_sixth_decimal(
    changes: dict[str, Decimal | None], code: str, expected: str
) -> None:
    value = derive_indicators(plant(**changes))[code].value

    assert value is not None
    assert str(value) == expected


def test_rounding_does_not_depend_on_the_callers_decimal_context() -> None:
    with decimal.localcontext(decimal.Context(prec=3, rounding=decimal.ROUND_FLOOR)):
        derived = derive_indicators(plant(floor_area=D(1), site_area=D(128)))

    assert str(derived["LI-01"].value) == "0.007813"


def test_el01_equals_energy_tce_over_output_value() -> None:
    raw = plant(output_value=D(37), electricity=D(123457), coal=D("12.5"))
    expected = (energy_tce(raw) or D(0)) / D(37)

    assert derive_indicators(raw)["EL-01"].value == expected.quantize(D("0.000001"))


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        (
            {"footprint_area": D(12000), "site_area": D(10000)},
            {"footprint_area": ["建构筑物及堆场占地面积（12000 m²）不能大于用地面积（10000 m²）。"]},
        ),
        (
            {"footprint_area": D("12000.0000"), "site_area": D("10000.5000")},
            {"footprint_area": ["建构筑物及堆场占地面积（12000 m²）不能大于用地面积（10000.5 m²）。"]},
        ),
        (
            {"green_material": D(9000)},
            {"green_material": ["绿色物料使用量（9000 t）不能大于主要原材料消耗量（8000 t）。"]},
        ),
        (
            {"wastewater_reused": D(50001)},
            {"wastewater_reused": ["废水回用量（50001 t）不能大于废水处理量（50000 t）。"]},
        ),
        (
            {"renewable_electricity": D(20_000_001)},
            {
                "renewable_electricity": [
                    "可再生能源电力消费量（20000001 kWh）不能大于电力消费量（20000000 kWh）。"
                ]
            },
        ),
        ({"cod": D("-1.5")}, {"cod": ["化学需氧量产生量不能为负数（当前为 -1.5 kg）。"]}),
        ({"site_area": D(0), "footprint_area": D(0)}, {"site_area": ["用地面积必须大于0（当前为 0 m²）。"]}),
        ({"output_value": D("0.00")}, {"output_value": ["工业总产值（当年价）必须大于0（当前为 0 万元）。"]}),
        # A negative limit gets its own message only, not a second one from the ≤ rule.
        ({"site_area": D(-1)}, {"site_area": ["用地面积不能为负数（当前为 -1 m²）。"]}),
    ],
)
def test_validate_raw_explains_each_broken_rule_in_chinese(
    changes: dict[str, Decimal | None], errors: dict[str, list[str]]
) -> None:
    assert validate_raw(plant(**changes)) == errors


def test_validate_raw_reports_every_broken_rule_at_once() -> None:
    errors = validate_raw(plant(so2=D(-2), nox=D(-3), green_material=D(8001), output_value=D(0)))

    assert list(errors) == ["output_value", "green_material", "so2", "nox"]


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"footprint_area": D(20000)},  # equal to the site area is allowed
        {"green_material": D(8000), "renewable_electricity": D(20_000_000), "wastewater_reused": D(50000)},
        {"footprint_area": D(30000), "site_area": None},  # the relation needs both values
        {"wastewater_reused": D(5), "wastewater_treated": None},
        {"site_area": None, "output_value": None},  # empty is not reported, which is not an error here
        {"solid_waste_utilized": D(9000)},  # utilisation may exceed generation (stock from earlier years)
        {"floor_area": D(0), "coal": D(0)},  # zero means none
    ],
)
def test_validate_raw_accepts_consistent_or_partly_empty_data(changes: dict[str, Decimal | None]) -> None:
    assert validate_raw(plant(**changes)) == {}


@pytest.mark.parametrize(
    ("before", "now", "flagged"),
    [
        (D(100), D(300), False),  # exactly ×3
        (D(100), D("300.000001"), True),
        (D(300), D(100), False),  # exactly ÷3
        (D(300), D("99.999999"), True),
        (D(10), D("3.3334"), False),  # 3.3334 × 3 = 10.0002 ≥ 10
        (D(10), D("3.3333"), True),  # 3.3333 × 3 = 9.9999 < 10
        (D(0), D("0.001"), True),  # from none to some
        (D(5), D(0), True),  # from some to none
        (D(0), D(0), False),
        (D(100), D(100), False),
        (None, D(100), False),
        (D(100), None, False),
    ],
)
def test_year_on_year_change_beyond_three_fold_is_flagged(
    before: Decimal | None, now: Decimal | None, flagged: bool
) -> None:
    assert year_on_year_flags({"coal": now}, {"coal": before}) == (["coal"] if flagged else [])


def test_year_on_year_flags_list_fields_in_catalogue_order_and_honour_the_factor() -> None:
    previous = plant()
    current = plant(co2=D(48001), site_area=D(60000), cod=D(2999))

    assert year_on_year_flags(current, previous) == ["co2"]
    assert year_on_year_flags(current, previous, D(2)) == ["site_area", "co2"]


def test_default_catalogue_is_gbt_36132_2018() -> None:
    assert DEFAULT_CATALOGUE_VERSION == "GBT36132-2018"
    assert get_catalogue() is get_catalogue("GBT36132-2018") is CATALOGUES["GBT36132-2018"] is GBT36132_2018


def test_unknown_catalogue_version_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="GBT36132-2018"):
        get_catalogue("GBT36132-2025")


def test_catalogue_lists_raw_fields_in_the_order_of_the_domain_table() -> None:
    assert [raw_field.name for raw_field in GBT36132_2018.raw_fields] == list(PLANT)


def test_catalogue_declares_direction_dimension_and_percent_flag_of_each_indicator() -> None:
    rows = {(i.code, i.direction, i.dimension, i.is_percent) for i in GBT36132_2018.indicators}
    up, down = Direction.UP, Direction.DOWN

    assert rows == {
        ("LI-01", up, "land", False),
        ("LI-02", up, "land", True),
        ("LI-03", up, "land", False),
        ("RH-01", up, "materials", True),
        ("CP-01", down, "clean", False),
        ("CP-02", down, "clean", False),
        ("CP-03", down, "clean", False),
        ("WR-01", down, "waste", False),
        ("WR-02", up, "waste", True),
        ("WR-03", up, "waste", True),
        ("EL-01", down, "energy", False),
        ("EL-02", down, "energy", False),
        ("EL-03", up, "energy", True),
    }


def test_only_site_area_and_output_value_must_be_positive() -> None:
    positive = [raw_field.name for raw_field in GBT36132_2018.raw_fields if raw_field.must_be_positive]

    assert positive == ["site_area", "output_value"]


def test_form_groups_put_output_value_first_and_cover_every_raw_field_once() -> None:
    groups = GBT36132_2018.field_groups()

    assert [(group.code, group.name_zh) for group, _ in groups] == [
        ("general", "基本情况"),
        ("land", "用地集约化"),
        ("materials", "原料无害化"),
        ("clean", "生产洁净化"),
        ("waste", "废物资源化"),
        ("energy", "能源低碳化"),
    ]
    assert [raw_field.name for raw_field in groups[0][1]] == ["output_value"]
    assert sorted(f.name for _, fields in groups for f in fields) == sorted(PLANT)


def test_a_new_catalogue_version_is_new_data_not_new_code() -> None:
    water_reuse = IndicatorDef(
        code="WR-04",
        name_zh="单位产值废水回用量",
        name_en="Reused wastewater per 10k yuan of output",
        unit="t/万元",
        unit_en="t/10k yuan",
        direction=Direction.UP,
        dimension="waste",
        numerator=("wastewater_reused",),
        denominator="output_value",
        formula=Ratio(),
        formula_zh="废水回用量 ÷ 工业总产值",
        formula_en="Treated wastewater reused ÷ gross industrial output value",
    )
    newer = dataclasses.replace(
        GBT36132_2018, version="TEST-NEXT", indicators=(*GBT36132_2018.indicators, water_reuse)
    )

    # 15000 / 50000 = 0.3
    assert derive_indicators(PLANT, newer)["WR-04"] == IndicatorValue("WR-04", Status.OK, D("0.3"))
    assert "WR-04" not in derive_indicators(PLANT)


@pytest.mark.parametrize(
    "changes",
    [
        {"at_most": (AtMost("footprint_area", "site_areas"),)},
        {"indicators": (dataclasses.replace(GBT36132_2018.indicators[0], denominator="site"),)},
        {"indicators": (dataclasses.replace(GBT36132_2018.indicators[0], dimension="water"),)},
        {"indicators": GBT36132_2018.indicators[:1] * 2},
        {"raw_fields": (*GBT36132_2018.raw_fields, GBT36132_2018.raw_fields[0])},
        {"indicators": (dataclasses.replace(GBT36132_2018.indicator("EL-01"), numerator=("electricity",)),)},
    ],
)
def test_catalogue_with_dangling_references_is_refused_when_built(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="catalogue TEST-BROKEN"):
        dataclasses.replace(GBT36132_2018, version="TEST-BROKEN", **changes)


def test_catalogue_type_is_hashable_and_immutable() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        GBT36132_2018.version = "other"  # type: ignore[misc]
    assert isinstance(hash(GBT36132_2018), int)
    assert isinstance(GBT36132_2018, Catalogue)
