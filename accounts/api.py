"""Accounts API: token, current user and the audit trail. The users endpoint writes accounts that name a
unit or an enterprise, so it lives on the registry floor (factories/api.py `UserViewSet`)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import tokens, twofactor
from accounts.filters import AuditEntryFilter
from accounts.lockout import cooloff_minutes
from accounts.models import ApiToken, AuditEntry, User
from accounts.passwords import change_required, change_required_message
from accounts.proxies import client_ip
from accounts.serializers import (
    AuditEntrySerializer,
    MeSerializer,
    TokenRequestSerializer,
    TokenResponseSerializer,
)
from accounts.tokens import ApiTokenAuthentication
from accounts.viewsets import ScopedReadOnlyViewSet


class TokenView(APIView):
    """POST exchanges username and password for a new API token (failures count towards the login lockout);
    DELETE revokes the token the request is sent with."""

    permission_classes = [AllowAny]
    throttle_scope = "token"

    def get_authenticators(self) -> list[Any]:
        # Signing in needs no credentials, and a stale header must not stop it. Revoking needs the token
        # being revoked, so only the token is read there, never the session cookie.
        request = getattr(self, "request", None)
        if request is not None and request.method == "DELETE":
            return [ApiTokenAuthentication()]
        return []

    def get_permissions(self) -> list[Any]:
        request = getattr(self, "request", None)
        if request is not None and request.method == "DELETE":
            return [IsAuthenticated()]
        return [AllowAny()]

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenResponseSerializer})
    def post(self, request: Request) -> Response:
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # authenticate() with the HttpRequest lets django-axes count failures and refuse locked users.
        user = authenticate(
            request._request,
            username=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
        )
        if user is None:
            if getattr(request._request, "axes_locked_out", False):
                return Response(
                    {
                        "detail": _(
                            "登录失败次数过多，账户已被暂时锁定，请在 %(minutes)d 分钟后重试或联系管理员。"
                        )
                        % {"minutes": cooloff_minutes()}
                    },
                    status=status.HTTP_429_TOO_MANY_REQUESTS,
                )
            return Response(
                {"non_field_errors": [_("用户名或密码不正确。")]}, status=status.HTTP_400_BAD_REQUEST
            )
        if refusal := self._second_factor(request, user, serializer.validated_data.get("otp_code", "")):
            return refusal
        if reason := change_required(user):
            return Response({"detail": change_required_message(reason)}, status=status.HTTP_403_FORBIDDEN)
        token, key = tokens.token_issue(user=user, address=client_ip(request._request))
        return Response(TokenResponseSerializer({"token": key, "expires_at": token.expires_at}).data)

    @staticmethod
    def _second_factor(request: Request, user: Any, code: str) -> Response | None:
        """A token is a sign-in of its own, so it needs what a browser session needs: an account with
        two-factor sign-in sends a code with the password (`otp_code`); staff who must use it but have not
        set it up are sent to the web page first. None when the token may be issued."""
        if twofactor.enabled(user):
            if not code:
                return Response(
                    {
                        "detail": _(
                            "此账户已启用两步验证，请在 otp_code 中同时提供验证器上的 6 位验证码或一个恢复码。"
                        )
                    },
                    status=status.HTTP_403_FORBIDDEN,
                )
            try:
                device = twofactor.check_and_audit(
                    user, code, address=client_ip(request._request), purpose="api token"
                )
            except twofactor.Throttled as throttled:
                return Response({"detail": throttled.message()}, status=status.HTTP_429_TOO_MANY_REQUESTS)
            if device is None:
                return Response({"otp_code": [_("验证码不正确。")]}, status=status.HTTP_400_BAD_REQUEST)
            return None
        if twofactor.required(user):
            return Response({"detail": twofactor.gate_message("setup")}, status=status.HTTP_403_FORBIDDEN)
        return None

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request) -> Response:
        if not isinstance(request.auth, ApiToken) or not isinstance(request.user, User):
            raise NotAuthenticated
        tokens.token_revoke(actor=request.user, token=request.auth, address=client_ip(request._request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    """The signed-in user: role, management unit and enterprise."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        user = User.objects.select_related("district", "enterprise").get(pk=request.user.pk)
        return Response(MeSerializer(user).data)


class AuditEntryViewSet(ScopedReadOnlyViewSet):
    """The audit trail (city staff and auditors only)."""

    queryset = AuditEntry.objects.all()
    serializer_class = AuditEntrySerializer
    rights = {"list": "audit.view", "retrieve": "audit.view"}
    filterset_class = AuditEntryFilter
    search_fields = ["object_repr", "actor_name", "reason", "action"]
    ordering_fields = ["at", "action"]


def register(router) -> None:  # type: ignore[no-untyped-def]
    router.register("audit", AuditEntryViewSet, basename="audit")
