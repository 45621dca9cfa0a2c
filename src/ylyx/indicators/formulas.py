"""The indicator engine: catalogue definitions, rollups by region code, milestones and statuses.

Plain Python and NumPy, no Django: the selectors gather one grouped sum per metric and region code,
this module rolls them up to every level by code prefix and turns them into values. A rollup is
always a ratio of sums (the city's nursing-bed share is the city's nursing beds over the city's
beds), never an average of the counties' ratios.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

PREFIX_LEN = {1: 2, 2: 4, 3: 6, 4: 9, 5: 12}


# ---------------------------------------------------------------------------------------------------
# metrics and the catalogue


@dataclass(frozen=True)
class Metric:
    code: str
    label: str  # Chinese, shown in provenance
    additive: bool = True  # population statistics are not: a region's own figure wins over its parts


METRICS: dict[str, Metric] = {m.code: m for m in [
    Metric("beds_elderly", "养老床位数（养老机构与社区养老服务设施）"),
    Metric("beds_elder", "养老机构床位数"),
    Metric("nursing_beds_elder", "养老机构护理型床位数"),
    Metric("beds_social", "公建民营与民办养老机构床位数"),
    Metric("places", "托育机构托位数"),
    Metric("affordable_places", "普惠托位数"),
    Metric("elderly_institutions", "运营中的养老机构与社区养老服务设施数（不含农村牧区养老服务站、老年餐桌）"),
    Metric("childcare_institutions", "运营中的托育机构数"),
    Metric("filed_childcare", "在备案状态的托育机构数"),
    Metric("villages", "村（社区）数"),
    Metric("villages_covered", "有运营中社区养老服务设施的村（社区）数"),
    Metric("towns", "乡镇（街道）数"),
    Metric("towns_with_center", "有街道（乡镇）综合养老服务中心的乡镇（街道）数"),
    Metric("employed", "在岗从业人员数"),
    Metric("employed_certified", "在岗且持有效证书的从业人员数"),
    Metric("trained", "当年培训考核合格的从业人员数"),
    Metric("residents", "在住老年人数"),
    Metric("beds_with_residents", "有在住老年人的机构床位数"),
    Metric("social_workers", "在岗社会工作者数"),
    Metric("pop_total", "常住人口", additive=False),
    Metric("pop_60", "60岁及以上人口", additive=False),
]}


@dataclass(frozen=True)
class Definition:
    """A catalogue entry: value = numerator ÷ denominator × factor (or numerator × factor)."""

    code: str
    name: str
    unit: str
    numerator: str
    denominator: str | None
    factor: float
    formula: str  # Chinese, for the provenance view

    @property
    def metrics(self) -> tuple[str, ...]:
        return (self.numerator,) if self.denominator is None else (self.numerator, self.denominator)

    @property
    def intensive(self) -> bool:
        """A ratio applies the plan's target to every sub-region; a total does not."""
        return self.denominator is not None


CATALOGUE: dict[str, Definition] = {d.code: d for d in [
    Definition("elderly_beds", "养老床位数", "张", "beds_elderly", None, 1,
               "养老机构与社区养老服务设施在该日运营中的床位数之和"),
    Definition("nursing_bed_share", "养老机构护理型床位占比", "%", "nursing_beds_elder", "beds_elder", 100,
               "养老机构护理型床位数 ÷ 养老机构床位数 × 100"),
    Definition("beds_per_1000_elderly", "每千名老年人养老床位数", "张", "beds_elderly", "pop_60", 1000,
               "养老床位数 ÷ 60岁及以上人口 × 1000"),
    Definition("socially_operated_bed_share", "社会化运营床位占比", "%", "beds_social", "beds_elder", 100,
               "公建民营与民办养老机构床位数 ÷ 养老机构床位数 × 100"),
    Definition("childcare_places_per_1000", "每千人口拥有3岁以下婴幼儿托位数", "个", "places", "pop_total", 1000,
               "托育机构托位数 ÷ 常住人口 × 1000"),
    Definition("affordable_place_share", "普惠托位占比", "%", "affordable_places", "places", 100,
               "普惠托位数 ÷ 托位数 × 100"),
    Definition("childcare_places", "托位数", "个", "places", None, 1, "托育机构在该日运营中的托位数之和"),
    Definition("filed_childcare_institutions", "登记备案的托育机构数", "个", "filed_childcare", None, 1,
               "该日处于已备案（含变更备案）状态、尚未注销的托育机构数"),
    Definition("elderly_institutions", "养老机构和养老服务场所数", "所", "elderly_institutions", None, 1,
               "该日运营中的养老机构与社区养老服务设施数（农村牧区养老服务站、老年餐桌另计）"),
    Definition("childcare_institutions", "托育机构数", "家", "childcare_institutions", None, 1,
               "该日运营中的托育机构数"),
    Definition("community_facility_coverage", "社区养老服务设施覆盖率", "%", "villages_covered", "villages", 100,
               "有至少1个运营中社区养老服务设施的村（社区）数 ÷ 村（社区）数 × 100"),
    Definition("town_center_coverage", "乡镇（街道）综合养老服务中心覆盖率", "%", "towns_with_center", "towns", 100,
               "有街道（乡镇）综合养老服务中心的乡镇（街道）数 ÷ 乡镇（街道）数 × 100"),
    Definition("practitioner_certified_rate", "从业人员持证上岗率", "%", "employed_certified", "employed", 100,
               "该日在岗且持有效证书的从业人员数 ÷ 该日在岗从业人员数 × 100"),
    Definition("trained_practitioners", "培训从业人员数", "人", "trained", None, 1,
               "当年1月1日至该日完成培训且考核合格的从业人员数（按人去重）"),
    Definition("occupancy_rate", "养老机构入住率", "%", "residents", "beds_with_residents", 100,
               "在住老年人数 ÷ 有在住老年人的机构床位数 × 100"),
    Definition("social_workers_per_1000_elderly", "每千名老年人配套社会工作者人数", "人", "social_workers", "pop_60",
               1000, "在岗社会工作者数 ÷ 60岁及以上人口 × 1000"),
]}


