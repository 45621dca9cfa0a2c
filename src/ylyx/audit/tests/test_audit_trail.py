"""The audit trail is append-only in the database, hash-chained, and written in the caller's transaction."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from ylyx import testing
from ylyx.audit import services
from ylyx.audit.models import AuditEvent
from ylyx.institutions.models import Institution

pytestmark = pytest.mark.django_db(transaction=True)


def test_update_and_delete_are_refused_by_the_database(tree):
    user = testing.make_user("county_officer", tree["linhe"])
    ev = services.record(user, "test", None, reason="x")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=ev.pk).update(reason="changed")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=ev.pk).delete()
    assert AuditEvent.objects.get(pk=ev.pk).reason == "x"


def test_chain_verifies_and_detects_tampering(tree):
    user = testing.make_user("county_officer", tree["linhe"])
    for i in range(5):
        services.record(user, "test", None, reason=f"r{i}")
    ok, bad, n = services.verify_chain()
    assert ok and n >= 5
    target = AuditEvent.objects.order_by("id")[2]
    with connection.cursor() as cur:  # an attacker with database access, bypassing the trigger
        if connection.vendor == "postgresql":
            cur.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_no_update")
            cur.execute("UPDATE audit_auditevent SET reason = 'tampered' WHERE id = %s", [target.pk])
            cur.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_no_update")
        else:
            cur.execute("DROP TRIGGER audit_no_update")
            cur.execute("UPDATE audit_auditevent SET reason = 'tampered' WHERE id = %s", [target.pk])
    ok, bad, _ = services.verify_chain()
    assert not ok and bad == target.pk
    with pytest.raises(CommandError, match=str(target.pk)):
        call_command("verify_audit")


def test_failed_audit_rolls_back_the_business_write(tree, monkeypatch):
    user = testing.make_user("county_officer", tree["linhe"])

    def broken(*a, **k):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(services, "record_many", broken)
    with pytest.raises(RuntimeError), transaction.atomic():
        inst = testing.make_institution(tree["linhe"], name="不应保存的机构")
        services.record(user, "create", inst)
    assert not Institution.objects.filter(name="不应保存的机构").exists()


def test_events_carry_actor_region_and_object(tree):
    user = testing.make_user("county_officer", tree["linhe"])
    inst = testing.make_institution(tree["linhe"])
    ev = services.record(user, "update", inst, before={"beds": 100}, after={"beds": 120}, reason="扩建")
    ev.refresh_from_db()
    assert (ev.actor_region, ev.object_type, ev.object_id, ev.region_code) == (
        "150802000000", "institutions.institution", str(inst.pk), "150802000000")
    assert ev.after == {"beds": 120} and ev.reason == "扩建"
