"""探访 reads, always through ``for_user``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q, QuerySet

from ylyx.core.scoping import prefix_q

from .models import FollowUp, FollowUpStatus, TaskStatus, VisitRule, VisitTask


def tasks(user: Any, *, month: dt.date | None = None, state: str = "", region: str = "",
          mine: bool = False, today: dt.date | None = None) -> QuerySet:
    qs = VisitTask.objects.for_user(user, "view").select_related("person", "assignee", "region")
    if month is not None:
        qs = qs.filter(month=month)
    if region:
        qs = qs.filter(prefix_q("region_id", region))
    if mine:
        qs = qs.filter(assignee=user)
    if state == "overdue" and today is not None:
        qs = qs.filter(status=TaskStatus.PENDING, due_on__lt=today)
    elif state in TaskStatus.values:
        qs = qs.filter(status=state)
    return qs


def task(user: Any, pk: int, action: str = "view") -> VisitTask:
    return VisitTask.objects.for_user(user, action).select_related("person", "assignee", "rule").get(pk=pk)  # type: ignore[arg-type]


def month_summary(user: Any, month: dt.date, today: dt.date) -> dict[str, int]:
    agg = VisitTask.objects.for_user(user, "view").filter(month=month).aggregate(
        total=Count("id"), done=Count("id", filter=Q(status=TaskStatus.DONE)),
        overdue=Count("id", filter=Q(status=TaskStatus.PENDING, due_on__lt=today)))
    return {k: v or 0 for k, v in agg.items()}


def by_region(user: Any, month: dt.date) -> list[dict]:
    """Tasks and visited per town of the user's scope for the month (the rate the indicator rolls up)."""
    rows = (VisitTask.objects.for_user(user, "view").filter(month=month).exclude(status=TaskStatus.CANCELLED)
            .values("region__parent__name", "region__parent_id")
            .annotate(total=Count("id"), done=Count("id", filter=Q(status=TaskStatus.DONE))).order_by("region__parent_id"))
    return [{"name": r["region__parent__name"], "code": r["region__parent_id"], "total": r["total"],
             "done": r["done"], "rate": round(100 * r["done"] / r["total"], 1) if r["total"] else None} for r in rows]


def rules(user: Any) -> QuerySet:
    return VisitRule.objects.for_user(user, "view").select_related("region")


def followups(user: Any, state: str = "open") -> QuerySet:
    qs = FollowUp.objects.for_user(user, "view").select_related("person", "visit")
    return qs.filter(status=state) if state in FollowUpStatus.values else qs
