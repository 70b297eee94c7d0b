"""Box plots: the marks sit where the five figures say, and a group under five values gets a sentence."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from accounts.charts import Box, box_chart

SVG = "{http://www.w3.org/2000/svg}"
ONE_TO_FIVE = Box("渝中区", 5, p10=1.4, q1=2, median=3, q3=4, p90=4.6)


def test_the_box_spans_q1_to_q3_and_the_median_line_lies_inside_it() -> None:
    root = ET.fromstring(box_chart([ONE_TO_FIVE], title="可再生能源电力占比"))
    rect = root.find(f".//{SVG}g[@class='box']/{SVG}rect")
    median = root.find(f".//{SVG}line[@class='median']")
    assert rect is not None and median is not None
    left, width = float(rect.get("x", 0)), float(rect.get("width", 0))
    x_median = float(median.get("x1", 0))
    # Q1 = 2, median = 3, Q3 = 4: the median line sits halfway along the box.
    assert abs(x_median - (left + width / 2)) < 0.02
    whiskers = root.findall(f".//{SVG}g[@class='box']/{SVG}line")
    xs = sorted(float(line.get("x1", 0)) for line in whiskers if line.get("class") != "median")
    # P10 1.4 → Q1 2 is 0.6 of the 1.0 from Q1 to the median: the whisker is 0.6 box halves long.
    assert abs((left - xs[0]) - 0.6 * width / 2) < 0.05


def test_a_group_of_four_gets_no_box_but_a_sentence() -> None:
    svg = box_chart([Box("江津区", 4, p10=1, q1=2, median=3, q3=4, p90=5)], title="T")
    root = ET.fromstring(svg)
    assert root.find(f".//{SVG}g[@class='box']") is None
    assert "少于5家企业，不显示分布" in "".join(root.itertext())


def test_the_figures_are_in_the_description_for_screen_readers() -> None:
    root = ET.fromstring(
        box_chart([ONE_TO_FIVE, Box("全市", 9, 1.8, 3, 5, 20, 32, highlight=True)], title="T")
    )
    desc = root.find(f"{SVG}desc")
    assert desc is not None and "中位数 3" in (desc.text or "") and "全市（9家）" in (desc.text or "")


def test_labels_are_escaped_and_an_empty_list_is_the_empty_state() -> None:
    svg = box_chart([Box("<script>", 5, 1, 2, 3, 4, 5)], title="a&b")
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "chart-empty" in box_chart([], title="T")
