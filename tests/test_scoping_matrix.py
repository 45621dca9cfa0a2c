"""The scoping matrix: every page, API endpoint and export × every role × a record of its own and of another county.

Exports are made the way a person makes them: directly for small lists without personal data, otherwise
through an export job (request, approval where needed, generation as the requester, download).

Expected outcomes are derived from the one permission table (core/permissions.py) and the region prefix
rule, so a change to either that the pages do not follow fails here.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from ylyx import testing
from ylyx.core.export import pi_resources
from ylyx.core.permissions import Role, allows
from ylyx.people.models import Enrolment, Residence

pytestmark = pytest.mark.django_db

FULL_ID = re.compile(rb"(?<!\d)\d{17}[\dX](?!\d)")

# resource → (detail url name, edit url name, list url name, api base)
RESOURCES = {
    "institution": ("institutions:detail", "institutions:edit", "institutions:list", "/api/institutions/"),
    "elderly": ("people:elderly_detail", "people:elderly_edit", "people:elderly_list", "/api/elderly/"),
    "infant": ("people:infant_detail", "people:infant_edit", "people:infant_list", "/api/infants/"),
    "practitioner": ("workforce:detail", "workforce:edit", "workforce:list", "/api/practitioners/"),
}


@pytest.fixture
def world(tree, users):
    op_inst = users["_operator_institution"]  # elder institution in 临河 town
    cc_own = testing.make_institution(tree["linhe_town"], kind="childcare", subtype="cc_affordable", beds=0,
                                      nursing_beds=0)
    from ylyx.institutions.models import ChildcareClass
    klass = ChildcareClass.objects.create(institution=cc_own, name="托小一班", class_type="junior", places=15,
                                          caregivers=3)
    own = {
        "institution": op_inst,
        "elderly": testing.make_elderly(tree["linhe_village"], name="赵桂兰"),
        "infant": testing.make_infant(tree["linhe_village"], birth=dt.date.today() - dt.timedelta(days=500)),
        "practitioner": testing.make_practitioner(tree["linhe_town"], institution=op_inst),
    }
    Residence.objects.create(person=own["elderly"], institution=op_inst, region=op_inst.region,
                             bed_type="ordinary", started_on=dt.date(2022, 1, 1))
    Enrolment.objects.create(infant=own["infant"], institution=cc_own, childcare_class=klass, region=cc_own.region,
                             started_on=dt.date.today() - dt.timedelta(days=30))
    other = {
        "institution": testing.make_institution(tree["wuyuan_town"]),
        "elderly": testing.make_elderly(tree["wuyuan_village"], name="钱淑珍"),
        "infant": testing.make_infant(tree["wuyuan_village"], birth=dt.date.today() - dt.timedelta(days=500)),
        "practitioner": testing.make_practitioner(tree["wuyuan_town"]),
    }
    return own, other


def visible(user, resource, obj, action="view") -> bool:
    if not allows(user.role, resource, action):
        return False
    if action != "view" and resource == "institution" and user.role in ("civil_affairs", "health"):
        domain = "childcare" if obj.kind == "childcare" else "elder"
        if domain != {"civil_affairs": "elder", "health": "childcare"}[user.role]:
            return False
    if user.role == Role.OPERATOR:
        return type(obj).objects.filter(type(obj).scope_institution_q(user.institution_id), pk=obj.pk).exists()
    return obj.region_id.startswith(user.region_prefix)


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.mark.parametrize("role", [r.value for r in Role])
@pytest.mark.parametrize("resource", list(RESOURCES))
def test_pages_and_api_follow_scope(role, resource, users, world):
    user = users[role]
    c = client_for(user)
    detail, edit, _, api = RESOURCES[resource]
    for label, obj in zip(("own", "other"), world, strict=True):
        obj = obj[resource]
        for url, action in ((reverse(detail, args=[obj.pk]), "view"), (reverse(edit, args=[obj.pk]), "change"),
                            (f"{api}{obj.pk}/", "view")):
            resp = c.get(url)
            if visible(user, resource, obj, action):
                assert resp.status_code == 200, f"{role} {label} {url}: {resp.status_code}"
                assert not FULL_ID.search(resp.content), f"full ID number in {url}"
            else:
                assert resp.status_code in (403, 404), f"{role} {label} {url} must be refused: {resp.status_code}"


@pytest.mark.parametrize("role", [r.value for r in Role])
@pytest.mark.parametrize("resource", list(RESOURCES))
def test_exports_contain_only_rows_in_scope(role, resource, users, world, private_tmp):
    """Lists of personal data export through a job (minors' with a second person's approval, PI-6); the
    file holds exactly the rows the requester's scope allows, masked."""
    user = users[role]
    _, _, list_name, api = RESOURCES[resource]
    if not allows(user.role, resource, "export"):
        assert client_for(user).get(reverse(list_name) + "?export=xlsx").status_code in (403, 404)
        return
    job, status, content = testing.export_through_pages(user, list_name)
    assert (job is not None) == (resource in pi_resources())
    if job is not None:
        assert job.needs_approval == (resource == "infant")
        assert job.requester == user and job.approver_id != user.pk
    assert status == 200
    assert not FULL_ID.search(content)
    model = type(world[0][resource])
    expected = model.objects.for_user(user, "export").count()
    wb = load_workbook(io.BytesIO(content), read_only=True)
    rows = list(wb.active.iter_rows(values_only=True))
    data_rows = [r for r in rows[2:] if any(v is not None for v in r)]  # watermark, header, data
    assert len(data_rows) == expected
    for own_or_other in world:
        obj = own_or_other[resource]
        assert (model.objects.for_user(user, "export").filter(pk=obj.pk).exists()
                == visible(user, resource, obj, "export"))


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_api_lists_never_leak_other_regions(role, users, world):
    user = users[role]
    c = client_for(user)
    for resource, (_, _, _, api) in RESOURCES.items():
        resp = c.get(api)
        if not allows(user.role, resource, "view"):
            assert resp.status_code in (403, 404) or resp.json().get("count") == 0, (role, api)
            continue
        assert resp.status_code == 200, (role, api)
        ids = {row["id"] for row in resp.json()["results"]}
        assert (world[1][resource].pk in ids) == visible(user, resource, world[1][resource])
        assert not FULL_ID.search(resp.content)


@pytest.mark.parametrize("role", [r.value for r in Role])
@pytest.mark.parametrize("resource", list(RESOURCES))
def test_imports_follow_role_and_scope(role, resource, users, tree, tmp_path, settings):
    from rest_framework.test import APIClient

    from ylyx.imports.bench_support import make_workbook

    settings.PRIVATE_TMP_DIR = tmp_path / "private"
    user = users[role]
    c = APIClient()
    c.force_authenticate(user)
    own, other = tree["linhe_village"].code, tree["wuyuan_village"].code
    path = make_workbook(resource, 2, [own, other], tmp_path / "rows.xlsx")
    with open(path, "rb") as fh:
        resp = c.post("/api/imports/", {"file": fh, "resource": resource}, format="multipart")
    if not allows(user.role, resource, "import"):
        assert resp.status_code == 403, (role, resource, resp.status_code)
        return
    assert resp.status_code in (201, 400), (role, resource, resp.status_code, resp.content[:300])
    issues = resp.json().get("issues", [])
    out_of_scope_rows = {i["row"] for i in issues if "管辖范围" in i["message"]}
    prefix = user.region_prefix
    expected = {row for row, code in ((2, own), (3, other)) if not code.startswith(prefix)}
    assert out_of_scope_rows == expected, (role, resource, issues)
    assert not FULL_ID.search(resp.content)
