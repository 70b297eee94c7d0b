"""Single sign-on in a real browser: from the platform's login page through the in-suite OpenID Connect
provider (tests/accounts/sso/conftest.py) and back, every hop a real HTTP request to the live server."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.accounts.sso import conftest as sso
from tests.browser.conftest import PASSWORD, screenshot, skip_module_without_browser

skip_module_without_browser()

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

provider = sso.provider


def test_an_enterprise_filler_signs_on_through_the_identity_provider(
    page: Any, live_server: Any, provider: Any, enterprise_user: Any
) -> None:
    from playwright.sync_api import expect

    from accounts.models import AuditEntry

    provider.person("idp-dora", uscc=enterprise_user.enterprise.credit_code)

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="使用统一身份认证登录").click()
    # The provider asks the person to sign in there; in the suite it is the same Django process, so its
    # sign-in page is the platform's form, reached with the provider's authorize request as `next`.
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/openid/authorize"))
    page.get_by_label("用户名").fill("idp-dora")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()

    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()
    screenshot(page, "sso-signed-on")
    login = AuditEntry.objects.filter(action="auth.login", actor=enterprise_user).get()
    assert "single sign-on" in login.reason


def test_an_identity_without_an_account_lands_on_the_login_page_with_the_reason(
    page: Any, live_server: Any, provider: Any, enterprise_user: Any
) -> None:
    from playwright.sync_api import expect

    provider.person("idp-stranger", uscc="91500000MA5U000000")

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="使用统一身份认证登录").click()
    page.get_by_label("用户名").fill("idp-stranger")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()

    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    expect(page.get_by_text("平台上没有与您的身份对应的账户")).to_be_visible()
    expect(page.get_by_role("button", name="退出登录")).to_have_count(0)
