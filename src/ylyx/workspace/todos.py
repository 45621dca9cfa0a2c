"""The workspace's to-do providers (registered in ``WorkspaceConfig.ready``), each reading through ``for_user``.

- ``filing``: filings to receive (已提交) or to decide (已受理) for officials who may change institutions of
  that domain; an operator sees their own filing when it was returned for correction.
- ``reported_value``: submitted values to approve, approved ones to publish (approvers), and the user's own
  returned values to correct.
- ``import``: the user's own import batches that stopped on errors or wait, validated, to be committed.
- ``export``: export requests waiting for this user's approval (never the user's own).

Supervision registers its own (inspections, rectifications, complaints, incidents); later modules do the same.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from ylyx.core.permissions import allows
from ylyx.core.todo import Todo

LIMIT = 20
FILING_DAYS = 20  # days an official has to decide a filing, for the due date shown (working practice, [S])


def _grouped(items: list[Todo], source: str, title: str, url: str) -> list[Todo]:
    if len(items) <= LIMIT:
        return items
    rest = items[LIMIT:]
    return items[:LIMIT] + [Todo(source, title.format(n=len(rest)), url, count=len(rest),
                                 due=min((t.due for t in rest if t.due), default=None))]


def filings(user: Any) -> Iterable[Todo]:
    from ylyx.institutions.models import Filing, FilingStatus

    role = getattr(user, "role", "")
    if role == "operator":
        qs = Filing.objects.for_user(user, "view").filter(status=FilingStatus.RETURNED).select_related("institution")
        return [Todo("filing", f"备案退回补正：{f.institution.name}", reverse("institutions:detail",
                                                                        args=[f.institution_id]),
                     region_code=f.institution.region_id, priority=3) for f in qs[:LIMIT]]
    if not allows(role, "institution", "change"):
        return []
    qs = (Filing.objects.for_user(user, "change").filter(status__in=[FilingStatus.SUBMITTED, FilingStatus.RECEIVED])
          .select_related("institution").order_by("submitted_on", "id"))
    items = []
    for f in qs[:200]:
        verb = "受理备案" if f.status == FilingStatus.SUBMITTED else "办结备案"
        items.append(Todo("filing", f"{verb}：{f.institution.name}",
                          reverse("institutions:detail", args=[f.institution_id]),
                          region_code=f.institution.region_id,
                          due=f.submitted_on + dt.timedelta(days=FILING_DAYS), priority=3,
                          detail=f"{f.submitted_on:%Y-%m-%d} 提交"))
    return _grouped(items, "filing", "另有 {n} 件备案待办理", reverse("institutions:list") + "?filing_status=submitted")


def reported_values(user: Any) -> Iterable[Todo]:
    from ylyx.indicators.models import ReportedStatus, ReportedValue

    role = getattr(user, "role", "")
    if not allows(role, "reported_value", "view"):
        return []
    items: list[Todo] = []
    base = ReportedValue.objects.for_user(user, "view").select_related("plan_indicator", "definition", "region")
    if allows(role, "reported_value", "approve"):
        waiting = (base.filter(status__in=[ReportedStatus.SUBMITTED, ReportedStatus.APPROVED])
                   .exclude(Q(status=ReportedStatus.SUBMITTED) & Q(entered_by=user)).order_by("submitted_at", "id"))
        for rv in waiting[:200]:
            verb = "审核填报值" if rv.status == ReportedStatus.SUBMITTED else "发布填报值"
            items.append(Todo("reported_value", f"{verb}：{rv.indicator_name}（{rv.region.name} {rv.year}年）",
                              reverse("indicators:reported_detail", args=[rv.pk]), region_code=rv.region_id,
                              priority=2, detail=rv.department))
    for rv in base.filter(status=ReportedStatus.RETURNED, entered_by=user).order_by("returned_at", "id")[:LIMIT]:
        items.append(Todo("reported_value", f"修改退回的填报值：{rv.indicator_name}（{rv.year}年）",
                          reverse("indicators:reported_detail", args=[rv.pk]), region_code=rv.region_id, priority=4,
                          detail=rv.comment[:60]))
    return _grouped(items, "reported_value", "另有 {n} 条填报值待处理",
                    reverse("indicators:reported_list") + "?status=submitted")


def imports(user: Any) -> Iterable[Todo]:
    from ylyx.imports.models import ImportBatch, Status

    qs = (ImportBatch.objects.for_user(user).filter(uploader=user)
          .filter(Q(status=Status.FAILED, finished_at__gte=timezone.now() - dt.timedelta(days=30))
                  | Q(status=Status.VALIDATED)).order_by("-created_at"))
    out = []
    for b in qs[:LIMIT]:
        if b.status == Status.FAILED or b.rows_rejected:
            title = f"导入有错误：{b.file_name}（{b.rows_rejected or b.issue_count} 处）"
        else:
            title = f"导入已校验，待提交：{b.file_name}"
        out.append(Todo("import", title, reverse("imports:batch", args=[b.pk]), region_code=b.region_id, priority=1))
    return out


def exports(user: Any) -> Iterable[Todo]:
    from ylyx.imports.models import ExportJob, ExportStatus

    if not allows(getattr(user, "role", ""), "export", "approve"):
        return []
    qs = (ExportJob.objects.for_user(user, "approve").filter(status=ExportStatus.PENDING).exclude(requester=user)
          .select_related("requester").order_by("created_at"))
    items = [Todo("export", f"审批导出：{j.title}（{j.requester}，{j.rows_requested} 行）",
                  reverse("imports:export_approvals"), region_code=j.region_id, priority=4,
                  detail=j.reason[:60]) for j in qs[:200]]
    return _grouped(items, "export", "另有 {n} 个导出申请待审批", reverse("imports:export_approvals"))


PROVIDERS = {"filing": filings, "reported_value": reported_values, "import": imports, "export": exports}
