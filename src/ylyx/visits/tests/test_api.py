"""The 探访 API: scoped lists, a visit exactly once per client_uuid (201 then 200), Chinese 400s."""

from __future__ import annotations

import uuid

import pytest
from rest_framework.test import APIClient

from ylyx.visits.models import Visit, VisitTask

from .conftest import MONTH

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def test_tasks_visit_and_scope(month_tasks, people, visitor, users):
    c = api(visitor)
    rows = c.get("/api/visits/tasks/", {"month": MONTH.isoformat(), "mine": "true"}).json()["results"]
    assert {r["person_name"] for r in rows} and len(rows) == 3
    task = VisitTask.objects.unscoped("t").get(person=people["alone"])
    body = {"client_uuid": str(uuid.uuid4()), "visited_on": "2026-03-09", "risks": ["mental"]}
    assert c.post(f"/api/visits/tasks/{task.pk}/visit/", body, format="json").status_code == 201
    assert c.post(f"/api/visits/tasks/{task.pk}/visit/", body, format="json").status_code == 200
    assert Visit.objects.unscoped("t").count() == 1
    bad = c.post(f"/api/visits/tasks/{task.pk}/visit/", {"visited_on": "2026-13-01"}, format="json")
    assert bad.status_code == 400 and "visited_on" in bad.json()
    other = VisitTask.objects.unscoped("t").get(person=people["wy_tekun"])
    assert c.post(f"/api/visits/tasks/{other.pk}/visit/", {"visited_on": "2026-03-09"}, format="json").status_code == 404
    assert c.get("/api/visits/tasks/", {"month": "x"}).status_code == 400
    assert api(users["inspector"]).get("/api/visits/tasks/").status_code == 403
    assert len(api(users["county_officer"]).get("/api/visits/followups/").json()["results"]) == 1
