"""Time bank: deposits once per confirmed service, no negative balance, exactly-once withdrawals and transfers,
concurrent withdrawals never overdraw (threads; on PostgreSQL too when DATABASE_URL is set)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, connections, transaction

from ylyx import testing
from ylyx.care import services
from ylyx.care.models import LedgerEntry, TimeBankAccount

pytestmark = pytest.mark.django_db


def test_confirmed_hours_are_deposited_once(funded, volunteer, users):
    assert funded.balance == 600
    h = volunteer.hours.get()
    again = services.confirm_hours(users["county_officer"], h, "服务对象本人")
    assert again.minutes == 600 and LedgerEntry.objects.unscoped("t").count() == 1
    funded.refresh_from_db()
    assert funded.balance == 600


def test_withdrawals_never_go_below_zero_and_are_exactly_once(funded, users):
    officer = users["county_officer"]
    e1 = services.withdraw(officer, funded, 400, "withdraw-0001")
    e2 = services.withdraw(officer, funded, 400, "withdraw-0001")  # a retry of the same request
    assert e1.pk == e2.pk
    with pytest.raises(ValidationError) as err:
        services.withdraw(officer, funded, 201, "withdraw-0002")
    assert "余额不足" in str(err.value)
    funded.refresh_from_db()
    assert funded.balance == 200 and LedgerEntry.objects.unscoped("t").filter(kind="withdraw").count() == 1
    with pytest.raises(ValidationError):
        services.withdraw(officer, funded, 0, "withdraw-0003")
    with pytest.raises(ValidationError):
        services.withdraw(officer, funded, 10, "short")
    with pytest.raises(IntegrityError), transaction.atomic():  # the database refuses a negative balance too
        TimeBankAccount.objects.unscoped("t").filter(pk=funded.pk).update(balance=-1)


def test_transfer_to_a_consenting_family_member_is_exactly_once(funded, volunteer, parent, users):
    officer = users["county_officer"]
    with pytest.raises(ValidationError) as err:
        services.transfer_to_family(officer, funded, parent, 100, "transfer-0001")
    assert "家属" in str(err.value)
    services.link_family(officer, parent, member_name="李志愿", relation="子", member_volunteer=volunteer,
                         consent_on=dt.date(2025, 5, 1), consent_method="书面签字")
    a = services.transfer_to_family(officer, funded, parent, 100, "transfer-0001")
    b = services.transfer_to_family(officer, funded, parent, 100, "transfer-0001")
    assert a.pk == b.pk
    funded.refresh_from_db()
    target = TimeBankAccount.objects.unscoped("t").get(person=parent)
    assert (funded.balance, target.balance) == (500, 100)
    assert sorted(LedgerEntry.objects.unscoped("t").values_list("kind", flat=True)) == [
        "deposit", "transfer_in", "transfer_out"]
    with pytest.raises(ValidationError):
        services.transfer_to_family(officer, funded, parent, 501, "transfer-0002")
    funded.refresh_from_db()
    assert funded.balance == 500  # the refused transfer left nothing half-written
    assert LedgerEntry.objects.unscoped("t").count() == 3


def test_scope_and_roles(funded, users, tree):
    wuyuan = testing.make_user("county_officer", tree["wuyuan"])
    with pytest.raises(PermissionDenied):
        services.withdraw(wuyuan, funded, 10, "withdraw-wy-1")
    with pytest.raises(PermissionDenied):
        services.withdraw(users["leader"], funded, 10, "withdraw-ld-1")
    assert not TimeBankAccount.objects.for_user(wuyuan, "view").exists()
    assert not TimeBankAccount.objects.for_user(users["operator"], "view").exists()
    funded.refresh_from_db()
    assert funded.balance == 600


def test_annual_statement(funded, users):
    services.withdraw(users["county_officer"], funded, 90, "withdraw-s-01")
    year = LedgerEntry.objects.unscoped("t").first().created_at.year
    st = services.annual_statement(funded, year)
    assert (st["opening"], st["closing"], st["hours_served"]) == (0, 510, 10.0)
    assert st["totals"]["withdraw"] == -90 and len(st["entries"]) == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_withdrawals_never_overdraw(tree):
    officer = testing.make_user("county_officer", tree["linhe"])
    parent = testing.make_elderly(tree["linhe_village"])
    account = services.account_for_person(parent)
    TimeBankAccount.objects.unscoped("t").filter(pk=account.pk).update(balance=500)
    ok, refused, failed = [], [], []
    barrier = threading.Barrier(8)

    def worker(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            services.withdraw(officer, account, 100, f"concurrent-{i:04d}")
            ok.append(i)
        except ValidationError:
            refused.append(i)
        except Exception as exc:  # noqa: BLE001 - SQLite may refuse a writer as "locked": that is not an overdraw
            failed.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    account.refresh_from_db()
    entries = LedgerEntry.objects.unscoped("t").filter(account=account, kind="withdraw")
    assert account.balance >= 0
    assert account.balance == 500 - 100 * len(ok) == 500 - 100 * entries.count()
    assert len(ok) <= 5
    if connection.vendor == "postgresql":
        assert len(ok) == 5 and len(refused) == 3 and not failed
