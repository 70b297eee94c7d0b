"""Factories API: reference data (read-only), the enterprise register and the green-factory register."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import files
from accounts.files import EVIDENCE_RESPONSES
from accounts.filters import UserFilter
from accounts.models import User
from accounts.viewsets import ScopedReadOnlyViewSet, ScopedViewSet
from factories import services, tallies
from factories.filters import EnterpriseFilter, GreenFactoryFilter
from factories.models import District, Enterprise, GreenFactory, Industry, RegistrationRequest
from factories.serializers import (
    AccountStepSerializer,
    DistrictSerializer,
    EnterpriseSerializer,
    GreenFactorySerializer,
    IndustrySerializer,
    RegistrationDecisionSerializer,
    RegistrationSerializer,
    RevocationProposalSerializer,
    RevokeSerializer,
    TemporaryPasswordSerializer,
    UserAccountSerializer,
    UserCreatedSerializer,
    UserCreateSerializer,
    UserUpdateSerializer,
)


class DistrictFilter(django_filters.FilterSet):
    in_force_on = django_filters.DateFilter(method="filter_in_force_on", label="在该日期有效")

    class Meta:
        model = District
        fields = ["kind"]

    def filter_in_force_on(self, queryset, name, value):  # type: ignore[no-untyped-def]
        return queryset.in_force_on(value)


class DistrictViewSet(ScopedReadOnlyViewSet):
    """Management units (区县 and zones), with validity dates and successors."""

    queryset = District.objects.select_related("successor")
    serializer_class = DistrictSerializer
    rights = {"list": "reference.view", "retrieve": "reference.view"}
    lookup_field = "code"
    filterset_class = DistrictFilter
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name"]


class IndustryViewSet(ScopedReadOnlyViewSet):
    """Manufacturing divisions of GB/T 4754-2017."""

    queryset = Industry.objects.all()
    serializer_class = IndustrySerializer
    rights = {"list": "reference.view", "retrieve": "reference.view"}
    lookup_field = "code"
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name"]


class EnterpriseViewSet(ScopedViewSet):
    """The enterprise register: city staff manage all, district users their unit's, enterprise users see their own."""

    queryset = Enterprise.objects.all()
    serializer_class = EnterpriseSerializer
    # An enterprise user may change its own contact details; the service decides which fields a role changes.
    rights = {
        "list": "enterprise.view",
        "retrieve": "enterprise.view",
        "create": "enterprise.create",
        "update": "enterprise.update_contact",
        "partial_update": "enterprise.update_contact",
    }
    filterset_class = EnterpriseFilter
    search_fields = ["name", "credit_code"]
    ordering_fields = ["name", "credit_code", "district", "industry", "created_at"]
    ordering = ["name", "id"]
    tally = staticmethod(tallies.enterprise_count)

    def scope_queryset(self, queryset):  # type: ignore[no-untyped-def]
        return queryset.with_sequence()


class GreenFactoryViewSet(ScopedViewSet):
    """The green-factory register (city and national tier); city staff record recognitions.

    `revoke` does not revoke: it files a revocation proposal (201, the proposal) that another city user
    confirms or dismisses at /api/v1/revocation-proposals/{id}/confirm/ (Art. 9, four eyes). The factory
    stays recognised until then.
    """

    queryset = GreenFactory.objects.all()
    serializer_class = GreenFactorySerializer
    rights = {
        "list": "green_factory.view",
        "retrieve": "green_factory.view",
        "create": "green_factory.manage",
        "revoke": "green_factory.manage",
    }
    filterset_class = GreenFactoryFilter
    ordering_fields = ["recognized_year", "tier", "status", "enterprise__name"]
    ordering = ["-recognized_year", "id"]
    http_method_names = ["get", "post", "head", "options"]

    def scope_queryset(self, queryset):  # type: ignore[no-untyped-def]
        return queryset.select_related("enterprise")

    @extend_schema(request=RevokeSerializer, responses={201: RevocationProposalSerializer})
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str | None = None) -> Response:
        """Propose revoking this title with a reason and a date (today when omitted); 201 with the proposal."""
        body = RevokeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        revoked_on: dt.date = body.validated_data.get("revoked_on") or timezone.localdate()
        proposal = services.revocation_propose(
            actor=request.user,
            factory=self.get_object(),
            revoked_on=revoked_on,
            reason=body.validated_data["reason"],
        )
        return Response(RevocationProposalSerializer(proposal).data, status=status.HTTP_201_CREATED)


