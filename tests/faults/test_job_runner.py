"""The job runner against real faults, for every kind of job (grading run, pool level job, export), with real
Celery workers in their own processes on PostgreSQL and Redis:

- a worker SIGKILLed half-way leaves a job the watchdog sends again and a fresh worker finishes, with the
  same results as a job run from scratch;
- a queue message lost by the broker (queued, never claimed) is sent again by the watchdog and completes;
- with the broker down, starting a job answers 202 with a warning (not 500), the job stays queued, and a
  later watchdog pass sends it once the broker is back; the year is not left blocked.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone

from tests.faults.workers import (
    broker_at,
    free_port,
    pool_population,
    population,
    redis_server,
    reset_pool,
    start_worker,
    stop,
    wait_until,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

BIG = 12000


# --- the three kinds, each driven through its own services and API --------------------------------------


@dataclass(frozen=True)
class Kind:
    """How these tests drive one kind of job."""

    name: str
    populate: Callable[[Any, bool], int]  # (people, big) -> how many items the job will process
    start: Callable[[Any], Any]  # the service a user's click calls
    api_start: Callable[[Any, Any], Any]  # the API call a client makes
    model: Callable[[], Any]
    watchdog: Callable[[], Any]  # the beat task of the kind, run in this process
    sent: Callable[[Any], Any]  # what the watchdog answers when it sent this one job
    killable: Callable[[Any], bool]  # far enough along to be killed half-way
    partial: Callable[[Any], int]  # what a killed attempt left behind
    results: Callable[[Any], list[Any]]
    reference: Callable[[Any, Any], list[Any]]  # the same job computed from scratch in this process


def _grading_populate(people: Any, big: bool) -> int:
    from tests.helpers import close_windows

    n = BIG if big else 30
    population(n)
    close_windows(2025)  # an official run starts once the year's reporting window has closed
    return n


def _grading_results(run: Any) -> list[Any]:
    from factories.models import GradingResult

    return list(
        GradingResult.objects.filter(run_id=run.pk)
        .order_by("enterprise_id")
        .values_list(
            "enterprise_id",
            "grade",
            "computed_grade",
            "level_score",
            "improvement_score",
            "composite_score",
            "q",
            "peer_group",
            "peer_count",
            "reasons",
            "details",
        )
    )


def _grading_reference(run: Any, people: Any) -> list[Any]:
    from factories.grading import services
    from factories.models import GradingRun

    reference = GradingRun.objects.create(year=run.year, standard=run.standard, started_by=people.city)
    assert services.execute_run(reference.pk) == "succeeded"
    reference.refresh_from_db()
    assert reference.input_hash == run.input_hash
    return _grading_results(reference)


def _grading_start(people: Any) -> Any:
    from factories.grading import services

    return services.grading_run_start(actor=people.city, year=2025)


def _grading_partial(run: Any) -> int:
    from factories.models import GradingResult

    return GradingResult.objects.filter(run_id=run.pk).count()


def _grading_watchdog() -> Any:
    from factories.grading import tasks

    return tasks.resume_stale_runs()


def _grading_model() -> Any:
    from factories.models import GradingRun

    return GradingRun


GRADING = Kind(
    name="grading_run",
    populate=_grading_populate,
    start=_grading_start,
    api_start=lambda api, people: api.as_user(people.city).post(
        "/api/v1/grading-runs/", {"year": 2025}, format="json"
    ),
    model=_grading_model,
    watchdog=_grading_watchdog,
    sent=lambda job: [job.pk],
    killable=lambda run: run.phase == "writing" and run.done > 0,
    partial=_grading_partial,
    results=_grading_results,
    reference=_grading_reference,
)

LEVEL_FIELDS = (
    "enterprise_id",
    "membership_id",
    "level",
    "computed_level",
    "certified_b",
    "supervised",
    "guided",
    "has_plan",
    "data_status",
    "percentiles",
    "dimension_scores",
    "level_score",
    "dimension_gaps",
    "level_gap",
    "reasons",
    "benchmark_group",
    "benchmark_count",
    "standard_id",
    "review_downgraded",
)


def _levels_populate(people: Any, big: bool) -> int:
    n = 400 if big else 20  # progress is written every 200 members
    population(300 if big else 30)  # the green factories the members are measured against
    pool_population(n, recorder=people.district)
    return n


def _levels_results(job: Any) -> list[Any]:
    from cultivation.models import LevelDecision

    return list(
        LevelDecision.objects.filter(year=job.year).order_by("enterprise_id").values_list(*LEVEL_FIELDS)
    )


def _levels_reference(job: Any, people: Any) -> list[Any]:
    from cultivation.models import LevelDecision, LevelJob
    from cultivation.services import levels

    LevelDecision.objects.filter(year=job.year).delete()
    reference = LevelJob.objects.create(
        district=job.district, year=job.year, standard=job.standard, started_by=people.district
    )
    assert levels.level_job_execute(job_id=reference.pk) == "succeeded"
    return _levels_results(reference)


def _levels_start(people: Any) -> Any:
    from cultivation.services import levels

    return levels.level_job_start(actor=people.district, district=people.district.district, year=2025)


def _levels_partial(job: Any) -> int:
    from cultivation.models import LevelDecision

    return LevelDecision.objects.filter(year=job.year).count()


def _levels_watchdog() -> Any:
    from cultivation import tasks

    return tasks.resume_stale_level_jobs()


def _levels_model() -> Any:
    from cultivation.models import LevelJob

    return LevelJob


LEVELS = Kind(
    name="level_job",
    populate=_levels_populate,
    start=_levels_start,
    api_start=lambda api, people: api.as_user(people.district).post(
        "/api/v1/cultivation/levels/compute/", {"year": 2025}, format="json"
    ),
    model=_levels_model,
    watchdog=_levels_watchdog,
    sent=lambda job: [job.pk],
    killable=lambda job: job.done > 0,
    partial=_levels_partial,
    results=_levels_results,
    reference=_levels_reference,
)


def _export_populate(people: Any, big: bool) -> int:
    n = 6000 if big else 30  # progress is written every 2000 rows
    population(n)
    return n


def _export_rows(job: Any) -> list[Any]:
    from openpyxl import load_workbook

    with job.file.open("rb") as handle:
        sheet = load_workbook(io.BytesIO(handle.read()), read_only=True).active
        return list(sheet.iter_rows(min_row=3, values_only=True))  # the rows, not the dated title or headers


def _export_reference(job: Any, people: Any) -> list[Any]:
    from reporting import jobs
    from reporting.models import ExportJob

    reference = ExportJob.objects.create(requested_by=people.city, kind=job.kind, filters=job.filters)
    assert jobs.export_execute(reference.pk) == "succeeded"
    reference.refresh_from_db()
    return _export_rows(reference)


def _export_start(people: Any) -> Any:
    from reporting import jobs

    job, sent = jobs.export_request(actor=people.city, kind="enterprises")
    assert sent and job.status == "queued"
    return job


def _export_watchdog() -> Any:
    from reporting import tasks

    return tasks.requeue_waiting_exports()


def _export_model() -> Any:
    from reporting.models import ExportJob

    return ExportJob


EXPORTS = Kind(
    name="export",
    populate=_export_populate,
    start=_export_start,
    api_start=lambda api, people: api.as_user(people.city).post(
        "/api/v1/exports/", {"kind": "enterprises"}, format="json"
    ),
    model=_export_model,
    watchdog=_export_watchdog,
    sent=lambda job: 1,
    killable=lambda job: job.done > 0,
    partial=lambda job: job.done,  # rows written to the unfinished file (it is kept only when complete)
    results=_export_rows,
    reference=_export_reference,
)

KINDS = [GRADING, LEVELS, EXPORTS]


@pytest.fixture
def people(city_user, district_user):  # type: ignore[no-untyped-def]
    return SimpleNamespace(city=city_user, district=district_user)


@pytest.fixture
def small_exports_are_jobs(monkeypatch):  # type: ignore[no-untyped-def]
    """Every export goes to the worker, however few rows it has (only this process decides that)."""
    from accounts import exports

    monkeypatch.setattr(exports, "SYNC_LIMIT", 5)


def _fresh(job: Any) -> Any:
    job.refresh_from_db()
    return job


def _finished(job: Any) -> bool:
    return _fresh(job).status in ("succeeded", "failed")


def _drop_queued_messages(broker: str) -> int:
    """What a Redis restart without persistence does to the messages nobody has taken yet."""
    import redis

    client = redis.Redis.from_url(broker)
    queues = list(client.scan_iter("celery*"))
    return client.delete(*queues) if queues else 0


# --- a worker SIGKILLed half-way ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.name)
def test_a_worker_killed_mid_job_leaves_a_job_the_watchdog_resumes_to_identical_results(
    kind, people, small_exports_are_jobs
):
    from config.celery import app

    total = kind.populate(people, True)
    broker = os.environ["REDIS_URL"]
    with broker_at(app, broker):
        worker = start_worker(broker)
        try:
            job = kind.start(people)
            wait_until(
                lambda: kind.killable(_fresh(job)) or job.status in ("succeeded", "failed"), every=0.02
            )
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
        finally:
            if worker.poll() is None:
                worker.kill()
        job.refresh_from_db()
        assert job.status == "running", (
            "the worker finished before it could be killed; enlarge the population"
        )
        assert 0 < kind.partial(job) < total, kind.partial(job)
        assert job.attempts == 1
        assert kind.watchdog() in ([], 0)  # its heartbeat is recent: it may only be slow

        # Minutes pass without a heartbeat: the watchdog sends the job again; a fresh worker finishes it.
        stale_after = dt.timedelta(minutes=3)
        kind.model().objects.filter(pk=job.pk).update(heartbeat_at=job.heartbeat_at - stale_after * 2)
        worker = start_worker(broker)
        try:
            assert kind.watchdog() == kind.sent(job)
            wait_until(lambda: _finished(job))
        finally:
            stop(worker)
    assert job.status == "succeeded", job.traceback
    assert job.attempts == 2 and job.error == "" and job.traceback == ""
    resumed = kind.results(job)
    assert len(resumed) == total and len({row[0] for row in resumed}) == total, (len(resumed), total)
    assert kind.reference(job, people) == resumed


# --- a lost queue message ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.name)
def test_a_queued_job_whose_message_was_lost_is_sent_again_by_the_watchdog_and_completes(
    kind, people, small_exports_are_jobs
):
    from config.celery import app

    total = kind.populate(people, False)
    broker = os.environ["REDIS_URL"]
    with broker_at(app, broker):
        _drop_queued_messages(broker)
        job = kind.start(people)  # sent after commit; no worker is running yet
        job.refresh_from_db()
        assert job.status == "queued" and job.enqueued_at is not None
        assert _drop_queued_messages(broker) >= 1  # the broker loses it
        assert kind.watchdog() in ([], 0)  # too early to call it lost: it may be waiting behind others

        kind.model().objects.filter(pk=job.pk).update(enqueued_at=timezone.now() - dt.timedelta(minutes=11))
        worker = start_worker(broker)
        try:
            assert kind.watchdog() == kind.sent(job)
            wait_until(lambda: _finished(job))
        finally:
            stop(worker)
    assert job.status == "succeeded", job.traceback
    assert job.attempts == 1 and job.total == total


# --- the broker down when a job is started -----------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.name)
def test_with_the_broker_down_a_start_answers_202_and_the_job_waits_queued_for_the_watchdog(
    kind, people, api, small_exports_are_jobs
):
    from config.celery import app

    total = kind.populate(people, False)
    port = free_port()
    broker = f"redis://127.0.0.1:{port}/0"
    with broker_at(app, broker):
        response = kind.api_start(api, people)
        assert response.status_code == 202, response.content
        body = response.json()
        assert body["status"] == "queued" and "后台任务服务暂时不可用" in body["message"]
        job = kind.model().objects.get(pk=body["id"])
        assert job.status == "queued" and job.enqueued_at is None
        assert kind.watchdog() in ([], 0)  # still down: nothing sent, nothing lost

        with redis_server(port):
            reset_pool(app)
            worker = start_worker(broker)
            try:
                assert kind.watchdog() == kind.sent(job)
                wait_until(lambda: _finished(job))
                assert job.status == "succeeded", job.traceback
                assert job.total == total
                # The year is free again: a new start is accepted, and sent at once.
                again = kind.api_start(api, people)
                assert again.status_code == 202 and "message" not in again.json(), again.content
            finally:
                stop(worker)


@pytest.mark.parametrize(
    ("page", "who", "model"),
    [
        ("factories:run_start", "city", "factories.GradingRun"),
        ("cultivation:level_job_start", "district", "cultivation.LevelJob"),
    ],
    ids=["grading_run", "level_job"],
)
def test_with_the_broker_down_a_start_from_the_page_warns_and_keeps_the_job_queued(page, who, model, people):
    from django.apps import apps
    from django.test import Client
    from django.urls import reverse

    from config.celery import app
    from reporting.models import ReportingYear

    ReportingYear.objects.create(year=2025, opens_on=dt.date(2026, 3, 1), closes_on=dt.date(2026, 5, 31))
    client = Client()
    client.force_login(getattr(people, who))
    with broker_at(app, f"redis://127.0.0.1:{free_port()}/0"):
        response = client.post(reverse(page), {"year": 2025}, follow=True)
    assert response.status_code == 200
    assert "后台任务服务暂时不可用" in response.content.decode()
    job = apps.get_model(model).objects.get()
    assert job.status == "queued" and job.enqueued_at is None
