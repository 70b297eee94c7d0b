"""Form widgets shared by every app."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, mark_safe


class DateInput(forms.DateInput):
    """A browser date picker, whose value must be ISO 8601 (`2026-11-01`) whatever the language.

    Django renders a date in the active language's first input format (`2026/11/01` in zh-hans), which
    `<input type="date">` rejects, so the field came up empty and the form could not be sent unchanged.
    """

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


_INPUT_TEMPLATES = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in (
        "input",
        "text",
        "number",
        "email",
        "url",
        "password",
        "hidden",
        "date",
        "datetime",
        "time",
        "search",
        "tel",
        "color",
        "checkbox",
    )
)
_TEXTAREA_TEMPLATE = "django/forms/widgets/textarea.html"


def _shown(value: Any) -> str:
    """`{{ value|stringformat:'s' }}` in an autoescaping template."""
    text = "%s" % (str(value) if isinstance(value, tuple) else value,)  # noqa: UP031 - as the filter does
    return conditional_escape(mark_safe(text) if isinstance(value, SafeData) else text)


def _attrs(attrs: dict[str, Any]) -> str:
    """django/forms/widgets/attrs.html."""
    return "".join(
        f" {conditional_escape(name)}" + ("" if value is True else f'="{_shown(value)}"')
        for name, value in attrs.items()
        if value is not False
    )


class FormRenderer(DjangoTemplates):
    """Django's form renderer, with the plain inputs and text areas written out in Python.

    The annual-data form draws some fifty inputs, each through three templates (text → input → attrs): that
    was a quarter of the CPU of the page a clerk gets after every save (issue 19.4). The HTML is the
    templates' own, character for character (tests/accounts/test_widgets.py compares the two for each input
    type and awkward values); every other widget is drawn by its template as before."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        widget = context.get("widget")
        if template_name in _INPUT_TEMPLATES and isinstance(widget, dict):
            value = widget["value"]
            shown = "" if value is None else f' value="{_shown(value)}"'
            return (
                f'<input type="{conditional_escape(widget.get("type", ""))}" name="{conditional_escape(widget["name"])}"'
                f"{shown}{_attrs(widget['attrs'])}>"
            )
        if template_name == _TEXTAREA_TEMPLATE and isinstance(widget, dict):
            value = widget["value"]
            return (
                f'<textarea name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>\n'
                f"{conditional_escape(value) if value else ''}</textarea>"
            )
        return super().render(template_name, context, request)  # type: ignore[no-any-return]
