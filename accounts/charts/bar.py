"""Bar charts: grouped or stacked, vertical (columns) or horizontal (rows), with value labels.

Each layout is drawn in named steps — the geometry, the gridlines, one category's bars with their
labels, the category labels — and assembled in one order, so both layouts have the same structure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from accounts.charts.colours import PALETTE, _edge, text_color_on
from accounts.charts.frame import _describe, _empty_state, _header
from accounts.charts.scales import _bar_value, _is_integral, _scale
from accounts.charts.svg import (
    _AXIS,
    _GRID,
    _LABEL_SIZE,
    _MUTED,
    _NO_DATA,
    _PAD,
    _SMALL_SIZE,
    _TEXT,
    _W,
    _auto_fmt,
    _clean,
    _esc,
    _fmt,
    _line,
    _n,
    _svg,
    _text,
    _text_width,
    _uid,
)

# Category labels that do not fit under their column are slanted by this angle and cut to this width.
_ANGLE = 35.0
_MAX_LABEL = 120.0


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

    @property
    def ns(self) -> int:
        return len(self.data)

    def fmt(self, value: float) -> str:
        return _fmt(self.value_format, value)

    def tip(self, i: int, j: int) -> str:
        name = self.data[i][0]
        head = f"{name} · {self.cats[j]}" if name else self.cats[j]
        return f"{head}：{self.fmt(self.data[i][1][j])}"

    def rect(self, x: float, y: float, w: float, h: float, i: int, j: int) -> str:
        """The bar of series ``i`` in category ``j``."""
        return _bar_rect(x, y, w, h, self.fills[i], i, j, self.data[i][1][j], self.tip(i, j))


def _bar_rect(
    x: float, y: float, w: float, h: float, fill: str, i: int, j: int, value: float, tip: str
) -> str:
    # Written out rather than through `_attrs`: a dashboard draws a few hundred bars per request.
    edge = _edge(fill)
    rounded = ' rx="1.5"' if min(w, h) > 4 else ""
    outline = f' stroke="{_esc(edge)}" stroke-width="1"' if edge else ""
    return (
        f'<rect class="bar" x="{_n(x)}" y="{_n(y)}" width="{_n(max(w, 0.0))}" height="{_n(max(h, 0.0))}"'
        f'{rounded} fill="{_esc(fill)}"{outline} data-series="{i}" data-category="{j}"'
        f' data-value="{_esc(_auto_fmt(value))}"><title>{_esc(tip)}</title></rect>'
    )


def _plot(
    grid: list[str], rects: list[str], labels: list[str], axis: str, categories: list[str]
) -> list[str]:
    """The layers of a bar plot, bottom to top: gridlines, bars, value labels, axis, category labels."""
    return [
        *grid,
        '<g class="bars">',
        *rects,
        "</g>",
        '<g class="values">',
        *labels,
        "</g>",
        axis,
        '<g class="categories">',
        *categories,
        "</g>",
    ]


# --------------------------------------------------------------------------- vertical (columns)


@dataclass(frozen=True)
class _Columns:
    """Where vertical bars go: the plot's edges, one band per category, and slanted labels or not."""

    left: float
    right: float
    band: float
    base: float
    plot_h: float
    hi: float
    rotate: bool
    tick_labels: list[str]
    height: float

    def y_of(self, v: float) -> float:
        return self.base - v / self.hi * self.plot_h

    def center(self, j: int) -> float:
        return self.left + self.band * (j + 0.5)


def _clear_slanted_labels(left: float, right: float, label_ws: list[float]) -> float:
    """Move the plot's left edge right until no slanted category label reaches past the chart's edge."""
    cos_a = math.cos(math.radians(_ANGLE))
    n = len(label_ws)
    for _ in range(4):
        band = (right - left) / n
        reach = max(min(w, _MAX_LABEL) * cos_a - (left + band * (j + 0.5)) for j, w in enumerate(label_ws))
        if reach + 6 <= 0:
            break
        left += reach + 6
    return left


def _columns_layout(spec: _Bars) -> _Columns:
    """Tick labels set the left edge; labels wider than their band are slanted, which takes room below."""
    n = len(spec.cats)
    tick_labels = [_auto_fmt(t) for t in spec.ticks]
    left = _PAD + max(_text_width(t, _SMALL_SIZE) for t in tick_labels) + 8
    right = _W - _PAD
    label_ws = [_text_width(c, _LABEL_SIZE) for c in spec.cats]
    rotate = max(label_ws) > (right - left) / n - 6
    if rotate:
        left = _clear_slanted_labels(left, right, label_ws)
    sin_a = math.sin(math.radians(_ANGLE))
    bottom_room = (min(max(label_ws), _MAX_LABEL) * sin_a + 26) if rotate else 30.0
    plot_h = 220.0
    base = spec.y0 + 18 + plot_h
    return _Columns(
        left, right, (right - left) / n, base, plot_h, spec.hi, rotate, tick_labels, base + bottom_room
    )


