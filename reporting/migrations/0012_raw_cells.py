"""A column PostgreSQL keeps with the hashes of each submission's non-zero raw cells, GIN-indexed, for the
copy checks of reporting.anomalies (nothing on SQLite, which compares in Python)."""

from django.db import migrations

# The copy checks of reporting.anomalies read `raw_cells`, which PostgreSQL keeps itself: the sorted 64-bit
# hashes of a record's non-empty, non-zero (field, value) cells; a GIN index finds the records sharing any
# of given cells. Not a model field: Django never writes it. SQLite (`make run`) compares in Python.
CREATE_INDEX = """
CREATE OR REPLACE FUNCTION reporting_raw_cells(raw jsonb) RETURNS bigint[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(h ORDER BY h), '{}')
    FROM (
        SELECT hashtextextended(e.key || chr(31) || e.value, 0) AS h
        FROM jsonb_each_text(raw) e
        WHERE ltrim(e.value, '0.') <> ''
    ) AS cells
$$;
ALTER TABLE reporting_annualsubmission
    ADD COLUMN raw_cells bigint[] GENERATED ALWAYS AS (reporting_raw_cells(raw_values)) STORED;
CREATE INDEX submission_raw_cells_gin ON reporting_annualsubmission USING gin (raw_cells);
"""
DROP_INDEX = """
DROP INDEX IF EXISTS submission_raw_cells_gin;
ALTER TABLE reporting_annualsubmission DROP COLUMN IF EXISTS raw_cells;
DROP FUNCTION IF EXISTS reporting_raw_cells(jsonb);
"""


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_INDEX)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_INDEX)


class Migration(migrations.Migration):
    dependencies = [("reporting", "0011_anomaly_flags")]

    operations = [migrations.RunPython(create_index, drop_index)]
