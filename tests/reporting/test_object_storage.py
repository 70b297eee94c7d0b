"""Stored files in an S3-compatible bucket (FILE_STORAGE=s3, config/file_storage.py), against moto's mock of S3:
evidence and export files go to the bucket under random names, private, and leave it only through the
permission-checked views; a refused file leaves the bucket empty."""

from __future__ import annotations

import io
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from django.core.exceptions import ImproperlyConfigured
from moto import mock_aws
from openpyxl import load_workbook

from config import file_storage
from reporting import jobs
from reporting.models import SubmissionEvidence
from tests.reporting.test_evidence import EXECUTABLE, PDF, upload

pytestmark = pytest.mark.django_db

BUCKET = "greenfactory-files"
S3_ENV = {
    "FILE_STORAGE": "s3",
    "AWS_STORAGE_BUCKET_NAME": BUCKET,
    "AWS_S3_REGION_NAME": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
}


@pytest.fixture
def bucket(settings, tmp_path):  # type: ignore[no-untyped-def]
    """The default storage switched to S3 as the environment above configures it, on a mocked bucket; the
    media volume is an empty folder that must stay empty."""
    settings.MEDIA_ROOT = tmp_path / "media"
    with mock_aws():
        client = boto3.client(
            "s3", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
        )
        client.create_bucket(Bucket=BUCKET)
        settings.STORAGES = {**settings.STORAGES, "default": file_storage.default_storage(S3_ENV)}
        yield client
    assert not (tmp_path / "media").exists() or not any((tmp_path / "media").rglob("*"))


