"""API tokens: a new one at each sign-in, valid for API_TOKEN_TTL_DAYS, ended by a password change, by the
API (`DELETE /api/v1/auth/token/`) or from the tokens page, and stored only as a digest.

Written here rather than taken from a token library: the rules above are a model, one authentication class
and three functions, and the password rule needs no hook. Each token carries a mark of the password hash
its user had when it was issued; once the password changes — through the form, the admin, a command or
the shell — the marks differ and the token is refused, whatever path changed it. A password hash upgraded
by Django at sign-in (a new hasher or iteration count) also changes the mark, so integrators request a
new token then, as after any password change.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied

from accounts import audit, twofactor
from accounts.errors import NotAllowed
from accounts.models import ApiToken, User
from accounts.passwords import change_required, change_required_message

KEY_BYTES = 20  # 40 hexadecimal characters, as long as the former keys, so integrators' fields still fit
# Every sign-in issues a token; past this many the oldest of the user's tokens are removed, so a script
# that signs in on each run cannot pile up tokens without end.
MAX_TOKENS_PER_USER = 20
# last_used_at is a convenience for the tokens page: at most one write per token in this interval.
LAST_USED_EVERY = dt.timedelta(minutes=5)


def key_digest(key: str) -> str:
    """The stored form of a key. A key is 160 random bits, so a plain SHA-256 cannot be reversed."""
    return hashlib.sha256(key.encode()).hexdigest()


def password_mark(user: User) -> str:
    """A digest of the user's current password hash (the hash itself is never copied)."""
    return hashlib.sha256(user.password.encode()).hexdigest()


def usable(user: User) -> QuerySet[ApiToken]:
    """The user's tokens that still work: not expired and issued for the current password."""
    return ApiToken.objects.filter(
        user=user, expires_at__gt=timezone.now(), password_mark=password_mark(user)
    )


def token_issue(*, user: User, address: str | None = None) -> tuple[ApiToken, str]:
    """A new token for `user`; the key is returned once and never stored."""
    key = secrets.token_hex(KEY_BYTES)
    now = timezone.now()
    with transaction.atomic():
        ApiToken.objects.filter(user=user).filter(
            Q(expires_at__lte=now) | ~Q(password_mark=password_mark(user))
        ).delete()
        surplus = ApiToken.objects.filter(user=user).order_by("-created_at", "-id")[MAX_TOKENS_PER_USER - 1 :]
        ApiToken.objects.filter(pk__in=list(surplus.values_list("pk", flat=True))).delete()
        token = ApiToken.objects.create(
            user=user,
            digest=key_digest(key),
            prefix=key[:8],
            password_mark=password_mark(user),
            expires_at=now + dt.timedelta(days=settings.API_TOKEN_TTL_DAYS),
            created_from=address or None,
        )
        audit.record_security_event(
            action="token.issue", user=user, address=address or "", detail=f"token {token.prefix}…"
        )
    return token, key


def token_revoke(*, actor: User, token: ApiToken, address: str = "") -> None:
    """End a token now; only its owner may (the page and the API find it among the actor's own)."""
    if token.user_id != actor.pk:
        raise NotAllowed
    with transaction.atomic():
        token.delete()
        audit.record_security_event(
            action="token.revoke", user=actor, address=address, detail=f"token {token.prefix}…"
        )


def tokens_revoke_all(*, user: User) -> int:
    """End every token of `user` (after a password change); returns how many there were."""
    deleted, _counts = ApiToken.objects.filter(user=user).delete()
    return deleted


def tokens_clear_expired() -> int:
    """Delete expired tokens (daily, from beat)."""
    deleted, _counts = ApiToken.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted


class ApiTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>` for a token that has not expired, belongs to an active user and was
    issued for the password the user has now."""

    keyword = "Token"

    def authenticate_credentials(self, key: str) -> tuple[User, ApiToken]:
        token = ApiToken.objects.select_related("user").filter(digest=key_digest(key)).first()
        if token is None:
            raise AuthenticationFailed(_("令牌无效，请重新获取。"))
        now = timezone.now()
        if token.expires_at <= now:
            raise AuthenticationFailed(_("令牌已过期，请重新获取。"))
        user = token.user
        if not user.is_active:
            raise AuthenticationFailed(_("该账户已停用，令牌不能再使用。"))
        if not constant_time_compare(token.password_mark, password_mark(user)):
            raise AuthenticationFailed(_("密码已修改，此令牌已失效，请重新获取。"))
        if reason := change_required(user):
            raise PermissionDenied(change_required_message(reason))
        # A token issued before two-factor sign-in became required stops working until it is set up.
        if twofactor.required(user) and not twofactor.enabled(user):
            raise PermissionDenied(twofactor.gate_message("setup"))
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_EVERY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return user, token
