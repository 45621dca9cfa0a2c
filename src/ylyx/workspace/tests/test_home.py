"""The officials' home: to-do providers by role and scope, binding indicators behind with region and gap,
the operator's own institution, and the county officer who sees only their county."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from ylyx import testing
from ylyx.core.todo import todos_for
from ylyx.indicators.models import ReportedValue
from ylyx.indicators.tests.helpers import make_plan, publish
from ylyx.institutions.models import Filing

pytestmark = pytest.mark.django_db

ROWS = [
    {"seq": "1", "name": "居家社区养老服务覆盖率（%）", "unit": "%", "baseline_value": 27, "target_value": 90,
     "property": "约束性"},
    {"seq": "2", "name": "基本养老保险参保率（%）", "unit": "%", "baseline_value": 90, "target_value": 95,
     "property": "预期性"},
]


def _filing(tree, kind="childcare", name="小太阳托育园", region="linhe_village"):
    inst = testing.make_institution(tree[region], kind=kind, subtype="cc_affordable" if kind == "childcare"
                                    else "public", name=name)
    return Filing.objects.create(institution=inst, status="submitted", submitted_on=dt.date(2026, 11, 1))


def test_filings_to_receive_go_to_officials_of_the_domain_and_scope(tree, users):
    _filing(tree)
    wuyuan = testing.make_user("county_officer", tree["wuyuan"])
    titles = lambda u: [t.title for t in todos_for(u) if t.source == "filing"]  # noqa: E731
    assert titles(users["health"]) == ["受理备案：小太阳托育园"]
    assert titles(users["county_officer"]) == ["受理备案：小太阳托育园"]
    assert titles(users["civil_affairs"]) == []  # 民政 does not decide childcare filings
    assert titles(wuyuan) == []  # another county
    assert titles(users["leader"]) == []


def test_reported_values_to_approve_and_returned_ones_to_correct(tree, users):
    plan = make_plan(ROWS)
    pi = plan.indicators.get(seq="2")
    officer = users["county_officer"]
    rv = ReportedValue.objects.create(plan_indicator=pi, region=tree["linhe"], year=2024, value=93,
                                      department="人社局", status="submitted", entered_by=officer,
                                      submitted_at=timezone.now())
    items = [t for t in todos_for(users["civil_affairs"]) if t.source == "reported_value"]
    assert [t.title for t in items] == ["审核填报值：基本养老保险参保率（%）（临河区 2024年）"]
    assert items[0].url == reverse("indicators:reported_detail", args=[rv.pk])
    assert [t for t in todos_for(officer) if t.source == "reported_value"] == []
    rv.status = "returned"
    rv.comment = "请核实"
    rv.save()
    assert [t.title for t in todos_for(officer) if t.source == "reported_value"] == [
        "修改退回的填报值：基本养老保险参保率（%）（2024年）"]
    assert [t for t in todos_for(users["civil_affairs"]) if t.source == "reported_value"] == []


def test_failed_import_and_pending_export_are_to_dos(tree, users, private_tmp):
    from ylyx.imports.models import ExportJob, ImportBatch

    officer = users["county_officer"]
    ImportBatch.objects.create(resource="elderly", uploader=officer, region=tree["linhe"], file_name="老人.xlsx",
                               status="failed", rows_rejected=3, finished_at=timezone.now())
    assert [t.title for t in todos_for(officer) if t.source == "import"] == ["导入有错误：老人.xlsx（3 处）"]
    assert [t for t in todos_for(users["civil_affairs"]) if t.source == "import"] == []
    ExportJob.objects.create(requester=officer, region=tree["linhe"], resource="elderly",
                             model_label="people.ElderlyPerson", list_name="people:elderly_list", title="老年人",
                             rows_requested=20000, reason="核对", needs_approval=True, status="pending")
    assert [t.title for t in todos_for(users["civil_affairs"]) if t.source == "export"] == [
        f"审批导出：老年人（{officer}，20000 行）"]
    assert [t for t in todos_for(officer) if t.source == "export"] == []  # never one's own


def test_home_lists_binding_indicators_behind_with_region_and_gap(client, tree, users):
    plan = make_plan(ROWS, code="bayannur-test")
    pi = plan.indicators.get(seq="1")
    year = timezone.localdate().year - 1
    publish(pi, tree["city"], year, 60, users["county_officer"], users["civil_affairs"], "民政局")
    publish(pi, tree["linhe"], year, 95, users["county_officer"], users["civil_affairs"], "民政局")
    publish(pi, tree["wuyuan"], year, 40, users["county_officer"], users["civil_affairs"], "民政局")
    _filing(tree)
    client.force_login(users["health"])
    resp = client.get("/")
    assert resp.status_code == 200
    behind = resp.context["behind"]
    assert [(b.region_name, b.value, b.gap) for b in behind] == [("巴彦淖尔市", 60, 30), ("五原县", 40, 50)]
    html = resp.content.decode()
    assert "受理备案：小太阳托育园" in html and "滞后的约束性指标" in html
    # the county officer's home: their county only
    client.force_login(users["county_officer"])
    resp = client.get("/")
    assert [(b.region_name, b.value) for b in resp.context["behind"]] == []
    html = resp.content.decode()
    assert "五原县" not in html and "临河区" in html
    wuyuan_officer = testing.make_user("county_officer", tree["wuyuan"])
    client.force_login(wuyuan_officer)
    resp = client.get("/")
    assert [(b.region_name, b.value) for b in resp.context["behind"]] == [("五原县", 40)]
    assert "受理备案" not in resp.content.decode()


def test_operator_sees_their_institution(client, users):
    client.force_login(users["operator"])
    resp = client.get("/")
    assert resp.status_code == 200
    op = resp.context["operator"]
    assert op["institution"] == users["_operator_institution"]
    assert "本机构" in resp.content.decode() and "plan" not in resp.context


def test_home_figures_are_cached(client, users):
    make_plan(ROWS, code="bayannur-test")
    client.force_login(users["civil_affairs"])
    client.get("/")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as warm:
        client.get("/")
    assert not [q for q in warm.captured_queries if "indicators_milestone" in q["sql"]]  # the plan is not recomputed
