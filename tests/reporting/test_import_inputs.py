"""Imports meet hostile or mistaken input with a clear answer, never a server error."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("year", ["abc", "2025abc", "-1", "99999", "1999", "2025.5"])
def test_a_template_for_a_year_that_is_not_a_data_year_is_refused_with_a_clear_message(district_user, year):
    client = Client(raise_request_exception=False)
    client.force_login(district_user)
    response = client.get("/reporting/imports/template/", {"year": year}, follow=True)
    assert response.redirect_chain == [("/reporting/imports/", 302)]
    assert "年度" in response.content.decode() and "2016" in response.content.decode()


def test_a_template_for_a_data_year_is_still_a_workbook(district_user, enterprise):
    client = Client()
    client.force_login(district_user)
    response = client.get("/reporting/imports/template/", {"year": "2025"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content)[:2] == b"PK"


def test_a_template_without_a_year_is_for_last_year(district_user):
    client = Client()
    client.force_login(district_user)
    response = client.get("/reporting/imports/template/")
    assert response.status_code == 200
