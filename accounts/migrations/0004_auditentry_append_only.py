"""Audit entries are append-only on PostgreSQL: a trigger refuses UPDATE and DELETE for every role.

A trigger rather than grants alone: the application usually connects as the owner of its tables (the
docker-compose role both migrates and serves), and an owner can grant itself back any right; a trigger
binds the owner too, ships with the migrations to every installation, and is tested in CI. The one
UPDATE let through is Django clearing `actor` when an account is deleted (on_delete=SET_NULL): the
entry keeps the account's name in `actor_name`, and nothing else may differ. TRUNCATE is left to the
grants (README): Django's test flush uses it.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION accounts_auditentry_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND NEW.actor_id IS NULL
       AND OLD.actor_id IS NOT NULL
       AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit entries cannot be changed or deleted (accounts_auditentry is append-only)'
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS accounts_auditentry_append_only ON accounts_auditentry;
CREATE TRIGGER accounts_auditentry_append_only
    BEFORE UPDATE OR DELETE ON accounts_auditentry
    FOR EACH ROW EXECUTE FUNCTION accounts_auditentry_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS accounts_auditentry_append_only ON accounts_auditentry;
DROP FUNCTION IF EXISTS accounts_auditentry_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_apitoken")]

    operations = [migrations.RunPython(forwards, backwards)]
