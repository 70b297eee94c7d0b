"""API tokens: a new one at each sign-in, an expiry, rotated by a password change, revocable by the API and
from the tokens page, and never stored in clear (issue 13, finding 4)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
NEW_PASSWORD = "Lü-Green-Factory-2026"


def sign_in(username: str = "alice", password: str = PASSWORD) -> str:
    response = APIClient().post("/api/v1/auth/token/", {"username": username, "password": password})
    assert response.status_code == 200, response.content
    return str(response.json()["token"])


def me(token: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client.get("/api/v1/me/").status_code


def test_each_sign_in_issues_a_different_token_and_both_work(city_user):
    first, second = sign_in(), sign_in()
    assert first != second
    assert me(first) == 200 and me(second) == 200


def test_the_token_answer_says_when_the_token_expires(city_user, settings):
    settings.API_TOKEN_TTL_DAYS = 30
    response = APIClient().post("/api/v1/auth/token/", {"username": "alice", "password": PASSWORD})
    expires = dt.datetime.fromisoformat(response.json()["expires_at"])
    assert abs(expires - (timezone.now() + dt.timedelta(days=30))) < dt.timedelta(minutes=1)


def test_a_token_stops_working_after_the_configured_number_of_days(city_user, settings):
    settings.API_TOKEN_TTL_DAYS = 30
    token = sign_in()
    with time_machine.travel(timezone.now() + dt.timedelta(days=29), tick=False):
        assert me(token) == 200
    with time_machine.travel(timezone.now() + dt.timedelta(days=31), tick=False):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        response = client.get("/api/v1/me/")
        assert response.status_code == 401
        assert "过期" in response.json()["detail"]


def test_changing_the_password_on_the_web_ends_every_token(city_user):
    tokens = [sign_in(), sign_in()]
    client = Client()
    client.force_login(city_user)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert [me(token) for token in tokens] == [401, 401]
    assert me(sign_in(password=NEW_PASSWORD)) == 200


def test_a_password_set_by_any_other_path_also_ends_the_tokens(city_user):
    """An operator resetting a password (admin, shell, command) must not leave the old tokens working."""
    token = sign_in()
    city_user.set_password(NEW_PASSWORD)
    city_user.save()
    assert me(token) == 401


def test_a_deactivated_account_cannot_use_its_token(city_user):
    token = sign_in()
    city_user.is_active = False
    city_user.save()
    assert me(token) == 401


def test_delete_revokes_the_token_it_is_sent_with_and_no_other(city_user):
    kept, revoked = sign_in(), sign_in()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {revoked}")
    assert client.delete("/api/v1/auth/token/").status_code == 204
    assert me(revoked) == 401
    assert me(kept) == 200


def test_delete_without_a_token_is_refused(city_user):
    client = APIClient()
    assert client.delete("/api/v1/auth/token/").status_code == 401
    client.force_login(city_user)
    assert client.delete("/api/v1/auth/token/").status_code == 401


def test_a_bad_authorization_header_does_not_stop_a_sign_in(city_user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    response = client.post("/api/v1/auth/token/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 200


def test_the_key_is_not_stored_in_clear(city_user):
    token = sign_in()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_apitoken")
        rows = cursor.fetchall()
    assert rows and not any(token in str(value) for row in rows for value in row)


def test_the_tokens_page_lists_only_the_users_own_tokens(city_user, district_user):
    mine = sign_in()
    theirs = sign_in("bob")
    client = Client()
    client.force_login(city_user)
    html = client.get(reverse("accounts:tokens")).content.decode()
    assert "API 令牌" in html
    assert mine[:8] in html and theirs[:8] not in html
    assert mine not in html  # the page never shows a whole key


def test_a_user_revokes_a_token_from_the_tokens_page(city_user):
    from accounts.models import ApiToken

    kept, revoked = sign_in(), sign_in()
    target = ApiToken.objects.get(prefix=revoked[:8])
    client = Client()
    client.force_login(city_user)
    response = client.post(reverse("accounts:token_revoke", args=[target.pk]), follow=True)
    assert response.status_code == 200
    assert "已撤销" in response.content.decode()
    assert me(revoked) == 401 and me(kept) == 200


def test_nobody_revokes_another_users_token(city_user, district_user):
    from accounts.models import ApiToken

    theirs = sign_in("bob")
    target = ApiToken.objects.get(prefix=theirs[:8])
    client = Client()
    client.force_login(city_user)
    assert client.post(reverse("accounts:token_revoke", args=[target.pk])).status_code == 404
    assert me(theirs) == 200


def test_the_tokens_page_needs_sign_in(db):
    response = Client().get(reverse("accounts:tokens"))
    assert response.status_code == 302
