"""Reads for grading: published grades, run diffs, simulation moves, explanation cards, recommendations."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from factories.catalogues.selectors import same_as_label, with_parts
from factories.grading.standard import specs_from_catalogue_data, standard_from_dict
from factories.indicators import Catalogue, Direction, get_catalogue
from factories.models import (
    CatalogueIndicator,
    CatalogueVersion,
    Enterprise,
    Grade,
    GradingResult,
    GradingRun,
    GreenFactory,
    ProposalStatus,
    RevocationProposal,
    RunStatus,
)
from factories.scoring import IndicatorSpec


def published_grades(user: Any) -> QuerySet[GradingResult]:
    """The grades the public notice or final publication of each year shows, scoped to the user."""
    return (
        GradingResult.objects.visible_to(user)
        .published()
        .select_related("enterprise", "district", "industry")
    )


@dataclass(frozen=True)
class DataReadiness:
    """Where the data of year Y's grading population stand (Art. 7, 9): only city-verified data are graded."""

    year: int
    closes_on: dt.date | None
    window_closed: bool
    verified: int
    pending: int
    none: int
    pending_by_district: list[tuple[str, int]]  # (district name, count), largest first
    catalogue: str | None = None  # the code of the catalogue Y's data are reported on, when Y is open

    @property
    def population(self) -> int:
        return self.verified + self.pending + self.none

    def as_record(self) -> dict[str, Any]:
        """The counts as stored on a run when it starts."""
        return {
            "verified": self.verified,
            "pending": self.pending,
            "none": self.none,
            "pending_by_district": [{"district": name, "count": n} for name, n in self.pending_by_district],
            "closes_on": self.closes_on.isoformat() if self.closes_on else None,
        }


def own_enterprise_is_graded(user: Any) -> bool:
    """Whether the user's own enterprise takes part in the AAAA–A grading: it is or was a recognised green
    factory (Art. 7). A pool enterprise is not graded, and is told so instead of being promised a grade."""
    return GreenFactory.objects.filter(enterprise__users=user).exists()


def data_readiness(year: int, *, today: dt.date | None = None) -> DataReadiness:
    """The reporting window of Y and, for the factories graded for Y, how many have verified data, how many
    are still under review (submitted or district-approved, by district) and how many have none."""
    from reporting.models import AnnualSubmission, ReportingYear, SubmissionStatus

    today = today or timezone.localdate()
    window = ReportingYear.objects.filter(year=year).first()
    population = GreenFactory.objects.active_on(dt.date(year, 12, 31)).values("enterprise_id")
    submissions = AnnualSubmission.objects.filter(year=year, enterprise_id__in=population)
    verified = submissions.filter(status=SubmissionStatus.CITY_VERIFIED).count()
    under_review = submissions.filter(
        status__in=[SubmissionStatus.SUBMITTED, SubmissionStatus.DISTRICT_APPROVED]
    )
    by_district = [
        (row["district__name"], row["n"])
        for row in under_review.values("district__name")
        .annotate(n=Count("id"))
        .order_by("-n", "district__name")
    ]
    pending = sum(n for _, n in by_district)
    total = GreenFactory.objects.active_on(dt.date(year, 12, 31)).count()
    return DataReadiness(
        year=year,
        closes_on=window.closes_on if window else None,
        window_closed=bool(window and window.closes_on < today),
        verified=verified,
        pending=pending,
        none=total - verified - pending,
        pending_by_district=by_district,
        catalogue=window.catalogue_version if window else None,
    )


def published_run(year: int) -> GradingRun | None:
    return (
        GradingRun.objects.published()
        .filter(year=year, superseded_by__isnull=True)
        .order_by("-published_at", "-id")
        .first()
    )


def recommendations(user: Any, year: int | None = None) -> QuerySet[GradingResult]:
    """City-level green factories graded AA or above in the published run (Art. 8), scoped to the user.

    The one source of the national-level list: the page, `/api/v1/recommendations/` and the
    `recommendations` export all read it. A factory whose title has been revoked since, or which a
    revocation proposal still waits on (Art. 12: the city has not decided yet), is not recommended.
    """
    pending = RevocationProposal.objects.filter(status=ProposalStatus.PROPOSED).values("enterprise_id")
    queryset = (
        published_grades(user)
        .filter(tier="city", grade__in=Grade.at_least(Grade.AA), enterprise__green_factory__status="active")
        .exclude(enterprise_id__in=pending)
    )
    if year is not None:
        queryset = queryset.filter(year=year)
    return queryset.order_by("-year", "-composite_score", "enterprise_id")


