"""The consistency page (审核一致性) as the city and as a district, and the peer benchmarks (同行对标) as an
enterprise, in a real browser over five units' reviewed and verified data. The screenshots are kept in
docs/screenshots/ (oversight-city.png, oversight-district.png, benchmarks-enterprise.png)."""

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
YEAR = 2025
DAY0 = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
# unit code → (enterprises, days to review of the first, returns among them)
UNITS = {"500103": (8, 1.0, 1), "500116": (6, 3.5, 2), "500101": (5, 6.0, 0), "500102": (3, 2.0, 1), "500107": (7, 1.5, 0)}  # fmt: skip
INDICATORS = {
    "LI-01": 1.2, "LI-02": 40.0, "LI-03": 900.0, "RH-01": 25.0, "CP-01": 0.05, "CP-02": 0.02, "CP-03": 0.6,
    "WR-01": 0.16, "WR-02": 90.0, "WR-03": 25.0, "EL-01": 0.02, "EL-02": 0.09, "EL-03": 20.0,
}  # fmt: skip


def _seed(enterprise: Any) -> None:
    from factories.models import District
    from reporting.models import AnnualSubmission, ReportingYear, SubmissionTransition
    from tests.model_factories import EnterpriseFactory, industry

    ReportingYear.objects.create(year=YEAR, opens_on=dt.date(2026, 1, 1), closes_on=dt.date(2026, 3, 31))
    serial = 0
    for code, (count, days, returns) in UNITS.items():
        district = District.objects.get(code=code)
        for n in range(count):
            serial += 1
            division = "36" if serial % 3 else "39"
            if code == "500103" and n == 0:
                company = enterprise
            else:
                company = EnterpriseFactory(name=f"重庆样本制造有限公司{serial:02d}", district=district,
                                            industry=industry(division))  # fmt: skip
            values = {}
            for index, (indicator, base) in enumerate(INDICATORS.items()):
                factor = 0.55 + ((serial * 37 + index * 11) % 23) / 20
                value = min(base * factor, 100.0) if indicator == "WR-02" else base * factor
                if indicator == "WR-03" and serial > 3:
                    continue  # three enterprises only: too few to compare
                if indicator == "CP-02" and division == "36" and company != enterprise and serial > 6:
                    continue  # few of the division: compared with the whole city instead
                values[indicator] = {"status": "ok", "value": f"{value:.6f}"}
            submission = AnnualSubmission.objects.create(
                enterprise=company, year=YEAR, district=district, status="city_verified",
                late=n == count - 1 and code != "500101", yoy_flags=["coal"] if n % 3 == 1 else [],
                submitted_at=DAY0, indicators=values,
            )  # fmt: skip
            steps = [("submit", "draft", "submitted", 0.0, "")]
            if n < returns:
                steps += [("return", "submitted", "draft", days / 2, "请核实用电量"),
                          ("submit", "draft", "submitted", days, "")]  # fmt: skip
            start = steps[-1][3]
            comment = "" if n % 2 else "已核实"
            steps += [("approve", "submitted", "district_approved", start + days + n * 0.25, comment),
                      ("verify", "district_approved", "city_verified", start + days + n * 0.25 + 1, "")]  # fmt: skip
            for action, frm, to, at, reason in steps:
                step = SubmissionTransition.objects.create(
                    submission=submission, action=action, from_status=frm, to_status=to, reason=reason
                )
                SubmissionTransition.objects.filter(pk=step.pk).update(at=DAY0 + dt.timedelta(days=at))


def test_the_city_the_district_and_the_enterprise_each_see_their_view(
    page: Page, live_server: Any, city_user: Any, district_user: Any, enterprise: Any, enterprise_user: Any
) -> None:
    from playwright.sync_api import expect

    _seed(enterprise)
    DOCS.mkdir(parents=True, exist_ok=True)

    login(page, live_server, city_user.username)
    page.get_by_role("link", name="审核一致性").click()
    page.locator("select[name=indicator]").select_option("EL-01")
    page.get_by_role("button", name="查看").click()
    expect(page.get_by_role("heading", name="审核一致性")).to_be_visible()
    expect(page.locator("tbody tr")).to_have_count(5 + 6)  # five units, then the data table's six rows
    expect(page.locator("svg.chart-box text.too-few")).to_have_count(1)  # 涪陵: three enterprises
    page.screenshot(path=str(DOCS / "oversight-city.png"), full_page=True)
    page.get_by_role("button", name="退出登录").click()

    login(page, live_server, district_user.username)
    page.goto(f"{live_server.url}/reporting/oversight/?year={YEAR}&indicator=EL-01")
    expect(page.get_by_role("row", name="渝中区").first).to_be_visible()
    content = page.content()
    assert "江津区" not in content and "万州区" not in content
    page.screenshot(path=str(DOCS / "oversight-district.png"), full_page=True)
    page.get_by_role("button", name="退出登录").click()

    login(page, live_server, enterprise_user.username)
    page.get_by_role("link", name="同行对标").click()
    expect(page.get_by_role("heading", name="同行对标")).to_be_visible()
    expect(page.get_by_text("同行数量不足，暂不显示").first).to_be_visible()
    assert "重庆样本制造有限公司" not in page.content()
    page.screenshot(path=str(DOCS / "benchmarks-enterprise.png"), full_page=True)
