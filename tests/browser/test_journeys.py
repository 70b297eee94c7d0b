"""End-to-end journeys in a real browser: each persona signs in, reads the page, clicks what the page offers
by its Chinese text and fills inputs by their labels. Only each persona's first page is typed as a URL.

Celery runs eagerly (tests/conftest.py), so a grading run or an export finishes inside the request.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from tests.browser.conftest import login, logout, screenshot, skip_module_without_browser
from tests.browser.helpers import accept_dialogs, expect, flash, heading
from tests.helpers import notice_elapsed
from tests.model_factories import UserFactory

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

skip_module_without_browser()

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# The data-entry form's labels (GB/T 36132-2018) and a valid year of figures (tests/reporting/conftest.py).
LABELS = {
    "site_area": "用地面积",
    "floor_area": "计容建筑面积",
    "footprint_area": "建构筑物及堆场占地面积",
    "output_value": "工业总产值（当年价）",
    "main_material": "主要原材料消耗量",
    "green_material": "绿色物料使用量",
    "cod": "化学需氧量产生量",
    "ammonia_nitrogen": "氨氮产生量",
    "so2": "二氧化硫产生量",
    "nox": "氮氧化物产生量",
    "waste_gas": "废气产生量",
    "wastewater": "废水产生量",
    "wastewater_treated": "废水处理量",
    "wastewater_reused": "废水回用量",
    "solid_waste": "一般工业固体废物产生量",
    "solid_waste_utilized": "一般工业固体废物综合利用量",
    "electricity": "电力消费量",
    "natural_gas": "天然气消费量",
    "coal": "煤炭消费量",
    "oil_products": "油品消费量",
    "purchased_heat": "外购热力",
    "renewable_electricity": "可再生能源电力消费量",
    "co2": "二氧化碳排放量",
}
GOOD_VALUES = {
    "site_area": "20000", "floor_area": "24000", "footprint_area": "12000", "output_value": "50000",
    "main_material": "8000", "green_material": "2000", "cod": "1500", "ammonia_nitrogen": "100", "so2": "300",
    "nox": "400", "waste_gas": "900", "wastewater": "30000", "wastewater_treated": "28000",
    "wastewater_reused": "7000", "solid_waste": "1200", "solid_waste_utilized": "1080", "electricity": "5000000",
    "natural_gas": "200000", "coal": "0", "oil_products": "20", "purchased_heat": "3000",
    "renewable_electricity": "1000000", "co2": "4200",
}  # fmt: skip
ENTERPRISE_REGISTER_HEADER = [
    "企业名称", "统一社会信用代码", "管理单位", "行业代码", "行业名称", "法人类型",
    "序列", "绿色工厂级别", "地址", "联系人", "联系电话", "登记时间",
]  # fmt: skip


# --- what a user does ----------------------------------------------------------------------------------


def field(page: Page, name: str) -> Locator:
    """A data-entry input by its visible label; required fields carry a trailing “*”."""
    return page.get_by_label(re.compile(rf"^{re.escape(LABELS[name])}(\s*\*)?$"))


def fill_values(page: Page, values: dict[str, str]) -> None:
    for name, value in values.items():
        field(page, name).fill(value)


def nav(page: Page, label: str) -> Locator:
    return page.get_by_role("navigation", name="主导航").get_by_role("link", name=label, exact=True)


def open_review(page: Page, queue: str, enterprise_name: str) -> None:
    nav(page, queue).click()
    expect(heading(page)).to_have_text(queue)
    row = page.get_by_role("row").filter(has_text=enterprise_name)
    expect(row).to_contain_text("2025")
    row.get_by_role("link", name="审核", exact=True).click()
    expect(heading(page)).to_contain_text(f"{enterprise_name} · 2025年度数据")


# --- journey 1: report, approve, verify --------------------------------------------------------------


def test_a_new_enterprise_user_reports_a_year_the_district_approves_it_and_the_city_verifies_it(
    page: Page, live_server: Any, open_year: Any, enterprise: Any, enterprise_user: Any, district_user: Any,
    city_user: Any,
) -> None:  # fmt: skip
    from reporting.models import AnnualSubmission

    asked = accept_dialogs(page)
    login(page, live_server, enterprise_user.username)

    # The home page says what to do.
    todo = page.locator("section.card").filter(has=page.get_by_role("heading", name="填报2025年度数据"))
    expect(todo).to_contain_text("尚未开始填报")
    todo.get_by_role("link", name="前往处理").click()
    expect(heading(page)).to_have_text(f"{enterprise.name} · 2025年度数据")
    live = page.locator("#live-indicators")
    expect(live).to_contain_text("填写数据后，系统将在此自动计算各项指标")

    # A footprint larger than the site: the preview objects while typing, saving refuses next to the field.
    typed = {**GOOD_VALUES, "footprint_area": "30000"}
    fill_values(page, typed)
    expect(live).to_contain_text("容积率")
    expect(live).to_contain_text("以下数据有误")
    page.get_by_role("button", name="保存草稿").click()
    wrong = page.locator(".field.has-error")
    expect(wrong).to_have_count(1)
    expect(wrong.get_by_role("textbox")).to_have_value("30000")
    expect(wrong).to_contain_text("建构筑物及堆场占地面积（30000 m²）不能大于用地面积（20000 m²）。")
    expect(page.locator(".errorlist.nonfield")).to_contain_text("尚未保存")
    for name, value in typed.items():
        expect(field(page, name)).to_have_value(value)
    assert not AnnualSubmission.objects.exists()

    # Corrected, the live preview updates and no longer complains; the draft saves.
    field(page, "footprint_area").fill("12000")
    expect(live).not_to_contain_text("以下数据有误")
    expect(live.get_by_role("row").filter(has_text="容积率")).to_contain_text("1.2")
    page.get_by_role("button", name="保存草稿").click()
    expect(flash(page)).to_contain_text("草稿已保存")
    expect(heading(page)).to_contain_text("草稿")
    expect(field(page, "footprint_area")).to_have_value("12000")
    expect(live).to_contain_text("容积率")

    page.get_by_role("button", name="保存并提交").click()
    expect(flash(page)).to_contain_text("已提交，等待区县经信部门审核。")
    expect(heading(page)).to_contain_text("已提交")
    assert any("确认提交" in question for question in asked)
    logout(page)

    # The district approves it from its queue.
    login(page, live_server, district_user.username)
    waiting = page.locator("section.card").filter(has=page.get_by_role("heading", name="区县审核"))
    expect(waiting.locator(".badge")).to_have_text("1")
    open_review(page, "区县审核", enterprise.name)
    page.get_by_role("button", name="审核通过").click()
    expect(flash(page)).to_contain_text("已审核通过，已转市经济信息委复核。")
    expect(heading(page)).to_contain_text("区县已审核，待市级复核")
    logout(page)

    # The city verifies it: the data is locked.
    login(page, live_server, city_user.username)
    open_review(page, "市级复核", enterprise.name)
    page.get_by_role("button", name="复核通过").click()
    expect(flash(page)).to_contain_text("已复核通过，数据已锁定。")
    expect(heading(page)).to_contain_text("市级已复核（锁定）")
    logout(page)
    assert AnnualSubmission.objects.get(enterprise=enterprise, year=2025).status == "city_verified"

    # The enterprise sees its year locked, with nothing left to fill or edit.
    login(page, live_server, enterprise_user.username)
    expect(page.get_by_role("heading", name="填报2025年度数据")).to_have_count(0)
    nav(page, "年度数据填报").click()
    year = page.locator("section.card").filter(
        has=page.get_by_role("heading", name=re.compile("2025年度数据"))
    )
    expect(year).to_contain_text("市级已复核（锁定）")
    expect(year).to_contain_text("数据已经市级复核并锁定")
    for label in ("填报 2025 年度数据", "继续填报"):
        expect(page.get_by_role("link", name=label)).to_have_count(0)
    expect(page.get_by_role("link", name="填报", exact=True)).to_have_count(0)
    year.get_by_role("link", name="查看状态").click()
    expect(heading(page)).to_contain_text("市级已复核（锁定）")
    expect(page.get_by_role("link", name="修改数据")).to_have_count(0)
    expect(page.get_by_role("button", name="提交", exact=True)).to_have_count(0)
    screenshot(page, "journey1-enterprise-sees-its-locked-year")


# --- journey 2: grade, publish, explain --------------------------------------------------------------


def test_the_city_grades_and_publishes_a_year_and_an_enterprise_reads_only_its_own_explanation_card(
    page: Page, live_server: Any, graded_world: list[Any], city_user: Any
) -> None:
    from factories.models import GradingResult, GradingRun

    mine, other = graded_world[0], graded_world[1]
    enterprise_user = UserFactory(username="gina", role="enterprise", enterprise=mine)
    asked = accept_dialogs(page)
    login(page, live_server, city_user.username)

    nav(page, "分级评价").click()
    page.get_by_label("评价年度").select_option(label="2025年度")
    page.get_by_role("button", name="开始评价").click()
    expect(page).to_have_url(re.compile(r"/factories/grading/runs/\d+/$"))
    run = GradingRun.objects.get(year=2025)
    expect(flash(page)).to_contain_text("已提交2025年度评价")
    expect(heading(page)).to_contain_text("计算完成（草稿）")
    counted = page.locator(".kpi").filter(has_text="参评绿色工厂")
    expect(counted.locator(".kpi-value")).to_have_text("8")

    # The run finished inside the request: the run list shows its progress at 100 %.
    page.get_by_role("link", name="‹ 分级评价").click()
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=f"#{run.pk}", exact=True))
    expect(row).to_contain_text("计算完成（草稿）")
    expect(row).to_contain_text(re.compile(r"100%\s*（8/8）"))
    row.get_by_role("link", name=f"#{run.pk}", exact=True).click()

    today = timezone.localdate()
    page.get_by_label("公示开始日期").fill(today.isoformat())
    page.get_by_label("公示结束日期").fill((today + dt.timedelta(days=9)).isoformat())
    page.get_by_role("button", name="发布公示").click()
    expect(flash(page)).to_contain_text("已发布公示")
    expect(heading(page)).to_contain_text("公示中")
    assert any("确认发布2025年度评价结果进行公示" in question for question in asked)
    run.refresh_from_db()
    assert (run.status, run.notice_from, run.notice_to) == ("published", today, today + dt.timedelta(days=9))
    logout(page)

    # The enterprise finds its grade and the card that explains it.
    result = GradingResult.objects.get(run=run, enterprise=mine)
    login(page, live_server, enterprise_user.username)
    expect(page.locator("section.card").filter(has_text="本企业绿色工厂等级")).to_contain_text(
        f"2025年度等级：{result.grade}（公示中）"
    )
    nav(page, "评价结果").click()
    expect(heading(page)).to_contain_text("我的等级")
    page.get_by_role("link", name="查看评价说明：等级是怎样评定的、如何提升").click()
    expect(heading(page)).to_have_text(f"{mine.name} · 2025年度评价说明")
    expect(page.locator(f".grade-{result.grade}").first).to_have_text(result.grade)
    for label, score in (
        ("绿色化水平得分 L", result.level_score),
        ("绿色化提升得分 S", result.improvement_score),
        ("综合得分 C", result.composite_score),
    ):
        shown = "—" if score is None else f"{score:.2f}"
        expect(page.locator(".kpi").filter(has_text=label).locator(".kpi-value")).to_have_text(shown)
    radar = page.locator(".chart svg")
    expect(radar).to_have_count(1)
    expect(radar).to_be_visible()
    screenshot(page, "journey2-enterprise-explanation-card")

    # Another factory's card is not there for this user.
    someone_else = GradingResult.objects.get(run=run, enterprise=other)
    response = page.goto(live_server.url + reverse("factories:explanation", args=[someone_else.pk]))
    assert response is not None and response.status == 404
    expect(page.get_by_text(other.name)).to_have_count(0)
    page.goto(live_server.url + "/")
    logout(page)

    # The city cannot end the notice early: no finalise button while it runs, only the date it ends.
    login(page, live_server, city_user.username)
    page.goto(live_server.url + reverse("factories:run_detail", args=[run.pk]))
    expect(page.get_by_role("button", name="正式发布")).to_have_count(0)
    last_day = (today + dt.timedelta(days=9)).isoformat()
    expect(page.locator("#notice-running")).to_contain_text(f"公示期至 {last_day}（含当日）结束")
    # Ten days pass: the notice has run its course (its dates move into the past, as the calendar would).
    notice_elapsed(run)
    page.reload()
    page.get_by_role("button", name="正式发布").click()
    expect(flash(page)).to_contain_text("2025年度评价结果已正式发布")
    expect(heading(page)).to_contain_text("已正式发布")
    run.refresh_from_db()
    assert run.status == "final"


# --- journey 3: export -------------------------------------------------------------------------------


def download_register(page: Page, folder: Path) -> list[tuple[Any, ...]]:
    """导出 → 企业名录 → the browser's download, saved under its own name and opened as a spreadsheet."""
    from openpyxl import load_workbook

    nav(page, "导出").click()
    page.get_by_label("报表", exact=True).select_option(label="企业名录")
    with page.expect_download() as started:
        page.get_by_role("button", name="导出", exact=True).click()
    download = started.value
    assert download.suggested_filename.endswith(".xlsx")
    saved = folder / download.suggested_filename
    download.save_as(saved)
    sheet = load_workbook(saved, read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert "企业名录" in rows[0][0] and "导出时间" in rows[0][0]
    assert list(rows[1]) == ENTERPRISE_REGISTER_HEADER
    return rows[2:]


def test_the_city_downloads_the_whole_enterprise_register_and_a_district_only_its_own_enterprises(
    page: Page, live_server: Any, settings: Any, tmp_path: Path, city_user: Any, district_user: Any,
    enterprise: Any, other_enterprise: Any, jiangjin_enterprise: Any,
) -> None:  # fmt: skip
    from factories.models import Enterprise

    settings.MEDIA_ROOT = tmp_path / "media"
    login(page, live_server, city_user.username)
    rows = download_register(page, tmp_path)
    assert sorted(row[0] for row in rows) == sorted(Enterprise.objects.values_list("name", flat=True))
    assert {row[0] for row in rows} >= {enterprise.name, other_enterprise.name, jiangjin_enterprise.name}
    by_name = {row[0]: row for row in rows}
    assert by_name[jiangjin_enterprise.name][1:3] == (jiangjin_enterprise.credit_code, "江津区")

    # The finished export is listed for download again.
    nav(page, "导出").click()
    mine = page.get_by_role("row").filter(has=page.get_by_role("link", name="下载"))
    expect(mine).to_have_count(1)
    logout(page)

    login(page, live_server, district_user.username)
    rows = download_register(page, tmp_path)
    assert sorted(row[0] for row in rows) == sorted([enterprise.name, other_enterprise.name])


# --- journey 4: cultivation pool ---------------------------------------------------------------------
# The cultivation pages were written alongside this test: the world is built with the services of
# tests/cultivation, and the test skips where the pages it visits do not exist (yet).

CULTIVATION_PAGES = ("cultivation/home.html", "cultivation/application_detail.html",
                     "cultivation/certification_detail.html")  # fmt: skip


def cultivation_pages_missing() -> bool:
    from django.template import TemplateDoesNotExist
    from django.template.loader import get_template

    try:
        reverse("cultivation:home")
        for name in CULTIVATION_PAGES:
            get_template(name)
    except (NoReverseMatch, TemplateDoesNotExist):
        return True
    return False


@pytest.fixture
def pool_world(enterprise: Any, enterprise_user: Any, other_enterprise: Any, district_user: Any, yuzhong: Any,
               jiangjin: Any) -> dict[str, Any]:  # fmt: skip
    """渝中's pool: `enterprise` has applied to join; `other_enterprise` is a supervised member with excellent
    district-approved 2025 data, B-eligible after the level job, and has applied for B certification."""
    from cultivation import services
    from factories.creditcode import make_credit_code
    from tests.cultivation.conftest import approved_submission, excellent_raw, join, supervise
    from tests.model_factories import (
        EnterpriseFactory,
        GreenFactoryFactory,
        plausible_raw,
        verified_submission,
    )

    for n in range(6):  # the benchmark: green factories of the same division with verified data
        district = yuzhong if n < 3 else jiangjin
        benchmark = EnterpriseFactory(
            name=f"重庆汽车标杆{n}厂",
            district=district,
            credit_code=make_credit_code("91", district.code, f"{n + 40000000:08d}"),
        )
        GreenFactoryFactory(enterprise=benchmark, tier="city", recognized_year=2021)
        for year in (2024, 2025):
            verified_submission(benchmark, year, plausible_raw(n, year))
    applicant = UserFactory(username="hana", role="enterprise", enterprise=other_enterprise)
    member = join(other_enterprise, applicant, district_user)
    supervise(member, district_user)
    approved_submission(other_enterprise, 2025, excellent_raw())
    services.level_job_start(actor=district_user, district=yuzhong, year=2025)  # runs on commit, eagerly
    services.b_certification_apply(actor=applicant, enterprise=other_enterprise, year=2025)
    services.pool_application_submit(
        actor=enterprise_user, enterprise=enterprise, intention="愿意参与绿色工厂梯度培育。",
        plan="2026年完成能源审计和节能诊断，2027年申报区县级绿色工厂。", lawful_declaration=True,
    )  # fmt: skip
    return {"joining": enterprise, "b_candidate": other_enterprise}


def test_a_district_admits_an_enterprise_to_the_cultivation_pool_and_certifies_a_b_factory(
    request: pytest.FixtureRequest, page: Page, live_server: Any, district_user: Any
) -> None:
    from cultivation.models import BCertification, PoolMembership

    if cultivation_pages_missing():
        pytest.skip("cultivation pages not yet available")
    world = request.getfixturevalue("pool_world")  # built only once the pages exist
    joining, candidate = world["joining"], world["b_candidate"]
    asked = accept_dialogs(page)
    login(page, live_server, district_user.username)
    nav(page, "培育库").click()
    expect(heading(page)).to_contain_text("渝中区绿色工厂梯度培育库")

    # Admit: the application waits on the cockpit; the Art. 10 checklist passes and the district accepts.
    waiting = page.locator("section.card").filter(
        has=page.get_by_role("heading", name=re.compile("待审核的入库申请"))
    )
    expect(waiting.locator(".badge")).to_have_text("1")
    waiting.get_by_role("link", name=joining.name).click()
    expect(heading(page)).to_contain_text(f"{joining.name} · 入库申请")
    expect(page.locator("#checklist")).not_to_contain_text("✗")
    page.get_by_role("button", name="同意入库").click()
    expect(flash(page)).to_contain_text("已同意入库，企业已进入本区县培育库。")
    assert any("确认同意入库" in question for question in asked)

    # Certify: the B-eligible member's application becomes a district-level green factory (区县级绿色工厂).
    nav(page, "培育库").click()
    pending = page.locator("section.card").filter(has=page.get_by_role("heading", name=re.compile("B级认定")))
    expect(pending).to_contain_text("已申请，待区县认定")
    pending.get_by_role("link", name=candidate.name).click()
    expect(heading(page)).to_contain_text(candidate.name)
    page.get_by_role("button", name="认定为区县级绿色工厂").click()
    expect(flash(page)).to_contain_text("已认定为区县级绿色工厂，证书编号已生成。")
    assert any("确认认定为区县级绿色工厂" in question for question in asked)
    expect(page.get_by_text("已认定（区县级绿色工厂）").first).to_be_visible()
    screenshot(page, "journey4-district-certifies-a-b-factory")

    assert PoolMembership.objects.filter(enterprise=joining, status="active").exists()
    assert BCertification.objects.get(membership__enterprise=candidate).status == "certified"
