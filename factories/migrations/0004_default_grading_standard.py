"""The default grading standard CQ-GF-2024 v1 (DOMAIN §6), adopted from the measures' entry into force."""

import datetime as dt

from django.db import migrations


def create_default(apps, schema_editor):
    from factories.grading.standard import DEFAULT_STANDARD, standard_to_dict

    GradingStandard = apps.get_model("factories", "GradingStandard")
    GradingStandard.objects.get_or_create(
        code=DEFAULT_STANDARD.code,
        version=DEFAULT_STANDARD.version,
        defaults={
            "name": "重庆市绿色工厂分级评价标准（2024）",
            "status": "adopted",
            "parameters": standard_to_dict(DEFAULT_STANDARD),
            "valid_from": dt.date(2024, 6, 20),
            "note": "渝经信规范〔2024〕13号配套评价方法：权重能源30、资源30、清洁20、用地10、原料10；α=0.7。",
        },
    )


class Migration(migrations.Migration):
    dependencies = [("factories", "0003_gradingstandard_gradingrun_incident_and_more")]

    operations = [migrations.RunPython(create_default, migrations.RunPython.noop)]
