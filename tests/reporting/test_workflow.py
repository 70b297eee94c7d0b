"""The review chain draft → submitted → district_approved → city_verified, by every role (DOMAIN §5)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError
from django.utils import timezone

from accounts.errors import InvalidInput, NotAllowed, StateConflict
from accounts.models import AuditEntry
from reporting import services
from reporting.models import AnnualSubmission, SubmissionStatus, SubmissionVersion

pytestmark = pytest.mark.django_db

ROLES = [
    "city_user",
    "district_user",
    "other_district_user",
    "enterprise_user",
    "other_enterprise_user",
    "auditor",
]


def _call(action, actor, submission):  # type: ignore[no-untyped-def]
    if action == "submit":
        return services.submission_submit(actor=actor, submission=submission)
    if action == "approve":
        return services.submission_approve(actor=actor, submission=submission)
    if action == "verify":
        return services.submission_verify(actor=actor, submission=submission)
    return services.submission_return(actor=actor, submission=submission, reason="数据有误，请核对")


# (action, state fixture, the personas allowed) — every other persona is refused.
MATRIX = [
    ("submit", "draft", {"enterprise_user", "district_user"}),
    ("approve", "submitted", {"district_user"}),
    ("verify", "approved", {"city_user"}),
    ("return", "submitted", {"district_user", "city_user"}),
    ("return", "approved", {"district_user", "city_user"}),
]


@pytest.mark.parametrize(("action", "state", "allowed"), MATRIX)
@pytest.mark.parametrize("persona", ROLES)
def test_every_transition_by_every_role(action, state, allowed, persona, request):
    submission = request.getfixturevalue(state)
    actor = request.getfixturevalue(persona)
    before = submission.status
    if persona in allowed:
        after = _call(action, actor, submission)
        expected = {
            "submit": "submitted",
            "approve": "district_approved",
            "verify": "city_verified",
            "return": "draft",
        }[action]
        assert after.status == expected
        assert after.transitions.last().actor == actor
    else:
        with pytest.raises(NotAllowed):
            _call(action, actor, submission)
        submission.refresh_from_db()
        assert submission.status == before


@pytest.mark.parametrize(
    ("action", "state"),
    [
        ("approve", "draft"),
        ("verify", "draft"),
        ("verify", "submitted"),
        ("return", "draft"),
        ("submit", "submitted"),
        ("approve", "approved"),
        ("return", "verified"),
        ("submit", "verified"),
    ],
)
def test_transitions_from_the_wrong_state_are_refused_with_a_clear_message(
    action, state, request, city_user, district_user, enterprise_user
):
    submission = request.getfixturevalue(state)
    actor = {"submit": enterprise_user, "approve": district_user, "verify": city_user, "return": city_user}[
        action
    ]
    with pytest.raises(StateConflict) as error:
        _call(action, actor, submission)
    assert "当前状态为" in str(error.value.message)


def test_return_without_a_reason_is_refused(submitted, district_user):
    for blank in ("", "   "):
        with pytest.raises(InvalidInput) as error:
            services.submission_return(actor=district_user, submission=submitted, reason=blank)
        assert "退回原因" in str(error.value.field_errors["reason"][0])
    submitted.refresh_from_db()
    assert submitted.status == SubmissionStatus.SUBMITTED


def test_return_records_the_reason_and_the_enterprise_can_edit_again(approved, city_user, enterprise_user):
    returned = services.submission_return(actor=city_user, submission=approved, reason="用地面积与证照不符")
    assert returned.status == "draft" and returned.return_reason == "用地面积与证照不符"
    assert returned.transitions.last().reason == "用地面积与证照不符"
    services.submission_save_draft(
        actor=enterprise_user, enterprise=returned.enterprise, year=2025, values={"site_area": "21000"}
    )


def test_verification_locks_the_data_and_stores_indicators_and_version_one(verified, enterprise_user):
    assert verified.status == "city_verified"
    assert verified.indicators["LI-01"] == {"status": "ok", "value": "1.200000"}
    assert SubmissionVersion.objects.filter(submission=verified, version=1).exists()
    with pytest.raises(StateConflict) as error:
        services.submission_save_draft(
            actor=enterprise_user, enterprise=verified.enterprise, year=2025, values={"site_area": "1"}
        )
    assert "锁定" in str(error.value.message)


def test_a_district_user_cannot_act_on_another_districts_submission(submitted, other_district_user):
    with pytest.raises(NotAllowed):
        services.submission_approve(actor=other_district_user, submission=submitted)


def test_one_submission_per_enterprise_and_year_is_a_database_constraint(draft):
    with pytest.raises(IntegrityError):
        AnnualSubmission.objects.create(enterprise=draft.enterprise, year=2025, district_id="500103")


def test_saving_twice_updates_the_same_draft(draft, enterprise_user):
    again = services.submission_save_draft(
        actor=enterprise_user, enterprise=draft.enterprise, year=2025, values={"cod": "1600"}
    )
    assert again.pk == draft.pk
    assert again.raw_values["cod"] == "1600" and again.raw_values["site_area"] == "20000"


def test_empty_means_not_reported_and_zero_means_none(open_year, enterprise_user, enterprise):
    draft = services.submission_save_draft(
        actor=enterprise_user,
        enterprise=enterprise,
        year=2025,
        values={"site_area": "100", "coal": "0", "oil_products": ""},
    )
    assert draft.raw_values["coal"] == "0"
    assert draft.raw_values["oil_products"] is None


def test_cross_field_rules_are_enforced_with_both_fields_named(open_year, enterprise_user, enterprise):
    with pytest.raises(InvalidInput) as error:
        services.submission_save_draft(
            actor=enterprise_user,
            enterprise=enterprise,
            year=2025,
            values={"site_area": "10000", "footprint_area": "12000"},
        )
    message = error.value.field_errors["footprint_area"][0]
    assert "建构筑物及堆场占地面积" in message and "用地面积" in message
    assert not AnnualSubmission.objects.exists()


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("abc", "无法识别"),
        ("1.1234567", "6位小数"),
        ("-5", "不能为负数"),
        ("1" + "0" * 30, "数值过大"),
        # Text in scientific notation is what Excel shows of a long number; copied, its digits are lost.
        ("1e30", "科学计数法"),
    ],
)
def test_bad_numbers_get_clear_messages(open_year, enterprise_user, enterprise, value, fragment):
    with pytest.raises(InvalidInput) as error:
        services.submission_save_draft(
            actor=enterprise_user, enterprise=enterprise, year=2025, values={"cod": value}
        )
    assert fragment in str(error.value.field_errors["cod"][0])


def test_unknown_fields_are_refused_not_dropped(open_year, enterprise_user, enterprise):
    with pytest.raises(InvalidInput) as error:
        services.submission_save_draft(
            actor=enterprise_user, enterprise=enterprise, year=2025, values={"site_aera": "1"}
        )
    assert "site_aera" in error.value.field_errors


def test_submitting_needs_site_area_and_output_value(open_year, enterprise_user, enterprise):
    draft = services.submission_save_draft(
        actor=enterprise_user, enterprise=enterprise, year=2025, values={"cod": "1"}
    )
    with pytest.raises(InvalidInput) as error:
        services.submission_submit(actor=enterprise_user, submission=draft)
    assert set(error.value.field_errors) == {"site_area", "output_value"}


def test_a_change_beyond_three_times_last_year_needs_an_explanation(
    city_user, enterprise_user, enterprise, good_values
):
    today = timezone.localdate()
    for year in (2024, 2025):
        services.reporting_year_open(
            actor=city_user,
            year=year,
            opens_on=today - dt.timedelta(days=5),
            closes_on=today + dt.timedelta(days=5),
        )
    services.submission_save_draft(
        actor=enterprise_user, enterprise=enterprise, year=2024, values=good_values
    )
    tripled = {**good_values, "cod": str(int(good_values["cod"]) * 3 + 1)}
    draft = services.submission_save_draft(
        actor=enterprise_user, enterprise=enterprise, year=2025, values=tripled
    )
    assert draft.yoy_flags == ["cod"]
    with pytest.raises(InvalidInput) as error:
        services.submission_submit(actor=enterprise_user, submission=draft)
    assert "化学需氧量" in str(error.value.field_errors["explanation"][0])
    services.submission_save_draft(
        actor=enterprise_user, enterprise=enterprise, year=2025, values={}, explanation="新增产线，产量翻番"
    )
    draft.refresh_from_db()
    assert services.submission_submit(actor=enterprise_user, submission=draft).yoy_flags == ["cod"]


def test_submissions_after_the_close_date_are_accepted_but_marked_late(
    city_user, enterprise_user, enterprise, good_values
):
    today = timezone.localdate()
    services.reporting_year_open(
        actor=city_user,
        year=2025,
        opens_on=today - dt.timedelta(days=60),
        closes_on=today - dt.timedelta(days=1),
    )
    draft = services.submission_save_draft(
        actor=enterprise_user, enterprise=enterprise, year=2025, values=good_values
    )
    assert services.submission_submit(actor=enterprise_user, submission=draft).late is True


def test_on_time_submissions_are_not_late(submitted):
    assert submitted.late is False


def test_the_form_says_why_it_cannot_be_edited(city_user, enterprise_user, enterprise, submitted):
    assert "等待区县审核" in services.edit_blocker(
        enterprise_user, enterprise=enterprise, year=2025, submission=submitted
    )
    assert "尚未开放" in services.edit_blocker(
        enterprise_user, enterprise=enterprise, year=2019, submission=None
    )
    assert "只能查看" in services.edit_blocker(
        city_user, enterprise=enterprise, year=2025, submission=submitted
    )


def test_data_cannot_be_entered_before_the_window_opens(city_user, enterprise_user, enterprise):
    today = timezone.localdate()
    services.reporting_year_open(
        actor=city_user,
        year=2025,
        opens_on=today + dt.timedelta(days=3),
        closes_on=today + dt.timedelta(days=30),
    )
    with pytest.raises(InvalidInput) as error:
        services.submission_save_draft(actor=enterprise_user, enterprise=enterprise, year=2025, values={})
    assert "尚未开放" in str(error.value.message)


def test_every_state_change_is_audited_with_actor_and_reason(submitted, district_user):
    services.submission_return(actor=district_user, submission=submitted, reason="请补充说明")
    entry = AuditEntry.objects.filter(action="submission.return").get()
    assert entry.actor == district_user and entry.reason == "请补充说明"
    assert entry.changes["status"] == ["submitted", "draft"]


def test_history_keeps_the_unit_the_data_was_filed_under(verified, city_user):
    from factories.models import District
    from factories.services import district_merge

    enterprise = verified.enterprise
    enterprise.district = District.objects.get(code="500105")
    enterprise.save()
    AnnualSubmission.objects.filter(pk=verified.pk).update(district_id="500105")
    District.objects.filter(code="500105").update(valid_to=None, successor=None)
    district_merge(
        actor=city_user,
        unit=District.objects.get(code="500105"),
        successor=District.objects.get(code="LJXQ"),
        effective_on=dt.date(2026, 1, 25),
    )
    verified.refresh_from_db()
    assert verified.district_id == "500105"
    assert verified.enterprise.district_id == "LJXQ"


# --- corrections -------------------------------------------------------------------------------


def test_correction_after_the_lock_creates_a_new_version_and_keeps_the_old(
    verified, enterprise_user, city_user
):
    request = services.correction_request(
        actor=enterprise_user,
        submission=verified,
        reason="产值统计口径更正",
        new_values={"output_value": "60000"},
    )
    assert request.new_values == {"output_value": "60000"}
    services.correction_decide(actor=city_user, correction=request, approve=True)
    verified.refresh_from_db()
    assert verified.version == 2 and verified.raw_values["output_value"] == "60000"
    versions = {v.version: v for v in verified.versions.all()}
    assert versions[1].raw_values["output_value"] == "50000"
    assert versions[2].raw_values["output_value"] == "60000"
    assert verified.indicators["CP-03"]["value"] == "0.500000"  # 30000 t / 60000 万元


def test_rejected_corrections_change_nothing_and_need_a_reason(verified, enterprise_user, city_user):
    request = services.correction_request(
        actor=enterprise_user, submission=verified, reason="笔误", new_values={"cod": "1400"}
    )
    with pytest.raises(InvalidInput):
        services.correction_decide(actor=city_user, correction=request, approve=False, reason="")
    services.correction_decide(actor=city_user, correction=request, approve=False, reason="证明材料不足")
    verified.refresh_from_db()
    assert verified.version == 1 and verified.raw_values["cod"] == "1500"


def test_only_one_pending_correction_per_submission(verified, enterprise_user):
    services.correction_request(
        actor=enterprise_user, submission=verified, reason="a", new_values={"cod": "1"}
    )
    with pytest.raises(StateConflict):
        services.correction_request(
            actor=enterprise_user, submission=verified, reason="b", new_values={"cod": "2"}
        )


def test_corrections_are_only_for_locked_data(submitted, enterprise_user):
    with pytest.raises(StateConflict):
        services.correction_request(
            actor=enterprise_user, submission=submitted, reason="a", new_values={"cod": "1"}
        )


def test_a_correction_must_keep_the_cross_field_rules(verified, enterprise_user):
    with pytest.raises(InvalidInput) as error:
        services.correction_request(
            actor=enterprise_user, submission=verified, reason="a", new_values={"footprint_area": "99999"}
        )
    assert "footprint_area" in error.value.field_errors


def test_only_the_city_decides_corrections(verified, enterprise_user, district_user):
    request = services.correction_request(
        actor=enterprise_user, submission=verified, reason="a", new_values={"cod": "1"}
    )
    for actor in (enterprise_user, district_user):
        with pytest.raises(NotAllowed):
            services.correction_decide(actor=actor, correction=request, approve=True)
