"""API foundations shared by every app: the scoped base viewsets and the right each action needs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import mixins, viewsets
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response

from accounts import datacache
from accounts.permissions import can

REFUSED = _("您的角色无权执行此操作。")


class ScopedMixin:
    """Rights from the one table, and `visible_to(request.user)` on every queryset (NetBox's `restrict()`).

    `rights` maps every action of the viewset (`list`, `retrieve`, `create`, `update`, `partial_update`
    and each `@action`) to its right in `accounts.permissions.PERMISSIONS`:

    - a read (GET) by a role without the right reads nothing: lists are empty, objects answer 404;
    - a write by a role without the right answers 403 before its body is read; an action that declares
      no right is refused (unless its method is not allowed at all: then 405);
    - for the actions in `check_after_lookup` the scoped object is looked up first, so a row outside the
      caller's scope answers 404 and only then a refused role 403 (still before the body is read).

    Rows outside the caller's scope are simply absent, so they answer 404. Services check the right again.
    """

    queryset: Any
    request: Any
    rights: Mapping[str, str] = {}
    check_after_lookup: frozenset[str] = frozenset()
    _looked_up: Any = None

    @property
    def current_action(self) -> str | None:
        """The viewset action routed for this request (None: no handler for its method)."""
        return getattr(self, "action", None)

    def may(self, request: Any) -> bool:
        """Whether the caller holds the right of the current action."""
        right = self.rights.get(self.current_action or "")
        return right is not None and can(request.user, right)

    def check_permissions(self, request: Any) -> None:
        super().check_permissions(request)  # type: ignore[misc]
        action = self.current_action
        if request.method in SAFE_METHODS or action in self.check_after_lookup:
            return
        allowed = request.method.lower() in getattr(self, "http_method_names", ())
        if action is None or (action not in self.rights and not allowed):
            return  # no handler for this method here: 405, not a verdict about the role
        if not self.may(request):
            self.permission_denied(request, message=str(REFUSED))  # type: ignore[attr-defined]

    def check_object_permissions(self, request: Any, obj: Any) -> None:
        super().check_object_permissions(request, obj)  # type: ignore[misc]
        if self.current_action in self.check_after_lookup and not self.may(request):
            self.permission_denied(request, message=str(REFUSED))  # type: ignore[attr-defined]

    def initial(self, request: Any, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        if self.current_action in self.check_after_lookup and request.method not in SAFE_METHODS:
            self.get_object()  # the scoped lookup (404) and the right (403), before the handler reads the body

    def get_object(self) -> Any:
        if self._looked_up is None:
            self._looked_up = super().get_object()  # type: ignore[misc]
        return self._looked_up

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

    tally: Any = None
    """`staticmethod(f)`: f(user) is the number of rows of the unfiltered list from a summary table, or None."""

    def known_total(self) -> int | None:
        """The unfiltered list's row count without counting (see `accounts.drf.PageNumberPagination`)."""
        if self.tally is None or self.request.method not in SAFE_METHODS or not self.may(self.request):
            return None
        return self.tally(self.request.user)  # type: ignore[no-any-return]

    def restrict(self, queryset: Any) -> Any:
        """`queryset` for a reader holding the action's right, nothing otherwise (writes are refused
        earlier, by `check_permissions`)."""
        if self.request.method in SAFE_METHODS and not self.may(self.request):
            return queryset.none()
        return queryset

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset.none()
        return self.scope_queryset(self.restrict(self.queryset.all().visible_to(self.request.user)))

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
