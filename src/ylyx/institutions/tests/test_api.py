"""REST API: same scope and validation as the pages; filing transitions as an action; schema generates."""

import datetime as dt
import re

import pytest
from rest_framework.test import APIClient

from ylyx import testing
from ylyx.audit.models import AuditEvent
from ylyx.institutions.models import CapacityRecord, Filing, Institution

from .conftest import PI_RE, reload

BASE = "/api/institutions/"


@pytest.fixture
def api():
    return APIClient()


def as_user(api, user):
    api.force_authenticate(user)
    return api


def test_county_officer_api_scope(api, officer, elder, neighbour):
    c = as_user(api, officer)
    resp = c.get(BASE)
    assert resp.status_code == 200
    names = {r["name"] for r in resp.json()["results"]}
    assert elder.name in names and neighbour.name not in names
    assert c.get(f"{BASE}{elder.pk}/").status_code == 200
    assert c.get(f"{BASE}{neighbour.pk}/").status_code == 404
    assert c.patch(f"{BASE}{neighbour.pk}/", {"address": "x"}, format="json").status_code == 404
    assert c.get(f"{BASE}{neighbour.pk}/classes/").status_code == 404
    assert c.post(f"{BASE}{neighbour.pk}/filing/transition/", {"status": "submitted"}, format="json").status_code == 404
    assert not Filing.objects.exists()


def test_filters_and_region_prefix(api, users, tree, elder, childcare, neighbour):
    c = as_user(api, users["civil_affairs"])

    def ids(query):
        return {r["id"] for r in c.get(BASE + query).json()["results"]}

    op_inst = users["_operator_institution"].pk
    assert ids("?region=150802") == {elder.pk, childcare.pk, op_inst}
    assert ids("?region=150821") == {neighbour.pk}
    assert ids("?region=150821000000") == {neighbour.pk}
    assert ids("?kind=childcare") == {childcare.pk}
    assert ids("?subtype=public&region=150802") == {elder.pk, op_inst}
    assert ids("?status=closed") == set()
    assert ids("?search=第一养老院") == {elder.pk}
    assert c.get(BASE + "?region=15a").status_code == 400
    ordered = [r["id"] for r in c.get(BASE + "?ordering=-beds&region=150802").json()["results"]]
    assert ordered[-1] == childcare.pk
    # The county officer's scope still applies under a region filter.
    assert {r["id"] for r in as_user(APIClient(), users["county_officer"]).get(BASE + "?region=150821")
            .json()["results"]} == set()


def test_create_and_update_through_services(api, officer, tree):
    c = as_user(api, officer)
    data = {"name": "接口新建养老院", "kind": "elder", "subtype": "private", "region": "150802001000", "beds": 30,
            "nursing_beds": 40, "uscc": testing.fake_uscc("150802")}
    resp = c.post(BASE, data, format="json")
    assert resp.status_code == 400
    assert "护理型床位" in resp.json()["nursing_beds"][0]
    assert not Institution.objects.filter(name="接口新建养老院").exists()
    resp = c.post(BASE, {**data, "region": "150821100000", "nursing_beds": 10}, format="json")
    assert resp.status_code == 400 and "不在您的管辖范围内" in resp.json()["region"][0]
    resp = c.post(BASE, {**data, "nursing_beds": 10, "effective_on": "2023-01-01"}, format="json")
    assert resp.status_code == 201, resp.json()
    pk = resp.json()["id"]
    assert resp.json()["domain"] == "elder" and resp.json()["filing_status"] is None
    resp = c.patch(f"{BASE}{pk}/", {"beds": 35, "effective_on": "2024-01-01", "reason": "扩建"}, format="json")
    assert resp.status_code == 200 and resp.json()["beds"] == 35
    assert list(CapacityRecord.objects.filter(institution_id=pk).order_by("valid_from")
                .values_list("valid_from", "valid_to", "beds")) == [
        (dt.date(2023, 1, 1), dt.date(2024, 1, 1), 30), (dt.date(2024, 1, 1), None, 35)]
    assert AuditEvent.objects.filter(event_type="update", object_id=str(pk), reason="扩建").exists()
    resp = c.patch(f"{BASE}{pk}/", {"status": "closed"}, format="json")
    assert resp.status_code == 400 and "原因" in resp.json()["reason"][0]


