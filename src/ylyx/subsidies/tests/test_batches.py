"""Month batches: personal allowances by age, economic status and ability level; mutually exclusive
programmes; the diff against last month with reasons; death and move-out stop the next period and create
追缴 for anything paid after; residents away 15 days or more are flagged; the bank file."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from ylyx import testing
from ylyx.assessments.models import Assessment, Status
from ylyx.people.models import ElderlyPerson, Residence
from ylyx.subsidies import services
from ylyx.subsidies.models import BatchLine, Change, LedgerEntry, Recovery

from .conftest import admit

pytestmark = pytest.mark.django_db


def assess(person, level, on=dt.date(2026, 1, 10)):
    return Assessment.objects.create(person=person, region_id=person.region_id, assessed_on=on, level=level,
                                     total=50, status=Status.COMPLETED)


def lines(batch):
    return {(ln.programme.code, ln.payee_key): ln for ln in
            BatchLine.objects.unscoped("test").filter(batch=batch).select_related("programme")}


def run(users, tree, period, region="linhe"):
    b = services.compute_batch(users["county_officer"], tree[region], period)
    return b, lines(b)


def test_personal_allowances_by_age_status_and_level(tree, users, programmes):
    v = tree["linhe_village"]
    plain85 = testing.make_elderly(v, birth=dt.date(1941, 2, 1))
    poor85 = testing.make_elderly(v, birth=dt.date(1941, 3, 1), economic_status="dibao")
    old95 = testing.make_elderly(v, birth=dt.date(1931, 3, 1))
    centenarian = testing.make_elderly(v, birth=dt.date(1925, 3, 1))
    poor70_severe = testing.make_elderly(v, birth=dt.date(1956, 3, 1), economic_status="hardship")
    poor70_unassessed = testing.make_elderly(v, birth=dt.date(1956, 4, 1), economic_status="hardship")
    assess(poor70_severe, 3)
    _, ls = run(users, tree, "2026-10")
    amt = {k: ln.amount for k, ln in ls.items()}
    assert amt[("high_age", f"P{plain85.pk}")] == 100
    # exclusive group 高龄津贴: the 低保 band wins, the general one is not paid and the line says why
    assert amt[("high_age_poor", f"P{poor85.pk}")] == 150
    assert ("high_age", f"P{poor85.pk}") not in amt
    assert "互斥" in ls[("high_age_poor", f"P{poor85.pk}")].flags
    assert amt[("high_age", f"P{old95.pk}")] == 200
    assert amt[("high_age", f"P{centenarian.pk}")] == 500
    assert amt[("service_subsidy", f"P{poor70_severe.pk}")] == 200
    assert amt[("care_subsidy", f"P{poor70_severe.pk}")] == 300
    assert not any(k[1] == f"P{poor70_unassessed.pk}" for k in amt)  # no assessment, no level-based allowance


def test_diff_death_move_out_and_recovery(tree, users, programmes):
    v = tree["linhe_village"]
    a = testing.make_elderly(v, birth=dt.date(1941, 2, 1))
    b = testing.make_elderly(v, birth=dt.date(1941, 3, 1))
    c = testing.make_elderly(v, birth=dt.date(1946, 11, 15))  # turns 80 in November
    d = testing.make_elderly(v, birth=dt.date(1936, 10, 20), economic_status="dibao")  # 89 → 90 in October
    b1, _ = run(users, tree, "2026-09")
    services.approve_batch(users["civil_affairs"], b1)
    ElderlyPerson.objects.filter(pk=a.pk).update(died_on=dt.date(2026, 10, 5))  # paid for October, not November
    b2, ls = run(users, tree, "2026-10")
    assert ls[("high_age", f"P{a.pk}")].change == Change.SAME
    assert ls[("high_age", f"P{d.pk}")].change == Change.CHANGED  # 低保 band 150 → 90—99 band 200
    assert ls[("high_age", f"P{d.pk}")].previous_amount == 150
    services.approve_batch(users["civil_affairs"], b2)
    ElderlyPerson.objects.filter(pk=b.pk).update(moved_out_on=dt.date(2026, 11, 30))
    b3, ls = run(users, tree, "2026-11")
    stopped = ls[("high_age", f"P{a.pk}")]
    assert (stopped.change, stopped.amount) == (Change.STOPPED, 0) and "去世" in stopped.reason
    assert ls[("high_age", f"P{c.pk}")].change == Change.NEW
    assert ls[("high_age", f"P{b.pk}")].change == Change.SAME  # moved out on the 30th: November still paid
    assert (b3.new_count, b3.stopped_count) == (1, 1)
    services.approve_batch(users["civil_affairs"], b3)
    assert not LedgerEntry.objects.unscoped("test").filter(person=a, period="2026-11").exists()
    # a death recorded late: November was already paid for b, who died in October
    ElderlyPerson.objects.filter(pk=b.pk).update(moved_out_on=None, died_on=dt.date(2026, 10, 20))
    assert services.detect_recoveries(None, tree["linhe"].prefix) == 1
    rec = Recovery.objects.unscoped("test").get()
    assert rec.person_id == b.pk and rec.amount == 100 and "2026-11" in rec.reason
    assert services.detect_recoveries(None, tree["linhe"].prefix) == 0  # once only
    services.close_recovery(users["county_officer"], rec, recovered=True)
    assert LedgerEntry.objects.unscoped("test").get(pk=rec.entry_id).status == "recovered"


def test_absent_residents_are_flagged(tree, users, programmes, home):
    people = [testing.make_elderly(tree["linhe_village"], birth=dt.date(1950, 1, 1) + dt.timedelta(days=i))
              for i in range(3)]
    admit(home, people)
    stays = list(Residence.objects.filter(institution=home))
    services.report_absence(users["county_officer"], stays[0], started_on=dt.date(2026, 10, 3),
                            ended_on=dt.date(2026, 10, 20), reason="住院")
    services.report_absence(users["county_officer"], stays[1], started_on=dt.date(2026, 10, 3),
                            ended_on=dt.date(2026, 10, 10), reason="探亲")
    _, ls = run(users, tree, "2026-10")
    line = ls[("elder_operation", f"I{home.pk}")]
    assert line.amount == 300 and "1 名在院老人当月离院15天及以上" in line.flags


def test_bank_file_lists_paid_lines_masked(tree, users, programmes, client):
    p = testing.make_elderly(tree["linhe_village"], birth=dt.date(1941, 2, 1), name="张桂兰")
    b, _ = run(users, tree, "2026-10")
    b = services.approve_batch(users["civil_affairs"], b)
    rows = list(services.bank_rows(b))
    assert len(rows) == 1 and rows[0][5] == "张**" and rows[0][8] == 100.0
    assert p.id_number not in str(rows[0])


def test_black_listed_institution_gets_no_operation_subsidy(tree, users, programmes, home, monkeypatch):
    from ylyx.core import gates

    people = [testing.make_elderly(tree["linhe_village"], birth=dt.date(1950, 1, 1) + dt.timedelta(days=i))
              for i in range(2)]
    admit(home, people)
    monkeypatch.setitem(gates._gates, "测试", lambda purpose, subject: ["列入失信名单"] if purpose == "subsidy" else [])
    _, ls = run(users, tree, "2026-10")
    assert ("elder_operation", f"I{home.pk}") not in ls


def test_batch_period_and_scope_are_checked(tree, users, programmes):
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises(ValidationError):
        services.compute_batch(users["county_officer"], tree["linhe"], "2026-13")
    with pytest.raises(PermissionDenied):
        services.compute_batch(users["county_officer"], tree["wuyuan"], "2026-10")
    with pytest.raises(PermissionDenied):
        services.compute_batch(users["operator"], tree["linhe"], "2026-10")


def test_batch_excel_export_page(tree, users, programmes, client):
    testing.make_elderly(tree["linhe_village"], birth=dt.date(1941, 2, 1))
    b, _ = run(users, tree, "2026-10")
    services.approve_batch(users["civil_affairs"], b)
    client.force_login(users["civil_affairs"])
    from django.urls import reverse

    resp = client.get(reverse("subsidies:batch_bank_file", args=[b.pk]))
    assert resp.status_code == 200
    body = b"".join(resp.streaming_content) if resp.streaming else resp.content
    ws = load_workbook(io.BytesIO(body)).worksheets[0]
    values = [c.value for row in ws.iter_rows() for c in row]
    assert "高龄津贴" in values and Decimal(100) in [Decimal(str(x)) for x in values if isinstance(x, float | int)]
