from __future__ import annotations

import django_filters
from django.db.models import Q

from factories.models import Enterprise, GreenFactory, GreenFactoryStatus, Sequence, Tier


class EnterpriseFilter(django_filters.FilterSet):
    district = django_filters.CharFilter(field_name="district__code", label="管理单位代码")
    industry = django_filters.CharFilter(method="filter_industry", label="行业代码（两位大类或四位小类）")
    sequence = django_filters.ChoiceFilter(choices=Sequence.choices, method="filter_sequence", label="序列")
    tier = django_filters.ChoiceFilter(
        choices=Tier.choices, field_name="green_factory__tier", label="绿色工厂级别"
    )
    status = django_filters.ChoiceFilter(
        choices=GreenFactoryStatus.choices, field_name="green_factory__status", label="绿色工厂状态"
    )
    q = django_filters.CharFilter(method="filter_q", label="名称或信用代码")

    class Meta:
        model = Enterprise
        fields = ["district", "industry", "sequence", "tier", "status", "legal_form"]

    def filter_industry(self, queryset, name, value):  # type: ignore[no-untyped-def]
        value = value.strip()
        return (
            queryset.filter(industry_code__startswith=value)
            if len(value) > 2
            else queryset.filter(industry_id=value)
        )

    def filter_sequence(self, queryset, name, value):  # type: ignore[no-untyped-def]
        return queryset.green_factories() if value == Sequence.GREEN_FACTORY else queryset.others()

    def filter_q(self, queryset, name, value):  # type: ignore[no-untyped-def]
        value = value.strip()
        return (
            queryset.filter(Q(name__icontains=value) | Q(credit_code__icontains=value.upper()))
            if value
            else queryset
        )


class GreenFactoryFilter(django_filters.FilterSet):
    district = django_filters.CharFilter(field_name="enterprise__district__code", label="管理单位代码")
    industry = django_filters.CharFilter(field_name="enterprise__industry__code", label="行业大类代码")
    q = django_filters.CharFilter(method="filter_q", label="企业名称或信用代码")

    class Meta:
        model = GreenFactory
        fields = ["tier", "status", "recognized_year", "district", "industry"]

    def filter_q(self, queryset, name, value):  # type: ignore[no-untyped-def]
        value = value.strip()
        return (
            queryset.filter(
                Q(enterprise__name__icontains=value) | Q(enterprise__credit_code__icontains=value.upper())
            )
            if value
            else queryset
        )
