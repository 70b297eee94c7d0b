"""Pool-level tasks: the district's level computation and the stale-job watchdog."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="cultivation.run_levels", acks_late=True)
def run_levels(job_id: int) -> str:
    """Compute one district's pool levels for a year (idempotent; a redelivery finds nothing to claim)."""
    from cultivation.services import level_job_execute

    return level_job_execute(job_id=job_id)


@shared_task(name="cultivation.resume_stale_level_jobs")
def resume_stale_level_jobs() -> list[int]:
    """Re-enqueue level jobs whose worker died mid-way (no heartbeat for a few minutes)."""
    from cultivation.services import level_job_resume_stale

    return level_job_resume_stale()
