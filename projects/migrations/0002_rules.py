"""The review and budget thresholds of management.md §2 as sourced coefficients."""

from django.db import migrations


def seed(apps, schema_editor):
    from projects.rules import project_rules_seed

    project_rules_seed(apps.get_model("indicators", "Coefficient"))


class Migration(migrations.Migration):
    dependencies = [("projects", "0001_initial"), ("indicators", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
