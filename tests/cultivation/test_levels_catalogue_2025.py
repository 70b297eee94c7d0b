"""The pool method on a 2026 year on GBT36132-2025 (DOMAIN §7 applies unchanged to whatever catalogue the
year uses): the level job grades the 2025 catalogue's indicators, weighs its dimensions, and the B
checklist names them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cultivation import services
from cultivation.models import LevelDecision
from factories.catalogues import services as catalogue_services
from factories.models import CatalogueVersion
from reporting import services as reporting_services
from reporting.models import AnnualSubmission
from reporting.values import compute_indicators, indicators_to_storage
from tests.cultivation.conftest import compute, supervise
from tests.factories.test_grading_catalogues import raw_2025
from tests.reporting.test_catalogue_2025 import VALUES_2025

pytestmark = pytest.mark.django_db

DIMENSIONS_2025 = {"energy", "resources", "clean", "products", "land"}


def test_the_level_job_of_2026_grades_the_2025_catalogue(  # type: ignore[no-untyped-def]
    benchmark, member, city_user, district_user, django_capture_on_commit_callbacks
):
    catalogue_services.catalogue_adopt(
        actor=city_user, catalogue=CatalogueVersion.objects.get(code="GBT36132-2025")
    )
    today = timezone.localdate()
    reporting_services.reporting_year_open(
        actor=city_user,
        year=2026,
        opens_on=dt.date(2026, 1, 1),
        closes_on=today + dt.timedelta(days=30),
        catalogue="GBT36132-2025",
    )
    for n, enterprise in enumerate(benchmark):
        raw = raw_2025(n)
        AnnualSubmission.objects.create(
            enterprise=enterprise,
            year=2026,
            district_id=enterprise.district_id,
            status="city_verified",
            raw_values=raw,
            indicators=indicators_to_storage(compute_indicators(raw, "GBT36132-2025")),
            catalogue_version="GBT36132-2025",
        )
    supervise(member, district_user, on=dt.date(2026, 3, 1))
    AnnualSubmission.objects.create(
        enterprise=member.enterprise,
        year=2026,
        district_id=member.enterprise.district_id,
        status="district_approved",
        raw_values=dict(VALUES_2025),
        catalogue_version="GBT36132-2025",
    )
    job = compute(district_user, 2026, django_capture_on_commit_callbacks)
    assert job.status == "succeeded"
    decision = LevelDecision.objects.get(enterprise=member.enterprise, year=2026)
    assert set(decision.dimension_scores) <= DIMENSIONS_2025 and "resources" in decision.dimension_scores
    assert decision.level_score is not None
    checklist = services.b_checklist(decision)
    names = {row["dimension"]: row["name"] for row in checklist["dimensions"]}
    assert names["resources"] == "资源高效化" and names["products"] == "产品绿色化"
