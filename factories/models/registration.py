"""Enterprise self-registration (issue 14 item 1): a request for an account, reviewed by the district.

An enterprise's contact fills in the public page `/accounts/register/` with the enterprise's unified social
credit code and uploads a signed authorisation letter (授权委托书). A request for an enterprise already in
the register claims it (`enterprise` is set); otherwise it proposes a new register entry under the chosen
management unit. The district of that unit approves or rejects it (`REGISTRATION_TRANSITIONS`); approval
opens the account and e-mails a one-time link to set the password.

A second request for a credit code that already has one pending is kept, in state `merged` and pointing at
the pending one (`merged_into`), so the district sees who else applied; it is never decided on its own.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.files import RandomName, extension
from accounts.limits import SHORT_TEXT, BoundedTextField
from accounts.scoping import ScopedQuerySet
from accounts.transitions import Transition, TransitionTable
from factories.models.register import LegalForm


class RegistrationStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("已通过")
    REJECTED = "rejected", _("已驳回")
    MERGED = "merged", _("已合并")


class RegistrationQuerySet(ScopedQuerySet):
    """The city and auditors see every request; a district the requests addressed to its unit; enterprises none."""

    district_lookup = "district"

    def pending(self) -> RegistrationQuerySet:
        return self.filter(status=RegistrationStatus.PENDING)


class RegistrationRequest(models.Model):
    """One self-registration: who asked for which enterprise, with which letter, and what the district decided."""

    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, db_index=True)
    enterprise_name = models.CharField(_("企业名称"), max_length=200)
    district = models.ForeignKey(
        "factories.District", verbose_name=_("管理单位"), on_delete=models.PROTECT, related_name="+"
    )
    industry = models.ForeignKey(
        "factories.Industry", verbose_name=_("行业（大类）"), on_delete=models.PROTECT, related_name="+"
    )
    legal_form = models.CharField(
        _("法人类型"), max_length=20, choices=LegalForm.choices, default=LegalForm.LEGAL_PERSON
    )
    # The register entry the request claims; empty when it proposes a new one (filled in on approval).
    enterprise = models.ForeignKey(
        "factories.Enterprise",
        verbose_name=_("企业"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="registration_requests",
    )
    contact_name = models.CharField(_("联系人"), max_length=64)
    mobile = models.CharField(_("手机号码"), max_length=11)
    email = models.EmailField(_("电子邮箱"), max_length=254)
    letter = models.FileField(_("授权委托书"), upload_to=RandomName("registrations"), max_length=100)
    letter_name = models.CharField(_("授权委托书文件名"), max_length=255)
    status = models.CharField(
        _("状态"), max_length=10, choices=RegistrationStatus.choices, default=RegistrationStatus.PENDING
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("合并至"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
    )
    submitted_at = models.DateTimeField(_("提交时间"), default=timezone.now, db_index=True)
    submitted_from = models.GenericIPAddressField(_("提交地址"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decision_reason = BoundedTextField(_("审核意见"), blank=True, max_length=SHORT_TEXT)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("开通的账户"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = RegistrationQuerySet.as_manager()

    class Meta:
        verbose_name = _("企业注册申请")
        verbose_name_plural = _("企业注册申请")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            # Race-free merging: two requests for one code submitted at once cannot both stay pending.
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=Q(status="pending"),
                name="one_pending_registration_per_credit_code",
            ),
            models.CheckConstraint(
                condition=~Q(status="merged") | Q(merged_into__isnull=False),
                name="merged_registration_names_its_request",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_name}（{self.credit_code}）"

    @property
    def proposes_new_enterprise(self) -> bool:
        return self.enterprise_id is None and self.status == RegistrationStatus.PENDING

    @property
    def letter_download_name(self) -> str:
        """The name the letter is offered under (the stored file has a random one)."""
        return _("{enterprise}-授权委托书-{date}").format(
            enterprise=self.enterprise_name, date=timezone.localtime(self.submitted_at).date().isoformat()
        ) + extension(self.letter.name)


REGISTRATION_TRANSITIONS = TransitionTable(
    RegistrationRequest,
    [
        Transition(
            "approve",
            (RegistrationStatus.PENDING,),
            RegistrationStatus.APPROVED,
            "registration.review",
            label=_("通过"),
        ),
        Transition(
            "reject",
            (RegistrationStatus.PENDING,),
            RegistrationStatus.REJECTED,
            "registration.review",
            label=_("驳回"),
        ),
        # Keeps the state: an approved request's activation link is sent again (the first one expired).
        Transition(
            "resend",
            (RegistrationStatus.APPROVED,),
            None,
            "registration.review",
            label=_("重新发送设置密码邮件"),
        ),
    ],
    conflict=_("该注册申请已处理（当前状态：{status}）。"),
)
"""A pending request is decided once by its district: approved (the account opens) or rejected with a reason.
While the approved account has no password yet, the district may send its activation link again."""
