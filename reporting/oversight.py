"""Reviewer consistency (审核一致性, Art. 12: the city oversees how the districts review).

Per management unit and year, from the review chain's own records (SubmissionTransition):

- **return rate** — returns among the unit's review decisions (approve or return of submitted data);
- **median days to review** — from the submission (the latest `submit` before the decision) to the decision;
- **flagged approved without a comment** — the share of approvals of data carrying a ×3 year-on-year
  flag (AnnualSubmission.yoy_flags) that the reviewer approved with an empty comment;
- **late submissions** — data submitted after the year's close date (AnnualSubmission.late);
- **indicator distributions** — P10, Q1, median, Q3, P90 of an indicator over the unit's city-verified
  data (indicators are stored when the city verifies), against the whole city.

The unit is the one the data was filed under (`AnnualSubmission.district`), so a merger does not move
past reviews. City staff and auditors read every unit; a district user its own unit only, always
against the city-wide figures, which are aggregates over every unit and never show another unit's row.
Every figure is computed by the database (`accounts.aggregates`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, FloatField, Func, OuterRef, Q, QuerySet, Subquery
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from accounts.aggregates import Median, Percentile
from accounts.permissions import can
from factories.catalogues.bridge import IndicatorInfo, reporting_catalogue
from factories.models import District
from reporting.models import AnnualSubmission, ReportingYear, SubmissionStatus, SubmissionTransition

MIN_VALUES = 5
"""A distribution is drawn only over at least this many enterprises (the k = 5 rule of issue 18)."""

FRACTIONS = {"p10": 0.1, "q1": 0.25, "median": 0.5, "q3": 0.75, "p90": 0.9}


class DaysBetween(Func):
    """Days (with fractions) from the second timestamp to the first."""

    output_field = FloatField()
    arity = 2

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="(EXTRACT(EPOCH FROM (%(expressions)s)) / 86400.0)",
            arg_joiner=" - ",
            **extra,
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="(julianday(%(expressions)s))",
            arg_joiner=") - julianday(",
            **extra,
        )


@dataclass
class UnitFigures:
    """One row of the consistency table: a unit's (or the whole city's) review figures for a year."""

    unit_id: str | None
    name: str
    decisions: int = 0
    returns: int = 0
    median_days: float | None = None
    flagged_approvals: int = 0
    flagged_silent: int = 0
    submitted: int = 0
    late: int = 0

    @property
    def return_rate(self) -> float | None:
        return self.returns / self.decisions if self.decisions else None

    @property
    def flagged_silent_share(self) -> float | None:
        return self.flagged_silent / self.flagged_approvals if self.flagged_approvals else None

    @property
    def late_share(self) -> float | None:
        return self.late / self.submitted if self.submitted else None


@dataclass
class Distribution:
    """An indicator's spread over one unit's (or the city's) verified data; `shown` only with ≥ MIN_VALUES."""

    unit_id: str | None
    name: str
    count: int
    p10: float | None = None
    q1: float | None = None
    median: float | None = None
    q3: float | None = None
    p90: float | None = None

    @property
    def shown(self) -> bool:
        return self.count >= MIN_VALUES


def units_of(user: Any) -> list[str] | None:
    """The units whose rows `user` reads: None = every unit (city staff, auditors), else its own unit."""
    if not can(user, "oversight.view"):
        return []
    if user.sees_whole_city:
        return None
    return [user.district_id] if user.district_id else []


def _in_units(queryset: QuerySet, units: list[str] | None, lookup: str) -> QuerySet:
    return queryset if units is None else queryset.filter(**{f"{lookup}__in": units})


def _decisions(year: int) -> QuerySet[SubmissionTransition]:
    """The districts' review decisions on data of `year`: approving or returning submitted data."""
    submitted = (
        SubmissionTransition.objects.filter(
            submission=OuterRef("submission"), action="submit", at__lte=OuterRef("at")
        )
        .order_by("-at", "-id")
        .values("at")[:1]
    )
    return (
        SubmissionTransition.objects.filter(
            submission__year=year, from_status=SubmissionStatus.SUBMITTED, action__in=("approve", "return")
        )
        .annotate(submitted_at=Subquery(submitted))
        .annotate(days=DaysBetween(F("at"), F("submitted_at")))
    )


def _decision_figures() -> dict[str, Any]:
    flagged = Q(action="approve") & ~Q(submission__yoy_flags=[])
    return {
        "decisions": Count("id"),
        "returns": Count("id", filter=Q(action="return")),
        "median_days": Median("days"),
        "flagged_approvals": Count("id", filter=flagged),
        "flagged_silent": Count("id", filter=flagged & Q(reason="")),
    }


def _submission_figures() -> dict[str, Any]:
    return {
        "submitted": Count("id", filter=Q(submitted_at__isnull=False)),
        "late": Count("id", filter=Q(submitted_at__isnull=False, late=True)),
    }


def reviewer_figures(user: Any, year: int) -> tuple[list[UnitFigures], UnitFigures | None]:
    """The unit rows `user` may read (one per unit with data of `year`; a district always gets its own)
    and the whole-city row; ([], None) for a user without the right."""
    units = units_of(user)
    if units == []:
        return [], None
    by_unit: dict[str, dict[str, Any]] = {}
    decisions = _in_units(_decisions(year), units, "submission__district_id")
    for row in decisions.values("submission__district_id").annotate(**_decision_figures()).order_by():
        by_unit.setdefault(row.pop("submission__district_id"), {}).update(row)
    submissions = _in_units(AnnualSubmission.objects.filter(year=year), units, "district_id")
    for row in submissions.values("district_id").annotate(**_submission_figures()).order_by():
        by_unit.setdefault(row.pop("district_id"), {}).update(row)
    for unit in units or []:
        by_unit.setdefault(unit, {})
    names = dict(District.objects.filter(pk__in=by_unit).values_list("pk", "name"))
    order = dict(District.objects.filter(pk__in=by_unit).values_list("pk", "code"))
    rows = [
        UnitFigures(unit_id=unit, name=names.get(unit, unit), **figures)
        for unit, figures in sorted(by_unit.items(), key=lambda item: order.get(item[0], item[0]))
    ]
    city = UnitFigures(
        unit_id=None,
        name="",
        **_decisions(year).aggregate(**_decision_figures()),
        **AnnualSubmission.objects.filter(year=year).aggregate(**_submission_figures()),
    )
    return rows, city


def year_indicators(year: int) -> list[IndicatorInfo]:
    """The indicators of the catalogue `year` reports under."""
    reporting_year = ReportingYear.objects.filter(year=year).first()
    catalogue = (
        reporting_catalogue(reporting_year.catalogue_version) if reporting_year else reporting_catalogue()
    )
    return list(catalogue.indicators)


def indicator_value(code: str) -> Cast:
    """An indicator's stored value as a number (NULL when not applicable or not reported)."""
    return Cast(KT(f"indicators__{code}__value"), FloatField())


def _spread() -> dict[str, Any]:
    return {"count": Count("value"), **{key: Percentile("value", f) for key, f in FRACTIONS.items()}}


def distributions(user: Any, year: int, code: str) -> tuple[list[Distribution], Distribution | None]:
    """The spread of indicator `code` over each readable unit's city-verified data of `year`, and over
    the whole city's; ([], None) for a user without the right."""
    units = units_of(user)
    if units == []:
        return [], None
    verified = AnnualSubmission.objects.filter(year=year, status=SubmissionStatus.CITY_VERIFIED).annotate(
        value=indicator_value(code)
    )
    found = {
        row.pop("district_id"): row
        for row in _in_units(verified, units, "district_id")
        .values("district_id")
        .annotate(**_spread())
        .order_by()
    }
    for unit in units or []:
        found.setdefault(unit, {"count": 0})
    districts = {d.pk: d for d in District.objects.filter(pk__in=found)}
    rows = [
        Distribution(unit_id=unit, name=districts[unit].name, **figures)
        for unit, figures in sorted(found.items(), key=lambda item: districts[item[0]].code)
    ]
    for row in rows:
        if not row.shown:  # fewer than five enterprises: no figure of theirs leaves the database
            row.p10 = row.q1 = row.median = row.q3 = row.p90 = None
    city = Distribution(unit_id=None, name="", **verified.aggregate(**_spread()))
    if not city.shown:
        city.p10 = city.q1 = city.median = city.q3 = city.p90 = None
    return rows, city
