import django_filters
from django.db.models import Q

from accounts.models import AuditEntry, User


class UserFilter(django_filters.FilterSet):
    """Accounts by role, active or not, unit (code; an enterprise account by its enterprise's unit),
    enterprise (id) and `q`, a part of the username or the name."""

    district = django_filters.CharFilter(method="filter_district", label="管理单位代码")
    q = django_filters.CharFilter(method="filter_q", label="用户名或姓名")

    def filter_district(self, queryset, name, value):  # type: ignore[no-untyped-def]
        return queryset.filter(Q(district__code=value) | Q(enterprise__district__code=value))

    def filter_q(self, queryset, name, value):  # type: ignore[no-untyped-def]
        return queryset.filter(
            Q(username__icontains=value) | Q(first_name__icontains=value) | Q(last_name__icontains=value)
        )

    class Meta:
        model = User
        fields = ["role", "district", "enterprise", "is_active"]


class AuditEntryFilter(django_filters.FilterSet):
    since = django_filters.DateFilter(field_name="at", lookup_expr="date__gte", label="起始日期")
    until = django_filters.DateFilter(field_name="at", lookup_expr="date__lte", label="截止日期")
    actor = django_filters.CharFilter(field_name="actor_name")

    class Meta:
        model = AuditEntry
        fields = ["action", "object_type", "object_id", "actor"]
