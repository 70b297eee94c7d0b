"""Funnel charts: stages top to bottom, bar width proportional to the count, with conversion rates."""

from __future__ import annotations

from accounts.charts.colours import _edge, _mix
from accounts.charts.frame import _empty_state, _header
from accounts.charts.scales import _bar_value
from accounts.charts.svg import (
    _MUTED,
    _NO_DATA,
    _PAD,
    _SMALL_SIZE,
    _TEXT,
    _W,
    _attrs,
    _clean,
    _esc,
    _n,
    _pct,
    _svg,
    _text,
    _uid,
)


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
