"""Base classes for HTML views: login required, role checks, and the same scoping as the API."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.views.generic import DetailView, ListView

from accounts.errors import DomainError
from accounts.permissions import can


class RoleRequiredMixin(LoginRequiredMixin):
    """Only users holding `permission` (see accounts.permissions) may open the view."""

    permission: str | None = None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if self.permission and not can(request.user, self.permission):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class ScopedQuerysetMixin(RoleRequiredMixin):
    """The queryset is always `Model.objects.visible_to(user)`; other rows answer 404."""

    model: Any

    def get_queryset(self) -> QuerySet:
        return self.refine_queryset(self.model.objects.visible_to(self.request.user))

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset


class ScopedListView(ScopedQuerysetMixin, ListView):
    paginate_by = 25
    ordering_fields: dict[str, str] = {}
    default_ordering: str | None = None

    def get_ordering(self) -> Any:
        key = self.request.GET.get("sort", "")
        desc = key.startswith("-")
        field = self.ordering_fields.get(key.lstrip("-"))
        if field:
            return [("-" if desc else "") + field, "pk"]
        return self.default_ordering

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        context["querystring"] = query.urlencode()
        context["current_sort"] = self.request.GET.get("sort", "")
        return context


class ScopedDetailView(ScopedQuerysetMixin, DetailView):
    pass


def show_domain_error(request: HttpRequest, error: DomainError) -> None:
    """Put a domain error on the page as a message a clerk understands."""
    messages.error(request, str(error.message))
    for field, errors in error.field_errors.items():
        for message in errors:
            messages.error(request, f"{field}: {message}")
