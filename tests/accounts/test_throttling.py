"""Forwarded headers are believed only from the configured proxies; login throttling counts the real client
behind them and also limits one address across usernames (issue 13, finding 7)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.test.utils import override_settings
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"
PASSWORD = "correct-horse-battery"


@pytest.fixture
def behind_proxy(settings):  # type: ignore[no-untyped-def]
    settings.TRUSTED_PROXIES = [PROXY]
    return settings


def via_proxy(client_address: str) -> APIClient:
    """A client whose requests reach the application through the trusted proxy."""
    return APIClient(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=client_address)


def token(client: APIClient, username: str, password: str) -> int:
    return client.post("/api/v1/auth/token/", {"username": username, "password": password}).status_code


# --- X-Forwarded-Proto / X-Forwarded-For ---------------------------------------------------------------


@override_settings(SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"), SECURE_SSL_REDIRECT=True)
def test_forwarded_proto_from_an_unknown_address_does_not_make_a_request_secure(behind_proxy):
    direct = Client(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_PROTO="https")
    response = direct.get("/accounts/login/")
    assert response.status_code == 301
    assert response["Location"].startswith("https://")


@override_settings(SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"), SECURE_SSL_REDIRECT=True)
def test_forwarded_proto_from_the_trusted_proxy_is_believed(behind_proxy):
    proxied = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_PROTO="https")
    assert proxied.get("/accounts/login/").status_code == 200


@override_settings(SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"), SECURE_SSL_REDIRECT=True)
def test_by_default_no_remote_proxy_is_trusted(settings):
    from django.conf import settings as live

    assert all(address in ("127.0.0.1", "::1") for address in live.TRUSTED_PROXIES)
    direct = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_PROTO="https")
    assert direct.get("/accounts/login/").status_code == 301


def test_the_client_address_is_the_first_untrusted_hop_from_the_right(behind_proxy):
    from django.test import RequestFactory

    from accounts.proxies import client_ip

    factory = RequestFactory()
    spoofed = factory.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.7")
    assert client_ip(spoofed) == "198.51.100.7"
    direct = factory.get("/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert client_ip(direct) == "203.0.113.9"
    garbage = factory.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="not-an-address")
    assert client_ip(garbage) == PROXY


# --- lockout keyed on the real client ------------------------------------------------------------------


def test_failures_of_one_client_behind_the_proxy_do_not_lock_out_another(behind_proxy, city_user):
    attacker = via_proxy("198.51.100.7")
    for _ in range(behind_proxy.AXES_FAILURE_LIMIT):
        token(attacker, "alice", "wrong")
    assert token(attacker, "alice", PASSWORD) == 429
    assert token(via_proxy("198.51.100.8"), "alice", PASSWORD) == 200


def test_failures_are_recorded_under_the_real_client_address(behind_proxy, city_user):
    from axes.models import AccessAttempt

    token(via_proxy("198.51.100.7"), "alice", "wrong")
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["198.51.100.7"]


def test_a_client_cannot_escape_the_lockout_by_inventing_forwarded_addresses(behind_proxy, city_user):
    for n in range(behind_proxy.AXES_FAILURE_LIMIT):
        direct = APIClient(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
        token(direct, "alice", "wrong")
    fresh_lie = APIClient(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="192.0.2.200")
    assert token(fresh_lie, "alice", PASSWORD) == 429


# --- one address across usernames ---------------------------------------------------------------------


def test_forty_usernames_sprayed_from_one_address_are_not_all_tried(behind_proxy, city_user):
    sprayer = via_proxy("198.51.100.7")
    answers = [token(sprayer, f"user{n:02d}", "Spring2026!") for n in range(40)]
    assert answers.count(400) <= behind_proxy.AXES_ADDRESS_FAILURE_LIMIT
    assert answers[-1] == 429
    # The address stays refused even with a right password, while everyone else signs in as usual.
    assert token(sprayer, "alice", PASSWORD) == 429
    assert token(via_proxy("198.51.100.8"), "alice", PASSWORD) == 200


def test_the_web_sign_in_also_stops_a_spraying_address(behind_proxy, city_user):
    sprayer = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.7")
    for n in range(behind_proxy.AXES_ADDRESS_FAILURE_LIMIT):
        sprayer.post("/accounts/login/", {"username": f"user{n:02d}", "password": "Spring2026!"})
    locked = sprayer.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert locked.status_code == 429
    assert "锁定" in locked.content.decode()


def test_a_few_typos_by_colleagues_sharing_an_address_lock_nobody_out(behind_proxy, city_user):
    office = via_proxy("198.51.100.7")
    for n in range(behind_proxy.AXES_FAILURE_LIMIT - 1):
        token(office, f"user{n:02d}", "typo")
    assert token(office, "alice", PASSWORD) == 200
