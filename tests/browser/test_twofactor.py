"""Two-factor sign-in in a real browser: a district clerk who must use it is sent to the setup page, reads
the key off the page into "an authenticator app" (django_otp.oath.totp here), confirms with a code, sees the
recovery codes once, and at the next sign-in passes the second step."""

from __future__ import annotations

import re
import time
from base64 import b32decode
from typing import TYPE_CHECKING, Any

import pytest
from django_otp.oath import totp

from tests.browser.conftest import login, logout, screenshot, skip_module_without_browser
from tests.browser.helpers import expect

if TYPE_CHECKING:
    from playwright.sync_api import Page

skip_module_without_browser()

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def app_code(secret: str, *, ahead: int = 0) -> str:
    """What an authenticator app shows for the key typed in from the page (`ahead` steps later).

    A code read in the last seconds of its 30-second step may reach the server in the next one; the
    device then accepts it as one step behind and stores a drift of -1 (OTP_TOTP_SYNC), after which a
    code one step ahead falls outside its window. A person would read the next code instead, so the
    test waits for a fresh step when fewer than five seconds are left."""
    left = 30 - time.time() % 30
    if left < 5:
        time.sleep(left + 0.2)
    key = b32decode(secret.replace(" ", "") + "=" * (-len(secret.replace(" ", "")) % 8))
    return f"{totp(key, drift=ahead):06d}"


def test_a_district_clerk_sets_up_two_factor_and_then_signs_in_with_a_code(
    page: Page, live_server: Any, settings: Any, district_user: Any
) -> None:
    settings.REQUIRE_STAFF_2FA = True

    login(page, live_server, "bob")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/setup/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("设置两步验证")
    expect(page.locator("figure.qr svg")).to_be_visible()
    expect(page.get_by_role("navigation", name="主导航")).to_have_count(0)  # nothing else opens yet
    screenshot(page, "twofactor-setup")
    secret = page.get_by_label("密钥（手动输入）").input_value()
    assert re.fullmatch(r"[A-Z2-7]{4}( [A-Z2-7]{4}){7}", secret), secret

    page.get_by_label("验证码").fill("000000" if app_code(secret) != "000000" else "111111")
    page.get_by_role("button", name="确认并启用").click()
    expect(page.locator(".errorlist")).to_contain_text("验证码不正确")

    page.wait_for_timeout(1100)  # the pause after a wrong code
    page.get_by_label("验证码").fill(app_code(secret))
    page.get_by_role("button", name="确认并启用").click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/recovery/"))
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    page.get_by_role("link", name="我已保存，进入首页").click()
    expect(page.get_by_role("navigation", name="主导航").get_by_role("link", name="首页")).to_be_visible()

    logout(page)
    login(page, live_server, "bob")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/verify/"))
    page.get_by_label("验证码").fill(app_code(secret, ahead=1))  # the setup code's step is used up
    page.get_by_role("button", name="验证", exact=True).click()
    expect(page).not_to_have_url(re.compile(r"/accounts/2fa/"))
    expect(page.get_by_role("navigation", name="主导航").get_by_role("link", name="首页")).to_be_visible()

    logout(page)
    login(page, live_server, "bob")
    page.get_by_label("验证码").fill(codes[0])
    page.get_by_role("button", name="验证", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("还剩 9 个")
