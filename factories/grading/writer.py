"""Writing a grading run's result rows, one division at a time (DOMAIN §6; the run's body is in services).

PostgreSQL's share of a run — the COPY of a division's rows, their index entries, the foreign-key checks
at commit — is work done by the database server, not by the run's process. ``DivisionWriter`` hands it to
a thread with a database connection of its own, so the server stores one division while the next one is
graded: the run takes about the longer of the two, not their sum. The thread waits on the server, not on
the interpreter (psycopg2 releases the GIL while it talks to the server).

Each division's rows and the run's progress are one transaction, as before, and divisions are written in
the order they were graded. At most ``DEPTH`` divisions wait for the writer, so memory stays bounded. An
error in the writer (a lost claim, a failed COPY) stops the run: it is raised in the run at its next
``put`` or at ``close``; the division being written rolls back, and the divisions after it are not written.

The second connection sees only committed rows, so a run inside a transaction — a caller's ``atomic``,
a test's transaction — writes in line instead (``threaded=False``), on the run's own connection.
"""

from __future__ import annotations

import io
import queue
import threading
from typing import Any

from django.db import connection, transaction

DEPTH = 2


class DivisionWriter:
    """COPY each division's rows and record the run's progress, in a thread or in line."""

    def __init__(self, copy_sql: str, job: Any, *, threaded: bool) -> None:
        self.copy_sql = copy_sql
        self.job = job
        self._error: BaseException | None = None
        self._queue: queue.Queue[tuple[io.StringIO, int] | None] | None = None
        self._thread: threading.Thread | None = None
        if threaded:
            self._queue = queue.Queue(maxsize=DEPTH)
            self._thread = threading.Thread(target=self._drain, name="grading-writer", daemon=True)
            self._thread.start()

    def put(self, rows: io.StringIO, done: int) -> None:
        """Write ``rows`` (COPY text) and then progress ``done``; raises the writer's error, if any."""
        if self._queue is None:
            self._write(rows, done)
            return
        self._raise()
        self._queue.put((rows, done))

    def close(self) -> None:
        """Wait until every division handed over is written; raises the writer's error, if any."""
        self._stop()
        self._raise()

    def abandon(self) -> None:
        """Stop after the division being written (the run is failing for another reason)."""
        if self._queue is not None:
            # What waits is not written: the run failed, and a resumed attempt writes what is missing.
            while True:
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    break
        self._stop()

    def _stop(self) -> None:
        if self._queue is not None and self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._queue = None

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def _drain(self) -> None:
        assert self._queue is not None
        try:
            while (item := self._queue.get()) is not None:
                # After an error the queue is still emptied, so that the run never waits on a full one.
                if self._error is None:
                    try:
                        self._write(*item)
                    except BaseException as exc:  # handed to the run, which raises it
                        self._error = exc
        finally:
            connection.close()  # this thread's own connection

    def _write(self, rows: io.StringIO, done: int) -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            # A division's rows and the progress in one transaction that does not wait for its WAL flush:
            # the run's last commit (synchronous) makes them durable, and a crash before it resumes the run.
            cursor.execute("SET LOCAL synchronous_commit = off")
            if rows.tell():
                rows.seek(0)
                cursor.copy_expert(self.copy_sql, rows)
            self.job.progress(done=done, phase="writing")
