"""Imports and exports of a 2026 year on GBT36132-2025 (issue 15 item 2): the template has the catalogue's
fields as columns with a rule per kind, a filled template stores the right values, and the exports list
the year's catalogue in words. GBT36132-2018 years are unchanged (tests/reporting/test_imports.py)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from factories.catalogues import services as catalogue_services
from factories.catalogues.bridge import reporting_catalogue
from factories.models import CatalogueVersion
from reporting import imports, services
from reporting.models import AnnualSubmission
from tests.reporting.test_catalogue_2025 import CATALOGUE, VALUES_2025

pytestmark = pytest.mark.django_db


def open_2026(city_user):  # type: ignore[no-untyped-def]
    """Adopt GBT36132-2025 as the city would and open 2026 on it (as tests/reporting/test_catalogue_2025.py)."""
    draft = CatalogueVersion.objects.get(code=CATALOGUE)
    catalogue_services.catalogue_adopt(actor=city_user, catalogue=draft)
    today = timezone.localdate()
    return services.reporting_year_open(
        actor=city_user,
        year=2026,
        opens_on=max(today - dt.timedelta(days=30), dt.date(2026, 1, 1)),
        closes_on=today + dt.timedelta(days=30),
        catalogue=CATALOGUE,
    )


@pytest.fixture
def adopted_2025(city_user):  # type: ignore[no-untyped-def]
    draft = CatalogueVersion.objects.get(code=CATALOGUE)
    return catalogue_services.catalogue_adopt(actor=city_user, catalogue=draft)


@pytest.fixture
def year_2026(city_user):  # type: ignore[no-untyped-def]
    return open_2026(city_user)


def _template(enterprises):  # type: ignore[no-untyped-def]
    return imports.build_template(
        year=2026, enterprises=[(e.credit_code, e.name) for e in enterprises], catalogue_version=CATALOGUE
    )


def test_the_2026_template_has_the_new_fields_with_a_rule_per_kind(adopted_2025, enterprise):
    workbook = load_workbook(io.BytesIO(_template([enterprise])))
    sheet = workbook[imports.DATA_SHEET]
    assert CATALOGUE in sheet["A1"].value
    header = [c.value for c in sheet[imports.HEADER_ROW]]
    catalogue = reporting_catalogue(CATALOGUE)
    assert len(header) == len(catalogue.raw_fields) + 3
    assert "能碳管理平台具备的功能（多选，以“、”分隔）" in header
    assert "列入国家鼓励目录的先进工艺技术装备（项）" in header
    assert "化学需氧量产生量（kg）" not in header  # a GBT36132-2018 field
    column = {title: index + 1 for index, title in enumerate(header)}
    choice = column["能碳管理平台具备的功能（多选，以“、”分隔）"]
    note = sheet.cell(row=imports.HEADER_ROW, column=choice).comment.text
    assert "用“、”分隔" in note and "一项都不具备填“以上均不具备”" in note and "碳资产管理" in note
    from openpyxl.utils import get_column_letter

    def rule_of(index: int) -> str | None:
        cell = f"{get_column_letter(index)}{imports.FIRST_DATA_ROW}"
        found = [dv.type for dv in sheet.data_validations.dataValidation if cell in dv.sqref]
        assert len(found) <= 1
        return found[0] if found else None

    assert rule_of(choice) is None  # text: no number validation
    count = column["列入国家鼓励目录的先进工艺技术装备（项）"]
    assert rule_of(count) == "whole"
    assert "整数" in sheet.cell(row=imports.HEADER_ROW, column=count).comment.text
    assert rule_of(column["工业总产值（当年价）（万元）"]) == "decimal"
    instructions = " ".join(str(r[0]) for r in workbook[imports.HELP_SHEET].iter_rows(values_only=True))
    assert "能碳管理平台具备的功能" in instructions and "以“、”分隔" in instructions


def test_a_filled_2026_template_imports_the_right_values(year_2026, district_user, enterprise):
    workbook = load_workbook(io.BytesIO(_template([enterprise])))
    sheet = workbook[imports.DATA_SHEET]
    header = [c.value for c in sheet[imports.HEADER_ROW]]
    titles = dict(imports.headers(reporting_catalogue(CATALOGUE)))
    typed = {
        **{k: v for k, v in VALUES_2025.items() if not isinstance(v, list)},
        "energy_carbon_functions": "碳排放核算、能耗查询，能效对标",
        "advanced_equipment": 4,  # a number cell
        "material_cases": "2",
    }
    for key, value in typed.items():
        sheet.cell(row=imports.FIRST_DATA_ROW, column=header.index(titles[key]) + 1, value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    job = services.import_upload(actor=district_user, year=2026, name="2026.xlsx", data=buffer.getvalue())
    assert job.status == "validated", job.errors
    services.import_commit(actor=district_user, job=job)
    stored = AnnualSubmission.objects.get(enterprise=enterprise, year=2026)
    assert stored.catalogue_version == CATALOGUE
    assert stored.raw_values["energy_carbon_functions"] == ["能耗查询", "能效对标", "碳排放核算"]
    assert stored.raw_values["advanced_equipment"] == "4"
    assert stored.raw_values["material_cases"] == "2"
    assert stored.raw_values["output_value"] == "50000"
    assert "cod" not in stored.raw_values


@pytest.mark.parametrize(
    ("cell", "stored", "error"),
    [
        ("无", [], None),
        ("以上均不具备", [], None),
        (None, None, None),
        ("碳交易", None, "没有“碳交易”这一项"),
    ],
)
def test_the_choice_set_column_reads_none_and_refuses_unknown_items(  # type: ignore[no-untyped-def]
    year_2026, district_user, enterprise, cell, stored, error
):
    workbook = load_workbook(io.BytesIO(_template([enterprise])))
    sheet = workbook[imports.DATA_SHEET]
    header = [c.value for c in sheet[imports.HEADER_ROW]]
    titles = dict(imports.headers(reporting_catalogue(CATALOGUE)))
    for key, value in {
        "output_value": "50000",
        "energy_carbon_functions": cell,
        "advanced_equipment": "2.5" if error else 3,
    }.items():
        sheet.cell(row=imports.FIRST_DATA_ROW, column=header.index(titles[key]) + 1, value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    job = services.import_upload(actor=district_user, year=2026, name="2026.xlsx", data=buffer.getvalue())
    if error:
        assert job.status == "invalid"
        messages = " ".join(e["message"] for e in job.errors)
        assert error in messages and "应为非负整数" in messages
        return
    assert job.status == "validated", job.errors
    services.import_commit(actor=district_user, job=job)
    assert (
        AnnualSubmission.objects.get(enterprise=enterprise, year=2026).raw_values.get(
            "energy_carbon_functions"
        )
        == stored
    )


# --- exports -----------------------------------------------------------------------------------------------


def _export(actor, filters):  # type: ignore[no-untyped-def]
    from reporting import jobs

    job, _queued = jobs.export_request(actor=actor, kind="submissions", filters=filters)
    assert job.status == "succeeded", job.error if hasattr(job, "error") else job
    with job.file.open("rb") as handle:
        return load_workbook(io.BytesIO(handle.read())).active


@pytest.fixture
def _media_in_tmp(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def draft_2026(year_2026, enterprise_user, enterprise):  # type: ignore[no-untyped-def]
    return services.submission_save_draft(
        actor=enterprise_user, enterprise=enterprise, year=2026, values=VALUES_2025
    )


@pytest.mark.usefixtures("_media_in_tmp")
def test_the_2026_export_has_the_2025_catalogues_columns_in_words(city_user, draft_2026):
    sheet = _export(city_user, {"year": "2026"})
    header = [c.value for c in sheet[2]]
    assert "能碳管理平台具备的功能" in header and "EN-04 能碳管理平台功能符合数量（项）" in header
    assert "化学需氧量产生量（kg）" not in header and not any(str(h).startswith("EL-01") for h in header)
    row = dict(zip(header, [c.value for c in sheet[3]], strict=False))
    assert row["能碳管理平台具备的功能"] == "能耗查询、能效对标、碳排放核算"
    assert row["列入国家鼓励目录的先进工艺技术装备（项）"] == 4
    assert row["EN-01 单位产值综合能耗（tce/万元）"] == pytest.approx(0.019777)


@pytest.mark.usefixtures("_media_in_tmp")
def test_an_export_over_years_on_two_catalogues_has_one_block_per_catalogue(
    city_user, open_year, draft_2026, enterprise_user, enterprise, good_values
):
    services.submission_save_draft(
        actor=enterprise_user, enterprise=enterprise, year=2025, values=good_values
    )
    sheet = _export(city_user, {})
    blocks = [c.value for c in sheet[2] if c.value]
    assert blocks == ["指标目录 GBT36132-2025", "指标目录 GBT36132-2018"]
    header = [c.value for c in sheet[3]]
    rows = [
        dict(zip(range(len(header)), [c.value for c in r], strict=False)) for r in sheet.iter_rows(min_row=4)
    ]
    by_year = {r[0]: r for r in rows}
    choice = header.index("能碳管理平台具备的功能")
    cod = header.index("化学需氧量产生量（kg）")
    assert by_year[2026][choice] == "能耗查询、能效对标、碳排放核算" and by_year[2026][cod] is None
    assert by_year[2025][choice] is None and by_year[2025][cod] == 1500
