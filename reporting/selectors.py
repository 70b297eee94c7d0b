"""Reads for reporting: indicators of a submission, per-field value history, review queues, import summaries."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.db.models import (
    CharField,
    Count,
    DateTimeField,
    Exists,
    Func,
    IntegerField,
    JSONField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, NullIf
from django.utils.translation import gettext_lazy as _

from accounts.models import AuditEntry
from accounts.permissions import can
from factories.catalogues.bridge import reporting_catalogue
from factories.models import Enterprise
from reporting.models import (
    AnnualSubmission,
    AnomalySettings,
    Reminder,
    ReminderKind,
    ReportingYear,
    SubmissionStatus,
)
from reporting.values import compute_indicators, indicators_from_storage


def submission_indicators(submission: AnnualSubmission) -> list[dict[str, Any]]:
    """Derived indicators: stored ones once verified, computed on the fly before that."""
    catalogue = reporting_catalogue(submission.catalogue_version)
    if submission.status == SubmissionStatus.CITY_VERIFIED and submission.indicators:
        values = indicators_from_storage(submission.indicators)
    else:
        values = compute_indicators(submission.raw_values, submission.catalogue_version)
    rows = []
    for indicator in catalogue.indicators:
        iv = values[indicator.code]
        rows.append(
            {
                "code": indicator.code,
                "name": indicator.name_zh,
                "name_en": indicator.name_en,
                "dimension": indicator.dimension,
                "dimension_name": catalogue.dimension(indicator.dimension).name_zh,
                "direction": str(indicator.direction),
                "formula": indicator.formula_zh,
                "value": None if iv.value is None else format(iv.value, "f"),
                "unit": indicator.unit,
                "unit_en": indicator.unit_en,
                "formula_en": indicator.formula_en,
                "evidence_required": indicator.evidence_required,
                "same_as": indicator.same_as,
                "status": str(iv.status),
            }
        )
    return rows


def field_history(submission: AnnualSubmission) -> dict[str, list[dict[str, Any]]]:
    """Every recorded change of each raw field, oldest first, for reviewers."""
    history: dict[str, list[dict[str, Any]]] = {}
    entries = AuditEntry.objects.for_object(submission).order_by("at", "id")
    for entry in entries:
        for field, change in (entry.changes or {}).items():
            if field in ("status",) or not isinstance(change, list) or len(change) != 2:
                continue
            history.setdefault(field, []).append(
                {
                    "at": entry.at,
                    "actor": entry.actor_name,
                    "action": entry.action,
                    "old": change[0],
                    "new": change[1],
                    "reason": entry.reason,
                }
            )
    return history


def review_queue(user: Any) -> Any:
    """What waits for this reviewer: submitted data for whoever approves (a district), district-approved
    data for whoever verifies (the city); nothing for others."""
    queryset = AnnualSubmission.objects.visible_to(user).select_related("enterprise", "district")
    if can(user, "submission.approve"):
        return queryset.filter(status=SubmissionStatus.SUBMITTED)
    if can(user, "submission.verify"):
        return queryset.filter(status=SubmissionStatus.DISTRICT_APPROVED)
    return queryset.none()


def queue_counts(queue: QuerySet) -> dict[str, int]:
    """The figures above a review queue: everything waiting, late, with a ×3 jump, and with at least one
    anomaly flag still open (a flag every reviewer has dismissed no longer asks for attention)."""
    counts = queue.aggregate(
        total=Count("pk"),
        late=Count("pk", filter=Q(late=True)),
        flagged=Count("pk", filter=~Q(yoy_flags=[])),
    )
    if connection.vendor == "postgresql":
        open_flag = Q(anomaly_flags__contains=[{"dismissed": None}])
        counts["anomalies"] = queue.filter(open_flag).count()
    else:
        # SQLite (`make run`) cannot look inside a JSON list: count in Python on the small dev database.
        flags = queue.exclude(anomaly_flags=[]).values_list("anomaly_flags", flat=True)
        counts["anomalies"] = sum(any(not f.get("dismissed") for f in row or []) for row in flags)
    return counts


# The queue each reviewer works through, oldest first (the order of the queue pages).
QUEUE_ORDER = {"district": ("submitted_at", "pk"), "city": ("approved_at", "pk")}


def next_in_queue(user: Any, queue: str, params: Any, *, after: AnnualSubmission) -> AnnualSubmission | None:
    """The item the reviewer meets next in the same queue with the same filters (year, search): the first
    one after `after` in the queue's order, else the first one left (the queue may have moved on)."""
    from reporting.filters import SubmissionFilter

    order = QUEUE_ORDER.get(queue)
    if order is None:
        return None
    data = {k: params.get(k) for k in ("year", "q") if params.get(k)}
    items = SubmissionFilter(data or None, queryset=review_queue(user)).qs.exclude(pk=after.pk)
    field = order[0]
    since = getattr(after, field)
    later = items
    if since is not None:
        later = items.filter(Q(**{f"{field}__gt": since}) | Q(**{field: since, "pk__gt": after.pk}))
    return later.order_by(*order).first() or items.order_by(*order).first()


