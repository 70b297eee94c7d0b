"""Two-factor sign-in (issue 14, items 4 and 6): TOTP with recovery codes, required for city and district
staff when REQUIRE_STAFF_2FA is on, optional for everyone else, throttled, and audited.

Codes are computed from the device's own secret with django_otp.oath.totp at the (frozen) time of the
request; the clock moves one 30-second step between codes, because a code once accepted is not accepted
again (django-otp remembers the last time step used).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
import sys

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from accounts import twofactor
from accounts.models import AuditEntry

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
SETUP = "/accounts/2fa/setup/"
VERIFY = "/accounts/2fa/verify/"
RECOVERY = "/accounts/2fa/recovery/"


@pytest.fixture
def clock():  # type: ignore[no-untyped-def]
    """Frozen time; `clock.shift(dt.timedelta(seconds=30))` moves to the next TOTP step."""
    traveller = time_machine.travel(timezone.now(), tick=False)
    coordinates = traveller.start()
    yield coordinates
    traveller.stop()


@pytest.fixture
def required(settings):  # type: ignore[no-untyped-def]
    settings.REQUIRE_STAFF_2FA = True


def next_step(clock) -> None:  # type: ignore[no-untyped-def]
    clock.shift(dt.timedelta(seconds=30))


def code(device: TOTPDevice) -> str:
    """The code the user's authenticator app shows now."""
    device.refresh_from_db()
    value = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{value:0{device.digits}d}"


def wrong(device: TOTPDevice) -> str:
    right = int(code(device))
    return f"{(right + 1) % 10**device.digits:0{device.digits}d}"


def sign_in(username: str) -> Client:
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


def enable(user) -> tuple[TOTPDevice, list[str]]:  # type: ignore[no-untyped-def]
    """Two-factor sign-in switched on for `user` (as the setup page leaves it)."""
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    twofactor._mark(user, True)
    return device, twofactor._new_recovery_codes(user)


def is_on(user) -> bool:  # type: ignore[no-untyped-def]
    """Two-factor sign-in is on for `user`, in the database: the account's flag and its devices agree."""
    user.refresh_from_db()
    assert user.two_factor_enabled == twofactor.has_device(user)
    return bool(user.two_factor_enabled)


def actions(user) -> list[str]:  # type: ignore[no-untyped-def]
    return list(
        AuditEntry.objects.filter(
            object_type="accounts.user", object_id=str(user.pk), action__startswith="auth.2fa"
        )
        .order_by("id")
        .values_list("action", flat=True)
    )


# --- the setting --------------------------------------------------------------------------------------


def _load_settings(monkeypatch, **env: str):  # type: ignore[no-untyped-def]
    """config/settings.py evaluated afresh under `env` (as a separate module; Django's settings stay)."""
    for name in ("DEBUG", "DEV_DEBUG_PAGES", "REQUIRE_STAFF_2FA", "SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    import config.settings

    spec = importlib.util.spec_from_file_location("settings_under_test", config.settings.__file__)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "settings_under_test", module)
    spec.loader.exec_module(module)
    return module


def test_required_by_default_in_production_and_not_in_development(monkeypatch):
    production = _load_settings(monkeypatch, DEBUG="false", SECRET_KEY="x" * 60)
    assert production.REQUIRE_STAFF_2FA is True
    development = _load_settings(monkeypatch)
    assert development.DEVELOPMENT is True and development.REQUIRE_STAFF_2FA is False
    assert (
        _load_settings(
            monkeypatch, DEBUG="false", SECRET_KEY="x" * 60, REQUIRE_STAFF_2FA="false"
        ).REQUIRE_STAFF_2FA
        is False
    )
    assert _load_settings(monkeypatch, REQUIRE_STAFF_2FA="true").REQUIRE_STAFF_2FA is True


@pytest.mark.parametrize("persona", ["city_user", "district_user", "enterprise_user", "auditor"])
def test_with_the_requirement_off_everyone_signs_in_with_the_password_alone(persona, request, settings):
    settings.REQUIRE_STAFF_2FA = False
    user = request.getfixturevalue(persona)
    client = sign_in(user.username)
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/me/").status_code == 200


# --- staff must set it up -------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["city_user", "district_user"])
def test_required_staff_without_an_authenticator_reach_only_the_setup_page(persona, request, required):
    user = request.getfixturevalue(persona)
    client = sign_in(user.username)
    for path in (
        "/",
        reverse("accounts:tokens"),
        reverse("accounts:password_change"),
        VERIFY,
        "/accounts/2fa/",
    ):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(SETUP), (path, response["Location"])
    api = client.get("/api/v1/me/")
    assert api.status_code == 403
    assert SETUP in api.json()["detail"] and "两步验证" in api.json()["detail"]
    page = client.get(SETUP)
    assert page.status_code == 200
    assert page.context["nav_items"] == []  # no menu to pages that would only redirect back


