"""The enterprise and green-factory registers over the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from factories.creditcode import make_credit_code
from factories.models import Enterprise, GreenFactory
from factories.services import green_factory_recognize
from tests.model_factories import EnterpriseFactory, GreenFactoryFactory, revoked_title

pytestmark = pytest.mark.django_db


def _new(district: str = "500103", **extra):  # type: ignore[no-untyped-def]
    return {
        "name": "重庆新登记制造有限公司",
        "credit_code": make_credit_code("91", "500103", "55554444"),
        "district": district,
        "industry": "3670",
        "legal_form": "legal_person",
        **extra,
    }


@pytest.mark.parametrize(
    ("persona", "visible"),
    [
        ("city_user", {"e", "o", "j"}),
        ("auditor", {"e", "o", "j"}),
        ("district_user", {"e", "o"}),
        ("other_district_user", {"j"}),
        ("enterprise_user", {"e"}),
        ("other_enterprise_user", {"o"}),
    ],
)
def test_each_role_sees_only_its_own_enterprises(
    persona, visible, request, api, enterprise, other_enterprise, jiangjin_enterprise
):
    objects = {"e": enterprise, "o": other_enterprise, "j": jiangjin_enterprise}
    api.as_user(request.getfixturevalue(persona))
    assert {r["id"] for r in api.get("/api/v1/enterprises/").json()["results"]} == {
        objects[k].pk for k in visible
    }
    for key, obj in objects.items():
        assert api.get(f"/api/v1/enterprises/{obj.pk}/").status_code == (200 if key in visible else 404)


def test_a_district_user_registers_an_enterprise_of_its_own_unit(api, district_user):
    created = api.as_user(district_user).post("/api/v1/enterprises/", _new(), format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["industry"] == "3670" and body["sequence"] == "other" and body["district"] == "500103"
    assert Enterprise.objects.get(pk=body["id"]).industry_id == "36"


def test_a_district_user_cannot_register_into_another_unit(api, district_user):
    response = api.as_user(district_user).post("/api/v1/enterprises/", _new("500116"), format="json")
    assert response.status_code == 400 and "本单位" in response.json()["district"][0]


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("91500103MA5U00003X", "第18位校验码错误"),
        ("91500103MA5U0000", "应为18位"),
        ("91500103MA5U0O003N", "不使用 I、O、S、V、Z"),
    ],
)
def test_invalid_credit_codes_are_refused_in_chinese(api, city_user, code, message):
    response = api.as_user(city_user).post("/api/v1/enterprises/", _new(credit_code=code), format="json")
    assert response.status_code == 400
    assert message in response.json()["credit_code"][0]


def test_a_duplicate_credit_code_is_refused(api, city_user, enterprise):
    response = api.as_user(city_user).post(
        "/api/v1/enterprises/", _new(credit_code=enterprise.credit_code), format="json"
    )
    assert response.status_code == 400 and "已登记" in response.json()["credit_code"][0]


def test_a_non_manufacturing_industry_code_is_refused(api, city_user):
    response = api.as_user(city_user).post("/api/v1/enterprises/", _new(industry="5110"), format="json")
    assert response.status_code == 400 and "industry_code" in response.json()


def test_an_enterprise_user_edits_only_its_contact_details(
    api, enterprise_user, enterprise, other_enterprise
):
    api.as_user(enterprise_user)
    ok = api.patch(f"/api/v1/enterprises/{enterprise.pk}/", {"contact_phone": "023-61234567"}, format="json")
    assert ok.status_code == 200 and ok.json()["contact_phone"] == "023-61234567"
    refused = api.patch(f"/api/v1/enterprises/{enterprise.pk}/", {"name": "改名"}, format="json")
    assert refused.status_code == 403
    assert api.patch(f"/api/v1/enterprises/{other_enterprise.pk}/", {"contact_phone": "1"}).status_code == 404
    assert api.post("/api/v1/enterprises/", _new(), format="json").status_code == 403


def test_auditors_change_nothing(api, auditor, enterprise):
    api.as_user(auditor)
    assert api.patch(f"/api/v1/enterprises/{enterprise.pk}/", {"contact_phone": "1"}).status_code == 403
    assert (
        api.post(
            "/api/v1/green-factories/", {"enterprise": enterprise.pk, "tier": "city", "recognized_year": 2024}
        ).status_code
        == 403
    )


def test_filters_search_and_sorting(api, city_user, enterprise, other_enterprise, jiangjin_enterprise):
    GreenFactoryFactory(enterprise=enterprise, tier="national")
    api.as_user(city_user)

    def ids(**params):  # type: ignore[no-untyped-def]
        return [r["id"] for r in api.get("/api/v1/enterprises/", params).json()["results"]]

    assert set(ids(district="500116")) == {jiangjin_enterprise.pk}
    assert set(ids(sequence="green_factory")) == {enterprise.pk}
    assert set(ids(sequence="other")) == {other_enterprise.pk, jiangjin_enterprise.pk}
    assert set(ids(tier="national")) == {enterprise.pk}
    assert set(ids(q="江津")) == {jiangjin_enterprise.pk}
    assert set(ids(q=jiangjin_enterprise.credit_code[-6:].lower())) == {jiangjin_enterprise.pk}
    assert set(ids(industry="36")) == {enterprise.pk, other_enterprise.pk, jiangjin_enterprise.pk}
    names = [r["name"] for r in api.get("/api/v1/enterprises/", {"ordering": "-name"}).json()["results"]]
    assert names == sorted(names, reverse=True)


def test_sequence_follows_the_green_factory_register(api, city_user, enterprise):
    api.as_user(city_user)
    assert api.get(f"/api/v1/enterprises/{enterprise.pk}/").json()["sequence"] == "other"
    created = api.post(
        "/api/v1/green-factories/", {"enterprise": enterprise.pk, "tier": "city", "recognized_year": 2024}
    )
    assert created.status_code == 201, created.json()
    assert api.get(f"/api/v1/enterprises/{enterprise.pk}/").json()["sequence"] == "green_factory"


def test_only_city_staff_record_recognitions(api, district_user, enterprise):
    response = api.as_user(district_user).post(
        "/api/v1/green-factories/", {"enterprise": enterprise.pk, "tier": "city", "recognized_year": 2024}
    )
    assert response.status_code == 403


def test_green_factory_visibility(api, district_user, other_district_user, enterprise, jiangjin_enterprise):
    own = GreenFactoryFactory(enterprise=enterprise)
    other = GreenFactoryFactory(enterprise=jiangjin_enterprise)
    api.as_user(district_user)
    assert {r["id"] for r in api.get("/api/v1/green-factories/").json()["results"]} == {own.pk}
    assert api.get(f"/api/v1/green-factories/{other.pk}/").status_code == 404


def test_a_revoked_factory_returns_to_the_other_sequence_and_is_banned_for_three_years(city_user, enterprise):
    factory = green_factory_recognize(
        actor=city_user, enterprise=enterprise, tier="city", recognized_year=2021
    )
    revoked_title(factory, proposer=city_user, revoked_on=dt.date(2025, 6, 1), reason="重大环境事故")
    assert factory.status == "revoked" and factory.ban_until == dt.date(2028, 6, 1)
    assert Enterprise.objects.get(pk=enterprise.pk).sequence == "other"
    from accounts.errors import InvalidInput

    with pytest.raises(InvalidInput) as error:
        green_factory_recognize(actor=city_user, enterprise=enterprise, tier="city", recognized_year=2026)
    assert "不得再次认定" in str(error.value.field_errors["enterprise"][0])


def test_a_city_factory_can_be_upgraded_to_national(city_user, enterprise):
    green_factory_recognize(actor=city_user, enterprise=enterprise, tier="city", recognized_year=2021)
    factory = green_factory_recognize(
        actor=city_user, enterprise=enterprise, tier="national", recognized_year=2024
    )
    assert factory.tier == "national" and GreenFactory.objects.count() == 1


def test_enterprise_factory_helper_builds_valid_codes(db):
    from factories.creditcode import validate_credit_code

    for enterprise in EnterpriseFactory.create_batch(5):
        assert validate_credit_code(enterprise.credit_code) == enterprise.credit_code


def test_an_upgrade_to_national_still_checks_the_year(city_user, enterprise):
    from accounts.errors import InvalidInput

    green_factory_recognize(actor=city_user, enterprise=enterprise, tier="city", recognized_year=2021)
    with pytest.raises(InvalidInput):
        green_factory_recognize(actor=city_user, enterprise=enterprise, tier="national", recognized_year=1990)
    assert GreenFactory.objects.get(enterprise=enterprise).recognized_year == 2021


def test_moving_an_enterprise_to_another_unit_keeps_the_unit_history(api, city_user, enterprise):
    response = api.as_user(city_user).patch(
        f"/api/v1/enterprises/{enterprise.pk}/", {"district": "500116"}, format="json"
    )
    assert response.status_code == 200
    transfer = enterprise.transfers.get()
    assert (transfer.from_district_id, transfer.to_district_id) == ("500103", "500116")


def test_a_non_numeric_recognition_year_is_a_clear_error(api, city_user, enterprise):
    response = api.as_user(city_user).post(
        "/api/v1/green-factories/",
        {"enterprise": enterprise.pk, "tier": "city", "recognized_year": "二〇二四"},
    )
    assert response.status_code == 400


# ------------------------------------------------------------------ revocation from the register (four eyes)


def test_the_register_s_revoke_answers_201_with_a_proposal_and_the_title_stands(api, city_user, enterprise):
    factory = GreenFactoryFactory(enterprise=enterprise, recognized_year=2021)
    response = api.as_user(city_user).post(
        f"/api/v1/green-factories/{factory.pk}/revoke/", {"reason": "弄虚作假", "revoked_on": "2025-06-01"}
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["source"] == "register" and body["source_display"] == "名录直接提出" and body["run"] is None
    assert body["status"] == "proposed" and body["revoked_on"] == "2025-06-01"
    assert body["reason_text"] == "弄虚作假" and body["proposed_by"] == city_user.username
    still = api.get(f"/api/v1/green-factories/{factory.pk}/").json()
    assert still["status"] == "active" and still["revoked_on"] is None
    assert api.get(f"/api/v1/enterprises/{enterprise.pk}/").json()["sequence"] == "green_factory"
    listed = api.get("/api/v1/revocation-proposals/", {"source": "register"}).json()["results"]
    assert [p["id"] for p in listed] == [body["id"]]


def test_the_proposer_cannot_confirm_and_a_second_city_user_revokes_with_the_given_date(
    api, city_user, second_city_user, enterprise
):
    factory = GreenFactoryFactory(enterprise=enterprise, recognized_year=2021)
    proposal = (
        api.as_user(city_user)
        .post(
            f"/api/v1/green-factories/{factory.pk}/revoke/",
            {"reason": "弄虚作假", "revoked_on": "2025-06-01"},
        )
        .json()
    )
    refused = api.post(f"/api/v1/revocation-proposals/{proposal['id']}/confirm/", {"note": ""})
    assert refused.status_code == 403 and "另一名市级工作人员" in refused.json()["detail"]
    assert (
        api.post(f"/api/v1/revocation-proposals/{proposal['id']}/reject/", {"note": "撤回"}).status_code
        == 403
    )
    assert GreenFactory.objects.get(pk=factory.pk).status == "active"

    confirmed = api.as_user(second_city_user).post(
        f"/api/v1/revocation-proposals/{proposal['id']}/confirm/", {"note": "复核属实"}
    )
    assert confirmed.status_code == 200, confirmed.json()
    assert confirmed.json()["status"] == "confirmed" and confirmed.json()["decided_by"] == "alan"
    revoked = api.get(f"/api/v1/green-factories/{factory.pk}/").json()
    assert revoked["status"] == "revoked" and revoked["revoked_on"] == "2025-06-01"
    assert revoked["ban_until"] == "2028-06-01" and revoked["revoke_reason"] == "弄虚作假"
    from accounts.models import AuditEntry

    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"revocation.propose", "revocation.confirm", "green_factory.revoke"} <= actions


def test_a_factory_with_a_pending_proposal_cannot_get_a_second_one(
    api, city_user, second_city_user, enterprise
):
    factory = GreenFactoryFactory(enterprise=enterprise)
    url = f"/api/v1/green-factories/{factory.pk}/revoke/"
    assert api.as_user(city_user).post(url, {"reason": "弄虚作假"}).status_code == 201
    second = api.as_user(second_city_user).post(url, {"reason": "重大安全事故"})
    assert second.status_code == 409 and "已有一条待确认的撤销建议" in second.json()["detail"]


def test_a_second_city_user_rejects_a_register_proposal_and_the_title_stays(
    api, city_user, second_city_user, enterprise
):
    factory = GreenFactoryFactory(enterprise=enterprise)
    proposal = (
        api.as_user(city_user)
        .post(f"/api/v1/green-factories/{factory.pk}/revoke/", {"reason": "弄虚作假"})
        .json()
    )
    rejected = api.as_user(second_city_user).post(
        f"/api/v1/revocation-proposals/{proposal['id']}/reject/", {"note": "证据不足"}
    )
    assert rejected.status_code == 200 and rejected.json()["status"] == "dismissed"
    assert GreenFactory.objects.get(pk=factory.pk).status == "active"
    again = api.as_user(city_user).post(f"/api/v1/green-factories/{factory.pk}/revoke/", {"reason": "复查"})
    assert again.status_code == 201, "a decided proposal no longer blocks a new one"


@pytest.mark.parametrize("persona", ["district_user", "enterprise_user", "auditor"])
def test_only_city_staff_propose_a_revocation(api, persona, request, enterprise):
    factory = GreenFactoryFactory(enterprise=enterprise)
    response = api.as_user(request.getfixturevalue(persona)).post(
        f"/api/v1/green-factories/{factory.pk}/revoke/", {"reason": "弄虚作假"}
    )
    assert response.status_code in (403, 404)
    assert not GreenFactory.objects.get(pk=factory.pk).revoked_on


def _revoked_until(city_user, enterprise, ban_until: dt.date) -> GreenFactory:  # type: ignore[no-untyped-def]
    """A title revoked three years before `ban_until` (three years to the day)."""
    factory = GreenFactoryFactory(enterprise=enterprise, recognized_year=2016)
    revoked_on = ban_until.replace(year=ban_until.year - 3)
    factory = revoked_title(factory, proposer=city_user, revoked_on=revoked_on, reason="弄虚作假")
    assert factory.ban_until == ban_until
    return factory


def test_re_recognition_is_refused_the_day_before_ban_until_and_names_the_date(api, city_user, enterprise):
    today = timezone.localdate()
    factory = _revoked_until(city_user, enterprise, today + dt.timedelta(days=1))
    response = api.as_user(city_user).post(
        "/api/v1/green-factories/",
        {"enterprise": enterprise.pk, "tier": "city", "recognized_year": today.year},
    )
    assert response.status_code == 400
    message = response.json()["enterprise"][0]
    assert "不得再次认定" in message and str(factory.ban_until) in message
    assert GreenFactory.objects.get(pk=factory.pk).status == "revoked"


def test_re_recognition_is_allowed_on_ban_until_itself(api, city_user, enterprise):
    today = timezone.localdate()
    factory = _revoked_until(city_user, enterprise, today)
    response = api.as_user(city_user).post(
        "/api/v1/green-factories/",
        {"enterprise": enterprise.pk, "tier": "city", "recognized_year": today.year},
    )
    assert response.status_code == 201, response.json()
    factory.refresh_from_db()
    assert factory.status == "active" and factory.ban_until is None


def test_a_recognition_dated_before_ban_until_is_refused_even_in_the_ban_s_last_year(city_user, enterprise):
    """Revoked 2022-06-01: the ban ends 2025-06-01, not on 1 January 2025 (the old year-end comparison)."""
    from accounts.errors import InvalidInput

    factory = GreenFactoryFactory(enterprise=enterprise, recognized_year=2019)
    revoked_title(factory, proposer=city_user, revoked_on=dt.date(2022, 6, 1), reason="弄虚作假")
    with pytest.raises(InvalidInput) as error:
        green_factory_recognize(
            actor=city_user,
            enterprise=enterprise,
            tier="city",
            recognized_year=2025,
            recognized_on=dt.date(2025, 5, 31),
        )
    assert "2025-06-01前不得再次认定" in str(error.value.field_errors["enterprise"][0])
    recognised = green_factory_recognize(
        actor=city_user,
        enterprise=enterprise,
        tier="city",
        recognized_year=2025,
        recognized_on=dt.date(2025, 6, 1),
    )
    assert recognised.status == "active" and recognised.recognized_on == dt.date(2025, 6, 1)


def test_a_recognition_for_a_year_before_the_ban_ends_is_refused_even_when_recorded_later(
    city_user, enterprise
):
    from accounts.errors import InvalidInput

    factory = GreenFactoryFactory(enterprise=enterprise, recognized_year=2019)
    revoked_title(factory, proposer=city_user, revoked_on=dt.date(2022, 6, 1), reason="弄虚作假")
    with pytest.raises(InvalidInput) as error:
        green_factory_recognize(actor=city_user, enterprise=enterprise, tier="city", recognized_year=2024)
    assert "2025-06-01前不得再次认定" in str(error.value.field_errors["enterprise"][0])
