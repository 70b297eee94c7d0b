"""SVG primitives of the charts: escaped text, attributes, numbers as drawn, the frame and the markers.

Every piece of caller text goes through ``_esc`` here, so no chart can emit unescaped markup; every
coordinate goes through ``_n``, so the same input always gives the same bytes.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from functools import lru_cache

FONT_FAMILY = "system-ui, 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif"

_TEXT = "#1f2937"
_MUTED = "#4b5563"
_GRID = "#e5e7eb"
_AXIS = "#9ca3af"
_WHITE = "#ffffff"

# Small enough that text stays legible when a chart fills half a dashboard (~500 px on screen).
_W = 540.0
_PAD = 16.0
_TITLE_SIZE = 16.0
_LABEL_SIZE = 12.0
_SMALL_SIZE = 11.0
_ELLIPSIS = "…"
_NO_DATA = "暂无数据"


class SVGChart(str):
    """An SVG string that templates may insert as-is: all caller text in it is already escaped."""

    __slots__ = ()

    def __html__(self) -> str:
        return str(self)


# --------------------------------------------------------------------------- text


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""Characters XML 1.0 refuses (control characters other than tab, line feed and carriage return, lone
surrogates, U+FFFE and U+FFFF)."""


def _clean(value: object) -> str:
    """Text safe to put in XML 1.0: drops control characters, folds whitespace runs to one space."""
    return " ".join(_NOT_XML.sub("", str(value)).split())


def _esc(value: object) -> str:
    # A chart repeats the same few texts (colours, classes, labels) hundreds of times: each is escaped once.
    return _esc_text(value) if type(value) is str else _escaped(str(value))


def _escaped(text: str) -> str:
    return (
        _clean(text)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
    )


_esc_text = lru_cache(maxsize=4096)(_escaped)


@lru_cache(maxsize=4096)
def _char_em(ch: str) -> float:
    if unicodedata.east_asian_width(ch) in ("W", "F") or ch == _ELLIPSIS:
        return 1.0
    if ch in "il.,:;|!'`()[] ":
        return 0.32
    if ch.isupper() or ch in "mwMW@%&":
        return 0.72
    return 0.58


def _text_width(text: str, size: float) -> float:
    """Estimated rendered width; generous so labels rarely overflow the space measured for them."""
    return _text_em(text) * size


@lru_cache(maxsize=4096)
def _text_em(text: str) -> float:
    return sum(_char_em(ch) for ch in text)


def _truncate(text: str, max_width: float, size: float) -> str:
    if _text_width(text, size) <= max_width:
        return text
    budget = max_width - _text_width(_ELLIPSIS, size)
    width = 0.0
    cut = 0
    for i, ch in enumerate(text):
        width += _char_em(ch) * size
        if width > budget:
            break
        cut = i + 1
    return text[:cut].rstrip() + _ELLIPSIS


def _n(value: float) -> str:
    """A coordinate: at most two decimals, no trailing zeros, never ``-0``."""
    # Charts of the same data draw the same coordinates on every request: each float is formatted once.
    return _n_float(value) if type(value) is float else _drawn(value)


