"""Two reviewers at once: exactly one transition, the other gets a clear conflict (PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from accounts.errors import StateConflict
from reporting import services
from reporting.models import AnnualSubmission, SubmissionTransition


def _race(n: int, work):  # type: ignore[no-untyped-def]
    barrier = threading.Barrier(n)
    outcomes: list[str] = []
    lock = threading.Lock()

    def run() -> None:
        try:
            barrier.wait()
            work()
            result = "ok"
        except StateConflict:
            result = "conflict"
        except Exception as exc:  # anything else is a defect the test must show
            result = f"error: {exc!r}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("reviewers", [2, 8, 50])
def test_concurrent_approvals_make_exactly_one_transition(submitted, district_user, reviewers):
    pk = submitted.pk

    def approve() -> None:
        services.submission_approve(actor=district_user, submission=AnnualSubmission.objects.get(pk=pk))

    outcomes = _race(reviewers, approve)

    assert sorted(outcomes) == ["conflict"] * (reviewers - 1) + ["ok"]
    assert AnnualSubmission.objects.get(pk=pk).status == "district_approved"
    assert SubmissionTransition.objects.filter(submission_id=pk, action="approve").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_approve_and_return_at_once_leave_one_consistent_outcome(submitted, district_user, city_user):
    pk = submitted.pk
    actions = iter(
        [
            lambda: services.submission_approve(
                actor=district_user, submission=AnnualSubmission.objects.get(pk=pk)
            ),
            lambda: services.submission_return(
                actor=city_user, submission=AnnualSubmission.objects.get(pk=pk), reason="退回"
            ),
        ]
    )
    lock = threading.Lock()

    def one() -> None:
        with lock:
            action = next(actions)
        action()

    outcomes = _race(2, one)
    transitions = SubmissionTransition.objects.filter(submission_id=pk).exclude(action="submit")
    status = AnnualSubmission.objects.get(pk=pk).status
    # Either the approval won (and the return, which is also allowed from district_approved, may
    # follow it) or the return won and the approval found a draft. Never an error, never a lost update.
    assert all(o in ("ok", "conflict") for o in outcomes)
    assert transitions.count() == outcomes.count("ok")
    assert status == transitions.order_by("at", "id").last().to_status


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_fifty_concurrent_verifications_make_exactly_one_transition(approved, city_user):
    pk = approved.pk

    def verify() -> None:
        services.submission_verify(actor=city_user, submission=AnnualSubmission.objects.get(pk=pk))

    outcomes = _race(50, verify)

    assert sorted(outcomes) == ["conflict"] * 49 + ["ok"]
    assert SubmissionTransition.objects.filter(submission_id=pk, action="verify").count() == 1
    assert AnnualSubmission.objects.get(pk=pk).versions.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("uploads", [2, 6])
def test_imports_of_the_same_enterprise_year_committed_at_once_create_one_draft_and_conflict_the_rest(
    open_year, district_user, enterprise, good_values, uploads
):
    """Each upload was validated while the enterprise had no draft; committing them together must not
    fail on the unique (enterprise, year) constraint: one writes, the others are told to try again."""
    from reporting.models import ImportJob
    from tests.reporting.test_imports import _filled

    jobs = [
        services.import_upload(
            actor=district_user,
            year=2025,
            name=f"数据{n}.xlsx",
            data=_filled([enterprise], {0: {**good_values, "cod": str(1000 + n)}}),
        )
        for n in range(uploads)
    ]
    assert {job.status for job in jobs} == {"validated"}
    pending = iter(job.pk for job in jobs)
    lock = threading.Lock()

    def commit() -> None:
        with lock:
            pk = next(pending)
        services.import_commit(actor=district_user, job=ImportJob.objects.get(pk=pk))

    outcomes = _race(uploads, commit)

    # A commit that starts after the first one has written finds its draft and updates it (ok); one that
    # overlaps it is told to try again (conflict). Never an error, never a second row.
    assert "ok" in outcomes and all(o in ("ok", "conflict") for o in outcomes), outcomes
    assert AnnualSubmission.objects.filter(enterprise=enterprise, year=2025).count() == 1
    statuses = list(ImportJob.objects.values_list("status", flat=True))
    # A loser is rolled back whole: still validated, so committing it again updates the draft.
    assert statuses.count("committed") == outcomes.count("ok")
    assert statuses.count("validated") == outcomes.count("conflict")
    for loser in ImportJob.objects.filter(status="validated"):
        services.import_commit(actor=district_user, job=loser)
        loser.refresh_from_db()
        assert loser.status == "committed"
        draft = AnnualSubmission.objects.get(enterprise=enterprise, year=2025)
        assert draft.raw_values["cod"] == loser.parsed["rows"][0][2]["cod"]
