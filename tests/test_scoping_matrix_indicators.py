"""The scoping matrix for the plans' side: plans, plan indicators, targets and milestones, reported values
(entry page, list, detail, workflow actions, import), annual-report jobs and their downloads.

Every role × a record of its own county (临河区) and of the neighbour (五原县) × page and API. Expected
outcomes come from the permission table and the region rules, written out here independently of the
querysets, so a view that drifts from them fails.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from ylyx import testing
from ylyx.core.permissions import Role, allows
from ylyx.indicators import report
from ylyx.indicators import services as svc
from ylyx.indicators.models import Milestone, Plan, PlanIndicator, ReportedStatus, ReportedValue, ReportJob
from ylyx.indicators.tests.helpers import STANDARD_ROWS, make_plan

pytestmark = pytest.mark.django_db
ROLES = [r.value for r in Role]


@pytest.fixture
def world(tree, users, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    linhe_user = users["county_officer"]
    wuyuan_user = testing.make_user("county_officer", tree["wuyuan"])
    city = make_plan(STANDARD_ROWS, code="city-plan")
    manual = city.indicators.get(seq="3")
    out = {"city": city}
    for label, user, region in (("own", linhe_user, tree["linhe"]), ("other", wuyuan_user, tree["wuyuan"])):
        copy = svc.copy_plan(city, user)
        rv = svc.create_reported(user, region=region, year=2021, value=91.5, department="人社局",
                                 plan_indicator=manual)
        job = ReportJob.objects.create(plan=city, region=region, year=2021, requested_by=user,
                                       status=ReportJob.Status.DONE)
        folder = report.job_dir(job.pk)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "report.xlsx").write_bytes(b"PK-test")
        ReportJob.objects.filter(pk=job.pk).update(xlsx_path=str(folder / "report.xlsx"))
        out[label] = {"copy": copy, "rv": rv, "job": job, "region": region, "user": user,
                      "pi": copy.indicators.get(seq="3")}
    return out


def plan_visible(user, plan: Plan) -> bool:
    """Plans of one's subtree and of the regions above it, for roles with the indicator view right."""
    if not allows(user.role, "indicator", "view") or user.role == Role.OPERATOR or user.region is None:
        return False
    prefix = user.region_prefix
    return plan.region_code.startswith(prefix) or user.region_id.startswith(plan.region_prefix)


def plan_changeable(user, plan: Plan) -> bool:
    return (allows(user.role, "indicator", "change") and user.region is not None
            and plan.owner_region_code.startswith(user.region_prefix))


def rv_visible(user, rv: ReportedValue, action: str = "view") -> bool:
    return (allows(user.role, "reported_value", action) and user.region is not None
            and rv.region_id.startswith(user.region_prefix))


def job_visible(user, job: ReportJob) -> bool:
    return (allows(user.role, "indicator", "export") and user.region is not None
            and job.region_id.startswith(user.region_prefix) and plan_visible(user, job.plan))


def login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.mark.parametrize("role", ROLES)
def test_plans_and_their_indicators(role, users, world):
    user = users[role]
    c, api = login(user), APIClient()
    api.force_authenticate(user)
    for label in ("own", "other"):
        plan = world[label]["copy"]
        expected = plan_visible(user, plan)
        resp = c.get(reverse("indicators:plan_detail", args=[plan.pk]))
        assert resp.status_code == (200 if expected else 404), (role, label, resp.status_code)
        assert (api.get(f"/api/plans/{plan.pk}/").status_code == 200) == expected, (role, label)
        listed = {p["id"] for p in api.get("/api/plans/").json().get("results", [])} \
            if allows(user.role, "indicator", "view") else set()
        assert (plan.pk in listed) == expected, (role, label)
        pi_ids = set(PlanIndicator.objects.for_user(user).values_list("pk", flat=True))
        assert (world[label]["pi"].pk in pi_ids) == expected
        ms = Milestone.objects.for_user(user).filter(indicator__plan=plan).exists()
        assert ms == expected


@pytest.mark.parametrize("role", ROLES)
def test_targets_and_milestones_change_only_in_the_owner_region(role, users, world):
    user = users[role]
    c = login(user)
    for label in ("own", "other"):
        plan, pi = world[label]["copy"], world[label]["pi"]
        allowed = plan_changeable(user, plan)
        for name, data in (("indicators:target_edit", {"target_value": "97", "target_text": "97"}),
                           ("indicators:milestone_edit", {"y2023": "93"})):
            url = reverse(name, args=[plan.pk, pi.pk])
            assert (c.get(url).status_code == 200) == allowed, (role, label, name)
            before = (PlanIndicator.objects.unscoped("test").get(pk=pi.pk).target_value,
                      list(Milestone.objects.unscoped("test").filter(indicator=pi).values_list("value", flat=True)))
            resp = c.post(url, data)
            if not allowed:
                assert resp.status_code in (403, 404), (role, label, name, resp.status_code)
                after = (PlanIndicator.objects.unscoped("test").get(pk=pi.pk).target_value,
                         list(Milestone.objects.unscoped("test").filter(indicator=pi).values_list("value", flat=True)))
                assert after == before


