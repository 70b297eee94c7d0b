"""A reporting year names its catalogue version (a key to the shipped GBT36132-2018 for every existing year)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("factories", "0015_shipped_catalogues"),
        ("reporting", "0012_raw_cells"),
    ]

    operations = [
        migrations.RenameField(model_name="reportingyear", old_name="catalogue_version", new_name="catalogue"),
        migrations.AlterField(
            model_name="reportingyear",
            name="catalogue",
            field=models.ForeignKey(
                db_column="catalogue_version",
                default="GBT36132-2018",
                on_delete=django.db.models.deletion.PROTECT,
                related_name="reporting_years",
                to="factories.catalogueversion",
                to_field="code",
                verbose_name="指标目录",
            ),
        ),
        migrations.AddField(
            model_name="reportingyear",
            name="sector_catalogues",
            field=models.ManyToManyField(
                blank=True,
                help_text="重点行业企业按其所属行业使用的目录；其余企业使用本年度的指标目录。",
                related_name="sector_years",
                to="factories.catalogueversion",
                verbose_name="行业变体目录",
            ),
        ),
    ]
