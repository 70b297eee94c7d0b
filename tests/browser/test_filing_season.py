"""The filing season for a district clerk, in a real browser: from the dashboard to the enterprises that have
not filed, one reminder to all of them, ten submissions approved in one action, and the queue exported.

Only the first page is typed as a URL; everything else is clicked by its Chinese text.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.conftest import login, screenshot, skip_module_without_browser
from tests.browser.helpers import accept_dialogs, expect
from tests.model_factories import EnterpriseFactory, UserFactory

if TYPE_CHECKING:
    from playwright.sync_api import Page

skip_module_without_browser()

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

GOOD_VALUES = {
    "site_area": "20000", "floor_area": "24000", "footprint_area": "12000", "output_value": "50000",
    "main_material": "8000", "green_material": "2000", "cod": "1500", "ammonia_nitrogen": "100", "so2": "300",
    "nox": "400", "waste_gas": "900", "wastewater": "30000", "wastewater_treated": "28000",
    "wastewater_reused": "7000", "solid_waste": "1200", "solid_waste_utilized": "1080", "electricity": "5000000",
    "natural_gas": "200000", "coal": "0", "oil_products": "20", "purchased_heat": "3000",
    "renewable_electricity": "1000000", "co2": "4200",
}  # fmt: skip


@pytest.fixture
def season(open_year: Any, district_user: Any, yuzhong: Any, jiangjin: Any) -> dict[str, Any]:
    """渝中: twelve enterprises whose 2025 data waits for review, three that have not filed (one with a draft),
    each with a filler account; 江津: one that has not filed (another unit's, never shown to 渝中)."""
    from reporting import services

    waiting = []
    for n in range(12):
        enterprise = EnterpriseFactory(name=f"重庆渝中待审{n:02d}制造有限公司", district=yuzhong)
        draft = services.submission_save_draft(
            actor=district_user, enterprise=enterprise, year=2025, values=GOOD_VALUES
        )
        waiting.append(services.submission_submit(actor=district_user, submission=draft))
    silent = []
    for n in range(3):
        enterprise = EnterpriseFactory(name=f"重庆渝中未报{n}科技有限公司", district=yuzhong)
        UserFactory(username=f"filler{n}", role="enterprise", enterprise=enterprise, email=f"f{n}@example.cn")
        silent.append(enterprise)
    services.submission_save_draft(
        actor=district_user, enterprise=silent[0], year=2025, values={"site_area": "100"}
    )
    other = EnterpriseFactory(name="重庆江津未报机械有限公司", district=jiangjin)
    return {"waiting": waiting, "silent": silent, "other": other}


def test_a_district_clerk_chases_non_filers_reminds_them_approves_ten_and_exports_the_queue(
    page: Page, live_server: Any, settings: Any, tmp_path: Path, district_user: Any, season: dict[str, Any]
) -> None:
    from openpyxl import load_workbook

    from accounts.models import Notification
    from reporting.models import AnnualSubmission, Reminder

    settings.MEDIA_ROOT = tmp_path / "media"
    asked = accept_dialogs(page)
    login(page, live_server, district_user.username)
    page.goto(f"{live_server.url}/reporting/dashboard/?year=2025")

    # The dashboard's figure of enterprises without data opens the list behind it.
    page.locator("a.kpi", has_text="未提交数据的企业").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("未填报企业（催报）")
    rows = page.locator("#remind tbody tr")
    expect(rows).to_have_count(3)
    expect(page.get_by_text(season["other"].name)).to_have_count(0)
    expect(rows.filter(has_text=season["silent"][0].name)).to_contain_text("草稿未提交")
    screenshot(page, "non-filers-before")

    # One action reminds all of them.
    page.get_by_label("全选本页").check()
    page.get_by_role("button", name="发送催报").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("催报结果")
    expect(page.locator("#bulk-results tbody tr.result-done")).to_have_count(3)
    assert any("发送催报" in question for question in asked)
    assert Reminder.objects.filter(sent_by=district_user, kind="manual").count() == 3
    assert Notification.objects.filter(kind="reminder_manual").count() == 3

    # Back on the list, each shows who reminded it and when; a second reminder today is refused per item.
    page.get_by_role("link", name="返回未填报企业名单").click()
    expect(page.locator("#remind tbody tr").filter(has_text="上次催报：")).to_have_count(3)
    page.get_by_label("全选本页").check()
    page.get_by_role("button", name="发送催报").click()
    expect(page.locator("#bulk-results tbody tr.result-refused")).to_have_count(3)
    expect(page.locator("#bulk-results")).to_contain_text("24小时内只催报一次")

    # The review queue: ten of the twelve waiting items approved in one action.
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="区县审核", exact=True).click()
    queue_rows = page.locator("#bulk-review tbody tr")
    expect(queue_rows).to_have_count(12)
    for n in range(10):
        queue_rows.nth(n).get_by_role("checkbox").check()
    page.get_by_role("button", name="批量审核通过").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("批量审核结果")
    expect(page.locator("#bulk-results tbody tr.result-done")).to_have_count(10)
    expect(page.locator(".messages")).to_contain_text("已审核通过 10 份年度数据")
    statuses = AnnualSubmission.objects.filter(pk__in=[s.pk for s in season["waiting"]]).values_list(
        "status", flat=True
    )
    assert sorted(statuses).count("district_approved") == 10

    # The queue, with the two left, exported as it is shown.
    page.get_by_role("link", name="返回审核队列").click()
    expect(page.locator("#bulk-review tbody tr")).to_have_count(2)
    with page.expect_download() as started:
        page.get_by_role("button", name="导出Excel").click()
    download = started.value
    assert download.suggested_filename.startswith("待审核年度数据") and download.suggested_filename.endswith(
        ".xlsx"
    )
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    rows_out = list(load_workbook(saved, read_only=True).active.iter_rows(values_only=True))
    assert "待审核年度数据" in rows_out[0][0]
    assert sorted(r[1] for r in rows_out[2:]) == sorted(s.enterprise.name for s in season["waiting"][10:])

    # 「下一条」: a single approval from the queue opens the next item of the same queue.
    page.locator("#bulk-review tbody tr").first.get_by_role("link", name="审核", exact=True).click()
    page.get_by_role("button", name="审核通过", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("已审核通过")
    expect(page.get_by_role("link", name="返回队列")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text(season["waiting"][11].enterprise.name)
    page.get_by_role("button", name="审核通过", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("区县已审核，待市级复核")
    expect(page.locator(".messages")).to_contain_text("队列中已没有其他待处理的数据。")