@pytest.mark.parametrize("role", ROLES)
def test_reported_values_list_detail_and_api(role, users, world):
    user = users[role]
    c, api = login(user), APIClient()
    api.force_authenticate(user)
    listing = c.get(reverse("indicators:reported_list"))
    if allows(user.role, "reported_value", "view"):
        assert listing.status_code == 200
    for label in ("own", "other"):
        rv = world[label]["rv"]
        expected = rv_visible(user, rv)
        assert c.get(reverse("indicators:reported_detail", args=[rv.pk])).status_code == (200 if expected else 404)
        assert (api.get(f"/api/reported-values/{rv.pk}/").status_code == 200) == expected, (role, label)
        if listing.status_code == 200:
            assert (f'/indicators/reported/{rv.pk}/"' in listing.content.decode()) == expected, (role, label)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ["edit", "submit", "approve", "publish", "return"])
def test_reported_value_workflow_actions(role, action, users, world):
    user = users[role]
    c = login(user)
    rv = world["other"]["rv"]
    before = ReportedValue.objects.unscoped("test").filter(pk=rv.pk).values("status", "value").get()
    resp = c.post(reverse("indicators:reported_action", args=[rv.pk, action]),
                  {"value": "12", "department": "人社局", "comment": "退回"})
    if not rv_visible(user, rv):
        assert resp.status_code == 404, (role, action, resp.status_code)
    assert resp.status_code < 500
    after = ReportedValue.objects.unscoped("test").filter(pk=rv.pk).values("status", "value").get()
    if not rv_visible(user, rv, "change"):
        assert after == before, (role, action)


@pytest.mark.parametrize("role", ROLES)
def test_reported_entry_page(role, users, world, tree):
    user = users[role]
    c = login(user)
    city = world["city"]
    entry = reverse("indicators:reported_entry")
    for label in ("own", "other"):
        region = world[label]["region"]
        resp = c.get(f"{entry}?plan={city.pk}&region={region.code}&year=2021")
        if not allows(user.role, "reported_value", "add"):
            assert resp.status_code == 403, (role, label)
            continue
        in_scope = region.code.startswith(user.region_prefix)
        assert resp.status_code == (200 if in_scope else 404), (role, label, resp.status_code)
        assert ("91.5" in resp.content.decode()) == in_scope
        before = ReportedValue.objects.unscoped("test").filter(region=region).count()
        resp = c.post(entry, {"plan": city.pk, "region": region.code, "year": "2022", "department": "人社局",
                              f"v{city.indicators.get(seq='3').pk}": "80"})
        created = ReportedValue.objects.unscoped("test").filter(region=region).count() - before
        assert created == (1 if in_scope else 0), (role, label)


@pytest.mark.parametrize("role", ROLES)
def test_reported_import_refuses_rows_outside_scope(role, users, world, tree):
    user = users[role]
    c = login(user)
    city = world["city"]
    other = world["other"]["region"]
    data = svc.template_workbook(city, other, 2022, "人社局")
    import io

    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data))
    for row in wb.active.iter_rows(min_row=2):
        row[5].value = 50
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    buf.name = "rows.xlsx"
    before = ReportedValue.objects.unscoped("test").count()
    resp = c.post(reverse("indicators:reported_import"), {"plan": city.pk, "file": buf})
    written = ReportedValue.objects.unscoped("test").count() - before
    if not allows(user.role, "reported_value", "import"):
        assert resp.status_code == 403
        assert written == 0
        return
    if other.code.startswith(user.region_prefix):
        assert written > 0, (role, resp.content.decode()[:300])
    else:
        assert resp.status_code == 400
        assert "超出您的管辖范围" in resp.content.decode()
        assert written == 0


@pytest.mark.parametrize("role", ROLES)
def test_report_jobs_and_downloads(role, users, world):
    user = users[role]
    c = login(user)
    for label in ("own", "other"):
        job = world[label]["job"]
        expected = job_visible(user, job)
        for url in (reverse("indicators:report_job", args=[job.pk]),
                    reverse("indicators:report_job_progress", args=[job.pk]),
                    reverse("indicators:report_download", args=[job.pk, "xlsx"])):
            resp = c.get(url)
            if expected:
                assert resp.status_code == 200, (role, label, url, resp.status_code)
            else:
                assert resp.status_code in (403, 404), (role, label, url, resp.status_code)


def test_the_matrix_has_both_outcomes(users, world):
    """Guard against a matrix that passes because everything is refused (or everything allowed)."""
    county, city = users["county_officer"], users["leader"]
    assert plan_visible(county, world["own"]["copy"]) and not plan_visible(county, world["other"]["copy"])
    assert rv_visible(city, world["other"]["rv"]) and not rv_visible(county, world["other"]["rv"])
    assert job_visible(county, world["own"]["job"]) and not job_visible(county, world["other"]["job"])
    assert ReportedStatus.DRAFT == world["other"]["rv"].status
