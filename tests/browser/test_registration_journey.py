"""Journey of issue 14 item 1 in a real browser: a new enterprise registers on the public page, its district
approves the request from its queue, the e-mailed link sets the password, and the new user signs in and files
the year's data. Only the first page of each persona and the e-mailed link are typed as URLs.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest
from django.core import mail

from factories.creditcode import make_credit_code
from tests.browser.conftest import login, logout, screenshot, skip_module_without_browser
from tests.browser.test_journeys import GOOD_VALUES, accept_dialogs, expect, fill_values, flash, heading, nav

if TYPE_CHECKING:
    from playwright.sync_api import Page

skip_module_without_browser()

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

NAME = "重庆两江新材料科技有限公司"
CODE = make_credit_code("91", "500103", "66880001")
EMAIL = "liuyang@liangjiang-materials.cn"
PASSWORD = "Lvse-Register-2026"
LETTER = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def test_a_new_enterprise_registers_the_district_approves_and_the_new_user_files_the_year(
    page: Page, live_server: Any, open_year: Any, district_user: Any, settings: Any
) -> None:
    from django.core.cache import cache

    from factories.models import Enterprise, RegistrationRequest
    from factories.views_registration import throttle_key
    from reporting.models import AnnualSubmission

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    cache.delete(throttle_key("127.0.0.1"))
    asked = accept_dialogs(page)

    # The contact finds the registration page from the sign-in page.
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="企业注册", exact=True).click()
    expect(heading(page)).to_have_text("企业注册")
    page.get_by_label("统一社会信用代码").fill(CODE.lower())
    page.get_by_label("企业名称").fill(NAME)
    page.get_by_label("管理单位").select_option(label="渝中区")
    page.get_by_label("行业大类").select_option(value="30")
    page.get_by_label("联系人姓名").fill("刘洋")
    page.get_by_label("手机号码").fill("139 2300 1234")
    page.get_by_label("电子邮箱").fill(EMAIL)
    page.get_by_label("授权委托书").set_input_files(
        {"name": "授权委托书.pdf", "mimeType": "application/pdf", "buffer": LETTER}
    )
    screenshot(page, "registration-form")
    page.get_by_role("button", name="提交注册申请").click()
    expect(heading(page)).to_have_text("注册申请已提交")
    expect(page.locator("main")).to_contain_text("将由渝中区经信部门审核")
    expect(page.locator("main")).to_contain_text(EMAIL)
    request = RegistrationRequest.objects.get()
    assert (request.credit_code, request.status, request.mobile) == (CODE, "pending", "13923001234")

    # The district sees it on its home page and in its queue, reads it and approves it.
    login(page, live_server, district_user.username)
    waiting = page.locator("section.card").filter(has=page.get_by_role("heading", name="企业注册审核"))
    expect(waiting.locator(".badge")).to_have_text("1")
    nav(page, "企业注册审核").click()
    expect(heading(page)).to_contain_text("企业注册审核")
    row = page.get_by_role("row").filter(has_text=NAME)
    expect(row).to_contain_text("新登记企业")
    expect(row).to_contain_text("待审核")
    screenshot(page, "registration-queue")
    row.get_by_role("link", name=NAME).click()
    expect(heading(page)).to_contain_text(NAME)
    expect(page.locator("main")).to_contain_text("该统一社会信用代码尚未登记")
    with page.expect_download() as letter:
        page.get_by_role("link", name="下载查看").click()
    assert "授权委托书" in letter.value.suggested_filename
    screenshot(page, "registration-detail")
    page.get_by_role("button", name="审核通过").click()
    expect(flash(page)).to_contain_text(f"已通过“{NAME}”的注册申请")
    expect(page.get_by_role("row").filter(has_text=NAME)).to_have_count(0)
    logout(page)
    enterprise = Enterprise.objects.get(credit_code=CODE)
    assert (enterprise.name, enterprise.district_id) == (NAME, "500103")

    # The e-mailed link sets the password, once.
    assert [message.to for message in mail.outbox] == [[EMAIL]]
    link = re.search(r"https?://\S+/accounts/register/activate/\S+/", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    path = "/" + link.group(0).split("/", 3)[3]
    page.goto(live_server.url + path)
    expect(heading(page)).to_have_text("设置登录密码")
    expect(page.locator("main")).to_contain_text(EMAIL)
    page.get_by_label(re.compile(r"^新密码[:：]?$")).fill(PASSWORD)
    page.get_by_label(re.compile(r"^新密码确认[:：]?$")).fill(PASSWORD)
    page.get_by_role("button", name="设置密码").click()
    expect(flash(page)).to_contain_text("密码已设置")
    page.goto(live_server.url + path)
    expect(heading(page)).to_have_text("链接无效")

    # The new user signs in and files the year's data with the submission form.
    login(page, live_server, EMAIL, PASSWORD)
    todo = page.locator("section.card").filter(has=page.get_by_role("heading", name="填报2025年度数据"))
    todo.get_by_role("link", name="前往处理").click()
    expect(heading(page)).to_have_text(f"{NAME} · 2025年度数据")
    fill_values(page, GOOD_VALUES)
    page.get_by_role("button", name="保存并提交").click()
    expect(flash(page)).to_contain_text("已提交，等待区县经信部门审核。")
    assert any("确认提交" in question for question in asked)
    submission = AnnualSubmission.objects.get(enterprise=enterprise, year=2025)
    assert submission.status == "submitted"
