"""Registry pages: scope (404 for another county), roles (403 / read-only), forms, export."""

import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from ylyx import testing
from ylyx.audit.models import AuditEvent
from ylyx.institutions import services
from ylyx.institutions.models import ChildcareClass, Filing, Institution
from ylyx.people.models import Enrolment, Residence

from .conftest import PI_RE, reload


def client_for(client, user):
    client.force_login(user)
    return client


def no_full_id(resp):
    assert not re.search(PI_RE, resp.content.decode()), "a full ID number reached the page"


def test_county_officer_sees_own_county_not_neighbour(client, officer, elder, neighbour):
    c = client_for(client, officer)
    resp = c.get(reverse("institutions:list"))
    assert resp.status_code == 200
    body = resp.content.decode()
    assert elder.name in body and neighbour.name not in body
    assert c.get(reverse("institutions:detail", args=[elder.pk])).status_code == 200
    assert c.get(reverse("institutions:detail", args=[neighbour.pk])).status_code == 404
    assert c.get(reverse("institutions:edit", args=[neighbour.pk])).status_code == 404
    assert c.post(reverse("institutions:edit", args=[neighbour.pk]), {"name": "x"}).status_code == 404
    assert c.get(reverse("institutions:list") + "?region=150821000000").content.decode().count(neighbour.name) == 0


def test_detail_page_shows_history_classes_filing_and_no_pi(client, tree, users, childcare):
    health = users["health"]
    cls = services.add_class(health, childcare, {"name": "托小一班", "class_type": "junior", "places": 15,
                                                 "caregivers": 1}, effective_on=dt.date(2024, 9, 1))
    for i in range(6):
        infant = testing.make_infant(tree["linhe_village"], birth=dt.date.today() - dt.timedelta(days=450 + i))
        Enrolment.objects.create(infant=infant, institution=childcare, childcare_class=cls, region=childcare.region,
                                 started_on=dt.date.today())
    f = services.submit_filing(health, childcare, dt.date(2024, 9, 2))
    services.transition_filing(health, f, "returned", dt.date(2024, 9, 3), reason="缺卫生评价报告")
    resp = client_for(client, health).get(reverse("institutions:detail", args=[childcare.pk]))
    body = resp.content.decode()
    assert resp.status_code == 200
    assert "托小一班" in body and "配比不足" in body  # 6 children need 2 caregivers, 1 registered
    assert "缺卫生评价报告" in body and "退回补正" in body
    assert "2024-09-01" in body  # capacity history
    assert reverse("institutions:filing_transition", args=[childcare.pk]) in body
    no_full_id(resp)


def test_civil_affairs_reads_but_cannot_change_childcare(client, users, childcare):
    c = client_for(client, users["civil_affairs"])
    resp = c.get(reverse("institutions:detail", args=[childcare.pk]))
    assert resp.status_code == 200
    assert reverse("institutions:edit", args=[childcare.pk]) not in resp.content.decode()
    assert c.get(reverse("institutions:edit", args=[childcare.pk])).status_code == 404
    assert c.get(reverse("institutions:class_create", args=[childcare.pk])).status_code == 404
    assert c.post(reverse("institutions:filing_submit", args=[childcare.pk]), {}).status_code == 404
    assert not Filing.objects.exists()


def test_operator_sees_and_edits_only_own(client, users, elder):
    op, own = users["operator"], users["_operator_institution"]
    c = client_for(client, op)
    body = c.get(reverse("institutions:list")).content.decode()
    assert own.name in body and elder.name not in body
    assert c.get(reverse("institutions:detail", args=[elder.pk])).status_code == 404
    assert c.get(reverse("institutions:edit", args=[elder.pk])).status_code == 404
    assert c.get(reverse("institutions:create")).status_code == 403
    form = c.get(reverse("institutions:edit", args=[own.pk]))
    assert form.status_code == 200 and 'name="beds"' not in form.content.decode()
    resp = c.post(reverse("institutions:edit", args=[own.pk]), {
        "address": "巴彦淖尔市临河区新华街 8 号", "contact_phone": "13900001111", "medical_service": "contracted"})
    assert resp.status_code == 302
    own = reload(own)
    assert (own.address, own.contact_phone, own.medical_service) == ("巴彦淖尔市临河区新华街 8 号", "13900001111",
                                                                     "contracted")
    assert c.get(reverse("institutions:status", args=[own.pk])).status_code == 403
    assert c.get(reverse("institutions:list") + "?export=xlsx").status_code == 403


