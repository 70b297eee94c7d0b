"""The input limits speak the user's language: Chinese first, English after the switch."""

from __future__ import annotations

import datetime as dt

from django.utils import translation

from accounts.limits import EARLIEST_DATE, date_problem, text_problem


def test_limit_messages_are_chinese_first_and_english_after_the_switch():
    day = dt.date(1, 1, 1)
    assert date_problem(day, earliest=EARLIEST_DATE, latest=dt.date(2026, 1, 1)) == (
        "日期应在2000-01-01至2026-01-01之间（填写的是0001-01-01）。"
    )
    assert text_problem("长" * 11, 10, "情况说明") == "情况说明不能超过10个字（现有11个字）。"
    with translation.override("en"):
        assert date_problem(day, earliest=EARLIEST_DATE, latest=dt.date(2026, 1, 1)) == (
            "The date must be between 2000-01-01 and 2026-01-01 (it is 0001-01-01)."
        )
        assert (
            text_problem("x" * 11, 10, "Explanation")
            == "Explanation may have at most 10 characters (it has 11)."
        )


def test_text_and_dates_within_their_limits_have_no_problem():
    assert text_problem("长" * 10, 10) is None and text_problem(None, 10) is None
    assert date_problem(EARLIEST_DATE, earliest=EARLIEST_DATE, latest=EARLIEST_DATE) is None
