"""Reference endpoints, /me/ and users: who sees what."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

PERSONAS = ["city_user", "district_user", "other_district_user", "enterprise_user", "auditor"]


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_role_reads_all_management_units_and_industries(persona, request, api):
    user = request.getfixturevalue(persona)
    api.as_user(user)
    units = api.get("/api/v1/districts/", {"page_size": 100}).json()
    industries = api.get("/api/v1/industries/", {"page_size": 100}).json()
    assert units["count"] == 41
    assert industries["count"] == 31
    assert {"code", "name", "kind", "valid_from", "valid_to", "successor"} <= set(units["results"][0])


def test_anonymous_callers_are_refused(api, db):
    assert api.get("/api/v1/districts/").status_code in (401, 403)
    assert api.get("/api/v1/me/").status_code in (401, 403)


def test_abolished_units_name_their_successor_by_code(api, auditor):
    api.as_user(auditor)
    jiangbei = api.get("/api/v1/districts/500105/").json()
    assert jiangbei["name"] == "江北区"
    assert jiangbei["valid_to"] == "2026-01-24"
    assert jiangbei["successor"] == "LJXQ"


def test_units_in_force_after_the_merger_exclude_jiangbei_and_yubei(api, auditor):
    api.as_user(auditor)
    codes = {
        u["code"]
        for u in api.get("/api/v1/districts/", {"in_force_on": "2026-03-01", "page_size": 100}).json()[
            "results"
        ]
    }
    assert "500105" not in codes and "500112" not in codes
    assert {"LJXQ", "GXQ", "WSJK", "500103"} <= codes
    assert len(codes) == 39


def test_industries_are_identified_by_two_digit_division_code(api, auditor):
    api.as_user(auditor)
    assert api.get("/api/v1/industries/36/").json() == {"code": "36", "name": "汽车制造业"}
    assert api.get("/api/v1/industries/99/").status_code == 404


@pytest.mark.parametrize(
    ("persona", "role", "district", "has_enterprise"),
    [
        ("city_user", "city", None, False),
        ("district_user", "district", "500103", False),
        ("enterprise_user", "enterprise", None, True),
        ("auditor", "auditor", None, False),
    ],
)
def test_me_tells_role_unit_and_enterprise(persona, role, district, has_enterprise, request, api):
    user = request.getfixturevalue(persona)
    body = api.as_user(user).get("/api/v1/me/").json()
    assert body["role"] == role
    assert body["district"] == district
    assert (body["enterprise"] is not None) == has_enterprise


def test_city_and_auditor_see_every_user(
    api, city_user, auditor, district_user, other_district_user, enterprise_user
):
    for viewer in (city_user, auditor):
        names = {u["username"] for u in api.as_user(viewer).get("/api/v1/users/").json()["results"]}
        assert {"alice", "frank", "bob", "charlie", "dora"} <= names


def test_district_user_sees_only_its_own_units_users(api, district_user, other_district_user, city_user):
    names = {u["username"] for u in api.as_user(district_user).get("/api/v1/users/").json()["results"]}
    assert names == {"bob"}


def test_district_user_gets_404_for_another_districts_user(api, district_user, other_district_user):
    response = api.as_user(district_user).get(f"/api/v1/users/{other_district_user.pk}/")
    assert response.status_code == 404


def test_enterprise_user_sees_only_its_own_enterprises_users(api, enterprise_user, other_enterprise_user):
    names = {u["username"] for u in api.as_user(enterprise_user).get("/api/v1/users/").json()["results"]}
    assert names == {"dora"}
    assert api.get(f"/api/v1/users/{other_enterprise_user.pk}/").status_code == 404


def test_reference_api_is_read_only(api, city_user):
    api.as_user(city_user)
    assert api.post("/api/v1/districts/", {"code": "X", "name": "X"}).status_code == 405
    assert api.delete("/api/v1/industries/36/").status_code == 405


def test_audit_trail_api_is_for_city_and_auditors_only(
    api, city_user, auditor, district_user, enterprise_user
):
    assert api.as_user(city_user).get("/api/v1/audit/").status_code == 200
    assert api.as_user(auditor).get("/api/v1/audit/").status_code == 200
    assert api.as_user(district_user).get("/api/v1/audit/").json()["count"] == 0
    assert api.as_user(enterprise_user).get("/api/v1/audit/").json()["count"] == 0
