"""API foundations shared by every app: the scoped base viewsets."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import mixins, viewsets
from rest_framework.response import Response

from accounts import datacache


class ScopedMixin:
    """Applies `visible_to(request.user)` to the viewset's queryset, so out-of-scope rows answer 404.

    `write_permission` names the permission every unsafe request needs, checked before the body is
    validated (so a refused role gets 403, not a 400 about its payload); services check it again.
    """

    queryset: Any
    request: Any
    write_permission: str | dict[str, str] | None = None

    def _write_refused(self, request: Any) -> bool:
        needed = self.write_permission
        if isinstance(needed, dict):
            needed = needed.get(getattr(self, "action", "") or "")
        if not needed or request.method in ("GET", "HEAD", "OPTIONS"):
            return False
        from accounts.permissions import can

        return not can(request.user, needed)

    def check_permissions(self, request: Any) -> None:
        super().check_permissions(request)  # type: ignore[misc]
        if self._write_refused(request):
            self.permission_denied(request, message=str(_("您的角色无权执行此操作。")))  # type: ignore[attr-defined]

    def list(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        """The list answer, from `datacache` while nothing it read has changed (key: path with query,
        viewer, language, date); the renderer still runs per request, so every format works."""
        parent = super().list  # type: ignore[misc]

        def compute() -> Any:
            response = parent(request, *args, **kwargs)
            if response.status_code != 200 or response.has_header("Link"):
                raise datacache.Uncacheable(response)
            return response.data

        data = datacache.fetch(datacache.page_key("api", request), compute)
        return data if isinstance(data, Response) else Response(data)

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset.none()
        return self.scope_queryset(self.queryset.all().visible_to(self.request.user))

    def scope_queryset(self, queryset: Any) -> Any:
        """Hook for select_related / annotations; the scope is already applied."""
        return queryset


class ScopedReadOnlyViewSet(ScopedMixin, viewsets.ReadOnlyModelViewSet):
    pass


class ScopedViewSet(
    ScopedMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """Create, read and update through services; nothing is deleted through the API."""

    http_method_names = ["get", "post", "put", "patch", "head", "options"]
