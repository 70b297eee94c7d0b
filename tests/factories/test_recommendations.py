"""The national-level recommendation list (Art. 8) is one selector: the page, the API and the export agree,
and none of them lists a factory whose title was revoked or on which a revocation proposal still waits."""

from __future__ import annotations

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from factories.grading import services
from factories.models import GreenFactory, ProposalStatus, RevocationProposal
from reporting import jobs
from tests.helpers import notice
from tests.model_factories import revoked_title

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(graded_world, city_user, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        run = services.grading_run_start(actor=city_user, year=2025)
    return services.grading_run_publish(actor=city_user, run=run, **notice())


def on_page(client, user, names: set[str]) -> set[str]:  # type: ignore[no-untyped-def]
    client.force_login(user)
    response = client.get(reverse("factories:recommendation_list"))
    assert response.status_code == 200
    html = response.content.decode()
    return {name for name in names if name in html}


def in_api(api, user) -> set[str]:  # type: ignore[no-untyped-def]
    response = api.as_user(user).get("/api/v1/recommendations/", {"page_size": 500})
    assert response.status_code == 200
    return {row["enterprise_name"] for row in response.json()["results"]}


def in_export(user, names: set[str]) -> set[str]:  # type: ignore[no-untyped-def]
    job, _ = jobs.export_request(actor=user, kind="recommendations")
    assert job.status == "succeeded"
    with job.file.open("rb") as handle:
        book = openpyxl.load_workbook(handle, read_only=True)
        cells = {cell for row in book.active.iter_rows(values_only=True) for cell in row if cell}
    return names & cells


def test_page_api_and_export_list_the_same_factories_after_a_revocation(
    client, api, city_user, published, graded_world
):
    names = {e.name for e in graded_world}
    before = on_page(client, city_user, names)
    assert len(before) >= 2, "the graded world must put at least two factories on the list"
    assert in_api(api, city_user) == before == in_export(city_user, names)

    revoked, waiting = sorted(before)[:2]
    factory = GreenFactory.objects.get(enterprise__name=revoked)
    revoked_title(factory, proposer=city_user, revoked_on=timezone.localdate(), reason="弄虚作假")
    RevocationProposal.objects.create(
        run=published,
        enterprise=next(e for e in graded_world if e.name == waiting),
        reason="incident",
        status=ProposalStatus.PROPOSED,
    )

    after = on_page(client, city_user, names)
    assert after == before - {revoked, waiting}
    assert in_api(api, city_user) == after
    assert in_export(city_user, names) == after


def test_a_dismissed_proposal_puts_the_factory_back_on_the_list(
    client, api, city_user, published, graded_world
):
    names = {e.name for e in graded_world}
    before = on_page(client, city_user, names)
    name = sorted(before)[0]
    proposal = RevocationProposal.objects.create(
        run=published,
        enterprise=next(e for e in graded_world if e.name == name),
        reason="incident",
        status=ProposalStatus.PROPOSED,
    )
    assert name not in in_api(api, city_user)
    RevocationProposal.objects.filter(pk=proposal.pk).update(
        status=ProposalStatus.DISMISSED, decided_by=city_user, decided_at=timezone.now()
    )
    assert in_api(api, city_user) == before == on_page(client, city_user, names)
