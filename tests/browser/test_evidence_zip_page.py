"""A district clerk downloads the unit's evidence of a year as a zip from the review queue: the button queues
the background job, the export list then offers the zip, which holds the enterprise's folder and the
manifest. Screenshot: docs/screenshots/evidence-zip.png."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.conftest import login, skip_module_without_browser
from tests.browser.helpers import expect, flash
from tests.browser.test_evidence_journey import GOOD_VALUES, PDF

if TYPE_CHECKING:
    from playwright.sync_api import Page

skip_module_without_browser()

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


def test_the_district_downloads_its_evidence_zip_from_the_review_queue(
    page: Page, live_server: Any, open_year: Any, enterprise: Any, enterprise_user: Any, district_user: Any
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from reporting import services

    draft = services.submission_save_draft(
        actor=enterprise_user, enterprise=enterprise, year=2025, values=GOOD_VALUES
    )
    services.evidence_add(
        actor=enterprise_user,
        submission=draft,
        field="electricity",
        upload=SimpleUploadedFile("电费发票.pdf", PDF),
        note="",
    )

    login(page, live_server, district_user.username)
    page.goto(f"{live_server.url}/reporting/review/district/")
    button = page.get_by_role("button", name="下载佐证材料（压缩包）")
    expect(button).to_be_visible()
    DOCS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS / "evidence-zip.png"), full_page=True)
    button.click()

    expect(flash(page)).to_contain_text("佐证材料共 1 个文件")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载").first.click()
    assert download.value.suggested_filename.startswith("2025年度佐证材料-")
    assert download.value.suggested_filename.endswith(".zip")
    with zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes())) as archive:
        names = archive.namelist()
    assert "清单.xlsx" in names and any(name.endswith("电力消费量-电费发票.pdf") for name in names)
