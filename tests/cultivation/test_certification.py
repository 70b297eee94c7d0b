"""B-level certification (Art. 11(1)), its loss after district review, irregular reviews (Art. 12), exit and
graduation (DOMAIN §3)."""

from __future__ import annotations

import pytest

from accounts.errors import InvalidInput, NotAllowed, StateConflict
from cultivation import selectors, services
from cultivation.models import BCertification, LevelDecision, PoolApplication
from reporting.models import AnnualSubmission
from tests.cultivation.conftest import approved_submission, compute, join, poor_raw, supervise

pytestmark = pytest.mark.django_db


def _decision(enterprise, year=2025):  # type: ignore[no-untyped-def]
    return LevelDecision.objects.get(enterprise=enterprise, year=year)


def _worsen_and_recompute(member, district_user, capture):  # type: ignore[no-untyped-def]
    AnnualSubmission.objects.filter(enterprise=member.enterprise, year=2025).update(raw_values=poor_raw())
    compute(district_user, 2025, capture)


# --- apply and certify --------------------------------------------------------------------------


def test_a_member_below_b_is_told_which_gaps_remain(
    benchmark, member, enterprise_user, district_user, django_capture_on_commit_callbacks
):
    supervise(member, district_user, kinds=("assessment",))
    approved_submission(member.enterprise, 2025, poor_raw())
    compute(district_user, 2025, django_capture_on_commit_callbacks)
    with pytest.raises(InvalidInput) as caught:
        services.b_certification_apply(actor=enterprise_user, enterprise=member.enterprise, year=2025)
    message = str(caught.value.field_errors["year"][0])
    assert "D级" in message and "尚未纳入监管" in message and "能源低碳化得分0.0，低于50" in message
    assert "绿色化水平得分L为0.0" in message
    assert not BCertification.objects.exists()


def test_a_b_eligible_member_applies_with_a_snapshot_of_its_checklist(b_member, enterprise_user):
    certification = services.b_certification_apply(
        actor=enterprise_user, enterprise=b_member.enterprise, year=2025
    )
    assert certification.status == "applied" and certification.district_id == "500103"
    checklist = certification.checklist
    assert checklist["supervised"] and checklist["guided"] and checklist["level_score"]["passed"]
    assert {row["dimension"] for row in checklist["dimensions"]} == {
        "land",
        "materials",
        "clean",
        "waste",
        "energy",
    }
    assert all(row["passed"] and row["min"] == 50.0 for row in checklist["dimensions"])
    with pytest.raises(StateConflict):
        services.b_certification_apply(actor=enterprise_user, enterprise=b_member.enterprise, year=2025)


def test_an_application_must_rest_on_the_latest_level(
    b_member, enterprise_user, district_user, django_capture_on_commit_callbacks
):
    compute(district_user, 2024, django_capture_on_commit_callbacks)
    with pytest.raises(InvalidInput) as caught:
        services.b_certification_apply(actor=enterprise_user, enterprise=b_member.enterprise, year=2024)
    assert "2025" in str(caught.value.field_errors["year"][0])


def test_the_district_certifies_and_numbers_the_certificate(certified, district_user, yuzhong):
    from django.utils import timezone

    year = timezone.localdate().year
    assert certified.status == "certified" and certified.reviewed_by == district_user
    assert certified.certificate_no == f"渝中区绿工〔{year}〕第001号"
    assert _decision(certified.membership.enterprise).certified_b is True
    assert list(selectors.recommended_b_factories(district_user)) == [certified]


def test_certificate_numbers_follow_on_within_a_district(
    certified, district_user, yuzhong, benchmark, django_capture_on_commit_callbacks
):
    from tests.cultivation.conftest import excellent_raw
    from tests.model_factories import EnterpriseFactory

    second = join(EnterpriseFactory(district=yuzhong), district_user, district_user)
    supervise(second, district_user)
    approved_submission(second.enterprise, 2025, excellent_raw(60000))
    compute(district_user, 2025, django_capture_on_commit_callbacks)
    application = services.b_certification_apply(actor=district_user, enterprise=second.enterprise, year=2025)
    number = services.b_certification_certify(actor=district_user, certification=application).certificate_no
    assert number.endswith("第002号") and number != certified.certificate_no


