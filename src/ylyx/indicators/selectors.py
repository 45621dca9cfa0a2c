"""Reads for indicators: gathering registry figures, and ``plan_table`` that every page and export uses.

Gathering runs ONE grouped query per source table for a whole subtree and all the dates asked for
(a filtered aggregate per metric and date, grouped by the record's region code); the engine in
:mod:`.formulas` then rolls the sums up by code prefix to every level. Nothing here loops over regions
with queries: a city's whole plan, with its trend and its drill-down, is a dozen queries.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils import timezone

from ylyx.core.scoping import prefix_q
from ylyx.regions.models import PREFIX_LEN, PopulationStat, Region, level_of, normalise_code

from . import formulas as F
from .models import IndicatorDefinition, Plan, PlanIndicator, ReportedStatus, ReportedValue
from .results import IndicatorRow, PlanTable, Provenance, RegionRow

OPERATING = "operating"
ELDERLY_KINDS = ("elder", "community")
SOCIAL_SUBTYPES = ("public_private", "private")
# "养老院和养老服务场所" as the plans count them: rural service stations and meal points are listed apart.
NOT_SITES = ("rural_station", "meal")

AGGREGATE = "sums over a region prefix; the page checked the region is in the user's scope"


# ---------------------------------------------------------------------------------------------------
# the region tree


def region_tree(root: Region) -> tuple[F.Tree, dict[str, tuple[int | None, int | None]]]:
    """Every region under ``root`` (itself included), with the years each was valid."""
    rows = list(Region.objects.filter(prefix_q("code", root.prefix))
                .values_list("code", "level", "parent_id", "valid_from", "valid_to"))
    tree = F.Tree([r[0] for r in rows], [r[1] for r in rows],
                  [r[2] if r[0] != root.code else None for r in rows])
    return tree, {r[0]: (r[3], r[4]) for r in rows}


def _valid_in(span: tuple[int | None, int | None], year: int) -> bool:
    start, end = span
    return (start is None or start <= year) and (end is None or end >= year)


# ---------------------------------------------------------------------------------------------------
# gathering: one grouped query per source


def _in_force(d: dt.date) -> Q:
    return Q(valid_from__lte=d) & (Q(valid_to__isnull=True) | Q(valid_to__gt=d))


def _active(d: dt.date, start: str = "started_on", end: str = "ended_on") -> Q:
    return Q(**{f"{start}__lte": d}) & (Q(**{f"{end}__isnull": True}) | Q(**{f"{end}__gt": d}))


CAPACITY_METRICS: dict[str, tuple[str | None, Q]] = {
    # metric: (summed field, or None to count records; condition on the institution)
    "beds_elderly": ("beds", Q(institution__kind__in=ELDERLY_KINDS)),
    "beds_elder": ("beds", Q(institution__kind="elder")),
    "nursing_beds_elder": ("nursing_beds", Q(institution__kind="elder")),
    "beds_social": ("beds", Q(institution__kind="elder", institution__subtype__in=SOCIAL_SUBTYPES)),
    "places": ("places", Q(institution__kind="childcare")),
    "affordable_places": ("affordable_places", Q(institution__kind="childcare")),
    "elderly_institutions": (None, Q(institution__kind__in=ELDERLY_KINDS) & ~Q(institution__subtype__in=NOT_SITES)),
    "childcare_institutions": (None, Q(institution__kind="childcare")),
    "_community": (None, Q(institution__kind="community")),
    "_street_center": (None, Q(institution__subtype="street_center")),
}


def _grouped(qs, group: str, aggregates: dict[str, Any]) -> list[dict]:
    if not aggregates:
        return []
    return list(qs.values(group).annotate(**aggregates).order_by())


def _split(rows: list[dict], group: str, names: Iterable[str], n_dates: int) -> dict[str, list[tuple[list[str], list[float]]]]:
    """Grouped rows → per metric and date: (codes, values) ready for :func:`formulas.rollup`."""
    out: dict[str, list[tuple[list[str], list[float]]]] = {}
    for name in names:
        per_date = []
        for i in range(n_dates):
            key = f"{name}__{i}"
            codes, vals = [], []
            for r in rows:
                v = r[key]
                if v:
                    codes.append(r[group])
                    vals.append(float(v))
            per_date.append((codes, vals))
        out[name] = per_date
    return out


def capacity_rows(prefix: str, dates: Sequence[dt.date], names: Iterable[str]) -> dict:
    from ylyx.institutions.models import CapacityRecord

    names = list(names)
    aggs = {}
    for name in names:
        fld, cond = CAPACITY_METRICS[name]
        for i, d in enumerate(dates):
            f = cond & _in_force(d)
            aggs[f"{name}__{i}"] = Sum(fld, filter=f) if fld else Count("id", filter=f)
    qs = CapacityRecord.objects.unscoped(AGGREGATE).filter(prefix_q("region_id", prefix), status=OPERATING, valid_from__lte=max(dates))
    return _split(_grouped(qs, "region_id", aggs), "region_id", names, len(dates))


def filing_rows(prefix: str, dates: Sequence[dt.date]) -> dict:
    from ylyx.institutions.models import Filing

    aggs = {f"filed_childcare__{i}": Count("id", filter=Q(filed_on__lte=d) & (
        Q(cancelled_on__isnull=True) | Q(cancelled_on__gt=d))) for i, d in enumerate(dates)}
    qs = Filing.objects.unscoped(AGGREGATE).filter(prefix_q("institution__region_id", prefix), institution__kind="childcare",
                               filed_on__isnull=False, filed_on__lte=max(dates))
    return _split(_grouped(qs, "institution__region_id", aggs), "institution__region_id",
                  ["filed_childcare"], len(dates))


def employment_rows(prefix: str, dates: Sequence[dt.date], names: Iterable[str]) -> dict:
    """Practitioners employed on each date, by the employing institution's region.

    Certificates are joined (not probed per row): a practitioner counts once however many certificates
    match, because every count here is of distinct practitioners.
    """
    from ylyx.workforce.models import Employment

    names = list(names)
    aggs = {}
    for i, d in enumerate(dates):
        act = _active(d)
        if "employed" in names:
            aggs[f"employed__{i}"] = Count("practitioner_id", distinct=True, filter=act)
        if "employed_certified" in names:
            valid = Q(practitioner__certificates__issued_on__lte=d) & (
                Q(practitioner__certificates__expires_on__isnull=True)
                | Q(practitioner__certificates__expires_on__gte=d))
            aggs[f"employed_certified__{i}"] = Count("practitioner_id", distinct=True, filter=act & valid)
        if "social_workers" in names:
            aggs[f"social_workers__{i}"] = Count("practitioner_id", distinct=True,
                                                 filter=act & Q(role="social_worker"))
    qs = Employment.objects.unscoped(AGGREGATE).filter(prefix_q("institution__region_id", prefix), started_on__lte=max(dates))
    return _split(_grouped(qs, "institution__region_id", aggs), "institution__region_id", names, len(dates))


def training_rows(prefix: str, dates: Sequence[dt.date]) -> dict:
    from ylyx.workforce.models import TrainingRecord

    aggs = {f"trained__{i}": Count("practitioner_id", distinct=True,
                                   filter=Q(completed_on__gte=dt.date(d.year, 1, 1), completed_on__lte=d))
            for i, d in enumerate(dates)}
    qs = TrainingRecord.objects.unscoped(AGGREGATE).filter(prefix_q("practitioner__region_id", prefix), passed=True,
                                       completed_on__gte=dt.date(min(dates).year, 1, 1),
                                       completed_on__lte=max(dates))
    return _split(_grouped(qs, "practitioner__region_id", aggs), "practitioner__region_id", ["trained"], len(dates))


def occupancy_rows(prefix: str, dates: Sequence[dt.date]) -> dict:
    """Residents present on each date, and the beds of the institutions they live in (two grouped queries)."""
    from ylyx.institutions.models import CapacityRecord
    from ylyx.people.models import Residence

    res_aggs = {}
    for i, d in enumerate(dates):
        alive = (Q(person__died_on__isnull=True) | Q(person__died_on__gt=d)) & (
            Q(person__moved_out_on__isnull=True) | Q(person__moved_out_on__gt=d))
        res_aggs[f"r__{i}"] = Count("id", filter=_active(d) & alive)
    res_qs = Residence.objects.unscoped(AGGREGATE).filter(prefix_q("region_id", prefix), started_on__lte=max(dates))
    residents = list(res_qs.values("institution_id", "region_id").annotate(**res_aggs).order_by())
    inst_ids = sorted({r["institution_id"] for r in residents})
    bed_aggs = {f"b__{i}": Sum("beds", filter=_in_force(d)) for i, d in enumerate(dates)}
    beds: dict[int, Any] = {}
    if inst_ids:
        cap_qs = CapacityRecord.objects.unscoped(AGGREGATE).filter(institution_id__in=res_qs.values("institution_id"), status=OPERATING,
                                               valid_from__lte=max(dates))
        beds = {r["institution_id"]: r for r in cap_qs.values("institution_id").annotate(**bed_aggs).order_by()}
    out: dict[str, list] = {"residents": [], "beds_with_residents": []}
    for i in range(len(dates)):
        rc, rv, bc, bv = [], [], [], []
        for r in residents:
            n = r[f"r__{i}"]
            if not n:
                continue
            rc.append(r["region_id"])
            rv.append(float(n))
        # the beds of an institution count once, at the region of its residences, if anyone lives there
        seen: set[int] = set()
        for r in residents:
            if not r[f"r__{i}"] or r["institution_id"] in seen:
                continue
            seen.add(r["institution_id"])
            b = (beds.get(r["institution_id"]) or {}).get(f"b__{i}") or 0
            bc.append(r["region_id"])
            bv.append(float(b))
        out["residents"].append((rc, rv))
        out["beds_with_residents"].append((bc, bv))
    return out


def population(prefix: str, dates: Sequence[dt.date], tree: F.Tree, names: Iterable[str]) -> dict:
    """Population statistics: each region's latest row up to the date's year, else the sum of its parts."""
    fields = {"pop_total": "total", "pop_60": "aged_60"}
    names = [n for n in names if n in fields]
    rows = list(PopulationStat.objects.filter(prefix_q("region_id", prefix), year__lte=max(dates).year)
                .values_list("region_id", "year", *[fields[n] for n in names]).order_by("region_id", "year"))
    out: dict[str, list[dict[str, float | None]]] = {n: [] for n in names}
    rows.sort(key=lambda r: r[1])  # by year: walking forward, the last row kept per region is its latest
    latest: dict[str, tuple] = {}
    done: dict[int, list[dict[str, float | None]]] = {}
    i = 0
    for d in sorted(set(dates)):
        while i < len(rows) and rows[i][1] <= d.year:
            latest[rows[i][0]] = rows[i]
            i += 1
        if d.year not in done:
            done[d.year] = [F.resolve_stat(tree, {code: float(r[2 + j]) for code, r in latest.items()
                                                  if r[2 + j] is not None}) for j in range(len(names))]
    for d in dates:
        for j, n in enumerate(names):
            out[n].append(done[d.year][j])
    return out


# Metrics gathered by other modules: name → function(prefix, dates, names) returning, per metric, one
# (region codes, values) pair per date, the shape ``capacity_rows`` returns. Registered in ``ready()``.
MetricSource = Callable[[str, Sequence[dt.date], list[str]], dict]
METRIC_SOURCES: dict[str, MetricSource] = {}


def register_metric_source(names: Iterable[str], fn: MetricSource) -> None:
    for name in names:
        METRIC_SOURCES[name] = fn


@dataclass
class Gathered:
    """Rolled-up metric values: ``values[metric][date index][region code]``."""

    tree: F.Tree
    dates: list[dt.date]
    values: dict[str, list[dict[str, float | None]]] = field(default_factory=dict)
    queries: int = 0

    def at(self, i: int) -> dict[str, dict[str, float | None]]:
        return {m: series[i] for m, series in self.values.items()}


def gather(root: Region, dates: Sequence[dt.date], metrics: Iterable[str]) -> Gathered:
    """All ``metrics`` for every region under ``root`` on every date, one grouped query per source."""
    dates = list(dates)
    metrics = set(metrics)
    tree, spans = region_tree(root)
    g = Gathered(tree, dates)
    prefix = root.prefix
    raw: dict[str, list] = {}

    cap = [m for m in CAPACITY_METRICS if m in metrics]
    if "villages_covered" in metrics:
        cap.append("_community")
    if "towns_with_center" in metrics:
        cap.append("_street_center")
    if cap:
        raw.update(capacity_rows(prefix, dates, cap))
        g.queries += 1
    if "filed_childcare" in metrics:
        raw.update(filing_rows(prefix, dates))
        g.queries += 1
    emp = [m for m in ("employed", "employed_certified", "social_workers") if m in metrics]
    if emp:
        raw.update(employment_rows(prefix, dates, emp))
        g.queries += 1
    if "trained" in metrics:
        raw.update(training_rows(prefix, dates))
        g.queries += 1
    if metrics & {"residents", "beds_with_residents"}:
        raw.update(occupancy_rows(prefix, dates))
        g.queries += 2

    # unit counts derived from the tree and from the capacity query
    if metrics & {"villages", "villages_covered", "towns", "towns_with_center"}:
        for name, level in (("villages", 5), ("towns", 4)):
            per_date = []
            for d in dates:
                codes = [c for c in tree.at_level(level) if _valid_in(spans[c], d.year)]
                per_date.append((codes, [1.0] * len(codes)))
            raw[name] = per_date
        villages = set(tree.at_level(5))
        towns = set(tree.at_level(4))
        raw["villages_covered"] = [
            ([c for c in codes if c in villages], [1.0] * len([c for c in codes if c in villages]))
            for codes, _ in raw.get("_community", [([], [])] * len(dates))]
        per_date = []
        for codes, _ in raw.get("_street_center", [([], [])] * len(dates)):
            hit = sorted({c[:9] + "000" for c in codes if level_of(c) >= 4} & towns)
            per_date.append((hit, [1.0] * len(hit)))
        raw["towns_with_center"] = per_date

    sources: dict[MetricSource, list[str]] = {}
    for name in sorted(metrics):
        if name in METRIC_SOURCES and name not in raw:
            sources.setdefault(METRIC_SOURCES[name], []).append(name)
    for fn, names in sources.items():
        raw.update(fn(prefix, dates, names))
        g.queries += 1

    for name in metrics:
        if name in raw:
            g.values[name] = [F.rollup(tree, codes, vals) for codes, vals in raw[name]]
    pop = [m for m in ("pop_total", "pop_60") if m in metrics]
    if pop:
        g.values.update(population(prefix, dates, tree, pop))
        g.queries += 1
    return g


# ---------------------------------------------------------------------------------------------------
# definitions of a plan's rows


def definition_of(pi: PlanIndicator) -> F.Definition | None:
    """The engine definition for a computed row: the built-in catalogue, or the stored formula's metrics."""
    d = pi.definition
    if d is None or d.kind != IndicatorDefinition.Kind.COMPUTED:
        return None
    if d.code in F.CATALOGUE:
        return F.CATALOGUE[d.code]
    if d.numerator in F.METRICS and (not d.denominator or d.denominator in F.METRICS):
        return F.Definition(d.code, d.name, d.unit, d.numerator, d.denominator or None, d.factor, d.formula)
    return None


