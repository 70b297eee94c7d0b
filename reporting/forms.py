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
from factories.catalogues.bridge import FieldDef, ReportingCatalogue
from factories.models import CatalogueStatus, CatalogueVersion
from reporting import declarations
from reporting.declarations import CHANGE_KINDS, ChangeKind, PermitStatus
from reporting.services import REQUIRED_ON_SUBMIT


@dataclass(frozen=True)
class FieldRow:
    """One raw field as the data-entry template draws it: input, unit, help and markers."""

    field: BoundField
    raw: FieldDef
    flagged: bool
    required_on_submit: bool
    evidence: Any = None  # reporting.evidence.Cell, when the page shows evidence

    @property
    def unit(self) -> str:
        """The unit beside the input; none beside check boxes (a choice set counts its items)."""
        return "" if self.raw.is_choice_set else localized(self.raw.unit, self.raw.unit_en)


@dataclass(frozen=True)
class FieldGroup:
    code: str
    name: str
    rows: list[FieldRow]


NONE_CHOSEN = "__none__"
"""The choice-set box 以上均不具备: none of the items applies ([]), told apart from not reported (no box)."""
YES_NO_CHOICES = [("", _("未填报")), ("1", _("是")), ("0", _("否"))]


def choice_set_value(items: Iterable[str]) -> list[str] | None:
    """The ticked boxes of a choice set as the service takes them: no box = not reported (None),
    以上均不具备 alone = none chosen ([]), else the ticked items (with 以上均不具备 dropped)."""
    ticked = [item for item in items if item]
    if not ticked:
        return None
    return [item for item in ticked if item != NONE_CHOSEN]


def choice_set_initial(stored: Any) -> list[str]:
    """The boxes to tick for a stored choice set: [] → 以上均不具备, None → none."""
    if stored is None:
        return []
    return list(stored) if stored else [NONE_CHOSEN]


class ChoiceSetField(forms.MultipleChoiceField):
    def validate(self, value: Any) -> None:
        super().validate(value)
        if NONE_CHOSEN in value and len(value) > 1:
            raise forms.ValidationError(_("“以上均不具备”不能与其他选项同时勾选。"), code="none_and_items")


