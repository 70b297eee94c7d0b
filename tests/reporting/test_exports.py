"""Exports: the file has the expected headers, rows and scope; formulas are neutralised; big exports are jobs."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from openpyxl.utils.escape import unescape

from accounts import exports
from reporting import jobs
from reporting.models import ExportJob
from tests.model_factories import EnterpriseFactory

pytestmark = pytest.mark.django_db


def _open(job: ExportJob):  # type: ignore[no-untyped-def]
    with job.file.open("rb") as handle:
        return load_workbook(io.BytesIO(handle.read()))


def test_an_enterprise_export_has_title_headers_rows_and_the_requesters_scope(
    district_user, enterprise, other_enterprise, jiangjin_enterprise
):
    job, queued = jobs.export_request(actor=district_user, kind="enterprises", filters={"district": "500103"})
    assert queued and job.status == "succeeded"
    sheet = _open(job).active
    assert (
        "企业名录" in sheet["A1"].value
        and "管理单位：渝中区" in sheet["A1"].value
        and "导出时间" in sheet["A1"].value
    )
    assert [c.value for c in sheet[2]][:3] == ["企业名称", "统一社会信用代码", "管理单位"]
    names = {row[0] for row in sheet.iter_rows(min_row=3, values_only=True)}
    assert names == {enterprise.name, other_enterprise.name}
    assert sheet.freeze_panes == "A3"
    assert sheet.auto_filter.ref == "A2:L4"


def test_a_district_user_never_exports_another_districts_rows(district_user, enterprise, jiangjin_enterprise):
    job, _ = jobs.export_request(actor=district_user, kind="enterprises", filters={"district": "500116"})
    assert list(_open(job).active.iter_rows(min_row=3, values_only=True)) == []


@pytest.mark.parametrize("payload", ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_text_that_would_run_as_a_formula_is_neutralised(city_user, yuzhong, payload):
    EnterpriseFactory(name=payload, district=yuzhong)
    job, _ = jobs.export_request(actor=city_user, kind="enterprises")
    cell = _open(job).active["A3"]
    assert cell.data_type == "s"
    # A control character (the carriage return) is stored as the file format's escape, _x000D_, which Excel
    # and WPS decode; openpyxl leaves it as stored in an inline string, so the test decodes it as they do.
    assert unescape(cell.value) == "'" + payload


@pytest.mark.parametrize("payload", ["<r><t>x</t></r>", '<r></t></is></c><c r="B3"><f>1+1</f></c></r>'])
def test_text_that_looks_like_the_files_own_markup_is_kept_as_typed(city_user, yuzhong, payload):
    EnterpriseFactory(name=payload, district=yuzhong)
    job, _ = jobs.export_request(actor=city_user, kind="enterprises")
    sheet = _open(job).active
    assert sheet["A3"].data_type == "s"
    assert sheet["A3"].value == payload
    assert sheet["B3"].data_type == "s"  # the credit code, not a cell the name made


def test_numbers_stay_numbers_with_formats(city_user, verified):
    job, _ = jobs.export_request(actor=city_user, kind="submissions", filters={"year": 2025})
    sheet = _open(job).active
    header = [c.value for c in sheet[2]]
    site = header.index("用地面积（m²）")
    cell = sheet.cell(row=3, column=site + 1)
    assert cell.value == 20000 and cell.data_type == "n"
    assert "LI-01 容积率" in header
    assert sheet.cell(row=3, column=header.index("LI-01 容积率") + 1).value == pytest.approx(1.2)


def test_large_exports_run_as_a_job_with_progress(
    city_user, yuzhong, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(exports, "SYNC_LIMIT", 2)
    EnterpriseFactory.create_batch(5, district=yuzhong)
    with django_capture_on_commit_callbacks(execute=True):
        job, queued = jobs.export_request(actor=city_user, kind="enterprises")
    job.refresh_from_db()
    assert queued and job.status == "succeeded" and job.total == 5 and job.progress == 100
    assert len(list(_open(job).active.iter_rows(min_row=3))) == 5


def test_only_the_requester_can_download(api, city_user, auditor, enterprise):
    job, _ = jobs.export_request(actor=city_user, kind="enterprises")
    assert api.as_user(city_user).get(f"/api/v1/exports/{job.pk}/download/").status_code == 200
    assert api.as_user(auditor).get(f"/api/v1/exports/{job.pk}/download/").status_code == 404
    assert api.as_user(auditor).get(f"/api/v1/exports/{job.pk}/").status_code == 404


def test_exports_over_the_api(api, district_user, enterprise):
    created = api.as_user(district_user).post(
        "/api/v1/exports/", {"kind": "enterprises", "filters": {"district": "500103"}}, format="json"
    )
    assert created.status_code == 201
    body = created.json()
    assert body["status"] == "succeeded" and body["download_url"].endswith(f"/exports/{body['id']}/download/")
    bad = api.post("/api/v1/exports/", {"kind": "everything"}, format="json")
    assert bad.status_code == 400 and "kind" in bad.json()
    bad_filter = api.post(
        "/api/v1/exports/", {"kind": "enterprises", "filters": {"colour": "red"}}, format="json"
    )
    assert bad_filter.status_code == 400 and "colour" in bad_filter.json()


def test_when_the_broker_is_down_the_export_waits_and_is_sent_once_it_is_back(
    city_user, yuzhong, monkeypatch, django_capture_on_commit_callbacks
):
    from kombu.exceptions import OperationalError

    from accounts import jobs as runner
    from reporting import tasks

    monkeypatch.setattr(exports, "SYNC_LIMIT", 1)
    EnterpriseFactory.create_batch(3, district=yuzhong)

    def down(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.run_export, "apply_async", down)
    with django_capture_on_commit_callbacks(execute=True):
        job, _queued = jobs.export_request(actor=city_user, kind="enterprises")
    assert runner.send_failed(job)
    waiting = ExportJob.objects.get(pk=job.pk)
    assert waiting.status == "queued" and waiting.enqueued_at is None
    monkeypatch.undo()
    assert jobs.requeue_waiting_exports() == 1
    assert ExportJob.objects.get(pk=job.pk).status == "succeeded"


def test_grade_and_recommendation_exports_follow_publication(city_user):
    for kind in ("grades", "recommendations", "green_factories"):
        job, _ = jobs.export_request(actor=city_user, kind=kind)
        assert job.status == "succeeded" and job.total == 0


def test_a_download_is_named_in_chinese_with_the_year_and_the_beijing_date(client, city_user, enterprise):
    job, _ = jobs.export_request(actor=city_user, kind="grades", filters={"year": 2025})
    today = timezone.localdate()
    assert job.download_name == f"2025年度绿色工厂分级评价结果-{today:%Y%m%d}.xlsx"
    client.force_login(city_user)
    disposition = client.get(f"/reporting/exports/{job.pk}/download/")["Content-Disposition"]
    assert disposition == (
        f"attachment; filename=\"download.xlsx\"; filename*=UTF-8''{quote(job.download_name, safe='')}"
    )
    unfiltered, _ = jobs.export_request(actor=city_user, kind="enterprises")
    assert unfiltered.download_name == f"企业名录-{today:%Y%m%d}.xlsx"


def test_the_date_in_the_name_is_the_day_in_beijing():
    late_evening_utc = dt.datetime(2026, 12, 1, 17, 30, tzinfo=dt.UTC)  # 01:30 on 2 December in Beijing
    name = exports.filename(exports.REGISTRY["pool"], "pool", late_evening_utc, filters={"year": "2025"})
    assert name == "2025年度梯度培育库（各区县）-20261202.xlsx"


def test_every_export_declares_filters_the_request_knows():
    for kind, exporter in exports.REGISTRY.items():
        assert exporter.filters, kind
        assert set(exporter.filters) <= set(jobs.FILTER_KEYS), kind


def test_a_filter_that_does_not_apply_to_the_report_is_refused_over_the_api(api, city_user):
    response = api.as_user(city_user).post(
        "/api/v1/exports/",
        {"kind": "district_reports", "filters": {"year": 2025, "grade": "AA"}},
        format="json",
    )
    assert response.status_code == 400
    (message,) = response.json()["grade"]
    assert "不能按“等级”筛选" in message and "年度、管理单位" in message
    assert "district_reports" not in str(response.json())
    assert not ExportJob.objects.exists()


def test_the_export_form_refuses_a_filter_of_another_report_and_stores_nothing(client, city_user):
    client.force_login(city_user)
    response = client.post("/reporting/exports/", {"kind": "pool", "grade": "AA"}, follow=True)
    assert "不能按“等级”筛选" in response.content.decode()
    assert not ExportJob.objects.exists()


def test_the_export_form_names_on_each_report_the_filters_it_takes(client, city_user):
    client.force_login(city_user)
    page = client.get("/reporting/exports/").content.decode()
    assert 'value="district_reports" data-filters="year district"' in page
    assert 'value="grades" data-filters="year district industry grade tier' in page
    for key in ("year", "district", "industry", "grade", "tier"):
        assert f'data-filter="{key}"' in page


def _sheet_xml(worksheet_class) -> bytes:  # type: ignore[no-untyped-def]
    import zipfile

    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"constant_memory": True, "in_memory": False})
    sheet = workbook.add_worksheet("s", worksheet_class=worksheet_class)
    sheet.set_column(0, 9, 14)
    number = workbook.add_format({"num_format": "0.00"})
    day = workbook.add_format({"num_format": "yyyy-mm-dd"})
    texts = [
        "渝中区",
        "a&b<c>",
        " lead",
        "trail ",
        "x\ry",
        "_x000D_",
        'say "hi"',
        "two\nlines",
        "'=1+1",
        "\ufffe",
    ]
    for row, text in enumerate(texts):
        sheet._write_string(row, 0, text)
        sheet._write_string(row, 1, text, number)
        sheet._write_number(row, 2, row * 1.5, number)
        sheet._write_number(row, 3, 10**row)
        sheet._write_number(row, 4, Decimal("12345.678900") + row)
        sheet._write_datetime(row, 5, dt.date(2025, 1, row + 1), day)
        sheet._write_datetime(row, 6, dt.datetime(2025, 1, 1, row, 30), None)
        sheet._write_boolean(row, 7, row % 2 == 0)
        sheet.write_rich_string(row, 8, "<", workbook.add_format(), "r>x</r>")
    workbook.close()
    with zipfile.ZipFile(buffer) as archive:
        return archive.read("xl/worksheets/sheet1.xml")


def test_the_quick_sheet_writes_the_same_xml_as_xlsxwriters_own():
    from xlsxwriter.worksheet import Worksheet

    assert _sheet_xml(exports.ExportSheet) == _sheet_xml(Worksheet)
