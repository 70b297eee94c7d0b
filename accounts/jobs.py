"""One runner for every kind of background job (grading runs, pool level jobs, exports, import checks).

A job is a row of a model built on `BackgroundJob` plus a Celery task that takes the row's id and calls
`run(kind, id)`. The row is the truth; a queue message only says "look at this row", so a message may be
lost or delivered twice without harm:

- **enqueue** — `enqueue(kind, job)` sends the task by name once the transaction commits. If the broker
  cannot be reached the request still succeeds: the row stays queued without `enqueued_at`, the caller can
  say so (`send_failed`), and the watchdog sends it later.
- **claim** — a conditional UPDATE moves the row from queued (or from running with a stale heartbeat: its
  worker died) to running and counts the attempt. A second delivery while the first attempt still sends
  heartbeats claims nothing. On PostgreSQL a session lock per job (`LockName.JOB_EXECUTION`) also keeps a
  slow but living worker from being joined by a second one.
- **progress and heartbeat** — `JobContext.progress()` writes only while this attempt owns the row: an
  attempt that lost it (a stale job taken over by another worker) stops at its next write.
- **failure** — the row gets a message users can read (Chinese; a domain error's own message) and the
  traceback for operators, which no page or API shows.
- **watchdog** — beat calls `watchdog(kind)`: running rows without a heartbeat for `stale_after`, and queued
  rows never sent or sent more than `lost_after` ago, are sent again; a job whose worker died
  `max_attempts` times fails instead of killing workers forever.

Services enqueue by task name through this module and never import their tasks module; the tasks modules
import the services.
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from celery import current_app
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.errors import DomainError
from accounts.locks import LockName, session_lock

logger = logging.getLogger(__name__)

STALE_AFTER = dt.timedelta(seconds=settings.JOB_STALE_AFTER_SECONDS)
LOST_AFTER = dt.timedelta(minutes=10)
MAX_ATTEMPTS = 5
TRACEBACK_LIMIT = 20_000
BUSY = "busy"

BROKER_DOWN = _("后台任务服务暂时不可用：任务已登记，服务恢复后将自动开始，请稍后查看进度。")
ABANDONED = _(
    "后台进程在执行该任务时已连续 {n} 次中断（可能是内存不足或进程被强制结束），已停止自动重试。"
    "请联系系统管理员查看日志，排除问题后重新运行。"
)
# Reset by a manual retry: a fresh attempt budget and no earlier failure or send.
RESET_FIELDS: Mapping[str, Any] = {"error": "", "traceback": "", "attempts": 0, "enqueued_at": None}


class JobState(models.TextChoices):
    """The states the runner moves a job through; every job model's `status` choices include these values."""

    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("处理中")
    SUCCEEDED = "succeeded", _("已完成")
    FAILED = "failed", _("失败")


