"""Single sign-on with OpenID Connect (mozilla-django-oidc), off unless configured (config/settings.py).

The identity provider vouches for a person; the platform never creates an account from that. It looks for
the one existing, active account that the configured claims name (`OIDC_ACCOUNT_CLAIMS`, pairs of a claim
and a target): an enterprise filler by the unified social credit code of the account's enterprise, an
official by the staff ID (工号) stored on the account, or simply by username. No claim, no account, two
accounts, a deactivated account or a locked-out username: the sign-in is refused with a Chinese message on
the login page and the refusal goes to the audit trail (accounts/signals.py), as a failed password sign-in
does; a successful one is audited as `auth.login` with `single sign-on` in its detail.

An account signed in this way is not asked to change a local password it never used
(`signed_in_by_sso`, read by accounts.middleware.PasswordChangeRequiredMiddleware).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import jwt
import requests
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import BACKEND_SESSION_KEY, logout
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from accounts.lockout import cooloff_minutes
from accounts.models import User

logger = logging.getLogger(__name__)

BACKEND = "accounts.oidc.AccountClaimBackend"
# The name a refused single sign-on is audited under when no account was found.
SSO_USERNAME = "(single sign-on)"

# What a claim may be matched against: a name in the environment → a lookup on the account. Kept to this
# list so the environment cannot point the matching at any other field. The credit code is the account's
# enterprise's (a lookup across the foreign key; the core floor imports no registry code for it).
TARGETS = {
    "credit_code": "enterprise__credit_code",
    "staff_id": "staff_id",
    "username": "username",
}
# Longer claim values are no identifier of this platform (credit codes have 18 characters, staff IDs ≤ 64).
MAX_CLAIM_LENGTH = 150


def enabled() -> bool:
    return bool(getattr(settings, "OIDC_ENABLED", False))


def account_claims() -> list[tuple[str, str]]:
    """The configured (claim, target) pairs, in the order they are tried."""
    pairs = list(getattr(settings, "OIDC_ACCOUNT_CLAIMS", []))
    for claim, target in pairs:
        if target not in TARGETS:
            raise ImproperlyConfigured(
                f"OIDC_ACCOUNT_CLAIMS: {claim}={target} — the target must be one of {', '.join(TARGETS)}."
            )
    return pairs


def signed_in_by_sso(request: HttpRequest) -> bool:
    session = getattr(request, "session", None)
    return session is not None and session.get(BACKEND_SESSION_KEY) == BACKEND


# --- refusals ---------------------------------------------------------------------------------------------


@dataclass
class Refusal:
    """Why a single sign-on was refused: a code for the audit trail, the account when one was found."""

    code: str
    detail: str = ""
    user: User | None = None

    def message(self) -> str:
        if self.code == "no_claim":
            return _("统一身份认证没有提供可用于确定平台账户的信息，无法登录。请联系管理员。")
        if self.code == "no_account":
            return _("统一身份认证登录失败：平台上没有与您的身份对应的账户。请联系管理员开通或核对账户信息。")
        if self.code == "ambiguous":
            return _(
                "统一身份认证登录失败：您的身份对应平台上的多个账户，无法确定登录哪一个。请联系管理员处理。"
            )
        if self.code == "inactive":
            return _("统一身份认证登录失败：对应的账户已停用。请联系管理员。")
        if self.code == "locked":
            return _("登录失败次数过多，账户已被暂时锁定，请在 %(minutes)d 分钟后重试或联系管理员。") % {
                "minutes": cooloff_minutes()
            }
        return _("统一身份认证未能完成，请重试，或使用用户名和密码登录。")

    def audit_detail(self) -> str:
        return " · ".join(part for part in ("single sign-on refused", self.code, self.detail) if part)


def refusal_of(request: HttpRequest | None) -> Refusal | None:
    return getattr(request, "oidc_refusal", None)


def _refuse(request: HttpRequest, code: str, detail: str = "", user: User | None = None) -> None:
    request.oidc_refusal = Refusal(code=code, detail=detail, user=user)  # type: ignore[attr-defined]


# --- the backend ------------------------------------------------------------------------------------------


class AccountClaimBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's code flow, mapping the identity to one existing active account; never creates
    one (OIDC_CREATE_USER is off as well, for any code path of the library that would)."""

    def authenticate(self, request: Any, **kwargs: Any) -> User | None:
        if request is None or not enabled():
            return None
        # Only the callback of the code flow carries these; a password sign-in is none of this backend's.
        if "nonce" not in kwargs and "code_verifier" not in kwargs:
            return None
        try:
            user = super().authenticate(request, **kwargs)
        except (requests.RequestException, SuspiciousOperation, jwt.PyJWTError, ValueError, KeyError) as exc:
            logger.warning("single sign-on failed at the provider exchange: %s", exc)
            _refuse(request, "provider", type(exc).__name__)
            return None
        if user is None and refusal_of(request) is None:
            _refuse(request, "provider", "no identity")
        return user

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> User | None:
        userinfo = self.get_userinfo(access_token, id_token, payload)
        # The ID token's claims count too (a provider may put the identifier there only); the userinfo
        # answer, fetched with the access token, wins where both have one.
        claims = {**payload, **(userinfo if isinstance(userinfo, dict) else {})}
        return self.account_for(claims)

    def account_for(self, claims: dict[str, Any]) -> User | None:
        request = self.request
        for claim, target in account_claims():
            value = claims.get(claim)
            if not isinstance(value, str | int) or isinstance(value, bool):
                continue
            value = str(value).strip()
            if not value or len(value) > MAX_CLAIM_LENGTH:
                continue
            if target == "credit_code":
                value = value.upper()
            described = f"{claim}={value}"
            matches = list(User.objects.filter(**{TARGETS[target]: value})[:2])
            if not matches:
                _refuse(request, "no_account", described)
                return None
            if len(matches) > 1:
                _refuse(request, "ambiguous", described)
                return None
            user = matches[0]
            if not user.is_active:
                _refuse(request, "inactive", described, user)
                return None
            if AxesProxyHandler.is_locked(request, {"username": user.username}):
                _refuse(request, "locked", described, user)
                return None
            return user
        _refuse(request, "no_claim", "expected: " + ", ".join(claim for claim, _target in account_claims()))
        return None

    def filter_users_by_claims(self, claims: dict[str, Any]) -> Any:
        user = self.account_for(claims)
        return User.objects.filter(pk=user.pk) if user else User.objects.none()

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        return True

    def create_user(self, claims: dict[str, Any]) -> User:
        raise SuspiciousOperation("single sign-on never creates accounts")

    def get_user(self, user_id: Any) -> User | None:
        """The session's account, while it stays active (the library's own version skips that check, so
        a deactivated account would keep its open sessions)."""
        if not enabled():
            return None
        user = User.objects.filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None


