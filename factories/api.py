"""Factories API: reference data (read-only), the enterprise register and the green-factory register."""

from __future__ import annotations

import datetime as dt

import django_filters
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.viewsets import ScopedReadOnlyViewSet, ScopedViewSet
from factories import services
from factories.filters import EnterpriseFilter, GreenFactoryFilter
from factories.models import District, Enterprise, GreenFactory, Industry
from factories.serializers import (
    DistrictSerializer,
    EnterpriseSerializer,
    GreenFactorySerializer,
    IndustrySerializer,
    RevocationProposalSerializer,
    RevokeSerializer,
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


def register(router) -> None:  # type: ignore[no-untyped-def]
    router.register("districts", DistrictViewSet, basename="district")
    router.register("industries", IndustryViewSet, basename="industry")
    router.register("enterprises", EnterpriseViewSet, basename="enterprise")
    router.register("green-factories", GreenFactoryViewSet, basename="green-factory")