# The definitions this module computes from the registry itself; ``register`` adds other modules' ones.
BUILTIN: dict[str, Definition] = dict(CATALOGUE)


def register(metrics: Iterable[Metric], definitions: Iterable[Definition]) -> None:
    """Metrics and catalogue entries of another module (supervision registers its own in ``ready()``), so
    this engine computes them per region like the built-in ones without knowing that module."""
    for m in metrics:
        METRICS[m.code] = m
    for d in definitions:
        missing = [x for x in d.metrics if x not in METRICS]
        if missing:
            raise ValueError(f"definition {d.code} uses unknown metrics {missing}")
        CATALOGUE[d.code] = d


def metrics_for(codes: Iterable[str]) -> set[str]:
    out: set[str] = set()
    for c in codes:
        out.update(CATALOGUE[c].metrics)
    return out


# ---------------------------------------------------------------------------------------------------
# the region tree and rollups


@dataclass
class Tree:
    """The regions under one root: codes, levels and parents, as arrays and maps."""

    codes: list[str]
    levels: list[int]
    parents: list[str | None]

    def __post_init__(self) -> None:
        self.level_of = dict(zip(self.codes, self.levels, strict=True))
        self.children: dict[str, list[str]] = {}
        for code, parent in zip(self.codes, self.parents, strict=True):
            if parent is not None and parent in self.level_of:
                self.children.setdefault(parent, []).append(code)
        for kids in self.children.values():
            kids.sort()
        # Per level, computed once: a dashboard rolls up dozens of metrics × dates over the same tree.
        self._by_level: dict[int, list[str]] = {}
        for code, lv in zip(self.codes, self.levels, strict=True):
            self._by_level.setdefault(lv, []).append(code)
        self._prefixes = {lv: (np.asarray(codes, dtype="U12").astype(f"U{PREFIX_LEN[lv]}"), codes)
                          for lv, codes in self._by_level.items() if lv in PREFIX_LEN}
        self._bottom_up = sorted(self.codes, key=lambda c: -self.level_of[c])

    def prefix(self, code: str) -> str:
        return code[: PREFIX_LEN[self.level_of[code]]]

    def at_level(self, level: int) -> list[str]:
        return list(self._by_level.get(level, ()))


def rollup(tree: Tree, codes: Sequence[str], values: Sequence[float] | np.ndarray) -> dict[str, float | None]:
    """Sums of ``values`` (keyed by the record's region code) for every region of the tree, by prefix.

    A record at a county-level code counts for the county and the city, not for any town; a region with
    no records gets 0.
    """
    out: dict[str, float | None] = dict.fromkeys(tree.codes, 0.0)
    if len(codes) == 0:
        return out
    arr = np.asarray(codes, dtype="U12")
    vals = np.asarray(values, dtype=np.float64)
    for level, plen in PREFIX_LEN.items():
        if level not in tree._prefixes:
            continue
        prefixes, targets = tree._prefixes[level]
        keys = arr.astype(f"U{plen}")
        uniq, inv = np.unique(keys, return_inverse=True)
        sums = np.bincount(inv.ravel(), weights=vals, minlength=len(uniq))
        # Each target region's prefix looked up in the sorted unique record prefixes at once.
        pos = np.minimum(np.searchsorted(uniq, prefixes), len(uniq) - 1)
        hit = np.flatnonzero(uniq[pos] == prefixes)
        for i, total in zip(hit.tolist(), sums[pos[hit]].tolist(), strict=True):
            out[targets[i]] = total
    return out


