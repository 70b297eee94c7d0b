"""An incident's evidence is stored under a random name and goes out only through the scoped download."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from factories.grading import services
from tests.model_factories import GreenFactoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(city_user, enterprise, settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    GreenFactoryFactory(enterprise=enterprise)
    return services.incident_record(
        actor=city_user,
        enterprise=enterprise,
        kind="safety",
        severity="general",
        occurred_on=dt.date(2025, 3, 1),
        description="车间发生一般安全事故",
        evidence=SimpleUploadedFile("调查报告.pdf", b"%PDF-1.7\n...", content_type="application/pdf"),
    )


def test_the_evidence_is_stored_under_a_random_name(incident):
    folder, _, basename = incident.evidence.name.rpartition("/")
    assert folder == "evidence" and re.fullmatch(r"[A-Za-z0-9_-]{32}\.pdf", basename)
    assert "调查报告" not in incident.evidence.name and "2025" not in folder


def test_the_evidence_goes_to_whoever_sees_the_incident_under_a_readable_name(
    client, api, city_user, district_user, other_district_user, incident
):
    page = f"/factories/grading/incidents/{incident.pk}/evidence/"
    endpoint = f"/api/v1/incidents/{incident.pk}/evidence/"
    client.force_login(city_user)
    response = client.get(page)
    assert response.status_code == 200 and response.streaming
    name = f"{incident.enterprise.name}-安全事故证明材料-2025-03-01.pdf"
    assert f"filename*=UTF-8''{quote(name, safe='')}" in response["Content-Disposition"]
    assert response["Content-Type"] == "application/pdf"
    assert (
        response["X-Content-Type-Options"] == "nosniff" and response["Cache-Control"] == "private, no-store"
    )
    listed = client.get("/factories/grading/incidents/").content.decode()
    assert page in listed and "/media/" not in listed
    body = api.as_user(city_user).get(f"/api/v1/incidents/{incident.pk}/").json()
    assert body["evidence"].endswith(endpoint) and "/media/" not in body["evidence"]
    assert api.as_user(district_user).get(endpoint).status_code == 200
    client.force_login(other_district_user)
    assert client.get(page).status_code == 404
    assert api.as_user(other_district_user).get(endpoint).status_code == 404
    assert Client().get(page)["Location"].startswith("/accounts/login/")
    api.force_authenticate(user=None)
    assert api.get(endpoint).status_code == 401
