"""One ledger, exactly once: concurrent approvals (threads; PostgreSQL too when DATABASE_URL is set) and a
process killed with SIGKILL in the middle of writing a batch never pay anyone twice."""

from __future__ import annotations

import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Count, Sum

from ylyx import testing
from ylyx.subsidies import services
from ylyx.subsidies.models import Batch, BatchLine, BatchStatus, LedgerEntry

from .conftest import PERIOD

REPO = Path(__file__).resolve().parents[4]


def elderly_80(tree, n, village="linhe_village"):
    return [testing.make_elderly(tree[village], birth=dt.date(1940, 1, 1) + dt.timedelta(days=i)) for i in range(n)]


def ledger():
    return LedgerEntry.objects.unscoped("test")


def no_duplicates():
    dup = ledger().values("programme_id", "payee_key", "period").annotate(n=Count("id")).filter(n__gt=1)
    assert not dup.exists()


@pytest.mark.django_db
def test_the_database_refuses_a_second_payment(tree, users, programmes):
    (p,) = elderly_80(tree, 1)
    prog = programmes["high_age"]
    row = dict(programme=prog, slot=prog.slot, payee_key=f"P{p.pk}", person=p, region_id=p.region_id,
               period=PERIOD, amount=Decimal(100))
    LedgerEntry.objects.create(**row)
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(**row)
    other = programmes["high_age_poor"]  # same exclusive group: same slot
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(**{**row, "programme": other, "slot": other.slot})


def approve(user, batch):
    """Approve; when the shared-cache test database interrupts the payment after this user's approval took
    the batch ("locked" mid-way), finish it the way an official would: resume (a file database would wait)."""
    for _ in range(500):
        try:
            b = Batch.objects.unscoped("test").get(pk=batch.pk)
            if b.status == BatchStatus.PAYING and b.approved_by_id == user.pk:
                return services.resume_batch(user, b)
            return services.approve_batch(user, b)
        except OperationalError as e:
            if "locked" not in str(e):
                raise
            time.sleep(0.02)
    raise AssertionError("still locked")


def race(calls):
    results: dict[str, object] = {}
    start = threading.Barrier(len(calls))

    def run(name, fn, args):
        try:
            start.wait(5)
            results[name] = fn(*args)
        except Exception as e:  # noqa: BLE001 - the loser's ValidationError is expected
            results[name] = e
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n, fn, args), name=n) for n, (fn, args) in calls.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_approvals_of_one_batch_pay_once(tree, users, programmes, settings):
    settings.SUBSIDY = {"ledger_chunk": 3}
    elderly_80(tree, 10)
    batch = services.compute_batch(users["county_officer"], tree["linhe"], PERIOD)
    assert batch.lines_count == 10
    second = testing.make_user("civil_affairs", tree["city"])
    res = race({"A": (approve, (users["civil_affairs"], batch)),
                "B": (approve, (second, batch))})
    winners = [r for r in res.values() if isinstance(r, Batch)]
    losers = [r for r in res.values() if isinstance(r, ValidationError)]
    assert len(winners) == 1 and len(losers) == 1, res
    assert "不能重复审批" in losers[0].messages[0]
    assert ledger().count() == 10
    assert ledger().aggregate(s=Sum("amount"))["s"] == Decimal(1000)
    no_duplicates()


@pytest.mark.django_db(transaction=True)
def test_overlapping_city_and_county_batches_approved_concurrently_pay_each_person_once(tree, users, programmes,
                                                                                          settings):
    settings.SUBSIDY = {"ledger_chunk": 2}
    elderly_80(tree, 6)
    elderly_80(tree, 4, "wuyuan_village")
    county = services.compute_batch(users["county_officer"], tree["linhe"], PERIOD)
    city = services.compute_batch(users["civil_affairs"], tree["city"], PERIOD)
    assert (county.lines_count, city.lines_count) == (6, 10)
    second = testing.make_user("civil_affairs", tree["city"])
    res = race({"county": (approve, (users["civil_affairs"], county)),
                "city": (approve, (second, city))})
    assert all(isinstance(r, Batch) for r in res.values()), res
    assert ledger().count() == 10
    no_duplicates()
    county.refresh_from_db()
    city.refresh_from_db()
    assert county.paid_total + city.paid_total == Decimal(1000)
    assert county.skipped_count + city.skipped_count == 6  # the six 临河 people went to whichever came first
    assert BatchLine.objects.unscoped("test").filter(skipped=True).count() == 6


