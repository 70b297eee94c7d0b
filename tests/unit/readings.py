"""Shorthand for the engine table tests: indicator readings written as strings."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from factories.indicators import Direction, IndicatorValue, Status

UP, DOWN = Direction.UP, Direction.DOWN
NR = "not reported"
NA = "not applicable"
Y = 2025


def reading(code: str, raw: str | None) -> IndicatorValue | None:
    """ "12.5" → ok, NR → not reported, NA → not applicable, None → absent."""
    if raw is None:
        return None
    if raw == NR:
        return IndicatorValue(code, Status.NOT_REPORTED)
    if raw == NA:
        return IndicatorValue(code, Status.NOT_APPLICABLE)
    return IndicatorValue(code, Status.OK, Decimal(raw))


def readings(values: Mapping[str, str]) -> dict[str, IndicatorValue]:
    return {code: iv for code, raw in values.items() if (iv := reading(code, raw)) is not None}
