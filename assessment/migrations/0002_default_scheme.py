"""The default assessment scheme of management.md §4 (year 0: for years without their own)."""

from django.db import migrations


def default_scheme(apps, schema_editor):
    from assessment.calculations import DEFAULT_RULES, rules_checked

    Scheme = apps.get_model("assessment", "Scheme")
    if not Scheme.objects.filter(year=0).exists():
        Scheme.objects.create(
            year=0,
            version=1,
            rules=rules_checked(DEFAULT_RULES),
            reason="management.md §4 默认方案（园区可调整）",
        )


class Migration(migrations.Migration):
    dependencies = [("assessment", "0001_initial")]
    operations = [migrations.RunPython(default_scheme, migrations.RunPython.noop)]
