"""The 2026 data-entry form on GBT36132-2025 in a real browser: grouped by the five dimensions of §4b, counts as
number inputs, the platform functions as check boxes, and the live preview computes the 2025 indicators as
the enterprise types. Screenshot: docs/screenshots/submission-form-2025.png."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.conftest import login, skip_module_without_browser

if TYPE_CHECKING:
    from playwright.sync_api import Page

skip_module_without_browser()

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def test_the_2025_form_groups_by_dimension_and_previews_the_new_indicators(
    page: Page, live_server: Any, city_user: Any, enterprise_user: Any, enterprise: Any
) -> None:
    from django.utils import timezone
    from playwright.sync_api import expect

    from factories.catalogues.services import catalogue_adopt
    from factories.models import CatalogueVersion
    from reporting.services import reporting_year_open

    catalogue_adopt(actor=city_user, catalogue=CatalogueVersion.objects.get(code="GBT36132-2025"))
    today = timezone.localdate()
    reporting_year_open(
        actor=city_user,
        year=2026,
        opens_on=max(today - dt.timedelta(days=30), dt.date(2026, 1, 1)),
        closes_on=today + dt.timedelta(days=30),
        catalogue="GBT36132-2025",
    )
    login(page, live_server, enterprise_user.username)
    page.goto(f"{live_server.url}/reporting/submissions/{enterprise.pk}/2026/edit/")
    for legend in ("能源低碳化", "资源高效化", "生产洁净化", "产品绿色化", "用地集约化"):
        expect(page.locator("legend", has_text=legend)).to_be_visible()
    page.get_by_label("工业总产值（当年价）").fill("50000")
    page.get_by_label("用地面积").fill("20000")
    page.get_by_label("列入国家鼓励目录的先进工艺技术装备").fill("4")
    page.get_by_label("近三年绿色低碳改造项目", exact=True).fill("5")
    for item in ("能耗查询", "能效对标", "碳排放核算"):
        page.get_by_label(item, exact=True).check()
    page.get_by_label("废水主要污染物年均排放浓度占许可限值比例").fill("40")
    page.get_by_label("废气主要污染物年均排放浓度占许可限值比例").fill("70")
    preview = page.locator("#live-indicators")
    expect(preview.locator("tr", has_text="EN-04")).to_contain_text("3.000000")
    expect(preview.locator("tr", has_text="CL-01")).to_contain_text("4.000000")
    expect(preview.locator("tr", has_text="CL-02")).to_contain_text("1.666667")
    expect(preview.locator("tr", has_text="CL-04")).to_contain_text("45.000000")
    page.get_by_label("近三年绿色低碳改造项目", exact=True).fill("2.5")
    expect(preview).to_contain_text("应为非负整数")
    page.get_by_label("近三年绿色低碳改造项目", exact=True).fill("5")
    expect(preview.locator("tr", has_text="CL-02")).to_contain_text("1.666667")
    # no unit box beside the check boxes (the only field counted in 项 in this group is the choice set)
    energy = page.locator("fieldset", has_text="能源低碳化")
    expect(energy.locator(".unit", has_text="项")).to_have_count(0)
    expect(energy.locator(".unit", has_text="kWh").first).to_be_visible()
    DOCS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path="/tmp/cat25-form-2025.png", full_page=True)
    page.locator("fieldset", has_text="能源低碳化").screenshot(path=str(DOCS / "submission-form-2025.png"))
