"""Reads for the statistics dashboards (统计看板): every number is counted in SQL inside the user's scope.

Each selector takes the user first and starts from ``.visible_to(user)`` (or ``published_grades(user)``,
which does), so a district user's dashboard is built only from its own unit's rows and an enterprise
user's only from its own. Grouping happens in the database (``values().annotate()``); Python only
reshapes the handful of aggregated rows (one per district, industry or year) for the charts.

The register, submission and grade figures of the city and district dashboards are read from the summary
tables (``factories.tallies``, ``reporting.tallies``: a few hundred rows kept exact by the database in the
transaction of every write) instead of counting 100,000 rows per request; where they cannot answer (an
enterprise user, a database other than PostgreSQL) the same figures are counted live, and a test compares
both after the workflow's writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, FilteredRelation, Q, QuerySet

from accounts.permissions import can
from cultivation.models import Level, MembershipStatus, PoolMembership
from factories import tallies
from factories.grading.selectors import published_grades
from factories.models import Enterprise, Grade, GradingResult, GreenFactoryStatus, Tier
from reporting import tallies as submission_tallies
from reporting.models import AnnualSubmission, ReportingYear, SubmissionStatus

REPORTED = (SubmissionStatus.SUBMITTED, SubmissionStatus.DISTRICT_APPROVED, SubmissionStatus.CITY_VERIFIED)
STATUSES = tuple(SubmissionStatus)


def _rows(aggregates: Any) -> list[dict[str, Any]]:
    """Aggregated rows (one per group, never per record) as plain dicts for the charts."""
    return [dict(row) for row in aggregates]


def _grade_counts() -> dict[str, Count]:
    return {**{g: Count("id", filter=Q(grade=g)) for g in Grade.values}, "total": Count("id")}


def _grade_tallies() -> dict[str, Any]:
    return {**{g: tallies.total(grade=g) for g in Grade.values}, "total": tallies.total()}


# --- years ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DashboardYears:
    """The years a dashboard can show (newest first) and the one it opens on."""

    years: list[int]
    default: int | None


def dashboard_years(user: Any) -> DashboardYears:
    """Years with published grades in the user's scope or an opened reporting year; default: the latest
    year with published grades, else the latest reporting year."""
    tallied = tallies.published_grades(user)
    graded = set(
        (published_grades(user) if tallied is None else tallied)
        .order_by()
        .values_list("year", flat=True)
        .distinct()
    )
    opened = set(ReportingYear.objects.visible_to(user).order_by().values_list("year", flat=True))
    years = sorted(graded | opened, reverse=True)
    default = max(graded) if graded else (max(opened) if opened else None)
    return DashboardYears(years=years, default=default)


# --- register and reporting -----------------------------------------------------------------------


def register_counts(user: Any) -> dict[str, int]:
    """Registered enterprises and active green factories by tier, in one query."""
    tallied = tallies.register_counts(user)
    if tallied is not None:
        return tallied
    active = Q(green_factory__status=GreenFactoryStatus.ACTIVE)
    return Enterprise.objects.visible_to(user).aggregate(
        enterprises=Count("id"),
        green_factories=Count("id", filter=active),
        city_tier=Count("id", filter=active & Q(green_factory__tier=Tier.CITY)),
        national_tier=Count("id", filter=active & Q(green_factory__tier=Tier.NATIONAL)),
    )


def submission_counts(user: Any, year: int) -> dict[str, int]:
    """Submissions of year Y by status (plus late ones and those submitted or further along)."""
    tallied = submission_tallies.submissions(user, year=year)
    if tallied is not None:
        return tallied.aggregate(
            total=tallies.total(),
            reported=tallies.total(status__in=REPORTED),
            late=tallies.total(late=True),
            **{status.value: tallies.total(status=status) for status in STATUSES},
        )
    return (
        AnnualSubmission.objects.visible_to(user)
        .filter(year=year)
        .aggregate(
            total=Count("id"),
            reported=Count("id", filter=Q(status__in=REPORTED)),
            late=Count("id", filter=Q(late=True)),
            **{status.value: Count("id", filter=Q(status=status)) for status in STATUSES},
        )
    )


def completeness_by_district(user: Any, year: int) -> list[dict[str, Any]]:
    """Per management unit: registered enterprises, their submissions of Y by status, and the share
    submitted or further along. Units follow the enterprises' current unit, like the register."""
    rows = _completeness_from_tallies(user, year)
    if rows is None:
        rows = _completeness_counted(user, year)
    for row in rows:
        row["rate"] = 100.0 * row["reported"] / row["registered"] if row["registered"] else 0.0
    return rows


def _completeness_from_tallies(user: Any, year: int) -> list[dict[str, Any]] | None:
    units = tallies.enterprises_by_unit(user)
    filed = submission_tallies.submissions(user, year=year)
    if units is None or filed is None:
        return None
    by_unit: dict[str, dict[str, Any]] = {
        row["district"]: dict(row)
        for row in filed.values("district").annotate(
            filed=tallies.total(),
            reported=tallies.total(status__in=REPORTED),
            **{status.value: tallies.total(status=status) for status in STATUSES},
        )
    }
    rows = []
    for code, (name, registered) in sorted(units.items()):
        counts: dict[str, Any] = by_unit.get(code, {})
        row: dict[str, Any] = {
            "key": code,
            "label": name,
            "registered": registered,
            "reported": counts.get("reported", 0),
        }
        row["missing"] = registered - counts.get("filed", 0)
        row.update({status.value: counts.get(status.value, 0) for status in STATUSES})
        rows.append(row)
    return rows


