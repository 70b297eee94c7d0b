"""Evidence (佐证材料) with a pool application in a real browser: the enterprise applies with two files (a
renamed executable among them is first refused in words), the district clerk sees the files on the
application and downloads one through the permission-checked link.

Screenshot kept in docs/screenshots/pool-application-evidence.png."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.conftest import login, logout, skip_module_without_browser
from tests.browser.helpers import expect

if TYPE_CHECKING:
    from playwright.sync_api import Page

skip_module_without_browser()

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (80, 60), "green").save(out, "PNG")
    return out.getvalue()


def _fill(page: Page) -> None:
    page.get_by_label("书面意愿").fill("本企业愿意参与绿色工厂梯度培育，按年度报送数据。")
    page.get_by_label("绿色工厂创建计划").fill(
        "2026年建立能源管理体系；2027年完成空压机节能改造；2028年申报市级绿色工厂。"
    )
    page.get_by_label("本企业依法设立、守法经营，所提交信息真实、准确。").check()


def test_an_application_carries_evidence_to_the_district(
    page: Page, live_server: Any, enterprise: Any, enterprise_user: Any, district_user: Any
) -> None:
    from cultivation.models import PoolApplication

    login(page, live_server, enterprise_user.username)
    page.goto(f"{live_server.url}/cultivation/applications/new/")
    _fill(page)
    page.get_by_label("佐证材料").set_input_files(
        [{"name": "营业执照.pdf", "mimeType": "application/pdf", "buffer": b"MZ\x90\x00" + b"\x00" * 64}]
    )
    page.get_by_role("button", name="提交申请").click()
    expect(page.get_by_text("营业执照.pdf：文件内容与其类型不符", exact=False).first).to_be_visible()
    assert not PoolApplication.objects.exists()

    _fill(page)
    page.get_by_label("佐证材料").set_input_files(
        [
            {"name": "营业执照.pdf", "mimeType": "application/pdf", "buffer": PDF},
            {"name": "厂区照片.png", "mimeType": "image/png", "buffer": _png()},
        ]
    )
    page.get_by_role("button", name="提交申请").click()
    expect(page.locator(".messages, .alert").first).to_contain_text("入库申请已提交")
    logout(page)

    application = PoolApplication.objects.get()
    login(page, live_server, district_user.username)
    page.goto(f"{live_server.url}/cultivation/applications/{application.pk}/")
    files = page.locator("#evidence")
    expect(files.get_by_role("link", name="营业执照.pdf")).to_be_visible()
    expect(files.get_by_role("link", name="厂区照片.png")).to_be_visible()
    href = files.get_by_role("link", name="营业执照.pdf").get_attribute("href")
    assert href is not None and "/media/" not in href
    answer = page.request.get(f"{live_server.url}{href}")
    assert answer.status == 200 and answer.body() == PDF
    files.scroll_into_view_if_needed()
    DOCS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS / "pool-application-evidence.png"), full_page=True)