class CatalogueValuesForm(forms.Form):
    """One input per raw field of a catalogue version, grouped as the catalogue groups them: a text input
    for a decimal or a count, a 是/否 select for a yes-no field and check boxes for a choice set (with
    以上均不具备, so that "none" and "not reported" stay apart)."""

    def __init__(
        self,
        *args: Any,
        catalogue: ReportingCatalogue,
        flagged: Iterable[str] = (),
        evidence: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.catalogue = catalogue
        self.flagged = set(flagged)
        self.evidence = evidence or {}
        for raw_field in catalogue.raw_fields:
            self.fields[raw_field.name] = self._input(raw_field)
            if raw_field.is_choice_set and raw_field.name in self.initial:
                self.initial = {
                    **self.initial,
                    raw_field.name: choice_set_initial(self.initial[raw_field.name]),
                }

    @staticmethod
    def _input(raw_field: FieldDef) -> forms.Field:
        common: dict[str, Any] = {
            "label": localized(raw_field.label_zh, raw_field.label_en),
            "help_text": localized(raw_field.help_zh, raw_field.help_en),
            "required": False,
        }
        if raw_field.is_choice_set:
            return ChoiceSetField(
                choices=[(item, item) for item in raw_field.choices] + [(NONE_CHOSEN, _("以上均不具备"))],
                widget=forms.CheckboxSelectMultiple(attrs={"class": "choice-set"}),
                error_messages={"invalid_choice": _("“%(value)s”不是可选的项目，请在列出的项目中勾选。")},
                **common,
            )
        if raw_field.is_yes_no:
            return forms.ChoiceField(
                choices=YES_NO_CHOICES,
                error_messages={"invalid_choice": _("请选择“是”或“否”。")},
                **common,
            )
        mode = "numeric" if raw_field.is_count else "decimal"
        return forms.CharField(
            max_length=MAX_INPUT_LENGTH,
            widget=forms.TextInput(attrs={"inputmode": mode, "autocomplete": "off", "class": "num"}),
            **common,
        )

    def value_of(self, name: str) -> Any:
        """A raw field as typed for the service: text, or the chosen items of a choice set."""
        value = self.cleaned_data.get(name, "")
        if self.catalogue.raw_field(name).is_choice_set:
            return choice_set_value(value or [])
        return value

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


DATE_ERRORS = {"invalid": _("请按“年-月-日”填写日期，例如 2025-03-01。")}
CHANGED_CHOICES = [("", _("尚未填写")), ("no", _("无变更")), ("yes", _("有变更"))]
ANSWER_CHOICES = [("", _("尚未填写")), ("yes", _("是")), ("no", _("否"))]


class DeclarationFields(forms.Form):
    """重大事项变更 and the compliance self-declaration as inputs; the service checks them again with the
    same schema (reporting.declarations), so the page and the API refuse the same things.

    `declaration_evidence` (set by the page: reporting.evidence.declaration_cells) puts each change's and
    the permit's evidence beside its inputs."""

    declaration_evidence: Mapping[str, Any] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind in CHANGE_KINDS:
            label = ChangeKind(kind).label
            self.fields[f"change_{kind}"] = forms.ChoiceField(
                label=label, choices=CHANGED_CHOICES, required=False, widget=forms.RadioSelect
            )
            self.fields[f"change_{kind}_on"] = forms.DateField(
                label=_("变更日期"), required=False, widget=DateInput(), error_messages=DATE_ERRORS
            )
            self.fields[f"change_{kind}_description"] = forms.CharField(
                label=_("变更内容"),
                required=False,
                max_length=declarations.DESCRIPTION_LIMIT,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
        self.fields["no_major_accident"] = forms.ChoiceField(
            label=declarations.STATEMENTS["no_major_accident"],
            choices=ANSWER_CHOICES,
            required=False,
            widget=forms.RadioSelect,
        )
        self.fields["accident_note"] = forms.CharField(
            label=_("事故情况说明"),
            required=False,
            max_length=declarations.DESCRIPTION_LIMIT,
            widget=forms.Textarea(attrs={"rows": 2}),
            help_text=_("回答“否”时必填：事故时间、类型和处理情况。"),
        )
        self.fields["permit"] = forms.ChoiceField(
            label=_("排污许可情况"),
            choices=[("", _("尚未填写")), *PermitStatus.choices],
            required=False,
            widget=forms.RadioSelect,
        )
        self.fields["permit_number"] = forms.CharField(
            label=_("排污许可证编号"), required=False, max_length=declarations.PERMIT_NUMBER_LIMIT
        )
        self.fields["permit_valid_to"] = forms.DateField(
            label=_("有效期至"), required=False, widget=DateInput(), error_messages=DATE_ERRORS
        )
        self.fields["no_serious_credit_record"] = forms.ChoiceField(
            label=declarations.STATEMENTS["no_serious_credit_record"],
            choices=ANSWER_CHOICES,
            required=False,
            widget=forms.RadioSelect,
        )
        self.fields["credit_note"] = forms.CharField(
            label=_("失信记录说明"),
            required=False,
            max_length=declarations.DESCRIPTION_LIMIT,
            widget=forms.Textarea(attrs={"rows": 2}),
            help_text=_("回答“否”时必填：记录名称、认定机关和日期。"),
        )

    @staticmethod
    def declaration_initial(major_changes: dict[str, Any], compliance: dict[str, Any]) -> dict[str, Any]:
        """The stored declarations as the inputs' initial values."""
        initial: dict[str, Any] = {}
        for kind, entry in (major_changes or {}).items():
            initial[f"change_{kind}"] = "yes" if entry.get("changed") else "no"
            initial[f"change_{kind}_on"] = entry.get("changed_on")
            initial[f"change_{kind}_description"] = entry.get("description", "")
        for key in ("no_major_accident", "no_serious_credit_record"):
            answer = (compliance or {}).get(key)
            initial[key] = "" if answer is None else ("yes" if answer else "no")
        for key in ("accident_note", "credit_note", "permit", "permit_number", "permit_valid_to"):
            initial[key] = (compliance or {}).get(key) or ""
        return initial

    def major_changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            kind: {
                "changed": data[f"change_{kind}"] == "yes",
                "changed_on": data.get(f"change_{kind}_on"),
                "description": data.get(f"change_{kind}_description", ""),
            }
            for kind in CHANGE_KINDS
            if data.get(f"change_{kind}")
        }

    def compliance(self) -> dict[str, Any]:
        data = self.cleaned_data

        def answer(key: str) -> bool | None:
            return None if not data.get(key) else data[key] == "yes"

        return {
            "no_major_accident": answer("no_major_accident"),
            "accident_note": data.get("accident_note", ""),
            "permit": data.get("permit") or None,
            "permit_number": data.get("permit_number", ""),
            "permit_valid_to": data.get("permit_valid_to"),
            "no_serious_credit_record": answer("no_serious_credit_record"),
            "credit_note": data.get("credit_note", ""),
        }

    @staticmethod
    def declaration_field(path: str) -> str:
        """The input a service error about `major_changes.<kind>.<key>` / `compliance.<key>` belongs to."""
        parts = path.split(".")
        if parts[0] == "major_changes" and len(parts) == 3:
            kind, key = parts[1], parts[2]
            return {"changed": f"change_{kind}", "changed_on": f"change_{kind}_on"}.get(
                key, f"change_{kind}_description"
            )
        return parts[-1]

    def statement_pairs(self) -> list[tuple[BoundField, list[BoundField], Any, Any]]:
        """Each statement with the inputs that go with its answer, and (the permit only) its evidence and
        what such a file usually is."""
        permit = declarations.PERMIT_EVIDENCE
        return [
            (self["no_major_accident"], [self["accident_note"]], None, None),
            (
                self["permit"],
                [self["permit_number"], self["permit_valid_to"]],
                self.declaration_evidence.get(permit),
                declarations.EVIDENCE_EXAMPLES[permit],
            ),
            (self["no_serious_credit_record"], [self["credit_note"]], None, None),
        ]

    def change_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "choice": self[f"change_{kind}"],
                "on": self[f"change_{kind}_on"],
                "description": self[f"change_{kind}_description"],
                "evidence": self.declaration_evidence.get(f"major_change.{kind}"),
                "examples": declarations.EVIDENCE_EXAMPLES[f"major_change.{kind}"],
            }
            for kind in CHANGE_KINDS
        ]


