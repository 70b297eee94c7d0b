"""The error pages (issue 16, item 6): 400, 403, 404, 500 and a refused form in Chinese (English when chosen),
inside the site's frame, saying why and what to do; JSON under /api/; no technical debug page in `make run`'s
default settings; a 500 that still answers when the database or a context processor is broken."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from accounts import views_errors

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
TEST_URLS = "tests.accounts.error_urls"

# What Django's own pages say; none of it may reach a user.
TECHNICAL = (
    "Traceback",
    "Using the URLconf",
    "You’re seeing this error because you have",
    "DEBUG = True",
    "Page not found at",
    "<h1>Not Found</h1>",
    "Server Error (500)",
    "Bad Request (400)",
    "403 Forbidden",
    "CSRF verification failed",
    "matches the given query",
    "KeyError",
    "0x7f",
)


def page(response) -> str:  # type: ignore[no-untyped-def]
    html = response.content.decode()
    for text in TECHNICAL:
        assert text not in html, text
    assert response["Content-Type"].startswith("text/html")
    return html


def in_frame(html: str) -> None:
    assert '<header class="topbar">' in html
    assert "重庆市绿色工厂动态管理与梯度培育平台" in html or "Chongqing green-factory" in html
    assert 'href="/"' in html  # 回到首页 / the brand


def english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


# --- 404 -----------------------------------------------------------------------------------------------


def test_404_is_chinese_in_the_frame_and_says_what_to_do(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = page(response)
    in_frame(html)
    assert '<html lang="zh-hans">' in html
    assert "找不到您要访问的页面" in html
    assert "检查网址是否输入正确" in html and "回到首页" in html
    assert "企业请联系所在区县经信部门" in html
    assert 'class="sidenav"' not in html  # nobody signed in: no menu


def test_404_of_a_signed_in_user_has_the_navigation_and_a_way_back(client, district_user):
    client.force_login(district_user)
    response = client.get("/no-such-page/", HTTP_REFERER="http://testserver/factories/enterprises/")
    html = page(response)
    assert response.status_code == 404
    assert 'class="sidenav"' in html and "企业名录" in html and "区县审核" in html
    assert 'href="http://testserver/factories/enterprises/">返回上一页' in html
    assert "请联系市经济信息委" in html  # a district asks the city


def test_404_gives_no_way_back_to_another_site(client, district_user):
    client.force_login(district_user)
    html = page(client.get("/no-such-page/", HTTP_REFERER="https://evil.example/"))
    assert "evil.example" not in html and "返回上一页" not in html


def test_a_record_outside_the_scope_answers_the_same_404_page(client, district_user, jiangjin_enterprise):
    client.force_login(district_user)
    response = client.get(f"/factories/enterprises/{jiangjin_enterprise.pk}/")
    assert response.status_code == 404
    html = page(response)
    assert "找不到您要访问的页面" in html and "不在您的管理范围内" in html
    assert jiangjin_enterprise.name not in html


def test_404_is_english_when_english_is_chosen(client, city_user):
    client.force_login(city_user)
    html = page(english(client).get("/no-such-page/"))
    assert '<html lang="en">' in html
    assert "We cannot find the page you asked for" in html
    assert "Back to the home page" in html and "Enterprise register" in html
    assert not re.search(r"[\u4e00-\u9fff]", html.split("<main")[1].split("</main>")[0])


# --- 403 -----------------------------------------------------------------------------------------------


def test_403_of_a_missing_right_is_chinese_in_the_frame(client, enterprise_user):
    client.force_login(enterprise_user)
    response = client.get("/reporting/review/district/")
    assert response.status_code == 403
    html = page(response)
    in_frame(html)
    assert 'class="sidenav"' in html
    assert "您不能执行此操作" in html and "您的账号没有访问此页面或执行此操作的权限" in html
    assert "请联系本企业所在区县的经信部门" in html  # an enterprise asks its district


@pytest.mark.urls(TEST_URLS)
def test_403_shows_the_services_own_reason(client, district_user):
    client.force_login(district_user)
    response = client.get("/boom/refused/")
    assert response.status_code == 403
    html = page(response)
    assert "只有区县经信部门可以执行此操作。" in html
    assert "您的账号没有访问此页面或执行此操作的权限" not in html  # the reason replaces the generic text


@pytest.mark.urls(TEST_URLS)
def test_403_shows_the_reason_in_english_when_english_is_chosen(client, district_user):
    client.force_login(district_user)
    html = page(english(client).get("/boom/refused/"))
    assert "Only the district bureau can perform this action." in html


@pytest.mark.urls(TEST_URLS)
@pytest.mark.parametrize("url", ["/boom/refused-code/", "/boom/refused-object/"])
def test_403_never_shows_an_internal_code_or_repr(client, district_user, url):
    client.force_login(district_user)
    response = client.get(url)
    assert response.status_code == 403
    html = page(response)
    assert "submission.verify" not in html and "not_allowed" not in html and "{" not in html.split("<main")[1]
    assert "您的账号没有访问此页面或执行此操作的权限" in html


@pytest.mark.urls(TEST_URLS)
def test_an_uncaught_refusal_of_a_service_is_a_403_with_its_reason_not_a_500(client, district_user):
    client.force_login(district_user)
    response = client.get("/boom/not-allowed/")
    assert response.status_code == 403
    assert "只有区县经信部门可以执行此操作。" in page(response)


@pytest.mark.urls(TEST_URLS)
def test_an_uncaught_conflict_is_a_409_with_its_reason(client, district_user):
    client.force_login(district_user)
    response = client.get("/boom/conflict/")
    assert response.status_code == 409
    html = page(response)
    assert "该记录的状态已发生变化，请刷新页面后重试。" in html and "错误代码 409" in html


def test_a_form_sent_from_an_expired_page_gets_the_chinese_csrf_page(district_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(district_user)
    response = client.post("/accounts/password/", {"old_password": "x"})
    assert response.status_code == 403
    html = page(response)
    in_frame(html)
    assert "页面已过期" in html and "刷新页面后重新填写并提交" in html
    assert 'class="sidenav"' in html


# --- 400 -----------------------------------------------------------------------------------------------


@pytest.mark.urls(TEST_URLS)
@pytest.mark.parametrize("url", ["/boom/bad/", "/boom/suspicious/"])
def test_400_is_chinese_in_the_frame_without_the_developers_note(client, city_user, url):
    client.force_login(city_user)
    response = client.get(url)
    assert response.status_code == 400
    html = page(response)
    in_frame(html)
    assert 'class="sidenav"' in html
    assert "请求有误，无法处理" in html and "检查地址栏中的网址是否完整" in html
    assert "malformed" not in html and "tampered" not in html


@pytest.mark.urls(TEST_URLS)
def test_an_uncaught_invalid_input_is_a_400_with_the_services_message(client, city_user):
    client.force_login(city_user)
    response = client.get("/boom/invalid/")
    assert response.status_code == 400
    assert "提交的数据有误，请检查标出的字段。" in page(response)


def test_a_foreign_host_gets_the_400_page(client):
    response = client.get("/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    html = page(response)
    assert "请求有误，无法处理" in html


# --- 500 -----------------------------------------------------------------------------------------------


@pytest.mark.urls(TEST_URLS)
@pytest.mark.parametrize("url", ["/boom/crash/", "/boom/database/"])
def test_500_is_chinese_in_a_plain_frame_and_shows_nothing_internal(city_user, url):
    client = Client(raise_request_exception=False)
    client.force_login(city_user)
    response = client.get(url)
    assert response.status_code == 500
    html = page(response)
    in_frame(html)
    assert "系统出错，请求未能完成" in html and "稍等片刻后刷新页面重试" in html
    assert "connection to server" not in html and "RuntimeError" not in html
    assert 'class="sidenav"' not in html  # the plain frame reads neither the user nor the database


@pytest.mark.urls(TEST_URLS)
def test_500_is_english_when_english_is_chosen(city_user):
    client = english(Client(raise_request_exception=False))
    client.force_login(city_user)
    html = page(client.get("/boom/crash/"))
    assert "Something went wrong" in html


def test_500_runs_no_query_and_no_context_processor(monkeypatch):
    def broken(*args):  # type: ignore[no-untyped-def]
        raise RuntimeError("context processor broken")

    monkeypatch.setattr("accounts.context_processors.page_right", broken)
    request = RequestFactory().get("/reporting/submissions/")
    with CaptureQueriesContext(connection) as queries:
        response = views_errors.server_error(request)
    assert response.status_code == 500
    assert queries.captured_queries == []
    assert "系统出错，请求未能完成" in response.content.decode()


def test_other_error_pages_fall_back_to_the_plain_frame_when_the_full_one_fails(
    client, city_user, monkeypatch
):
    def broken(*args):  # type: ignore[no-untyped-def]
        raise RuntimeError("context processor broken")

    monkeypatch.setattr("accounts.context_processors.page_right", broken)
    client.force_login(city_user)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = page(response)
    assert "找不到您要访问的页面" in html and 'class="sidenav"' not in html


def test_500_answers_even_when_its_template_cannot_be_rendered(monkeypatch):
    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("template engine broken")

    monkeypatch.setattr(views_errors.loader, "render_to_string", broken)
    response = views_errors.server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "系统出错" in response.content.decode()


# --- the API keeps JSON --------------------------------------------------------------------------------


def test_an_unknown_api_path_answers_json(client, city_user):
    client.force_login(city_user)
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {"detail": "未找到。"}


def test_api_refusals_and_missing_rows_stay_json(client, enterprise_user, jiangjin_enterprise):
    client.force_login(enterprise_user)
    missing = client.get(f"/api/v1/enterprises/{jiangjin_enterprise.pk}/")
    assert missing.status_code == 404 and "detail" in missing.json()
    anonymous = Client().get("/api/v1/enterprises/")
    assert anonymous.status_code in (401, 403) and "detail" in anonymous.json()


@pytest.mark.urls(TEST_URLS)
def test_api_paths_get_json_for_400_403_and_500(city_user):
    client = Client(raise_request_exception=False)
    client.force_login(city_user)
    for url, status, detail in (
        ("/api/v1/boom/crash/", 500, "服务器内部错误，请稍后重试。"),
        ("/api/v1/boom/bad/", 400, "请求有误，无法处理。"),
        ("/api/v1/boom/refused/", 403, "只有区县经信部门可以执行此操作。"),
    ):
        response = client.get(url)
        assert response.status_code == status
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"detail": detail}


# --- `make run`'s default settings ---------------------------------------------------------------------

PROBE = textwrap.dedent(
    """
    import json
    import django
    django.setup()
    from django.conf import settings
    from django.test import Client
    client = Client(raise_request_exception=False)
    out = {"DEBUG": settings.DEBUG, "DEVELOPMENT": settings.DEVELOPMENT}
    response = client.get("/no-such-page/")
    out["404"] = [response.status_code, response.content.decode()]
    response = client.get("/static/css/app.css")
    out["static"] = response.status_code
    client.cookies[settings.SESSION_COOKIE_NAME] = "x" * 32  # the empty database has no session table
    response = client.get("/reporting/submissions/")
    out["500"] = [response.status_code, response.content.decode()]
    print(json.dumps(out))
    """
)


def probe(tmp_path: Path, **env: str) -> dict:  # type: ignore[type-arg]
    """Start the platform as `make run` does (nothing set but a fresh, unmigrated SQLite file) and ask it
    for a missing page, a stylesheet and a page whose database is broken."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "DEV_DEBUG_PAGES", "SECRET_KEY", "ALLOWED_HOSTS", "REDIS_URL", "DATABASE_URL"}
        and not k.startswith(("DJANGO_", "PYTEST"))
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
            "RUN_DIR": str(tmp_path / "run"),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_make_runs_default_shows_the_platforms_pages_not_djangos_debug_pages(tmp_path):
    out = probe(tmp_path)
    assert out["DEVELOPMENT"] is True  # still development mode: dev key, local hosts, files from the finders
    assert out["DEBUG"] is False
    status, html = out["404"]
    assert status == 404 and "找不到您要访问的页面" in html
    status, html = out["500"]
    assert status == 500 and "系统出错，请求未能完成" in html
    for text in TECHNICAL:
        assert text not in out["404"][1] and text not in out["500"][1], text
    assert out["static"] == 200  # the stylesheet is still served without collectstatic


def test_djangos_debug_pages_only_when_asked_for_explicitly(tmp_path):
    out = probe(tmp_path, DEV_DEBUG_PAGES="true")
    assert out["DEBUG"] is True
    assert "Using the URLconf" in out["404"][1]
    assert "Traceback" in out["500"][1]


def test_production_never_shows_debug_pages_even_if_asked():
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "DEV_DEBUG_PAGES"} and not k.startswith("PYTEST")
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", "from django.conf import settings as s; print(s.DEBUG)"],
        cwd=ROOT,
        env={
            **env,
            "DEBUG": "false",
            "DEV_DEBUG_PAGES": "true",
            "SECRET_KEY": "p" * 20 + "roduction-secret-key-that-is-long-and-random-9f8e7d6c5b4a",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split()[-1] == "False"
