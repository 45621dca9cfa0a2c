"""Visit records: exactly once per client UUID, task completion, follow-ups from risks, scope, sync, rate, to-dos."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from ylyx.core import todo
from ylyx.indicators import formulas as IF
from ylyx.indicators.selectors import gather
from ylyx.visits import services
from ylyx.visits.models import FollowUp, Visit, VisitTask

from .conftest import MONTH

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 3, 10)


def _task(person) -> VisitTask:
    return VisitTask.objects.unscoped("test").get(person=person, month=MONTH)


def test_a_visit_is_stored_once_per_client_uuid(month_tasks, people, visitor):
    task = _task(people["alone"])
    uid = str(uuid.uuid4())
    data = {"client_uuid": uid, "visited_on": DAY.isoformat(), "mode": "home", "health": "良好",
            "risks": ["health", "living"]}
    v1, created1 = services.record_visit(visitor, task, data)
    v2, created2 = services.record_visit(visitor, task, data)
    assert (created1, created2) == (True, False) and v1.pk == v2.pk
    task.refresh_from_db()
    assert task.status == "done" and task.done_count == 1
    assert sorted(FollowUp.objects.unscoped("test").values_list("kind", flat=True)) == ["assessment", "home_service"]


def test_bad_visits_name_the_field_and_write_nothing(month_tasks, people, visitor):
    task = _task(people["alone"])
    cases: list[tuple[dict, str]] = [({"visited_on": "2026-02-28"}, "visited_on"), ({"visited_on": "昨天"}, "visited_on"),
                        ({"visited_on": DAY.isoformat(), "mode": "fly"}, "mode"),
                        ({"visited_on": DAY.isoformat(), "risks": ["x"]}, "risks"),
                        ({"visited_on": DAY.isoformat(), "client_uuid": "abc"}, "client_uuid")]
    for data, field in cases:
        with pytest.raises(ValidationError) as err:
            services.record_visit(visitor, task, data)
        assert field in err.value.message_dict
    assert not Visit.objects.unscoped("test").exists()


def test_visitors_cannot_record_outside_their_region(month_tasks, people, visitor, users):
    with pytest.raises(PermissionDenied):
        services.record_visit(visitor, _task(people["wy_tekun"]), {"visited_on": DAY.isoformat()})
    with pytest.raises(PermissionDenied):
        services.record_visit(users["leader"], _task(people["alone"]), {"visited_on": DAY.isoformat()})
    assert not VisitTask.objects.for_user(visitor, "view").filter(person=people["wy_tekun"]).exists()
    assert not VisitTask.objects.for_user(users["operator"], "view").exists()


def test_offline_sync_stores_each_visit_once_and_reports_per_item(month_tasks, people, visitor):
    client = Client()
    client.force_login(visitor)
    items = [{"client_uuid": str(uuid.uuid4()), "task": _task(people[k]).pk, "visited_on": DAY.isoformat(),
              "mode": "phone"} for k in ("alone", "tekun", "old")]
    bad = {"client_uuid": str(uuid.uuid4()), "task": _task(people["wy_tekun"]).pk, "visited_on": DAY.isoformat()}
    url = reverse("visits:mobile_sync")
    r1 = client.post(url, json.dumps({"visits": [*items, bad]}), content_type="application/json").json()
    r2 = client.post(url, json.dumps({"visits": items}), content_type="application/json").json()
    assert [x["status"] for x in r1["results"]] == ["created"] * 3 + ["error"]
    assert "task" in r1["results"][3]["errors"]
    assert [x["status"] for x in r2["results"]] == ["exists"] * 3
    assert Visit.objects.unscoped("test").count() == 3
    assert client.post(url, "nonsense", content_type="application/json").status_code == 400
    tasks = client.get(reverse("visits:mobile_tasks")).json()["tasks"]
    assert tasks == [] or all("甲" not in t["name"] for t in tasks)  # names are masked


def test_monthly_visit_rate_per_region(month_tasks, people, visitor, tree):
    services.record_visit(visitor, _task(people["alone"]), {"visited_on": DAY.isoformat()})
    services.record_visit(visitor, _task(people["tekun"]), {"visited_on": "2026-03-20"})
    metrics = IF.metrics_for(["monthly_visit_rate"])
    g = gather(tree["city"], [dt.date(2026, 3, 15), dt.date(2026, 3, 31)], metrics)
    mid, end = g.at(0), g.at(1)
    assert mid["visit_tasks_due"][tree["linhe"].code] == 3 and mid["visit_tasks_visited"][tree["linhe"].code] == 1
    assert end["visit_tasks_visited"][tree["linhe"].code] == 2
    assert end["visit_tasks_due"][tree["city"].code] == 4
    assert end["visit_tasks_visited"].get(tree["wuyuan"].code, 0) == 0
    assert "monthly_visit_rate" in IF.CATALOGUE


def test_to_dos_for_visitor_and_officials(month_tasks, visitor, users, people, monkeypatch):
    monkeypatch.setattr("ylyx.visits.todos.timezone.localdate", lambda *a: dt.date(2026, 3, 28))
    mine = [t for t in todo.todos_for(visitor) if t.source == "visit"]
    assert mine and mine[0].count == 3 and mine[0].overdue_on(dt.date(2026, 3, 28))
    county = [t for t in todo.todos_for(users["county_officer"]) if t.source == "visit"]
    assert county and county[0].count == 3  # 临河区's overdue tasks only
    services.record_visit(visitor, _task(people["alone"]), {"visited_on": "2026-03-27", "risks": ["safety"]})
    assert [t.count for t in todo.todos_for(users["county_officer"]) if t.source == "visit_followup"] == [1]
    assert not [t for t in todo.todos_for(users["leader"]) if t.source.startswith("visit")]


def test_pages(month_tasks, people, visitor, users):
    client = Client()
    client.force_login(users["county_officer"])
    task = _task(people["alone"])
    for name, args in [("visits:task_list", []), ("visits:rule_list", []), ("visits:rule_create", []),
                       ("visits:followup_list", []), ("visits:task_detail", [task.pk]), ("visits:mobile", [])]:
        assert client.get(reverse(name, args=args)).status_code == 200, name
    assert client.get(reverse("visits:task_detail", args=[_task(people["wy_tekun"]).pk])).status_code == 404
    r = client.post(reverse("visits:task_detail", args=[task.pk]), {"visited_on": "2026-03-05", "mode": "home"})
    assert r.status_code == 302 and Visit.objects.unscoped("test").filter(task=task).count() == 1
    r = client.post(reverse("visits:task_detail", args=[task.pk]), {"visited_on": "2026-01-05", "mode": "home"})
    assert "任务月份" in r.content.decode()
    sw = client.get(reverse("visits:sw"))
    assert sw["Content-Type"].startswith("text/javascript") and b"caches" in sw.content
    assert client.get(reverse("visits:manifest")).json()["start_url"] == reverse("visits:mobile")
    r = client.post(reverse("visits:rule_create"), {"region_code": "150821", "name": "越权", "min_age": 60,
                                                    "visits_per_month": 1, "due_day": 25})
    assert "管辖范围" in r.content.decode()
    leader = Client()
    leader.force_login(users["leader"])
    assert leader.get(reverse("visits:task_list")).status_code == 200
    assert leader.post(reverse("visits:generate"), {"month": "2026-03"}).status_code == 403
