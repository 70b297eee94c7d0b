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


def close_windows(*years: int) -> None:
    """The reporting windows of `years` closed yesterday: official grading runs of them may start (Art. 7, 9)."""
    import datetime as dt

    from django.utils import timezone

    from reporting.models import ReportingYear

    closed = timezone.localdate() - dt.timedelta(days=1)
    for year in years:
        ReportingYear.objects.update_or_create(
            year=year, defaults={"opens_on": closed - dt.timedelta(days=90), "closes_on": closed}
        )


def notice(days: int = 7) -> dict[str, Any]:
    """A notice period (公示) that starts today and lasts `days` days, first and last day included."""
    import datetime as dt

    from django.utils import timezone

    today = timezone.localdate()
    return {"notice_from": today, "notice_to": today + dt.timedelta(days=days - 1)}


def notice_elapsed(run: Any) -> Any:
    """Let a run's notice period run its course: its dates move into the past as if the days had passed
    (the same length, ending yesterday), so it may be finalised today."""
    import datetime as dt

    from django.utils import timezone

    from factories.models import GradingRun

    run.refresh_from_db()
    length = run.notice_to - run.notice_from
    end = timezone.localdate() - dt.timedelta(days=1)
    GradingRun.objects.filter(pk=run.pk).update(notice_from=end - length, notice_to=end)
    run.refresh_from_db()
    return run
