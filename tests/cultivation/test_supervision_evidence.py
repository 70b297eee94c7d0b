"""A supervision record's evidence is stored under a random name and goes out only through the scoped
download (page and API)."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from cultivation import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(member, district_user, settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    return services.supervision_record_add(
        actor=district_user,
        membership=member,
        kind="energy_inspection",
        date=dt.date(2025, 4, 2),
        evidence=SimpleUploadedFile("监察报告.pdf", b"%PDF-1.4 test", content_type="application/pdf"),
    )


def test_the_evidence_is_stored_under_a_random_name(record):
    folder, _, basename = record.evidence.name.rpartition("/")
    assert folder == "cultivation/supervision" and re.fullmatch(r"[A-Za-z0-9_-]{32}\.pdf", basename)


def test_the_evidence_goes_to_whoever_sees_the_member_under_a_readable_name(
    client, api, district_user, enterprise_user, other_district_user, record
):
    page = f"/cultivation/supervision/{record.pk}/evidence/"
    endpoint = f"/api/v1/cultivation/supervision-records/{record.pk}/evidence/"
    client.force_login(enterprise_user)
    response = client.get(page)
    assert response.status_code == 200 and response.streaming
    name = f"{record.membership.enterprise.name}-节能监察证明材料-2025-04-02.pdf"
    assert f"filename*=UTF-8''{quote(name, safe='')}" in response["Content-Disposition"]
    assert (
        response["X-Content-Type-Options"] == "nosniff" and response["Cache-Control"] == "private, no-store"
    )
    detail = client.get(f"/cultivation/members/{record.membership_id}/").content.decode()
    assert page in detail and "/media/" not in detail
    listed = api.as_user(district_user).get(
        f"/api/v1/cultivation/members/{record.membership_id}/supervision/"
    )
    assert listed.json()["results"][0]["evidence"].endswith(endpoint)
    assert api.as_user(district_user).get(endpoint).status_code == 200
    client.force_login(other_district_user)
    assert client.get(page).status_code == 404
    assert api.as_user(other_district_user).get(endpoint).status_code == 404
    assert Client().get(page)["Location"].startswith("/accounts/login/")
    api.force_authenticate(user=None)
    assert api.get(endpoint).status_code == 401