@pytest.mark.parametrize("role", ["inspector", "leader", "town_officer"])
def test_read_only_roles_view_but_cannot_edit(client, users, elder, role):
    c = client_for(client, users[role])
    resp = c.get(reverse("institutions:detail", args=[elder.pk]))
    assert resp.status_code == 200
    assert reverse("institutions:edit", args=[elder.pk]) not in resp.content.decode()
    assert c.get(reverse("institutions:edit", args=[elder.pk])).status_code == 404
    assert c.post(reverse("institutions:edit", args=[elder.pk]), {"name": "改名"}).status_code == 404
    assert c.get(reverse("institutions:create")).status_code == 403
    assert c.post(reverse("institutions:status", args=[elder.pk]), {"status": "closed", "reason": "x"}).status_code == 404
    assert reload(elder).name == "临河区第一养老院"


@pytest.mark.parametrize("role", ["auditor", "sysadmin"])
def test_roles_without_institution_access_get_403(client, users, elder, role):
    c = client_for(client, users[role])
    assert c.get(reverse("institutions:list")).status_code == 403
    assert c.get(reverse("institutions:list") + "?export=xlsx").status_code == 403
    assert c.get(reverse("institutions:detail", args=[elder.pk])).status_code == 404
    assert c.get(reverse("institutions:create")).status_code == 403


def test_anonymous_is_sent_to_login(client, elder):
    resp = client.get(reverse("institutions:detail", args=[elder.pk]))
    assert resp.status_code == 302 and "/accounts/login/" in resp["Location"]


def test_list_filters_search_sort_paginate(client, tree, officer, elder, childcare):
    services.create_institution(officer, {"name": "临河区护理院", "kind": "elder", "subtype": "medical",
                                          "region": tree["linhe_village"], "beds": 200, "nursing_beds": 150,
                                          "medical_service": "internal", "address": "胜利路 9 号"})
    c = client_for(client, officer)
    url = reverse("institutions:list")

    def names(query):
        body = c.get(url + query).content.decode()
        return [n for n in ("临河区第一养老院", "临河区普惠托育中心", "临河区护理院") if n in body]

    assert names("?kind=childcare") == ["临河区普惠托育中心"]
    assert names("?subtype=medical") == ["临河区护理院"]
    assert names("?medical_service=internal") == ["临河区护理院"]
    assert names("?filing_status=none") == ["临河区第一养老院", "临河区普惠托育中心", "临河区护理院"]
    assert names("?filing_status=submitted") == []
    assert names("?q=胜利路") == ["临河区护理院"]
    assert names("?q=" + elder.uscc) == ["临河区第一养老院"]
    assert names("?region=150802001001") == ["临河区护理院"]
    assert names("") == ["临河区护理院"]  # the picked region carries over (session) until cleared
    assert len(names("?region=")) == 3
    body = c.get(url + "?sort=-beds").content.decode()
    assert body.index("临河区护理院") < body.index("临河区第一养老院") < body.index("临河区普惠托育中心")
    body = c.get(url + "?sort=beds").content.decode()
    assert body.index("临河区普惠托育中心") < body.index("临河区第一养老院") < body.index("临河区护理院")
    assert c.get(url + "?region=999999999999").status_code == 404
    page = c.get(url + "?page=1")
    assert page.context["page"].paginator.count == 4  # with the operator's institution (conftest)


