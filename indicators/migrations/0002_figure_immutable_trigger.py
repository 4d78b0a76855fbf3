"""On PostgreSQL, a figure's value and identity can never change and a figure can never be
deleted: a correction is a new version. Workflow columns (state, flags, decision) may
change."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION figure_value_immutable() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'figures are never deleted (统计数据不可删除，更正请新建版本)';
  END IF;
  IF NEW.value IS DISTINCT FROM OLD.value OR NEW.item_id IS DISTINCT FROM OLD.item_id
     OR NEW.period IS DISTINCT FROM OLD.period OR NEW.scope IS DISTINCT FROM OLD.scope
     OR NEW.version IS DISTINCT FROM OLD.version OR NEW.year IS DISTINCT FROM OLD.year
     OR NEW.quarter IS DISTINCT FROM OLD.quarter OR NEW.entered_by_id IS DISTINCT FROM OLD.entered_by_id
     OR NEW.entered_at IS DISTINCT FROM OLD.entered_at THEN
    RAISE EXCEPTION 'a figure value is never overwritten (统计数据不可覆盖，更正请新建版本)';
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS figure_value_immutable ON indicators_figure;
CREATE TRIGGER figure_value_immutable BEFORE UPDATE OR DELETE ON indicators_figure
  FOR EACH ROW EXECUTE FUNCTION figure_value_immutable();
"""
DROP = """
DROP TRIGGER IF EXISTS figure_value_immutable ON indicators_figure;
DROP FUNCTION IF EXISTS figure_value_immutable();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("indicators", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
