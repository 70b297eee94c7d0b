"""The claim helper: a transition table says who may move a row from which state to which; one conditional
UPDATE moves it, so of concurrent callers exactly one wins (accounts/transitions.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db.models import Q
from django.utils import timezone

from accounts.errors import NotAllowed, StateConflict
from accounts.transitions import Transition, TransitionTable, allowed_actions, claim
from cultivation.models import DistrictReport, ReportStatus
from tests.helpers import at_once

# A table of its own over a real model, so these tests do not depend on any workflow's rules.
TABLE = TransitionTable(
    DistrictReport,
    [
        Transition("edit", (ReportStatus.DRAFT,), None, "district_report.submit"),
        Transition(
            "submit",
            (ReportStatus.DRAFT, ReportStatus.RETURNED),
            ReportStatus.SUBMITTED,
            "district_report.submit",
            label="报送",
        ),
        Transition(
            "acknowledge", (ReportStatus.SUBMITTED,), ReportStatus.ACKNOWLEDGED, "district_report.decide"
        ),
        Transition("return", (ReportStatus.SUBMITTED,), ReportStatus.RETURNED, "district_report.decide"),
        Transition("archive", (ReportStatus.ACKNOWLEDGED,), ReportStatus.DRAFT, None),
    ],
    refused="不能{action}：现在是“{status}”。",
    conflict="无法{action}：已是“{status}”，请刷新。",
)


@pytest.fixture
def report(yuzhong, district_user):  # type: ignore[no-untyped-def]
    return DistrictReport.objects.create(
        district=yuzhong, year=2025, generated_by=district_user, generated_at=timezone.now()
    )


def _status(report: DistrictReport) -> str:
    return DistrictReport.objects.values_list("status", flat=True).get(pk=report.pk)


def test_the_winner_moves_the_row_and_gets_the_object_as_stored(report, district_user):
    at = timezone.now()

    moved = claim(TABLE, "submit", actor=district_user, obj=report, fields={"submitted_at": at})

    assert moved is report
    assert report.status == ReportStatus.SUBMITTED and report.submitted_at == at
    assert _status(report) == ReportStatus.SUBMITTED


def test_a_role_without_the_right_is_refused_and_the_row_does_not_move(report, city_user, enterprise_user):
    for actor in (city_user, enterprise_user, None):
        with pytest.raises(NotAllowed):
            claim(TABLE, "submit", actor=actor, obj=report)
    assert _status(report) == ReportStatus.DRAFT


def test_an_action_the_state_does_not_allow_is_refused_with_the_current_state(report, city_user):
    with pytest.raises(StateConflict) as error:
        claim(TABLE, "acknowledge", actor=city_user, obj=report)

    assert str(error.value.message) == "无法acknowledge：已是“草稿”，请刷新。"
    assert _status(report) == ReportStatus.DRAFT


def test_the_conflict_names_the_state_stored_now_not_the_one_in_hand(report, district_user):
    stale = DistrictReport.objects.get(pk=report.pk)
    claim(TABLE, "submit", actor=district_user, obj=report)

    with pytest.raises(StateConflict) as error:
        claim(TABLE, "submit", actor=district_user, obj=stale)

    assert str(error.value.message) == "无法报送：已是“已报送，待市级确认”，请刷新。"
    assert stale.status == ReportStatus.DRAFT  # a loser's object is left as it was


def test_ensure_state_refuses_the_object_in_hand_with_the_refused_wording(report):
    assert TABLE.ensure_state(report, "submit") is TABLE["submit"]
    with pytest.raises(StateConflict) as error:
        TABLE.ensure_state(report, "return")
    assert str(error.value.message) == "不能return：现在是“草稿”。"


def test_a_transition_may_word_its_own_conflict(report, city_user):
    table = TransitionTable(
        DistrictReport,
        [
            Transition(
                "acknowledge",
                (ReportStatus.SUBMITTED,),
                ReportStatus.ACKNOWLEDGED,
                "district_report.decide",
                conflict="只有已报送的报告可以确认（当前：{status}）。",
            )
        ],
    )
    with pytest.raises(StateConflict) as error:
        claim(table, "acknowledge", actor=city_user, obj=report)
    assert str(error.value.message) == "只有已报送的报告可以确认（当前：草稿）。"


def test_a_where_condition_narrows_the_claim(report, district_user):
    with pytest.raises(StateConflict):
        claim(TABLE, "submit", actor=district_user, obj=report, where=Q(narrative__gt=""))
    assert _status(report) == ReportStatus.DRAFT

    DistrictReport.objects.filter(pk=report.pk).update(narrative="工作情况")
    claim(TABLE, "submit", actor=district_user, obj=report, where=Q(narrative__gt=""))
    assert _status(report) == ReportStatus.SUBMITTED


def test_a_state_keeping_action_changes_fields_only_while_the_state_allows_it(report, district_user):
    claim(TABLE, "edit", actor=district_user, obj=report, fields={"narrative": "初稿"})
    assert report.status == ReportStatus.DRAFT and report.narrative == "初稿"

    claim(TABLE, "submit", actor=district_user, obj=report)
    with pytest.raises(StateConflict):
        claim(TABLE, "edit", actor=district_user, obj=report, fields={"narrative": "改稿"})
    assert DistrictReport.objects.get(pk=report.pk).narrative == "初稿"


def test_an_automatic_transition_checks_no_right_and_no_page_offers_it(report, auditor, city_user):
    DistrictReport.objects.filter(pk=report.pk).update(status=ReportStatus.ACKNOWLEDGED)
    report.refresh_from_db()

    assert "archive" not in allowed_actions(TABLE, report, city_user)
    claim(TABLE, "archive", actor="system", obj=report)
    assert _status(report) == ReportStatus.DRAFT


@pytest.mark.parametrize(
    ("status", "persona", "expected"),
    [
        (ReportStatus.DRAFT, "district_user", ["edit", "submit"]),
        (ReportStatus.RETURNED, "district_user", ["submit"]),
        (ReportStatus.SUBMITTED, "district_user", []),
        (ReportStatus.SUBMITTED, "city_user", ["acknowledge", "return"]),
        (ReportStatus.DRAFT, "city_user", []),
        (ReportStatus.SUBMITTED, "auditor", []),
        (ReportStatus.ACKNOWLEDGED, "city_user", []),
    ],
)
def test_allowed_actions_follow_the_state_and_the_role(report, request, status, persona, expected):
    report.status = status
    assert allowed_actions(TABLE, report, request.getfixturevalue(persona)) == expected


def test_allowed_actions_offer_nothing_to_an_anonymous_visitor(report):
    from django.contrib.auth.models import AnonymousUser

    assert allowed_actions(TABLE, report, AnonymousUser()) == []


def test_a_table_that_declares_an_action_twice_is_refused():
    with pytest.raises(ValueError, match="declared twice"):
        TransitionTable(
            DistrictReport,
            [
                Transition("submit", (ReportStatus.DRAFT,), ReportStatus.SUBMITTED, "district_report.submit"),
                Transition(
                    "submit", (ReportStatus.RETURNED,), ReportStatus.SUBMITTED, "district_report.submit"
                ),
            ],
        )


def test_a_table_names_its_unknown_rights_and_states():
    table = TransitionTable(
        DistrictReport,
        [
            Transition("submit", (ReportStatus.DRAFT, "lost"), ReportStatus.SUBMITTED, "report.send"),
            Transition("reopen", (), "reopened", None),
        ],
    )
    assert table.problems() == [
        "DistrictReport.submit: right 'report.send' is not in PERMISSIONS",
        "DistrictReport.submit: state 'lost' is not a choice of status",
        "DistrictReport.reopen: no state to start from",
        "DistrictReport.reopen: state 'reopened' is not a choice of status",
    ]
    assert TABLE.problems() == []


# --- races (PostgreSQL) ---------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("callers", [2, 8])
def test_of_callers_claiming_the_same_row_at_once_exactly_one_wins(report, district_user, callers):
    pk = report.pk

    def submit() -> None:
        claim(TABLE, "submit", actor=district_user, obj=DistrictReport.objects.get(pk=pk))

    outcomes = at_once([submit] * callers)

    assert sorted(outcomes) == ["conflict"] * (callers - 1) + ["ok"]
    assert _status(report) == ReportStatus.SUBMITTED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_of_two_different_actions_at_once_exactly_one_wins_and_its_state_stands(report, city_user):
    DistrictReport.objects.filter(pk=report.pk).update(status=ReportStatus.SUBMITTED)
    pk = report.pk
    won: list[str] = []

    def act(action: str) -> Callable[[], None]:
        def call() -> None:
            claim(TABLE, action, actor=city_user, obj=DistrictReport.objects.get(pk=pk))
            won.append(action)

        return call

    outcomes = at_once([act("acknowledge"), act("return")])

    assert sorted(outcomes) == ["conflict", "ok"]
    assert _status(report) == TABLE[won[0]].target
