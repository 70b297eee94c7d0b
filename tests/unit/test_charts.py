"""Server-side SVG charts: valid XML, escaped text, geometry proportional to the data, empty states."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import pytest

from accounts.charts import (
    FONT_FAMILY,
    bar_chart,
    empty_chart,
    funnel_chart,
    line_chart,
    radar_chart,
)

SVG = "{http://www.w3.org/2000/svg}"
DIMENSIONS = ["能源低碳化", "废物资源化", "生产洁净化", "用地集约化", "原料无害化"]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def all_text(root: ET.Element) -> str:
    return " ".join(t for t in root.itertext())


def bars(root: ET.Element) -> list[ET.Element]:
    return [r for r in root.iter(f"{SVG}rect") if r.get("class") == "bar"]


def f(el: ET.Element, attr: str) -> float:
    return float(el.get(attr, "nan"))


def points(el: ET.Element) -> list[tuple[float, float]]:
    return [tuple(map(float, p.split(","))) for p in el.get("points", "").split()]  # type: ignore[misc]


def every_chart() -> dict[str, str]:
    return {
        "bar": bar_chart(["渝中区", "江北区"], [("数量", [3, 5])], title="各区县数量"),
        "stacked": bar_chart(
            ["渝中区", "江北区"], [("AAA", [1, 2]), ("AA", [3, 4])], title="等级分布", stacked=True
        ),
        "horizontal": bar_chart(["渝中区", "江北区"], [("数量", [3, 5])], title="横向", horizontal=True),
        "line": line_chart(["2023", "2024"], [("得分", [60.5, None])], title="趋势", y_max=100),
        "radar": radar_chart(DIMENSIONS, [("本企业", [80, 60, 70, 50, 40])], title="五维度"),
        "funnel": funnel_chart([("D", 10), ("C", 5), ("B", 2), ("认定", 1)], title="培育漏斗"),
        "empty": empty_chart("暂无数据"),
    }


# --------------------------------------------------------------------------- every chart


@pytest.mark.parametrize("kind", list(every_chart()))
def test_every_chart_is_an_accessible_responsive_svg(kind: str) -> None:
    root = parse(every_chart()[kind])

    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("width") == "100%"
    assert re.fullmatch(r"0 0 \d+(\.\d+)? \d+(\.\d+)?", root.get("viewBox", ""))
    assert root.get("font-family") == FONT_FAMILY
    title, desc = root[0], root[1]
    assert title.tag == f"{SVG}title" and title.text
    assert desc.tag == f"{SVG}desc" and desc.text
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert "style" not in root.attrib, "no inline styles: the page's CSP may forbid them"


@pytest.mark.parametrize("kind", list(every_chart()))
def test_rendering_twice_gives_identical_bytes(kind: str) -> None:
    assert every_chart()[kind] == every_chart()[kind]


def test_different_charts_get_different_ids_so_they_can_share_a_page() -> None:
    a = parse(bar_chart(["x"], [("s", [1])], title="甲"))
    b = parse(bar_chart(["x"], [("s", [2])], title="甲"))
    assert a[0].get("id") != b[0].get("id")


def test_charts_can_be_inserted_in_templates_without_escaping() -> None:
    svg = bar_chart(["x"], [("s", [1])], title="t")
    assert isinstance(svg, str)
    assert svg.__html__() == svg  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- escaping


def test_labels_titles_and_series_names_are_escaped() -> None:
    svg = bar_chart(["<A&B>", "普通"], [('"系列" & <s>', [1, 2])], title="标题 <script>&")

    assert "<A&B>" not in svg
    assert "<script>" not in svg
    assert "&lt;A&amp;B&gt;" in svg
    root = parse(svg)
    assert root[0].text == "标题 <script>&"
    text = all_text(root)
    assert "<A&B>" in text
    assert '"系列" & <s>' in root[1].text  # type: ignore[operator]


@pytest.mark.parametrize(
    "svg",
    [
        line_chart(["<A&B>"], [("<s>", [1])], title="<t>"),
        radar_chart(["<A&B>", "b", "c"], [("<s>", [1, 2, 3])], title="<t>"),
        funnel_chart([("<A&B>", 3)], title="<t>"),
        empty_chart("<A&B> 暂无数据"),
    ],
)
def test_other_charts_escape_their_text_too(svg: str) -> None:
    assert "<A&B>" not in svg
    assert "<A&B>" in all_text(parse(svg))


def test_control_characters_in_labels_do_not_break_the_xml() -> None:
    root = parse(bar_chart(["a\x00b\x1fc", "d\ne"], [("s", [1, 2])], title="t\x07"))
    assert "abc" in all_text(root)
    assert "d e" in all_text(root)


# --------------------------------------------------------------------------- bar chart


def test_bar_heights_are_proportional_to_values() -> None:
    root = parse(bar_chart(["甲", "乙", "丙"], [("数量", [10, 20, 40])], title="t"))
    heights = [f(r, "height") for r in bars(root)]

    assert len(heights) == 3
    assert heights[1] == pytest.approx(2 * heights[0], abs=0.02)
    assert heights[2] == pytest.approx(4 * heights[0], abs=0.02)
    bottoms = {round(f(r, "y") + f(r, "height"), 1) for r in bars(root)}
    assert len(bottoms) == 1, "all bars stand on one baseline"


def test_grouped_bars_sit_side_by_side_with_one_colour_per_series() -> None:
    root = parse(bar_chart(["2023", "2024"], [("申报", [4, 8]), ("通过", [2, 6])], title="t"))
    rects = bars(root)
    first = [r for r in rects if r.get("data-category") == "0"]

    assert len(rects) == 4
    assert f(first[0], "x") + f(first[0], "width") <= f(first[1], "x")
    assert {r.get("fill") for r in rects if r.get("data-series") == "0"} != {
        r.get("fill") for r in rects if r.get("data-series") == "1"
    }
    assert "申报" in all_text(root) and "通过" in all_text(root), "a legend names the series"


def test_stacked_segments_rest_on_each_other_and_total_is_shown() -> None:
    root = parse(bar_chart(["甲"], [("A", [30]), ("B", [10])], title="t", stacked=True))
    low, high = bars(root)

    assert f(high, "y") + f(high, "height") == pytest.approx(f(low, "y"), abs=0.02)
    assert f(low, "height") == pytest.approx(3 * f(high, "height"), abs=0.02)
    assert "40" in [t.text for t in root.iter(f"{SVG}text")]


def test_horizontal_bar_widths_are_proportional_to_values() -> None:
    root = parse(bar_chart(["甲", "乙"], [("数量", [5, 15])], title="t", horizontal=True))
    widths = [f(r, "width") for r in bars(root)]
    assert widths[1] == pytest.approx(3 * widths[0], abs=0.02)
    assert len({f(r, "x") for r in bars(root)}) == 1


def test_negative_and_missing_bar_values_count_as_zero() -> None:
    root = parse(bar_chart(["甲", "乙", "丙"], [("s", [-5, 10])], title="t"))  # third value missing
    heights = [f(r, "height") for r in bars(root)]
    assert heights[0] == 0 and heights[2] == 0 and heights[1] > 0


def test_all_zero_bars_still_draw_an_axis_instead_of_dividing_by_zero() -> None:
    root = parse(bar_chart(["甲", "乙"], [("s", [0, 0])], title="t"))
    assert [f(r, "height") for r in bars(root)] == [0, 0]
    assert "所有数值均为 0" in (root[1].text or "")
    assert root.get("class", "").endswith("chart-bar")


def test_a_single_category_gets_a_bar_of_reasonable_width() -> None:
    root = parse(bar_chart(["唯一"], [("s", [7])], title="t"))
    (bar,) = bars(root)
    assert 10 < f(bar, "width") <= 60
    assert "唯一" in all_text(root)


def test_value_labels_use_the_given_format() -> None:
    root = parse(bar_chart(["甲"], [("s", [12.345])], title="t", value_format="{:.1f}%"))
    assert "12.3%" in [t.text for t in root.iter(f"{SVG}text")]


def test_a_format_that_does_not_fit_the_value_falls_back_instead_of_raising() -> None:
    root = parse(bar_chart(["甲"], [("s", [3.0])], title="t", value_format="{:d} 家"))
    assert "3 家" in [t.text for t in root.iter(f"{SVG}text")]


def test_given_colours_are_used_and_light_grades_get_an_outline() -> None:
    grade_colours = ["#1b5e20", "#388e3c", "#81c784", "#c8e6c9"]  # AAAA … A
    root = parse(
        bar_chart(
            ["渝中区"],
            [(g, [1]) for g in ("AAAA", "AAA", "AA", "A")],
            title="t",
            stacked=True,
            colors=grade_colours,
        )
    )
    fills = [r.get("fill") for r in bars(root)]
    assert fills == grade_colours
    light_a = bars(root)[3]
    assert light_a.get("stroke"), "the pale A colour needs an edge on a white card"


def test_long_chinese_labels_are_cut_with_an_ellipsis_and_keep_the_full_text_in_a_title() -> None:
    long_name = "重庆市某某某某某某某某某某某某某有限责任公司第一分厂"
    root = parse(bar_chart([long_name, "短"], [("产值", [3, 1])], title="t", horizontal=True))
    shown = [t.text or "" for t in root.iter(f"{SVG}text")]

    assert long_name not in shown
    assert any(s.endswith("…") and long_name.startswith(s[:-1]) for s in shown)
    tips = [
        t.text for g in root.iter(f"{SVG}g") if g.get("class") == "truncated" for t in g.iter(f"{SVG}title")
    ]
    assert long_name in tips


def test_many_long_vertical_categories_are_rotated_and_stay_inside_the_viewbox() -> None:
    names = [f"{d}（直管区）" for d in ["渝中区", "江北区", "南岸区", "九龙坡区", "沙坪坝区", "大渡口区"]]
    root = parse(bar_chart(names, [("s", [1, 2, 3, 4, 5, 6])], title="t"))
    labels = [t for t in root.iter(f"{SVG}text") if t.get("transform", "").startswith("rotate")]
    assert len(labels) == len(names)
    for label in labels:
        # anchor "end" + rotate(-35°): the text runs to the lower left of its anchor
        x = f(label, "x")
        width = len(label.text or "") * 12
        assert x - width * math.cos(math.radians(35)) >= 0


@pytest.mark.parametrize(
    ("categories", "series"),
    [([], [("s", [1])]), (["甲"], []), ([], [])],
)
def test_bar_chart_without_data_shows_the_empty_state(categories: list[str], series: list) -> None:  # type: ignore[type-arg]
    root = parse(bar_chart(categories, series, title="各区县数量"))
    assert root.get("class") == "chart-svg chart-empty"
    assert "暂无数据" in all_text(root)
    assert "各区县数量" in (root[0].text or "")


# --------------------------------------------------------------------------- line chart


def test_none_values_break_the_line_into_separate_segments() -> None:
    root = parse(line_chart(["1", "2", "3", "4", "5"], [("s", [1, 2, None, 4, 5])], title="t"))
    (path,) = [p for p in root.iter(f"{SVG}path") if p.get("class") == "line"]
    assert path.get("d", "").count("M") == 2
    markers = [m for m in root.iter() if m.get("class") == "marker"]
    assert len(markers) == 4


def test_line_points_are_placed_by_value_on_a_fixed_maximum() -> None:
    root = parse(line_chart(["a", "b", "c"], [("s", [0, 50, 100])], title="t", y_max=100))
    ys = [f(c, "cy") for c in root.iter(f"{SVG}circle") if c.get("class") == "marker"]
    assert ys[0] - ys[1] == pytest.approx(ys[1] - ys[2], abs=0.02)
    assert "100" in [t.text for t in root.iter(f"{SVG}text")]


def test_line_chart_with_only_gaps_shows_the_empty_state() -> None:
    assert "chart-empty" in line_chart(["2023"], [("s", [None])], title="t")
    assert "chart-empty" in line_chart([], [], title="t")


def test_several_line_series_differ_by_marker_shape_not_only_colour() -> None:
    root = parse(line_chart(["a", "b"], [("甲", [1, 2]), ("乙", [2, 3])], title="t"))
    series = [g for g in root.iter(f"{SVG}g") if g.get("class") == "series"]
    shapes = [{m.tag for m in g if m.get("class") == "marker"} for g in series]
    assert shapes[0] != shapes[1]


# --------------------------------------------------------------------------- radar chart


def test_radar_vertices_sit_at_their_values_from_the_top_clockwise() -> None:
    root = parse(radar_chart(["北", "东", "南", "西"], [("s", [100, 50, 0, 25])], title="t", max_value=100))
    grid = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "radar-grid")
    cx, cy, r = f(grid, "data-cx"), f(grid, "data-cy"), f(grid, "data-r")
    (area,) = [p for p in root.iter(f"{SVG}polygon") if p.get("class") == "radar-area"]

    expected = [(cx, cy - r), (cx + r / 2, cy), (cx, cy), (cx - r / 4, cy)]
    for (x, y), (ex, ey) in zip(points(area), expected, strict=True):
        assert x == pytest.approx(ex, abs=0.02) and y == pytest.approx(ey, abs=0.02)


def test_a_full_score_reaches_the_outer_ring_and_values_above_the_maximum_are_clamped() -> None:
    root = parse(radar_chart(DIMENSIONS, [("s", [100, 100, 100, 100, 130])], title="t"))
    outer = next(p for p in root.iter(f"{SVG}polygon") if p.get("stroke") == "#9ca3af")
    (area,) = [p for p in root.iter(f"{SVG}polygon") if p.get("class") == "radar-area"]
    assert points(area) == points(outer)
    assert "130" in (root[1].text or ""), "the description keeps the real value"


def test_radar_compares_the_factory_with_the_peer_median() -> None:
    root = parse(
        radar_chart(
            DIMENSIONS, [("本企业", [80, 60, 70, 50, 40]), ("同行中位数", [60, 55, 65, 55, 50])], title="t"
        )
    )
    areas = [p for p in root.iter(f"{SVG}polygon") if p.get("class") == "radar-area"]
    assert len(areas) == 2
    assert areas[0].get("stroke") != areas[1].get("stroke")
    assert areas[1].get("stroke-dasharray"), "the second series is also told apart by its dashes"
    text = all_text(root)
    for name in [*DIMENSIONS, "本企业", "同行中位数"]:
        assert name in text


def test_radar_with_fewer_than_three_axes_falls_back_to_bars_and_with_none_to_empty() -> None:
    assert "chart-bar" in radar_chart(["甲", "乙"], [("s", [1, 2])], title="t")
    assert "chart-empty" in radar_chart([], [("s", [])], title="t")


# --------------------------------------------------------------------------- funnel and empty


def test_funnel_widths_follow_the_counts_and_rates_are_shown() -> None:
    root = parse(funnel_chart([("D 级", 200), ("C 级", 100), ("B 级", 50), ("已认定", 10)], title="t"))
    stages = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "funnel-stage"]
    widths = [f(r, "width") for r in stages]

    assert widths[1] == pytest.approx(widths[0] / 2, abs=0.02)
    assert widths[3] == pytest.approx(widths[0] / 20, abs=0.02)
    centres = {round(f(r, "x") + f(r, "width") / 2, 1) for r in stages}
    assert len(centres) == 1
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "转化率 50.0%" in texts and "转化率 20.0%" in texts


def test_funnel_with_zero_counts_does_not_divide_by_zero() -> None:
    root = parse(funnel_chart([("D", 0), ("C", 0)], title="t"))
    assert "转化率 —" in [t.text for t in root.iter(f"{SVG}text")]


def test_empty_funnel_and_explicit_empty_chart_show_the_message() -> None:
    assert "暂无数据" in all_text(parse(funnel_chart([], title="t")))
    root = parse(empty_chart("本年度尚无企业提交"))
    assert root[0].text == "本年度尚无企业提交"
    assert "本年度尚无企业提交" in all_text(root)
