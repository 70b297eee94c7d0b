"""The catalogue pages: everyone reads them; the city copies into a draft, sees every problem in words,
fixes it and adopts; an adopted catalogue is not edited (§4)."""

from __future__ import annotations

import pytest
from django.test import Client

from factories.models import CatalogueVersion

pytestmark = pytest.mark.django_db

DRAFT = "GBT36132-2025-CQ"


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _indicator_form(**changes: str) -> dict[str, str]:
    form = {
        "code": "RE-02", "name_zh": "工业用水重复利用率", "unit": "%", "direction": "up", "dimension": "resources",
        "kind": "ratio", "numerator": "water_reused", "denominator": "water_withdrawal + water_reused",
        "scale": "100", "cap": "无", "divisor": "1", "same_as": "", "is_percent": "on",
    }  # fmt: skip
    return {**form, **changes}


@pytest.fixture
def draft(city_user):  # type: ignore[no-untyped-def]
    response = _client(city_user).post(
        "/factories/catalogues/GBT36132-2025/copy/",
        {"code": DRAFT, "name": "重庆试行版", "industry_divisions": ""},
    )
    assert response.status_code == 302, response.content.decode()
    return CatalogueVersion.objects.get(code=DRAFT)


def test_everyone_reads_the_catalogues_in_words(enterprise_user):
    client = _client(enterprise_user)
    listing = client.get("/factories/catalogues/").content.decode()
    assert "GBT36132-2018" in listing and "GBT36132-2025" in listing
    page = client.get("/factories/catalogues/GBT36132-2025/").content.decode()
    assert "重复利用水量 × 100 ÷ (取水量 + 重复利用水量)" in page
    assert "GBT36132-2018/WR-02" in page
    assert "复制为草案" not in page


def test_an_enterprise_cannot_copy_a_catalogue(enterprise_user):
    response = _client(enterprise_user).post(
        "/factories/catalogues/GBT36132-2025/copy/", {"code": "X-9", "name": "x"}
    )
    assert response.status_code == 403
    assert not CatalogueVersion.objects.filter(code="X-9").exists()


def test_a_definition_error_is_shown_in_words_then_fixed_and_the_draft_adopted(city_user, draft):
    client = _client(city_user)
    indicator = draft.indicators.get(code="RE-02")
    url = f"/factories/catalogues/{DRAFT}/indicators/{indicator.pk}/"
    assert client.post(url, _indicator_form(numerator="water_reuse", cap="")).status_code == 302
    page = client.get(f"/factories/catalogues/{DRAFT}/").content.decode()
    assert "草案还有 2 处问题" in page
    assert "指标 RE-02 的定义引用了不存在的数据项“water_reuse”。" in page
    assert "指标 RE-02 未说明上限：请填写上限（如 100），不封顶请填“无”。" in page
    refused = client.post(f"/factories/catalogues/{DRAFT}/adopt/", follow=True).content.decode()
    assert "指标目录还有问题，不能采用" in refused
    assert CatalogueVersion.objects.get(code=DRAFT).status == "draft"

    assert client.post(url, _indicator_form()).status_code == 302
    assert "未发现问题，可以采用。" in client.get(f"/factories/catalogues/{DRAFT}/").content.decode()
    client.post(f"/factories/catalogues/{DRAFT}/adopt/")
    assert CatalogueVersion.objects.get(code=DRAFT).status == "adopted"


def test_a_cycle_of_at_most_rules_is_shown_in_words(city_user, draft):
    client = _client(city_user)
    field = draft.fields.get(name="fixed_investment_3y")
    form = {
        "name": "fixed_investment_3y", "label_zh": "近三年固定资产投资额", "unit": "万元", "kind": "decimal",
        "dimension": "clean", "at_most": "retrofit_investment_3y", "empty_means": "not_reported",
    }  # fmt: skip
    assert client.post(f"/factories/catalogues/{DRAFT}/fields/{field.pk}/", form).status_code == 302
    page = client.get(f"/factories/catalogues/{DRAFT}/").content.decode()
    assert (
        "“不大于”约束构成循环：近三年绿色低碳改造投资额 ≤ 近三年固定资产投资额 ≤ 近三年绿色低碳改造投资额。"
        in page
    )


def test_same_as_a_missing_indicator_stays_on_the_form_with_the_reason(city_user, draft):
    indicator = draft.indicators.get(code="RE-02")
    response = _client(city_user).post(
        f"/factories/catalogues/{DRAFT}/indicators/{indicator.pk}/",
        _indicator_form(same_as="GBT36132-2018/WR-09"),
    )
    assert response.status_code == 200
    assert "所延续的指标“GBT36132-2018/WR-09”不存在" in response.content.decode()
    assert draft.indicators.get(code="RE-02").same_as is None


def test_an_adopted_catalogue_is_not_edited_through_the_page(city_user):
    version = CatalogueVersion.objects.get(code="GBT36132-2018")
    field = version.fields.get(name="site_area")
    response = _client(city_user).post(
        f"/factories/catalogues/GBT36132-2018/fields/{field.pk}/",
        {
            "name": "site_area",
            "label_zh": "占地",
            "kind": "decimal",
            "dimension": "land",
            "empty_means": "not_reported",
        },
        follow=True,
    )
    assert "指标目录GBT36132-2018已采用，不能修改；如需调整，请复制为新的草案。" in response.content.decode()
    assert version.fields.get(name="site_area").label_zh == "用地面积"
