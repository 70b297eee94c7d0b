"""A city clerk reads the audit trail in a real browser: an approval as one sentence in words (Beijing time,
the district bureau, the clerk, the action, the data by name with a link, the status change in words),
filters by unit and action, and exports the trail; the Excel file holds the same sentence and no codes.
The screenshot is kept in docs/screenshots/audit-trail.png."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.conftest import login, skip_module_without_browser

if TYPE_CHECKING:
    from playwright.sync_api import Page

skip_module_without_browser()

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
GOOD_VALUES = {
    "site_area": "20000", "floor_area": "24000", "footprint_area": "12000", "output_value": "50000",
    "main_material": "8000", "green_material": "2000", "cod": "1500", "ammonia_nitrogen": "100", "so2": "300",
    "nox": "400", "waste_gas": "900", "wastewater": "30000", "wastewater_treated": "28000",
    "wastewater_reused": "7000", "solid_waste": "1200", "solid_waste_utilized": "1080", "electricity": "5000000",
    "natural_gas": "200000", "coal": "0", "oil_products": "20", "purchased_heat": "3000",
    "renewable_electricity": "1000000", "co2": "4200",
}  # fmt: skip
CODES = re.compile(r"district_approved|submitted|submission\.|annualsubmission|\{'|\[None|None|True|False")


def test_a_city_clerk_reads_an_entry_as_a_sentence_and_exports_the_trail(
    page: Page,
    live_server: Any,
    tmp_path: Path,
    city_user: Any,
    district_user: Any,
    enterprise: Any,
    enterprise_user: Any,
    jiangjin: Any,
) -> None:
    from openpyxl import load_workbook
    from playwright.sync_api import expect

    from accounts import audit
    from accounts.models import AuditEntry
    from reporting.services import (
        reporting_year_open,
        submission_approve,
        submission_save_draft,
        submission_submit,
    )
    from tests.model_factories import EnterpriseFactory

    district_user.first_name = "张三"
    district_user.save()
    today = dt.date.today()
    reporting_year_open(
        actor=city_user,
        year=2025,
        opens_on=today - dt.timedelta(days=30),
        closes_on=today + dt.timedelta(days=30),
    )
    draft = submission_save_draft(actor=enterprise_user, enterprise=enterprise, year=2025, values=GOOD_VALUES)
    submission = submission_approve(
        actor=district_user, submission=submission_submit(actor=enterprise_user, submission=draft)
    )
    elsewhere = EnterpriseFactory(name="重庆江津某某机械有限公司", district=jiangjin)
    audit.record(
        actor=city_user, action="enterprise.update", obj=elsewhere, changes={"name": ["旧名", elsewhere.name]}
    )
    audit.record(actor="seed_demo", action="user.create", obj=city_user, reason="演示数据：区县经信部门账号")
    entry = AuditEntry.objects.get(action="submission.approve")
    when = entry.at.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d %H:%M")
    sentence = (
        f"{when} 渝中区经信委 张三 审核通过了 重庆渝中绿色汽车部件有限公司 2025年度数据"
        "（状态：已提交，待区县审核 → 区县已审核，待市级复核"
    )

    login(page, live_server, city_user.username)
    page.get_by_role("link", name="审计记录").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("审计记录")
    approval = page.locator(".audit-entry").filter(has_text="审核通过了")
    expect(approval).to_have_count(1)
    expect(approval.locator(".audit-sentence")).to_contain_text(sentence)
    expect(approval.get_by_role("link", name="重庆渝中绿色汽车部件有限公司 2025年度数据")).to_have_attribute(
        "href", f"/reporting/submissions/{submission.pk}/"
    )
    trail = page.locator(".audit-trail")
    expect(trail).not_to_contain_text("演示数据")
    expect(trail).to_contain_text("重庆江津某某机械有限公司")
    assert not CODES.search(trail.inner_text()), trail.inner_text()
    DOCS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS / "audit-trail.png"), full_page=True)

    # Filter: the unit and the action, chosen by their words.
    page.get_by_label("单位").fill("渝中")
    page.locator("select[name=action]").select_option(label="审核通过")
    page.get_by_role("button", name="筛选").click()
    expect(page.locator(".audit-entry")).to_have_count(1)
    expect(page.locator(".audit-entry")).to_contain_text(sentence)
    expect(trail).not_to_contain_text("重庆江津某某机械有限公司")

    with page.expect_download() as started:
        page.get_by_role("button", name="导出Excel").click()
    download = started.value
    assert download.suggested_filename.startswith("审计记录") and download.suggested_filename.endswith(
        ".xlsx"
    )
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    rows = list(load_workbook(saved, read_only=True).active.iter_rows(values_only=True))
    assert "单位：渝中" in rows[0][0] and "操作：审核通过" in rows[0][0]
    assert rows[1][:4] == ("时间（北京时间）", "操作单位", "操作人", "操作")
    (row,) = rows[2:]
    assert row[0].strftime("%Y-%m-%d %H:%M") == when
    assert row[1:4] == ("渝中区经信委", "张三", "审核通过")
    assert row[5] == "重庆渝中绿色汽车部件有限公司 2025年度数据"
    assert str(row[8]).startswith(sentence)
    for value in row:
        if isinstance(value, str):
            assert not CODES.search(value), value
