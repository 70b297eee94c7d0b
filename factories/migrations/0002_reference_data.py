"""Load the management units and manufacturing divisions (DOMAIN.md §2), so a fresh database has them."""

from django.db import migrations


def load_reference(apps, schema_editor):
    from factories.reference import load

    load(apps.get_model("factories", "District"), apps.get_model("factories", "Industry"))


class Migration(migrations.Migration):
    dependencies = [("factories", "0001_initial")]

    operations = [migrations.RunPython(load_reference, migrations.RunPython.noop)]
