"""FIRST_DATA_YEAR is the one lower bound of a data year: recognitions, reporting years, grading runs,
pool level jobs and imports refuse the year before it, and the refusal names the first year."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.errors import InvalidInput
from cultivation.services import levels as pool_levels
from factories import services as register
from factories.grading import services as grading
from factories.models import FIRST_DATA_YEAR
from reporting import services as reporting
from reporting.serializers import ImportJobSerializer

BEFORE = FIRST_DATA_YEAR - 1

pytestmark = pytest.mark.django_db


def refusal(error: pytest.ExceptionInfo[InvalidInput], field: str) -> str:
    return " ".join(str(message) for message in error.value.field_errors[field])


def test_a_recognition_before_the_first_data_year_is_refused_and_the_first_year_is_not(
    city_user, enterprise, other_enterprise
):
    with pytest.raises(InvalidInput) as error:
        register.green_factory_recognize(
            actor=city_user, enterprise=enterprise, tier="city", recognized_year=BEFORE
        )
    assert str(FIRST_DATA_YEAR) in refusal(error, "recognized_year")
    factory = register.green_factory_recognize(
        actor=city_user, enterprise=other_enterprise, tier="city", recognized_year=FIRST_DATA_YEAR
    )
    assert factory.recognized_year == FIRST_DATA_YEAR


def test_a_reporting_year_before_the_first_data_year_cannot_be_opened(city_user):
    today = timezone.localdate()
    with pytest.raises(InvalidInput) as error:
        reporting.reporting_year_open(
            actor=city_user, year=BEFORE, opens_on=today, closes_on=today + dt.timedelta(days=30)
        )
    assert str(FIRST_DATA_YEAR) in refusal(error, "year")


def test_a_grading_run_before_the_first_data_year_cannot_start(city_user):
    with pytest.raises(InvalidInput) as error:
        grading.grading_run_start(actor=city_user, year=BEFORE)
    assert str(FIRST_DATA_YEAR) in refusal(error, "year")


def test_a_pool_level_job_before_the_first_data_year_cannot_start(district_user, yuzhong):
    with pytest.raises(InvalidInput) as error:
        pool_levels.level_job_start(actor=district_user, district=yuzhong, year=BEFORE)
    assert str(FIRST_DATA_YEAR) in refusal(error, "year")


def test_an_import_for_a_year_before_the_first_data_year_is_refused_by_the_api():
    body = ImportJobSerializer(data={"year": BEFORE})
    assert not body.is_valid()
    assert str(FIRST_DATA_YEAR) in " ".join(str(m) for m in body.errors["year"])
