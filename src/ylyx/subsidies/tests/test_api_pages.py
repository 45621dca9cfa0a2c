"""API and pages: scoped, refusals for roles and other counties, Chinese messages naming the field."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from ylyx import testing
from ylyx.subsidies import services
from ylyx.subsidies.models import Batch, LedgerEntry

from .conftest import PERIOD, admit

pytestmark = pytest.mark.django_db


def api(user):
    c = APIClient()
    c.force_login(user)
    return c


def test_batch_through_the_api(tree, users, programmes):
    testing.make_elderly(tree["linhe_village"], birth=dt.date(1941, 2, 1))
    county = api(users["county_officer"])
    bad = county.post("/api/subsidies/batches/", {"region": tree["linhe"].code, "period": "2026-13"}, format="json")
    assert bad.status_code == 400 and "期间" in bad.json()["period"][0]
    other = county.post("/api/subsidies/batches/", {"region": tree["wuyuan"].code, "period": PERIOD}, format="json")
    assert other.status_code == 403
    r = county.post("/api/subsidies/batches/", {"region": tree["linhe"].code, "period": PERIOD}, format="json")
    assert r.status_code == 201, r.json()
    pk = r.json()["id"]
    assert r.json()["lines_count"] == 1 and r.json()["total"] == "100.00"
    assert county.post(f"/api/subsidies/batches/{pk}/approve/").status_code in (403, 404)
    city = api(users["civil_affairs"])
    r = city.post(f"/api/subsidies/batches/{pk}/approve/")
    assert r.status_code == 200 and r.json()["status"] == "paid"
    r = city.post(f"/api/subsidies/batches/{pk}/approve/")
    assert r.status_code in (400, 409)
    assert LedgerEntry.objects.unscoped("test").count() == 1
    ledger = county.get("/api/subsidies/ledger/").json()
    assert ledger["count"] == 1
    assert api(users["inspector"]).get("/api/subsidies/ledger/").status_code in (403, 200)


def test_application_through_the_api(tree, users, programmes, home):
    op = testing.make_user("operator", None, institution=home)
    r = api(op).post("/api/subsidies/applications/", {"institution": home.pk, "programme": programmes["elder_construction"].pk,
                                                      "build_kind": "new", "units": 100, "evidence": "备案回执"},
                     format="json")
    assert r.status_code == 201, r.json()
    assert r.json()["amount"] == "300000.00"
    pk = r.json()["id"]
    r = api(users["county_officer"]).post(f"/api/subsidies/applications/{pk}/review/", {"approve": True}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "reviewed"
    r = api(users["civil_affairs"]).post(f"/api/subsidies/applications/{pk}/decide/", {"approve": True}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "paid"
    r = api(op).post("/api/subsidies/applications/", {"institution": home.pk, "programme": programmes["elder_construction"].pk,
                                                      "build_kind": "new", "units": 0, "evidence": ""}, format="json")
    assert r.status_code == 400 and "units" in r.json()


def test_pages_for_each_role(client, tree, users, programmes, home):
    people = [testing.make_elderly(tree["linhe_village"], birth=dt.date(1941, 2, 1) + dt.timedelta(days=i))
              for i in range(3)]
    admit(home, people)
    b = services.compute_batch(users["county_officer"], tree["linhe"], PERIOD)
    services.approve_batch(users["civil_affairs"], b)
    names = ["home", "programme_list", "application_list", "batch_list", "ledger_list", "recovery_list",
             "absence_list", "crosscheck"]
    for role in ("civil_affairs", "county_officer", "town_officer", "operator", "leader", "health"):
        client.force_login(users[role])
        for n in names:
            assert client.get(reverse(f"subsidies:{n}")).status_code == 200, (role, n)
    client.force_login(users["county_officer"])
    home_page = client.get(reverse("subsidies:home") + f"?period={PERIOD}").content.decode()
    assert "临河区" in home_page
    page = client.get(reverse("subsidies:batch_detail", args=[b.pk]) + "?change=new").content.decode()
    assert "新增" in page and "高龄津贴" in page
    assert client.get(reverse("subsidies:batch_create")).status_code == 200
    r = client.post(reverse("subsidies:batch_create"), {"region": tree["linhe"].code, "period": "2026-09"})
    assert r.status_code == 302
    assert Batch.objects.unscoped("test").filter(period="2026-09").exists()
    client.force_login(users["inspector"])
    assert client.get(reverse("subsidies:home")).status_code == 403


def test_cross_checks_find_payment_after_death_and_excess_beds(client, tree, users, programmes, home):
    from ylyx.people.models import ElderlyPerson

    p = testing.make_elderly(tree["linhe_village"], birth=dt.date(1941, 2, 1))
    b = services.compute_batch(users["county_officer"], tree["linhe"], PERIOD)
    services.approve_batch(users["civil_affairs"], b)
    ElderlyPerson.objects.filter(pk=p.pk).update(died_on=dt.date(2026, 9, 3))
    app = services.apply(users["county_officer"], home, programme=programmes["elder_construction"], build_kind="new",
                         units=80, evidence="回执")
    services.decide(users["civil_affairs"], services.review(users["county_officer"], app, approve=True), approve=True)
    from ylyx.institutions.models import Institution

    Institution.objects.filter(pk=home.pk).update(beds=50, nursing_beds=10)
    client.force_login(users["county_officer"])
    page = client.get(reverse("subsidies:crosscheck") + f"?period={PERIOD}").content.decode()
    assert "去世 2026-09-03，仍发放 2026-10" in page
    assert "累计补助 80 张/个，登记 50 张/个" in page


def test_todos_feed_reviews_approvals_and_recoveries(tree, users, programmes, home):
    from ylyx.core.todo import todos_for

    app = services.apply(users["county_officer"], home, programme=programmes["elder_construction"], build_kind="new",
                         units=10, evidence="回执")
    assert [t for t in todos_for(users["county_officer"]) if t.source == "subsidy_application"]
    assert not [t for t in todos_for(users["civil_affairs"]) if t.source == "subsidy_application"]
    services.review(users["county_officer"], app, approve=True)
    assert [t for t in todos_for(users["civil_affairs"]) if t.source == "subsidy_application"]
    testing.make_elderly(tree["linhe_village"], birth=dt.date(1941, 2, 1))
    services.compute_batch(users["county_officer"], tree["linhe"], PERIOD)
    todo = [t for t in todos_for(users["civil_affairs"]) if t.source == "subsidy_batch"]
    assert len(todo) == 1 and "审批发放批次" in todo[0].title
    assert not [t for t in todos_for(users["operator"]) if t.source.startswith("subsidy")]