def trend_dates(plan: Plan, on: dt.date) -> tuple[list[int], list[dt.date]]:
    """Year ends from the plan's first year to the year before ``on``, then ``on`` itself."""
    years = [y for y in range(plan.first_year, on.year) if dt.date(y, 12, 31) < on]
    return years + [on.year], [dt.date(y, 12, 31) for y in years] + [on]


def baseline_date(plan: Plan) -> dt.date:
    return dt.date(plan.first_year, 12, 31)


@dataclass
class Reported:
    value: float
    year: int
    rv: ReportedValue


class PlanComputation:
    """Everything needed to value a plan's rows at any region of one subtree and any of the dates."""

    def __init__(self, plan: Plan, root: Region, dates: Sequence[dt.date], region_codes: Iterable[str] | None = None):
        self.plan = plan
        self.root = root
        self.dates = list(dates)
        self.rows: list[PlanIndicator] = list(
            plan.indicators.select_related("definition").prefetch_related("milestones").order_by("position", "id"))
        self.defs = {pi.pk: definition_of(pi) for pi in self.rows}
        metrics = {m for d in self.defs.values() if d for m in d.metrics}
        self.data = gather(root, self.dates, metrics) if metrics else Gathered(region_tree(root)[0], self.dates)
        self.reported = self._reported(region_codes)

    def _reported(self, region_codes: Iterable[str] | None) -> dict[tuple[int, str], list[Reported]]:
        """Published values for the plan's non-computed rows: row → region → values by year (newest last)."""
        manual = [pi for pi in self.rows if self.defs[pi.pk] is None]
        if not manual:
            return {}
        def_to_rows: dict[int, list[int]] = defaultdict(list)
        for pi in manual:
            if pi.definition_id:
                def_to_rows[pi.definition_id].append(pi.pk)
        qs = ReportedValue.objects.unscoped("published values of a region the caller checked in scope").filter(
            Q(plan_indicator_id__in=[pi.pk for pi in manual]) | Q(definition_id__in=list(def_to_rows)),
            status=ReportedStatus.PUBLISHED, year__lte=max(self.dates).year)
        if region_codes is not None:
            qs = qs.filter(region_id__in=list(region_codes))
        else:
            qs = qs.filter(prefix_q("region_id", self.root.prefix))
        out: dict[tuple[int, str], list[Reported]] = defaultdict(list)
        specific: set[tuple[int, str, int]] = set()
        values = list(qs.select_related("entered_by", "approved_by", "published_by").order_by("year", "id"))
        for rv in values:  # a value for the plan's own row wins over one for its catalogue definition
            if rv.plan_indicator_id:
                out[(rv.plan_indicator_id, rv.region_id)].append(Reported(rv.value, rv.year, rv))
                specific.add((rv.plan_indicator_id, rv.region_id, rv.year))
        for rv in values:
            if rv.definition_id:
                for pk in def_to_rows.get(rv.definition_id, []):
                    if (pk, rv.region_id, rv.year) not in specific:
                        out[(pk, rv.region_id)].append(Reported(rv.value, rv.year, rv))
        for lst in out.values():
            lst.sort(key=lambda r: r.year)
        return out

    # -- values ------------------------------------------------------------------------------------

    def value(self, pi: PlanIndicator, code: str, i: int, exact_year: bool = False) -> tuple[float | None, Provenance]:
        on = self.dates[i]
        d = self.defs[pi.pk]
        if d is not None:
            v = F.evaluate(d, self.data.at(i), code)
            note = f"分子：{F.METRICS[d.numerator].label}"
            if d.denominator:
                note += f"；分母：{F.METRICS[d.denominator].label}"
            if v.value is None and d.denominator and v.denominator in (None, 0):
                note += "；分母为空或为0，无法计算"
            return v.value, Provenance("computed", d.formula, v.numerator, v.denominator, on, note=note)
        candidates = [r for r in self.reported.get((pi.pk, code), []) if r.year <= on.year]
        if exact_year:
            candidates = [r for r in candidates if r.year == on.year]
        if not candidates:
            return None, Provenance("none", as_of=on, note="该指标无系统计算口径，且无已发布的部门填报值")
        r = candidates[-1]
        rv = r.rv
        who = rv.department
        if rv.entered_by_id:
            who += f"（填报：{rv.entered_by}"
            who += f"；审核：{rv.approved_by}）" if rv.approved_by_id else "）"
        return r.value, Provenance("reported", "部门填报", None, None, on, reported_by=who,
                                   reported_at=rv.published_at or rv.approved_at,
                                   note=f"{r.year}年度填报值" + (f"；{rv.comment}" if rv.comment else ""))

    def target_applies(self, pi: PlanIndicator, code: str) -> bool:
        d = self.defs[pi.pk]
        intensive = d.intensive if d is not None else pi.intensive
        return intensive or code == self.plan.region_code

    def milestone(self, pi: PlanIndicator, code: str, i: int, baseline_i: int | None) -> float | None:
        """The expected value on date ``i``: the plan's milestones, or a straight path from this region's
        own value at the baseline date when the document gives no baseline."""
        target_year = pi.effective_target_year
        points = [(m.year, m.value) for m in pi.milestones.all()]
        if pi.baseline_value is not None or (points and code == self.plan.region_code):
            return F.milestone_at(self.dates[i], self.plan.first_year, pi.baseline_value, points)
        if baseline_i is None:
            return None
        own, _ = self.value(pi, code, baseline_i)
        path = F.default_milestones(self.plan.first_year, own, target_year, pi.target_value)
        return F.milestone_at(self.dates[i], self.plan.first_year, own, path)

    def assess(self, pi: PlanIndicator, code: str, i: int, baseline_i: int | None) -> tuple[float | None, float | None, str, Provenance]:
        value, prov = self.value(pi, code, i)
        if not self.target_applies(pi, code):
            prov.note += "；总量指标的目标为规划区划整体目标，不分解到下级区划，不评价进度"
            return value, None, "no_data", prov
        ms = self.milestone(pi, code, i, baseline_i)
        return value, ms, F.status(value, pi.comparator, pi.target_value, ms), prov


