"""Turning raw inputs into stored values and back, against a catalogue version (DOMAIN §4)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from factories.catalogues.bridge import FieldDef, ReportingCatalogue, derive_indicators, reporting_catalogue
from factories.catalogues.engine import FieldKind
from factories.indicators import Catalogue, IndicatorValue, Message, RawField, Status

AnyCatalogue = ReportingCatalogue | Catalogue
"""A catalogue version (factories.catalogues.bridge) or the code catalogue, whose fields are all decimals."""
AnyField = FieldDef | RawField


def _kind(field: AnyField) -> str:
    return getattr(field, "kind", FieldKind.DECIMAL)


MAX_INTEGER_DIGITS = 15
MAX_DECIMAL_PLACES = 6


class NumberRefused(ValueError):
    """Typed text that is not a number in a form a clerk would mean; `kind` says which rule it broke."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


_PLAIN = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_GROUPED = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?")
_SCIENTIFIC = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][+-]?[0-9]+")
_INNER_SEPARATORS = re.compile(r"[0-9][_\s'][0-9]")


def read_number(value: Any) -> Decimal:
    """The one reading of a typed number, for the web form, the API and the Excel import alike.

    Numbers that arrive as numbers (a JSON number, a numeric Excel cell, a Decimal) are taken as they
    are. Text is read the way a clerk writes a number, and anything that could mean two things is
    refused rather than guessed:

    - ASCII or full-width digits (a Chinese input method's "１２．５" is 12.5), an optional sign, an
      optional decimal point: "12.5", ".5", "-3";
    - commas only as thousands separators and only where no other reading exists: two or more groups
      ("1,234,567") or groups followed by a decimal point ("1,234.5"). A single group without a
      point ("12,500") is 12500 to one clerk and 12.5 to another, so it is refused ("ambiguous_comma"),
      and so is every other comma ("12,5", "1,23": "decimal_comma") — never multiplied by 1000;
    - underscores, spaces and apostrophes between digits ("1_000", "1 000", "1'000") are refused
      ("separator"): Python would read "1_000" as 1000, a clerk means no such thing;
    - scientific notation ("1.23457E+11") is refused ("scientific"): it is what Excel shows of a long
      number in a narrow column, and copied as text the hidden digits are lost;
    - everything else ("12%", "¥12", "NaN", other scripts' digits) is "not_a_number".
    """
    if isinstance(value, bool):
        raise NumberRefused("not_a_number")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if _PLAIN.fullmatch(text):
        return Decimal(text)
    if _GROUPED.fullmatch(text):
        if text.count(",") == 1 and "." not in text:
            raise NumberRefused("ambiguous_comma")
        return Decimal(text.replace(",", ""))
    if "," in text and _PLAIN.fullmatch(text.replace(",", "")):
        raise NumberRefused("decimal_comma")
    if _INNER_SEPARATORS.search(text):
        raise NumberRefused("separator")
    if _SCIENTIFIC.fullmatch(text):
        raise NumberRefused("scientific")
    raise NumberRefused("not_a_number")


def _refusal(kind: str, field: AnyField, typed: Any) -> Message:
    """The message for a refused number: what was wrong and how to write it instead."""
    zh, en = field.label_zh, field.label_en
    text = str(typed)
    # The typed value is quoted back, but never a whole pasted page of it.
    value = text if len(text) <= 40 else text[:40] + "…"
    if kind == "decimal_comma":
        return Message(
            f"{zh}应为数字，“{value}”中的逗号不能作小数点：请用小数点（如 12.5）。",
            f'{en} must be a number; the comma in "{value}" cannot be a decimal point: use a decimal point '
            "(e.g. 12.5).",
        )
    if kind == "ambiguous_comma":
        return Message(
            f"{zh}应为数字，“{value}”中的逗号含义不明确：整数请不加分隔符（如 12500），小数请用小数点（如 12.5）。",
            f'{en} must be a number; the comma in "{value}" is ambiguous: write whole numbers without '
            "separators (e.g. 12500) and decimals with a decimal point (e.g. 12.5).",
        )
    if kind == "separator":
        return Message(
            f"{zh}应为数字，“{value}”中含有下划线、空格或撇号：请只填写数字和小数点（如 1000）。",
            f'{en} must be a number; "{value}" contains an underscore, space or apostrophe: use digits '
            "and a decimal point only (e.g. 1000).",
        )
    if kind == "scientific":
        return Message(
            f"{zh}应为数字，请填写完整的数字，不要使用科学计数法（“{value}”）。",
            f'{en} must be a number written out in full, not in scientific notation ("{value}").',
        )
    return Message(
        f"{zh}应为数字，“{value}”无法识别。",
        f'{en} must be a number; "{value}" is not recognised.',
    )


YES = frozenset({"1", "是", "yes", "y", "true", "有"})
NO = frozenset({"0", "否", "no", "n", "false", "无"})
_ITEM_SEPARATORS = re.compile(r"[、,，;；\n]+")
NONE_CHOSEN = "以上均不具备"
"""What a sheet says for a choice set of which no item applies (stored as [])."""
_NONE_WORDS = frozenset({NONE_CHOSEN, "无", "没有", "以上都不具备", "none"})


def _yes_no(field: AnyField, value: Any) -> tuple[Decimal | None, Message | None]:
    """A yes-no answer: true/false, 1/0, 是/否, yes/no → Decimal 1 or 0."""
    if isinstance(value, bool):
        return Decimal(int(value)), None
    text = unicodedata.normalize("NFKC", str(value)).strip().lower()
    if text in YES or (isinstance(value, int | Decimal) and value == 1):
        return Decimal(1), None
    if text in NO or (isinstance(value, int | Decimal) and value == 0):
        return Decimal(0), None
    return None, Message(
        f"{field.label_zh}只能填“是”或“否”（当前为“{str(value)[:40]}”）。",
        f'{field.label_en} can only be "yes" or "no" (currently "{str(value)[:40]}").',
    )


