"""Faults a production platform meets: a worker killed mid-run, the broker down during an export,
fifty reviewers pressing the same button. PostgreSQL and Redis only (CI runs them for real)."""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def _worker_env(broker: str) -> dict[str, str]:
    """The environment of a separate worker process that uses the test database and the given broker."""
    settings = connection.settings_dict
    url = f"postgres://{settings['USER'] or 'postgres'}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{settings['NAME']}"
    env = {k: v for k, v in os.environ.items() if k not in ("CELERY_TASK_ALWAYS_EAGER",)}
    env.update({"DATABASE_URL": url, "REDIS_URL": broker, "DJANGO_SETTINGS_MODULE": "config.settings"})
    return env


def _start_worker(broker: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=_worker_env(broker),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _population(n: int) -> None:
    """n green factories with verified data for 2024 and 2025, written in bulk."""
    from factories.creditcode import make_credit_code
    from factories.models import Enterprise, GreenFactory
    from reporting.models import AnnualSubmission
    from reporting.values import compute_indicators, indicators_to_storage
    from tests.model_factories import plausible_raw

    rng = random.Random(5)
    raws = {y: [plausible_raw(k, y) for k in range(60)] for y in (2024, 2025)}
    stored = {
        y: [indicators_to_storage(compute_indicators(r, "GBT36132-2018")) for r in raws[y]] for y in raws
    }
    divisions = ["36", "38", "39", "26", "30", "33", "34", "13"]
    enterprises = Enterprise.objects.bulk_create(
        [
            Enterprise(
                name=f"故障测试工厂{i:05d}",
                credit_code=make_credit_code("91", "500103", f"{i + 40000000:08d}"),
                district_id="500103" if i % 2 else "500116",
                industry_id=divisions[i % len(divisions)],
                legal_form="legal_person",
            )
            for i in range(n)
        ]
    )
    GreenFactory.objects.bulk_create(
        [GreenFactory(enterprise=e, tier="city", recognized_year=2021) for e in enterprises]
    )
    rows = []
    for e in enterprises:
        k = rng.randrange(60)
        for year in (2024, 2025):
            rows.append(
                AnnualSubmission(
                    enterprise=e,
                    year=year,
                    district_id=e.district_id,
                    status="city_verified",
                    raw_values=raws[year][k],
                    indicators=stored[year][k],
                )
            )
    AnnualSubmission.objects.bulk_create(rows, batch_size=5000)


def _results(run_id: int) -> list[tuple]:
    from factories.models import GradingResult

    return list(
        GradingResult.objects.filter(run_id=run_id)
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


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_killed_mid_run_leaves_a_run_that_resumes_to_identical_results(city_user, monkeypatch):
    from config.celery import app
    from factories.grading import services as services
    from factories.models import GradingResult, GradingRun

    _population(12000)
    broker = os.environ["REDIS_URL"]
    monkeypatch.setattr(services, "WRITE_CHUNK", 500)
    monkeypatch.setattr(services, "MAX_WRITE_BATCHES", 1000)
    app.conf.task_always_eager = False
    worker = _start_worker(broker)
    try:
        run = services.grading_run_start(actor=city_user, year=2025)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            run.refresh_from_db()
            if (run.phase == "writing" and run.done > 0) or run.status in ("succeeded", "failed"):
                break
            time.sleep(0.02)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    run.refresh_from_db()
    partial = GradingResult.objects.filter(run=run).count()
    assert run.status == "running", "the worker finished before it could be killed; enlarge the population"
    assert 0 < partial < 12000, partial

    # The watchdog sees no heartbeat and sends the run again; a fresh worker finishes it.
    GradingRun.objects.filter(pk=run.pk).update(heartbeat_at=run.heartbeat_at - services.STALE_AFTER * 2)
    worker = _start_worker(broker)
    try:
        assert services.grading_run_resume_stale() == [run.pk]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            run.refresh_from_db()
            if run.status in ("succeeded", "failed"):
                break
            time.sleep(0.2)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        app.conf.task_always_eager = True
    assert run.status == "succeeded", run.error
    resumed = _results(run.pk)
    assert len(resumed) == 12000 and len({r[0] for r in resumed}) == 12000

    # The same inputs graded from scratch give exactly the same stored numbers.
    reference = GradingRun.objects.create(year=2025, standard=run.standard, started_by=city_user)
    services.execute_run(reference.pk)
    reference.refresh_from_db()
    assert reference.input_hash == run.input_hash
    assert [r[1:] for r in _results(reference.pk)] == [r[1:] for r in resumed]


def _reset_pool(app) -> None:  # type: ignore[no-untyped-def]
    """Forget the app's broker pools so the next send uses the current broker_url (as Celery does after a
    fork). They are not closed: kombu's global producer registry may still hand them to later tests."""
    app._pool = None
    app.amqp._producer_pool = None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_redis_down_during_an_export_request_loses_nothing_and_the_export_completes_when_it_is_back(
    city_user, yuzhong, monkeypatch
):
    from django.test import Client

    from accounts import exports
    from config.celery import app
    from reporting import jobs
    from reporting.models import ExportJob
    from tests.model_factories import EnterpriseFactory

    server = shutil.which("redis-server")
    assert server, "redis-server is needed for this test"
    port = _free_port()
    broker = f"redis://127.0.0.1:{port}/0"
    monkeypatch.setattr(exports, "SYNC_LIMIT", 3)
    EnterpriseFactory.create_batch(6, district=yuzhong)
    previous = app.conf.broker_url, app.conf.broker_transport_options
    app.conf.broker_url = broker
    app.conf.broker_transport_options = {"max_retries": 0}
    app.conf.task_always_eager = False
    _reset_pool(app)
    try:
        # Redis is down: the request is answered with a clear message and the job row is kept.
        client = Client()
        client.force_login(city_user)
        response = client.post("/reporting/exports/", {"kind": "enterprises"}, follow=True)
        assert response.status_code == 200
        assert "后台任务服务暂时不可用" in response.content.decode()
        job = ExportJob.objects.get(requested_by=city_user)
        assert job.status == "queued"

        # Redis comes back; the requeue task sends the job and a worker builds the file.
        redis = subprocess.Popen(
            [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        worker = None
        try:
            import redis as redis_client

            for _ in range(50):
                try:
                    redis_client.Redis(port=port).ping()
                    break
                except redis_client.ConnectionError:
                    time.sleep(0.1)
            _reset_pool(app)
            worker = _start_worker(broker)
            ExportJob.objects.filter(pk=job.pk).update(created_at=job.created_at.replace(year=2020))
            assert jobs.requeue_waiting_exports() == 1
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                job.refresh_from_db()
                if job.status in ("succeeded", "failed"):
                    break
                time.sleep(0.2)
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=30)
            redis.terminate()
            redis.wait(timeout=10)
        assert job.status == "succeeded" and job.total == 6
        download = client.get(f"/reporting/exports/{job.pk}/download/")
        assert download.status_code == 200
    finally:
        app.conf.broker_url, app.conf.broker_transport_options = previous
        app.conf.task_always_eager = True
        _reset_pool(app)
