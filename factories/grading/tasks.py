"""Grading tasks: the run itself, the runs' watchdog, and the draft run after a reporting window closes.

Tasks import the services; the services enqueue by task name through the job runner (accounts.jobs).
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from accounts.errors import StateConflict
from factories.grading import services
from factories.models import GradingRun
from reporting.models import ReportingYear

logger = logging.getLogger(__name__)


@shared_task(name="factories.run_grading", acks_late=True)
def run_grading(run_id: int) -> str:
    """Execute one grading run (idempotent; resumes an interrupted run)."""
    return services.execute_run(run_id)


@shared_task(name="factories.resume_stale_runs")
def resume_stale_runs() -> list[int]:
    """The runs' watchdog: send again runs whose worker died and queued runs whose message was lost."""
    return services.grading_run_resume_stale()


@shared_task(name="factories.draft_runs_after_reporting")
def draft_runs_after_reporting() -> list[int]:
    """Once a reporting window has closed, create the year's draft run (once) for the city to review."""
    created = []
    today = timezone.localdate()
    for year in ReportingYear.objects.filter(closes_on__lt=today).values_list("year", flat=True):
        if not GradingRun.objects.filter(year=year, is_simulation=False).exists():
            try:
                run = services.grading_run_start(actor=None, year=year, note="填报截止后自动生成的评价草稿")
            except StateConflict as refusal:
                # Data still under review: only a city user may decide to go ahead (with a reason).
                logger.info("no draft run for %s: %s", year, refusal)
                continue
            created.append(run.pk)
    return created


@shared_task(name="factories.announce_notices")
def announce_notices() -> list[int]:
    """Send the notifications of each 公示 on its first day (idempotent: each run is announced once)."""
    return services.grading_notices_announce()
