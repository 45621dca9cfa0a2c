"""Catalogue indicators of services to people (registered in ``CareConfig.ready``).

Counts per record region code at a date ``d`` (stock on that day), so the engine rolls them up as ratios
of sums: 家庭养老床位数, 助餐覆盖率 (villages with an open meal point ÷ villages), 老年志愿者注册人数占比
(registered volunteers aged 60+ ÷ the 60+ population), 老年人家庭医生签约率 (signed older people ÷ 60+ population).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db.models import Count, Q

from ylyx.core.scoping import prefix_q
from ylyx.indicators import formulas as IF
from ylyx.indicators.selectors import register_metric_source

AGG = "sums over a region prefix for the indicator engine; pages check the region is in the user's scope"

METRICS = [
    IF.Metric("home_care_beds", "该日生效的家庭养老床位数"),
    IF.Metric("villages_with_meal_point", "该日有开办中助餐点的村（社区）数"),
    IF.Metric("elderly_volunteers", "该日有效注册的 60 岁及以上志愿者人数"),
    IF.Metric("elderly_doctor_signed", "该日签约家庭医生的老年人数"),
]
DEFINITIONS = [
    IF.Definition("home_care_beds", "家庭养老床位数", "张", "home_care_beds", None, 1, "该日生效的家庭养老床位合同数"),
    IF.Definition("meal_coverage", "助餐服务村（社区）覆盖率", "%", "villages_with_meal_point", "villages", 100,
                  "有开办中助餐点的村（社区）数 ÷ 村（社区）数 × 100"),
    IF.Definition("elderly_volunteer_share", "老年志愿者注册人数占比", "%", "elderly_volunteers", "pop_60", 100,
                  "有效注册的 60 岁及以上志愿者人数 ÷ 60 岁及以上人口 × 100（雅安规划指标）"),
    IF.Definition("elderly_doctor_signup_rate", "老年人家庭医生签约率", "%", "elderly_doctor_signed", "pop_60", 100,
                  "签约家庭医生的老年人数 ÷ 60 岁及以上人口 × 100"),
]
CODES = [d.code for d in DEFINITIONS]


def _open_on(d: dt.date, start: str, end: str) -> Q:
    return Q(**{f"{start}__lte": d}) & (Q(**{f"{end}__isnull": True}) | Q(**{f"{end}__gt": d}))


def _rows(qs, region: str, aggs: dict) -> list[dict]:
    return list(qs.values(region).annotate(**aggs).order_by())


def gather(prefix: str, dates: Sequence[dt.date], names: list[str]) -> dict:
    from .models import DoctorSignup, HomeCareBed, MealPoint, Volunteer

    dates = list(dates)
    want = set(names)
    out: dict[str, list] = {}

    def split(rows: list[dict], name: str, region: str = "region_id") -> None:
        out[name] = [([r[region] for r in rows if r[f"n{i}"]], [float(r[f"n{i}"]) for r in rows if r[f"n{i}"]])
                     for i in range(len(dates))]

    if "home_care_beds" in want:
        aggs = {f"n{i}": Count("id", filter=_open_on(d, "started_on", "ended_on")) for i, d in enumerate(dates)}
        split(_rows(HomeCareBed.objects.unscoped(AGG).filter(prefix_q("region_id", prefix)), "region_id", aggs),
              "home_care_beds")
    if "villages_with_meal_point" in want:
        aggs = {f"n{i}": Count("region_id", distinct=True, filter=_open_on(d, "opened_on", "closed_on"))
                for i, d in enumerate(dates)}
        split(_rows(MealPoint.objects.unscoped(AGG).filter(prefix_q("region_id", prefix)), "region_id", aggs),
              "villages_with_meal_point")
    if "elderly_volunteers" in want:
        aggs = {f"n{i}": Count("id", filter=Q(registered_on__lte=d, active=True,
                                              birth_date__lte=d.replace(year=d.year - 60) if d.month != 2 or d.day != 29
                                              else d.replace(year=d.year - 60, day=28)))
                for i, d in enumerate(dates)}
        split(_rows(Volunteer.objects.unscoped(AGG).filter(prefix_q("region_id", prefix)), "region_id", aggs),
              "elderly_volunteers")
    if "elderly_doctor_signed" in want:
        aggs = {f"n{i}": Count("elderly_id", distinct=True, filter=_open_on(d, "signed_on", "ended_on"))
                for i, d in enumerate(dates)}
        split(_rows(DoctorSignup.objects.unscoped(AGG).filter(prefix_q("region_id", prefix), elderly__isnull=False),
                    "region_id", aggs), "elderly_doctor_signed")
    return {k: v for k, v in out.items() if k in want}


def register() -> None:
    IF.register(METRICS, DEFINITIONS)
    register_metric_source([m.code for m in METRICS], gather)