def _baseline_index(dates: Sequence[dt.date], plan: Plan) -> int | None:
    b = baseline_date(plan)
    return dates.index(b) if b in dates else None


def region_or_error(code: str) -> Region:
    code12 = normalise_code(str(code or ""))
    region = Region.objects.filter(code=code12).first()
    if region is None:
        raise ValueError(f"区划代码“{code}”不存在")
    return region


def check_region_in_plan(plan: Plan, region: Region) -> None:
    if not region.code.startswith(plan.region_prefix):
        raise ValueError(f"区划“{region.name}”不在规划“{plan.title}”的范围（{plan.region_name or plan.region_code}）内")


def row_keys(plan: Plan) -> list[str]:
    return list(plan.indicators.order_by("position", "id").values_list("key", flat=True))


def plan_table(plan: Plan, region_code: str, on: dt.date | None = None, with_breakdown: bool = True) -> PlanTable:
    """Every row of ``plan`` at one region and date: value, milestone, status, provenance and the yearly trend,
    plus the regions one level below (``breakdown``). Callers check the user's scope first."""
    on = on or timezone.localdate()
    region = region_or_error(region_code)
    check_region_in_plan(plan, region)
    years, dates = trend_dates(plan, on)
    children = list(Region.objects.filter(parent=region).order_by("code")) if with_breakdown else []
    comp = PlanComputation(plan, region, dates, [region.code] + [c.code for c in children])
    last = dates.index(on)
    bi = _baseline_index(dates, plan)
    rows = []
    for pi in comp.rows:
        value, ms, st, prov = comp.assess(pi, region.code, last, bi)
        trend = []
        for j, y in enumerate(years):
            if j == last:
                trend.append((y, value))
            else:
                trend.append((y, comp.value(pi, region.code, j, exact_year=True)[0]))
        applies = comp.target_applies(pi, region.code)
        rows.append(IndicatorRow(
            seq=pi.seq, category=pi.category, name=pi.name, unit=pi.unit, property=pi.property or "",
            baseline_text=pi.baseline_text, target_text=pi.target_text, target_value=pi.target_value,
            comparator=pi.comparator, target_year=pi.effective_target_year, value=value, milestone=ms,
            status=st, provenance=prov, trend=trend, departments=list(pi.departments or []),
            key=pi.key, target_applies=applies, kind="computed" if comp.defs[pi.pk] else "reported"))
    breakdown = []
    for child in children:
        vals, sts = {}, {}
        for pi in comp.rows:
            v, _, st, _ = comp.assess(pi, child.code, last, bi)
            vals[pi.key] = v
            sts[pi.key] = st
        breakdown.append(RegionRow(child.code, child.name, vals, sts))
    return PlanTable(plan_code=plan.code, plan_title=plan.title, region_code=region.code, region_name=region.name,
                     on=on, rows=rows, breakdown=breakdown)


