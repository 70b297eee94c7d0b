import django_filters

from accounts.models import AuditEntry, User


class UserFilter(django_filters.FilterSet):
    district = django_filters.CharFilter(field_name="district__code")

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
