"""Catalogue versions as data: the shipped GBT36132-2018 gives today's results byte for byte (§4, §4b)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from factories.catalogues.engine import check
from factories.catalogues.selectors import catalogue_indicators, catalogue_spec
from factories.catalogues.shipped import shipped
from factories.indicators import GBT36132_2018
from factories.models import CatalogueVersion
from reporting.values import compute_indicators, indicators_to_storage
from tests.model_factories import plausible_raw

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parents[2] / "factories" / "data" / "catalogues"
NAMES = [f.name for f in GBT36132_2018.raw_fields]


def _edge_cases() -> list[dict[str, str | None]]:
    base = plausible_raw(1, 2025)
    cases: list[dict[str, str | None]] = [{}, dict.fromkeys(NAMES, "0"), dict.fromkeys(NAMES)]
    for name in NAMES:
        cases.append({**base, name: None})  # each input missing in turn
        cases.append({**base, name: "0"})  # each input zero in turn: zero denominators are n/a
    cases.append({**base, "solid_waste_utilized": "5000", "solid_waste": "10"})  # capped at 100
    cases.append({**base, "solid_waste_utilized": "10.000001", "solid_waste": "10"})  # just over the cap
    cases.append({**base, "site_area": "0.000001", "output_value": "999999999999999.999999"})
    # Exactly half-way at the 7th decimal: 1 / 400000 = 0.0000025 rounds half-up to 0.000003.
    cases.append({**base, "floor_area": "1", "footprint_area": "1", "site_area": "400000"})
    cases.append({**base, "co2": "0.5", "waste_gas": "1", "output_value": "2000000"})
    return cases


def test_the_shipped_files_are_what_the_code_builds() -> None:
    for data in shipped():
        assert json.loads((DATA / f"{data['code']}.json").read_text(encoding="utf-8")) == data


def test_gbt36132_2018_from_the_database_gives_byte_identical_results_to_the_code_catalogue() -> None:
    version = CatalogueVersion.objects.get(code="GBT36132-2018")
    raws = [plausible_raw(seed, year) for seed in range(120) for year in (2023, 2024, 2025)] + _edge_cases()
    for raw in raws:
        expected = compute_indicators(raw, "GBT36132-2018")
        got = catalogue_indicators(raw, version)
        assert indicators_to_storage(got) == indicators_to_storage(expected), raw
        assert {c: repr(v.value) for c, v in got.items()} == {c: repr(v.value) for c, v in expected.items()}


def test_the_migration_ships_2018_adopted_and_2025_as_a_draft_continuing_2018() -> None:
    old, new = (
        CatalogueVersion.objects.get(code="GBT36132-2018"),
        CatalogueVersion.objects.get(code="GBT36132-2025"),
    )
    assert (old.status, new.status) == ("adopted", "draft")
    assert old.fields.count() == 23 and old.indicators.count() == 13
    assert new.fields.count() == 28 and new.indicators.count() == 18
    continued = {
        i.code: f"{i.same_as.catalogue.code}/{i.same_as.code}" for i in new.indicators.exclude(same_as=None)
    }
    assert continued == {
        "EN-01": "GBT36132-2018/EL-01",
        "EN-02": "GBT36132-2018/EL-02",
        "RE-03": "GBT36132-2018/WR-02",
        "LA-01": "GBT36132-2018/LI-03",
        "LA-02": "GBT36132-2018/LI-02",
        "LA-03": "GBT36132-2018/LI-01",
    }
    evidence = set(new.indicators.filter(evidence_required=True).values_list("code", flat=True))
    assert evidence == {
        "EN-03",
        "EN-04",
        "RE-04",
        "CL-01",
        "CL-02",
        "CL-03",
        "CL-04",
        "PR-01",
        "PR-02",
        "PR-03",
    }
    assert check(catalogue_spec(old)) == [] and check(catalogue_spec(new)) == []
