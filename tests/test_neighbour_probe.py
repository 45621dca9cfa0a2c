"""The cross-county probe, over every URL the platform has: a county officer never sees a trace of the
neighbouring county's records, whatever page, parameter or id they try.

The neighbour (五原县) gets records whose texts carry a marker; the officers of 临河区 then request
every named URL pattern (pages and API, found by walking the URL resolver, so a view added tomorrow is
probed too), with every integer argument set to each of the neighbour's ids and with the neighbour's
region, plan and year in the query string, by GET and by POST. No response may contain a marker (Excel
responses are unzipped and searched too), no request may fail with a server error, and nothing of
the neighbour's may change.
"""

from __future__ import annotations

import io
import itertools
import re
import zipfile

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.exceptions import NoReverseMatch

from ylyx import testing
from ylyx.imports.models import ImportBatch
from ylyx.indicators import services as indicator_services
from ylyx.indicators.models import Plan, ReportedValue, ReportJob
from ylyx.indicators.tests.helpers import STANDARD_ROWS, make_plan
from ylyx.institutions.models import ChildcareClass, ServicePoint
from ylyx.subsidies.tests.probe import make_neighbour_records as make_subsidy_records
from ylyx.supervision.tests.probe import make_neighbour_records
from ylyx.visits.tests.probe import make_neighbour_records as make_visit_records

pytestmark = pytest.mark.django_db

MARK = "邻县标记"
NUMBER_MARK = "98765.4321"
SKIP_PREFIXES = ("accounts:", "admin:", "api-schema", "api-docs", "core:healthz")
SLUG_VALUES = ["submit", "approve", "publish", "return", "edit", "pdf", "xlsx", "errors", "commit", "cancel"]


