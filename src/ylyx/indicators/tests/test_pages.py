"""Dashboard, provenance, plans and reporting pages: scope (404 for the neighbouring county), roles, export."""

import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from ylyx import testing
from ylyx.audit.models import AuditEvent
from ylyx.indicators.models import Milestone, Plan, PlanIndicator, ReportedValue

from .data import build
from .helpers import STANDARD_ROWS, make_plan

PI_RE = r"\d{17}[\dX]"
D = dt.date


@pytest.fixture
def plan(tree):
    build(tree)
    return make_plan(STANDARD_ROWS)


def login(client, user):
    client.force_login(user)
    return client


def body(resp) -> str:
    text = resp.content.decode()
    assert not re.search(PI_RE, text), "a full ID number reached the page"
    return text


def dash(plan, region="", date="2021-12-31", **extra) -> str:
    url = f"{reverse('indicators:dashboard')}?plan={plan.pk}&date={date}"
    if region:
        url += f"&region={region}"
    for k, v in extra.items():
        url += f"&{k}={v}"
    return url


def test_city_dashboard_with_drill_down(client, users, plan):
    resp = login(client, users["civil_affairs"]).get(dash(plan))
    assert resp.status_code == 200
    text = body(resp)
    assert "测试规划" in text and "巴彦淖尔市" in text
    assert "临河区" in text and "五原县" in text  # the drill-down table
    assert "vendor/echarts/echarts.min.js" in text and 'id="charts-data"' in text
    assert "binding-behind" in text  # 约束性 nursing share behind on 2021-12-31
    assert "63.33" in text
    assert reverse("indicators:provenance") in text


def test_default_plan_and_region_are_the_users(client, users, plan):
    resp = login(client, users["county_officer"]).get(reverse("indicators:dashboard"))
    assert resp.status_code == 200
    text = body(resp)
    assert "测试规划 · 临河区" in text
    assert "演示街道一" in text and "五原县" not in text


def test_county_officer_cannot_open_the_neighbouring_county(client, users, plan):
    c = login(client, users["county_officer"])
    assert c.get(dash(plan, "150821")).status_code == 404
    assert c.get(dash(plan, "150821100200")).status_code == 404
    assert c.get(dash(plan, "150800")).status_code == 404  # the city above is not theirs either
    assert c.get(dash(plan, "150802001")).status_code == 200  # their town is
    prov = f"{reverse('indicators:provenance')}?plan={plan.pk}&key=2&region=150821&date=2021-12-31"
    assert c.get(prov).status_code == 404
    assert c.get(dash(plan, "150821", export="xlsx")).status_code == 404


def test_town_officer_sees_only_the_town(client, users, plan):
    c = login(client, users["town_officer"])
    assert c.get(dash(plan)).status_code == 200
    assert c.get(dash(plan, "150802")).status_code == 404


def test_roles_without_indicators_are_refused(client, users, plan):
    for role in ("operator", "inspector", "auditor"):
        client.logout()
        resp = login(client, users[role]).get(dash(plan))
        assert resp.status_code in (403, 404), role


def test_another_citys_plan_is_not_found(client, users, plan, tree):
    other = make_plan(STANDARD_ROWS[:1], code="chifeng-test", region_code="150400000000", region_name="赤峰市")
    c = login(client, users["civil_affairs"])
    assert c.get(dash(other)).status_code == 404
    assert c.get(reverse("indicators:plan_detail", args=[other.pk])).status_code == 404
    assert "chifeng-test" not in body(c.get(reverse("indicators:plan_list")))


def test_sorting_the_drill_down(client, users, plan):
    c = login(client, users["civil_affairs"])
    text = body(c.get(dash(plan, sort="2")))
    assert text.index(">临河区<") < text.index(">五原县<")  # 10% before 90%
    text = body(c.get(dash(plan, sort="-2")))
    assert text.index(">五原县<") < text.index(">临河区<")


