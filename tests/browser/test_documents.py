"""A Word document in a real browser: the district clerk drafts the annual cultivation report (Art. 12),
writes the year's work, clicks the download on the report page, and the file that arrives opens in
python-docx with the figures of the page in it."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.conftest import login, screenshot, skip_module_without_browser
from tests.browser.test_journeys import expect, flash, heading, nav, pool_world  # noqa: F401

if TYPE_CHECKING:
    from playwright.sync_api import Page

skip_module_without_browser()

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_district_downloads_its_annual_report_as_a_word_document_with_the_figures_of_the_page(
    page: Page,
    live_server: Any,
    tmp_path: Path,
    district_user: Any,
    pool_world: Any,  # noqa: F811
) -> None:
    import datetime as dt

    from docx import Document

    from cultivation import services
    from cultivation.models import BCertification, PoolMembership

    # The B-eligible member joined in 2025 and was certified before the year ended.
    candidate = pool_world["b_candidate"]
    PoolMembership.objects.filter(enterprise=candidate).update(joined_on=dt.date(2025, 3, 1))
    certification = BCertification.objects.get(membership__enterprise=candidate)
    certification = services.b_certification_certify(actor=district_user, certification=certification)
    BCertification.objects.filter(pk=certification.pk).update(
        certified_at=dt.datetime(2025, 12, 1, tzinfo=dt.UTC)
    )

    login(page, live_server, district_user.username)
    nav(page, "培育库").click()
    page.get_by_role("navigation", name="培育库栏目").get_by_role("link", name="年度报告").click()
    expect(heading(page)).to_have_text("区县年度培育报告")
    page.locator("select[name=year]").select_option("2025")
    page.get_by_role("button", name="生成 / 重新生成").click()
    expect(heading(page)).to_contain_text("渝中区 2025年度培育情况报告")
    page.get_by_label("本年度培育工作情况").fill("全年开展节能诊断12家次。\n组织绿色工厂创建培训2场。")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(flash(page)).to_contain_text("已保存工作情况。")

    # What the page shows: each figure by its label.
    figures = {
        row.locator("th").inner_text().strip(): row.locator("td").inner_text().strip()
        for row in page.locator("#figures tr").all()
    }
    assert figures["年末在库企业数"] == "1" and figures["年末有效的区县级绿色工厂"] == "1"
    screenshot(page, "documents-district-report-page")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载报告（Word）").click()
    download = download_info.value
    assert re.fullmatch(r"渝中区2025年度绿色工厂梯度培育情况报告-\d{8}\.docx", download.suggested_filename)
    path = tmp_path / download.suggested_filename
    download.save_as(path)

    document = Document(io.BytesIO(path.read_bytes()))
    paragraphs = [p.text for p in document.paragraphs]
    assert paragraphs[0] == "渝中区经济和信息化委员会\n关于2025年度绿色工厂梯度培育情况的报告"
    assert "重庆市经济和信息化委员会：" in paragraphs
    rows = {row.cells[0].text: row.cells[1].text for row in document.tables[0].rows}
    for label, value in figures.items():
        assert rows[label] == value, label
    recommended = [[cell.text for cell in row.cells] for row in document.tables[-1].rows]
    assert ["1", candidate.name, certification.certificate_no] in recommended
    assert "全年开展节能诊断12家次。" in paragraphs and "组织绿色工厂创建培训2场。" in paragraphs
    assert paragraphs[-2] == "渝中区经济和信息化委员会"
    assert re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日", paragraphs[-1])
