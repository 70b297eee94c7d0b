"""Named PostgreSQL advisory locks: every lock of the platform is listed in `LockName`, and its key is derived
from the name and the arguments, so no magic number is spelled out anywhere and two locks never share a key.

A transaction lock (`xact_lock`) serialises short critical sections such as "is a run of this year already
queued?"; a session lock (`session_lock`) is held across the many short transactions of a background job and
released by PostgreSQL if the worker dies. On SQLite (development, one process) both are no-ops.
"""

from __future__ import annotations

import contextlib
import enum
import hashlib
from collections.abc import Iterator

from django.conf import settings
from django.db import connection


class LockName(enum.Enum):
    """Each advisory lock and what it protects; the arguments given with it narrow it (a year, a job)."""

    # Starts of grading runs of one year (arguments: year, is_simulation): two clicks at once must not
    # both find "no run queued" and both start one.
    GRADING_YEAR_START = "grading.year_start"
    # Publications of one year (argument: year): two runs of a year published at once must not both find
    # "no newer run published" and both become the year's result.
    GRADING_YEAR_PUBLISH = "grading.year_publish"
    # One worker at a time executes a background job (arguments: job kind, job id).
    JOB_EXECUTION = "jobs.execution"

    def key(self, *args: object) -> int:
        """A stable signed 64-bit key (PostgreSQL's bigint) from the name and the arguments."""
        text = ":".join([self.value, *(str(arg) for arg in args)])
        digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big", signed=True)


def xact_lock(name: LockName, *args: object) -> None:
    """Wait for the lock; PostgreSQL releases it when the current transaction ends."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [name.key(*args)])


@contextlib.contextmanager
def session_lock(name: LockName, *args: object) -> Iterator[bool]:
    """Try the lock without waiting and yield whether this connection holds it; released on exit, or by
    PostgreSQL when the connection ends (a killed worker holds nothing)."""
    if connection.vendor != "postgresql" or settings.DB_POOL_MODE == "transaction":
        # Behind a transaction-mode pool the lock and its release could land on different server
        # connections: nothing is locked. Only web processes run there (settings.DB_POOL_MODE), and they
        # run only fresh jobs (small exports), which the runner's conditional claim already keeps single.
        yield True
        return
    key = name.key(*args)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        acquired = bool(cursor.fetchone()[0])
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
