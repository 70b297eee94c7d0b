"""What every chart shares around its plot: the visible title, the legend, the description in words
and the empty state."""

from __future__ import annotations

from collections.abc import Sequence

from accounts.charts.colours import _edge
from accounts.charts.svg import (
    _DASHES,
    _LABEL_SIZE,
    _MARKERS,
    _MUTED,
    _NO_DATA,
    _PAD,
    _TEXT,
    _TITLE_SIZE,
    _W,
    _attrs,
    _clean,
    _marker,
    _svg,
    _text,
    _text_width,
    _uid,
)


def _title(title: str, width: float) -> str:
    return _text(
        _PAD,
        _PAD + _TITLE_SIZE - 2,
        title,
        size=_TITLE_SIZE,
        weight="600",
        max_width=width - 2 * _PAD,
        cls="chart-title",
    )


def _swatch(kind: str, x: float, mid: float, swatch: float, color: str, index: int, name: str) -> list[str]:
    """A legend key: a dashed line with the series marker (lines, radar) or a filled box (bars)."""
    if kind == "line":
        dash = _DASHES[index % len(_DASHES)]
        line = (
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
        return [line, _marker(_MARKERS[index % len(_MARKERS)], x + swatch / 2, mid, color, name, 3.5)]
    box = (
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
    return [box]


def _header(
    title: str, legend: list[tuple[str, str, int, str]], *, width: float = _W
) -> tuple[list[str], float]:
    """Visible title and a wrapping legend; returns the elements and the y where the plot may start.

    A legend entry is (name, colour, series index, kind) with kind "box" (bars) or "line" (lines, radar).
    """
    parts = [_title(title, width)]
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
        parts.extend(_swatch(kind, x, mid, swatch, color, index, name))
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
        body.append(_title(title, _W))
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
