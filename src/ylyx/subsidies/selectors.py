"""Subsidy reads for pages and API, always through ``for_user``: the county dashboard and the cross-check
report (paid after death, duplicate ID across counties, black-listed or closed institution, bed subsidy
above registered beds)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils import timezone

from ylyx.core.gates import refusals
from ylyx.regions.models import Region

from .engine import month_bounds, period_of
from .models import ApplicationStatus, ConstructionApplication, LedgerEntry, Recovery, RecoveryStatus


def latest_period(user: Any) -> str:
    p = LedgerEntry.objects.for_user(user, "view").exclude(period__startswith="A").order_by("-period").values_list(
        "period", flat=True).first()
    return p or period_of(timezone.localdate())


def dashboard(user: Any, period: str) -> list[dict[str, Any]]:
    """Per county of the user's scope: payees and amounts of the period, open recoveries, re-assessments due."""
    from ylyx.assessments.models import Assessment, Status

    ledger = LedgerEntry.objects.for_user(user, "view").filter(period=period)
    rows: dict[str, dict[str, Any]] = defaultdict(lambda: {"persons": 0, "institutions": 0, "amount": Decimal(0),
                                                           "recoveries": 0, "recovery_amount": Decimal(0), "due": 0})
    for r in ledger.values("region_id").annotate(p=Count("person_id", distinct=True),
                                                 i=Count("institution_id", distinct=True), s=Sum("amount")).order_by():
        c = rows[r["region_id"][:6]]
        c["persons"] += r["p"]
        c["institutions"] += r["i"]
        c["amount"] += r["s"] or 0
    for r in Recovery.objects.for_user(user, "view").filter(status=RecoveryStatus.OPEN).values("region_id").annotate(
            n=Count("id"), s=Sum("amount")).order_by():
        c = rows[r["region_id"][:6]]
        c["recoveries"] += r["n"]
        c["recovery_amount"] += r["s"] or 0
    today = timezone.localdate()
    for r in Assessment.objects.for_user(user, "view").filter(status=Status.COMPLETED, is_legacy=False,
                                                               next_due__lte=today).values("region_id").annotate(
            n=Count("id")).order_by():
        rows[r["region_id"][:6]]["due"] += r["n"]
    names = dict(Region.objects.filter(code__in=[f"{c}000000" for c in rows]).values_list("code", "name"))
    return [{"code": f"{c}000000", "name": names.get(f"{c}000000", c), **v} for c, v in sorted(rows.items())]


@dataclass(frozen=True)
class Finding:
    check: str
    region_code: str
    subject: str
    detail: str
    amount: Decimal | None = None


CHECKS = {"after_death": "去世或迁出后仍发放", "duplicate_id": "同一身份证号在多个旗县区发放",
          "blacklisted": "失信、停业或关停机构获得补贴", "beds_exceeded": "建设补助床位/托位超过登记数"}


def cross_checks(user: Any, period: str) -> list[Finding]:
    out: list[Finding] = []
    start, _ = month_bounds(period)
    ledger = LedgerEntry.objects.for_user(user, "view")
    # 1. paid for a period after death or move-out
    after = ledger.filter(person__isnull=False).exclude(period__startswith="A").filter(
        Q(person__died_on__isnull=False) | Q(person__moved_out_on__isnull=False)).select_related("person", "programme")
    for e in after.order_by("period", "id")[:2000]:
        p = e.person
        gone = p.died_on or p.moved_out_on
        if gone is not None and e.period > period_of(gone):
            out.append(Finding("after_death", e.region_id, p.name_masked,
                               f"{'去世' if p.died_on else '迁出'} {gone:%Y-%m-%d}，仍发放 {e.period} {e.programme.name}",
                               e.amount))
    # 2. one ID number paid in two counties in the same period
    counties: dict[str, set[str]] = defaultdict(set)
    names: dict[str, str] = {}
    for bidx, region, name in ledger.filter(period=period, person__isnull=False).values_list(
            "person__id_bidx", "region_id", "person__name"):
        if bidx:
            counties[bidx].add(region[:6])
            names[bidx] = name
    for bidx, cs in counties.items():
        if len(cs) > 1:
            from ylyx.core.mask import mask_name

            out.append(Finding("duplicate_id", sorted(cs)[0].ljust(12, "0"), mask_name(names[bidx]),
                               f"{period} 在 {len(cs)} 个旗县区发放：{'、'.join(sorted(cs))}"))
    # 3. institutions paid while black-listed, suspended or closed
    paid = ledger.filter(period=period, institution__isnull=False).select_related("institution", "programme")
    seen: set[int] = set()
    for e in paid:
        inst = e.institution
        if inst.pk in seen:
            continue
        seen.add(inst.pk)
        why = []
        if inst.status != "operating" or (inst.closed_on and inst.closed_on < start):
            why.append(f"机构状态：{inst.get_status_display()}")
        why.extend(refusals("subsidy", inst))
        if why:
            out.append(Finding("blacklisted", inst.region_id, inst.name, "；".join(why), e.amount))
    # 4. construction subsidy for more beds/places than registered
    apps = ConstructionApplication.objects.for_user(user, "view").filter(
        status__in=[ApplicationStatus.APPROVED, ApplicationStatus.PAID]).values(
        "institution_id", "institution__name", "institution__kind", "institution__beds", "institution__places",
        "region_id").annotate(units=Sum("units")).order_by()
    for a in apps:
        cap = a["institution__places"] if a["institution__kind"] == "childcare" else a["institution__beds"]
        if a["units"] > cap:
            out.append(Finding("beds_exceeded", a["region_id"], a["institution__name"],
                               f"累计补助 {a['units']} 张/个，登记 {cap} 张/个"))
    return out


def month_choices(n: int = 24, today: dt.date | None = None) -> list[str]:
    d = today or timezone.localdate()
    out = []
    y, m = d.year, d.month
    for _ in range(n):
        out.append(f"{y}-{m:02d}")
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return out