class SubmissionForm(DeclarationFields, CatalogueValuesForm):
    """The annual data-entry form: every raw field, the explanation of large year-on-year changes and the
    declarations the national dynamic-management table asks for."""

    explanation = forms.CharField(
        label=_("情况说明"),
        required=False,
        max_length=LONG_TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("与上年相比变化超过3倍（或降至三分之一以下）的数据，须在此写明原因，否则不能提交。"),
    )

    def raw_values(self) -> dict[str, Any]:
        """Every raw field as typed; an empty string (no box ticked) clears a value (not reported)."""
        return {name: self.value_of(name) for name in self.raw_names()}


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

    def changed_values(self) -> dict[str, Any]:
        """Only the fields whose text differs from the current data are sent to the service."""
        return {name: self.value_of(name) for name in self.raw_names() if name in self.changed_data}


class YearOpenForm(forms.Form):
    """The city opens a reporting year with its window."""

    year = forms.IntegerField(label=_("数据年度"), min_value=2000, max_value=2100)
    opens_on = forms.DateField(label=_("填报开始日期"), widget=DateInput())
    closes_on = forms.DateField(label=_("填报截止日期"), widget=DateInput())
    catalogue = forms.ChoiceField(
        label=_("指标目录"),
        required=False,
        help_text=_(
            "不选时，2026年及以后的年度使用 GBT36132-2025（须已采用），其余年度使用 GBT36132-2018。开放后不能更换。"
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        adopted = CatalogueVersion.objects.filter(status=CatalogueStatus.ADOPTED, industry_divisions=[])
        field = self.fields["catalogue"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("按年度默认")), *((c.code, f"{c.code} {c.name}") for c in adopted)]


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


class AnomalySettingsForm(forms.Form):
    """The city's thresholds of the anomaly flags; the service checks the ranges."""

    z_threshold = forms.CharField(
        label=_("稳健z值阈值"),
        max_length=20,
        help_text=_("某项指标与同行业中位数的稳健z值绝对值超过此值即提示，可设 2 到 10，默认 3.5。"),
    )
    full_renewable_kwh = forms.CharField(
        label=_("全部绿电提示的用电量下限（kWh）"),
        max_length=20,
        help_text=_("用电量达到此值且可再生能源电力等于全部用电量时提示核实，可设 10000 到 1000000000。"),
    )
    reason = forms.CharField(
        label=_("调整理由"), required=False, max_length=SHORT_TEXT, widget=forms.Textarea(attrs={"rows": 2})
    )