def test_create_via_page_and_refusals(client, tree, officer):
    c = client_for(client, officer)
    url = reverse("institutions:create")
    form = c.get(url)
    assert form.status_code == 200
    region_field = form.context["form"].fields["region"]
    codes = {r.code for r in region_field.queryset}
    assert "150802001000" in codes and not any(code.startswith("150821") for code in codes)
    data = {"name": "页面新建养老院", "kind": "elder", "subtype": "private", "uscc": testing.fake_uscc("150802"),
            "legal_form": "nonprofit", "operation_mode": "private", "region": "150802001000", "beds": "20",
            "nursing_beds": "25", "places": "0", "affordable_places": "0", "medical_service": "none",
            "status": "operating"}
    resp = c.post(url, data)
    assert resp.status_code == 400
    assert "护理型床位数（25）不能超过床位数（20）" in resp.content.decode()
    assert not Institution.objects.filter(name="页面新建养老院").exists()
    resp = c.post(url, {**data, "region": "150821100000", "nursing_beds": "5"})  # another county
    assert resp.status_code == 400 and not Institution.objects.filter(name="页面新建养老院").exists()
    resp = c.post(url, {**data, "subtype": "cc_public", "nursing_beds": "5"})
    assert resp.status_code == 400 and "不属于" in resp.content.decode()
    wrong = "Y" if data["uscc"][-1] != "Y" else "X"  # a check character that is not the right one
    resp = c.post(url, {**data, "uscc": data["uscc"][:-1] + wrong, "nursing_beds": "5"})
    assert resp.status_code == 400 and "统一社会信用代码" in resp.content.decode()
    resp = c.post(url, {**data, "nursing_beds": "5"})
    assert resp.status_code == 302
    inst = Institution.objects.get(name="页面新建养老院")
    assert resp["Location"] == reverse("institutions:detail", args=[inst.pk])
    assert inst.capacity_history.count() == 1


def test_health_form_offers_only_childcare(client, users):
    form = client_for(client, users["health"]).get(reverse("institutions:create")).context["form"]
    assert [v for v, _ in form.fields["kind"].choices if v] == ["childcare"]


def test_edit_page_changes_capacity_with_date(client, officer, elder):
    c = client_for(client, officer)
    url = reverse("institutions:edit", args=[elder.pk])
    initial = c.get(url).context["form"].initial
    data = {k: ("" if v is None else v) for k, v in initial.items()}
    data.update(beds="60", effective_on="2024-03-01", reason="新增床位")
    resp = c.post(url, data)
    assert resp.status_code == 302, resp.content.decode()[:2000]
    assert list(reload(elder).capacity_history.order_by("valid_from").values_list("valid_from", "beds")) == [
        (dt.date(2020, 1, 1), 50), (dt.date(2024, 3, 1), 60)]


def test_status_page(client, officer, elder):
    c = client_for(client, officer)
    url = reverse("institutions:status", args=[elder.pk])
    resp = c.post(url, {"status": "suspended", "effective_on": "2024-05-01"})
    assert resp.status_code == 400 and "须填写原因" in resp.content.decode()
    resp = c.post(url, {"status": "suspended", "effective_on": "2024-05-01", "reason": "整改"})
    assert resp.status_code == 302 and reload(elder).status == "suspended"


def test_class_pages(client, users, childcare):
    c = client_for(client, users["health"])
    url = reverse("institutions:class_create", args=[childcare.pk])
    resp = c.post(url, {"name": "乳儿班", "class_type": "infant", "places": "11", "caregivers": "4"})
    assert resp.status_code == 400 and "乳儿班每班不超过 10 人" in resp.content.decode()
    resp = c.post(url, {"name": "乳儿班", "class_type": "infant", "places": "9", "affordable": "on",
                        "caregivers": "3"})
    assert resp.status_code == 302
    cls = ChildcareClass.objects.get(name="乳儿班")
    assert (reload(childcare).places, reload(childcare).affordable_places) == (9, 9)
    resp = c.post(reverse("institutions:class_edit", args=[cls.pk]),
                  {"name": "乳儿班", "class_type": "infant", "places": "10", "caregivers": "3"})
    assert resp.status_code == 302 and (reload(childcare).places, reload(childcare).affordable_places) == (10, 0)
    # Not found for an elder institution, and for another domain's officer.
    assert client_for(client, users["civil_affairs"]).get(
        reverse("institutions:class_edit", args=[cls.pk])).status_code == 404
    resp = client_for(client, users["health"]).post(reverse("institutions:class_delete", args=[cls.pk]))
    assert resp.status_code == 302 and not ChildcareClass.objects.exists()


def test_class_create_404_for_elder(client, officer, elder):
    assert client_for(client, officer).get(reverse("institutions:class_create", args=[elder.pk])).status_code == 404


