"""Browser journeys: Debian's Chromium, driven by Playwright's sync API, against pytest-django's live_server.

Playwright's own browser download does not work here, so the system Chromium is launched (see the
`browser` fixture for the two things its sync API does to the test thread, and what is done about them).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REQUIRE_SERVICES, _missing

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
PASSWORD = "correct-horse-battery"  # what tests.model_factories.UserFactory sets
TIMEOUT_MS = 15_000
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def _browser_problem() -> str | None:
    if importlib.util.find_spec("playwright") is None:
        return "needs Playwright: .venv/bin/pip install -e '.[dev]' (never `playwright install`)"
    if not CHROMIUM.exists():
        return f"needs Debian's Chromium at {CHROMIUM}: apt-get install -y chromium fonts-noto-cjk"
    return None


BROWSER_PROBLEM = _browser_problem()


def skip_module_without_browser() -> None:
    """Called at the top of each browser test module: without a browser, skip the module, unless
    REQUIRE_SERVICES=1 — then its tests run and each fails in the `browser` fixture, saying why."""
    if BROWSER_PROBLEM is not None and not REQUIRE_SERVICES:
        pytest.skip(BROWSER_PROBLEM, allow_module_level=True)


# --- the browser ---------------------------------------------------------------------------------------


def _start_playwright() -> Any:
    """Start Playwright's sync API without losing the test thread's database connections.

    Between calls the sync API marks its event loop as running in the test thread. Django keeps database
    connections per thread, but per async context once a loop runs (asgiref's thread-critical Local), so
    the test would continue with fresh connection objects: on SQLite without the serialized copy of the
    migrations' reference data that `serialized_rollback` restores, and so every test after the first
    would find an empty reference table. The same connection objects are put in both places.
    """
    from django.db import connections
    from playwright.sync_api import sync_playwright

    in_this_thread = {alias: connections[alias] for alias in connections}
    playwright = sync_playwright().start()
    for alias, connection in in_this_thread.items():
        connections[alias] = connection
    return playwright


@pytest.fixture(scope="package", autouse=True)
def _reference_data_back_afterwards(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Leave the migrations' reference data (districts, industries, standards) in place for what runs next.

    `serialized_rollback` reloads it at the start of each such test, but the flush after the last one
    leaves the tables empty, and pytest-django runs tests that reach the database without a django_db
    marker (tests/system/test_api_fuzz.py builds its world from the districts) after the transactional ones.
    """
    yield
    from django.db import connections

    with django_db_blocker.unblock():
        for connection in connections.all():
            contents = getattr(connection, "_test_serialized_contents", None)
            if contents:
                connection.creation.deserialize_db_from_string(contents)


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """One Chromium for the browser tests of this package, and only while they run.

    Between calls the sync API marks an event loop as running in the test thread, which makes Django
    refuse ORM calls there (“async unsafe”) unless DJANGO_ALLOW_ASYNC_UNSAFE is set. The variable is set
    here, so `make test` needs none, and removed again with the browser, so that other tests keep Django's
    protection and subprocesses (`manage.py check --deploy`) never inherit it.
    """
    if BROWSER_PROBLEM is not None:
        _missing("a browser", BROWSER_PROBLEM)
    from playwright.sync_api import expect

    set_here = "DJANGO_ALLOW_ASYNC_UNSAFE" not in os.environ
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    expect.set_options(timeout=TIMEOUT_MS)
    playwright = _start_playwright()
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    finally:
        playwright.stop()
        if set_here:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh context (no cookies) per test, as a Chinese-speaking user on a laptop screen sees it.

    Uncaught JavaScript errors fail the test: the pages promise that their scripts only enhance. So does
    anything the Content-Security-Policy refused (an inline script or style, a foreign source): the
    browser reports it on the console, and the page would look or behave differently than designed.
    """
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="zh-CN", accept_downloads=True
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    js_errors: list[str] = []
    page.on("pageerror", lambda error: js_errors.append(str(error)))
    refused: list[str] = []
    page.on("console", lambda message: _note_csp_violation(message.text, refused))
    yield page
    context.close()
    assert not js_errors, f"JavaScript errors in the page: {js_errors}"
    assert not refused, f"Refused by the Content-Security-Policy: {refused}"


def _note_csp_violation(text: str, refused: list[str]) -> None:
    if "Content Security Policy" in text:
        refused.append(text)


def login(page: Any, live_server: Any, username: str, password: str = PASSWORD) -> None:
    """Sign in through the real login form, as a person would."""
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def logout(page: Any) -> None:
    from playwright.sync_api import expect

    page.get_by_role("button", name="退出登录").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def screenshot(page: Any, name: str) -> Path:
    """A full-page screenshot in test-artifacts/screenshots/ (kept out of git)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{re.sub(r'[^0-9A-Za-z_.-]+', '_', name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """When a browser test fails, keep what the page looked like (the page is still open here)."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    page = getattr(item, "funcargs", {}).get("page")
    if page is None or page.is_closed():
        return
    try:
        path = screenshot(page, f"{item.name}-FAILED")
    except Exception as error:  # the screenshot must never hide the real failure
        report.sections.append(("screenshot", f"could not save a screenshot: {error}"))
    else:
        report.sections.append(("screenshot", f"saved {path} (page {page.url})"))


# --- data: committed, because the live server answers from another thread ----------------------------


@pytest.fixture
def open_year(city_user: Any) -> Any:
    """Year 2025 open for reporting: the window runs from a month ago to a month ahead."""
    from django.utils import timezone

    from reporting.services import reporting_year_open

    today = timezone.localdate()
    return reporting_year_open(
        actor=city_user,
        year=2025,
        opens_on=today - dt.timedelta(days=30),
        closes_on=today + dt.timedelta(days=30),
    )


@pytest.fixture
def graded_world(yuzhong: Any, jiangjin: Any) -> list[Any]:
    """Eight city-level green factories in 汽车制造业 with verified 2024 and 2025 data, and those reporting
    years (closed), so the city can grade 2025 (the idea of tests/factories/conftest.py)."""
    from factories.creditcode import make_credit_code
    from reporting.models import ReportingYear
    from tests.model_factories import (
        EnterpriseFactory,
        GreenFactoryFactory,
        plausible_raw,
        verified_submission,
    )

    for year in (2024, 2025):
        ReportingYear.objects.get_or_create(
            year=year, defaults={"opens_on": dt.date(year + 1, 1, 1), "closes_on": dt.date(year + 1, 3, 31)}
        )
    enterprises = []
    for n in range(8):
        district = yuzhong if n < 5 else jiangjin
        enterprise = EnterpriseFactory(
            name=f"重庆汽车部件{n}厂",
            district=district,
            credit_code=make_credit_code("91", district.code, f"{n + 30000000:08d}"),
        )
        GreenFactoryFactory(enterprise=enterprise, tier="city", recognized_year=2021 if n != 7 else 2025)
        for year in (2024, 2025):
            verified_submission(enterprise, year, plausible_raw(n, year))
        enterprises.append(enterprise)
    return enterprises
