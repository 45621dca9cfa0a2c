"""Subsidy to-dos: applications to review (county) or approve (city), batches to approve, open recoveries."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.urls import reverse

from ylyx.core.permissions import allows
from ylyx.core.todo import Todo

from .models import ApplicationStatus, Batch, BatchStatus, ConstructionApplication, Recovery, RecoveryStatus

LIMIT = 20


def applications(user: Any) -> Iterable[Todo]:
    role = getattr(user, "role", "")
    if role == "operator" or not allows(role, "subsidy", "change"):
        return []
    if allows(role, "subsidy", "approve"):
        qs = ConstructionApplication.objects.for_user(user, "approve").filter(status=ApplicationStatus.REVIEWED)
        verb = "审批建设补助"
    else:
        qs = ConstructionApplication.objects.for_user(user, "change").filter(status=ApplicationStatus.SUBMITTED)
        verb = "审核建设补助"
    return [Todo("subsidy_application", f"{verb}：{a.institution.name}（{a.units} 张/个）",
                 reverse("subsidies:application_detail", args=[a.pk]), region_code=a.region_id, priority=2)
            for a in qs.select_related("institution").order_by("id")[:LIMIT]]


def batches(user: Any) -> Iterable[Todo]:
    if not allows(getattr(user, "role", ""), "subsidy", "approve"):
        return []
    qs = Batch.objects.for_user(user, "approve").filter(status__in=[BatchStatus.COMPUTED, BatchStatus.PAYING])
    return [Todo("subsidy_batch", f"{'审批' if b.status == BatchStatus.COMPUTED else '续写入账'}发放批次：{b.region.name} {b.period}",
                 reverse("subsidies:batch_detail", args=[b.pk]), region_code=b.region_id, due=b.month_end, priority=3)
            for b in qs.select_related("region").order_by("period", "region_id")[:LIMIT]]


def recoveries(user: Any) -> Iterable[Todo]:
    role = getattr(user, "role", "")
    if role == "operator" or not allows(role, "subsidy", "change"):
        return []
    n = Recovery.objects.for_user(user, "change").filter(status=RecoveryStatus.OPEN).count()
    if not n:
        return []
    return [Todo("subsidy_recovery", f"追缴待办：{n} 笔", reverse("subsidies:recovery_list"), count=n, priority=2)]


PROVIDERS = {"subsidy_application": applications, "subsidy_batch": batches, "subsidy_recovery": recoveries}
