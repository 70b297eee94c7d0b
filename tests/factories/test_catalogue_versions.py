"""Catalogue versions over the API, reporting years naming them, and adopted versions in use frozen (§4)."""

from __future__ import annotations

import pytest

from accounts.errors import InvalidInput, NotAllowed, StateConflict
from factories.catalogues import services
from factories.models import CatalogueField, CatalogueFrozen, CatalogueIndicator, CatalogueVersion
from reporting.models import ReportingYear

pytestmark = pytest.mark.django_db

YEAR = {"year": 2025, "opens_on": "2026-03-01", "closes_on": "2026-05-31"}


def test_everyone_reads_the_catalogues_with_the_api_field_names(api, enterprise_user):
    response = api.as_user(enterprise_user).get("/api/v1/catalogues/")
    assert response.status_code == 200
    versions = {v["code"]: v for v in response.json()["results"]}
    assert {"GBT36132-2018", "GBT36132-2025"} <= set(versions)
    new = versions["GBT36132-2025"]
    assert (new["version"], new["status"]) == ("2025", "draft")
    en01 = next(i for i in new["indicators"] if i["code"] == "EN-01")
    assert {
        k: en01[k] for k in ("code", "name", "unit", "direction", "dimension", "same_as", "evidence_required")
    } == {
        "code": "EN-01",
        "name": "单位产值综合能耗",
        "unit": "tce/万元",
        "direction": "down",
        "dimension": "energy",
        "same_as": "GBT36132-2018/EL-01",
        "evidence_required": False,
    }
    functions = next(f for f in new["fields"] if f["name"] == "energy_carbon_functions")
    assert functions["kind"] == "choice_set" and len(functions["choices"]) == 12
    one = api.get("/api/v1/catalogues/GBT36132-2018/").json()
    assert len(one["fields"]) == 23 and len(one["indicators"]) == 13


def test_a_reporting_year_names_its_catalogue_by_code(api, city_user):
    created = api.as_user(city_user).post("/api/v1/reporting-years/", {**YEAR, "catalogue": "GBT36132-2018"})
    assert created.status_code == 201, created.json()
    assert created.json()["catalogue"] == "GBT36132-2018"
    assert ReportingYear.objects.get(year=2025).catalogue.code == "GBT36132-2018"


def test_a_year_opened_without_a_catalogue_uses_gbt36132_2018(api, city_user):
    assert (
        api.as_user(city_user).post("/api/v1/reporting-years/", YEAR).json()["catalogue"] == "GBT36132-2018"
    )


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("GBT36132-2025", "指标目录GBT36132-2025还是草案，采用后才能用于填报年度。"),
        ("GBT-NONE", "指标目录GBT-NONE不存在。"),
    ],
)
def test_a_year_cannot_name_a_draft_or_unknown_catalogue(api, city_user, code, words):
    refused = api.as_user(city_user).post("/api/v1/reporting-years/", {**YEAR, "catalogue": code})
    assert refused.status_code == 400
    assert refused.json()["catalogue"] == [words]
    assert not ReportingYear.objects.exists()


def test_a_sector_variant_is_named_beside_the_default(api, city_user):
    variant = services.catalogue_copy(
        actor=city_user,
        source=CatalogueVersion.objects.get(code="GBT36132-2018"),
        code="GBT36132-2018-C36",
        name="汽车制造业变体",
        industry_divisions=["36"],
    )
    services.catalogue_adopt(actor=city_user, catalogue=variant)
    created = api.as_user(city_user).post(
        "/api/v1/reporting-years/", {**YEAR, "sector_catalogues": ["GBT36132-2018-C36"]}, format="json"
    )
    assert created.status_code == 201, created.json()
    assert created.json()["sector_catalogues"] == ["GBT36132-2018-C36"]
    refused = api.post(
        "/api/v1/reporting-years/", {**YEAR, "year": 2024, "catalogue": "GBT36132-2018-C36"}, format="json"
    )
    assert refused.json()["catalogue"] == [
        "GBT36132-2018-C36是行业变体目录，只能作为行业变体，不能作为年度的指标目录。"
    ]


