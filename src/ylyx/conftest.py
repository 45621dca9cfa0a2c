import pytest

from ylyx import testing


@pytest.fixture
def tree(db):
    return testing.region_tree()


@pytest.fixture
def users(tree):
    """One user per role; county officers in 临河区, a town officer in its town, an operator of a 临河 institution."""
    inst = testing.make_institution(tree["linhe_town"])
    return {
        "civil_affairs": testing.make_user("civil_affairs", tree["city"]),
        "health": testing.make_user("health", tree["city"]),
        "county_officer": testing.make_user("county_officer", tree["linhe"]),
        "town_officer": testing.make_user("town_officer", tree["linhe_town"]),
        "inspector": testing.make_user("inspector", tree["city"]),
        "operator": testing.make_user("operator", None, institution=inst),
        "leader": testing.make_user("leader", tree["city"]),
        "auditor": testing.make_user("auditor", tree["city"]),
        "sysadmin": testing.make_user("sysadmin", tree["city"]),
        "_operator_institution": inst,
    }


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
