"""Helpers of the fault tests: real Celery workers in their own processes, a Redis server that can be started
late, and populations large enough that a job can be killed half-way."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import random
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def worker_env(broker: str) -> dict[str, str]:
    """The environment of a separate worker process that uses the test database and the given broker."""
    settings = connection.settings_dict
    url = f"postgres://{settings['USER'] or 'postgres'}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{settings['NAME']}"
    env = {k: v for k, v in os.environ.items() if k not in ("CELERY_TASK_ALWAYS_EAGER",)}
    env.update({"DATABASE_URL": url, "REDIS_URL": broker, "DJANGO_SETTINGS_MODULE": "config.settings"})
    return env


def start_worker(broker: str) -> subprocess.Popen[bytes]:
    """A solo-pool worker in its own process (so that it can be SIGKILLed like a real one)."""
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
        env=worker_env(broker),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop(worker: subprocess.Popen[bytes] | None) -> None:
    """Stop a worker this test started (warm shutdown, then kill)."""
    if worker is None or worker.poll() is not None:
        return
    worker.terminate()
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait(timeout=10)


def wait_until(check: Callable[[], bool], *, timeout: float = 120, every: float = 0.2) -> bool:
    """Poll until `check()` is true or the timeout passes; returns the last answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(every)
    return check()


def reset_pool(app: Any) -> None:
    """Forget the app's broker pools and kombu's global ones, so the next send uses the current broker_url
    (as Celery does after a fork); otherwise a producer bound to the previous broker may be handed back."""
    from kombu import pools

    app._pool = None
    app.amqp._producer_pool = None
    pools.reset()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def redis_server(port: int) -> Iterator[None]:
    """A throw-away Redis server on a port, stopped on exit."""
    import redis as redis_client

    server = shutil.which("redis-server")
    assert server, "redis-server is needed for this test"
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(50):
            try:
                redis_client.Redis(port=port).ping()
                break
            except redis_client.ConnectionError:
                time.sleep(0.1)
        yield
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextlib.contextmanager
def broker_at(app: Any, url: str) -> Iterator[None]:
    """Send this process's tasks to `url` (a real broker, not eagerly) until the block ends."""
    previous = app.conf.broker_url, app.conf.broker_transport_options
    app.conf.broker_url = url
    app.conf.broker_transport_options = {"max_retries": 0}
    app.conf.task_always_eager = False
    reset_pool(app)
    try:
        yield
    finally:
        app.conf.broker_url, app.conf.broker_transport_options = previous
        app.conf.task_always_eager = True
        reset_pool(app)


DIVISIONS = ["36", "38", "39", "26", "30", "33", "34", "13"]


def population(n: int) -> None:
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
    enterprises = Enterprise.objects.bulk_create(
        [
            Enterprise(
                name=f"故障测试工厂{i:05d}",
                credit_code=make_credit_code("91", "500103", f"{i + 40000000:08d}"),
                district_id="500103" if i % 2 else "500116",
                industry_id=DIVISIONS[i % len(DIVISIONS)],
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


def pool_population(n: int, *, recorder: Any, district_id: str = "500103", year: int = 2025) -> None:
    """n enterprises of a district in the cultivation pool with district-approved data for `year`; every
    third one supervised and guided. Written in bulk."""
    from cultivation.models import PoolMembership, SupervisionRecord
    from factories.creditcode import make_credit_code
    from factories.models import Enterprise
    from reporting.models import AnnualSubmission
    from tests.model_factories import plausible_raw

    raws = [plausible_raw(k, year) for k in range(60)]
    enterprises = Enterprise.objects.bulk_create(
        [
            Enterprise(
                name=f"培育测试企业{i:05d}",
                credit_code=make_credit_code("91", district_id, f"{i + 50000000:08d}"),
                district_id=district_id,
                industry_id=DIVISIONS[i % len(DIVISIONS)],
                legal_form="legal_person",
            )
            for i in range(n)
        ]
    )
    members = PoolMembership.objects.bulk_create(
        [
            PoolMembership(enterprise=e, district_id=district_id, joined_on=dt.date(year, 1, 1))
            for e in enterprises
        ]
    )
    AnnualSubmission.objects.bulk_create(
        [
            AnnualSubmission(
                enterprise=e,
                year=year,
                district_id=district_id,
                status="district_approved",
                raw_values=raws[i % len(raws)],
            )
            for i, e in enumerate(enterprises)
        ],
        batch_size=5000,
    )
    SupervisionRecord.objects.bulk_create(
        [
            SupervisionRecord(membership=m, kind=kind, date=dt.date(year, 3, 1), recorded_by=recorder)
            for m in members[::3]
            for kind in ("energy_inspection", "assessment")
        ]
    )
