"""Defects of issue 16 item 7 in the frame and the wording: the platform's name as the policy writes it (与),
Chinese full-width colons after labels and no English jargon in Chinese text, no API docs entry in an
enterprise's menu, and the unread-notification count on every page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Notification

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
WRONG_NAME = "动态管理和梯度培育"
RIGHT_NAME = "动态管理与梯度培育"
# A Chinese character (or closing Chinese punctuation) followed by an ASCII colon, as in "年度:".
ASCII_COLON_AFTER_CHINESE = re.compile(r"[\u4e00-\u9fff）」》]\s?:")


def user_facing_files() -> list[Path]:
    files = [ROOT / "README.md", ROOT / "pyproject.toml", ROOT / "locale/en/LC_MESSAGES/django.po"]
    for folder, pattern in (
        ("templates", "**/*.html"),
        ("templates", "**/*.txt"),
        ("static", "**/*.js"),
        ("docs", "**/*.md"),
        ("config", "*.py"),
        ("accounts", "**/*.py"),
        ("factories", "**/*.py"),
        ("reporting", "**/*.py"),
        ("cultivation", "**/*.py"),
    ):
        files += [p for p in (ROOT / folder).glob(pattern) if "migrations" not in p.parts]
    return files


def msgids() -> list[str]:
    text = (ROOT / "locale/en/LC_MESSAGES/django.po").read_text(encoding="utf-8")
    ids = []
    for block in text.split("\n\n"):
        match = re.search(r'^msgid ((?:".*"\n?)+)', block, re.MULTILINE)
        if match:
            ids.append("".join(re.findall(r'"(.*)"', match.group(1))))
    return [i for i in ids if i]


def sidenav(html: str) -> str:
    return html.split('<nav class="sidenav"')[1].split("</nav>")[0]


# --- the platform's name -------------------------------------------------------------------------------


def test_the_platforms_name_says_yu_as_the_policy_does(client, city_user):
    assert RIGHT_NAME in str(settings.PLATFORM_NAME)
    login = client.get("/accounts/login/").content.decode()
    assert RIGHT_NAME in login and WRONG_NAME not in login
    client.force_login(city_user)
    home = client.get("/").content.decode()
    assert "重庆市绿色工厂动态管理与梯度培育平台" in home and WRONG_NAME not in home


def test_the_wrong_name_is_nowhere_in_the_source_or_docs():
    offenders = [str(p.relative_to(ROOT)) for p in user_facing_files() if WRONG_NAME in p.read_text("utf-8")]
    assert offenders == []


def test_the_english_name_is_unchanged(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/accounts/login/").content.decode()
    assert "Chongqing Green Factory Dynamic Management and Gradient Cultivation Platform" in html


# --- colons and jargon ---------------------------------------------------------------------------------


def test_chinese_texts_use_the_full_width_colon():
    offenders = [m for m in msgids() if ASCII_COLON_AFTER_CHINESE.search(m)]
    for path in user_facing_files():
        if path.suffix in (".html", ".txt", ".js"):
            for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
                if ASCII_COLON_AFTER_CHINESE.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_no_english_jargon_in_chinese_texts():
    assert [m for m in msgids() if re.search(r"what[- ]?if", m, re.IGNORECASE)] == []
    for path in (ROOT / "templates").glob("**/*.html"):
        assert not re.search(r"what[- ]?if", path.read_text("utf-8"), re.IGNORECASE), path


@pytest.mark.parametrize("url", ["/accounts/password/", "/factories/enterprises/new/"])
def test_form_labels_end_without_an_ascii_colon(client, district_user, url):
    client.force_login(district_user)
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    labels = re.findall(r"<label[^>]*>(.*?)</label>", html, re.DOTALL)
    assert labels
    assert [label for label in labels if label.strip().endswith(":")] == []
    assert not ASCII_COLON_AFTER_CHINESE.search(html.split("<main")[1])


# --- the menu ------------------------------------------------------------------------------------------


def test_an_enterprises_menu_has_no_api_docs_entry(client, enterprise_user, city_user):
    client.force_login(enterprise_user)
    assert "/api/docs/" not in sidenav(client.get("/").content.decode())
    client.force_login(city_user)
    assert 'href="/api/docs/"' in sidenav(client.get("/").content.decode())


def notice(user, n: int, read: bool = False) -> Notification:  # type: ignore[no-untyped-def]
    return Notification.objects.create(
        user=user,
        kind="test",
        key=f"test:{n}",
        title=f"通知 {n}",
        read_at=timezone.now() if read else None,
    )


BADGE = re.compile(
    r'<a href="/reporting/notifications/"[^>]*>通知 <span class="nav-count" aria-hidden="true">(\d+)</span>'
)


@pytest.mark.parametrize("url", ["/factories/enterprises/", "/reporting/submissions/", "/no-such-page/"])
def test_the_unread_count_is_in_the_menu_on_every_page(client, district_user, other_district_user, url):
    client.force_login(district_user)
    assert not BADGE.search(client.get(url).content.decode())  # nothing unread: no badge
    notice(district_user, 1)
    notice(district_user, 2)
    notice(district_user, 3, read=True)
    notice(other_district_user, 4)
    html = client.get(url).content.decode()
    match = BADGE.search(html)
    assert match and match.group(1) == "2"
    assert "（2 条未读）" in html
    Notification.objects.filter(user=district_user).update(read_at=timezone.now())
    assert not BADGE.search(client.get(url).content.decode())


def test_the_unread_count_costs_at_most_one_query(client, district_user):
    notice(district_user, 1)
    client.force_login(district_user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/factories/enterprises/").status_code == 200
    counts = [q["sql"] for q in queries.captured_queries if "reporting_notification" in q["sql"]]
    assert len(counts) <= 1, counts
