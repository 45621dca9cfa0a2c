"""The six catalogue indicators per region, the to-do providers, and the API (scoped, same services)."""
# The stubs type test-client responses, JSON fields and fixtures more narrowly than they are at run time.
# mypy: disable-error-code="assignment"

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from ylyx import testing
from ylyx.core import todo
from ylyx.indicators import formulas as IF
from ylyx.indicators.services import sync_catalogue
from ylyx.supervision import selectors, services
from ylyx.supervision.models import Incident, Inspection, Rectification

from .conftest import commit_and_draw
from .test_inspection_services import answer_all

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def year(plan, users, homes, tree):
    """A drawn 2025 task: linhe's first inspection fails (one order), the rest pass; one published late."""
    task = services.task_create(users["civil_affairs"], plan, "第一批", D(2025, 1, 1), D(2025, 12, 31))
    task = commit_and_draw(users["civil_affairs"], task)
    insps = list(Inspection.objects.unscoped("t").filter(task=task).order_by("id"))
    officer = users["civil_affairs"]
    for k, insp in enumerate(insps):
        answer_all(officer, insp, fail={"E10": "无防护垫"} if k == 0 else None)
        services.inspection_complete(officer, insp, "minor" if k == 0 else "pass", on=D(2025, 3, 3))
    services.inspection_publish(officer, insps[1], "合格")
    Inspection.objects.unscoped("t").filter(pk=insps[1].pk).update(published_at=timezone.make_aware(
        dt.datetime(2025, 3, 10, 10)))
    services.inspection_publish(officer, insps[2], "合格")  # published today: late (due 2025-03-31)
    c = services.complaint_intake(officer, {"channel": "phone", "received_on": D(2025, 2, 1),
                                            "institution": homes["linhe"][0], "category": "x", "summary": "x"})
    services.complaint_close(officer, c, "unfounded", "不属实", on=D(2025, 2, 10))
    services.complaint_intake(officer, {"channel": "phone", "received_on": D(2025, 4, 1),
                                        "institution": homes["wuyuan"][0], "category": "x", "summary": "x"})
    inc = services.incident_report(users["county_officer"], {"institution": homes["linhe"][2], "type": "injury",
                                                              "severity": "4", "description": "x"})
    Incident.objects.unscoped("t").filter(pk=inc.pk).update(reported_at=timezone.make_aware(dt.datetime(2025, 5, 1, 8)))
    services.incident_close(users["county_officer"], inc, "ok", at=timezone.make_aware(dt.datetime(2025, 5, 1, 14)))
    services.credit_event_record(users["civil_affairs"], homes["wuyuan"][1], "subsidy_fraud", on=D(2025, 6, 1),
                                 note="骗补")
    return {"task": task, "insps": insps}


def test_the_six_indicators_are_in_the_catalogue_and_computed_per_region(year, tree, homes):
    from ylyx.institutions.services import backfill_capacity

    backfill_capacity()  # the fixtures' institutions were saved directly: give them their dated capacity
    defs = sync_catalogue()
    for code in ("inspection_coverage", "publication_on_time_rate", "rectification_completion_rate",
                 "blacklisted_institutions", "complaint_closure_rate", "incident_handling_hours"):
        assert code in defs and code in IF.CATALOGUE
    board = selectors.dashboard(tree["city"], D(2025, 12, 31))
    names = [d.code for d in board["definitions"]]
    city = dict(zip(names, board["root"]["values"], strict=True))
    n = len(year["insps"])
    supervised = len(homes["linhe"]) + len(homes["wuyuan"]) + 1  # + the operator's institution of the fixture
    assert city["inspection_coverage"].numerator == n and city["inspection_coverage"].denominator == supervised
    assert city["publication_on_time_rate"].value == pytest.approx(100 / n)  # one of n on time by year end
    assert city["rectification_completion_rate"].value == 0  # the one order is still open
    assert city["blacklisted_institutions"].value == 1
    assert city["complaint_closure_rate"].value == 50
    assert city["incident_handling_hours"].value == 6
    counties = {r["code"]: dict(zip(names, r["values"], strict=True)) for r in board["children"]}
    assert counties[tree["wuyuan"].code]["blacklisted_institutions"].value == 1
    assert counties[tree["linhe"].code]["blacklisted_institutions"].value == 0
    assert counties[tree["linhe"].code]["complaint_closure_rate"].value == 100
    early = selectors.dashboard(tree["city"], D(2025, 1, 31))
    assert dict(zip(names, early["root"]["values"], strict=True))["inspection_coverage"].value == 0


