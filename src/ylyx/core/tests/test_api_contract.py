"""The REST API's contract: scoping in the viewset base, scoped relational fields, the committed OpenAPI schema,
and malformed requests answered with a 4xx in Chinese, never a 500."""

import datetime as dt
import difflib
import json
import re
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory

from ylyx import testing
from ylyx.generic.api import ScopedPrimaryKeyRelatedField, ScopedViewSet, Serializer
from ylyx.indicators.tests.helpers import STANDARD_ROWS, make_plan
from ylyx.institutions.models import ChildcareClass, Institution

REPO = Path(__file__).resolve().parents[4]
SCHEMA_FILE = REPO / "docs" / "openapi.yaml"
CJK = re.compile(r"[\u4e00-\u9fff]")


def api(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def chinese(resp) -> bool:
    return bool(CJK.search(json.dumps(resp.json(), ensure_ascii=False)))


@pytest.fixture(scope="module")
def schema():
    return yaml.safe_load(SCHEMA_FILE.read_text(encoding="utf-8"))


# --- the committed schema ------------------------------------------------------------------------------


def test_committed_schema_is_the_generated_one(tmp_path):
    out = tmp_path / "openapi.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    # Integer bounds of some model fields follow the database (SQLite's 64-bit, PostgreSQL's column types);
    # the committed file is generated on SQLite, so those two kinds of line are compared on SQLite only.
    from django.db import connection

    def lines(text: str) -> list[str]:
        keep = text.splitlines()
        if connection.vendor != "sqlite":
            keep = [x for x in keep if not x.strip().startswith(("maximum:", "format: int64", "format: int32"))]
        return keep

    generated = lines(out.read_text(encoding="utf-8"))
    committed = lines(SCHEMA_FILE.read_text(encoding="utf-8"))
    diff = list(difflib.unified_diff(committed, generated, "docs/openapi.yaml", "generated", lineterm="", n=1))
    assert not diff, ("docs/openapi.yaml is out of date: run `make schema` and commit the result.\n"
                      + "\n".join(diff[:40]))


def test_every_operation_declares_the_errors_it_can_answer(schema):
    checked = 0
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            codes = set(op["responses"])
            assert {"401", "403", "500"} <= codes, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)
            if "requestBody" in op:
                assert {"400", "415"} <= codes, (method, path)
            if method in ("post", "put", "patch") and not path.endswith("/reveal/"):
                assert "409" in codes, (method, path)
            checked += 1
    assert checked > 50
    bodies = schema["components"]["schemas"]
    assert bodies["ServerError"]["required"] == ["detail", "request_id"]
    assert bodies["ValidationError"]["additionalProperties"] == {"type": "array", "items": {"type": "string"}}
    refused_import = schema["paths"]["/api/imports/"]["post"]["responses"]["400"]["content"]["application/json"]
    assert {"$ref": "#/components/schemas/ImportRefused"} in refused_import["schema"]["anyOf"]


def test_schema_states_nullability_constraints_and_types(schema):
    comps = schema["components"]["schemas"]
    assert comps["Elderly"]["properties"]["died_on"]["nullable"] is True
    assert comps["Certificate"]["properties"]["expires_on"]["nullable"] is True
    assert comps["PlanIndicator"]["properties"]["definition"]["nullable"] is True
    person = comps["ElderlyRequest"]
    assert {"name", "id_number", "region"} <= set(person["required"])
    assert person["properties"]["id_number"]["pattern"] == "^[0-9]{17}[0-9Xx]$"
    assert person["properties"]["region"]["pattern"] == "^[0-9]{12}$"
    inst = comps["InstitutionRequest"]["properties"]
    assert inst["uscc"]["oneOf"][0]["pattern"] == "^[0-9]{8}[0-9A-HJ-NPQRTUWXY]{10}$"
    assert (inst["lat"]["minimum"], inst["lat"]["maximum"]) == (-90, 90)
    assert inst["name"]["maxLength"] == 120
    # Every id in a path is a positive integer (the reported-values lookup took any string and crashed).
    for path, ops in schema["paths"].items():
        for p in ops.get("parameters", []) + [p for op in ops.values() if isinstance(op, dict)
                                              for p in op.get("parameters", [])]:
            if p["in"] == "path" and p["name"] in ("id", "class_id", "point_id"):
                assert p["schema"]["type"] == "integer", path
    # The plan table is described as what it is, not as a Plan.
    table = schema["paths"]["/api/plans/{id}/indicators/"]["get"]["responses"]["200"]
    assert table["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/PlanTable"}
    assert {"plan_code", "rows", "breakdown"} <= set(comps["PlanTable"]["required"])
    # Filters: enums from the choices, integers for ids, empty means "not given".
    params = {p["name"]: p for p in schema["paths"]["/api/residences/"]["get"]["parameters"]}
    assert params["person"]["schema"]["type"] == "integer" and params["person"]["allowEmptyValue"] is True
    assert params["active"]["schema"] == {"type": "boolean"}
    kinds = {p["name"]: p for p in schema["paths"]["/api/institutions/"]["get"]["parameters"]}["kind"]
    assert kinds["schema"]["enum"] == ["elder", "community", "childcare"]


