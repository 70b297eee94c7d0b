"""Server-side inline SVG charts, so dashboards need no JavaScript chart library.

Pure Python: no Django import, no I/O. Every function returns a complete ``<svg>`` string that is
responsive (``width="100%"`` + ``viewBox``), accessible (``role="img"``, ``<title>``, ``<desc>`` with
the data in words, a ``<title>`` tooltip on every mark) and deterministic (same input, same bytes).
The returned string carries ``__html__`` so Django and Jinja templates insert it without escaping;
every piece of caller text inside it is XML-escaped here.

Only presentation attributes are used (no ``style`` attribute, no ``<style>`` element), so the charts
work under a strict Content-Security-Policy.
"""

from __future__ import annotations

import hashlib
import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "FONT_FAMILY",
    "GRADE_COLORS",
    "LEVEL_COLORS",
    "PALETTE",
    "SVGChart",
    "bar_chart",
    "empty_chart",
    "funnel_chart",
    "line_chart",
    "radar_chart",
    "text_color_on",
]

FONT_FAMILY = "system-ui, 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif"

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

GRADE_COLORS: dict[str, str] = {
    "AAAA": "#1b5e20",
    "AAA": "#388e3c",
    "AA": "#81c784",
    "A": "#c8e6c9",
}

# Cultivation-pool levels: hues far from the grade greens so a pool chart never reads as a grade chart.
LEVEL_COLORS: dict[str, str] = {
    "B": "#0277bd",
    "C": "#f9a825",
    "D": "#8d6e63",
}

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


# --------------------------------------------------------------------------- text helpers


def _clean(value: object) -> str:
    """Text safe to put in XML 1.0: drops control characters, folds whitespace runs to one space."""
    out = []
    for ch in str(value):
        code = ord(ch)
        if ch in "\t\n\r":
            out.append(" ")
        elif code < 0x20 or 0xD800 <= code <= 0xDFFF or code in (0xFFFE, 0xFFFF):
            continue
        else:
            out.append(ch)
    return " ".join("".join(out).split())


def _esc(value: object) -> str:
    return (
        _clean(value)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
    )


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
    return sum(_char_em(ch) for ch in text) * size


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
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _attrs(attrs: dict[str, object]) -> str:
    parts = []
    for key, value in attrs.items():
        if value is None:
            continue
        shown = _n(value) if isinstance(value, float) else value
        parts.append(f' {key}="{_esc(shown)}"')
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
    element = (
        "<text"
        + _attrs(
            {
                "class": cls,
                "x": float(x),
                "y": float(y),
                "dy": dy,
                "font-size": float(size),
                "font-weight": weight,
                "text-anchor": anchor,
                "fill": fill,
                "transform": transform,
                "stroke": _WHITE if halo else None,
                "stroke-width": 3.0 if halo else None,
                "paint-order": "stroke" if halo else None,
            }
        )
        + f">{_esc(shown)}</text>"
    )
    if shown != label:
        return f'<g class="truncated"><title>{_esc(label)}</title>{element}</g>'
    return element


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


# --------------------------------------------------------------------------- colour helpers


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


def _luminance(color: str) -> float:
    rgb = _rgb(color)
    if rgb is None:
        return 0.1
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


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


def _edge(fill: str) -> str | None:
    """Light fills (grade A, level C) get a darker outline so they stand out from a white card."""
    return _darker(fill) if _luminance(fill) > 0.45 else None


def _mix(a: str, b: str, t: float) -> str:
    ra, rb = _rgb(a), _rgb(b)
    if ra is None or rb is None:
        return a
    return "#" + "".join(f"{round((x + (y - x) * t) * 255):02x}" for x, y in zip(ra, rb, strict=True))


# --------------------------------------------------------------------------- numbers and scales


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


# --------------------------------------------------------------------------- svg frame, header, legend


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


