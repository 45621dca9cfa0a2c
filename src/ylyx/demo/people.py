"""老年人 and 婴幼儿 of the demo city as column arrays, one row per person.

Everyone aged 60+ on 2020-12-31 is registered (so the registry's age bands equal the population
statistics village by village); some die or move out in 2021–2025, and people turning 60 in 2021–2025
are registered as they do. Infants are every birth of 2018–2025, so the under-threes on 2020-12-31 are
exactly the published figure.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from . import names
from .regions import Population, Tree
from .spec import BASELINE, COUNTIES, HORIZON
from .util import add_years, allocate, day, from_day, id_numbers, random_days_in_years

MOBILE_PREFIXES = np.array("130 131 132 133 135 136 137 138 139 150 151 152 155 156 157 158 159 177 180 182 183 "
                           "185 186 187 188 189 199".split())

LIVING = np.array(["with_family", "empty_nest", "alone", "left_behind", "gugua"], dtype=object)
ECONOMIC = np.array(["normal", "tekun", "dibao", "dibao_edge", "hardship"], dtype=object)
DISABILITY = np.array(["none", "1", "2", "3", "4"], dtype=object)


@dataclass
class Elderly:
    village: np.ndarray  # index into tree.villages
    county: np.ndarray
    band: np.ndarray  # 0: 60–64, 1: 65–79, 2: 80+ (age on 2020-12-31)
    birth: np.ndarray  # day numbers
    male: np.ndarray
    living: np.ndarray
    economic: np.ndarray
    disability: np.ndarray
    special_family: np.ndarray
    registered: np.ndarray
    died: np.ndarray  # day number or -1
    moved: np.ndarray
    names: np.ndarray
    ids: list[str]
    phones: list[str]
    addresses: list[str]

    def __len__(self) -> int:
        return len(self.birth)


@dataclass
class Infants:
    village: np.ndarray
    county: np.ndarray
    birth: np.ndarray
    male: np.ndarray
    moved: np.ndarray
    names: np.ndarray
    ids: list[str]
    guardians: np.ndarray
    relations: np.ndarray
    addresses: list[str]

    def __len__(self) -> int:
        return len(self.birth)


def _addresses(rng, tree: Tree, village: np.ndarray) -> list[str]:
    n = len(village)
    a, b, c, d = (rng.integers(1, 60, n), rng.integers(1, 30, n), rng.integers(1, 7, n), rng.integers(101, 1802, n))
    roads = np.array(names.ROADS)[rng.integers(0, len(names.ROADS), n)]
    out = []
    for i in range(n):
        v = tree.villages[village[i]]
        if v.urban:
            out.append(f"{v.name}{roads[i]}{a[i]}号{b[i]}号楼{c[i]}单元{d[i]}室")
        else:
            out.append(f"{v.name}{c[i]}组{a[i]}号")
    return out


def _phones(rng, n: int, share: float) -> list[str]:
    has = rng.random(n) < share
    prefix = MOBILE_PREFIXES[rng.integers(0, len(MOBILE_PREFIXES), n)]
    rest = rng.integers(0, 100_000_000, n)
    return [f"{p}{r:08d}" if h else "" for p, r, h in zip(prefix, rest, has, strict=False)]


def _fates(rng, band: np.ndarray, disability: np.ndarray, start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Death and move-out days (or -1) after ``start``, up to the horizon."""
    n = len(band)
    hazard = np.select([band == 0, band == 1], [0.009, 0.028], 0.105) * np.where(disability > 0, 1.5, 1.0)
    t_death = (rng.exponential(1.0 / hazard) * 365.2425).astype(np.int64)
    t_move = (rng.exponential(1.0 / 0.004, n) * 365.2425).astype(np.int64)
    horizon = day(HORIZON)
    died = np.where(start + t_death <= horizon, start + t_death, -1)
    moved = np.where((start + t_move <= horizon) & ((died < 0) | (t_move < t_death)), start + t_move, -1)
    died = np.where(moved >= 0, -1, died)
    return died, moved


def _disability(rng, band: np.ndarray) -> np.ndarray:
    n = len(band)
    return np.where(rng.random(n) < np.select([band == 0, band == 1], [0.05, 0.08], 0.16),
                    rng.choice([1, 2, 3, 4], size=n, p=[0.15, 0.25, 0.3, 0.3]), 0)


