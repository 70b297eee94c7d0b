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


# --- free text has a length limit on every path; exports never exceed Excel's cell limit ---------------

MEGABYTE = "长" * 1_000_000


def test_the_api_refuses_an_explanation_of_a_megabyte(
    api, enterprise_user, enterprise, open_year, good_values
):
    from reporting.models import AnnualSubmission

    response = api.as_user(enterprise_user).post(
        "/api/v1/submissions/",
        {"enterprise": enterprise.pk, "year": 2025, **good_values, "explanation": MEGABYTE},
        format="json",
    )
    assert response.status_code == 400
    assert "5000" in response.json()["explanation"][0]
    assert not AnnualSubmission.objects.exists()


def test_the_web_form_refuses_an_explanation_of_a_megabyte(
    enterprise_user, enterprise, open_year, good_values
):
    from django.urls import reverse

    from reporting.models import AnnualSubmission

    client = Client()
    client.force_login(enterprise_user)
    url = reverse("reporting:submission_edit", args=[enterprise.pk, 2025])
    response = client.post(url, {**good_values, "explanation": MEGABYTE, "action": "save"})
    assert response.status_code == 200
    assert "5000" in response.context["form"].errors["explanation"][0]
    assert not AnnualSubmission.objects.exists()


def test_the_excel_import_refuses_an_explanation_past_the_limit_by_row_and_column(
    district_user, enterprise, open_year, good_values
):
    from reporting import services
    from tests.reporting.test_imports import _filled

    data = _filled([enterprise], {0: {**good_values, "explanation": "长" * 5001}})
    job = services.import_upload(actor=district_user, year=2025, name="数据.xlsx", data=data)
    assert job.status == "invalid"
    (error,) = job.errors
    assert error["row"] == 3 and error["column"] and "5000" in error["message"]


def test_a_service_called_directly_cannot_store_an_explanation_past_the_limit(
    enterprise_user, enterprise, open_year, good_values
):
    from accounts.errors import InvalidInput
    from reporting import services
    from reporting.models import AnnualSubmission

    with pytest.raises(InvalidInput) as error:
        services.submission_save_draft(
            actor=enterprise_user, enterprise=enterprise, year=2025, values=good_values, explanation=MEGABYTE
        )
    assert "5000" in str(error.value.field_errors["explanation"][0])
    assert not AnnualSubmission.objects.exists()


def test_a_return_reason_of_a_megabyte_from_the_page_is_refused_and_the_submission_stays(
    district_user, submitted
):
    from reporting.models import AnnualSubmission, SubmissionTransition

    client = Client()
    client.force_login(district_user)
    response = client.post(
        f"/reporting/submissions/{submitted.pk}/return/", {"reason": MEGABYTE}, follow=True
    )
    assert response.status_code == 200
    assert any("1000" in str(m) for m in response.context["messages"])
    assert AnnualSubmission.objects.get(pk=submitted.pk).status == "submitted"
    assert not SubmissionTransition.objects.filter(action="return").exists()


def test_a_conditional_update_cannot_write_past_the_limit_either(draft):
    """The limit holds below the services too: QuerySet.update() and bulk_update() are refused."""
    from django.db import transaction

    from accounts.errors import InvalidInput
    from reporting.models import AnnualSubmission

    with pytest.raises(InvalidInput), transaction.atomic():
        AnnualSubmission.objects.filter(pk=draft.pk).update(return_reason=MEGABYTE)
    draft.explanation = MEGABYTE
    with pytest.raises(InvalidInput), transaction.atomic():
        AnnualSubmission.objects.bulk_update([draft], ["explanation"])
    assert AnnualSubmission.objects.get(pk=draft.pk).explanation == ""


def test_the_xlsx_writer_clips_a_cell_at_excels_limit_with_a_visible_marker(city_user):
    """Rows written before the limit existed may hold up to a megabyte; Excel refuses a cell past 32,767
    characters, so the writer clips and says so."""
    import io

    from openpyxl import load_workbook

    from accounts import exports

    exporter = exports.Exporter(
        kind="test",
        title="测试",
        columns=lambda: [exports.Column("情况说明"), exports.Column("公式")],
        queryset=lambda user, filters: [],  # type: ignore[arg-type,return-value]
    )
    exporter.rows = lambda user, filters: iter([[MEGABYTE, "=1+1" + "x" * 40_000]])  # type: ignore[method-assign]
    target = io.BytesIO()
    exports.write_xlsx(exporter, city_user, {}, target)
    sheet = load_workbook(io.BytesIO(target.getvalue())).active
    clipped, formula = sheet.cell(row=3, column=1).value, sheet.cell(row=3, column=2).value
    assert len(clipped) == exports.EXCEL_CELL_LIMIT and clipped.startswith("长" * 1000)
    assert clipped.endswith(exports.CLIPPED_MARKER)
    assert len(formula) == exports.EXCEL_CELL_LIMIT and formula.startswith("'=1+1")


# --- reporting windows fall around their data year ------------------------------------------------------


def test_a_reporting_window_that_closes_in_9999_is_refused(city_user):
    import datetime as dt

    from accounts.errors import InvalidInput
    from reporting.models import ReportingYear
    from reporting.services import reporting_year_open

    with pytest.raises(InvalidInput) as error:
        reporting_year_open(
            actor=city_user, year=2025, opens_on=dt.date(2026, 1, 1), closes_on=dt.date(9999, 12, 31)
        )
    assert "日期应在2025-01-01至" in str(error.value.field_errors["closes_on"][0])
    assert not ReportingYear.objects.exists()


def test_a_reporting_window_moved_to_year_one_is_refused(city_user, open_year):
    import datetime as dt

    from accounts.errors import InvalidInput
    from reporting.services import reporting_year_update

    with pytest.raises(InvalidInput) as error:
        reporting_year_update(
            actor=city_user,
            reporting_year=open_year,
            opens_on=dt.date(1, 1, 1),
            closes_on=open_year.closes_on,
        )
    assert "日期应在2025-01-01至" in str(error.value.field_errors["opens_on"][0])
