"""Users with one role each, and the audit trail of every write."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.scoping import ScopedQuerySet


class Role(models.TextChoices):
    """The four roles of DOMAIN.md §1; one per account."""

    CITY = "city", _("市经济信息委")
    DISTRICT = "district", _("区县经信部门")
    ENTERPRISE = "enterprise", _("企业填报人")
    AUDITOR = "auditor", _("审计/查看")


class UserQuerySet(ScopedQuerySet):
    district_lookup = "district"
    enterprise_lookup = "enterprise"

    def visible_to(self, user: Any) -> UserQuerySet:
        """As every scoped table, and a district user also sees the accounts of its unit's enterprises
        (it manages them: factories.services.user_*)."""
        if getattr(user, "is_authenticated", False) and user.is_active and user.role == "district":
            if not user.district_id:
                return self.none()
            return self.filter(Q(district=user.district_id) | Q(enterprise__district=user.district_id))
        return super().visible_to(user)


class ScopedUserManager(UserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    pass


class User(AbstractUser):
    """A platform account: city staff, a district bureau clerk, an enterprise reporter or an auditor."""

    role = models.CharField(_("角色"), max_length=16, choices=Role.choices, default=Role.AUDITOR)
    district = models.ForeignKey(
        "factories.District",
        verbose_name=_("管理单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    enterprise = models.ForeignKey(
        "factories.Enterprise",
        verbose_name=_("企业"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    # An official's staff ID (工号) as the city's identity provider knows it; single sign-on can find the
    # account by it (accounts/oidc.py). Null when unknown, so any number of accounts may lack one.
    staff_id = models.CharField(_("工号"), max_length=64, null=True, blank=True, unique=True)
    # Set when somebody else chose the password (an operator, city staff creating the account): the owner
    # must replace it before using the platform (accounts/passwords.py). Cleared by set_password.
    must_change_password = models.BooleanField(_("下次登录须修改密码"), default=False)
    # When the password was last set; the optional maximum age (PASSWORD_MAX_AGE_DAYS) counts from here.
    # Null for accounts whose password was set before this field existed: those never count as expired.
    password_changed_at = models.DateTimeField(_("密码修改时间"), null=True, blank=True)
    # Whether the account has a confirmed authenticator (accounts/twofactor.py keeps it with the devices).
    # Kept on the row every request loads anyway, so deciding whether a session owes its second sign-in
    # step costs no query of its own.
    two_factor_enabled = models.BooleanField(_("已启用两步验证"), default=False, editable=False)

    objects: ClassVar[ScopedUserManager] = ScopedUserManager()

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.CheckConstraint(
                condition=~Q(role="district") | Q(district__isnull=False),
                name="district_user_has_district",
            ),
            models.CheckConstraint(
                condition=~Q(role="enterprise") | Q(enterprise__isnull=False),
                name="enterprise_user_has_enterprise",
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def set_password(self, raw_password: str | None) -> None:
        """A new password is the owner's own unless the caller marks it otherwise afterwards."""
        from django.utils import timezone

        super().set_password(raw_password)
        self.must_change_password = False
        self.password_changed_at = timezone.now()

    @property
    def sees_whole_city(self) -> bool:
        return self.role in (Role.CITY, Role.AUDITOR)

    @property
    def is_district(self) -> bool:
        return self.role == Role.DISTRICT

    @property
    def is_enterprise(self) -> bool:
        return self.role == Role.ENTERPRISE


class AuditEntryQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> AuditEntryQuerySet:
        """The full trail is for city staff and auditors only."""
        if getattr(user, "is_authenticated", False) and user.sees_whole_city:
            return self
        return self.none()

    def for_object(self, obj: models.Model) -> AuditEntryQuerySet:
        return self.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))


class AuditEntry(models.Model):
    """One write: who, when, what changed and why (written by services, never edited)."""

    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        User, verbose_name=_("操作人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(_("操作人"), max_length=150, blank=True)
    action = models.CharField(_("操作"), max_length=64, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=100, db_index=True)
    object_id = models.CharField(_("对象编号"), max_length=64)
    object_repr = models.CharField(_("对象"), max_length=255)
    changes = models.JSONField(_("变更内容"), default=dict, blank=True)
    reason = models.TextField(_("原因"), blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_repr}"


class ApiTokenQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> ApiTokenQuerySet:
        """Each user sees only their own tokens."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(user=user)


class ApiToken(models.Model):
    """A key to the API for one user, kept only as its SHA-256 digest; it works until it expires, is
    revoked, or the user's password changes (accounts/tokens.py)."""

    user = models.ForeignKey(
        User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(_("令牌开头"), max_length=8)
    # SHA-256 of the password hash the user had when the token was issued: another password, another mark.
    password_mark = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("签发时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("到期时间"), db_index=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    created_from = models.GenericIPAddressField(_("签发地址"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.prefix}…"


class NotificationQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> NotificationQuerySet:
        """Each user sees only their own notifications."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(user=user)

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """An in-app message to one user, also sent by e-mail: a step of a workflow, a reminder, a publication.

    Any app notifies through `accounts.notifications.notify`; the table keeps its first name.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("类型"), max_length=32)
    key = models.CharField(max_length=100, help_text="de-duplication key, e.g. reminder:2025:7")
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        db_table = "reporting_notification"
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="one_notification_per_key")]

    def __str__(self) -> str:
        return self.title


class PasswordHistory(models.Model):
    """The hashes of a user's recent passwords (the current one included), so none is reused
    (accounts/passwords.py keeps the newest PASSWORD_HISTORY_COUNT)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("历史密码")
        verbose_name_plural = _("历史密码")

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.created_at:%Y-%m-%d}"