# --- chasing non-filers (催报) ------------------------------------------------------------------------

# What a non-filer's data of the year looks like: nothing yet, a draft never submitted, or data returned
# for changes and not yet submitted again.
NON_FILER_STATES = ("missing", "draft", "returned")


def latest_reporting_year() -> int | None:
    return ReportingYear.objects.order_by("-year").values_list("year", flat=True).first()


def non_filers(user: Any, year: int, *, all_units: bool = False) -> QuerySet[Enterprise]:
    """The user's enterprises (every enterprise with `all_units`, for the platform's own tasks) without submitted data of `year`, each annotated with `filing_state`
    (one of NON_FILER_STATES), `submission_id`, `return_reason` and the last manual reminder
    (`last_reminded_at`, `last_reminded_by`) and any reminder at all (`last_any_reminder_at`)."""
    submission = AnnualSubmission.objects.filter(enterprise=OuterRef("pk"), year=year)
    reminders = Reminder.objects.filter(enterprise=OuterRef("pk"), year=year).order_by("-sent_at", "-id")
    manual = reminders.filter(kind=ReminderKind.MANUAL)
    enterprises = Enterprise.objects.all() if all_units else Enterprise.objects.visible_to(user)
    return (
        enterprises.exclude(
            Exists(submission.exclude(status=SubmissionStatus.DRAFT)),
        )
        .annotate(
            submission_id=Subquery(submission.values("pk")[:1]),
            return_reason=Subquery(submission.values("return_reason")[:1]),
            last_reminded_at=Subquery(manual.values("sent_at")[:1], output_field=DateTimeField()),
            last_reminded_by=Subquery(
                manual.annotate(
                    by=Coalesce(NullIf("sent_by__first_name", Value("")), "sent_by__username")
                ).values("by")[:1],
                output_field=CharField(),
            ),
            last_any_reminder_at=Subquery(reminders.values("sent_at")[:1], output_field=DateTimeField()),
        )
        .annotate(
            filing_state=Coalesce(
                _state_case(),
                Value("missing"),
                output_field=CharField(),
            )
        )
        .select_related("district")
    )


def _state_case() -> Any:
    from django.db.models import Case, When

    return Case(
        When(submission_id__isnull=True, then=Value("missing")),
        When(~Q(return_reason=""), then=Value("returned")),
        default=Value("draft"),
        output_field=CharField(),
    )


def filter_non_filers(
    queryset: QuerySet[Enterprise], params: Any, *, whole_city: bool
) -> QuerySet[Enterprise]:
    """Narrow a non-filer list by the page's or the export's filters: unit (whole-city readers only),
    state and a name or credit-code search. A value no database can hold (a NUL character) matches nothing."""

    def param(key: str) -> str:
        return str(params.get(key) or "").strip()[:100]

    if any("\x00" in param(key) for key in ("district", "unit", "state", "q")):
        return queryset.none()
    district = param("district") or param("unit")
    if whole_city and district:
        queryset = queryset.filter(district_id=district)
    state = param("state")
    if state in NON_FILER_STATES:
        queryset = queryset.filter(**{"filing_state": state})
    q = param("q")
    if q:
        queryset = queryset.filter(Q(name__icontains=q) | Q(credit_code__icontains=q.upper()))
    return queryset


# --- import summaries: the first errors and how many are kept, read by the database -------------------

ERRORS_HEAD = 5


