"""Forms of the reporting pages. They only shape input: numbers stay the strings the user typed and
the services parse and validate them, so an error message and the kept input always agree."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.forms import BoundField
from django.utils.translation import gettext_lazy as _

from accounts.i18n import localized
from accounts.limits import LONG_TEXT, MAX_INPUT_LENGTH, SHORT_TEXT
from accounts.widgets import DateInput
from factories.indicators import Catalogue, RawField
from reporting.services import REQUIRED_ON_SUBMIT


@dataclass(frozen=True)
class FieldRow:
    """One raw field as the data-entry template draws it: input, unit, help and markers."""

    field: BoundField
    raw: RawField
    flagged: bool
    required_on_submit: bool
    evidence: Any = None  # reporting.evidence.Cell, when the page shows evidence

    @property
    def unit(self) -> str:
        return localized(self.raw.unit, self.raw.unit_en)


@dataclass(frozen=True)
class FieldGroup:
    code: str
    name: str
    rows: list[FieldRow]


class CatalogueValuesForm(forms.Form):
    """One text input per raw field of a catalogue version, grouped as the catalogue groups them."""

    def __init__(
        self,
        *args: Any,
        catalogue: Catalogue,
        flagged: Iterable[str] = (),
        evidence: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.catalogue = catalogue
        self.flagged = set(flagged)
        self.evidence = evidence or {}
        for raw_field in catalogue.raw_fields:
            self.fields[raw_field.name] = forms.CharField(
                label=localized(raw_field.label_zh, raw_field.label_en),
                help_text=localized(raw_field.help_zh, raw_field.help_en),
                required=False,
                max_length=MAX_INPUT_LENGTH,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "class": "num"}),
            )

    def groups(self) -> list[FieldGroup]:
        return [
            FieldGroup(
                code=group.code,
                name=localized(group.name_zh, group.name_en),
                rows=[
                    FieldRow(
                        self[f.name],
                        f,
                        f.name in self.flagged,
                        f.name in REQUIRED_ON_SUBMIT,
                        self.evidence.get(f.name),
                    )
                    for f in raw_fields
                ],
            )
            for group, raw_fields in self.catalogue.field_groups()
        ]

    def raw_names(self) -> list[str]:
        return [raw_field.name for raw_field in self.catalogue.raw_fields]


class SubmissionForm(CatalogueValuesForm):
    """The annual data-entry form: every raw field plus the explanation of large year-on-year changes."""

    explanation = forms.CharField(
        label=_("情况说明"),
        required=False,
        max_length=LONG_TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("与上年相比变化超过3倍（或降至三分之一以下）的数据，须在此写明原因，否则不能提交。"),
    )

    def raw_values(self) -> dict[str, str]:
        """Every raw field as typed; an empty string clears a value (not reported)."""
        return {name: self.cleaned_data.get(name, "") for name in self.raw_names()}


class CorrectionForm(CatalogueValuesForm):
    """A correction of locked data: the reason and the fields the user changed (DOMAIN §5)."""

    reason = forms.CharField(
        label=_("更正原因"),
        required=False,
        max_length=SHORT_TEXT,
        widget=forms.Textarea(attrs={"rows": 3, "required": True}),
        help_text=_("请说明需要更正的原因，例如统计口径错误、单位填错等；市经济信息委审批时将看到此说明。"),
    )

    field_order = ["reason"]

    def changed_values(self) -> dict[str, str]:
        """Only the fields whose text differs from the current data are sent to the service."""
        return {
            name: self.cleaned_data.get(name, "") for name in self.raw_names() if name in self.changed_data
        }


class YearOpenForm(forms.Form):
    """The city opens a reporting year with its window."""

    year = forms.IntegerField(label=_("数据年度"), min_value=2000, max_value=2100)
    opens_on = forms.DateField(label=_("填报开始日期"), widget=DateInput())
    closes_on = forms.DateField(label=_("填报截止日期"), widget=DateInput())


class ImportTemplateForm(forms.Form):
    """The data year a blank import template is asked for; the same years an upload accepts."""

    year = forms.IntegerField(
        label=_("数据年度"),
        required=False,
        min_value=2016,
        max_value=2100,
        error_messages={
            "invalid": _("年度应为2016年至2100年之间的整数。"),
            "min_value": _("年度应为2016年至2100年之间的整数。"),
            "max_value": _("年度应为2016年至2100年之间的整数。"),
        },
    )


class YearWindowForm(forms.Form):
    """The city moves a reporting window, e.g. extends the close date."""

    year = forms.IntegerField(widget=forms.HiddenInput)
    opens_on = forms.DateField(label=_("填报开始日期"), widget=DateInput())
    closes_on = forms.DateField(label=_("填报截止日期"), widget=DateInput())
    reason = forms.CharField(label=_("调整原因"), required=False, max_length=500)
