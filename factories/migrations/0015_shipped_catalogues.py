"""Ship GBT36132-2018 (adopted: today's catalogue) and the draft GBT36132-2025 of DOMAIN §4b as data."""

import json
from pathlib import Path

from django.db import migrations
from django.utils import timezone

SHIPPED = ["GBT36132-2018", "GBT36132-2025"]
DATA = Path(__file__).resolve().parent.parent / "data" / "catalogues"


def load(apps, schema_editor):
    Version = apps.get_model("factories", "CatalogueVersion")
    Field = apps.get_model("factories", "CatalogueField")
    Indicator = apps.get_model("factories", "CatalogueIndicator")
    for code in SHIPPED:
        data = json.loads((DATA / f"{code}.json").read_text(encoding="utf-8"))
        if Version.objects.filter(code=code).exists():
            continue
        adopted = data["status"] == "adopted"
        version = Version.objects.create(
            code=data["code"],
            version=data["version"],
            name=data["name"],
            name_en=data["name_en"],
            status=data["status"],
            dimensions=data["dimensions"],
            industry_divisions=data["industry_divisions"],
            adopted_at=timezone.now() if adopted else None,
        )
        for position, field in enumerate(data["fields"], start=1):
            Field.objects.create(catalogue=version, position=position, **field)
        for position, item in enumerate(data["indicators"], start=1):
            same_as = item.pop("same_as")
            target = None
            if same_as:
                catalogue, indicator = same_as.split("/")
                target = Indicator.objects.get(catalogue__code=catalogue, code=indicator)
            Indicator.objects.create(catalogue=version, position=position, same_as=target, **item)


def unload(apps, schema_editor):
    Version = apps.get_model("factories", "CatalogueVersion")
    Indicator = apps.get_model("factories", "CatalogueIndicator")
    for code in reversed(SHIPPED):
        Indicator.objects.filter(catalogue__code=code).delete()
        Version.objects.filter(code=code).delete()


class Migration(migrations.Migration):
    dependencies = [("factories", "0014_catalogues")]

    operations = [migrations.RunPython(load, unload)]