class UserViewSet(ScopedViewSet):
    """Accounts (API.md `users`): the city and auditors see all, a district its unit's district accounts and
    enterprise fillers, an enterprise user its enterprise's accounts. The city manages staff accounts (city,
    auditor, district), a district its unit's enterprise fillers; every change is audited with its reason.

    Deactivating, reactivating and resetting a password are steps with a required `reason`; the reset
    answers a temporary password once (the forced change at next sign-in comes with the password work).
    A role without `users.manage` is refused (403) before anything is looked up; an account outside the
    caller's scope answers 404, and one inside it that the caller does not manage (a district's colleague)
    403 from the service.
    """

    queryset = User.objects.select_related("district", "enterprise")
    serializer_class = UserAccountSerializer
    rights = {
        "list": "users.view",
        "retrieve": "users.view",
        "create": "users.manage",
        "update": "users.manage",
        "partial_update": "users.manage",
        "deactivate": "users.manage",
        "reactivate": "users.manage",
        "reset_password": "users.manage",
    }
    filterset_class = UserFilter
    search_fields = ["username", "first_name", "last_name", "email"]
    ordering_fields = ["username", "role", "date_joined", "last_login", "is_active"]
    ordering = ["username", "id"]

    @extend_schema(request=UserCreateSerializer, responses={201: UserCreatedSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = UserCreateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = body.validated_data
        district, enterprise = data.get("district"), data.get("enterprise")
        user, password = services.user_invite(
            actor=request.user,
            username=data["username"],
            role=data["role"],
            district_code=district.code if district else None,
            enterprise_credit_code=enterprise.credit_code if enterprise else None,
            email=data["email"],
            display_name=data["first_name"],
            staff_id=data.get("staff_id"),
        )
        user.temporary_password = password  # type: ignore[attr-defined]
        return Response(UserCreatedSerializer(user).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=UserUpdateSerializer, responses={200: UserAccountSerializer})
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = self.get_object()
        body = UserUpdateSerializer(data=request.data, partial=True, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        reason = data.pop("reason", "")
        services.user_update(actor=request.user, user=user, reason=reason, **data)
        return Response(UserAccountSerializer(user).data)

    @extend_schema(request=UserUpdateSerializer, responses={200: UserAccountSerializer})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.update(request, *args, **kwargs)

    def _reason(self, request: Request) -> str:
        body = AccountStepSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return str(body.validated_data["reason"])

    @extend_schema(request=AccountStepSerializer, responses={200: UserAccountSerializer})
    @action(detail=True, methods=["post"])
    def deactivate(self, request: Request, pk: str | None = None) -> Response:
        """Stop the account (it cannot sign in; its sessions and tokens end); `reason` required."""
        user = services.user_deactivate(
            actor=request.user, user=self.get_object(), reason=self._reason(request)
        )
        return Response(UserAccountSerializer(user).data)

    @extend_schema(request=AccountStepSerializer, responses={200: UserAccountSerializer})
    @action(detail=True, methods=["post"])
    def reactivate(self, request: Request, pk: str | None = None) -> Response:
        """Let a stopped account sign in again; `reason` required."""
        user = services.user_reactivate(
            actor=request.user, user=self.get_object(), reason=self._reason(request)
        )
        return Response(UserAccountSerializer(user).data)

    @extend_schema(request=AccountStepSerializer, responses={200: TemporaryPasswordSerializer})
    @action(detail=True, methods=["post"], url_path="reset-password")
    def reset_password(self, request: Request, pk: str | None = None) -> Response:
        """A new temporary password, answered once; the old one, the sessions and tokens stop working."""
        user = self.get_object()
        password = services.user_reset_password(actor=request.user, user=user, reason=self._reason(request))
        return Response(
            TemporaryPasswordSerializer({"username": user.username, "temporary_password": password}).data
        )


class RegistrationFilter(django_filters.FilterSet):
    class Meta:
        model = RegistrationRequest
        fields = ["status", "district", "credit_code"]


class RegistrationViewSet(ScopedReadOnlyViewSet):
    """Enterprise self-registration requests (issue 14): the city and auditors read all, a district those
    addressed to its unit (another unit's answer 404); enterprises none. The district approves (the account
    opens and the applicant is e-mailed a one-time link to set the password) or rejects with a `reason`.
    Requests are filed on the public page /accounts/register/, not through the API.
    """

    queryset = RegistrationRequest.objects.all()
    serializer_class = RegistrationSerializer
    rights = {
        "list": "registration.view",
        "retrieve": "registration.view",
        "letter": "registration.view",
        "approve": "registration.review",
        "reject": "registration.review",
        "resend_activation": "registration.review",
    }
    filterset_class = RegistrationFilter
    search_fields = ["enterprise_name", "credit_code", "contact_name", "email"]
    ordering_fields = ["submitted_at", "enterprise_name", "status"]
    ordering = ["-submitted_at", "-id"]

    def scope_queryset(self, queryset: Any) -> Any:
        return queryset.select_related("district", "decided_by", "account")

    @extend_schema(responses=EVIDENCE_RESPONSES)
    @action(detail=True, methods=["get"])
    def letter(self, request: Request, pk: str | None = None) -> Any:
        """The signed authorisation letter as uploaded (PDF, JPG or PNG) under a readable name."""
        registration = self.get_object()
        return files.download(registration.letter, registration.letter_download_name)

    @extend_schema(request=RegistrationDecisionSerializer, responses={200: RegistrationSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        """Approve: the enterprise enters the register if new, its account opens, the activation mail goes out."""
        body = RegistrationDecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        registration = services.registration_approve(
            actor=request.user,
            registration=self.get_object(),
            reason=body.validated_data["reason"],
            site=request.build_absolute_uri("/"),
        )
        return Response(RegistrationSerializer(registration).data)

    @extend_schema(request=RegistrationDecisionSerializer, responses={200: RegistrationSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        """Reject with a `reason` (required), which is e-mailed to the applicant."""
        body = RegistrationDecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        registration = services.registration_reject(
            actor=request.user, registration=self.get_object(), reason=body.validated_data["reason"]
        )
        return Response(RegistrationSerializer(registration).data)

    @extend_schema(request=None, responses={200: RegistrationSerializer})
    @action(detail=True, methods=["post"], url_path="resend-activation")
    def resend_activation(self, request: Request, pk: str | None = None) -> Response:
        """E-mail an approved request's applicant a new link to set the password (409 once it is set)."""
        registration = services.registration_resend_activation(
            actor=request.user, registration=self.get_object(), site=request.build_absolute_uri("/")
        )
        return Response(RegistrationSerializer(registration).data)


def register(router) -> None:  # type: ignore[no-untyped-def]
    router.register("districts", DistrictViewSet, basename="district")
    router.register("industries", IndustryViewSet, basename="industry")
    router.register("enterprises", EnterpriseViewSet, basename="enterprise")
    router.register("green-factories", GreenFactoryViewSet, basename="green-factory")
    router.register("users", UserViewSet, basename="user")
    router.register("registrations", RegistrationViewSet, basename="registration")
