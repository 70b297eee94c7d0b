"""The annual data form and its live preview in English: the catalogue's help texts, units, formulas
and validation messages follow the language switch; Chinese users see exactly what they saw before."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.urls import reverse

from reporting.models import AnnualSubmission

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u2e80-\u2fdf\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]+")


def edit_url(enterprise, year=2025):  # type: ignore[no-untyped-def]
    return reverse("reporting:submission_edit", args=[enterprise.pk, year])


def main(html: str) -> str:
    return html.split("<main", 1)[1].split("</main>", 1)[0]


def chinese_in(html: str, *allowed: str) -> list[str]:
    """CJK runs left once the enterprise's own name and the user's own input are taken out."""
    for text in allowed:
        html = html.replace(text, "")
    return sorted(set(CJK.findall(html)))


@pytest.fixture
def english(client, enterprise_user):  # type: ignore[no-untyped-def]
    client.force_login(enterprise_user)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    return client


@pytest.fixture
def chinese(client, enterprise_user):  # type: ignore[no-untyped-def]
    client.force_login(enterprise_user)
    return client


def test_the_empty_data_form_in_english_has_no_chinese_but_the_enterprise_name(
    english, enterprise, open_year
):
    html = english.get(edit_url(enterprise)).content.decode()
    assert '<html lang="en">' in html
    page = main(html)
    assert chinese_in(page, enterprise.name) == []
    assert '<span class="unit">10k Nm³</span>' in page
    assert '<span class="unit">10k yuan</span>' in page
    assert "Waste gas generated during the year (at standard conditions)." in page


def test_the_data_form_of_a_draft_in_english_shows_english_units_and_formulas(english, enterprise, draft):
    page = main(english.get(edit_url(enterprise)).content.decode())
    assert chinese_in(page, enterprise.name) == []
    assert "Wastewater generated ÷ gross industrial output value" in page
    assert "<td>10k yuan/mu</td>" in page and "<td>tce/10k yuan</td>" in page


def test_a_refused_value_shows_the_english_message_and_the_typed_text(
    english, enterprise, open_year, good_values
):
    typed = {**good_values, "footprint_area": "25000", "wastewater": "一千", "cod": "-5", "action": "save"}
    response = english.post(edit_url(enterprise), typed)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["footprint_area"] == [
        "Footprint of buildings, structures and yards (25000 m²) cannot be greater than Site area (20000 m²)."
    ]
    assert errors["wastewater"] == ['Wastewater generated must be a number; "一千" is not recognised.']
    assert errors["cod"] == ["COD generated cannot be negative (currently -5 kg)."]
    page = main(response.content.decode())
    assert chinese_in(page, enterprise.name, "一千") == []
    assert "cannot be greater than Site area" in page.split('id="live-indicators"', 1)[1]
    assert not AnnualSubmission.objects.exists()


def test_submitting_without_output_value_names_the_field_in_english(
    english, enterprise, open_year, good_values
):
    response = english.post(edit_url(enterprise), {**good_values, "output_value": "", "action": "submit"})
    assert response.context["form"].errors["output_value"] == [
        "Please fill in Gross industrial output value (current prices) before submitting."
    ]
    assert chinese_in(main(response.content.decode()), enterprise.name) == []


def test_the_live_preview_in_english_has_no_chinese(english, open_year):
    response = english.post(
        reverse("reporting:indicator_preview"),
        {"site_area": "0", "floor_area": "24000", "footprint_area": "abc", "output_value": "1.1234567"},
    )
    html = unescape(response.content.decode())
    assert response.status_code == 200
    assert chinese_in(html) == []
    assert "Site area must be greater than 0 (currently 0 m²)." in html
    assert 'Footprint of buildings, structures and yards must be a number; "abc" is not recognised.' in html
    assert "Gross industrial output value (current prices) may have at most 6 decimal places." in html
    assert "Floor area counted in the plot ratio ÷ site area" in html
    assert "kg/10k yuan" in html and "10k Nm³/10k yuan" in html


def test_the_api_answers_validation_errors_in_the_requested_language(
    api, enterprise_user, enterprise, open_year
):
    values = {
        "enterprise": enterprise.pk,
        "year": 2025,
        "site_area": "100",
        "footprint_area": "200",
        "cod": "x",
    }
    english = api.as_user(enterprise_user).post(
        "/api/v1/submissions/", values, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert english.status_code == 400
    assert english.json()["footprint_area"] == [
        "Footprint of buildings, structures and yards (200 m²) cannot be greater than Site area (100 m²)."
    ]
    assert english.json()["cod"] == ['COD generated must be a number; "x" is not recognised.']
    chinese = api.post("/api/v1/submissions/", values, format="json")
    assert chinese.json()["footprint_area"] == [
        "建构筑物及堆场占地面积（200 m²）不能大于用地面积（100 m²）。"
    ]


def test_the_api_type_error_and_indicator_units_come_in_english_too(api, enterprise_user, enterprise, draft):
    client = api.as_user(enterprise_user)
    values = {"enterprise": enterprise.pk, "year": 2025, "site_area": ["100"]}
    refused = client.post("/api/v1/submissions/", values, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert refused.json()["site_area"] == ["Should be a number or a numeric string."]
    rows = client.get(f"/api/v1/submissions/{draft.pk}/indicators/").json()
    by_code = {row["code"]: row for row in rows}
    assert by_code["CP-03"]["unit"] == "t/万元" and by_code["CP-03"]["unit_en"] == "t/10k yuan"
    assert all(row["name_en"] and not re.search(r"[\u4e00-\u9fff]", row["unit_en"]) for row in rows)


# --- Chinese stays as it was -------------------------------------------------------------------------


def test_the_data_form_in_chinese_keeps_the_chinese_texts(chinese, enterprise, draft):
    page = main(chinese.get(edit_url(enterprise)).content.decode())
    assert '<span class="unit">万Nm³</span>' in page
    assert "当年废气产生量（标准状态）。" in page
    assert "废水产生量 ÷ 工业总产值" in page
    assert "<td>万元/亩</td>" in page
    assert "10k yuan" not in page and "Waste gas generated" not in page


def test_a_refused_value_in_chinese_shows_the_chinese_message(chinese, enterprise, open_year, good_values):
    typed = {**good_values, "footprint_area": "25000", "wastewater": "abc", "action": "save"}
    response = chinese.post(edit_url(enterprise), typed)
    errors = response.context["form"].errors
    assert errors["footprint_area"] == ["建构筑物及堆场占地面积（25000 m²）不能大于用地面积（20000 m²）。"]
    assert errors["wastewater"] == ["废水产生量应为数字，“abc”无法识别。"]


def test_the_live_preview_in_chinese_keeps_the_chinese_texts(chinese, open_year):
    html = chinese.post(
        reverse("reporting:indicator_preview"), {"site_area": "0", "floor_area": "24000"}
    ).content.decode()
    assert "用地面积必须大于0（当前为 0 m²）。" in html
    assert "计容建筑面积 ÷ 用地面积" in html
    assert "kg/万元" in html
    assert "10k yuan" not in html