def walk(patterns, namespace=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from walk(p.url_patterns, ns)
        elif isinstance(p, URLPattern) and p.name:
            yield f"{namespace}{p.name}", p


def arg_names(pattern: URLPattern) -> tuple[list[str], list[str]]:
    """Integer and other keyword arguments of a pattern (route converters or regex groups)."""
    converters = getattr(pattern.pattern, "converters", {})
    ints, others = [], []
    if converters:
        for name, conv in converters.items():
            (ints if type(conv).__name__ == "IntConverter" else others).append(name)
    else:
        for name in re.compile(pattern.pattern.regex.pattern).groupindex:
            (ints if name in ("pk", "id") or name.endswith("_id") else others).append(name)
    return ints, others


@pytest.fixture
def neighbour(tree, users):
    """五原县's records, each carrying the marker somewhere a page could show it."""
    wuyuan = testing.make_user("county_officer", tree["wuyuan"])
    city_plan = make_plan(STANDARD_ROWS, code="city-plan")
    manual = city_plan.indicators.get(seq="3")
    copy = indicator_services.copy_plan(city_plan, wuyuan)
    Plan.objects.filter(pk=copy.pk).update(title=f"{MARK}规划")
    draft = indicator_services.create_reported(wuyuan, region=tree["wuyuan"], year=2021, value=float(NUMBER_MARK),
                                               department=f"{MARK}部门", plan_indicator=manual,
                                               comment=f"{MARK}说明")
    inst = testing.make_institution(tree["wuyuan_town"], name=f"{MARK}养老院", kind="childcare",
                                    subtype="cc_affordable", beds=0, nursing_beds=0, address=f"{MARK}路1号")
    klass = ChildcareClass.objects.create(institution=inst, name=f"{MARK}班", class_type="junior", places=10,
                                          caregivers=2)
    point = ServicePoint.objects.create(institution=inst, name=f"{MARK}服务点", region=tree["wuyuan_town"],
                                        address=f"{MARK}街")
    job = ReportJob.objects.create(plan=copy, region=tree["wuyuan"], year=2021, requested_by=wuyuan,
                                   status=ReportJob.Status.DONE, message=f"{MARK}报告")
    batch = ImportBatch.objects.create(resource="institution", uploader=wuyuan, region=tree["wuyuan"],
                                       file_name=f"{MARK}.xlsx", sha256="0" * 64, status="failed",
                                       message=f"{MARK}导入")
    practitioner = testing.make_practitioner(tree["wuyuan_town"], institution=inst)
    elderly = testing.make_elderly(tree["wuyuan_village"], address=f"{MARK}村2号")
    supervision = make_neighbour_records(tree, inst, wuyuan, MARK)
    supervision += make_subsidy_records(tree, inst, wuyuan, MARK)
    supervision += make_visit_records(tree, elderly, inst, wuyuan, MARK)
    ids = {city_plan.pk, copy.pk, draft.pk, inst.pk, klass.pk, point.pk, job.pk, batch.pk, practitioner.pk,
           elderly.pk, *copy.indicators.values_list("pk", flat=True)[:2], *supervision}
    return {"user": wuyuan, "city_plan": city_plan, "copy": copy, "draft": draft, "inst": inst, "ids": sorted(ids)}


def snapshot(n) -> tuple:
    rv = ReportedValue.objects.unscoped("test snapshot").get(pk=n["draft"].pk)
    return (rv.value, rv.status, rv.department, Plan.objects.unscoped("test").get(pk=n["copy"].pk).title,
            type(n["inst"]).objects.unscoped("test").get(pk=n["inst"].pk).name)


def body_text(resp) -> str:
    content = getattr(resp, "content", None)
    if content is None:  # a streamed file
        content = b"".join(resp.streaming_content)
    if content[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(content)) as z:
            return "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))
    text = content.decode("utf-8", "replace")
    if "json" in resp.get("Content-Type", ""):
        text += text.encode().decode("unicode_escape", "replace")
    return text


def probe_urls(n, tree):
    queries = ["", f"?region={tree['wuyuan'].code}&plan={n['city_plan'].pk}&year=2021",
               f"?plan={n['copy'].pk}&region=150821", f"?region={tree['wuyuan_village'].code}"]
    for name, pattern in walk(get_resolver().url_patterns):
        if name.startswith(SKIP_PREFIXES):
            continue
        ints, others = arg_names(pattern)
        if "format" in others:
            continue
        combos = itertools.product(n["ids"], repeat=len(ints)) if ints else [()]
        for values in combos:
            for slugs in itertools.product(SLUG_VALUES, repeat=len(others)) if others else [()]:
                kwargs = dict(zip(ints, values, strict=True)) | dict(zip(others, slugs, strict=True))
                try:
                    url = reverse(name, kwargs=kwargs)
                except NoReverseMatch:
                    continue
                for q in queries if not ints else queries[:2]:
                    yield name, url + q


@pytest.mark.parametrize("role", ["county_officer", "town_officer", "operator"])
def test_no_page_or_api_shows_the_neighbours_records(role, users, tree, neighbour):
    client = Client(raise_request_exception=True)
    client.force_login(users[role])
    before = snapshot(neighbour)
    post = {"region": tree["wuyuan"].code, "plan": neighbour["city_plan"].pk, "year": "2021", "department": "x",
            "value": "1", "comment": "x", "reason": "x"}
    seen, leaks = 0, []
    for name, url in probe_urls(neighbour, tree):
        for method in ("get", "post"):
            resp = getattr(client, method)(url, post if method == "post" else None)
            seen += 1
            assert resp.status_code < 500, f"{method.upper()} {url}: {resp.status_code}"
            text = body_text(resp)
            if MARK in text or NUMBER_MARK in text:
                leaks.append(f"{method.upper()} {url} ({name})")
    assert not leaks, "the neighbour's records leaked:\n" + "\n".join(leaks)
    assert snapshot(neighbour) == before
    assert seen > 200  # the walk reached the URL space, not just a handful of pages


def test_the_probe_sees_the_markers_where_they_belong(users, tree, neighbour):
    """The same markers do show for the city, so the probe above would notice a leak."""
    client = Client()
    client.force_login(users["leader"])
    url = reverse("indicators:reported_list")
    assert MARK in client.get(url).content.decode()
    client.force_login(neighbour["user"])
    entry = reverse("indicators:reported_entry")
    resp = client.get(f"{entry}?plan={neighbour['city_plan'].pk}&region={tree['wuyuan'].code}&year=2021")
    assert NUMBER_MARK in resp.content.decode()
    for name in ("supervision:plan_list", "supervision:complaint_list", "supervision:incident_list",
                 "supervision:rectification_list"):
        assert MARK in client.get(reverse(name)).content.decode(), name  # 五原's own officer sees them


def test_the_entry_page_probe_of_the_review(users, tree, neighbour):
    """The review's probe, as it was run: 临河's officer asks for 五原's draft on the entry page."""
    client = Client()
    client.force_login(users["county_officer"])
    entry = reverse("indicators:reported_entry")
    resp = client.get(f"{entry}?plan={neighbour['city_plan'].pk}&region=150821000000&year=2021")
    assert resp.status_code == 404
    assert NUMBER_MARK not in resp.content.decode()
    resp = client.post(entry, {"plan": neighbour["city_plan"].pk, "region": "150821000000", "year": "2021",
                               "department": "民政局"})
    assert NUMBER_MARK not in resp.content.decode()
    own = client.get(f"{entry}?plan={neighbour['city_plan'].pk}&region={tree['linhe'].code}&year=2021")
    assert own.status_code == 200



def test_creating_a_value_for_the_neighbour_says_nothing_about_theirs(users, tree, neighbour):
    """The duplicate check must not answer “already reported” for a region outside the user's scope."""
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(users["county_officer"])
    manual = neighbour["city_plan"].indicators.get(seq="3")
    resp = api.post("/api/reported-values/", {"plan_indicator": manual.pk, "region": tree["wuyuan"].code,
                                              "year": 2021, "value": 1, "department": "民政局"}, format="json")
    assert resp.status_code in (400, 403, 404)
    assert "已有填报值" not in resp.content.decode()
    assert ReportedValue.objects.unscoped("test").filter(region=tree["wuyuan"]).count() == 1
