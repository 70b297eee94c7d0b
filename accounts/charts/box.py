"""Horizontal box plots, one row per group on a shared axis: whiskers P10–P90, box Q1–Q3, median line.

A group with fewer than ``min_count`` values gets no box: its row carries a sentence instead, so a small
group's figures are never drawn (the k = 5 rule of the peer comparisons).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from accounts.charts.colours import PALETTE
from accounts.charts.frame import _empty_state, _header
from accounts.charts.scales import _num, _scale
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
    _attrs,
    _auto_fmt,
    _clean,
    _esc,
    _line,
    _svg,
    _text,
    _uid,
)

_ROW = 34.0
_LABEL_W = 132.0
_BOX_H = 16.0


@dataclass(frozen=True)
class Box:
    """One group's five figures (None where not computed) and how many values they summarise."""

    label: str
    count: int
    p10: float | None = None
    q1: float | None = None
    median: float | None = None
    q3: float | None = None
    p90: float | None = None
    highlight: bool = False

    def figures(self) -> tuple[float, float, float, float, float] | None:
        values = [_num(v) for v in (self.p10, self.q1, self.median, self.q3, self.p90)]
        if any(v is None for v in values):
            return None
        return tuple(values)  # type: ignore[return-value]


def box_chart(
    boxes: Sequence[Box],
    *,
    title: str,
    unit: str = "",
    min_count: int = 5,
    too_few: str = "少于{min}家企业，不显示分布",
) -> str:
    """Box plots of ``boxes`` on one axis; a group under ``min_count`` values shows ``too_few`` instead."""
    title = _clean(title)
    if not boxes:
        return _empty_state(title, _NO_DATA)
    drawn = [b.figures() if b.count >= min_count else None for b in boxes]
    every = [v for f in drawn if f is not None for v in f]
    parts, top = _header(title, [])
    if unit:
        parts.append(_text(_W - _PAD, top - 6, _clean(unit), size=_SMALL_SIZE, anchor="end", fill=_MUTED))
    left, right = _PAD + _LABEL_W, _W - _PAD - 8
    lo, hi, ticks = _scale(min(every), max(every), integral=False) if every else (0.0, 1.0, [0.0, 1.0])
    if every and min(every) >= 0:
        lo, hi, ticks = _scale(0.0, max(every), integral=False)

    def x(value: float) -> float:
        return left + (value - lo) / (hi - lo) * (right - left)

    bottom = top + _ROW * len(boxes)
    for tick in ticks:
        parts.append(_line(x(tick), top, x(tick), bottom, _GRID))
        parts.append(
            _text(x(tick), bottom + 14, _auto_fmt(tick), size=_SMALL_SIZE, anchor="middle", fill=_MUTED)
        )
    parts.append(_line(left, bottom, right, bottom, _AXIS))
    desc = []
    message = too_few.format(min=min_count)
    for index, (box, figures) in enumerate(zip(boxes, drawn, strict=True)):
        mid = top + _ROW * index + _ROW / 2
        label = _clean(box.label)
        parts.append(
            _text(
                _PAD, mid, label, dy="0.35em", max_width=_LABEL_W - 8, weight="600" if box.highlight else None
            )
        )
        if figures is None:
            parts.append(
                _text(left + 4, mid, message, dy="0.35em", size=_SMALL_SIZE, fill=_MUTED, cls="too-few")
            )
            desc.append(f"{label}：{message}")
            continue
        p10, q1, median, q3, p90 = figures
        colour = PALETTE[1] if box.highlight else PALETTE[0]
        numbers = "，".join(
            f"{name} {_auto_fmt(v)}"
            for name, v in (("P10", p10), ("Q1", q1), ("中位数", median), ("Q3", q3), ("P90", p90))
        )
        tip = f"{label}（{box.count}家）：{numbers}"
        desc.append(tip)
        half = _BOX_H / 2
        parts.append(f'<g class="box"><title>{_esc(tip)}</title>')
        for a, b in ((p10, q1), (q3, p90)):
            parts.append(_line(x(a), mid, x(b), mid, colour))
        for end in (p10, p90):
            parts.append(_line(x(end), mid - half / 2, x(end), mid + half / 2, colour))
        parts.append(
            "<rect"
            + _attrs(
                {
                    "x": x(q1),
                    "y": mid - half,
                    "width": max(x(q3) - x(q1), 1.0),
                    "height": _BOX_H,
                    "fill": "#e8f5e9" if not box.highlight else "#e3f2fd",
                    "stroke": colour,
                    "stroke-width": 1.5,
                }
            )
            + "/>"
        )
        parts.append(
            "<line"
            + _attrs(
                {
                    "x1": x(median),
                    "y1": mid - half,
                    "x2": x(median),
                    "y2": mid + half,
                    "stroke": _TEXT,
                    "stroke-width": 2.5,
                    "class": "median",
                }
            )
            + "/>"
        )
        parts.append("</g>")
    height = bottom + 14 + _LABEL_SIZE + _PAD
    description = "箱线图（须线为P10–P90，箱体为Q1–Q3，竖线为中位数）。" + "；".join(desc) + "。"
    return _svg("box", _uid("box", (title, boxes, unit)), _W, height, title, description, parts)
