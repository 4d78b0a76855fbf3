from django.db import migrations


def seed(apps, schema_editor):
    from enterprises.rules import enterprise_rules_seed

    enterprise_rules_seed(apps.get_model("indicators", "Coefficient"))


class Migration(migrations.Migration):
    dependencies = [("enterprises", "0001_initial"), ("indicators", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
