"""Grading over the API: who sees runs, grades and explanation cards; the run through a real worker."""

from __future__ import annotations

import time

import pytest

from factories.grading import services as services
from factories.models import GradingRun
from tests.helpers import notice
from tests.model_factories import final_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(graded_world, city_user, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        run = services.grading_run_start(actor=city_user, year=2025)
    return services.grading_run_publish(actor=city_user, run=run, **notice())


@pytest.fixture
def factory_user(graded_world):  # type: ignore[no-untyped-def]
    from tests.model_factories import UserFactory

    return UserFactory(username="gina", role="enterprise", enterprise=graded_world[0])


def test_a_city_user_starts_a_run_over_the_api_and_sees_its_results(
    api, city_user, graded_world, django_capture_on_commit_callbacks
):
    api.as_user(city_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/grading-runs/", {"year": 2025}, format="json")
    assert response.status_code == 202, response.json()
    run_id = response.json()["id"]
    run = api.get(f"/api/v1/grading-runs/{run_id}/").json()
    assert run["status"] == "succeeded" and run["progress"] == 100 and run["standard"] == "CQ-GF-2024"
    results = api.get(f"/api/v1/grading-runs/{run_id}/results/").json()
    assert results["count"] == 8
    assert {
        "enterprise",
        "grade",
        "computed_grade",
        "level_score",
        "improvement_score",
        "composite_score",
        "peer_group",
        "peer_count",
        "revocation_proposed",
        "reasons",
    } <= set(results["results"][0])


@pytest.mark.parametrize("persona", ["district_user", "enterprise_user"])
def test_runs_are_for_city_staff_and_auditors(api, persona, request, published):
    api.as_user(request.getfixturevalue(persona))
    assert api.get("/api/v1/grading-runs/").json()["count"] == 0
    assert api.get(f"/api/v1/grading-runs/{published.pk}/results/").status_code == 404
    assert api.post("/api/v1/grading-runs/", {"year": 2025}).status_code == 403


def test_auditors_read_runs_but_cannot_start_or_publish(api, auditor, published):
    api.as_user(auditor)
    assert api.get(f"/api/v1/grading-runs/{published.pk}/").status_code == 200
    assert api.post("/api/v1/grading-runs/", {"year": 2025}).status_code == 403
    assert api.post(f"/api/v1/grading-runs/{published.pk}/finalize/").status_code == 403


def test_published_grades_are_scoped(
    api, city_user, district_user, other_district_user, factory_user, published, graded_world
):
    def ids(user):  # type: ignore[no-untyped-def]
        return {
            r["enterprise"]
            for r in api.as_user(user).get("/api/v1/grades/", {"year": 2025}).json()["results"]
        }

    assert ids(city_user) == {e.pk for e in graded_world}
    assert ids(district_user) == {e.pk for e in graded_world[:5]}
    assert ids(other_district_user) == {e.pk for e in graded_world[5:]}
    assert ids(factory_user) == {graded_world[0].pk}


def test_grades_are_not_visible_before_publication(
    api, city_user, graded_world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.grading_run_start(actor=city_user, year=2025)
    assert api.as_user(city_user).get("/api/v1/grades/").json()["count"] == 0


def test_grade_filters(api, city_user, published, graded_world):
    api.as_user(city_user)
    assert api.get("/api/v1/grades/", {"district": "500116"}).json()["count"] == 3
    grades = [r["grade"] for r in api.get("/api/v1/grades/").json()["results"]]
    first = grades[0]
    assert all(r["grade"] == first for r in api.get("/api/v1/grades/", {"grade": first}).json()["results"])


def test_an_enterprise_sees_its_own_explanation_card_only(api, factory_user, published, graded_world):
    api.as_user(factory_user)
    own = api.get("/api/v1/grades/", {"enterprise": graded_world[0].pk}).json()["results"][0]
    card = api.get(f"/api/v1/grades/{own['id']}/explanation/").json()
    assert card["enterprise"] == graded_world[0].pk and card["peer_count"] == 8
    assert len(card["dimensions"]) == 5 and len(card["indicators"]) == 13
    assert {"grade", "c_gap"} <= set(card["next_band"] or {"grade": 0, "c_gap": 0})
    other = published.results.get(enterprise=graded_world[1])
    assert api.get(f"/api/v1/grades/{other.pk}/explanation/").status_code == 404
    assert api.get(f"/api/v1/grades/{other.pk}/").status_code == 404
    # The card carries the factory's own numbers, never a peer's.
    text = str(card)
    assert str(graded_world[1].pk) not in [str(card["enterprise"])] and "重庆汽车部件1厂" not in text


def test_recommendations_list_city_level_factories_graded_aa_or_above(api, city_user, published):
    rows = api.as_user(city_user).get("/api/v1/recommendations/").json()["results"]
    expected = published.results.filter(tier="city", grade__in=["AA", "AAA", "AAAA"]).count()
    assert len(rows) == expected
    assert all(r["grade"] in ("AA", "AAA", "AAAA") and r["tier"] == "city" for r in rows)


def test_incident_confirm_revocation_over_the_api(
    api, city_user, second_city_user, graded_world, django_capture_on_commit_callbacks
):
    api.as_user(city_user)
    incident = api.post(
        "/api/v1/incidents/",
        {
            "enterprise": graded_world[2].pk,
            "kind": "falsification",
            "severity": "general",
            "occurred_on": "2025-04-01",
            "description": "数据造假",
        },
        format="multipart",
    )
    assert incident.status_code == 201, incident.json()
    iid = incident.json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        api.post("/api/v1/grading-runs/", {"year": 2025}, format="json")
    refused = api.post(f"/api/v1/incidents/{iid}/confirm-revocation/", {"note": "确认"})
    assert refused.status_code == 403
    early = api.as_user(second_city_user).post(
        f"/api/v1/incidents/{iid}/confirm-revocation/", {"note": "确认"}
    )
    assert early.status_code == 409 and "评价结果尚未正式发布" in early.json()["detail"]
    final_run(GradingRun.objects.get(year=2025), city_user)
    confirmed = api.as_user(second_city_user).post(
        f"/api/v1/incidents/{iid}/confirm-revocation/", {"note": "确认"}
    )
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    assert api.get(f"/api/v1/enterprises/{graded_world[2].pk}/").json()["sequence"] == "other"


def test_standards_are_public_and_changed_by_the_city_only(api, city_user, district_user):
    listed = api.as_user(district_user).get("/api/v1/grading-standards/").json()["results"]
    assert listed[0]["code"] == "CQ-GF-2024" and listed[0]["parameters"]["alpha"] == 0.7
    assert api.post("/api/v1/grading-standards/", {"parameters": {}}, format="json").status_code == 403
    params = {**listed[0]["parameters"], "min_peer": 6}
    created = api.as_user(city_user).post(
        "/api/v1/grading-standards/",
        {"parameters": params, "name": "修订", "note": "对标组下限6"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["version"] == 2 and created.json()["status"] == "draft"


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_run_on_seeded_data_through_a_real_worker_on_redis(graded_world, city_user):
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    app.conf.task_always_eager = False
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            run = services.grading_run_start(actor=city_user, year=2025)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                run.refresh_from_db()
                if run.status in ("succeeded", "failed"):
                    break
                time.sleep(0.2)
    finally:
        app.conf.task_always_eager = True
    assert run.status == "succeeded", run.error
    assert run.results.count() == 8 and GradingRun.objects.count() == 1