def _header(
    title: str, legend: list[tuple[str, str, int, str]], *, width: float = _W
) -> tuple[list[str], float]:
    """Visible title and a wrapping legend; returns the elements and the y where the plot may start.

    A legend entry is (name, colour, series index, kind) with kind "box" (bars) or "line" (lines, radar).
    """
    parts = [
        _text(
            _PAD,
            _PAD + _TITLE_SIZE - 2,
            title,
            size=_TITLE_SIZE,
            weight="600",
            max_width=width - 2 * _PAD,
            cls="chart-title",
        )
    ]
    y = _PAD + _TITLE_SIZE + 8
    if not legend:
        return parts, y
    parts.append('<g class="legend">')
    x = _PAD
    line_top = y
    max_item = width - 2 * _PAD
    for name, color, index, kind in legend:
        swatch = 22.0 if kind == "line" else 12.0
        text_w = min(_text_width(name, _LABEL_SIZE), max_item - swatch - 6)
        item_w = swatch + 6 + text_w
        if x > _PAD and x + item_w > width - _PAD:
            x = _PAD
            line_top += 20
        mid = line_top + 8
        if kind == "line":
            dash = _DASHES[index % len(_DASHES)]
            parts.append(
                "<line"
                + _attrs(
                    {
                        "x1": x,
                        "y1": mid,
                        "x2": x + swatch,
                        "y2": mid,
                        "stroke": color,
                        "stroke-width": 2.5,
                        "stroke-dasharray": dash,
                    }
                )
                + "/>"
            )
            parts.append(_marker(_MARKERS[index % len(_MARKERS)], x + swatch / 2, mid, color, name, 3.5))
        else:
            parts.append(
                "<rect"
                + _attrs(
                    {
                        "x": x,
                        "y": mid - 6,
                        "width": 12.0,
                        "height": 12.0,
                        "rx": 2.0,
                        "fill": color,
                        "stroke": _edge(color),
                    }
                )
                + "/>"
            )
        parts.append(_text(x + swatch + 6, mid, name, dy="0.35em", max_width=text_w + 0.5, fill=_TEXT))
        x += item_w + 18
    parts.append("</g>")
    return parts, line_top + 16 + 10


def _describe(kind: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[str]]]) -> str:
    body = "；".join(
        f"「{name}」" + "，".join(f"{label} {value}" for label, value in zip(labels, values, strict=False))
        for name, values in series
    )
    return f"{kind}。{body}。"


def _empty_state(title: str, message: str) -> str:
    height = 180.0 if not title else 210.0
    top = 8.0 if not title else _PAD + _TITLE_SIZE + 10
    body: list[str] = []
    if title:
        body.append(
            _text(
                _PAD,
                _PAD + _TITLE_SIZE - 2,
                title,
                size=_TITLE_SIZE,
                weight="600",
                max_width=_W - 2 * _PAD,
                cls="chart-title",
            )
        )
    box_h = height - top - 8
    body.append(
        "<rect"
        + _attrs(
            {
                "x": 8.0,
                "y": top,
                "width": _W - 16,
                "height": box_h,
                "rx": 8.0,
                "fill": "#f9fafb",
                "stroke": "#d1d5db",
                "stroke-dasharray": "6 4",
            }
        )
        + "/>"
    )
    cx, cy = _W / 2, top + box_h / 2 - 12
    for i, h in enumerate((14.0, 24.0, 18.0)):
        bx = cx - 19 + i * 14
        body.append(
            "<rect"
            + _attrs({"x": bx, "y": cy + 10 - h, "width": 10.0, "height": h, "rx": 1.5, "fill": "#d1d5db"})
            + "/>"
        )
    body.append(
        _text(
            cx,
            cy + 36,
            message,
            size=14.0,
            anchor="middle",
            fill=_MUTED,
            max_width=_W - 48,
            cls="empty-message",
        )
    )
    full_title = f"{title}：{message}" if title else message
    return _svg("empty", _uid("empty", (title, message)), _W, height, full_title, message, body)


def empty_chart(message: str = _NO_DATA) -> str:
    """A friendly placeholder with the same frame as a chart, e.g. for a year with no data yet."""
    return _empty_state("", _clean(message) or _NO_DATA)


# --------------------------------------------------------------------------- bar chart


