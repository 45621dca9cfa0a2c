"""Supervision records of the neighbouring county for the cross-county probe (tests/test_neighbour_probe.py).

Each carries the probe's marker somewhere a page, an export or the API could show it. Nothing here is
public (no committed draw, no published result, no black-list entry), so the marker may appear only where
a scoping rule failed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ylyx.supervision.models import (
    Assignment,
    Complaint,
    CreditEvent,
    Incident,
    IncidentLog,
    Inspection,
    InspectionPlan,
    InspectionStatus,
    InspectionTask,
    Inspector,
    InspectorConflict,
    ItemResult,
    Rectification,
)


def make_neighbour_records(tree: dict, inst: Any, user: Any, mark: str) -> list[int]:
    """Returns the ids to probe with."""
    from django.utils import timezone

    wuyuan = tree["wuyuan"]
    inspector = Inspector.objects.create(code="WY-001", name=f"{mark}检查员", department=f"{mark}卫健局",
                                         region=wuyuan, domains=["childcare"])
    other = Inspector.objects.create(code="WY-002", name="乙检查员", department="五原县卫健局", region=wuyuan,
                                     domains=["childcare"])
    InspectorConflict.objects.create(inspector=inspector, institution=inst, reason=f"{mark}亲属",
                                     declared_on=dt.date(2025, 1, 1))
    plan = InspectionPlan.objects.create(
        title=f"{mark}抽查计划", year=2025, region=wuyuan, department=f"{mark}卫健局", domain="childcare",
        kinds=["childcare"], ratio="0.2000", weights={"A": "0.5", "B": "1", "C": "1.5", "D": "2"},
        checklist="childcare", period_start=dt.date(2025, 1, 1), period_end=dt.date(2025, 12, 31), status="active")
    task = InspectionTask.objects.create(plan=plan, name=f"{mark}批次", period_start=dt.date(2025, 1, 1),
                                         period_end=dt.date(2025, 12, 31))
    insp = Inspection.objects.create(
        task=task, institution=inst, region_id=inst.region_id, domain="childcare", kind="random",
        checklist="childcare", status=InspectionStatus.DONE, inspected_on=dt.date(2025, 3, 3), outcome="minor",
        summary=f"{mark}检查情况", publish_due=dt.date(2025, 3, 31))
    Assignment.objects.create(inspection=insp, inspector=other, lead=True)
    ItemResult.objects.create(inspection=insp, code="C09", text="户外活动", basis="管理规范", severity="low",
                              result="fail", note=f"{mark}问题")
    rect = Rectification.objects.create(inspection=insp, item_code="C09", institution=inst, region_id=inst.region_id,
                                        domain="childcare", description=f"{mark}整改要求", severity="low",
                                        deadline=dt.date(2025, 5, 2))
    event = CreditEvent.objects.create(institution=inst, region_id=inst.region_id, domain="childcare",
                                       kind="inspection_minor", label="检查发现问题", points=-3,
                                       on=dt.date(2025, 3, 3), note=f"{mark}信用说明")
    complaint = Complaint.objects.create(
        number="TS202599999", channel="phone", received_on=dt.date(2025, 3, 1), received_by=user,
        complainant_name=f"{mark}人", institution=inst, region_id=inst.region_id, domain="childcare",
        category=f"{mark}类别", summary=f"{mark}投诉内容", due_on=dt.date(2025, 3, 21))
    now = timezone.now()
    incident = Incident.objects.create(
        institution=inst, region_id=inst.region_id, domain="childcare", type="injury", severity="4",
        occurred_at=now, reported_at=now, reported_by=user, description=f"{mark}事件经过", level="county")
    IncidentLog.objects.create(incident=incident, at=now, by=user, kind="report", text=f"{mark}处置")
    return [inspector.pk, plan.pk, task.pk, insp.pk, rect.pk, event.pk, complaint.pk, incident.pk]
