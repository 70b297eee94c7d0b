"""The Grade enum: the default standard's bands, highest first, each with its name and a legible colour."""

from __future__ import annotations

from django.utils import translation

from accounts.charts import LEVEL_COLORS, text_color_on
from factories.grading.standard import DEFAULT_STANDARD
from factories.models import Grade


def test_the_default_standard_grades_are_the_platforms_grades_highest_first() -> None:
    assert DEFAULT_STANDARD.grades == tuple(Grade.values)


def test_aa_and_above_are_the_grades_recommended_for_national_level() -> None:
    assert Grade.at_least(Grade.AA) == ["AAAA", "AAA", "AA"]
    assert Grade.at_least(Grade.AAAA) == ["AAAA"]


def test_grades_are_named_as_the_policy_names_them_in_chinese_and_english() -> None:
    with translation.override("zh-hans"):
        assert [Grade.label_of(g) for g in Grade.values] == ["领军", "先进", "较好", "基本"]
    with translation.override("en"):
        assert [Grade.label_of(g) for g in Grade.values] == ["Leading", "Advanced", "Good", "Basic"]
    assert Grade.label_of("B") == "", "a band of another standard has no grade name"


def test_grade_and_level_colours_are_distinct_and_text_on_them_is_legible() -> None:
    colours = [g.colour for g in Grade] + list(LEVEL_COLORS.values())
    assert len(set(colours)) == len(colours)
    assert Grade.AAAA.colour == "#1b5e20" and Grade.A.colour == "#c8e6c9"
    assert text_color_on(Grade.AAAA.colour) == "#ffffff"
    assert text_color_on(Grade.A.colour) != "#ffffff"
