"""Reads for supervision pages, the API, to-dos and the credit gate: always through ``for_user``, or
``unscoped(reason)`` where a system check (the gate) or a public page (published results) reads.

``credit_effects`` is the ONE function other modules use to learn what a subject's credit means
(blocked from subsidies, 普惠 status and new filings; the sampling weight); ``credit_gate`` answers the
shared gate (core/gates.py) from it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from ylyx.core.gates import PURPOSES
from ylyx.core.scoping import prefix_q
from ylyx.regions.models import Region

from .models import (
    Complaint,
    ComplaintStatus,
    CreditEvent,
    CreditListEntry,
    CreditRating,
    EntryStatus,
    Incident,
    IncidentStatus,
    Inspection,
    InspectionStatus,
    InspectionTask,
    ListType,
    Rectification,
    RectificationStatus,
    TaskStatus,
)
from .workdays import WorkCalendar

GATE_READ = "credit check of a subject the calling service already holds in scope"
PUBLIC_READ = "published results are public by law (企业信息公示暂行条例 第六条)"


# ---------------------------------------------------------------------------------------------------
# credit effects: the one function


@dataclass(frozen=True)
class CreditEffects:
    credit_class: str
    rated_year: int | None
    black: tuple[CreditListEntry, ...] = ()
    red: tuple[CreditListEntry, ...] = ()
    sampling_weight: Decimal = Decimal(1)
    refusals: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def blacklisted(self) -> bool:
        return bool(self.black)


def _subject_q(subject: Any) -> Q | None:
    from ylyx.institutions.models import Institution
    from ylyx.workforce.models import Practitioner

    if isinstance(subject, Institution):
        return Q(institution_id=subject.pk)
    if isinstance(subject, Practitioner):
        return Q(practitioner_id=subject.pk)
    return None


def credit_effects(subject: Any, on: dt.date | None = None) -> CreditEffects:
    """What a subject's credit means on ``on``: its class (last finished year's rating, else the default),
    active list entries, its sampling weight and, per gate purpose, the reasons to refuse."""
    on = on or timezone.localdate()
    cfg = settings.SUPERVISION_CREDIT
    q = _subject_q(subject)
    if q is None:
        return CreditEffects(cfg["default_class"], None)
    rating = (CreditRating.objects.unscoped(GATE_READ).filter(q, year__lt=on.year).order_by("-year")
              .values_list("year", "credit_class").first())
    cls = rating[1] if rating else cfg["default_class"]
    entries = list(CreditListEntry.objects.unscoped(GATE_READ).filter(q, status=EntryStatus.ACTIVE, entered_on__lte=on)
                   .filter(Q(expires_on__isnull=True) | Q(expires_on__gt=on)).order_by("entered_on", "id"))
    black = tuple(e for e in entries if e.list_type == ListType.BLACK)
    red = tuple(e for e in entries if e.list_type == ListType.RED)
    refusals: dict[str, list[str]] = {p: [] for p in PURPOSES}
    from ylyx.institutions.models import Institution

    who = "该机构" if isinstance(subject, Institution) else "该从业人员"
    for e in black:
        for purpose, label in PURPOSES.items():
            refusals[purpose].append(f"{who}已于 {e.entered_on:%Y-%m-%d} 列入失信名单（{e.reason}），不得{label}；"
                                     "完成信用修复后方可办理")
    if cls == "D" and not black:
        refusals["affordable"].append(f"{who}上一年度信用等级为 D，不得认定为普惠")
    weight = Decimal(str(cfg["weights"].get(cls, "1")))
    return CreditEffects(cls, rating[0] if rating else None, black, red, weight,
                         {k: tuple(v) for k, v in refusals.items()})


def credit_gate(purpose: str, subject: Any) -> list[str]:
    """The gate registered in core.gates: the refusals of ``credit_effects`` for the purpose."""
    return list(credit_effects(subject).refusals.get(purpose, ()))


def credit_file(subject: Any) -> dict[str, Any]:
    """An institution's or practitioner's credit file (the caller fetched the subject in scope)."""
    q = _subject_q(subject)
    if q is None:
        return {}
    return {
        "effects": credit_effects(subject),
        "ratings": list(CreditRating.objects.unscoped(GATE_READ).filter(q).order_by("-year")),
        "events": list(CreditEvent.objects.unscoped(GATE_READ).filter(q).order_by("-on", "-id")[:200]),
        "entries": list(CreditListEntry.objects.unscoped(GATE_READ).filter(q).prefetch_related("appeals")
                        .order_by("-entered_on", "-id")),
    }


# ---------------------------------------------------------------------------------------------------
# the publication clock


@dataclass(frozen=True)
class ClockRow:
    inspection: Inspection
    due: dt.date
    state: str  # overdue / soon / ok
    workdays_left: int | None
    provisional: bool


def publication_clock(user: Any, on: dt.date | None = None, calendar: WorkCalendar | None = None) -> list[ClockRow]:
    """Finished, unpublished results with their deadline: overdue first, then the soonest."""
    on = on or timezone.localdate()
    cal = calendar or WorkCalendar.from_config(settings.SUPERVISION_CALENDAR_SUPPLEMENT)
    warn = settings.SUPERVISION["publish_warn_workdays"]
    rows = []
    qs = (Inspection.objects.for_user(user, "view").filter(status=InspectionStatus.DONE, publish_due__isnull=False)
          .select_related("institution", "region").order_by("publish_due", "id"))
    for insp in qs[:500]:
        due = insp.publish_due
        assert due is not None
        if due < on:
            rows.append(ClockRow(insp, due, "overdue", None, insp.publish_due_provisional))
            continue
        left = cal.count(on, due, provisional=True)
        rows.append(ClockRow(insp, due, "soon" if left <= warn else "ok", left, insp.publish_due_provisional))
    return rows


# ---------------------------------------------------------------------------------------------------
# lists and pages


def tasks_for(user: Any):
    return InspectionTask.objects.for_user(user, "view").select_related("plan", "plan__region")


def my_inspections(user: Any):
    """What an inspector has to do: assigned and not finished, soonest task end first."""
    return (Inspection.objects.for_user(user, "view")
            .filter(status__in=[InspectionStatus.ASSIGNED, InspectionStatus.IN_PROGRESS])
            .select_related("institution", "task").order_by("task__period_end", "id"))


def open_rectifications(user: Any):
    return (Rectification.objects.for_user(user, "view").exclude(status=RectificationStatus.CLOSED)
            .select_related("institution").order_by("deadline", "id"))


def counts(user: Any, on: dt.date | None = None) -> dict[str, int]:
    """The numbers on the supervision home page, each from the user's own scope."""
    on = on or timezone.localdate()
    out = {}
    out["tasks_pending"] = InspectionTask.objects.for_user(user, "view").filter(
        status__in=[TaskStatus.PENDING]).count()
    insp = Inspection.objects.for_user(user, "view")
    out["inspections_open"] = insp.filter(status__in=[InspectionStatus.ASSIGNED, InspectionStatus.IN_PROGRESS]).count()
    out["to_publish"] = insp.filter(status=InspectionStatus.DONE).count()
    out["publish_overdue"] = insp.filter(status=InspectionStatus.DONE, publish_due__lt=on).count()
    rect = Rectification.objects.for_user(user, "view").exclude(status=RectificationStatus.CLOSED)
    out["rect_open"] = rect.count()
    out["rect_overdue"] = rect.filter(deadline__lt=on).count()
    out["black"] = CreditListEntry.objects.for_user(user, "view").filter(
        list_type=ListType.BLACK, status=EntryStatus.ACTIVE).count()
    comp = Complaint.objects.for_user(user, "view").exclude(status=ComplaintStatus.CLOSED)
    out["complaints_open"] = comp.count()
    out["complaints_overdue"] = comp.filter(due_on__lt=on).count()
    out["incidents_open"] = Incident.objects.for_user(user, "view").filter(status=IncidentStatus.OPEN).count()
    return out


