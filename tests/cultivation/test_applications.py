"""Joining the pool (Art. 10): who may apply, the checklist, one pending application, accept and reject."""

from __future__ import annotations

import pytest

from accounts.errors import InvalidInput, NotAllowed, StateConflict
from accounts.models import AuditEntry
from cultivation import services
from cultivation.models import PoolApplication, PoolMembership

pytestmark = pytest.mark.django_db

PLAN = {"intention": "愿意参与梯度培育。", "plan": "三年内建成市级绿色工厂。", "lawful_declaration": True}


def test_an_enterprise_applies_and_the_checklist_records_every_art_10_condition(enterprise, enterprise_user):
    application = services.pool_application_submit(actor=enterprise_user, enterprise=enterprise, **PLAN)
    assert application.status == "pending"
    assert application.applied_by == enterprise_user
    assert {c["code"]: c["passed"] for c in application.checklist} == {
        "registered_in_chongqing": True,
        "independent_entity": True,
        "lawful_declaration": True,
        "intention_and_plan": True,
    }
    assert AuditEntry.objects.for_object(application).filter(action="pool_application.submit").exists()


def test_a_district_applies_on_behalf_of_its_enterprise(enterprise, district_user):
    application = services.pool_application_submit(actor=district_user, enterprise=enterprise, **PLAN)
    assert application.applied_by == district_user


@pytest.mark.parametrize("persona", ["city_user", "auditor", "other_district_user", "other_enterprise_user"])
def test_others_cannot_apply_for_the_enterprise(persona, enterprise, request):
    with pytest.raises(NotAllowed):
        services.pool_application_submit(
            actor=request.getfixturevalue(persona), enterprise=enterprise, **PLAN
        )
    assert not PoolApplication.objects.exists()


def test_the_applicant_must_give_intention_plan_and_declaration(enterprise, enterprise_user):
    with pytest.raises(InvalidInput) as caught:
        services.pool_application_submit(
            actor=enterprise_user, enterprise=enterprise, intention=" ", plan="", lawful_declaration=False
        )
    assert set(caught.value.field_errors) == {"intention", "plan", "lawful_declaration"}


def test_a_green_factory_cannot_apply(enterprise, enterprise_user):
    from tests.model_factories import GreenFactoryFactory

    GreenFactoryFactory(enterprise=enterprise, tier="city")
    with pytest.raises(InvalidInput) as caught:
        services.pool_application_submit(actor=enterprise_user, enterprise=enterprise, **PLAN)
    assert "绿色工厂" in str(caught.value.field_errors["enterprise"][0])


def test_a_revoked_green_factory_may_apply(enterprise, enterprise_user):
    import datetime as dt

    from tests.model_factories import GreenFactoryFactory

    GreenFactoryFactory(enterprise=enterprise, status="revoked", revoked_on=dt.date(2025, 5, 1))
    assert (
        services.pool_application_submit(actor=enterprise_user, enterprise=enterprise, **PLAN).status
        == "pending"
    )


def test_only_one_pending_application_per_enterprise(enterprise, enterprise_user, district_user):
    services.pool_application_submit(actor=enterprise_user, enterprise=enterprise, **PLAN)
    with pytest.raises(StateConflict):
        services.pool_application_submit(actor=district_user, enterprise=enterprise, **PLAN)
    assert PoolApplication.objects.count() == 1


def test_accepting_creates_the_membership(enterprise, enterprise_user, district_user):
    application = services.pool_application_submit(actor=enterprise_user, enterprise=enterprise, **PLAN)
    application = services.pool_application_accept(
        actor=district_user, application=application, note="条件齐备"
    )
    assert application.status == "accepted" and application.decided_by == district_user
    membership = PoolMembership.objects.get(enterprise=enterprise)
    assert membership.status == "active" and membership.application == application
    assert membership.district_id == "500103"
    with pytest.raises(StateConflict):
        services.pool_application_accept(actor=district_user, application=application)
    with pytest.raises(InvalidInput):
        services.pool_application_submit(actor=enterprise_user, enterprise=enterprise, **PLAN)


def test_a_green_factory_recognised_while_pending_cannot_be_accepted(
    enterprise, enterprise_user, district_user
):
    from tests.model_factories import GreenFactoryFactory

    application = services.pool_application_submit(actor=enterprise_user, enterprise=enterprise, **PLAN)
    GreenFactoryFactory(enterprise=enterprise, tier="national")
    with pytest.raises(InvalidInput) as caught:
        services.pool_application_accept(actor=district_user, application=application)
    assert "国家级绿色工厂" in str(caught.value.field_errors["enterprise"][0])
    assert not PoolMembership.objects.exists()


def test_an_enterprise_registered_outside_chongqing_cannot_be_accepted(district_user, yuzhong):
    from factories.creditcode import make_credit_code
    from tests.model_factories import EnterpriseFactory

    outsider = EnterpriseFactory(district=yuzhong, credit_code=make_credit_code("91", "110105", "55555555"))
    application = services.pool_application_submit(actor=district_user, enterprise=outsider, **PLAN)
    passed = {c["code"]: c["passed"] for c in application.checklist}
    assert passed["registered_in_chongqing"] is False and passed["independent_entity"] is True
    with pytest.raises(InvalidInput) as caught:
        services.pool_application_accept(actor=district_user, application=application)
    assert "在重庆市登记注册" in str(caught.value.message)
    assert not PoolMembership.objects.exists()


def test_rejecting_needs_a_reason(enterprise, enterprise_user, district_user):
    application = services.pool_application_submit(actor=enterprise_user, enterprise=enterprise, **PLAN)
    with pytest.raises(InvalidInput):
        services.pool_application_reject(actor=district_user, application=application, reason="  ")
    application = services.pool_application_reject(
        actor=district_user, application=application, reason="创建计划过于笼统，请细化后重新申请。"
    )
    assert application.status == "rejected" and application.decision_reason.startswith("创建计划")
    assert (
        services.pool_application_submit(actor=enterprise_user, enterprise=enterprise, **PLAN).status
        == "pending"
    )


@pytest.mark.parametrize("persona", ["enterprise_user", "city_user", "auditor"])
def test_only_the_district_decides(persona, enterprise, enterprise_user, request):
    application = services.pool_application_submit(actor=enterprise_user, enterprise=enterprise, **PLAN)
    with pytest.raises(NotAllowed):
        services.pool_application_accept(actor=request.getfixturevalue(persona), application=application)
    application.refresh_from_db()
    assert application.status == "pending"