# --- the views --------------------------------------------------------------------------------------------


class StartView(OIDCAuthenticationRequestView):
    """「使用统一身份认证登录」: off to the identity provider, with the state, nonce and PKCE verifier kept
    in the session."""


class CallbackView(OIDCAuthenticationCallbackView):
    """Back from the identity provider: sign in the mapped account, or return to the login page saying why
    not."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if request.GET.get("error"):
            # The provider refused or the person cancelled; the library logs out and lands in login_failure.
            _refuse(request, "provider", "error: " + str(request.GET["error"])[:64])
        elif request.GET.get("state", "") not in request.session.get("oidc_states", {}):
            # A callback this browser did not start (or no code at all): refused without asking the provider.
            _refuse(request, "provider", "unknown state")
            return self.login_failure()
        return super().get(request)

    def login_failure(self) -> HttpResponse:
        request = self.request
        refusal = refusal_of(request) or Refusal("provider")
        if getattr(request, "axes_locked_out", False) and refusal.code == "provider":
            refusal = Refusal("locked")
        if request.user.is_authenticated:
            logout(request)
        if not getattr(request, "oidc_refusal_audited", False):
            # Refusals that never reached authenticate() (which audits through user_login_failed).
            from accounts import audit
            from accounts.proxies import client_ip

            audit.record_security_event(
                action="auth.login_failed",
                user=refusal.user,
                username=SSO_USERNAME,
                address=client_ip(request),
                detail=refusal.audit_detail(),
                by_owner=False,
            )
        messages.error(request, refusal.message())
        return HttpResponseRedirect(reverse("accounts:login"))


def urlpatterns() -> list[URLPattern]:
    """The two routes of the code flow, only when single sign-on is configured."""
    if not enabled():
        return []
    return [
        path("oidc/authenticate/", StartView.as_view(), name="oidc_start"),
        path("oidc/callback/", CallbackView.as_view(), name="oidc_callback"),
    ]
