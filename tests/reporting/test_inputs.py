"""Reporting meets mistaken or hostile input with a clear answer: never a server error, never a number read
other than the clerk meant it."""

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


# --- numbers: the same reading in the web form, the API and the Excel import -------------------------

MISREAD = {"12,5": "小数点", "1_000": "只填写数字", "12,500": "含义不明确"}


@pytest.mark.parametrize(("typed", "hint"), MISREAD.items())
def test_the_web_form_refuses_a_number_it_could_misread_and_keeps_the_input(
    enterprise_user, enterprise, open_year, good_values, typed, hint
):
    from django.urls import reverse

    from reporting.models import AnnualSubmission

    client = Client()
    client.force_login(enterprise_user)
    url = reverse("reporting:submission_edit", args=[enterprise.pk, 2025])
    response = client.post(url, {**good_values, "cod": typed, "action": "save"})
    assert response.status_code == 200
    assert hint in response.context["form"].errors["cod"][0]
    assert f'value="{typed}"' in response.content.decode()
    assert not AnnualSubmission.objects.filter(enterprise=enterprise).exists()


@pytest.mark.parametrize(("typed", "hint"), MISREAD.items())
def test_the_api_refuses_a_number_it_could_misread(
    api, enterprise_user, enterprise, open_year, good_values, typed, hint
):
    from reporting.models import AnnualSubmission

    response = api.as_user(enterprise_user).post(
        "/api/v1/submissions/",
        {"enterprise": enterprise.pk, "year": 2025, **good_values, "cod": typed},
        format="json",
    )
    assert response.status_code == 400
    assert hint in response.json()["cod"][0]
    assert not AnnualSubmission.objects.exists()


def test_the_api_takes_json_numbers_as_numbers(api, enterprise_user, enterprise, open_year, good_values):
    from reporting.models import AnnualSubmission

    response = api.as_user(enterprise_user).post(
        "/api/v1/submissions/",
        {"enterprise": enterprise.pk, "year": 2025, **good_values, "cod": 12.5, "so2": 0.00001},
        format="json",
    )
    assert response.status_code == 201, response.json()
    stored = AnnualSubmission.objects.get().raw_values
    assert (stored["cod"], stored["so2"]) == ("12.5", "0.00001")


@pytest.mark.parametrize(("typed", "hint"), MISREAD.items())
def test_the_excel_import_refuses_a_number_it_could_misread_in_a_text_cell(
    district_user, enterprise, open_year, good_values, typed, hint
):
    from reporting import services
    from tests.reporting.test_imports import _filled

    data = _filled([enterprise], {0: {**good_values, "cod": typed}})
    job = services.import_upload(actor=district_user, year=2025, name="数据.xlsx", data=data)
    assert job.status == "invalid"
    (error,) = job.errors
    assert error["row"] == 3 and hint in error["message"]


def test_the_excel_import_reads_grouped_text_and_numeric_cells_as_meant(
    district_user, enterprise, open_year, good_values
):
    from reporting import services
    from reporting.models import AnnualSubmission
    from tests.reporting.test_imports import _filled

    data = _filled([enterprise], {0: {**good_values, "electricity": "5,000,000", "cod": 12.5}})
    job = services.import_upload(actor=district_user, year=2025, name="数据.xlsx", data=data)
    assert job.status == "validated", job.errors
    services.import_commit(actor=district_user, job=job)
    stored = AnnualSubmission.objects.get().raw_values
    assert (stored["electricity"], stored["cod"]) == ("5000000", "12.5")
