"""accounts.i18n: the one place that chooses between the two languages of bilingual texts."""

from __future__ import annotations

import pytest
from django.utils import translation

from accounts.i18n import in_language, localized
from factories.indicators import Message

MESSAGE = Message("用地面积必须大于0。", "Site area must be greater than 0.")


@pytest.mark.parametrize(
    ("language", "message", "unit"),
    [
        ("en", "Site area must be greater than 0.", "10k yuan"),
        ("en-us", "Site area must be greater than 0.", "10k yuan"),
        ("zh-hans", "用地面积必须大于0。", "万元"),
    ],
)
def test_bilingual_texts_follow_the_active_language(language: str, message: str, unit: str) -> None:
    with translation.override(language):
        assert in_language(MESSAGE) == message
        assert type(in_language(MESSAGE)) is str  # never the Message itself: its str() would be Chinese
        assert localized("万元", "10k yuan") == unit


def test_plain_text_passes_through_and_a_missing_english_text_falls_back_to_chinese() -> None:
    with translation.override("en"):
        assert in_language("只有中文") == "只有中文"
        assert localized("万元", "") == "万元"
    with translation.override(None):
        assert in_language(MESSAGE) == "用地面积必须大于0。"
