"""Faults a production platform meets: the broker down during an export requested from its page.
PostgreSQL and Redis only (CI runs them for real). A worker killed mid-job, a lost queue message and the
broker down for every kind of job: test_job_runner.py."""

from __future__ import annotations

import pytest

from tests.faults.workers import (
    broker_at,
    free_port,
    redis_server,
    reset_pool,
    start_worker,
    stop,
    wait_until,
)


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

    port = free_port()
    broker = f"redis://127.0.0.1:{port}/0"
    monkeypatch.setattr(exports, "SYNC_LIMIT", 3)
    EnterpriseFactory.create_batch(6, district=yuzhong)
    with broker_at(app, broker):
        # Redis is down: the request is answered with a clear message and the job row is kept.
        client = Client()
        client.force_login(city_user)
        response = client.post("/reporting/exports/", {"kind": "enterprises"}, follow=True)
        assert response.status_code == 200
        assert "后台任务服务暂时不可用" in response.content.decode()
        job = ExportJob.objects.get(requested_by=city_user)
        assert job.status == "queued"

        # Redis comes back; the watchdog sends the job and a worker builds the file.
        with redis_server(port):
            reset_pool(app)
            worker = start_worker(broker)
            try:
                assert jobs.requeue_waiting_exports() == 1
                wait_until(lambda: _status(job) in ("succeeded", "failed"), timeout=60)
            finally:
                stop(worker)
        job.refresh_from_db()
        assert job.status == "succeeded" and job.total == 6
        download = client.get(f"/reporting/exports/{job.pk}/download/")
        assert download.status_code == 200


def _status(job):  # type: ignore[no-untyped-def]
    job.refresh_from_db()
    return job.status
