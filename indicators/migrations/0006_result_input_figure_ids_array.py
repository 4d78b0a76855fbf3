"""A result's input figure ids as `bigint[]` on PostgreSQL (indicators.fields.IdListField):
a full recompute writes ~700,000 of these lists and PostgreSQL reads an array from COPY
text faster than a jsonb document. Other databases keep the JSON text they have."""

from django.db import migrations

import indicators.fields

TO_ARRAY_SQL = [
    # A subquery is not allowed in ALTER COLUMN … USING; a function of this session is.
    "CREATE FUNCTION pg_temp.ids_from_jsonb(ids jsonb) RETURNS bigint[] LANGUAGE sql "
    "IMMUTABLE AS $$ SELECT coalesce(array_agg(e::bigint ORDER BY n), '{}') "
    "FROM jsonb_array_elements_text(ids) WITH ORDINALITY AS t(e, n) $$",
    "ALTER TABLE indicators_indicatorresult ALTER COLUMN input_figure_ids "
    "TYPE bigint[] USING pg_temp.ids_from_jsonb(input_figure_ids)",
    "DROP FUNCTION pg_temp.ids_from_jsonb(jsonb)",
]
TO_JSONB_SQL = [
    "ALTER TABLE indicators_indicatorresult ALTER COLUMN input_figure_ids "
    "TYPE jsonb USING to_jsonb(input_figure_ids)",
]


def to_array(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in TO_ARRAY_SQL:
            schema_editor.execute(sql)


def to_jsonb(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in TO_JSONB_SQL:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("indicators", "0005_result_unique_by_scope"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="indicatorresult",
                    name="input_figure_ids",
                    field=indicators.fields.IdListField(default=list),
                ),
            ],
            database_operations=[migrations.RunPython(to_array, to_jsonb)],
        ),
    ]
