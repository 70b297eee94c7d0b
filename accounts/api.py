"""API foundations shared by every app: the scoped base viewsets."""

from __future__ import annotations

from typing import Any

from rest_framework import mixins, viewsets


class ScopedMixin:
    """Applies `visible_to(request.user)` to the viewset's queryset, so out-of-scope rows answer 404."""

    queryset: Any
    request: Any

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
