"""The level job (DOMAIN §7): flags by date, which data count, the benchmark, progress, idempotency and the
standard version recorded with every decision."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts import jobs
from accounts.errors import InvalidInput, NotAllowed, StateConflict
from accounts.models import AuditEntry
from cultivation import services
from cultivation.models import LevelDecision, LevelJob
from cultivation.services import levels as level_services
from tests.cultivation.conftest import approved_submission, compute, excellent_raw, join, poor_raw, supervise

pytestmark = pytest.mark.django_db


def _decision(enterprise, year=2025):  # type: ignore[no-untyped-def]
    return LevelDecision.objects.get(enterprise=enterprise, year=year)


def test_a_supervised_guided_member_with_excellent_data_is_b_eligible(b_member):
    decision = _decision(b_member.enterprise)
    assert decision.level == decision.computed_level == "B_eligible"
    assert decision.supervised and decision.guided and decision.has_plan
    assert decision.data_status == "district_approved"
    assert decision.benchmark_group == "36" and decision.benchmark_count == 6
    assert min(decision.dimension_scores.values()) >= 50 and decision.level_score >= 50
    assert decision.level_gap == 0 and set(decision.dimension_gaps.values()) == {0.0}
    assert decision.certified_b is False
    assert decision.membership == b_member


def test_poor_data_with_supervision_guidance_and_a_plan_is_c(
    benchmark, member, district_user, django_capture_on_commit_callbacks
):
    supervise(member, district_user)
    approved_submission(member.enterprise, 2025, poor_raw())
    compute(district_user, 2025, django_capture_on_commit_callbacks)
    decision = _decision(member.enterprise)
    assert decision.level == "C"
    assert decision.level_gap > 0
    assert {r["code"] for r in decision.reasons} >= {"DIMENSION_BELOW_B", "LEVEL_BELOW_B"}


def test_an_unsupervised_member_is_d_whatever_its_data(
    benchmark, member, district_user, django_capture_on_commit_callbacks
):
    approved_submission(member.enterprise, 2025, excellent_raw())
    compute(district_user, 2025, django_capture_on_commit_callbacks)
    decision = _decision(member.enterprise)
    assert decision.level == "D"
    assert {r["code"] for r in decision.reasons} >= {"NOT_SUPERVISED", "NOT_GUIDED"}


@pytest.mark.parametrize(
    ("record_date", "counts_for_2025"),
    [
        (dt.date(2025, 12, 31), True),
        (dt.date(2025, 1, 1), True),
        (dt.date(2026, 1, 1), False),
    ],
)
def test_a_flag_holds_for_year_y_when_its_record_is_dated_by_31_december(
    record_date, counts_for_2025, benchmark, member, district_user, django_capture_on_commit_callbacks
):
    supervise(member, district_user, kinds=("online_monitoring", "diagnosis", "improvement_path"))
    services.supervision_record_add(
        actor=district_user, membership=member, kind="energy_inspection", date=record_date
    )
    # Only the late record decides "supervised": move the early one out of 2025.
    member.supervision_records.filter(kind="online_monitoring").update(date=record_date)
    approved_submission(member.enterprise, 2025, excellent_raw())
    compute(district_user, 2025, django_capture_on_commit_callbacks)
    decision = _decision(member.enterprise)
    assert decision.supervised is counts_for_2025 and decision.guided and decision.has_plan
    assert decision.level == ("B_eligible" if counts_for_2025 else "D")


def test_a_supervision_record_cannot_be_dated_in_the_future(member, district_user):
    from django.utils import timezone

    with pytest.raises(InvalidInput) as caught:
        services.supervision_record_add(
            actor=district_user,
            membership=member,
            kind="assessment",
            date=timezone.localdate() + dt.timedelta(days=1),
        )
    assert "date" in caught.value.field_errors


@pytest.mark.parametrize(
    ("status", "level"),
    [
        ("submitted", "D"),
        ("draft", "D"),
        ("district_approved", "B_eligible"),
        ("city_verified", "B_eligible"),
    ],
)
def test_only_district_approved_or_verified_data_count(
    status, level, benchmark, member, district_user, django_capture_on_commit_callbacks
):
    supervise(member, district_user)
    approved_submission(member.enterprise, 2025, excellent_raw(), status=status)
    compute(district_user, 2025, django_capture_on_commit_callbacks)
    decision = _decision(member.enterprise)
    assert decision.level == level
    assert ({r["code"] for r in decision.reasons} >= {"NO_DATA"}) is (level == "D")


def test_a_member_of_a_small_division_is_benchmarked_against_every_green_factory(
    benchmark, district_user, yuzhong, django_capture_on_commit_callbacks
):
    from tests.model_factories import EnterpriseFactory, industry

    electronics = EnterpriseFactory(district=yuzhong, industry=industry("39"))
    membership = join(electronics, district_user, district_user)
    supervise(membership, district_user)
    approved_submission(electronics, 2025, excellent_raw())
    compute(district_user, 2025, django_capture_on_commit_callbacks)
    decision = _decision(electronics)
    assert decision.benchmark_group == "ALL" and decision.benchmark_count == 6
    fallback = next(r for r in decision.reasons if r["code"] == "BENCHMARK_FALLBACK")
    assert fallback["division"] == "39" and fallback["division_count"] == 0


def test_revoked_and_pool_enterprises_are_not_in_the_benchmark(
    benchmark, b_member, district_user, django_capture_on_commit_callbacks
):
    from factories.models import GreenFactory

    GreenFactory.objects.filter(enterprise=benchmark[0]).update(
        status="revoked", revoked_on=dt.date(2025, 6, 1)
    )
    compute(district_user, 2025, django_capture_on_commit_callbacks)
    decision = _decision(b_member.enterprise)
    assert decision.benchmark_count == 5 and decision.benchmark_group == "36"


def test_the_job_reports_progress_as_it_writes(
    benchmark, district_user, yuzhong, monkeypatch, django_capture_on_commit_callbacks
):
    from tests.model_factories import EnterpriseFactory

    for _n in range(3):
        join(EnterpriseFactory(district=yuzhong), district_user, district_user)
    seen: list[int] = []
    original = jobs.JobContext.progress

    def spy(context, **fields):  # type: ignore[no-untyped-def]
        if "done" in fields:
            seen.append(fields["done"])
        original(context, **fields)

    monkeypatch.setattr(level_services, "WRITE_CHUNK", 1)
    monkeypatch.setattr(jobs.JobContext, "progress", spy)
    job = compute(district_user, 2025, django_capture_on_commit_callbacks)
    assert seen == [0, 1, 2, 3]
    assert job.status == "succeeded" and job.total == 3 and job.done == 3 and job.progress == 100
    assert job.counts == {"B_eligible": 0, "C": 0, "D": 3}
    assert job.finished_at is not None and job.started_by == district_user


def test_running_a_job_twice_changes_nothing(b_member, district_user, django_capture_on_commit_callbacks):
    job = LevelJob.objects.get()
    first = list(LevelDecision.objects.values())
    entries = AuditEntry.objects.filter(action__startswith="level_decision").count()
    assert entries == 1
    assert level_services.level_job_execute(job_id=job.pk) == "succeeded"  # already done: nothing to claim
    compute(district_user, 2025, django_capture_on_commit_callbacks)
    again = list(LevelDecision.objects.values())
    assert len(again) == 1
    ignore = {"job_id", "updated_at"}
    assert [{k: v for k, v in row.items() if k not in ignore} for row in again] == [
        {k: v for k, v in row.items() if k not in ignore} for row in first
    ]
    assert AuditEntry.objects.filter(action__startswith="level_decision").count() == entries


def test_an_interrupted_job_is_claimed_again_once_its_heartbeat_is_stale(b_member, district_user):
    from django.utils import timezone

    job = LevelJob.objects.get()
    LevelJob.objects.filter(pk=job.pk).update(status="running", heartbeat_at=timezone.now())
    assert level_services.level_job_execute(job_id=job.pk) == "running"  # a live worker holds it
    LevelJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - dt.timedelta(minutes=10))
    assert level_services.level_job_resume_stale() == [job.pk]
    job.refresh_from_db()
    assert job.status == "succeeded" and LevelDecision.objects.count() == 1


def test_a_second_job_for_the_same_year_waits_for_the_first(member, district_user):
    services.level_job_start(actor=district_user, district=district_user.district, year=2025)
    with pytest.raises(StateConflict):
        services.level_job_start(actor=district_user, district=district_user.district, year=2025)


def test_every_decision_records_the_standard_version_in_force(
    benchmark, member, district_user, django_capture_on_commit_callbacks
):
    supervise(member, district_user)
    approved_submission(member.enterprise, 2025, poor_raw())
    compute(district_user, 2025, django_capture_on_commit_callbacks)
    decision = _decision(member.enterprise)
    assert decision.standard.version == 1 and decision.level == "C"
    standard = services.district_standard_new_version(
        actor=district_user,
        district=district_user.district,
        parameters={"b_level_min": 0, "b_dimension_min": 0},
        note="本区产业基础薄弱，先把已纳入监管的企业培育为B级",
    )
    assert standard.version == 2 and standard.parameters["b_level_min"] == 0.0
    assert standard.parameters["c_level_min"] == 0.0 and standard.created_by == district_user
    job = compute(district_user, 2025, django_capture_on_commit_callbacks)
    decision.refresh_from_db()
    assert job.standard == standard and decision.standard == standard and decision.job == job
    assert decision.level == "B_eligible"
    assert AuditEntry.objects.for_object(decision).filter(action="level_decision.recompute").exists()


def test_the_standard_starts_from_the_city_template(yuzhong):
    standard = services.district_standard_in_force(yuzhong)
    assert standard.version == 1 and standard.parameters["code"] == "CQ-CULT-2024"
    assert (
        standard.parameters["b_dimension_min"],
        standard.parameters["b_level_min"],
        standard.parameters["c_level_min"],
    ) == (50.0, 50.0, 0.0)
    assert services.district_standard_in_force(yuzhong) == standard


def test_a_standard_change_is_checked(district_user):
    district = district_user.district
    for parameters in ({"b_level_min": 150}, {"c_level_min": 60}, {"colour": "green"}, {"b_level_min": 50}):
        with pytest.raises(InvalidInput):
            services.district_standard_new_version(
                actor=district_user, district=district, parameters=parameters, note="调整"
            )
    with pytest.raises(InvalidInput):
        services.district_standard_new_version(
            actor=district_user, district=district, parameters={"b_level_min": 55}, note=" "
        )


def test_a_district_changes_only_its_own_standard(district_user, other_district_user, city_user, jiangjin):
    for actor in (district_user, city_user):
        with pytest.raises(NotAllowed):
            services.district_standard_new_version(
                actor=actor, district=jiangjin, parameters={"b_level_min": 55}, note="越权"
            )
    assert not jiangjin.pool_standards.filter(version__gt=1).exists()


def test_a_failed_job_records_why_in_words_for_users_and_the_traceback_for_operators(
    member, district_user, api, django_capture_on_commit_callbacks
):
    standard = services.district_standard_in_force(district_user.district)
    type(standard).objects.filter(pk=standard.pk).update(parameters={"broken": True})
    job = compute(district_user, 2025, django_capture_on_commit_callbacks)
    assert job.status == "failed" and job.error == str(level_services.LEVEL_JOB.failure_message)
    assert "Traceback" in job.traceback and "lack" in job.traceback
    shown = api.as_user(district_user).get(f"/api/v1/cultivation/level-jobs/{job.pk}/").json()
    assert shown["error"] == job.error and "Traceback" not in str(shown) and "traceback" not in shown


def test_only_districts_compute_and_only_for_their_own_unit(
    member, city_user, enterprise_user, other_district_user, yuzhong
):
    for actor in (city_user, enterprise_user, other_district_user):
        with pytest.raises(NotAllowed):
            services.level_job_start(actor=actor, district=yuzhong, year=2025)
    assert not LevelJob.objects.exists()


def test_the_year_must_be_a_past_or_current_year(member, district_user):
    with pytest.raises(InvalidInput):
        services.level_job_start(actor=district_user, district=district_user.district, year=2099)
