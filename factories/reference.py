"""Loading the reference data shipped in factories/data (DOMAIN.md §2).

Used by a data migration, so a fresh database already has the 41 management units and the 31
manufacturing divisions, and by `load_reference` to bring an existing database up to date.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"
UNITS_CSV = DATA_DIR / "management-units.csv"
INDUSTRIES_CSV = DATA_DIR / "gbt4754-2017-manufacturing-divisions.csv"


def _date(value: str) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def read_units() -> list[dict[str, Any]]:
    with UNITS_CSV.open(encoding="utf-8") as handle:
        return [
            {
                "code": row["code"],
                "name": row["name"],
                "kind": row["kind"],
                "valid_from": _date(row["valid_from"]),
                "valid_to": _date(row["valid_to"]),
                "successor": row["successor"] or None,
                "note": row["note"],
            }
            for row in csv.DictReader(handle)
        ]


def read_industries() -> list[dict[str, str]]:
    with INDUSTRIES_CSV.open(encoding="utf-8") as handle:
        return [{"code": row["code"], "name": row["name"]} for row in csv.DictReader(handle)]


def load(district_model: Any, industry_model: Any) -> None:
    """Insert or update the units and industries; successors are linked after all units exist."""
    units = read_units()
    for unit in units:
        district_model.objects.update_or_create(
            code=unit["code"],
            defaults={k: unit[k] for k in ("name", "kind", "valid_from", "valid_to", "note")},
        )
    for unit in units:
        if unit["successor"]:
            district_model.objects.filter(code=unit["code"]).update(successor_id=unit["successor"])
    for industry in read_industries():
        industry_model.objects.update_or_create(code=industry["code"], defaults={"name": industry["name"]})
