"""The error pages in a real browser: a signed-in clerk's 404 and a refusal's 403 in Chinese, inside the
frame with the menu and its unread count, nothing refused by the Content-Security-Policy. The screenshots
are kept in docs/screenshots/ (error-404.png, error-403.png)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.conftest import login, logout, skip_module_without_browser

if TYPE_CHECKING:
    from playwright.sync_api import Page

skip_module_without_browser()

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.mark.urls("tests.accounts.error_urls")
def test_clerks_meet_chinese_error_pages_in_the_frame(
    page: Page, live_server: Any, district_user: Any, auditor: Any
) -> None:
    from playwright.sync_api import expect

    from accounts.notifications import notify

    notify([district_user], kind="test", key="test:1", title="2025年度数据已退回")
    login(page, live_server, district_user.username)

    response = page.goto(f"{live_server.url}/factories/enterprises/999999/")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="找不到您要访问的页面")).to_be_visible()
    expect(page.locator(".sidenav")).to_contain_text("企业名录")
    expect(page.locator(".sidenav .nav-count")).to_have_text("1")
    expect(page.get_by_role("link", name="回到首页")).to_be_visible()
    DOCS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS / "error-404.png"), full_page=True)

    logout(page)
    login(page, live_server, auditor.username)
    back = f"{live_server.url}/reporting/submissions/"
    page.goto(back)
    response = page.goto(f"{live_server.url}/boom/refused-filing/", referer=back)
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="您不能执行此操作")).to_be_visible()
    expect(page.locator(".error-reason")).to_have_text("您的角色只能查看和审核年度数据，不能填报。")
    expect(page.get_by_role("link", name="返回上一页")).to_have_attribute("href", back)
    expect(page.locator(".error-page")).to_contain_text("请联系平台运维人员")
    page.screenshot(path=str(DOCS / "error-403.png"), full_page=True)

    page.get_by_role("link", name="返回上一页").click()
    expect(page).to_have_url(back)
