"""15-minute circles, accessibility and siting for a region, on its road network, as data for the map page.

The network is the region's imported OSM walking network (``manage.py import_network``), else a generated street
grid around the region's seat (its centroid), marked synthetic on the page; demand points are generated too (seeded by the region code), and
facilities are the region's registry institutions that have coordinates inside the grid. The engines are the
same ones the benchmark compares with pandana, access and spopt.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ylyx.institutions.models import Institution, Kind
from ylyx.regions.models import Region

from .engines import accessibility as A
from .engines import network as N
from .engines import siting as S

DEFAULT_CENTRE = (107.39, 40.74)  # 临河区 (巴彦淖尔's seat), when a region has no centroid
GRID = 90  # 90 × 90 junctions, 80 m apart: a 7.1 km square around the seat
SPACING = 80.0


def _setting(key: str, default: float) -> float:
    from django.conf import settings

    return float(getattr(settings, "PLANNING", {}).get(key, default))


@dataclass
class Params:
    minutes: float = field(default_factory=lambda: _setting("circle_minutes", 15.0))
    speed_kmh: float = field(default_factory=lambda: _setting("walk_speed_kmh", 4.5))
    p: int = 5
    kind: str = "elder"

    @property
    def radius(self) -> float:
        return N.minutes_to_metres(self.minutes, self.speed_kmh)


def parse_params(get: Any) -> tuple[Params, list[str]]:
    """Parameters from a query string, each bad value replaced by its default with a message naming the field."""
    p, errors = Params(), []
    specs = (("minutes", float, 1, 60, "步行时间（分钟）须在 1–60 之间"), ("speed_kmh", float, 1, 10, "步行速度（公里/小时）须在 1–10 之间"),
             ("p", int, 0, 50, "新增选址数量须在 0–50 之间"))
    for name, cast, lo, hi, msg in specs:
        raw = get.get(name)
        if raw in (None, ""):
            continue
        try:
            value = cast(raw)
        except (TypeError, ValueError):
            errors.append(msg)
            continue
        if not lo <= value <= hi:
            errors.append(msg)
            continue
        setattr(p, name, value)
    if get.get("kind") in ("elder", "childcare"):
        p.kind = get.get("kind")
    return p, errors


def _seed(region: Region) -> int:
    return int(hashlib.sha256(region.code.encode()).hexdigest()[:8], 16)


def network_path(region: Region):
    from django.conf import settings

    return settings.VAR_DIR / "networks" / f"{region.code}.npz"


def region_network(region: Region) -> N.Graph:
    """The imported road network of the region or the nearest region above it, else a generated grid."""
    for r in [region, *reversed(region.ancestors())]:
        path = network_path(r)
        if path.exists():
            return N.load(path)[0]
    lon = region.centroid_lon or DEFAULT_CENTRE[0]
    lat = region.centroid_lat or DEFAULT_CENTRE[1]
    return N.grid_graph(GRID, GRID, spacing=SPACING, seed=_seed(region) % 100_000, origin=(lon, lat))


def _institutions(user: Any, region: Region, kind: str):
    kinds = [Kind.CHILDCARE] if kind == "childcare" else [k for k in Kind.values if k != Kind.CHILDCARE]
    return (Institution.objects.for_user(user, "view").filter(region__code__startswith=region.prefix, kind__in=kinds,
                                                              status="operating", lat__isnull=False, lon__isnull=False)
            .only("id", "name", "lat", "lon", "beds", "places", "kind"))


def compute(user: Any, region: Region, params: Params) -> dict:
    g = region_network(region)
    assert g.lon is not None and g.lat is not None
    glon, glat = g.lon, g.lat
    rng = np.random.default_rng(_seed(region) % 1_000_000)
    lon_min, lon_max, lat_min, lat_max = g.lon.min(), g.lon.max(), g.lat.min(), g.lat.max()
    insts = [i for i in _institutions(user, region, params.kind)
             if lon_min <= i.lon <= lon_max and lat_min <= i.lat <= lat_max][:300]
    synthetic_facilities = False
    if insts:
        x, y = N.project_lonlat(np.array([i.lon for i in insts]), np.array([i.lat for i in insts]),
                                float(g.lon.mean()), float(g.lat.mean()))
        fac_nodes = N.snap(g, x + g.x.mean(), y + g.y.mean())
        names = [i.name for i in insts]
        supply = np.array([(i.places if params.kind == "childcare" else i.beds) or 0 for i in insts], float)
    else:  # no institution with coordinates in the grid: a few generated ones, marked so
        synthetic_facilities = True
        fac_nodes = rng.choice(g.n, 6, replace=False)
        names = [f"演示设施{k + 1}" for k in range(len(fac_nodes))]
        supply = rng.integers(20, 120, len(fac_nodes)).astype(float)
    dem = rng.integers(0, g.n, 600)
    weight = rng.integers(5, 120, len(dem)).astype(float)
    radius = params.radius
    dist, _ = N.nearest(g, fac_nodes, radius)
    before = N.coverage(dist, dem, weight, radius)
    fpos, dpos, dd = N.pair_distances(g, fac_nodes, dem, radius)
    acc, _ = A.two_step_fca(dpos, fpos, dd, weight, supply, radius)
    e_acc, _ = A.enhanced_two_step_fca(dpos, fpos, dd, weight, supply, radius)
    def hull(node: int) -> list[list[float]]:
        near = N.isochrone_nodes(g, int(node), radius)
        pts = N.convex_hull(glon[near], glat[near])
        return [[round(lat, 6), round(lon, 6)] for lon, lat in pts]

    # siting among candidate junctions for the demand not yet inside a circle
    result = None
    sites: list[dict] = []
    after = before
    if params.p > 0:
        cand = rng.choice(g.n, 120, replace=False)
        uncovered = np.nonzero(dist[dem] > radius)[0]
        cpos, upos, _ = N.pair_distances(g, cand, dem[uncovered], radius)
        result = S.mclp(upos, cpos, weight[uncovered], len(cand), params.p, time_limit=10)
        chosen = cand[result.selected]
        d2, _ = N.nearest(g, np.concatenate([fac_nodes, chosen]), radius)
        after = N.coverage(d2, dem, weight, radius)
        sites = [{"lat": float(g.lat[n]), "lon": float(g.lon[n]), "name": f"建议选址{k + 1}", "circle": hull(n)}
                 for k, n in enumerate(chosen)]

    return {
        "centre": [float(g.lat.mean()), float(g.lon.mean())],
        "synthetic_network": g.synthetic, "synthetic_facilities": synthetic_facilities, "synthetic_demand": True,
        "network": {"nodes": g.n, "edges": g.n_edges, "km": round(g.length_m() / 1000, 1)},
        "radius_m": round(radius), "params": {"minutes": params.minutes, "speed_kmh": params.speed_kmh, "p": params.p,
                                              "kind": params.kind},
        "facilities": [{"lat": float(g.lat[n]), "lon": float(g.lon[n]), "name": nm, "supply": float(s),
                        "circle": hull(n)} for n, nm, s in zip(fac_nodes, names, supply, strict=True)],
        "demand": [{"lat": round(float(g.lat[n]), 6), "lon": round(float(g.lon[n]), 6), "w": float(wt),
                    "covered": bool(dist[n] <= radius), "a": round(float(a) * 1000, 3), "e": round(float(e) * 1000, 3)}
                   for n, wt, a, e in zip(dem, weight, acc, e_acc, strict=True)],
        "sites": sites,
        "coverage_before": round(before["share"], 4), "coverage_after": round(after["share"], 4),
        "siting": None if result is None else {"objective": result.objective, "bound": result.bound,
                                               "gap": result.gap, "status": result.status},
        "walk_minutes_max": None if not np.isfinite(dist[dem]).any() else
        round(float(np.nanmax(np.where(np.isfinite(dist[dem]), dist[dem], np.nan))) / (params.speed_kmh * 1000 / 60), 1),
    }
