"""Choosing between the two languages of texts that carry both: catalogue entries (name, unit, help and
formula in Chinese and English) and the bilingual messages of pure code (`factories.indicators.Message`).
Chinese unless the active UI language is English."""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language


def localized(zh: str, en: str) -> str:
    """The English text for an English user when there is one, the Chinese otherwise."""
    return en if en and (get_language() or "").lower().startswith("en") else zh


def in_language(text: Any) -> Any:
    """A bilingual message (anything with `.en`, such as a `Message`) in the active language; other text
    as it is."""
    english = getattr(text, "en", None)
    return localized(str(text), english) if isinstance(english, str) else text
