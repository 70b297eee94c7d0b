"""The public notice (公示) in a real browser, from objection to certificate (issue 17): an anonymous visitor
opens the notice, opens the run and files an objection about a listed factory; the city accepts it with a
data correction picked from the enterprise's correction requests, grades the year again, links the new run
(its diff against the published one), publishes it and makes it final once its notice has run; the visitor
then opens the factory's certificate and its status page, which shows the new grade, in Chinese and English.

The enterprise's correction request and its approval are the existing correction flow (tests/reporting), set
up through the services. Screenshots are kept in docs/screenshots/ (objection-decision.png,
objection-new-run.png, certificate-status-new-grade.png, certificate-status-en.png)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.browser.conftest import login, logout, skip_module_without_browser
from tests.browser.helpers import accept_dialogs, flash, heading
from tests.helpers import notice, notice_elapsed
from tests.model_factories import UserFactory, plausible_raw

if TYPE_CHECKING:
    from playwright.sync_api import Page

skip_module_without_browser()

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# The figures the objector says were understated: five times the reported emissions and energy.
UNDERSTATED = (
    "cod", "ammonia_nitrogen", "so2", "nox", "waste_gas", "wastewater", "solid_waste", "electricity",
    "natural_gas", "co2",
)  # fmt: skip


def keep(page: Page, name: str) -> None:
    DOCS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS / name), full_page=True)


def test_a_visitor_objects_the_city_corrects_and_regrades_and_the_status_page_shows_the_new_grade(
    page: Page, live_server: Any, graded_world: list[Any], city_user: Any
) -> None:
    from playwright.sync_api import expect

    from factories.grading import services
    from factories.grading.forms import correction_choice_label
    from factories.grading.views.objections import reset_throttle
    from factories.models import Certificate, GradingResult, GradingRun, Objection
    from reporting import services as reporting
    from reporting.models import AnnualSubmission

    reset_throttle("127.0.0.1")
    target = graded_world[3]  # graded AAA on the figures it reported
    run = services.grading_run_start(actor=city_user, year=2025)
    run.refresh_from_db()
    assert run.status == "succeeded"
    published = services.grading_run_publish(actor=city_user, run=run, **notice(10))
    published_grade = GradingResult.objects.get(run=published, enterprise=target).grade
    assert published_grade == "AAA"
    asked = accept_dialogs(page)

    # The visitor, not signed in, opens the notice, the year's run and the objection form.
    page.goto(live_server.url + reverse("gongshi:index"))
    expect(heading(page)).to_have_text("绿色工厂分级评价结果公示")
    page.get_by_role("row").filter(has_text="2025年度").get_by_role("link", name="查看名单").click()
    expect(heading(page)).to_have_text("2025年度绿色工厂分级评价结果")
    expect(page.get_by_role("row").filter(has_text=target.name)).to_contain_text("AAA")
    page.get_by_role("link", name="在线提出异议").click()
    expect(heading(page)).to_have_text("对公示结果提出异议")
    page.get_by_label("异议对象").select_option(label=target.name)
    page.get_by_label("真实姓名").fill("张伟")
    page.get_by_label("电子邮箱").fill("zhangwei@example.cn")
    page.get_by_label("异议内容").fill("该厂2025年排放和能耗数据明显少报，与环评公开数据不符。")
    page.get_by_role("button", name="提交异议").click()
    expect(page.get_by_role("status")).to_contain_text("异议已提交")
    assert "确认提交异议？" in asked
    objection = Objection.objects.get()
    assert (objection.enterprise_id, objection.run_id, objection.status) == (
        target.pk,
        published.pk,
        "pending",
    )

    # The enterprise asks to correct its figures (the existing correction flow).
    gina = UserFactory(username="gina", role="enterprise", enterprise=target)
    raw = plausible_raw(3, 2025)
    correction = reporting.correction_request(
        actor=gina,
        submission=AnnualSubmission.objects.get(enterprise=target, year=2025),
        reason="排放和能耗统计口径有误，按环评监测数据更正",
        new_values={key: f"{float(raw[key]) * 5:.2f}" for key in UNDERSTATED},
    )

    # The city accepts the objection with that data correction, picked from the enterprise's own requests.
    login(page, live_server, city_user.username)
    page.goto(live_server.url + reverse("factories:objection_list"))
    page.get_by_role("link", name=f"#{objection.pk}", exact=True).click()
    expect(heading(page)).to_contain_text(f"异议 #{objection.pk}")
    page.get_by_label("采纳", exact=True).check()
    page.get_by_label("处理理由").fill("经核查，企业少报排放和能耗数据，异议属实。")
    page.get_by_label("纠正方式").select_option(label="数据更正")
    page.get_by_label("更正申请", exact=True).select_option(label=correction_choice_label(correction))
    page.get_by_label("我已核实，确认提交处理决定").check()
    keep(page, "objection-decision.png")
    page.get_by_role("button", name="提交处理决定").click()
    expect(flash(page)).to_contain_text("已处理")
    objection.refresh_from_db()
    assert (objection.status, objection.remedy_correction_id) == ("accepted", correction.pk)
    reporting.correction_decide(actor=city_user, correction=correction, approve=True, reason="同意更正")

    # The city grades the year again and links the new run to the objection, whose diff it opens.
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="分级评价", exact=True).click()
    page.get_by_label("评价年度").select_option(label="2025年度")
    page.get_by_role("button", name="开始评价").click()
    expect(page).to_have_url(re.compile(r"/factories/grading/runs/\d+/$"))
    expect(heading(page)).to_contain_text("计算完成（草稿）")
    rerun = GradingRun.objects.filter(year=2025).exclude(pk=published.pk).get()
    new_grade = GradingResult.objects.get(run=rerun, enterprise=target).grade
    assert new_grade != published_grade
    page.goto(live_server.url + reverse("factories:objection_detail", args=[objection.pk]))
    page.get_by_label("重新评价").select_option(value=str(rerun.pk))
    page.get_by_role("button", name="关联", exact=True).click()
    expect(flash(page)).to_contain_text("已处理")
    expect(page.get_by_role("listitem").filter(has_text=target.name)).to_have_text(
        f"{target.name}：AAA → {new_grade}"
    )
    keep(page, "objection-new-run.png")
    page.get_by_role("link", name="查看与原公示结果的差异").click()
    expect(page).to_have_url(re.compile(rf"/factories/grading/runs/{rerun.pk}/#diff$"))
    expect(page.locator("#diff").get_by_role("row").filter(has_text=target.name)).to_contain_text(new_grade)

    # The objection is closed: the city publishes the new run and makes it final once its notice has run.
    today = timezone.localdate()
    page.get_by_label("公示开始日期").fill(today.isoformat())
    page.get_by_label("公示结束日期").fill((today + dt.timedelta(days=9)).isoformat())
    page.get_by_role("button", name="发布公示").click()
    expect(flash(page)).to_contain_text("已发布公示")
    notice_elapsed(rerun)
    page.reload()
    page.get_by_role("button", name="正式发布").click()
    expect(flash(page)).to_contain_text("2025年度评价结果已正式发布")
    certificate = Certificate.objects.get(result__run=rerun, enterprise=target)
    logout(page)

    # The visitor opens the final list, the factory's certificate and its status page: the new grade.
    page.goto(live_server.url + reverse("gongshi:index"))
    row = page.get_by_role("row").filter(has_text="2025年度")
    expect(row).to_contain_text("已正式发布")
    row.get_by_role("link", name="查看名单").click()
    factory_row = page.get_by_role("row").filter(has_text=target.name)
    expect(factory_row).to_contain_text(new_grade)
    expect(factory_row).not_to_contain_text("AAA")
    factory_row.get_by_role("link", name="证书").click()
    expect(page.locator(".certificate")).to_contain_text(f"评价等级为 {new_grade} 级")
    page.get_by_role("link", name="查看证书状态").click()
    expect(heading(page)).to_have_text("证书核验")
    card = page.locator(".verify-card")
    expect(card.locator(".verify-state")).to_have_text("有效")
    expect(card.locator("dd").filter(has_text=certificate.code)).to_have_count(1)
    expect(card).to_contain_text(target.name)
    grade_line = card.locator("dt", has_text="评价等级").locator("xpath=following-sibling::dd[1]")
    expect(grade_line).to_have_text(new_grade)
    keep(page, "certificate-status-new-grade.png")

    # The same page in English: the status in English words, the grade unchanged.
    page.get_by_role("link", name="English").click()
    expect(heading(page)).to_have_text("Certificate verification")
    expect(card.locator(".verify-state")).to_have_text("Valid")
    expect(card).not_to_contain_text("有效")
    keep(page, "certificate-status-en.png")