def resolve_stat(tree: Tree, own: Mapping[str, float]) -> dict[str, float | None]:
    """A non-additive statistic: a region's own figure, else the sum of its children's (when all known)."""
    out: dict[str, float | None] = {}
    for code in tree._bottom_up:
        if code in own:
            out[code] = float(own[code])
            continue
        kids = tree.children.get(code, [])
        vals = [out.get(k) for k in kids]
        out[code] = float(sum(v for v in vals if v is not None)) if kids and all(v is not None for v in vals) else None
    return out


# ---------------------------------------------------------------------------------------------------
# values


@dataclass(frozen=True)
class Value:
    value: float | None
    numerator: float | None
    denominator: float | None


def evaluate(defn: Definition, metric_values: Mapping[str, Mapping[str, float | None]], code: str,
             digits: int = 4) -> Value:
    """One definition at one region: None when the denominator is missing or zero."""
    num = metric_values.get(defn.numerator, {}).get(code)
    if defn.denominator is None:
        if num is None:
            return Value(None, None, None)
        return Value(round(num * defn.factor, digits), num, None)
    den = metric_values.get(defn.denominator, {}).get(code)
    if num is None or den is None or den == 0:
        return Value(None, num, den)
    return Value(round(num / den * defn.factor, digits), num, den)


# ---------------------------------------------------------------------------------------------------
# milestones and status


COMPARATORS = (">=", ">", "<=", "<", "=")


def satisfies(value: float, comparator: str | None, ref: float, strict: bool = True) -> bool:
    """``value`` against ``ref``; with ``strict=False`` a strict comparator also accepts equality."""
    eps = 1e-9
    c = comparator or ">="
    if c == ">":
        return value > ref + eps if strict else value >= ref - eps
    if c == "<":
        return value < ref - eps if strict else value <= ref + eps
    if c == "<=":
        return value <= ref + eps
    if c in ("=", "=="):
        return abs(value - ref) <= eps
    return value >= ref - eps


def default_milestones(baseline_year: int | None, baseline: float | None, target_year: int | None,
                       target: float | None) -> list[tuple[int, float]]:
    """Linear path from the baseline to the target, one value per year end after the baseline year."""
    if baseline_year is None or baseline is None or target_year is None or target is None:
        return []
    if target_year <= baseline_year:
        return [(target_year, float(target))]
    span = target_year - baseline_year
    return [(y, round(baseline + (target - baseline) * (y - baseline_year) / span, 4))
            for y in range(baseline_year + 1, target_year + 1)]


def milestone_at(on: dt.date, baseline_year: int | None, baseline: float | None,
                 points: Sequence[tuple[int, float]]) -> float | None:
    """The expected value on a date: year-end milestones joined by straight lines, flat after the last."""
    pts: list[tuple[dt.date, float]] = []
    if baseline_year is not None and baseline is not None:
        pts.append((dt.date(baseline_year, 12, 31), float(baseline)))
    pts += [(dt.date(y, 12, 31), float(v)) for y, v in sorted(points) if v is not None]
    if not pts:
        return None
    pts.sort()
    if on <= pts[0][0]:
        return pts[0][1]
    for (d0, v0), (d1, v1) in zip(pts, pts[1:], strict=False):
        if d0 < on <= d1:
            frac = (on - d0).days / (d1 - d0).days
            return round(v0 + (v1 - v0) * frac, 4)
    return pts[-1][1]


def status(value: float | None, comparator: str | None, target: float | None,
           milestone: float | None) -> str:
    """达标 when the target is met; 进度正常 when the milestone for the date is; else 滞后; 无数据 without value."""
    if value is None or target is None:
        return "no_data"
    if satisfies(value, comparator, target):
        return "met"
    if milestone is not None and satisfies(value, comparator, milestone, strict=False):
        return "on_track"
    return "behind"


INTENSIVE_WORDS = ("每千", "每万", "每个", "每百", "率", "占比", "比例", "比重", "人均", "覆盖")
INTENSIVE_UNITS = ("%", "‰", "岁")


def looks_intensive(name: str, unit: str | None) -> bool:
    """Whether a reported indicator's target applies to sub-regions (a rate) or only to the plan's region."""
    return (unit or "") in INTENSIVE_UNITS or any(w in name for w in INTENSIVE_WORDS)


def fmt(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "—"
    if abs(value - round(value)) < 1e-9:
        return str(int(round(value)))
    return f"{value:.{digits}f}".rstrip("0").rstrip(".")
