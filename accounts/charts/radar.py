"""Radar (spider) charts: one axis per dimension, the first straight up and the rest clockwise."""

from __future__ import annotations

import math
from dataclasses import dataclass

from accounts.charts.bar import bar_chart
from accounts.charts.colours import PALETTE
from accounts.charts.frame import _describe, _empty_state, _header
from accounts.charts.scales import _bar_value, _num
from accounts.charts.svg import (
    _AXIS,
    _DASHES,
    _GRID,
    _MARKERS,
    _MUTED,
    _NO_DATA,
    _TEXT,
    _W,
    _attrs,
    _auto_fmt,
    _clean,
    _line,
    _marker,
    _n,
    _points,
    _svg,
    _text,
    _uid,
)

_RINGS = 5


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

    g = _Radar(n, _W / 2, y0 + 30 + _Radar.radius)
    body = _web(g, top_value) + _axis_labels(g, names)
    for i, (name, vals) in enumerate(data):
        body += _area(i, name, vals, raw[i][1], names, g, top_value, colors[i])
    return _svg("radar", uid, _W, g.cy + g.radius + 34, title, desc, parts + body)


@dataclass(frozen=True)
class _Radar:
    """The web's centre and radius; axis k points ``k/n`` of a turn clockwise from straight up."""

    n: int
    cx: float
    cy: float
    radius: float = 110.0

    def point(self, k: int, r: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * k / self.n
        return self.cx + r * math.cos(angle), self.cy + r * math.sin(angle)

    def ring(self, r: float) -> str:
        return _points([self.point(k, r) for k in range(self.n)])


def _web(g: _Radar, top_value: float) -> list[str]:
    """Five rings (the outer one shaded), a spoke per axis and each ring's value."""
    body = [f'<g class="radar-grid" data-cx="{_n(g.cx)}" data-cy="{_n(g.cy)}" data-r="{_n(g.radius)}">']
    for level in range(1, _RINGS + 1):
        outer = level == _RINGS
        body.append(
            "<polygon"
            + _attrs(
                {
                    "points": g.ring(g.radius * level / _RINGS),
                    "fill": "#fafafa" if outer else "none",
                    "stroke": _AXIS if outer else _GRID,
                }
            )
            + "/>"
        )
    for k in range(g.n):
        x, y = g.point(k, g.radius)
        body.append(_line(g.cx, g.cy, x, y, _GRID))
    # Ring values sit on the bisector between the last and the first axis, where no vertex marker lands.
    bisector = -math.pi / 2 - math.pi / g.n
    reach = math.cos(math.pi / g.n)
    for level in range(1, _RINGS + 1):
        r = g.radius * level / _RINGS * reach
        body.append(
            _text(
                g.cx + r * math.cos(bisector),
                g.cy + r * math.sin(bisector),
                _auto_fmt(top_value * level / _RINGS),
                size=10.0,
                anchor="middle",
                dy="0.35em",
                fill=_MUTED,
                cls="ring-value",
                halo=True,
            )
        )
    body.append("</g>")
    return body


def _axis_labels(g: _Radar, names: list[str]) -> list[str]:
    """Each axis name just outside the web, anchored away from the centre and cut to the room it has."""
    body = ['<g class="axis-labels">']
    outside = g.radius + 12
    for k, label in enumerate(names):
        x, y = g.point(k, outside)
        rel = (x - g.cx) / outside
        if rel > 0.25:
            anchor, room = "start", _W - 8 - x
        elif rel < -0.25:
            anchor, room = "end", x - 8
        else:
            anchor, room = "middle", 2 * min(x - 8, _W - 8 - x)
        dy = y - g.cy
        shift = "0.35em" if abs(dy) < outside * 0.5 else ("1em" if dy > 0 else "-0.2em")
        body.append(_text(x, y, label, anchor=anchor, dy=shift, max_width=min(room, 150.0), fill=_TEXT))
    body.append("</g>")
    return body


def _area(
    i: int,
    name: str,
    vals: list[float],
    raw_vals: list[float],
    names: list[str],
    g: _Radar,
    top_value: float,
    color: str,
) -> list[str]:
    """One series: its polygon (clamped values) and a marker per axis whose tooltip shows the raw value."""
    pts = [g.point(k, g.radius * v / top_value) for k, v in enumerate(vals)]
    body = [f'<g class="series" data-series="{i}">']
    body.append(
        '<polygon class="radar-area"'
        + _attrs(
            {
                "data-series": str(i),
                "points": _points(pts),
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
            _marker(_MARKERS[i % len(_MARKERS)], x, y, color, f"{head}：{_auto_fmt(raw_vals[k])}", 3.5)
        )
    body.append("</g>")
    return body