# --- scoping in the base class --------------------------------------------------------------------------


def test_scoped_viewsets_keep_their_joins_and_apply_the_scope(users, tree):
    """Each viewset's own queryset (joins, order) is the one narrowed by ``for_user``."""
    from ylyx.api_urls import router

    testing.make_institution(tree["wuyuan_town"])
    testing.make_elderly(tree["linhe_village"])
    testing.make_elderly(tree["wuyuan_village"])
    officer = users["county_officer"]
    checked = 0
    for _prefix, viewset, _basename in router.registry:
        if not issubclass(viewset, ScopedViewSet):
            continue
        request = Request(APIRequestFactory().get("/"))
        request.user = officer
        view = viewset(request=request, action="list", format_kwarg=None, kwargs={})
        qs = view.get_queryset()
        assert qs.query.select_related == viewset.queryset.query.select_related, viewset
        assert qs.query.order_by == viewset.queryset.query.order_by, viewset
        expected = viewset.queryset.model.objects.for_user(officer, "view")
        assert set(qs.values_list("pk", flat=True)) == set(expected.values_list("pk", flat=True)), viewset
        checked += 1
    assert checked >= 9


# --- relational fields only take records in scope ------------------------------------------------------


def test_scoped_related_field_accepts_only_what_the_requester_may_see(users, tree):
    mine = testing.make_institution(tree["linhe_town"])
    theirs = testing.make_institution(tree["wuyuan_town"])

    class Pick(Serializer):
        institution = ScopedPrimaryKeyRelatedField(queryset=Institution.objects.all(), label="机构")
        klass = ScopedPrimaryKeyRelatedField(queryset=ChildcareClass.objects.all(), scope_through="institution",
                                             label="班级", required=False)

    request = Request(APIRequestFactory().get("/"))
    request.user = users["county_officer"]
    ok = Pick(data={"institution": mine.pk}, context={"request": request})
    assert ok.is_valid(), ok.errors
    assert ok.validated_data["institution"] == mine
    other_class = ChildcareClass.objects.create(institution=theirs, name="班", class_type="junior", places=3)
    for data in ({"institution": theirs.pk}, {"institution": 10**30}, {"institution": mine.pk, "klass": other_class.pk}):
        bad = Pick(data=data, context={"request": request})
        assert not bad.is_valid()
        messages = [m for errs in bad.errors.values() for m in errs]
        assert all("不存在或不在您的管辖范围内" in m for m in messages), messages
    bad = Pick(data={"institution": "abc"}, context={"request": request})
    assert not bad.is_valid() and bad.errors["institution"] == ["机构应为记录编号（整数）"]
    assert isinstance(Pick().fields["institution"], serializers.PrimaryKeyRelatedField)


def test_referencing_another_countys_record_is_a_400_in_chinese(users, tree):
    """A 临河 officer naming 五原's plan row, child-care class, institution or person: 400, nothing written."""
    from ylyx.indicators.models import ReportedValue
    from ylyx.people.models import Enrolment, Residence
    from ylyx.people.tests.helpers import months_ago
    from ylyx.workforce.models import Practitioner

    c = api(users["county_officer"])
    wuyuan_plan = make_plan(STANDARD_ROWS, code="wuyuan-test", region_code="150821000000", region_name="五原县")
    r = c.post("/api/reported-values/", {"plan_indicator": wuyuan_plan.indicators.get(key="3").pk,
                                         "region": "150802000000", "year": 2021, "value": 93, "department": "人社局"},
               format="json")
    assert r.status_code == 400 and r.json() == {"plan_indicator": ["规划指标不存在或不在您的管辖范围内"]}

    wuyuan_nursery = testing.make_institution(tree["wuyuan_town"], kind="childcare", subtype="cc_affordable")
    wuyuan_class = ChildcareClass.objects.create(institution=wuyuan_nursery, name="托小一班", class_type="junior",
                                                 places=3, caregivers=1)
    infant = testing.make_infant(tree["linhe_village"], birth=months_ago(16))
    r = c.post("/api/enrolments/", {"infant": infant.pk, "childcare_class": wuyuan_class.pk,
                                    "started_on": dt.date.today().isoformat()}, format="json")
    assert r.status_code == 400 and r.json() == {"childcare_class": ["班级不存在或不在您的管辖范围内"]}

    wuyuan_home = testing.make_institution(tree["wuyuan_town"])
    wuyuan_person = testing.make_elderly(tree["wuyuan_village"])
    r = c.post("/api/residences/", {"person": wuyuan_person.pk, "institution": wuyuan_home.pk,
                                    "started_on": "2024-01-01"}, format="json")
    assert r.status_code == 400 and r.json() == {"person": ["老年人不存在或不在您的管辖范围内"],
                                                 "institution": ["机构不存在或不在您的管辖范围内"]}

    staff = testing.make_practitioner(tree["linhe_town"])
    r = c.patch(f"/api/practitioners/{staff.pk}/", {"institution": wuyuan_home.pk}, format="json")
    assert r.status_code == 400 and r.json() == {"institution": ["机构不存在或不在您的管辖范围内"]}

    assert not ReportedValue.objects.exists() and not Enrolment.objects.exists() and not Residence.objects.exists()
    assert Practitioner.objects.get(pk=staff.pk).institution_id is None


