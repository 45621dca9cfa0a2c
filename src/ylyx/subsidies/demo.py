"""Demo data for assessments and subsidies (called from the demo build): the shipped programmes for the demo
city, assessor qualifications for the demo officers, GB/T 42195 assessments for every resident of an
institution and a sample of home-living elderly (levels distributed plausibly, answers consistent with the
scorer), a few construction applications in every state, a few absences, and two years of monthly batches
(2024-01 … 2025-12, the demo's horizon) computed from the registry and approved through the ledger — at full
scale the last six months unless ``YLYX_DEMO_SUBSIDY_MONTHS=24`` (about 10 s a month there).

Older batches keep only the lines that explain a difference (新增/变更/停发); the ledger keeps every payment.
All synthetic; deterministic for a seed.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

import numpy as np

CITY = "150800000000"
HOME_SAMPLE = 0.04  # share of home-living elderly assessed
POOR_SAMPLE = 0.35  # share of home-living elderly in economic difficulty assessed (their allowances need a level)
FULL_HISTORY_UP_TO = 150_000  # elderly: up to this many, the demo computes two years of batches; above, MONTHS_LARGE
MONTHS_LARGE = 6
POOR = ("dibao", "dibao_edge", "tekun", "hardship")
# level shares (能力完好 … 完全失能) [illustrative]
RESIDENT_LEVELS = np.array([0.08, 0.27, 0.30, 0.20, 0.15])
NURSING_LEVELS = np.array([0.02, 0.13, 0.30, 0.30, 0.25])
HOME_LEVELS = np.array([0.55, 0.30, 0.09, 0.04, 0.02])
POOR_LEVELS = np.array([0.35, 0.35, 0.15, 0.10, 0.05])
FIRST_PERIOD, LAST_PERIOD = "2024-01", "2025-12"


def _answers_for(rng: np.random.Generator, level: int, items, maxima: np.ndarray) -> dict[str, int]:
    """Item scores whose total falls in the level's band: start from the maxima and take points away."""
    from ylyx.assessments.scoring import LEVELS

    lo, hi = LEVELS[level][2], LEVELS[level][3]
    target = int(rng.integers(lo, hi + 1))
    scores = maxima.copy()
    drop = int(maxima.sum()) - target
    while drop > 0:
        i = int(rng.integers(0, len(scores)))
        if scores[i] > 0:
            k = min(drop, int(rng.integers(1, scores[i] + 1)))
            scores[i] -= k
            drop -= k
    return {it.code: int(s) for it, s in zip(items, scores, strict=True)}


