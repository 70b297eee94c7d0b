"""A worker's run (outside any transaction) writes each division from a thread of its own, on a connection
of its own, while the next division is graded (factories.grading.writer): the stored rows are still those
of the in-memory engine, and an error in the writer fails the run instead of hanging it or losing it."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from factories.grading import services, writer
from factories.models import GradingResult, GradingRun
from tests.factories.test_grading_stream import _population, _run_and_compare

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.postgres]


def _spy(monkeypatch: Any) -> list[tuple[str, int]]:
    """Record the thread writing each division, and how many rows were done then."""
    calls: list[tuple[str, int]] = []
    original = writer.DivisionWriter._write

    def recorded(self: Any, rows: Any, done: int) -> None:
        calls.append((threading.current_thread().name, done))
        original(self, rows, done)

    monkeypatch.setattr(writer.DivisionWriter, "_write", recorded)
    return calls


def test_outside_a_transaction_the_writer_thread_stores_the_rows_of_the_in_memory_engine(
    yuzhong, jiangjin, city_user, django_capture_on_commit_callbacks, monkeypatch
):
    calls = _spy(monkeypatch)
    enterprises = _population(yuzhong, jiangjin)
    _run_and_compare(city_user, enterprises, django_capture_on_commit_callbacks)
    # Every division went through the writer thread, in order, and the last progress is the whole population.
    assert calls and {name for name, _done in calls} == {"grading-writer"}
    assert [done for _name, done in calls] == sorted(done for _name, done in calls)
    assert calls[-1][1] == len(enterprises)
    assert not any(t.name == "grading-writer" for t in threading.enumerate())


def test_a_failing_write_fails_the_run_and_a_retry_completes_it(
    yuzhong, jiangjin, city_user, django_capture_on_commit_callbacks, monkeypatch
):
    enterprises = _population(yuzhong, jiangjin)
    original = writer.DivisionWriter._write
    written: list[int] = []

    def second_fails(self: Any, rows: Any, done: int) -> None:
        if written:
            raise RuntimeError("the server went away")
        original(self, rows, done)
        written.append(done)

    monkeypatch.setattr(writer.DivisionWriter, "_write", second_fails)
    with django_capture_on_commit_callbacks(execute=True):
        run = services.grading_run_start(actor=city_user, year=2025)
    run.refresh_from_db()
    assert run.status == "failed" and run.phase == "failed"
    assert "评价计算过程中出错" in run.error
    # The first division stays (a retry writes only what is missing); nothing of the failed one was kept.
    assert GradingResult.objects.filter(run=run).count() == written[0]
    assert not any(t.name == "grading-writer" for t in threading.enumerate())

    monkeypatch.setattr(writer.DivisionWriter, "_write", original)
    with django_capture_on_commit_callbacks(execute=True):
        services.grading_run_retry(actor=city_user, run=run)
    run = GradingRun.objects.get(pk=run.pk)
    assert run.status == "succeeded" and run.done == run.total == len(enterprises)
    assert GradingResult.objects.filter(run=run).count() == len(enterprises)
