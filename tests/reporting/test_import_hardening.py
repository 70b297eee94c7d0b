"""Issue 13, findings 3, 8 and 9: imports validate in the background with a row limit and progress, list
endpoints carry error summaries (errors paginated on their own), hostile workbooks are refused in words a
clerk understands, and the template is formula-safe."""

from __future__ import annotations

import io
import re
import struct
import zipfile

import pytest
from openpyxl import load_workbook

from reporting import imports, services
from reporting.models import AnnualSubmission, ImportJob
from tests.reporting.test_imports import _filled, _template, _xlsx_with

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u4e00-\u9fff]")
PYTHON_NAMES = re.compile(
    r"[A-Z][A-Za-z]*(Error|Exception|Forbidden|File|Warning)\b|Traceback|KeyError|zipfile|lxml|expat"
)
MAIN_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def _part(base: bytes, name: str) -> bytes:
    return zipfile.ZipFile(io.BytesIO(base)).read(name)


def _doctype_after_padding() -> bytes:
    sheet = (
        b'<?xml version="1.0"?>' + b" " * 5000 + b'<!DOCTYPE x [<!ENTITY e "boom">]>'
        b"<worksheet " + MAIN_NS.encode() + b"><sheetData/></worksheet>"
    )
    return _xlsx_with({"xl/worksheets/sheet1.xml": sheet})


def _doctype_utf16() -> bytes:
    text = (
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY e "boom">]>'
        f"<worksheet {MAIN_NS}><sheetData/></worksheet>"
    )
    return _xlsx_with({"xl/worksheets/sheet1.xml": text.encode("utf-16")})


def _doctype_utf16_no_bom() -> bytes:
    text = f'<!DOCTYPE x [<!ENTITY e "boom">]><worksheet {MAIN_NS}><sheetData/></worksheet>'
    return _xlsx_with({"xl/worksheets/sheet1.xml": text.encode("utf-16-be")})


def _doctype_in_custom_part() -> bytes:
    return _xlsx_with({"customXml/item1.dat": b'<!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>'})


def _entity_in_workbook_xml() -> bytes:
    base = _template([])
    workbook = _part(base, "xl/workbook.xml")
    assert not workbook.startswith(b"<?xml")
    return _xlsx_with(
        {"xl/workbook.xml": b"\n" * 4100 + b'<!DOCTYPE w [<!ENTITY big "x">]>' + workbook}, base
    )


def _vba_by_content_type() -> bytes:
    base = _template([])
    types = _part(base, "[Content_Types].xml").replace(
        b"</Types>",
        b'<Override PartName="/xl/data/blob.dat" ContentType="application/vnd.ms-office.vbaProject"/></Types>',
    )
    return _xlsx_with({"[Content_Types].xml": types, "xl/data/blob.dat": b"\x00\x01" * 50}, base)


def _vba_by_rels() -> bytes:
    base = _template([])
    rels = _part(base, "xl/_rels/workbook.xml.rels").replace(
        b"</Relationships>",
        b'<Relationship Id="rIdX" Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject"'
        b' Target="media/image9.png"/></Relationships>',
    )
    return _xlsx_with({"xl/_rels/workbook.xml.rels": rels, "xl/media/image9.png": b"\x00\x01" * 50}, base)


def _macro_enabled_main_part() -> bytes:
    base = _template([])
    types = _part(base, "[Content_Types].xml").replace(
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    )
    return _xlsx_with({"[Content_Types].xml": types}, base)


def _encrypted_office_file() -> bytes:
    # An xlsx with an opening password is an OLE compound file (EncryptedPackage), not a zip.
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4000


def _encrypted_zip_member() -> bytes:
    data = bytearray(_template([]))
    start = 0
    while (found := data.find(b"PK\x01\x02", start)) != -1:
        flags = struct.unpack_from("<H", data, found + 8)[0]
        struct.pack_into("<H", data, found + 8, flags | 0x1)
        start = found + 4
    return bytes(data)


def _broken_workbook_xml() -> bytes:
    return _xlsx_with({"xl/workbook.xml": b"<workbook><sheets><sheet name="})


def _missing_sheet_part() -> bytes:
    base = _template([])
    source = zipfile.ZipFile(io.BytesIO(base))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                target.writestr(item, source.read(item.filename))
    return out.getvalue()


