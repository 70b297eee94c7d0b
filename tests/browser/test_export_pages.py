"""A city clerk exports in a real browser: the export form shows only the filters of the chosen report; the
grade list's 导出Excel hands over a file named in Chinese with the year and the day, holding the rows the
list shows, in words. Screenshots: docs/screenshots/export-form.png and grade-list-export.png."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.conftest import login, skip_module_without_browser

if TYPE_CHECKING:
    from playwright.sync_api import Page

skip_module_without_browser()

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def test_the_export_form_offers_only_the_filters_of_the_chosen_report(
    page: Page, live_server: Any, city_user: Any
) -> None:
    from playwright.sync_api import expect

    login(page, live_server, city_user.username)
    page.goto(f"{live_server.url}/reporting/exports/")
    page.get_by_label("报表").select_option(label="区县年度培育工作报告汇总")
    expect(page.get_by_label("年度", exact=True)).to_be_visible()
    expect(page.get_by_label("管理单位")).to_be_visible()
    for hidden in ("行业大类", "等级（评价结果）", "绿色工厂级别"):
        expect(page.get_by_label(hidden)).to_be_hidden()
        expect(page.get_by_label(hidden)).to_be_disabled()
    DOCS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS / "export-form.png"), full_page=True)
    page.get_by_label("报表").select_option(label="绿色工厂分级评价结果")
    for shown in ("行业大类", "等级（评价结果）", "绿色工厂级别"):
        expect(page.get_by_label(shown)).to_be_enabled()


def test_the_grade_list_exports_its_rows_in_words_under_a_dated_chinese_name(
    page: Page,
    live_server: Any,
    tmp_path: Path,
    city_user: Any,
    graded_world: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    from django.utils import timezone
    from openpyxl import load_workbook
    from playwright.sync_api import expect

    from factories.grading import services
    from factories.words import DECIDED_BY_LABELS
    from tests.helpers import notice

    with django_capture_on_commit_callbacks(execute=True):
        run = services.grading_run_start(actor=city_user, year=2025)
    services.grading_run_publish(actor=city_user, run=run, **notice())

    login(page, live_server, city_user.username)
    page.goto(f"{live_server.url}/factories/grading/grades/")
    page.locator("select[name=year]").select_option("2025")
    page.locator("select[name=tier]").select_option(label="市级")
    page.get_by_role("button", name="筛选").click()
    expect(page.get_by_role("button", name="导出Excel")).to_be_visible()
    page.screenshot(path=str(DOCS / "grade-list-export.png"), full_page=True)
    with page.expect_download() as started:
        page.get_by_role("button", name="导出Excel").click()
    download = started.value
    assert download.suggested_filename == f"2025年度绿色工厂分级评价结果-{timezone.localdate():%Y%m%d}.xlsx"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    rows = list(load_workbook(saved, read_only=True).active.iter_rows(values_only=True))
    assert "年度：2025" in rows[0][0] and "级别：市级" in rows[0][0]
    header = rows[1]
    data = rows[2:]
    assert {row[header.index("企业名称")] for row in data} == {e.name for e in graded_world}
    assert {row[header.index("级别")] for row in data} == {"市级"}
    rules = {str(label) for label in DECIDED_BY_LABELS.values()}
    assert {row[header.index("决定规则")] for row in data} <= rules


def test_the_pool_member_list_exports_its_members(
    page: Page, live_server: Any, tmp_path: Path, district_user: Any, enterprise: Any, other_enterprise: Any
) -> None:
    from django.utils import timezone
    from openpyxl import load_workbook

    from cultivation.services import pool_application_accept, pool_application_submit

    for member in (enterprise, other_enterprise):
        application = pool_application_submit(
            actor=district_user,
            enterprise=member,
            intention="愿意参与绿色工厂梯度培育",
            plan="三年内创建绿色工厂",
            lawful_declaration=True,
        )
        pool_application_accept(actor=district_user, application=application)

    login(page, live_server, district_user.username)
    page.goto(f"{live_server.url}/cultivation/members/?status=active")
    page.screenshot(path=str(DOCS / "pool-members-export.png"), full_page=True)
    with page.expect_download() as started:
        page.get_by_role("button", name="导出Excel").click()
    download = started.value
    assert download.suggested_filename == f"培育库成员-{timezone.localdate():%Y%m%d}.xlsx"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    rows = list(load_workbook(saved, read_only=True).active.iter_rows(values_only=True))
    assert "状态：在库培育" in rows[0][0]
    assert {(row[0], row[5]) for row in rows[2:]} == {
        (enterprise.name, "在库培育"),
        (other_enterprise.name, "在库培育"),
    }
