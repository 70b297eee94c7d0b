"""Behind a transaction-mode pool (DB_POOL_MODE=transaction) no session advisory lock is taken: its lock and
unlock could land on different server connections and leak (README: national deployment)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from accounts.locks import LockName, session_lock

pytestmark = pytest.mark.django_db


def test_session_mode_takes_the_lock_on_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("advisory locks exist only on PostgreSQL")
    with CaptureQueriesContext(connection) as queries, session_lock(LockName.JOB_EXECUTION, "x", 1) as held:
        assert held
    assert any("pg_try_advisory_lock" in q["sql"] for q in queries.captured_queries)


@override_settings(DB_POOL_MODE="transaction")
def test_transaction_mode_takes_no_session_lock() -> None:
    with CaptureQueriesContext(connection) as queries, session_lock(LockName.JOB_EXECUTION, "x", 1) as held:
        assert held
    assert not any("advisory" in q["sql"] for q in queries.captured_queries)
