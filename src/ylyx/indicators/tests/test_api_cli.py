"""REST API (scoped like the pages) and the ``indicators`` command."""

import csv
import io
import json
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from ylyx import testing
from ylyx.indicators.models import ReportedValue

from .data import build
from .helpers import STANDARD_ROWS, make_plan

PI_RE = r"\d{17}[\dX]"


@pytest.fixture
def plan(tree):
    build(tree)
    return make_plan(STANDARD_ROWS)


def api(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def data(resp):
    assert not re.search(PI_RE, resp.content.decode())
    return resp.json()


def test_plans_list_is_scoped(users, plan):
    make_plan(STANDARD_ROWS[:1], code="chifeng-test", region_code="150400000000", region_name="赤峰市")
    got = data(api(users["county_officer"]).get("/api/plans/"))
    codes = [p["code"] for p in got["results"]]
    assert codes == ["test-plan"]
    assert api(users["operator"]).get("/api/plans/").json()["results"] == []
    detail = data(api(users["county_officer"]).get(f"/api/plans/{plan.pk}/"))
    assert [r["key"] for r in detail["indicators"]] == ["1", "2", "3", "4", "5"]


def test_indicators_endpoint(users, plan):
    resp = api(users["civil_affairs"]).get(f"/api/plans/{plan.pk}/indicators/?region=150800&date=2021-12-31")
    assert resp.status_code == 200
    got = data(resp)
    assert got["region_code"] == "150800000000" and got["on"] == "2021-12-31"
    nursing = next(r for r in got["rows"] if r["key"] == "2")
    assert nursing["status"] == "behind" and nursing["status_label"] == "滞后"
    assert nursing["provenance"]["numerator"] == 190 and nursing["provenance"]["denominator"] == 300
    assert [b["region_code"] for b in got["breakdown"]] == ["150802000000", "150821000000"]
    assert got["breakdown"][0]["values"]["2"] == 10.0
    no_bd = data(api(users["civil_affairs"]).get(f"/api/plans/{plan.pk}/indicators/?date=2021-12-31&breakdown=0"))
    assert no_bd["breakdown"] == []


def test_indicators_endpoint_refuses_other_regions(users, plan, tree):
    c = api(users["county_officer"])
    assert c.get(f"/api/plans/{plan.pk}/indicators/?region=150821").status_code == 404
    assert c.get(f"/api/plans/{plan.pk}/indicators/?region=150800").status_code == 404
    assert c.get(f"/api/plans/{plan.pk}/indicators/?region=150802").status_code == 200
    assert c.get(f"/api/plans/{plan.pk}/indicators/?region=150802&date=2021-02-30").status_code == 400
    other = testing.make_user("civil_affairs", tree["chifeng"])
    assert api(other).get(f"/api/plans/{plan.pk}/indicators/").status_code == 404


def test_reported_values_workflow_over_the_api(users, plan, tree):
    pi = plan.indicators.get(key="3")
    county = api(users["county_officer"])
    resp = county.post("/api/reported-values/", {"plan_indicator": pi.pk, "region": "150802000000", "year": 2021,
                                                 "value": 93, "department": "人社局"}, format="json")
    assert resp.status_code == 201, resp.content
    rid = resp.json()["id"]
    assert resp.json()["status"] == "draft"
    assert county.post(f"/api/reported-values/{rid}/submit/").json()["status"] == "submitted"
    # the entrant's county role cannot approve
    assert county.post(f"/api/reported-values/{rid}/approve/").status_code == 403
    city = api(users["civil_affairs"])
    resp = city.post(f"/api/reported-values/{rid}/return/", {"comment": ""}, format="json")
    assert resp.status_code == 400 and "退回意见" in resp.content.decode()
    assert city.post(f"/api/reported-values/{rid}/approve/").json()["status"] == "approved"
    assert city.post(f"/api/reported-values/{rid}/publish/").json()["status"] == "published"
    resp = county.patch(f"/api/reported-values/{rid}/", {"value": 1}, format="json")
    assert resp.status_code == 409 and "已发布" in resp.json()["non_field_errors"][0]  # the state forbids it
    assert ReportedValue.objects.get(pk=rid).value == 93


def test_reported_values_api_refusals(users, plan, tree):
    pi = plan.indicators.get(key="3")
    county = api(users["county_officer"])
    resp = county.post("/api/reported-values/", {"plan_indicator": pi.pk, "region": "150821000000", "year": 2021,
                                                 "value": 93, "department": "人社局"}, format="json")
    assert resp.status_code == 403
    resp = api(users["town_officer"]).post("/api/reported-values/", {
        "plan_indicator": pi.pk, "region": "150802001000", "year": 2021, "value": 93, "department": "人社局"},
        format="json")
    assert resp.status_code == 403
    resp = county.post("/api/reported-values/", {"plan_indicator": pi.pk, "region": "150802000000", "year": 2021,
                                                 "value": "abc", "department": "人社局"}, format="json")
    assert resp.status_code == 400
    assert not ReportedValue.objects.exists()
    # the civil-affairs approver cannot approve their own value
    city = api(users["civil_affairs"])
    rid = city.post("/api/reported-values/", {"plan_indicator": pi.pk, "region": "150800000000", "year": 2021,
                                              "value": 96, "department": "人社局"}, format="json").json()["id"]
    city.post(f"/api/reported-values/{rid}/submit/")
    resp = city.post(f"/api/reported-values/{rid}/approve/")
    assert resp.status_code == 403 and "审核人不能是填报人" in resp.content.decode()
    # the county does not see the city's value at all
    assert county.get(f"/api/reported-values/{rid}/").status_code == 404
    assert county.post(f"/api/reported-values/{rid}/submit/").status_code == 404
    assert [r["id"] for r in county.get("/api/reported-values/").json()["results"]] == []


def run(*args) -> str:
    out = io.StringIO()
    call_command("indicators", *args, stdout=out)
    return out.getvalue()


def test_cli_json_and_csv(plan):
    got = json.loads(run("--plan", "test-plan", "--region", "150800", "--date", "2020-12-31", "--format", "json"))
    assert got["plan_code"] == "test-plan" and got["on"] == "2020-12-31"
    beds = next(r for r in got["rows"] if r["key"] == "1")
    assert beds["value"] == 320 and beds["status"] == "on_track"
    rows = list(csv.reader(io.StringIO(run("--plan", str(plan.pk), "--region", "150802", "--date", "2020-12-31",
                                           "--format", "csv"))))
    assert rows[0][:3] == ["类别", "序号", "指标名称"]
    nursing = next(r for r in rows if r[1] == "2")
    assert float(nursing[8]) == 10.0 and nursing[10] == "滞后"
    with_bd = json.loads(run("--plan", "test-plan", "--date", "2020-12-31", "--breakdown"))
    assert len(with_bd["breakdown"]) == 2


def test_cli_refusals(plan):
    with pytest.raises(CommandError, match="规划“nope”不存在"):
        run("--plan", "nope")
    with pytest.raises(CommandError, match="格式应为"):
        run("--plan", "test-plan", "--date", "2020/12/31")
    with pytest.raises(CommandError, match="不在规划"):
        run("--plan", "test-plan", "--region", "150400")
