"""Synthetic outlines nest inside their parents and tile them; real GeoJSON replaces them, all or nothing."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from ylyx.regions.boundaries import _clip, generate_synthetic, voronoi_cells
from ylyx.regions.models import Region, RegionBoundary

pytestmark = pytest.mark.django_db


def area(poly):
    return abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(poly, poly[1:] + poly[:1], strict=True))) / 2


def test_voronoi_cells_tile_the_parent():
    square = [(0.0, 0.0), (4.0, 0.0), (4.0, 4.0), (0.0, 4.0)]
    cells = voronoi_cells({"a": (1.0, 1.0), "b": (3.0, 1.0), "c": (2.0, 3.0)}, square)
    assert sum(area(p) for p in cells.values()) == pytest.approx(16.0)
    assert _clip(square, (1.0, 2.0), (3.0, 2.0)) == [(0.0, 0.0), (2.0, 0.0), (2.0, 4.0), (0.0, 4.0)]


def _with_centroids(tree):
    pts = {"city": (40.75, 107.4), "linhe": (40.75, 107.4), "wuyuan": (41.09, 108.27), "linhe_town": (40.76, 107.42),
           "wuyuan_town": (41.1, 108.3), "linhe_village": (40.77, 107.43), "wuyuan_village": (41.11, 108.31)}
    for k, (lat, lon) in pts.items():
        Region.objects.filter(code=tree[k].code).update(centroid_lat=lat, centroid_lon=lon)


def test_synthetic_outlines_are_marked_and_nested(tree):
    _with_centroids(tree)
    n = generate_synthetic(tree["city"])
    assert n == 7
    assert all(b.is_synthetic for b in RegionBoundary.objects.all())
    city = RegionBoundary.objects.get(region=tree["city"]).geometry["coordinates"][0]
    xs, ys = [p[0] for p in city], [p[1] for p in city]
    for b in RegionBoundary.objects.exclude(region=tree["city"]):
        for x, y in b.geometry["coordinates"][0]:
            assert min(xs) - 1e-6 <= x <= max(xs) + 1e-6 and min(ys) - 1e-6 <= y <= max(ys) + 1e-6


def test_load_boundaries_replaces_synthetic_and_refuses_bad_files(tree, tmp_path):
    _with_centroids(tree)
    generate_synthetic(tree["city"])
    good: dict = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "150802"},
         "geometry": {"type": "Polygon", "coordinates": [[[107, 40], [108, 40], [108, 41], [107, 40]]]}}]}
    path = tmp_path / "b.geojson"
    path.write_text(json.dumps(good), encoding="utf-8")
    call_command("load_boundaries", str(path))
    b = RegionBoundary.objects.get(region=tree["linhe"])
    assert not b.is_synthetic and b.source == "b.geojson"
    generate_synthetic(tree["city"])  # regenerating keeps the real outline
    assert not RegionBoundary.objects.get(region=tree["linhe"]).is_synthetic
    bad = {"type": "FeatureCollection", "features": [good["features"][0], {
        "type": "Feature", "properties": {"code": "159999"}, "geometry": good["features"][0]["geometry"]}]}
    path.write_text(json.dumps(bad), encoding="utf-8")
    with pytest.raises(CommandError, match="区划代码 159999000000 不存在"):
        call_command("load_boundaries", str(path))
