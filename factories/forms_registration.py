"""Forms of enterprise self-registration (issue 14 item 1): the public request and the district's decision.

They only parse input; the checks (credit code, mobile number, the letter's content) are the service's,
`factories.services.registration_submit`, whose field errors land next to the inputs.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.errors import InvalidInput
from accounts.limits import CREDIT_CODE_INPUT_LENGTH, SHORT_TEXT
from factories import services
from factories.forms import ServiceForm
from factories.models import District, Industry, LegalForm


class RegistrationForm(ServiceForm):
    """What an enterprise's contact fills in to ask for an account."""

    credit_code = forms.CharField(
        label=_("统一社会信用代码"),
        help_text=_("18位，见营业执照；依据 GB 32100-2015 校验。"),
        max_length=CREDIT_CODE_INPUT_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    enterprise_name = forms.CharField(label=_("企业名称"), max_length=200, help_text=_("与营业执照一致。"))
    district = forms.ModelChoiceField(
        label=_("管理单位"),
        queryset=District.objects.none(),
        empty_label=_("请选择企业所在区县或园区"),
        help_text=_("由该单位的经信部门审核您的申请；已登记的企业由其登记的管理单位审核。"),
    )
    industry = forms.ModelChoiceField(
        label=_("行业大类"),
        queryset=Industry.objects.all(),
        empty_label=_("请选择行业大类"),
        help_text=_("GB/T 4754-2017 制造业大类（13–43）。"),
    )
    legal_form = forms.ChoiceField(
        label=_("法人类型"), choices=LegalForm.choices, initial=LegalForm.LEGAL_PERSON
    )
    contact_name = forms.CharField(label=_("联系人姓名"), max_length=64)
    mobile = forms.CharField(
        label=_("手机号码"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    email = forms.EmailField(
        label=_("电子邮箱"),
        max_length=services.EMAIL_MAX_LENGTH,
        help_text=_("审核通过后，设置密码的链接发送到该邮箱；该邮箱也是您的登录用户名。"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    letter = forms.FileField(
        label=_("授权委托书"),
        help_text=_("加盖企业公章并由法定代表人签字的授权委托书扫描件或照片：PDF、JPG 或 PNG，不超过 5 MB。"),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        district = self.fields["district"]
        assert isinstance(district, forms.ModelChoiceField)
        district.queryset = District.objects.in_force_on(dt.date.today()).order_by("code")

    def save(self, *, address: str = "") -> Any:
        try:
            return services.registration_submit(address=address, **self.cleaned_data)
        except InvalidInput as error:
            self.add_service_errors(error)
            raise


class RegistrationDecisionForm(ServiceForm):
    """The district's decision on a pending request: approve (a note is optional) or reject (a reason is
    required and e-mailed to the applicant); on an approved one, send the activation link again."""

    reason = forms.CharField(
        label=_("审核意见"),
        max_length=SHORT_TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("驳回时必填，将通过邮件告知申请人。"),
    )

    def __init__(self, *args: Any, user: Any, registration: Any, action: str, site: str = "", **kwargs: Any):
        self.user = user
        self.registration = registration
        self.action = action
        self.site = site
        super().__init__(*args, **kwargs)

    def save(self) -> Any:
        reason = self.cleaned_data["reason"]
        try:
            if self.action == "approve":
                return services.registration_approve(
                    actor=self.user, registration=self.registration, reason=reason, site=self.site
                )
            if self.action == "resend":
                return services.registration_resend_activation(
                    actor=self.user, registration=self.registration, site=self.site
                )
            return services.registration_reject(
                actor=self.user, registration=self.registration, reason=reason
            )
        except InvalidInput as error:
            self.add_service_errors(error)
            raise