@pytest.mark.parametrize("persona", ["enterprise_user", "auditor"])
def test_other_roles_are_not_required_to_use_it(persona, request, required):
    user = request.getfixturevalue(persona)
    client = sign_in(user.username)
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/me/").status_code == 200


def test_setting_up_shows_a_local_qr_code_and_the_secret_and_needs_a_code_to_switch_on(
    city_user, required, clock
):
    client = sign_in("alice")
    page = client.get(SETUP)
    html = page.content.decode()
    device = TOTPDevice.objects.get(user=city_user)
    assert not device.confirmed
    assert "<svg" in html and 'class="segno"' in html
    secret = twofactor.secret_base32(device)
    assert secret in html and len(secret.replace(" ", "")) == 32
    assert device.config_url.startswith("otpauth://totp/")
    assert page["Cache-Control"].startswith("max-age=0") or "no-store" in page["Cache-Control"]
    # Reloading keeps the same secret, so a scan already made still works.
    client.get(SETUP)
    assert TOTPDevice.objects.get(user=city_user).key == device.key

    refused = client.post(SETUP, {"code": wrong(device)})
    assert refused.status_code == 400
    assert "验证码不正确" in refused.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get("/")["Location"].startswith(SETUP)

    next_step(clock)  # the wrong code asks for a second's pause, and a new step gives a new code
    done = client.post(SETUP, {"code": code(device)})
    assert done.status_code == 302 and done["Location"] == RECOVERY
    device.refresh_from_db()
    assert device.confirmed and is_on(city_user)
    shown = client.get(RECOVERY)
    codes = shown.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(c in shown.content.decode() for c in codes)
    assert set(StaticToken.objects.filter(device__user=city_user).values_list("token", flat=True)) == set(
        codes
    )
    # Shown once: the next visit tells how many are left, not the codes.
    again = client.get(RECOVERY)
    assert again.context["codes"] is None and codes[0] not in again.content.decode()
    # The session that set it up is verified: everything opens.
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/me/").status_code == 200
    assert actions(city_user) == ["auth.2fa_failed", "auth.2fa_enable"]


# --- the second step ------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["district_user", "enterprise_user"])
def test_an_account_with_an_authenticator_must_pass_the_second_step_first(persona, request, required, clock):
    user = request.getfixturevalue(persona)
    device, _codes = enable(user)
    client = sign_in(user.username)
    response = client.get("/reporting/submissions/")
    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY) and "next=" in response["Location"]
    assert client.get("/api/v1/me/").status_code == 403
    assert client.get(reverse("accounts:tokens"))["Location"].startswith(VERIFY)
    assert client.get(SETUP)["Location"].startswith(VERIFY)

    refused = client.post(VERIFY, {"code": wrong(device), "next": "/reporting/submissions/"})
    assert refused.status_code == 400
    assert "验证码不正确" in refused.content.decode()
    assert client.get("/api/v1/me/").status_code == 403

    next_step(clock)
    done = client.post(VERIFY, {"code": code(device), "next": "/reporting/submissions/"})
    assert done.status_code == 302 and done["Location"] == "/reporting/submissions/"
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/me/").status_code == 200
    assert actions(user) == ["auth.2fa_failed", "auth.2fa_verify"]
    failed = AuditEntry.objects.filter(action="auth.2fa_failed", object_id=str(user.pk)).get()
    assert failed.actor is None and "IP " in failed.reason


