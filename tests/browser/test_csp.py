"""Pages under the Content-Security-Policy in a real browser: the API docs start from a script file, a
progress bar still gets its width, and nothing is refused (the `page` fixture fails a test on any refusal)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.conftest import login, skip_module_without_browser

if TYPE_CHECKING:
    from playwright.sync_api import Page

skip_module_without_browser()

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_the_api_docs_render_under_the_policy(page: Page, live_server: Any) -> None:
    from playwright.sync_api import expect

    response = page.goto(f"{live_server.url}/api/docs/")
    assert response is not None and "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("重庆市绿色工厂动态管理平台 API")
    # An operation block drawn proves the UI's scripts ran under the policy (the tag section's class name
    # changed between Swagger UI releases; the operation block's did not).
    expect(page.locator(".opblock").first).to_be_visible()
    expect(page.locator(".opblock-summary-path").first).to_contain_text("/api/v1/")


def test_a_progress_bar_is_drawn_to_its_width_without_an_inline_style(
    page: Page, live_server: Any, city_user: Any
) -> None:
    from playwright.sync_api import expect

    from reporting.models import ExportJob

    ExportJob.objects.create(requested_by=city_user, kind="enterprises", status="running", total=10, done=4)
    login(page, live_server, city_user.username)
    page.goto(f"{live_server.url}/reporting/exports/")
    bar = page.locator(".progress-bar").first
    expect(bar).to_contain_text("40%")
    track = page.locator(".progress").first.bounding_box()
    drawn = bar.bounding_box()
    assert track is not None and drawn is not None
    assert 0.3 < drawn["width"] / track["width"] < 0.5
