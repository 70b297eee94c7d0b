"""The reporting API: visibility per role, workflow actions, indicators, mass-assignment guard, query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reporting.models import AnnualSubmission
from tests.helpers import cold_cache

pytestmark = pytest.mark.django_db


@pytest.fixture
def jiangjin_submission(open_year, other_district_user, jiangjin_enterprise, good_values):  # type: ignore[no-untyped-def]
    from reporting.services import submission_save_draft

    return submission_save_draft(
        actor=other_district_user, enterprise=jiangjin_enterprise, year=2025, values=good_values
    )


@pytest.fixture
def two_districts(draft, jiangjin_submission):  # type: ignore[no-untyped-def]
    return {"yuzhong": draft, "jiangjin": jiangjin_submission}


@pytest.mark.parametrize(
    ("persona", "visible"),
    [
        ("city_user", {"yuzhong", "jiangjin"}),
        ("auditor", {"yuzhong", "jiangjin"}),
        ("district_user", {"yuzhong"}),
        ("other_district_user", {"jiangjin"}),
        ("enterprise_user", {"yuzhong"}),
        ("other_enterprise_user", set()),
    ],
)
def test_each_role_sees_only_its_own_submissions(persona, visible, request, api, two_districts):
    user = request.getfixturevalue(persona)
    api.as_user(user)
    ids = {row["id"] for row in api.get("/api/v1/submissions/").json()["results"]}
    assert ids == {two_districts[key].pk for key in visible}
    for key, submission in two_districts.items():
        detail = api.get(f"/api/v1/submissions/{submission.pk}/")
        assert detail.status_code == (200 if key in visible else 404)
        indicators = api.get(f"/api/v1/submissions/{submission.pk}/indicators/")
        assert indicators.status_code == (200 if key in visible else 404)


def test_an_enterprise_fills_and_submits_through_the_api(
    api, enterprise_user, enterprise, open_year, good_values
):
    api.as_user(enterprise_user)
    created = api.post(
        "/api/v1/submissions/", {"enterprise": enterprise.pk, "year": 2025, **good_values}, format="json"
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["status"] == "draft" and body["site_area"] == "20000" and body["oil_products"] == "20"
    submitted = api.post(f"/api/v1/submissions/{body['id']}/submit/")
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"


def test_numbers_may_be_sent_as_json_numbers_and_come_back_as_strings(
    api, enterprise_user, enterprise, open_year
):
    api.as_user(enterprise_user)
    body = api.post(
        "/api/v1/submissions/",
        {"enterprise": enterprise.pk, "year": 2025, "site_area": 1234.5, "coal": 0},
        format="json",
    ).json()
    assert body["site_area"] == "1234.5" and body["coal"] == "0" and body["cod"] is None


def test_status_enterprise_and_year_cannot_be_mass_assigned(api, enterprise_user, draft, other_enterprise):
    api.as_user(enterprise_user)
    response = api.patch(
        f"/api/v1/submissions/{draft.pk}/",
        {"status": "city_verified", "year": 2020, "enterprise": other_enterprise.pk, "cod": "1"},
        format="json",
    )
    assert response.status_code == 200
    draft.refresh_from_db()
    assert (draft.status, draft.year, draft.enterprise_id) == ("draft", 2025, enterprise_user.enterprise_id)
    assert draft.raw_values["cod"] == "1"


def test_an_enterprise_cannot_create_data_for_another_enterprise(
    api, enterprise_user, other_enterprise, open_year
):
    response = api.as_user(enterprise_user).post(
        "/api/v1/submissions/", {"enterprise": other_enterprise.pk, "year": 2025}, format="json"
    )
    assert response.status_code == 400
    assert "enterprise" in response.json()


def test_validation_errors_come_back_per_field_in_chinese(api, enterprise_user, enterprise, open_year):
    response = api.as_user(enterprise_user).post(
        "/api/v1/submissions/",
        {"enterprise": enterprise.pk, "year": 2025, "site_area": "100", "footprint_area": "200", "cod": "x"},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert "不能大于用地面积" in body["footprint_area"][0]
    assert "无法识别" in body["cod"][0]
    assert not AnnualSubmission.objects.exists()


def test_return_needs_a_reason_over_the_api(api, district_user, submitted):
    api.as_user(district_user)
    refused = api.post(f"/api/v1/submissions/{submitted.pk}/return/", {}, format="json")
    assert refused.status_code == 400 and "reason" in refused.json()
    done = api.post(f"/api/v1/submissions/{submitted.pk}/return/", {"reason": "请补充"}, format="json")
    assert done.json()["status"] == "draft" and done.json()["return_reason"] == "请补充"


def test_a_state_conflict_answers_409_not_500(api, district_user, approved):
    response = api.as_user(district_user).post(f"/api/v1/submissions/{approved.pk}/approve/")
    assert response.status_code == 409
    assert "当前状态" in response.json()["detail"]


def test_a_refused_role_answers_403(api, enterprise_user, submitted):
    assert (
        api.as_user(enterprise_user).post(f"/api/v1/submissions/{submitted.pk}/approve/").status_code == 403
    )


def test_the_whole_chain_over_the_api(api, enterprise_user, district_user, city_user, submitted):
    assert api.as_user(district_user).post(f"/api/v1/submissions/{submitted.pk}/approve/").status_code == 200
    verified = api.as_user(city_user).post(f"/api/v1/submissions/{submitted.pk}/verify/")
    assert verified.json()["status"] == "city_verified"
    indicators = {
        row["code"]: row
        for row in api.as_user(enterprise_user).get(f"/api/v1/submissions/{submitted.pk}/indicators/").json()
    }
    assert indicators["LI-02"] == {
        "code": "LI-02",
        "name": "建筑密度",
        "name_en": "Building density",
        "dimension": "land",
        "dimension_name": "用地集约化",
        "direction": "up",
        "evidence_required": False,
        "same_as": "",
        "value": "60.000000",
        "unit": "%",
        "unit_en": "%",
        "status": "ok",
    }


def test_indicators_report_not_applicable_and_not_reported(api, enterprise_user, enterprise, open_year):
    from reporting.services import submission_save_draft

    draft = submission_save_draft(
        actor=enterprise_user,
        enterprise=enterprise,
        year=2025,
        values={
            "site_area": "1000",
            "output_value": "500",
            "wastewater_treated": "0",
            "wastewater_reused": "0",
            "solid_waste": "10",
        },
    )
    rows = {
        r["code"]: r
        for r in api.as_user(enterprise_user).get(f"/api/v1/submissions/{draft.pk}/indicators/").json()
    }
    assert rows["WR-03"]["status"] == "not_applicable" and rows["WR-03"]["value"] is None
    assert rows["WR-02"]["status"] == "not_reported"
    assert rows["LI-03"] == {**rows["LI-03"], "status": "ok", "value": "333.335000"}  # 500 / (1000 / 666.67)


def test_reporting_years_are_opened_by_the_city_only(api, city_user, district_user, enterprise_user):
    payload = {"year": 2025, "opens_on": "2026-03-01", "closes_on": "2026-05-31"}
    assert api.as_user(district_user).post("/api/v1/reporting-years/", payload).status_code == 403
    assert api.as_user(enterprise_user).post("/api/v1/reporting-years/", payload).status_code == 403
    created = api.as_user(city_user).post("/api/v1/reporting-years/", payload)
    assert created.status_code == 201
    assert (
        api.as_user(enterprise_user).get("/api/v1/reporting-years/2025/").json()["closes_on"] == "2026-05-31"
    )
    bad = api.as_user(city_user).post(
        "/api/v1/reporting-years/", {"year": 2024, "opens_on": "2026-05-01", "closes_on": "2026-03-01"}
    )
    assert bad.status_code == 400 and "截止日期不能早于开始日期" in bad.json()["closes_on"][0]


def test_corrections_over_the_api(api, enterprise_user, city_user, other_enterprise_user, verified):
    created = api.as_user(enterprise_user).post(
        "/api/v1/corrections/",
        {"submission": verified.pk, "reason": "产值更正", "new_values": {"output_value": "55000"}},
        format="json",
    )
    assert created.status_code == 201, created.json()
    cid = created.json()["id"]
    assert api.as_user(other_enterprise_user).get(f"/api/v1/corrections/{cid}/").status_code == 404
    assert api.as_user(enterprise_user).post(f"/api/v1/corrections/{cid}/approve/").status_code == 403
    approved = api.as_user(city_user).post(f"/api/v1/corrections/{cid}/approve/", {"reason": "同意"})
    assert approved.json()["status"] == "approved"
    assert api.get(f"/api/v1/submissions/{verified.pk}/").json()["version"] == 2


def test_notifications_are_private(api, enterprise_user, other_enterprise_user, verified):
    own = api.as_user(enterprise_user).get("/api/v1/notifications/").json()["count"]
    assert own >= 2
    assert api.as_user(other_enterprise_user).get("/api/v1/notifications/").json()["count"] == 0


def _make_submissions(n: int, year: int, city_user) -> None:  # type: ignore[no-untyped-def]
    from tests.model_factories import EnterpriseFactory

    rows = [
        AnnualSubmission(
            enterprise=EnterpriseFactory(), year=year, district_id="500103", raw_values={"site_area": "1"}
        )
        for _ in range(n)
    ]
    AnnualSubmission.objects.bulk_create(rows)


@pytest.mark.parametrize(
    "endpoint",
    [
        "/api/v1/submissions/",
        "/api/v1/enterprises/",
        "/api/v1/green-factories/",
        "/api/v1/corrections/",
        "/api/v1/reporting-years/",
    ],
)
def test_list_endpoints_run_a_constant_number_of_queries(api, city_user, endpoint):
    from tests.model_factories import GreenFactoryFactory

    api.as_user(city_user)

    def count() -> int:
        cold_cache()
        with CaptureQueriesContext(connection) as ctx:
            assert api.get(endpoint, {"page_size": 200}).status_code == 200
        return len(ctx.captured_queries)

    _make_submissions(3, 2025, city_user)
    GreenFactoryFactory.create_batch(3)
    small = count()
    _make_submissions(30, 2024, city_user)
    GreenFactoryFactory.create_batch(30)
    assert count() == small


def _annotate(rows, author, named):  # type: ignore[no-untyped-def]
    """Give each submission a file, a revision note and a copied flag naming `named`."""
    from reporting.models import SubmissionEvidence, SubmissionFieldNote

    for row in rows:
        SubmissionEvidence.objects.create(
            submission=row,
            field="site_area",
            file="evidence/submissions/plan.pdf",
            filename=f"用地证明{row.pk}.pdf",
            size=1234,
            sha256="a" * 64,
            uploaded_by=author,
        )
        SubmissionFieldNote.objects.create(
            submission=row, field="site_area", note="请核对用地面积", status="submitted", author=author
        )
        row.anomaly_flags = [
            {
                "kind": "copied",
                "field_or_indicator": "raw_values",
                "figures": {"other_submission": named.pk, "other_enterprise": named.enterprise.name},
                "dismissed": None,
            }
        ]
        row.save(update_fields=["anomaly_flags"])


def test_a_reviewer_lists_files_notes_and_copied_flags_of_30_submissions_with_as_many_queries_as_of_1(  # type: ignore[no-untyped-def]
    api, district_user, city_user, jiangjin_submission
):
    """Each row's files, notes and the other submission its copied flag names are read once for the page,
    and the flag still names only a submission the reviewer may see."""
    api.as_user(district_user)
    _make_submissions(31, 2024, city_user)
    rows = list(AnnualSubmission.objects.filter(district_id="500103").order_by("pk"))
    own = rows[0]

    def listed() -> tuple[int, list[dict]]:  # type: ignore[type-arg]
        cold_cache()
        with CaptureQueriesContext(connection) as ctx:
            response = api.get("/api/v1/submissions/", {"page_size": 200})
        assert response.status_code == 200
        return len(ctx.captured_queries), response.json()["results"]

    _annotate(rows[1:2], city_user, own)
    one, _results = listed()
    _annotate(rows[2:16], city_user, own)
    _annotate(rows[16:], city_user, jiangjin_submission)
    many, results = listed()
    assert many == one
    by_id = {r["id"]: r for r in results}
    assert [e["filename"] for e in by_id[rows[20].pk]["evidence"]] == [f"用地证明{rows[20].pk}.pdf"]
    assert by_id[rows[20].pk]["evidence"][0]["download_url"].endswith(
        f"/api/v1/submissions/{rows[20].pk}/evidence/{by_id[rows[20].pk]['evidence'][0]['id']}/download/"
    )
    assert [n["note"] for n in by_id[rows[20].pk]["field_notes"]] == ["请核对用地面积"]
    assert own.enterprise.name in by_id[rows[5].pk]["anomaly_flags"][0]["message"]
    hidden = by_id[rows[20].pk]["anomaly_flags"][0]
    assert "另一区县的一家企业" in hidden["message"]
    assert jiangjin_submission.enterprise.name not in str(hidden)
