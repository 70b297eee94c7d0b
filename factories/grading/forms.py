"""HTML forms of grading (DOMAIN §6): starting a run, publishing it, standard versions, incidents.

Forms parse input and call one service in `save`; the rules stay in factories.grading.services and
its field errors are shown next to the fields they concern.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.errors import InvalidInput
from accounts.i18n import in_language, localized
from accounts.limits import CREDIT_CODE_INPUT_LENGTH, LONG_TEXT
from accounts.widgets import DateInput
from factories.creditcode import CreditCodeError, validate_credit_code
from factories.forms import ServiceForm
from factories.grading import selectors, services
from factories.grading.standard import DEFAULT_NOTICE_DAYS, MAX_NOTICE_DAYS, standard_from_dict
from factories.models import (
    Enterprise,
    GradingResult,
    GradingRun,
    GradingStandard,
    Incident,
    IncidentKind,
    IncidentSeverity,
    Objection,
    RemedyKind,
    StandardStatus,
)


class RunStartForm(ServiceForm):
    """Start the grading of a reporting year, or a what-if simulation against a draft standard."""

    year = forms.TypedChoiceField(label=_("评价年度"), coerce=int)
    simulation = forms.BooleanField(
        label=_("预评价/模拟"),
        required=False,
        help_text=_(
            "随时可以试算（填报期内也可以），默认使用现行标准，也可选择标准草案；"
            "模拟结果不发布、不提出撤销建议、不向企业显示。"
        ),
    )
    standard = forms.ModelChoiceField(
        label=_("标准草案"),
        queryset=GradingStandard.objects.none(),
        required=False,
        empty_label=_("（不选：现行标准）"),  # short: a select is as wide as its grid column
        help_text=_("仅用于预评价/模拟。不选则使用该年度有效的已采用标准。"),
    )
    confirm_pending = forms.BooleanField(
        label=_("确认在审核未完成时开始评价"),
        required=False,
        help_text=_("填报截止后仍有数据在区县或市级审核中时，须勾选并说明理由才能开始正式评价。"),
    )
    reason = forms.CharField(
        label=_("理由"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("在审核未完成时开始正式评价的理由，记入该次评价和审计记录。"),
    )
    note = forms.CharField(
        label=_("说明"),
        required=False,
        max_length=255,
        help_text=_("选填：如“数据更正后重新评价”，记入审计记录。"),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        from reporting.models import ReportingYear

        self.user = user
        super().__init__(*args, **kwargs)
        this_year = timezone.localdate().year
        years = list(
            ReportingYear.objects.filter(year__lte=this_year).order_by("-year").values_list("year", flat=True)
        )
        field = self.fields["year"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(y, _("{year}年度").format(year=y)) for y in years]
        if years and not self.is_bound and "year" not in self.initial:
            self.initial["year"] = years[0]
        standard = self.fields["standard"]
        assert isinstance(standard, forms.ModelChoiceField)
        standard.queryset = GradingStandard.objects.filter(status=StandardStatus.DRAFT).order_by(
            "code", "-version"
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("standard") and not data.get("simulation"):
            self.add_error(
                "simulation",
                _("标准草案只能用于预评价/模拟，请勾选“预评价/模拟”，或清空标准草案进行正式评价。"),
            )
        return data

    def save(self) -> GradingRun:
        data = self.cleaned_data
        try:
            return services.grading_run_start(
                actor=self.user,
                year=data["year"],
                standard=data.get("standard"),
                simulation=bool(data.get("simulation")),
                note=data.get("note", ""),
                confirm_pending=bool(data.get("confirm_pending")),
                reason=data.get("reason", ""),
            )
        except InvalidInput as error:
            self.add_service_errors(error)
            raise


class PublishForm(ServiceForm):
    """Publish a finished run for public notice (公示) between two dates."""

    notice_from = forms.DateField(label=_("公示开始日期"), widget=DateInput())
    notice_to = forms.DateField(label=_("公示结束日期"), widget=DateInput())

    def __init__(self, *args: Any, user: Any, run: GradingRun, **kwargs: Any) -> None:
        self.user = user
        self.run = run
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        days = standard_from_dict(run.standard.parameters).notice_days
        self.fields["notice_from"].initial = today
        self.fields["notice_from"].help_text = _("今天或以后，不能补记过去的公示期。")
        self.fields["notice_to"].initial = today + dt.timedelta(days=days - 1)
        self.fields["notice_to"].help_text = _("公示期不少于{days}天（含首尾两日）。").format(days=days)

    def save(self) -> GradingRun:
        try:
            return services.grading_run_publish(actor=self.user, run=self.run, **self.cleaned_data)
        except InvalidInput as error:
            self.add_service_errors(error)
            raise


class StandardForm(ServiceForm):
    """Weights, α, band quotas and floors and the minimum peer group of a standard version.

    Without `instance` it creates a new draft version from `base`; with one it edits that draft.
    Incident effects and the indicator list are carried over from the base unchanged.
    """

    name = forms.CharField(label=_("名称"), max_length=200)
    note = forms.CharField(
        label=_("修订说明"),
        required=False,
        max_length=LONG_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("说明修改了什么、为什么修改；记入审计记录并显示在标准页面。"),
    )
    alpha = forms.FloatField(
        label=_("α（水平得分的权重）"),
        min_value=0,
        max_value=1,
        help_text=_("综合得分 C = α·L + (1 − α)·S；无提升得分时 C = L。"),
    )
    min_peer = forms.IntegerField(
        label=_("对标组最少企业数"),
        min_value=1,
        help_text=_("同一行业大类中有数据的企业少于此数时，改与全部绿色工厂比较。"),
    )
    notice_days = forms.IntegerField(
        label=_("公示期最少天数"),
        min_value=1,
        max_value=MAX_NOTICE_DAYS,
        help_text=_("评价结果公示的最短期限（日历日，含首尾两日）。"),
    )

    def __init__(
        self,
        *args: Any,
        user: Any,
        base: GradingStandard,
        instance: GradingStandard | None = None,
        **kwargs: Any,
    ) -> None:
        self.user = user
        self.base = base
        self.instance = instance
        params = (instance or base).parameters
        catalogue = selectors.catalogue_view(params["catalogue_version"])
        initial = {
            "name": (instance or base).name,
            "note": instance.note if instance else "",
            "alpha": params["alpha"],
            "min_peer": params["min_peer"],
            "notice_days": params.get("notice_days", DEFAULT_NOTICE_DAYS),
        }
        kwargs["initial"] = {**initial, **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        self.weight_names: list[str] = []
        for dimension in catalogue.dimensions:
            name = f"weight_{dimension.code}"
            self.fields[name] = forms.FloatField(
                label=localized(dimension.name_zh, dimension.name_en),
                min_value=0,
                initial=params["weights"].get(dimension.code, 0),
            )
            self.weight_names.append(name)
        self.band_names: list[tuple[str, list[str]]] = []
        for band in params["bands"][:-1]:
            grade = band["grade"]
            names = [f"q_below_{grade}", f"c_min_{grade}", f"dimension_min_{grade}"]
            self.fields[names[0]] = forms.FloatField(
                label=_("排名位置 q 低于"),
                required=False,
                min_value=0,
                max_value=1,
                initial=band["q_below"],
                help_text=_("如 0.10 表示对标组前 10%。"),
            )
            self.fields[names[1]] = forms.FloatField(
                label=_("综合得分 C 不低于"),
                required=False,
                min_value=0,
                max_value=100,
                initial=band["c_min"],
            )
            self.fields[names[2]] = forms.FloatField(
                label=_("每个维度得分 D 不低于"),
                required=False,
                min_value=0,
                max_value=100,
                initial=band["dimension_min"],
                help_text=_("留空表示不设此条件。"),
            )
            self.band_names.append((grade, names))
        self.lowest_grade = params["bands"][-1]["grade"]

    @property
    def weight_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.weight_names]

    @property
    def band_rows(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(grade, [self[name] for name in names]) for grade, names in self.band_names]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in self.weight_names:
            if data.get(name) is not None and data[name] <= 0:
                self.add_error(name, _("每个维度的权重都必须大于 0。"))
        for _grade, names in self.band_names:
            q_below = data.get(names[0])
            if q_below is not None and q_below <= 0:
                self.add_error(names[0], _("q 的上限必须大于 0（最大为 1）。"))
        return data

    def parameters(self) -> dict[str, Any]:
        """The base's parameters with the edited numbers put in."""
        data = self.cleaned_data
        params = dict((self.instance or self.base).parameters)
        params["weights"] = {name.removeprefix("weight_"): data[name] for name in self.weight_names}
        params["alpha"] = data["alpha"]
        params["min_peer"] = data["min_peer"]
        params["notice_days"] = data["notice_days"]
        bands = [dict(b) for b in params["bands"]]
        for band, (_grade, names) in zip(bands, self.band_names, strict=False):
            band["q_below"], band["c_min"], band["dimension_min"] = (data.get(n) for n in names)
        params["bands"] = bands
        return params

    def save(self) -> GradingStandard:
        try:
            if self.instance is None:
                return services.grading_standard_new_version(
                    actor=self.user,
                    base=self.base,
                    parameters=self.parameters(),
                    name=self.cleaned_data["name"],
                    note=self.cleaned_data["note"],
                )
            return services.grading_standard_update(
                actor=self.user,
                standard=self.instance,
                parameters=self.parameters(),
                note=self.cleaned_data["note"],
            )
        except InvalidInput as error:
            self.add_service_errors(error)
            raise


