from __future__ import annotations

import django_filters
from django.db.models import Q

from reporting.models import AnnualSubmission, CorrectionRequest, SubmissionStatus


class SubmissionFilter(django_filters.FilterSet):
    district = django_filters.CharFilter(
        field_name="enterprise__district__code", label="企业当前管理单位代码"
    )
    filed_district = django_filters.CharFilter(field_name="district__code", label="填报时管理单位代码")
    industry = django_filters.CharFilter(field_name="enterprise__industry__code", label="行业大类代码")
    status = django_filters.MultipleChoiceFilter(choices=SubmissionStatus.choices)
    q = django_filters.CharFilter(method="filter_q", label="企业名称或信用代码")

    class Meta:
        model = AnnualSubmission
        fields = ["year", "status", "late", "enterprise", "district", "filed_district", "industry"]

    def filter_q(self, queryset, name, value):  # type: ignore[no-untyped-def]
        value = value.strip()
        return (
            queryset.filter(
                Q(enterprise__name__icontains=value) | Q(enterprise__credit_code__icontains=value.upper())
            )
            if value
            else queryset
        )


class CorrectionFilter(django_filters.FilterSet):
    class Meta:
        model = CorrectionRequest
        fields = ["status", "submission"]
