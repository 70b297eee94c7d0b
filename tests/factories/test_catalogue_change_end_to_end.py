"""Across the catalogue change, end to end (issue 15 item 2, DOMAIN §4b, §6): 2025 data on GBT36132-2018
verified; the city adopts GBT36132-2025 and CQ-GF-2026 and opens 2026 on it; an enterprise enters its 2026
data through the API, with the evidence the catalogue marks; district and city verify it; the official run
of 2026 on CQ-GF-2026 computes the improvement rate of EN-01 across the change through same_as EL-01, as
worked out by hand; the factory's explanation card speaks the 2025 catalogue."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest
from django.utils import timezone

from factories.catalogues import services as catalogue_services
from factories.grading import services as grading_services
from factories.grading.selectors import explanation
from factories.models import CatalogueVersion, GradingStandard
from reporting import services
from reporting.models import AnnualSubmission, SubmissionVersion
from reporting.values import compute_indicators, indicators_to_storage
from tests.factories.test_grading_catalogues import raw_2025
from tests.helpers import close_windows
from tests.reporting.test_catalogue_2025 import VALUES_2025
from tests.reporting.test_evidence import PDF, upload

pytestmark = pytest.mark.django_db

# Factory 0's 2026 data: VALUES_2025 with an output value of 10 000 万元 (energy-saving output within it).
# energy_tce = 5 000 000 × 0.0001229 + 200 000 × 0.0012143 + 20 × 1.4571 + 3000 × 0.03412 = 988.862 tce
# EN-01 (2026) = 988.862 / 10 000 = 0.0988862 → 0.098886 (stored, 6 decimals)
# EL-01 (2025, plausible_raw(0, 2025)) = (32 774 809.51 × 0.0001229 + 1 069 602.43 × 0.0012143 + 0
#     + 52.41 × 1.4571 + 12 246.05 × 0.03412) / 52 408.93 = 5821.0444 / 52 408.93 = 0.111070
# improvement (↓ better) = (0.111070 − 0.098886) / 0.111070 = 0.012184 / 0.111070 = 6092 / 55535 ≈ 0.109697
VALUES_FACTORY_0 = {**VALUES_2025, "output_value": "10000", "energy_saving_output": "2500"}
EXPECTED_RATE = Fraction(6092, 55535)
EVIDENCE_BACKING = (
    "renewable_heat",
    "energy_carbon_functions",
    "material_cases",
    "advanced_equipment",
    "CL-02",
    "retrofit_investment_3y",
    "wastewater_conc_pct",
    "footprint_categories",
    "energy_saving_output",
    "PR-03",
)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


def test_2026_on_gbt36132_2025_graded_on_cq_gf_2026_across_the_change(  # type: ignore[no-untyped-def]
    graded_world, api, city_user, district_user, django_capture_on_commit_callbacks
):
    from tests.model_factories import UserFactory

    first = graded_world[0]
    assert AnnualSubmission.objects.get(enterprise=first, year=2025).catalogue_version == "GBT36132-2018"
    # the city adopts the catalogue and the standard, and opens 2026 on the catalogue
    catalogue_services.catalogue_adopt(
        actor=city_user, catalogue=CatalogueVersion.objects.get(code="GBT36132-2025")
    )
    standard = grading_services.grading_standard_adopt(
        actor=city_user,
        standard=GradingStandard.objects.get(code="CQ-GF-2026", status="draft"),
        valid_from=dt.date(2026, 1, 1),
    )
    today = timezone.localdate()
    year = services.reporting_year_open(
        actor=city_user,
        year=2026,
        opens_on=dt.date(2026, 1, 1),
        closes_on=today + dt.timedelta(days=30),
    )
    assert year.catalogue_version == "GBT36132-2025"  # the default of a 2026+ year once adopted
    # factory 0 enters its data through the API, adds its evidence, submits; district and city verify
    clerk = UserFactory(username="clerk0", role="enterprise", enterprise=first)
    created = api.as_user(clerk).post(
        "/api/v1/submissions/",
        {
            "enterprise": first.pk,
            "year": 2026,
            **VALUES_FACTORY_0,
            "explanation": "本年度产线调整，产值和能耗较上年变化较大。",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    submission = AnnualSubmission.objects.get(pk=created.json()["id"])
    for key in EVIDENCE_BACKING:
        services.evidence_add(
            actor=clerk, submission=submission, field=key, upload=upload("证明.pdf", PDF), note=""
        )
    submitted = api.as_user(clerk).post(f"/api/v1/submissions/{submission.pk}/submit/", {}, format="json")
    assert submitted.status_code == 200, submitted.json()
    submission.refresh_from_db()
    services.submission_approve(actor=district_user, submission=submission)
    services.submission_verify(actor=city_user, submission=submission)
    submission.refresh_from_db()
    assert submission.status == "city_verified" and submission.catalogue_version == "GBT36132-2025"
    assert submission.indicators["EN-01"]["value"] == "0.098886"
    # the other seven report 2026 on the same catalogue (verified data, as the existing tests build it)
    for n, enterprise in enumerate(graded_world[1:], 1):
        raw = raw_2025(n)
        other = AnnualSubmission.objects.create(
            enterprise=enterprise,
            year=2026,
            district_id=enterprise.district_id,
            status="city_verified",
            raw_values=raw,
            indicators=indicators_to_storage(compute_indicators(raw, "GBT36132-2025")),
            catalogue_version="GBT36132-2025",
        )
        SubmissionVersion.objects.create(
            submission=other,
            version=1,
            raw_values=raw,
            indicators=other.indicators,
            catalogue_version="GBT36132-2025",
        )
    close_windows(2026)
    # the official run of 2026 on the adopted CQ-GF-2026
    with django_capture_on_commit_callbacks(execute=True):
        run = grading_services.grading_run_start(actor=city_user, year=2026, standard=standard)
    run.refresh_from_db()
    assert run.status == "succeeded" and run.results.count() == 8
    result = run.results.get(enterprise=first)
    assert result.details["improvement_rates"]["EN-01"] == float(EXPECTED_RATE)
    assert (
        AnnualSubmission.objects.get(enterprise=first, year=2025).indicators["EL-01"]["value"] == "0.111070"
    )
    # the explanation card names the indicators and dimensions of the 2025 catalogue
    card = explanation(result)
    assert [d["name"] for d in card["dimensions"]] == [
        "能源低碳化",
        "资源高效化",
        "生产洁净化",
        "产品绿色化",
        "用地集约化",
    ]
    en01 = next(i for i in card["indicators"] if i["code"] == "EN-01")
    assert en01["name"] == "单位产值综合能耗" and en01["dimension"] == "能源低碳化"
    assert en01["value"] == Decimal("0.098886")
    assert not any(i["code"].startswith(("EL-", "LI-")) for i in card["indicators"])
