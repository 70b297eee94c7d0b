"""Evidence (佐证材料) in exports (issue 15): the submissions export lists each file as 「figure：file name」,
and a unit's evidence of a year comes as a zip built in the background, with a folder per enterprise and
a manifest (清单.xlsx); a district gets only its own unit."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest
from openpyxl import load_workbook

from accounts import exports
from reporting import jobs, services
from reporting.evidence_zip import KIND, safe_name
from reporting.models import ExportJob
from tests.reporting.test_evidence import PDF, _image, upload

pytestmark = pytest.mark.django_db

PNG = _image("PNG")


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


def add(actor, submission, name="电费发票.pdf", data=PDF, field="electricity"):  # type: ignore[no-untyped-def]
    return services.evidence_add(
        actor=actor, submission=submission, field=field, upload=upload(name, data), note=""
    )


def sheet_rows(data: bytes) -> list[tuple]:
    return list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))


def export_bytes(kind: str, user, filters) -> bytes:  # type: ignore[no-untyped-def]
    target = io.BytesIO()
    exports.REGISTRY[kind].write(user, filters, target)
    return target.getvalue()


# --- the submissions export ------------------------------------------------------------------------------


def test_the_submissions_export_lists_each_file_with_its_figure(enterprise_user, draft, city_user):
    add(enterprise_user, draft)
    add(enterprise_user, draft, name="现场照片.png", data=PNG, field="output_value")

    rows = sheet_rows(export_bytes("submissions", city_user, {"year": 2025}))

    header = list(rows[1])
    cell = rows[2][header.index("佐证材料")]
    assert cell == "电力消费量：电费发票.pdf；工业总产值（当年价）：现场照片.png", cell


def test_a_submission_without_files_reads_not_uploaded(draft, city_user):
    rows = sheet_rows(export_bytes("submissions", city_user, {"year": 2025}))

    assert rows[2][list(rows[1]).index("佐证材料")] == "未上传"


# --- the zip of a unit's evidence ----------------------------------------------------------------------


def _request(api, user, filters):  # type: ignore[no-untyped-def]
    return api.as_user(user).post("/api/v1/exports/", {"kind": KIND, "filters": filters}, format="json")


def _zip(job: ExportJob) -> zipfile.ZipFile:
    with job.file.open("rb") as handle:
        return zipfile.ZipFile(io.BytesIO(handle.read()))


def test_a_district_gets_its_units_evidence_as_a_zip_with_a_manifest(
    api, enterprise_user, draft, district_user, django_capture_on_commit_callbacks
):
    add(enterprise_user, draft)
    add(enterprise_user, draft)  # the same name twice: both kept, the second numbered
    add(enterprise_user, draft, name="现场照片.png", data=PNG, field="output_value")

    with django_capture_on_commit_callbacks(execute=True):
        answer = _request(api, district_user, {"year": 2025})

    assert answer.status_code == 202, answer.content  # always built in the background
    job = ExportJob.objects.get(pk=answer.json()["id"])
    assert job.status == "succeeded" and job.file.name.endswith(".zip") and job.total == 3
    assert job.filters == {"year": 2025, "district": district_user.district_id}
    archive = _zip(job)
    folder = f"{draft.enterprise.name}（{draft.enterprise.credit_code}）"
    names = archive.namelist()
    assert "清单.xlsx" in names
    files = sorted(n for n in names if n != "清单.xlsx")
    assert len(files) == 3 and all(n.startswith(folder + "/") for n in files)
    assert any(n.endswith("-电费发票（2）.pdf") for n in files)
    assert archive.read(next(n for n in files if n.endswith(".png"))) == PNG
    rows = sheet_rows(archive.read("清单.xlsx"))
    assert "佐证材料" in rows[0][0] and "管理单位：" in rows[0][0]
    header = list(rows[1])
    assert header[:6] == ["年度", "企业名称", "统一社会信用代码", "数据状态", "数据项或指标", "文件名"]
    body = [dict(zip(header, row, strict=False)) for row in rows[2:]]
    assert len(body) == 3
    for row in body:
        data = archive.read(row["压缩包内位置"])
        assert row["大小（字节）"] == len(data) and row["SHA-256"] == hashlib.sha256(data).hexdigest()
        assert row["企业名称"] == draft.enterprise.name and row["上传人"] and row["上传时间"]
        assert not row["备注"]
    download = api.as_user(district_user).get(f"/api/v1/exports/{job.pk}/download/")
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    assert "%E4%BD%90%E8%AF%81%E6%9D%90%E6%96%99" in download["Content-Disposition"]  # 佐证材料
    assert ".zip" in download["Content-Disposition"]


def test_a_district_cannot_ask_for_another_unit(api, district_user, jiangjin):
    answer = _request(api, district_user, {"year": 2025, "district": jiangjin.pk})

    assert answer.status_code == 400
    assert "只能下载本单位" in answer.json()["district"][0]
    assert not ExportJob.objects.exists()


def test_the_city_names_the_unit_and_the_year(api, city_user, yuzhong):
    no_unit = _request(api, city_user, {"year": 2025})
    no_year = _request(api, city_user, {"district": yuzhong.pk})
    unknown = _request(api, city_user, {"year": 2025, "district": "999999"})

    assert no_unit.status_code == 400 and "请选择管理单位" in no_unit.json()["district"][0]
    assert no_year.status_code == 400 and "请选择年度" in no_year.json()["year"][0]
    assert unknown.status_code == 400 and "不存在" in unknown.json()["district"][0]
    assert not ExportJob.objects.exists()


def test_an_enterprise_cannot_request_the_zip(api, enterprise_user):
    answer = _request(api, enterprise_user, {"year": 2025})

    assert answer.status_code == 403 and "企业" in answer.content.decode()


def test_the_city_gets_one_units_files_only(
    enterprise_user, draft, city_user, jiangjin, django_capture_on_commit_callbacks
):
    add(enterprise_user, draft)

    with django_capture_on_commit_callbacks(execute=True):
        theirs, _ = jobs.export_request(
            actor=city_user, kind=KIND, filters={"year": 2025, "district": jiangjin.pk}
        )
        ours, _ = jobs.export_request(
            actor=city_user, kind=KIND, filters={"year": 2025, "district": draft.enterprise.district_id}
        )

    theirs.refresh_from_db()
    ours.refresh_from_db()
    assert _zip(theirs).namelist() == ["清单.xlsx"]
    assert len(_zip(ours).namelist()) == 2


def test_an_empty_unit_gets_a_manifest_saying_there_is_none(
    district_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job, _ = jobs.export_request(actor=district_user, kind=KIND, filters={"year": 2025})

    job.refresh_from_db()
    archive = _zip(job)
    assert archive.namelist() == ["清单.xlsx"]
    rows = sheet_rows(archive.read("清单.xlsx"))
    assert len(rows) == 3 and rows[2][1].startswith("无")


def test_a_file_gone_from_storage_is_listed_with_a_note(
    enterprise_user, draft, district_user, django_capture_on_commit_callbacks
):
    item = add(enterprise_user, draft)
    item.file.storage.delete(item.file.name)

    with django_capture_on_commit_callbacks(execute=True):
        job, _ = jobs.export_request(actor=district_user, kind=KIND, filters={"year": 2025})

    job.refresh_from_db()
    archive = _zip(job)
    rows = sheet_rows(archive.read("清单.xlsx"))
    assert job.status == "succeeded" and "找不到" in rows[2][-1]


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("重庆某某/有限:公司*", "重庆某某_有限_公司_"),
        ("..隐藏.pdf ", "隐藏.pdf"),
        ("a\x00b", "a_b"),
        ("长" * 100 + ".pdf", "长" * 76 + ".pdf"),
    ],
)
def test_names_in_the_zip_are_safe(text, safe):
    assert safe_name(text) == safe


def _client(user):  # type: ignore[no-untyped-def]
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def test_the_review_queue_offers_the_zip_and_the_button_queues_it(
    enterprise_user, draft, district_user, city_user, django_capture_on_commit_callbacks
):
    add(enterprise_user, draft)
    client = _client(district_user)
    page = client.get("/reporting/review/district/").content.decode()
    assert "下载佐证材料（压缩包）" in page and 'value="evidence_zip"' in page
    assert 'name="district"' not in page.split('value="evidence_zip"')[1].split("</form>")[0]
    city_page = _client(city_user).get("/reporting/review/city/").content.decode()
    assert 'name="district" required' in city_page

    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post("/reporting/exports/", {"kind": "evidence_zip", "year": "2025"}, follow=True)

    job = ExportJob.objects.get()
    assert job.kind == "evidence_zip" and job.status == "succeeded"
    assert "佐证材料共 1 个文件，正在后台打包" in answer.content.decode()
    assert len(_zip(job).namelist()) == 2
