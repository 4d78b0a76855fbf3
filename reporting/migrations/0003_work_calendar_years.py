"""The State Council notices' holidays and make-up working days for 2020–2026, from
fixtures/work_calendar.json (checked by reporting.workdays)."""

from django.db import migrations


def seed(apps, schema_editor):
    from reporting.services import work_calendar_rows

    WorkCalendarYear = apps.get_model("reporting", "WorkCalendarYear")
    known = set(WorkCalendarYear.objects.values_list("year", flat=True))
    WorkCalendarYear.objects.bulk_create(
        WorkCalendarYear(**row) for row in work_calendar_rows() if row["year"] not in known
    )


class Migration(migrations.Migration):
    dependencies = [("reporting", "0002_work_calendar")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
