"""The cultivation API: the role matrix, district isolation (404 and no write), the workflows over HTTP and
constant query counts on list endpoints."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cultivation import services
from cultivation.models import (
    BCertification,
    DistrictReport,
    DistrictStandard,
    IrregularReview,
    LevelDecision,
    PoolApplication,
    PoolMembership,
    SupervisionRecord,
)
from tests.cultivation.conftest import approved_submission, compute, excellent_raw, join, supervise
from tests.helpers import cold_cache

pytestmark = pytest.mark.django_db
BASE = "/api/v1/cultivation"


@pytest.fixture
def world(
    certified,
    jiangjin_member,
    district_user,
    other_district_user,
    city_user,
    other_enterprise,
    django_capture_on_commit_callbacks,
):  # type: ignore[no-untyped-def]
    """渝中: a certified B member with a level, a pending application, a review and a report; 江津: a member
    with a level, a review and a report."""
    compute(other_district_user, 2025, django_capture_on_commit_callbacks)
    pending = services.pool_application_submit(
        actor=district_user,
        enterprise=other_enterprise,
        intention="意愿",
        plan="计划",
        lawful_declaration=True,
    )
    reports = {}
    for user in (district_user, other_district_user):
        reports[user.district_id], _created = services.district_report_generate(
            actor=user, district=user.district, year=2025
        )
    return {
        "member": certified.membership,
        "certification": certified,
        "pending": pending,
        "level": LevelDecision.objects.get(enterprise=certified.membership.enterprise),
        "standard": DistrictStandard.objects.get(district_id="500103"),
        "review": services.irregular_review_open(
            actor=city_user, membership=certified.membership, scope_note="核查"
        ),
        "jj_review": services.irregular_review_open(
            actor=city_user, membership=jiangjin_member, scope_note="核查"
        ),
        "report": reports["500103"],
        "jj_member": jiangjin_member,
    }


def _ids(api, user, path):  # type: ignore[no-untyped-def]
    response = api.as_user(user).get(f"{BASE}/{path}/")
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


# who sees what: (endpoint, personas that see 渝中's row)
MATRIX = [
    ("members", "member", {"city_user", "auditor", "district_user", "enterprise_user"}),
    ("levels", "level", {"city_user", "auditor", "district_user", "enterprise_user"}),
    ("certifications", "certification", {"city_user", "auditor", "district_user", "enterprise_user"}),
    (
        "standards",
        "standard",
        {"city_user", "auditor", "district_user", "enterprise_user", "other_enterprise_user"},
    ),
    ("reviews", "review", {"city_user", "auditor", "district_user"}),
    ("district-reports", "report", {"city_user", "auditor", "district_user"}),
    ("applications", "pending", {"city_user", "auditor", "district_user", "other_enterprise_user"}),
]
PERSONAS = [
    "city_user",
    "auditor",
    "district_user",
    "other_district_user",
    "enterprise_user",
    "other_enterprise_user",
]


@pytest.mark.parametrize(("path", "key", "seers"), MATRIX)
@pytest.mark.parametrize("persona", PERSONAS)
def test_who_sees_which_rows(path, key, seers, persona, world, api, request):
    user = request.getfixturevalue(persona)
    row = world[key]
    assert (row.pk in _ids(api, user, path)) is (persona in seers)
    detail = api.as_user(user).get(f"{BASE}/{path}/{row.pk}/")
    assert detail.status_code == (200 if persona in seers else 404)


def test_a_district_never_sees_another_districts_pool(world, api, district_user, other_district_user):
    assert world["jj_member"].pk not in _ids(api, district_user, "members")
    assert _ids(api, other_district_user, "members") == {world["jj_member"].pk}
    assert _ids(api, other_district_user, "reviews") == {world["jj_review"].pk}


# another district's objects: every write answers 404 and changes nothing
FOREIGN_WRITES = [
    ("post", "members/{member}/exit/", {"reason": "越权"}),
    ("post", "members/{member}/supervision/", {"kind": "assessment", "date": "2025-05-01"}),
    ("get", "members/{member}/supervision/", None),
    ("post", "applications/{pending}/accept/", {}),
    ("post", "applications/{pending}/reject/", {"reason": "越权"}),
    ("post", "certifications/{certification}/reject/", {"reason": "越权"}),
    ("post", "certifications/{certification}/confirm-loss/", {"reason": "越权"}),
    ("post", "reviews/{review}/close/", {"findings": "越权", "falsification": True}),
    ("patch", "district-reports/{report}/", {"narrative": "越权"}),
    ("post", "district-reports/{report}/submit/", {}),
]


@pytest.mark.parametrize(("method", "path", "body"), FOREIGN_WRITES)
def test_another_districts_objects_answer_404_and_stay_unchanged(
    method, path, body, world, api, other_district_user
):
    def state():  # type: ignore[no-untyped-def]
        return (
            list(PoolMembership.objects.values_list("status", flat=True).order_by("pk")),
            SupervisionRecord.objects.count(),
            list(PoolApplication.objects.values_list("status", flat=True).order_by("pk")),
            list(BCertification.objects.values_list("status", flat=True).order_by("pk")),
            list(IrregularReview.objects.values_list("status", flat=True).order_by("pk")),
            list(DistrictReport.objects.values_list("status", "narrative").order_by("pk")),
            list(LevelDecision.objects.values_list("level", flat=True).order_by("pk")),
        )

    before = state()
    url = f"{BASE}/" + path.format(**{k: getattr(v, "pk", None) for k, v in world.items()})
    response = getattr(api.as_user(other_district_user), method)(url, body, format="json")
    assert response.status_code == 404, response.content
    assert state() == before


def test_a_standard_posted_by_a_district_is_its_own(world, api, other_district_user):
    response = api.as_user(other_district_user).post(
        f"{BASE}/standards/", {"parameters": {"b_level_min": 55}, "note": "江津区调整B级门槛"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["district"] == "500116" and response.json()["version"] == 2
    assert DistrictStandard.objects.filter(district_id="500103").count() == 1


@pytest.mark.parametrize(
    ("persona", "status"), [("city_user", 403), ("enterprise_user", 403), ("auditor", 403)]
)
def test_roles_without_the_right_are_refused_before_the_body_is_read(persona, status, world, api, request):
    user = request.getfixturevalue(persona)
    api.as_user(user)
    assert api.post(f"{BASE}/levels/compute/", {}, format="json").status_code == status
    assert api.post(f"{BASE}/standards/", {}, format="json").status_code == status
    assert api.post(f"{BASE}/applications/{world['pending'].pk}/accept/", {}, format="json").status_code in (
        403,
        404,
    )


# --- workflows over HTTP ------------------------------------------------------------------------


def test_an_enterprise_applies_and_its_district_accepts_over_the_api(
    api, enterprise, enterprise_user, district_user, city_user
):
    response = api.as_user(enterprise_user).post(
        f"{BASE}/applications/",
        {
            "enterprise": enterprise.pk,
            "intention": "愿意参与",
            "plan": "创建计划",
            "lawful_declaration": True,
            "status": "accepted",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending" and len(body["checklist"]) == 4
    again = api.post(
        f"{BASE}/applications/",
        {"enterprise": enterprise.pk, "intention": "再次", "plan": "计划", "lawful_declaration": True},
        format="json",
    )
    assert again.status_code == 409
    assert api.as_user(city_user).post(f"{BASE}/applications/{body['id']}/accept/", {}).status_code == 403
    reject = api.as_user(district_user).post(f"{BASE}/applications/{body['id']}/reject/", {}, format="json")
    assert reject.status_code == 400 and "reason" in reject.json()
    accepted = api.post(f"{BASE}/applications/{body['id']}/accept/", {"note": "同意入库"}, format="json")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    members = api.as_user(enterprise_user).get(f"{BASE}/members/").json()["results"]
    assert [m["enterprise"] for m in members] == [enterprise.pk] and members[0]["status"] == "active"


def test_an_enterprise_cannot_apply_for_another_enterprise(api, enterprise_user, other_enterprise):
    response = api.as_user(enterprise_user).post(
        f"{BASE}/applications/",
        {"enterprise": other_enterprise.pk, "intention": "意愿", "plan": "计划", "lawful_declaration": True},
        format="json",
    )
    assert response.status_code == 400 and "enterprise" in response.json()


def test_a_green_factory_is_refused_with_a_clear_message(api, enterprise, enterprise_user):
    from tests.model_factories import GreenFactoryFactory

    GreenFactoryFactory(enterprise=enterprise)
    response = api.as_user(enterprise_user).post(
        f"{BASE}/applications/",
        {"enterprise": enterprise.pk, "intention": "意愿", "plan": "计划", "lawful_declaration": True},
        format="json",
    )
    assert response.status_code == 400 and "绿色工厂" in response.json()["enterprise"][0]


def test_supervision_records_with_evidence_over_the_api(
    api, member, district_user, enterprise_user, tmp_path, settings
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    evidence = SimpleUploadedFile("监察报告.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    response = api.as_user(district_user).post(
        f"{BASE}/members/{member.pk}/supervision/",
        {"kind": "energy_inspection", "date": "2025-04-02", "note": "年度节能监察", "evidence": evidence},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert response.json()["kind_display"] == "节能监察" and response.json()["evidence"]
    listed = api.as_user(enterprise_user).get(f"{BASE}/members/{member.pk}/supervision/").json()
    assert [r["kind"] for r in listed["results"]] == ["energy_inspection"]
    assert (
        api.post(
            f"{BASE}/members/{member.pk}/supervision/",
            {"kind": "assessment", "date": "2025-04-02"},
            format="json",
        ).status_code
        == 403
    )


def test_levels_are_computed_in_the_background_and_listed(
    api, benchmark, member, district_user, django_capture_on_commit_callbacks
):
    supervise(member, district_user)
    approved_submission(member.enterprise, 2025, excellent_raw())
    api.as_user(district_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"{BASE}/levels/compute/", {"year": 2025}, format="json")
    assert response.status_code == 202, response.content
    job = api.get(f"{BASE}/level-jobs/{response.json()['id']}/").json()
    assert job["status"] == "succeeded" and job["progress"] == 100 and job["standard_version"] == 1
    levels = api.get(f"{BASE}/levels/", {"year": 2025, "level": "B_eligible", "district": "500103"}).json()
    assert levels["count"] == 1
    row = levels["results"][0]
    assert (row["enterprise"], row["year"], row["level"], row["certified_b"]) == (
        member.enterprise_id,
        2025,
        "B_eligible",
        False,
    )
    assert api.get(f"{BASE}/levels/", {"level": "C"}).json()["count"] == 0


def test_the_certification_workflow_over_the_api(
    api, b_member, enterprise_user, district_user, django_capture_on_commit_callbacks
):
    applied = api.as_user(enterprise_user).post(
        f"{BASE}/certifications/", {"enterprise": b_member.enterprise_id, "year": 2025}, format="json"
    )
    assert applied.status_code == 201, applied.content
    cert_id = applied.json()["id"]
    assert api.post(f"{BASE}/certifications/{cert_id}/certify/", {}).status_code == 403
    certified = api.as_user(district_user).post(
        f"{BASE}/certifications/{cert_id}/certify/", {}, format="json"
    )
    assert certified.status_code == 200 and certified.json()["certificate_no"].startswith("渝中区绿工〔")
    level = api.get(f"{BASE}/levels/", {"year": 2025}).json()["results"][0]
    assert level["certified_b"] is True
    recommended = api.get(f"{BASE}/certifications/recommended/").json()
    assert [r["id"] for r in recommended["results"]] == [cert_id]
    assert (
        api.post(f"{BASE}/certifications/{cert_id}/keep/", {"reason": "保留"}, format="json").status_code
        == 409
    )


def test_a_review_closes_with_a_falsification_finding_over_the_api(api, certified, city_user):
    opened = api.as_user(city_user).post(
        f"{BASE}/reviews/",
        {"membership": certified.membership_id, "scope_note": "核查能耗数据"},
        format="json",
    )
    assert opened.status_code == 201, opened.content
    closed = api.post(
        f"{BASE}/reviews/{opened.json()['id']}/close/",
        {"findings": "虚报可再生能源电力", "falsification": True},
        format="json",
    )
    assert closed.status_code == 200 and closed.json()["level_after"] == "C"
    certified.refresh_from_db()
    assert certified.status == "withdrawn"


def test_the_district_report_workflow_over_the_api(api, member, district_user, city_user):
    api.as_user(district_user)
    created = api.post(f"{BASE}/district-reports/", {"year": 2025}, format="json")
    assert created.status_code == 201 and created.json()["figures"]["pool_size"] == 0
    report_id = created.json()["id"]
    assert api.post(f"{BASE}/district-reports/", {"year": 2025}, format="json").status_code == 200
    assert api.post(f"{BASE}/district-reports/{report_id}/submit/").status_code == 400
    edited = api.patch(
        f"{BASE}/district-reports/{report_id}/",
        {"narrative": "年度培育工作情况……", "status": "acknowledged"},
        format="json",
    )
    assert edited.status_code == 200 and edited.json()["status"] == "draft"
    assert api.post(f"{BASE}/district-reports/{report_id}/submit/").json()["status"] == "submitted"
    assert api.post(f"{BASE}/district-reports/{report_id}/acknowledge/").status_code == 403
    api.as_user(city_user)
    missing = api.get(f"{BASE}/district-reports/missing/", {"year": 2025}).json()
    assert "500103" not in {row["code"] for row in missing["results"]} and missing["count"] > 30
    assert api.get(f"{BASE}/district-reports/missing/").status_code == 400
    returned = api.post(
        f"{BASE}/district-reports/{report_id}/return/", {"reason": "请补充数据"}, format="json"
    )
    assert returned.status_code == 200 and returned.json()["status"] == "returned"
    assert "500103" in {
        row["code"] for row in api.get(f"{BASE}/district-reports/missing/", {"year": 2025}).json()["results"]
    }


# --- query counts -------------------------------------------------------------------------------

LIST_ENDPOINTS = [
    "applications",
    "members",
    "members/overdue",
    "standards",
    "levels",
    "level-jobs",
    "certifications",
    "certifications/recommended",
    "reviews",
    "district-reports",
    "district-reports/missing",
]


def _grow(n, report_years, district_user, city_user, yuzhong, capture):  # type: ignore[no-untyped-def]
    """n more members (each with records, data, a review and a pending application), a standard version,
    a level job, certificates for the B-eligible and reports for `report_years`."""
    from tests.model_factories import EnterpriseFactory

    for i in range(n):
        enterprise = EnterpriseFactory(district=yuzhong)
        membership = join(enterprise, district_user, district_user)
        supervise(membership, district_user)
        approved_submission(enterprise, 2025, excellent_raw(40000 + 1000 * i))
        services.irregular_review_open(actor=city_user, membership=membership, scope_note="核查")
        services.pool_application_submit(
            actor=district_user,
            enterprise=EnterpriseFactory(district=yuzhong),
            intention="意愿",
            plan="计划",
            lawful_declaration=True,
        )
    version = services.district_standard_in_force(yuzhong).version
    services.district_standard_new_version(
        actor=district_user, district=yuzhong, parameters={"b_dimension_min": 40 + version}, note="调整"
    )
    compute(district_user, 2025, capture)
    for decision in LevelDecision.objects.filter(
        year=2025, level="B_eligible", membership__certifications=None
    ):
        certification = services.b_certification_apply(
            actor=district_user, enterprise=decision.enterprise, year=2025
        )
        services.b_certification_certify(actor=district_user, certification=certification)
    for year in report_years:
        services.district_report_generate(actor=district_user, district=yuzhong, year=year)


@pytest.mark.parametrize("endpoint", LIST_ENDPOINTS)
def test_list_endpoints_run_a_constant_number_of_queries(
    endpoint, api, benchmark, district_user, city_user, yuzhong, django_capture_on_commit_callbacks
):
    api.as_user(city_user)

    def count() -> int:
        cold_cache()
        with CaptureQueriesContext(connection) as ctx:
            params = {"page_size": 200, **({"year": 2025} if endpoint.endswith("missing") else {})}
            response = api.get(f"{BASE}/{endpoint}/", params)
            assert response.status_code == 200, response.content
        return len(ctx.captured_queries)

    _grow(2, [2024], district_user, city_user, yuzhong, django_capture_on_commit_callbacks)
    small = count()
    _grow(6, [2025, 2026], district_user, city_user, yuzhong, django_capture_on_commit_callbacks)
    assert count() == small


def test_overdue_supervision_lists_members_without_recent_records(api, member, district_user, yuzhong):
    from tests.model_factories import EnterpriseFactory

    visited = join(EnterpriseFactory(district=yuzhong), district_user, district_user)
    supervise(
        visited, district_user, kinds=("energy_inspection",), on=dt.date.today() - dt.timedelta(days=30)
    )
    stale = join(EnterpriseFactory(district=yuzhong), district_user, district_user)
    supervise(stale, district_user, kinds=("assessment",), on=dt.date.today() - dt.timedelta(days=400))
    rows = api.as_user(district_user).get(f"{BASE}/members/overdue/").json()["results"]
    assert {row["id"] for row in rows} == {member.pk, stale.pk}
    assert next(r for r in rows if r["id"] == stale.pk)["has_guidance"] is True
