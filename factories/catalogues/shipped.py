"""The catalogue versions the platform ships, as plain data: GBT36132-2018 and the draft GBT36132-2025.

`GBT36132-2018` is converted from the code catalogue (`factories.indicators.GBT36132_2018`) so that the
data version and today's results cannot drift apart; `GBT36132-2025` is DOMAIN §4b. The migration that
loads them reads the frozen JSON files in factories/data/catalogues/, which a test compares with this module.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from factories.indicators import GBT36132_2018, Catalogue, IndicatorDef

PER_MU = "666.67"


def _terms(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"field": name, "weight": weight} for name, weight in pairs]


def _ratio_from_code(indicator: IndicatorDef, catalogue: Catalogue) -> dict[str, Any]:
    weights = indicator.formula.weights or tuple(Decimal(1) for _ in indicator.numerator)
    return {
        "kind": "ratio",
        "numerator": [
            {"field": name, "weight": format(weight, "f")}
            for name, weight in zip(indicator.numerator, weights, strict=True)
        ],
        "denominator": _terms((indicator.denominator, "1")),
        "scale": format(indicator.formula.scale, "f"),
        "cap": None if indicator.formula.cap is None else format(indicator.formula.cap, "f"),
    }


def from_code(catalogue: Catalogue) -> dict[str, Any]:
    """A code catalogue as catalogue data, every rule kept (≤ relations, > 0 fields, coefficients)."""
    limits = {rule.field: rule.limit for rule in catalogue.at_most}
    return {
        "code": catalogue.version,
        "version": catalogue.version.rsplit("-", 1)[-1],
        "name": catalogue.title_zh,
        "name_en": "GB/T 36132-2018 General principle for green factory evaluation",
        "status": "adopted",
        "industry_divisions": [],
        "dimensions": [
            {"code": d.code, "name_zh": d.name_zh, "name_en": d.name_en} for d in catalogue.dimensions
        ],
        "fields": [
            {
                "name": f.name,
                "label_zh": f.label_zh,
                "label_en": f.label_en,
                "unit": f.unit,
                "unit_en": f.unit_en,
                "kind": "decimal",
                "dimension": f.dimension,
                "must_be_positive": f.must_be_positive,
                "at_most": limits.get(f.name, ""),
                "choices": [],
                "empty_means": "not_reported",
                "help_zh": f.help_zh,
                "help_en": f.help_en,
            }
            for f in catalogue.raw_fields
        ],
        "indicators": [
            {
                "code": i.code,
                "name_zh": i.name_zh,
                "name_en": i.name_en,
                "unit": i.unit,
                "unit_en": i.unit_en,
                "direction": str(i.direction),
                "dimension": i.dimension,
                "definition": _ratio_from_code(i, catalogue),
                "formula_zh": i.formula_zh,
                "formula_en": i.formula_en,
                "is_percent": i.is_percent,
                "evidence_required": False,
                "same_as": "",
            }
            for i in catalogue.indicators
        ],
    }


def _field(name: str, zh: str, en: str, unit: str, unit_en: str, dimension: str, help_zh: str, help_en: str,
           kind: str = "decimal", at_most: str = "", choices: tuple[str, ...] = (),
           empty_means: str = "not_reported") -> dict[str, Any]:  # fmt: skip
    return {
        "name": name, "label_zh": zh, "label_en": en, "unit": unit, "unit_en": unit_en, "kind": kind,
        "dimension": dimension, "must_be_positive": False, "at_most": at_most, "choices": list(choices),
        "empty_means": empty_means, "help_zh": help_zh, "help_en": help_en,
    }  # fmt: skip


ENERGY_CARBON_FUNCTIONS = (
    "能耗查询", "能源消费量和强度计算", "用能策略推荐", "能效对标", "能流分析", "能效平衡与优化",
    "用能与碳排放预算管理", "碳排放核算", "供应链碳管理", "碳足迹核算", "碳核查支撑", "碳资产管理",
)  # fmt: skip

_KEPT_2025 = {
    "site_area": "land", "floor_area": "land", "footprint_area": "land", "output_value": "general",
    "solid_waste": "resources", "solid_waste_utilized": "resources", "electricity": "energy",
    "natural_gas": "energy", "coal": "energy", "oil_products": "energy", "purchased_heat": "energy",
    "renewable_electricity": "energy", "co2": "energy",
}  # fmt: skip

_NEW_FIELDS_2025 = [
    _field("renewable_heat", "其他可再生能源利用量（光热、生物质等）", "Other renewable energy used (solar heat, biomass…)",
           "GJ", "GJ", "energy", "光热、生物质等可再生能源的利用量（不含可再生能源电力）；来源：205-1 能源购进、消费与库存。",
           "Solar heat, biomass and other renewable energy used, renewable electricity excluded; source: form 205-1."),
    _field("water_withdrawal", "取水量", "Water withdrawn", "m³", "m³", "resources",
           "当年取水总量；来源：205-4 用水情况。", "Total water withdrawn during the year; source: form 205-4."),
    _field("water_reused", "重复利用水量", "Water reused", "m³", "m³", "resources",
           "当年重复利用的水量（含循环用水和串联用水）；来源：205-4 用水情况。",
           "Water reused during the year (recirculated and cascaded); source: form 205-4."),
    _field("energy_carbon_functions", "能碳管理平台具备的功能", "Functions of the energy and carbon management platform",
           "项", "items", "energy", "勾选企业能碳管理平台已具备的功能；需上传平台功能截图或说明作为佐证。",
           "Tick the functions the enterprise's energy and carbon platform has; screenshots or a description as evidence.",
           kind="choice_set", choices=ENERGY_CARBON_FUNCTIONS),
    _field("advanced_equipment", "列入国家鼓励目录的先进工艺技术装备", "Advanced process equipment in the national encouraged catalogues",
           "项", "items", "clean", "列入国家鼓励发展目录的先进工艺、技术和装备的数量；需上传目录对应条目及设备清单。",
           "Number of advanced processes, technologies and equipment in the national encouraged catalogues; evidence: the catalogue entries and the equipment list.",
           kind="count"),
    _field("retrofit_projects_3y", "近三年绿色低碳改造项目", "Green and low-carbon retrofit projects in the last three years",
           "项", "items", "clean", "近三年完成的绿色低碳改造项目数量；需上传项目备案或验收材料。",
           "Green and low-carbon retrofit projects completed in the last three years; evidence: filing or acceptance documents.",
           kind="count"),
    _field("retrofit_investment_3y", "近三年绿色低碳改造投资额", "Investment in green and low-carbon retrofits in the last three years",
           "万元", "10k yuan", "clean", "近三年绿色低碳改造项目的投资额合计，不能大于近三年固定资产投资额。",
           "Total investment in green and low-carbon retrofit projects over the last three years; may not exceed the fixed-asset investment.",
           at_most="fixed_investment_3y"),
    _field("fixed_investment_3y", "近三年固定资产投资额", "Fixed-asset investment in the last three years",
           "万元", "10k yuan", "clean", "近三年固定资产投资额合计。", "Total fixed-asset investment over the last three years."),
    _field("wastewater_conc_pct", "废水主要污染物年均排放浓度占许可限值比例", "Wastewater pollutant concentration as a share of the permit limit",
           "%", "%", "clean", "废水主要污染物年均排放浓度占排污许可限值的比例；排污许可证未规定废水限值的请留空。来源：排污许可执行报告。",
           "Annual mean concentration of the main wastewater pollutants as a share of the permit limit; leave empty when the permit sets no wastewater limit. Source: the pollutant-discharge permit execution report.",
           empty_means="not_applicable"),
    _field("waste_gas_conc_pct", "废气主要污染物年均排放浓度占许可限值比例", "Waste-gas pollutant concentration as a share of the permit limit",
           "%", "%", "clean", "废气主要污染物年均排放浓度占排污许可限值的比例；排污许可证未规定废气限值的请留空。来源：排污许可执行报告。",
           "Annual mean concentration of the main waste-gas pollutants as a share of the permit limit; leave empty when the permit sets no waste-gas limit. Source: the pollutant-discharge permit execution report.",
           empty_means="not_applicable"),
    _field("product_categories", "主要产品类别数", "Main product categories", "项", "items", "products",
           "企业主要产品的类别数。", "Number of categories of the enterprise's main products.", kind="count"),
    _field("footprint_categories", "开展碳足迹核算（GB/T 24067）的产品类别数", "Product categories with a carbon footprint (GB/T 24067)",
           "项", "items", "products", "按 GB/T 24067 开展碳足迹核算的产品类别数，不能大于主要产品类别数；需上传碳足迹报告。",
           "Product categories whose carbon footprint was assessed under GB/T 24067; may not exceed the main product categories; evidence: the footprint reports.",
           kind="count", at_most="product_categories"),
    _field("energy_saving_output", "节能产品产值", "Output value of energy-saving products", "万元", "10k yuan", "products",
           "节能产品的产值，不能大于工业总产值；没有适用的国家能效标准时请留空。来源：B204-1 工业产销总值及主要产品产量。",
           "Output value of energy-saving products; may not exceed the gross output value; leave empty when no national energy-efficiency standard applies. Source: form B204-1.",
           at_most="output_value", empty_means="not_applicable"),
    _field("material_cases", "节约原材料、再生材料替代案例", "Cases of saving raw materials or substituting recycled materials",
           "项", "items", "resources", "节约原材料或以再生材料替代的案例数量，每个案例需上传佐证。",
           "Cases of saving raw materials or substituting recycled materials; each needs evidence.", kind="count"),
    _field("green_design_cases", "绿色设计典型应用案例", "Typical applications of green design", "项", "items", "products",
           "绿色设计典型应用案例数量，每个案例需上传佐证。", "Typical applications of green design; each needs evidence.",
           kind="count"),
]  # fmt: skip

_ENERGY_TCE = _terms(
    ("electricity", "0.0001229"), ("natural_gas", "0.0012143"), ("coal", "0.7143"), ("oil_products", "1.4571"),
    ("purchased_heat", "0.03412"),
)  # fmt: skip


def _ratio(numerator: list[dict[str, str]], denominator: list[dict[str, str]], scale: str = "1",
           cap: str | None = None) -> dict[str, Any]:  # fmt: skip
    return {"kind": "ratio", "numerator": numerator, "denominator": denominator, "scale": scale, "cap": cap}


def _indicator(code: str, zh: str, en: str, unit: str, unit_en: str, direction: str, dimension: str,
               definition: dict[str, Any], formula_zh: str, formula_en: str, *, same_as: str = "",
               evidence: bool = False, is_percent: bool = False) -> dict[str, Any]:  # fmt: skip
    return {
        "code": code, "name_zh": zh, "name_en": en, "unit": unit, "unit_en": unit_en, "direction": direction,
        "dimension": dimension, "definition": definition, "formula_zh": formula_zh, "formula_en": formula_en,
        "is_percent": is_percent, "evidence_required": evidence, "same_as": same_as,
    }  # fmt: skip


OUTPUT = _terms(("output_value", "1"))
SITE = _terms(("site_area", "1"))

_INDICATORS_2025 = [
    _indicator("EN-01", "单位产值综合能耗", "Energy use per 10k yuan of output", "tce/万元", "tce/10k yuan", "down", "energy",
               _ratio(_ENERGY_TCE, OUTPUT), "综合能耗（折标准煤，GB/T 2589-2020）÷ 工业总产值",
               "Total energy use (tce, GB/T 2589-2020) ÷ gross industrial output value", same_as="GBT36132-2018/EL-01"),
    _indicator("EN-02", "单位产值碳排放量", "CO₂ per 10k yuan of output", "tCO₂/万元", "tCO₂/10k yuan", "down", "energy",
               _ratio(_terms(("co2", "1")), OUTPUT), "二氧化碳排放量 ÷ 工业总产值",
               "CO₂ emitted ÷ gross industrial output value", same_as="GBT36132-2018/EL-02"),
    _indicator("EN-03", "可再生能源利用率", "Renewable energy rate", "%", "%", "up", "energy",
               _ratio(_terms(("renewable_electricity", "0.0001229"), ("renewable_heat", "0.03412")), _ENERGY_TCE, "100"),
               "(可再生能源电力 × 0.1229 ÷ 1000 + 其他可再生能源 × 0.03412) ÷ 综合能耗 × 100",
               "(renewable electricity × 0.1229 ÷ 1000 + other renewable energy × 0.03412) ÷ total energy use × 100",
               evidence=True, is_percent=True),
    _indicator("EN-04", "能碳管理平台功能符合数量", "Functions of the energy and carbon platform", "项", "items", "up", "energy",
               {"kind": "choice_count", "field": "energy_carbon_functions"}, "能碳管理平台具备的功能数",
               "Number of functions the energy and carbon platform has", evidence=True),
    _indicator("RE-01", "单位产值取水量", "Water withdrawn per 10k yuan of output", "m³/万元", "m³/10k yuan", "down", "resources",
               _ratio(_terms(("water_withdrawal", "1")), OUTPUT), "取水量 ÷ 工业总产值",
               "Water withdrawn ÷ gross industrial output value"),
    _indicator("RE-02", "工业用水重复利用率", "Industrial water reuse rate", "%", "%", "up", "resources",
               _ratio(_terms(("water_reused", "1")), _terms(("water_withdrawal", "1"), ("water_reused", "1")), "100"),
               "重复利用水量 ÷ (取水量 + 重复利用水量) × 100", "Water reused ÷ (water withdrawn + water reused) × 100",
               is_percent=True),
    _indicator("RE-03", "一般工业固体废物综合利用率", "General industrial solid waste utilisation rate", "%", "%", "up", "resources",
               _ratio(_terms(("solid_waste_utilized", "1")), _terms(("solid_waste", "1")), "100", "100"),
               "min(100, 综合利用量 ÷ 产生量 × 100)", "min(100, amount utilised ÷ amount generated × 100)",
               same_as="GBT36132-2018/WR-02", is_percent=True),
    _indicator("RE-04", "节约原材料案例", "Cases of saving raw materials", "项", "items", "up", "resources",
               {"kind": "value", "field": "material_cases", "divisor": "1"}, "节约原材料、再生材料替代案例数",
               "Cases of saving raw materials or substituting recycled materials", evidence=True),
    _indicator("CL-01", "先进工艺技术装备数量", "Advanced process equipment", "项", "items", "up", "clean",
               {"kind": "value", "field": "advanced_equipment", "divisor": "1"}, "列入国家鼓励目录的先进工艺技术装备数",
               "Advanced process equipment in the national encouraged catalogues", evidence=True),
    _indicator("CL-02", "近三年年均绿色低碳改造项目数", "Green retrofit projects per year (last three years)", "项/年",
               "items/year", "up", "clean", {"kind": "value", "field": "retrofit_projects_3y", "divisor": "3"},
               "近三年绿色低碳改造项目 ÷ 3", "Retrofit projects in the last three years ÷ 3", evidence=True),
    _indicator("CL-03", "近三年绿色低碳改造投资占比", "Share of green retrofit investment (last three years)", "%", "%", "up",
               "clean", _ratio(_terms(("retrofit_investment_3y", "1")), _terms(("fixed_investment_3y", "1")), "100"),
               "近三年绿色低碳改造投资额 ÷ 近三年固定资产投资额 × 100",
               "Retrofit investment ÷ fixed-asset investment (last three years) × 100", evidence=True, is_percent=True),
    _indicator("CL-04", "主要污染物排放浓度优于许可限值程度", "Pollutant concentrations below the permit limits", "%", "%", "up",
               "clean", {"kind": "mean_headroom", "fields": ["wastewater_conc_pct", "waste_gas_conc_pct"], "limit": "100"},
               "有许可限值的介质（废水、废气）的 (100 − 浓度占限值比例) 的平均值；均无限值时不适用",
               "Mean of (100 − concentration as a share of the limit) over the media with a permit limit; n/a when neither has one",
               evidence=True, is_percent=True),
    _indicator("PR-01", "碳足迹核算产品类别占比", "Share of product categories with a carbon footprint", "%", "%", "up",
               "products", _ratio(_terms(("footprint_categories", "1")), _terms(("product_categories", "1")), "100"),
               "开展碳足迹核算的产品类别数 ÷ 主要产品类别数 × 100",
               "Product categories with a carbon footprint ÷ main product categories × 100", evidence=True, is_percent=True),
    _indicator("PR-02", "节能产品产值占比", "Share of energy-saving products in output", "%", "%", "up", "products",
               _ratio(_terms(("energy_saving_output", "1")), OUTPUT, "100"), "节能产品产值 ÷ 工业总产值 × 100；未填节能产品产值时不适用",
               "Output of energy-saving products ÷ gross output value × 100; n/a when not given", evidence=True,
               is_percent=True),
    _indicator("PR-03", "绿色设计典型应用案例", "Typical applications of green design", "项", "items", "up", "products",
               {"kind": "value", "field": "green_design_cases", "divisor": "1"}, "绿色设计典型应用案例数",
               "Typical applications of green design", evidence=True),
    _indicator("LA-01", "单位用地面积产值", "Output value per mu of land", "万元/亩", "10k yuan/mu", "up", "land",
               _ratio(OUTPUT, SITE, PER_MU), "工业总产值 ÷ (用地面积 ÷ 666.67)",
               "Gross industrial output value ÷ (site area ÷ 666.67)", same_as="GBT36132-2018/LI-03"),
    _indicator("LA-02", "建筑系数", "Building coverage", "%", "%", "up", "land",
               _ratio(_terms(("footprint_area", "1")), SITE, "100"), "建构筑物及堆场占地面积 ÷ 用地面积 × 100",
               "Footprint of buildings, structures and yards ÷ site area × 100", same_as="GBT36132-2018/LI-02",
               is_percent=True),
    _indicator("LA-03", "容积率", "Plot ratio", "", "", "up", "land", _ratio(_terms(("floor_area", "1")), SITE),
               "计容建筑面积 ÷ 用地面积", "Floor area counted in the plot ratio ÷ site area", same_as="GBT36132-2018/LI-01"),
]  # fmt: skip


def gbt36132_2025() -> dict[str, Any]:
    """DOMAIN §4b: the platform's draft of GB/T 36132-2025, for the city to review and adopt."""
    kept = from_code(GBT36132_2018)["fields"]
    fields = [{**f, "dimension": _KEPT_2025[f["name"]]} for f in kept if f["name"] in _KEPT_2025]
    return {
        "code": "GBT36132-2025",
        "version": "2025",
        "name": "GB/T 36132-2025《绿色工厂评价通则》",
        "name_en": "GB/T 36132-2025 General principle for green factory evaluation",
        "status": "draft",
        "industry_divisions": [],
        "dimensions": [
            {"code": "energy", "name_zh": "能源低碳化", "name_en": "Low-carbon energy"},
            {"code": "resources", "name_zh": "资源高效化", "name_en": "Efficient use of resources"},
            {"code": "clean", "name_zh": "生产洁净化", "name_en": "Clean production"},
            {"code": "products", "name_zh": "产品绿色化", "name_en": "Green products"},
            {"code": "land", "name_zh": "用地集约化", "name_en": "Intensive land use"},
        ],
        "fields": fields + _NEW_FIELDS_2025,
        "indicators": _INDICATORS_2025,
    }


def shipped() -> list[dict[str, Any]]:
    return [from_code(GBT36132_2018), gbt36132_2025()]