def test_the_second_step_does_not_send_anyone_elsewhere(enterprise_user, clock):
    device, _codes = enable(enterprise_user)
    client = sign_in("dora")
    response = client.post(VERIFY, {"code": code(device), "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/"


def test_a_code_is_accepted_once(enterprise_user, clock):
    device, _codes = enable(enterprise_user)
    first = sign_in("dora")
    used = code(device)
    assert first.post(VERIFY, {"code": used}).status_code == 302
    second = sign_in("dora")
    clock.shift(dt.timedelta(seconds=2))  # past the pause, same 30-second step
    assert second.post(VERIFY, {"code": used}).status_code == 400


def test_a_recovery_code_signs_in_once(enterprise_user, clock):
    _device, codes = enable(enterprise_user)
    client = sign_in("dora")
    typed = codes[3].upper()[:4] + " " + codes[3].upper()[4:]  # as people type it
    response = client.post(VERIFY, {"code": typed})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert StaticToken.objects.filter(device__user=enterprise_user).count() == 9
    entry = AuditEntry.objects.get(action="auth.2fa_recovery_used", object_id=str(enterprise_user.pk))
    assert "recovery codes left: 9" in entry.reason and codes[3] not in entry.reason

    clock.shift(dt.timedelta(minutes=5))
    again = sign_in("dora")
    assert again.post(VERIFY, {"code": codes[3]}).status_code == 400
    assert again.get("/")["Location"].startswith(VERIFY)


def test_wrong_codes_are_throttled_and_the_message_says_when_to_retry(enterprise_user, clock):
    device, codes = enable(enterprise_user)
    client = sign_in("dora")
    for _attempt in range(4):  # pauses of 1, 2, 4 seconds, and now 8
        client.post(VERIFY, {"code": wrong(device)})
        clock.shift(dt.timedelta(seconds=2**_attempt))
    client.post(VERIFY, {"code": wrong(device)})
    device.refresh_from_db()
    assert device.throttling_failure_count == 5
    # Even the right code, and a recovery code, wait until the pause is over.
    for attempt in (code(device), codes[0]):
        refused = client.post(VERIFY, {"code": attempt})
        assert refused.status_code == 400
        text = refused.content.decode()
        assert "错误次数过多" in text and re.search(r"请在 1[0-6] 秒后", text), text
    assert StaticToken.objects.filter(device__user=enterprise_user).count() == 10
    throttled = AuditEntry.objects.filter(action="auth.2fa_failed", reason__contains="throttled")
    assert throttled.count() == 2

    clock.shift(dt.timedelta(seconds=17))
    next_step(clock)
    assert client.post(VERIFY, {"code": code(device)}).status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def test_guessing_recovery_codes_also_holds_back_the_authenticator(enterprise_user, clock):
    device, _codes = enable(enterprise_user)
    client = sign_in("dora")
    assert client.post(VERIFY, {"code": "zzzzzzzz"}).status_code == 400
    refused = client.post(VERIFY, {"code": code(device)})
    assert refused.status_code == 400 and "错误次数过多" in refused.content.decode()


# --- enterprises opt in, and out ----------------------------------------------------------------------------


def test_an_enterprise_opts_in_and_out(enterprise_user, required, clock):
    client = sign_in("dora")
    assert client.get("/accounts/2fa/").status_code == 200
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=enterprise_user)
    assert client.post(SETUP, {"code": code(device)}).status_code == 302
    assert is_on(enterprise_user)

    next_step(clock)
    refused = client.post("/accounts/2fa/disable/", {"code": wrong(device)})
    assert refused.status_code == 302 and is_on(enterprise_user)
    clock.shift(dt.timedelta(seconds=2))
    next_step(clock)
    done = client.post("/accounts/2fa/disable/", {"code": code(device)})
    assert done.status_code == 302
    assert not is_on(enterprise_user)
    assert not StaticDevice.objects.filter(user=enterprise_user).exists()
    assert client.get("/").status_code == 200
    assert sign_in("dora").get("/").status_code == 200
    assert actions(enterprise_user) == ["auth.2fa_enable", "auth.2fa_failed", "auth.2fa_disable"]


def test_required_staff_cannot_switch_it_off(city_user, required, clock):
    device, _codes = enable(city_user)
    client = sign_in("alice")
    client.post(VERIFY, {"code": code(device)})
    next_step(clock)
    response = client.post("/accounts/2fa/disable/", {"code": code(device)})
    assert response.status_code == 302
    assert is_on(city_user)
    assert "auth.2fa_disable" not in actions(city_user)


def test_staff_may_switch_it_off_when_it_is_not_required(city_user, settings, clock):
    settings.REQUIRE_STAFF_2FA = False
    device, _codes = enable(city_user)
    client = sign_in("alice")
    client.post(VERIFY, {"code": code(device)})
    next_step(clock)
    assert client.post("/accounts/2fa/disable/", {"code": code(device)}).status_code == 302
    assert not is_on(city_user)


def test_new_recovery_codes_replace_the_old_ones(district_user, required, clock):
    device, old = enable(district_user)
    client = sign_in("bob")
    client.post(VERIFY, {"code": code(device)})
    next_step(clock)
    assert client.post(RECOVERY, {"code": wrong(device)}).status_code == 400
    clock.shift(dt.timedelta(seconds=2))
    next_step(clock)
    response = client.post(RECOVERY, {"code": code(device)})
    assert response.status_code == 302
    new = client.get(RECOVERY).context["codes"]
    assert len(new) == 10 and not set(new) & set(old)
    assert client.get(RECOVERY).context["codes"] is None
    other = sign_in("bob")
    assert other.post(VERIFY, {"code": old[0]}).status_code == 400
    clock.shift(dt.timedelta(seconds=2))
    assert other.post(VERIFY, {"code": new[0]}).status_code == 302
    assert actions(district_user) == [
        "auth.2fa_verify",
        "auth.2fa_failed",
        "auth.2fa_recovery_regenerate",
        "auth.2fa_failed",
        "auth.2fa_recovery_used",
    ]


def test_an_operator_resets_a_lost_authenticator(district_user, required):
    enable(district_user)
    call_command("reset_2fa", "bob")
    assert not is_on(district_user)
    assert not TOTPDevice.objects.filter(user=district_user).exists()
    assert not StaticDevice.objects.filter(user=district_user).exists()
    assert actions(district_user) == ["auth.2fa_reset"]
    assert sign_in("bob").get("/")["Location"].startswith(SETUP)


def test_an_authenticator_removed_elsewhere_does_not_leave_the_account_stuck(
    enterprise_user, district_user, required
):
    for user in (enterprise_user, district_user):
        enable(user)
        TOTPDevice.objects.filter(user=user).delete()  # e.g. in Django's admin
    client = sign_in("dora")
    assert client.get("/")["Location"].startswith(VERIFY)
    assert client.get(VERIFY).status_code == 302
    assert client.get("/").status_code == 200
    enterprise_user.refresh_from_db()
    assert not enterprise_user.two_factor_enabled
    staff = sign_in("bob")
    staff.get(VERIFY)
    assert staff.get("/")["Location"].startswith(SETUP)


def test_the_second_step_costs_no_query_for_accounts_without_it(enterprise_user):
    """Whether a session owes a second step is read from the user row every request loads anyway."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = sign_in("dora")
    client.get("/")
    with CaptureQueriesContext(connection) as captured:
        client.get("/")
    assert not [q["sql"] for q in captured.captured_queries if "otp_" in q["sql"]]


def test_a_session_signed_in_with_a_recovery_code_stays_signed_in_after_making_new_ones(
    enterprise_user, clock
):
    _device, codes = enable(enterprise_user)
    client = sign_in("dora")
    assert client.post(VERIFY, {"code": codes[0]}).status_code == 302
    assert client.post(RECOVERY, {"code": codes[1]}).status_code == 302
    assert len(client.get(RECOVERY).context["codes"]) == 10
    assert client.get("/").status_code == 200


# --- API tokens -------------------------------------------------------------------------------------------


def token_request(username: str, **extra: str):  # type: ignore[no-untyped-def]
    return APIClient().post("/api/v1/auth/token/", {"username": username, "password": PASSWORD, **extra})


def test_a_token_for_an_account_with_two_factor_needs_a_code(enterprise_user, clock):
    device, codes = enable(enterprise_user)
    missing = token_request("dora")
    assert missing.status_code == 403 and "otp_code" in missing.json()["detail"]
    bad = token_request("dora", otp_code=wrong(device))
    assert bad.status_code == 400 and "otp_code" in bad.json()
    clock.shift(dt.timedelta(seconds=2))
    good = token_request("dora", otp_code=code(device))
    assert good.status_code == 200
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {good.json()['token']}")
    assert client.get("/api/v1/me/").status_code == 200
    assert token_request("dora", otp_code=codes[0]).status_code == 200
    assert token_request("dora", otp_code=codes[0]).status_code == 400  # used up


def test_required_staff_get_no_token_and_their_old_tokens_stop_until_set_up(city_user, settings, clock):
    settings.REQUIRE_STAFF_2FA = False
    old = token_request("alice").json()["token"]
    settings.REQUIRE_STAFF_2FA = True
    refused = token_request("alice")
    assert refused.status_code == 403 and SETUP in refused.json()["detail"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {old}")
    response = client.get("/api/v1/me/")
    assert response.status_code == 403 and SETUP in response.json()["detail"]
    device, _codes = enable(city_user)
    assert client.get("/api/v1/me/").status_code == 200
    assert token_request("alice", otp_code=code(device)).status_code == 200


def test_a_half_signed_in_session_gains_nothing_from_another_authorization_header(enterprise_user, clock):
    device, _codes = enable(enterprise_user)
    client = sign_in("dora")
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION="Basic ZG9yYTp4").status_code == 403
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION="Token not-a-token").status_code == 401
    token = token_request("dora", otp_code=code(device)).json()["token"]
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200


def test_signing_in_fully_gives_the_session_a_new_key(enterprise_user, clock):
    device, _codes = enable(enterprise_user)
    client = sign_in("dora")
    before = client.cookies["sessionid"].value
    assert client.post(VERIFY, {"code": code(device)}).status_code == 302
    assert client.cookies["sessionid"].value != before
    assert client.get("/").status_code == 200


# --- the idle timeout and the lock-out still hold --------------------------------------------------------------


def test_a_half_signed_in_session_ends_with_the_idle_timeout(enterprise_user, settings, clock):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 30
    device, _codes = enable(enterprise_user)
    client = sign_in("dora")
    clock.shift(dt.timedelta(minutes=31))
    response = client.post(VERIFY, {"code": code(device)})
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    assert client.get("/")["Location"].startswith(reverse("accounts:login"))
