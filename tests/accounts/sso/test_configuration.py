"""Single sign-on is off unless the environment configures it: no backend, no route, no button; and a
half-done configuration stops the start instead of running without it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse

ROOT = Path(__file__).resolve().parents[3]
ENDPOINTS = {
    "OIDC_RP_CLIENT_ID": "greenfactory",
    "OIDC_RP_CLIENT_SECRET": "secret",
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "https://idp.example/authorize",
    "OIDC_OP_TOKEN_ENDPOINT": "https://idp.example/token",
    "OIDC_OP_USER_ENDPOINT": "https://idp.example/userinfo",
    "OIDC_OP_JWKS_ENDPOINT": "https://idp.example/jwks",
    "OIDC_ACCOUNT_CLAIMS": "uscc=credit_code, employee_no=staff_id",
}
PROBE = """
import django, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()
from django.conf import settings
from django.urls import reverse
print(settings.OIDC_ENABLED, settings.AUTHENTICATION_BACKENDS[-1], settings.OIDC_ACCOUNT_CLAIMS,
      settings.OIDC_RP_SIGN_ALGO, settings.OIDC_CREATE_USER, reverse("accounts:oidc_start"))
"""


def _probe(**environment: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OIDC_")}
    env.update(environment)
    return subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.django_db
def test_off_without_configuration_no_route_no_button_no_backend(settings):
    assert settings.OIDC_ENABLED is False
    assert "accounts.oidc.AccountClaimBackend" not in settings.AUTHENTICATION_BACKENDS
    with pytest.raises(NoReverseMatch):
        reverse("accounts:oidc_start")
    assert Client().get("/accounts/oidc/authenticate/").status_code == 404
    assert Client().get("/accounts/oidc/callback/?code=x&state=y").status_code == 404
    html = Client().get("/accounts/login/").content.decode()
    assert "使用统一身份认证登录" not in html
    assert "oidc" not in html


def test_the_environment_switches_it_on():
    result = _probe(**ENDPOINTS)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[0] == (
        "True accounts.oidc.AccountClaimBackend [('uscc', 'credit_code'), ('employee_no', 'staff_id')] "
        "RS256 False /accounts/oidc/authenticate/"
    )


def test_a_client_id_without_the_endpoints_stops_the_start():
    result = _probe(OIDC_RP_CLIENT_ID="greenfactory")
    assert result.returncode != 0
    assert "OIDC_OP_TOKEN_ENDPOINT" in result.stderr and "OIDC_ACCOUNT_CLAIMS" in result.stderr


def test_a_claim_mapped_to_an_unknown_target_stops_the_start():
    result = _probe(**{**ENDPOINTS, "OIDC_ACCOUNT_CLAIMS": "uscc=enterprise__credit_code"})
    assert result.returncode != 0
    assert "credit_code, staff_id, username" in result.stderr