class ErrorsHead(Func):
    """The first ERRORS_HEAD elements of a JSON array column, sliced by the database (a list of imports
    never reads whole error lists)."""

    output_field = JSONField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template=f"jsonb_path_query_array(%(expressions)s, '$[0 to {ERRORS_HEAD - 1}]')",
            **extra,
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template=(
                "(SELECT json_group_array(json(value)) FROM json_each(%(expressions)s) "
                f"WHERE CAST(key AS INTEGER) < {ERRORS_HEAD})"
            ),
            **extra,
        )


class JSONArrayLength(Func):
    """The length of a JSON array column."""

    output_field = IntegerField()
    function = "json_array_length"

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, function="jsonb_array_length", **extra)


def previous_raw_values(user: Any, enterprise_id: Any, year: Any) -> dict[str, Any] | None:
    """Last year's stored raw values of an enterprise the user may see, for the ×3 rule in the live
    preview; None when there are none or the enterprise is out of the user's scope (no hint either way)."""
    try:
        enterprise_pk, this_year = int(enterprise_id), int(year)
    except (TypeError, ValueError):
        return None
    previous = (
        AnnualSubmission.objects.visible_to(user)
        .filter(enterprise_id=enterprise_pk, year=this_year - 1)
        .only("raw_values")
        .first()
    )
    return previous.raw_values if previous is not None else None


def _copied_from(submissions: Iterable[AnnualSubmission]) -> set[int]:
    """The other submissions the copied flags of `submissions` name."""
    return {
        flag["figures"].get("other_submission")
        for submission in submissions
        for flag in submission.anomaly_flags or []
        if flag.get("kind") == "copied"
    } - {None}


def visible_copied_from(user: Any, submissions: Iterable[AnnualSubmission]) -> set[int]:
    """Which of the submissions named by copied flags of `submissions` the user may see: one query for a
    whole page of a list (none when no flag names another submission)."""
    others = _copied_from(submissions)
    if not others:
        return set()
    return set(AnnualSubmission.objects.visible_to(user).filter(pk__in=others).values_list("pk", flat=True))


def anomaly_flags(
    user: Any, submission: AnnualSubmission, *, visible: set[int] | None = None
) -> list[dict[str, Any]] | None:
    """The anomaly flags of a submission as this reviewer reads them, or None for a reader who may not see
    them (an enterprise). The reason is in the reader's language; a copied flag names the other enterprise
    only when it is within the reader's scope (another district's enterprise stays unnamed). A list passes
    `visible` (`visible_copied_from` over its page), so its rows build no query each."""
    from reporting import anomalies

    if not can(user, "anomaly.view"):
        return None
    flags = list(submission.anomaly_flags or [])
    if visible is None:
        visible = visible_copied_from(user, [submission])
    catalogue = reporting_catalogue(submission.catalogue_version)
    shown = []
    for flag in flags:
        other_name = None
        if flag.get("kind") == "copied" and flag["figures"].get("other_submission") not in visible:
            other_name = str(anomalies.UNNAMED_OTHER)
        figures = dict(flag.get("figures") or {})
        if other_name is not None:
            figures.pop("other_enterprise", None)
        shown.append(
            {
                "kind": flag["kind"],
                "kind_display": str(anomalies.KINDS.get(flag["kind"], "")),
                "field_or_indicator": flag["field_or_indicator"],
                "subject": anomalies.subject_words(flag, catalogue),
                "message": anomalies.describe(flag, other_name=other_name, catalogue=catalogue),
                "figures": figures,
                "dismissed": flag.get("dismissed"),
            }
        )
    return shown


def anomaly_words(user: Any, submission: AnnualSubmission) -> str:
    """The anomaly flags of a submission in one cell of words (exports): each flag's kind and reason, a
    dismissed one with who dismissed it and why."""
    flags = anomaly_flags(user, submission) or []
    parts = []
    for flag in flags:
        text = f"【{flag['kind_display']}】{flag['message']}"
        if flag["dismissed"]:
            text += str(_("（已由{by}排除：{reason}）")).format(**flag["dismissed"])
        parts.append(text)
    return "\n".join(parts)


def anomaly_settings_changes(user: Any, limit: int = 20) -> list[AnomalySettings]:
    """The latest changes of the anomaly thresholds, newest first (the city's page); none for others."""
    if not can(user, "anomaly.configure"):
        return []
    return list(AnomalySettings.objects.select_related("changed_by")[:limit])
