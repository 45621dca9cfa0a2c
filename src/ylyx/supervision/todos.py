"""Supervision's to-do providers (registered in ``SupervisionConfig.ready``): each reads through ``for_user``.

Inspectors get their assigned inspections; officials get draws to run, results to publish (with the
20-working-day deadline), overdue rectifications, complaints and open incidents; operators get their own
rectification orders and incidents.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.urls import reverse
from django.utils import timezone

from ylyx.core.permissions import allows
from ylyx.core.todo import Todo

from .models import (
    Complaint,
    ComplaintStatus,
    Incident,
    IncidentStatus,
    Inspection,
    InspectionStatus,
    InspectionTask,
    Rectification,
    RectificationStatus,
    TaskStatus,
)

LIMIT = 20  # individual items per source; the rest are one grouped item


def _grouped(items: list[Todo], source: str, title: str, url: str) -> list[Todo]:
    if len(items) <= LIMIT:
        return items
    rest = items[LIMIT:]
    return items[:LIMIT] + [Todo(source, title.format(n=len(rest)), url, count=len(rest),
                                 due=min((t.due for t in rest if t.due), default=None))]


def inspections(user: Any) -> Iterable[Todo]:
    if getattr(user, "role", "") != "inspector":
        return []
    qs = (Inspection.objects.for_user(user, "view").filter(
        status__in=[InspectionStatus.ASSIGNED, InspectionStatus.IN_PROGRESS])
        .select_related("institution", "task").order_by("task__period_end", "id"))
    items = [Todo("inspection", f"现场检查：{i.institution.name}", reverse("supervision:inspection_detail", args=[i.pk]),
                  region_code=i.region_id, due=i.task.period_end if i.task else None, priority=2) for i in qs[:200]]
    return _grouped(items, "inspection", "另有 {n} 项检查待完成", reverse("supervision:inspection_list"))


def draws(user: Any) -> Iterable[Todo]:
    if not allows(user.role, "inspection", "draw"):
        return []
    qs = InspectionTask.objects.for_user(user, "draw").filter(status=TaskStatus.PENDING).select_related("plan")
    return [Todo("draw", f"{'抽取' if t.is_committed else '公布种子承诺值并抽取'}：{t}",
                 reverse("supervision:task_detail", args=[t.pk]), due=t.period_start, priority=1) for t in qs[:LIMIT]]


def publications(user: Any) -> Iterable[Todo]:
    if not allows(user.role, "inspection", "publish"):
        return []
    qs = (Inspection.objects.for_user(user, "publish").filter(status=InspectionStatus.DONE)
          .select_related("institution").order_by("publish_due", "id"))
    items = [Todo("publication", f"公示检查结果：{i.institution.name}（{i.inspected_on:%m-%d} 检查）",
                  reverse("supervision:inspection_detail", args=[i.pk]), region_code=i.region_id, due=i.publish_due,
                  priority=3, detail="公示期限为预计" if i.publish_due_provisional else "") for i in qs[:200]]
    return _grouped(items, "publication", "另有 {n} 项检查结果待公示", reverse("supervision:clock"))


def rectifications(user: Any) -> Iterable[Todo]:
    today = timezone.localdate()
    qs = Rectification.objects.for_user(user, "view").exclude(status=RectificationStatus.CLOSED).select_related(
        "institution")
    if user.role != "operator":
        qs = qs.filter(deadline__lt=today)  # officials: the overdue ones; operators: all their open orders
    items = [Todo("rectification", f"{'整改逾期' if r.deadline < today else '整改'}：{r.institution.name}",
                  reverse("supervision:rectification_detail", args=[r.pk]), region_code=r.region_id, due=r.deadline,
                  priority=2, detail=r.description[:60]) for r in qs.order_by("deadline", "id")[:200]]
    return _grouped(items, "rectification", "另有 {n} 项整改逾期", reverse("supervision:rectification_list"))


def complaints(user: Any) -> Iterable[Todo]:
    if not allows(user.role, "complaint", "change"):
        return []
    qs = Complaint.objects.for_user(user, "change").exclude(status=ComplaintStatus.CLOSED).order_by("due_on", "id")
    items = [Todo("complaint", f"办理投诉 {c.number}：{c.category}", reverse("supervision:complaint_detail", args=[c.pk]),
                  region_code=c.region_id, due=c.due_on, priority=2) for c in qs[:200]]
    return _grouped(items, "complaint", "另有 {n} 件投诉待办结", reverse("supervision:complaint_list"))


def incidents(user: Any) -> Iterable[Todo]:
    if not allows(user.role, "incident", "view"):
        return []
    qs = Incident.objects.for_user(user, "view").filter(status=IncidentStatus.OPEN).select_related("institution")
    return [Todo("incident", f"突发事件处置中：{i.institution.name}（{i.get_severity_display()}）",
                 reverse("supervision:incident_detail", args=[i.pk]), region_code=i.region_id,
                 due=timezone.localdate(i.reported_at), priority=5) for i in qs.order_by("reported_at")[:LIMIT]]


PROVIDERS = {"inspection": inspections, "draw": draws, "publication": publications,
             "rectification": rectifications, "complaint": complaints, "incident": incidents}