def _child_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "PYTEST_XDIST_WORKER"}}
    env.update(PYTHONPATH=str(REPO / "src"), YLYX_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="ylyx.settings.test",
               **extra)
    if connection.vendor == "postgresql":  # the child works on this test database itself
        s = connection.settings_dict
        env["DATABASE_URL"] = (f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}"
                               f"/{s['NAME']}")
    return env


def _manage(env, *args, **kw):
    return [sys.executable, str(REPO / "manage.py"), "subsidy_batch", *args]


@pytest.mark.django_db(transaction=True)
def test_a_process_killed_mid_batch_leaves_no_double_payment_and_resumes(tree, users, programmes, tmp_path):
    elderly_80(tree, 12)
    batch = services.compute_batch(users["county_officer"], tree["linhe"], PERIOD)
    assert batch.lines_count == 12
    approver = users["civil_affairs"]
    if connection.vendor == "sqlite":  # the test database is in memory: hand the child a file copy of it
        connection.ensure_connection()
        dst = sqlite3.connect(tmp_path / "test.sqlite3")
        connection.connection.backup(dst)
        dst.close()

        def count() -> tuple[int, int, str]:
            with sqlite3.connect(tmp_path / "test.sqlite3", timeout=20) as db:
                n, dup = db.execute("SELECT COUNT(*), COUNT(*) - COUNT(DISTINCT programme_id || '/' || payee_key || '/' || "
                                    "period) FROM subsidies_ledgerentry").fetchone()
                (status,) = db.execute("SELECT status FROM subsidies_batch WHERE id = ?", (batch.pk,)).fetchone()
            return n, dup, status
    else:
        def count() -> tuple[int, int, str]:
            n = ledger().count()
            dup = n - ledger().values("programme_id", "payee_key", "period").distinct().count()
            return n, dup, Batch.objects.unscoped("test").get(pk=batch.pk).status

    env = _child_env(tmp_path, YLYX_SUBSIDY_LEDGER_CHUNK="5", YLYX_SUBSIDY_PAUSE_AFTER_CHUNK="30")
    proc = subprocess.Popen(_manage(env, "--user", approver.username, "--batch", str(batch.pk), "--approve"),
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 90
        while time.time() < deadline and proc.poll() is None:
            try:
                if count()[0] >= 5:
                    break
            except sqlite3.OperationalError:
                pass
            time.sleep(0.2)
        assert proc.poll() is None, proc.communicate()
        os.kill(proc.pid, signal.SIGKILL)  # in the middle: one chunk of five written, seven to go
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    n, dup, status = count()
    assert (n, dup, status) == (5, 0, BatchStatus.PAYING)

    env = _child_env(tmp_path, YLYX_SUBSIDY_LEDGER_CHUNK="5")
    again = subprocess.run(_manage(env, "--user", approver.username, "--batch", str(batch.pk), "--approve"),
                           env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode != 0 and "不能重复审批" in again.stderr  # approving twice is refused
    done = subprocess.run(_manage(env, "--user", approver.username, "--batch", str(batch.pk), "--resume"),
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "paid paid=1200" in done.stdout
    assert count() == (12, 0, BatchStatus.PAID)
    again = subprocess.run(_manage(env, "--user", approver.username, "--batch", str(batch.pk), "--resume"),
                           env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode != 0 and count()[0] == 12
