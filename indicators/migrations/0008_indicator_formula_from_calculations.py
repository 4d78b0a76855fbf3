"""An indicator's formula text is no longer stored (issue 13, defect 6): Indicator.formula_zh
and formula_en read calculations.FORMULAS, the text every method trace records, so the
catalogue and the traces cannot drift apart again.

Seeded indicators nobody edited get the seed checksum of their values without the two
fields, so that seeding keeps refreshing them (dezhou_carbon/seeding.py); an edited one
stays reported as edited. The method traces with the old non-fossil-share formula are
replaced by the next full recompute (the nightly one), which rewrites every result whose
trace changed."""

import hashlib
import json

from django.db import migrations

# The indicator fields fixtures/indicators.json seeds, besides the code.
SEEDED = [
    "name_zh",
    "name_en",
    "unit",
    "direction",
    "path_kind",
    "has_base_year",
    "decimal_places",
    "order",
]
REMOVED = ["formula_zh", "formula_en"]


def _checksum(values: dict) -> str:
    """dezhou_carbon.seeding.checksum for these plain values (as it was when written)."""
    canonical = json.dumps(dict(sorted(values.items())), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def seed_checksums_without_formulas(apps, schema_editor):
    Indicator = apps.get_model("indicators", "Indicator")
    for indicator in Indicator.objects.all():
        values = {name: getattr(indicator, name) for name in SEEDED}
        with_formulas = {**values, **{name: getattr(indicator, name) for name in REMOVED}}
        if indicator.seed_checksum and indicator.seed_checksum == _checksum(with_formulas):
            indicator.seed_checksum = _checksum(values)
            indicator.save(update_fields=["seed_checksum"])


class Migration(migrations.Migration):
    dependencies = [
        ("indicators", "0007_target_revisions"),
    ]

    operations = [
        migrations.RunPython(seed_checksums_without_formulas, migrations.RunPython.noop),
        migrations.RemoveField(model_name="indicator", name="formula_zh"),
        migrations.RemoveField(model_name="indicator", name="formula_en"),
    ]