def _columns_grid(spec: _Bars, g: _Columns) -> list[str]:
    out = ['<g class="grid">']
    for t, label in zip(spec.ticks, g.tick_labels, strict=True):
        y = g.y_of(t)
        out.append(_line(g.left, y, g.right, y, _GRID))
        out.append(_text(g.left - 6, y, label, size=_SMALL_SIZE, anchor="end", dy="0.35em", fill=_MUTED))
    out.append("</g>")
    return out


def _stacked_column(spec: _Bars, g: _Columns, j: int, gx: float, bar_w: float) -> tuple[list[str], list[str]]:
    """One category's stacked bars; a segment's value shows inside it when it fits, the total on top."""
    rects: list[str] = []
    labels: list[str] = []
    cx = g.center(j)
    acc = 0.0
    for i, (_, vals) in enumerate(spec.data):
        v = vals[j]
        y_top, y_bot = g.y_of(acc + v), g.y_of(acc)
        acc += v
        rects.append(spec.rect(gx, y_top, bar_w, y_bot - y_top, i, j))
        label = spec.fmt(v)
        if spec.ns > 1 and v > 0 and y_bot - y_top >= 15 and _text_width(label, _SMALL_SIZE) <= bar_w - 4:
            labels.append(
                _text(
                    cx,
                    (y_top + y_bot) / 2,
                    label,
                    size=_SMALL_SIZE,
                    anchor="middle",
                    dy="0.35em",
                    fill=text_color_on(spec.fills[i]),
                    cls="value",
                )
            )
    label = spec.fmt(spec.totals[j])
    if _text_width(label, _SMALL_SIZE) <= g.band - 4:
        labels.append(
            _text(
                cx,
                g.y_of(spec.totals[j]) - 5,
                label,
                size=_SMALL_SIZE,
                anchor="middle",
                weight="600" if spec.ns > 1 else None,
                fill=_TEXT,
                cls="value total",
            )
        )
    return rects, labels


def _grouped_column(
    spec: _Bars, g: _Columns, j: int, gx: float, bar_w: float, gap: float
) -> tuple[list[str], list[str]]:
    """One category's bars side by side, each value above its bar when it fits."""
    rects: list[str] = []
    labels: list[str] = []
    for i, (_, vals) in enumerate(spec.data):
        v = vals[j]
        x = gx + i * bar_w + gap / 2
        y_top = g.y_of(v)
        rects.append(spec.rect(x, y_top, bar_w - gap, g.base - y_top, i, j))
        label = spec.fmt(v)
        room = bar_w + 1 if spec.ns > 1 else g.band - 4
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
    return rects, labels


def _column_categories(spec: _Bars, g: _Columns) -> list[str]:
    out = []
    for j, cat in enumerate(spec.cats):
        cx = g.center(j)
        if g.rotate:
            y = g.base + 14
            out.append(
                _text(
                    cx,
                    y,
                    cat,
                    anchor="end",
                    max_width=_MAX_LABEL,
                    fill=_TEXT,
                    transform=f"rotate(-{_n(_ANGLE)} {_n(cx)} {_n(y)})",
                )
            )
        else:
            out.append(_text(cx, g.base + 18, cat, anchor="middle", fill=_TEXT))
    return out


def _bars_vertical(spec: _Bars) -> tuple[list[str], float]:
    g = _columns_layout(spec)
    ns = spec.ns
    group_w = min(g.band * 0.72, (ns if not spec.stacked else 1) * 56.0)
    bar_w = group_w if spec.stacked else group_w / ns
    gap = min(2.0, bar_w * 0.1) if ns > 1 and not spec.stacked else 0.0
    rects: list[str] = []
    labels: list[str] = []
    for j in range(len(spec.cats)):
        gx = g.center(j) - group_w / 2
        if spec.stacked:
            column = _stacked_column(spec, g, j, gx, bar_w)
        else:
            column = _grouped_column(spec, g, j, gx, bar_w, gap)
        rects += column[0]
        labels += column[1]
    axis = _line(g.left, g.base, g.right, g.base, _AXIS)
    return _plot(_columns_grid(spec, g), rects, labels, axis, _column_categories(spec, g)), g.height


# --------------------------------------------------------------------------- horizontal (rows)


@dataclass(frozen=True)
class _Rows:
    """Where horizontal bars go: category labels on the left, room for the end values on the right."""

    left: float
    right: float
    top: float
    base: float
    band: float
    bar_h: float
    hi: float
    label_col: float
    tick_labels: list[str]

    def x_of(self, v: float) -> float:
        return self.left + v / self.hi * (self.right - self.left)


