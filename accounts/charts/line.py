"""Line charts: one line per series with markers, gaps where a value is missing, never a false zero."""

from __future__ import annotations

import math
from dataclasses import dataclass

from accounts.charts.colours import PALETTE
from accounts.charts.frame import _describe, _empty_state, _header
from accounts.charts.scales import _is_integral, _num, _scale
from accounts.charts.svg import (
    _AXIS,
    _DASHES,
    _GRID,
    _LABEL_SIZE,
    _MARKERS,
    _MUTED,
    _NO_DATA,
    _PAD,
    _SMALL_SIZE,
    _TEXT,
    _W,
    _attrs,
    _auto_fmt,
    _clean,
    _line,
    _marker,
    _n,
    _svg,
    _text,
    _text_width,
    _uid,
)

# An x label is cut to this width; labels are thinned out (every 2nd, 3rd, …) when they would touch.
_MAX_X_LABEL = 110.0
_PLOT_H = 220.0


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
    colors = [PALETTE[i % len(PALETTE)] for i in range(len(data))]

    legend = [(name, colors[i], i, "line") for i, (name, _) in enumerate(data)] if len(data) > 1 else []
    parts, y0 = _header(title, legend)
    desc = _describe(
        "折线图", xs, [(name, ["缺失" if v is None else _auto_fmt(v) for v in vals]) for name, vals in data]
    )
    uid = _uid("line", (xs, data, title, y_max))

    g = _line_plot(n, y0, present, y_max)
    body = _line_grid(g) + _x_labels(xs, g)
    show_values = len(data) == 1 and n <= 16
    for i, (name, vals) in enumerate(data):
        body += _series(i, name, vals, xs, g, colors[i], show_values)
    return _svg("line", uid, _W, g.base + 32, title, desc, parts + body)


@dataclass(frozen=True)
class _LinePlot:
    """Where the lines go: x positions inset from the plot's edges, y clamped to the axis range."""

    n: int
    left: float
    right: float
    base: float
    lo: float
    hi: float
    ticks: list[float]
    tick_labels: list[str]
    inset: float = 16.0
    plot_h: float = _PLOT_H

    def x_of(self, i: int) -> float:
        if self.n == 1:
            return (self.left + self.right) / 2
        return self.left + self.inset + i * (self.right - self.left - 2 * self.inset) / (self.n - 1)

    def y_of(self, v: float) -> float:
        v = min(max(v, self.lo), self.hi)
        return self.base - (v - self.lo) / (self.hi - self.lo) * self.plot_h


def _line_plot(n: int, y0: float, present: list[float], y_max: float | None) -> _LinePlot:
    """The axis starts at 0 (or the lowest value below it) and ends at ``y_max`` when that is above it."""
    lo_data, hi_data = min(present), max(present)
    fixed = y_max is not None and _num(y_max) is not None and float(y_max) > min(0.0, lo_data)
    top_value = float(y_max) if fixed else hi_data  # type: ignore[arg-type]
    lo, hi, ticks = _scale(
        min(0.0, lo_data), top_value, integral=_is_integral(present) and not fixed, fixed_hi=fixed
    )
    tick_labels = [_auto_fmt(t) for t in ticks]
    left = _PAD + max(_text_width(t, _SMALL_SIZE) for t in tick_labels) + 8
    return _LinePlot(n, left, _W - _PAD - 8, y0 + 16 + _PLOT_H, lo, hi, ticks, tick_labels)


def _line_grid(g: _LinePlot) -> list[str]:
    body = ['<g class="grid">']
    for t, label in zip(g.ticks, g.tick_labels, strict=True):
        y = g.y_of(t)
        body.append(_line(g.left, y, g.right, y, _AXIS if t == 0 else _GRID))
        body.append(_text(g.left - 6, y, label, size=_SMALL_SIZE, anchor="end", dy="0.35em", fill=_MUTED))
    body.append("</g>")
    return body


def _x_labels(xs: list[str], g: _LinePlot) -> list[str]:
    """Every ``step``-th label, as few skipped as keeps them apart, each kept inside the chart."""
    widths = [min(_text_width(x, _LABEL_SIZE), _MAX_X_LABEL) for x in xs]
    slot = (g.right - g.left - 2 * g.inset) / (g.n - 1) if g.n > 1 else g.right - g.left
    step = max(1, math.ceil((max(widths) + 10) / slot))
    body = ['<g class="x-labels">']
    for i, label in enumerate(xs):
        if i % step:
            continue
        half = widths[i] / 2
        x = min(max(g.x_of(i), half + 4), _W - half - 4)
        body.append(_text(x, g.base + 18, label, anchor="middle", max_width=_MAX_X_LABEL, fill=_TEXT))
    body.append("</g>")
    return body


def _path(vals: list[float | None], g: _LinePlot) -> str:
    """The ``d`` of a series: one sub-path per run of present values; a lone value gets only its marker."""
    segments: list[list[tuple[float, float]]] = [[]]
    for k, v in enumerate(vals):
        if v is None:
            if segments[-1]:
                segments.append([])
        else:
            segments[-1].append((g.x_of(k), g.y_of(v)))
    return " ".join("M" + " L".join(f"{_n(x)} {_n(y)}" for x, y in seg) for seg in segments if len(seg) > 1)


def _series(
    i: int, name: str, vals: list[float | None], xs: list[str], g: _LinePlot, color: str, show_values: bool
) -> list[str]:
    """One series: its line (dashed by index), a marker with a tooltip per value, values when alone."""
    body = [f'<g class="series" data-series="{i}">']
    d = _path(vals, g)
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
            _marker(_MARKERS[i % len(_MARKERS)], g.x_of(k), g.y_of(v), color, f"{head}：{_auto_fmt(v)}")
        )
        if show_values:
            body.append(
                _text(
                    g.x_of(k),
                    g.y_of(v) - 9,
                    _auto_fmt(v),
                    size=_SMALL_SIZE,
                    anchor="middle",
                    fill=_TEXT,
                    cls="value",
                )
            )
    body.append("</g>")
    return body
