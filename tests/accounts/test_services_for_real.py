"""The real components: a Celery worker consuming from Redis, and the production settings."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def real_worker():
    """A Celery worker thread consuming from the configured broker (Redis in CI)."""
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    app.conf.task_always_eager = False
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        yield app
    app.conf.task_always_eager = True


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_runs_a_task_sent_through_redis(real_worker):
    from accounts.tasks import clear_expired_sessions

    Session.objects.create(
        session_key="old", session_data="x", expire_date=timezone.now() - dt.timedelta(days=1)
    )
    Session.objects.create(
        session_key="new", session_data="x", expire_date=timezone.now() + dt.timedelta(days=1)
    )
    assert real_worker.conf.broker_url.startswith("redis://")

    clear_expired_sessions.delay()

    deadline = time.monotonic() + 30
    while Session.objects.filter(session_key="old").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not Session.objects.filter(session_key="old").exists()
    assert Session.objects.filter(session_key="new").exists()


PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "p" * 20 + "roduction-secret-key-that-is-long-and-random-9f8e7d6c5b4a",
    "ALLOWED_HOSTS": "greenfactory.example.cn",
    "DATABASE_URL": "postgres://greenfactory@127.0.0.1:5432/greenfactory",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_is_clean_with_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr + result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = _manage("check", env={**env, "SECRET_KEY": ""})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_settings_refuse_a_weak_secret_key():
    result = _manage("check", env={**PRODUCTION_ENV, "SECRET_KEY": "django-insecure-short"})
    assert result.returncode != 0
    assert "too weak" in result.stderr


def test_production_settings_use_postgres_and_redis_and_secure_cookies():
    code = (
        "from django.conf import settings as s; print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL, "
        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS > 0, s.DEBUG)"
    )
    result = _manage("shell", "-c", code, env=PRODUCTION_ENV)
    assert result.stdout.split()[-6:] == [
        "django.db.backends.postgresql",
        "redis://127.0.0.1:6379/0",
        "True",
        "True",
        "True",
        "False",
    ]


def test_with_nothing_set_the_platform_uses_sqlite_and_a_serverless_broker():
    code = (
        "from django.conf import settings as s; print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL)"
    )
    env = {"DATABASE_URL": "", "REDIS_URL": "", "DEBUG": "", "SECRET_KEY": ""}
    result = _manage("shell", "-c", code, env=env)
    assert result.stdout.split()[-2:] == ["django.db.backends.sqlite3", "filesystem://"]
