"""Grading inputs: dates no incident, notice or revocation can have are refused; unusable filters are ignored."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_the_incident_list_ignores_a_year_no_calendar_has(city_user):
    client = Client(raise_request_exception=False)
    client.force_login(city_user)
    assert client.get("/factories/grading/incidents/", {"year": "99999"}).status_code == 200


# --- dates no incident, notice, standard or revocation can have ----------------------------------------


@pytest.mark.parametrize("day", ["0001-01-01", "1999-12-31"])
def test_an_incident_dated_before_the_platform_could_record_one_is_refused(api, city_user, graded_world, day):
    response = api.as_user(city_user).post(
        "/api/v1/incidents/",
        {
            "enterprise": graded_world[2].pk,
            "kind": "safety",
            "severity": "general",
            "occurred_on": day,
            "description": "一般安全事故",
        },
        format="multipart",
    )
    assert response.status_code == 400
    assert "日期应在2000-01-01至" in response.json()["occurred_on"][0]


def test_an_incident_on_the_first_plausible_day_is_recorded(api, city_user, graded_world):
    response = api.as_user(city_user).post(
        "/api/v1/incidents/",
        {
            "enterprise": graded_world[2].pk,
            "kind": "safety",
            "severity": "general",
            "occurred_on": "2000-01-01",
            "description": "一般安全事故",
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()


@pytest.fixture
def finished_run(graded_world, city_user, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    from factories.grading import services

    with django_capture_on_commit_callbacks(execute=True):
        return services.grading_run_start(actor=city_user, year=2025)


@pytest.mark.parametrize(
    ("notice_from", "notice_to", "field"),
    [("0001-01-01", "2026-12-07", "notice_from"), ("2026-12-01", "9999-12-31", "notice_to")],
)
def test_a_notice_period_no_one_could_see_is_refused(
    api, city_user, finished_run, notice_from, notice_to, field
):
    from factories.models import GradingRun

    response = api.as_user(city_user).post(
        f"/api/v1/grading-runs/{finished_run.pk}/publish/",
        {"notice_from": notice_from, "notice_to": notice_to},
        format="json",
    )
    assert response.status_code == 400
    assert "日期应在" in response.json()[field][0]
    assert GradingRun.objects.get(pk=finished_run.pk).status == "succeeded"


def test_a_standard_adopted_from_year_one_is_refused(city_user, db):
    import datetime as dt

    from accounts.errors import InvalidInput
    from factories.grading.services import grading_standard_adopt, grading_standard_new_version
    from factories.models import GradingStandard

    draft = grading_standard_new_version(
        actor=city_user, base=GradingStandard.objects.get(code="CQ-GF-2024", version=1)
    )
    with pytest.raises(InvalidInput) as error:
        grading_standard_adopt(actor=city_user, standard=draft, valid_from=dt.date(1, 1, 1))
    assert "日期应在" in str(error.value.field_errors["valid_from"][0])


@pytest.mark.parametrize("day", [(1, 1, 1), (9999, 12, 31)])
def test_a_revocation_dated_outside_the_title_s_life_is_refused_not_a_server_error(
    city_user, graded_world, day
):
    import datetime as dt

    from accounts.errors import InvalidInput
    from factories.models import GreenFactory
    from factories.services import revocation_propose

    factory = GreenFactory.objects.get(enterprise=graded_world[0])
    with pytest.raises(InvalidInput) as error:
        revocation_propose(actor=city_user, factory=factory, revoked_on=dt.date(*day), reason="重大安全事故")
    assert "日期应在2021-01-01至" in str(error.value.field_errors["revoked_on"][0])
    assert GreenFactory.objects.get(pk=factory.pk).status == "active"


def test_a_unit_merged_from_year_one_is_refused(city_user, yuzhong, jiangjin):
    import datetime as dt

    from accounts.errors import InvalidInput
    from factories.services import district_merge

    with pytest.raises(InvalidInput) as error:
        district_merge(actor=city_user, unit=yuzhong, successor=jiangjin, effective_on=dt.date(1, 1, 1))
    assert "日期应在" in str(error.value.field_errors["effective_on"][0])