def test_bad_date_falls_back_with_a_message(client, users, plan):
    text = body(login(client, users["civil_affairs"]).get(dash(plan, date="2021-13-40")))
    assert "格式应为 YYYY-MM-DD" in text


def test_provenance_shows_numerator_denominator_and_parts(client, users, plan):
    url = f"{reverse('indicators:provenance')}?plan={plan.pk}&key=2&region=150800&date=2021-12-31"
    resp = login(client, users["civil_affairs"]).get(url)
    text = body(resp)
    assert resp.status_code == 200
    assert "养老机构护理型床位数 ÷ 养老机构床位数 × 100" in text
    assert ">190<" in text and ">300<" in text and "2021-12-31" in text
    assert "临河区" in text and "五原县" in text
    url = f"{reverse('indicators:provenance')}?plan={plan.pk}&key=nope&region=150800"
    assert login(client, users["civil_affairs"]).get(url).status_code == 404


def test_provenance_of_a_reported_value_names_reporter_and_approver(client, users, plan, tree):
    from .helpers import publish

    pi = plan.indicators.get(key="3")
    publish(pi, tree["city"], 2021, 96, users["county_officer"], users["civil_affairs"])
    url = f"{reverse('indicators:provenance')}?plan={plan.pk}&key=3&region=150800&date=2021-12-31"
    text = body(login(client, users["leader"]).get(url))
    assert "部门填报" in text and "人社局" in text
    assert str(users["county_officer"]) in text and str(users["civil_affairs"]) in text


def test_export_excel_is_audited(client, users, plan):
    resp = login(client, users["civil_affairs"]).get(dash(plan, export="xlsx"))
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(resp.content))
    assert wb.sheetnames == ["指标", "下级区划"]
    rows = list(wb["指标"].iter_rows(values_only=True))
    assert rows[0][0].startswith("导出人")
    header = rows[2]
    assert header[:3] == ("类别", "序号", "指标名称")
    nursing = next(r for r in rows if r[1] == "2")
    assert round(nursing[8], 2) == 63.33 and nursing[10] == "滞后"
    assert AuditEvent.objects.filter(event_type="export", object_type="indicators.plan").exists()


def test_plan_list_and_detail(client, users, plan):
    c = login(client, users["county_officer"])
    text = body(c.get(reverse("indicators:plan_list")))
    assert "测试规划" in text
    text = body(c.get(reverse("indicators:plan_detail", args=[plan.pk])))
    assert "养老床位数（张）" in text and "复制到本区划" in text


def test_copy_plan_to_the_county_and_edit_its_targets(client, users, plan):
    c = login(client, users["county_officer"])
    resp = c.post(reverse("indicators:plan_copy", args=[plan.pk]))
    copy = Plan.objects.get(copied_from=plan)
    assert resp.status_code == 302 and resp["Location"] == reverse("indicators:plan_detail", args=[copy.pk])
    assert (copy.region_code, copy.owner_region_code, copy.is_seed) == ("150802000000",) * 2 + (False,)
    assert copy.indicators.count() == plan.indicators.count()
    row = copy.indicators.get(key="1")
    assert row.milestones.count() == 5
    # the county changes its own copy's target; milestones follow
    url = reverse("indicators:target_edit", args=[copy.pk, row.pk])
    resp = c.post(url, {"baseline_text": "120", "baseline_value": "120", "target_text": "170",
                        "target_value": "170", "comparator": ">=", "target_year": "2025", "property": "预期性"})
    assert resp.status_code == 302
    row.refresh_from_db()
    assert row.target_value == 170
    assert Milestone.objects.get(indicator=row, year=2025).value == 170
    assert PlanIndicator.objects.get(plan=plan, key="1").target_value == 370  # the original is untouched
    # refusals: missing comparator, and the city plan itself (not theirs to change)
    resp = c.post(url, {"target_value": "170", "comparator": ""})
    assert resp.status_code == 400 and "填写了目标值时必须选择比较方式" in body(resp)
    city_row = plan.indicators.get(key="1")
    assert c.get(reverse("indicators:target_edit", args=[plan.pk, city_row.pk])).status_code == 404
    # the copy is the county's dashboard default now
    assert "测试规划 · 临河区" in body(c.get(reverse("indicators:dashboard")))


