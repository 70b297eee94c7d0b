"""The summary tables behind the cold pages (issue 19): after the workflow's writes their counts equal the
live counts of the same scope, for every role, on every figure the dashboards and list totals read."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from factories import tallies
from factories.creditcode import make_credit_code
from factories.models import District, Enterprise, GradingResult, RegisterTally
from reporting import tallies as submission_tallies
from reporting.dashboards import selectors as dashboards
from reporting.models import AnnualSubmission, ReportingYear, SubmissionTally
from reporting.services import (
    submission_approve,
    submission_return,
    submission_save_draft,
    submission_submit,
    submission_verify,
)
from tests.model_factories import (
    EnterpriseFactory,
    GreenFactoryFactory,
    district,
    plausible_raw,
    verified_submission,
)
from tests.model_factories import industry as industry_of
from tests.reporting.test_dashboards import publish

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def factory(name: str, unit: str, seed: int, industry: str = "36") -> Enterprise:
    enterprise = EnterpriseFactory(
        name=name,
        district=district(unit),
        industry=industry_of(industry),
        credit_code=make_credit_code("91", unit, f"{seed + 50000000:08d}"),
    )
    GreenFactoryFactory(
        enterprise=enterprise, tier="national" if seed % 3 == 0 else "city", recognized_year=2021
    )
    verified_submission(enterprise, 2024, plausible_raw(seed, 2024))
    return enterprise


def figures(user, year: int) -> dict:  # type: ignore[no-untyped-def]
    return {
        "years": dashboards.dashboard_years(user),
        "register": dashboards.register_counts(user),
        "submissions": dashboards.submission_counts(user, year),
        "completeness": dashboards.completeness_by_district(user, year),
        "grades by unit": dashboards.grades_by_district(user, year),
        "grades by industry": dashboards.grades_by_industry(user, year),
        "trend": dashboards.grade_trend(user),
    }


def same_as_counted(users, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Every figure from the tallies equals the one counted live (the tallies switched off)."""
    for user in users:
        assert tallies.unit_filter(user) is not None, user  # the tallies answer for this role
        for year in (2024, 2025):
            from_tallies = figures(user, year)
            with monkeypatch.context() as patch:
                patch.setattr(tallies, "available", lambda: False)
                counted = figures(user, year)
            assert from_tallies == counted, (user, year)
        assert tallies.enterprise_count(user) == Enterprise.objects.visible_to(user).count()
        assert submission_tallies.submission_count(user) == AnnualSubmission.objects.visible_to(user).count()
        for condition in (
            {"year": 2025},
            {"year": 2024, "status__in": ["city_verified"]},
            {"status__in": ["draft", "submitted"]},
        ):
            assert (
                submission_tallies.submission_count(user, **condition)
                == AnnualSubmission.objects.visible_to(user).filter(**condition).count()
            ), condition
        assert (
            tallies.published_grade_count(user) == GradingResult.objects.visible_to(user).published().count()
        )


@pytest.fixture
def users(city_user, auditor, district_user, other_district_user):  # type: ignore[no-untyped-def]
    return [city_user, auditor, district_user, other_district_user]


