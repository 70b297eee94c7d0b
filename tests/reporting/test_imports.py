"""Imports: hostile files refused with a clear message and nothing written; dry run writes nothing;
a clean import writes everything, all or nothing."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import load_workbook

from accounts.models import AuditEntry
from factories.indicators import GBT36132_2018
from reporting import imports, services
from reporting.models import AnnualSubmission, ImportJob

pytestmark = pytest.mark.django_db


def _template(enterprises, year=2025):  # type: ignore[no-untyped-def]
    return imports.build_template(
        year=year,
        enterprises=[(e.credit_code, e.name) for e in enterprises],
        catalogue_version="GBT36132-2018",
    )


def _filled(enterprises, values_by_index, year=2025):  # type: ignore[no-untyped-def]
    workbook = load_workbook(io.BytesIO(_template(enterprises, year)))
    sheet = workbook[imports.DATA_SHEET]
    header = [c.value for c in sheet[imports.HEADER_ROW]]
    for offset, values in values_by_index.items():
        for key, value in values.items():
            title = dict(imports.headers(GBT36132_2018))[key]
            sheet.cell(row=imports.FIRST_DATA_ROW + offset, column=header.index(title) + 1, value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_a_district_template_is_prefilled_with_its_own_enterprises_and_validations(
    district_user, enterprise, other_enterprise, jiangjin_enterprise
):
    from reporting.views.files import template_enterprises

    data = imports.build_template(
        year=2025, enterprises=template_enterprises(district_user), catalogue_version="GBT36132-2018"
    )
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook[imports.DATA_SHEET]
    codes = {row[0] for row in sheet.iter_rows(min_row=3, values_only=True)}
    assert codes == {enterprise.credit_code, other_enterprise.credit_code}
    header = [c.value for c in sheet[2]]
    from factories.indicators import GBT36132_2018

    assert header[2:-1] == [f"{f.label_zh}（{f.unit}）" for f in GBT36132_2018.raw_fields]
    kinds = {dv.type for dv in sheet.data_validations.dataValidation}
    assert kinds == {"decimal", "list"}
    assert imports.HELP_SHEET in workbook.sheetnames


def test_a_clean_import_writes_everything(
    open_year, district_user, enterprise, other_enterprise, good_values
):
    data = _filled([enterprise, other_enterprise], {0: good_values, 1: {**good_values, "cod": "99"}})
    job = services.import_upload(actor=district_user, year=2025, name="数据.xlsx", data=data)
    assert job.status == "validated" and job.errors == [] and job.row_count == 2
    assert not AnnualSubmission.objects.exists()
    services.import_commit(actor=district_user, job=job)
    job.refresh_from_db()
    assert job.status == "committed"
    rows = {s.enterprise_id: s for s in AnnualSubmission.objects.all()}
    assert rows[other_enterprise.pk].raw_values["cod"] == "99" and rows[enterprise.pk].status == "draft"
    assert AuditEntry.objects.filter(action="submission.import").count() == 2


def test_a_dry_run_with_errors_lists_them_by_sheet_row_and_column_and_writes_nothing(
    open_year, district_user, enterprise, other_enterprise, jiangjin_enterprise, good_values
):
    data = _filled(
        [enterprise, other_enterprise, jiangjin_enterprise],
        {0: {**good_values, "cod": "abc"}, 1: {**good_values, "footprint_area": "999999"}, 2: good_values},
    )
    job = services.import_upload(actor=district_user, year=2025, name="数据.xlsx", data=data)
    assert job.status == "invalid"
    by_row = {(e["row"], e["column"]): e["message"] for e in job.errors}
    assert any(row == 3 and "无法识别" in msg for (row, _col), msg in by_row.items())
    assert any(row == 4 and "不能大于用地面积" in msg for (row, _col), msg in by_row.items())
    assert any(row == 5 and "管辖范围" in msg for (row, _col), msg in by_row.items())
    assert all(e["sheet"] == "年度数据" and e["column"] for e in job.errors)
    assert not AnnualSubmission.objects.exists()
    with pytest.raises(services.StateConflict):
        services.import_commit(actor=district_user, job=job)
    assert not AnnualSubmission.objects.exists()


def test_commit_is_all_or_nothing_when_the_data_changed_since_the_dry_run(
    open_year, district_user, enterprise, other_enterprise, enterprise_user, good_values
):
    data = _filled([enterprise, other_enterprise], {0: good_values, 1: good_values})
    job = services.import_upload(actor=district_user, year=2025, name="数据.xlsx", data=data)
    draft = services.submission_save_draft(
        actor=enterprise_user, enterprise=enterprise, year=2025, values=good_values
    )
    services.submission_submit(actor=enterprise_user, submission=draft)
    services.import_commit(actor=district_user, job=job)
    job.refresh_from_db()
    assert job.status == "invalid" and "等待区县审核" in job.errors[0]["message"]
    assert not AnnualSubmission.objects.filter(enterprise=other_enterprise).exists()


def _xlsx_with(extra: dict[str, bytes], base: bytes | None = None) -> bytes:
    source = zipfile.ZipFile(
        io.BytesIO(
            base or imports.build_template(year=2025, enterprises=[], catalogue_version="GBT36132-2018")
        )
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            if item.filename not in extra:
                target.writestr(item, source.read(item.filename))
        for name, payload in extra.items():
            target.writestr(name, payload)
    return out.getvalue()


XXE = (
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    b'<row r="1"><c r="A1" t="inlineStr"><is><t>&e;</t></is></c></row></sheetData></worksheet>'
)


@pytest.mark.parametrize(
    ("name", "make", "fragment"),
    [
        ("data.csv", lambda: b"a,b\n1,2\n", "只接受 .xlsx"),
        ("old.xls", lambda: b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "只接受 .xlsx"),
        ("macro.xlsm", lambda: _xlsx_with({}), "含宏"),
        ("fake.xlsx", lambda: b"this is not a zip file at all", "不是有效的 Excel"),
        ("vba.xlsx", lambda: _xlsx_with({"xl/vbaProject.bin": b"\x00" * 100}), "宏代码"),
        ("bomb.xlsx", lambda: _xlsx_with({"xl/media/big.xml": b"\x00" * (300 * 1024 * 1024)}), "压缩炸弹"),
        ("ratio.xlsx", lambda: _xlsx_with({"xl/media/pad.bin": b"A" * (5 * 1024 * 1024)}), "压缩比异常"),
        ("xxe.xlsx", lambda: _xlsx_with({"xl/worksheets/sheet1.xml": XXE}), "DOCTYPE"),
        ("huge.xlsx", lambda: b"PK" + b"\x00" * (imports.MAX_UPLOAD_BYTES + 1), "文件过大"),
    ],
)
def test_hostile_uploads_are_refused_with_a_clear_message_and_nothing_is_written(
    open_year, district_user, name, make, fragment
):
    job = services.import_upload(actor=district_user, year=2025, name=name, data=make())
    assert job.status == "refused"
    assert fragment in job.errors[0]["message"]
    assert not AnnualSubmission.objects.exists()
    assert not job.file


def test_imports_over_the_api(api, open_year, district_user, enterprise, good_values):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = _filled([enterprise], {0: good_values})
    api.as_user(district_user)
    created = api.post(
        "/api/v1/imports/", {"year": 2025, "file": SimpleUploadedFile("d.xlsx", data)}, format="multipart"
    )
    assert created.status_code == 201 and created.json()["status"] == "validated"
    committed = api.post(f"/api/v1/imports/{created.json()['id']}/commit/")
    assert committed.status_code == 200 and committed.json()["status"] == "committed"
    assert AnnualSubmission.objects.count() == 1


def test_enterprise_users_and_auditors_cannot_import(api, enterprise_user, auditor, open_year):
    from django.core.files.uploadedfile import SimpleUploadedFile

    for user in (enterprise_user, auditor):
        response = api.as_user(user).post(
            "/api/v1/imports/", {"year": 2025, "file": SimpleUploadedFile("d.xlsx", b"x")}
        )
        assert response.status_code == 403
    assert not ImportJob.objects.exists()


def test_import_history_is_scoped(
    api, open_year, district_user, other_district_user, city_user, enterprise, good_values
):
    job = services.import_upload(
        actor=district_user, year=2025, name="d.xlsx", data=_filled([enterprise], {0: good_values})
    )
    assert api.as_user(other_district_user).get(f"/api/v1/imports/{job.pk}/").status_code == 404
    assert api.as_user(city_user).get(f"/api/v1/imports/{job.pk}/").status_code == 200