def _rows_layout(spec: _Bars) -> _Rows:
    """The label column is at most 30 % of the width; the right edge leaves room for the widest value."""
    ns = spec.ns
    label_col = min(max(_text_width(c, _LABEL_SIZE) for c in spec.cats), _W * 0.3)
    left = _PAD + label_col + 8
    end_values = spec.totals if spec.stacked else [v for _, vals in spec.data for v in vals]
    reserve = max(_text_width(spec.fmt(v), _SMALL_SIZE) for v in end_values) + 10
    tick_labels = [_auto_fmt(t) for t in spec.ticks]
    right = min(_W - _PAD - reserve, _W - _PAD - _text_width(tick_labels[-1], _SMALL_SIZE) / 2)
    if spec.stacked or ns == 1:
        bar_h, band = 20.0, 32.0
    else:
        bar_h = 16.0
        band = ns * bar_h + (ns - 1) * 2 + 14
    top = spec.y0 + 4
    return _Rows(left, right, top, top + band * len(spec.cats), band, bar_h, spec.hi, label_col, tick_labels)


def _rows_grid(spec: _Bars, g: _Rows) -> list[str]:
    out = ['<g class="grid">']
    for t, label in zip(spec.ticks, g.tick_labels, strict=True):
        x = g.x_of(t)
        out.append(_line(x, g.top, x, g.base, _GRID))
        out.append(_text(x, g.base + 16, label, size=_SMALL_SIZE, anchor="middle", fill=_MUTED))
    out.append("</g>")
    return out


def _stacked_row(spec: _Bars, g: _Rows, j: int) -> tuple[list[str], list[str]]:
    """One category's bars end to end (a single series too); segment values inside, the total after."""
    rects: list[str] = []
    labels: list[str] = []
    y = g.top + g.band * j + (g.band - g.bar_h) / 2
    acc = 0.0
    for i, (_, vals) in enumerate(spec.data):
        v = vals[j]
        x1, x2 = g.x_of(acc), g.x_of(acc + v)
        acc += v
        rects.append(spec.rect(x1, y, x2 - x1, g.bar_h, i, j))
        label = spec.fmt(v)
        if spec.ns > 1 and v > 0 and _text_width(label, _SMALL_SIZE) <= x2 - x1 - 6:
            labels.append(
                _text(
                    (x1 + x2) / 2,
                    y + g.bar_h / 2,
                    label,
                    size=_SMALL_SIZE,
                    anchor="middle",
                    dy="0.35em",
                    fill=text_color_on(spec.fills[i]),
                    cls="value",
                )
            )
    labels.append(
        _text(
            g.x_of(spec.totals[j]) + 5,
            y + g.bar_h / 2,
            spec.fmt(spec.totals[j]),
            size=_SMALL_SIZE,
            dy="0.35em",
            fill=_TEXT,
            weight="600" if spec.ns > 1 else None,
            cls="value total",
        )
    )
    return rects, labels


def _grouped_row(spec: _Bars, g: _Rows, j: int) -> tuple[list[str], list[str]]:
    """One category's bars one under the other, each value after its bar."""
    rects: list[str] = []
    labels: list[str] = []
    for i, (_, vals) in enumerate(spec.data):
        v = vals[j]
        y = g.top + g.band * j + 7 + i * (g.bar_h + 2)
        rects.append(spec.rect(g.left, y, g.x_of(v) - g.left, g.bar_h, i, j))
        labels.append(
            _text(
                g.x_of(v) + 5,
                y + g.bar_h / 2,
                spec.fmt(v),
                size=_SMALL_SIZE,
                dy="0.35em",
                fill=_TEXT,
                cls="value",
            )
        )
    return rects, labels


def _row_categories(spec: _Bars, g: _Rows) -> list[str]:
    return [
        _text(
            g.left - 8,
            g.top + g.band * (j + 0.5),
            cat,
            anchor="end",
            dy="0.35em",
            max_width=g.label_col,
            fill=_TEXT,
        )
        for j, cat in enumerate(spec.cats)
    ]


def _bars_horizontal(spec: _Bars) -> tuple[list[str], float]:
    g = _rows_layout(spec)
    rects: list[str] = []
    labels: list[str] = []
    for j in range(len(spec.cats)):
        row = _stacked_row(spec, g, j) if spec.stacked or spec.ns == 1 else _grouped_row(spec, g, j)
        rects += row[0]
        labels += row[1]
    axis = _line(g.left, g.top, g.left, g.base, _AXIS)
    return _plot(_rows_grid(spec, g), rects, labels, axis, _row_categories(spec, g)), g.base + 30
