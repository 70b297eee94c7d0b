"""Base classes for HTML views: login required, role checks, and the same scoping as the API."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.middleware.csrf import get_token
from django.template.response import TemplateResponse
from django.views.generic import DetailView, ListView

from accounts import datacache
from accounts.errors import DomainError
from accounts.permissions import can

# Rendered into cached pages instead of the CSRF token, and replaced by the asker's token when served.
CSRF_PLACEHOLDER = "csrf-placeholder-2f7c4e91"


class CachedPageMixin:
    """Serve a GET page from `datacache` while nothing it read has changed.

    The key holds the full path with its query, the viewer (user, role, unit), the language and the date;
    the tables are recorded while the page renders, so no view lists them. Not cached: pages with pending
    messages (they show once), pages that add messages, non-200 answers and anything that writes. The CSRF
    token is rendered as a placeholder and each asker gets their own.
    """

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        parent = super().get  # type: ignore[misc]
        if not datacache.enabled() or len(messages.get_messages(request)):
            return parent(request, *args, **kwargs)  # type: ignore[no-any-return]

        def render() -> str:
            response = parent(request, *args, **kwargs)
            if not isinstance(response, TemplateResponse) or response.status_code != 200:
                raise datacache.Uncacheable(response)
            response.context_data = {**(response.context_data or {}), "csrf_token": CSRF_PLACEHOLDER}
            response.render()
            if len(messages.get_messages(request)):
                raise datacache.Uncacheable(response)
            return response.content.decode()

        page = datacache.fetch(datacache.page_key("page", request), render)
        if isinstance(page, HttpResponseBase):
            if isinstance(page, TemplateResponse) and page.is_rendered:
                page.content = page.content.replace(CSRF_PLACEHOLDER.encode(), get_token(request).encode())
            return cast(HttpResponse, page)
        return HttpResponse(page.replace(CSRF_PLACEHOLDER, get_token(request)))


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


class ScopedListView(CachedPageMixin, ScopedQuerysetMixin, ListView):
    paginate_by = 25
    paginator_class = datacache.LargeTablePaginator
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