def make_elderly(pop: Population, tree: Tree, rng: np.random.Generator) -> Elderly:
    """Everyone 60+ on 2020-12-31, then those who turn 60 in 2021–2025 (registered at 60).

    Newcomers per year replace the year's deaths and move-outs plus the growth the population
    statistics show, so the registry follows the plan's path to 460,000 (approximately: registries are
    never exact) while 2020-12-31 is exact.
    """
    b60, b65, b80 = pop.bands_2020
    counts = np.stack([b60, b65, b80], axis=1)  # village × band
    village = np.repeat(np.arange(len(tree.villages)), counts.sum(axis=1))
    band = np.concatenate([np.repeat([0, 1, 2], row) for row in counts]).astype(np.int8)
    n = len(village)
    age = np.empty(n, dtype=np.int64)
    for b, (lo, hi, rate) in enumerate([(60, 65, 0.0), (65, 80, 0.055), (80, 106, 0.16)]):
        m = band == b
        ages = np.arange(lo, hi)
        w = np.exp(-rate * (ages - lo))
        age[m] = rng.choice(ages, size=int(m.sum()), p=w / w.sum())
    birth = random_days_in_years(rng, BASELINE.year - age)  # born in year 2020-age: age exactly `age` on 12-31
    turned_60 = birth + np.round(60 * 365.2425).astype(np.int64)
    registered = np.clip(turned_60, day(dt.date(2016, 1, 1)), day(BASELINE)) + rng.integers(0, 60, n)
    registered = np.minimum(registered, day(BASELINE))
    disability = _disability(rng, band)
    # Deaths and move-outs from 2021 only: everyone here was alive and resident on 2020-12-31.
    died, moved = _fates(rng, band, disability, np.full(n, day(BASELINE) + 1))
    parts = [(village, band, birth, registered, disability, died, moved)]
    for year in range(BASELINE.year + 1, HORIZON.year + 1):
        gone = np.concatenate([np.where(p[5] >= 0, p[5], p[6]) for p in parts])
        losses = int(((gone >= day(dt.date(year, 1, 1))) & (gone <= day(dt.date(year, 12, 31)))).sum())
        growth = int(pop.by_year[year]["aged_60"].sum() - pop.by_year[year - 1]["aged_60"].sum())
        k = max(0, growth + losses)
        v = np.repeat(np.arange(len(tree.villages)), allocate(k, b60 + 0.5))
        bd = random_days_in_years(rng, np.full(k, year - 60))
        reg = np.array([day(add_years(from_day(int(x)), 60)) for x in bd], dtype=np.int64) + rng.integers(0, 30, k)
        bnd = np.zeros(k, dtype=np.int8)
        dis = _disability(rng, bnd)
        parts.append((v, bnd, bd, reg, dis, *_fates(rng, bnd, dis, reg + 1)))
    village, band, birth, registered, disability, died, moved = (np.concatenate(c) for c in zip(*parts, strict=False))
    n = len(village)
    male = rng.random(n) >= np.select([band == 0, band == 1], [0.495, 0.51], 0.575)
    county = tree.village_county()[village]
    # Circumstances: 特困 ~1.5%, 低保 ~5%; 特困 people mostly live alone or are 孤寡.
    econ = rng.choice(5, size=n, p=[0.895, 0.015, 0.05, 0.02, 0.02])
    living = rng.choice(5, size=n, p=[0.55, 0.25, 0.12, 0.05, 0.03])
    living = np.where(econ == 1, np.where(rng.random(n) < 0.7, 4, 2), living)
    special = rng.random(n) < 0.005
    full = names.pick_names(rng, male, names.ELDER_MALE, names.ELDER_FEMALE)
    areas = [COUNTIES[c][0] for c in county]
    ids = id_numbers(areas, birth, male, salt=1)
    return Elderly(village, county, band, birth, male, LIVING[living], ECONOMIC[econ], DISABILITY[disability],
                   special, registered, died, moved, full, ids, _phones(rng, n, 0.7), _addresses(rng, tree, village))


def make_infants(pop: Population, tree: Tree, rng: np.random.Generator) -> Infants:
    years = sorted(pop.births)
    per = np.stack([pop.births[y] for y in years], axis=1)  # village × year
    village = np.repeat(np.arange(len(tree.villages)), per.sum(axis=1))
    year = np.concatenate([np.repeat(years, row) for row in per])
    n = len(village)
    birth = random_days_in_years(rng, year)
    male = rng.random(n) < 0.52
    county = tree.village_county()[village]
    horizon = day(HORIZON)
    t_move = birth + (rng.exponential(1.0 / 0.02, n) * 365.2425).astype(np.int64)
    moved = np.where((t_move <= horizon) & (t_move > day(BASELINE)), t_move, -1)
    rel = rng.choice(3, size=n, p=[0.5, 0.45, 0.05])
    guardian_male = np.where(rel == 0, True, np.where(rel == 1, False, rng.random(n) < 0.5))
    guardians, g_mongol = names.pick_names(rng, guardian_male, names.ADULT_MALE, names.ADULT_FEMALE,
                                           mongol_share=0.03, rng_mask=True)
    full, c_mongol = names.pick_names(rng, male, names.CHILD_MALE, names.CHILD_FEMALE, mongol_share=0.03,
                                      rng_mask=True)
    # A child whose guardian is a Han father carries his surname.
    same = (rel == 0) & ~g_mongol & ~c_mongol
    full = np.where(same, np.array([g[0] + c[1:] for g, c in zip(guardians, full, strict=False)], dtype=object), full)
    relations = np.array(["父亲", "母亲", "祖父母"], dtype=object)[rel]
    areas = [COUNTIES[c][0] for c in county]
    ids = id_numbers(areas, birth, male, salt=2)
    return Infants(village, county, birth, male, moved, full, ids, guardians, relations,
                   _addresses(rng, tree, village))
