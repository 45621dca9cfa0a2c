"""Assessment and subsidy records of the neighbouring county for the cross-county probe
(tests/test_neighbour_probe.py); each carries the marker where a page, an export or the API could show it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ylyx import testing


def make_neighbour_records(tree: dict, inst: Any, user: Any, mark: str) -> list[int]:
    from ylyx.assessments.models import Assessment, Status
    from ylyx.people.models import Residence
    from ylyx.subsidies.models import (
        Absence,
        Batch,
        BatchLine,
        ConstructionApplication,
        LedgerEntry,
        Programme,
        Recovery,
    )

    wuyuan = tree["wuyuan"]
    person = testing.make_elderly(tree["wuyuan_village"], address=f"{mark}村9号", birth=dt.date(1940, 2, 2))
    a = Assessment.objects.create(person=person, region_id=person.region_id, assessed_on=dt.date(2026, 3, 1),
                                  status=Status.COMPLETED, level=2, total=60, note=f"{mark}评估",
                                  change_reasons=[f"{mark}依据"], next_due=dt.date(2026, 3, 2))
    prog = Programme.objects.create(region=wuyuan, code="probe", name=f"{mark}县级项目", category="personal",
                                    payee="person", amount={"type": "fixed", "amount": 1},
                                    effective_from=dt.date(2026, 1, 1), document=f"{mark}文件")
    app = ConstructionApplication.objects.create(institution=inst, region_id=inst.region_id, programme=prog,
                                                 build_kind="new", units=3, evidence=f"{mark}材料",
                                                 basis=f"{mark}依据", amount=Decimal("98765.43"))
    batch = Batch.objects.create(region=wuyuan, period="2026-03", month_end=dt.date(2026, 3, 31), status="computed")
    line = BatchLine.objects.create(batch=batch, programme=prog, payee_key=f"P{person.pk}", person=person,
                                    region_id=person.region_id, amount=Decimal(1), change="new", reason=f"{mark}原因")
    entry = LedgerEntry.objects.create(programme=prog, slot=prog.slot, payee_key=f"P{person.pk}", person=person,
                                       region_id=person.region_id, period="2026-02", amount=Decimal(1),
                                       basis=f"{mark}台账")
    rec = Recovery.objects.create(entry=entry, person=person, region_id=person.region_id, amount=Decimal(1),
                                  reason=f"{mark}追缴")
    stay = Residence.objects.create(person=person, institution=inst, region_id=inst.region_id,
                                    started_on=dt.date(2026, 1, 1))
    ab = Absence.objects.create(residence=stay, institution=inst, region_id=inst.region_id,
                                started_on=dt.date(2026, 2, 1), reason=f"{mark}离院")
    return [a.pk, prog.pk, app.pk, batch.pk, line.pk, entry.pk, rec.pk, ab.pk]
