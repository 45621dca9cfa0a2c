"""Planning computations over the registry: projections per region, supply at a date, gaps per region and year.

Callers pass the user; every queryset here is scoped with ``for_user`` (or ``unscoped`` with the reason for
system computations such as the command line run by an operator of the platform).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ylyx.institutions.models import Kind
from ylyx.institutions.querysets.selectors import capacity_totals
from ylyx.regions.models import PopulationStat, Region

from .engines import gaps as G
from .engines import projection as P
from .models import Project, ResidentialArea, Stage

BASE_YEAR = 2020
LAST_YEAR = 2035
ELDER_KINDS = [k for k in Kind.values if k != Kind.CHILDCARE]


@dataclass
class ProjectionResult:
    region: Region
    base_year: int
    assumptions: dict[str, float]
    rows: list[dict] = field(default_factory=list)  # per year: projected figures and the recorded ones


def _stats(region: Region) -> dict[int, PopulationStat]:
    return {s.year: s for s in PopulationStat.objects.filter(region=region).order_by("year")}


def projection_for(region: Region, last_year: int = LAST_YEAR, tfr: float | None = None,
                   migration: float | None = None, srb: float | None = None) -> ProjectionResult:
    """The cohort-component projection of ``region`` from its 2020 statistics (defaults from its own history).

    Fertility defaults to the level that reproduces the region's recorded 2020 births, migration to the average
    residual between consecutive recorded totals after natural change; both may be overridden (editable).
    """
    stats = _stats(region)
    base_stat = stats.get(BASE_YEAR) or (stats[min(stats)] if stats else None)
    if base_stat is None:
        raise ValueError(f"{region.name}没有人口统计数据，无法预测")
    base = P.base_from_aggregates(base_stat.total, base_stat.aged_60, base_stat.aged_65, base_stat.aged_80,
                                  base_stat.under_3)
    a = P.Assumptions()
    if base_stat.births:
        a = P.Assumptions(asfr=P.fertility_from_history(base_stat.births, base), srb=a.srb)
    hist_mig = P.migration_from_history({y: s.total for y, s in stats.items()}, base, a)
    a = a.scaled(tfr=tfr, migration_total=migration if migration is not None else hist_mig)
    if srb is not None:
        a.srb = srb
    result = P.project(base, base_stat.year, last_year, a)
    out = ProjectionResult(region, base_stat.year, {"tfr": round(a.tfr, 3), "srb": a.srb,
                                                    "migration": round(float(a.migration.sum()))})
    households_ratio = (base_stat.households / base_stat.total) if base_stat.households else None
    for row in result.summary():
        rec = stats.get(row["year"])
        row["households"] = round(row["total"] * households_ratio) if households_ratio else None
        row["recorded"] = ({"total": rec.total, "aged_60": rec.aged_60, "aged_65": rec.aged_65,
                            "aged_80": rec.aged_80, "under_3": rec.under_3} if rec else None)
        out.rows.append(row)
    return out


def registry_counts(user: Any, region: Region, years: list[int]) -> dict[int, dict[str, int | None]]:
    """People the registry records at each year's end (60+ alive and not moved out; under 3), for comparison
    with the projection. Years after today are left out; roles that may not read people get None."""
    from django.db.models import Count, Q
    from django.utils import timezone

    from ylyx.core.permissions import allows
    from ylyx.core.scoping import prefix_q
    from ylyx.people.models import ElderlyPerson, Infant
    from ylyx.workspace.stats import years_before

    out: dict[int, dict[str, int | None]] = {}
    today = timezone.localdate()
    can_e = allows(getattr(user, "role", ""), "elderly", "view")
    can_i = allows(getattr(user, "role", ""), "infant", "view")
    for y in years:
        on = min(dt.date(y, 12, 31), today)
        if on.year != y:
            continue
        row: dict[str, int | None] = {"aged_60": None, "under_3": None}
        if can_e:
            alive = (Q(registered_on__isnull=True) | Q(registered_on__lte=on)) & (
                Q(died_on__isnull=True) | Q(died_on__gt=on)) & (Q(moved_out_on__isnull=True) | Q(moved_out_on__gt=on))
            row["aged_60"] = ElderlyPerson.objects.for_user(user, "view").filter(
                prefix_q("region_id", region.prefix), alive, birth_date__lte=years_before(on, 60)).aggregate(
                n=Count("id"))["n"]
        if can_i:
            row["under_3"] = Infant.objects.for_user(user, "view").filter(
                prefix_q("region_id", region.prefix), birth_date__lte=on, birth_date__gt=years_before(on, 3)).filter(
                Q(moved_out_on__isnull=True) | Q(moved_out_on__gt=on)).count()
        out[y] = row
    return out


def population_in(region: Region, year: int) -> dict[str, float | None]:
    """Recorded statistics of ``year`` when there are, else the projection's figures."""
    rec = PopulationStat.objects.filter(region=region, year=year).first()
    if rec is not None:
        return {"population": rec.total, "aged_60": rec.aged_60, "aged_65": rec.aged_65, "aged_80": rec.aged_80,
                "under_3": rec.under_3, "households": rec.households}
    proj = projection_for(region, max(year, BASE_YEAR))
    row = next(r for r in proj.rows if r["year"] == year) if year >= proj.base_year else proj.rows[0]
    return {"population": row["total"], "aged_60": row["aged_60"], "aged_65": row["aged_65"],
            "aged_80": row["aged_80"], "under_3": row["under_3"], "households": row["households"]}


