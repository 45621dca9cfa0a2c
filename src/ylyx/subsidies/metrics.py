"""Subsidy and assessment indicators for the indicator engine (registered in ``SubsidiesConfig.ready``).

补贴覆盖率 = 当月享受个人补贴的老年人数 ÷ 登记在册老年人数 × 100;
失能老年人评估率 = 在住老年人中有有效能力评估（复评期内的 GB/T 42195 评估）的人数 ÷ 在住老年人数 × 100;
护理型床位中失能老人入住率 = 住护理型床位且评估为失能（等级 ≥ 1）的老年人数 ÷ 养老机构护理型床位数 × 100.
Definitions are [U] (no official 口径 found); docs/standards-config.md.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from django.db.models import Count, Q

from ylyx.core.scoping import prefix_q
from ylyx.indicators import formulas as IF
from ylyx.indicators.selectors import register_metric_source

AGG = "sums over a region prefix for the indicator engine; pages check the region is in the user's scope"

METRICS = [
    IF.Metric("elderly_registered", "该日登记在册（未去世、未迁出）的老年人数"),
    IF.Metric("elderly_subsidised", "该日所在月份享受个人补贴（台账有发放记录）的老年人数"),
    IF.Metric("residents_at", "该日在住老年人数"),
    IF.Metric("residents_assessed", "该日在住且有复评期内能力评估的老年人数"),
    IF.Metric("nursing_disabled_residents", "该日住护理型床位且评估为失能的老年人数"),
]
DEFINITIONS = [
    IF.Definition("subsidy_coverage", "补贴覆盖率", "%", "elderly_subsidised", "elderly_registered", 100,
                  "当月享受高龄津贴、养老服务补贴、护理补贴等个人补贴的老年人数 ÷ 登记在册老年人数 × 100"),
    IF.Definition("disabled_assessment_rate", "失能老年人评估率", "%", "residents_assessed", "residents_at", 100,
                  "在住老年人中有复评期内（GB/T 42195-2022）能力评估的人数 ÷ 在住老年人数 × 100"),
    IF.Definition("nursing_bed_disabled_rate", "护理型床位中失能老人入住率", "%", "nursing_disabled_residents",
                  "nursing_beds_elder", 100,
                  "住护理型床位且能力等级为轻度失能及以上的老年人数 ÷ 养老机构护理型床位数 × 100"),
]
CODES = [d.code for d in DEFINITIONS]


def _pairs(d: dict[str, float]) -> tuple[list[str], list[float]]:
    return list(d), [float(v) for v in d.values()]


def gather(prefix: str, dates: Sequence[dt.date], names: list[str]) -> dict:
    from ylyx.assessments.config import get as acfg
    from ylyx.assessments.models import Assessment, Status
    from ylyx.assessments.services import add_months
    from ylyx.people.models import ElderlyPerson, Residence

    from .engine import period_of
    from .models import Category, LedgerEntry

    dates = list(dates)
    want = set(names)
    out: dict[str, list] = {}
    if "elderly_registered" in want:
        aggs = {f"n{i}": Count("id", filter=(Q(registered_on__isnull=True) | Q(registered_on__lte=d))
                                & (Q(died_on__isnull=True) | Q(died_on__gt=d))
                                & (Q(moved_out_on__isnull=True) | Q(moved_out_on__gt=d))) for i, d in enumerate(dates)}
        rows = list(ElderlyPerson.objects.unscoped(AGG).filter(prefix_q("region_id", prefix)).values("region_id")
                    .annotate(**aggs).order_by())
        out["elderly_registered"] = [_pairs({r["region_id"]: r[f"n{i}"] for r in rows if r[f"n{i}"]})
                                     for i in range(len(dates))]
    if "elderly_subsidised" in want:
        series = []
        for d in dates:
            rows = (LedgerEntry.objects.unscoped(AGG).filter(prefix_q("region_id", prefix), period=period_of(d),
                                                             programme__category=Category.PERSONAL)
                    .values("region_id").annotate(n=Count("person_id", distinct=True)).order_by())
            series.append(_pairs({r["region_id"]: r["n"] for r in rows}))
        out["elderly_subsidised"] = series
    res_names = {"residents_at", "residents_assessed", "nursing_disabled_residents"} & want
    if res_names:
        months = int(acfg("reassess_months"))
        first, last = min(dates), max(dates)
        stays = list(Residence.objects.unscoped(AGG).filter(prefix_q("region_id", prefix), started_on__lte=last)
                     .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=first))
                     .values_list("person_id", "region_id", "bed_type", "started_on", "ended_on"))
        hist: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
        for pid, on, level in Assessment.objects.unscoped(AGG).filter(
                prefix_q("region_id", prefix[:6] if len(prefix) > 6 else prefix), status=Status.COMPLETED,
                is_legacy=False, assessed_on__lte=last).order_by("assessed_on", "id").values_list(
                "person_id", "assessed_on", "level"):
            hist[pid].append((on, level))
        at: list[dict[str, float]] = [defaultdict(float) for _ in dates]
        assessed: list[dict[str, float]] = [defaultdict(float) for _ in dates]
        disabled: list[dict[str, float]] = [defaultdict(float) for _ in dates]
        for pid, region, bed, s, e in stays:
            for i, d in enumerate(dates):
                if not (s <= d and (e is None or e > d)):
                    continue
                at[i][region] += 1
                cur = None
                for on, level in hist.get(pid, ()):
                    if on <= d:
                        cur = (on, level)
                if cur is not None and add_months(cur[0], months) > d:
                    assessed[i][region] += 1
                if cur is not None and bed == "nursing" and cur[1] is not None and cur[1] >= 1:
                    disabled[i][region] += 1
        out["residents_at"] = [_pairs(x) for x in at]
        out["residents_assessed"] = [_pairs(x) for x in assessed]
        out["nursing_disabled_residents"] = [_pairs(x) for x in disabled]
    return {k: v for k, v in out.items() if k in want}


def register() -> None:
    IF.register(METRICS, DEFINITIONS)
    register_metric_source([m.code for m in METRICS], gather)