def test_the_supervision_metrics_cost_one_query_per_source_table(year, tree, django_assert_max_num_queries):
    from ylyx.indicators.selectors import gather
    from ylyx.supervision.metrics import CODES

    metrics = IF.metrics_for(CODES)
    dates = [D(2025, 3, 31), D(2025, 6, 30), D(2025, 12, 31)]
    with django_assert_max_num_queries(8):  # region tree + 6 source tables (+1 spare), whatever the dates
        g = gather(tree["city"], dates, metrics)
    assert g.at(2)["complaints_received"][tree["city"].code] == 2


def test_to_dos_for_each_role(year, users, homes):
    today = timezone.localdate()
    sources = lambda user: {t.source for t in todo.todos_for(user, today)}  # noqa: E731
    city = todo.todos_for(users["civil_affairs"], today)
    pub = [t for t in city if t.source == "publication"]
    assert pub and all(t.due is not None for t in pub) and pub[0].overdue_on(today)
    assert "rectification" in sources(users["civil_affairs"])  # the 2025 order is overdue now
    assert "complaint" in sources(users["civil_affairs"])
    rect = Rectification.objects.unscoped("t").get()
    op = testing.make_user("operator", None, institution=rect.institution)
    assert [t.source for t in todo.todos_for(op, today)] == ["rectification"]
    services.task_create(users["civil_affairs"], year["task"].plan, "第二批", D(2025, 6, 1), D(2025, 12, 31))
    assert "draw" in sources(users["civil_affairs"])
    assert "draw" not in sources(users["leader"])


def test_inspector_to_dos_are_their_assignments(plan, users):
    task = services.task_create(users["civil_affairs"], plan, "第一批", D(2025, 1, 1), D(2025, 12, 31))
    commit_and_draw(users["civil_affairs"], task)
    items = [t for t in todo.todos_for(users["inspector"]) if t.source == "inspection"]
    mine = Inspection.objects.for_user(users["inspector"]).count()
    assert len(items) == mine > 0


def test_api_lists_are_scoped_and_actions_use_the_services(year, users, tree, homes):
    api = APIClient()
    api.force_authenticate(users["county_officer"])
    rows = api.get("/api/supervision/inspections/").json()["results"]
    assert rows and all(r["region"].startswith("150802") for r in rows)
    wuyuan_ids = set(Inspection.objects.unscoped("t").filter(region__code__startswith="150821").values_list("pk", flat=True))
    for pk in wuyuan_ids:
        assert api.get(f"/api/supervision/inspections/{pk}/").status_code == 404
    city = APIClient()
    city.force_authenticate(users["civil_affairs"])
    task = services.task_create(users["civil_affairs"], year["task"].plan, "接口批次", D(2025, 6, 1), D(2025, 12, 31))
    r = city.post(f"/api/supervision/tasks/{task.pk}/commit/")
    assert r.status_code == 200, r.json()
    assert len(r.json()["commitment"]) == 64 and r.json()["seed"] == ""
    import time

    time.sleep(0.002)
    r = city.post(f"/api/supervision/tasks/{task.pk}/draw/", {"witness": "1"}, format="json")
    assert r.status_code == 200 and r.json()["seed"]
    doc = city.get(f"/api/supervision/tasks/{task.pk}/document/").json()
    from ylyx.supervision import draw as D_

    assert D_.verify_document(doc) == []
    bad = city.post(f"/api/supervision/inspections/{year['insps'][3].pk}/publish/",
                    {"public_summary": "电话 13812345678"}, format="json")
    assert bad.status_code == 400 and "个人信息" in str(bad.json())
    leader = APIClient()
    leader.force_authenticate(users["leader"])
    assert leader.post(f"/api/supervision/tasks/{task.pk}/commit/").status_code in (400, 403)
    linhe_home = users["_operator_institution"]
    comp = api.post("/api/supervision/complaints/", {"channel": "phone", "institution": linhe_home.pk,
                                                     "category": "收费", "summary": "多收费",
                                                     "complainant_phone": "13912345678"}, format="json")
    assert comp.status_code == 201, comp.json()
    assert comp.json()["complainant"] == "139****5678" and comp.json()["region"] == linhe_home.region_id
    wuyuan_home = homes["wuyuan"][0].pk
    refused = api.post("/api/supervision/complaints/", {"channel": "phone", "institution": wuyuan_home,
                                                        "category": "x", "summary": "x"}, format="json")
    assert refused.status_code == 400  # not an institution this officer can see
