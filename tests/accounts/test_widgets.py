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


CHOICES: list[Any] = [
    [("", "未填报"), ("1", "是"), ("0", "否")],
    [("yes", "有变更"), ("no", "a \"quoted\" <b>bold</b> & 'single'"), (3, mark_safe("<i>safe</i>"))],
    [("能耗查询", "能耗查询"), ("__none__", gettext_lazy("以上均不具备"))],
    [("分组一", [("a", "甲"), ("b", "乙")]), ("c", "丙")],
]


@pytest.mark.parametrize(
    "widget",
    [forms.RadioSelect, forms.CheckboxSelectMultiple],
    ids=lambda w: w.__name__,
)
def test_radio_buttons_and_check_boxes_are_written_as_djangos_templates_write_them(widget: Any) -> None:
    templates, written = DjangoTemplates(), FormRenderer()
    for choices in CHOICES:
        for attrs in [
            {},
            {"id": "id_x"},
            {"id": "id_x", "class": "choice-set"},
            {"class": '"odd"', "required": True},
        ]:
            for value in [None, "", "1", "yes", "a", ["a", "c"], ["能耗查询", "__none__"], 3]:
                drawn = widget(choices=choices)
                expected = drawn.render("x", value, attrs=attrs, renderer=templates)
                assert drawn.render("x", value, attrs=attrs, renderer=written) == expected, (
                    choices,
                    attrs,
                    value,
                )


def test_a_radio_button_drawn_alone_is_written_as_djangos_template_writes_it(settings) -> None:  # type: ignore[no-untyped-def]
    """A page that lays out its radio buttons itself (`{{ radio.tag }}`, `{{ radio }}`) gets each one alone."""

    class Answer(forms.Form):
        answer = forms.ChoiceField(choices=CHOICES[1], widget=forms.RadioSelect)
        items = forms.MultipleChoiceField(choices=CHOICES[2], widget=forms.CheckboxSelectMultiple)

    def drawn() -> list[str]:
        form = Answer({"answer": "no", "items": ["__none__"]})
        return [str(part) for name in ("answer", "items") for b in form[name] for part in (b.tag(), b)]

    written = drawn()
    settings.FORM_RENDERER = "django.forms.renderers.DjangoTemplates"
    assert drawn() == written and len(written) == 10


def test_a_fields_errors_are_written_as_djangos_template_writes_them(settings) -> None:  # type: ignore[no-untyped-def]
    class Figures(forms.Form):
        output_value = forms.DecimalField(required=False)
        site_area = forms.DecimalField()

    def drawn() -> list[str]:
        form = Figures({"output_value": "12", "site_area": "<很多>"})
        return [str(form[name].errors) for name in ("output_value", "site_area")] + [str(form.errors)]

    written = drawn()
    settings.FORM_RENDERER = "django.forms.renderers.DjangoTemplates"
    assert drawn() == written and written[0] == "" and 'class="errorlist"' in written[1]


def test_other_widgets_are_still_drawn_by_their_templates() -> None:
    select = forms.Select(choices=[("", "未填报"), ("1", "是"), ("0", "否")])
    numbered = forms.RadioSelect(choices=[(1, 2026), (2, 2025)])  # a label that is not text: the template
    for widget in (select, numbered, forms.SelectMultiple(choices=[("a", "能耗查询")])):
        html = widget.render("x", "1", attrs={"id": "id_x"}, renderer=FormRenderer())
        assert html == widget.render("x", "1", attrs={"id": "id_x"}, renderer=DjangoTemplates())
        assert html.startswith(("<select", "<div"))


def test_the_platform_draws_its_forms_with_it(settings) -> None:  # type: ignore[no-untyped-def]
    from django.forms.renderers import get_default_renderer

    assert isinstance(get_default_renderer(), FormRenderer)
