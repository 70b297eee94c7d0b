"""Stored files are never served by URL and carry random names; exports and uploaded workbooks go out only
through the permission-checked downloads, under a readable Chinese name (accounts/files.py)."""

from __future__ import annotations

import importlib
import re
from urllib.parse import quote

import pytest
from django.test import Client, override_settings
from django.urls import Resolver404, clear_url_caches, resolve

from accounts import files
from reporting import jobs, services
from reporting.models import ImportJob
from tests.reporting.test_imports import _filled

pytestmark = pytest.mark.django_db

RANDOM_STEM = re.compile(r"^[A-Za-z0-9_-]{32}$")  # token_urlsafe(24): 32 characters of 6 bits = 192 bits


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


def _reload_urls() -> None:
    import config.urls

    clear_url_caches()
    importlib.reload(config.urls)
    clear_url_caches()


@pytest.fixture
def urls_built_with_debug(settings):  # type: ignore[no-untyped-def]
    """Build the URL configuration as `make run` does (DEBUG on), and rebuild it without DEBUG after."""

    def build(debug: bool) -> None:
        settings.DEBUG = debug
        _reload_urls()

    yield build
    with override_settings(DEBUG=False):
        _reload_urls()


def _export(user):  # type: ignore[no-untyped-def]
    job, _ = jobs.export_request(actor=user, kind="enterprises")
    job.refresh_from_db()
    assert job.status == "succeeded" and job.file
    return job


def _upload(user, enterprises):  # type: ignore[no-untyped-def]
    job = services.import_upload(
        actor=user, year=2025, name="渝中区2025年度数据.xlsx", data=_filled(enterprises, {})
    )
    assert job.file, job.errors
    return job


@pytest.mark.parametrize("debug", [True, False], ids=["DEBUG on", "DEBUG off"])
def test_no_url_serves_a_stored_file_in_either_mode(
    urls_built_with_debug, debug, client, city_user, district_user, enterprise
):
    urls_built_with_debug(debug)
    export = _export(city_user)
    upload = _upload(district_user, [enterprise])
    for stored in (export.file, upload.file):
        assert stored.storage.exists(stored.name)
        path = f"/media/{stored.name}"
        with pytest.raises(Resolver404):
            resolve(path)
        assert Client().get(path).status_code == 404  # anonymous
        client.force_login(city_user)
        assert client.get(path).status_code == 404  # not even for someone who may download it


def test_stored_names_are_random_and_say_nothing(city_user, district_user, enterprise):
    first, second = _export(city_user), _export(city_user)  # the same kind in the same minute
    upload = _upload(district_user, [enterprise])
    names = [first.file.name, second.file.name, upload.file.name]
    assert len(set(names)) == 3
    for name in names:
        folder, _, basename = name.rpartition("/")
        stem, _dot, suffix = basename.partition(".")
        assert folder in ("exports", "imports") and suffix == "xlsx"
        assert RANDOM_STEM.match(stem), name
        assert len(stem) * 6 >= 128  # at least 128 bits of randomness
        assert not re.search(r"\d{4}/\d{2}|\d{8}|enterprises|import-", name), name
    maker = files.RandomName("exports")
    assert len({maker(None, "x.xlsx") for _ in range(500)}) == 500


def test_the_requester_downloads_the_export_under_its_chinese_name(client, api, city_user, enterprise):
    job = _export(city_user)
    client.force_login(city_user)
    for response in (
        client.get(f"/reporting/exports/{job.pk}/download/"),
        api.as_user(city_user).get(f"/api/v1/exports/{job.pk}/download/"),
    ):
        assert response.status_code == 200 and response.streaming
        name = job.download_name
        assert name.startswith("企业") and name.endswith(".xlsx") and re.search(r"-\d{8}\.xlsx$", name)
        disposition = response["Content-Disposition"]
        assert disposition.startswith("attachment;")
        assert f"filename*=UTF-8''{quote(name, safe='')}" in disposition
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Cache-Control"] == "private, no-store"
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        assert b"".join(response.streaming_content)[:2] == b"PK"


def test_anyone_but_the_requester_gets_404_and_an_anonymous_visitor_is_asked_to_sign_in(
    client, api, city_user, second_city_user, district_user, enterprise
):
    job = _export(city_user)
    page, endpoint = f"/reporting/exports/{job.pk}/download/", f"/api/v1/exports/{job.pk}/download/"
    anonymous = Client().get(page)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    assert api.get(endpoint).status_code == 401
    for other in (second_city_user, district_user):
        client.force_login(other)
        assert client.get(page).status_code == 404
        assert api.as_user(other).get(endpoint).status_code == 404


def test_an_uploaded_workbook_goes_only_to_its_unit_under_its_own_name(
    client, api, city_user, district_user, other_district_user, enterprise
):
    job = _upload(district_user, [enterprise])
    page, endpoint = f"/reporting/imports/{job.pk}/download/", f"/api/v1/imports/{job.pk}/download/"
    client.force_login(district_user)
    response = client.get(page)
    assert response.status_code == 200 and response.streaming
    assert f"filename*=UTF-8''{quote('渝中区2025年度数据.xlsx', safe='')}" in response["Content-Disposition"]
    assert (
        response["Cache-Control"] == "private, no-store" and response["X-Content-Type-Options"] == "nosniff"
    )
    listed = api.as_user(district_user).get(f"/api/v1/imports/{job.pk}/").json()
    assert listed["download_url"].endswith(endpoint)
    assert api.as_user(city_user).get(endpoint).status_code == 200
    client.force_login(other_district_user)
    assert client.get(page).status_code == 404
    assert api.as_user(other_district_user).get(endpoint).status_code == 404
    assert Client().get(page)["Location"].startswith("/accounts/login/")
    api.force_authenticate(user=None)
    assert api.get(endpoint).status_code == 401


def test_a_refused_upload_keeps_no_file_to_download(client, district_user):
    job = services.import_upload(actor=district_user, year=2025, name="x.xlsx", data=b"not a workbook")
    assert job.status == "refused" and not ImportJob.objects.get(pk=job.pk).file
    client.force_login(district_user)
    assert client.get(f"/reporting/imports/{job.pk}/download/").status_code == 404


def test_behind_nginx_the_checked_view_hands_the_file_over_by_x_accel_redirect(client, city_user, settings):
    settings.PROTECTED_MEDIA_PREFIX = "/protected-media/"
    job = _export(city_user)
    client.force_login(city_user)
    response = client.get(f"/reporting/exports/{job.pk}/download/")
    assert response.status_code == 200 and not response.content
    assert response["X-Accel-Redirect"] == f"/protected-media/{job.file.name}"
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"


def test_the_download_header_has_an_ascii_fallback_and_the_real_name():
    assert files.content_disposition("企业名录-20261201-0930.xlsx") == (
        "attachment; filename=\"download.xlsx\"; filename*=UTF-8''"
        + quote("企业名录-20261201-0930.xlsx", safe="")
    )
    assert files.content_disposition("report-2025.pdf").startswith('attachment; filename="report-2025.pdf";')
    assert '"' not in files.content_disposition('a"b\r\n.pdf').split("filename*=")[1]
