"""A 2026 reporting year on GBT36132-2025 (DOMAIN §4b, issue 15 item 2): the year names the catalogue, the
enterprise reports its raw fields through the web form and the API (counts, a choice set), every indicator
is checked against values worked out by hand, the evidence the catalogue marks blocks submission until a
file is there, and GBT36132-2018 years are unchanged.

GBT36132-2025 ships as a draft; the tests adopt it through the catalogue service, as the city would.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.errors import InvalidInput
from factories.catalogues import services as catalogue_services
from factories.catalogues.bridge import from_data, reporting_catalogue
from factories.models import CatalogueVersion
from reporting import services
from reporting.models import AnnualSubmission, ReportingYear, SubmissionStatus
from reporting.values import compute_indicators, from_storage, parse_raw_values, to_storage
from tests.reporting.test_evidence import PDF, upload

pytestmark = pytest.mark.django_db

CATALOGUE = "GBT36132-2025"
FUNCTIONS = ["能耗查询", "能效对标", "碳排放核算"]

VALUES_2025 = {
    "site_area": "20000",
    "floor_area": "24000",
    "footprint_area": "12000",
    "output_value": "50000",
    "solid_waste": "1200",
    "solid_waste_utilized": "1080",
    "electricity": "5000000",
    "natural_gas": "200000",
    "coal": "0",
    "oil_products": "20",
    "purchased_heat": "3000",
    "renewable_electricity": "1000000",
    "co2": "4200",
    "renewable_heat": "500",
    "water_withdrawal": "60000",
    "water_reused": "240000",
    "energy_carbon_functions": FUNCTIONS,
    "advanced_equipment": "4",
    "retrofit_projects_3y": "5",
    "retrofit_investment_3y": "1200",
    "fixed_investment_3y": "8000",
    "wastewater_conc_pct": "40",
    "waste_gas_conc_pct": "70",
    "product_categories": "8",
    "footprint_categories": "3",
    "energy_saving_output": "12500",
    "material_cases": "2",
    "green_design_cases": "1",
}

# Worked out by hand from VALUES_2025 (6 decimals, half-up):
# energy_tce = 5 000 000 × 0.0001229 + 200 000 × 0.0012143 + 0 × 0.7143 + 20 × 1.4571 + 3000 × 0.03412
#            = 614.5 + 242.86 + 0 + 29.142 + 102.36 = 988.862 tce
EXPECTED = {
    "EN-01": "0.019777",  # 988.862 / 50 000 = 0.01977724
    "EN-02": "0.084000",  # 4200 / 50 000
    "EN-03": "14.153643",  # (1 000 000 × 0.0001229 + 500 × 0.03412) / 988.862 × 100 = 139.96 / 988.862 × 100
    "EN-04": "3.000000",  # three functions ticked
    "RE-01": "1.200000",  # 60 000 / 50 000
    "RE-02": "80.000000",  # 240 000 / (60 000 + 240 000) × 100
    "RE-03": "90.000000",  # min(100, 1080 / 1200 × 100)
    "RE-04": "2.000000",  # two cases
    "CL-01": "4.000000",  # four pieces of equipment
    "CL-02": "1.666667",  # 5 / 3
    "CL-03": "15.000000",  # 1200 / 8000 × 100
    "CL-04": "45.000000",  # ((100 − 40) + (100 − 70)) / 2
    "PR-01": "37.500000",  # 3 / 8 × 100
    "PR-02": "25.000000",  # 12 500 / 50 000 × 100
    "PR-03": "1.000000",  # one case
    "LA-01": "1666.675000",  # 50 000 / (20 000 / 666.67)
    "LA-02": "60.000000",  # 12 000 / 20 000 × 100
    "LA-03": "1.200000",  # 24 000 / 20 000
}
EVIDENCE_REQUIRED = ["EN-03", "EN-04", "RE-04", "CL-01", "CL-02", "CL-03", "CL-04", "PR-01", "PR-02", "PR-03"]


@pytest.fixture
def adopted_2025(city_user):  # type: ignore[no-untyped-def]
    draft = CatalogueVersion.objects.get(code=CATALOGUE)
    return catalogue_services.catalogue_adopt(actor=city_user, catalogue=draft)


@pytest.fixture
def year_2026(city_user, adopted_2025):  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    return services.reporting_year_open(
        actor=city_user,
        year=2026,
        opens_on=max(today - dt.timedelta(days=30), dt.date(2026, 1, 1)),
        closes_on=today + dt.timedelta(days=30),
        catalogue=CATALOGUE,
    )


@pytest.fixture
def draft_2026(year_2026, enterprise_user, enterprise):  # type: ignore[no-untyped-def]
    return services.submission_save_draft(
        actor=enterprise_user, enterprise=enterprise, year=2026, values=VALUES_2025
    )


def computed(stored):  # type: ignore[no-untyped-def]
    return {
        code: (str(iv.status), None if iv.value is None else format(iv.value, "f"))
        for code, iv in compute_indicators(stored, CATALOGUE).items()
    }


# --- the year ---------------------------------------------------------------------------------------------


def test_a_2026_year_can_name_gbt36132_2025_over_the_api(api, city_user, adopted_2025):
    today = timezone.localdate()
    response = api.as_user(city_user).post(
        "/api/v1/reporting-years/",
        {
            "year": 2026,
            "opens_on": str(max(today - dt.timedelta(days=10), dt.date(2026, 1, 1))),
            "closes_on": str(today + dt.timedelta(days=30)),
            "catalogue": CATALOGUE,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["catalogue"] == CATALOGUE
    assert ReportingYear.objects.get(year=2026).catalogue_version == CATALOGUE


def test_a_2026_year_uses_gbt36132_2025_by_default_once_adopted(city_user, adopted_2025):
    today = timezone.localdate()
    opened = services.reporting_year_open(
        actor=city_user, year=2026, opens_on=dt.date(2026, 1, 1), closes_on=today + dt.timedelta(days=3)
    )
    assert opened.catalogue_version == CATALOGUE


def test_while_gbt36132_2025_is_a_draft_a_year_cannot_name_it_and_2026_keeps_2018(city_user):
    today = timezone.localdate()
    with pytest.raises(InvalidInput) as refused:
        services.reporting_year_open(
            actor=city_user, year=2026, opens_on=dt.date(2026, 1, 1), closes_on=today, catalogue=CATALOGUE
        )
    assert "还是草案" in str(refused.value.field_errors["catalogue"][0])
    opened = services.reporting_year_open(
        actor=city_user, year=2026, opens_on=dt.date(2026, 1, 1), closes_on=today + dt.timedelta(days=3)
    )
    assert opened.catalogue_version == "GBT36132-2018"


# --- every indicator by hand ------------------------------------------------------------------------------


def test_every_indicator_against_hand_computed_values(draft_2026):
    assert draft_2026.catalogue_version == CATALOGUE
    assert draft_2026.raw_values["energy_carbon_functions"] == FUNCTIONS
    assert draft_2026.raw_values["advanced_equipment"] == "4"
    result = computed(draft_2026.raw_values)
    assert list(result) == list(EXPECTED)
    assert result == {code: ("ok", value) for code, value in EXPECTED.items()}


@pytest.mark.parametrize(
    ("changes", "code", "expected"),
    [
        # zero denominators: not applicable
        ({"fixed_investment_3y": "0", "retrofit_investment_3y": "0"}, "CL-03", ("not_applicable", None)),
        ({"product_categories": "0", "footprint_categories": "0"}, "PR-01", ("not_applicable", None)),
        ({"water_withdrawal": "0", "water_reused": "0"}, "RE-02", ("not_applicable", None)),
        ({"solid_waste": "0"}, "RE-03", ("not_applicable", None)),
        ({"site_area": "0"}, "LA-01", ("not_applicable", None)),
        # CL-04: the mean over the media with a permit limit; n/a when neither has one
        ({"wastewater_conc_pct": None, "waste_gas_conc_pct": None}, "CL-04", ("not_applicable", None)),
        ({"waste_gas_conc_pct": None}, "CL-04", ("ok", "60.000000")),
        ({"wastewater_conc_pct": None}, "CL-04", ("ok", "30.000000")),
        # PR-02: n/a when no national energy-efficiency standard applies (energy_saving_output empty)
        ({"energy_saving_output": None}, "PR-02", ("not_applicable", None)),
        # a choice set: [] = none chosen (0), None = not reported
        ({"energy_carbon_functions": []}, "EN-04", ("ok", "0.000000")),
        ({"energy_carbon_functions": None}, "EN-04", ("not_reported", None)),
        # not reported: an empty input
        ({"advanced_equipment": None}, "CL-01", ("not_reported", None)),
        ({"retrofit_projects_3y": None}, "CL-02", ("not_reported", None)),
        ({"renewable_heat": None}, "EN-03", ("not_reported", None)),
        ({"output_value": None}, "EN-01", ("not_reported", None)),
        ({"output_value": None}, "PR-02", ("not_reported", None)),
        ({"water_reused": None}, "RE-02", ("not_reported", None)),
        ({"material_cases": None}, "RE-04", ("not_reported", None)),
        ({"green_design_cases": None}, "PR-03", ("not_reported", None)),
        ({"footprint_categories": None}, "PR-01", ("not_reported", None)),
        ({"co2": None}, "EN-02", ("not_reported", None)),
        ({"floor_area": None}, "LA-03", ("not_reported", None)),
    ],
)
def test_not_applicable_and_not_reported(changes, code, expected):  # type: ignore[no-untyped-def]
    catalogue = reporting_catalogue(CATALOGUE)
    parsed, errors = parse_raw_values(catalogue, {**VALUES_2025, **changes})
    assert errors == {}
    assert computed(to_storage(parsed))[code] == expected


def test_storage_round_trip_keeps_kinds():
    catalogue = reporting_catalogue(CATALOGUE)
    parsed, errors = parse_raw_values(
        catalogue, {**VALUES_2025, "energy_carbon_functions": "碳排放核算、能耗查询"}
    )
    assert errors == {}
    stored = to_storage(parsed)
    # a choice set is stored as the item names in catalogue order; numbers as decimal strings
    assert stored["energy_carbon_functions"] == ["能耗查询", "碳排放核算"]
    assert stored["advanced_equipment"] == "4"
    back = from_storage(stored, catalogue)
    assert back["energy_carbon_functions"] == ["能耗查询", "碳排放核算"]
    assert back["retrofit_projects_3y"] == Decimal(5)


# --- validation in words -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        (
            {"energy_carbon_functions": ["能耗查询", "碳交易"]},
            "energy_carbon_functions",
            "没有“碳交易”这一项",
        ),
        ({"advanced_equipment": "2.5"}, "advanced_equipment", "应为非负整数"),
        ({"material_cases": "-1"}, "material_cases", "不能为负数"),
        ({"advanced_equipment": "两项"}, "advanced_equipment", "应为数字"),
        ({"footprint_categories": "9"}, "footprint_categories", "不能大于主要产品类别数"),
        ({"retrofit_investment_3y": "9000"}, "retrofit_investment_3y", "不能大于近三年固定资产投资额"),
        ({"energy_saving_output": "60000"}, "energy_saving_output", "不能大于工业总产值"),
        ({"site_area": "0"}, "site_area", "必须大于0"),
    ],
)
def test_bad_values_are_refused_in_chinese_and_nothing_is_written(  # type: ignore[no-untyped-def]
    year_2026, enterprise_user, enterprise, changes, field, words
):
    with pytest.raises(InvalidInput) as refused:
        services.submission_save_draft(
            actor=enterprise_user, enterprise=enterprise, year=2026, values={**VALUES_2025, **changes}
        )
    assert words in " ".join(str(m) for m in refused.value.field_errors[field])
    assert not AnnualSubmission.objects.filter(enterprise=enterprise, year=2026).exists()


def test_a_yes_no_field_takes_yes_or_no():
    """No shipped field is yes-no yet; a sector variant may add one."""
    catalogue = from_data(
        {
            "code": "T",
            "fields": [{"name": "has_platform", "label_zh": "是否建成能碳管理平台", "kind": "yes_no"}],
            "indicators": [
                {"code": "X-01", "name_zh": "平台", "definition": {"kind": "value", "field": "has_platform"}}
            ],
        }
    )
    for typed, stored in ((True, "1"), ("是", "1"), ("否", "0"), (0, "0"), ("", None)):
        parsed, errors = parse_raw_values(catalogue, {"has_platform": typed})
        assert errors == {}
        assert to_storage(parsed)["has_platform"] == stored
    _, errors = parse_raw_values(catalogue, {"has_platform": "也许"})
    assert "只能填“是”或“否”" in str(errors["has_platform"][0])


# --- evidence ------------------------------------------------------------------------------------------------


def test_evidence_required_indicators_block_submission_until_each_has_a_file(draft_2026, enterprise_user):
    with pytest.raises(InvalidInput) as refused:
        services.submission_submit(actor=enterprise_user, submission=draft_2026)
    text = " ".join(str(m) for m in refused.value.field_errors["evidence"])
    for code in EVIDENCE_REQUIRED:
        assert code in text
    for code in ("EN-01", "LA-01", "RE-01"):
        assert code not in text
    # one file on each marked indicator (or on a field it reads) ...
    backing = {
        "EN-03": "renewable_heat",
        "EN-04": "energy_carbon_functions",
        "RE-04": "material_cases",
        "CL-01": "advanced_equipment",
        "CL-02": "CL-02",
        "CL-03": "retrofit_investment_3y",
        "CL-04": "wastewater_conc_pct",
        "PR-01": "footprint_categories",
        "PR-02": "energy_saving_output",
    }
    for key in backing.values():
        services.evidence_add(
            actor=enterprise_user, submission=draft_2026, field=key, upload=upload("证明.pdf", PDF), note=""
        )
    with pytest.raises(InvalidInput) as still:
        services.submission_submit(actor=enterprise_user, submission=draft_2026)
    assert still.value.field_errors["evidence"] == [
        "以下项目需要佐证材料，请上传后再提交：PR-03 绿色设计典型应用案例。"
    ]
    services.evidence_add(
        actor=enterprise_user, submission=draft_2026, field="PR-03", upload=upload("案例.pdf", PDF), note=""
    )
    submitted = services.submission_submit(actor=enterprise_user, submission=draft_2026)
    assert submitted.status == SubmissionStatus.SUBMITTED


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


# --- the API ---------------------------------------------------------------------------------------------------


def test_the_api_takes_and_returns_the_catalogues_fields_and_indicators(
    api, year_2026, enterprise_user, enterprise
):
    client = api.as_user(enterprise_user)
    response = client.post(
        "/api/v1/submissions/", {"enterprise": enterprise.pk, "year": 2026, **VALUES_2025}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["catalogue_version"] == CATALOGUE
    assert body["energy_carbon_functions"] == FUNCTIONS
    assert body["advanced_equipment"] == "4"
    assert "cod" not in body  # a GBT36132-2018 field
    read = client.get(f"/api/v1/submissions/{body['id']}/").json()
    assert read["water_withdrawal"] == "60000" and read["energy_carbon_functions"] == FUNCTIONS
    listed = client.get("/api/v1/submissions/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert next(r for r in rows if r["id"] == body["id"])["energy_carbon_functions"] == FUNCTIONS
    indicators = client.get(f"/api/v1/submissions/{body['id']}/indicators/").json()
    assert [row["code"] for row in indicators] == list(EXPECTED)
    by_code = {row["code"]: row for row in indicators}
    assert {
        k: by_code["EN-04"][k] for k in ("name", "unit", "direction", "dimension", "status", "value")
    } == {
        "name": "能碳管理平台功能符合数量",
        "unit": "项",
        "direction": "up",
        "dimension": "energy",
        "status": "ok",
        "value": "3.000000",
    }
    assert by_code["EN-01"]["direction"] == "down" and by_code["EN-01"]["same_as"] == "GBT36132-2018/EL-01"
    assert by_code["CL-03"]["evidence_required"] is True
    assert {row["code"]: row["value"] for row in indicators} == EXPECTED
    # a partial update of the choice set: [] means none chosen
    patched = client.patch(
        f"/api/v1/submissions/{body['id']}/", {"energy_carbon_functions": []}, format="json"
    )
    assert patched.status_code == 200, patched.json()
    assert patched.json()["energy_carbon_functions"] == []


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"energy_carbon_functions": ["碳交易"]}, "energy_carbon_functions", "没有“碳交易”这一项"),
        ({"energy_carbon_functions": "能耗查询"}, "energy_carbon_functions", "应为所选项目名称的列表"),
        ({"advanced_equipment": "1.5"}, "advanced_equipment", "应为非负整数"),
        ({"advanced_equipment": [1]}, "advanced_equipment", "应为数字"),
        ({"cod": "12"}, "cod", "没有数据项“cod”"),
    ],
)
def test_the_api_refuses_bad_values_with_chinese_400s(  # type: ignore[no-untyped-def]
    api, year_2026, enterprise_user, enterprise, changes, field, words
):
    response = api.as_user(enterprise_user).post(
        "/api/v1/submissions/",
        {"enterprise": enterprise.pk, "year": 2026, **VALUES_2025, **changes},
        format="json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 400
    assert words in str(response.json()), response.json()
    assert not AnnualSubmission.objects.filter(enterprise=enterprise, year=2026).exists()


# --- the web form ------------------------------------------------------------------------------------------------


def edit_url(enterprise):  # type: ignore[no-untyped-def]
    return reverse("reporting:submission_edit", args=[enterprise.pk, 2026])


def test_the_form_is_grouped_by_the_catalogues_dimensions_with_widgets_per_kind(
    client, enterprise_user, enterprise, year_2026
):
    client.force_login(enterprise_user)
    page = client.get(edit_url(enterprise)).content.decode()
    positions = [
        page.index(f"<legend>{name}</legend>")
        for name in ("能源低碳化", "资源高效化", "生产洁净化", "产品绿色化", "用地集约化")
    ]
    assert positions == sorted(positions)
    assert 'type="checkbox" name="energy_carbon_functions" value="碳资产管理"' in page
    assert "以上均不具备" in page
    assert 'name="advanced_equipment"' in page and 'inputmode="numeric"' in page
    assert "排污许可证未规定废水限值的请留空" in page  # help text
    assert 'name="cod"' not in page


def test_a_submission_through_the_web_form(client, enterprise_user, enterprise, year_2026):
    client.force_login(enterprise_user)
    response = client.post(edit_url(enterprise), {**VALUES_2025, "action": "save"})
    assert response.status_code == 302
    stored = AnnualSubmission.objects.get(enterprise=enterprise, year=2026)
    assert stored.catalogue_version == CATALOGUE
    assert stored.raw_values["energy_carbon_functions"] == FUNCTIONS
    assert computed(stored.raw_values) == {code: ("ok", value) for code, value in EXPECTED.items()}
    # 以上均不具备 = none chosen; no box at all = not reported
    client.post(
        edit_url(enterprise), {**VALUES_2025, "energy_carbon_functions": ["__none__"], "action": "save"}
    )
    stored.refresh_from_db()
    assert stored.raw_values["energy_carbon_functions"] == []
    values = {k: v for k, v in VALUES_2025.items() if k != "energy_carbon_functions"}
    client.post(edit_url(enterprise), {**values, "action": "save"})
    stored.refresh_from_db()
    assert stored.raw_values["energy_carbon_functions"] is None
    # the saved page ticks what is stored
    client.post(edit_url(enterprise), {**VALUES_2025, "action": "save"})
    page = client.get(edit_url(enterprise)).content.decode()
    assert 'value="能耗查询" class="choice-set" id="id_energy_carbon_functions_0" checked' in page


def test_the_web_form_refuses_bad_values_in_chinese_and_keeps_the_input(
    client, enterprise_user, enterprise, year_2026
):
    client.force_login(enterprise_user)
    response = client.post(
        edit_url(enterprise),
        {
            **VALUES_2025,
            "advanced_equipment": "2.5",
            "energy_carbon_functions": ["__none__", "能耗查询"],
            "action": "save",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "“以上均不具备”不能与其他选项同时勾选。" in page
    assert 'value="2.5"' in page  # the typed input is kept
    response = client.post(
        edit_url(enterprise), {**VALUES_2025, "advanced_equipment": "2.5", "action": "save"}
    )
    assert "列入国家鼓励目录的先进工艺技术装备应为非负整数（当前为 2.5 项）。" in response.content.decode()
    assert not AnnualSubmission.objects.filter(enterprise=enterprise, year=2026).exists()


def test_the_live_preview_computes_the_2025_indicators(client, enterprise_user, enterprise, year_2026):
    client.force_login(enterprise_user)
    response = client.post(
        reverse("reporting:indicator_preview"),
        {
            **VALUES_2025,
            "catalogue_version": CATALOGUE,
            "preview_enterprise": enterprise.pk,
            "preview_year": 2026,
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    for code, value in EXPECTED.items():
        assert f"<code>{code}</code>" in page
        assert value in page
    response = client.post(
        reverse("reporting:indicator_preview"),
        {**VALUES_2025, "catalogue_version": CATALOGUE, "advanced_equipment": "1.5"},
    )
    page = response.content.decode()
    assert "应为非负整数" in page and "数据有误" in page


def test_the_detail_page_shows_the_choice_set_in_words(client, enterprise_user, draft_2026):
    client.force_login(enterprise_user)
    page = client.get(reverse("reporting:submission_detail", args=[draft_2026.pk])).content.decode()
    assert "能耗查询、能效对标、碳排放核算" in page
    assert "EN-04" in page and "能碳管理平台功能符合数量" in page


# --- GBT36132-2018 unchanged ----------------------------------------------------------------------------------------


def test_gbt36132_2018_results_are_those_of_the_code_catalogue(good_values):
    from factories.indicators import GBT36132_2018, derive_indicators

    catalogue = reporting_catalogue("GBT36132-2018")
    parsed, errors = parse_raw_values(catalogue, good_values)
    assert errors == {}
    assert compute_indicators(to_storage(parsed), "GBT36132-2018") == derive_indicators(parsed, GBT36132_2018)
    for missing in ("output_value", "wastewater_treated", "electricity"):
        values = {**parsed, missing: None}
        assert compute_indicators(to_storage(values), "GBT36132-2018") == derive_indicators(
            values, GBT36132_2018
        )
    zero = {**parsed, "wastewater_treated": Decimal(0), "wastewater_reused": Decimal(0)}
    assert compute_indicators(to_storage(zero), "GBT36132-2018") == derive_indicators(zero, GBT36132_2018)


def test_the_database_copy_of_2018_reads_like_the_code_catalogue():
    """GBT36132-2018 is built from the code catalogue without a query; the stored version says the same."""
    from factories.catalogues.bridge import _data_of

    stored = from_data(_data_of(CatalogueVersion.objects.get(code="GBT36132-2018")))
    built = reporting_catalogue("GBT36132-2018")
    assert stored.raw_fields == built.raw_fields
    assert stored.indicators == built.indicators
    assert stored.dimensions == built.dimensions


# --- corrections of locked 2026 data --------------------------------------------------------------------------------

WITHOUT_EVIDENCE = {
    # Only figures whose indicators need no file: the marked ones are not reported or not applicable.
    k: v
    for k, v in VALUES_2025.items()
    if k
    not in {
        "renewable_heat", "energy_carbon_functions", "material_cases", "advanced_equipment", "retrofit_projects_3y",
        "fixed_investment_3y", "retrofit_investment_3y", "wastewater_conc_pct", "waste_gas_conc_pct",
        "product_categories", "footprint_categories", "energy_saving_output", "green_design_cases",
    }
}  # fmt: skip


@pytest.fixture
def verified_2026(year_2026, enterprise_user, enterprise, district_user, city_user):  # type: ignore[no-untyped-def]
    draft = services.submission_save_draft(
        actor=enterprise_user, enterprise=enterprise, year=2026, values=WITHOUT_EVIDENCE
    )
    submitted = services.submission_submit(actor=enterprise_user, submission=draft)
    approved = services.submission_approve(actor=district_user, submission=submitted)
    return services.submission_verify(actor=city_user, submission=approved)


def test_locked_2026_data_stores_the_2025_indicators(verified_2026):
    assert sorted(verified_2026.indicators) == sorted(EXPECTED)
    assert verified_2026.indicators["EN-01"] == {"status": "ok", "value": "0.019777"}
    assert verified_2026.indicators["EN-04"] == {"status": "not_reported", "value": None}
    assert verified_2026.indicators["CL-04"] == {"status": "not_applicable", "value": None}


def test_a_correction_through_the_form_changes_a_choice_set_and_a_count(
    client, enterprise_user, city_user, verified_2026
):
    url = reverse("reporting:correction_create", args=[verified_2026.pk])
    client.force_login(enterprise_user)
    page = client.get(url).content.decode()
    assert 'type="checkbox" name="energy_carbon_functions"' in page
    posted = {**WITHOUT_EVIDENCE, "reason": "漏填能碳平台功能和先进装备", "advanced_equipment": "3"}
    response = client.post(url, {**posted, "energy_carbon_functions": ["碳资产管理", "能耗查询"]})
    assert response.status_code == 302
    correction = verified_2026.corrections.get()
    assert correction.new_values == {
        "energy_carbon_functions": ["能耗查询", "碳资产管理"],
        "advanced_equipment": "3",
    }
    services.correction_decide(actor=city_user, correction=correction, approve=True)
    verified_2026.refresh_from_db()
    assert verified_2026.raw_values["energy_carbon_functions"] == ["能耗查询", "碳资产管理"]
    assert verified_2026.indicators["EN-04"] == {"status": "ok", "value": "2.000000"}
    assert verified_2026.indicators["CL-01"] == {"status": "ok", "value": "3.000000"}


def test_a_correction_over_the_api_takes_a_list_and_refuses_an_unknown_item(
    api, enterprise_user, verified_2026
):
    client = api.as_user(enterprise_user)
    refused = client.post(
        "/api/v1/corrections/",
        {
            "submission": verified_2026.pk,
            "reason": "补充",
            "new_values": {"energy_carbon_functions": ["碳交易"]},
        },
        format="json",
    )
    assert refused.status_code == 400 and "没有“碳交易”这一项" in str(refused.json())
    made = client.post(
        "/api/v1/corrections/",
        {
            "submission": verified_2026.pk,
            "reason": "补充",
            "new_values": {"energy_carbon_functions": ["能耗查询"]},
        },
        format="json",
    )
    assert made.status_code == 201, made.json()
    assert made.json()["new_values"] == {"energy_carbon_functions": ["能耗查询"]}


def test_the_city_opens_2026_on_gbt36132_2025_on_the_year_page(client, city_user, adopted_2025):
    client.force_login(city_user)
    page = client.get(reverse("reporting:year_list")).content.decode()
    assert '<option value="GBT36132-2025">' in page
    today = timezone.localdate()
    client.post(
        reverse("reporting:year_list"),
        {
            "form": "open",
            "year": 2026,
            "opens_on": "2026-01-01",
            "closes_on": (today + dt.timedelta(days=60)).isoformat(),
            "catalogue": CATALOGUE,
        },
    )
    assert ReportingYear.objects.get(year=2026).catalogue_version == CATALOGUE


def test_reviewers_pages_show_2026_data_and_its_correction_in_words(
    client, enterprise_user, district_user, city_user, verified_2026
):
    services.correction_request(
        actor=enterprise_user,
        submission=verified_2026,
        reason="补充能碳平台功能",
        new_values={"energy_carbon_functions": ["能耗查询", "碳足迹核算"]},
    )
    for user in (district_user, city_user):
        client.force_login(user)
        page = client.get(reverse("reporting:submission_detail", args=[verified_2026.pk])).content.decode()
        assert "能碳管理平台具备的功能" in page and "能耗查询、碳足迹核算" in page
        assert "EN-01" in page and "0.019777" in page
    client.force_login(city_user)
    listing = client.get(reverse("reporting:correction_list"))
    assert listing.status_code == 200


def test_the_2026_form_in_english_has_no_chinese_but_the_items_of_the_choice_set(
    client, enterprise_user, enterprise, year_2026
):
    from factories.catalogues.shipped import ENERGY_CARBON_FUNCTIONS
    from tests.reporting.test_english import chinese_in, main

    client.force_login(enterprise_user)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = main(client.get(edit_url(enterprise)).content.decode())
    # The items are the values the API takes, exactly as DOMAIN §4b writes them (longest first, so that
    # no shorter item eats part of a longer one).
    allowed = sorted(ENERGY_CARBON_FUNCTIONS, key=len, reverse=True)
    assert chinese_in(page, enterprise.name, *allowed) == []
    assert "Efficient use of resources" in page and "None of the above" in page
    assert "Water withdrawn" in page
