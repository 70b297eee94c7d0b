"""Factories API: reference data (read-only)."""

from __future__ import annotations

import django_filters

from accounts.api import ScopedReadOnlyViewSet
from factories.models import District, Industry
from factories.serializers import DistrictSerializer, IndustrySerializer


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
    lookup_field = "code"
    filterset_class = DistrictFilter
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name"]


class IndustryViewSet(ScopedReadOnlyViewSet):
    """Manufacturing divisions of GB/T 4754-2017."""

    queryset = Industry.objects.all()
    serializer_class = IndustrySerializer
    lookup_field = "code"
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name"]