def test_an_adopted_catalogue_used_by_a_year_cannot_be_changed_by_anyone(city_user, open_year_2025):
    field = CatalogueField.objects.get(catalogue__code="GBT36132-2018", name="site_area")
    field.label_zh = "占地"
    with pytest.raises(CatalogueFrozen) as frozen:
        field.save()
    assert "已采用，并已被填报年度或评价批次使用，不能修改" in frozen.value.message
    indicator = CatalogueIndicator.objects.get(catalogue__code="GBT36132-2018", code="WR-02")
    with pytest.raises(CatalogueFrozen):
        indicator.delete()
    version = CatalogueVersion.objects.get(code="GBT36132-2018")
    version.name = "改名"
    with pytest.raises(CatalogueFrozen):
        version.save()
    with pytest.raises(StateConflict) as refused:
        services.catalogue_field_save(
            actor=city_user, catalogue=version, field=field, values={"name": "site_area", "label_zh": "占地"}
        )
    assert refused.value.message == "指标目录GBT36132-2018已采用，不能修改；如需调整，请复制为新的草案。"
    assert CatalogueField.objects.get(pk=field.pk).label_zh == "用地面积"


def test_a_draft_is_copied_edited_and_adopted_only_without_problems(city_user):
    draft = services.catalogue_copy(
        actor=city_user,
        source=CatalogueVersion.objects.get(code="GBT36132-2025"),
        code="GBT36132-2025-CQ",
        name="重庆试行版",
    )
    assert draft.status == "draft" and draft.indicators.get(code="RE-03").same_as.code == "WR-02"
    indicator = draft.indicators.get(code="RE-02")
    services.catalogue_indicator_save(
        actor=city_user,
        catalogue=draft,
        indicator=indicator,
        values={"definition": {"kind": "ratio", "numerator": [{"field": "water_reuse", "weight": "1"}],
                               "denominator": [{"field": "water_withdrawal", "weight": "1"}], "scale": "100"}},
    )  # fmt: skip
    with pytest.raises(InvalidInput) as refused:
        services.catalogue_adopt(actor=city_user, catalogue=draft)
    assert "指标 RE-02 的定义引用了不存在的数据项“water_reuse”" in str(refused.value.message)
    assert "指标 RE-02 未说明上限" in str(refused.value.message)
    services.catalogue_indicator_save(
        actor=city_user,
        catalogue=draft,
        indicator=indicator,
        values={"definition": {"kind": "ratio", "numerator": [{"field": "water_reused", "weight": "1"}],
                               "denominator": [{"field": "water_withdrawal", "weight": "1"}], "scale": "100",
                               "cap": None}},
    )  # fmt: skip
    assert services.catalogue_adopt(actor=city_user, catalogue=draft).status == "adopted"


def test_same_as_must_name_an_existing_indicator(city_user):
    draft = services.catalogue_copy(
        actor=city_user, source=CatalogueVersion.objects.get(code="GBT36132-2025"), code="X-1", name="试行"
    )
    with pytest.raises(InvalidInput) as refused:
        services.catalogue_indicator_save(
            actor=city_user, catalogue=draft, indicator=draft.indicators.get(code="EN-01"), values={},
            same_as="GBT36132-2018/EL-09",
        )  # fmt: skip
    assert refused.value.field_errors["same_as"] == [
        "所延续的指标“GBT36132-2018/EL-09”不存在：请写成“目录代码/指标代码”，如 GBT36132-2018/EL-01。"
    ]


def test_only_the_city_manages_catalogues(district_user):
    with pytest.raises(NotAllowed):
        services.catalogue_copy(
            actor=district_user,
            source=CatalogueVersion.objects.get(code="GBT36132-2018"),
            code="X-2",
            name="x",
        )


@pytest.fixture
def open_year_2025(db):
    import datetime as dt

    return ReportingYear.objects.create(
        year=2025, opens_on=dt.date(2026, 3, 1), closes_on=dt.date(2026, 5, 31)
    )


def test_an_adopted_catalogue_used_by_a_grading_run_is_frozen_and_one_unused_is_not(city_user):
    from factories.models import GradingRun, GradingStandard

    variant = services.catalogue_copy(
        actor=city_user, source=CatalogueVersion.objects.get(code="GBT36132-2018"), code="X-3", name="试行"
    )
    services.catalogue_adopt(actor=city_user, catalogue=variant)
    variant.refresh_from_db()
    variant.note = "尚未使用：可以补充说明"
    variant.save()  # adopted but used by no year and no run
    version = CatalogueVersion.objects.get(code="GBT36132-2018")
    assert not version.in_use()
    standard = GradingStandard.objects.get(code="CQ-GF-2024", version=1)
    assert standard.parameters["catalogue_version"] == "GBT36132-2018"
    GradingRun.objects.create(year=2025, standard=standard, started_by=city_user)
    version.note = "改动"
    with pytest.raises(CatalogueFrozen):
        version.save()