class AdoptForm(ServiceForm):
    """Put a draft standard in force from a date; the version in force ends the day before."""

    valid_from = forms.DateField(
        label=_("生效日期"), widget=DateInput(), help_text=_("该日期所在年度及以后的正式评价使用此版本。")
    )

    def __init__(self, *args: Any, user: Any, standard: GradingStandard, **kwargs: Any) -> None:
        self.user = user
        self.standard = standard
        super().__init__(*args, **kwargs)
        self.fields["valid_from"].initial = dt.date(timezone.localdate().year + 1, 1, 1)

    def save(self) -> GradingStandard:
        try:
            return services.grading_standard_adopt(
                actor=self.user, standard=self.standard, valid_from=self.cleaned_data["valid_from"]
            )
        except InvalidInput as error:
            self.add_service_errors(error)
            raise


def check_evidence(upload: UploadedFile) -> None:
    """PDF, JPG or PNG up to 10 MB, whose first bytes match its extension (the rule lives in the service)."""
    problem = services.evidence_problem(upload)
    if problem:
        raise forms.ValidationError(problem, code="evidence")


class IncidentForm(ServiceForm):
    """Record an accident or a falsification of a green factory found by its credit code (Art. 9)."""

    service_field_map = {"enterprise": "credit_code", "occurred_on": "occurred_on"}

    credit_code = forms.CharField(
        label=_("统一社会信用代码"),
        help_text=_("发生事故或弄虚作假的绿色工厂；须已在企业名录中登记并认定为绿色工厂。"),
        max_length=CREDIT_CODE_INPUT_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    kind = forms.ChoiceField(label=_("类型"), choices=[("", _("请选择")), *IncidentKind.choices])
    severity = forms.ChoiceField(
        label=_("等级"),
        choices=[("", _("请选择")), *IncidentSeverity.choices],
        help_text=_("按事故调查认定的等级填写；弄虚作假不论等级均建议撤销。"),
    )
    occurred_on = forms.DateField(
        label=_("发生日期"), widget=DateInput(), help_text=_("事故计入发生日期所在年度的分级评价。")
    )
    description = forms.CharField(
        label=_("情况描述"),
        max_length=LONG_TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("事故经过、调查结论和处理文件文号。"),
    )
    evidence = forms.FileField(
        label=_("证明材料"),
        required=False,
        help_text=_("选填：PDF、JPG 或 PNG，不超过 10 MB。"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}
        ),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        self.user = user
        self.enterprise: Enterprise | None = None
        super().__init__(*args, **kwargs)
        self.fields["occurred_on"].widget.attrs["max"] = timezone.localdate().isoformat()

    def clean_credit_code(self) -> str:
        try:
            code = validate_credit_code(self.cleaned_data["credit_code"])
        except CreditCodeError as error:
            raise forms.ValidationError(in_language(error.message)) from error
        self.enterprise = Enterprise.objects.visible_to(self.user).filter(credit_code=code).first()
        if self.enterprise is None:
            raise forms.ValidationError(
                _("企业名录中没有统一社会信用代码为 {code} 的企业。").format(code=code)
            )
        return code

    def clean_evidence(self) -> UploadedFile | None:
        upload = self.cleaned_data.get("evidence")
        if upload:
            check_evidence(upload)
        return upload or None

    def save(self) -> Incident:
        assert self.enterprise is not None
        data = self.cleaned_data
        try:
            return services.incident_record(
                actor=self.user,
                enterprise=self.enterprise,
                kind=data["kind"],
                severity=data["severity"],
                occurred_on=data["occurred_on"],
                description=data["description"],
                evidence=data.get("evidence"),
            )
        except InvalidInput as error:
            self.add_service_errors(error)
            raise


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented pattern); each is checked by the service."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget",
            MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}),
        )
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class ObjectionForm(ServiceForm):
    """An objection to a published grade during its notice period: by anyone on the public form (the factory
    chosen from the run's list), or by the graded enterprise about its own result (naming indicators)."""

    result = forms.ModelChoiceField(
        label=_("异议对象"), queryset=GradingResult.objects.none(), empty_label=_("请选择工厂")
    )
    name = forms.CharField(label=_("真实姓名"), max_length=50)
    email = forms.EmailField(label=_("电子邮箱"), max_length=254, help_text=_("处理结果将发送到该邮箱。"))
    phone = forms.CharField(label=_("联系电话"), max_length=30, required=False)
    statement = forms.CharField(
        label=_("异议内容"),
        max_length=LONG_TEXT,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("请写明异议的事实、理由和依据。"),
    )
    indicators = forms.MultipleChoiceField(
        label=_("涉及指标"), required=False, widget=forms.CheckboxSelectMultiple
    )
    evidence = MultipleFileField(
        label=_("证明材料"),
        required=False,
        help_text=_("选填：最多 5 个 PDF、JPG 或 PNG 文件，每个不超过 10 MB。"),
    )

    def __init__(
        self, *args: Any, user: Any, run: GradingRun, result: GradingResult | None = None, **kwargs: Any
    ) -> None:
        self.user = user
        self.public = result is None
        super().__init__(*args, **kwargs)
        if self.public:
            choice = self.fields["result"]
            assert isinstance(choice, forms.ModelChoiceField)
            choice.queryset = run.results.select_related("enterprise").order_by("enterprise__name")
            choice.label_from_instance = lambda r: r.enterprise.name  # type: ignore[method-assign, assignment]
            del self.fields["indicators"]
        else:
            self.fixed_result = result
            del self.fields["result"]
            self.fields["email"].required = False
            self.fields["indicators"].choices = [  # type: ignore[attr-defined]
                (i.code, localized(i.name_zh, i.name_en))
                for i in selectors.catalogue_view(run.standard.catalogue_code).indicators
            ]

    def save(self) -> Objection:
        data = self.cleaned_data
        try:
            return services.objection_file(
                actor=None if self.public else self.user,
                result=data["result"] if self.public else self.fixed_result,  # type: ignore[arg-type]
                name=data["name"],
                email=data.get("email", ""),
                phone=data.get("phone", ""),
                statement=data["statement"],
                indicators=list(data.get("indicators") or []),
                evidence=data.get("evidence") or [],
            )
        except InvalidInput as error:
            self.add_service_errors(error)
            raise


