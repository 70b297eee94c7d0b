"""Grading exports: the recommendation export is the recommendation list of the page and the API."""

from __future__ import annotations

import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from factories.grading import services
from factories.models import GradingRun
from reporting import jobs
from tests.helpers import notice
from tests.model_factories import revoked_title

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(graded_world, city_user, django_capture_on_commit_callbacks) -> GradingRun:
    with django_capture_on_commit_callbacks(execute=True):
        run = services.grading_run_start(actor=city_user, year=2025)
    return services.grading_run_publish(actor=city_user, run=run, **notice())


def exported_names(user, kind: str, filters=None) -> set[str]:  # type: ignore[no-untyped-def]
    job, _ = jobs.export_request(actor=user, kind=kind, filters=filters)
    with job.file.open("rb") as handle:
        sheet = load_workbook(io.BytesIO(handle.read())).active
    return {row[1] for row in sheet.iter_rows(min_row=3, values_only=True)}


def test_the_recommendation_export_drops_a_factory_whose_title_was_revoked(
    city_user, published, graded_world
):
    recommended = set(
        published.results.filter(tier="city", grade__in=["AA", "AAA", "AAAA"]).values_list(
            "enterprise__name", flat=True
        )
    )
    assert recommended and exported_names(city_user, "recommendations") == recommended
    revoked = next(e for e in graded_world if e.name in recommended)
    revoked_title(
        revoked.green_factory, proposer=city_user, revoked_on=timezone.localdate(), reason="弄虚作假"
    )
    assert exported_names(city_user, "recommendations") == recommended - {revoked.name}
    assert revoked.name in exported_names(city_user, "grades")


def test_the_grade_list_exports_what_it_shows_with_its_keyword(client, city_user, published, graded_world):
    one = graded_world[0]
    client.force_login(city_user)
    page = client.get("/factories/grading/grades/", {"q": one.name, "tier": "city"}).content.decode()
    assert 'name="kind" value="grades"' in page
    assert f'name="q" value="{one.name}"' in page and 'name="tier" value="city"' in page
    assert exported_names(city_user, "grades", {"q": one.name, "tier": "city"}) == {one.name}


def test_a_runs_results_export_from_its_page_even_before_publication(
    client, city_user, enterprise_user, graded_world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run = services.grading_run_start(actor=city_user, year=2025)
    run.refresh_from_db()
    assert run.status == "succeeded"
    client.force_login(city_user)
    page = client.get(f"/factories/grading/runs/{run.pk}/").content.decode()
    assert 'name="kind" value="grades"' in page and f'name="run" value="{run.pk}"' in page
    assert exported_names(city_user, "grades", {"run": run.pk}) == {e.name for e in graded_world}
    assert exported_names(city_user, "grades") == set()  # nothing published yet
    # Nobody else sees a draft run's results by naming it.
    enterprise_user.enterprise = graded_world[0]
    enterprise_user.save()
    assert exported_names(enterprise_user, "grades", {"run": run.pk}) == set()


def test_the_recommendation_list_exports_its_year_and_units(client, city_user, published):
    client.force_login(city_user)
    page = client.get("/factories/grading/recommendations/", {"industry": "36"}).content.decode()
    assert 'name="kind" value="recommendations"' in page
    assert 'name="year" value="2025"' in page and 'name="industry" value="36"' in page
