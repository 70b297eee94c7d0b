"""Security headers on every response, /healthz included: a strict Content-Security-Policy, a
Permissions-Policy, and templates that need nothing inline (issue 13, finding 6)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]

PAGES_SIGNED_OUT = [
    "/accounts/login/",
    "/healthz",
    "/api/v1/me/",
    "/api/docs/",
    "/no-such-page/",
    "/admin/login/",
]
PAGES_SIGNED_IN = ["/", "/accounts/tokens/", "/accounts/audit/", "/accounts/password/", "/api/v1/me/"]


def directives(response) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    header = response.headers.get("Content-Security-Policy", "")
    parsed = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


def assert_hardened(response) -> None:  # type: ignore[no-untyped-def]
    policy = directives(response)
    assert policy, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    permissions = response.headers.get("Permissions-Policy", "")
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in permissions
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    assert response.headers.get("X-Frame-Options") == "DENY"
    assert response.headers.get("Referrer-Policy") == "same-origin"
    assert response.headers.get("Cross-Origin-Opener-Policy") == "same-origin"


@pytest.mark.parametrize("path", PAGES_SIGNED_OUT)
def test_every_answer_to_a_visitor_carries_the_security_headers(path):
    assert_hardened(Client().get(path))


@pytest.mark.parametrize("path", PAGES_SIGNED_IN)
def test_every_answer_to_a_signed_in_user_carries_the_security_headers(path, city_user):
    client = Client()
    client.force_login(city_user)
    response = client.get(path)
    assert response.status_code == 200
    assert_hardened(response)


def test_the_health_check_carries_the_security_headers_even_for_an_unknown_host(db):
    response = Client(HTTP_HOST="10.0.0.7:8000").get("/healthz")
    assert response.status_code == 200
    assert_hardened(response)


def test_in_production_the_health_check_is_not_redirected_and_carries_hsts_over_https(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    plain = Client(HTTP_HOST="10.0.0.7:8000").get("/healthz")
    assert plain.status_code == 200 and plain.content == b"ok"
    assert_hardened(plain)
    secure = Client(HTTP_HOST="10.0.0.7:8000").get("/healthz", secure=True)
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert Client().get("/accounts/login/").status_code == 301


def test_the_api_docs_load_their_script_from_a_file(db):
    html = Client().get("/api/docs/").content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "<style" not in html


# --- templates need nothing inline -------------------------------------------------------------------

INLINE = {
    "inline <script>": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    "event handler attribute": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
    "style attribute": re.compile(r"\sstyle\s*=", re.IGNORECASE),
    "<style> element": re.compile(r"<style\b", re.IGNORECASE),
}


def test_no_template_needs_inline_script_or_style():
    """Under `script-src 'self'; style-src 'self'` anything inline is refused by the browser, so none may exist."""
    found = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        for what, pattern in INLINE.items():
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(ROOT)}:{line}: {what}")
    assert not found, "\n".join(found)
