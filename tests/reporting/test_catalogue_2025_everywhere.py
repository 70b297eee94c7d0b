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