def test_civil_affairs_cannot_change_childcare_via_api(api, users, childcare):
    c = as_user(api, users["civil_affairs"])
    assert c.get(f"{BASE}{childcare.pk}/").status_code == 200
    assert c.patch(f"{BASE}{childcare.pk}/", {"address": "x"}, format="json").status_code == 404
    assert c.post(f"{BASE}{childcare.pk}/classes/", {"name": "a", "class_type": "junior", "places": 5},
                  format="json").status_code == 404


def test_operator_api(api, users, elder):
    op, own = users["operator"], users["_operator_institution"]
    c = as_user(api, op)
    assert [r["id"] for r in c.get(BASE).json()["results"]] == [own.pk]
    assert c.get(f"{BASE}{elder.pk}/").status_code == 404
    assert c.patch(f"{BASE}{own.pk}/", {"contact_phone": "13900002222"}, format="json").status_code == 200
    resp = c.patch(f"{BASE}{own.pk}/", {"beds": 999}, format="json")
    assert resp.status_code == 400 and "机构经办人不能修改" in resp.json()["beds"][0]
    assert c.post(BASE, {"name": "x"}, format="json").status_code == 403
    assert c.post(f"{BASE}{own.pk}/status/", {"status": "closed", "reason": "x"}, format="json").status_code == 403
    resp = c.post(f"{BASE}{own.pk}/filing/transition/", {"status": "submitted", "on": "2024-03-01"}, format="json")
    assert resp.status_code == 200 and resp.json()["status"] == "submitted"
    resp = c.post(f"{BASE}{own.pk}/filing/transition/", {"status": "received"}, format="json")
    assert resp.status_code == 403
    assert reload(own).contact_phone == "13900002222"


@pytest.mark.parametrize("role", ["inspector", "leader"])
def test_read_only_roles_api(api, users, elder, role):
    c = as_user(api, users[role])
    assert c.get(f"{BASE}{elder.pk}/").status_code == 200
    assert c.patch(f"{BASE}{elder.pk}/", {"address": "x"}, format="json").status_code == 403
    assert c.post(BASE, {"name": "x"}, format="json").status_code == 403
    assert c.post(f"{BASE}{elder.pk}/filing/transition/", {"status": "submitted"}, format="json").status_code == 403
    assert c.delete(f"{BASE}{elder.pk}/").status_code == 405


@pytest.mark.parametrize("role", ["auditor", "sysadmin"])
def test_roles_without_access_api_403(api, users, elder, role):
    c = as_user(api, users[role])
    assert c.get(BASE).status_code == 403
    assert c.get(f"{BASE}{elder.pk}/").status_code == 403


def test_anonymous_api_refused(api, elder):
    assert api.get(BASE).status_code in (401, 403)


def test_classes_endpoint(api, users, childcare):
    c = as_user(api, users["health"])
    url = f"{BASE}{childcare.pk}/classes/"
    resp = c.post(url, {"name": "托大一班", "class_type": "senior", "places": 21, "caregivers": 3}, format="json")
    assert resp.status_code == 400 and "托大班每班不超过 20 人" in resp.json()["places"][0]
    resp = c.post(url, {"name": "托大一班", "class_type": "senior", "places": 20, "affordable": True,
                        "caregivers": 3}, format="json")
    assert resp.status_code == 201
    cid = resp.json()["id"]
    assert resp.json()["enrolled"] == 0
    listing = c.get(url).json()
    assert [(x["name"], x["places"], x["required_caregivers"]) for x in listing] == [("托大一班", 20, 0)]
    resp = c.patch(f"{url}{cid}/", {"places": 18}, format="json")
    assert resp.status_code == 200 and resp.json()["places"] == 18
    inst = c.get(f"{BASE}{childcare.pk}/").json()
    assert (inst["places"], inst["affordable_places"]) == (18, 18)
    assert c.patch(f"{BASE}{childcare.pk}/", {"places": 30}, format="json").status_code == 400


