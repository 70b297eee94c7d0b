"""The rest of the platform follows the year's catalogue (issue 15 item 2): the MIIT table's indicator
columns, the audit words of a standard, the pool method and its pages, and the output-per-m² check on a
2026 year on GBT36132-2025; a GBT36132-2018 year is unchanged."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cultivation.levels import DEFAULT_POOL_STANDARD
from cultivation.services import on_year_catalogue
from cultivation.views.common import reason_texts
from factories.catalogues import services as catalogue_services
from factories.catalogues.bridge import reporting_catalogue
from factories.models import CatalogueVersion, GradingStandard
from factories.words import standard_parameters_words
from reporting import anomalies, miit, services
from tests.reporting.test_catalogue_2025 import CATALOGUE, VALUES_2025

pytestmark = pytest.mark.django_db


@pytest.fixture
def year_2026(city_user):  # type: ignore[no-untyped-def]
    catalogue_services.catalogue_adopt(
        actor=city_user, catalogue=CatalogueVersion.objects.get(code=CATALOGUE)
    )
    today = timezone.localdate()
    return services.reporting_year_open(
        actor=city_user,
        year=2026,
        opens_on=max(today - dt.timedelta(days=30), dt.date(2026, 1, 1)),
        closes_on=today + dt.timedelta(days=30),
        catalogue=CATALOGUE,
    )


def test_the_miit_table_has_the_2025_indicators_and_a_continuing_one_shares_its_column(open_year, year_2026):
    columns = miit.key_indicators({"year": "2026"})
    assert [c.indicator.code for c in columns] == [i.code for i in reporting_catalogue(CATALOGUE).indicators]
    both = miit.key_indicators({})
    en01 = next(c for c in both if c.indicator.code == "EN-01")
    assert en01.keys == {"GBT36132-2025/EN-01", "GBT36132-2018/EL-01"}
    codes = [c.indicator.code for c in both]
    assert "EL-01" not in codes and "CP-01" in codes  # EL-01 is in EN-01's column; CP-01 has none
    headers = [c.title for c in miit._columns({"year": "2026"})]
    assert "能碳管理平台功能符合数量（项）" in headers
    assert [c.indicator.code for c in miit.key_indicators({"year": "2025"})] == [
        i.code for i in reporting_catalogue("GBT36132-2018").indicators
    ]


def test_a_standards_audit_words_name_the_2025_dimensions():
    words = standard_parameters_words(
        {"catalogue_version": CATALOGUE, "indicators": [], "weights": {"resources": 30, "products": 16}}
    )
    assert "资源高效化 30" in words and "产品绿色化 16" in words


def test_the_pool_method_takes_the_years_catalogue(open_year, year_2026):
    assert on_year_catalogue(DEFAULT_POOL_STANDARD, 2025) is DEFAULT_POOL_STANDARD
    moved = on_year_catalogue(DEFAULT_POOL_STANDARD, 2026)
    assert [s.code for s in moved.indicators] == [i.code for i in reporting_catalogue(CATALOGUE).indicators]
    city = GradingStandard.objects.get(code="CQ-GF-2026").parameters["weights"]
    assert moved.weights == {k: float(v) for k, v in city.items()}
    assert moved.b_level_min == DEFAULT_POOL_STANDARD.b_level_min
    assert next(s for s in moved.indicators if s.code == "EN-01").same_as == "GBT36132-2018/EL-01"


def test_pool_reasons_name_the_dimension_of_the_years_catalogue(open_year, year_2026):
    reason = [{"code": "DIMENSION_BELOW_B", "dimension": "products", "D": 30.0, "min": 50.0, "gap": 20.0}]
    assert reason_texts(reason, 2026)[0].startswith("产品绿色化得分 30.0")


def test_output_per_m2_is_checked_under_the_indicator_continuing_li03(year_2026):
    catalogue = reporting_catalogue(CATALOGUE)
    assert anomalies.output_per_m2_code(catalogue) == "LA-01"
    assert anomalies.output_per_m2_code(reporting_catalogue("GBT36132-2018")) == "LI-03"
    row = anomalies.Row(1, 1, "甲", "500103", "30", CATALOGUE, {**VALUES_2025})
    metrics = anomalies._metrics(row)
    assert "LI-03" not in metrics
    assert metrics["LA-01"] == pytest.approx(50000 * 10000 / 20000)
    flag = {"kind": "inconsistent", "field_or_indicator": "LA-01", "figures": {}}
    assert anomalies.subject_words(flag, catalogue) == "单位用地面积产值"


def test_no_unit_beside_a_choice_set_on_the_form_or_the_pages(year_2026):
    from reporting.forms import SubmissionForm
    from reporting.views.common import shown_unit

    catalogue = reporting_catalogue(CATALOGUE)
    assert shown_unit(catalogue.raw_field("energy_carbon_functions")) == ""
    assert shown_unit(catalogue.raw_field("advanced_equipment")) == "项"
    form = SubmissionForm(catalogue=catalogue)
    rows = {row.raw.name: row for group in form.groups() for row in group.rows}
    assert rows["energy_carbon_functions"].unit == "" and rows["advanced_equipment"].unit == "项"


# --- sector variants -----------------------------------------------------------------------------------


@pytest.fixture
def year_2026_with_c30(city_user):  # type: ignore[no-untyped-def]
    base = catalogue_services.catalogue_adopt(
        actor=city_user, catalogue=CatalogueVersion.objects.get(code=CATALOGUE)
    )
    variant = catalogue_services.catalogue_copy(
        actor=city_user,
        source=base,
        code="GBT36132-2025-C30",
        name="非金属矿物制品业变体",
        industry_divisions=["30"],
    )
    catalogue_services.catalogue_field_save(
        actor=city_user,
        catalogue=variant,
        field=None,
        values={
            "name": "kiln_count",
            "label_zh": "窑炉数量",
            "unit": "台",
            "kind": "count",
            "dimension": "clean",
        },
    )
    catalogue_services.catalogue_adopt(actor=city_user, catalogue=variant)
    today = timezone.localdate()
    return services.reporting_year_open(
        actor=city_user,
        year=2026,
        opens_on=max(today - dt.timedelta(days=30), dt.date(2026, 1, 1)),
        closes_on=today + dt.timedelta(days=30),
        catalogue=CATALOGUE,
        sector_catalogues=["GBT36132-2025-C30"],
    )


def test_an_enterprise_of_a_variants_division_reports_on_the_variant(
    api, client, year_2026_with_c30, enterprise_user, enterprise, yuzhong
):
    from django.urls import reverse

    from tests.model_factories import EnterpriseFactory, UserFactory, industry

    cement = EnterpriseFactory(name="重庆某水泥有限公司", district=yuzhong, industry=industry("30"))
    cement_user = UserFactory(username="cement", role="enterprise", enterprise=cement)
    # division 30: the variant's extra field on the form, through the API and in storage
    client.force_login(cement_user)
    page = client.get(reverse("reporting:submission_edit", args=[cement.pk, 2026])).content.decode()
    assert "窑炉数量" in page
    created = api.as_user(cement_user).post(
        "/api/v1/submissions/",
        {"enterprise": cement.pk, "year": 2026, **VALUES_2025, "kiln_count": "3"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["catalogue_version"] == "GBT36132-2025-C30" and created.json()["kiln_count"] == "3"
    # division 36: the year's catalogue, no such field
    client.force_login(enterprise_user)
    assert (
        "窑炉数量"
        not in client.get(reverse("reporting:submission_edit", args=[enterprise.pk, 2026])).content.decode()
    )
    other = services.submission_save_draft(
        actor=enterprise_user, enterprise=enterprise, year=2026, values=VALUES_2025
    )
    assert other.catalogue_version == CATALOGUE
    assert "kiln_count" not in api.as_user(enterprise_user).get(f"/api/v1/submissions/{other.pk}/").json()
    # grading compares indicators by code: the variant's indicators are the year's catalogue's
    from reporting.models import AnnualSubmission
    from reporting.values import compute_indicators

    stored = AnnualSubmission.objects.get(enterprise=cement, year=2026)
    assert list(compute_indicators(stored.raw_values, stored.catalogue_version)) == list(
        compute_indicators(other.raw_values, other.catalogue_version)
    )


def test_a_miit_row_on_a_sector_variant_fills_the_columns_of_its_years_catalogue(open_year, year_2026):
    from decimal import Decimal

    from factories.indicators import IndicatorValue, Status

    columns = {c.indicator.code: c for c in miit.key_indicators({})}
    values = {"EN-01": IndicatorValue("EN-01", Status.OK, Decimal("0.5"))}
    assert miit._indicator_cell(values, columns["EN-01"], "GBT36132-2025") == Decimal("0.5")
    assert miit._indicator_cell(values, columns["EN-01"], "GBT36132-2025-C30") == Decimal("0.5")
    old = {"EL-01": IndicatorValue("EL-01", Status.OK, Decimal("0.7"))}
    assert miit._indicator_cell(old, columns["EN-01"], "GBT36132-2018") == Decimal("0.7")
    assert miit._indicator_cell(old, columns["EN-04"], "GBT36132-2018") is None


def test_the_import_template_has_the_variants_fields_for_its_enterprises_only(
    year_2026_with_c30, district_user, enterprise, yuzhong, settings, tmp_path
):
    import io

    from openpyxl import load_workbook

    from reporting import imports
    from reporting.models import AnnualSubmission
    from tests.model_factories import EnterpriseFactory, industry

    settings.MEDIA_ROOT = tmp_path / "media"
    cement = EnterpriseFactory(name="重庆某水泥有限公司", district=yuzhong, industry=industry("30"))
    data = imports.build_template(
        year=2026,
        enterprises=[(cement.credit_code, cement.name), (enterprise.credit_code, enterprise.name)],
        catalogue_version=CATALOGUE,
        sector_catalogues=["GBT36132-2025-C30"],
    )
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook[imports.DATA_SHEET]
    header = [c.value for c in sheet[imports.HEADER_ROW]]
    kiln = "窑炉数量（台）（仅GBT36132-2025-C30适用企业）"
    assert header[-2] == kiln
    titles = dict(imports.headers(reporting_catalogue(CATALOGUE), [reporting_catalogue("GBT36132-2025-C30")]))

    def filled(kiln_for_both: bool) -> bytes:
        book = load_workbook(io.BytesIO(data))
        rows = book[imports.DATA_SHEET]
        for offset in (0, 1):
            values = {"output_value": "50000", "advanced_equipment": 2}
            if offset == 0 or kiln_for_both:
                values["kiln_count"] = 3
            for key, value in values.items():
                rows.cell(
                    row=imports.FIRST_DATA_ROW + offset, column=header.index(titles[key]) + 1, value=value
                )
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()

    refused = services.import_upload(actor=district_user, year=2026, name="a.xlsx", data=filled(True))
    assert refused.status == "invalid"
    assert [(e["row"], e["column"], e["message"]) for e in refused.errors] == [
        (4, "AE", "本企业按指标目录GBT36132-2025填报，没有这一项，请留空。")
    ]
    job = services.import_upload(actor=district_user, year=2026, name="b.xlsx", data=filled(False))
    assert job.status == "validated", job.errors
    services.import_commit(actor=district_user, job=job)
    stored = AnnualSubmission.objects.get(enterprise=cement, year=2026)
    assert stored.catalogue_version == "GBT36132-2025-C30" and stored.raw_values["kiln_count"] == "3"
    assert AnnualSubmission.objects.get(enterprise=enterprise, year=2026).catalogue_version == CATALOGUE