def correction_choice_label(correction: Any) -> str:
    """「#12 · 2025-11-30 申请 · 已批准 · 用电量统计口径错误」: what the city recognises a correction by."""
    reason = correction.reason if len(correction.reason) <= 30 else correction.reason[:30] + "…"
    return str(_("#{pk} · {day} 申请 · {status} · {reason}")).format(
        pk=correction.pk,
        day=timezone.localtime(correction.requested_at).date().isoformat(),
        status=correction.get_status_display(),
        reason=reason,
    )


class ObjectionDecisionForm(ServiceForm):
    """The city's decision on an objection: accept (with the remedy) or reject, always with a reason."""

    decision = forms.ChoiceField(
        label=_("处理决定"),
        choices=[("accept", _("采纳")), ("reject", _("不予采纳"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("处理理由"), max_length=LONG_TEXT, widget=forms.Textarea(attrs={"rows": 3})
    )
    remedy_kind = forms.ChoiceField(
        label=_("纠正方式"), required=False, choices=[("", _("（采纳时选择）")), *RemedyKind.choices]
    )
    correction: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("更正申请"),
        required=False,
        queryset=None,  # the objected enterprise's corrections, set in __init__
        empty_label=_("请选择"),
        help_text=_("数据更正：该企业本年度数据的更正申请（待审批或已批准）。"),
    )
    incident = forms.ModelChoiceField(
        label=_("事故与违规记录"), required=False, queryset=Incident.objects.none()
    )
    note = forms.CharField(
        label=_("方法说明"), required=False, max_length=LONG_TEXT, widget=forms.Textarea(attrs={"rows": 3})
    )
    confirm = forms.BooleanField(label=_("我已核实，确认提交处理决定"))

    def __init__(self, *args: Any, user: Any, objection: Objection, **kwargs: Any) -> None:
        self.user = user
        self.objection = objection
        super().__init__(*args, **kwargs)
        incidents = Incident.objects.filter(enterprise_id=objection.enterprise_id)
        self.fields["incident"].queryset = incidents  # type: ignore[attr-defined]
        picker = self.fields["correction"]
        picker.queryset = selectors.objection_remedy_corrections(user, objection)  # type: ignore[attr-defined]
        picker.label_from_instance = correction_choice_label  # type: ignore[attr-defined]

    def save(self) -> Objection:
        data = self.cleaned_data
        try:
            if data["decision"] == "reject":
                return services.objection_reject(
                    actor=self.user, objection=self.objection, reason=data["reason"]
                )
            return services.objection_accept(
                actor=self.user,
                objection=self.objection,
                reason=data["reason"],
                remedy_kind=data.get("remedy_kind") or "",
                correction=data.get("correction"),
                incident=data.get("incident"),
                note=data.get("note") or "",
            )
        except InvalidInput as error:
            self.add_service_errors(error)
            raise


class ObjectionLinkRunForm(ServiceForm):
    run = forms.ModelChoiceField(
        label=_("重新评价"), queryset=GradingRun.objects.none(), empty_label=_("请选择")
    )

    def __init__(self, *args: Any, user: Any, objection: Objection, **kwargs: Any) -> None:
        self.user = user
        self.objection = objection
        super().__init__(*args, **kwargs)
        self.fields["run"].queryset = GradingRun.objects.filter(  # type: ignore[attr-defined]
            year=objection.run.year,
            is_simulation=False,
            created_at__gt=objection.run.created_at,
            status__in=["succeeded", "published", "final"],
        )

    def save(self) -> Objection:
        try:
            return services.objection_link_run(
                actor=self.user, objection=self.objection, run=self.cleaned_data["run"]
            )
        except InvalidInput as error:
            self.add_service_errors(error)
            raise
