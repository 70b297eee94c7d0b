"""Reads of the cultivation pool: overdue supervision, the recommendation list, districts that have not
reported, and the figures of a district's annual report (Art. 11, 12)."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from accounts.permissions import can
from cultivation.models import (
    GUIDED_KINDS,
    HOLDING_STATUSES,
    LEVEL_ORDER,
    SUPERVISED_KINDS,
    BCertification,
    CertificationStatus,
    DistrictReport,
    DistrictStandard,
    IrregularReview,
    Level,
    LevelDecision,
    MembershipStatus,
    PoolMembership,
    ReportStatus,
    SupervisionRecord,
)
from factories.models import District
from factories.models.register import DistrictQuerySet

OVERDUE_AFTER_MONTHS = 12
REPORTED_STATUSES = (ReportStatus.SUBMITTED, ReportStatus.ACKNOWLEDGED)


def _months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` earlier, clamped to the month's end (31 March − 1 month = 28/29 February)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def overdue_supervision(user: Any, today: dt.date | None = None) -> QuerySet[PoolMembership]:
    """Active members the district should visit: never supervised or guided, or whose latest supervision
    or guidance record of any kind is more than 12 months old."""
    cutoff = _months_before(today or timezone.localdate(), OVERDUE_AFTER_MONTHS)
    records = SupervisionRecord.objects.filter(membership=OuterRef("pk"))
    return (
        PoolMembership.objects.visible_to(user)
        .filter(status=MembershipStatus.ACTIVE)
        .annotate(
            last_record_on=Max("supervision_records__date"),
            has_supervision=Exists(records.filter(kind__in=SUPERVISED_KINDS)),
            has_guidance=Exists(records.filter(kind__in=GUIDED_KINDS)),
        )
        .filter(Q(has_supervision=False, has_guidance=False) | Q(last_record_on__lt=cutoff))
        .select_related("enterprise", "enterprise__district")
        .order_by("last_record_on", "enterprise__name")
    )


def recommended_b_factories(user: Any) -> QuerySet[BCertification]:
    """Certified B-level factories (区县级绿色工厂) of active members: recommended for city-level application
    (Art. 11(1))."""
    return (
        BCertification.objects.visible_to(user)
        .filter(status=CertificationStatus.CERTIFIED, membership__status=MembershipStatus.ACTIVE)
        .select_related(
            "membership__enterprise",
            "membership__enterprise__district",
            "district",
            "applied_by",
            "reviewed_by",
        )
        .order_by("district_id", "certificate_no")
    )


def districts_missing_report(user: Any, year: int) -> DistrictQuerySet:
    """Management units in force on 31 December of Y that have not submitted their report for Y (a draft or
    returned report does not count). City staff and auditors see every unit, a district user its own."""
    units = District.objects.in_force_on(dt.date(year, 12, 31))
    if not user.sees_whole_city:
        if not can(user, "district_report.submit"):
            return units.none()  # only a unit that reports has a report to miss
        units = units.filter(pk=user.district_id)
    report = DistrictReport.objects.filter(district=OuterRef("pk"), year=year)
    return (
        units.exclude(pool_reports__year=year, pool_reports__status__in=REPORTED_STATUSES)
        .annotate(
            report_status=Subquery(report.values("status")[:1]), report_id=Subquery(report.values("pk")[:1])
        )
        .order_by("code")
    )


def report_figures(*, district: District, year: int) -> dict[str, Any]:
    """The figures of a district's report for Y, aggregated in SQL.

    Counted over the pool members whose enterprise is in the unit now (so a merged unit's successor reports
    the members it inherited). Levels, moves and B titles are those of the pool on 31 December of Y: a member
    who joined later is not counted even when it has a level for Y.
    """
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    members = PoolMembership.objects.filter(enterprise__district=district)
    at_year_end = members.filter(joined_on__lte=end).filter(Q(exited_on__isnull=True) | Q(exited_on__gt=end))
    left = dict(
        members.filter(exited_on__range=(start, end))
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    decisions = LevelDecision.objects.filter(year=year, membership__in=at_year_end)
    by_level: dict[str, int] = dict(
        decisions.order_by().values("level").annotate(n=Count("pk")).values_list("level", "n")
    )
    previous = LevelDecision.objects.filter(enterprise=OuterRef("enterprise"), year=year - 1)
    previous_level = previous.values("level")[:1]
    moves: dict[str, list[dict[str, Any]]] = {"up": [], "down": []}
    rank: dict[str, int] = {level: index for index, level in enumerate(LEVEL_ORDER)}
    for enterprise_id, name, before, after in (
        decisions.annotate(before=Subquery(previous_level))
        .exclude(before=None)
        .exclude(before=F("level"))
        .values_list("enterprise_id", "enterprise__name", "before", "level")
        .order_by("enterprise__name")
    ):
        moves["up" if rank[after] > rank[before] else "down"].append(
            {"enterprise": enterprise_id, "name": name, "from": before, "to": after}
        )
    certifications = BCertification.objects.filter(membership__enterprise__district=district)
    # Held on 31 December: certified by then, not ended by then, and its holder still in the pool.
    held = certifications.filter(membership__in=at_year_end, certified_at__date__lte=end).filter(
        Q(status__in=HOLDING_STATUSES) | Q(ended_at__date__gt=end)
    )
    recommended = [
        {"enterprise": enterprise_id, "name": name, "certificate_no": number}
        for enterprise_id, name, number in held.order_by("certificate_no").values_list(
            "membership__enterprise_id", "membership__enterprise__name", "certificate_no"
        )
    ]
    reviews = IrregularReview.objects.filter(
        membership__enterprise__district=district, opened_at__date__range=(start, end)
    )
    in_force = DistrictStandard.objects.filter(district=district).order_by("-version").first()
    pool_size = at_year_end.count()
    return {
        "year": year,
        "district": district.pk,
        "pool_size": pool_size,
        "levels": {level: by_level.get(level, 0) for level in Level.values},
        "levels_not_computed": pool_size - sum(by_level.values()),
        # The same holders as `certified_b_total` (held on 31 December), counted among the members with a
        # level for the year: a certification granted after the year ended (for that year's level) used to
        # count here while the year-end total said 0.
        "certified_b": decisions.filter(enterprise_id__in=held.values("membership__enterprise_id")).count(),
        "entries": members.filter(joined_on__range=(start, end)).count(),
        "exits": left.get(MembershipStatus.EXITED, 0),
        "graduations": left.get(MembershipStatus.GRADUATED, 0),
        "upgrades": len(moves["up"]),
        "downgrades": len(moves["down"]),
        "upgraded": moves["up"],
        "downgraded": moves["down"],
        "certifications": certifications.filter(certified_at__date__range=(start, end)).count(),
        "certified_b_total": len(recommended),
        "recommended": recommended,
        "reviews": reviews.count(),
        "falsifications": reviews.filter(falsification=True).count(),
        "standard_versions": sorted(set(decisions.values_list("standard__version", flat=True))),
        "standard_in_force": in_force.version if in_force else 1,
    }


def with_latest_level(memberships: QuerySet, level: str = "") -> QuerySet:
    """Members with the year, level, gap to B and B certification of their latest level decision, and
    only those whose latest level is ``level`` when one is given (the member list and its export)."""
    latest = LevelDecision.objects.filter(membership=OuterRef("pk")).order_by("-year")
    memberships = memberships.annotate(
        latest_year=Subquery(latest.values("year")[:1]),
        latest_level=Subquery(latest.values("level")[:1]),
        latest_gap=Subquery(latest.values("level_gap")[:1]),
        latest_certified=Subquery(latest.values("certified_b")[:1]),
    )
    if level in Level.values:
        memberships = memberships.filter(latest_level=level)
    return memberships
