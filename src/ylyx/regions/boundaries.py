"""Region outlines: synthetic ones for the demo (nested Voronoi cells) and real ones from GeoJSON.

Synthetic outlines: the city is a rectangle around its counties; each county is the Voronoi cell of its
centroid among its sibling counties, clipped to the city; each town the cell of its centroid among the
towns of its county, clipped to the county's cell; each village likewise inside its town. Clipping convex
polygons by half-planes keeps every child inside its parent and the children tiling the parent, with no
geometry library. Coordinates are lon/lat degrees (GeoJSON order), rounded to 5 decimals.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from django.db import transaction

from .models import Region, RegionBoundary, normalise_code

Point = tuple[float, float]  # (lon, lat)
MARGIN = 0.25  # degrees around the outermost centroids


def _clip(poly: list[Point], a: Point, b: Point) -> list[Point]:
    """The part of convex ``poly`` nearer to ``a`` than to ``b`` (Sutherland–Hodgman, one half-plane)."""
    mx, my = (a[0] + b[0]) / 2, (a[1] + b[1]) / 2
    nx, ny = b[0] - a[0], b[1] - a[1]

    def inside(p: Point) -> float:
        return (p[0] - mx) * nx + (p[1] - my) * ny  # <= 0: on a's side

    out: list[Point] = []
    n = len(poly)
    for i in range(n):
        cur, nxt = poly[i], poly[(i + 1) % n]
        ci, ni = inside(cur), inside(nxt)
        if ci <= 0:
            out.append(cur)
        if (ci <= 0) != (ni <= 0):
            t = ci / (ci - ni)
            out.append((cur[0] + t * (nxt[0] - cur[0]), cur[1] + t * (nxt[1] - cur[1])))
    return out


def voronoi_cells(seeds: dict[str, Point], within: list[Point]) -> dict[str, list[Point]]:
    """Each seed's Voronoi cell inside the convex polygon ``within`` (empty if it gets no area)."""
    cells = {}
    items = list(seeds.items())
    for code, p in items:
        poly = list(within)
        for other, q in items:
            if other == code or q == p or not poly:
                continue
            poly = _clip(poly, p, q)
        cells[code] = poly
    return cells


def _ring(poly: list[Point]) -> list[list[float]]:
    ring = [[round(x, 5), round(y, 5)] for x, y in poly]
    return ring + [ring[0]]


def geometry(poly: list[Point]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [_ring(poly)]}


def synthetic_outlines(root: Region) -> dict[str, list[Point]]:
    """Nested Voronoi outlines for ``root`` and every region below it that has a centroid."""
    rows = list(Region.objects.filter(code__startswith=root.prefix).values(
        "code", "parent_id", "level", "centroid_lat", "centroid_lon"))
    kids: dict[str, list[Any]] = defaultdict(list)
    for r in rows:
        if r["parent_id"]:
            kids[r["parent_id"]].append(r)
    pts: list[Point] = [(r["centroid_lon"], r["centroid_lat"]) for r in rows
                        if r["centroid_lat"] is not None and r["centroid_lon"] is not None]
    if not pts:
        return {}
    x0, x1 = min(p[0] for p in pts) - MARGIN, max(p[0] for p in pts) + MARGIN
    y0, y1 = min(p[1] for p in pts) - MARGIN, max(p[1] for p in pts) + MARGIN
    out: dict[str, list[Point]] = {root.code: [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]}
    todo = [root.code]
    while todo:
        parent = todo.pop()
        seeds = {k["code"]: (k["centroid_lon"], k["centroid_lat"]) for k in kids.get(parent, [])
                 if k["centroid_lat"] is not None}
        for code, poly in voronoi_cells(seeds, out[parent]).items():
            if len(poly) >= 3:
                out[code] = poly
                todo.append(code)
    return out


@transaction.atomic
def generate_synthetic(root: Region, source: str = "演示：按区划中心点生成的 Voronoi 边界") -> int:
    """Write synthetic outlines for ``root``'s subtree, keeping any real (imported) outline."""
    outlines = synthetic_outlines(root)
    real = set(RegionBoundary.objects.filter(region_id__in=list(outlines), is_synthetic=False)
               .values_list("region_id", flat=True))
    RegionBoundary.objects.filter(region_id__in=list(outlines), is_synthetic=True).delete()
    RegionBoundary.objects.bulk_create(
        [RegionBoundary(region_id=code, geometry=geometry(poly), is_synthetic=True, source=source)
         for code, poly in outlines.items() if code not in real], batch_size=1000)
    return len(outlines) - len(real)


class BoundaryError(ValueError):
    pass


def load_geojson(path: Path, code_property: str = "code", source: str = "") -> dict[str, int]:
    """Import real outlines from a GeoJSON FeatureCollection; each feature's ``code_property`` is a 6-, 9-
    or 12-digit region code. All or nothing: any bad feature raises :class:`BoundaryError` naming it."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BoundaryError(f"无法读取 GeoJSON 文件：{exc}") from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise BoundaryError("文件应为 GeoJSON FeatureCollection")
    errors, rows = [], {}
    feats = data.get("features") or []
    codes = {}
    for i, f in enumerate(feats, 1):
        props = (f or {}).get("properties") or {}
        raw = str(props.get(code_property, "")).strip()
        geom = (f or {}).get("geometry") or {}
        if not raw.isdigit():
            errors.append(f"第 {i} 个要素：属性“{code_property}”应为区划代码，实际为“{raw[:20]}”")
            continue
        if geom.get("type") not in ("Polygon", "MultiPolygon") or not geom.get("coordinates"):
            errors.append(f"第 {i} 个要素（{raw}）：几何类型应为 Polygon 或 MultiPolygon")
            continue
        codes[i] = normalise_code(raw)
        rows[i] = geom
    known = set(Region.objects.filter(code__in=list(codes.values())).values_list("code", flat=True))
    for i, code in codes.items():
        if code not in known:
            errors.append(f"第 {i} 个要素：区划代码 {code} 不存在")
    if errors:
        raise BoundaryError("；".join(errors[:20]) + (f"；另有 {len(errors) - 20} 处错误" if len(errors) > 20 else ""))
    with transaction.atomic():
        RegionBoundary.objects.filter(region_id__in=list(codes.values())).delete()
        RegionBoundary.objects.bulk_create([RegionBoundary(region_id=codes[i], geometry=rows[i], is_synthetic=False,
                                                           source=source or Path(path).name) for i in rows])
    return {"features": len(feats), "loaded": len(rows)}
