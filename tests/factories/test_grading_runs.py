"""Grading runs: stored numbers, idempotency, publication, revocation confirmation, isolation of cards."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.errors import InvalidInput, NotAllowed, StateConflict
from factories.grading import services as services
from factories.grading.services import execute_run
from factories.models import (
    Enterprise,
    GradingResult,
    GradingRun,
    GradingStandard,
    GreenFactory,
    RevocationProposal,
)
from factories.services import ban_end
from tests.helpers import notice, notice_elapsed
from tests.model_factories import final_run

pytestmark = pytest.mark.django_db


def _run(city_user, year=2025, **kwargs):  # type: ignore[no-untyped-def]
    run = services.grading_run_start(actor=city_user, year=year, **kwargs)
    run.refresh_from_db()
    return run


def _worker_died(run, **fields):  # type: ignore[no-untyped-def]
    """The run as a killed worker leaves it: running, with its last heartbeat long ago."""
    from django.utils import timezone

    GradingRun.objects.filter(pk=run.pk).update(
        status="running", heartbeat_at=timezone.now() - dt.timedelta(minutes=10), **fields
    )


def _snapshot(run):  # type: ignore[no-untyped-def]
    return sorted(
        GradingResult.objects.filter(run=run).values_list(
            "enterprise_id",
            "grade",
            "computed_grade",
            "level_score",
            "improvement_score",
            "composite_score",
            "q",
            "peer_group",
            "peer_count",
            "reasons",
            "details",
        )
    )


def test_a_run_grades_the_whole_population_and_stores_every_number(
    graded_world, city_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run = services.grading_run_start(actor=city_user, year=2025)
    run.refresh_from_db()
    assert run.status == "succeeded" and run.total == 8 and run.done == 8 and run.progress == 100
    assert len(run.input_hash) == 64
    results = {r.enterprise_id: r for r in run.results.all()}
    assert set(results) == {e.pk for e in graded_world}
    first = results[graded_world[0].pk]
    assert first.peer_group == "36" and first.peer_count == 8
    assert set(first.details["percentiles"]) >= {"LI-01", "EL-03"}
    assert set(first.details["dimension_scores"]) == {"land", "materials", "clean", "waste", "energy"}
    assert first.composite_score is not None and first.improvement_score is not None
    assert results[graded_world[7].pk].grade == "A"  # recognised in 2025: first year (Art. 7)
    assert results[graded_world[7].pk].decided_by == "FIRST_YEAR"


def test_running_twice_stores_identical_results_without_duplicates(
    graded_world, city_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run = services.grading_run_start(actor=city_user, year=2025)
    run.refresh_from_db()
    first = _snapshot(run)
    _worker_died(run)
    assert execute_run(run.pk) == "succeeded"
    assert _snapshot(run) == first
    assert GradingResult.objects.filter(run=run).count() == 8
    with django_capture_on_commit_callbacks(execute=True):
        second = services.grading_run_start(actor=city_user, year=2025)
    second.refresh_from_db()
    assert second.input_hash == run.input_hash
    assert [row[1:] for row in _snapshot(second)] == [row[1:] for row in first]


def test_a_half_written_run_resumes_to_the_same_results(
    graded_world, city_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run = services.grading_run_start(actor=city_user, year=2025)
    complete = _snapshot(run)
    GradingResult.objects.filter(run=run, enterprise__in=graded_world[3:]).delete()
    _worker_died(run, done=3)
    execute_run(run.pk)
    assert _snapshot(run) == complete


def test_a_resumed_run_whose_inputs_changed_starts_its_results_again(
    graded_world, city_user, django_capture_on_commit_callbacks
):
    from reporting.models import AnnualSubmission

    with django_capture_on_commit_callbacks(execute=True):
        run = services.grading_run_start(actor=city_user, year=2025)
    old_hash = GradingRun.objects.get(pk=run.pk).input_hash
    AnnualSubmission.objects.filter(enterprise=graded_world[0], year=2025).delete()
    _worker_died(run)
    execute_run(run.pk)
    run.refresh_from_db()
    assert run.input_hash != old_hash
    assert run.results.get(enterprise=graded_world[0]).flags == ["no_data"]


def test_a_failed_run_records_why_in_words_for_users_and_the_traceback_for_operators(
    graded_world, city_user, api, django_capture_on_commit_callbacks
):
    standard = GradingStandard.objects.get(code="CQ-GF-2024", version=1)
    GradingStandard.objects.filter(pk=standard.pk).update(parameters={"broken": True})
    with django_capture_on_commit_callbacks(execute=True):
        run = services.grading_run_start(actor=city_user, year=2025)
    run.refresh_from_db()
    assert run.status == "failed" and run.phase == "failed"
    assert run.error == str(services.GRADING_RUN.failure_message) and "系统管理员" in run.error
    assert "Traceback" in run.traceback and "lack" in run.traceback
    shown = api.as_user(city_user).get(f"/api/v1/grading-runs/{run.pk}/").json()
    assert shown["error"] == run.error and "Traceback" not in str(shown) and "traceback" not in shown


def test_only_city_staff_start_runs(graded_world, district_user, auditor):
    for actor in (district_user, auditor):
        with pytest.raises(NotAllowed):
            services.grading_run_start(actor=actor, year=2025)


def test_publication_states_and_immutability(graded_world, city_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run = services.grading_run_start(actor=city_user, year=2025)
    run = services.grading_run_publish(actor=city_user, run=run, **notice())
    assert run.status == "published"
    with pytest.raises(StateConflict):
        services.grading_run_publish(actor=city_user, run=run, **notice())
    run = services.grading_run_finalize(actor=city_user, run=notice_elapsed(run))
    assert run.status == "final"
    standard = run.standard
    with pytest.raises(StateConflict):
        services.grading_standard_update(actor=city_user, standard=standard, parameters=standard.parameters)


def test_a_new_run_shows_its_diff_against_the_published_one(
    graded_world, city_user, django_capture_on_commit_callbacks
):
    from factories.grading import selectors
    from factories.models import Incident

    with django_capture_on_commit_callbacks(execute=True):
        published = services.grading_run_start(actor=city_user, year=2025)
    services.grading_run_publish(actor=city_user, run=published, **notice())
    target = next(r for r in published.results.all() if r.grade != "A")
    Incident.objects.create(
        enterprise_id=target.enterprise_id,
        kind="safety",
        severity="large",
        occurred_on=dt.date(2025, 5, 1),
        description="较大安全事故",
        recorded_by=city_user,
    )
    with django_capture_on_commit_callbacks(execute=True):
        rerun = services.grading_run_start(actor=city_user, year=2025)
    moves = selectors.run_diff(rerun)
    assert [(m["enterprise"].pk, m["from"], m["to"], m["direction"]) for m in moves] == [
        (target.enterprise_id, target.grade, "A", "down")
    ]


def test_a_simulation_can_never_be_published(graded_world, city_user, django_capture_on_commit_callbacks):
    draft = services.grading_standard_new_version(
        actor=city_user, base=GradingStandard.objects.get(code="CQ-GF-2024", version=1), note="提高能源权重"
    )
    with django_capture_on_commit_callbacks(execute=True):
        run = services.grading_run_start(actor=city_user, year=2025, standard=draft, simulation=True)
    run.refresh_from_db()
    assert run.is_simulation and run.status == "succeeded"
    with pytest.raises(StateConflict):
        services.grading_run_publish(actor=city_user, run=run, **notice())


def test_an_official_run_refuses_a_draft_standard(graded_world, city_user):
    draft = services.grading_standard_new_version(
        actor=city_user, base=GradingStandard.objects.get(code="CQ-GF-2024", version=1)
    )
    with pytest.raises(InvalidInput):
        services.grading_run_start(actor=city_user, year=2025, standard=draft)


def test_standard_changes_create_versions_and_adoption_retires_the_old(city_user):
    base = GradingStandard.objects.get(code="CQ-GF-2024", version=1)
    params = {**base.parameters, "alpha": 0.6}
    draft = services.grading_standard_new_version(actor=city_user, base=base, parameters=params)
    assert draft.version == 2 and draft.parameters["alpha"] == 0.6 and base.parameters["alpha"] == 0.7
    services.grading_standard_adopt(actor=city_user, standard=draft, valid_from=dt.date(2026, 1, 1))
    base.refresh_from_db()
    assert base.valid_to == dt.date(2025, 12, 31)
    assert services.standard_in_force(2025) == base
    assert services.standard_in_force(2026) == draft
    with pytest.raises(InvalidInput):
        services.grading_standard_new_version(actor=city_user, base=base, parameters={**params, "alpha": 7})


@pytest.fixture
def revoking_world(graded_world, city_user, second_city_user, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    incident = services.incident_record(
        actor=city_user,
        enterprise=graded_world[1],
        kind="environmental",
        severity="major",
        occurred_on=dt.date(2025, 8, 1),
        description="重大环境污染事故",
    )
    with django_capture_on_commit_callbacks(execute=True):
        run = services.grading_run_start(actor=city_user, year=2025)
    return {"incident": incident, "run": run, "proposal": RevocationProposal.objects.get(run=run)}


def test_a_major_accident_proposes_revocation_without_revoking(revoking_world, graded_world):
    proposal = revoking_world["proposal"]
    assert proposal.enterprise_id == graded_world[1].pk and proposal.incident == revoking_world["incident"]
    assert GreenFactory.objects.get(enterprise=graded_world[1]).status == "active"


def test_the_person_who_recorded_the_incident_cannot_confirm_the_revocation(revoking_world, city_user):
    with pytest.raises(NotAllowed) as error:
        services.revocation_confirm(actor=city_user, proposal=revoking_world["proposal"])
    assert "另一名" in str(error.value.message)


@pytest.mark.parametrize("published", [False, True], ids=["draft", "in-notice"])
def test_a_proposal_of_a_run_not_yet_final_cannot_be_confirmed(
    revoking_world, city_user, second_city_user, graded_world, published
):
    from django.utils import timezone

    run = revoking_world["run"]
    run.refresh_from_db()
    assert run.status == "succeeded"
    if published:
        today = timezone.localdate()
        run = services.grading_run_publish(
            actor=city_user, run=run, notice_from=today, notice_to=today + dt.timedelta(days=7)
        )
    with pytest.raises(StateConflict) as error:
        services.revocation_confirm(actor=second_city_user, proposal=revoking_world["proposal"])
    assert "评价结果尚未正式发布，不能确认撤销" in str(error.value.message)
    assert GreenFactory.objects.get(enterprise=graded_world[1]).status == "active"
    assert RevocationProposal.objects.get(pk=revoking_world["proposal"].pk).status == "proposed"


def test_a_no_data_proposal_of_a_draft_run_cannot_be_confirmed_by_a_second_city_user(
    graded_world, city_user, second_city_user, django_capture_on_commit_callbacks
):
    """The case found in review: "连续两年未报送" confirmed from a draft run revoked the title at once."""
    from reporting.models import AnnualSubmission

    silent = graded_world[3]
    AnnualSubmission.objects.filter(enterprise=silent).delete()
    with django_capture_on_commit_callbacks(execute=True):
        first = services.grading_run_start(actor=city_user, year=2024)
    first.refresh_from_db()
    final_run(first, city_user)
    with django_capture_on_commit_callbacks(execute=True):
        run = services.grading_run_start(actor=city_user, year=2025)
    run.refresh_from_db()
    proposal = RevocationProposal.objects.get(run=run, enterprise=silent)
    assert proposal.reason == "no_data_two_years"
    with pytest.raises(StateConflict):
        services.revocation_confirm(actor=second_city_user, proposal=proposal)
    assert GreenFactory.objects.get(enterprise=silent).status == "active"
    final_run(run, city_user)
    services.revocation_confirm(actor=second_city_user, proposal=proposal)
    assert GreenFactory.objects.get(enterprise=silent).status == "revoked"


def test_a_second_city_user_confirms_a_final_run_s_proposal_and_the_factory_is_revoked_and_banned(
    revoking_world, city_user, second_city_user, graded_world
):
    final_run(revoking_world["run"], city_user)
    services.revocation_confirm(actor=second_city_user, proposal=revoking_world["proposal"], note="复核属实")
    factory = GreenFactory.objects.get(enterprise=graded_world[1])
    assert factory.status == "revoked" and factory.ban_until == ban_end(factory.revoked_on)
    assert factory.ban_until.year == factory.revoked_on.year + 3
    assert Enterprise.objects.get(pk=graded_world[1].pk).sequence == "other"
    with pytest.raises(StateConflict):
        services.revocation_confirm(actor=second_city_user, proposal=revoking_world["proposal"])


def test_district_users_cannot_confirm_revocations(revoking_world, district_user):
    with pytest.raises(NotAllowed):
        services.revocation_confirm(actor=district_user, proposal=revoking_world["proposal"])


def test_incidents_are_recorded_for_green_factories_only_and_validated(city_user, enterprise):
    with pytest.raises(InvalidInput) as error:
        services.incident_record(
            actor=city_user,
            enterprise=enterprise,
            kind="fire",
            severity="huge",
            occurred_on=dt.date(2099, 1, 1),
            description="",
        )
    assert set(error.value.field_errors) == {"kind", "severity", "occurred_on", "description", "enterprise"}


def test_beat_creates_a_draft_run_once_after_the_window_closes(
    graded_world, city_user, django_capture_on_commit_callbacks
):
    from factories.grading.tasks import draft_runs_after_reporting
    from reporting.models import ReportingYear

    ReportingYear.objects.filter(year=2024).delete()
    ReportingYear.objects.filter(year=2025).update(
        opens_on=dt.date(2026, 3, 1), closes_on=dt.date(2026, 5, 31)
    )
    with django_capture_on_commit_callbacks(execute=True):
        created = draft_runs_after_reporting()
    assert len(created) == 1 and GradingRun.objects.get(pk=created[0]).status == "succeeded"
    assert draft_runs_after_reporting() == []


def test_beat_leaves_a_year_with_data_under_review_to_the_city(graded_world, city_user):
    from factories.grading.tasks import draft_runs_after_reporting
    from reporting.models import AnnualSubmission, ReportingYear

    ReportingYear.objects.filter(year=2024).delete()
    AnnualSubmission.objects.filter(enterprise=graded_world[0], year=2025).update(status="district_approved")
    assert draft_runs_after_reporting() == []
    assert not GradingRun.objects.exists()


def test_stale_running_runs_are_resumed_by_the_watchdog(
    graded_world, city_user, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    with django_capture_on_commit_callbacks(execute=True):
        run = services.grading_run_start(actor=city_user, year=2025)
    complete = _snapshot(run)
    GradingResult.objects.filter(run=run).delete()
    GradingRun.objects.filter(pk=run.pk).update(
        status="running", heartbeat_at=timezone.now() - dt.timedelta(minutes=10)
    )
    assert services.grading_run_resume_stale() == [run.pk]
    run.refresh_from_db()
    assert run.status == "succeeded" and _snapshot(run) == complete


def test_a_run_cannot_be_finalised_before_its_notice_period_ends(
    graded_world, city_user, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(dt.datetime(2026, 12, 3, 10, 0))
    with django_capture_on_commit_callbacks(execute=True):
        run = services.grading_run_start(actor=city_user, year=2025)
    run = services.grading_run_publish(
        actor=city_user, run=run, notice_from=dt.date(2026, 12, 3), notice_to=dt.date(2026, 12, 9)
    )
    with pytest.raises(StateConflict) as error:
        services.grading_run_finalize(actor=city_user, run=run)
    assert "公示期" in str(error.value.message)
    # The notice includes its last day: on 9 December it is still running.
    time_machine.move_to(dt.datetime(2026, 12, 9, 10, 0))
    with pytest.raises(StateConflict):
        services.grading_run_finalize(actor=city_user, run=run)
    time_machine.move_to(dt.datetime(2026, 12, 10, 9, 0))
    assert services.grading_run_finalize(actor=city_user, run=run).status == "final"


def test_simulations_propose_no_revocations(graded_world, city_user, django_capture_on_commit_callbacks):
    services.incident_record(
        actor=city_user,
        enterprise=graded_world[1],
        kind="falsification",
        severity="general",
        occurred_on=dt.date(2025, 8, 1),
        description="数据造假",
    )
    draft = services.grading_standard_new_version(
        actor=city_user, base=GradingStandard.objects.get(code="CQ-GF-2024", version=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        run = services.grading_run_start(actor=city_user, year=2025, standard=draft, simulation=True)
    assert run.results.get(enterprise=graded_world[1]).revocation_proposed
    assert not RevocationProposal.objects.filter(run=run).exists()


def test_a_proposal_of_a_superseded_run_cannot_be_confirmed(
    revoking_world, city_user, second_city_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.grading_run_start(actor=city_user, year=2025)
    with pytest.raises(StateConflict):
        services.revocation_confirm(actor=second_city_user, proposal=revoking_world["proposal"])


def test_evidence_must_be_a_real_pdf_or_image(graded_world, city_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("report.pdf", b"MZ\x90\x00 not a pdf")
    with pytest.raises(InvalidInput) as error:
        services.incident_record(
            actor=city_user,
            enterprise=graded_world[0],
            kind="safety",
            severity="general",
            occurred_on=dt.date(2025, 3, 1),
            description="一般事故",
            evidence=fake,
        )
    assert "evidence" in error.value.field_errors
    good = SimpleUploadedFile("report.pdf", b"%PDF-1.7 minimal")
    incident = services.incident_record(
        actor=city_user,
        enterprise=graded_world[0],
        kind="safety",
        severity="general",
        occurred_on=dt.date(2025, 3, 1),
        description="一般事故",
        evidence=good,
    )
    assert incident.evidence.name.endswith(".pdf")
