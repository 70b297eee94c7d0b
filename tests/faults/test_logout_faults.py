"""Signing out while Redis is down: the session must stay ended when Redis comes back with its data
(production runs Redis with persistence, so whatever it held before the outage returns with it)."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest
from django.test import Client

from tests.faults.workers import free_port


def _start_redis(server: str, port: int, data_dir: Path) -> subprocess.Popen[bytes]:
    """A Redis that writes every change to an append-only file, so a restart brings its data back."""
    process = subprocess.Popen(
        [
            server,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(data_dir),
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
            "--save",
            "",
        ],
        stdout=subprocess.DEVNULL,
    )
    import redis as redis_client

    for _ in range(100):
        try:
            redis_client.Redis(port=port).ping()
            return process
        except redis_client.ConnectionError:
            time.sleep(0.05)
    process.kill()
    raise AssertionError("redis-server did not start")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=10)


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_session_ended_while_redis_is_down_stays_ended_when_redis_comes_back(city_user, tmp_path, settings):
    from django.contrib.sessions.models import Session

    server = shutil.which("redis-server")
    assert server, "redis-server is needed for this test"
    port = free_port()
    redis = _start_redis(server, port, tmp_path)
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
        }
    }
    try:
        client = Client(raise_request_exception=False)
        client.force_login(city_user)
        old_cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        assert client.get("/api/v1/me/").status_code == 200

        # Redis goes away; signing out still answers normally and ends the session.
        _stop(redis)
        signed_out = client.post("/accounts/logout/")
        assert signed_out.status_code == 302, signed_out.status_code
        assert not Session.objects.filter(session_key=old_cookie).exists()

        # Redis comes back with the data it held before the outage; the old cookie opens nothing.
        redis = _start_redis(server, port, tmp_path)
        thief = Client()
        thief.cookies[settings.SESSION_COOKIE_NAME] = old_cookie
        assert thief.get("/api/v1/me/").status_code == 401
        assert thief.get("/").status_code == 302
    finally:
        _stop(redis)
