"""Counts of the submissions from their summary table (`reporting.models.SubmissionTally`), exact as the live
COUNT over `AnnualSubmission.objects.visible_to(user)`; None when the tally cannot answer (see
`factories.tallies`), and the caller counts live."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from factories.tallies import total, unit_filter
from reporting.models import SubmissionTally


def submissions(user: Any, **condition: Any) -> QuerySet[SubmissionTally] | None:
    """Tally rows of the user's scope (narrowed by `condition` on year, status, late)."""
    scope = unit_filter(user)
    if scope is None:
        return None
    return SubmissionTally.objects.filter(n__gt=0, **scope, **condition)


def submission_count(user: Any, **condition: Any) -> int | None:
    """`AnnualSubmission.objects.visible_to(user).filter(**condition).count()` for year, status, late."""
    rows = submissions(user, **condition)
    return None if rows is None else int(rows.aggregate(n=total())["n"])
