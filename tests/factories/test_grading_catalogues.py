"""A grading standard names its catalogue and weighs that catalogue's dimensions (§4b, §6); CQ-GF-2026."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest
from django.urls import reverse

from accounts.errors import InvalidInput, StateConflict
from factories.catalogues.selectors import catalogue_indicators
from factories.grading import services
from factories.grading.standard import DEFAULT_STANDARD, standard_to_dict
from factories.models import GradingStandard

pytestmark = pytest.mark.django_db

WEIGHTS_2026 = {"energy": 30.0, "resources": 30.0, "clean": 16.0, "products": 16.0, "land": 8.0}


def messages(error: InvalidInput) -> str:
    return " ".join(str(m) for ms in error.field_errors.values() for m in ms)


def cq_gf_2024() -> GradingStandard:
    return GradingStandard.objects.get(code="CQ-GF-2024", version=1)


def cq_gf_2026() -> GradingStandard:
    return GradingStandard.objects.get(code="CQ-GF-2026", version=1)


def test_cq_gf_2026_is_shipped_as_a_draft_on_gbt36132_2025_with_the_weights_of_4b() -> None:
    draft = cq_gf_2026()
    assert draft.status == "draft" and draft.valid_from is None
    assert draft.parameters["catalogue_version"] == "GBT36132-2025"
    assert draft.parameters["weights"] == WEIGHTS_2026
    codes = [i["code"] for i in draft.parameters["indicators"]]
    assert len(codes) == 18 and codes[0] == "EN-01" and codes[-1] == "LA-03"
    same_as = {i["code"]: i.get("same_as") for i in draft.parameters["indicators"] if i.get("same_as")}
    assert same_as == {
        "EN-01": "GBT36132-2018/EL-01",
        "EN-02": "GBT36132-2018/EL-02",
        "RE-03": "GBT36132-2018/WR-02",
        "LA-01": "GBT36132-2018/LI-03",
        "LA-02": "GBT36132-2018/LI-02",
        "LA-03": "GBT36132-2018/LI-01",
    }
    others = {k: v for k, v in draft.parameters.items() if k not in ("code", "catalogue_version", "weights")}
    base = {
        k: v for k, v in cq_gf_2024().parameters.items() if k not in ("code", "catalogue_version", "weights")
    }
    assert {k: v for k, v in others.items() if k != "indicators"} == {
        k: v for k, v in base.items() if k != "indicators"
    }


def test_a_new_version_of_cq_gf_2024_keeps_its_parameters_byte_for_byte(city_user) -> None:  # type: ignore[no-untyped-def]
    base = cq_gf_2024()
    assert base.parameters == standard_to_dict(DEFAULT_STANDARD)
    draft = services.grading_standard_new_version(actor=city_user, base=base)
    assert draft.parameters == {**base.parameters, "version": 2}


def test_the_indicators_of_a_standard_are_those_of_its_catalogue(city_user) -> None:  # type: ignore[no-untyped-def]
    base = cq_gf_2024()
    params = {**base.parameters, "indicators": base.parameters["indicators"][:2]}
    draft = services.grading_standard_new_version(actor=city_user, base=base, parameters=params)
    assert draft.parameters["indicators"] == base.parameters["indicators"]


@pytest.mark.parametrize(
    ("weights", "expected"),
    [
        (
            {"energy": 30.0, "waste": 30.0, "clean": 20.0, "land": 20.0},
            "请为指标目录 GBT36132-2018 的每个维度设定权重，缺少：原料无害化。",
        ),
        (
            {"energy": 30.0, "waste": 30.0, "clean": 20.0, "land": 10.0, "materials": 10.0, "products": 5.0},
            "“产品绿色化”不是指标目录 GBT36132-2018 的维度，不能设定权重。",
        ),
        (
            {"energy": 30.0, "waste": 30.0, "clean": 20.0, "land": 0.0, "materials": 10.0},
            "维度“用地集约化”的权重应为大于 0 的数。",
        ),
    ],
)
def test_the_weights_must_cover_exactly_the_dimensions_of_the_catalogue(city_user, weights, expected) -> None:  # type: ignore[no-untyped-def]
    base = cq_gf_2024()
    with pytest.raises(InvalidInput) as refused:
        services.grading_standard_new_version(
            actor=city_user, base=base, parameters={**base.parameters, "weights": weights}
        )
    assert expected in messages(refused.value)
    assert not GradingStandard.objects.filter(code="CQ-GF-2024", version=2).exists()


def test_moving_a_standard_to_the_2025_catalogue_needs_the_2025_dimensions(city_user) -> None:  # type: ignore[no-untyped-def]
    base = cq_gf_2024()
    with pytest.raises(InvalidInput) as refused:
        services.grading_standard_new_version(
            actor=city_user, base=base, parameters={**base.parameters, "catalogue_version": "GBT36132-2025"}
        )
    text = messages(refused.value)
    assert (
        "缺少：资源高效化、产品绿色化" in text
        and "“废物资源化、原料无害化”不是指标目录 GBT36132-2025 的维度" in text
    )
    moved = services.grading_standard_new_version(
        actor=city_user,
        base=base,
        parameters={**base.parameters, "catalogue_version": "GBT36132-2025", "weights": WEIGHTS_2026},
    )
    assert moved.parameters["indicators"] == cq_gf_2026().parameters["indicators"]


def test_an_unknown_catalogue_is_refused_in_words(city_user) -> None:  # type: ignore[no-untyped-def]
    base = cq_gf_2024()
    with pytest.raises(InvalidInput) as refused:
        services.grading_standard_new_version(
            actor=city_user, base=base, parameters={**base.parameters, "catalogue_version": "GBT-1999"}
        )
    assert "评价标准所依据的指标目录“GBT-1999”不存在。" in messages(refused.value)


def test_a_standard_on_a_draft_catalogue_cannot_be_adopted(city_user) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(StateConflict, match="指标目录 GBT36132-2025 尚未采用"):
        services.grading_standard_adopt(
            actor=city_user, standard=cq_gf_2026(), valid_from=dt.date(2027, 1, 1)
        )
    assert cq_gf_2026().status == "draft"


# --- a 2026 year on GBT36132-2025 ----------------------------------------------------------------------


def raw_2025(n: int) -> dict[str, object]:
    from tests.model_factories import plausible_raw

    raw: dict[str, object] = dict(plausible_raw(n, 2026))
    raw.update(
        renewable_heat=str(10 * n),
        water_withdrawal=str(1000 + 100 * n),
        water_reused=str(500 * n),
        energy_carbon_functions=["能耗查询", "碳排放核算"][: n % 3],
        advanced_equipment=str(n),
        retrofit_projects_3y=str(3 * n),
        retrofit_investment_3y=str(10 * n),
        fixed_investment_3y="100",
        wastewater_conc_pct=str(40 + n),
        waste_gas_conc_pct=None,
        product_categories="4",
        footprint_categories=str(n % 5),
        energy_saving_output=None,
        material_cases=str(n),
        green_design_cases=str(8 - n),
    )
    return raw


@pytest.fixture
def year_2026(graded_world):  # type: ignore[no-untyped-def]
    """The eight factories of graded_world report 2026 on GBT36132-2025 (2024 and 2025 on GBT36132-2018)."""
    from reporting.models import AnnualSubmission, ReportingYear, SubmissionVersion
    from reporting.values import indicators_to_storage
    from tests.helpers import close_windows

    close_windows(2026)
    ReportingYear.objects.filter(year=2026).update(catalogue="GBT36132-2025")
    for n, enterprise in enumerate(graded_world):
        raw = raw_2025(n)
        submission = AnnualSubmission.objects.create(
            enterprise=enterprise,
            year=2026,
            district_id=enterprise.district_id,
            status="city_verified",
            raw_values=raw,
            indicators=indicators_to_storage(catalogue_indicators(raw, "GBT36132-2025")),
            catalogue_version="GBT36132-2025",
        )
        SubmissionVersion.objects.create(
            submission=submission,
            version=1,
            raw_values=raw,
            indicators=submission.indicators,
            catalogue_version="GBT36132-2025",
        )
    return graded_world


def test_a_simulation_on_the_draft_cq_gf_2026_grades_a_2025_catalogue_year(  # type: ignore[no-untyped-def]
    year_2026, city_user, django_capture_on_commit_callbacks
):
    from reporting.models import AnnualSubmission

    with django_capture_on_commit_callbacks(execute=True):
        run = services.grading_run_start(actor=city_user, year=2026, standard=cq_gf_2026(), simulation=True)
    run.refresh_from_db()
    assert run.status == "succeeded" and run.results.count() == 8
    for result in run.results.all():
        assert set(result.details["dimension_scores"]) == set(WEIGHTS_2026)
        assert set(result.details["percentiles"]) == {
            i["code"] for i in cq_gf_2026().parameters["indicators"]
        }
    # The improvement rate of EN-01 (↓) continues EL-01 of the 2025 data on GBT36132-2018 (same_as).
    first = year_2026[0]
    result = run.results.get(enterprise=first)
    rates = result.details["improvement_rates"]
    assert set(rates) <= {"EN-01", "EN-02", "RE-03", "LA-01", "LA-02", "LA-03"} and "EN-01" in rates
    before = Decimal(AnnualSubmission.objects.get(enterprise=first, year=2025).indicators["EL-01"]["value"])
    now = Decimal(AnnualSubmission.objects.get(enterprise=first, year=2026).indicators["EN-01"]["value"])
    expected = max(
        Fraction(-1, 2), min(Fraction(1, 2), (Fraction(before) - Fraction(now)) / Fraction(before))
    )
    assert rates["EN-01"] == float(expected)


def test_the_run_page_and_the_explanation_card_speak_the_2025_dimensions(  # type: ignore[no-untyped-def]
    year_2026, city_user, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run = services.grading_run_start(actor=city_user, year=2026, standard=cq_gf_2026(), simulation=True)
    from factories.grading.selectors import explanation

    client.force_login(city_user)
    assert client.get(reverse("factories:run_detail", args=[run.pk])).status_code == 200
    # The card of a simulated result is not published; its content is what the card would show.
    card = explanation(run.results.get(enterprise=year_2026[0]))
    assert [(d["name"], d["weight"]) for d in card["dimensions"]] == [
        ("能源低碳化", 30.0),
        ("资源高效化", 30.0),
        ("生产洁净化", 16.0),
        ("产品绿色化", 16.0),
        ("用地集约化", 8.0),
    ]
    en04 = next(i for i in card["indicators"] if i["code"] == "EN-04")
    assert en04["name"] == "能碳管理平台功能符合数量" and en04["dimension"] == "能源低碳化"
    assert en04["status"] == "ok" and en04["value"] == Decimal("0")  # enterprise 0 chose none


def test_a_standard_on_another_catalogue_than_the_year_is_refused(year_2026, city_user) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as refused:
        services.grading_run_start(actor=city_user, year=2026, standard=cq_gf_2024(), simulation=True)
    assert "2026年度数据按指标目录 GBT36132-2025 填报" in messages(refused.value)


# --- the standard's page and API show its catalogue ----------------------------------------------------


def test_the_api_names_the_catalogue_of_every_standard(api, district_user) -> None:  # type: ignore[no-untyped-def]
    listed = api.as_user(district_user).get("/api/v1/grading-standards/").json()["results"]
    assert {(s["code"], s["catalogue"]) for s in listed} == {
        ("CQ-GF-2024", "GBT36132-2018"),
        ("CQ-GF-2026", "GBT36132-2025"),
    }
    shown = api.get(f"/api/v1/grading-standards/{cq_gf_2026().pk}/").json()
    assert shown["catalogue"] == "GBT36132-2025" and shown["parameters"]["weights"] == WEIGHTS_2026


def test_the_api_refuses_weights_that_miss_a_dimension_in_words(api, city_user) -> None:  # type: ignore[no-untyped-def]
    params = {**cq_gf_2026().parameters, "weights": {"energy": 50.0, "resources": 50.0}}
    response = api.as_user(city_user).post(
        "/api/v1/grading-standards/",
        {"parameters": params, "base": cq_gf_2026().pk, "name": "2026 修订"},
        format="json",
    )
    assert response.status_code == 400
    assert "缺少：生产洁净化、产品绿色化、用地集约化" in response.content.decode()
    assert not GradingStandard.objects.filter(code="CQ-GF-2026", version=2).exists()


def test_the_page_of_cq_gf_2026_shows_its_catalogue_dimensions_and_weights(client, city_user) -> None:  # type: ignore[no-untyped-def]
    client.force_login(city_user)
    draft = cq_gf_2026()
    html = client.get(reverse("factories:standard_detail", args=[draft.pk])).content.decode()
    assert "GBT36132-2025" in html and "目录草案" in html
    assert html.count("GB/T 36132-2025《绿色工厂评价通则》") == 2  # above, and among the parameters
    for name in ("能源低碳化", "资源高效化", "生产洁净化", "产品绿色化", "用地集约化", "工业用水重复利用率"):
        assert name in html
    assert "原料无害化" not in html
    listing = client.get(reverse("factories:standard_list")).content.decode()
    assert "GBT36132-2025" in listing and "GBT36132-2018" in listing
    form = client.get(reverse("factories:standard_new_version", args=[draft.pk])).content.decode()
    assert 'name="weight_resources"' in form and 'name="weight_products"' in form
    assert 'name="weight_materials"' not in form


def test_a_run_refuses_a_standard_whose_catalogue_changed_after_it_was_saved(  # type: ignore[no-untyped-def]
    year_2026, city_user
):
    from factories.models import CatalogueIndicator

    CatalogueIndicator.objects.filter(catalogue__code="GBT36132-2025", code="RE-04").update(direction="down")
    with pytest.raises(InvalidInput) as refused:
        services.grading_run_start(actor=city_user, year=2026, standard=cq_gf_2026(), simulation=True)
    assert "指标目录 GBT36132-2025 的指标在标准 CQ-GF-2026 v1 保存之后有改动" in messages(refused.value)
    renewed = services.grading_standard_new_version(actor=city_user, base=cq_gf_2026())
    re04 = next(i for i in renewed.parameters["indicators"] if i["code"] == "RE-04")
    assert re04["direction"] == "down"
    assert services.grading_run_start(actor=city_user, year=2026, standard=renewed, simulation=True)


def test_an_objection_names_the_indicators_of_the_catalogue_its_run_graded(city_user) -> None:  # type: ignore[no-untyped-def]
    from factories.models import GradingRun

    run_2026 = GradingRun.objects.create(year=2026, standard=cq_gf_2026(), is_simulation=True)
    assert services._indicator_problems(["EN-04", "LA-01"], run_2026) == []
    assert services._indicator_problems(["EN-04", "EL-01"], run_2026) == ["未知的指标：EL-01。"]
    run_2025 = GradingRun.objects.create(year=2025, standard=cq_gf_2024(), is_simulation=True)
    assert services._indicator_problems(["EL-01"], run_2025) == []
