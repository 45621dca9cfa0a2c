"""Reported values: draft → submitted → approved → published, returns, and the refusals."""

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from openpyxl import Workbook, load_workbook

from ylyx import testing
from ylyx.audit.models import AuditEvent
from ylyx.indicators import services
from ylyx.indicators.models import ReportedStatus, ReportedValue

from .helpers import STANDARD_ROWS, make_plan


@pytest.fixture
def plan(tree):
    return make_plan(STANDARD_ROWS)


@pytest.fixture
def row(plan):
    return plan.indicators.get(key="3")


def draft(users, tree, row, who="county_officer", region="linhe", year=2021, value=93):
    return services.create_reported(users[who], region=tree[region], year=year, value=value, department="人社局",
                                    plan_indicator=row)


def test_full_workflow(users, tree, row):
    rv = draft(users, tree, row)
    assert rv.status == ReportedStatus.DRAFT and rv.entered_by == users["county_officer"]
    rv = services.submit_reported(rv, users["county_officer"])
    assert rv.status == ReportedStatus.SUBMITTED and rv.submitted_at
    rv = services.approve_reported(rv, users["civil_affairs"])
    assert rv.status == ReportedStatus.APPROVED and rv.approved_by == users["civil_affairs"]
    rv = services.publish_reported(rv, users["health"])
    assert rv.status == ReportedStatus.PUBLISHED and rv.published_by == users["health"] and rv.published_at
    events = AuditEvent.objects.filter(object_type="indicators.reportedvalue", object_id=str(rv.pk))
    assert events.count() == 4
    assert events.filter(event_type="approve").count() == 1


def test_approver_cannot_be_the_entrant(users, tree, row):
    rv = draft(users, tree, row, who="civil_affairs", region="city")
    services.submit_reported(rv, users["civil_affairs"])
    with pytest.raises(PermissionDenied, match="审核人不能是填报人"):
        services.approve_reported(rv, users["civil_affairs"])
    rv.refresh_from_db()
    assert rv.status == ReportedStatus.SUBMITTED and rv.approved_by is None
    services.approve_reported(rv, users["health"])  # a different approver may


def test_roles_without_approve_are_refused(users, tree, row):
    rv = draft(users, tree, row)
    services.submit_reported(rv, users["county_officer"])
    other = testing.make_user("county_officer", tree["linhe"])
    for who in (other, users["town_officer"], users["leader"]):
        with pytest.raises(PermissionDenied):
            services.approve_reported(rv, who)
        with pytest.raises(PermissionDenied):
            services.return_reported(rv, who, "请核实")
    rv.refresh_from_db()
    assert rv.status == ReportedStatus.SUBMITTED


def test_town_officer_cannot_enter_values(users, tree, row):
    with pytest.raises(PermissionDenied):
        draft(users, tree, row, who="town_officer", region="linhe_town")
    assert not ReportedValue.objects.exists()


def test_approver_of_another_city_is_refused(users, tree, row):
    rv = draft(users, tree, row)
    services.submit_reported(rv, users["county_officer"])
    chifeng = testing.make_user("civil_affairs", tree["chifeng"])
    with pytest.raises(PermissionDenied):
        services.approve_reported(rv, chifeng)
    rv.refresh_from_db()
    assert rv.status == ReportedStatus.SUBMITTED


def test_county_officer_cannot_enter_for_the_neighbouring_county(users, tree, row):
    with pytest.raises(PermissionDenied):
        draft(users, tree, row, region="wuyuan")
    assert not ReportedValue.objects.exists()


def test_return_needs_a_comment_and_allows_resubmission(users, tree, row):
    rv = draft(users, tree, row)
    services.submit_reported(rv, users["county_officer"])
    with pytest.raises(ValidationError) as e:
        services.return_reported(rv, users["civil_affairs"], "  ")
    assert "退回意见" in str(e.value)
    rv.refresh_from_db()
    assert rv.status == ReportedStatus.SUBMITTED
    rv = services.return_reported(rv, users["civil_affairs"], "与统计公报不一致，请核实")
    assert rv.status == ReportedStatus.RETURNED and rv.comment == "与统计公报不一致，请核实"
    rv = services.update_reported(rv, users["county_officer"], value=94)
    rv = services.submit_reported(rv, users["county_officer"])
    assert rv.status == ReportedStatus.SUBMITTED and rv.value == 94


