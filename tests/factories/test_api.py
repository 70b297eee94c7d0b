"""The enterprise and green-factory registers over the API."""

from __future__ import annotations

import datetime as dt

import pytest

from factories.creditcode import make_credit_code
from factories.models import Enterprise, GreenFactory
from factories.services import green_factory_recognize, green_factory_revoke
from tests.model_factories import EnterpriseFactory, GreenFactoryFactory

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
    green_factory_revoke(
        actor=city_user, factory=factory, revoked_on=dt.date(2025, 6, 1), reason="重大环境事故"
    )
    factory.refresh_from_db()
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