def test_filing_transitions_api(api, officer, elder):
    c = as_user(api, officer)
    url = f"{BASE}{elder.pk}/filing/transition/"
    assert c.get(f"{BASE}{elder.pk}/filing/").status_code == 404
    assert c.post(url, {"status": "received"}, format="json").status_code == 400  # nothing submitted yet
    assert c.post(url, {"status": "submitted", "on": "2024-04-01"}, format="json").status_code == 200
    resp = c.post(url, {"status": "filed", "on": "2024-04-02"}, format="json")  # not from 已提交: a conflict
    assert resp.status_code == 409 and "不能变更为“已备案”" in resp.json()["status"][0]
    resp = c.post(url, {"status": "returned", "on": "2024-04-02"}, format="json")
    assert resp.status_code == 400 and "退回理由" in resp.json()["reason"][0]
    assert c.post(url, {"status": "received", "on": "2024-04-02"}, format="json").status_code == 200
    resp = c.post(url, {"status": "filed", "on": "2024-04-03"}, format="json")
    assert resp.status_code == 200
    body = resp.json()
    assert body["status"] == "filed" and body["filed_on"] == "2024-04-03" and body["number"]
    assert [e["status"] for e in body["events"]] == ["submitted", "received", "filed"]
    assert c.get(f"{BASE}{elder.pk}/").json()["filing_status"] == "filed"


def test_status_and_service_points_api(api, officer, elder):
    c = as_user(api, officer)
    resp = c.post(f"{BASE}{elder.pk}/status/", {"status": "suspended", "effective_on": "2024-07-01",
                                                "reason": "装修"}, format="json")
    assert resp.status_code == 200 and resp.json()["status"] == "suspended"
    resp = c.post(f"{BASE}{elder.pk}/service-points/", {"name": "分院", "region": "150802001001"}, format="json")
    assert resp.status_code == 201
    pid = resp.json()["id"]
    assert [p["name"] for p in c.get(f"{BASE}{elder.pk}/service-points/").json()] == ["分院"]
    resp = c.post(f"{BASE}{elder.pk}/service-points/", {"name": "外县点", "region": "150821100200"}, format="json")
    assert resp.status_code == 400
    assert c.post(f"{BASE}{elder.pk}/service-points/{pid}/remove/", {}, format="json").status_code == 204
    assert c.get(f"{BASE}{elder.pk}/service-points/").json() == []


def test_api_never_returns_full_id_numbers(api, tree, officer, elder):
    testing.make_elderly(tree["linhe_village"])
    resp = as_user(api, officer).get(BASE)
    assert not re.search(PI_RE, resp.content.decode())


def test_openapi_schema_generates_and_validates():
    """This app's endpoints alone, so another app's work in progress cannot mask or cause a failure here."""
    from django.urls import include, path
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema
    from rest_framework.routers import DefaultRouter

    from ylyx.institutions.api import register

    router = DefaultRouter()
    register(router)
    schema = SchemaGenerator(patterns=[path("api/", include(router.urls))]).get_schema(request=None, public=True)
    validate_schema(schema)
    paths = schema["paths"]
    for p in ("/api/institutions/", "/api/institutions/{id}/", "/api/institutions/{id}/classes/",
              "/api/institutions/{id}/classes/{class_id}/", "/api/institutions/{id}/filing/transition/",
              "/api/institutions/{id}/status/"):
        assert p in paths, p
    params = {p["name"] for p in paths["/api/institutions/"]["get"]["parameters"]}
    assert {"kind", "subtype", "status", "region"} <= params
    assert "delete" not in paths["/api/institutions/{id}/"]
