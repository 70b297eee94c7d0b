"""Token auth, login pages, throttling and the language rule."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_token_endpoint_exchanges_username_and_password_for_a_working_token(api, city_user):
    response = api.post("/api/v1/auth/token/", {"username": "alice", "password": "correct-horse-battery"})
    assert response.status_code == 200
    token = response.json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/me/").json()["username"] == "alice"


def test_token_endpoint_refuses_a_wrong_password_in_chinese(api, city_user):
    response = api.post("/api/v1/auth/token/", {"username": "alice", "password": "wrong"})
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["用户名或密码不正确。"]}


def test_an_invalid_token_is_refused(api, db):
    api.credentials(HTTP_AUTHORIZATION="Token 0000000000000000000000000000000000000000")
    assert api.get("/api/v1/me/").status_code == 401


def test_token_endpoint_locks_after_repeated_failures(api, city_user, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        api.post("/api/v1/auth/token/", {"username": "alice", "password": "wrong"})
    locked = api.post("/api/v1/auth/token/", {"username": "alice", "password": "correct-horse-battery"})
    assert locked.status_code == 429
    assert "锁定" in locked.json()["detail"]


def test_web_login_locks_after_repeated_failures(city_user, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        page = client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
        assert "用户名或密码不正确" in page.content.decode()
    client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
    locked = client.post("/accounts/login/", {"username": "alice", "password": "correct-horse-battery"})
    assert locked.status_code == 429
    assert "账户已被暂时锁定" in locked.content.decode()


def test_web_login_with_right_password_reaches_the_chinese_home_page(city_user):
    client = Client()
    response = client.post(
        "/accounts/login/", {"username": "alice", "password": "correct-horse-battery"}, follow=True
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in html
    assert "市经济信息委" in html
    assert "退出登录" in html


def test_pages_stay_chinese_for_an_english_browser_until_the_user_switches(city_user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    client.force_login(city_user)
    assert '<html lang="zh-hans">' in client.get("/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert "Log out" in html


def test_api_errors_follow_accept_language(city_user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    body = client.get("/api/v1/me/").json()
    assert "credentials" in body["detail"].lower()
    chinese = Client().get("/api/v1/me/").json()
    assert "身份认证信息" in chinese["detail"]


def test_home_page_requires_login(db):
    response = Client().get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_password_change_page_is_in_chinese(city_user):
    client = Client()
    client.force_login(city_user)
    html = client.get("/accounts/password/").content.decode()
    assert "修改密码" in html and "旧密码" in html


def test_weak_passwords_are_refused_on_change(city_user):
    client = Client()
    client.force_login(city_user)
    response = client.post(
        "/accounts/password/",
        {"old_password": "correct-horse-battery", "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert response.status_code == 200
    assert "密码" in response.content.decode() and "太短" in response.content.decode()
