"""The pure catalogue engine: plain catalogue data, its checks and the indicators it derives (§4, §4b).

No Django, no ORM: a catalogue version from the database is turned into a `CatalogueSpec` by the
selector, and everything here is tested from tables. A definition is structured data, never code:

- ``ratio``: Σ(weight·numerator field) × scale ÷ Σ(weight·denominator field), capped at ``cap``
  (``None`` = no cap; the key itself must be present, so "no cap" is always a decision);
- ``value``: one count, decimal or yes-no field ÷ ``divisor`` (e.g. a three-year total per year);
- ``choice_count`` / ``choice_share``: how many items of a choice set are chosen (× ``scale`` ÷ all items);
- ``mean_headroom``: the mean of (``limit`` − value) over the fields that have a value.

Statuses follow §4: a zero denominator is not applicable; an empty input is not reported, unless the
field says that empty means "does not apply" (e.g. no permit limit for waste gas), which gives n/a.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from factories.indicators import (
    DIVISION_CONTEXT as _DIVIDE,
)
from factories.indicators import (
    EXACT_CONTEXT as _EXACT,
)
from factories.indicators import (
    INDICATOR_QUANTUM,
    Direction,
    IndicatorValue,
    Message,
    Status,
)

ZERO = Decimal(0)


class FieldKind(StrEnum):
    DECIMAL = "decimal"
    COUNT = "count"
    CHOICE_SET = "choice_set"
    YES_NO = "yes_no"


class EmptyMeans(StrEnum):
    NOT_REPORTED = "not_reported"
    NOT_APPLICABLE = "not_applicable"


class DefinitionKind(StrEnum):
    RATIO = "ratio"
    VALUE = "value"
    CHOICE_COUNT = "choice_count"
    CHOICE_SHARE = "choice_share"
    MEAN_HEADROOM = "mean_headroom"


NUMERIC_KINDS = frozenset({FieldKind.DECIMAL, FieldKind.COUNT, FieldKind.YES_NO})


@dataclass(frozen=True)
class FieldSpec:
    """A raw field of a catalogue version: what an enterprise reports and the rules its value obeys."""

    name: str
    label_zh: str
    label_en: str = ""
    unit: str = ""
    kind: str = FieldKind.DECIMAL
    must_be_positive: bool = False
    at_most: str = ""
    choices: tuple[str, ...] = ()
    empty_means: str = EmptyMeans.NOT_REPORTED
    dimension: str = ""


@dataclass(frozen=True)
class IndicatorSpec:
    """An indicator of a catalogue version with its structured definition."""

    code: str
    name_zh: str
    definition: Mapping[str, Any]
    direction: str = Direction.UP
    dimension: str = ""
    same_as: str = ""
    """"CATALOGUE/CODE" of the indicator of an earlier catalogue this one continues, or ""."""


@dataclass(frozen=True)
class CatalogueSpec:
    code: str
    fields: tuple[FieldSpec, ...]
    indicators: tuple[IndicatorSpec, ...]
    dimensions: tuple[str, ...] = ()
    known_same_as: frozenset[str] = field(default_factory=frozenset)
    """Every "CATALOGUE/CODE" of the other catalogue versions, for checking same_as."""


def _number(text: Any) -> Decimal | None:
    """A definition constant ("100", "0.0001229"), or None when absent or not a finite number."""
    if text is None or isinstance(text, bool):
        return None
    try:
        number = Decimal(str(text))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _terms(definition: Mapping[str, Any], key: str) -> list[tuple[str, Decimal | None]]:
    terms = definition.get(key) or []
    return [(str(t.get("field", "")), _number(t.get("weight", "1"))) for t in terms if isinstance(t, Mapping)]


def referenced_fields(definition: Mapping[str, Any]) -> list[str]:
    """Every field name a definition reads, in the order written."""
    kind = definition.get("kind")
    if kind == DefinitionKind.RATIO:
        return [name for name, _ in (*_terms(definition, "numerator"), *_terms(definition, "denominator"))]
    if kind == DefinitionKind.MEAN_HEADROOM:
        return [str(name) for name in definition.get("fields") or []]
    return [str(definition.get("field", ""))]


# --- evaluation --------------------------------------------------------------------------------------


class _Missing(Exception):
    def __init__(self, status: Status) -> None:
        self.status = status


def _decimal(stored: Any) -> Decimal | None:
    if stored is None:
        return None
    if isinstance(stored, bool):
        return Decimal(int(stored))
    if isinstance(stored, Decimal):
        return stored
    return Decimal(str(stored))


def _weighted_sum(
    terms: Sequence[tuple[str, Decimal | None]], raw: Mapping[str, Any], fields: Mapping[str, FieldSpec]
) -> Decimal:
    values = []
    for name, _ in terms:
        value = _decimal(raw.get(name))
        if value is None:
            empty_na = fields[name].empty_means == EmptyMeans.NOT_APPLICABLE
            raise _Missing(Status.NOT_APPLICABLE if empty_na else Status.NOT_REPORTED)
        values.append(value)
    total = ZERO
    for value, (_, weight) in zip(values, terms, strict=True):
        total = _EXACT.add(total, value if weight is None else _EXACT.multiply(value, weight))
    return total


def _finish(code: str, value: Decimal, cap: Decimal | None = None) -> IndicatorValue:
    if cap is not None and value > cap:
        value = cap
    return IndicatorValue(code, Status.OK, value.quantize(INDICATOR_QUANTUM, ROUND_HALF_UP, _DIVIDE))


def _evaluate_one(
    indicator: IndicatorSpec, raw: Mapping[str, Any], fields: Mapping[str, FieldSpec]
) -> IndicatorValue:
    definition = indicator.definition
    kind = definition.get("kind")
    code = indicator.code
    try:
        if kind == DefinitionKind.RATIO:
            # Denominator first, as in §4: empty → not reported, zero → not applicable; then numerators.
            denominator = _weighted_sum(_terms(definition, "denominator"), raw, fields)
            if denominator == ZERO:
                return IndicatorValue(code, Status.NOT_APPLICABLE)
            numerator = _weighted_sum(_terms(definition, "numerator"), raw, fields)
            scale = _number(definition.get("scale")) or Decimal(1)
            value = _DIVIDE.divide(_EXACT.multiply(numerator, scale), denominator)
            return _finish(code, value, _number(definition.get("cap")))
        if kind == DefinitionKind.VALUE:
            value = _weighted_sum([(str(definition.get("field")), None)], raw, fields)
            divisor = _number(definition.get("divisor")) or Decimal(1)
            return _finish(code, _DIVIDE.divide(value, divisor))
        if kind in (DefinitionKind.CHOICE_COUNT, DefinitionKind.CHOICE_SHARE):
            spec = fields[str(definition.get("field"))]
            chosen = raw.get(spec.name)
            if chosen is None:
                empty_na = spec.empty_means == EmptyMeans.NOT_APPLICABLE
                return IndicatorValue(code, Status.NOT_APPLICABLE if empty_na else Status.NOT_REPORTED)
            count = Decimal(len(set(chosen) & set(spec.choices)))
            if kind == DefinitionKind.CHOICE_COUNT:
                return _finish(code, count)
            if not spec.choices:
                return IndicatorValue(code, Status.NOT_APPLICABLE)
            scale = _number(definition.get("scale")) or Decimal(1)
            return _finish(code, _DIVIDE.divide(_EXACT.multiply(count, scale), Decimal(len(spec.choices))))
        if kind == DefinitionKind.MEAN_HEADROOM:
            limit = _number(definition.get("limit")) or Decimal(100)
            present = []
            for name in definition.get("fields") or []:
                reported = _decimal(raw.get(name))
                if reported is None:
                    if fields[name].empty_means != EmptyMeans.NOT_APPLICABLE:
                        return IndicatorValue(code, Status.NOT_REPORTED)
                    continue
                present.append(_EXACT.subtract(limit, reported))
            if not present:
                return IndicatorValue(code, Status.NOT_APPLICABLE)
            total = ZERO
            for headroom in present:
                total = _EXACT.add(total, headroom)
            return _finish(code, _DIVIDE.divide(total, Decimal(len(present))))
    except _Missing as missing:
        return IndicatorValue(code, missing.status)
    raise ValueError(f"{code}: unknown definition kind {kind!r}")


def evaluate(spec: CatalogueSpec, raw: Mapping[str, Any]) -> dict[str, IndicatorValue]:
    """Every indicator of the catalogue from stored raw values (decimal strings, lists for choice sets).

    Values are rounded half-up to 6 decimals, exactly as `factories.indicators.derive_indicators` does,
    so the shipped GBT36132-2018 version gives the same results as the code catalogue (§4).
    """
    fields = {f.name: f for f in spec.fields}
    return {indicator.code: _evaluate_one(indicator, raw, fields) for indicator in spec.indicators}


# --- checks ------------------------------------------------------------------------------------------


def _at_most_cycles(fields: Sequence[FieldSpec]) -> list[list[str]]:
    """Each cycle of ≤ relations once, as the list of field names it passes through."""
    limit_of = {f.name: f.at_most for f in fields if f.at_most}
    cycles: list[list[str]] = []
    seen: set[str] = set()
    for start in limit_of:
        path: list[str] = []
        name = start
        while name in limit_of and name not in path and name not in seen:
            path.append(name)
            name = limit_of[name]
        if name in path:
            cycles.append(path[path.index(name) :])
        seen.update(path)
    return cycles


def check(spec: CatalogueSpec) -> list[Message]:
    """Every problem of a catalogue version in words (Chinese, with English), or [] when it can be adopted."""
    problems: list[Message] = []
    add = problems.append
    names = [f.name for f in spec.fields]
    by_name = {f.name: f for f in spec.fields}
    labels = {f.name: f.label_zh or f.name for f in spec.fields}
    dimensions = set(spec.dimensions)
    if not spec.fields:
        add(Message("目录中还没有原始数据项。", "The catalogue has no raw fields yet."))
    if not spec.indicators:
        add(Message("目录中还没有指标。", "The catalogue has no indicators yet."))
    for name in sorted({n for n in names if names.count(n) > 1}):
        add(Message(f"数据项名称“{name}”重复。", f'The field name "{name}" is used twice.'))
    for f in spec.fields:
        if not f.name.isidentifier() or not f.name.isascii() or f.name != f.name.lower():
            add(
                Message(
                    f"数据项名称“{f.name}”只能由小写英文字母、数字和下划线组成，且不能以数字开头。",
                    f'The field name "{f.name}" may only contain lower-case letters, digits and underscores and may not start with a digit.',
                )
            )
        if not f.label_zh.strip():
            add(Message(f"数据项“{f.name}”缺少中文名称。", f'The field "{f.name}" has no Chinese label.'))
        if f.at_most and f.at_most not in by_name:
            add(
                Message(
                    f"数据项“{labels[f.name]}”的“不大于”约束引用了不存在的数据项“{f.at_most}”。",
                    f'The "at most" rule of the field "{f.name}" names a field that does not exist: "{f.at_most}".',
                )
            )
        if f.at_most and f.at_most in by_name and by_name[f.at_most].kind not in NUMERIC_KINDS:
            add(
                Message(
                    f"数据项“{labels[f.name]}”只能与数值型数据项比较大小，“{labels[f.at_most]}”不是数值。",
                    f'The field "{f.name}" can only be compared with a numeric field; "{f.at_most}" is not one.',
                )
            )
        if f.kind == FieldKind.CHOICE_SET and not f.choices:
            add(
                Message(
                    f"多选数据项“{labels[f.name]}”还没有选项。", f'The choice set "{f.name}" has no items.'
                )
            )
        if f.kind == FieldKind.CHOICE_SET and len(set(f.choices)) != len(f.choices):
            add(
                Message(
                    f"多选数据项“{labels[f.name]}”的选项有重复。",
                    f'The choice set "{f.name}" repeats an item.',
                )
            )
        if dimensions and f.dimension and f.dimension not in dimensions | {"general"}:
            add(
                Message(
                    f"数据项“{labels[f.name]}”所属的维度“{f.dimension}”不存在。",
                    f'The field "{f.name}" belongs to a dimension that does not exist: "{f.dimension}".',
                )
            )
    for cycle in _at_most_cycles(spec.fields):
        loop = " ≤ ".join(labels[n] for n in [*cycle, cycle[0]])
        add(
            Message(
                f"“不大于”约束构成循环：{loop}。",
                f"The “at most” rules form a cycle: {' ≤ '.join([*cycle, cycle[0]])}.",
            )
        )
    codes = [i.code for i in spec.indicators]
    for code in sorted({c for c in codes if codes.count(c) > 1}):
        add(Message(f"指标代码“{code}”重复。", f'The indicator code "{code}" is used twice.'))
    for indicator in spec.indicators:
        problems += _check_indicator(indicator, spec, by_name, labels, dimensions)
    return problems


def _check_indicator(
    indicator: IndicatorSpec,
    spec: CatalogueSpec,
    by_name: Mapping[str, FieldSpec],
    labels: Mapping[str, str],
    dimensions: set[str],
) -> list[Message]:
    problems: list[Message] = []
    add = problems.append
    code = indicator.code or "（无代码）"
    definition = indicator.definition
    kind = definition.get("kind")
    if not indicator.code.strip():
        add(Message("有一个指标缺少代码。", "An indicator has no code."))
    if not indicator.name_zh.strip():
        add(Message(f"指标 {code} 缺少中文名称。", f"The indicator {code} has no Chinese name."))
    if dimensions and indicator.dimension not in dimensions:
        add(
            Message(
                f"指标 {code} 所属的维度“{indicator.dimension}”不存在。",
                f'The indicator {code} belongs to a dimension that does not exist: "{indicator.dimension}".',
            )
        )
    if indicator.same_as and indicator.same_as not in spec.known_same_as:
        add(
            Message(
                f"指标 {code} 所延续的指标“{indicator.same_as}”不存在（应为早先目录中的指标，如 GBT36132-2018/EL-01）。",
                f'The indicator {code} continues "{indicator.same_as}", which does not exist (it must be an '
                "indicator of an earlier catalogue, e.g. GBT36132-2018/EL-01).",
            )
        )
    if kind not in set(DefinitionKind):
        add(
            Message(
                f"指标 {code} 的计算方式未设定或无法识别。",
                f"The indicator {code} has no known kind of definition.",
            )
        )
        return problems
    referenced = referenced_fields(definition)
    if not [n for n in referenced if n]:
        add(Message(f"指标 {code} 的定义没有引用任何数据项。", f"The definition of {code} reads no field."))
    for name in referenced:
        if name and name not in by_name:
            add(
                Message(
                    f"指标 {code} 的定义引用了不存在的数据项“{name}”。",
                    f'The definition of {code} names a field that does not exist: "{name}".',
                )
            )
    known = [by_name[n] for n in referenced if n in by_name]
    choice_kinds = (DefinitionKind.CHOICE_COUNT, DefinitionKind.CHOICE_SHARE)
    for f in known:
        if kind in choice_kinds and f.kind != FieldKind.CHOICE_SET:
            add(
                Message(
                    f"指标 {code} 按选项计数，但“{labels[f.name]}”不是多选数据项。",
                    f'The indicator {code} counts chosen items, but "{f.name}" is not a choice set.',
                )
            )
        if kind not in choice_kinds and f.kind not in NUMERIC_KINDS:
            add(
                Message(
                    f"指标 {code} 做数值计算，但“{labels[f.name]}”不是数值数据项。",
                    f'The indicator {code} computes with numbers, but "{f.name}" is not numeric.',
                )
            )
    if kind == DefinitionKind.RATIO:
        if not _terms(definition, "numerator"):
            add(Message(f"指标 {code} 缺少分子。", f"The indicator {code} has no numerator."))
        if not _terms(definition, "denominator"):
            add(Message(f"指标 {code} 缺少分母。", f"The indicator {code} has no denominator."))
        for name, weight in (*_terms(definition, "numerator"), *_terms(definition, "denominator")):
            if weight is None:
                add(
                    Message(
                        f"指标 {code} 中数据项“{labels.get(name, name)}”的系数不是数字。",
                        f'The weight of "{name}" in {code} is not a number.',
                    )
                )
    if kind in (DefinitionKind.RATIO, DefinitionKind.CHOICE_SHARE):
        scale = _number(definition.get("scale"))
        if scale is None or scale <= ZERO:
            add(
                Message(
                    f"指标 {code} 缺少倍数（如百分比填 100，否则填 1）。",
                    f"The indicator {code} has no scale (100 for a percentage, 1 otherwise).",
                )
            )
    if kind == DefinitionKind.RATIO:
        if "cap" not in definition:
            add(
                Message(
                    f"指标 {code} 未说明上限：请填写上限（如 100），不封顶请填“无”。",
                    f'The indicator {code} does not say whether it is capped: give a cap (e.g. 100) or "none".',
                )
            )
        elif definition["cap"] is not None and (_number(definition["cap"]) or ZERO) <= ZERO:
            add(
                Message(
                    f"指标 {code} 的上限应为大于0的数字。",
                    f"The cap of {code} must be a number greater than 0.",
                )
            )
    if kind == DefinitionKind.VALUE:
        divisor = _number(definition.get("divisor", "1"))
        if divisor is None or divisor <= ZERO:
            add(
                Message(
                    f"指标 {code} 的除数应为大于0的数字。",
                    f"The divisor of {code} must be a number greater than 0.",
                )
            )
    return problems


def spec_from_data(data: Mapping[str, Any], known_same_as: frozenset[str] = frozenset()) -> CatalogueSpec:
    """A spec from catalogue data in the shipped JSON shape (factories/data/catalogues/*.json)."""
    return CatalogueSpec(
        code=str(data["code"]),
        fields=tuple(
            FieldSpec(
                name=f["name"],
                label_zh=f["label_zh"],
                label_en=f.get("label_en", ""),
                unit=f.get("unit", ""),
                kind=f.get("kind", FieldKind.DECIMAL),
                must_be_positive=bool(f.get("must_be_positive")),
                at_most=f.get("at_most", ""),
                choices=tuple(f.get("choices") or ()),
                empty_means=f.get("empty_means", EmptyMeans.NOT_REPORTED),
                dimension=f.get("dimension", ""),
            )
            for f in data["fields"]
        ),
        indicators=tuple(
            IndicatorSpec(
                code=i["code"],
                name_zh=i["name_zh"],
                definition=i["definition"],
                direction=i.get("direction", Direction.UP),
                dimension=i.get("dimension", ""),
                same_as=i.get("same_as", ""),
            )
            for i in data["indicators"]
        ),
        dimensions=tuple(str(d["code"]) for d in data.get("dimensions") or []),
        known_same_as=known_same_as,
    )
