"""The yearly cycle as the city runs it (Art. 7, 8, 9): official runs wait for the data, simulations never
reach an enterprise, a notice (公示) cannot be backdated, cut short or skipped, and a year has one current
result."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification
from factories.grading import services
from factories.models import GradingRun, Incident, RevocationProposal
from reporting.models import AnnualSubmission, ReportingYear
from tests.helpers import notice, notice_elapsed
from tests.model_factories import UserFactory

pytestmark = pytest.mark.django_db

RUNS_API = "/api/v1/grading-runs/"
START = reverse("factories:run_start")


def text(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.decode()


def open_window(year: int) -> ReportingYear:
    today = timezone.localdate()
    ReportingYear.objects.filter(year=year).update(
        opens_on=today - dt.timedelta(days=30), closes_on=today + dt.timedelta(days=30)
    )
    return ReportingYear.objects.get(year=year)


def under_review(enterprise, status: str = "district_approved") -> None:  # type: ignore[no-untyped-def]
    AnnualSubmission.objects.filter(enterprise=enterprise, year=2025).update(status=status)


@pytest.fixture
def gina(graded_world):  # type: ignore[no-untyped-def]
    """The user of graded_world[0], an enterprise that is graded in every run."""
    return UserFactory(username="gina", role="enterprise", enterprise=graded_world[0])


def start(api, user, capture, **body):  # type: ignore[no-untyped-def]
    api.as_user(user)
    with capture(execute=True):
        return api.post(RUNS_API, {"year": 2025, **body}, format="json")


# --- 1. official runs wait for the data -------------------------------------------------------------


def test_an_official_run_is_refused_while_the_reporting_window_is_open(
    api, city_user, graded_world, django_capture_on_commit_callbacks
):
    window = open_window(2025)
    response = start(api, city_user, django_capture_on_commit_callbacks)
    assert response.status_code == 409
    assert str(window.closes_on) in text(response) and "预评价" in text(response)
    assert not GradingRun.objects.exists()


def test_an_official_run_of_a_year_never_opened_for_reporting_is_refused(
    api, city_user, graded_world, django_capture_on_commit_callbacks
):
    ReportingYear.objects.filter(year=2025).delete()
    response = start(api, city_user, django_capture_on_commit_callbacks)
    assert response.status_code == 409 and "尚未开放数据填报" in text(response)


def test_a_simulation_runs_while_the_window_is_open_and_is_marked_and_never_published(
    api, city_user, graded_world, django_capture_on_commit_callbacks
):
    open_window(2025)
    Incident.objects.create(
        enterprise=graded_world[1],
        kind="falsification",
        severity="general",
        occurred_on=dt.date(2025, 4, 1),
        description="数据造假",
        recorded_by=city_user,
    )
    response = start(api, city_user, django_capture_on_commit_callbacks, is_simulation=True)
    assert response.status_code == 202, response.json()
    body = api.get(f"{RUNS_API}{response.json()['id']}/").json()
    assert body["is_simulation"] and body["kind"] == "预评价/模拟" and body["status"] == "succeeded"
    assert body["standard"] == "CQ-GF-2024"  # the adopted standard by default
    assert not RevocationProposal.objects.exists()  # a simulation proposes nothing
    publish = api.post(f"{RUNS_API}{body['id']}/publish/", notice(), format="json")
    assert publish.status_code == 409 and "预评价（模拟）的结果不能发布" in text(publish)


def test_data_still_under_review_stops_the_start_until_the_city_confirms_with_a_reason(
    api, city_user, graded_world, yuzhong, jiangjin, django_capture_on_commit_callbacks
):
    under_review(graded_world[0])
    under_review(graded_world[1], "submitted")
    under_review(graded_world[6])
    refused = start(api, city_user, django_capture_on_commit_callbacks)
    assert refused.status_code == 409
    assert (
        "3家" in text(refused)
        and f"{yuzhong.name}2家" in text(refused)
        and f"{jiangjin.name}1家" in text(refused)
    )
    no_reason = start(api, city_user, django_capture_on_commit_callbacks, confirm_pending=True)
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    assert not GradingRun.objects.exists()
    confirmed = start(
        api,
        city_user,
        django_capture_on_commit_callbacks,
        confirm_pending=True,
        reason="市政府要求月底前公布",
    )
    assert confirmed.status_code == 202, confirmed.json()
    body = confirmed.json()
    assert body["pending_total"] == 3 and body["pending_reason"] == "市政府要求月底前公布"
    assert body["data_counts"]["verified"] == 5 and body["data_counts"]["pending"] == 3
    assert {row["district"]: row["count"] for row in body["data_counts"]["pending_by_district"]} == {
        yuzhong.name: 2,
        jiangjin.name: 1,
    }


def test_the_start_page_shows_the_data_situation_and_takes_the_confirmation_and_reason(
    client, city_user, graded_world, django_capture_on_commit_callbacks
):
    under_review(graded_world[0])
    client.force_login(city_user)
    form = text(client.get(START))
    assert 'id="readiness"' in form and "审核中" in form and "确认在审核未完成时开始评价" in form
    refused = client.post(START, {"year": "2025"})
    assert refused.status_code == 200 and "1家绿色工厂的数据在审核中" in text(refused)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(START, {"year": "2025", "confirm_pending": "on", "reason": "按期公布"})
    run = GradingRun.objects.get()
    assert response.status_code == 302 and run.pending_total == 1
    html = text(client.get(reverse("factories:run_detail", args=[run.pk])))
    assert 'id="start-counts"' in html and "审核中 1 家" in html and "按期公布" in html


# --- 2. enterprises see published grades only ------------------------------------------------------


def test_an_enterprise_sees_nothing_of_a_draft_or_a_simulation(
    api, client, city_user, gina, graded_world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        draft = services.grading_run_start(actor=city_user, year=2025)
        simulation = services.grading_run_start(actor=city_user, year=2025, simulation=True)
    api.as_user(gina)
    assert api.get("/api/v1/grades/").json()["count"] == 0
    assert api.get(f"{RUNS_API}{draft.pk}/").status_code == 404
    assert api.get(f"{RUNS_API}{simulation.pk}/results/").status_code == 404
    client.force_login(gina)
    mine = text(client.get(reverse("factories:my_grades")))
    for run in (draft, simulation):
        result = run.results.get(enterprise=graded_world[0])
        assert reverse("factories:explanation", args=[result.pk]) not in mine
        assert client.get(reverse("factories:explanation", args=[result.pk])).status_code == 404
    assert not Notification.objects.filter(user=gina).exists()
    services.grading_run_publish(actor=city_user, run=draft, **notice())
    grades = api.get("/api/v1/grades/").json()
    assert grades["count"] == 1 and grades["results"][0]["year"] == 2025
    assert Notification.objects.filter(user=gina, kind="grade_published").count() == 1


# --- 3. a notice that cannot be skipped --------------------------------------------------------------


@pytest.fixture
def finished(graded_world, city_user, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        return services.grading_run_start(actor=city_user, year=2025)


def test_a_backdated_notice_is_refused(api, city_user, finished):
    today = timezone.localdate()
    response = api.as_user(city_user).post(
        f"{RUNS_API}{finished.pk}/publish/",
        {"notice_from": today - dt.timedelta(days=11), "notice_to": today - dt.timedelta(days=4)},
        format="json",
    )
    assert response.status_code == 400 and "不能早于今天" in response.json()["notice_from"][0]
    finished.refresh_from_db()
    assert finished.status == "succeeded"


def test_a_notice_shorter_than_the_standard_requires_is_refused(api, city_user, finished):
    response = api.as_user(city_user).post(f"{RUNS_API}{finished.pk}/publish/", notice(days=6), format="json")
    assert response.status_code == 400 and "不少于7天" in response.json()["notice_to"][0]
    assert "notice_from" not in response.json()
    assert api.post(f"{RUNS_API}{finished.pk}/publish/", notice(days=7), format="json").status_code == 200


def test_the_notice_length_is_a_parameter_of_the_standard(city_user, finished):
    from accounts.errors import InvalidInput

    parameters = {**finished.standard.parameters, "notice_days": 10}
    draft = services.grading_standard_new_version(
        actor=city_user, base=finished.standard, parameters=parameters
    )
    assert draft.parameters["notice_days"] == 10
    with pytest.raises(InvalidInput):
        services.grading_standard_new_version(
            actor=city_user, base=finished.standard, parameters={**parameters, "notice_days": 0}
        )


def test_finalising_before_the_notice_ends_is_refused(api, city_user, finished):
    api.as_user(city_user).post(f"{RUNS_API}{finished.pk}/publish/", notice(), format="json")
    response = api.post(f"{RUNS_API}{finished.pk}/finalize/")
    assert response.status_code == 409 and "公示期满后" in text(response)
    notice_elapsed(finished)
    assert api.post(f"{RUNS_API}{finished.pk}/finalize/").json()["status"] == "final"


def test_a_notice_starting_later_is_announced_on_its_first_day_once(
    api, city_user, gina, finished, time_machine
):
    from factories.grading.tasks import announce_notices

    time_machine.move_to(dt.datetime(2026, 12, 1, 2, 0))  # 10:00 in Chongqing
    services.grading_run_publish(
        actor=city_user, run=finished, notice_from=dt.date(2026, 12, 4), notice_to=dt.date(2026, 12, 10)
    )
    assert announce_notices() == []
    assert not Notification.objects.filter(user=gina).exists()
    assert api.as_user(gina).get("/api/v1/grades/").json()["count"] == 0  # not before the notice starts
    time_machine.move_to(dt.datetime(2026, 12, 4, 1, 0))
    assert announce_notices() == [finished.pk]
    assert announce_notices() == []
    assert Notification.objects.filter(user=gina, kind="grade_published").count() == 1
    assert api.get("/api/v1/grades/").json()["count"] == 1


# --- 4. one current result per year ------------------------------------------------------------------


def test_an_older_run_cannot_be_published_over_a_newer_one(
    api, city_user, graded_world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        older = services.grading_run_start(actor=city_user, year=2025)
    with django_capture_on_commit_callbacks(execute=True):
        newer = services.grading_run_start(actor=city_user, year=2025)
    api.as_user(city_user)
    assert api.post(f"{RUNS_API}{newer.pk}/publish/", notice(), format="json").status_code == 200
    response = api.post(f"{RUNS_API}{older.pk}/publish/", notice(), format="json")
    assert response.status_code == 409 and f"#{newer.pk}" in text(response)
    older.refresh_from_db()
    newer.refresh_from_db()
    assert older.status == "succeeded" and newer.status == "published"


def test_a_newer_publication_supersedes_the_older_and_shows_who_moved_and_why(
    api, client, city_user, gina, graded_world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = services.grading_run_start(actor=city_user, year=2025)
    services.grading_run_publish(actor=city_user, run=first, **notice())
    services.grading_run_finalize(actor=city_user, run=notice_elapsed(first))
    target = next(r for r in first.results.select_related("enterprise") if r.grade != "A")
    Incident.objects.create(
        enterprise_id=target.enterprise_id,
        kind="safety",
        severity="large",
        occurred_on=dt.date(2025, 5, 1),
        description="较大安全事故",
        recorded_by=city_user,
    )
    with django_capture_on_commit_callbacks(execute=True):
        second = services.grading_run_start(actor=city_user, year=2025)
    services.grading_run_publish(actor=city_user, run=second, **notice())
    first.refresh_from_db()
    assert first.status == "superseded" and first.superseded_by_id == second.pk
    api.as_user(city_user)
    assert api.get(f"{RUNS_API}{first.pk}/").json()["status"] == "superseded"  # kept, readable
    assert api.get(f"{RUNS_API}{first.pk}/results/").json()["count"] == 8
    diff = api.get(f"{RUNS_API}{second.pk}/diff/").json()
    assert diff["base_run"] == first.pk
    assert [(m["enterprise"], m["from"], m["to"], m["causes"]) for m in diff["moves"]] == [
        (target.enterprise_id, target.grade, "A", ["incident"])
    ]
    client.force_login(city_user)
    html = text(client.get(reverse("factories:run_detail", args=[second.pk])))
    assert f"与被本评价替代的 #{first.pk} 相比" in html and "事故与违规" in html
    assert "已被替代" in text(client.get(reverse("factories:run_detail", args=[first.pk])))
    # Enterprises, recommendations and exports read the current run only.
    api.as_user(gina)
    grades = api.get("/api/v1/grades/").json()["results"]
    own = second.results.get(enterprise=graded_world[0])
    assert [(g["id"], g["status"]) for g in grades] == [(own.pk, "published")]


def test_a_superseded_run_s_pending_proposals_end_with_it_and_free_the_factory(
    city_user, graded_world, django_capture_on_commit_callbacks
):
    from factories.models import GreenFactory
    from factories.services import revocation_propose

    with django_capture_on_commit_callbacks(execute=True):
        first = services.grading_run_start(actor=city_user, year=2025)
    services.grading_run_publish(actor=city_user, run=first, **notice())
    factory = GreenFactory.objects.filter(status="active").first()
    pending = RevocationProposal.objects.create(
        run=first, enterprise_id=factory.enterprise_id, reason="fraud"
    )
    with django_capture_on_commit_callbacks(execute=True):
        second = services.grading_run_start(actor=city_user, year=2025)
    services.grading_run_publish(actor=city_user, run=second, **notice())
    pending.refresh_from_db()
    assert (pending.status, pending.decided_by) == ("dismissed", city_user)
    assert f"#{second.pk}" in pending.decision_note
    # The factory is no longer held by a proposal nobody may confirm.
    proposal = revocation_propose(
        actor=city_user, factory=factory, revoked_on=timezone.localdate(), reason="弄虚作假"
    )
    assert proposal.status == "proposed"