def bar_chart(
    categories: list[str],
    series: list[tuple[str, list[float]]],
    *,
    title: str,
    stacked: bool = False,
    horizontal: bool = False,
    value_format: str = "{:g}",
    colors: list[str] | None = None,
) -> str:
    """Grouped or stacked bars, vertical or horizontal, with axis, gridlines, value labels and legend.

    Negative or non-numeric values count as 0; a series shorter than ``categories`` is padded with 0.
    """
    title = _clean(title)
    cats = [_clean(c) for c in categories]
    n = len(cats)
    data = [
        (_clean(name), [_bar_value(v) for v in list(values)[:n]] + [0.0] * max(0, n - len(values)))
        for name, values in series
    ]
    if n == 0 or not data:
        return _empty_state(title, _NO_DATA)
    palette = [c for c in (colors or []) if c] or PALETTE
    fills = [palette[i % len(palette)] for i in range(len(data))]
    ns = len(data)
    totals = [sum(vals[j] for _, vals in data) for j in range(n)]
    peak = max(totals) if stacked else max(max(vals) for _, vals in data)
    every = [v for _, vals in data for v in vals]
    _, hi, ticks = _scale(0.0, peak, integral=_is_integral(every))

    legend = [(name, fills[i], i, "box") for i, (name, _) in enumerate(data)] if ns > 1 else []
    parts, y0 = _header(title, legend)
    kind = ("堆叠" if stacked else "分组" if ns > 1 else "") + ("条形图" if horizontal else "柱状图")
    desc = _describe(kind, cats, [(name, [_fmt(value_format, v) for v in vals]) for name, vals in data])
    if stacked and ns > 1:
        desc += (
            "合计："
            + "，".join(f"{c} {_fmt(value_format, t)}" for c, t in zip(cats, totals, strict=True))
            + "。"
        )
    if peak == 0:
        desc += "所有数值均为 0。"
    uid = _uid("bar", (cats, data, title, stacked, horizontal, value_format, fills))
    spec = _Bars(cats, data, fills, totals, ticks, hi, y0, stacked, value_format)
    body, height = _bars_horizontal(spec) if horizontal else _bars_vertical(spec)
    return _svg("bar", uid, _W, height, title, desc, parts + body)


@dataclass(frozen=True)
class _Bars:
    """What both bar layouts need: the cleaned data, the scale and where the plot may start."""

    cats: list[str]
    data: list[tuple[str, list[float]]]
    fills: list[str]
    totals: list[float]
    ticks: list[float]
    hi: float
    y0: float
    stacked: bool
    value_format: str

    def fmt(self, value: float) -> str:
        return _fmt(self.value_format, value)

    def tip(self, i: int, j: int) -> str:
        name = self.data[i][0]
        head = f"{name} · {self.cats[j]}" if name else self.cats[j]
        return f"{head}：{self.fmt(self.data[i][1][j])}"


def _bar_rect(
    x: float, y: float, w: float, h: float, fill: str, i: int, j: int, value: float, tip: str
) -> str:
    return (
        '<rect class="bar"'
        + _attrs(
            {
                "x": x,
                "y": y,
                "width": max(w, 0.0),
                "height": max(h, 0.0),
                "rx": 1.5 if min(w, h) > 4 else None,
                "fill": fill,
                "stroke": _edge(fill),
                "stroke-width": 1.0 if _edge(fill) else None,
                "data-series": str(i),
                "data-category": str(j),
                "data-value": _auto_fmt(value),
            }
        )
        + f"><title>{_esc(tip)}</title></rect>"
    )


