"""Security events in the audit trail, audit rows that the database itself keeps unchangeable, and a
password rule against the username repeated (issue 13, finding 12)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, transaction
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import AuditEntry

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
NEW_PASSWORD = "Lü-Green-Factory-2026"


def entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("id"))


def assert_no_secret_in_the_trail(*secrets: str) -> None:
    for entry in AuditEntry.objects.all():
        text = f"{entry.changes} {entry.reason} {entry.object_repr} {entry.actor_name}"
        assert not any(secret in text for secret in secrets), text


# --- security events --------------------------------------------------------------------------------


def test_a_web_sign_in_and_sign_out_are_recorded_with_the_client_address(city_user):
    client = Client(REMOTE_ADDR="198.51.100.7")
    client.post(reverse("accounts:login"), {"username": "alice", "password": PASSWORD})
    client.post(reverse("accounts:logout"))
    (signed_in,) = entries("auth.login")
    (signed_out,) = entries("auth.logout")
    for entry in (signed_in, signed_out):
        assert entry.actor == city_user and entry.object_id == str(city_user.pk)
        assert "198.51.100.7" in entry.reason
    assert_no_secret_in_the_trail(PASSWORD)


def test_a_failed_sign_in_is_recorded_against_the_account_without_the_password(city_user):
    Client().post(reverse("accounts:login"), {"username": "alice", "password": "wrong-guess-123"})
    APIClient().post("/api/v1/auth/token/", {"username": "nobody", "password": "wrong-guess-456"})
    known, unknown = entries("auth.login_failed")
    assert known.actor is None and known.object_id == str(city_user.pk) and known.object_repr == "alice"
    assert unknown.object_id == "" and unknown.object_repr == "nobody"
    assert_no_secret_in_the_trail("wrong-guess-123", "wrong-guess-456")


def test_the_failure_that_locks_an_account_is_recorded_as_a_lockout(city_user, settings):
    api = APIClient()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        api.post("/api/v1/auth/token/", {"username": "alice", "password": "wrong"})
    assert len(entries("auth.login_failed")) == settings.AXES_FAILURE_LIMIT - 1
    (locked,) = entries("auth.lockout")
    assert locked.object_id == str(city_user.pk)


def test_a_password_change_is_recorded(city_user):
    client = Client()
    client.force_login(city_user)
    client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    (changed,) = entries("auth.password_change")
    assert changed.actor == city_user
    assert_no_secret_in_the_trail(PASSWORD, NEW_PASSWORD)


def test_issuing_and_revoking_tokens_is_recorded_without_the_key(city_user):
    api = APIClient()
    first = api.post("/api/v1/auth/token/", {"username": "alice", "password": PASSWORD}).json()["token"]
    second = api.post("/api/v1/auth/token/", {"username": "alice", "password": PASSWORD}).json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {first}")
    api.delete("/api/v1/auth/token/")
    from accounts.models import ApiToken

    client = Client()
    client.force_login(city_user)
    client.post(reverse("accounts:token_revoke", args=[ApiToken.objects.get(prefix=second[:8]).pk]))
    issued = entries("token.issue")
    revoked = entries("token.revoke")
    assert len(issued) == 2 and len(revoked) == 2
    assert all(entry.actor == city_user for entry in issued + revoked)
    assert first[:8] in revoked[0].reason and second[:8] in revoked[1].reason
    assert_no_secret_in_the_trail(first, second)


# --- audit rows cannot be changed -----------------------------------------------------------------------


@pytest.mark.postgres
def test_the_database_refuses_to_change_or_delete_an_audit_entry(city_user):
    from accounts import audit

    entry = audit.record(actor=city_user, action="test.write", obj=city_user, reason="原始原因")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(reason="篡改")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(actor=None, reason="")
    entry.refresh_from_db()
    assert entry.reason == "原始原因"


@pytest.mark.postgres
def test_deleting_an_account_keeps_its_audit_entries_under_its_name(city_user, auditor):
    from accounts import audit

    entry = audit.record(actor=auditor, action="test.write", obj=city_user)
    auditor.delete()
    entry.refresh_from_db()
    assert entry.actor is None and entry.actor_name == "frank"


# --- passwords ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["lockmixlockmix", "LockMix-lockmix", "lockmixlockmixlockmix"])
def test_a_password_made_of_the_username_repeated_is_refused(password):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    from tests.model_factories import UserFactory

    user = UserFactory(username="lockmix")
    with pytest.raises(ValidationError) as refused:
        validate_password(password, user)
    assert "password_username_repeated" in [error.code for error in refused.value.error_list]
    assert "用户名" in " ".join(refused.value.messages)


def test_a_password_that_merely_contains_the_username_once_is_not_refused_for_that():
    from django.contrib.auth.password_validation import validate_password

    from tests.model_factories import UserFactory

    validate_password("lockmix-绿色工厂-Qz7#2026", UserFactory(username="lockmix"))


def documented_grants(role: str) -> str:
    """The SQL block of the README's section on the audit trail, for `role`."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### 审计记录不可修改") :]
    block = section[
        section.index("```sql") + len("```sql") : section.index("```", section.index("```sql") + 6)
    ]
    return block.replace("greenfactory_app", role)


@pytest.mark.postgres
def test_the_documented_grants_let_the_application_add_entries_and_nothing_more(city_user):
    """The README's grants, on a role created inside the test's transaction (rolled back with it)."""
    from django.db import connection

    from accounts import audit

    entry = audit.record(actor=city_user, action="test.write", obj=city_user, reason="原始原因")
    role = f"audit_app_{connection.settings_dict['NAME']}"[:60]

    def as_role(sql: str, *params: object) -> None:
        """Run `sql` as the role; called inside a savepoint, whose rollback also undoes the SET ROLE."""
        with connection.cursor() as cursor:
            cursor.execute(f'SET ROLE "{role}"')
            cursor.execute(sql, params)
            cursor.execute("RESET ROLE")

    def current_user() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            return str(cursor.fetchone()[0])

    owner = current_user()

    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{role}" NOLOGIN')
        cursor.execute(documented_grants(f'"{role}"'))
    with transaction.atomic():
        as_role(
            "INSERT INTO accounts_auditentry (at, actor_name, action, object_type, object_id, object_repr,"
            " changes, reason) VALUES (now(), 'app', 'test.insert', 'accounts.user', '1', 'x', '{}', '')"
        )
    with transaction.atomic():
        as_role("UPDATE accounts_auditentry SET actor_id = NULL WHERE id = %s", entry.pk)
    for refused in (
        "UPDATE accounts_auditentry SET reason = 'x'",
        "DELETE FROM accounts_auditentry",
        "TRUNCATE accounts_auditentry",
    ):
        with pytest.raises(DatabaseError, match=r"permission denied|append-only"), transaction.atomic():
            as_role(refused)
        assert current_user() == owner
    assert AuditEntry.objects.filter(action="test.insert").exists()
    entry.refresh_from_db()
    assert entry.actor is None and entry.reason == "原始原因"
