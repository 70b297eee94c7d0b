"""A district clerk meets anomaly flags in a real browser: the queue counts them, the data page gives each
reason in words with the peer figures, and a flag is dismissed only with a reason; the enterprise sees none.
The screenshots are kept in docs/screenshots/anomaly-queue.png and anomaly-detail.png (the flags section)."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.conftest import login, logout, skip_module_without_browser

if TYPE_CHECKING:
    from playwright.sync_api import Page

skip_module_without_browser()

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def test_a_clerk_reads_the_flags_and_dismisses_one_with_a_reason(
    page: Page, live_server: Any, city_user: Any, district_user: Any, enterprise: Any, enterprise_user: Any
) -> None:
    from django.utils import timezone
    from playwright.sync_api import expect

    from reporting.models import AnnualSubmission
    from reporting.services import reporting_year_open, submission_save_draft, submission_submit
    from tests.model_factories import EnterpriseFactory
    from tests.reporting.conftest import GOOD_VALUES

    today = timezone.localdate()
    reporting_year_open(
        actor=city_user,
        year=2025,
        opens_on=today - dt.timedelta(days=30),
        closes_on=today + dt.timedelta(days=30),
    )
    for seed in range(20):
        rng = random.Random(seed)
        company = EnterpriseFactory(district=enterprise.district, name=f"重庆渝中同行制造有限公司{seed:02d}")
        AnnualSubmission.objects.create(
            enterprise=company,
            year=2025,
            district_id=company.district_id,
            status="submitted",
            submitted_at=timezone.now(),
            raw_values={k: f"{float(v) * rng.uniform(0.9, 1.1):.2f}" for k, v in GOOD_VALUES.items()},
        )
    values = {**GOOD_VALUES, "co2": "1", "wastewater": "1500000"}
    draft = submission_save_draft(actor=enterprise_user, enterprise=enterprise, year=2025, values=values)
    submission_submit(actor=enterprise_user, submission=draft)

    login(page, live_server, district_user.username)
    page.goto(f"{live_server.url}/reporting/review/district/?q={enterprise.name}")
    badge = page.get_by_role("link", name="异常提示 3 项")
    expect(badge).to_be_visible()
    DOCS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS / "anomaly-queue.png"), full_page=True)

    badge.click()
    section = page.locator("#anomalies")
    expect(section).to_contain_text("单位产值废水产生量为 30 t/万元")
    expect(section).to_contain_text("合理范围")
    row = section.locator("tr", has_text="二氧化碳排放量 1 t")
    row.get_by_text("排除", exact=True).click()
    row.get_by_label("排除理由").fill("已核对：企业使用园区集中供热，排放计入热源单位")
    section.screenshot(path=str(DOCS / "anomaly-detail.png"))
    row.get_by_role("button", name="确认排除").click()
    expect(page.locator("#anomalies")).to_contain_text("排除：已核对")

    logout(page)
    login(page, live_server, enterprise_user.username)
    page.goto(f"{live_server.url}/reporting/submissions/{draft.pk}/")
    expect(page.locator("h1")).to_contain_text(enterprise.name)
    expect(page.locator("#anomalies")).to_have_count(0)
    assert "异常提示" not in page.content()


def test_the_city_changes_the_anomaly_thresholds_on_its_page(
    page: Page, live_server: Any, city_user: Any
) -> None:
    """The screenshot is kept in docs/screenshots/anomaly-settings.png (after one change and one refusal)."""
    from playwright.sync_api import expect

    from reporting import anomalies

    login(page, live_server, city_user.username)
    page.goto(f"{live_server.url}/reporting/years/")
    page.get_by_role("link", name="查看或调整异常提示阈值").click()
    expect(page.locator("h1")).to_have_text("异常提示阈值")
    expect(page.locator("body")).to_contain_text("平台默认值，尚未调整")

    page.get_by_label("稳健z值阈值").fill("4")
    page.get_by_label("调整理由").fill("试行一年，同行业样本较少的大类误报偏多，放宽至4")
    page.get_by_role("button", name="保存阈值").click()
    expect(page.locator("body")).to_contain_text("异常提示阈值已调整")
    expect(page.locator("table")).to_contain_text("试行一年")
    assert anomalies.thresholds().z == 4

    page.get_by_label("稳健z值阈值").fill("12")
    page.get_by_role("button", name="保存阈值").click()
    expect(page.locator(".has-error")).to_contain_text("须在 2 到 10 之间")
    DOCS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS / "anomaly-settings.png"), full_page=True)