def _bars_vertical(spec: _Bars) -> tuple[list[str], float]:
    cats, data, fills, totals, ticks, hi = spec.cats, spec.data, spec.fills, spec.totals, spec.ticks, spec.hi
    y0, stacked, value_format, tip = spec.y0, spec.stacked, spec.value_format, spec.tip
    n, ns = len(cats), len(data)
    tick_labels = [_auto_fmt(t) for t in ticks]
    left = _PAD + max(_text_width(t, _SMALL_SIZE) for t in tick_labels) + 8
    right = _W - _PAD
    label_ws = [_text_width(c, _LABEL_SIZE) for c in cats]
    rotate = max(label_ws) > (right - left) / n - 6
    angle = 35.0
    cos_a, sin_a = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    max_label = 120.0
    if rotate:
        for _ in range(4):
            band = (right - left) / n
            reach = max(min(w, max_label) * cos_a - (left + band * (j + 0.5)) for j, w in enumerate(label_ws))
            if reach + 6 <= 0:
                break
            left += reach + 6
    band = (right - left) / n
    bottom_room = (min(max(label_ws), max_label) * sin_a + 26) if rotate else 30.0
    top = y0 + 18
    plot_h = 220.0
    base = top + plot_h
    height = base + bottom_room

    def y_of(v: float) -> float:
        return base - v / hi * plot_h

    out = ['<g class="grid">']
    for t, label in zip(ticks, tick_labels, strict=True):
        y = y_of(t)
        out.append("<line" + _attrs({"x1": left, "y1": y, "x2": right, "y2": y, "stroke": _GRID}) + "/>")
        out.append(_text(left - 6, y, label, size=_SMALL_SIZE, anchor="end", dy="0.35em", fill=_MUTED))
    out.append("</g>")

    group_w = min(band * 0.72, (ns if not stacked else 1) * 56.0)
    bar_w = group_w if stacked else group_w / ns
    gap = min(2.0, bar_w * 0.1) if ns > 1 and not stacked else 0.0
    out.append('<g class="bars">')
    labels: list[str] = []
    for j in range(n):
        cx = left + band * (j + 0.5)
        gx = cx - group_w / 2
        acc = 0.0
        for i, (_, vals) in enumerate(data):
            v = vals[j]
            if stacked:
                y_top, y_bot = y_of(acc + v), y_of(acc)
                acc += v
                out.append(_bar_rect(gx, y_top, bar_w, y_bot - y_top, fills[i], i, j, v, tip(i, j)))
                label = _fmt(value_format, v)
                if ns > 1 and v > 0 and y_bot - y_top >= 15 and _text_width(label, _SMALL_SIZE) <= bar_w - 4:
                    labels.append(
                        _text(
                            cx,
                            (y_top + y_bot) / 2,
                            label,
                            size=_SMALL_SIZE,
                            anchor="middle",
                            dy="0.35em",
                            fill=text_color_on(fills[i]),
                            cls="value",
                        )
                    )
            else:
                x = gx + i * bar_w + gap / 2
                y_top = y_of(v)
                out.append(_bar_rect(x, y_top, bar_w - gap, base - y_top, fills[i], i, j, v, tip(i, j)))
                label = _fmt(value_format, v)
                room = bar_w + 1 if ns > 1 else band - 4
                if _text_width(label, _SMALL_SIZE) <= room:
                    labels.append(
                        _text(
                            x + (bar_w - gap) / 2,
                            y_top - 5,
                            label,
                            size=_SMALL_SIZE,
                            anchor="middle",
                            fill=_TEXT,
                            cls="value",
                        )
                    )
        if stacked:
            label = _fmt(value_format, totals[j])
            if _text_width(label, _SMALL_SIZE) <= band - 4:
                labels.append(
                    _text(
                        cx,
                        y_of(totals[j]) - 5,
                        label,
                        size=_SMALL_SIZE,
                        anchor="middle",
                        weight="600" if ns > 1 else None,
                        fill=_TEXT,
                        cls="value total",
                    )
                )
    out.append("</g>")
    out.append('<g class="values">')
    out.extend(labels)
    out.append("</g>")
    out.append("<line" + _attrs({"x1": left, "y1": base, "x2": right, "y2": base, "stroke": _AXIS}) + "/>")

    out.append('<g class="categories">')
    for j, cat in enumerate(cats):
        cx = left + band * (j + 0.5)
        if rotate:
            y = base + 14
            out.append(
                _text(
                    cx,
                    y,
                    cat,
                    anchor="end",
                    max_width=max_label,
                    fill=_TEXT,
                    transform=f"rotate(-{_n(angle)} {_n(cx)} {_n(y)})",
                )
            )
        else:
            out.append(_text(cx, base + 18, cat, anchor="middle", fill=_TEXT))
    out.append("</g>")
    return out, height