def _periods(first: str, last: str) -> list[str]:
    y, m = int(first[:4]), int(first[5:])
    out = []
    while f"{y}-{m:02d}" <= last:
        out.append(f"{y}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def build(rng: np.random.Generator, log: Callable[[str], None] = print, *, batches: bool = True) -> dict[str, int]:
    from django.core.exceptions import ValidationError
    from django.db import transaction
    from django.utils import timezone

    from ylyx.accounts.models import User
    from ylyx.assessments import scoring
    from ylyx.assessments.models import Assessment, AssessorQualification, Reason, Status
    from ylyx.assessments.services import add_months
    from ylyx.institutions.models import CapacityRecord, Institution
    from ylyx.people.models import ElderlyPerson, Residence
    from ylyx.regions.models import Region

    from . import services
    from .models import Absence, ConstructionApplication, Programme

    counts: dict[str, int] = {}
    city = Region.objects.get(code=CITY)
    services.load_programmes(city)
    counts["programmes"] = Programme.objects.unscoped("demo").count()

    # --- assessors: the demo officers (two per county would sign; the demo has one county officer each) --
    officers = list(User.objects.filter(username__in=["demo_linhe", "demo_wuyuan", "demo_jiedao", "demo_minzheng"]))
    for n, u in enumerate(officers, start=1):
        AssessorQualification.objects.get_or_create(
            certificate_no=f"PG1508{n:04d}", defaults=dict(user=u, region=u.region or city, issued_by="巴彦淖尔市民政局（演示）",
                                                           valid_from=dt.date(2022, 1, 1), valid_to=dt.date(2027, 12, 31)))
    counts["assessors"] = len(officers)
    minzheng = next((u for u in officers if u.username == "demo_minzheng"), None)
    by_region = {u.region_id[:6]: u for u in officers if u.region_id and u.role == "county_officer"}

    # --- assessments --------------------------------------------------------------------------------
    t = time.perf_counter()
    items = scoring.ITEMS
    maxima = np.array([i.max for i in items])
    stays = list(Residence.objects.unscoped("demo").filter(started_on__lte=dt.date(2025, 12, 31)).values_list(
        "person_id", "institution_id", "bed_type", "started_on", "region_id"))
    resident_ids = {s[0] for s in stays}
    home = list(ElderlyPerson.objects.unscoped("demo").exclude(pk__in=resident_ids).filter(
        died_on__isnull=True, moved_out_on__isnull=True).values_list("id", "region_id", "economic_status"))
    pick = rng.random(len(home))
    chosen = [(pid, region, econ) for (pid, region, econ), r in zip(home, pick, strict=True)
              if r < (POOR_SAMPLE if econ in POOR else HOME_SAMPLE)]
    cfg = scoring.Config()
    rows: list[Assessment] = []
    start_day = dt.date(2023, 1, 1).toordinal()
    span = dt.date(2025, 11, 30).toordinal() - start_day

    def make(pid: int, region: str, inst_id: int | None, shares: np.ndarray, earliest: dt.date, reason: str) -> None:
        level = int(rng.choice(5, p=shares))
        answers = _answers_for(rng, level, items, maxima)
        cond = scoring.Conditions(dementia=bool(rng.random() < 0.04),
                                  risk_events={"fall": int(rng.random() < 0.05) * 2})
        res = scoring.score(answers, cond, cfg)
        on = dt.date.fromordinal(max(start_day + int(rng.integers(0, span)), earliest.toordinal()))
        signer = by_region.get(region[:6])
        rows.append(Assessment(
            person_id=pid, region_id=region, institution_id=inst_id, reason=reason, status=Status.COMPLETED,
            assessed_on=on, answers=answers, progress=len(items), dementia=cond.dementia,
            risk_events=cond.risk_events, self_care=res.scores["self_care"], motor=res.scores["motor"],
            mental=res.scores["mental"], perception=res.scores["perception"], total=res.total,
            preliminary_level=res.preliminary_level, level=res.level, change_reasons=list(res.reasons),
            first_assessor=signer, second_assessor=minzheng if signer is not None and signer != minzheng else None,
            completed_at=timezone.now(), next_due=add_months(on, 12)))

    for pid, inst_id, bed, started, region in stays:
        make(pid, region, inst_id, NURSING_LEVELS if bed == "nursing" else RESIDENT_LEVELS, started, Reason.ADMISSION)
    for pid, region, econ in chosen:
        make(pid, region, None, POOR_LEVELS if econ in POOR else HOME_LEVELS, dt.date(2023, 1, 1), Reason.INITIAL)
    # a few drafts and submissions waiting for the second assessor (the to-do list)
    for a in rows[:15]:
        a.status, a.level, a.completed_at, a.next_due = Status.SUBMITTED, a.level, None, None
    # legacy MZ/T 039 results for some residents, kept as history
    legacy = [Assessment(person_id=a.person_id, region_id=a.region_id, standard="mzt039", is_legacy=True,
                         reason=Reason.LEGACY, status=Status.COMPLETED, assessed_on=dt.date(2019, 6, 1),
                         legacy_result=("能力完好", "轻度失能", "中度失能", "重度失能")[min(3, a.level or 0)],
                         completed_at=timezone.now()) for a in rows[15:15 + 200]]
    with transaction.atomic():
        Assessment.objects.bulk_create(rows + legacy, batch_size=5000)
    counts["assessments"] = len(rows)
    counts["assessments_legacy"] = len(legacy)
    log(f"    能力评估 {len(rows)} 条（在住 {len(stays)}，居家抽样与经济困难 {len(chosen)}），用时 {time.perf_counter() - t:.1f} s")

    # --- construction applications, absences ------------------------------------------------------------
    progs = {p.code: p for p in Programme.objects.unscoped("demo")}
    apps = []
    insts = list(Institution.objects.unscoped("demo").filter(status="operating", kind__in=["elder", "childcare"])
                 .exclude(subtype__in=["tekun", "public"]).order_by("id")[:24])
    states = ["submitted", "submitted", "reviewed", "reviewed", "returned", "paid", "paid", "paid"]
    for n, inst in enumerate(insts):
        elder = inst.kind == "elder"
        kind = ("new", "renovated", "leased")[n % 3] if elder else ("new", "renovated")[n % 2]
        cap = inst.beds if elder else inst.places
        units = max(1, min(cap, int(rng.integers(10, 60))))
        cr = CapacityRecord.objects.unscoped("demo").filter(institution=inst).order_by("-valid_from").first()
        app = ConstructionApplication(institution=inst, region_id=inst.region_id,
                                      programme=progs["elder_construction" if elder else "childcare_construction"],
                                      build_kind=kind, urban=inst.region_id.startswith("150802"), units=units,
                                      lease_years=8 if kind == "leased" else None, capacity_record=cr,
                                      evidence="备案回执、竣工验收报告、床位（托位）变更记录（演示）")
        due = services.evaluate_application(app)
        app.amount, app.basis = due.value, due.basis[:200]
        app.status = "submitted"
        app.save()
        state = states[n % len(states)]
        if state in ("reviewed", "paid", "returned"):
            app.status = "returned" if state == "returned" else "reviewed"
            app.comment = "请补充租赁合同" if state == "returned" else "材料齐全"
            app.reviewed_by = by_region.get(inst.region_id[:6])
            app.reviewed_at = timezone.now()
            app.save()
        if state == "paid" and minzheng is not None:
            try:
                services.decide(minzheng, app, approve=True, comment="同意")
            except ValidationError:  # e.g. the institution is on the black list: stays with the city
                pass
        apps.append(app)
    counts["applications"] = len(apps)
    absences = []
    for pid, inst_id, _bed, _started, _region in stays[:: max(1, len(stays) // 60)][:60]:
        res = Residence.objects.unscoped("demo").filter(person_id=pid, institution_id=inst_id).first()
        if res is None:
            continue
        s = dt.date(2025, 11, int(rng.integers(1, 12)))
        absences.append(Absence(residence=res, institution_id=inst_id, region_id=res.region_id, started_on=s,
                                ended_on=s + dt.timedelta(days=int(rng.integers(3, 25))), reason="住院"))
    Absence.objects.bulk_create(absences)
    counts["absences"] = len(absences)

    # --- two years of monthly batches ----------------------------------------------------------------
    if batches:
        t = time.perf_counter()
        periods = _periods(FIRST_PERIOD, LAST_PERIOD)
        # Two years at every scale would cost about 10 s a month at full scale (518,000 elderly): a full-scale
        # build computes the last MONTHS_LARGE months unless YLYX_DEMO_SUBSIDY_MONTHS says otherwise.
        import os

        n_elderly = ElderlyPerson.objects.unscoped("demo").count()
        months = int(os.environ.get("YLYX_DEMO_SUBSIDY_MONTHS") or (
            len(periods) if n_elderly <= FULL_HISTORY_UP_TO else MONTHS_LARGE))
        periods = periods[-max(1, min(months, len(periods))):]
        lines = paid = 0
        for n, period in enumerate(periods):
            b = services.compute_batch_for(city, period, user=minzheng)
            if period == periods[-1]:  # the newest month waits for approval (the to-do list)
                lines += b.lines_count
                break
            b = services.approve_batch_for(b, user=minzheng)
            lines += b.lines_count
            paid += 1
            if n < len(periods) - 3:
                services.compact_batch(b)
        counts["batches"] = len(periods)
        counts["batch_lines"] = lines
        log(f"    月度批次 {len(periods)} 个（{periods[0]}—{periods[-1]}），{lines} 笔，用时 {time.perf_counter() - t:.1f} s")
    return counts
