"""Sign-in, the home page of each role and the audit trail browser."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView, TemplateView

from accounts import audit, audit_trail, oidc, throttles, tokens
from accounts.home import next_steps
from accounts.models import ApiToken, AuditEntry
from accounts.passwords import change_required
from accounts.proxies import client_ip
from accounts.views_base import RightRequiredMixin, ScopedObjectMixin, signed_in

logger = logging.getLogger(__name__)


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        # The single sign-on button only when it is configured (accounts/oidc.py).
        return {**super().get_context_data(**kwargs), "sso_enabled": oidc.enabled()}


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change one's password; every API token issued for the old password ends with it."""

    success_url = reverse_lazy("accounts:password_change_done")

    def form_valid(self, form: Any) -> HttpResponse:
        # Read before the change clears it: a forced change (first sign-in, expiry) says so in the audit.
        forced = change_required(form.user)
        with transaction.atomic():
            response = super().form_valid(form)
            ended = tokens.tokens_revoke_all(user=form.user)
            audit.record_security_event(
                action="auth.password_change",
                user=form.user,
                address=client_ip(self.request),
                detail=" · ".join(
                    part
                    for part in (f"forced: {forced}" if forced else "", f"API tokens ended: {ended}")
                    if part
                ),
            )
        return response


def reset_minutes() -> int:
    """How long a reset link works, in whole minutes (PASSWORD_RESET_TIMEOUT is in seconds)."""
    return max(1, int(settings.PASSWORD_RESET_TIMEOUT) // 60)


def _reset_throttle_key(email: str) -> str:
    return "password-reset:" + throttles.digest(email.strip().casefold())


class DeferredMailPasswordResetForm(PasswordResetForm):
    """Django's reset form, but the mails are collected instead of sent; the view sends them once the
    answer has gone out, so neither a slow nor a failing mail server shows whether the address exists."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.outgoing: list[tuple[Any, ...]] = []

    def send_mail(self, *args: Any, **kwargs: Any) -> None:
        # The mail is written in the language of the page it was asked from.
        self.outgoing.append((translation.get_language(), args, kwargs))

    def send_collected(self) -> None:
        for language, args, kwargs in self.outgoing:
            try:
                with translation.override(language):
                    PasswordResetForm.send_mail(self, *args, **kwargs)
            except Exception:
                logger.exception("password reset e-mail could not be sent")


class PasswordResetView(auth_views.PasswordResetView):
    """Ask for a reset link by e-mail, without revealing whether an account has that address.

    - The answer is the same redirect to the same page either way.
    - The mail is sent when the response is closed, i.e. after the answer has been written to the client
      (WSGI servers close the response after sending it), so the mail server's speed or failure shows
      in neither the answer nor its timing.
    - A few requests per address per hour are honoured (PASSWORD_RESET_THROTTLE_LIMIT, counted in the
      cache; django-axes does not see this form); later ones are answered alike but send nothing, so the
      form cannot flood a mailbox.
    - The audit trail records every request, with the account when one matched.
    """

    form_class = DeferredMailPasswordResetForm
    template_name = "registration/password_reset_form.html"
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "reset_minutes": reset_minutes()}

    def form_valid(self, form: Any) -> HttpResponse:
        email = form.cleaned_data["email"]
        count = throttles.hit(_reset_throttle_key(email), settings.PASSWORD_RESET_THROTTLE_WINDOW)
        users = list(form.get_users(email))
        throttled = count > settings.PASSWORD_RESET_THROTTLE_LIMIT
        audit.record_security_event(
            action="auth.password_reset_request",
            user=users[0] if users else None,
            username="" if users else "(no account)",
            address=client_ip(self.request),
            detail="throttled" if throttled else "",
            by_owner=False,
        )
        if throttled:
            return HttpResponseRedirect(self.get_success_url())
        self.extra_email_context = {"reset_minutes": reset_minutes()}
        response = super().form_valid(form)
        # Django's documented close hook list: called by response.close() once the server sent it.
        response._resource_closers.append(form.send_collected)  # type: ignore[attr-defined]
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Set a new password from an e-mailed link (valid PASSWORD_RESET_TIMEOUT seconds, once)."""

    template_name = "registration/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form: Any) -> HttpResponse:
        with transaction.atomic():
            response = super().form_valid(form)
            ended = tokens.tokens_revoke_all(user=form.user)
            audit.record_security_event(
                action="auth.password_reset",
                user=form.user,
                address=client_ip(self.request),
                detail=f"API tokens ended: {ended}",
            )
        return response


class TokenListView(RightRequiredMixin, ListView):
    """The user's own API tokens that still work, each with a button that revokes it."""

    right = "token.manage_own"
    template_name = "accounts/token_list.html"
    context_object_name = "tokens"

    def get_queryset(self) -> QuerySet[ApiToken]:
        return tokens.usable(signed_in(self.request))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["ttl_days"] = settings.API_TOKEN_TTL_DAYS
        return context


class TokenRevokeView(ScopedObjectMixin, View):
    """Revoke one of the user's own tokens; anybody else's answers 404."""

    right = "token.manage_own"
    model = ApiToken

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        token = self.get_object()
        tokens.token_revoke(actor=signed_in(request), token=token, address=client_ip(request))
        messages.success(
            request, _("令牌 %(prefix)s… 已撤销，使用它的程序需要重新获取令牌。") % {"prefix": token.prefix}
        )
        return redirect("accounts:tokens")


class HomeView(LoginRequiredMixin, TemplateView):
    """Each role's home page says what to do next."""

    template_name = "home.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["steps"] = next_steps(self.request.user)
        return context


def parse_date_or_none(text: str) -> Any:
    """A YYYY-MM-DD date, or None for anything else (a filter that cannot be read is ignored)."""
    import datetime as dt

    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        return None


class AuditListView(RightRequiredMixin, ListView):
    """The audit trail for city staff and auditors: each entry as a sentence in words, filtered by object,
    actor, unit, action and date, newest first; entries of the demo seeding only on request."""

    right = "audit.view"
    template_name = "accounts/audit_list.html"
    paginate_by = 50

    def get_queryset(self) -> QuerySet[AuditEntry]:
        return audit_trail.filter_trail(audit_trail.trail(signed_in(self.request)), self.request.GET)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        context["querystring"] = query.urlencode()
        context["lines"] = audit_trail.lines(context["object_list"], viewer=self.request.user)
        visible = AuditEntry.objects.visible_to(signed_in(self.request))
        context["actions"] = sorted(
            (
                (code, audit.action_label(code))
                for code in visible.order_by().values_list("action", flat=True).distinct()
                if self.request.GET.get("demo") or not code.startswith("demo.")
            ),
            key=lambda pair: pair[0],
        )
        context["object_types"] = sorted(
            (
                (code, audit_trail.object_type_label(code))
                for code in visible.order_by().values_list("object_type", flat=True).distinct()
            ),
            key=lambda pair: pair[1],
        )
        context["export_filters"] = [
            (key, self.request.GET.get(key, "").strip())
            for key in audit_trail.FILTER_KEYS
            if self.request.GET.get(key, "").strip()
        ]
        return context


class PingView(LoginRequiredMixin, View):
    """The smallest signed-in page: session, authentication and a JSON answer (the load benchmark's baseline)."""

    def get(self, request: HttpRequest) -> JsonResponse:
        return JsonResponse({"user": request.user.get_username(), "role": signed_in(request).role})