def _completeness_counted(user: Any, year: int) -> list[dict[str, Any]]:
    filed = FilteredRelation("submissions", condition=Q(submissions__year=year))
    return _rows(
        Enterprise.objects.visible_to(user)
        .annotate(filed=filed)
        .values(key=F("district__code"), label=F("district__name"))
        .annotate(
            registered=Count("id"),
            reported=Count("filed", filter=Q(filed__status__in=REPORTED)),
            missing=Count("id", filter=Q(filed__isnull=True)),
            **{status.value: Count("filed", filter=Q(filed__status=status)) for status in STATUSES},
        )
        .order_by("key")
    )


# --- grades ---------------------------------------------------------------------------------------


def _published_in(user: Any, year: int) -> QuerySet[GradingResult]:
    return published_grades(user).filter(year=year).order_by()


def grades_by_district(user: Any, year: int) -> list[dict[str, Any]]:
    """Published grades of Y per management unit (the unit at grading time), most factories first."""
    tallied = tallies.published_grades(user)
    if tallied is not None:
        return _rows(
            tallied.filter(year=year)
            .values(key=F("district__code"), label=F("district__name"))
            .annotate(**_grade_tallies())
            .order_by(F("total").desc(), "key")
        )
    return _rows(
        _published_in(user, year)
        .values(key=F("district__code"), label=F("district__name"))
        .annotate(**_grade_counts())
        .order_by(F("total").desc(), "key")
    )


def grades_by_industry(user: Any, year: int) -> list[dict[str, Any]]:
    """Published grades of Y per industry division (GB/T 4754 大类), most factories first."""
    tallied = tallies.published_grades(user)
    if tallied is not None:
        return _rows(
            tallied.filter(year=year)
            .values(key=F("industry__code"), label=F("industry__name"))
            .annotate(**_grade_tallies())
            .order_by(F("total").desc(), "key")
        )
    return _rows(
        _published_in(user, year)
        .values(key=F("industry__code"), label=F("industry__name"))
        .annotate(**_grade_counts())
        .order_by(F("total").desc(), "key")
    )


def grade_trend(user: Any) -> list[dict[str, Any]]:
    """Published grades per year, oldest first."""
    tallied = tallies.published_grades(user)
    if tallied is not None:
        return _rows(tallied.order_by().values("year").annotate(**_grade_tallies()).order_by("year"))
    return _rows(
        published_grades(user).order_by().values("year").annotate(**_grade_counts()).order_by("year")
    )


def fold_tail(rows: list[dict[str, Any]], keep: int, label: str) -> list[dict[str, Any]]:
    """The first `keep` rows, and the rest summed into one row named `label` (rows are aggregates)."""
    if len(rows) <= keep:
        return rows
    rest = rows[keep:]
    other: dict[str, Any] = {"key": "", "label": label, "others": len(rest)}
    for key in (*Grade.values, "total"):
        other[key] = sum(row[key] for row in rest)
    return [*rows[:keep], other]


# --- one enterprise -------------------------------------------------------------------------------


def own_grades(user: Any) -> list[GradingResult]:
    """The published grades of the user's own enterprise, oldest first (empty for other roles)."""
    if not can(user, "enterprise.view_own") or not user.enterprise_id:
        return []
    return list(
        published_grades(user)
        .filter(enterprise_id=user.enterprise_id)
        .select_related("run__standard")
        .order_by("year")
    )


def own_submission(user: Any, year: int) -> AnnualSubmission | None:
    if not can(user, "enterprise.view_own") or not user.enterprise_id:
        return None
    return (
        AnnualSubmission.objects.visible_to(user).filter(enterprise_id=user.enterprise_id, year=year).first()
    )


# --- cultivation pool -----------------------------------------------------------------------------


def pool_by_district(user: Any, year: int) -> list[dict[str, Any]]:
    """Active pool members per management unit (their current unit) and how far they got in year Y.

    Funnel stages are cumulative: members → level C or above → B-eligible → certified B, each a part of
    the one before: certified B counts the members whose level of Y is B-eligible and was covered by a B
    certification (the decision's ``certified_b``). Counting certifications in force today instead made the
    2024 funnel rise from 0 B-eligible to 1 certified. The ``only_*`` counts split the members into
    exclusive groups for a stacked bar.
    """
    uncertified = Q(levels__certified_b=False)
    return _rows(
        PoolMembership.objects.visible_to(user)
        .filter(status=MembershipStatus.ACTIVE)
        .annotate(
            levels=FilteredRelation("level_decisions", condition=Q(level_decisions__year=year)),
        )
        .values(key=F("enterprise__district__code"), label=F("enterprise__district__name"))
        .annotate(
            members=Count("id"),
            c_or_above=Count("id", filter=Q(levels__level__in=(Level.C, Level.B_ELIGIBLE))),
            b_eligible=Count("id", filter=Q(levels__level=Level.B_ELIGIBLE)),
            certified=Count("id", filter=Q(levels__level=Level.B_ELIGIBLE, levels__certified_b=True)),
            only_b=Count("id", filter=Q(levels__level=Level.B_ELIGIBLE) & uncertified),
            only_c=Count("id", filter=Q(levels__level=Level.C) & uncertified),
        )
        .order_by("key")
    )


__all__ = [
    "REPORTED",
    "STATUSES",
    "DashboardYears",
    "completeness_by_district",
    "dashboard_years",
    "fold_tail",
    "grade_trend",
    "grades_by_district",
    "grades_by_industry",
    "own_grades",
    "own_submission",
    "pool_by_district",
    "register_counts",
    "submission_counts",
]