def _bars_horizontal(spec: _Bars) -> tuple[list[str], float]:
    cats, data, fills, totals, ticks, hi = spec.cats, spec.data, spec.fills, spec.totals, spec.ticks, spec.hi
    y0, stacked, value_format, tip = spec.y0, spec.stacked, spec.value_format, spec.tip
    n, ns = len(cats), len(data)
    label_col = min(max(_text_width(c, _LABEL_SIZE) for c in cats), _W * 0.3)
    left = _PAD + label_col + 8
    end_values = totals if stacked else [v for _, vals in data for v in vals]
    reserve = max(_text_width(_fmt(value_format, v), _SMALL_SIZE) for v in end_values) + 10
    right = _W - _PAD - reserve
    tick_labels = [_auto_fmt(t) for t in ticks]
    right = min(right, _W - _PAD - _text_width(tick_labels[-1], _SMALL_SIZE) / 2)
    if stacked or ns == 1:
        bar_h, band = 20.0, 32.0
    else:
        bar_h = 16.0
        band = ns * bar_h + (ns - 1) * 2 + 14
    top = y0 + 4
    plot_h = band * n
    base = top + plot_h
    height = base + 30

    def x_of(v: float) -> float:
        return left + v / hi * (right - left)

    out = ['<g class="grid">']
    for t, label in zip(ticks, tick_labels, strict=True):
        x = x_of(t)
        out.append("<line" + _attrs({"x1": x, "y1": top, "x2": x, "y2": base, "stroke": _GRID}) + "/>")
        out.append(_text(x, base + 16, label, size=_SMALL_SIZE, anchor="middle", fill=_MUTED))
    out.append("</g>")

    out.append('<g class="bars">')
    labels: list[str] = []
    for j in range(n):
        band_top = top + band * j
        if stacked or ns == 1:
            y = band_top + (band - bar_h) / 2
            acc = 0.0
            for i, (_, vals) in enumerate(data):
                v = vals[j]
                x1, x2 = x_of(acc), x_of(acc + v)
                acc += v
                out.append(_bar_rect(x1, y, x2 - x1, bar_h, fills[i], i, j, v, tip(i, j)))
                label = _fmt(value_format, v)
                if ns > 1 and v > 0 and _text_width(label, _SMALL_SIZE) <= x2 - x1 - 6:
                    labels.append(
                        _text(
                            (x1 + x2) / 2,
                            y + bar_h / 2,
                            label,
                            size=_SMALL_SIZE,
                            anchor="middle",
                            dy="0.35em",
                            fill=text_color_on(fills[i]),
                            cls="value",
                        )
                    )
            labels.append(
                _text(
                    x_of(totals[j]) + 5,
                    y + bar_h / 2,
                    _fmt(value_format, totals[j]),
                    size=_SMALL_SIZE,
                    dy="0.35em",
                    fill=_TEXT,
                    weight="600" if ns > 1 else None,
                    cls="value total",
                )
            )
        else:
            for i, (_, vals) in enumerate(data):
                v = vals[j]
                y = band_top + 7 + i * (bar_h + 2)
                out.append(_bar_rect(left, y, x_of(v) - left, bar_h, fills[i], i, j, v, tip(i, j)))
                labels.append(
                    _text(
                        x_of(v) + 5,
                        y + bar_h / 2,
                        _fmt(value_format, v),
                        size=_SMALL_SIZE,
                        dy="0.35em",
                        fill=_TEXT,
                        cls="value",
                    )
                )
    out.append("</g>")
    out.append('<g class="values">')
    out.extend(labels)
    out.append("</g>")
    out.append("<line" + _attrs({"x1": left, "y1": top, "x2": left, "y2": base, "stroke": _AXIS}) + "/>")
    out.append('<g class="categories">')
    for j, cat in enumerate(cats):
        out.append(
            _text(
                left - 8,
                top + band * (j + 0.5),
                cat,
                anchor="end",
                dy="0.35em",
                max_width=label_col,
                fill=_TEXT,
            )
        )
    out.append("</g>")
    return out, height


# --------------------------------------------------------------------------- line chart


