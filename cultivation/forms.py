"""Forms of the cultivation-pool pages. They only shape input; the services validate it, and their
field errors are put back next to the inputs with `accounts.views_base.show_domain_error_on_form`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.limits import LONG_TEXT, REPORT_TEXT, SHORT_TEXT
from accounts.permissions import can
from accounts.widgets import DateInput
from cultivation.models import SupervisionKind
from factories.models import Enterprise

# What the file chooser offers; the service checks each file by its content (reporting.evidence).
EVIDENCE_ACCEPT = ".pdf,.ofd,.jpg,.jpeg,.png,.xlsx,.docx"
EVIDENCE_HELP = _(
    "选填，可多选：如营业执照、管理体系证书、检测报告等（PDF、OFD、JPG、PNG、XLSX、DOCX，按文件内容识别）。"
)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class EvidenceFilesField(forms.FileField):
    """Several evidence files in one input (Django's documented pattern); the service checks each."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": EVIDENCE_ACCEPT}))
        kwargs.setdefault("required", False)
        # Empty files are the service's to refuse, with its own words.
        kwargs.setdefault("allow_empty_file", True)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class ApplicationForm(forms.Form):
    """An application to join the pool (Art. 10); a district user names the enterprise by credit code."""

    credit_code = forms.CharField(
        label=_("企业统一社会信用代码"),
        max_length=18,
        help_text=_("本区县已登记、尚未入库的企业。"),
    )
    intention = forms.CharField(
        label=_("书面意愿"),
        max_length=LONG_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("说明企业参与绿色工厂梯度培育的意愿。"),
    )
    plan = forms.CharField(
        label=_("绿色工厂创建计划"),
        max_length=LONG_TEXT,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("分年度的创建目标和主要措施，例如能源管理体系、清洁生产、节能改造。"),
    )
    lawful_declaration = forms.BooleanField(
        label=_("本企业依法设立、守法经营，所提交信息真实、准确。"), required=False
    )
    evidence = EvidenceFilesField(label=_("佐证材料"), help_text=EVIDENCE_HELP)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        if can(user, "enterprise.view_own"):
            del self.fields[
                "credit_code"
            ]  # an enterprise applies for itself; a district names the enterprise

    def clean_credit_code(self) -> Enterprise:
        code = self.cleaned_data["credit_code"].strip().upper()
        enterprise = Enterprise.objects.visible_to(self.user).filter(credit_code=code).first()
        if enterprise is None:
            raise forms.ValidationError(_("本区县没有登记该统一社会信用代码的企业。"))
        return enterprise

    def enterprise(self) -> Enterprise | None:
        if "credit_code" in self.fields:
            return self.cleaned_data["credit_code"]
        return Enterprise.objects.visible_to(self.user).filter(pk=self.user.enterprise_id).first()


class SupervisionForm(forms.Form):
    """A dated supervision or guidance step the district records (Art. 11(2), (3))."""

    kind = forms.ChoiceField(label=_("类型"), choices=SupervisionKind.choices)
    date = forms.DateField(label=_("日期"), widget=DateInput())
    note = forms.CharField(
        label=_("说明"), required=False, max_length=LONG_TEXT, widget=forms.Textarea(attrs={"rows": 2})
    )
    evidence = forms.FileField(label=_("证明材料"), required=False, help_text=_("不超过20MB。"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"date": timezone.localdate()})
        super().__init__(*args, **kwargs)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=SHORT_TEXT, widget=forms.Textarea(attrs={"rows": 3}))


class StandardForm(forms.Form):
    """A new version of the district's B/C/D standard (Art. 5)."""

    b_dimension_min = forms.FloatField(label=_("B级：各维度得分下限 D_k"), min_value=0, max_value=100)
    b_level_min = forms.FloatField(label=_("B级：绿色化水平得分下限 L"), min_value=0, max_value=100)
    c_level_min = forms.FloatField(label=_("C级：绿色化水平得分下限 L"), min_value=0, max_value=100)
    note = forms.CharField(
        label=_("修订说明"),
        max_length=LONG_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("说明调整标准的原因，例如本区县产业结构、培育目标。"),
    )

    def parameters(self) -> dict[str, float]:
        return {name: self.cleaned_data[name] for name in ("b_dimension_min", "b_level_min", "c_level_min")}


class ReviewOpenForm(forms.Form):
    scope_note = forms.CharField(
        label=_("复核范围"),
        max_length=LONG_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("写明复核哪些信息，例如2025年度能耗数据、监管记录的证明材料。"),
    )


class ReviewCloseForm(forms.Form):
    findings = forms.CharField(
        label=_("复核结论"), max_length=LONG_TEXT, widget=forms.Textarea(attrs={"rows": 4})
    )
    falsification = forms.BooleanField(label=_("发现弄虚作假"), required=False)


class NarrativeForm(forms.Form):
    narrative = forms.CharField(
        label=_("本年度培育工作情况"),
        required=False,
        max_length=REPORT_TEXT,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("概述入库、监管与服务、B级认定、复核等工作，以及下一年度的安排。"),
    )
