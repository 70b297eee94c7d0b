"""Evidence (佐证材料) filed with pool applications and B-certification applications (issue 15 item 3): the
same content check as a submission's evidence, nothing stored when a file is refused, listed on the detail
pages, downloaded only through the permission-checked views (another district: 404)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.errors import InvalidInput
from accounts.models import AuditEntry
from cultivation import services
from cultivation.models import ApplicationEvidence, BCertification, PoolApplication
from tests.reporting.test_evidence import (
    DOCX,
    EXECUTABLE,
    OFD,
    PDF,
    PDF_WITH_SCRIPT,
    _image,
    _xlsx,
    _xlsx_bomb,
    stored_files,
    upload,
)

pytestmark = pytest.mark.django_db

PLAN = {"intention": "愿意参与梯度培育。", "plan": "三年内建成市级绿色工厂。", "lawful_declaration": True}


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


def apply(actor, enterprise, *files):  # type: ignore[no-untyped-def]
    return services.pool_application_submit(
        actor=actor, enterprise=enterprise, evidence_files=[upload(n, d) for n, d in files], **PLAN
    )


# --- pool applications ----------------------------------------------------------------------------


def test_each_accepted_type_is_filed_with_the_application(enterprise, enterprise_user, settings):
    files = [
        ("营业执照.pdf", PDF),
        ("电子证照.ofd", OFD),
        ("厂区照片.jpg", _image("JPEG")),
        ("排污许可证.png", _image("PNG")),
        ("能耗台账.xlsx", _xlsx()),
        ("创建计划.docx", DOCX),
    ]
    application = apply(enterprise_user, enterprise, *files)
    items = list(application.evidence.order_by("id"))
    assert [i.filename for i in items] == [name for name, _data in files]
    assert items[0].size == len(PDF) and len(items[0].sha256) == 64
    assert items[0].uploaded_by == enterprise_user
    assert len(stored_files(settings)) == 6
    # Stored under a random name, never the uploaded one.
    assert all("营业执照" not in str(p) for p in stored_files(settings))
    entry = AuditEntry.objects.for_object(application).get(action="pool_application.submit")
    assert entry.changes["evidence"][1].startswith("营业执照.pdf、电子证照.ofd")


def test_an_application_without_files_still_goes_through(enterprise, enterprise_user):
    application = apply(enterprise_user, enterprise)
    assert not application.evidence.exists()
    assert "evidence" not in AuditEntry.objects.for_object(application).get().changes


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("营业执照.pdf", EXECUTABLE, "按文件内容识别"),
        ("营业执照.exe", EXECUTABLE, "只能是"),
        ("报告.pdf", PDF_WITH_SCRIPT, "含有脚本"),
        ("台账.xlsx", _xlsx_bomb(), "文件内容与其类型不符"),
        ("空文件.pdf", b"", "不能为空"),
    ],
)
def test_a_refused_file_refuses_the_application_and_stores_nothing(
    name, data, words, enterprise, enterprise_user, settings
):
    with pytest.raises(InvalidInput) as caught:
        apply(enterprise_user, enterprise, ("营业执照.pdf", PDF), (name, data))
    message = str(caught.value.field_errors["evidence"][0])
    assert message.startswith(f"{name}：") and words in message
    assert not PoolApplication.objects.exists() and not ApplicationEvidence.objects.exists()
    assert stored_files(settings) == []


def test_an_oversized_file_is_refused_with_the_limit(enterprise, enterprise_user, settings):
    settings.EVIDENCE_MAX_BYTES = 1024 * 1024
    big = PDF + b"%" * (2 * 1024 * 1024)
    with pytest.raises(InvalidInput) as caught:
        apply(enterprise_user, enterprise, ("扫描件.pdf", big))
    assert "不能超过 1.0 MB" in str(caught.value.field_errors["evidence"][0])
    assert not PoolApplication.objects.exists() and stored_files(settings) == []


def test_too_many_files_are_refused(enterprise, enterprise_user, settings):
    settings.EVIDENCE_MAX_FILES_PER_FIELD = 2
    with pytest.raises(InvalidInput) as caught:
        apply(enterprise_user, enterprise, *[(f"{i}.pdf", PDF) for i in range(3)])
    assert "最多 2 个文件" in str(caught.value.field_errors["evidence"][0])
    assert not PoolApplication.objects.exists() and stored_files(settings) == []


def test_a_failure_after_the_files_were_written_removes_them(
    enterprise, enterprise_user, settings, monkeypatch
):
    from accounts import audit

    def broken(**kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("audit down")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(RuntimeError):
        apply(enterprise_user, enterprise, ("营业执照.pdf", PDF))
    assert not PoolApplication.objects.exists() and stored_files(settings) == []


def test_the_form_files_the_evidence_and_the_detail_lists_it(
    client, enterprise, enterprise_user, district_user
):
    client.force_login(enterprise_user)
    response = client.post(
        reverse("cultivation:application_create"),
        {**PLAN, "evidence": [upload("营业执照.pdf", PDF), upload("厂区照片.png", _image("PNG"))]},
    )
    application = PoolApplication.objects.get()
    assert response.status_code == 302
    assert application.evidence.count() == 2
    client.force_login(district_user)
    page = client.get(reverse("cultivation:application_detail", args=[application.pk])).content.decode()
    item = application.evidence.get(filename="营业执照.pdf")
    url = reverse("cultivation:application_evidence", args=[application.pk, item.pk])
    assert "营业执照.pdf" in page and url in page
    assert "/media/" not in page
    download = client.get(url)
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert "attachment" in download["Content-Disposition"]


def test_the_form_shows_a_refused_file_in_words_and_keeps_nothing(
    client, enterprise, enterprise_user, settings
):
    client.force_login(enterprise_user)
    response = client.post(
        reverse("cultivation:application_create"), {**PLAN, "evidence": [upload("说明.pdf", EXECUTABLE)]}
    )
    assert response.status_code == 200
    assert "说明.pdf：" in response.content.decode() and "按文件内容识别" in response.content.decode()
    assert not PoolApplication.objects.exists() and stored_files(settings) == []


def test_another_district_cannot_download(client, enterprise, enterprise_user, other_district_user):
    application = apply(enterprise_user, enterprise, ("营业执照.pdf", PDF))
    item = application.evidence.get()
    client.force_login(other_district_user)
    assert (
        client.get(reverse("cultivation:application_evidence", args=[application.pk, item.pk])).status_code
        == 404
    )


def test_a_file_is_downloaded_only_under_its_own_application(
    client, enterprise, other_enterprise, enterprise_user, other_enterprise_user, district_user
):
    """The file id of another application (even one the user may see) answers 404 under this one."""
    mine = apply(enterprise_user, enterprise, ("营业执照.pdf", PDF))
    theirs = apply(other_enterprise_user, other_enterprise, ("对方执照.pdf", PDF))
    client.force_login(enterprise_user)
    url = reverse("cultivation:application_evidence", args=[mine.pk, theirs.evidence.get().pk])
    assert client.get(url).status_code == 404


# --- B-certification applications -----------------------------------------------------------------


def test_a_b_application_files_evidence(b_member, enterprise_user, district_user, client, settings):
    certification = services.b_certification_apply(
        actor=enterprise_user,
        enterprise=b_member.enterprise,
        year=2025,
        evidence_files=[upload("节能诊断报告.pdf", PDF), upload("能源管理体系证书.jpg", _image("JPEG"))],
    )
    assert [i.filename for i in certification.evidence.order_by("id")] == [
        "节能诊断报告.pdf",
        "能源管理体系证书.jpg",
    ]
    entry = AuditEntry.objects.for_object(certification).get(action="b_certification.apply")
    assert entry.changes["evidence"] == [None, "节能诊断报告.pdf、能源管理体系证书.jpg"]
    client.force_login(district_user)
    page = client.get(reverse("cultivation:certification_detail", args=[certification.pk])).content.decode()
    item = certification.evidence.get(filename="节能诊断报告.pdf")
    url = reverse("cultivation:certification_evidence", args=[certification.pk, item.pk])
    assert url in page and "节能诊断报告.pdf" in page
    assert b"".join(client.get(url).streaming_content) == PDF


def test_a_refused_file_refuses_the_b_application(b_member, enterprise_user, settings):
    with pytest.raises(InvalidInput) as caught:
        services.b_certification_apply(
            actor=enterprise_user,
            enterprise=b_member.enterprise,
            year=2025,
            evidence_files=[upload("诊断报告.pdf", PDF), upload("证书.docx", EXECUTABLE)],
        )
    assert "证书.docx：" in str(caught.value.field_errors["evidence"][0])
    assert not BCertification.objects.exists() and not ApplicationEvidence.objects.exists()
    assert stored_files(settings) == []


def test_the_b_form_files_evidence_and_refuses_a_bad_file_in_words(
    b_member, enterprise_user, client, settings
):
    client.force_login(enterprise_user)
    url = reverse("cultivation:certification_apply")
    refused = client.post(url, {"year": 2025, "evidence": [upload("证书.pdf", PDF_WITH_SCRIPT)]})
    assert refused.status_code == 400 and "含有脚本" in refused.content.decode()
    assert not BCertification.objects.exists() and stored_files(settings) == []
    done = client.post(url, {"year": 2025, "evidence": [upload("证书.pdf", PDF)]})
    assert done.status_code == 302
    assert BCertification.objects.get().evidence.get().filename == "证书.pdf"


def test_another_district_cannot_download_b_evidence(b_member, enterprise_user, other_district_user, client):
    certification = services.b_certification_apply(
        actor=enterprise_user,
        enterprise=b_member.enterprise,
        year=2025,
        evidence_files=[upload("a.pdf", PDF)],
    )
    client.force_login(other_district_user)
    url = reverse(
        "cultivation:certification_evidence", args=[certification.pk, certification.evidence.get().pk]
    )
    assert client.get(url).status_code == 404


# --- API ------------------------------------------------------------------------------------------


def test_the_api_files_evidence_with_an_application_and_lists_it(
    api, enterprise, enterprise_user, district_user
):
    response = api.as_user(enterprise_user).post(
        "/api/v1/cultivation/applications/",
        {
            "enterprise": enterprise.pk,
            **PLAN,
            "evidence_files": [upload("营业执照.pdf", PDF), upload("能耗台账.xlsx", _xlsx())],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    files = response.json()["evidence"]
    assert [f["filename"] for f in files] == ["营业执照.pdf", "能耗台账.xlsx"]
    assert set(files[0]) == {"id", "filename", "size", "sha256", "uploaded_by", "uploaded_at", "download_url"}
    assert "/media/" not in files[0]["download_url"]
    detail = api.as_user(district_user).get(f"/api/v1/cultivation/applications/{response.json()['id']}/")
    url = detail.json()["evidence"][0]["download_url"]
    download = api.as_user(district_user).get(url)
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF


def test_the_api_refuses_a_bad_file_in_words_and_stores_nothing(api, enterprise, enterprise_user, settings):
    response = api.as_user(enterprise_user).post(
        "/api/v1/cultivation/applications/",
        {"enterprise": enterprise.pk, **PLAN, "evidence_files": [upload("执照.pdf", EXECUTABLE)]},
        format="multipart",
    )
    assert response.status_code == 400
    assert "按文件内容识别" in str(response.json())
    assert not PoolApplication.objects.exists() and stored_files(settings) == []


def test_the_api_files_evidence_with_a_b_application(api, b_member, enterprise_user, other_district_user):
    response = api.as_user(enterprise_user).post(
        "/api/v1/cultivation/certifications/",
        {"enterprise": b_member.enterprise.pk, "year": 2025, "evidence_files": [upload("诊断报告.pdf", PDF)]},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    (item,) = response.json()["evidence"]
    assert item["filename"] == "诊断报告.pdf"
    assert api.as_user(other_district_user).get(item["download_url"]).status_code == 404
