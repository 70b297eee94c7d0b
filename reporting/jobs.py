"""Background exports: request, and build with progress as a background job (accounts.jobs, kind `EXPORT`),
which the runner sends after commit, resumes after a killed worker and sends again when the broker was down."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable, Mapping
from typing import Any

from django.core.files import File
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import audit, exports, jobs
from accounts.errors import InvalidInput
from accounts.permissions import ensure_can
from reporting.models import ExportJob


def _short(value: Any) -> str:
    """A free-text filter (a search) of at most 100 characters."""
    text = str(value).strip()
    if len(text) > 100:
        raise ValueError(text)
    return text


def _day(value: Any) -> str:
    """A date filter, YYYY-MM-DD."""
    return dt.date.fromisoformat(str(value).strip()).isoformat()


FILTER_KEYS: dict[str, Callable[[Any], Any]] = {
    "year": int,
    "district": str,
    "industry": str,
    "grade": str,
    "tier": str,
    "status": str,
    "level": str,
    "run": int,
    "state": str,
    "q": _short,
    # the audit trail's (accounts/audit_trail.py)
    "object_type": _short,
    "object_id": _short,
    "object": _short,
    "actor": _short,
    "unit": _short,
    "action": _short,
    "since": _day,
    "until": _day,
    "demo": _short,
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


def export_request(*, actor: Any, kind: str, filters: dict[str, Any] | None = None) -> tuple[ExportJob, bool]:
    """Record an export. Small ones are built now; big ones go to the worker. Returns (job, queued_ok)."""
    ensure_can(actor, "export.create")
    exporter = exports.get(kind)
    cleaned = clean_filters(filters or {})
    exports.refuse_other_filters(exporter, cleaned)
    exporter.check(actor, cleaned)
    with transaction.atomic():
        job = ExportJob.objects.create(
            requested_by=actor,
            kind=kind,
            filters=cleaned,
            total=exporter.count(actor, cleaned),
            file_format=exporter.file_format,
        )
        audit.record(
            actor=actor,
            action="export.request",
            obj=job,
            changes={"kind": [None, kind], "filters": [None, cleaned]},
        )
    if job.total <= exports.SYNC_LIMIT and not exporter.background:
        export_execute(job.pk)
        job.refresh_from_db()
        return job, True
    jobs.enqueue(EXPORT, job)
    return job, not jobs.send_failed(job)


def _build(job: ExportJob, context: jobs.JobContext) -> Mapping[str, Any]:
    """The body of an export: write the whole file (a resumed export starts it again); returns its fields."""
    exporter = exports.get(job.kind)
    with tempfile.TemporaryFile() as handle:
        count = exporter.write(
            job.requested_by, job.filters, handle, lambda done: context.progress(done=done)
        )
        handle.seek(0)
        job.file.save(f"export.{job.file_format}", File(handle), save=False)  # stored under a random name
    return {"file": job.file.name, "done": count, "total": count}


EXPORT = jobs.JobKind(
    name="export",
    model=ExportJob,
    task="reporting.run_export",
    work=_build,
    related=("requested_by",),
    claim_fields={"done": 0},
    failure_message=gettext_lazy("生成导出文件时出错，技术细节已记录，请稍后重新导出或联系系统管理员。"),
)


def export_execute(job_id: int) -> str:
    """Build the file of a queued export (idempotent: a finished job is left alone). Returns its status."""
    return jobs.run(EXPORT, job_id)


def requeue_waiting_exports() -> int:
    """Send again exports whose worker died or whose message never left (broker down) or was lost; beat
    calls this. Returns how many were sent."""
    return len(jobs.watchdog(EXPORT))