def test_wrong_order_is_refused(users, tree, row):
    rv = draft(users, tree, row)
    with pytest.raises(ValidationError, match="只有"):
        services.approve_reported(rv, users["civil_affairs"])
    with pytest.raises(ValidationError):
        services.publish_reported(rv, users["civil_affairs"])
    services.submit_reported(rv, users["county_officer"])
    services.approve_reported(rv, users["civil_affairs"])
    services.publish_reported(rv, users["civil_affairs"])
    with pytest.raises(ValidationError, match="不能修改"):
        services.update_reported(rv, users["county_officer"], value=1)
    with pytest.raises(ValidationError):
        services.return_reported(rv, users["civil_affairs"], "太晚了")


def test_bad_input_named_in_chinese(users, tree, row, plan):
    with pytest.raises(ValidationError) as e:
        draft(users, tree, row, value="九十")
    assert e.value.message_dict["value"] == ["数值应为数字"]
    with pytest.raises(ValidationError) as e:
        draft(users, tree, row, year=1990)
    assert "年份" in e.value.message_dict["year"][0]
    computed = plan.indicators.get(key="2")
    with pytest.raises(ValidationError, match="系统根据登记数据计算"):
        draft(users, tree, computed)
    draft(users, tree, row)
    with pytest.raises(ValidationError, match="已有填报值"):
        draft(users, tree, row)
    assert ReportedValue.objects.count() == 1


def workbook(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(services.IMPORT_HEADERS)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_import_all_or_nothing_with_row_errors(users, tree, plan):
    user = users["county_officer"]
    data = workbook([
        ["150802", 2021, "养老", "3", "基本养老保险参保率（%）", 93, "人社局", ""],
        ["150821", 2021, "养老", "3", "", 90, "人社局", ""],  # neighbouring county
        ["150802", "二〇二一", "养老", "3", "", 90, "人社局", ""],
        ["150802", 2021, "养老", "99", "", 90, "人社局", ""],
        ["150802", 2021, "养老", "2", "", 60, "人社局", ""],  # computed row
        ["150802", 2020, "养老", "3", "", "九十", "", ""],
    ])
    with pytest.raises(services.ImportErrors) as e:
        services.import_reported(user, plan, data)
    msgs = e.value.messages
    assert "第3行“区划代码”列：区划“五原县”超出您的管辖范围" in msgs
    assert any(m.startswith("第4行“年份”列") for m in msgs)
    assert any(m.startswith("第5行“序号”列") for m in msgs)
    assert any(m.startswith("第6行“序号”列") and "系统计算" in m for m in msgs)
    assert "第7行“数值”列：“九十”不是数字" in msgs and "第7行“填报部门”列：不能为空" in msgs
    assert not any(m.startswith("第2行") for m in msgs)
    assert not ReportedValue.objects.exists()


def test_import_creates_then_is_idempotent(users, tree, plan):
    user = users["county_officer"]
    data = workbook([["150802", 2021, "养老", "3", "", 93, "人社局", ""],
                     ["150802001", 2021, "养老", "5", "", 2, "卫健委", ""]])
    assert services.import_reported(user, plan, data) == {"created": 2, "updated": 0, "unchanged": 0}
    assert services.import_reported(user, plan, data) == {"created": 0, "updated": 0, "unchanged": 2}
    assert ReportedValue.objects.filter(status="draft").count() == 2
    rv = ReportedValue.objects.get(region_id="150802000000")
    services.submit_reported(rv, user)
    with pytest.raises(services.ImportErrors) as e:
        services.import_reported(user, plan, data)
    assert e.value.messages == ["第2行：该指标 临河区 2021 年的填报值状态为“已提交”，不能再导入覆盖"]


def test_import_refuses_unreadable_and_wrong_headers(users, plan):
    with pytest.raises(services.ImportErrors, match="文件无法读取"):
        services.import_reported(users["county_officer"], plan, b"not a workbook")
    wb = Workbook()
    wb.active.append(["a", "b"])
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(services.ImportErrors, match="缺少列"):
        services.import_reported(users["county_officer"], plan, buf.getvalue())
    with pytest.raises(PermissionDenied):
        services.import_reported(users["town_officer"], plan, buf.getvalue())


def test_template_lists_the_reported_rows(users, tree, plan):
    data = services.template_workbook(plan, tree["linhe"], 2021)
    ws = load_workbook(io.BytesIO(data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == tuple(services.IMPORT_HEADERS)
    assert [r[3] for r in rows[1:]] == ["3", "5"]  # the computed rows are not asked for
