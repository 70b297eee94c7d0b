"""Sign-in, the home page of each role and the audit trail browser."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Q, QuerySet
from django.http import HttpRequest, JsonResponse
from django.views import View
from django.views.generic import ListView, TemplateView

from accounts.home import next_steps
from accounts.models import AuditEntry
from accounts.views_base import RightRequiredMixin, signed_in


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


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