def line_chart(
    x_labels: list[str],
    series: list[tuple[str, list[float | None]]],
    *,
    title: str,
    y_max: float | None = None,
) -> str:
    """Lines with markers; ``None`` is a gap (not reported), never drawn as zero.

    With ``y_max`` the axis ends there (e.g. 100 for scores) and larger values sit on the top edge.
    """
    title = _clean(title)
    xs = [_clean(x) for x in x_labels]
    n = len(xs)
    data = [
        (_clean(name), [_num(v) for v in list(values)[:n]] + [None] * max(0, n - len(values)))
        for name, values in series
    ]
    present = [v for _, vals in data for v in vals if v is not None]
    if n == 0 or not present:
        return _empty_state(title, _NO_DATA)
    palette = PALETTE
    colors = [palette[i % len(palette)] for i in range(len(data))]
    lo_data, hi_data = min(present), max(present)
    fixed = y_max is not None and _num(y_max) is not None and float(y_max) > min(0.0, lo_data)
    top_value = float(y_max) if fixed else hi_data  # type: ignore[arg-type]
    lo, hi, ticks = _scale(
        min(0.0, lo_data), top_value, integral=_is_integral(present) and not fixed, fixed_hi=fixed
    )

    legend = [(name, colors[i], i, "line") for i, (name, _) in enumerate(data)] if len(data) > 1 else []
    parts, y0 = _header(title, legend)
    desc = _describe(
        "折线图", xs, [(name, ["缺失" if v is None else _auto_fmt(v) for v in vals]) for name, vals in data]
    )
    uid = _uid("line", (xs, data, title, y_max))

    tick_labels = [_auto_fmt(t) for t in ticks]
    left = _PAD + max(_text_width(t, _SMALL_SIZE) for t in tick_labels) + 8
    right = _W - _PAD - 8
    inset = 16.0
    top = y0 + 16
    plot_h = 220.0
    base = top + plot_h
    height = base + 32

    def x_of(i: int) -> float:
        if n == 1:
            return (left + right) / 2
        return left + inset + i * (right - left - 2 * inset) / (n - 1)

    def y_of(v: float) -> float:
        v = min(max(v, lo), hi)
        return base - (v - lo) / (hi - lo) * plot_h

    body = ['<g class="grid">']
    for t, label in zip(ticks, tick_labels, strict=True):
        y = y_of(t)
        body.append(
            "<line"
            + _attrs({"x1": left, "y1": y, "x2": right, "y2": y, "stroke": _AXIS if t == 0 else _GRID})
            + "/>"
        )
        body.append(_text(left - 6, y, label, size=_SMALL_SIZE, anchor="end", dy="0.35em", fill=_MUTED))
    body.append("</g>")

    max_label = 110.0
    widths = [min(_text_width(x, _LABEL_SIZE), max_label) for x in xs]
    slot = (right - left - 2 * inset) / (n - 1) if n > 1 else right - left
    step = max(1, math.ceil((max(widths) + 10) / slot))
    body.append('<g class="x-labels">')
    for i, label in enumerate(xs):
        if i % step:
            continue
        half = widths[i] / 2
        x = min(max(x_of(i), half + 4), _W - half - 4)
        body.append(_text(x, base + 18, label, anchor="middle", max_width=max_label, fill=_TEXT))
    body.append("</g>")

    show_values = len(data) == 1 and n <= 16
    for i, (name, vals) in enumerate(data):
        color = colors[i]
        segments: list[list[tuple[float, float]]] = [[]]
        for k, v in enumerate(vals):
            if v is None:
                if segments[-1]:
                    segments.append([])
            else:
                segments[-1].append((x_of(k), y_of(v)))
        d = " ".join("M" + " L".join(f"{_n(x)} {_n(y)}" for x, y in seg) for seg in segments if len(seg) > 1)
        body.append(f'<g class="series" data-series="{i}">')
        if d:
            body.append(
                '<path class="line"'
                + _attrs(
                    {
                        "d": d,
                        "fill": "none",
                        "stroke": color,
                        "stroke-width": 2.5,
                        "stroke-linejoin": "round",
                        "stroke-linecap": "round",
                        "stroke-dasharray": _DASHES[i % len(_DASHES)],
                    }
                )
                + "/>"
            )
        for k, v in enumerate(vals):
            if v is None:
                continue
            head = f"{name} · {xs[k]}" if name else xs[k]
            body.append(
                _marker(_MARKERS[i % len(_MARKERS)], x_of(k), y_of(v), color, f"{head}：{_auto_fmt(v)}")
            )
            if show_values:
                body.append(
                    _text(
                        x_of(k),
                        y_of(v) - 9,
                        _auto_fmt(v),
                        size=_SMALL_SIZE,
                        anchor="middle",
                        fill=_TEXT,
                        cls="value",
                    )
                )
        body.append("</g>")
    return _svg("line", uid, _W, height, title, desc, parts + body)


# --------------------------------------------------------------------------- radar chart


