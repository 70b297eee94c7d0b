"""The draft CQ-GF-2026 in a real browser: its page names the catalogue it grades (GBT36132-2025, a draft) and
weighs that catalogue's five dimensions. Screenshot: docs/screenshots/standard-cq-gf-2026.png."""

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


def test_the_page_of_cq_gf_2026_names_its_catalogue_and_weighs_its_dimensions(
    page: Page, live_server: Any, city_user: Any
) -> None:
    from playwright.sync_api import expect

    from factories.models import GradingStandard

    draft = GradingStandard.objects.get(code="CQ-GF-2026", version=1)
    login(page, live_server, city_user.username)
    page.goto(f"{live_server.url}/factories/grading/standards/{draft.pk}/")
    expect(page.get_by_role("link", name="GBT36132-2025")).to_be_visible()
    expect(page.get_by_text("目录草案")).to_be_visible()
    expect(page.get_by_text("GB/T 36132-2025《绿色工厂评价通则》")).to_have_count(2)
    for dimension in ("资源高效化", "产品绿色化"):
        expect(page.get_by_text(dimension).first).to_be_visible()
    DOCS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS / "standard-cq-gf-2026.png"), full_page=True)
