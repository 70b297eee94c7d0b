"""The pool and district-report exports: right columns and rows, only the requester's district."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from reporting import jobs

pytestmark = pytest.mark.django_db


def _rows(job):  # type: ignore[no-untyped-def]
    with job.file.open("rb") as handle:
        sheet = load_workbook(io.BytesIO(handle.read())).active
    return [c.value for c in sheet[2]], list(sheet.iter_rows(min_row=3, values_only=True))


def test_the_pool_export_lists_levels_of_the_requesters_district_only(
    certified, jiangjin_member, district_user, other_district_user, enterprise
):
    header, rows = _rows(jobs.export_request(actor=district_user, kind="pool")[0])
    assert header[:6] == ["年度", "企业名称", "统一社会信用代码", "管理单位", "行业代码", "培育等级"]
    assert rows and {row[1] for row in rows} == {enterprise.name}
    assert any(row[5] == "达到B级条件" and row[6] == "是" for row in rows)
    _header, others = _rows(jobs.export_request(actor=other_district_user, kind="pool")[0])
    assert enterprise.name not in {row[1] for row in others}


def test_the_district_report_export_carries_the_generated_figures(
    member, district_user, city_user, other_district_user
):
    from cultivation.services import district_report_generate

    report, _created = district_report_generate(
        actor=district_user, district=district_user.district, year=2025
    )
    header, rows = _rows(
        jobs.export_request(actor=city_user, kind="district_reports", filters={"year": 2025})[0]
    )
    assert "库内企业数" in header
    row = rows[0]
    assert row[1] == "渝中区" and row[header.index("库内企业数")] == report.figures["pool_size"]
    assert _rows(jobs.export_request(actor=other_district_user, kind="district_reports")[0])[1] == []


def test_the_member_list_exports_its_members_with_the_filters_on_the_page(
    client, certified, jiangjin_member, district_user, city_user, enterprise
):
    client.force_login(city_user)
    page = client.get("/cultivation/members/", {"level": "B_eligible", "district": "500103"}).content.decode()
    assert 'name="kind" value="pool_members"' in page
    assert 'name="level" value="B_eligible"' in page and 'name="district" value="500103"' in page
    header, rows = _rows(
        jobs.export_request(
            actor=city_user, kind="pool_members", filters={"level": "B_eligible", "district": "500103"}
        )[0]
    )
    assert header[:3] == ["企业名称", "统一社会信用代码", "管理单位"]
    assert [(row[0], row[5], row[7], row[8]) for row in rows] == [
        (enterprise.name, "在库培育", "达到B级条件", "是")
    ]
    _header, own = _rows(jobs.export_request(actor=district_user, kind="pool_members")[0])
    assert {row[0] for row in own} == {enterprise.name}
