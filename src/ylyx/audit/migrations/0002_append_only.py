"""UPDATE and DELETE on the audit table are refused by the database itself (security.md SEC-AUD-3)."""

from django.db import migrations

SQLITE = [
    """CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit trail is append-only'); END;""",
    """CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit trail is append-only'); END;""",
]
POSTGRES = [
    """CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit trail is append-only'; END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER audit_no_update BEFORE UPDATE OR DELETE ON audit_auditevent
       FOR EACH ROW EXECUTE FUNCTION audit_append_only();""",
    """CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit_auditevent
       FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();""",
]


def forwards(apps, schema_editor):
    statements = POSTGRES if schema_editor.connection.vendor == "postgresql" else SQLITE
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
