"""Sign-in, sign-out, failed sign-in and lock-out go to the audit trail, whichever path (web form, admin,
API token request) authenticated."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.http import HttpRequest

from accounts import audit
from accounts.models import User
from accounts.proxies import client_ip


def _address(request: HttpRequest | None) -> str:
    return client_ip(request) if request is not None else ""


def _signed_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    from accounts import oidc

    sso = getattr(user, "backend", "") == oidc.BACKEND
    audit.record_security_event(
        action="auth.login", user=user, address=_address(request), detail="single sign-on" if sso else ""
    )
    if request is not None and hasattr(request, "session"):
        # Start the idle clock with the session itself, so the first pages after signing in write nothing.
        from accounts.middleware import IdleTimeoutMiddleware

        IdleTimeoutMiddleware.mark_activity(request)


def _signed_out(sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    if user is not None:
        audit.record_security_event(action="auth.logout", user=user, address=_address(request))


def _failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # django-axes' receiver is connected first (axes precedes accounts in INSTALLED_APPS), so it has
    # already marked the request when this failure locked the account or the address.
    locked = bool(getattr(request, "axes_locked_out", False))
    username = str(credentials.get("username") or "")[:150]
    user = User.objects.filter(username=username).first() if username else None
    detail = ""
    if "nonce" in credentials or "code_verifier" in credentials:
        # A single sign-on (accounts/oidc.py): the backend left why it refused, and the account if any.
        from accounts import oidc

        refusal = oidc.refusal_of(request) or oidc.Refusal("locked" if locked else "provider")
        user, username, detail = refusal.user, oidc.SSO_USERNAME, refusal.audit_detail()
        if request is not None:
            request.oidc_refusal_audited = True  # type: ignore[attr-defined]
    audit.record_security_event(
        action="auth.lockout" if locked else "auth.login_failed",
        username=username,
        user=user,
        address=_address(request),
        detail=detail,
        by_owner=False,
    )


def connect() -> None:
    """Called from AccountsConfig.ready()."""
    user_logged_in.connect(_signed_in, dispatch_uid="accounts.audit.signed_in")
    user_logged_out.connect(_signed_out, dispatch_uid="accounts.audit.signed_out")
    user_login_failed.connect(_failed, dispatch_uid="accounts.audit.failed")