def test_rejecting_a_certification_needs_a_reason(b_member, enterprise_user, district_user):
    certification = services.b_certification_apply(
        actor=enterprise_user, enterprise=b_member.enterprise, year=2025
    )
    with pytest.raises(InvalidInput):
        services.b_certification_reject(actor=district_user, certification=certification, reason="")
    certification = services.b_certification_reject(
        actor=district_user, certification=certification, reason="龙头带动作用不足，明年再申请。"
    )
    assert certification.status == "rejected" and certification.certificate_no == ""


@pytest.mark.parametrize("persona", ["enterprise_user", "city_user", "auditor", "other_district_user"])
def test_only_its_district_certifies(persona, b_member, enterprise_user, request):
    certification = services.b_certification_apply(
        actor=enterprise_user, enterprise=b_member.enterprise, year=2025
    )
    with pytest.raises(NotAllowed):
        services.b_certification_certify(actor=request.getfixturevalue(persona), certification=certification)
    certification.refresh_from_db()
    assert certification.status == "applied"


def test_a_certification_whose_level_changed_before_the_decision_cannot_be_certified(
    b_member, enterprise_user, district_user, django_capture_on_commit_callbacks
):
    certification = services.b_certification_apply(
        actor=enterprise_user, enterprise=b_member.enterprise, year=2025
    )
    _worsen_and_recompute(b_member, district_user, django_capture_on_commit_callbacks)
    with pytest.raises(StateConflict):
        services.b_certification_certify(actor=district_user, certification=certification)


# --- loss after review --------------------------------------------------------------------------


def test_a_certified_b_whose_level_falls_goes_to_district_review_and_loses_it(
    certified, district_user, django_capture_on_commit_callbacks
):
    _worsen_and_recompute(certified.membership, district_user, django_capture_on_commit_callbacks)
    certified.refresh_from_db()
    assert certified.status == "under_review" and "C级" in certified.review_reason
    assert _decision(certified.membership.enterprise).certified_b is False
    with pytest.raises(InvalidInput):
        services.b_certification_confirm_loss(actor=district_user, certification=certified, reason="")
    lost = services.b_certification_confirm_loss(
        actor=district_user, certification=certified, reason="2025年度绿色化水平明显下降。"
    )
    assert lost.status == "lost" and lost.ended_at is not None and lost.end_reason.startswith("2025")
    assert list(selectors.recommended_b_factories(district_user)) == []


def test_the_district_may_keep_the_title_and_a_recomputation_does_not_reopen_the_review(
    certified, district_user, django_capture_on_commit_callbacks
):
    _worsen_and_recompute(certified.membership, district_user, django_capture_on_commit_callbacks)
    kept = services.b_certification_keep(
        actor=district_user, certification=certified, reason="数据下降系停产技改所致，技改后指标将改善。"
    )
    assert kept.status == "certified"
    compute(district_user, 2025, django_capture_on_commit_callbacks)
    kept.refresh_from_db()
    assert kept.status == "certified"
    with pytest.raises(StateConflict):
        services.b_certification_keep(actor=district_user, certification=kept, reason="再次保留")


# --- irregular review (Art. 12) -----------------------------------------------------------------


@pytest.mark.parametrize("opener", ["city_user", "district_user"])
def test_falsification_lowers_the_member_one_level_and_withdraws_b(
    opener, certified, request, district_user, django_capture_on_commit_callbacks
):
    actor = request.getfixturevalue(opener)
    review = services.irregular_review_open(
        actor=actor, membership=certified.membership, scope_note="核查2025年度能耗数据"
    )
    review = services.irregular_review_close(
        actor=actor, review=review, findings="电力消耗数据与电费发票不符。", falsification=True
    )
    assert review.status == "closed" and review.closed_by == actor
    assert (review.downgraded_year, review.level_before, review.level_after) == (2025, "B_eligible", "C")
    decision = _decision(certified.membership.enterprise)
    assert decision.level == "C" and decision.computed_level == "B_eligible"
    assert decision.review_downgraded and decision.certified_b is False
    assert decision.reasons[-1]["code"] == "REVIEW_DOWNGRADE"
    certified.refresh_from_db()
    assert certified.status == "withdrawn" and "弄虚作假" in certified.end_reason
    # The sanction survives a recomputation of the year.
    compute(district_user, 2025, django_capture_on_commit_callbacks)
    decision.refresh_from_db()
    assert decision.level == "C" and decision.computed_level == "B_eligible" and decision.review_downgraded


