"""Form widgets shared by every app."""

from __future__ import annotations

from typing import Any

from django import forms


class DateInput(forms.DateInput):
    """A browser date picker, whose value must be ISO 8601 (`2026-11-01`) whatever the language.

    Django renders a date in the active language's first input format (`2026/11/01` in zh-hans), which
    `<input type="date">` rejects, so the field came up empty and the form could not be sent unchanged.
    """

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")
