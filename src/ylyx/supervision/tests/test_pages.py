"""Pages: each list and detail renders for the right roles, actions work through POST, photos are scoped,
public pages need no login and carry no personal data, lists export to Excel."""
# The stubs type test-client responses, JSON fields and fixtures more narrowly than they are at run time.
# mypy: disable-error-code="assignment"

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from ylyx import testing
from ylyx.supervision import draw as D
from ylyx.supervision import services
from ylyx.supervision.models import Inspection, InspectionStatus

from .conftest import commit_and_draw
from .test_inspection_services import answer_all, photo

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def world(plan, users, tree, homes, photo_dir):
    task = services.task_create(users["civil_affairs"], plan, "第一批", dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    task = commit_and_draw(users["civil_affairs"], task)
    insp = Inspection.objects.for_user(users["inspector"], "change").filter(task=task).first()
    services.complaint_intake(users["civil_affairs"], {"channel": "hotline", "institution": homes["linhe"][0],
                                                       "category": "收费", "summary": "乱收费",
                                                       "complainant_phone": "13912345678"})
    services.incident_report(users["county_officer"], {"institution": homes["linhe"][1], "type": "injury",
                                                        "severity": "4", "description": "老人摔倒骨折"})
    return {"task": task, "insp": insp}


def test_every_list_and_home_renders_for_the_city(users, world):
    c = login(users["civil_affairs"])
    for name in ("home", "clock", "plan_list", "inspection_list", "rectification_list", "inspector_list",
                 "credit_list", "complaint_list", "incident_list", "plan_create", "complaint_create",
                 "incident_create", "inspector_create"):
        resp = c.get(reverse(f"supervision:{name}"))
        assert resp.status_code == 200, name
    home = c.get(reverse("supervision:home")).content.decode()
    assert "抽查覆盖率" in home and "突发事件处置时长" in home and "临河区" in home


def test_the_draw_runs_from_the_task_page(users, plan):
    task = services.task_create(users["civil_affairs"], plan, "网页批次", dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    c = login(users["civil_affairs"])
    url = reverse("supervision:task_detail", args=[task.pk])
    assert "冻结名录并公布承诺值" in c.get(url).content.decode()
    assert c.post(url, {"action": "commit"}).status_code == 302
    import time

    time.sleep(0.002)
    assert c.post(url, {"action": "draw", "witness": "8848"}).status_code == 302
    page = c.get(url).content.decode()
    assert "8848" in page and "结果 SHA-256" in page
    assert c.post(url, {"action": "draw"}).status_code == 302  # no longer offered: refused with a message


def test_inspector_records_on_the_phone_page_and_sees_only_assigned(users, world):
    c = login(users["inspector"])
    insp = world["insp"]
    lst = c.get(reverse("supervision:inspection_list")).content.decode()
    assert insp.institution.name in lst
    url = reverse("supervision:inspection_record", args=[insp.pk])
    assert c.get(url).status_code == 200
    assert c.post(url, {"action": "checkin", "lat": "40.75", "lon": "107.41"}).status_code == 302
    data = {"action": "items"}
    from ylyx.supervision import checklists

    for item in checklists.get(insp.checklist).items:
        data[f"r_{item.code}"] = "pass"
    data["r_E07"], data["n_E07"] = "fail", "卫生间无扶手"
    assert c.post(url, data).status_code == 302
    resp = c.post(url, {"action": "photo", "photo": photo(), "item_code": "E07", "lat": "40.75", "lon": "107.41"})
    assert resp.status_code == 302
    bad = c.post(url, {"action": "complete", "outcome": "pass", "inspected_on": "2025-03-03"})
    assert bad.status_code == 400 and "不能为“合格”" in bad.content.decode()
    assert c.post(url, {"action": "complete", "outcome": "fail", "inspected_on": "2025-03-03"}).status_code == 302
    insp.refresh_from_db()
    assert insp.status == InspectionStatus.DONE and insp.lat == 40.75
    others = Inspection.objects.unscoped("t").exclude(pk__in=Inspection.objects.for_user(users["inspector"]).values("pk"))
    other = others.first()
    assert other is not None  # 8 assignments over 5 inspectors: some are someone else's
    assert c.get(reverse("supervision:inspection_detail", args=[other.pk])).status_code == 404
    assert c.get(reverse("supervision:inspection_record", args=[other.pk])).status_code == 404
    photo_id = insp.attachments.get().pk
    img = c.get(reverse("supervision:attachment", args=[photo_id]))
    assert img.status_code == 200 and img["Content-Type"] == "image/jpeg" and "no-store" in img["Cache-Control"]
    wuyuan = testing.make_user("county_officer", testing.region_tree()["wuyuan"])
    region_ok = insp.region_id.startswith("150821")
    expect = 200 if region_ok else 404
    assert login(wuyuan).get(reverse("supervision:attachment", args=[photo_id])).status_code == expect


def test_publish_page_and_public_pages(users, world, client):
    insp = world["insp"]
    answer_all(users["inspector"], insp)
    services.inspection_complete(users["inspector"], insp, "pass", on=dt.date(2025, 3, 3))
    c = login(users["civil_affairs"])
    url = reverse("supervision:inspection_detail", args=[insp.pk])
    page = c.get(url).content.decode()
    assert "公示检查结果" in page and "未发现问题" in page  # the default text is offered
    bad = c.post(url, {"action": "publish", "public_summary": "联系人 13812345678"})
    assert bad.status_code == 400 and "个人信息" in bad.content.decode()
    assert c.post(url, {"action": "publish", "public_summary": "检查合格。"}).status_code == 302
    index = client.get(reverse("supervision_public:index"))
    assert index.status_code == 200 and insp.institution.name in index.content.decode()
    result = client.get(reverse("supervision_public:result", args=[insp.pk])).content.decode()
    assert "检查合格。" in result and "检查员" not in result
    task = client.get(reverse("supervision_public:task", args=[world["task"].pk])).content.decode()
    assert world["task"].commitment in task and "JC001" in task and "检查员" not in task
    doc = client.get(reverse("supervision_public:task_json", args=[world["task"].pk]))
    assert doc.status_code == 200
    assert D.verify_document(json.loads(doc.content)) == []
    assert "13912345678" not in doc.content.decode()


def test_unpublished_and_uncommitted_things_are_not_public(users, plan, world, client):
    pending = services.task_create(users["civil_affairs"], plan, "未公布", dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    assert client.get(reverse("supervision_public:task", args=[pending.pk])).status_code == 404
    assert client.get(reverse("supervision_public:task_json", args=[pending.pk])).status_code == 404
    assert client.get(reverse("supervision_public:result", args=[world["insp"].pk])).status_code == 404


def test_lists_export_to_excel_without_personal_data(users, world):
    c = login(users["civil_affairs"])
    resp = c.get(reverse("supervision:complaint_list") + "?export=xlsx")
    assert resp.status_code == 200
    wb = load_workbook(io.BytesIO(resp.content))
    text = " ".join(str(v) for row in wb.active.iter_rows(values_only=True) for v in row if v)
    assert "TS2026" in text or "TS20" in text
    assert "13912345678" not in text
    resp = c.get(reverse("supervision:inspection_list") + "?export=xlsx")
    assert resp.status_code == 200


def test_operator_sees_own_credit_file_and_rectifications_not_plans(users, world, homes):
    op = testing.make_user("operator", None, institution=homes["linhe"][0])
    c = login(op)
    assert c.get(reverse("supervision:credit_institution", args=[homes["linhe"][0].pk])).status_code == 200
    assert c.get(reverse("supervision:credit_institution", args=[homes["linhe"][1].pk])).status_code == 404
    plans = c.get(reverse("supervision:plan_list"))
    assert plans.status_code == 200 and "没有符合条件的记录" in plans.content.decode()  # operators see no plans
    assert c.get(reverse("supervision:complaint_list")).status_code == 403
    assert c.get(reverse("supervision:rectification_list")).status_code == 200


def test_incident_and_complaint_pages_take_actions(users, world, homes):
    from ylyx.supervision.models import Complaint, Incident

    c = login(users["county_officer"])
    inc = Incident.objects.for_user(users["county_officer"]).get()
    url = reverse("supervision:incident_detail", args=[inc.pk])
    assert c.post(url, {"action": "log", "text": "已送医"}).status_code == 302
    assert c.post(url, {"action": "close", "closure_summary": "已处置完毕"}).status_code == 302
    inc.refresh_from_db()
    assert inc.status == "closed"
    comp = Complaint.objects.for_user(users["county_officer"]).get()
    url = reverse("supervision:complaint_detail", args=[comp.pk])
    page = c.get(url).content.decode()
    assert "139****5678" in page and "13912345678" not in page
    assert c.post(url, {"action": "close", "outcome": "unfounded", "outcome_text": "经查不属实"}).status_code == 302