def keys(client) -> list[str]:  # type: ignore[no-untyped-def]
    return [item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def _post(api, user, submission, **data):  # type: ignore[no-untyped-def]
    return api.as_user(user).post(f"/api/v1/submissions/{submission.pk}/evidence/", data, format="multipart")


def test_evidence_uploaded_over_the_api_lands_in_the_bucket_under_a_random_private_key(
    bucket, api, enterprise_user, draft
):
    answer = _post(api, enterprise_user, draft, field="electricity", file=upload("电费发票.pdf", PDF))

    assert answer.status_code == 201, answer.content
    [key] = keys(bucket)
    assert re.fullmatch(r"evidence/submissions/[A-Za-z0-9_-]{32}\.pdf", key)
    assert SubmissionEvidence.objects.get().file.name == key
    assert bucket.get_object(Bucket=BUCKET, Key=key)["Body"].read() == PDF
    grants = bucket.get_object_acl(Bucket=BUCKET, Key=key)["Grants"]
    assert [g["Permission"] for g in grants] == ["FULL_CONTROL"]  # the owner only: nothing public
    assert not any("AllUsers" in str(g["Grantee"]) for g in grants)


def test_the_owner_downloads_from_the_bucket_and_another_district_gets_404(
    bucket, api, enterprise_user, other_district_user, draft
):
    body = _post(api, enterprise_user, draft, field="electricity", file=upload("电费发票.pdf", PDF)).json()

    mine = api.as_user(enterprise_user).get(body["download_url"])
    theirs = api.as_user(other_district_user).get(body["download_url"])

    assert mine.status_code == 200 and mine.getvalue() == PDF
    assert mine["Cache-Control"] == "private, no-store"
    assert theirs.status_code == 404


def test_a_file_gone_from_the_bucket_answers_404(bucket, api, enterprise_user, draft):
    body = _post(api, enterprise_user, draft, field="electricity", file=upload("电费发票.pdf", PDF)).json()
    bucket.delete_object(Bucket=BUCKET, Key=keys(bucket)[0])

    assert api.as_user(enterprise_user).get(body["download_url"]).status_code == 404


def test_a_refused_file_stores_nothing_in_the_bucket(bucket, api, enterprise_user, draft):
    answer = _post(api, enterprise_user, draft, field="electricity", file=upload("报告.pdf", EXECUTABLE))

    assert answer.status_code == 400
    assert "内容" in answer.content.decode() or "文件" in answer.content.decode()
    assert keys(bucket) == [] and not SubmissionEvidence.objects.exists()


def test_removing_evidence_removes_the_object(
    bucket, api, enterprise_user, draft, django_capture_on_commit_callbacks
):
    body = _post(api, enterprise_user, draft, field="electricity", file=upload("电费发票.pdf", PDF)).json()

    with django_capture_on_commit_callbacks(execute=True):
        answer = api.as_user(enterprise_user).post(
            f"/api/v1/submissions/{draft.pk}/evidence/{body['id']}/remove/"
        )

    assert answer.status_code in (200, 204)
    assert keys(bucket) == []


def test_an_export_file_is_written_to_and_read_from_the_bucket(bucket, api, city_user, draft):
    job, _queued = jobs.export_request(actor=city_user, kind="submissions", filters={"year": 2025})

    job.refresh_from_db()
    assert job.status == "succeeded"
    assert job.file.name in keys(bucket) and job.file.name.startswith("exports/")
    answer = api.as_user(city_user).get(f"/api/v1/exports/{job.pk}/download/")
    assert answer.status_code == 200
    sheet = load_workbook(io.BytesIO(answer.getvalue())).active
    assert any(row[1] == draft.enterprise.name for row in sheet.iter_rows(values_only=True))


def test_with_a_redirect_window_a_permitted_download_gets_a_short_signed_url(
    bucket, api, settings, enterprise_user, other_district_user, draft
):
    settings.FILE_DOWNLOAD_REDIRECT_SECONDS = 30
    body = _post(api, enterprise_user, draft, field="electricity", file=upload("电费发票.pdf", PDF)).json()

    answer = api.as_user(enterprise_user).get(body["download_url"])

    assert answer.status_code == 302 and answer["Cache-Control"] == "private, no-store"
    url = urlsplit(answer["Location"])
    query = parse_qs(url.query)
    assert url.path.endswith(keys(bucket)[0])
    assert query["X-Amz-Expires"] == ["30"] and "X-Amz-Signature" in query
    assert "filename*=UTF-8''%E7%94%B5" in query["response-content-disposition"][0]
    assert api.as_user(other_district_user).get(body["download_url"]).status_code == 404


def test_the_local_volume_is_the_default_and_s3_settings_are_checked():
    assert file_storage.default_storage({}) == file_storage.LOCAL
    options = file_storage.default_storage(S3_ENV)["OPTIONS"]
    assert options["default_acl"] == "private" and options["querystring_auth"] is True
    assert options["file_overwrite"] is False and options["max_memory_size"] > 0
    assert file_storage.default_storage({**S3_ENV, "AWS_DEFAULT_ACL": ""})["OPTIONS"]["default_acl"] is None
    for broken in (
        {**S3_ENV, "AWS_STORAGE_BUCKET_NAME": ""},
        {**S3_ENV, "FILE_STORAGE": "ftp"},
        {**S3_ENV, "PROTECTED_MEDIA_PREFIX": "/protected-media/"},
        {**S3_ENV, "AWS_QUERYSTRING_EXPIRE": "soon"},
    ):
        with pytest.raises(ImproperlyConfigured):
            file_storage.default_storage(broken)
    with pytest.raises(ImproperlyConfigured):
        file_storage.redirect_seconds({"FILE_DOWNLOAD_REDIRECT_SECONDS": "86400"})


def test_no_stored_file_is_reached_by_a_path_on_disk():
    """Every read and write of a stored file goes through the storage API: no `.path` of a file field, no
    MEDIA_ROOT joined to a stored name, in the platform's code."""
    root = Path(__file__).resolve().parents[2]
    offenders = []
    for package in ("accounts", "factories", "reporting", "cultivation"):
        for source in (root / package).rglob("*.py"):
            text = source.read_text(encoding="utf-8")
            for pattern in (r"\.file\.path\b", r"\.(evidence|letter|file)\.path\b", r"settings\.MEDIA_ROOT"):
                if re.search(pattern, text):
                    offenders.append(f"{source.relative_to(root)}: {pattern}")
    assert not offenders, offenders


def test_the_evidence_zip_is_built_from_the_bucket_into_the_bucket(
    bucket, api, enterprise_user, district_user, draft, django_capture_on_commit_callbacks
):
    import zipfile

    _post(api, enterprise_user, draft, field="electricity", file=upload("电费发票.pdf", PDF))
    with django_capture_on_commit_callbacks(execute=True):
        job, _queued = jobs.export_request(actor=district_user, kind="evidence_zip", filters={"year": 2025})

    job.refresh_from_db()
    assert job.status == "succeeded" and job.file.name in keys(bucket) and job.file.name.endswith(".zip")
    answer = api.as_user(district_user).get(f"/api/v1/exports/{job.pk}/download/")
    with zipfile.ZipFile(io.BytesIO(answer.getvalue())) as archive:
        [pdf] = [name for name in archive.namelist() if name.endswith(".pdf")]
        assert archive.read(pdf) == PDF