class BackgroundJob(models.Model):
    """The fields the runner reads and writes on a job row; the concrete model adds `status` (see `JobState`)."""

    total = models.PositiveIntegerField(_("总数"), default=0)
    done = models.PositiveIntegerField(_("已完成"), default=0)
    error = models.TextField(_("失败原因"), blank=True)
    traceback = models.TextField(
        _("技术细节"), blank=True, editable=False, help_text="for operators only; never shown to users"
    )
    attempts = models.PositiveSmallIntegerField(_("执行次数"), default=0)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    enqueued_at = models.DateTimeField(_("送入队列时间"), null=True, blank=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("最近心跳"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def progress(self) -> int:
        """Percent done; a finished job is 100 whatever its counts."""
        if getattr(self, "status", None) == JobState.SUCCEEDED:
            return 100
        return int(100 * self.done / self.total) if self.total else 0


class ClaimLost(Exception):
    """This attempt no longer owns its job (another worker took it over, or it was re-queued)."""


@dataclass(frozen=True)
class JobKind:
    """How the runner runs one kind of job: its model, its task's name, its body and its clocks.

    `work(job, context)` does the job, reporting through `context.progress()`, and returns the fields to
    write when it succeeds (a `status` among them ends the job in that state instead of `succeeded`). `claim_fields` and `failure_fields` are written with the claim and the failure.
    """

    name: str
    model: type[Any]
    task: str
    work: Callable[[Any, JobContext], Mapping[str, Any] | None]
    failure_message: Any
    related: tuple[str, ...] = ()
    claim_fields: Mapping[str, Any] = field(default_factory=dict)
    failure_fields: Mapping[str, Any] = field(default_factory=dict)
    stale_after: dt.timedelta = STALE_AFTER
    lost_after: dt.timedelta = LOST_AFTER
    max_attempts: int = MAX_ATTEMPTS

    def __post_init__(self) -> None:
        if not issubclass(self.model, BackgroundJob):
            raise ImproperlyConfigured(f"job kind {self.name}: {self.model.__name__} is not a BackgroundJob")
        meta: Any = self.model._meta
        choices = {value for value, _label in meta.get_field("status").choices}
        missing = set(JobState.values) - choices
        if missing:
            raise ImproperlyConfigured(f"job kind {self.name}: status lacks {sorted(missing)}")

    @property
    def rows(self) -> models.QuerySet[Any]:
        return self.model._default_manager.all()


class JobContext:
    """One attempt at a job: its progress and heartbeat writes, which count only while it owns the row."""

    def __init__(self, kind: JobKind, job_id: int, attempt: int) -> None:
        self.kind, self.job_id, self.attempt = kind, job_id, attempt

    def _mine(self) -> models.QuerySet[Any]:
        return self.kind.rows.filter(pk=self.job_id, status=JobState.RUNNING, attempts=self.attempt)

    def progress(self, **fields: Any) -> None:
        """Write progress fields (done, total, phase…) with a heartbeat; ClaimLost if the job was taken over."""
        fields["heartbeat_at"] = timezone.now()
        if not self._mine().update(**fields):
            raise ClaimLost(f"{self.kind.name} {self.job_id}: attempt {self.attempt} lost its claim")

    def heartbeat(self) -> None:
        """Show that this attempt is alive (a long step without progress to report)."""
        self.progress()

    def _finish(self, fields: Mapping[str, Any]) -> bool:
        """End the attempt: `succeeded`, unless the kind's work names another end state of its own (an
        import ends validated, invalid or refused), never queued or running."""
        now = timezone.now()
        status = fields.get("status", JobState.SUCCEEDED)
        if status in (JobState.QUEUED, JobState.RUNNING):
            raise ImproperlyConfigured(f"{self.kind.name}: work may not end a job {status}")
        return bool(
            self._mine().update(**{**fields, "status": status, "finished_at": now, "heartbeat_at": now})
        )

    def _fail(self, exc: BaseException) -> bool:
        return bool(
            self._mine().update(
                **self.kind.failure_fields,
                status=JobState.FAILED,
                error=failure_text(self.kind, exc),
                traceback="".join(traceback.format_exception(exc))[-TRACEBACK_LIMIT:],
                finished_at=timezone.now(),
            )
        )


def failure_text(kind: JobKind, exc: BaseException) -> str:
    """What users read about a failure, in Chinese: a domain error's own message, else the kind's message."""
    message = exc.message if isinstance(exc, DomainError) else kind.failure_message
    with translation.override(settings.LANGUAGE_CODE):
        return str(message)


def _stale(kind: JobKind, now: dt.datetime) -> Q:
    """Running, but no heartbeat for `stale_after`: its worker died (or never wrote one)."""
    return Q(status=JobState.RUNNING) & (
        Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=now - kind.stale_after)
    )


def claim(kind: JobKind, job_id: int, *, now: dt.datetime | None = None) -> int | None:
    """Take a queued job, or a running one whose worker died, for a new attempt. Returns the attempt's
    number, or None when there is nothing to claim (finished, or a living worker holds it)."""
    now = now or timezone.now()
    claimable = Q(status=JobState.QUEUED) | (_stale(kind, now) & Q(attempts__lt=kind.max_attempts))
    taken = (
        kind.rows.filter(pk=job_id)
        .filter(claimable)
        .update(
            **kind.claim_fields,
            status=JobState.RUNNING,
            attempts=F("attempts") + 1,
            started_at=now,
            heartbeat_at=now,
            error="",
            traceback="",
        )
    )
    if not taken:
        return None
    return int(kind.rows.filter(pk=job_id).values_list("attempts", flat=True).get())


def _status(kind: JobKind, job_id: int) -> str:
    status = kind.rows.filter(pk=job_id).values_list("status", flat=True).first()
    return str(status) if status is not None else "missing"


def run(kind: JobKind, job_id: int) -> str:
    """Execute a job if it can be claimed; safe to call any number of times. Returns the job's status after
    the call ("busy" when another worker holds the job)."""
    with session_lock(LockName.JOB_EXECUTION, kind.name, job_id) as held:
        if not held:
            return BUSY
        attempt = claim(kind, job_id)
        if attempt is None:
            return _status(kind, job_id)
        job = kind.rows.select_related(*kind.related).get(pk=job_id)
        context = JobContext(kind, job_id, attempt)
        try:
            fields = kind.work(job, context) or {}
        except ClaimLost:
            logger.warning("%s %s: attempt %s was taken over; it stops here", kind.name, job_id, attempt)
            return _status(kind, job_id)
        except Exception as exc:
            logger.exception("%s %s failed (attempt %s)", kind.name, job_id, attempt)
            context._fail(exc)
            return _status(kind, job_id)
        if not context._finish(fields):
            logger.warning("%s %s: attempt %s finished after losing its claim", kind.name, job_id, attempt)
        return _status(kind, job_id)


def _task(name: str) -> Any:
    app = current_app
    if name not in app.tasks:
        app.loader.import_default_modules()  # the tasks modules register their tasks as they are imported
    return app.tasks[name]


def _deliver(kind: JobKind, job_id: int, instance: Any = None) -> bool:
    """Send the job's task now; on failure the row is left needing a send (no `enqueued_at`)."""
    stamp = timezone.now()
    kind.rows.filter(pk=job_id).update(enqueued_at=stamp)
    try:
        if current_app.conf.task_always_eager:
            # Tests, demo seeding: run in this process through the task itself.
            _task(kind.task).apply_async(args=[job_id], retry=False)
        else:
            current_app.send_task(kind.task, args=[job_id], retry=False)
    except Exception:
        # Whatever failed, the row is durable and the watchdog will try again: never fail the request.
        logger.warning("%s %s could not be sent; it stays for the watchdog", kind.name, job_id, exc_info=True)
        kind.rows.filter(pk=job_id, enqueued_at=stamp).update(enqueued_at=None)
        if instance is not None:
            instance.enqueued_at = None
            instance._jobs_send_failed = True
        return False
    if instance is not None:
        instance.enqueued_at = stamp
    return True


def enqueue(kind: JobKind, job: Any) -> None:
    """Send the job's task once the current transaction commits (at once outside one); never raises for an
    unreachable broker (see `send_failed`)."""
    job_id = job.pk
    transaction.on_commit(lambda: _deliver(kind, job_id, job))


def send_failed(job: Any) -> bool:
    """Whether sending this job's task failed in this process; it then waits, queued, for the watchdog."""
    return bool(getattr(job, "_jobs_send_failed", False))


def watchdog(kind: JobKind, *, now: dt.datetime | None = None) -> list[int]:
    """Beat's pass over one kind: fail jobs abandoned `max_attempts` times, then send again running jobs whose
    worker died and queued jobs whose message never left or was lost. Returns the ids sent, in id order."""
    now = now or timezone.now()
    stale = _stale(kind, now)
    for job_id in kind.rows.filter(stale, attempts__gte=kind.max_attempts).values_list("pk", flat=True):
        abandoned = kind.rows.filter(stale, pk=job_id, attempts__gte=kind.max_attempts).update(
            **kind.failure_fields,
            status=JobState.FAILED,
            error=_abandoned_text(kind),
            traceback=f"watchdog: no heartbeat for {kind.stale_after} after {kind.max_attempts} attempts",
            finished_at=now,
        )
        if abandoned:
            logger.error("%s %s abandoned after %s attempts", kind.name, job_id, kind.max_attempts)
    # A message sent after the dead attempt was claimed is still on its way: wait for it (up to
    # `lost_after`) rather than pile up copies behind a long queue.
    unsent = Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=now - kind.lost_after)
    resume = stale & (unsent | Q(enqueued_at__lte=F("started_at")))
    waiting = Q(status=JobState.QUEUED) & unsent
    due = list(kind.rows.filter(resume | waiting).order_by("pk").values_list("pk", flat=True))
    return [job_id for job_id in due if _deliver(kind, job_id)]


def _abandoned_text(kind: JobKind) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return str(ABANDONED).format(n=kind.max_attempts)
