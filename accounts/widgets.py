"""Form widgets shared by every app."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.functional import Promise
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


_CHOICES_TEMPLATES = frozenset(
    {"django/forms/widgets/radio.html", "django/forms/widgets/checkbox_select.html"}
)
_ERROR_LIST_TEMPLATES = frozenset(
    {"django/forms/errors/list/default.html", "django/forms/errors/list/ul.html"}
)
_OPTION_TEMPLATES = frozenset(
    {"django/forms/widgets/radio_option.html", "django/forms/widgets/checkbox_option.html"}
)


def _input(widget: dict[str, Any]) -> str:
    """django/forms/widgets/input.html (and the templates that only include it)."""
    value = widget["value"]
    shown = "" if value is None else f' value="{_shown(value)}"'
    kind, name = conditional_escape(widget.get("type", "")), conditional_escape(widget["name"])
    return f'<input type="{kind}" name="{name}"{shown}{_attrs(widget["attrs"])}>'


def _option(option: dict[str, Any]) -> str | None:
    """radio_option.html or checkbox_option.html (input_option.html) as a template that includes it gets it,
    line breaks and all; None for an option of another template or a label that is not text."""
    label = option["label"]
    if option.get("template_name") not in _OPTION_TEMPLATES or not isinstance(label, str | Promise):
        return None
    html = _input(option) + "\n"  # an included template keeps its closing line break
    if option.get("wrap_label"):
        target = f' for="{conditional_escape(option["attrs"]["id"])}"' if option["attrs"].get("id") else ""
        html = f"<label{target}>{html} {conditional_escape(str(label))}</label>"
    return html + "\n\n"


def _choices(widget: dict[str, Any]) -> str | None:
    """django/forms/widgets/multiple_input.html; None when an option is not one `_option` writes."""
    attrs = widget["attrs"]
    head = f' id="{conditional_escape(attrs["id"])}"' if attrs.get("id") else ""
    head += f' class="{conditional_escape(attrs["class"])}"' if attrs.get("class") else ""
    parts = [f"<div{head}>"]
    for group, options, _index in widget["optgroups"]:
        if group:
            parts.append(f"\n  <div><label>{conditional_escape(group)}</label>")
        for option in options:
            html = _option(option)
            if html is None:
                return None
            parts.append(f"<div>\n    {html}</div>")
        if group:
            parts.append("\n  </div>")
    parts.append("\n</div>")
    return "".join(parts)


class FormRenderer(DjangoTemplates):
    """Django's form renderer, with the plain inputs, text areas, radio buttons and check boxes (and the empty
    error list of a field without errors) written out in Python.

    The annual-data form draws some eighty inputs, each through three or four templates (text → input →
    attrs): that was a quarter of the CPU of the page a clerk gets after every save (issue 19.4). The HTML is
    the templates' own, character for character (tests/accounts/test_widgets.py compares the two for each
    widget and awkward values); every other widget is drawn by its template as before."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        if template_name in _ERROR_LIST_TEMPLATES and not context.get("errors"):
            return ""  # `{{ field.errors }}` of a field without errors: the template draws nothing
        widget = context.get("widget")
        if isinstance(widget, dict):
            if template_name in _INPUT_TEMPLATES:
                return _input(widget)
            if template_name == _TEXTAREA_TEMPLATE:
                value = widget["value"]
                return (
                    f'<textarea name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>\n'
                    f"{conditional_escape(value) if value else ''}</textarea>"
                )
            if template_name in _CHOICES_TEMPLATES and (html := _choices(widget)) is not None:
                return html
            if template_name in _OPTION_TEMPLATES and (html := _option(widget)) is not None:
                return html.strip()  # one radio button drawn alone (BoundWidget.tag), as render() strips
        return super().render(template_name, context, request)  # type: ignore[no-any-return]
