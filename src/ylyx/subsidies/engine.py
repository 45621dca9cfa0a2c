"""The month batch's computation: registry facts at month end → entitlements → diff against last month.

Gathers plain facts with a handful of grouped queries (no per-person query), hands them to ``rules``,
and returns plain rows; ``services.compute_batch`` stores them. System reads: the caller checked that the
batch region is in the user's scope.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q

from ylyx.core.scoping import prefix_q

from . import rules
from .models import Change, LedgerEntry, PayeeKind, PeriodKind, Programme

SYSTEM = "batch computation: the batch region was checked against the user's scope"
ABSENCE_DAYS = 15


def month_bounds(period: str) -> tuple[dt.date, dt.date]:
    y, m = int(period[:4]), int(period[5:7])
    return dt.date(y, m, 1), dt.date(y, m, calendar.monthrange(y, m)[1])


def previous_period(period: str) -> str:
    y, m = int(period[:4]), int(period[5:7])
    return f"{y - 1}-12" if m == 1 else f"{y}-{m - 1:02d}"


def period_of(d: dt.date) -> str:
    return f"{d.year}-{d.month:02d}"


@dataclass
class Line:
    programme: Programme
    payee_key: str
    person_id: int | None
    institution_id: int | None
    region_id: str
    amount: Decimal
    units: int | None
    basis: str
    change: str
    previous: Decimal | None = None
    reason: str = ""
    flags: str = ""


@dataclass
class Computed:
    period: str
    lines: list[Line] = field(default_factory=list)
    persons: int = 0
    institutions: int = 0
    persons_considered: int = 0
    timings: dict[str, float] = field(default_factory=dict)


def programmes_for(region_code: str, start: dt.date, end: dt.date, period_kind: str = PeriodKind.MONTHLY):
    """Active programmes published by the region or any region above it, effective at some day of the month."""
    ancestors = [region_code[:n].ljust(12, "0") for n in (2, 4, 6, 9, 12)]
    return list(Programme.objects.unscoped(SYSTEM).filter(
        region_id__in=ancestors, active=True, period=period_kind, effective_from__lte=end).filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=end)).order_by("id"))


def age_on(birth: dt.date, d: dt.date) -> int:
    return d.year - birth.year - ((d.month, d.day) < (birth.month, birth.day))


def person_facts(prefix: str, start: dt.date, end: dt.date) -> tuple[dict[str, Any], Any, dict[int, str]]:
    """Column facts (numpy arrays) of every person registered under ``prefix`` who is alive and not moved out
    before the month, their ids, and the reason each excluded person with a death or move-out left."""
    import numpy as np
    from django.db import connection

    from ylyx.assessments.services import current_levels
    from ylyx.people.models import ElderlyPerson, Residence

    levels = current_levels(end, prefix=prefix)
    residing = set(Residence.objects.unscoped(SYSTEM).filter(
        prefix_q("region_id", prefix), started_on__lte=end).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gt=end)).values_list("person_id", flat=True).iterator(chunk_size=20000))
    table = ElderlyPerson._meta.db_table
    if connection.vendor == "postgresql":
        ymd = "COALESCE(CAST(to_char({0}, 'YYYYMMDD') AS INTEGER), 0)"
    else:
        ymd = "COALESCE(CAST(REPLACE({0}, '-', '') AS INTEGER), 0)"
    dates = ", ".join(ymd.format(c) for c in ("birth_date", "died_on", "moved_out_on", "registered_on"))
    sql = (f"SELECT id, region_id, economic_status, special_family, disability, {dates} "  # noqa: S608
           f"FROM {table} WHERE region_id >= %s AND region_id < %s")  # names from the model, values bound
    with connection.cursor() as cur:  # plain tuples: the ORM's per-value converters cost more than the query
        cur.execute(sql, [prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)])
        rows = cur.fetchall()
    if not rows:
        return {}, np.array([], dtype=np.int64), {}
    ids, region, econ, special, disability, birth, died, moved, registered = (list(c) for c in zip(*rows, strict=True))
    ids_a = np.array(ids, dtype=np.int64)
    b, d, m, r = (np.array(x, dtype=np.int64) for x in (birth, died, moved, registered))
    s8, e8 = start.year * 10000 + start.month * 100 + start.day, end.year * 10000 + end.month * 100 + end.day
    dead = (d > 0) & (d < s8)
    gone_out = ~dead & (m > 0) & (m < s8)
    gone: dict[int, str] = {}
    for i in np.nonzero(dead | gone_out)[0]:
        v = int(d[i] if dead[i] else m[i])
        gone[int(ids_a[i])] = f"{'去世' if dead[i] else '户籍迁出'}（{v // 10000}-{v // 100 % 100:02d}-{v % 100:02d}）"
    keep = ~dead & ~gone_out & (b > 0) & ((r == 0) | (r <= e8))
    age = (end.year - b // 10000) - ((b % 10000) > (end.month * 100 + end.day)).astype(np.int64)
    level = np.array([levels.get(i, np.nan) for i in ids], dtype=float)
    cols = {
        "age": age[keep].astype(float), "economic_status": np.array(econ, dtype=object)[keep],
        "special_family": np.array(special, dtype=bool)[keep], "disability": np.array(disability, dtype=object)[keep],
        "level": level[keep], "in_institution": np.array([i in residing for i in ids], dtype=bool)[keep],
        "region": np.array(region, dtype=object)[keep],
    }
    return cols, ids_a[keep], gone


def institution_facts(prefix: str, start: dt.date, end: dt.date) -> dict[int, dict[str, Any]]:
    from ylyx.core.gates import refusals
    from ylyx.institutions.models import FILED_STATES, Filing, Institution
    from ylyx.people.models import Enrolment, Residence

    from .models import Absence

    active = Q(started_on__lte=end) & (Q(ended_on__isnull=True) | Q(ended_on__gt=end))
    residents = dict(Residence.objects.unscoped(SYSTEM).filter(prefix_q("region_id", prefix)).filter(active)
                     .values("institution_id").annotate(n=Count("id")).order_by().values_list("institution_id", "n"))
    enrolled = dict(Enrolment.objects.unscoped(SYSTEM).filter(prefix_q("region_id", prefix)).filter(active)
                    .values("institution_id").annotate(n=Count("id")).order_by().values_list("institution_id", "n"))
    away: dict[int, int] = defaultdict(int)
    for inst_id, s, e in Absence.objects.unscoped(SYSTEM).filter(prefix_q("region_id", prefix), started_on__lte=end).filter(
            Q(ended_on__isnull=True) | Q(ended_on__gte=start)).values_list("institution_id", "started_on", "ended_on"):
        days = ((min(e or end, end) - max(s, start)).days + 1)
        if days >= ABSENCE_DAYS:
            away[inst_id] += 1
    filed = dict(Filing.objects.unscoped(SYSTEM).filter(
        prefix_q("institution__region_id", prefix)).values_list("institution_id", "status"))
    from ylyx.regions.models import Region

    urban_counties = set(Region.objects.filter(level=3, urban=True).values_list("code", flat=True))
    out: dict[int, dict[str, Any]] = {}
    for inst in Institution.objects.unscoped(SYSTEM).filter(prefix_q("region_id", prefix)).only(
            "id", "kind", "subtype", "status", "region_id", "beds", "nursing_beds", "places", "affordable_places",
            "opened_on", "closed_on", "name"):
        operating = inst.status == "operating" and (inst.opened_on is None or inst.opened_on <= end) and (
            inst.closed_on is None or inst.closed_on > end)
        refused = refusals("subsidy", inst) if operating else []
        out[inst.pk] = {
            "kind": inst.kind, "subtype": inst.subtype, "status": inst.status if operating else "closed",
            "filed": filed.get(inst.pk) in FILED_STATES, "credit_ok": not refused, "refusals": refused,
            "residents": residents.get(inst.pk, 0), "enrolled": enrolled.get(inst.pk, 0),
            "away_15": away.get(inst.pk, 0), "beds": inst.beds, "nursing_beds": inst.nursing_beds,
            "places": inst.places, "affordable_places": inst.affordable_places, "region": inst.region_id,
            "urban": f"{inst.region_id[:6]}000000" in urban_counties,
        }
    return out


def compute(region_code: str, prefix: str, period: str, *, timings: dict[str, float] | None = None) -> Computed:
    import time

    t = time.perf_counter()
    tm = timings if timings is not None else {}
    start, end = month_bounds(period)
    progs = programmes_for(region_code, start, end)
    person_progs = [p.spec() for p in progs if p.payee == PayeeKind.PERSON]
    inst_progs = [p.spec() for p in progs if p.payee == PayeeKind.INSTITUTION]
    by_id = {p.pk: p for p in progs}
    out = Computed(period)

    import numpy as np

    cols, pids, gone = person_facts(prefix, start, end) if person_progs else ({}, np.array([], dtype=np.int64), {})
    tm["persons_read"] = time.perf_counter() - t
    t = time.perf_counter()
    insts = institution_facts(prefix, start, end) if inst_progs else {}
    tm["institutions_read"] = time.perf_counter() - t
    t = time.perf_counter()

    current: dict[tuple[str, str], Line] = {}
    if len(pids):
        notes: dict[int, str] = {}
        regions = cols["region"]
        for spec, due, many in rules.entitlements_many(person_progs, cols, len(pids), notes):
            p = by_id[spec.id]
            slot = p.slot
            for i in np.nonzero(due)[0]:
                pid = int(pids[i])
                key = f"P{pid}"
                units = None if many.units is None else int(many.units[i])
                current[(slot, key)] = Line(p, key, pid, None, regions[i], Decimal(f"{many.amount[i]:.2f}"), units,
                                            many.basis(int(i)), Change.NEW, flags=notes.get(int(i), ""))
    for iid, f in insts.items():
        key = f"I{iid}"
        due, inst_notes = rules.entitlements(inst_progs, key, f)
        flags = list(inst_notes)
        if f["away_15"]:
            flags.append(f"{f['away_15']} 名在院老人当月离院15天及以上，请核实运营补贴人数")
        for e in due:
            p = by_id[e.programme.id]
            current[(p.slot, key)] = Line(p, key, None, iid, f["region"], e.amount.value, e.amount.units,
                                          e.amount.basis, Change.NEW, flags="；".join(flags)[:200])
    tm["rules"] = time.perf_counter() - t
    t = time.perf_counter()

    # the diff: against what the ledger paid for last month
    prev = previous_period(period)
    from django.db import connection

    sql = (f"SELECT slot, payee_key, programme_id, amount, basis, person_id, institution_id, region_id "  # noqa: S608
           f"FROM {LedgerEntry._meta.db_table} WHERE region_id >= %s AND region_id < %s AND period = %s")
    with connection.cursor() as cur:  # plain tuples, as for the persons
        cur.execute(sql, [prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1), prev])
        prev_rows = {(r[0], r[1]): r[2:] for r in cur.fetchall()}
    monthly = set(Programme.objects.unscoped(SYSTEM).filter(period=PeriodKind.MONTHLY).values_list("id", flat=True))
    prev_rows = {k: v for k, v in prev_rows.items() if v[0] in monthly}
    for k, line in current.items():
        old = prev_rows.get(k)
        if old is None:
            line.change, line.reason = Change.NEW, "本月新符合条件"
        elif Decimal(str(old[1])) != line.amount or old[0] != line.programme.pk:
            line.change, line.previous = Change.CHANGED, Decimal(str(old[1]))
            line.reason = f"上月：{old[2]}"[:200]
        else:
            line.change, line.previous = Change.SAME, Decimal(str(old[1]))
    for k, (prog_id, amount, _basis, person_id, inst_id, region) in prev_rows.items():
        if k in current:
            continue
        if person_id is not None:
            why = gone.get(person_id) or "本月不再符合条件"
        else:
            fi = insts.get(inst_id or 0)
            if fi is None:
                why = "机构不在本区划"
            elif fi["status"] != "operating":
                why = "机构已停业或关停"
            elif not fi["credit_ok"]:
                why = "；".join(fi["refusals"])[:200]
            else:
                why = "本月不再符合条件"
        prog = by_id.get(prog_id) or Programme.objects.unscoped(SYSTEM).get(pk=prog_id)
        current[k] = Line(prog, k[1], person_id, inst_id, region, Decimal(0), None, "", Change.STOPPED,
                          previous=Decimal(str(amount)), reason=why)
    tm["diff"] = time.perf_counter() - t
    out.lines = list(current.values())
    out.persons_considered = len(pids)
    out.persons = len({ln.person_id for ln in out.lines if ln.person_id and ln.change != Change.STOPPED})
    out.institutions = len({ln.institution_id for ln in out.lines if ln.institution_id and ln.change != Change.STOPPED})
    return out
