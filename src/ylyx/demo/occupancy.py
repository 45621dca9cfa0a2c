"""入住 and 入托 histories that respect the registry rules at every admission.

Residences: every bed is a slot that exists while the capacity records provide it; a slot alternates
between stays and vacancies, so residents never exceed beds (nor nursing residents nursing beds) on
any date. Each stay is a different person, alive and aged 60+ at admission; a death or move-out ends
the stay. Nursing beds go to the least able (80+ or disability grade 1–2), public homes take 特困
people first.

Enrolments: classes admit a cohort each 1 September (or at opening) and the cohort leaves on 31 July;
each child is inside the class's age window at admission, the class is never over its places, and the
class's caregivers cover the ratio (``check`` is ``institutions.rules.check_enrolment``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .institutions import Inst, Registry
from .people import Elderly, Infants
from .spec import HORIZON
from .util import day, to_dates

OPEN_END = day(HORIZON) + 1  # a stay still running on the horizon stays open (ended_on NULL)
SIM_START = day(dt.date(2015, 1, 1))
STAY_MEAN = {"elder": 1100.0, "community": 700.0}
OCCUPANCY = {"elder": 0.68, "community": 0.62}


@dataclass
class Stay:
    person: int
    inst: Inst
    nursing: bool
    start: int
    end: int | None


def slot_intervals(inst: Inst, count_of: Callable) -> list[tuple[int, list[tuple[int, int]]]]:
    """For each slot j: the merged day intervals during which the timeline provides more than j units."""
    segs = []
    for k, cap in enumerate(inst.timeline):
        start = day(cap.valid_from)
        end = day(inst.timeline[k + 1].valid_from) if k + 1 < len(inst.timeline) else OPEN_END
        n = count_of(cap) if cap.status == "operating" else 0
        if end > start:
            segs.append((start, end, n))
    top = max((s[2] for s in segs), default=0)
    out = []
    for j in range(top):
        iv: list[tuple[int, int]] = []
        for a, b, n in segs:
            if n > j:
                if iv and iv[-1][1] == a:
                    iv[-1] = (iv[-1][0], b)
                else:
                    iv.append((a, b))
        out.append((j, iv))
    return out


class _Pools:
    """Candidate residents by county and category, consumed without reuse."""

    def __init__(self, eld: Elderly, rng: np.random.Generator, n_counties: int):
        self.eld = eld
        self.used = np.zeros(len(eld), dtype=bool)
        # Aged 60 by the earliest simulated admission (stays begun before 2015 reach back two years).
        ok_age = eld.birth <= day(dt.date(1952, 12, 31))
        cats = {
            "nursing": (eld.band == 2) | np.isin(eld.disability, ["1", "2"]),
            "tekun": eld.economic == "tekun",
            "general": eld.band >= 1,
        }
        self.pools: dict[tuple[str, int], list[int]] = {}
        for cat, mask in cats.items():
            mask = mask & ok_age
            for c in range(-1, n_counties):
                idx = np.flatnonzero(mask & ((eld.county == c) if c >= 0 else True))
                self.pools[(cat, c)] = list(rng.permutation(idx)[::-1])

    def take(self, cat: str, county: int, start: int) -> int | None:
        e = self.eld
        for key in ((cat, county), (cat, -1), ("general", county), ("general", -1)):
            pool = self.pools.get(key, [])
            while pool:
                i = int(pool.pop())
                if self.used[i]:
                    continue
                self.used[i] = True
                if (e.died[i] >= 0 and e.died[i] <= start) or (e.moved[i] >= 0 and e.moved[i] <= start):
                    continue  # gone before this admission (and so before every later one in this slot)
                return i
        return None


def make_residences(reg: Registry, eld: Elderly, rng: np.random.Generator, n_counties: int) -> list[Stay]:
    pools = _Pools(eld, rng, n_counties)
    stays: list[Stay] = []
    homes = [i for i in reg.institutions if i.kind == "elder" or i.subtype in ("happiness", "street_center")]
    for inst in homes:
        kind = "elder" if inst.kind == "elder" else "community"
        mean, p = STAY_MEAN[kind], OCCUPANCY[kind]
        gap_mean = mean * (1 - p) / p
        for nursing, count_of in ((True, lambda c: c.nursing), (False, lambda c: c.beds - c.nursing)):
            for _j, intervals in slot_intervals(inst, count_of):
                for a, b in intervals:
                    t = max(a, SIM_START)
                    occupied = rng.random() < p if a < SIM_START else False
                    if occupied:  # a stay that began before the simulated period
                        t = max(a, t - int(rng.integers(0, 700)))
                    else:
                        t += int(rng.exponential(gap_mean if a < SIM_START else 150.0))
                        occupied = True
                    while t < b:
                        if occupied:
                            cat = "nursing" if nursing else ("tekun" if inst.subtype in ("public", "tekun")
                                                             and rng.random() < 0.6 else "general")
                            person = pools.take(cat, inst.county, t)
                            if person is None:
                                break
                            end = t + max(7, int(rng.exponential(mean)))
                            for gone in (eld.died[person], eld.moved[person]):
                                if gone >= 0:
                                    end = min(end, int(gone))
                            if end >= b:
                                end = b
                            stays.append(Stay(person, inst, nursing, t, None if end >= OPEN_END else end))
                            t = end
                        else:
                            t += max(1, int(rng.exponential(gap_mean)))
                        occupied = not occupied
    return stays


@dataclass
class Enrol:
    infant: int
    inst: Inst
    klass_id: int
    class_type: str
    start: int
    end: int | None


def cohorts(inst: Inst) -> list[tuple[dt.date, dt.date | None]]:
    """Admission periods: from opening, then each 1 September; each ends on the next 31 July."""
    out = []
    start = inst.opened
    while start <= HORIZON:
        sept = dt.date(start.year, 9, 1) if start < dt.date(start.year, 9, 1) else dt.date(start.year + 1, 9, 1)
        end = dt.date(sept.year, 7, 31)
        if end <= start:
            end = dt.date(sept.year + 1, 7, 31)
            sept = dt.date(sept.year + 1, 9, 1)
        out.append((start, end if sept <= HORIZON else None))
        start = sept
    return out


def make_enrolments(reg: Registry, inf: Infants, rng: np.random.Generator, rules: dict,
                    check: Callable | None = None) -> list[Enrol]:
    births = to_dates(inf.birth)
    busy_until = np.full(len(inf), -1, dtype=np.int64)  # day the current enrolment ends (open: huge)
    events = []
    for inst in reg.by_kind("childcare"):
        for k in inst.classes:
            for n, (start, end) in enumerate(cohorts(inst)):
                events.append((start, end, inst.id, k.id, inst, k, n))
    events.sort(key=lambda e: (e[0], e[2], e[3]))
    ages_cache: dict[tuple[int, dt.date], tuple[np.ndarray, np.ndarray]] = {}
    out: list[Enrol] = []
    for start, end, _iid, _kid, inst, k, n in events:
        key = (inst.county, start)
        if key not in ages_cache:
            idx = np.flatnonzero((inf.county == inst.county) & (inf.birth < day(start)))
            b = inf.birth[idx].astype("datetime64[D]")
            y = b.astype("datetime64[Y]").astype(np.int64) + 1970
            m = b.astype("datetime64[M]").astype(np.int64) % 12 + 1
            d = (b - b.astype("datetime64[M]")).astype(np.int64) + 1
            months = (start.year - y) * 12 + (start.month - m) - (start.day < d)
            ages_cache[key] = (idx, months)
        idx, months = ages_cache[key]
        rule = rules[k.class_type]
        fill = rng.uniform(0.55, 0.95) * (0.6 if n == 0 else 1.0)
        want = int(k.places * fill)
        ok = (months >= rule["min_months"]) & (months < rule["max_months"]) & (months < 36)
        cand = idx[ok]
        cand = cand[(busy_until[cand] <= day(start)) & ((inf.moved[cand] < 0) | (inf.moved[cand] > day(start)))]
        chosen = rng.permutation(cand)[:want]
        for enrolled, i in enumerate(chosen):
            i = int(i)
            e = day(end) if end else None
            if inf.moved[i] >= 0 and (e is None or inf.moved[i] < e):
                e = int(inf.moved[i])
            if check is not None:
                errs = check(births[i], start, k.class_type, k.places, enrolled, k.caregivers)
                if errs:
                    raise AssertionError(f"generated enrolment breaks a rule: {errs}")
            busy_until[i] = e if e is not None else np.iinfo(np.int64).max
            out.append(Enrol(i, inst, k.id, k.class_type, day(start), e))
    return out

