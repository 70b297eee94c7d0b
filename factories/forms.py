"""HTML forms for the enterprise and green-factory registers.

Forms only parse input; the rules (credit-code check digit, the unit in the actor's scope, the
three-year ban after a revocation, the four eyes on a revocation) live in factories.services, whose field errors the forms show
next to the fields they concern.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.forms.models import model_to_dict
from django.utils.translation import gettext_lazy as _

from accounts.errors import InvalidInput
from accounts.i18n import in_language
from accounts.limits import CREDIT_CODE_INPUT_LENGTH, SHORT_TEXT
from accounts.models import Role
from accounts.permissions import manageable_roles
from accounts.views_base import show_domain_error_on_form
from accounts.widgets import DateInput
from factories import services
from factories.creditcode import CreditCodeError, validate_credit_code
from factories.models import District, Enterprise, GreenFactory, Industry, LegalForm, RevocationProposal, Tier


class ServiceForm(forms.Form):
    """A form whose `save` calls a service; the service's field errors land on the matching fields."""

    required_css_class = "required"
    service_field_map: dict[str, str] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def add_service_errors(self, error: InvalidInput) -> None:
        show_domain_error_on_form(self, error, self.service_field_map)


class EnterpriseForm(ServiceForm):
    """Register or change an enterprise (DOMAIN §3). District users keep the enterprise in their own unit."""

    name = forms.CharField(label=_("企业名称"), max_length=200)
    credit_code = forms.CharField(
        label=_("统一社会信用代码"),
        help_text=_("18位，依据 GB 32100-2015 校验；可输入小写或全角字符，保存时自动转换。"),
        max_length=CREDIT_CODE_INPUT_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    district = forms.ModelChoiceField(label=_("管理单位"), queryset=District.objects.none())
    industry = forms.ModelChoiceField(
        label=_("行业大类"),
        queryset=Industry.objects.all(),
        empty_label=_("请选择行业大类"),
        help_text=_("GB/T 4754-2017 制造业大类（13–43）。"),
    )
    industry_code = forms.CharField(
        label=_("行业代码（小类）"),
        required=False,
        max_length=4,
        help_text=_("选填：四位小类代码，如 3670；前两位须与所选大类一致。"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    legal_form = forms.ChoiceField(label=_("法人类型"), choices=[("", _("请选择")), *LegalForm.choices])
    address = forms.CharField(label=_("地址"), max_length=255, required=False)
    contact_name = forms.CharField(label=_("联系人"), max_length=64, required=False)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=32, required=False)
    contact_email = forms.EmailField(label=_("联系邮箱"), required=False)
    reason = forms.CharField(
        label=_("变更说明"),
        required=False,
        max_length=255,
        help_text=_("选填：说明修改的原因，记入审计记录。"),
    )

    def __init__(self, *args: Any, user: Any, instance: Enterprise | None = None, **kwargs: Any) -> None:
        self.user = user
        self.instance = instance
        if instance is not None:
            kwargs.setdefault("initial", {}).update(
                {name: getattr(instance, name) for name in services.ENTERPRISE_FIELDS}
            )
            # A bare division code repeats the select; only a four-digit class is worth showing.
            if len(instance.industry_code) != 4:
                kwargs["initial"]["industry_code"] = ""
        super().__init__(*args, **kwargs)
        if instance is None:
            del self.fields["reason"]
        today = dt.date.today()
        field = cast(forms.ModelChoiceField, self.fields["district"])
        if not user.sees_whole_city:  # a unit's user keeps its enterprises in its own unit
            field.queryset = District.objects.filter(pk=user.district_id)
            field.disabled = True
            field.initial = user.district_id
            field.help_text = _("区县用户登记和维护的企业固定为本单位。")
        else:
            units = District.objects.in_force_on(today)
            if instance is not None:
                units = units | District.objects.filter(pk=instance.district_id)
            field.queryset = units.order_by("code")
            field.empty_label = _("请选择管理单位")

    def service_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in services.ENTERPRISE_FIELDS}
        if not self.user.sees_whole_city:
            data["district"] = self.user.district
        return data

    def save(self) -> Enterprise:
        """Create or update through the service; raises InvalidInput after putting its errors on the form."""
        try:
            if self.instance is None:
                return services.enterprise_create(actor=self.user, **self.service_data())
            return services.enterprise_update(
                actor=self.user,
                enterprise=self.instance,
                reason=self.cleaned_data.get("reason", ""),
                **self.service_data(),
            )
        except InvalidInput as error:
            self.add_service_errors(error)
            raise


class ContactForm(ServiceForm):
    """The contact details an enterprise user maintains itself; everything else is the district's."""

    address = forms.CharField(label=_("地址"), max_length=255, required=False)
    contact_name = forms.CharField(label=_("联系人"), max_length=64, required=False)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=32, required=False)
    contact_email = forms.EmailField(label=_("联系邮箱"), required=False)

    def __init__(self, *args: Any, user: Any, instance: Enterprise, **kwargs: Any) -> None:
        self.user = user
        self.instance = instance
        kwargs["initial"] = {
            **{name: getattr(instance, name) for name in services.CONTACT_FIELDS},
            **kwargs.get("initial", {}),
        }
        super().__init__(*args, **kwargs)

    def save(self) -> Enterprise:
        try:
            return services.enterprise_update(
                actor=self.user,
                enterprise=self.instance,
                **{name: self.cleaned_data[name] for name in services.CONTACT_FIELDS},
            )
        except InvalidInput as error:
            self.add_service_errors(error)
            raise