def test_neighbouring_county_cannot_touch_the_copy(client, users, plan, tree):
    c = login(client, users["county_officer"])
    c.post(reverse("indicators:plan_copy", args=[plan.pk]))
    copy = Plan.objects.get(copied_from=plan)
    wuyuan = testing.make_user("county_officer", tree["wuyuan"])
    client.logout()
    c = login(client, wuyuan)
    row = copy.indicators.get(key="1")
    assert c.get(reverse("indicators:plan_detail", args=[copy.pk])).status_code == 404
    assert c.post(reverse("indicators:milestone_edit", args=[copy.pk, row.pk]), {"y2021": "1"}).status_code == 404


def test_seed_plan_targets_are_read_only(client, users, plan):
    Plan.objects.filter(pk=plan.pk).update(is_seed=True)
    c = login(client, users["civil_affairs"])
    row = plan.indicators.get(key="1")
    resp = c.get(reverse("indicators:target_edit", args=[plan.pk, row.pk]))
    assert resp.status_code == 302
    resp = c.post(reverse("indicators:target_edit", args=[plan.pk, row.pk]),
                  {"target_value": "1", "comparator": ">=", "target_year": "2025"})
    assert resp.status_code == 400 and "不能修改" in body(resp)
    row.refresh_from_db()
    assert row.target_value == 370


def test_milestones_can_be_edited_and_restored(client, users, plan):
    c = login(client, users["civil_affairs"])
    row = plan.indicators.get(key="1")
    url = reverse("indicators:milestone_edit", args=[plan.pk, row.pk])
    assert c.get(url).status_code == 200
    resp = c.post(url, {"y2022": "335"})
    assert resp.status_code == 302
    m = Milestone.objects.get(indicator=row, year=2022)
    assert (m.value, m.edited) == (335, True)
    assert Milestone.objects.get(indicator=row, year=2023).value == 350  # untouched default
    resp = c.post(url, {"y2022": "三百"})
    assert resp.status_code == 400 and "2022年" in body(resp)
    c.post(url, {})
    m.refresh_from_db()
    assert (m.value, m.edited) == (340, False)
    town = login(client, users["town_officer"])
    assert town.post(url, {"y2022": "1"}).status_code == 404


def test_entry_form_saves_drafts_and_submits(client, users, plan):
    c = login(client, users["county_officer"])
    url = reverse("indicators:reported_entry")
    resp = c.get(f"{url}?plan={plan.pk}&region=150802&year=2021")
    text = body(resp)
    assert resp.status_code == 200 and "基本养老保险参保率" in text
    assert "养老床位数（张）" not in text  # computed rows are not asked for
    r3 = plan.indicators.get(key="3")
    r5 = plan.indicators.get(key="5")
    resp = c.post(url, {"plan": plan.pk, "department": "人社局", "region": "150802", "year": "2021",
                        f"v{r3.pk}": "93.5", f"v{r5.pk}": "", "submit": "1"})
    assert resp.status_code == 302
    rv = ReportedValue.objects.get()
    assert (rv.value, rv.status, rv.region_id, rv.plan_indicator_id) == (93.5, "submitted", "150802000000", r3.pk)
    # the neighbouring county is refused, with the field named
    resp = c.post(url, {"plan": plan.pk, "department": "人社局", "region": "150821", "year": "2021",
                        f"v{r3.pk}": "90"})
    assert resp.status_code == 400 and "区划：区划“五原县”超出您的管辖范围" in body(resp)
    assert ReportedValue.objects.count() == 1
    client.logout()
    assert login(client, users["town_officer"]).get(url).status_code == 403