def test_the_tallies_equal_the_counted_figures_after_the_workflows_writes(  # type: ignore[no-untyped-def]
    users,
    city_user,
    district_user,
    enterprise,
    enterprise_user,
    open_year,
    good_values,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    ReportingYear.objects.get_or_create(
        year=2024, defaults={"opens_on": dt.date(2025, 1, 1), "closes_on": dt.date(2025, 3, 31)}
    )
    yuzhong = [factory(f"重庆渝中计数{n}厂", "500103", n) for n in range(4)]
    jiangjin = [factory(f"重庆江津计数{n}厂", "500116", 10 + n, industry="34") for n in range(3)]
    same_as_counted(users, monkeypatch)

    # An enterprise files 2025: draft, submit, returned by its district, again, approved, verified.
    draft = submission_save_draft(actor=enterprise_user, enterprise=enterprise, year=2025, values=good_values)
    same_as_counted(users, monkeypatch)
    submitted = submission_submit(actor=enterprise_user, submission=draft)
    same_as_counted(users, monkeypatch)
    returned = submission_return(actor=district_user, submission=submitted, reason="请补充说明能耗变化")
    same_as_counted(users, monkeypatch)
    submitted = submission_submit(actor=enterprise_user, submission=returned)
    approved = submission_approve(actor=district_user, submission=submitted)
    same_as_counted(users, monkeypatch)
    submission_verify(actor=city_user, submission=approved)
    same_as_counted(users, monkeypatch)

    # The city grades 2024 and publishes it.
    publish(city_user, 2024, django_capture_on_commit_callbacks)
    same_as_counted(users, monkeypatch)

    # A factory moves from 渝中 to 江津 with its data, its title and its grades (the scope follows it).
    from factories.services import enterprise_update

    enterprise_update(actor=city_user, enterprise=yuzhong[0], district=district("500116"), reason="搬迁")
    same_as_counted(users, monkeypatch)
    assert tallies.enterprise_count(users[3]) == len(jiangjin) + 1

    # A bulk update that moves a whole unit's enterprises back (no service, no signal: the triggers see it).
    Enterprise.objects.filter(district_id="500116").update(district_id="500103")
    same_as_counted(users, monkeypatch)
    Enterprise.objects.filter(pk__in=[e.pk for e in jiangjin]).update(district_id="500116")
    same_as_counted(users, monkeypatch)

    # Deletes count too, and a write that rolls back leaves the tallies as they were.
    spare = EnterpriseFactory(district=district("500116"))
    same_as_counted(users, monkeypatch)
    spare.delete()
    AnnualSubmission.objects.filter(enterprise=jiangjin[2], year=2024).delete()
    same_as_counted(users, monkeypatch)
    before = (
        list(RegisterTally.objects.values_list("district", "green_status", "tier", "n").order_by("pk")),
        list(SubmissionTally.objects.values_list("district", "year", "status", "n").order_by("pk")),
    )
    with pytest.raises(RuntimeError), transaction.atomic():
        AnnualSubmission.objects.filter(enterprise=jiangjin[0]).update(status="draft")
        Enterprise.objects.filter(pk=jiangjin[1].pk).update(district_id="500103")
        raise RuntimeError("rolled back")
    after = (
        list(RegisterTally.objects.values_list("district", "green_status", "tier", "n").order_by("pk")),
        list(SubmissionTally.objects.values_list("district", "year", "status", "n").order_by("pk")),
    )
    assert before == after
    same_as_counted(users, monkeypatch)
    assert District.objects.filter(code="500116").exists()


def test_an_enterprise_user_and_other_databases_are_counted_live(enterprise_user, city_user, monkeypatch):
    """An enterprise's own rows are counted live; so is everything where the triggers do not exist."""
    assert tallies.unit_filter(enterprise_user) is None
    assert submission_tallies.submission_count(enterprise_user) is None
    monkeypatch.setattr(tallies, "available", lambda: False)
    assert tallies.enterprise_count(city_user) is None


def test_a_cached_page_that_read_a_tally_is_recomputed_when_its_sources_change(  # type: ignore[no-untyped-def]
    client, city_user, district_user, draft, enterprise_user
):
    """The data cache sees the writes to the submissions, not the triggers' writes to the tallies: a page that
    read a tally depends on the tally's sources."""
    from reporting.dashboards.views import STATUS_SHORT
    from reporting.models import SubmissionStatus

    client.force_login(district_user)
    waiting = str(STATUS_SHORT[SubmissionStatus.SUBMITTED])

    def figures() -> tuple[str, str]:
        page = client.get("/reporting/dashboard/", {"year": 2025}).content.decode()
        listed = client.get("/reporting/submissions/").content.decode()
        return page, listed

    before = figures()
    assert f"{waiting} 0" in before[0]
    submission_submit(actor=enterprise_user, submission=draft)
    after = figures()
    assert f"{waiting} 1" in after[0], "the dashboard was served from the cache after the submission changed"
    first = client.get("/factories/enterprises/").content.decode()
    count = Enterprise.objects.visible_to(district_user).count()
    assert f"共 {count} 家企业" in first
    EnterpriseFactory(district=district_user.district)
    assert f"共 {count + 1} 家企业" in client.get("/factories/enterprises/").content.decode()


def test_a_clerks_list_by_year_and_status_shows_the_counted_total(  # type: ignore[no-untyped-def]
    client, district_user, submitted, enterprise, other_enterprise
):
    """The submission list filtered by year and status takes its total from the tally; the total printed is
    the one a COUNT gives, also for a filter the tally cannot answer (a search)."""
    from tests.helpers import cold_cache

    verified_submission(other_enterprise, 2024, plausible_raw(3, 2024))
    client.force_login(district_user)
    visible = AnnualSubmission.objects.visible_to(district_user)
    for params, rows in (
        ({"year": "2025"}, visible.filter(year=2025)),
        ({"year": "2025", "status": "submitted"}, visible.filter(year=2025, status="submitted")),
        (
            {"status": ["submitted", "city_verified"]},
            visible.filter(status__in=["submitted", "city_verified"]),
        ),
        ({"year": "2024", "status": "draft"}, visible.filter(year=2024, status="draft")),
        ({"q": enterprise.name}, visible.filter(enterprise=enterprise)),
        ({"year": "20x5"}, None),
    ):
        cold_cache()
        response = client.get("/reporting/submissions/", params)
        assert response.status_code == 200
        if rows is not None:
            assert response.context["total"] == rows.count(), params