def diff_base(run: GradingRun) -> GradingRun | None:
    """The run `run` is compared with: the publication it replaced, or else the year's current one."""
    replaced = (
        GradingRun.objects.filter(superseded_by=run)
        .select_related("standard")
        .order_by("-published_at", "-id")
    ).first()
    if replaced is not None:
        return replaced
    base = published_run(run.year)
    return None if base is None or base.pk == run.pk else base


DIFF_CAUSES = ("data", "incident", "score", "standard")
"""Why a factory moved: its verified data appeared or went missing (or it entered or left the population),
an incident acted on it, its composite score changed, or the standard changed."""


def _incident_codes(reasons: list[dict[str, Any]]) -> set[str]:
    return {
        f"{r.get('code')}:{(r.get('params') or {}).get('incident_id', '')}"
        for r in reasons or []
        if str(r.get("code", "")).startswith("INCIDENT_")
    }


def _causes(before: dict[str, Any] | None, after: GradingResult | None, same_standard: bool) -> list[str]:
    if before is None or after is None:
        return ["data"]
    causes = []
    if ("no_data" in (before["flags"] or [])) != ("no_data" in (after.flags or [])):
        causes.append("data")
    if _incident_codes(before["reasons"]) != _incident_codes(after.reasons):
        causes.append("incident")
    if before["composite_score"] != after.composite_score:
        causes.append("score")
    if not same_standard:
        causes.append("standard")
    return causes or ["score"]


def run_diff(run: GradingRun, base: GradingRun | None = None) -> list[dict[str, Any]]:
    """Who moved from what to what between `base` (by default the run `run` replaced, or the year's
    published run) and `run`, and why (data, incident, score or standard change)."""
    base = base or diff_base(run)
    if base is None or base.pk == run.pk:
        return []
    old: dict[int, dict[str, Any]] = {
        row["enterprise_id"]: dict(row)
        for row in base.results.values("enterprise_id", "grade", "composite_score", "flags", "reasons")
    }
    same_standard = base.standard_id == run.standard_id
    order = {
        grade: rank for rank, grade in enumerate(reversed(standard_from_dict(run.standard.parameters).grades))
    }
    moves = []
    for result in run.results.select_related("enterprise", "district").order_by("enterprise__name"):
        previous = old.pop(result.enterprise_id, None)
        before = previous["grade"] if previous else None
        if before != result.grade:
            moves.append(
                {
                    "enterprise": result.enterprise,
                    "district": result.district,
                    "from": before,
                    "to": result.grade,
                    "decided_by": result.decided_by,
                    "reasons": result.reasons,
                    "direction": _direction(before, result.grade, order),
                    "composite_from": previous["composite_score"] if previous else None,
                    "composite_to": result.composite_score,
                    "causes": _causes(previous, result, same_standard),
                }
            )
    for enterprise in Enterprise.objects.filter(pk__in=old).select_related("district"):
        moves.append(
            {
                "enterprise": enterprise,
                "district": enterprise.district,
                "from": old[enterprise.pk]["grade"],
                "to": None,
                "decided_by": "NOT_IN_POPULATION",
                "reasons": [],
                "direction": "out",
                "composite_from": old[enterprise.pk]["composite_score"],
                "composite_to": None,
                "causes": ["data"],
            }
        )
    return moves


def _direction(before: str | None, after: str | None, order: dict[str, int]) -> str:
    if before is None:
        return "new"
    if after is None:
        return "out"
    return "up" if order.get(after, -1) > order.get(before, -1) else "down"


def moves_by(run: GradingRun, base: GradingRun | None = None) -> dict[str, list[dict[str, Any]]]:
    """Grade moves of a (simulation) run against the published run, counted by district and by industry."""
    moves = run_diff(run, base)
    by_district: dict[str, Counter[str]] = defaultdict(Counter)
    by_industry: dict[str, Counter[str]] = defaultdict(Counter)
    for move in moves:
        by_district[move["district"].name][move["direction"]] += 1
        by_industry[move["enterprise"].industry_id][move["direction"]] += 1
    return {
        "district": [{"key": k, **v} for k, v in sorted(by_district.items())],
        "industry": [{"key": k, **v} for k, v in sorted(by_industry.items())],
    }


