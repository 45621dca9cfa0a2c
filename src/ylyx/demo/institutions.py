"""Institutions of the demo city with dated capacity, childcare classes and filings.

2020 (all opened before 2020-12-31, operating on that date): exactly the plan's 121 elderly-care
institutions and sites (10 公办, 15 公建民营, 16 民办, 30 日间照料中心, 50 互助幸福院) with 12,276 beds,
98 rural service stations without beds, and 58 childcare institutions whose classes hold 1,231 places,
2 of them filed. Nursing beds are exactly 40% of the beds of kind=elder institutions; community
facilities have no nursing beds.

2021–2025: new institutions, one closure, expansions and conversions of ordinary beds to nursing beds,
so that 2025-12-31 has 14,276 beds in elderly care, ≥55% nursing beds and 60 filed childcare
institutions (capacity records say when each change happened).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np

from . import names
from .regions import Population, Tree
from .spec import BASELINE, COUNTIES, NURSING_SHARE_2020, NURSING_SHARE_2025, Spec
from .util import allocate, allocate_capped, day, from_day, uscc

NUMERALS = "一二三四五六七八九十"
ELDER_SUBTYPES = ("tekun", "public", "public_private", "private", "medical")
# Subtypes counted as "养老院和养老服务场所" by the plan (rural stations and meal points are not).
ELDER_CARE_SUBTYPES = ELDER_SUBTYPES + ("street_center", "day_care", "happiness")
AFFORDABLE_CC = {"cc_affordable", "cc_public", "cc_community", "cc_employer"}
EMPLOYERS = ["河套酒业", "巴彦淖尔市医院", "临河区人民医院", "巴彦淖尔供电公司", "河套学院", "市政务服务中心",
             "乌拉特前旗人民医院", "五原县人民医院"]


@dataclass
class Cap:
    valid_from: dt.date
    beds: int
    nursing: int
    places: int
    affordable: int
    status: str = "operating"


@dataclass
class Klass:
    id: int
    name: str
    class_type: str
    places: int
    affordable: bool
    caregivers: int


@dataclass
class FilingPlan:
    status: str
    number: str
    submitted_on: dt.date
    filed_on: dt.date | None
    cancelled_on: dt.date | None
    authority: str
    events: list[tuple[str, dt.date, str]]


@dataclass
class Inst:
    id: int
    name: str
    kind: str
    subtype: str
    village: int
    county: int
    legal_form: str
    operation_mode: str
    prefix2: str
    opened: dt.date
    timeline: list[Cap] = field(default_factory=list)
    classes: list[Klass] = field(default_factory=list)
    medical: str = "none"
    closed: dt.date | None = None
    fee_min: float | None = None
    fee_max: float | None = None
    filing: FilingPlan | None = None
    address: str = ""
    lat: float = 0.0
    lon: float = 0.0
    floor_area: float | None = None
    phone: str = ""
    uscc: str = ""

    @property
    def current(self) -> Cap:
        return self.timeline[-1]

    def cap_at(self, d: dt.date) -> Cap | None:
        found = None
        for c in self.timeline:
            if c.valid_from <= d:
                found = c
        return found

    def add_change(self, on: dt.date, dbeds: int = 0, dnursing: int = 0, status: str | None = None) -> None:
        """Append a capacity change effective ``on`` (changes must come in date order per institution)."""
        last = self.timeline[-1]
        if on < last.valid_from:
            raise ValueError("capacity changes must be added in date order")
        new = Cap(on, last.beds + dbeds, last.nursing + dnursing, last.places, last.affordable, status or last.status)
        if status == "closed":
            new = Cap(on, 0, 0, 0, 0, "closed")
        if on == last.valid_from:
            self.timeline[-1] = new
        else:
            self.timeline.append(new)


@dataclass
class Registry:
    institutions: list[Inst]
    class_seq: int

    def by_kind(self, kind: str) -> list[Inst]:
        return [i for i in self.institutions if i.kind == kind]


def _rand_date(rng, start: dt.date, end: dt.date) -> dt.date:
    return from_day(int(rng.integers(day(start), day(end) + 1)))


class _Builder:
    def __init__(self, spec: Spec, tree: Tree, pop: Population, rng, rules: dict, first_id: int, first_class_id: int):
        self.spec, self.tree, self.rng, self.rules = spec, tree, rng, rules
        self.next_id, self.next_class = first_id, first_class_id
        self.insts: list[Inst] = []
        self.names: set[str] = set()
        p = pop.by_year[2020]
        kinds = np.array([tree.towns[v.town].kind for v in tree.villages])
        self.urban = tree.village_urban()
        self.kinds = kinds
        self.total = p["total"].astype(float)
        self.old = p["aged_60"].astype(float)
        self.used: dict[str, set[int]] = {}

    # -- placement and naming ------------------------------------------------------------------
    def pick_village(self, where: str, weight: str = "total", unique_key: str | None = None) -> int:
        mask = {"urban": self.urban, "street": self.kinds == "street", "rural": ~self.urban,
                "town_urban": self.urban & (self.kinds != "street"), "any": np.ones(len(self.urban), bool)}[where]
        w = np.where(mask, self.old if weight == "old" else self.total, 0.0)
        if unique_key is not None:
            used = self.used.setdefault(unique_key, set())
            w2 = w.copy()
            w2[list(used)] = 0.0
            if w2.sum() > 0:
                w = w2
        if w.sum() <= 0:
            w = self.total.copy()
        v = int(self.rng.choice(len(w), p=w / w.sum()))
        if unique_key is not None:
            self.used[unique_key].add(v)
        return v

    def unique_name(self, name: str) -> str:
        base, i = name, 2
        while name in self.names:
            name = f"{base}（{NUMERALS[min(i, 10) - 1]}部）" if i <= 10 else f"{base}（{i}）"
            i += 1
        self.names.add(name)
        return name

    def name_for(self, subtype: str, v: int) -> str:
        vil = self.tree.villages[v]
        town = self.tree.towns[vil.town]
        county = COUNTIES[vil.county][1]
        brand = names.BRANDS[int(self.rng.integers(len(names.BRANDS)))]
        cbrand = names.CHILD_BRANDS[int(self.rng.integers(len(names.CHILD_BRANDS)))]
        r = self.rng.random()
        return self.unique_name({
            "public": f"{county}社会福利院" if r < 0.6 else f"{town.name}敬老院",
            "tekun": f"{town.name}敬老院",
            "public_private": f"{county}{brand}颐养中心" if r < 0.5 else f"{town.name}中心敬老院",
            "private": f"{county}{brand}{'老年公寓' if r < 0.4 else '康养中心' if r < 0.7 else '养老院'}",
            "medical": f"{county}{brand}医养结合中心",
            "day_care": f"{vil.name}日间照料中心",
            "street_center": f"{town.name}综合养老服务中心",
            "happiness": f"{vil.name}互助幸福院",
            "rural_station": f"{vil.name}养老服务站",
            "meal": f"{vil.name}老年餐桌",
            "cc_profit": f"{cbrand}托育中心（{vil.name}店）",
            "cc_affordable": f"{county}{cbrand}普惠托育中心",
            "cc_public": f"{county}{'妇幼保健院' if r < 0.5 else '公办'}托育中心",
            "cc_kindergarten": f"{county}第{NUMERALS[int(self.rng.integers(10))]}幼儿园托班",
            "cc_community": f"{vil.name}社区托育点",
            "cc_employer": f"{EMPLOYERS[int(self.rng.integers(len(EMPLOYERS)))]}职工托育点",
            "cc_family": f"{names.SURNAMES[int(self.rng.integers(30))]}家家庭托育点",
        }[subtype])

    # -- creation ------------------------------------------------------------------------------
    def new(self, kind: str, subtype: str, village: int, opened: dt.date, beds: int = 0, nursing: int = 0) -> Inst:
        legal, mode, prefix = {
            "public": ("public_institution", "public", "12"), "tekun": ("public_institution", "public", "12"),
            "public_private": ("nonprofit", "public_private", "52"),
            "private": ("nonprofit", "private", "52") if self.rng.random() < 0.6 else ("profit", "private", "91"),
            "medical": ("profit", "private", "91"),
            "cc_public": ("public_institution", "public", "12"),
            "cc_affordable": ("nonprofit", "private", "52"), "cc_profit": ("profit", "private", "91"),
            "cc_kindergarten": ("public_institution", "public", "12") if self.rng.random() < 0.5
            else ("nonprofit", "private", "52"),
            "cc_community": ("nonprofit", "public_private", "52"), "cc_employer": ("profit", "private", "91"),
            "cc_family": ("profit", "private", "92"),
        }.get(subtype, ("government", "public", "11"))
        vil = self.tree.villages[village]
        inst = Inst(self.next_id, self.name_for(subtype, village), kind, subtype, village, vil.county, legal, mode,
                    prefix, opened, [Cap(opened, beds, nursing, 0, 0)])
        self.next_id += 1
        self.insts.append(inst)
        return inst

    def finish(self, inst: Inst) -> None:
        """Address, coordinates, fees, phone, code: the descriptive fields."""
        rng = self.rng
        vil = self.tree.villages[inst.village]
        town = self.tree.towns[vil.town]
        county = COUNTIES[vil.county]
        road = names.ROADS[int(rng.integers(len(names.ROADS)))]
        if vil.urban:
            inst.address = f"{county[1]}{town.name}{vil.name}{road}{int(rng.integers(1, 300))}号"
        else:
            inst.address = f"{county[1]}{town.name}{vil.name}{int(rng.integers(1, 9))}组"
        inst.lat = round(vil.lat + rng.uniform(-0.004, 0.004), 6)
        inst.lon = round(vil.lon + rng.uniform(-0.005, 0.005), 6)
        peak = max((c.beds for c in inst.timeline), default=0)
        places = inst.current.places
        area = {"elder": peak * rng.uniform(28, 45), "childcare": places * rng.uniform(6, 10) + 80}.get(
            inst.kind, max(peak * 25.0, rng.uniform(80, 600)))
        inst.floor_area = round(float(area), 1)
        lo, span = {"public": (800, 900), "tekun": (0, 600), "public_private": (1500, 1500),
                    "private": (1800, 2500), "medical": (2600, 3000), "day_care": (200, 400),
                    "street_center": (300, 600), "happiness": (0, 200), "rural_station": (0, 150), "meal": (0, 200),
                    "cc_profit": (1800, 1500), "cc_affordable": (800, 500), "cc_public": (700, 400),
                    "cc_kindergarten": (1000, 700), "cc_community": (800, 400), "cc_employer": (600, 500),
                    "cc_family": (1500, 900)}[inst.subtype]
        fee = round(lo + rng.uniform(0, 0.5) * span, -1)
        inst.fee_min, inst.fee_max = float(fee), float(round(fee + rng.uniform(0.3, 1.0) * span, -1))
        inst.phone = f"0478-{int(rng.integers(8_000_000, 8_999_999))}"
        inst.uscc = uscc(inst.prefix2, county[0], 104_729 + inst.id * 7)
        if inst.timeline[-1].status == "closed":
            inst.closed = inst.timeline[-1].valid_from

    def split_classes(self, inst: Inst, places: int) -> None:
        rng = self.rng
        k = max(1, math.ceil(places / 14))
        sizes = allocate(places, np.ones(k))
        counters: dict[str, int] = {}
        labels = {"infant": "乳儿", "junior": "托小", "senior": "托大", "mixed": "混龄"}
        affordable_inst = inst.subtype in AFFORDABLE_CC or (inst.subtype == "cc_kindergarten" and rng.random() < 0.5)
        for i, size in enumerate(sizes):
            size = int(size)
            if inst.subtype == "cc_family":
                ctype = "mixed"
            elif size <= 10 and rng.random() < 0.25:
                ctype = "infant"
            else:
                ctype = ["junior", "senior", "mixed", "senior"][(i + int(rng.integers(2))) % 4]
            if size > self.rules[ctype]["max_size"]:
                ctype = "senior"
            counters[ctype] = counters.get(ctype, 0) + 1
            name = f"{labels[ctype]}{NUMERALS[counters[ctype] - 1]}班"
            affordable = affordable_inst or (inst.subtype == "cc_profit" and i == 0 and rng.random() < 0.2)
            caregivers = math.ceil(size / self.rules[ctype]["ratio"])
            inst.classes.append(Klass(self.next_class, name, ctype, size, affordable, caregivers))
            self.next_class += 1
        total = sum(c.places for c in inst.classes)
        aff = sum(c.places for c in inst.classes if c.affordable)
        inst.timeline = [Cap(inst.opened, 0, 0, total, aff)]


def make_institutions(spec: Spec, tree: Tree, pop: Population, rng: np.random.Generator, rules: dict,
                      first_id: int = 1, first_class_id: int = 1) -> Registry:
    b = _Builder(spec, tree, pop, rng, rules, first_id, first_class_id)
    # ---- 2020: elderly care ---------------------------------------------------------------
    community = []
    for sub, n in spec.community_2020.items():
        for _ in range(n):
            if sub == "day_care":
                v, beds = b.pick_village("urban", unique_key="day_care"), int(rng.integers(8, 21))
                opened = _rand_date(rng, dt.date(2013, 1, 1), dt.date(2020, 9, 30))
            else:
                v, beds = b.pick_village("rural", "old", unique_key="happiness"), int(rng.integers(20, 57))
                opened = _rand_date(rng, dt.date(2012, 1, 1), dt.date(2019, 12, 31))
            community.append(b.new("community", sub, v, opened, beds))
    c_beds = sum(i.current.beds for i in community)
    e_beds = spec.beds_2020 - c_beds
    r = e_beds % 5  # nursing = 2/5 of elder beds must be a whole number
    e_beds -= r
    biggest = max((i for i in community if i.subtype == "happiness"), key=lambda i: i.current.beds, default=community[0])
    biggest.timeline[0].beds += r
    elder = []
    weights, ratios = [], []
    for sub, n in spec.elder_2020.items():
        mean, ratio = {"public": (220, 0.5), "public_private": (260, 0.45), "private": (200, 0.3)}[sub]
        for _ in range(n):
            where = "town_urban" if sub == "public" and rng.random() < 0.4 else "urban"
            opened = _rand_date(rng, *{"public": (dt.date(2003, 1, 1), dt.date(2015, 12, 31)),
                                       "public_private": (dt.date(2012, 1, 1), dt.date(2019, 12, 31)),
                                       "private": (dt.date(2010, 1, 1), dt.date(2020, 6, 30))}[sub])
            elder.append(b.new("elder", sub, b.pick_village(where), opened))
            weights.append(mean * rng.lognormal(0, 0.35))
            ratios.append(ratio)
    floor_ = min(30, e_beds // (2 * len(elder)))
    elder_beds = allocate(e_beds - floor_ * len(elder), weights) + floor_
    nursing_total = e_beds * NURSING_SHARE_2020 // 100
    nursing = allocate_capped(nursing_total, elder_beds * np.array(ratios), (elder_beds * 0.9).astype(np.int64))
    for inst, nb, nn in zip(elder, elder_beds, nursing, strict=True):
        inst.timeline[0].beds, inst.timeline[0].nursing = int(nb), int(nn)
    # 92% of 养老院 give residents some medical service: the smallest go without.
    n_med = round(0.92 * len(elder))
    for rank, inst in enumerate(sorted(elder, key=lambda i: -i.current.beds)):
        inst.medical = "none" if rank >= n_med else ("internal" if inst.current.beds >= 250 else "contracted")
    for inst in community:
        inst.medical = "contracted" if rng.random() < (0.4 if inst.subtype == "day_care" else 0.25) else "none"
    for _ in range(spec.rural_stations_2020):
        v = b.pick_village("rural", "old", unique_key="rural_station")
        b.new("community", "rural_station", v, _rand_date(rng, dt.date(2016, 1, 1), dt.date(2020, 10, 31)))

    # ---- 2020: childcare ------------------------------------------------------------------
    cc_2020 = []
    cw = []
    for sub, n in spec.childcare_2020.items():
        for _ in range(n):
            where = "rural" if sub == "cc_community" and rng.random() < 0.3 else "urban"
            inst = b.new("childcare", sub, b.pick_village(where), _rand_date(rng, dt.date(2016, 3, 1),
                                                                           dt.date(2020, 8, 31)))
            cc_2020.append(inst)
            cw.append({"cc_kindergarten": 34, "cc_public": 40, "cc_affordable": 26, "cc_family": 8}.get(sub, 18)
                      * rng.lognormal(0, 0.3))
    places = allocate(spec.places_2020 - 5 * len(cc_2020), cw) + 5
    for inst, p in zip(cc_2020, places, strict=False):
        b.split_classes(inst, int(p))

    # ---- 2021–2025: elderly care ----------------------------------------------------------
    def growth_date() -> dt.date:
        return _rand_date(rng, dt.date(2021, 3, 1), dt.date(2025, 10, 31))

    closed_beds = 0
    private = sorted((i for i in elder if i.subtype == "private"), key=lambda i: i.current.beds)
    closing = private[: min(spec.closures, max(0, len(private) - 1))]
    for inst in closing:
        closed_beds += inst.current.beds
        inst.add_change(dt.date(2023, 6, 30), status="closed")
    new_comm = []
    for sub, n in spec.new_community.items():
        lo_hi = {"street_center": (20, 41), "day_care": (8, 21), "happiness": (20, 51)}.get(sub)
        for _ in range(n):
            where = {"street_center": "street", "day_care": "urban", "meal": "urban"}.get(sub, "rural")
            v = b.pick_village(where, "old", unique_key=sub if sub != "meal" else None)
            inst = b.new("community", sub, v, growth_date(), int(rng.integers(*lo_hi)) if lo_hi else 0)
            inst.medical = "contracted" if sub == "street_center" or rng.random() < 0.3 else "none"
            new_comm.append(inst)
    new_comm_beds = sum(i.current.beds for i in new_comm)
    open_elder = [i for i in elder if i not in closing]
    exp_idx = rng.choice(len(open_elder), size=min(spec.expansions, len(open_elder)), replace=False)
    expanded = [open_elder[i] for i in sorted(exp_idx)]
    exp_beds = [int(rng.integers(20, 81)) for _ in expanded]
    n_new_elder = sum(spec.new_elder.values())
    rest = spec.beds_2025 - (spec.beds_2020 - closed_beds + new_comm_beds + sum(exp_beds))
    if n_new_elder == 0 or rest < 40 * n_new_elder:
        # Small cities: let the expansions absorb what new institutions cannot.
        target_exp = sum(exp_beds) + rest - (40 * n_new_elder if n_new_elder else 0)
        if target_exp < 0:
            raise ValueError("growth does not fit the 2025 bed target at this scale")
        exp_beds = [int(x) for x in allocate(target_exp, np.ones(len(expanded)))]
        rest = 40 * n_new_elder if n_new_elder else 0
    exp_dates = {}
    for inst, add in zip(expanded, exp_beds, strict=False):
        on = _rand_date(rng, dt.date(2022, 1, 1), dt.date(2024, 12, 31))
        exp_dates[inst.id] = on
        inst.add_change(on, add, round(add * 0.7))
    new_elder = []
    for sub, n in spec.new_elder.items():
        for _ in range(n):
            new_elder.append(b.new("elder", sub, b.pick_village("urban"), growth_date()))
    if new_elder:
        nb = allocate(rest - 40 * len(new_elder), rng.lognormal(0, 0.3, len(new_elder))) + 40
        for inst, beds_ in zip(new_elder, nb, strict=False):
            share = 0.85 if inst.subtype == "medical" else 0.7
            inst.timeline[0].beds, inst.timeline[0].nursing = int(beds_), int(round(beds_ * share))
            inst.medical = "internal"
    # Conversions of ordinary beds to nursing beds reach the 2025 share.
    all_elder = [i for i in b.insts if i.kind == "elder"]
    e25 = sum(i.current.beds for i in all_elder if i.current.status == "operating")
    n25 = math.ceil(e25 * NURSING_SHARE_2025 / 100)
    conv_total = max(0, n25 - sum(i.current.nursing for i in all_elder if i.current.status == "operating"))
    room = np.array([i.timeline[0].beds - i.timeline[0].nursing for i in open_elder])
    conv = allocate_capped(min(conv_total, int(room.sum())), room.astype(float), room)
    for inst, c in zip(open_elder, conv, strict=False):
        c = int(c)
        if not c:
            continue
        lo = max(exp_dates.get(inst.id, dt.date(2021, 1, 1)), inst.timeline[-1].valid_from) + dt.timedelta(days=1)
        first = _rand_date(rng, lo, dt.date(2024, 6, 30)) if lo < dt.date(2024, 6, 30) else lo
        half = c // 2 if c > 10 else c
        inst.add_change(first, 0, half)
        if c - half:
            inst.add_change(_rand_date(rng, first + dt.timedelta(days=30), dt.date(2025, 11, 30)), 0, c - half)

    # ---- 2021–2025: childcare -------------------------------------------------------------
    new_cc = []
    for sub, n in spec.new_childcare.items():
        for _ in range(n):
            new_cc.append(b.new("childcare", sub, b.pick_village("urban"), growth_date()))
    if new_cc:
        extra = max(spec.places_2025 - spec.places_2020, 10 * len(new_cc))
        w = [{"cc_affordable": 70, "cc_public": 90, "cc_kindergarten": 45}.get(i.subtype, 45) * rng.lognormal(0, 0.3)
             for i in new_cc]
        for inst, p in zip(new_cc, allocate(extra - 10 * len(new_cc), w) + 10, strict=False):
            b.split_classes(inst, int(p))

    # ---- filings --------------------------------------------------------------------------
    _filings(b, spec, cc_2020, new_cc, rng)
    for inst in b.insts:
        if inst.kind == "elder":
            _elder_filing(b, inst, rng)
        b.finish(inst)
    assert all(c.nursing <= c.beds for i in b.insts for c in i.timeline)
    return Registry(b.insts, b.next_class)


WORKDAY_LIMIT = 5


def _events_filed(rng, submitted: dt.date, returned: bool) -> tuple[list, dt.date]:
    ev = [("submitted", submitted, ""), ("received", submitted + dt.timedelta(days=int(rng.integers(1, 4))), "")]
    if returned:
        back = ev[-1][1] + dt.timedelta(days=int(rng.integers(3, 12)))
        again = back + dt.timedelta(days=int(rng.integers(5, 30)))
        ev += [("returned", back, "材料不全：请补充消防安全检查合格证明"), ("submitted", again, ""),
               ("received", again + dt.timedelta(days=int(rng.integers(1, 3))), "")]
    filed = ev[-1][1] + dt.timedelta(days=int(rng.integers(1, WORKDAY_LIMIT + 2)))
    ev.append(("filed", filed, ""))
    return ev, filed


def _filings(b: _Builder, spec: Spec, old: list[Inst], new: list[Inst], rng) -> None:
    """Exactly ``filed_2020`` childcare filings on or before 2020-12-31; the rest later, pending or none."""
    order = sorted(old, key=lambda i: (i.subtype not in ("cc_public", "cc_affordable", "cc_kindergarten"), i.id))
    f20 = spec.filed_2020
    later_total = max(0, spec.filed_2025 - f20)
    old_later = min(len(old) - f20, round(later_total * 30 / 58))
    new_filed = min(len(new), later_total - old_later)
    old_later = min(len(old) - f20, later_total - new_filed)
    old_pending = min(len(old) - f20 - old_later, round(len(old) * 8 / 58))
    new_pending = min(len(new) - new_filed, round(len(new) * 20 / 80))
    rest = order[f20:]
    rng.shuffle(rest)
    seq = [0]

    def plan(inst: Inst, mode: str, lo: dt.date, hi: dt.date) -> None:
        county = COUNTIES[inst.county]
        authority = f"{county[1]}卫生健康委员会"
        submitted = _rand_date(rng, lo, hi)
        if mode == "filed":
            events, filed = _events_filed(rng, submitted, rng.random() < 0.3)
            seq[0] += 1
            number = f"蒙巴卫托备{filed.year}{seq[0]:04d}"
            inst.filing = FilingPlan("filed", number, submitted, filed, None, authority, events)
        else:
            events = [("submitted", submitted, "")]
            if mode in ("received", "returned"):
                events.append(("received", submitted + dt.timedelta(days=int(rng.integers(1, 4))), ""))
            if mode == "returned":
                events.append(("returned", events[-1][1] + dt.timedelta(days=int(rng.integers(3, 12))),
                               "托育从业人员资格证明不全，请补正后重新提交"))
            inst.filing = FilingPlan(mode, "", submitted, None, None, authority, events)

    for inst in order[:f20]:
        plan(inst, "filed", max(inst.opened, dt.date(2020, 3, 1)), dt.date(2020, 10, 31))
        assert inst.filing is not None and inst.filing.filed_on is not None and inst.filing.filed_on <= BASELINE
    for inst in rest[:old_later]:
        plan(inst, "filed", dt.date(2021, 2, 1), dt.date(2025, 10, 31))
    pending_modes = ["submitted", "received", "returned"]
    for k, inst in enumerate(rest[old_later: old_later + old_pending]):
        plan(inst, pending_modes[k % 3], dt.date(2025, 6, 1), dt.date(2025, 12, 15))
    new = list(new)
    rng.shuffle(new)
    for inst in new[:new_filed]:
        hi = min(inst.opened + dt.timedelta(days=300), dt.date(2025, 11, 30))
        plan(inst, "filed", min(inst.opened + dt.timedelta(days=20), hi), hi)
    for k, inst in enumerate(new[new_filed: new_filed + new_pending]):
        lo = max(inst.opened + dt.timedelta(days=10), dt.date(2025, 1, 1))
        plan(inst, pending_modes[k % 3], min(lo, dt.date(2025, 12, 15)), dt.date(2025, 12, 15))


def _elder_filing(b: _Builder, inst: Inst, rng) -> None:
    """养老机构备案 (民政部令第66号): institutions opened before 2019 filed during 2019."""
    county = COUNTIES[inst.county]
    lo = max(inst.opened + dt.timedelta(days=5), dt.date(2019, 3, 1))
    submitted = _rand_date(rng, lo, lo + dt.timedelta(days=200 if inst.opened < dt.date(2019, 1, 1) else 40))
    events, filed = _events_filed(rng, submitted, rng.random() < 0.15)
    number = f"蒙巴民养备{filed.year}{inst.id:05d}"
    plan = FilingPlan("filed", number, submitted, filed, None, f"{county[1]}民政局", events)
    if inst.current.status == "closed":
        plan.status, plan.cancelled_on = "cancelled", inst.current.valid_from
        plan.events.append(("cancelled", inst.current.valid_from, "机构停业，注销备案"))
    inst.filing = plan


def expected_totals(reg: Registry, on: dt.date) -> dict:
    """What the capacity records say on a date (for tests and the build summary)."""
    out = {"elder_care": 0, "rural_stations": 0, "beds": 0, "elder_beds": 0, "nursing": 0, "childcare": 0,
           "places": 0, "filed": 0}
    for i in reg.institutions:
        cap = i.cap_at(on)
        if cap is None or cap.status != "operating":
            continue
        if i.subtype in ELDER_CARE_SUBTYPES:
            out["elder_care"] += 1
            out["beds"] += cap.beds
        if i.subtype == "rural_station":
            out["rural_stations"] += 1
        if i.kind == "elder":
            out["elder_beds"] += cap.beds
            out["nursing"] += cap.nursing
        if i.kind == "childcare":
            out["childcare"] += 1
            out["places"] += cap.places
            if i.filing and i.filing.filed_on and i.filing.filed_on <= on:
                out["filed"] += 1
    return out
