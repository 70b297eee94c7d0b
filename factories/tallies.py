"""Counts of the register and of the published grades from the summary tables (`factories.models.tallies`).

Every function answers exactly what the matching live query over `visible_to(user)` answers, or None when
the tallies cannot answer for this user or database — then the caller counts live, as before:

- only on PostgreSQL (the triggers that keep the tallies exist only there);
- only for the city-wide roles and a district user (a tally row is per management unit; an enterprise user's
  own rows are few and counted live).
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from accounts.scoping import district_scope
from factories.models import GradeTally, GreenFactoryStatus, RegisterTally, Tier
from factories.models.grading import showing_results


def available() -> bool:
    return connection.vendor == "postgresql"


def unit_filter(user: Any, column: str = "district") -> dict[str, Any] | None:
    """The filter on a tally's unit column that keeps what `ScopedQuerySet.visible_to(user)` keeps (for the
    models scoped by the enterprise's unit), or None: count live."""
    if not available() or user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.sees_whole_city:
        return {}
    if (district := district_scope(user)) is not None:
        return {column: district}
    return None


def total(field: str = "n", **condition: Any) -> Any:
    """SUM(n) [FILTER (WHERE …)], 0 when no row."""
    return Coalesce(Sum(field, filter=Q(**condition) if condition else None), 0)


def enterprise_count(user: Any) -> int | None:
    """`Enterprise.objects.visible_to(user).count()`."""
    scope = unit_filter(user)
    if scope is None:
        return None
    return int(RegisterTally.objects.filter(green_status="", **scope).aggregate(n=total())["n"])


def register_counts(user: Any) -> dict[str, int] | None:
    """Enterprises, active green factories and those by tier (the dashboard's register tiles)."""
    scope = unit_filter(user)
    if scope is None:
        return None
    active = GreenFactoryStatus.ACTIVE
    return RegisterTally.objects.filter(**scope).aggregate(
        enterprises=total(green_status=""),
        green_factories=total(green_status=active),
        city_tier=total(green_status=active, tier=Tier.CITY),
        national_tier=total(green_status=active, tier=Tier.NATIONAL),
    )


def enterprises_by_unit(user: Any) -> dict[str, tuple[str, int]] | None:
    """{unit code: (unit name, enterprises)} for the units with enterprises in the scope."""
    scope = unit_filter(user)
    if scope is None:
        return None
    rows = RegisterTally.objects.filter(green_status="", n__gt=0, **scope).values_list(
        "district_id", "district__name", "n"
    )
    return {code: (name, n) for code, name, n in rows}


def published_grades(user: Any) -> QuerySet[GradeTally] | None:
    """Tally rows of the results `published_grades(user)` shows today (group them with `total()`)."""
    scope = unit_filter(user, "scope_district")
    if scope is None:
        return None
    return GradeTally.objects.filter(showing_results("run__"), n__gt=0, **scope)


def published_grade_count(user: Any) -> int | None:
    """`GradingResult.objects.visible_to(user).published().count()`."""
    rows = published_grades(user)
    return None if rows is None else int(rows.aggregate(n=total())["n"])
