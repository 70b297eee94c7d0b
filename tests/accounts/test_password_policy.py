"""Password policy (issue 14, item 3): reset by e-mail, forced change at first sign-in, complexity,
history, expiry, idle timeout, lock-out time, and audit retention."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core import mail
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import Client

from accounts.models import AuditEntry, User

pytestmark = pytest.mark.django_db

GOOD = "Lvse-Policy-2026"


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def reset_link(message: mail.EmailMessage) -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", message.body)
    assert match, message.body
    return match.group(1)


@pytest.fixture
def reset_clean(settings):  # type: ignore[no-untyped-def]
    from accounts.views import _reset_throttle_key

    for email in ("alice@example.cn", "nobody@example.cn"):
        cache.delete(_reset_throttle_key(email))
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


# --- reset by e-mail -------------------------------------------------------------------------------


def test_reset_answers_alike_whether_or_not_the_address_has_an_account(city_user, reset_clean):
    city_user.email = "alice@example.cn"
    city_user.save()
    unknown = Client().post("/accounts/password/reset/", {"email": "nobody@example.cn"})
    assert len(mail.outbox) == 0
    known = Client().post("/accounts/password/reset/", {"email": "alice@example.cn"})
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["alice@example.cn"]
    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert known["Location"] == "/accounts/password/reset/done/"
    assert "重置密码" in mail.outbox[0].subject
    assert "60 分钟内有效" in mail.outbox[0].body


def test_reset_link_sets_a_new_password_that_obeys_the_rules_and_is_audited(city_user, reset_clean):
    city_user.email = "alice@example.cn"
    city_user.save()
    client = Client()
    client.post("/accounts/password/reset/", {"email": "alice@example.cn"})
    form_page = client.get(reset_link(mail.outbox[0]), follow=True)
    assert form_page.status_code == 200
    set_url = form_page.redirect_chain[-1][0]
    weak = client.post(set_url, {"new_password1": "abcdefghijk", "new_password2": "abcdefghijk"})
    assert weak.status_code == 200
    assert "至少 3 类" in weak.content.decode()
    done = client.post(set_url, {"new_password1": GOOD, "new_password2": GOOD})
    assert done["Location"] == "/accounts/reset/done/"
    city_user.refresh_from_db()
    assert city_user.check_password(GOOD)
    actions = list(AuditEntry.objects.filter(object_id=str(city_user.pk)).values_list("action", flat=True))
    assert "auth.password_reset_request" in actions
    assert "auth.password_reset" in actions
    # The link works once.
    again = Client().get(reset_link(mail.outbox[0]), follow=True)
    assert "链接无效" in again.content.decode()


def test_reset_link_expires_after_the_configured_time(city_user, reset_clean, settings, time_machine):
    assert settings.PASSWORD_RESET_TIMEOUT == 3600
    city_user.email = "alice@example.cn"
    city_user.save()
    time_machine.move_to(dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC))
    Client().post("/accounts/password/reset/", {"email": "alice@example.cn"})
    time_machine.move_to(dt.datetime(2026, 6, 1, 10, 5, tzinfo=dt.UTC))
    page = Client().get(reset_link(mail.outbox[0]), follow=True)
    assert "链接无效" in page.content.decode()


def test_reset_requests_per_address_are_throttled_without_a_different_answer(
    city_user, reset_clean, settings
):
    city_user.email = "alice@example.cn"
    city_user.save()
    answers = [
        Client().post("/accounts/password/reset/", {"email": "alice@example.cn"})["Location"]
        for _ in range(settings.PASSWORD_RESET_THROTTLE_LIMIT + 2)
    ]
    assert len(mail.outbox) == settings.PASSWORD_RESET_THROTTLE_LIMIT
    assert set(answers) == {"/accounts/password/reset/done/"}


def test_a_failing_mail_server_does_not_reveal_the_account(city_user, reset_clean, settings):
    city_user.email = "alice@example.cn"
    city_user.save()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens there
    response = Client().post("/accounts/password/reset/", {"email": "alice@example.cn"})
    assert response.status_code == 302


# --- forced change at first sign-in ---------------------------------------------------------------


@pytest.fixture
def new_account(db):  # type: ignore[no-untyped-def]
    from accounts.models import Role
    from accounts.permissions import Operator
    from factories.services import user_create

    return user_create(actor=Operator("add_user"), username="newbie", role=Role.AUDITOR, password=GOOD)


def test_an_account_created_by_someone_else_must_change_the_password_first(new_account):
    assert new_account.must_change_password
    client = signed_in(new_account)
    page = client.get("/")
    assert page.status_code == 302 and page["Location"] == "/accounts/password/"
    api = client.get("/api/v1/me/")
    assert api.status_code == 403
    assert "修改密码" in api.json()["detail"] and "/accounts/password/" in api.json()["detail"]
    assert client.get("/accounts/password/").status_code == 200
    assert Client().get("/healthz").status_code == 200
    changed = client.post(
        "/accounts/password/",
        {"old_password": GOOD, "new_password1": "Another-Good-2026", "new_password2": "Another-Good-2026"},
    )
    assert changed.status_code == 302
    new_account.refresh_from_db()
    assert not new_account.must_change_password
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/me/").status_code == 200
    entry = AuditEntry.objects.filter(action="auth.password_change", object_id=str(new_account.pk)).get()
    assert "forced: first" in entry.reason


def test_forced_change_also_stops_api_tokens(new_account, api):
    response = api.post("/api/v1/auth/token/", {"username": "newbie", "password": GOOD})
    assert response.status_code == 403
    assert "修改密码" in response.json()["detail"]


def test_demo_accounts_are_not_forced_to_change(db):
    import random

    from factories.demo import DEMO_USERS, seed_enterprises, seed_users

    seed_users(seed_enterprises(random.Random(1), 2))
    for demo in DEMO_USERS:
        assert not User.objects.get(username=demo.username).must_change_password


# --- complexity -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Ab1-xyz", "密码太短"),  # too short (and Django's message is Chinese in zh-hans)
        ("abcdefghijkl", "至少 3 类"),  # one class
        ("abcdefgh1234", "至少 3 类"),  # two classes
    ],
)
def test_weak_passwords_are_refused_in_chinese(password, message):
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        validate_password(password)
    assert any(message in text for text in refused.value.messages), refused.value.messages


@pytest.mark.parametrize("password", ["lvse-demo-2026", GOOD, "ABCD-efgh-ij", "Abcdefgh1234"])
def test_three_classes_and_ten_characters_pass(password):
    validate_password(password)


# --- history --------------------------------------------------------------------------------------


def test_none_of_the_last_five_passwords_may_be_reused(city_user):
    passwords = [f"History-{n}-Pass" for n in range(1, 7)]
    for password in passwords:
        validate_password(password, city_user)
        city_user.set_password(password)
        city_user.save()
    for recent in passwords[1:]:
        with pytest.raises(ValidationError) as refused:
            validate_password(recent, city_user)
        assert "最近 5 次" in refused.value.messages[0]
    validate_password(passwords[0], city_user)  # the sixth-newest is allowed again
    assert city_user.password_history.count() == 5


# --- expiry ---------------------------------------------------------------------------------------


def test_an_expired_password_sends_the_user_to_the_change_page(city_user, settings, time_machine):
    time_machine.move_to(dt.datetime(2026, 1, 1, 9, 0, tzinfo=dt.UTC))
    city_user.set_password("Expiring-Pass-1")
    city_user.save()
    time_machine.move_to(dt.datetime(2026, 5, 1, 9, 0, tzinfo=dt.UTC))
    client = signed_in(city_user)
    assert client.get("/").status_code == 200  # off by default
    settings.PASSWORD_MAX_AGE_DAYS = 90
    page = client.get("/")
    assert page.status_code == 302 and page["Location"] == "/accounts/password/"
    assert client.get("/api/v1/me/").status_code == 403
    settings.PASSWORD_MAX_AGE_DAYS = 180
    assert client.get("/").status_code == 200


# --- idle timeout ---------------------------------------------------------------------------------


def test_an_idle_session_is_signed_out_with_a_chinese_message(city_user, time_machine):
    time_machine.move_to(dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC))
    client = signed_in(city_user)
    assert client.get("/").status_code == 200
    time_machine.move_to(dt.datetime(2026, 6, 1, 9, 29, tzinfo=dt.UTC))
    assert client.get("/").status_code == 200  # activity slides the limit on
    time_machine.move_to(dt.datetime(2026, 6, 1, 9, 58, tzinfo=dt.UTC))
    assert client.get("/").status_code == 200
    time_machine.move_to(dt.datetime(2026, 6, 1, 10, 29, tzinfo=dt.UTC))
    page = client.get("/", follow=True)
    assert page.redirect_chain[0][0].startswith("/accounts/login/")
    assert "长时间未操作，已自动退出，请重新登录" in page.content.decode()
    assert client.get("/").status_code == 302


def test_api_tokens_are_not_affected_by_the_idle_timeout(city_user, api, time_machine):
    time_machine.move_to(dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC))
    key = api.post("/api/v1/auth/token/", {"username": "alice", "password": "correct-horse-battery"}).json()[
        "token"
    ]
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/me/").status_code == 200
    time_machine.move_to(dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC))
    assert api.get("/api/v1/me/").status_code == 200


# --- lock-out time --------------------------------------------------------------------------------


def test_the_lock_out_page_says_when_to_retry(city_user, settings):
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=45)
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
    locked = client.post("/accounts/login/", {"username": "alice", "password": "correct-horse-battery"})
    assert locked.status_code == 429
    assert "请在 45 分钟后重试" in locked.content.decode()


# --- audit retention (网络安全法 Art. 21) ---------------------------------------------------------------


def test_audit_rows_younger_than_180_days_may_not_be_removed():
    from accounts import audit

    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    with pytest.raises(ValueError, match="180"):
        audit.check_retention(now - dt.timedelta(days=179), now=now)
    audit.check_retention(now - dt.timedelta(days=181), now=now)


def test_no_periodic_cleanup_removes_audit_rows(city_user, time_machine):
    from accounts import audit
    from accounts.tasks import clear_expired_sessions, clear_expired_tokens

    time_machine.move_to(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    entry = audit.record_security_event(action="auth.login", user=city_user)
    time_machine.move_to(dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    clear_expired_sessions()
    clear_expired_tokens()
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_the_new_pages_and_messages_have_english(city_user, reset_clean, settings):
    from django.utils import translation

    city_user.email = "alice@example.cn"
    city_user.save()
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/accounts/password/reset/").content.decode()
    assert "Reset password" in page and "works for 60" in page
    client.post("/accounts/password/reset/", {"email": "alice@example.cn"})
    assert "reset your password" in mail.outbox[0].subject
    assert "works for 60 minutes" in mail.outbox[0].body
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        validate_password("abcdefgh1234")
    assert "at least 3 of the four kinds" in refused.value.messages[0]
    with translation.override("en"):
        from accounts.passwords import change_required_message

        assert "first sign-in" in change_required_message("first")
