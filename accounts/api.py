"""API foundations shared by every app: the scoped base viewsets."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import mixins, viewsets


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
