"""Password rules beyond Django's own validators."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.http import base36_to_int
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class UsernameRepeatedValidator:
    """Refuse a password in which the username occurs twice or more (`lockmixlockmix` for `lockmix`).

    Django's similarity check compares the whole password with the username, so the username written
    twice is only two-thirds "similar" and passes; a guesser tries exactly such passwords first.
    """

    message = _("密码不能由用户名重复组成。")
    code = "password_username_repeated"
    # Shorter usernames occur by chance inside unrelated passwords.
    min_username_length = 3

    def validate(self, password: str, user: Any = None) -> None:
        username = str(getattr(user, "username", "") or "").casefold()
        if len(username) < self.min_username_length:
            return
        if password.casefold().count(username) >= 2:
            raise ValidationError(self.message, code=self.code)

    def get_help_text(self) -> str:
        return str(self.message)


class CharacterClassesValidator:
    """At least `min_classes` of the four character classes: upper case, lower case, digits, symbols
    (等保 2.0 asks for passwords of some complexity; length is MinimumLengthValidator's)."""

    code = "password_too_simple"

    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    @staticmethod
    def classes(password: str) -> int:
        upper = any(c.isupper() for c in password)
        lower = any(c.islower() for c in password)
        digit = any(c.isdigit() for c in password)
        # Anything that is none of the three (punctuation, space, a Chinese character) counts as a symbol.
        symbol = any(not (c.isupper() or c.islower() or c.isdigit()) for c in password)
        return sum((upper, lower, digit, symbol))

    def validate(self, password: str, user: Any = None) -> None:
        if self.classes(password) < self.min_classes:
            raise ValidationError(self.get_help_text(), code=self.code)

    def get_help_text(self) -> str:
        return str(
            _("密码须包含大写字母、小写字母、数字、符号四类中的至少 %(count)d 类。")
            % {"count": self.min_classes}
        )


class PasswordHistoryValidator:
    """Refuse any of the user's last `count` passwords (the current one included); remember each new one.

    Django calls `password_changed` after a save that set a new password, so every path that sets one
    (change, reset, admin, `add_user`) adds it to the history; only the newest `count` hashes are kept.
    """

    code = "password_reused"

    def __init__(self, count: int = 5) -> None:
        self.count = count

    def validate(self, password: str, user: Any = None) -> None:
        if user is None or getattr(user, "pk", None) is None:
            return
        from django.contrib.auth.hashers import check_password

        from accounts.models import PasswordHistory

        hashes = list(
            PasswordHistory.objects.filter(user=user).values_list("password", flat=True)[: self.count]
        )
        # Accounts whose password predates the history still may not keep the current one.
        if user.has_usable_password():
            hashes.append(user.password)
        if any(check_password(password, encoded) for encoded in hashes):
            raise ValidationError(self.get_help_text(), code=self.code)

    def password_changed(self, password: str, user: Any = None) -> None:
        if user is None or getattr(user, "pk", None) is None or not user.has_usable_password():
            return
        from accounts.models import PasswordHistory

        PasswordHistory.objects.create(user=user, password=user.password)
        stale = PasswordHistory.objects.filter(user=user).values_list("pk", flat=True)[self.count :]
        PasswordHistory.objects.filter(pk__in=list(stale)).delete()

    def get_help_text(self) -> str:
        return str(_("不能使用最近 %(count)d 次用过的密码。") % {"count": self.count})


def change_required(user: Any) -> str:
    """Why the signed-in user must change the password before anything else: "first" (somebody else set
    it), "expired" (older than PASSWORD_MAX_AGE_DAYS, when that is on) or "" (nothing required)."""
    if not getattr(user, "is_authenticated", False):
        return ""
    if getattr(user, "must_change_password", False):
        return "first"
    max_age = int(getattr(settings, "PASSWORD_MAX_AGE_DAYS", 0) or 0)
    changed_at = getattr(user, "password_changed_at", None)
    if max_age > 0 and changed_at is not None and timezone.now() - changed_at > timedelta(days=max_age):
        return "expired"
    return ""


def change_required_message(reason: str) -> str:
    from django.urls import reverse

    url = reverse("accounts:password_change")
    if reason == "expired":
        return gettext("密码已超过有效期，请先到“修改密码”页面（%(url)s）设置新密码。") % {"url": url}
    return gettext("首次登录须修改密码，请先到“修改密码”页面（%(url)s）设置新密码。") % {"url": url}


class ActivationTokenGenerator(PasswordResetTokenGenerator):
    """The token of an e-mailed activation link (a self-registered account sets its first password).

    Django's reset token with its own salt, so a reset link is no activation link and the other way round,
    and its own lifetime (REGISTRATION_ACTIVATION_HOURS). It hashes the account's password and last sign-in,
    so it dies the moment the password is set: the link works once.
    """

    key_salt = "accounts.passwords.ActivationTokenGenerator"

    def check_token(self, user: Any, token: str | None) -> bool:
        if not (user and token):
            return False
        try:
            timestamp = base36_to_int(token.split("-")[0])
        except ValueError:
            return False
        if self._num_seconds(self._now()) - timestamp > activation_hours() * 3600:
            return False
        return any(
            constant_time_compare(self._make_token_with_timestamp(user, timestamp, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        )


def activation_hours() -> int:
    return max(1, int(getattr(settings, "REGISTRATION_ACTIVATION_HOURS", 72)))


activation_tokens = ActivationTokenGenerator()