def test_each_falsification_finding_lowers_one_more_level_down_to_d(
    b_member, city_user, district_user, django_capture_on_commit_callbacks
):
    for expected in ("C", "D", "D"):
        review = services.irregular_review_open(actor=city_user, membership=b_member, scope_note="核查")
        services.irregular_review_close(actor=city_user, review=review, findings="虚报", falsification=True)
        assert _decision(b_member.enterprise).level == expected
    compute(district_user, 2025, django_capture_on_commit_callbacks)
    assert _decision(b_member.enterprise).level == "D"


def test_a_review_without_falsification_changes_no_level(b_member, district_user):
    review = services.irregular_review_open(
        actor=district_user, membership=b_member, scope_note="核查用地数据"
    )
    with pytest.raises(StateConflict):
        services.irregular_review_open(actor=district_user, membership=b_member, scope_note="再查")
    with pytest.raises(InvalidInput):
        services.irregular_review_close(actor=district_user, review=review, findings="", falsification=False)
    review = services.irregular_review_close(
        actor=district_user, review=review, findings="数据属实。", falsification=False
    )
    assert review.level_before == "" and _decision(b_member.enterprise).level == "B_eligible"
    with pytest.raises(StateConflict):
        services.irregular_review_close(
            actor=district_user, review=review, findings="再次", falsification=True
        )


@pytest.mark.parametrize("persona", ["enterprise_user", "auditor", "other_district_user"])
def test_reviews_are_opened_by_the_city_or_the_members_district_only(persona, member, request):
    with pytest.raises(NotAllowed):
        services.irregular_review_open(
            actor=request.getfixturevalue(persona), membership=member, scope_note="核查"
        )


# --- exit and graduation ------------------------------------------------------------------------


def test_exit_needs_a_reason_and_ends_the_b_title(certified, enterprise_user):
    membership = certified.membership
    with pytest.raises(InvalidInput):
        services.membership_exit(actor=enterprise_user, membership=membership, reason=" ")
    membership = services.membership_exit(
        actor=enterprise_user, membership=membership, reason="企业搬迁出渝。"
    )
    assert membership.status == "exited" and membership.exited_on is not None
    certified.refresh_from_db()
    assert certified.status == "withdrawn"
    with pytest.raises(StateConflict):
        services.membership_exit(actor=enterprise_user, membership=membership, reason="再次")


def test_recognition_as_a_green_factory_graduates_the_member(member, city_user, enterprise_user):
    from factories.services import green_factory_recognize

    green_factory_recognize(
        actor=city_user,
        enterprise=member.enterprise,
        tier="city",
        recognized_year=2026,
        reason="2026年市级绿色工厂名单",
    )
    member.refresh_from_db()
    assert member.status == "graduated" and member.exit_reason == "晋级为绿色工厂"
    assert member.exited_on is not None
    with pytest.raises(InvalidInput):
        services.pool_application_submit(
            actor=enterprise_user,
            enterprise=member.enterprise,
            intention="再入库",
            plan="计划",
            lawful_declaration=True,
        )


def test_recognition_rejects_a_pending_entry_application(enterprise, enterprise_user, city_user):
    from factories.services import green_factory_recognize

    application = services.pool_application_submit(
        actor=enterprise_user, enterprise=enterprise, intention="意愿", plan="计划", lawful_declaration=True
    )
    green_factory_recognize(actor=city_user, enterprise=enterprise, tier="city", recognized_year=2026)
    application.refresh_from_db()
    assert application.status == "rejected" and "绿色工厂" in application.decision_reason
    assert not PoolApplication.objects.filter(status="pending").exists()


def test_an_exited_member_gets_no_new_supervision_records(member, district_user):
    import datetime as dt

    services.membership_exit(actor=district_user, membership=member, reason="企业申请退出")
    with pytest.raises(StateConflict):
        services.supervision_record_add(
            actor=district_user, membership=member, kind="assessment", date=dt.date(2026, 1, 5)
        )


def test_the_decision_after_a_fall_is_recorded_beside_the_certification_decision_not_over_it(
    certified, district_user, other_district_user, django_capture_on_commit_callbacks
):
    original = (certified.reviewed_by_id, certified.reviewed_at, certified.decision_reason)
    _worsen_and_recompute(certified.membership, district_user, django_capture_on_commit_callbacks)
    lost = services.b_certification_confirm_loss(
        actor=district_user, certification=certified, reason="2025年度绿色化水平明显下降。"
    )
    lost.refresh_from_db()
    assert (lost.reviewed_by_id, lost.reviewed_at, lost.decision_reason) == original
    assert lost.settled_by == district_user and lost.settle_reason == "2025年度绿色化水平明显下降。"
    assert lost.settled_at is not None