# --- malformed requests: a 4xx in Chinese, never a 500 -------------------------------------------------


@pytest.mark.parametrize("path", ["/api/reported-values/null,null/", "/api/institutions/abc/", "/api/elderly/-1/",
                                  "/api/residences/99999999999999999999999/", "/api/plans/1.5/indicators/"])
@pytest.mark.parametrize("method", ["get", "patch"])
def test_garbage_ids_are_a_json_404(users, path, method):
    r = getattr(api(users["county_officer"]), method)(path, {}, format="json")
    assert r.status_code == 404
    assert r["Content-Type"] == "application/json" and r.json() == {"detail": "未找到"}


@pytest.mark.parametrize("query, status, field", [
    ("/api/institutions/?page_size=0", 400, "page_size"),
    ("/api/institutions/?page_size=501", 400, "page_size"),
    ("/api/institutions/?page=abc", 400, "page"),
    ("/api/institutions/?page=99", 404, "detail"),
    ("/api/institutions/?kind=ship", 400, "kind"),
    ("/api/institutions/?region=15a", 400, "region"),
    ("/api/residences/?active=maybe", 400, "active"),
    ("/api/residences/?person=99999999999999999999999", 400, "person"),
    ("/api/elderly/?area=150802", 400, "area"),
    ("/api/reported-values/?plan=abc", 400, "plan"),
    ("/api/stats/?region=15080", 400, "region"),
    ("/api/stats/?date=20240101", 400, "date"),
    ("/api/plans/{plan}/indicators/?breakdown=perhaps", 400, "breakdown"),
    ("/api/plans/{plan}/indicators/?date=2021-02-30", 400, "date"),
])
def test_malformed_queries_get_a_4xx_in_chinese(users, tree, query, status, field):
    plan = make_plan(STANDARD_ROWS[:1])
    r = api(users["county_officer"]).get(query.format(plan=plan.pk))
    assert r.status_code == status, r.content
    assert field in r.json() and chinese(r)


def test_malformed_bodies_get_a_400_in_chinese(users, tree):
    c = api(users["county_officer"])
    r = c.post("/api/elderly/", "{not json", content_type="application/json")
    assert r.status_code == 400 and r.json() == {"detail": "请求体格式错误，无法解析（接口接受 JSON）"}
    r = c.post("/api/elderly/", [1, 2], format="json")
    assert r.status_code == 400 and chinese(r)
    r = c.post("/api/elderly/", {"name": "x"}, format="multipart")
    assert r.status_code == 415 and chinese(r)
    # JSON types as the schema states them: DRF alone would take 123 for a name and "5" for a number of beds.
    r = c.post("/api/institutions/", {"name": 123, "kind": "elder", "subtype": "public", "region": 150802001001,
                                      "beds": "5", "lat": True}, format="json")
    assert r.status_code == 400
    assert r.json() == {"name": ["机构名称应为文本"], "region": ["所在区划应为文本（12 位区划代码）"],
                        "beds": ["床位数应为整数"], "lat": ["纬度应为数字"]}
    r = c.post("/api/institutions/", {"name": "院", "kind": "elder", "subtype": "public", "region": "150802001001",
                                      "lat": 95}, format="json")
    assert r.status_code == 400
    assert r.json()["lat"] == ["纬度：请确保该值小于或者等于 90。"]
    r = c.patch(f"/api/institutions/{testing.make_institution(tree['linhe_town']).pk}/",
                '{"monthly_fee_min": 1e999}', content_type="application/json")
    assert r.status_code == 400 and chinese(r)


def test_conflicts_with_the_current_state_are_409(users, tree):
    c = api(users["county_officer"])
    inst = testing.make_institution(tree["linhe_town"])
    r = c.post(f"/api/institutions/{inst.pk}/status/", {"status": "operating"}, format="json")
    assert r.status_code == 409 and r.json() == {"status": ["机构当前已是“运营”状态"]}


def test_nested_errors_are_flattened_to_the_declared_shape():
    """The schema's 400 body is field → list of messages; nested lists and dicts keep that shape."""
    from ylyx.core.pagination import flatten_errors

    nested = {"items": [{}, {"result": ["该字段是必填项。"]}], "weights": {"A": ["不允许是用空字符串。"]},
              "region": ["区划代码“0”不存在"]}
    assert flatten_errors(nested) == {"items.1.result": ["该字段是必填项。"], "weights.A": ["不允许是用空字符串。"],
                                      "region": ["区划代码“0”不存在"]}
    assert flatten_errors(["x"]) == ["x"]
