"""The GWP100 values of IPCC AR6 as factors of the library (footprints/seed.py)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from footprints.seed import seed_gwp

    seed_gwp(apps.get_model("footprints", "EmissionFactor"))


class Migration(migrations.Migration):
    dependencies = [("footprints", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
