"""A city user makes a sector variant of GBT36132-2025 in the browser, sees a definition error in Chinese,
fixes it and adopts the variant. Screenshots kept in docs/screenshots/ (catalogue-list.png,
catalogue-gbt36132-2025.png, catalogue-draft-error.png, catalogue-indicator-form.png, catalogue-adopted.png)."""

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
VARIANT = "GBT36132-2025-C36"


def test_a_city_user_makes_a_sector_variant_fixes_a_definition_error_and_adopts_it(
    page: Page, live_server: Any, city_user: Any
) -> None:
    from playwright.sync_api import expect

    from factories.models import CatalogueVersion

    page.on("dialog", lambda dialog: dialog.accept())
    page.set_viewport_size({"width": 1360, "height": 900})
    login(page, live_server, city_user.username)
    page.get_by_role("link", name="指标目录", exact=True).first.click()
    expect(page.get_by_role("heading", name="绿色工厂评价指标目录")).to_be_visible()
    page.screenshot(path=str(DOCS / "catalogue-list.png"), full_page=True)

    page.get_by_role("link", name="GBT36132-2025", exact=True).click()
    page.screenshot(path=str(DOCS / "catalogue-gbt36132-2025.png"), full_page=True)
    page.get_by_label("新目录代码").fill(VARIANT)
    page.get_by_label("名称", exact=True).fill("GB/T 36132-2025 汽车制造业变体")
    page.get_by_label("适用行业（大类）").fill("36")
    page.get_by_role("button", name="复制为草案").click()
    expect(page.get_by_text(f"已创建草案 {VARIANT}")).to_be_visible()

    # A mistyped field name and a cap left empty in RE-02.
    page.locator("tr", has_text="RE-02").get_by_role("link", name="修改").click()
    page.get_by_label("数据项（分子）").fill("water_reuse")
    page.get_by_label("上限").fill("")
    page.get_by_role("button", name="保存").click()
    problems = page.locator("#problems")
    expect(problems).to_contain_text("草案还有 2 处问题，改正后才能采用")
    expect(problems).to_contain_text("指标 RE-02 的定义引用了不存在的数据项“water_reuse”。")
    expect(problems).to_contain_text("指标 RE-02 未说明上限：请填写上限（如 100），不封顶请填“无”。")
    expect(page.get_by_role("button", name="采用此目录")).to_be_disabled()
    page.screenshot(path=str(DOCS / "catalogue-draft-error.png"), full_page=False)

    page.locator("tr", has_text="RE-02").get_by_role("link", name="修改").click()
    page.get_by_label("数据项（分子）").fill("water_reused")
    page.get_by_label("上限").fill("无")
    page.screenshot(path=str(DOCS / "catalogue-indicator-form.png"), full_page=True)
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#problems")).to_contain_text("未发现问题，可以采用。")
    page.get_by_role("button", name="采用此目录").click()
    expect(page.get_by_text(f"已采用指标目录 {VARIANT}。")).to_be_visible()
    page.screenshot(path=str(DOCS / "catalogue-adopted.png"), full_page=False)

    variant = CatalogueVersion.objects.get(code=VARIANT)
    assert (variant.status, variant.industry_divisions) == ("adopted", ["36"])