def radar_chart(
    axes: list[str],
    series: list[tuple[str, list[float]]],
    *,
    title: str,
    max_value: float = 100,
) -> str:
    """Spider chart, first axis straight up and the rest clockwise; values are clamped to 0..max_value.

    Fewer than three axes make no polygon, so those render as a horizontal bar chart instead.
    """
    title = _clean(title)
    names = [_clean(a) for a in axes]
    n = len(names)
    if n == 0 or not series:
        return _empty_state(title, _NO_DATA)
    if n < 3:
        return bar_chart(
            names,
            [(name, [_bar_value(v) for v in vals]) for name, vals in series],
            title=title,
            horizontal=True,
        )
    raw = [
        (_clean(name), [_bar_value(v) for v in list(values)[:n]] + [0.0] * max(0, n - len(values)))
        for name, values in series
    ]
    top_value = _num(max_value)
    if top_value is None or top_value <= 0:
        top_value = max([v for _, vals in raw for v in vals] + [0.0]) or 1.0
    data = [(name, [min(v, top_value) for v in vals]) for name, vals in raw]
    colors = [PALETTE[i % len(PALETTE)] for i in range(len(data))]

    legend = [(name, colors[i], i, "line") for i, (name, _) in enumerate(data)] if len(data) > 1 else []
    parts, y0 = _header(title, legend)
    desc = _describe(
        f"雷达图（满分 {_auto_fmt(top_value)}）",
        names,
        [(name, [_auto_fmt(v) for v in vals]) for name, vals in raw],
    )
    uid = _uid("radar", (names, raw, title, top_value))

    radius = 110.0
    cx = _W / 2
    cy = y0 + 30 + radius
    height = cy + radius + 34

    def point(k: int, r: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * k / n
        return cx + r * math.cos(angle), cy + r * math.sin(angle)

    def ring(r: float) -> str:
        return " ".join(f"{_n(x)},{_n(y)}" for x, y in (point(k, r) for k in range(n)))

    body = [f'<g class="radar-grid" data-cx="{_n(cx)}" data-cy="{_n(cy)}" data-r="{_n(radius)}">']
    for level in range(1, 6):
        body.append(
            "<polygon"
            + _attrs(
                {
                    "points": ring(radius * level / 5),
                    "fill": "#fafafa" if level == 5 else "none",
                    "stroke": _AXIS if level == 5 else _GRID,
                }
            )
            + "/>"
        )
    for k in range(n):
        x, y = point(k, radius)
        body.append("<line" + _attrs({"x1": cx, "y1": cy, "x2": x, "y2": y, "stroke": _GRID}) + "/>")
    # Ring values sit on the bisector between the last and the first axis, where no vertex marker lands.
    bisector = -math.pi / 2 - math.pi / n
    reach = math.cos(math.pi / n)
    for level in range(1, 6):
        r = radius * level / 5 * reach
        body.append(
            _text(
                cx + r * math.cos(bisector),
                cy + r * math.sin(bisector),
                _auto_fmt(top_value * level / 5),
                size=10.0,
                anchor="middle",
                dy="0.35em",
                fill=_MUTED,
                cls="ring-value",
                halo=True,
            )
        )
    body.append("</g>")

    body.append('<g class="axis-labels">')
    for k, label in enumerate(names):
        x, y = point(k, radius + 12)
        dx = x - cx
        dy_ = y - cy
        rel = dx / (radius + 12)
        if rel > 0.25:
            anchor, room = "start", _W - 8 - x
        elif rel < -0.25:
            anchor, room = "end", x - 8
        else:
            anchor, room = "middle", 2 * min(x - 8, _W - 8 - x)
        shift = "0.35em" if abs(dy_) < (radius + 12) * 0.5 else ("1em" if dy_ > 0 else "-0.2em")
        body.append(_text(x, y, label, anchor=anchor, dy=shift, max_width=min(room, 150.0), fill=_TEXT))
    body.append("</g>")

    for i, (name, vals) in enumerate(data):
        color = colors[i]
        pts = [point(k, radius * v / top_value) for k, v in enumerate(vals)]
        body.append(f'<g class="series" data-series="{i}">')
        body.append(
            '<polygon class="radar-area"'
            + _attrs(
                {
                    "data-series": str(i),
                    "points": " ".join(f"{_n(x)},{_n(y)}" for x, y in pts),
                    "fill": color,
                    "fill-opacity": "0.14",
                    "stroke": color,
                    "stroke-width": 2.0,
                    "stroke-linejoin": "round",
                    "stroke-dasharray": _DASHES[i % len(_DASHES)],
                }
            )
            + "/>"
        )
        for k, (x, y) in enumerate(pts):
            head = f"{name} · {names[k]}" if name else names[k]
            body.append(
                _marker(_MARKERS[i % len(_MARKERS)], x, y, color, f"{head}：{_auto_fmt(raw[i][1][k])}", 3.5)
            )
        body.append("</g>")
    return _svg("radar", uid, _W, height, title, desc, parts + body)


# --------------------------------------------------------------------------- funnel chart


def funnel_chart(stages: list[tuple[str, int]], *, title: str) -> str:
    """Stages top to bottom (e.g. D → C → B → certified), bar width ∝ count, with stage-to-stage rates."""
    title = _clean(title)
    rows = [(_clean(label), int(_bar_value(count))) for label, count in stages]
    if not rows:
        return _empty_state(title, _NO_DATA)
    n = len(rows)
    parts, y0 = _header(title, [])
    peak = max(c for _, c in rows)
    light, dark = "#a5d6a7", "#1b5e20"
    fills = [_mix(light, dark, k / (n - 1)) if n > 1 else "#388e3c" for k in range(n)]
    uid = _uid("funnel", (rows, title))
    desc_rows = []
    for k, (label, count) in enumerate(rows):
        extra = f"（转化率 {_pct(count, rows[k - 1][1])}）" if k else ""
        desc_rows.append(f"{label} {count:,}{extra}")
    desc = "漏斗图。" + "；".join(desc_rows) + "。"
    if rows[0][1] > 0 and n > 1:
        desc += f"总体转化率 {_pct(rows[-1][1], rows[0][1])}。"

    row_h, gap = 36.0, 14.0
    label_w = _W * 0.27
    label_right = _PAD + label_w
    area_left = label_right + 12
    area_w = _W - area_left - _PAD - 96
    cx = area_left + area_w / 2
    text_x = area_left + area_w + 16
    top = y0 + 6
    widths = [max(4.0, area_w * c / peak) if peak else 4.0 for _, c in rows]
    body: list[str] = []
    for k in range(n - 1):
        y1 = top + k * (row_h + gap) + row_h
        y2 = y1 + gap
        w1, w2 = widths[k], widths[k + 1]
        pts = [(cx - w1 / 2, y1), (cx + w1 / 2, y1), (cx + w2 / 2, y2), (cx - w2 / 2, y2)]
        body.append(
            '<polygon class="funnel-neck"'
            + _attrs(
                {
                    "points": " ".join(f"{_n(x)},{_n(y)}" for x, y in pts),
                    "fill": fills[k + 1],
                    "fill-opacity": "0.3",
                }
            )
            + "/>"
        )
    for k, (label, count) in enumerate(rows):
        y = top + k * (row_h + gap)
        mid = y + row_h / 2
        w = widths[k]
        fill = fills[k]
        share = f"，占首阶段 {_pct(count, rows[0][1])}" if k else ""
        body.append(
            '<rect class="funnel-stage"'
            + _attrs(
                {
                    "x": cx - w / 2,
                    "y": y,
                    "width": w,
                    "height": row_h,
                    "rx": 3.0,
                    "fill": fill,
                    "stroke": _edge(fill),
                    "data-value": str(count),
                }
            )
            + f"><title>{_esc(f'{label}：{count:,}{share}')}</title></rect>"
        )
        body.append(_text(label_right, mid, label, anchor="end", dy="0.35em", max_width=label_w, fill=_TEXT))
        if k == 0:
            body.append(
                _text(
                    text_x, mid, f"{count:,}", size=14.0, weight="600", dy="0.35em", fill=_TEXT, cls="value"
                )
            )
        else:
            body.append(
                _text(text_x, mid - 1, f"{count:,}", size=14.0, weight="600", fill=_TEXT, cls="value")
            )
            body.append(
                _text(
                    text_x,
                    mid + 14,
                    f"转化率 {_pct(count, rows[k - 1][1])}",
                    size=_SMALL_SIZE,
                    fill=_MUTED,
                    cls="rate",
                )
            )
    height = top + n * row_h + (n - 1) * gap + 16
    return _svg("funnel", uid, _W, height, title, desc, parts + body)