def dashboard(root: Region, on: dt.date) -> dict[str, Any]:
    """The six supervision indicators at ``root`` and the regions one level below (the caller checked scope)."""
    from ylyx.indicators import formulas as IF
    from ylyx.indicators.selectors import gather

    from .metrics import CODES

    defs = [IF.CATALOGUE[c] for c in CODES]
    g = gather(root, [on], IF.metrics_for(CODES))
    values = g.at(0)
    children = [c for c in sorted(g.tree.children.get(root.code, []))]
    names = dict(Region.objects.filter(code__in=[root.code, *children]).values_list("code", "name"))

    def row(code: str) -> dict[str, Any]:
        return {"code": code, "name": names.get(code, code),
                "values": [IF.evaluate(d, values, code) for d in defs]}

    return {"definitions": defs, "root": row(root.code), "children": [row(c) for c in children], "on": on,
            "queries": g.queries}


def published_results(region_prefix: str = "", limit: int = 200):
    """The public list: published inspections, newest first (institution names are public; people are not)."""
    qs = (Inspection.objects.unscoped(PUBLIC_READ).filter(status=InspectionStatus.PUBLISHED)
          .select_related("institution", "region", "task").order_by("-published_at", "-id"))
    if region_prefix:
        qs = qs.filter(prefix_q("region_id", region_prefix))
    return qs[:limit]


