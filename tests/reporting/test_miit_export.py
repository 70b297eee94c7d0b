"""The MIIT dynamic-management export (`miit_dynamic`): one row per green factory and year with the three
blocks of the national table under merged block headers, verified data only, scoped by unit."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from reporting import jobs
from reporting.models import ExportJob
from tests.model_factories import GreenFactoryFactory
from tests.reporting.test_declarations import ALL_CHANGES, COMPLIANT
from tests.system.test_export_words import offending, raw_codes

pytestmark = pytest.mark.django_db


def _open(job: ExportJob):  # type: ignore[no-untyped-def]
    with job.file.open("rb") as handle:
        return load_workbook(io.BytesIO(handle.read())).active


def attach_declaration_files(actor, submission):  # type: ignore[no-untyped-def]
    """The files a declared site change and a declared valid permit need before submission."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from reporting.services import evidence_add
    from tests.reporting.test_evidence import PDF

    for field, name in (("major_change.site", "新厂址租赁合同.pdf"), ("compliance.permit", "排污许可证.pdf")):
        evidence_add(actor=actor, submission=submission, field=field, upload=SimpleUploadedFile(name, PDF))


@pytest.fixture
def declared_and_verified(draft, enterprise_user, district_user, city_user, settings, tmp_path):  # type: ignore[no-untyped-def]
    """渝中's national green factory: 2025 data with its declarations and their files, verified by the city."""
    from reporting.services import (
        submission_approve,
        submission_save_draft,
        submission_submit,
        submission_verify,
    )

    settings.MEDIA_ROOT = tmp_path / "media"
    GreenFactoryFactory(enterprise=draft.enterprise, tier="national", recognized_year=2020)
    draft = submission_save_draft(
        actor=enterprise_user,
        enterprise=draft.enterprise,
        year=2025,
        values={},
        major_changes=ALL_CHANGES,
        compliance=COMPLIANT,
    )
    attach_declaration_files(enterprise_user, draft)
    submission = submission_submit(actor=enterprise_user, submission=draft)
    submission = submission_approve(actor=district_user, submission=submission)
    return submission_verify(actor=city_user, submission=submission)


@pytest.fixture
def three_units_of_factories(declared_and_verified, other_enterprise, jiangjin_enterprise):  # type: ignore[no-untyped-def]
    """Besides the verified one: a 渝中 city-level factory without data, and a 江津 factory."""
    GreenFactoryFactory(enterprise=other_enterprise, tier="city", recognized_year=2023)
    GreenFactoryFactory(enterprise=jiangjin_enterprise, tier="city", recognized_year=2022)
    return declared_and_verified


def _rows(sheet):  # type: ignore[no-untyped-def]
    return [row for row in sheet.iter_rows(min_row=4, values_only=True) if any(v is not None for v in row)]


def test_the_export_has_one_row_per_factory_and_year_with_the_three_blocks(
    three_units_of_factories, city_user
):
    job, _ = jobs.export_request(actor=city_user, kind="miit_dynamic", filters={"year": 2025})
    assert job.status == "succeeded"
    sheet = _open(job)
    assert "绿色工厂动态管理表" in sheet["A1"].value and "年度：2025" in sheet["A1"].value
    blocks = [c for c in (cell.value for cell in sheet[2]) if c]
    assert blocks == ["工厂基本信息", "一、主要指标及佐证材料", "二、重大事项变更", "三、合规性自我声明"]
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert "A2:H2" in merged and len(merged) == 4
    headers = [cell.value for cell in sheet[3]]
    for header in (
        "企业名称",
        "绿色工厂级别",
        "认定年度（批次）",
        "单位产值综合能耗（tce/万元）",
        "佐证材料",
    ):
        assert header in headers
    for header in ("企业名称变更", "经营范围变更", "厂址变更", "工厂边界变更", "排污许可"):
        assert header in headers
    rows = _rows(sheet)
    assert len(rows) == 3
    assert len({(row[0], row[2]) for row in rows}) == 3
    verified = next(
        dict(zip(headers, row, strict=True))
        for row in rows
        if row[1] == three_units_of_factories.enterprise.name
    )
    assert verified["绿色工厂级别"] == "国家级" and verified["认定年度（批次）"] == 2020
    assert verified["本年度数据状态"] == "市级已复核（锁定）"
    assert isinstance(verified["单位产值综合能耗（tce/万元）"], float)
    assert verified["佐证材料"] == (  # the declarations' files under their words, not their keys
        "重大事项变更：厂址变更：新厂址租赁合同.pdf；排污许可证（或排污登记回执）：排污许可证.pdf"
    )
    assert verified["厂址变更"] == "2025-06-01：厂址由渝中区某路1号迁至某路9号"
    assert verified["企业名称变更"] == "无变更"
    assert verified["排污许可"] == "持有有效排污许可证（编号91500103MA5U000000001P，有效期至2028-06-30）"
    cells = [str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None]
    codes = raw_codes()
    assert {"valid", "business_scope", "site", "national"} <= codes
    assert not [hit for cell in cells for hit in offending(cell, codes)]
    without = next(
        dict(zip(headers, row, strict=True)) for row in rows if row[5] == "市级" and row[3] == "渝中区"
    )
    assert without["本年度数据状态"] == "未填报" and without["厂址变更"] is None