def grade_distribution(results: QuerySet[GradingResult], by: str) -> list[dict[str, Any]]:
    """Counts of each grade per `by` (e.g. "district__name", "industry_id", "year") in SQL."""
    rows = (
        results.values(key=F(by))
        .annotate(
            **{g: Count("id", filter=Q(grade=g)) for g in Grade.values},
            total=Count("id"),
        )
        .order_by("key")
    )
    return [dict(row) for row in rows]


def explanation(result: GradingResult) -> dict[str, Any]:
    """Everything the explanation card shows for one factory-year (§6 end), from the stored numbers."""
    from reporting.models import SubmissionStatus, SubmissionVersion
    from reporting.values import indicators_from_storage

    standard = standard_from_dict(result.run.standard.parameters)
    catalogue = catalogue_view(standard.catalogue_version)
    # The values the run graded: the locked version of each year's data current when the run started
    # (a later correction makes a new version, which this card must not mix with the stored percentiles).
    as_of = result.run.started_at or result.run.created_at
    versions: dict[int, Any] = {}
    for version in (
        SubmissionVersion.objects.filter(
            submission__enterprise_id=result.enterprise_id,
            submission__year__in=(result.year, result.year - 1),
            submission__status=SubmissionStatus.CITY_VERIFIED,
            created_at__lte=as_of,
        )
        .select_related("submission")
        .order_by("version")
    ):
        versions[version.submission.year] = version.indicators
    current = indicators_from_storage(versions[result.year]) if result.year in versions else {}
    previous = indicators_from_storage(versions[result.year - 1]) if result.year - 1 in versions else {}
    details = result.details
    indicators = []
    for indicator in catalogue.indicators:
        reading = current.get(indicator.code)
        before = previous.get(indicator.code)
        indicators.append(
            {
                "code": indicator.code,
                "name": indicator.name_zh,
                "unit": indicator.unit,
                "dimension": catalogue.dimension(indicator.dimension).name_zh,
                "direction": str(indicator.direction),
                "value": None if reading is None or reading.value is None else reading.value,
                "status": str(reading.status) if reading else "no_data",
                "previous": None if before is None else before.value,
                "percentile": details.get("percentiles", {}).get(indicator.code),
                "rate": details.get("improvement_rates", {}).get(indicator.code),
            }
        )
    dimensions = [
        {
            "code": d.code,
            "name": d.name_zh,
            "weight": standard.weights.get(d.code),
            "score": details.get("dimension_scores", {}).get(d.code),
            "improvement": details.get("dimension_improvement", {}).get(d.code),
        }
        for d in catalogue.dimensions
    ]
    return {
        "result": result,
        "standard": result.run.standard,
        "indicators": indicators,
        "dimensions": dimensions,
        "next_band": details.get("next_band"),
        "reasons": result.reasons,
        "bands": [
            {"grade": b.grade, "q_below": b.q_below, "c_min": b.c_min, "dimension_min": b.dimension_min}
            for b in standard.bands
        ],
    }


def runs_for(user: Any) -> QuerySet[GradingRun]:
    return GradingRun.objects.visible_to(user).select_related("standard", "started_by")


__all__ = [
    "DataReadiness",
    "RunStatus",
    "data_readiness",
    "diff_base",
    "explanation",
    "grade_distribution",
    "moves_by",
    "published_grades",
    "published_run",
    "recommendations",
    "run_diff",
    "runs_for",
]


def objection_remedy_corrections(user: Any, objection: Any) -> QuerySet[Any]:
    """The correction requests an accepted objection may name as its data correction: those of the objected
    enterprise's submission of the graded year, still pending or approved (a rejected one corrects nothing),
    newest first."""
    from reporting.models import CorrectionRequest, CorrectionStatus

    return (
        CorrectionRequest.objects.visible_to(user)
        .filter(
            submission__enterprise_id=objection.enterprise_id,
            submission__year=objection.run.year,
            status__in=[CorrectionStatus.PENDING, CorrectionStatus.APPROVED],
        )
        .select_related("submission__enterprise", "requested_by")
        .order_by("-requested_at", "-pk")
    )


