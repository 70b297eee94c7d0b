"""Fixtures for reporting: an open reporting year and a complete, valid set of raw inputs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

GOOD_VALUES = {
    "site_area": "20000",
    "floor_area": "24000",
    "footprint_area": "12000",
    "output_value": "50000",
    "main_material": "8000",
    "green_material": "2000",
    "cod": "1500",
    "ammonia_nitrogen": "100",
    "so2": "300",
    "nox": "400",
    "waste_gas": "900",
    "wastewater": "30000",
    "wastewater_treated": "28000",
    "wastewater_reused": "7000",
    "solid_waste": "1200",
    "solid_waste_utilized": "1080",
    "electricity": "5000000",
    "natural_gas": "200000",
    "coal": "0",
    "oil_products": "20",
    "purchased_heat": "3000",
    "renewable_electricity": "1000000",
    "co2": "4200",
}


@pytest.fixture
def good_values() -> dict[str, str]:
    return dict(GOOD_VALUES)


@pytest.fixture
def open_year(city_user):  # type: ignore[no-untyped-def]
    """Year 2025 open for reporting: the window runs from a month ago to a month ahead."""
    from reporting.services import reporting_year_open

    today = timezone.localdate()
    return reporting_year_open(
        actor=city_user,
        year=2025,
        opens_on=today - dt.timedelta(days=30),
        closes_on=today + dt.timedelta(days=30),
    )


@pytest.fixture
def draft(open_year, enterprise_user, enterprise, good_values):  # type: ignore[no-untyped-def]
    from reporting.services import submission_save_draft

    return submission_save_draft(actor=enterprise_user, enterprise=enterprise, year=2025, values=good_values)


@pytest.fixture
def submitted(draft, enterprise_user):  # type: ignore[no-untyped-def]
    from reporting.services import submission_submit

    return submission_submit(actor=enterprise_user, submission=draft)


@pytest.fixture
def approved(submitted, district_user):  # type: ignore[no-untyped-def]
    from reporting.services import submission_approve

    return submission_approve(actor=district_user, submission=submitted)


@pytest.fixture
def verified(approved, city_user):  # type: ignore[no-untyped-def]
    from reporting.services import submission_verify

    return submission_verify(actor=city_user, submission=approved)
