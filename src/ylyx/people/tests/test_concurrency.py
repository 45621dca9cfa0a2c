"""Two admissions racing for the last bed: the institution row lock makes the second one count after the
first commits, so it is refused instead of overfilling the home.

On PostgreSQL the lock is ``SELECT … FOR UPDATE`` on the institution row; on SQLite every write
transaction is IMMEDIATE, which serialises the same way. Thread A counts the beds, then waits (at most a few seconds) for thread B to count too. With the lock,
B cannot count until A commits, so A's wait runs out and B then sees the bed taken. Without the lock, B
would count at once, both would see a free bed and both would be admitted: the assertion would fail.
"""

import datetime as dt
import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import OperationalError, connection

from ylyx import testing
from ylyx.institutions import rules
from ylyx.people import services
from ylyx.people.models import Residence


@pytest.mark.django_db(transaction=True)
def test_concurrent_admissions_cannot_overfill(tree, users, monkeypatch):
    officer = users["county_officer"]
    home = testing.make_institution(tree["linhe_town"], beds=1, nursing_beds=0)
    first, second = testing.make_elderly(tree["linhe_village"]), testing.make_elderly(tree["linhe_village"])
    a_counted, b_counted = threading.Event(), threading.Event()
    real_check = rules.check_admission
    results: dict[str, object] = {}

    def check(**kw):
        if threading.current_thread().name == "A":
            a_counted.set()
            b_counted.wait(timeout=3)
        else:
            b_counted.set()
        return real_check(**kw)

    monkeypatch.setattr(rules, "check_admission", check)

    def run(name, person):
        try:
            for _ in range(400):
                try:
                    results[name] = services.admit(officer, person, home, "ordinary", dt.date(2024, 1, 1))
                except OperationalError as e:
                    # The test database is shared-cache in-memory SQLite, which answers "locked" at once
                    # where a file database would wait (busy_timeout); retry as that wait would.
                    if "locked" not in str(e):
                        raise
                    time.sleep(0.02)
                    continue
                break
        except Exception as e:  # noqa: BLE001 - ValidationError expected for B; anything else fails below
            results[name] = e
        finally:
            connection.close()

    ta = threading.Thread(target=run, args=("A", first), name="A")
    ta.start()
    assert a_counted.wait(timeout=10)
    tb = threading.Thread(target=run, args=("B", second), name="B")
    tb.start()
    ta.join(30)
    tb.join(30)
    assert isinstance(results["A"], Residence), results["A"]
    assert isinstance(results["B"], ValidationError), results["B"]
    assert "机构床位已满：床位 1 张，在住 1 人" in results["B"].messages
    assert Residence.objects.filter(institution=home).count() == 1
