"""Root pytest configuration: applies to app tests under src/ and to tests/ alike."""


def _flush_with_audit_switch(orig):
    """Test databases are flushed between transactional tests; the audit triggers allow it only with the switch."""

    def sql_flush(self, style, tables, **kwargs):
        statements = orig(self, style, tables, **kwargs)
        if "audit_auditevent" not in tables:
            return statements
        if self.connection.vendor == "postgresql":  # one TRUNCATE of every table; the switch is read first
            return ["DELETE FROM audit_auditmaintenance",
                    "INSERT INTO audit_auditmaintenance (id, enabled) VALUES (1, TRUE)", *statements]
        rest = [s for s in statements if "audit_auditmaintenance" not in s]
        return ["DELETE FROM audit_auditmaintenance",
                "INSERT INTO audit_auditmaintenance (id, enabled) VALUES (1, 1)", *rest,
                "DELETE FROM audit_auditmaintenance"]

    return sql_flush


def pytest_configure(config):
    from django.db.backends.postgresql import base as pg_base
    from django.db.backends.sqlite3 import base as sqlite_base

    for ops in (pg_base.DatabaseWrapper.ops_class, sqlite_base.DatabaseWrapper.ops_class):
        ops.sql_flush = _flush_with_audit_switch(ops.sql_flush)