def _projects(user: Any, reason: str):
    return Project.objects.for_user(user, "view") if user is not None else Project.objects.unscoped(reason)


def supply_in(region: Region, on: dt.date, user: Any = None) -> dict[str, float]:
    """Registry capacity on ``on`` (operating institutions) plus projects built or due by then."""
    elder = capacity_totals(on, region.prefix, kind=ELDER_KINDS, user=user)
    child = capacity_totals(on, region.prefix, kind=Kind.CHILDCARE, user=user)
    supply: dict[str, float] = {"beds": elder["beds"], "nursing_beds": elder["nursing_beds"], "places": child["places"]}
    for p in _projects(user, "command-line gap report for the platform operator").filter(
            region__code__startswith=region.prefix).exclude(stage=Stage.OPERATING):
        if p.adds_by(on):
            supply["beds"] += p.beds
            supply["nursing_beds"] += p.nursing_beds
            supply["places"] += p.places
    areas = (ResidentialArea.objects.for_user(user, "view") if user is not None
             else ResidentialArea.objects.unscoped("command-line gap report")).filter(
        region__code__startswith=region.prefix, status="delivered")
    supply["elder_area"] = float(sum(a.elder_room_area for a in areas))
    supply["child_area"] = float(sum(a.child_room_area for a in areas))
    return supply


@dataclass
class GapReport:
    plan: Any
    region: Region
    year: int
    rows: list[tuple[Region, list[G.GapRow]]]
    total: list[G.GapRow]
    errors: list[str]


def gap_report(plan: Any, region: Region, year: int, user: Any = None) -> GapReport:
    """Gaps of ``region`` (and each region directly under it) in ``year``; the total is the sum of the rows."""
    norms = [n.as_engine() for n in plan.demand_norms.all()]
    if not norms:
        raise ValueError("该规划没有需求标准，请先录入（如：老年人口的3%需要机构床位）")
    on = dt.date(year, 12, 31)
    children = list(Region.objects.filter(parent=region).order_by("code"))
    with_stats = set(PopulationStat.objects.filter(region__in=children).values_list("region_id", flat=True))
    units = [c for c in children if c.code in with_stats] or [region]
    rows: list[tuple[Region, list[G.GapRow]]] = []
    errors: list[str] = []
    for r in units:
        try:
            rows.append((r, G.compute(norms, population_in(r, year), supply_in(r, on, user))))
        except ValueError as exc:
            errors.append(f"{r.name}：{exc}")
    return GapReport(plan, region, year, rows, G.roll_up(rs for _, rs in rows), errors)


def gap_table(report: GapReport) -> tuple[list[str], list[list[Any]]]:
    """Flat rows for exports and the command line."""
    headers = ["区划代码", "区划", "年份", "指标", "标准", "基数", "需求", "现有（含项目）", "缺口"]
    out: list[list[Any]] = []
    for region, rows in report.rows:
        for r in rows:
            out.append([region.code, region.name, report.year, r.name, r.norm, round(r.basis_value),
                        round(r.demand), round(r.supply), round(r.gap)])
    for r in report.total:
        out.append([report.region.code, f"{report.region.name}（合计）", report.year, r.name, r.norm,
                    round(r.basis_value), round(r.demand), round(r.supply), round(r.gap)])
    return headers, out


def chifeng_norms() -> list[dict]:
    """The demand norms 赤峰 writes into its plan (seed 003), as data for a plan's norm table."""
    return [
        {"indicator": "beds", "basis": "aged_60", "rate": 3, "per": 100,
         "label": "老年人口的3%入住机构养老", "source_text": "按照全市3%老年人口入住机构养老的需求测算"},
        {"indicator": "nursing_beds", "basis": "supply:beds", "rate": 55, "per": 100,
         "label": "护理型床位占比55%", "source_text": "与自治区要求55%以上的占比相差2592张"},
        {"indicator": "places", "basis": "population", "rate": 4.5, "per": 1000,
         "label": "每千人口托位数4.5个", "source_text": "按照实现每千人拥有4.5个托位的预期目标"},
        {"indicator": "elder_area", "basis": "households", "rate": 20, "per": 100,
         "label": "每百户不少于20平方米养老服务设施", "source_text": "按照每百户不少于20平方米建筑面积的标准配套养老服务设施"},
    ]


def save_proposed_sites(user: Any, region: Region, domain: str, sites: list[dict]) -> int:
    """Chosen sites become 储备 projects (proposed by siting) of ``region``; the user's right to add is checked."""
    from django.core.exceptions import PermissionDenied
    from django.db import transaction

    from ylyx.core.permissions import allows, domains_for

    doms = domains_for(user.role)
    if not allows(user.role, "project", "add") or (doms is not None and domain not in doms):
        raise PermissionDenied("您不能在该领域新增项目")
    prefix = getattr(user, "region_prefix", "") or ""
    if not prefix or not region.code.startswith(prefix):
        raise PermissionDenied("区划超出您的管辖范围")
    with transaction.atomic():
        for s in sites:
            Project.objects.create(name=f"{region.name}{s['name']}", domain=domain, region=region, stage=Stage.RESERVE,
                                   lat=s["lat"], lon=s["lon"], proposed_by_siting=True,
                                   note="15分钟服务圈最大覆盖选址（MCLP）提出，待论证")
    return len(sites)


def array_summary(a: np.ndarray) -> dict:
    return P.summarise(a)
