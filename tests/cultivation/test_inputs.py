"""Cultivation inputs: a supervision step dated where no one could have taken it is refused."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.errors import InvalidInput
from cultivation import services

pytestmark = pytest.mark.django_db


def test_a_supervision_step_dated_year_one_is_refused(member, district_user):
    with pytest.raises(InvalidInput) as error:
        services.supervision_record_add(
            actor=district_user, membership=member, kind="energy_inspection", date=dt.date(1, 1, 1)
        )
    assert "日期应在2000-01-01至" in str(error.value.field_errors["date"][0])
