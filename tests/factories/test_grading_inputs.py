"""Grading inputs: dates no incident, notice or revocation can have are refused; unusable filters are ignored."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_the_incident_list_ignores_a_year_no_calendar_has(city_user):
    client = Client(raise_request_exception=False)
    client.force_login(city_user)
    assert client.get("/factories/grading/incidents/", {"year": "99999"}).status_code == 200