def objection_submission(user: Any, objection: Any) -> Any:
    """The objected enterprise's submission of the graded year (where a correction is requested), or None."""
    from reporting.models import AnnualSubmission

    return (
        AnnualSubmission.objects.visible_to(user)
        .filter(enterprise_id=objection.enterprise_id, year=objection.run.year)
        .first()
    )


def objection_correction(user: Any, objection: Any) -> Any:
    """The correction request an accepted objection named as its remedy, if the user may see it."""
    from reporting.models import CorrectionRequest

    if not objection.remedy_correction_id:
        return None
    return CorrectionRequest.objects.visible_to(user).filter(pk=objection.remedy_correction_id).first()


# --- the catalogue a standard names ---------------------------------------------------------------------


def standard_catalogue(code: str) -> CatalogueVersion | None:
    """The catalogue version a grading standard names (its ``catalogue_version``), with its indicators."""
    return with_parts(CatalogueVersion.objects.filter(code=code)).first()


def grading_specs(catalogue: CatalogueVersion) -> tuple[IndicatorSpec, ...]:
    """The engine's view of a catalogue version's indicators, in catalogue order, with their same_as."""
    return specs_from_catalogue_data(
        [
            {
                "code": i.code,
                "dimension": i.dimension,
                "direction": i.direction,
                "is_percent": i.is_percent,
                "same_as": same_as_label(i),
            }
            for i in catalogue.indicators.all()
        ]
    )


def dimension_names(catalogue: CatalogueVersion) -> dict[str, tuple[str, str]]:
    """code → (Chinese, English) name of each dimension of a catalogue version, in catalogue order."""
    return {
        str(d.get("code", "")): (str(d.get("name_zh", "")), str(d.get("name_en", "")))
        for d in catalogue.dimensions or []
    }


def all_dimension_names() -> dict[str, tuple[str, str]]:
    """The dimension names of every catalogue version, to name a weight that belongs to another one."""
    names: dict[str, tuple[str, str]] = {}
    for dimensions in CatalogueVersion.objects.values_list("dimensions", flat=True):
        for d in dimensions or []:
            names.setdefault(str(d.get("code", "")), (str(d.get("name_zh", "")), str(d.get("name_en", ""))))
    return names


@dataclass(frozen=True)
class DimensionView:
    code: str
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class IndicatorView:
    code: str
    name_zh: str
    name_en: str
    unit: str
    unit_en: str
    direction: Direction
    dimension: str


@dataclass(frozen=True)
class CatalogueView:
    """What the grading pages show of a standard's catalogue: its dimensions and indicators, in order."""

    code: str
    title_zh: str
    dimensions: tuple[DimensionView, ...]
    indicators: tuple[IndicatorView, ...]

    @property
    def version(self) -> str:
        """The code, as the code catalogue calls it."""
        return self.code

    def dimension(self, code: str) -> DimensionView:
        """The dimension ``code``; StopIteration when the catalogue has none by that code."""
        return next(d for d in self.dimensions if d.code == code)


def catalogue_view(code: str) -> CatalogueView | Catalogue:
    """The catalogue version a standard names, as stored; the code catalogue when the database has none
    by that code (so GBT36132-2018 reads the same either way), the default one when no code is named."""
    if not code:
        return get_catalogue()
    # One query: pages that describe a run or a standard have a fixed query budget.
    rows = list(
        CatalogueIndicator.objects.filter(catalogue__code=code)
        .select_related("catalogue")
        .order_by("position", "id")
    )
    version = rows[0].catalogue if rows else CatalogueVersion.objects.filter(code=code).first()
    if version is None:
        return get_catalogue(code)
    return CatalogueView(
        code=version.code,
        title_zh=version.name,
        dimensions=tuple(DimensionView(c, zh, en) for c, (zh, en) in dimension_names(version).items()),
        indicators=tuple(
            IndicatorView(
                code=i.code,
                name_zh=i.name_zh,
                name_en=i.name_en,
                unit=i.unit,
                unit_en=i.unit_en,
                direction=Direction(i.direction),
                dimension=i.dimension,
            )
            for i in rows
        ),
    )