def test_unverified_data_leaves_the_blocks_blank_and_says_why(draft, enterprise_user, city_user):
    from reporting.services import submission_save_draft

    GreenFactoryFactory(enterprise=draft.enterprise, recognized_year=2020)
    submission_save_draft(
        actor=enterprise_user, enterprise=draft.enterprise, year=2025, values={}, compliance=COMPLIANT
    )
    job, _ = jobs.export_request(actor=city_user, kind="miit_dynamic", filters={"year": 2025})
    sheet = _open(job)
    headers = [cell.value for cell in sheet[3]]
    (row,) = [dict(zip(headers, r, strict=True)) for r in _rows(sheet)]
    assert row["本年度数据状态"] == "草稿（未经市级复核，本表不填）"
    assert row["排污许可"] is None and row["单位产值综合能耗（tce/万元）"] is None


def test_a_district_sees_only_its_own_unit(three_units_of_factories, district_user, other_district_user):
    job, _ = jobs.export_request(actor=district_user, kind="miit_dynamic", filters={"year": 2025})
    units = {row[3] for row in _rows(_open(job))}
    assert units == {"渝中区"}
    job, _ = jobs.export_request(actor=other_district_user, kind="miit_dynamic", filters={"year": 2025})
    assert {row[3] for row in _rows(_open(job))} == {"江津区"}
    job, _ = jobs.export_request(
        actor=district_user, kind="miit_dynamic", filters={"year": 2025, "district": "500116"}
    )
    assert _rows(_open(job)) == []


def test_the_city_filters_by_unit_and_tier(three_units_of_factories, city_user):
    job, _ = jobs.export_request(
        actor=city_user, kind="miit_dynamic", filters={"year": 2025, "district": "500116"}
    )
    assert {row[3] for row in _rows(_open(job))} == {"江津区"}
    job, _ = jobs.export_request(actor=city_user, kind="miit_dynamic", filters={"tier": "national"})
    sheet = _open(job)
    assert "级别：国家级" in sheet["A1"].value
    assert [row[5] for row in _rows(sheet)] == ["国家级"]


def test_a_factory_revoked_before_the_year_ends_or_recognised_later_has_no_row(
    declared_and_verified, city_user
):
    import datetime as dt

    from tests.model_factories import EnterpriseFactory

    GreenFactoryFactory(
        enterprise=EnterpriseFactory(district=declared_and_verified.enterprise.district),
        recognized_year=2019,
        status="revoked",
        revoked_on=dt.date(2025, 5, 1),
    )
    GreenFactoryFactory(
        enterprise=EnterpriseFactory(district=declared_and_verified.enterprise.district), recognized_year=2026
    )
    job, _ = jobs.export_request(actor=city_user, kind="miit_dynamic", filters={"year": 2025})
    assert [row[1] for row in _rows(_open(job))] == [declared_and_verified.enterprise.name]


def test_the_evidence_column_names_each_file_with_its_figure(
    draft, enterprise_user, district_user, city_user, settings, tmp_path
):  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    from reporting.services import (
        evidence_add,
        submission_approve,
        submission_save_draft,
        submission_submit,
        submission_verify,
    )
    from tests.reporting.test_evidence import PDF

    settings.MEDIA_ROOT = tmp_path / "media"
    GreenFactoryFactory(enterprise=draft.enterprise, tier="city", recognized_year=2021)
    draft = submission_save_draft(
        actor=enterprise_user, enterprise=draft.enterprise, year=2025, values={}, compliance=COMPLIANT
    )
    evidence_add(
        actor=enterprise_user,
        submission=draft,
        field="electricity",
        upload=SimpleUploadedFile("电费发票.pdf", PDF),
    )
    evidence_add(
        actor=enterprise_user,
        submission=draft,
        field="compliance.permit",
        upload=SimpleUploadedFile("排污许可证.pdf", PDF),
    )
    submission = submission_submit(actor=enterprise_user, submission=draft)
    submission = submission_verify(
        actor=city_user, submission=submission_approve(actor=district_user, submission=submission)
    )
    job, _ = jobs.export_request(actor=city_user, kind="miit_dynamic", filters={"year": 2025})
    sheet = _open(job)
    headers = [cell.value for cell in sheet[3]]
    row = dict(zip(headers, _rows(sheet)[0], strict=True))
    from factories.indicators import get_catalogue

    label = next(f.label_zh for f in get_catalogue().raw_fields if f.name == "electricity")
    assert row["佐证材料"] == f"{label}：电费发票.pdf；排污许可证（或排污登记回执）：排污许可证.pdf"