def public_inspection(pk: int) -> Inspection | None:
    return (Inspection.objects.unscoped(PUBLIC_READ).filter(pk=pk, status=InspectionStatus.PUBLISHED)
            .select_related("institution", "region", "task").first())


def public_tasks(limit: int = 100):
    """Draws whose commitment is published (before and after the draw), newest first."""
    return (InspectionTask.objects.unscoped("committed draws are published for anyone to verify")
            .exclude(commitment="").select_related("plan", "plan__region").order_by("-committed_at")[:limit])


def public_task(pk: int) -> InspectionTask | None:
    return (InspectionTask.objects.unscoped("committed draws are published for anyone to verify")
            .exclude(commitment="").select_related("plan", "plan__region").filter(pk=pk).first())


def public_black_list(limit: int = 500):
    """失信名单 of institutions (public, 联合惩戒); practitioners' entries are not published here."""
    return (CreditListEntry.objects.unscoped("the black list of institutions is published")
            .filter(list_type=ListType.BLACK, status=EntryStatus.ACTIVE, institution__isnull=False)
            .select_related("institution", "region").order_by("-entered_on")[:limit])


def capacity_candidates(user: Any, incident: Incident, limit: int = 20) -> list[dict[str, Any]]:
    """Institutions of the same kind near the incident (its county first, then the city) with free capacity."""
    from ylyx.institutions.models import Institution

    inst = incident.institution
    same = Institution.objects.for_user(user, "view").filter(kind=inst.kind, status="operating").exclude(pk=inst.pk)
    out = []
    if inst.kind == "childcare":
        open_e = Q(enrolments__ended_on__isnull=True)
        rows = same.annotate(used=Count("enrolments", filter=open_e)).values("pk", "name", "region_id", "places", "used")
        cap = "places"
    else:
        open_r = Q(residences__ended_on__isnull=True)
        rows = same.annotate(used=Count("residences", filter=open_r)).values("pk", "name", "region_id", "beds", "used")
        cap = "beds"
    for r in rows:
        free = (r[cap] or 0) - (r["used"] or 0)
        if free > 0:
            out.append({"id": r["pk"], "name": r["name"], "region_id": r["region_id"], "free": free,
                        "same_county": r["region_id"][:6] == inst.region_id[:6]})
    out.sort(key=lambda x: (not x["same_county"], -x["free"], x["id"]))
    return out[:limit]
