"""Turning raw inputs into stored values and back, against a catalogue version (DOMAIN §4)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from factories.indicators import Catalogue, IndicatorValue, Message, Status, derive_indicators, get_catalogue

MAX_INTEGER_DIGITS = 15
MAX_DECIMAL_PLACES = 6


def parse_raw_values(
    catalogue: Catalogue, values: Mapping[str, Any]
) -> tuple[dict[str, Decimal | None], dict[str, list[str]]]:
    """Parse user input (strings, numbers, empty) into Decimals; returns (values, field errors).

    Empty input means not reported (None). Unknown field names are errors, so a typo in an API call
    or an import column is never silently dropped. Errors are Messages (Chinese str, English `.en`);
    the Django layer shows the one of the user's language.
    """
    known = {f.name: f for f in catalogue.raw_fields}
    parsed: dict[str, Decimal | None] = {}
    errors: dict[str, list[str]] = {}
    for name, value in values.items():
        field = known.get(name)
        if field is None:
            errors[name] = [Message(f"未知字段“{name}”。", f'Unknown field "{name}".')]
            continue
        if value is None or (isinstance(value, str) and not value.strip()):
            parsed[name] = None
            continue
        if isinstance(value, bool):
            errors[name] = [Message(f"{field.label_zh}应为数字。", f"{field.label_en} must be a number.")]
            continue
        try:
            number = Decimal(str(value).strip().replace(",", "")) if not isinstance(value, Decimal) else value
        except (InvalidOperation, ValueError):
            errors[name] = [
                Message(
                    f"{field.label_zh}应为数字，“{value}”无法识别。",
                    f'{field.label_en} must be a number; "{value}" is not recognised.',
                )
            ]
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


def to_storage(values: Mapping[str, Decimal | None]) -> dict[str, str | None]:
    """Decimals as strings for the JSON column (never floats)."""
    return {k: (None if v is None else format(v, "f")) for k, v in values.items()}


def from_storage(stored: Mapping[str, str | None], catalogue: Catalogue) -> dict[str, Decimal | None]:
    """Every catalogue field, None where not reported."""
    return {
        f.name: (None if (text := stored.get(f.name)) is None else Decimal(text))
        for f in catalogue.raw_fields
    }


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


def compute_indicators(
    stored_raw: Mapping[str, str | None], catalogue_version: str
) -> dict[str, IndicatorValue]:
    catalogue = get_catalogue(catalogue_version)
    return derive_indicators(from_storage(stored_raw, catalogue), catalogue)
