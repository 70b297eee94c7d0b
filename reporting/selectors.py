"""Reads for reporting: indicators of a submission, per-field value history, review queues, import summaries."""

from __future__ import annotations

from typing import Any

from django.db.models import Func, IntegerField, JSONField

from accounts.models import AuditEntry
from accounts.permissions import can
from factories.indicators import get_catalogue
from reporting.models import AnnualSubmission, SubmissionStatus
from reporting.values import compute_indicators, indicators_from_storage


def submission_indicators(submission: AnnualSubmission) -> list[dict[str, Any]]:
    """Derived indicators: stored ones once verified, computed on the fly before that."""
    catalogue = get_catalogue(submission.catalogue_version)
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
