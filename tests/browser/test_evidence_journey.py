"""Evidence (佐证材料) in a real browser: an enterprise uploads a document under a figure of its draft and
submits; the district clerk sees value, last year and the files per figure, returns the data asking for
evidence of one more figure; the enterprise cannot submit again until that file is there.

Screenshots are kept in docs/screenshots/ (evidence-form.png, evidence-review.png)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.conftest import login, logout, skip_module_without_browser
from tests.browser.helpers import expect

if TYPE_CHECKING:
    from playwright.sync_api import Page

skip_module_without_browser()

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
GOOD_VALUES = {
    "site_area": "20000", "floor_area": "24000", "footprint_area": "12000", "output_value": "50000",
    "main_material": "8000", "green_material": "2000", "cod": "1500", "ammonia_nitrogen": "100", "so2": "300",
    "nox": "400", "waste_gas": "900", "wastewater": "30000", "wastewater_treated": "28000",
    "wastewater_reused": "7000", "solid_waste": "1200", "solid_waste_utilized": "1080", "electricity": "5000000",
    "natural_gas": "200000", "coal": "0", "oil_products": "20", "purchased_heat": "3000",
    "renewable_electricity": "1000000", "co2": "4200",
}  # fmt: skip


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


def _accept_dialogs(page: Page) -> None:
    page.on("dialog", lambda dialog: dialog.accept())


def test_evidence_is_uploaded_reviewed_and_requested_again(
    page: Page, live_server: Any, open_year: Any, enterprise: Any, enterprise_user: Any, district_user: Any
) -> None:
    from reporting import services
    from reporting.models import AnnualSubmission

    AnnualSubmission.objects.create(
        enterprise=enterprise,
        year=2024,
        district=enterprise.district,
        raw_values={**GOOD_VALUES, "electricity": "4800000", "co2": "4000"},
        status="city_verified",
    )
    draft = services.submission_save_draft(
        actor=enterprise_user, enterprise=enterprise, year=2025, values=GOOD_VALUES
    )
    _accept_dialogs(page)

    # The enterprise uploads its electricity bill under 电力消费量, with a note.
    login(page, live_server, enterprise_user.username)
    page.goto(f"{live_server.url}/reporting/submissions/{enterprise.pk}/2025/edit/")
    cell = page.locator("#evidence-electricity")
    cell.get_by_label("电力消费量的佐证材料").set_input_files(
        {"name": "2025年电费发票.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    cell.get_by_placeholder("说明（可选）").fill("国网重庆电力 1-12 月电费发票")
    cell.get_by_role("button", name="上传佐证").click()
    expect(page.locator(".messages, .alert").first).to_contain_text("已上传佐证材料：2025年电费发票.pdf")
    expect(page.locator("#evidence-electricity")).to_contain_text("国网重庆电力 1-12 月电费发票")

    # A renamed executable is refused with the reason; nothing is listed.
    cell = page.locator("#evidence-co2")
    cell.get_by_label("二氧化碳排放量的佐证材料").set_input_files(
        {"name": "碳排放报告.pdf", "mimeType": "application/pdf", "buffer": b"MZ\x90\x00" + b"\x00" * 64}
    )
    cell.get_by_role("button", name="上传佐证").click()
    expect(page.get_by_text("文件内容与其类型不符", exact=False).first).to_be_visible()
    expect(page.locator("#evidence-co2 .evidence-files")).to_have_count(0)
    page.locator("#evidence-electricity").scroll_into_view_if_needed()
    DOCS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS / "evidence-form.png"), full_page=False)

    page.get_by_role("button", name="保存并提交").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("已提交")
    logout(page)

    # The district clerk sees value, last year and the evidence per figure, and returns asking for more.
    login(page, live_server, district_user.username)
    page.goto(f"{live_server.url}/reporting/submissions/{draft.pk}/")
    row = page.locator("tr").filter(has_text="电力消费量").first
    expect(row).to_contain_text("5000000")
    expect(row).to_contain_text("4800000")
    expect(row.get_by_role("link", name="2025年电费发票.pdf")).to_be_visible()
    page.locator("tr").filter(has_text="废水处理量").first.evaluate("row => row.scrollIntoView()")
    page.screenshot(path=str(DOCS / "evidence-review.png"))
    page.get_by_label("退回原因").fill("请上传二氧化碳排放核算报告")
    page.get_by_text("要求补充佐证材料（可选）").click()
    page.get_by_label("二氧化碳排放量", exact=True).check()
    page.get_by_role("button", name="退回", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("草稿")
    logout(page)

    # The enterprise is told which file is missing and cannot submit without it.
    login(page, live_server, enterprise_user.username)
    page.goto(f"{live_server.url}/reporting/submissions/{enterprise.pk}/2025/edit/")
    expect(page.locator(".alert-warning").first).to_contain_text("需补充佐证材料：二氧化碳排放量")
    page.get_by_role("button", name="保存并提交").click()
    expect(page.get_by_text("以下项目需要佐证材料，请上传后再提交：二氧化碳排放量。")).to_be_visible()
