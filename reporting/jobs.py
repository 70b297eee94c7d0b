"""Background exports: request, build with progress, and enqueue without losing work when the broker is down."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit, exports
from accounts.errors import InvalidInput
from accounts.permissions import ensure_can
from reporting.models import ExportJob, JobStatus

logger = logging.getLogger(__name__)

FILTER_KEYS = {
    "year": int,
    "district": str,
    "industry": str,
    "grade": str,
    "tier": str,
    "status": str,
    "level": str,
}


def clean_filters(raw: dict[str, Any]) -> dict[str, Any]:
    """Known filter keys with the right types, or a clear error naming the bad one."""
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for key, value in (raw or {}).items():
        if value in (None, ""):
            continue
        kind = FILTER_KEYS.get(key)
        if kind is None:
            errors[key] = [_("不支持的筛选条件“{key}”。").format(key=key)]
            continue
        try:
            cleaned[key] = kind(value)
        except (TypeError, ValueError):
            errors[key] = [_("筛选条件“{key}”的值无效。").format(key=key)]
    if errors:
        raise InvalidInput(field_errors=errors)
    return cleaned


def enqueue(task: Any, *args: Any) -> bool:
    """Send a task to the broker; if the broker is unreachable, log it and report False (the job row stays
    queued and the `requeue_waiting_exports` beat task sends it once the broker is back)."""
    try:
        task.apply_async(args=args, retry=False)
    except Exception:
        logger.warning("broker unavailable; %s%s stays queued", task.name, args, exc_info=True)
        return False
    return True


def export_request(*, actor: Any, kind: str, filters: dict[str, Any] | None = None) -> tuple[ExportJob, bool]:
    """Record an export. Small ones are built now; big ones go to the worker. Returns (job, queued_ok)."""
    ensure_can(actor, "export.create")
    exporter = exports.get(kind)
    cleaned = clean_filters(filters or {})
    with transaction.atomic():
        job = ExportJob.objects.create(
            requested_by=actor, kind=kind, filters=cleaned, total=exporter.count(actor, cleaned)
        )
        audit.record(
            actor=actor,
            action="export.request",
            obj=job,
            changes={"kind": [None, kind], "filters": [None, cleaned]},
        )
    if job.total <= exports.SYNC_LIMIT:
        export_execute(job.pk)
        job.refresh_from_db()
        return job, True
    from reporting.tasks import run_export

    return job, enqueue(run_export, job.pk)


def export_execute(job_id: int) -> str:
    """Build the file of a queued export (idempotent: a finished job is left alone)."""
    claimed = ExportJob.objects.filter(pk=job_id, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).update(
        status=JobStatus.RUNNING, done=0
    )
    job = ExportJob.objects.select_related("requested_by").get(pk=job_id)
    if not claimed:
        return job.status
    exporter = exports.get(job.kind)

    def progress(done: int) -> None:
        ExportJob.objects.filter(pk=job_id).update(done=done)

    try:
        import tempfile

        with tempfile.TemporaryFile() as handle:
            count = exports.write_xlsx(exporter, job.requested_by, job.filters, handle, progress)
            handle.seek(0)
            job.file.save(exports.filename(exporter), File(handle), save=False)
        ExportJob.objects.filter(pk=job_id).update(
            status=JobStatus.SUCCEEDED,
            file=job.file.name,
            done=count,
            total=count,
            finished_at=timezone.now(),
        )
    except Exception as exc:
        logger.exception("export %s failed", job_id)
        ExportJob.objects.filter(pk=job_id).update(
            status=JobStatus.FAILED, error=f"{type(exc).__name__}: {exc}", finished_at=timezone.now()
        )
        return JobStatus.FAILED
    return JobStatus.SUCCEEDED


def requeue_waiting_exports(older_than_seconds: int = 120) -> int:
    """Send again exports that are still queued (e.g. the broker was down when they were requested)."""
    from reporting.tasks import run_export

    cutoff = timezone.now() - dt.timedelta(seconds=older_than_seconds)
    waiting = ExportJob.objects.filter(status=JobStatus.QUEUED, created_at__lt=cutoff).values_list(
        "pk", flat=True
    )
    return sum(1 for pk in waiting if enqueue(run_export, pk))
