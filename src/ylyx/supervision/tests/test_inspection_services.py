"""Inspection on site → rectification → publication deadline → re-inspection, and who may do what."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from PIL import Image

from ylyx import testing
from ylyx.supervision import checklists, services
from ylyx.supervision.models import (
    CreditEvent,
    Inspection,
    InspectionStatus,
    Rectification,
    RectificationStatus,
)

from .conftest import commit_and_draw

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def drawn(plan, users):
    task = services.task_create(users["civil_affairs"], plan, "第一批", D(2025, 1, 1), D(2025, 6, 30))
    return commit_and_draw(users["civil_affairs"], task)


def mine(users, drawn) -> Inspection:
    """An inspection of the draw assigned to users["inspector"] (the city1 login)."""
    qs = Inspection.objects.for_user(users["inspector"], "change").filter(task=drawn)
    insp = qs.first()
    assert insp is not None, "load balancing gives each of the 5 inspectors at least one of 8 assignments"
    return insp


def answer_all(user, insp, fail: dict[str, str] | None = None):
    fail = fail or {}
    cl = checklists.get(insp.checklist)
    return services.inspection_record(user, insp, {i.code: ("fail", fail[i.code]) if i.code in fail else ("pass", "")
                                                   for i in cl.items})


def photo(fmt="JPEG", size=(40, 30)) -> io.BytesIO:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 10, 10)).save(buf, fmt)
    buf.seek(0)
    buf.name = f"现场.{fmt.lower()}"
    return buf


def test_an_inspector_sees_and_records_only_what_is_assigned(users, drawn, roster):
    officer = users["civil_affairs"]
    all_ids = set(Inspection.objects.for_user(officer).filter(task=drawn).values_list("pk", flat=True))
    own = set(Inspection.objects.for_user(users["inspector"]).values_list("pk", flat=True))
    assigned = set(Inspection.objects.unscoped("test").filter(assignments__inspector=roster["city1"])
                   .values_list("pk", flat=True))
    assert own == assigned and own <= all_ids
    others = all_ids - own
    if others:
        with pytest.raises(PermissionDenied):
            services.inspection_check_in(users["inspector"], Inspection.objects.unscoped("t").get(pk=min(others)),
                                         40.7, 107.4)


def test_operators_never_record_results_and_see_a_visit_only_once_finished(users, drawn):
    insp = Inspection.objects.unscoped("t").filter(task=drawn).first()
    op = testing.make_user("operator", None, institution=insp.institution)
    assert not Inspection.objects.for_user(op).filter(pk=insp.pk).exists()
    with pytest.raises(PermissionDenied):
        services.inspection_record(op, insp, {"E01": ("pass", "")})
    answer_all(users["civil_affairs"], insp)
    services.inspection_complete(users["civil_affairs"], insp, "pass", on=D(2025, 3, 3))
    assert Inspection.objects.for_user(op).filter(pk=insp.pk).exists()


def test_complete_with_findings_creates_orders_deadline_credit_and_next_date(users, drawn, photo_dir):
    insp = mine(users, drawn)
    user = users["inspector"]
    services.inspection_check_in(user, insp, 40.75, 107.41)
    att = services.attachment_add(user, insp, photo(), item_code="E07", lat=40.75, lon=107.41)
    assert (photo_dir / att.stored_name).exists() and att.width == 40
    answer_all(user, insp, fail={"E07": "二楼卫生间无扶手", "E10": "活动室无防护垫"})
    with pytest.raises(ValidationError, match="结论应为“不合格”"):
        services.inspection_complete(user, insp, "minor", on=D(2025, 1, 20))
    insp = services.inspection_complete(user, insp, "fail", summary="问题两项", on=D(2025, 1, 20))
    assert insp.status == InspectionStatus.DONE
    assert insp.publish_due == D(2025, 2, 21)  # 20 working days across the 2025 Spring Festival
    rects = {r.item_code: r for r in Rectification.objects.unscoped("t").filter(inspection=insp)}
    assert rects["E07"].deadline == D(2025, 2, 4) and rects["E07"].severity == "high"
    assert rects["E10"].deadline == D(2025, 3, 21)
    assert CreditEvent.objects.unscoped("t").filter(institution=insp.institution, kind="inspection_fail").count() == 1
    assert insp.next_due == D(2025, 3, 31)  # re-inspection 10 days after the latest open deadline
    with pytest.raises(ValidationError, match="已完成"):
        services.inspection_record(user, insp, {"E01": ("pass", "")})


def test_fail_without_description_and_unknown_items_are_refused(users, drawn):
    insp = mine(users, drawn)
    with pytest.raises(ValidationError) as e:
        services.inspection_record(users["inspector"], insp, {"E01": ("fail", ""), "X99": ("pass", "")})
    msgs = str(e.value)
    assert "须填写问题描述" in msgs and "X99" in msgs
    with pytest.raises(ValidationError, match="未填写"):
        services.inspection_complete(users["inspector"], insp, "pass", on=D(2025, 2, 1))


def test_photos_are_checked_by_pillow(users, drawn, photo_dir, settings):
    insp = mine(users, drawn)
    fake = io.BytesIO(b"GIF89a not really")
    fake.name = "x.jpg"
    with pytest.raises(ValidationError, match="不是有效的图片"):
        services.attachment_add(users["inspector"], insp, fake)
    with pytest.raises(ValidationError, match="不支持的图片格式"):
        services.attachment_add(users["inspector"], insp, photo("GIF"))
    settings.SUPERVISION = {**settings.SUPERVISION, "photo_max_bytes": 100}
    with pytest.raises(ValidationError, match="不能超过"):
        services.attachment_add(users["inspector"], insp, photo(size=(200, 200)))
    assert not list(photo_dir.glob("*")) if photo_dir.exists() else True


def test_publication_hides_personal_data_and_records_lateness(users, drawn):
    insp = mine(users, drawn)
    answer_all(users["inspector"], insp)
    insp = services.inspection_complete(users["inspector"], insp, "pass", on=D(2025, 9, 19))
    assert insp.publish_due == D(2025, 10, 23)  # across National Day 2025
    with pytest.raises(PermissionDenied):
        services.inspection_publish(users["inspector"], insp, "合格")
    with pytest.raises(ValidationError, match="个人信息"):
        services.inspection_publish(users["civil_affairs"], insp, "院长电话13812345678，检查合格")
    with pytest.raises(ValidationError, match="个人信息"):
        services.inspection_publish(users["civil_affairs"], insp, "负责人150802195001011234")
    insp = services.inspection_publish(users["civil_affairs"], insp, "检查合格，未发现问题。")
    assert insp.status == InspectionStatus.PUBLISHED
    from ylyx.audit.models import AuditEvent

    ev = AuditEvent.objects.filter(event_type="inspection_publish", object_id=str(insp.pk)).get()
    assert ev.after["late"] is True  # published in 2026, deadline 2025-10-23


def test_reinspection_closes_what_it_verifies_and_overdue_ones_escalate(users, drawn, roster):
    insp = mine(users, drawn)
    answer_all(users["inspector"], insp, fail={"E05": "热水无防烫", "E10": "无防护垫"})
    services.inspection_complete(users["inspector"], insp, "minor", on=D(2025, 3, 3))
    e05 = Rectification.objects.unscoped("t").get(inspection=insp, item_code="E05")
    services.rectification_report(testing.make_user("operator", None, institution=insp.institution), e05,
                                  "已加装恒温阀", on=D(2025, 3, 20))
    assert services.escalate_overdue_rectifications(D(2025, 6, 1)) == 1  # E10 (deadline 5-2) not reported
    e10 = Rectification.objects.unscoped("t").get(inspection=insp, item_code="E10")
    assert e10.status == RectificationStatus.ESCALATED
    assert CreditEvent.objects.unscoped("t").filter(kind="rectification_overdue", institution=insp.institution).exists()
    re = services.reinspection_create(users["civil_affairs"], insp.institution, [roster["city2"], roster["city3"]])
    assert re.reinspection_of_id == insp.pk
    answer_all(users["civil_affairs"], re, fail={"E10": "仍无防护垫"})
    services.inspection_complete(users["civil_affairs"], re, "minor", on=D(2025, 6, 3))
    e05.refresh_from_db()
    e10.refresh_from_db()
    assert e05.status == RectificationStatus.CLOSED and e05.closed_by_id == re.pk
    assert e10.status == RectificationStatus.ESCALATED
    assert CreditEvent.objects.unscoped("t").filter(kind="rectification_done", institution=insp.institution).exists()


def test_reinspection_respects_declared_conflicts(users, homes, roster):
    from ylyx.supervision.models import InspectorConflict

    InspectorConflict.objects.create(inspector=roster["city2"], institution=homes["linhe"][0], reason="x",
                                     declared_on=D(2025, 1, 1))
    with pytest.raises(ValidationError, match="JC002"):
        services.reinspection_create(users["civil_affairs"], homes["linhe"][0], [roster["city2"], roster["city3"]])
    with pytest.raises(ValidationError, match="至少 2 名"):
        services.reinspection_create(users["civil_affairs"], homes["linhe"][0], [roster["city3"]])
