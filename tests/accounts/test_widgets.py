"""The form renderer writes the plain inputs in Python (accounts.widgets.FormRenderer): the HTML must be
Django's templates' own, character for character, whatever the value and the attributes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from accounts.widgets import DateInput, FormRenderer

ATTRS: list[dict[str, Any]] = [
    {},
    {"class": "num", "inputmode": "decimal", "autocomplete": "off", "maxlength": 40},
    {"required": True, "disabled": False, "id": "id_x", "aria-describedby": "id_x_helptext"},
    {"data-note": "a \"quoted\" <b>bold</b> & 'single'", "title": gettext_lazy("提交时必填"), "rows": 2},
    {"data-safe": mark_safe("<i>kept</i>"), "data-tuple": (1, 2), "data-zero": 0, "data-none": None},
]
VALUES: list[Any] = [
    None,
    "",
    "12000.5",
    "  spaced  ",
    "a \"quoted\" <b>bold</b> & 'single'",
    mark_safe("<b>safe</b>"),
    0,
    Decimal("1.50"),
    "第一行\n第二行 <x>",
    dt.date(2026, 3, 1),
    True,
    False,
]
WIDGETS: list[forms.Widget] = [
    forms.TextInput(),
    forms.NumberInput(),
    forms.EmailInput(),
    forms.URLInput(),
    forms.PasswordInput(render_value=True),
    forms.HiddenInput(),
    forms.DateInput(),
    DateInput(),
    forms.TimeInput(),
    forms.DateTimeInput(),
    forms.SearchInput(),
    forms.TelInput(),
    forms.ColorInput(),
    forms.CheckboxInput(),
    forms.Textarea(),
    forms.Textarea(attrs={"rows": 2}),
]


@pytest.mark.parametrize("widget", WIDGETS, ids=lambda w: type(w).__name__)
def test_each_plain_input_is_written_as_djangos_template_writes_it(widget: forms.Widget) -> None:
    templates, written = DjangoTemplates(), FormRenderer()
    for value in VALUES:
        for attrs in ATTRS:
            expected = widget.render("field_name", value, attrs=attrs, renderer=templates)
            assert widget.render("field_name", value, attrs=attrs, renderer=written) == expected, (
                value,
                attrs,
            )


def test_other_widgets_are_still_drawn_by_their_templates() -> None:
    select = forms.Select(choices=[("", "未填报"), ("1", "是"), ("0", "否")])
    radio = forms.RadioSelect(choices=[("yes", "有变更"), ("no", "无变更")])
    for widget in (select, radio, forms.CheckboxSelectMultiple(choices=[("a", "能耗查询")])):
        html = widget.render("x", "1", attrs={"id": "id_x"}, renderer=FormRenderer())
        assert html == widget.render("x", "1", attrs={"id": "id_x"}, renderer=DjangoTemplates())
        assert html.startswith(("<select", "<div"))


def test_the_platform_draws_its_forms_with_it(settings) -> None:  # type: ignore[no-untyped-def]
    from django.forms.renderers import get_default_renderer

    assert isinstance(get_default_renderer(), FormRenderer)
