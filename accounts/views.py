"""Sign-in, the home page of each role and the audit trail browser."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView, TemplateView

from accounts import audit, tokens
from accounts.home import next_steps
from accounts.models import ApiToken, AuditEntry
from accounts.proxies import client_ip
from accounts.views_base import RightRequiredMixin, ScopedObjectMixin, signed_in


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change one's password; every API token issued for the old password ends with it."""

    success_url = reverse_lazy("accounts:password_change_done")

    def form_valid(self, form: Any) -> HttpResponse:
        with transaction.atomic():
            response = super().form_valid(form)
            ended = tokens.tokens_revoke_all(user=form.user)
            audit.record_security_event(
                action="auth.password_change",
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
    """The audit trail, searchable, for city staff and auditors."""

    right = "audit.view"
    template_name = "accounts/audit_list.html"
    paginate_by = 50

    def get_queryset(self) -> QuerySet[AuditEntry]:
        queryset = AuditEntry.objects.visible_to(signed_in(self.request))
        params = self.request.GET
        if q := params.get("q", "").strip():
            queryset = queryset.filter(
                Q(object_repr__icontains=q) | Q(actor_name__icontains=q) | Q(reason__icontains=q)
            )
        if action := params.get("action", "").strip():
            queryset = queryset.filter(action__startswith=action)
        if object_type := params.get("object_type", "").strip():
            queryset = queryset.filter(
                object_type=object_type,
                **({"object_id": params["object_id"]} if params.get("object_id") else {}),
            )
        for key, lookup in (("since", "at__date__gte"), ("until", "at__date__lte")):
            day = parse_date_or_none(params.get(key, ""))
            if day is not None:
                queryset = queryset.filter(**{lookup: day})
        return queryset

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        context["querystring"] = query.urlencode()
        context["actions"] = (
            AuditEntry.objects.visible_to(signed_in(self.request))
            .order_by("action")
            .values_list("action", flat=True)
            .distinct()
        )
        return context


class PingView(LoginRequiredMixin, View):
    """The smallest signed-in page: session, authentication and a JSON answer (the load benchmark's baseline)."""

    def get(self, request: HttpRequest) -> JsonResponse:
        return JsonResponse({"user": request.user.get_username(), "role": signed_in(request).role})
