"""The declarations in a real browser: the enterprise fills 重大事项变更 and the compliance self-declaration
in its annual data form (a mistake is shown next to the item, the input kept), and the district reviewer
reads them on the submission's detail page, with the documents of the declared change and the permit
uploaded beside them. Screenshots: docs/screenshots/declarations-form.png and
declarations-review.png."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.conftest import login, logout, skip_module_without_browser

if TYPE_CHECKING:
    from playwright.sync_api import Page

skip_module_without_browser()

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
GOOD_VALUES = {"site_area": "20000", "output_value": "50000", "electricity": "5000000", "co2": "4200"}


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


def test_the_enterprise_declares_and_the_reviewer_reads_the_declarations(
    page: Page, live_server: Any, open_year: Any, enterprise: Any, enterprise_user: Any, district_user: Any
) -> None:
    from playwright.sync_api import expect

    from reporting.models import AnnualSubmission
    from reporting.services import submission_submit
    from tests.model_factories import GreenFactoryFactory

    GreenFactoryFactory(enterprise=enterprise, tier="national", recognized_year=2020)
    DOCS.mkdir(parents=True, exist_ok=True)
    login(page, live_server, enterprise_user.username)
    page.goto(f"{live_server.url}/reporting/submissions/{enterprise.pk}/2025/edit/")
    for name, value in GOOD_VALUES.items():
        page.locator(f"input[name={name}]").fill(value)
    section = page.locator("#declarations")
    for kind in ("name", "business_scope", "boundary"):
        page.locator(f"input[name=change_{kind}][value=no]").check()
    page.locator("input[name=change_site][value=yes]").check()
    page.locator("textarea[name=change_site_description]").fill(
        "厂址由渝中区化龙桥路1号迁至渝中区大坪正街9号"
    )
    page.locator("input[name=no_major_accident][value=yes]").check()
    page.locator("input[name=permit][value=valid]").check()
    page.locator("input[name=permit_number]").fill("91500103MA5U000000001P")
    page.locator("input[name=permit_valid_to]").fill("2020-06-30")
    page.locator("input[name=no_serious_credit_record][value=yes]").check()
    page.get_by_role("button", name="保存草稿").click()

    expect(page.get_by_text("厂址变更：请填写变更日期。")).to_be_visible()
    expect(page.get_by_text("已不在有效期内")).to_be_visible()
    expect(page.locator("textarea[name=change_site_description]")).to_have_value(
        "厂址由渝中区化龙桥路1号迁至渝中区大坪正街9号"
    )
    section.screenshot(path=str(DOCS / "declarations-form-errors.png"))

    page.locator("input[name=change_site_on]").fill("2025-06-01")
    page.locator("input[name=permit_valid_to]").fill("2028-06-30")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_text("草稿已保存")).to_be_visible()

    # The declared site change and the permit now take their documents, beside the answer.
    for key, label, name in (
        ("major_change.site", "重大事项变更：厂址变更的佐证材料", "新厂址租赁合同.pdf"),
        ("compliance.permit", "排污许可证（或排污登记回执）的佐证材料", "排污许可证.pdf"),
    ):
        cell = page.locator(f'[id="evidence-{key}"]')
        cell.get_by_label(label).set_input_files({"name": name, "mimeType": "application/pdf", "buffer": PDF})
        cell.get_by_role("button", name="上传佐证").click()
        expect(page.locator(".messages, .alert").first).to_contain_text(f"已上传佐证材料：{name}")
        expect(page.locator(f'[id="evidence-{key}"]')).to_contain_text(name)
    expect(page.locator('[id="evidence-major_change.name"]')).to_have_count(0)  # declared "no change"
    page.locator("#declarations").screenshot(path=str(DOCS / "declarations-form.png"))
    logout(page)

    submission = AnnualSubmission.objects.get(enterprise=enterprise, year=2025)
    assert submission.major_changes["site"]["changed_on"] == "2025-06-01"
    submission_submit(actor=enterprise_user, submission=submission)

    login(page, live_server, district_user.username)
    page.goto(f"{live_server.url}/reporting/submissions/{submission.pk}/")
    card = page.locator("section#declarations")
    expect(card.get_by_role("heading", name="重大事项变更与合规性声明")).to_be_visible()
    expect(card.get_by_text("厂址由渝中区化龙桥路1号迁至渝中区大坪正街9号")).to_be_visible()
    expect(
        card.get_by_text("持有有效排污许可证（编号91500103MA5U000000001P，有效期至2028-06-30）")
    ).to_be_visible()
    expect(card.locator('[id="evidence-major_change.site"]')).to_contain_text("新厂址租赁合同.pdf")
    expect(card.locator('[id="evidence-compliance.permit"]')).to_contain_text("排污许可证.pdf")
    card.screenshot(path=str(DOCS / "declarations-review.png"))
