"""Pool-level tasks: the district's level computation and the level jobs' watchdog.

Tasks import the services; the services enqueue by task name through the job runner (accounts.jobs).
"""

from __future__ import annotations

from celery import shared_task

from cultivation.services import levels


@shared_task(name="cultivation.run_levels", acks_late=True)
def run_levels(job_id: int) -> str:
    """Compute one district's pool levels for a year (idempotent; a redelivery finds nothing to claim)."""
    return levels.level_job_execute(job_id=job_id)


@shared_task(name="cultivation.resume_stale_level_jobs")
def resume_stale_level_jobs() -> list[int]:
    """The level jobs' watchdog: send again jobs whose worker died and queued jobs whose message was lost."""
    return levels.level_job_resume_stale()
