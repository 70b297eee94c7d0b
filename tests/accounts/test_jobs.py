"""The job runner (accounts/jobs.py) and the named locks (accounts/locks.py), on a job kind of the tests' own
whose body does what each test asks: claims, heartbeats, failures, sending after commit and the watchdog."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.db import connections
from django.utils import timezone
from django.utils.translation import gettext_lazy

from accounts import jobs
from accounts.errors import StateConflict
from accounts.locks import LockName, session_lock
from config.celery import app
from reporting.models import ExportJob

pytestmark = pytest.mark.django_db

# What the body of the next attempt does, and what the bodies did: set by each test.
SCRIPT: dict[str, Any] = {}
CALLS: list[int] = []


def _work(job: ExportJob, context: jobs.JobContext) -> dict[str, Any]:
    CALLS.append(context.attempt)
    action = SCRIPT.get("do", "succeed")
    if action == "fail":
        raise ValueError("internal detail: division by zero in row 17")
    if action == "refuse":
        raise StateConflict("该年度的数据已被锁定，无法计算。")
    if action == "lose":
        # Another worker takes the job over before this attempt's next write.
        ExportJob.objects.filter(pk=job.pk).update(attempts=context.attempt + 1)
    context.progress(total=3, done=1)
    return {"done": 3}


KIND = jobs.JobKind(
    name="test_job",
    model=ExportJob,
    task="tests.run_test_job",
    work=_work,
    failure_message=gettext_lazy("测试任务失败，请联系系统管理员。"),
)


@app.task(name="tests.run_test_job")
def run_test_job(job_id: int) -> str:
    return jobs.run(KIND, job_id)


@pytest.fixture(autouse=True)
def _script():  # type: ignore[no-untyped-def]
    SCRIPT.clear()
    CALLS.clear()
    yield
    SCRIPT.clear()


@pytest.fixture
def job(city_user):  # type: ignore[no-untyped-def]
    return ExportJob.objects.create(requested_by=city_user, kind="enterprises")


def _row(job: ExportJob) -> ExportJob:
    return ExportJob.objects.get(pk=job.pk)


def _ago(minutes: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(minutes=minutes)


# --- claim --------------------------------------------------------------------------------------------


def test_a_queued_job_is_claimed_for_a_first_attempt(job):
    assert jobs.claim(KIND, job.pk) == 1
    row = _row(job)
    assert row.status == "running" and row.attempts == 1
    assert row.started_at is not None and row.heartbeat_at == row.started_at


def test_a_second_delivery_finds_nothing_to_claim_while_the_first_attempt_heartbeats(job):
    assert jobs.claim(KIND, job.pk) == 1
    before = _row(job)
    assert jobs.claim(KIND, job.pk) is None
    assert jobs.run(KIND, job.pk) == "running"
    after = _row(job)
    assert CALLS == [] and after.attempts == 1 and after.heartbeat_at == before.heartbeat_at


def test_a_running_job_without_a_heartbeat_for_stale_after_is_claimed_by_a_new_attempt(job):
    jobs.claim(KIND, job.pk)
    ExportJob.objects.filter(pk=job.pk).update(
        heartbeat_at=timezone.now() - KIND.stale_after + dt.timedelta(seconds=5)
    )
    assert jobs.claim(KIND, job.pk) is None  # not yet stale
    ExportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - KIND.stale_after)
    assert jobs.claim(KIND, job.pk) == 2


def test_a_finished_job_is_never_claimed_again(job):
    assert jobs.run(KIND, job.pk) == "succeeded"
    ExportJob.objects.filter(pk=job.pk).update(heartbeat_at=_ago(60))
    assert jobs.claim(KIND, job.pk) is None
    assert jobs.run(KIND, job.pk) == "succeeded" and CALLS == [1]


def test_a_job_whose_workers_died_max_attempts_times_is_not_claimed_again(job):
    ExportJob.objects.filter(pk=job.pk).update(
        status="running", heartbeat_at=_ago(60), attempts=KIND.max_attempts
    )
    assert jobs.claim(KIND, job.pk) is None


# --- heartbeat, progress, success, failure ------------------------------------------------------------


def test_a_run_writes_progress_with_a_heartbeat_and_the_bodys_fields_when_it_succeeds(job):
    assert jobs.run(KIND, job.pk) == "succeeded"
    row = _row(job)
    assert (row.total, row.done, row.progress, row.attempts) == (3, 3, 100, 1)
    assert row.finished_at is not None and row.heartbeat_at >= row.started_at


def test_progress_of_an_attempt_that_lost_its_job_raises_and_writes_nothing(job):
    first = jobs.JobContext(KIND, job.pk, jobs.claim(KIND, job.pk))
    ExportJob.objects.filter(pk=job.pk).update(heartbeat_at=_ago(60))
    second = jobs.JobContext(KIND, job.pk, jobs.claim(KIND, job.pk))
    with pytest.raises(jobs.ClaimLost):
        first.progress(done=2)
    second.progress(done=1)
    assert _row(job).done == 1


def test_an_attempt_taken_over_mid_way_stops_without_marking_the_job_finished_or_failed(job):
    SCRIPT["do"] = "lose"
    assert jobs.run(KIND, job.pk) == "running"
    row = _row(job)
    assert row.status == "running" and row.finished_at is None and row.error == ""


def test_a_failure_keeps_a_chinese_message_for_users_and_the_traceback_for_operators(job):
    SCRIPT["do"] = "fail"
    assert jobs.run(KIND, job.pk) == "failed"
    row = _row(job)
    assert row.error == "测试任务失败，请联系系统管理员。" and "division by zero" not in row.error
    assert row.traceback.startswith("Traceback") and "division by zero in row 17" in row.traceback
    assert row.finished_at is not None


def test_a_domain_error_is_shown_in_its_own_words(job):
    SCRIPT["do"] = "refuse"
    assert jobs.run(KIND, job.pk) == "failed"
    assert _row(job).error == "该年度的数据已被锁定，无法计算。"


def test_a_new_attempt_clears_the_failure_of_the_previous_one(job):
    SCRIPT["do"] = "fail"
    jobs.run(KIND, job.pk)
    ExportJob.objects.filter(pk=job.pk).update(status="queued", **jobs.RESET_FIELDS)
    SCRIPT["do"] = "succeed"
    assert jobs.run(KIND, job.pk) == "succeeded"
    row = _row(job)
    assert row.error == "" and row.traceback == "" and row.attempts == 1


# --- sending ----------------------------------------------------------------------------------------


def test_a_job_is_sent_only_once_its_transaction_commits(job, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        jobs.enqueue(KIND, job)
        assert _row(job).enqueued_at is None and CALLS == []
    assert len(callbacks) == 1
    callbacks[0]()
    row = _row(job)
    assert row.status == "succeeded" and row.enqueued_at is not None and not jobs.send_failed(job)


def test_an_unreachable_broker_leaves_the_job_queued_and_the_watchdog_sends_it_later(
    job, monkeypatch, django_capture_on_commit_callbacks
):
    from kombu.exceptions import OperationalError

    def down(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    from celery import Celery

    monkeypatch.setattr(Celery, "send_task", down)
    app.conf.task_always_eager = False  # a real broker, as in production (the suite's fixture restores it)
    with django_capture_on_commit_callbacks(execute=True):
        jobs.enqueue(KIND, job)
    assert jobs.send_failed(job)
    row = _row(job)
    assert row.status == "queued" and row.enqueued_at is None
    assert jobs.watchdog(KIND) == []  # still down: nothing sent, nothing lost
    monkeypatch.undo()
    app.conf.task_always_eager = True  # the broker is back; the test runs the sent task in this process
    assert jobs.watchdog(KIND) == [job.pk]
    assert _row(job).status == "succeeded"


# --- the watchdog -----------------------------------------------------------------------------------


def _sent(job: ExportJob, *, minutes_ago: float) -> None:
    ExportJob.objects.filter(pk=job.pk).update(enqueued_at=_ago(minutes_ago))


def _died(job: ExportJob, *, claimed_minutes_ago: float = 30, **fields: Any) -> None:
    """Running, claimed and last heard of long ago: its worker was killed."""
    fields = {"attempts": 1, **fields}
    ExportJob.objects.filter(pk=job.pk).update(
        status="running",
        started_at=_ago(claimed_minutes_ago),
        heartbeat_at=_ago(claimed_minutes_ago - 1),
        **fields,
    )


def test_the_watchdog_sends_a_job_whose_worker_died_and_it_completes(job):
    _sent(job, minutes_ago=31)
    _died(job)
    assert jobs.watchdog(KIND) == [job.pk]
    row = _row(job)
    assert row.status == "succeeded" and row.attempts == 2 and CALLS == [2]


def test_the_watchdog_leaves_a_job_whose_worker_still_heartbeats(job):
    _sent(job, minutes_ago=31)
    jobs.claim(KIND, job.pk)
    assert jobs.watchdog(KIND) == [] and _row(job).status == "running"


def test_the_watchdog_sends_a_queued_job_that_was_never_sent(job):
    assert jobs.watchdog(KIND) == [job.pk]
    assert _row(job).status == "succeeded"


def test_the_watchdog_waits_lost_after_for_a_queued_jobs_message_before_sending_it_again(job):
    _sent(job, minutes_ago=KIND.lost_after.total_seconds() / 60 - 1)
    assert jobs.watchdog(KIND) == [] and _row(job).status == "queued"
    _sent(job, minutes_ago=KIND.lost_after.total_seconds() / 60 + 1)
    assert jobs.watchdog(KIND) == [job.pk] and _row(job).status == "succeeded"


def test_a_message_sent_after_the_dead_attempt_was_claimed_is_waited_for_not_doubled(job):
    _died(job)
    _sent(job, minutes_ago=2)  # the watchdog's previous pass: that message is still on its way
    assert jobs.watchdog(KIND) == []
    _sent(job, minutes_ago=KIND.lost_after.total_seconds() / 60 + 1)
    assert jobs.watchdog(KIND) == [job.pk]


def test_the_watchdog_fails_a_job_whose_workers_died_max_attempts_times(job):
    _sent(job, minutes_ago=31)
    _died(job, attempts=KIND.max_attempts)
    assert jobs.watchdog(KIND) == []
    row = _row(job)
    assert row.status == "failed" and f"已连续 {KIND.max_attempts} 次中断" in row.error
    assert "watchdog" in row.traceback and CALLS == []


# --- the kind and the locks ---------------------------------------------------------------------------


def test_a_job_kind_refuses_a_model_the_runner_cannot_drive():
    from django.core.exceptions import ImproperlyConfigured

    from reporting.models import AnnualSubmission

    with pytest.raises(ImproperlyConfigured):
        jobs.JobKind(name="submissions", model=AnnualSubmission, task="x", work=_work, failure_message="x")


def test_lock_keys_are_stable_distinct_and_fit_postgresqls_bigint():
    # A key must not change between releases: a worker of the old release and one of the new must agree.
    assert LockName.GRADING_YEAR_START.key(2024, False) == LockName.GRADING_YEAR_START.key(2024, False)
    assert LockName.GRADING_YEAR_START.key(2024, False) == 8_273_598_787_890_865_621
    keys = {name.key(2024, False) for name in LockName} | {
        LockName.GRADING_YEAR_START.key(2024, True),
        LockName.GRADING_YEAR_START.key(2025, False),
        LockName.JOB_EXECUTION.key("grading_run", 1),
        LockName.JOB_EXECUTION.key("export", 1),
    }
    assert len(keys) == len(LockName) + 4
    assert all(-(2**63) <= key < 2**63 for key in keys)


def _hold_in_another_connection(name: LockName, *args: object) -> tuple[threading.Event, threading.Thread]:
    """Take the lock in another thread (its own connection) and hold it until the event is set."""
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with session_lock(name, *args) as held:
                assert held
                taken.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=hold)
    thread.start()
    assert taken.wait(timeout=30)
    return release, thread


@pytest.mark.postgres
def test_a_session_lock_held_by_another_connection_is_not_taken():
    release, thread = _hold_in_another_connection(LockName.GRADING_YEAR_START, 2024, False)
    try:
        with session_lock(LockName.GRADING_YEAR_START, 2024, False) as held:
            assert not held
        with session_lock(LockName.GRADING_YEAR_START, 2025, False) as other_year:
            assert other_year
    finally:
        release.set()
        thread.join()
    with session_lock(LockName.GRADING_YEAR_START, 2024, False) as held:
        assert held


@pytest.mark.postgres
def test_a_job_held_by_a_living_worker_in_another_process_is_left_alone(job):
    release, thread = _hold_in_another_connection(LockName.JOB_EXECUTION, KIND.name, job.pk)
    try:
        assert jobs.run(KIND, job.pk) == jobs.BUSY
    finally:
        release.set()
        thread.join()
    assert CALLS == [] and _row(job).status == "queued"
