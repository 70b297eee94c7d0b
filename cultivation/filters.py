from __future__ import annotations

import django_filters
from django.db.models import Q

from cultivation.models import (
    BCertification,
    DistrictReport,
    IrregularReview,
    LevelDecision,
    LevelJob,
    PoolApplication,
    PoolMembership,
)


class _EnterpriseFilter(django_filters.FilterSet):
    """Filters on the enterprise of a pool row: its current management unit, industry and a keyword."""

    district = django_filters.CharFilter(field_name="enterprise__district_id", label="管理单位代码")
    industry = django_filters.CharFilter(field_name="enterprise__industry_id", label="行业大类代码")
    q = django_filters.CharFilter(method="filter_q", label="企业名称或信用代码")

    def filter_q(self, queryset, name, value):  # type: ignore[no-untyped-def]
        value = value.strip()
        prefix = self.enterprise_path  # type: ignore[attr-defined]
        return (
            queryset.filter(
                Q(**{f"{prefix}__name__icontains": value})
                | Q(**{f"{prefix}__credit_code__icontains": value.upper()})
            )
            if value
            else queryset
        )

    enterprise_path = "enterprise"


class ApplicationFilter(_EnterpriseFilter):
    class Meta:
        model = PoolApplication
        fields = ["status", "enterprise", "district", "industry"]


class MembershipFilter(_EnterpriseFilter):
    class Meta:
        model = PoolMembership
        fields = ["status", "enterprise", "district", "industry"]


class LevelFilter(_EnterpriseFilter):
    class Meta:
        model = LevelDecision
        fields = ["year", "level", "certified_b", "enterprise", "district", "industry", "review_downgraded"]


class _MemberFilter(_EnterpriseFilter):
    district = django_filters.CharFilter(
        field_name="membership__enterprise__district_id", label="管理单位代码"
    )
    industry = django_filters.CharFilter(
        field_name="membership__enterprise__industry_id", label="行业大类代码"
    )
    enterprise = django_filters.NumberFilter(field_name="membership__enterprise_id", label="企业")
    enterprise_path = "membership__enterprise"


class CertificationFilter(_MemberFilter):
    class Meta:
        model = BCertification
        fields = ["status", "year", "enterprise", "district", "industry"]


class ReviewFilter(_MemberFilter):
    class Meta:
        model = IrregularReview
        fields = ["status", "falsification", "enterprise", "district", "membership"]


class DistrictReportFilter(django_filters.FilterSet):
    district = django_filters.CharFilter(field_name="district_id", label="管理单位代码")

    class Meta:
        model = DistrictReport
        fields = ["year", "status", "district"]


class LevelJobFilter(django_filters.FilterSet):
    district = django_filters.CharFilter(field_name="district_id", label="管理单位代码")

    class Meta:
        model = LevelJob
        fields = ["year", "status", "district"]
