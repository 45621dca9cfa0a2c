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


def _force_login_with_second_factor(orig):
    """``force_login`` stands for a completed login: for a user with a TOTP device that includes the code.

    Tests of the second factor itself log in through the login form, or use users without a device
    (``testing.make_user(..., otp=False)``), whose sessions the enforcement then treats as password-only.
    """

    def force_login(self, user, backend=None):
        from ylyx import testing

        orig(self, user, backend)
        testing.complete_second_factor(self, user)

    return force_login


def pytest_configure(config):
    from django.test.client import ClientMixin

    ClientMixin.force_login = _force_login_with_second_factor(ClientMixin.force_login)

    from django.db.backends.postgresql import base as pg_base
    from django.db.backends.sqlite3 import base as sqlite_base

    for ops in (pg_base.DatabaseWrapper.ops_class, sqlite_base.DatabaseWrapper.ops_class):
        ops.sql_flush = _flush_with_audit_switch(ops.sql_flush)
