"""Platform-level checks: migrations, schema, docs, audit browser, static assets."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db


def test_models_and_migrations_agree():
    out = io.StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)


def test_openapi_schema_is_served(api, city_user):
    response = Client().get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    body = response.json() if response["Content-Type"].startswith("application/json") else None
    text = response.content.decode()
    assert "/api/v1/districts/" in text and "/api/v1/auth/token/" in text
    assert body is None or body["openapi"].startswith("3.")


def test_interactive_docs_use_locally_served_assets(db):
    html = Client().get("/api/docs/").content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower() and "https://" not in html


def test_stylesheet_and_script_are_served_by_the_app(client):
    from django.contrib.staticfiles import finders

    assert finders.find("css/app.css") and finders.find("js/app.js")


def test_audit_browser_is_open_to_city_and_auditors_only(city_user, auditor, district_user):
    for user, status in ((city_user, 200), (auditor, 200), (district_user, 403)):
        client = Client()
        client.force_login(user)
        assert client.get("/accounts/audit/").status_code == status


def test_audit_browser_shows_who_did_what_and_why(city_user):
    from accounts import audit

    audit.record(
        actor=city_user,
        action="test.write",
        obj=city_user,
        changes={"email": ["", "a@b.cn"]},
        reason="测试原因",
    )
    client = Client()
    client.force_login(city_user)
    html = client.get("/accounts/audit/", {"q": "测试原因"}).content.decode()
    assert "test.write" in html and "测试原因" in html and "a@b.cn" in html


def test_health_check_answers_without_a_known_host(db):
    response = Client(HTTP_HOST="10.0.0.7:8000").get("/healthz")
    assert response.status_code == 200 and response.content == b"ok"


def test_ping_answers_signed_in_users_only(city_user):
    client = Client()
    assert client.get("/ping/").status_code == 302
    client.force_login(city_user)
    assert client.get("/ping/").json() == {"user": "alice", "role": "city"}