def _choice_set(field: FieldDef, value: Any) -> tuple[list[str] | None, Message | None]:
    """A choice set: a list of item names (text separated by 、 or commas from a form or a sheet) → the
    chosen items in catalogue order, any unknown item kept after them for `validate_raw` to name."""
    if isinstance(value, str) and unicodedata.normalize("NFKC", value).strip().lower() in _NONE_WORDS:
        items = []
    elif isinstance(value, str):
        items = [item.strip() for item in _ITEM_SEPARATORS.split(value) if item.strip()]
    elif isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
        items = [item.strip() for item in value]
    else:
        return None, Message(
            f'{field.label_zh}应为所选项目名称的列表（如 ["{field.choices[0] if field.choices else "…"}"]；'
            "一项都没有时为空列表 []，未填报时为 null）。",
            f"{field.label_en} must be a list of the chosen item names (an empty list [] when none applies, "
            "null when not reported).",
        )
    chosen = set(items)
    return [c for c in field.choices if c in chosen] + [
        item for item in dict.fromkeys(items) if item not in field.choices
    ], None


def parse_raw_values(
    catalogue: AnyCatalogue, values: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Parse user input (strings, numbers, lists, empty) into stored kinds; returns (values, field errors).

    Empty input means not reported (None). Numbers are read by `read_number`; a yes-no answer becomes
    Decimal 1 or 0; a choice set the list of chosen item names (an empty list = none chosen). Unknown
    field names are errors, so a typo in an API call or an import column is never silently dropped.
    Errors are Messages (Chinese str, English `.en`); the Django layer shows the one of the user's
    language. Whole numbers for counts, ≥ 0 and the choice items are checked by `validate_raw`.
    """
    known = {f.name: f for f in catalogue.raw_fields}
    parsed: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name, value in values.items():
        field = known.get(name)
        if field is None:
            errors[name] = [Message(f"未知字段“{name}”。", f'Unknown field "{name}".')]
            continue
        if value is None or (isinstance(value, str) and not value.strip()):
            parsed[name] = None
            continue
        if isinstance(field, FieldDef) and field.is_choice_set:
            parsed[name], problem = _choice_set(field, value)
            if problem is not None:
                errors[name] = [problem]
            continue
        if _kind(field) == FieldKind.YES_NO:
            parsed[name], problem = _yes_no(field, value)
            if problem is not None:
                errors[name] = [problem]
            continue
        try:
            number = read_number(value)
        except NumberRefused as refused:
            errors[name] = [_refusal(refused.kind, field, value)]
            continue
        if not number.is_finite():
            errors[name] = [
                Message(f"{field.label_zh}应为有限的数字。", f"{field.label_en} must be a finite number.")
            ]
            continue
        exponent = number.as_tuple().exponent
        decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        integer_digits = number.adjusted() + 1 if number else 1
        if decimals > MAX_DECIMAL_PLACES:
            errors[name] = [
                Message(
                    f"{field.label_zh}最多保留{MAX_DECIMAL_PLACES}位小数。",
                    f"{field.label_en} may have at most {MAX_DECIMAL_PLACES} decimal places.",
                )
            ]
            continue
        if integer_digits > MAX_INTEGER_DIGITS:
            errors[name] = [
                Message(
                    f"{field.label_zh}数值过大，请检查单位（{field.unit}）。",
                    f"{field.label_en} is too large; please check the unit ({field.unit_en}).",
                )
            ]
            continue
        parsed[name] = number
    return parsed, errors


def to_storage(values: Mapping[str, Any]) -> dict[str, Any]:
    """Decimals as strings for the JSON column (never floats); a choice set stays the list of item names."""
    return {
        k: (None if v is None else list(v) if isinstance(v, list | tuple) else format(v, "f"))
        for k, v in values.items()
    }


def _stored_value(field: AnyField, stored: Any) -> Any:
    if stored is None:
        return None
    if _kind(field) == FieldKind.CHOICE_SET:
        return list(stored) if isinstance(stored, list | tuple) else None
    if isinstance(stored, list | dict):
        return None  # not a figure of this kind (data of another catalogue under the same name)
    return Decimal(str(stored))


def from_storage(stored: Mapping[str, Any], catalogue: AnyCatalogue) -> dict[str, Any]:
    """Every catalogue field, None where not reported: Decimals, and lists of item names for choice sets."""
    return {f.name: _stored_value(f, stored.get(f.name)) for f in catalogue.raw_fields}


def indicators_to_storage(indicators: Mapping[str, IndicatorValue]) -> dict[str, dict[str, str | None]]:
    return {
        code: {"status": str(iv.status), "value": None if iv.value is None else format(iv.value, "f")}
        for code, iv in indicators.items()
    }


def indicators_from_storage(stored: Mapping[str, Mapping[str, Any]]) -> dict[str, IndicatorValue]:
    return {
        code: IndicatorValue(
            code, Status(item["status"]), None if item["value"] is None else Decimal(item["value"])
        )
        for code, item in stored.items()
    }


def compute_indicators(stored_raw: Mapping[str, Any], catalogue_version: str) -> dict[str, IndicatorValue]:
    """The indicators of the catalogue version from stored raw values (any version, any field kind)."""
    catalogue = reporting_catalogue(catalogue_version)
    return derive_indicators(from_storage(stored_raw, catalogue), catalogue)
