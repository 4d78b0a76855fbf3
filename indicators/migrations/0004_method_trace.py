"""Method traces stored once (MethodTrace) instead of a copy in every result row, and the
single-column indexes that only cost writes dropped (see docs/performance.md).

Existing results keep their traces: each distinct `method` becomes a MethodTrace row and
the results point to it, before the column goes."""

import hashlib
import json
import uuid

import django.db.models.deletion
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import migrations, models

TRACE_IMMUTABLE_SQL = """
CREATE OR REPLACE FUNCTION method_trace_immutable() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'indicators_methodtrace rows are never changed or deleted'
    USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS method_trace_immutable ON indicators_methodtrace;
CREATE TRIGGER method_trace_immutable BEFORE UPDATE OR DELETE ON indicators_methodtrace
  FOR EACH ROW EXECUTE FUNCTION method_trace_immutable();
"""
TRACE_IMMUTABLE_REVERSE_SQL = """
DROP TRIGGER IF EXISTS method_trace_immutable ON indicators_methodtrace;
DROP FUNCTION IF EXISTS method_trace_immutable();
"""


def _key(document) -> uuid.UUID:
    # As indicators.models.trace_key at the time of this migration.
    text = json.dumps(
        document, sort_keys=True, ensure_ascii=False, separators=(",", ":"), cls=DjangoJSONEncoder
    )
    return uuid.UUID(hex=hashlib.sha256(text.encode()).hexdigest()[:32])


def traces_from_methods(apps, schema_editor):
    Result = apps.get_model("indicators", "IndicatorResult")
    Trace = apps.get_model("indicators", "MethodTrace")
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        # Set-based: a few thousand distinct traces among up to millions of rows.
        with connection.cursor() as cursor:
            cursor.execute("SELECT DISTINCT method::text FROM indicators_indicatorresult")
            texts = [text for (text,) in cursor.fetchall()]
            keys = [_key(json.loads(text)) for text in texts]
            documents = dict(zip(keys, texts, strict=True))
            Trace.objects.bulk_create(
                [Trace(pk=key, document=json.loads(documents[key])) for key in sorted(documents)]
            )
            cursor.execute(
                "UPDATE indicators_indicatorresult r SET trace_id = m.id FROM "
                "(SELECT unnest(%s::text[])::jsonb AS method, unnest(%s::uuid[]) AS id) m "
                "WHERE r.method = m.method",
                [texts, [str(key) for key in keys]],
            )
        return
    by_key: dict[uuid.UUID, list[int]] = {}
    documents = {}
    for pk, method in Result.objects.values_list("pk", "method").iterator(chunk_size=5000):
        key = _key(method)
        documents.setdefault(key, method)
        by_key.setdefault(key, []).append(pk)
    for key in sorted(by_key):
        Trace.objects.create(pk=key, document=documents[key])
        pks = by_key[key]
        for start in range(0, len(pks), 500):
            Result.objects.filter(pk__in=pks[start : start + 500]).update(trace_id=key)


def methods_from_traces(apps, schema_editor):
    Result = apps.get_model("indicators", "IndicatorResult")
    for result in Result.objects.select_related("trace").iterator(chunk_size=5000):
        Result.objects.filter(pk=result.pk).update(method=result.trace.document)


def trace_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRACE_IMMUTABLE_SQL)


def trace_trigger_reverse(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRACE_IMMUTABLE_REVERSE_SQL)


class Migration(migrations.Migration):
    dependencies = [
        ("indicators", "0003_importbatch_department_importbatch_period_and_more"),
        ("tasks", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="MethodTrace",
            fields=[
                ("id", models.UUIDField(editable=False, primary_key=True, serialize=False)),
                ("document", models.JSONField()),
            ],
            options={
                "verbose_name": "计算方法记录",
                "verbose_name_plural": "计算方法记录",
            },
        ),
        migrations.AddField(
            model_name="indicatorresult",
            name="trace",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="indicators.methodtrace",
            ),
        ),
        migrations.RunPython(traces_from_methods, methods_from_traces),
        migrations.RemoveField(
            model_name="indicatorresult",
            name="method",
        ),
        migrations.AlterField(
            model_name="indicatorresult",
            name="trace",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="indicators.methodtrace",
            ),
        ),
        migrations.RunPython(trace_trigger, trace_trigger_reverse),
        migrations.AlterField(
            model_name="figure",
            name="decided_by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="figure",
            name="department",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="figures",
                to="tasks.department",
            ),
        ),
        migrations.AlterField(
            model_name="figure",
            name="entered_by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="figure",
            name="item",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="figures",
                to="indicators.statisticalitem",
            ),
        ),
        migrations.AlterField(
            model_name="figure",
            name="submitted_by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="indicatorresult",
            name="indicator",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="results",
                to="indicators.indicator",
            ),
        ),
        migrations.AlterField(
            model_name="indicatorresult",
            name="target",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="results",
                to="indicators.target",
            ),
        ),
    ]