def test_detail_actions_and_refusals(client, users, plan, tree):
    from ylyx.indicators import services

    rv = services.create_reported(users["civil_affairs"], region=tree["city"], year=2021, value=96,
                                  department="人社局", plan_indicator=plan.indicators.get(key="3"))
    c = login(client, users["civil_affairs"])
    detail = reverse("indicators:reported_detail", args=[rv.pk])
    assert "提交审核" in body(c.get(detail))
    c.post(reverse("indicators:reported_action", args=[rv.pk, "submit"]))
    rv.refresh_from_db()
    assert rv.status == "submitted"
    assert "须由其他有审核权限的人员审核" in body(c.get(detail))
    resp = c.post(reverse("indicators:reported_action", args=[rv.pk, "approve"]))
    assert resp.status_code == 403 and "审核人不能是填报人" in body(resp)
    resp = c.post(reverse("indicators:reported_action", args=[rv.pk, "return"]), {"comment": ""}, follow=True)
    assert "退回时必须填写退回意见" in body(resp)
    rv.refresh_from_db()
    assert rv.status == "submitted"
    client.logout()
    h = login(client, users["health"])
    h.post(reverse("indicators:reported_action", args=[rv.pk, "approve"]))
    h.post(reverse("indicators:reported_action", args=[rv.pk, "publish"]))
    rv.refresh_from_db()
    assert rv.status == "published" and rv.approved_by == users["health"]
    client.logout()
    county = login(client, users["county_officer"])
    assert county.get(detail).status_code == 404  # a city value is outside the county


def test_reported_list_is_scoped(client, users, plan, tree):
    from ylyx.indicators import services

    pi = plan.indicators.get(key="3")
    services.create_reported(users["county_officer"], region=tree["linhe"], year=2021, value=93, department="人社局",
                             plan_indicator=pi)
    services.create_reported(users["civil_affairs"], region=tree["wuyuan"], year=2021, value=88, department="人社局",
                             plan_indicator=pi)
    text = body(login(client, users["county_officer"]).get(reverse("indicators:reported_list")))
    assert "临河区" in text and "五原县" not in text
    client.logout()
    text = body(login(client, users["civil_affairs"]).get(reverse("indicators:reported_list") + "?status=draft"))
    assert "临河区" in text and "五原县" in text


def test_import_page_reports_row_errors(client, users, plan):
    from openpyxl import Workbook

    from ylyx.indicators.services import IMPORT_HEADERS

    wb = Workbook()
    wb.active.append(IMPORT_HEADERS)
    wb.active.append(["150821", 2021, "养老", "3", "", 90, "人社局", ""])
    buf = io.BytesIO()
    wb.save(buf)
    buf.name = "v.xlsx"
    buf.seek(0)
    c = login(client, users["county_officer"])
    resp = c.post(reverse("indicators:reported_import"), {"plan": plan.pk, "file": buf})
    assert resp.status_code == 400
    assert "第2行“区划代码”列：区划“五原县”超出您的管辖范围" in body(resp)
    assert not ReportedValue.objects.exists()
    resp = c.get(reverse("indicators:reported_import") + f"?template=1&plan={plan.pk}")
    assert resp.status_code == 200 and resp["Content-Type"].startswith("application/vnd.openxmlformats")


def test_dashboard_without_any_plan(client, users, db):
    text = body(login(client, users["civil_affairs"]).get(reverse("indicators:dashboard")))
    assert "暂无可查看的规划" in text


def test_seed_dashboard_renders_every_plan_row(client, users, tree):
    from ylyx.indicators.services import load_seed_plans

    build(tree)
    load_seed_plans()
    c = login(client, users["civil_affairs"])
    resp = c.get(reverse("indicators:dashboard") + "?date=2020-12-31")
    text = body(resp)
    assert resp.status_code == 200
    assert "“一老一小”整体解决方案 · 巴彦淖尔市" in text  # the city's own plan, not the region's
    assert "养老机构护理型床位占比（%）" in text and "老年大学（学校）旗县级区域覆盖" in text
    neimenggu = Plan.objects.get(code="neimenggu-2021")
    assert c.get(dash(neimenggu, date="2020-12-31")).status_code == 200  # the province's plan, at the city
