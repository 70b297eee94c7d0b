"""Small helpers shared by tests of different apps."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


def cold_cache() -> None:
    """Invalidate every data-cache entry, so the next request computes (for tests that count queries:
    the count of a computed page must not depend on the data size; a served page runs none)."""
    from accounts import datacache

    datacache.bump([datacache.EVERYTHING])


def at_once(calls: list[Callable[[], Any]]) -> list[str]:
    """Run the calls at the same moment, one thread (and database connection) each: 'ok' or 'conflict'
    per call, in the order they finished; any other exception is reported as 'error: …' for the test."""
    from django.db import connections

    from accounts.errors import StateConflict

    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            call()
            result = "ok"
        except StateConflict:
            result = "conflict"
        except Exception as exc:  # anything else is a defect the test must show
            result = f"error: {exc!r}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes
