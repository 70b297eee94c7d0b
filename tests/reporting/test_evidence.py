"""Evidence (佐证材料) of annual data (issue 15): what a file must be, who may attach, see and remove it, and
the figures that need one before the data can be sent (a reviewer's request, the catalogue's marks)."""

from __future__ import annotations

import dataclasses
import io
import zipfile
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.errors import InvalidInput, NotAllowed, StateConflict
from accounts.models import AuditEntry
from reporting import services
from reporting.models import SubmissionEvidence

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PDF_WITH_SCRIPT = (
    b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>\nendobj\n"
    b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
)
PDF_WITH_SPELLED_SCRIPT = PDF_WITH_SCRIPT.replace(b"/JavaScript", b"/J#61vaScript").replace(
    b"/JS ", b"/J#53 "
)
EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


def _pdf_hiding_script_in_object_stream() -> bytes:
    hidden = zlib.compress(b"3 0 << /S /JavaScript /JS (app.alert(1)) >>")
    return (
        b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n2 0 obj\n<< /Type /ObjStm /N 1 /First 4 "
        b"/Filter /FlateDecode /Length "
        + str(len(hidden)).encode()
        + b" >>\nstream\n"
        + hidden
        + b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )


PDF_WITH_ATTACHED_XML = (  # an electronic invoice embeds its XML: that alone is no reason to refuse it
    b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Names << /EmbeddedFiles 2 0 R >> >>\nendobj\n"
    b"2 0 obj\n<< /Type /EmbeddedFile /Subtype /text#2Fxml >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
)


def _image(fmt: str) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(out, fmt)
    return out.getvalue()


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def _xlsx() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["用电量", 5000000])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


DOCX = _zip(
    {
        "[Content_Types].xml": b'<?xml version="1.0"?><Types/>',
        "word/document.xml": b'<?xml version="1.0"?><w:document/>',
    }
)
OFD = _zip({"OFD.xml": b'<?xml version="1.0"?><ofd:OFD/>', "Doc_0/Document.xml": b"<ofd:Document/>"})


def _xlsx_bomb() -> bytes:
    """A real workbook whose sheet inflates from a few KB to 50 MB (a zip bomb in an XLSX)."""
    with zipfile.ZipFile(io.BytesIO(_xlsx())) as source:
        members = {name: source.read(name) for name in source.namelist()}
    members["xl/worksheets/sheet1.xml"] = b"<x>" + b" " * 50_000_000 + b"</x>"
    return _zip(members)


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


def stored_files(settings) -> list[Path]:  # type: ignore[no-untyped-def]
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def add(actor, submission, name="电费发票.pdf", data=PDF, field="electricity", note=""):  # type: ignore[no-untyped-def]
    return services.evidence_add(
        actor=actor, submission=submission, field=field, upload=upload(name, data), note=note
    )


# --- what a file must be --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("电费发票.pdf", PDF),
        ("电子发票.pdf", PDF_WITH_ATTACHED_XML),
        ("电子发票.ofd", OFD),
        ("现场照片.jpg", _image("JPEG")),
        ("现场照片.jpeg", _image("JPEG")),
        ("排污许可证.png", _image("PNG")),
        ("能源购进消费与库存205-1表.xlsx", _xlsx()),
        ("绿证交易凭证.docx", DOCX),
    ],
)
def test_each_accepted_type_is_stored_with_its_digest(name, data, enterprise_user, draft, settings):
    import hashlib

    item = add(enterprise_user, draft, name=name, data=data)

    assert (item.filename, item.size, item.sha256) == (name, len(data), hashlib.sha256(data).hexdigest())
    assert item.file.read() == data
    assert Path(item.file.name).suffix == Path(name).suffix.lower()
    assert name not in item.file.name  # stored under a random name


def test_a_file_without_extension_is_recognised_by_its_content(enterprise_user, draft):
    item = add(enterprise_user, draft, name="扫描件", data=PDF)

    assert item.filename == "扫描件.pdf" and item.file.name.endswith(".pdf")


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("报告.pdf", EXECUTABLE, "文件内容与其类型不符"),
        ("setup.exe", EXECUTABLE, "只能是 PDF、OFD、JPG、PNG、XLSX、DOCX"),
        ("报告", EXECUTABLE, "只能是 PDF、OFD、JPG、PNG、XLSX、DOCX"),
        ("照片.png", _image("JPEG"), "文件内容与其类型不符"),
        ("表格.xlsx", DOCX, "文件内容与其类型不符"),
        ("压缩包.docx", _zip({"a.txt": b"hello"}), "文件内容与其类型不符"),
        ("报表.xlsx", _xlsx_bomb(), "文件内容与其类型不符"),
        ("说明.pdf", PDF_WITH_SCRIPT, "含有脚本"),
        ("说明.pdf", PDF_WITH_SPELLED_SCRIPT, "含有脚本"),
        ("说明.pdf", _pdf_hiding_script_in_object_stream(), "含有脚本"),
        ("截断.pdf", PDF[:-7], "文件内容与其类型不符"),
        ("空文件.pdf", b"", "请选择要上传的佐证材料文件"),
    ],
)
def test_a_refused_file_gets_a_clear_message_and_nothing_is_stored(
    name, data, words, enterprise_user, draft, settings
):
    with pytest.raises(InvalidInput) as refused:
        add(enterprise_user, draft, name=name, data=data)

    assert words in str(refused.value.field_errors["file"][0])
    assert not SubmissionEvidence.objects.exists()
    assert stored_files(settings) == []
    assert not AuditEntry.objects.filter(action="evidence.add").exists()


def test_an_oversized_file_is_refused_with_the_limit_in_words(enterprise_user, draft, settings):
    settings.EVIDENCE_MAX_BYTES = 1024 * 1024
    big = PDF[:-7] + b" " * (1024 * 1024) + b"\n%%EOF\n"

    with pytest.raises(InvalidInput) as refused:
        add(enterprise_user, draft, data=big)

    assert "不能超过 1.0 MB（当前 1.0 MB）" in str(refused.value.field_errors["file"][0])
    assert not SubmissionEvidence.objects.exists() and stored_files(settings) == []


def test_the_count_limits_come_from_settings(enterprise_user, draft, settings):
    settings.EVIDENCE_MAX_FILES_PER_FIELD = 2
    settings.EVIDENCE_MAX_FILES = 3
    add(enterprise_user, draft)
    add(enterprise_user, draft)
    with pytest.raises(InvalidInput) as per_field:
        add(enterprise_user, draft)
    add(enterprise_user, draft, field="co2")
    with pytest.raises(InvalidInput) as per_submission:
        add(enterprise_user, draft, field="coal")

    assert "“电力消费量”已有 2 个佐证材料文件" in str(per_field.value.field_errors["file"][0])
    assert "已有 3 个佐证材料文件，已达上限" in str(per_submission.value.field_errors["file"][0])
    assert SubmissionEvidence.objects.count() == 3


def test_a_figure_the_catalogue_does_not_know_is_refused(enterprise_user, draft, settings):
    with pytest.raises(InvalidInput) as refused:
        add(enterprise_user, draft, field="password")

    assert "对应的数据项或指标" in str(refused.value.field_errors["field"][0])
    assert stored_files(settings) == []


def test_an_indicator_code_can_be_backed_too(enterprise_user, draft):
    assert add(enterprise_user, draft, field="EL-03").field == "EL-03"


def test_a_failure_after_the_file_was_written_leaves_no_file(enterprise_user, draft, settings, monkeypatch):
    def broken(**kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("audit down")

    monkeypatch.setattr(services.audit, "record", broken)
    with pytest.raises(RuntimeError):
        add(enterprise_user, draft)

    assert not SubmissionEvidence.objects.exists() and stored_files(settings) == []


# --- who may attach and remove ----------------------------------------------------------------------


def test_uploads_and_removals_are_in_the_audit_trail_and_the_file_goes(
    enterprise_user, draft, settings, django_capture_on_commit_callbacks
):
    item = add(enterprise_user, draft, note="2025年1-12月电费发票")
    assert len(stored_files(settings)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.evidence_remove(actor=enterprise_user, item=item)

    assert stored_files(settings) == []
    entries = AuditEntry.objects.filter(action__startswith="evidence.").order_by("id")
    actions = list(entries.values_list("action", "changes"))
    assert actions == [
        ("evidence.add", {"evidence": [None, "电力消费量: 电费发票.pdf"]}),
        ("evidence.remove", {"evidence": ["电力消费量: 电费发票.pdf", None]}),
    ]
    assert not SubmissionEvidence.objects.exists()


def test_another_enterprise_cannot_attach_to_the_data(other_enterprise_user, draft, settings):
    with pytest.raises(NotAllowed):
        add(other_enterprise_user, draft)
    assert stored_files(settings) == []


def test_reviewers_cannot_attach(city_user, auditor, draft):
    for user in (city_user, auditor):
        with pytest.raises(NotAllowed):
            add(user, draft)


def test_nothing_can_be_attached_or_removed_once_submitted(enterprise_user, draft, settings):
    item = add(enterprise_user, draft)
    services.submission_submit(actor=enterprise_user, submission=draft)

    with pytest.raises(StateConflict) as refused:
        add(enterprise_user, draft)
    with pytest.raises(StateConflict):
        services.evidence_remove(actor=enterprise_user, item=item)

    assert "正在等待区县审核" in str(refused.value.message)
    assert SubmissionEvidence.objects.count() == 1


# --- required evidence ------------------------------------------------------------------------------


def test_a_return_naming_fields_blocks_resubmission_until_each_has_a_file(
    enterprise_user, district_user, submitted
):
    returned = services.submission_return(
        actor=district_user,
        submission=submitted,
        reason="请上传电费发票和碳排放核算报告",
        evidence_requested=["electricity", "EL-02"],
    )
    assert returned.evidence_requested == ["electricity", "EL-02"]

    with pytest.raises(InvalidInput) as refused:
        services.submission_submit(actor=enterprise_user, submission=returned)
    assert refused.value.field_errors["evidence"] == [
        "以下项目需要佐证材料，请上传后再提交：电力消费量、EL-02 单位产值碳排放量。"
    ]

    add(enterprise_user, returned, field="electricity")
    with pytest.raises(InvalidInput) as still:
        services.submission_submit(actor=enterprise_user, submission=returned)
    assert "EL-02" in str(still.value.field_errors["evidence"][0])
    assert "电力消费量" not in str(still.value.field_errors["evidence"][0])

    add(enterprise_user, returned, field="co2", name="碳排放核算报告.pdf")  # a field of EL-02 backs it
    assert services.submission_submit(actor=enterprise_user, submission=returned).status == "submitted"


def test_a_return_naming_an_unknown_figure_is_refused(district_user, submitted):
    with pytest.raises(InvalidInput) as refused:
        services.submission_return(
            actor=district_user, submission=submitted, reason="补材料", evidence_requested=["nonsense"]
        )
    assert "没有这些数据项或指标：nonsense" in str(refused.value.field_errors["evidence_requested"][0])
    submitted.refresh_from_db()
    assert submitted.status == "submitted"


@pytest.fixture
def renewables_need_evidence(monkeypatch):  # type: ignore[no-untyped-def]
    """The 2018 catalogue with EL-03 and the coal figure marked evidence-required."""
    from factories import indicators

    base = indicators.GBT36132_2018
    marked = dataclasses.replace(
        base,
        indicators=tuple(
            dataclasses.replace(i, evidence_required=i.code == "EL-03") for i in base.indicators
        ),
        raw_fields=tuple(dataclasses.replace(f, evidence_required=f.name == "coal") for f in base.raw_fields),
    )
    monkeypatch.setitem(indicators.CATALOGUES, base.version, marked)


def test_indicators_marked_in_the_catalogue_need_a_file_before_submission(
    renewables_need_evidence, enterprise_user, draft
):
    with pytest.raises(InvalidInput) as refused:
        services.submission_submit(actor=enterprise_user, submission=draft)
    # coal is 0 (none): nothing to prove; EL-03 is computed, so it needs its file.
    assert refused.value.field_errors["evidence"] == [
        "以下项目需要佐证材料，请上传后再提交：EL-03 可再生能源电力占比。"
    ]

    add(enterprise_user, draft, field="renewable_electricity", name="绿电交易凭证.pdf")
    assert services.submission_submit(actor=enterprise_user, submission=draft).status == "submitted"


def test_an_indicator_that_is_not_applicable_needs_no_file(renewables_need_evidence, enterprise_user, draft):
    draft = services.submission_save_draft(
        actor=enterprise_user,
        enterprise=draft.enterprise,
        year=draft.year,
        values={"electricity": "0", "renewable_electricity": "0"},
    )
    assert services.submission_submit(actor=enterprise_user, submission=draft).status == "submitted"


def test_the_2018_catalogue_marks_no_figure_as_needing_evidence():
    from factories.indicators import GBT36132_2018

    assert not [i.code for i in GBT36132_2018.indicators if i.evidence_required]
    assert not [f.name for f in GBT36132_2018.raw_fields if f.evidence_required]


# --- the API ----------------------------------------------------------------------------------------


def _post(api, user, submission, **data):  # type: ignore[no-untyped-def]
    return api.as_user(user).post(f"/api/v1/submissions/{submission.pk}/evidence/", data, format="multipart")


def test_an_enterprise_attaches_and_lists_evidence_through_the_api(api, enterprise_user, draft):
    answer = _post(
        api, enterprise_user, draft, field="electricity", file=upload("电费发票.pdf", PDF), note="全年电费"
    )

    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert set(body) >= {
        "id",
        "field",
        "filename",
        "size",
        "sha256",
        "uploaded_by",
        "uploaded_at",
        "download_url",
    }
    assert (body["field"], body["filename"], body["size"], body["uploaded_by"]) == (
        "electricity",
        "电费发票.pdf",
        len(PDF),
        "dora",
    )
    assert "/media/" not in body["download_url"]
    listed = api.get(f"/api/v1/submissions/{draft.pk}/evidence/").json()
    assert [item["id"] for item in listed] == [body["id"]]
    on_submission = api.get(f"/api/v1/submissions/{draft.pk}/").json()
    assert [item["filename"] for item in on_submission["evidence"]] == ["电费发票.pdf"]
    assert api.get(body["download_url"]).getvalue() == PDF


def test_a_refused_file_answers_400_in_chinese_over_the_api(api, enterprise_user, draft, settings):
    answer = _post(api, enterprise_user, draft, field="electricity", file=upload("报告.pdf", EXECUTABLE))

    assert answer.status_code == 400
    assert "文件内容与其类型不符" in answer.json()["file"][0]
    assert stored_files(settings) == []


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("enterprise_user", 200),
        ("district_user", 200),
        ("city_user", 200),
        ("auditor", 200),
        ("other_enterprise_user", 404),
        ("other_district_user", 404),
    ],
)
def test_download_is_scoped_by_role(persona, status, request, api, enterprise_user, draft):
    item = add(enterprise_user, draft)
    user = request.getfixturevalue(persona)

    answer = api.as_user(user).get(f"/api/v1/submissions/{draft.pk}/evidence/{item.pk}/download/")
    page = api.get(f"/reporting/submissions/{draft.pk}/evidence/{item.pk}/")

    assert answer.status_code == status
    api.force_authenticate(user=None)
    from django.test import Client

    client = Client()
    client.force_login(user)
    assert client.get(f"/reporting/submissions/{draft.pk}/evidence/{item.pk}/").status_code == status
    del page
    if status == 200:
        assert answer["Cache-Control"] == "private, no-store"
        assert "filename*=UTF-8''%E7%94%B5" in answer["Content-Disposition"]


def test_an_evidence_id_of_another_submission_answers_404(
    api, enterprise_user, draft, other_enterprise_user, other_enterprise, good_values
):
    theirs = services.submission_save_draft(
        actor=other_enterprise_user, enterprise=other_enterprise, year=2025, values=good_values
    )
    item = add(other_enterprise_user, theirs)

    answer = api.as_user(enterprise_user).get(f"/api/v1/submissions/{draft.pk}/evidence/{item.pk}/download/")

    assert answer.status_code == 404


@pytest.mark.parametrize(
    ("persona", "status"),
    [("city_user", 403), ("auditor", 403), ("other_enterprise_user", 404), ("other_district_user", 404)],
)
def test_who_may_not_attach_over_the_api(persona, status, request, api, draft, settings):
    answer = _post(
        api, request.getfixturevalue(persona), draft, field="electricity", file=upload("a.pdf", PDF)
    )

    assert answer.status_code == status
    assert stored_files(settings) == []


def test_the_filer_removes_a_file_over_the_api(api, enterprise_user, draft, settings):
    item = add(enterprise_user, draft)

    answer = api.as_user(enterprise_user).post(f"/api/v1/submissions/{draft.pk}/evidence/{item.pk}/remove/")

    assert answer.status_code == 204
    assert not SubmissionEvidence.objects.exists()


def test_return_over_the_api_names_the_fields(api, district_user, submitted):
    answer = api.as_user(district_user).post(
        f"/api/v1/submissions/{submitted.pk}/return/",
        {"reason": "请补充佐证材料", "evidence_requested": ["electricity"]},
        format="json",
    )

    assert answer.status_code == 200
    assert answer.json()["evidence_requested"] == ["electricity"]


# --- the pages --------------------------------------------------------------------------------------


def _client(user):  # type: ignore[no-untyped-def]
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def test_the_form_offers_an_upload_under_each_figure_and_lists_its_files(enterprise_user, draft):
    add(enterprise_user, draft, name="电费发票.pdf")
    page = _client(enterprise_user).get(f"/reporting/submissions/{draft.enterprise_id}/2025/edit/")
    html = page.content.decode()

    assert page.status_code == 200
    assert html.count("上传佐证</button>") == 23 + 13  # every raw field and every indicator
    assert 'form="evidence-upload-electricity"' in html and 'id="evidence-upload-electricity"' in html
    assert f"/reporting/submissions/{draft.pk}/evidence/" in html
    assert "电费发票.pdf</a>" in html


def test_a_save_refused_on_the_form_page_still_lists_the_drafts_files(enterprise_user, draft, good_values):
    add(enterprise_user, draft, name="电费发票.pdf")
    answer = _client(enterprise_user).post(
        f"/reporting/submissions/{draft.enterprise_id}/2025/edit/",
        {**good_values, "electricity": "很多", "explanation": ""},
    )
    html = answer.content.decode()

    assert answer.status_code == 200 and "尚未保存" in html
    assert "电费发票.pdf</a>" in html and html.count("上传佐证</button>") == 23 + 13


def test_a_draft_saved_on_the_form_page_redirects_without_reading_its_files(
    enterprise_user, draft, good_values
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    add(enterprise_user, draft, name="电费发票.pdf")
    with CaptureQueriesContext(connection) as queries:
        answer = _client(enterprise_user).post(
            f"/reporting/submissions/{draft.enterprise_id}/2025/edit/",
            {**good_values, "electricity": "5000001", "explanation": ""},
        )

    assert answer.status_code == 302
    assert not [q for q in queries.captured_queries if "reporting_submissionevidence" in q["sql"]]


def test_a_file_uploaded_on_the_form_page_is_stored_and_the_page_comes_back(enterprise_user, draft):
    edit = f"/reporting/submissions/{draft.enterprise_id}/2025/edit/"
    answer = _client(enterprise_user).post(
        f"/reporting/submissions/{draft.pk}/evidence/",
        {"field": "co2", "file": upload("碳排放核算报告.pdf", PDF), "note": "第三方核查", "next": edit},
    )

    assert answer.status_code == 302 and answer["Location"] == edit + "#evidence-co2"
    assert SubmissionEvidence.objects.get().note == "第三方核查"


def test_a_refused_upload_on_the_page_says_why(enterprise_user, draft):
    client = _client(enterprise_user)
    answer = client.post(
        f"/reporting/submissions/{draft.pk}/evidence/",
        {"field": "co2", "file": upload("报告.pdf", EXECUTABLE)},
        follow=True,
    )

    assert "文件内容与其类型不符" in answer.content.decode()
    assert not SubmissionEvidence.objects.exists()


def test_an_upload_page_address_elsewhere_is_not_followed(enterprise_user, draft):
    answer = _client(enterprise_user).post(
        f"/reporting/submissions/{draft.pk}/evidence/",
        {"field": "co2", "file": upload("a.pdf", PDF), "next": "https://evil.example/"},
    )

    assert answer["Location"] == f"/reporting/submissions/{draft.pk}/#evidence-co2"


def test_the_reviewer_sees_value_last_year_and_evidence_per_figure(
    enterprise_user, district_user, draft, good_values, open_year
):
    from reporting.models import AnnualSubmission

    AnnualSubmission.objects.create(
        enterprise=draft.enterprise, year=2024, district=draft.enterprise.district, raw_values={"co2": "3900"}
    )
    add(enterprise_user, draft, field="co2", name="碳排放核算报告.pdf")
    add(enterprise_user, draft, field="EL-02", name="碳核查报告.pdf")
    html = _client(district_user).get(f"/reporting/submissions/{draft.pk}/").content.decode()

    row = html[html.index("<td>二氧化碳排放量") :]
    row = row[: row.index("</tr>")]
    assert "4200" in row and "3900" in row and "碳排放核算报告.pdf</a>" in row
    assert "EL-02 单位产值碳排放量" in html and "碳核查报告.pdf</a>" in html
    assert "上传佐证</button>" not in html  # the reviewer reads; the filer uploads on the form


def test_the_return_form_lets_the_reviewer_tick_figures(district_user, enterprise_user, submitted):
    client = _client(district_user)
    html = client.get(f"/reporting/submissions/{submitted.pk}/").content.decode()
    assert 'name="evidence_requested" value="electricity"' in html

    client.post(
        f"/reporting/submissions/{submitted.pk}/return/",
        {"reason": "请上传电费发票", "evidence_requested": ["electricity", "EL-03"]},
    )
    submitted.refresh_from_db()
    assert submitted.evidence_requested == ["electricity", "EL-03"]

    page = _client(enterprise_user).get(f"/reporting/submissions/{submitted.enterprise_id}/2025/edit/")
    html = page.content.decode()
    assert "需补充佐证材料：电力消费量、EL-03 可再生能源电力占比" in html
    assert html.count("审核要求补充佐证材料") == 2


# --- revision notes (修订备注) ------------------------------------------------------------------------


def test_a_reviewers_revision_note_stays_beside_the_figure_through_return_and_resubmission(
    district_user, enterprise_user, submitted, api
):
    services.field_note_add(
        actor=district_user, submission=submitted, field="electricity", note="电费发票金额与用电量不一致"
    )
    returned = services.submission_return(actor=district_user, submission=submitted, reason="请核对用电量")
    services.submission_submit(actor=enterprise_user, submission=returned)

    html = _client(district_user).get(f"/reporting/submissions/{submitted.pk}/").content.decode()
    row = html[html.index("<td>电力消费量") :]
    row = row[: row.index("</tr>")]
    assert "修订备注" in row and "电费发票金额与用电量不一致" in row and "bob" in row
    form = _client(enterprise_user).get(f"/reporting/submissions/{submitted.enterprise_id}/2025/edit/")
    assert "电费发票金额与用电量不一致" in form.content.decode()
    notes = api.as_user(enterprise_user).get(f"/api/v1/submissions/{submitted.pk}/").json()["field_notes"]
    assert notes[0]["field"] == "electricity" and notes[0]["status"] == "submitted"
    entry = AuditEntry.objects.get(action="submission.note")
    assert entry.changes == {"field_note": [None, "电力消费量: 电费发票金额与用电量不一致"]}


def test_a_revision_note_needs_words_and_a_known_figure(district_user, submitted):
    with pytest.raises(InvalidInput) as refused:
        services.field_note_add(actor=district_user, submission=submitted, field="x", note=" ")
    assert set(refused.value.field_errors) == {"field", "note"}


def test_enterprises_and_auditors_cannot_leave_revision_notes(enterprise_user, auditor, submitted):
    for user in (enterprise_user, auditor):
        with pytest.raises(NotAllowed):
            services.field_note_add(actor=user, submission=submitted, field="co2", note="?")


# --- evidence of a correction request -----------------------------------------------------------------


def test_a_correction_request_carries_its_evidence(enterprise_user, verified, district_user, settings):
    correction = services.correction_request(
        actor=enterprise_user,
        submission=verified,
        reason="统计口径错误",
        new_values={"cod": "1400"},
        evidence_files=[upload("环境统计报表.pdf", PDF), upload("监测报告.xlsx", _xlsx())],
    )

    assert [e.filename for e in correction.evidence.order_by("id")] == ["环境统计报表.pdf", "监测报告.xlsx"]
    assert {e.field for e in correction.evidence.all()} == {""}
    entry = AuditEntry.objects.get(action="correction.request")
    assert entry.changes["evidence"] == [None, "环境统计报表.pdf、监测报告.xlsx"]
    html = _client(district_user).get(f"/reporting/submissions/{verified.pk}/").content.decode()
    assert "环境统计报表.pdf</a>" in html


def test_a_correction_with_a_refused_file_is_not_filed_and_stores_nothing(
    enterprise_user, verified, settings
):
    from reporting.models import CorrectionRequest

    with pytest.raises(InvalidInput) as refused:
        services.correction_request(
            actor=enterprise_user,
            submission=verified,
            reason="统计口径错误",
            new_values={"cod": "1400"},
            evidence_files=[upload("环境统计报表.pdf", PDF), upload("监测报告.pdf", PDF_WITH_SCRIPT)],
        )

    assert "监测报告.pdf：该文件含有脚本" in str(refused.value.field_errors["evidence"][0])
    assert not CorrectionRequest.objects.exists() and not SubmissionEvidence.objects.exists()
    assert stored_files(settings) == []


def test_a_correction_with_evidence_through_the_form_and_the_api(api, enterprise_user, verified):
    page = _client(enterprise_user).post(
        f"/reporting/submissions/{verified.pk}/correction/",
        {"reason": "统计口径错误", "cod": "1400", "evidence": [upload("环境统计报表.pdf", PDF)]},
    )
    assert page.status_code == 302
    correction = verified.corrections.get()
    assert [e.filename for e in correction.evidence.all()] == ["环境统计报表.pdf"]

    body = api.as_user(enterprise_user).get(f"/api/v1/corrections/{correction.pk}/").json()
    assert body["evidence"][0]["filename"] == "环境统计报表.pdf"
    assert api.get(body["evidence"][0]["download_url"]).getvalue() == PDF


def test_a_correction_with_evidence_posted_as_multipart_to_the_api(api, enterprise_user, verified):
    answer = api.as_user(enterprise_user).post(
        "/api/v1/corrections/",
        {
            "submission": verified.pk,
            "reason": "统计口径错误",
            "new_values.cod": "1400",
            "evidence_files": [upload("环境统计报表.pdf", PDF)],
        },
        format="multipart",
    )

    assert answer.status_code == 201, answer.content
    assert answer.json()["new_values"] == {"cod": "1400"}
    assert [e["filename"] for e in answer.json()["evidence"]] == ["环境统计报表.pdf"]
