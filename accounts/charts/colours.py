"""Chart colours: the series palette and the contrast rules that pick text and outline colours."""

from __future__ import annotations

from functools import lru_cache

from accounts.charts.svg import _AXIS, _TEXT, _WHITE

# Series colours: each has at least 3:1 contrast against white (WCAG 1.4.11 for graphics) and the
# neighbours differ in hue and lightness, so adjacent series stay apart for colour-blind readers.
PALETTE: list[str] = [
    "#1b5e20",  # deep green (brand)
    "#1565c0",  # blue
    "#e65100",  # orange
    "#6a1b9a",  # purple
    "#00838f",  # teal
    "#ad1457",  # magenta
    "#5d4037",  # brown
    "#546e7a",  # blue grey
]

# Cultivation-pool levels: hues far from the grade greens (factories.models.Grade) so a pool chart never
# reads as a grade chart.
LEVEL_COLORS: dict[str, str] = {
    "B": "#0277bd",
    "C": "#f9a825",
    "D": "#8d6e63",
}


def _rgb(color: str) -> tuple[float, float, float] | None:
    code = color.strip().lstrip("#")
    if len(code) == 3:
        code = "".join(c * 2 for c in code)
    if len(code) != 6:
        return None
    try:
        return tuple(int(code[i : i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]
    except ValueError:
        return None


# Colours are a handful of fixed strings, and every bar asks for its outline and its label colour: each
# answer is worked out once.
@lru_cache(maxsize=256)
def _luminance(color: str) -> float:
    rgb = _rgb(color)
    if rgb is None:
        return 0.1
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


@lru_cache(maxsize=256)
def text_color_on(background: str) -> str:
    """Dark or white text, whichever contrasts more with ``background`` (WCAG relative luminance)."""
    lum = _luminance(background)
    on_white = 1.05 / (lum + 0.05)
    on_dark = (lum + 0.05) / (_luminance(_TEXT) + 0.05)
    return _WHITE if on_white >= on_dark else _TEXT


def _darker(color: str, factor: float = 0.62) -> str:
    rgb = _rgb(color)
    if rgb is None:
        return _AXIS
    return "#" + "".join(f"{round(c * 255 * factor):02x}" for c in rgb)


@lru_cache(maxsize=256)
def _edge(fill: str) -> str | None:
    """Light fills (grade A, level C) get a darker outline so they stand out from a white card."""
    return _darker(fill) if _luminance(fill) > 0.45 else None


def _mix(a: str, b: str, t: float) -> str:
    ra, rb = _rgb(a), _rgb(b)
    if ra is None or rb is None:
        return a
    return "#" + "".join(f"{round((x + (y - x) * t) * 255):02x}" for x, y in zip(ra, rb, strict=True))