def provenance_detail(plan: Plan, key: str, region: Region, on: dt.date) -> dict[str, Any]:
    """One number's provenance, with the numerator and denominator by sub-region for computed values."""
    pi = plan.indicators.select_related("definition").filter(key=key).first()
    if pi is None:
        raise ValueError(f"规划中没有序号为“{key}”的指标")
    children = list(Region.objects.filter(parent=region).order_by("code"))
    dates = [on]
    b = baseline_date(plan)
    if b < on:
        dates = [b, on]
    comp = PlanComputation(plan, region, dates, [region.code] + [c.code for c in children])
    i = dates.index(on)
    bi = _baseline_index(dates, plan)
    value, ms, st, prov = comp.assess(comp.rows[[r.pk for r in comp.rows].index(pi.pk)], region.code, i, bi)
    parts = []
    for c in children:
        v, p = comp.value(pi, c.code, i)
        parts.append({"region": c, "value": v, "numerator": p.numerator, "denominator": p.denominator,
                      "provenance": p})
    reported = None
    if prov.kind == "reported":
        hits = [r for r in comp.reported.get((pi.pk, region.code), []) if r.year <= on.year]
        reported = hits[-1].rv if hits else None
    return {"indicator": pi, "definition": comp.defs[pi.pk], "value": value, "milestone": ms, "status": st,
            "provenance": prov, "parts": parts, "reported": reported}


def plan_values(plan: Plan, root_code: str, on: dt.date) -> dict[str, dict[str, float | None]]:
    """Every row's value at every region of the subtree on one date (the bench and bulk exports use it)."""
    root = region_or_error(root_code)
    comp = PlanComputation(plan, root, [on])
    return {code: {pi.key: comp.value(pi, code, 0)[0] for pi in comp.rows} for code in comp.data.tree.codes}


def default_region(user: Any, plan: Plan) -> Region | None:
    """The region a user's dashboard opens at: their own, or the plan's when the plan is inside their scope."""
    if user.region_id and user.region_id.startswith(plan.region_prefix):
        return user.region
    if user.region_id and plan.region_code.startswith(user.region_prefix):
        return Region.objects.filter(code=plan.region_code).first()
    return None


def region_in_scope(user: Any, region: Region) -> bool:
    prefix = getattr(user, "region_prefix", "")
    return bool(prefix) and region.code.startswith(prefix)


def visible_plans(user: Any):
    return Plan.objects.for_user(user, "view")


def prefix_of(code12: str) -> str:
    return code12[: PREFIX_LEN[level_of(code12)]]
