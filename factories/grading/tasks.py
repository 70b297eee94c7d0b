"""Grading tasks: the run itself, the stale-run watchdog, and the draft run after a reporting window closes."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone


@shared_task(name="factories.run_grading", acks_late=True)
def run_grading(run_id: int) -> str:
    """Execute one grading run (idempotent; resumes an interrupted run)."""
    from factories.grading.services import execute_run

    return execute_run(run_id)


@shared_task(name="factories.resume_stale_runs")
def resume_stale_runs() -> list[int]:
    """Re-enqueue runs whose worker died mid-way (no heartbeat for a few minutes)."""
    from factories.grading.services import grading_run_resume_stale

    return grading_run_resume_stale()


@shared_task(name="factories.draft_runs_after_reporting")
def draft_runs_after_reporting() -> list[int]:
    """Once a reporting window has closed, create the year's draft run (once) for the city to review."""
    from factories.grading.services import grading_run_start
    from factories.models import GradingRun
    from reporting.models import ReportingYear

    created = []
    today = timezone.localdate()
    for year in ReportingYear.objects.filter(closes_on__lt=today).values_list("year", flat=True):
        if not GradingRun.objects.filter(year=year, is_simulation=False).exists():
            created.append(grading_run_start(actor=None, year=year, note="填报截止后自动生成的评价草稿").pk)
    return created