def _drawn(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


_n_float = lru_cache(maxsize=8192)(_drawn)


def _attrs(attrs: dict[str, object]) -> str:
    parts = []
    for key, value in attrs.items():
        if value is None:
            continue
        shown = _n(value) if isinstance(value, float) else _esc(value)  # a drawn number needs no escaping
        parts.append(f' {key}="{shown}"')
    return "".join(parts)


def _text(
    x: float,
    y: float,
    label: str,
    *,
    size: float = _LABEL_SIZE,
    anchor: str = "start",
    fill: str = _TEXT,
    max_width: float | None = None,
    weight: str | None = None,
    dy: str | None = None,
    transform: str | None = None,
    cls: str | None = None,
    halo: bool = False,
) -> str:
    """A text element; when cut to ``max_width`` it ends in an ellipsis and carries the full text."""
    shown = label if max_width is None else _truncate(label, max_width, size)
    # Written out rather than through `_attrs` (same attributes, same order): a dashboard has ~1,000 texts.
    element = (
        "<text"
        + (f' class="{_esc(cls)}"' if cls is not None else "")
        + f' x="{_n(float(x))}" y="{_n(float(y))}"'
        + (f' dy="{_esc(dy)}"' if dy is not None else "")
        + f' font-size="{_n(float(size))}"'
        + (f' font-weight="{_esc(weight)}"' if weight is not None else "")
        + f' text-anchor="{_esc(anchor)}" fill="{_esc(fill)}"'
        + (f' transform="{_esc(transform)}"' if transform is not None else "")
        + (f' stroke="{_WHITE}" stroke-width="3" paint-order="stroke"' if halo else "")
        + f">{_esc(shown)}</text>"
    )
    if shown != label:
        return f'<g class="truncated"><title>{_esc(label)}</title>{element}</g>'
    return element


def _line(x1: float, y1: float, x2: float, y2: float, stroke: str) -> str:
    """A plain line: gridlines and axes."""
    return "<line" + _attrs({"x1": x1, "y1": y1, "x2": x2, "y2": y2, "stroke": stroke}) + "/>"


def _points(points: list[tuple[float, float]]) -> str:
    """The ``points`` attribute of a polygon."""
    return " ".join(f"{_n(x)},{_n(y)}" for x, y in points)


# --------------------------------------------------------------------------- numbers as shown


def _auto_fmt(value: float) -> str:
    if abs(value - round(value)) < 1e-9:
        whole = round(value)
        return f"{whole:,}" if abs(whole) >= 10000 else str(whole)
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _fmt(value_format: str, value: float) -> str:
    try:
        return value_format.format(value)
    except (ValueError, TypeError, IndexError, KeyError):
        if abs(value - round(value)) < 1e-9:
            try:
                return value_format.format(round(value))
            except (ValueError, TypeError, IndexError, KeyError):
                pass
        return _auto_fmt(value)


def _pct(part: float, whole: float) -> str:
    return "—" if whole <= 0 else f"{part / whole * 100:.1f}%"


# --------------------------------------------------------------------------- frame and markers


def _uid(kind: str, payload: object) -> str:
    return f"chart-{kind}-{hashlib.sha1(repr(payload).encode()).hexdigest()[:10]}"


def _svg(kind: str, uid: str, width: float, height: float, title: str, desc: str, body: list[str]) -> str:
    head = (
        '<svg xmlns="http://www.w3.org/2000/svg"'
        + _attrs(
            {
                "class": f"chart-svg chart-{kind}",
                "role": "img",
                "aria-labelledby": f"{uid}-title {uid}-desc",
                "viewBox": f"0 0 {_n(width)} {_n(math.ceil(height))}",
                "width": "100%",
                "preserveAspectRatio": "xMidYMid meet",
                "font-family": FONT_FAMILY,
                "font-size": _n(_LABEL_SIZE),
            }
        )
        + ">"
    )
    return SVGChart(
        "\n".join(
            [
                head,
                f'<title id="{uid}-title">{_esc(title)}</title>',
                f'<desc id="{uid}-desc">{_esc(desc)}</desc>',
                *body,
                "</svg>",
            ]
        )
    )


# Series are told apart by dash and marker shape as well as colour, for colour-blind readers and print.
_DASHES = [None, "7 4", "2 3", "10 3 2 3"]
_MARKERS = ["circle", "square", "diamond", "triangle"]


def _marker(shape: str, x: float, y: float, color: str, tip: str, size: float = 4.0) -> str:
    common = {"fill": color, "stroke": _WHITE, "stroke-width": 1.5}
    if shape == "circle":
        element = "<circle" + _attrs({"cx": x, "cy": y, "r": size, **common})
    elif shape == "square":
        s = size * 0.9
        element = "<rect" + _attrs({"x": x - s, "y": y - s, "width": 2 * s, "height": 2 * s, **common})
    else:
        if shape == "diamond":
            s = size * 1.25
            pts = [(x, y - s), (x + s, y), (x, y + s), (x - s, y)]
        else:
            s = size * 1.3
            pts = [(x, y - s), (x + s, y + s * 0.8), (x - s, y + s * 0.8)]
        element = "<polygon" + _attrs({"points": " ".join(f"{_n(a)},{_n(b)}" for a, b in pts), **common})
    return f'{element} class="marker"><title>{_esc(tip)}</title></{element.split()[0][1:]}>'
