"""探访 to-dos (registered in ``VisitsConfig.ready``), read through ``for_user`` like any page.

A visitor gets their pending tasks of the current month grouped into one item (and one for overdue ones);
an official gets the overdue tasks and open follow-ups of their region, grouped.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.urls import reverse
from django.utils import timezone

from ylyx.core.permissions import allows
from ylyx.core.todo import Todo

from .models import FollowUp, FollowUpStatus, TaskStatus, VisitTask


def visits(user: Any) -> Iterable[Todo]:
    if not allows(getattr(user, "role", ""), "visit", "change"):
        return []
    today = timezone.localdate()
    qs = VisitTask.objects.for_user(user, "change").filter(status=TaskStatus.PENDING, month__lte=today)
    mine = qs.filter(assignee=user)
    out = []
    overdue_mine = mine.filter(due_on__lt=today).count()
    open_mine = mine.filter(due_on__gte=today).count()
    url = reverse("visits:mobile")
    if overdue_mine:
        out.append(Todo("visit", f"{overdue_mine} 位老年人的探访已逾期", url, count=overdue_mine, priority=4,
                        due=mine.filter(due_on__lt=today).order_by("due_on").values_list("due_on", flat=True)[0]))
    if open_mine:
        out.append(Todo("visit", f"本月待探访 {open_mine} 位老年人", url, count=open_mine, priority=2,
                        due=mine.filter(due_on__gte=today).order_by("due_on").values_list("due_on", flat=True)[0]))
    if user.role != "town_officer" or not (open_mine or overdue_mine):
        overdue = qs.filter(due_on__lt=today).count()
        if overdue:
            out.append(Todo("visit", f"辖区内 {overdue} 项探访任务逾期", reverse("visits:task_list") + "?state=overdue",
                            count=overdue, priority=3, due=today))
    return out


def followups(user: Any) -> Iterable[Todo]:
    if not allows(getattr(user, "role", ""), "visit", "change"):
        return []
    qs = FollowUp.objects.for_user(user, "change").filter(status=FollowUpStatus.OPEN).order_by("due_on", "id")
    n = qs.count()
    if not n:
        return []
    first = qs.first()
    return [Todo("visit_followup", f"探访发现的 {n} 项跟进事项待处理", reverse("visits:followup_list"), count=n,
                 priority=3, due=first.due_on if first else None)]
