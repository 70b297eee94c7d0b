"""The draft grading standard CQ-GF-2026 v1 on the draft catalogue GBT36132-2025 (DOMAIN §4b, §6).

The indicators are read from the shipped catalogue data (the same JSON migration 0015 loads); every
parameter but the catalogue, its dimension weights and its indicators is CQ-GF-2024's.
"""

import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "catalogues"


def create_draft(apps, schema_editor):
    from factories.grading.standard import (
        DEFAULT_STANDARD,
        DRAFT_2026_CATALOGUE,
        DRAFT_2026_CODE,
        DRAFT_2026_WEIGHTS,
        specs_from_catalogue_data,
        standard_on_catalogue,
        standard_to_dict,
    )

    data = json.loads((DATA / f"{DRAFT_2026_CATALOGUE}.json").read_text(encoding="utf-8"))
    standard = standard_on_catalogue(
        DEFAULT_STANDARD,
        code=DRAFT_2026_CODE,
        version=1,
        catalogue_version=DRAFT_2026_CATALOGUE,
        weights=DRAFT_2026_WEIGHTS,
        indicators=specs_from_catalogue_data(data["indicators"]),
    )
    GradingStandard = apps.get_model("factories", "GradingStandard")
    GradingStandard.objects.get_or_create(
        code=standard.code,
        version=standard.version,
        defaults={
            "name": "重庆市绿色工厂分级评价标准（2026 征求意见稿）",
            "status": "draft",
            "parameters": standard_to_dict(standard),
            "note": "依据 GB/T 36132-2025 的五个一级指标：权重能源低碳化30、资源高效化30、生产洁净化16、"
            "产品绿色化16、用地集约化8；其余参数同 CQ-GF-2024。草案，可用于预评价（模拟）。",
        },
    )


def remove_draft(apps, schema_editor):
    GradingStandard = apps.get_model("factories", "GradingStandard")
    GradingStandard.objects.filter(code="CQ-GF-2026", version=1, status="draft", runs__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("factories", "0015_shipped_catalogues")]

    operations = [migrations.RunPython(create_draft, remove_draft)]