def test_filing_pages(client, officer, elder):
    c = client_for(client, officer)
    resp = c.post(reverse("institutions:filing_submit", args=[elder.pk]), {"on": "2024-02-01"})
    assert resp.status_code == 302
    url = reverse("institutions:filing_transition", args=[elder.pk])
    form = c.get(url).context["form"]
    assert [v for v, _ in form.fields["status"].choices] == ["received", "returned"]
    resp = c.post(url, {"status": "returned", "on": "2024-02-02"})
    assert resp.status_code == 400 and "退回补正须填写退回理由" in resp.content.decode()
    resp = c.post(url, {"status": "filed", "on": "2024-02-02"})
    assert resp.status_code == 400  # not offered from 已提交
    resp = c.post(url, {"status": "received", "on": "2024-02-02"})
    assert resp.status_code == 302 and Filing.objects.get().status == "received"
    assert AuditEvent.objects.filter(event_type="filing_transition").count() == 1
    assert c.get(reverse("institutions:filing_transition", args=[elder.pk])).status_code == 200


def test_filing_transition_404_without_filing(client, officer, elder):
    assert client_for(client, officer).get(
        reverse("institutions:filing_transition", args=[elder.pk])).status_code == 404


def test_service_point_pages(client, tree, officer, elder):
    c = client_for(client, officer)
    resp = c.post(reverse("institutions:service_point_create", args=[elder.pk]),
                  {"name": "分院", "region": "150802001001", "address": "团结路"})
    assert resp.status_code == 302
    sp = elder.service_points.get()
    assert c.get(reverse("institutions:service_point_delete", args=[sp.pk])).status_code == 405
    assert c.post(reverse("institutions:service_point_delete", args=[sp.pk])).status_code == 302
    assert not elder.service_points.exists()


def test_export_in_scope_only_and_formula_neutralised(client, tree, users, officer, elder, neighbour):
    services.create_institution(officer, {"name": '=HYPERLINK("http://x","点我")', "kind": "elder",
                                          "subtype": "private", "region": tree["linhe_town"], "beds": 5})
    resp = client_for(client, officer).get(reverse("institutions:list") + "?export=xlsx")
    assert resp.status_code == 200
    ws = load_workbook(io.BytesIO(resp.content)).active
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    assert rows[1][0] == "机构名称"
    names = {r[0] for r in rows[2:]}
    assert names == {"临河区第一养老院", '\'=HYPERLINK("http://x","点我")', users["_operator_institution"].name}
    assert neighbour.name not in names
    assert AuditEvent.objects.filter(event_type="export", detail__rows=3).exists()


def test_detail_has_no_full_id_numbers(client, tree, officer, elder):
    p = testing.make_elderly(tree["linhe_village"])
    Residence.objects.create(person=p, institution=elder, region=elder.region, started_on=dt.date(2024, 1, 1))
    resp = client_for(client, officer).get(reverse("institutions:detail", args=[elder.pk]))
    assert "在住老年人 1 人" in resp.content.decode()
    no_full_id(resp)


def test_list_paginates_fifty_a_page(client, tree, officer):
    for i in range(55):
        testing.make_institution(tree["linhe_town"], name=f"分页养老院{i:02d}")
    c = client_for(client, officer)
    first = c.get(reverse("institutions:list") + "?sort=name")
    assert first.context["page"].paginator.count == 56 and len(first.context["rows"]) == 50
    second = c.get(reverse("institutions:list") + "?sort=name&page=2")
    assert len(second.context["rows"]) == 6
    assert "分页养老院54" in second.content.decode() and "分页养老院54" not in first.content.decode()


def test_operator_class_form_offers_only_caregivers_and_name(client, users, childcare):
    cls = services.add_class(users["health"], childcare, {"name": "托小一班", "class_type": "junior", "places": 10,
                                                          "caregivers": 1})
    op = testing.make_user("operator", None, institution=childcare)
    c = client_for(client, op)
    detail = c.get(reverse("institutions:detail", args=[childcare.pk])).content.decode()
    assert reverse("institutions:class_edit", args=[cls.pk]) in detail
    assert reverse("institutions:class_create", args=[childcare.pk]) not in detail
    form = c.get(reverse("institutions:class_edit", args=[cls.pk])).context["form"]
    assert set(form.fields) == {"name", "caregivers", "effective_on", "reason"}
    resp = c.post(reverse("institutions:class_edit", args=[cls.pk]), {"name": "托小一班", "caregivers": "2"})
    assert resp.status_code == 302 and ChildcareClass.objects.get(pk=cls.pk).caregivers == 2
    assert c.get(reverse("institutions:class_create", args=[childcare.pk])).status_code == 403
    assert c.post(reverse("institutions:class_delete", args=[cls.pk])).status_code == 302
    assert ChildcareClass.objects.filter(pk=cls.pk).exists()  # refused, shown as a message
