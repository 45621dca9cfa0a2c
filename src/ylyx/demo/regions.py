"""Synthetic towns and villages under the real county codes, and population statistics that add up.

Codes follow GB/T 10114 and the statistical rules (security.md §7.3): towns 001–099 街道, 100–199 镇,
200–399 乡/苏木; villages 001–199 社区, 200–399 村/嘎查. Population is allocated to villages with
largest-remainder rounding, and every higher level is the sum of its children, so each level's rows
add up exactly to the city figures in :mod:`ylyx.demo.spec`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import names
from .spec import BBOX, CITY_CODE, COUNTIES, YEARS, Spec
from .util import allocate

MONGOL_COUNTIES = {"150823", "150824", "150825", "150822"}
METRICS = ("total", "households", "aged_60", "aged_65", "aged_80", "under_3", "births")


@dataclass
class Town:
    code: str
    name: str
    kind: str  # street / town / township
    urban: bool
    lat: float
    lon: float
    county: int


@dataclass
class Village:
    code: str
    name: str
    kind: str  # community / village
    urban: bool
    lat: float
    lon: float
    town: int
    county: int


@dataclass
class Tree:
    towns: list[Town]
    villages: list[Village]

    def village_county(self) -> np.ndarray:
        return np.array([v.county for v in self.villages])

    def village_urban(self) -> np.ndarray:
        return np.array([v.urban for v in self.villages])


def _clip(lat: float, lon: float) -> tuple[float, float]:
    return (round(min(max(lat, BBOX[0]), BBOX[1]), 6), round(min(max(lon, BBOX[2]), BBOX[3]), 6))


def _around(rng, lat, lon, r_min, r_max):
    r = r_min + (r_max - r_min) * math.sqrt(rng.random())
    a = rng.random() * 2 * math.pi
    return _clip(lat + r * math.sin(a), lon + r * math.cos(a) / math.cos(math.radians(lat)))


def make_tree(spec: Spec, rng: np.random.Generator) -> Tree:
    f = 1.0 if spec.scale >= 1 else max(math.sqrt(spec.scale), 0.05)

    def n_of(k: int, lo: int = 1) -> int:
        return 0 if k == 0 else max(lo, int(round(k * f)))

    towns: list[Town] = []
    villages: list[Village] = []
    for ci, (c6, _cname, _w, lat, lon, spread, (n_st, n_tn, n_tp)) in enumerate(COUNTIES):
        mongol = c6 in MONGOL_COUNTIES
        plan = [("street", n_of(n_st)), ("town", n_of(n_tn)), ("township", n_of(n_tp))]
        st_names = names.unique_words(rng, names.STREET_WORDS, plan[0][1])
        tn_names = names.unique_words(rng, names.TOWN_WORDS, plan[1][1])
        tp_names = names.unique_words(rng, names.SUMU_WORDS if mongol else names.TOWN_WORDS[::-1], plan[2][1])
        tp_names = [n for n in tp_names if n not in tn_names] + [f"新{n}" for n in tp_names if n in tn_names]
        for kind, count in plan:
            for i in range(count):
                if kind == "street":
                    code, name = f"{c6}{1 + i:03d}000", f"{st_names[i]}街道"
                    tlat, tlon = _around(rng, lat, lon, 0.0, 0.035)
                elif kind == "town":
                    code, name = f"{c6}{100 + i:03d}000", f"{tn_names[i]}镇"
                    tlat, tlon = _around(rng, lat, lon, 0.15 * spread, spread)
                else:
                    code, name = f"{c6}{200 + i:03d}000", f"{tp_names[i]}{'苏木' if mongol else '乡'}"
                    tlat, tlon = _around(rng, lat, lon, 0.5 * spread, 1.2 * spread)
                towns.append(Town(code, name, kind, kind != "township", tlat, tlon, ci))
                ti = len(towns) - 1
                if kind == "street":
                    n_comm, n_vill = n_of(int(rng.integers(6, 13))), 0
                elif kind == "town":
                    n_comm, n_vill = n_of(int(rng.integers(2, 5))), n_of(int(rng.integers(8, 17)))
                else:
                    n_comm, n_vill = 0, n_of(int(rng.integers(5, 11)))
                c_names = names.unique_words(rng, names.COMMUNITY_WORDS, n_comm)
                gacha = mongol and (kind == "township" or rng.random() < 0.3)
                v_words = names.GACHA_WORDS if gacha else names.VILLAGE_WORDS
                v_names = names.unique_words(rng, v_words, n_vill)
                for j in range(n_comm):
                    vlat, vlon = _around(rng, tlat, tlon, 0.0, 0.015 if kind == "street" else 0.01)
                    villages.append(Village(f"{code[:9]}{1 + j:03d}", f"{c_names[j]}社区", "community", True,
                                            vlat, vlon, ti, ci))
                for j in range(n_vill):
                    vlat, vlon = _around(rng, tlat, tlon, 0.02, 0.09)
                    villages.append(Village(f"{code[:9]}{200 + j:03d}", f"{v_names[j]}{'嘎查' if gacha else '村'}",
                                            "village", False, vlat, vlon, ti, ci))
    return Tree(towns, villages)


@dataclass
class Population:
    """Per-village arrays by year, plus what the people generator needs for 2020."""

    by_year: dict[int, dict[str, np.ndarray]]
    bands_2020: tuple[np.ndarray, np.ndarray, np.ndarray]  # 60–64, 65–79, 80+
    births: dict[int, np.ndarray]  # year → births per village, 2018–2025


def make_population(spec: Spec, tree: Tree, rng: np.random.Generator) -> Population:
    county = tree.village_county()
    urban = tree.village_urban()
    kinds = np.array([tree.towns[v.town].kind for v in tree.villages])
    nv = len(tree.villages)
    # Village size weights: city communities are big, pastoral gacha small.
    base = np.where(kinds == "street", 6000.0, np.where(urban, 3500.0, np.where(kinds == "township", 700.0, 1300.0)))
    size = base * rng.lognormal(0.0, 0.35, nv)
    county_w = np.array([c[2] for c in COUNTIES], dtype=float)
    p20 = spec.population[2020]
    county_tot = allocate(p20["total"], county_w)
    total = np.zeros(nv, dtype=np.int64)
    for ci in range(len(COUNTIES)):
        idx = np.flatnonzero(county == ci)
        total[idx] = allocate(int(county_tot[ci]), size[idx])
    old_w = total * np.where(urban, 0.88, 1.18) * rng.lognormal(0.0, 0.08, nv)
    b80 = allocate(p20["aged_80"], old_w * rng.lognormal(0.0, 0.05, nv))
    b65 = allocate(p20["aged_65"] - p20["aged_80"], old_w)
    b60 = allocate(p20["aged_60"] - p20["aged_65"], old_w * rng.lognormal(0.0, 0.05, nv))
    birth_w = total * np.where(urban, 1.08, 0.9) * rng.lognormal(0.0, 0.1, nv)
    births = {y: allocate(n, birth_w) for y, n in spec.births_before.items()}
    for y in YEARS:
        births[y] = allocate(spec.population[y]["births"], birth_w * (1.0 + 0.01 * (y - 2020) * np.where(urban, 1, -1)))
    hh_size = rng.uniform(2.3, 2.8, nv)
    by_year: dict[int, dict[str, np.ndarray]] = {}
    for y in YEARS:
        p = spec.population[y]
        k = y - 2020
        tot = total if k == 0 else allocate(p["total"], total * np.where(urban, 1.004, 0.996) ** k)
        if k == 0:
            a80, a65, a60 = b80, b80 + b65, b80 + b65 + b60
        else:
            a80 = allocate(p["aged_80"], b80 + 0.5)
            a65 = a80 + allocate(p["aged_65"] - p["aged_80"], b65 + 0.5)
            a60 = a65 + allocate(p["aged_60"] - p["aged_65"], b60 * 1.0 + b65 * 0.1 + 0.5)
        u3 = births[y] + births[y - 1] + births[y - 2]
        tot = np.maximum(tot, a60 + u3 + 1)
        if k:  # the floor above may add people: take them back from the largest villages
            excess = int(tot.sum() - p["total"])
            while excess > 0:
                room = tot - (a60 + u3 + 1)
                take = np.minimum(allocate(excess, room), room)
                tot -= take
                excess -= int(take.sum())
        by_year[y] = {"total": tot, "households": np.round(tot / hh_size).astype(np.int64), "aged_60": a60,
                      "aged_65": a65, "aged_80": a80, "under_3": u3, "births": births[y]}
    return Population(by_year, (b60, b65, b80), births)


def region_rows(tree: Tree) -> list[dict]:
    rows = []
    for t in tree.towns:
        rows.append(dict(code=t.code, name=t.name, level=4, parent_id=f"{t.code[:6]}000000", kind=t.kind,
                         urban=t.urban, is_synthetic=True, centroid_lat=t.lat, centroid_lon=t.lon))
    for v in tree.villages:
        rows.append(dict(code=v.code, name=v.name, level=5, parent_id=f"{v.code[:9]}000", kind=v.kind,
                         urban=v.urban, is_synthetic=True, centroid_lat=v.lat, centroid_lon=v.lon))
    return rows


def population_rows(tree: Tree, pop: Population) -> list[dict]:
    """PopulationStat rows for villages, towns, counties and the city; parents are sums of children."""
    town_of = np.array([v.town for v in tree.villages])
    county_of = tree.village_county()
    rows = []
    for y, arrays in pop.by_year.items():
        src = "演示数据：按《巴彦淖尔市“一老一小”整体解决方案》2020年数字合成" if y == 2020 else "演示数据：合成趋势"
        levels: list[tuple[list[str], np.ndarray | None]] = [
            ([v.code for v in tree.villages], None), ([t.code for t in tree.towns], town_of),
            ([f"{c[0]}000000" for c in COUNTIES], county_of)]
        for codes, group in levels:
            n = len(codes)
            sums = {m: (arrays[m] if group is None else np.bincount(group, weights=arrays[m], minlength=n)
                        .astype(np.int64)) for m in METRICS}
            for i, code in enumerate(codes):
                rows.append(dict(region_id=code, year=y, source=src, **{m: int(sums[m][i]) for m in METRICS}))
        rows.append(dict(region_id=CITY_CODE, year=y, source=src, **{m: int(arrays[m].sum()) for m in METRICS}))
    return rows
