"""Shared plumbing: a dedicated PostgreSQL database, query counting, timing and peak memory per phase."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/greenfactory_bench"


def bench_env(url: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["DATABASE_URL"] = url or os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    env["DEBUG"] = "true"
    env.pop("REDIS_URL", None)
    env["CELERY_TASK_ALWAYS_EAGER"] = "1"
    env["LOG_LEVEL"] = "WARNING"
    return env


def ensure_database(url: str | None = None) -> None:
    """Create the benchmark database if needed and migrate it."""
    import psycopg2

    url = bench_env(url)["DATABASE_URL"]
    name = url.rsplit("/", 1)[1]
    admin = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=bench_env(url), check=True
    )


def phase(
    module: str, *args: str, url: str | None = None, extra: dict[str, str] | None = None
) -> dict[str, Any]:
    """Run one measured phase in a fresh process (so its peak memory is its own) and return its JSON line."""
    env = {**bench_env(url), **(extra or {})}
    out = subprocess.run(
        [sys.executable, "-m", module, *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@contextmanager
def count_queries() -> Iterator[list[int]]:
    """Count the statements sent through Django's cursors, on every connection of every thread (a grading
    run writes from a thread of its own): executed ones and COPYs (which bypass the execute path, so the
    cursor's copy methods are wrapped here for the duration)."""
    from django.db.backends.utils import CursorWrapper

    counter = [0]
    lock = threading.Lock()

    def bump() -> None:
        with lock:
            counter[0] += 1

    original = CursorWrapper._execute_with_wrappers

    def executed(self: Any, sql: str, params: Any, many: bool, executor: Callable[..., Any]) -> Any:
        bump()
        return original(self, sql, params, many, executor)

    def counted(name: str) -> Callable[..., Any]:
        def copy(self: Any, *args: Any, **kwargs: Any) -> Any:
            bump()
            return getattr(self.cursor, name)(*args, **kwargs)

        return copy

    names = ("copy_expert", "copy_from", "copy_to")
    for name in names:
        setattr(CursorWrapper, name, counted(name))
    CursorWrapper._execute_with_wrappers = executed  # type: ignore[method-assign]
    try:
        yield counter
    finally:
        CursorWrapper._execute_with_wrappers = original  # type: ignore[method-assign]
        for name in names:
            delattr(CursorWrapper, name)


def measure(fn: Callable[[], Any]) -> dict[str, Any]:
    """Time `fn` (wall clock, and this process's CPU time, which other load on the machine disturbs less),
    count its SQL queries, report this process's peak RSS."""
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if "django.conf" not in sys.modules or not sys.modules["django.conf"].settings.configured:
        # a peer measured without Django: no queries to count
        started, cpu = time.perf_counter(), time.process_time()
        fn()
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        return _figures(elapsed, cpu, 0, baseline)
    with count_queries() as queries:
        started, cpu = time.perf_counter(), time.process_time()
        fn()
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return _figures(elapsed, cpu, queries[0], baseline)


def _figures(elapsed: float, cpu: float, queries: int, baseline: float) -> dict[str, Any]:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "seconds": round(elapsed, 3),
        "cpu_seconds": round(cpu, 3),
        "queries": queries,
        "peak_mib": round(peak, 1),
        "growth_mib": round(peak - baseline, 1),
    }


def setup_django() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()


def table(rows: list[list[Any]], header: list[str]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=False)]
    lines = ["  ".join(str(h).ljust(w) for h, w in zip(header, widths, strict=False))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=False)) for row in rows]
    return "\n".join(lines)
