"""Raw annual inputs and the indicators derived from them, as versioned catalogue data (DOMAIN §4)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import (
    ROUND_DOWN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
)
from enum import StrEnum
from typing import Any

__all__ = [
    "CATALOGUES",
    "DEFAULT_CATALOGUE_VERSION",
    "GBT36132_2018",
    "GENERAL_GROUP",
    "AtMost",
    "Catalogue",
    "DimensionDef",
    "Direction",
    "EnergyCoefficient",
    "IndicatorDef",
    "IndicatorValue",
    "Message",
    "Ratio",
    "RawField",
    "Status",
    "derive_indicators",
    "energy_tce",
    "get_catalogue",
    "validate_raw",
    "year_on_year_flags",
]

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
KG_PER_TONNE = Decimal(1000)
INDICATOR_QUANTUM = Decimal("0.000001")

# Sums and products of stored decimals are exact at this precision, and Inexact is trapped so that an
# input too long to stay exact fails loudly instead of being rounded twice.
_EXACT = Context(prec=60, rounding=ROUND_DOWN, traps=[InvalidOperation, DivisionByZero, Overflow, Inexact])
# The one inexact step is the division. Truncating it to 60 digits can never move a value across a
# 6th-decimal half-way point, so the following ROUND_HALF_UP gives the same result as exact arithmetic.
_DIVIDE = Context(prec=60, rounding=ROUND_DOWN, traps=[InvalidOperation, DivisionByZero, Overflow])
# The catalogue engine (factories.catalogues.engine) computes with the very same contexts.
EXACT_CONTEXT = _EXACT
DIVISION_CONTEXT = _DIVIDE


class Message(str):
    """A message in both UI languages, for pure code that cannot use gettext.

    The string itself is the Chinese text, so existing callers, comparisons and storage see exactly
    what they saw before; `en` is the English text, which `accounts.i18n.in_language` picks for English users.
    """

    en: str

    def __new__(cls, zh: str, en: str) -> Message:
        message = super().__new__(cls, zh)
        message.en = en
        return message

    def __reduce__(self) -> tuple[type[Message], tuple[str, str]]:
        return (Message, (str(self), self.en))

    @property
    def zh(self) -> str:
        return str(self)


class Direction(StrEnum):
    """Whether a higher or a lower value of an indicator is greener (DOMAIN §4, ↑/↓)."""

    UP = "up"
    DOWN = "down"

    @property
    def label_zh(self) -> str:
        return _DIRECTION_LABELS[self][0]

    @property
    def label_en(self) -> str:
        return _DIRECTION_LABELS[self][1]


_DIRECTION_LABELS = {
    Direction.UP: ("越高越好", "higher is better"),
    Direction.DOWN: ("越低越好", "lower is better"),
}


class Status(StrEnum):
    """An indicator is reported, not applicable (zero denominator) or not reported (empty input) (§4)."""

    OK = "ok"
    NOT_APPLICABLE = "not_applicable"
    NOT_REPORTED = "not_reported"

    @property
    def label_zh(self) -> str:
        return _STATUS_LABELS[self][0]

    @property
    def label_en(self) -> str:
        return _STATUS_LABELS[self][1]


_STATUS_LABELS = {
    Status.OK: ("已计算", "computed"),
    Status.NOT_APPLICABLE: ("不适用", "not applicable"),
    Status.NOT_REPORTED: ("未填报", "not reported"),
}


@dataclass(frozen=True)
class RawField:
    """A raw figure an enterprise reports for a calendar year; empty = not reported, 0 = none (§4)."""

    name: str
    label_zh: str
    label_en: str
    unit: str
    unit_en: str
    dimension: str
    help_zh: str
    help_en: str
    must_be_positive: bool = False
    # A reported figure other than 0 needs a document (佐证材料) before the data can be submitted (issue 15).
    evidence_required: bool = False


@dataclass(frozen=True)
class DimensionDef:
    """A dimension of the green-factory evaluation (GB/T 36132-2018), e.g. 用地集约化."""

    code: str
    name_zh: str
    name_en: str


GENERAL_GROUP = DimensionDef(code="general", name_zh="基本情况", name_en="General")
"""Form group of raw fields that serve every dimension (output value); never a scoring dimension."""


@dataclass(frozen=True)
class Ratio:
    """Indicator formula Σ(weight·numerator) × scale ÷ denominator, capped at `cap` when set (§4)."""

    scale: Decimal = ONE
    weights: tuple[Decimal, ...] | None = None
    cap: Decimal | None = None

    def evaluate(self, numerators: Sequence[Decimal], denominator: Decimal) -> Decimal:
        """Unrounded value for a non-zero denominator; weights, when given, pair with the numerators."""
        weights = self.weights if self.weights is not None else (ONE,) * len(numerators)
        total = ZERO
        for value, weight in zip(numerators, weights, strict=True):
            total = _EXACT.add(total, _EXACT.multiply(value, weight))
        result = _DIVIDE.divide(_EXACT.multiply(total, self.scale), denominator)
        if self.cap is not None and result > self.cap:
            return self.cap
        return result


@dataclass(frozen=True)
class IndicatorDef:
    """A derived indicator: numerator fields over one denominator field, with its direction (§4)."""

    code: str
    name_zh: str
    name_en: str
    unit: str
    unit_en: str
    direction: Direction
    dimension: str
    numerator: tuple[str, ...]
    denominator: str
    formula: Ratio
    formula_zh: str
    formula_en: str
    is_percent: bool = False
    # A computed value needs a document (佐证材料) on the indicator or one of its fields before submission
    # (DOMAIN §4b marks them in GBT36132-2025; the 2018 catalogue marks none).
    evidence_required: bool = False

    @property
    def fields(self) -> tuple[str, ...]:
        return (*self.numerator, self.denominator)


@dataclass(frozen=True)
class EnergyCoefficient:
    """Conversion of one energy carrier to standard coal, as published in GB/T 2589-2020."""

    field: str
    kgce_per_unit: Decimal
    published_unit: str
    published_units_per_raw_unit: Decimal

    @property
    def tce_per_raw_unit(self) -> Decimal:
        return _EXACT.divide(
            _EXACT.multiply(self.kgce_per_unit, self.published_units_per_raw_unit), KG_PER_TONNE
        )


@dataclass(frozen=True)
class AtMost:
    """Cross-field rule: `field` is part of `limit`, so it may not exceed it (§4 ≤ relations)."""

    field: str
    limit: str


@dataclass(frozen=True)
class Catalogue:
    """One version of the indicator catalogue; a new standard is a new Catalogue, not a schema change."""

    version: str
    title_zh: str
    raw_fields: tuple[RawField, ...]
    dimensions: tuple[DimensionDef, ...]
    indicators: tuple[IndicatorDef, ...]
    energy_coefficients: tuple[EnergyCoefficient, ...]
    at_most: tuple[AtMost, ...]

    def __post_init__(self) -> None:
        """Refuse catalogue data whose references do not resolve, so a typo fails at import."""
        names = {raw_field.name for raw_field in self.raw_fields}
        dimension_codes = {dimension.code for dimension in self.dimensions}
        problems: list[str] = []
        if len(names) != len(self.raw_fields):
            problems.append("duplicate raw field names")
        if len({indicator.code for indicator in self.indicators}) != len(self.indicators):
            problems.append("duplicate indicator codes")
        for raw_field in self.raw_fields:
            if raw_field.dimension not in dimension_codes | {GENERAL_GROUP.code}:
                problems.append(f"{raw_field.name}: unknown dimension {raw_field.dimension!r}")
        for indicator in self.indicators:
            problems += [
                f"{indicator.code}: unknown field {name!r}" for name in indicator.fields if name not in names
            ]
            if indicator.dimension not in dimension_codes:
                problems.append(f"{indicator.code}: unknown dimension {indicator.dimension!r}")
            weights = indicator.formula.weights
            if weights is not None and len(weights) != len(indicator.numerator):
                problems.append(
                    f"{indicator.code}: {len(weights)} weights for {len(indicator.numerator)} fields"
                )
        referenced = [c.field for c in self.energy_coefficients]
        referenced += [name for rule in self.at_most for name in (rule.field, rule.limit)]
        problems += [f"unknown field {name!r}" for name in referenced if name not in names]
        if problems:
            raise ValueError(f"catalogue {self.version}: " + "; ".join(problems))

    def raw_field(self, name: str) -> RawField:
        return next(raw_field for raw_field in self.raw_fields if raw_field.name == name)

    def indicator(self, code: str) -> IndicatorDef:
        return next(indicator for indicator in self.indicators if indicator.code == code)

    def dimension(self, code: str) -> DimensionDef:
        return next(dimension for dimension in (*self.dimensions, GENERAL_GROUP) if dimension.code == code)

    def field_groups(self) -> tuple[tuple[DimensionDef, tuple[RawField, ...]], ...]:
        """Raw fields grouped for the data-entry form: general first, then the dimensions in order."""
        groups = []
        for group in (GENERAL_GROUP, *self.dimensions):
            members = tuple(raw_field for raw_field in self.raw_fields if raw_field.dimension == group.code)
            if members:
                groups.append((group, members))
        return tuple(groups)


@dataclass(frozen=True, slots=True)
class IndicatorValue:
    """An indicator of one enterprise-year; `value` is set only when status is OK (§4)."""

    code: str
    status: Status
    value: Decimal | None = None


_ENERGY_COEFFICIENTS_GBT2589_2020 = (
    EnergyCoefficient("electricity", Decimal("0.1229"), "kWh", ONE),
    EnergyCoefficient("natural_gas", Decimal("1.2143"), "m³", ONE),
    EnergyCoefficient("coal", Decimal("0.7143"), "kg", KG_PER_TONNE),
    EnergyCoefficient("oil_products", Decimal("1.4571"), "kg", KG_PER_TONNE),
    # The raw field is in GJ and the coefficient per MJ.
    EnergyCoefficient("purchased_heat", Decimal("0.03412"), "MJ", Decimal(1000)),
)

_RAW_FIELDS_2018 = (
    RawField("site_area", "用地面积", "Site area", "m²", "m²", "land",
             "厂区用地总面积（以土地证或租赁合同为准），必须大于0。",
             "Total site area of the plant (as in the land certificate or lease contract); must be greater than 0.",
             must_be_positive=True),
    RawField("floor_area", "计容建筑面积", "Floor area counted in the plot ratio", "m²", "m²", "land",
             "计入容积率的建筑面积。", "Building floor area counted in the plot ratio."),
    RawField("footprint_area", "建构筑物及堆场占地面积", "Footprint of buildings, structures and yards", "m²", "m²",
             "land", "建筑物、构筑物及露天堆场的占地面积，不能大于用地面积。",
             "Land occupied by buildings, structures and open-air storage yards; may not exceed the site area."),
    RawField("output_value", "工业总产值（当年价）", "Gross industrial output value (current prices)", "万元",
             "10k yuan", "general", "按当年价格计算的工业总产值，必须大于0；各“单位产值”指标均以此为分母。",
             "Gross industrial output value at the current year's prices; must be greater than 0. Every "
             "\"per 10k yuan of output\" indicator uses it as the denominator.",
             must_be_positive=True),
    RawField("main_material", "主要原材料消耗量", "Main raw materials consumed", "t", "t", "materials",
             "当年主要原材料的消耗量。", "Main raw materials consumed during the year."),
    RawField("green_material", "绿色物料使用量", "Green materials used", "t", "t", "materials",
             "主要原材料中绿色物料的使用量，不能大于主要原材料消耗量。",
             "Green materials among the main raw materials; may not exceed the main raw materials consumed."),
    RawField("cod", "化学需氧量产生量", "COD generated", "kg", "kg", "clean", "当年化学需氧量（COD）产生量。",
             "Chemical oxygen demand (COD) generated during the year."),
    RawField("ammonia_nitrogen", "氨氮产生量", "Ammonia nitrogen generated", "kg", "kg", "clean", "当年氨氮产生量。",
             "Ammonia nitrogen generated during the year."),
    RawField("so2", "二氧化硫产生量", "SO₂ generated", "kg", "kg", "clean", "当年二氧化硫产生量。",
             "Sulphur dioxide (SO₂) generated during the year."),
    RawField("nox", "氮氧化物产生量", "NOₓ generated", "kg", "kg", "clean", "当年氮氧化物产生量。",
             "Nitrogen oxides (NOₓ) generated during the year."),
    RawField("waste_gas", "废气产生量", "Waste gas generated", "万Nm³", "10k Nm³", "clean",
             "当年废气产生量（标准状态）。", "Waste gas generated during the year (at standard conditions)."),
    RawField("wastewater", "废水产生量", "Wastewater generated", "t", "t", "clean", "当年废水产生量。",
             "Wastewater generated during the year."),
    RawField("wastewater_treated", "废水处理量", "Wastewater treated", "t", "t", "waste", "当年经处理的废水量。",
             "Wastewater treated during the year."),
    RawField("wastewater_reused", "废水回用量", "Treated wastewater reused", "t", "t", "waste",
             "处理后回用的废水量，不能大于废水处理量。",
             "Treated wastewater that is reused; may not exceed the wastewater treated."),
    RawField("solid_waste", "一般工业固体废物产生量", "General industrial solid waste generated", "t", "t", "waste",
             "当年一般工业固体废物产生量。", "General industrial solid waste generated during the year."),
    RawField("solid_waste_utilized", "一般工业固体废物综合利用量", "General industrial solid waste utilised", "t",
             "t", "waste", "当年综合利用量，可含利用往年贮存量，因此可能大于产生量（利用率按100%封顶）。",
             "Amount utilised during the year; it may include waste stored in earlier years, so it can exceed "
             "the amount generated (the utilisation rate is capped at 100%)."),
    RawField("electricity", "电力消费量", "Electricity consumed", "kWh", "kWh", "energy",
             "当年电力消费总量（含可再生能源电力）。",
             "Total electricity consumed during the year (including renewable electricity)."),
    RawField("natural_gas", "天然气消费量", "Natural gas consumed", "m³", "m³", "energy", "当年天然气消费量。",
             "Natural gas consumed during the year."),
    RawField("coal", "煤炭消费量", "Coal consumed", "t", "t", "energy", "当年煤炭消费量（实物量）。",
             "Coal consumed during the year (physical quantity)."),
    RawField("oil_products", "油品消费量", "Oil products consumed", "t", "t", "energy",
             "当年汽油、柴油等油品消费量（实物量）。",
             "Petrol, diesel and other oil products consumed during the year (physical quantity)."),
    RawField("purchased_heat", "外购热力", "Purchased heat", "GJ", "GJ", "energy", "当年外购的蒸汽、热水等热力。",
             "Steam, hot water and other heat purchased during the year."),
    RawField("renewable_electricity", "可再生能源电力消费量", "Renewable electricity consumed", "kWh", "kWh",
             "energy", "电力消费量中来自可再生能源的部分，不能大于电力消费量。",
             "The part of the electricity consumed that comes from renewable sources; may not exceed the "
             "electricity consumed."),
    RawField("co2", "二氧化碳排放量", "CO₂ emitted", "t", "t", "energy", "当年二氧化碳排放量。",
             "Carbon dioxide (CO₂) emitted during the year."),
)  # fmt: skip

_DIMENSIONS_2018 = (
    DimensionDef("land", "用地集约化", "Intensive land use"),
    DimensionDef("materials", "原料无害化", "Harmless raw materials"),
    DimensionDef("clean", "生产洁净化", "Clean production"),
    DimensionDef("waste", "废物资源化", "Waste as a resource"),
    DimensionDef("energy", "能源低碳化", "Low-carbon energy"),
)

_PERCENT = Ratio(scale=HUNDRED)
_PLAIN = Ratio()
# 1 亩 = 666.67 m²: output ÷ (site ÷ 666.67) is computed as output × 666.67 ÷ site, one division.
_PER_MU = Ratio(scale=Decimal("666.67"))
_TCE = Ratio(weights=tuple(c.tce_per_raw_unit for c in _ENERGY_COEFFICIENTS_GBT2589_2020))
_ENERGY_FIELDS = tuple(c.field for c in _ENERGY_COEFFICIENTS_GBT2589_2020)
_UP, _DOWN = Direction.UP, Direction.DOWN

_INDICATORS_2018 = (
    IndicatorDef("LI-01", "容积率", "Plot ratio", "", "", _UP, "land",
                 ("floor_area",), "site_area", _PLAIN, "计容建筑面积 ÷ 用地面积",
                 "Floor area counted in the plot ratio ÷ site area"),
    IndicatorDef("LI-02", "建筑密度", "Building density", "%", "%", _UP, "land",
                 ("footprint_area",), "site_area", _PERCENT, "建构筑物及堆场占地面积 ÷ 用地面积 × 100",
                 "Footprint of buildings, structures and yards ÷ site area × 100", is_percent=True),
    IndicatorDef("LI-03", "单位用地面积产值", "Output value per mu of land", "万元/亩", "10k yuan/mu", _UP, "land",
                 ("output_value",), "site_area", _PER_MU, "工业总产值 ÷ (用地面积 ÷ 666.67)",
                 "Gross industrial output value ÷ (site area ÷ 666.67)"),
    IndicatorDef("RH-01", "绿色物料使用率", "Green-material rate", "%", "%", _UP, "materials",
                 ("green_material",), "main_material", _PERCENT, "绿色物料使用量 ÷ 主要原材料消耗量 × 100",
                 "Green materials used ÷ main raw materials consumed × 100", is_percent=True),
    IndicatorDef("CP-01", "单位产值主要污染物产生量", "Main pollutants per 10k yuan of output", "kg/万元",
                 "kg/10k yuan", _DOWN, "clean", ("cod", "ammonia_nitrogen", "so2", "nox"), "output_value", _PLAIN,
                 "(化学需氧量 + 氨氮 + 二氧化硫 + 氮氧化物) ÷ 工业总产值",
                 "(COD + ammonia nitrogen + SO₂ + NOₓ) ÷ gross industrial output value"),
    IndicatorDef("CP-02", "单位产值废气产生量", "Waste gas per 10k yuan of output", "万Nm³/万元", "10k Nm³/10k yuan",
                 _DOWN, "clean", ("waste_gas",), "output_value", _PLAIN, "废气产生量 ÷ 工业总产值",
                 "Waste gas generated ÷ gross industrial output value"),
    IndicatorDef("CP-03", "单位产值废水产生量", "Wastewater per 10k yuan of output", "t/万元", "t/10k yuan", _DOWN,
                 "clean", ("wastewater",), "output_value", _PLAIN, "废水产生量 ÷ 工业总产值",
                 "Wastewater generated ÷ gross industrial output value"),
    IndicatorDef("WR-01", "单位产值主要原材料消耗量", "Main raw materials per 10k yuan of output", "t/万元",
                 "t/10k yuan", _DOWN, "waste", ("main_material",), "output_value", _PLAIN,
                 "主要原材料消耗量 ÷ 工业总产值", "Main raw materials consumed ÷ gross industrial output value"),
    IndicatorDef("WR-02", "工业固体废物综合利用率", "Industrial solid waste utilisation rate", "%", "%", _UP, "waste",
                 ("solid_waste_utilized",), "solid_waste", Ratio(scale=HUNDRED, cap=HUNDRED),
                 "min(100, 综合利用量 ÷ 产生量 × 100)", "min(100, amount utilised ÷ amount generated × 100)",
                 is_percent=True),
    IndicatorDef("WR-03", "废水处理回用率", "Treated wastewater reuse rate", "%", "%", _UP, "waste",
                 ("wastewater_reused",), "wastewater_treated", _PERCENT, "废水回用量 ÷ 废水处理量 × 100",
                 "Treated wastewater reused ÷ wastewater treated × 100", is_percent=True),
    IndicatorDef("EL-01", "单位产值综合能耗", "Energy use per 10k yuan of output", "tce/万元", "tce/10k yuan", _DOWN,
                 "energy", _ENERGY_FIELDS, "output_value", _TCE, "综合能耗（折标准煤，GB/T 2589-2020）÷ 工业总产值",
                 "Total energy use (in tonnes of coal equivalent, GB/T 2589-2020) ÷ gross industrial output value"),
    IndicatorDef("EL-02", "单位产值碳排放量", "CO₂ per 10k yuan of output", "tCO₂/万元", "tCO₂/10k yuan", _DOWN,
                 "energy", ("co2",), "output_value", _PLAIN, "二氧化碳排放量 ÷ 工业总产值",
                 "CO₂ emitted ÷ gross industrial output value"),
    IndicatorDef("EL-03", "可再生能源电力占比", "Share of renewable electricity", "%", "%", _UP, "energy",
                 ("renewable_electricity",), "electricity", _PERCENT, "可再生能源电力 ÷ 电力消费量 × 100",
                 "Renewable electricity consumed ÷ electricity consumed × 100", is_percent=True),
)  # fmt: skip

GBT36132_2018 = Catalogue(
    version="GBT36132-2018",
    title_zh="GB/T 36132-2018《绿色工厂评价通则》",
    raw_fields=_RAW_FIELDS_2018,
    dimensions=_DIMENSIONS_2018,
    indicators=_INDICATORS_2018,
    energy_coefficients=_ENERGY_COEFFICIENTS_GBT2589_2020,
    at_most=(
        AtMost("footprint_area", "site_area"),
        AtMost("green_material", "main_material"),
        AtMost("wastewater_reused", "wastewater_treated"),
        AtMost("renewable_electricity", "electricity"),
    ),
)

CATALOGUES: dict[str, Catalogue] = {GBT36132_2018.version: GBT36132_2018}
DEFAULT_CATALOGUE_VERSION = "GBT36132-2018"


def get_catalogue(version: str = DEFAULT_CATALOGUE_VERSION) -> Catalogue:
    """The catalogue a grading standard names by version (DOMAIN §2: the catalogue is versioned data)."""
    try:
        return CATALOGUES[version]
    except KeyError:
        known = ", ".join(sorted(CATALOGUES))
        raise KeyError(f"unknown indicator catalogue version {version!r} (known: {known})") from None


def energy_tce(raw: Mapping[str, Decimal | None], catalogue: Catalogue = GBT36132_2018) -> Decimal | None:
    """Energy use in tce from the five carriers and GB/T 2589-2020 coefficients; None if any is empty."""
    values = [raw.get(c.field) for c in catalogue.energy_coefficients]
    total = ZERO
    for value, coefficient in zip(values, catalogue.energy_coefficients, strict=True):
        if value is None:
            return None
        total = _EXACT.add(total, _EXACT.multiply(value, coefficient.tce_per_raw_unit))
    return total


def _derive_one(indicator: IndicatorDef, raw: Mapping[str, Decimal | None]) -> IndicatorValue:
    """Zero denominator → not applicable; empty denominator or any empty numerator → not reported (§4)."""
    denominator = raw.get(indicator.denominator)
    if denominator is None:
        return IndicatorValue(indicator.code, Status.NOT_REPORTED)
    if denominator == ZERO:
        return IndicatorValue(indicator.code, Status.NOT_APPLICABLE)
    numerators = [raw.get(name) for name in indicator.numerator]
    present = [value for value in numerators if value is not None]
    if len(present) != len(numerators):
        return IndicatorValue(indicator.code, Status.NOT_REPORTED)
    value = indicator.formula.evaluate(present, denominator)
    return IndicatorValue(
        indicator.code, Status.OK, value.quantize(INDICATOR_QUANTUM, ROUND_HALF_UP, _DIVIDE)
    )


def derive_indicators(
    raw: Mapping[str, Decimal | None], catalogue: Catalogue = GBT36132_2018
) -> dict[str, IndicatorValue]:
    """Every indicator of the catalogue, rounded half-up to 6 decimals before any comparison (§4)."""
    return {indicator.code: _derive_one(indicator, raw) for indicator in catalogue.indicators}


MSG_NEGATIVE = "{label}不能为负数（当前为 {value} {unit}）。"
MSG_NOT_POSITIVE = "{label}必须大于0（当前为 {value} {unit}）。"
MSG_EXCEEDS = "{label}（{value} {unit}）不能大于{limit_label}（{limit_value} {limit_unit}）。"
MSG_NEGATIVE_EN = "{label} cannot be negative (currently {value} {unit})."
MSG_NOT_POSITIVE_EN = "{label} must be greater than 0 (currently {value} {unit})."
MSG_EXCEEDS_EN = "{label} ({value} {unit}) cannot be greater than {limit_label} ({limit_value} {limit_unit})."


def _display(value: Decimal) -> str:
    """Plain notation without trailing zeros: 12000.0000 → 12000, never 1.2E+4."""
    return f"{value.normalize(_EXACT):f}"


def exceeds_message(part: Any, whole: Any, value: Decimal, limit: Decimal) -> Message:
    """The message of a broken ≤ relation between two raw fields, e.g. 可再生能源电力消费量（…）不能大于电力消费量（…）,
    for the raw fields of any catalogue (each has label_zh/label_en and unit/unit_en)."""
    numbers = {"value": _display(value), "limit_value": _display(limit)}
    return Message(
        MSG_EXCEEDS.format(
            label=part.label_zh, unit=part.unit, limit_label=whole.label_zh, limit_unit=whole.unit, **numbers
        ),
        MSG_EXCEEDS_EN.format(
            label=part.label_en,
            unit=part.unit_en,
            limit_label=whole.label_en,
            limit_unit=whole.unit_en,
            **numbers,
        ),
    )


def validate_raw(
    raw: Mapping[str, Decimal | None], catalogue: Catalogue = GBT36132_2018
) -> dict[str, list[str]]:
    """Field → errors (a Message: Chinese str, English `.en`) for negatives, > 0 fields and ≤ relations (§4)."""
    errors: dict[str, list[str]] = {}
    for raw_field in catalogue.raw_fields:
        value = raw.get(raw_field.name)
        if value is None:
            continue
        shown = _display(value)
        zh = {"label": raw_field.label_zh, "value": shown, "unit": raw_field.unit}
        en = {"label": raw_field.label_en, "value": shown, "unit": raw_field.unit_en}
        if value < ZERO:
            message = Message(MSG_NEGATIVE.format(**zh), MSG_NEGATIVE_EN.format(**en))
            errors.setdefault(raw_field.name, []).append(message)
        elif value == ZERO and raw_field.must_be_positive:
            message = Message(MSG_NOT_POSITIVE.format(**zh), MSG_NOT_POSITIVE_EN.format(**en))
            errors.setdefault(raw_field.name, []).append(message)
    for rule in catalogue.at_most:
        value, limit = raw.get(rule.field), raw.get(rule.limit)
        # A negative value already has its own message; comparing it would only add noise.
        if value is None or limit is None or value < ZERO or limit < ZERO or value <= limit:
            continue
        message = exceeds_message(
            catalogue.raw_field(rule.field), catalogue.raw_field(rule.limit), value, limit
        )
        errors.setdefault(rule.field, []).append(message)
    return {
        raw_field.name: errors[raw_field.name]
        for raw_field in catalogue.raw_fields
        if raw_field.name in errors
    }


def year_on_year_flags(
    raw: Mapping[str, Decimal | None],
    previous: Mapping[str, Decimal | None],
    factor: Decimal = Decimal(3),
    *,
    catalogue: Catalogue = GBT36132_2018,
) -> list[str]:
    """Raw fields that grew more than `factor`-fold or shrank below 1/`factor` since last year (§4)."""
    flagged = []
    for raw_field in catalogue.raw_fields:
        current, before = raw.get(raw_field.name), previous.get(raw_field.name)
        if current is None or before is None:
            continue
        # Multiplying instead of dividing keeps 0 → positive (an infinite rise) and positive → 0 flagged.
        grew = current > _EXACT.multiply(before, factor)
        shrank = _EXACT.multiply(current, factor) < before
        if grew or shrank:
            flagged.append(raw_field.name)
    return flagged