def missing_contact_fields(enterprise: Enterprise) -> list[str]:
    """Labels of the contact details an enterprise has not filled in (reminders and notices need them)."""
    return [
        str(ContactForm.base_fields[name].label)
        for name in ("contact_name", "contact_phone", "contact_email")
        if not getattr(enterprise, name)
    ]


class RecognizeForm(ServiceForm):
    """Record a city or national recognition of an enterprise found by its credit code (Art. 2)."""

    service_field_map = {"enterprise": "credit_code"}

    credit_code = forms.CharField(
        label=_("统一社会信用代码"),
        help_text=_("被认定企业须已在企业名录中登记。"),
        max_length=CREDIT_CODE_INPUT_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    tier = forms.ChoiceField(label=_("级别"), choices=Tier.choices, initial=Tier.CITY)
    recognized_year = forms.IntegerField(label=_("认定年度"))
    recognized_on = forms.DateField(
        label=_("认定日期"),
        required=False,
        widget=DateInput(),
        help_text=_(
            "选填：认定文件的日期；不填以今天为准。称号被撤销的企业，须在禁止期届满之日起方可再次认定。"
        ),
    )
    reason = forms.CharField(
        label=_("认定依据"),
        required=False,
        max_length=255,
        help_text=_("选填：如认定文件文号，记入审计记录。"),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        self.user = user
        self.enterprise: Enterprise | None = None
        super().__init__(*args, **kwargs)
        self.fields["recognized_year"].initial = dt.date.today().year

    def clean_credit_code(self) -> str:
        try:
            code = validate_credit_code(self.cleaned_data["credit_code"])
        except CreditCodeError as error:
            raise forms.ValidationError(in_language(error.message)) from error
        self.enterprise = Enterprise.objects.visible_to(self.user).filter(credit_code=code).first()
        if self.enterprise is None:
            raise forms.ValidationError(
                _("企业名录中没有统一社会信用代码为 {code} 的企业，请先登记该企业。").format(code=code)
            )
        return code

    def save(self) -> GreenFactory:
        assert self.enterprise is not None
        try:
            return services.green_factory_recognize(
                actor=self.user,
                enterprise=self.enterprise,
                tier=self.cleaned_data["tier"],
                recognized_year=self.cleaned_data["recognized_year"],
                recognized_on=self.cleaned_data.get("recognized_on"),
                reason=self.cleaned_data["reason"],
            )
        except InvalidInput as error:
            self.add_service_errors(error)
            raise


class RevokeForm(ServiceForm):
    """Propose revoking a title (Art. 9): a mandatory reason and the revocation date. The title stays until
    another city user confirms the proposal; the reason is then shown on the register."""

    reason = forms.CharField(
        label=_("撤销原因"),
        max_length=SHORT_TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("必填：如发生重大安全事故、弄虚作假等，并注明依据。"),
        error_messages={"required": _("撤销绿色工厂称号必须填写原因。")},
    )
    revoked_on = forms.DateField(
        label=_("撤销日期"),
        required=False,
        widget=DateInput(),
        help_text=_("不填为今天。确认后自该日起撤销，三年内（至满三年之日）不得再次认定。"),
    )

    def __init__(self, *args: Any, user: Any, factory: GreenFactory, **kwargs: Any) -> None:
        self.user = user
        self.factory = factory
        super().__init__(*args, **kwargs)
        self.fields["revoked_on"].initial = dt.date.today()

    def save(self) -> RevocationProposal:
        try:
            return services.revocation_propose(
                actor=self.user,
                factory=self.factory,
                revoked_on=self.cleaned_data.get("revoked_on") or dt.date.today(),
                reason=self.cleaned_data["reason"],
            )
        except InvalidInput as error:
            self.add_service_errors(error)
            raise


# --- accounts (issue 14) ---------------------------------------------------------------------------------


class _AccountPlaceMixin:
    """The role, unit and enterprise inputs of an account: the roles the manager may give, units in force,
    and the enterprises of the manager's scope (a district: its own unit's)."""

    fields: dict[str, Any]

    def _limit_place(self, user: Any) -> None:
        roles = set(manageable_roles(user))
        self.fields["role"].choices = [(value, label) for value, label in Role.choices if value in roles]
        self.fields["district"].queryset = District.objects.in_force_on(dt.date.today()).order_by("code")
        self.fields["enterprise"].queryset = Enterprise.objects.visible_to(user).order_by("name")


STAFF_ID_HELP = _("统一身份认证中的工号，可按它登录本账户；没有可不填。")


class UserCreateForm(_AccountPlaceMixin, ServiceForm):
    """Open an account; it gets a temporary password that the page shows once."""

    username = forms.CharField(label=_("用户名"), max_length=150, help_text=_("登录时使用，创建后不能修改。"))
    first_name = forms.CharField(label=_("姓名"), max_length=150, required=False)
    email = forms.EmailField(label=_("电子邮箱"), required=False)
    staff_id = forms.CharField(label=_("工号"), max_length=64, required=False, help_text=STAFF_ID_HELP)
    role = forms.ChoiceField(label=_("角色"))
    district = forms.ModelChoiceField(
        label=_("管理单位"), queryset=District.objects.none(), required=False, help_text=_("区县用户必填。")
    )
    enterprise = forms.ModelChoiceField(
        label=_("企业"),
        queryset=Enterprise.objects.none(),
        required=False,
        help_text=_("企业填报人必填；一家企业可有多名填报人。"),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)
        self._limit_place(user)

    def save(self) -> tuple[Any, str]:
        data = self.cleaned_data
        try:
            return services.user_invite(
                actor=self.user,
                username=data["username"],
                role=data["role"],
                district_code=data["district"].code if data["district"] else None,
                enterprise_credit_code=data["enterprise"].credit_code if data["enterprise"] else None,
                email=data["email"],
                display_name=data["first_name"],
                staff_id=data["staff_id"],
            )
        except InvalidInput as error:
            self.add_service_errors(error)
            raise


class UserEditForm(_AccountPlaceMixin, ServiceForm):
    """Change an account; a change of role, unit or enterprise needs a reason (it is audited)."""

    first_name = forms.CharField(label=_("姓名"), max_length=150, required=False)
    last_name = forms.CharField(label=_("姓"), max_length=150, required=False)
    email = forms.EmailField(label=_("电子邮箱"), required=False)
    phone = forms.CharField(label=_("联系电话"), max_length=32, required=False)
    staff_id = forms.CharField(label=_("工号"), max_length=64, required=False, help_text=STAFF_ID_HELP)
    role = forms.ChoiceField(label=_("角色"))
    district = forms.ModelChoiceField(label=_("管理单位"), queryset=District.objects.none(), required=False)
    enterprise = forms.ModelChoiceField(label=_("企业"), queryset=Enterprise.objects.none(), required=False)
    reason = forms.CharField(
        label=_("原因"),
        max_length=SHORT_TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("修改角色、管理单位或企业时必填，记入审计记录。"),
    )

    ACCOUNT_FIELDS = [
        "first_name",
        "last_name",
        "email",
        "phone",
        "staff_id",
        "role",
        "district",
        "enterprise",
    ]

    def __init__(self, *args: Any, user: Any, instance: Any, **kwargs: Any) -> None:
        self.user = user
        self.instance = instance
        kwargs["initial"] = {
            **model_to_dict(instance, fields=self.ACCOUNT_FIELDS),
            **(kwargs.get("initial") or {}),
        }
        super().__init__(*args, **kwargs)
        self._limit_place(user)
        current = self.initial.get("role")
        if current not in dict(self.fields["role"].choices):
            self.fields["role"].choices = [(current, Role(str(current)).label)]

    def save(self) -> Any:
        changed = {name: self.cleaned_data[name] for name in self.changed_data if name != "reason"}
        try:
            return services.user_update(
                actor=self.user, user=self.instance, reason=self.cleaned_data["reason"], **changed
            )
        except InvalidInput as error:
            self.add_service_errors(error)
            raise


class UserStepForm(ServiceForm):
    """Deactivate, reactivate or reset the password of an account: the reason is required and audited."""

    reason = forms.CharField(
        label=_("原因"),
        max_length=SHORT_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("请填写原因。")},
    )

    def __init__(self, *args: Any, user: Any, account: Any, step: str, **kwargs: Any) -> None:
        self.user = user
        self.account = account
        self.step = step
        super().__init__(*args, **kwargs)

    def save(self) -> Any:
        service = {
            "deactivate": services.user_deactivate,
            "reactivate": services.user_reactivate,
            "reset-password": services.user_reset_password,
        }[self.step]
        try:
            return service(actor=self.user, user=self.account, reason=self.cleaned_data["reason"])
        except InvalidInput as error:
            self.add_service_errors(error)
            raise
