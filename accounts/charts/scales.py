"""Numbers to axes: values read leniently from caller data, and round tick steps of 1, 2 or 5 × 10^n."""

from __future__ import annotations

import math
from collections.abc import Sequence


def _num(value: object) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _bar_value(value: object) -> float:
    number = _num(value)
    return 0.0 if number is None or number < 0 else number


def _nice_step(raw: float) -> float:
    exponent = math.floor(math.log10(raw))
    fraction = raw / 10.0**exponent
    nice = 1.0 if fraction <= 1 else 2.0 if fraction <= 2 else 5.0 if fraction <= 5 else 10.0
    return nice * 10.0**exponent


def _scale(
    lo: float, hi: float, *, integral: bool, fixed_hi: bool = False
) -> tuple[float, float, list[float]]:
    """Axis bounds and tick values: round steps of 1, 2 or 5 × 10^n, about five of them."""
    if hi <= lo:
        hi = lo + 1
    step = _nice_step((hi - lo) / 5)
    if integral and step < 1:
        step = 1.0
    start = math.floor(lo / step + 1e-9) * step
    end = hi if fixed_hi else math.ceil(hi / step - 1e-9) * step
    ticks = []
    k = 0
    while start + k * step <= end + step * 1e-6:
        ticks.append(round(start + k * step, 10))
        k += 1
    return start, end, ticks


def _is_integral(values: Sequence[float]) -> bool:
    return all(abs(v - round(v)) < 1e-9 for v in values)