HOSTILE = [
    ("doctype-after-4kb", _doctype_after_padding, "实体声明"),
    ("doctype-utf16", _doctype_utf16, "实体声明"),
    ("doctype-utf16-no-bom", _doctype_utf16_no_bom, ""),
    ("doctype-custom-part", _doctype_in_custom_part, "实体声明"),
    ("entity-in-workbook-xml", _entity_in_workbook_xml, "实体声明"),
    ("vba-by-content-type", _vba_by_content_type, "包含宏"),
    ("vba-by-rels", _vba_by_rels, "包含宏"),
    ("macro-enabled-content-type", _macro_enabled_main_part, "包含宏"),
    ("encrypted-office-file", _encrypted_office_file, "加密"),
    ("encrypted-zip-member", _encrypted_zip_member, "加密"),
    ("not-a-zip", lambda: b"PK\x03\x04 this is not really a zip", "不是有效的 Excel 工作簿"),
    ("broken-workbook-xml", _broken_workbook_xml, "不是有效的 Excel 工作簿"),
    ("missing-sheet-part", _missing_sheet_part, ""),
]


@pytest.mark.parametrize(("label", "make", "fragment"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_workbooks_are_refused_in_words_a_clerk_understands(
    open_year, district_user, label, make, fragment
):
    job = services.import_upload(actor=district_user, year=2025, name="数据.xlsx", data=make())
    job.refresh_from_db()
    assert job.status == "refused", (label, job.status, job.errors)
    message = job.errors[0]["message"]
    assert fragment in message, message
    assert CJK.search(message) and not PYTHON_NAMES.search(message), message
    assert not message.rstrip().endswith("："), message
    assert not AnnualSubmission.objects.exists()
    assert not job.file


def test_openpyxl_parses_workbook_parts_without_expanding_entities():
    """Behind the pre-check, openpyxl itself refuses a DTD in the parts it parses whole (workbook, styles):
    once the platform has read a workbook, openpyxl's reading parses with defusedxml, DTDs forbidden."""
    from openpyxl.reader import excel

    from factories.indicators import GBT36132_2018

    imports.read_rows(_template([]), GBT36132_2018)
    with pytest.raises(Exception):  # noqa: B017 - any refusal, as long as no entity is declared and used
        excel.fromstring(b'<!DOCTYPE w [<!ENTITY big "expanded">]><workbook>&big;</workbook>')
    with pytest.raises(imports.UploadRefused) as refused:
        imports.read_rows(_entity_in_workbook_xml(), GBT36132_2018)  # without the pre-check in front
    assert CJK.search(refused.value.message) and not PYTHON_NAMES.search(refused.value.message)


def test_a_clean_template_still_passes_every_check(open_year, district_user, enterprise, good_values):
    job = services.import_upload(
        actor=district_user, year=2025, name="数据.xlsx", data=_filled([enterprise], {0: good_values})
    )
    job.refresh_from_db()
    assert job.status == "validated", job.errors


# --- finding 3: background validation, row limit, summaries ------------------------------------------


def test_the_upload_answers_before_validation_and_the_job_reports_progress(
    api, settings, open_year, district_user, enterprise, good_values, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.IMPORT_INLINE_MAX_BYTES = 0  # every upload goes to the worker
    data = _filled([enterprise], {0: good_values})
    api.as_user(district_user)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        created = api.post(
            "/api/v1/imports/",
            {"year": 2025, "file": SimpleUploadedFile("数据.xlsx", data)},
            format="multipart",
        )
    assert created.status_code == 202, created.content
    body = created.json()
    assert body["status"] == "queued" and body["errors"] == [] and body["progress"] == 0
    job = ImportJob.objects.get(pk=body["id"])
    stored = job.file.name.rsplit("/", 1)[-1]
    assert "数据" not in stored and re.fullmatch(r"[A-Za-z0-9_-]{32}\.xlsx", stored), stored
    assert len(callbacks) == 1
    callbacks[0]()  # the worker's turn (tasks run eagerly in tests)
    after = api.get(f"/api/v1/imports/{job.pk}/").json()
    assert after["status"] == "validated" and after["progress"] == 100
    assert after["rows_read"] == 1 and after["rows_estimated"] >= 1


def test_the_row_limit_stops_validation_with_a_clear_message(
    settings, open_year, district_user, enterprise, other_enterprise, good_values
):
    settings.IMPORT_MAX_ROWS = 1
    data = _filled([enterprise, other_enterprise], {0: good_values, 1: good_values})
    job = services.import_upload(actor=district_user, year=2025, name="数据.xlsx", data=data)
    job.refresh_from_db()
    assert job.status == "refused"
    assert job.errors[0]["message"] == "文件超过 1 行的上限，请拆分后分批导入。"
    assert not AnnualSubmission.objects.exists()


def _many_errors(n: int) -> list[dict[str, object]]:
    return [
        {"sheet": "年度数据", "row": 3 + i, "column": "C", "message": "无法识别的数字“abc”。" * 3}
        for i in range(n)
    ]


def test_the_list_carries_error_summaries_and_errors_are_paginated(
    api, settings, open_year, district_user, city_user, auditor
):
    for _i in range(3):
        ImportJob.objects.create(
            uploaded_by=district_user,
            district_id=district_user.district_id,
            year=2025,
            file_name="大文件.xlsx",
            status="invalid",
            errors=_many_errors(2000),
            error_count=2000,
        )
    for user in (city_user, auditor, district_user):
        listing = api.as_user(user).get("/api/v1/imports/")
        assert listing.status_code == 200
        assert len(listing.content) < 20_000, len(listing.content)
        rows = listing.json()["results"] if isinstance(listing.json(), dict) else listing.json()
        assert rows and all(r["error_count"] == 2000 and len(r["errors"]) <= 5 for r in rows)
    job = ImportJob.objects.first()
    detail = api.as_user(city_user).get(f"/api/v1/imports/{job.pk}/")
    assert len(detail.content) < 20_000 and detail.json()["errors_url"].endswith(f"/imports/{job.pk}/errors/")
    page = api.get(f"/api/v1/imports/{job.pk}/errors/").json()
    assert page["count"] == 2000 and len(page["results"]) < 2000 and page["next"]
    assert page["results"][0]["row"] == 3
    second = api.get(page["next"]).json()
    assert second["results"][0]["row"] == 3 + len(page["results"])


def test_stored_errors_are_capped_with_a_note(settings, open_year, district_user, enterprise, client):
    settings.IMPORT_MAX_ERRORS = 3
    values = {i: {"cod": "abc", "so2": "xyz"} for i in range(1)}
    data = _filled([enterprise], values)
    # ten rows of errors: copy the bad row under nine unknown credit codes
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook[imports.DATA_SHEET]
    for offset in range(1, 10):
        sheet.cell(row=imports.FIRST_DATA_ROW + offset, column=1, value=f"91500103MA{offset:08d}")
        sheet.cell(row=imports.FIRST_DATA_ROW + offset, column=3, value=1)
    buffer = io.BytesIO()
    workbook.save(buffer)
    job = services.import_upload(actor=district_user, year=2025, name="数据.xlsx", data=buffer.getvalue())
    job.refresh_from_db()
    assert job.status == "invalid"
    assert len(job.errors) == 3 and job.error_count > 3
    client.force_login(district_user)
    page = client.get(f"/reporting/imports/{job.pk}/").content.decode()
    assert f"还有 {job.error_count - 3} 条错误未列出" in page


def test_the_import_page_paginates_errors(client, open_year, district_user):
    job = ImportJob.objects.create(
        uploaded_by=district_user,
        district_id=district_user.district_id,
        year=2025,
        file_name="大文件.xlsx",
        status="invalid",
        errors=_many_errors(2000),
        error_count=2000,
    )
    client.force_login(district_user)
    first = client.get(f"/reporting/imports/{job.pk}/")
    assert first.status_code == 200 and len(first.content) < 200_000, len(first.content)
    text = first.content.decode()
    assert "第3行" in text or ">3<" in text
    last = client.get(f"/reporting/imports/{job.pk}/?page=last").content.decode()
    assert ">2002<" in last


# --- finding 9: the template is formula-safe --------------------------------------------------------


def test_the_template_writes_formula_like_names_as_text(district_user, yuzhong):
    from tests.model_factories import EnterpriseFactory

    hostile = '=HYPERLINK("http://evil.example/","点击")'
    EnterpriseFactory(name=hostile, district=yuzhong)
    EnterpriseFactory(name="+1+2", district=yuzhong)
    from reporting.views.files import template_enterprises

    data = imports.build_template(
        year=2025, enterprises=template_enterprises(district_user), catalogue_version="GBT36132-2018"
    )
    workbook = load_workbook(io.BytesIO(data))
    cells = [c for name in workbook.sheetnames for row in workbook[name].iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    names = {str(c.value) for c in cells if c.value}
    assert any(hostile in n for n in names)
