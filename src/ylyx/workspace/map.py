"""The city map's data: institutions and community facilities as markers (kind, capacity, occupancy), the
regions one level below the chosen one shaded by a plan indicator (choropleth), and region outlines as
the offline base map. Everything is read through ``for_user``; outlines are public geography.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import JsonResponse
from django.urls import reverse
from django.utils import timezone

from ylyx.core.permissions import allows
from ylyx.core.scoping import prefix_q
from ylyx.regions.models import Region, RegionBoundary

KIND_COLOURS = {"elder": "#1f6fb2", "community": "#2e9d5b", "childcare": "#d9822b"}
PALETTE = ["#f1eef6", "#bdc9e1", "#74a9cf", "#2b8cbe", "#045a8d"]  # 5 sequential classes
OCCUPANCY_BANDS = {"low": (0, 50), "mid": (50, 85), "high": (85, 10_000)}


def _occupancy(user: Any, ids: list[int], on: dt.date) -> dict[int, int]:
    from ylyx.people.models import Enrolment, Residence

    used: dict[int, int] = {}
    for model in (Residence, Enrolment):
        qs = (model.objects.for_user(user, "view").filter(institution_id__in=ids, started_on__lte=on)
              .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=on)))
        for row in qs.values("institution_id").annotate(n=Count("id")).order_by():
            used[row["institution_id"]] = used.get(row["institution_id"], 0) + row["n"]
    return used


def markers(user: Any, region: Region | None, params) -> list[dict[str, Any]]:
    from ylyx.institutions.models import Institution, Status

    qs = Institution.objects.for_user(user, "view").filter(lat__isnull=False, lon__isnull=False)
    if region is not None:
        qs = qs.filter(prefix_q("region_id", region.prefix))
    kinds = [k for k in params.getlist("kind") if k in KIND_COLOURS]
    if kinds:
        qs = qs.filter(kind__in=kinds)
    status = params.get("status", Status.OPERATING)
    if status and status in Status.values:
        qs = qs.filter(status=status)
    subtype = params.get("subtype", "")
    if subtype:
        qs = qs.filter(subtype=subtype)
    try:
        min_cap = max(0, int(params.get("min_capacity") or 0))
    except ValueError:
        min_cap = 0
    if min_cap:
        qs = qs.filter(Q(kind="childcare", places__gte=min_cap) | (~Q(kind="childcare") & Q(beds__gte=min_cap)))
    rows = list(qs.values("id", "name", "kind", "subtype", "lat", "lon", "beds", "places", "region_id", "status")
                .order_by("id"))
    used = _occupancy(user, [r["id"] for r in rows], timezone.localdate())
    from ylyx.institutions.models import Kind, Subtype

    kind_label, sub_label = dict(Kind.choices), dict(Subtype.choices)
    band = OCCUPANCY_BANDS.get(params.get("occupancy", ""))
    out = []
    for r in rows:
        cap = r["places"] if r["kind"] == "childcare" else r["beds"]
        n = used.get(r["id"], 0)
        occ = round(n / cap * 100, 1) if cap else None
        if band is not None and (occ is None or not band[0] <= occ < band[1]):
            continue
        out.append({"id": r["id"], "name": r["name"], "kind": r["kind"], "kind_label": kind_label.get(r["kind"], ""),
                    "subtype": sub_label.get(r["subtype"], r["subtype"]), "lat": r["lat"], "lon": r["lon"],
                    "capacity": cap, "used": n, "occupancy": occ,
                    "unit": "托位" if r["kind"] == "childcare" else "床位",
                    "url": reverse("institutions:detail", args=[r["id"]])})
    return out


def indicator_choices(user: Any, region: Region | None) -> list[tuple[str, str]]:
    """The plan's computed rows (they have a value at every region) for the choropleth."""
    from ylyx.indicators.selectors import definition_of

    from .home import home_plan

    plan = home_plan(user)
    if plan is None:
        return []
    return [(pi.key, f"{pi.seq} {pi.name}") for pi in plan.indicators.select_related("definition")
            .order_by("position", "id") if definition_of(pi) is not None]


def _breaks(values: list[float]) -> list[float]:
    """Four quantile breaks of the values (five classes), de-duplicated."""
    v = sorted(values)
    if not v:
        return []
    qs = [v[min(len(v) - 1, int(len(v) * q))] for q in (0.2, 0.4, 0.6, 0.8)]
    out: list[float] = []
    for b in qs:
        if not out or b > out[-1]:
            out.append(b)
    return out


def _class(value: float, breaks: list[float]) -> int:
    i = 0
    while i < len(breaks) and value >= breaks[i]:
        i += 1
    return min(i, len(PALETTE) - 1)


def choropleth(user: Any, region: Region | None, key: str) -> dict[str, Any] | None:
    """The regions one level below ``region`` with their value of plan row ``key`` today, and a legend."""
    from ylyx.indicators.selectors import PlanComputation

    from .home import home_plan

    plan = home_plan(user)
    if plan is None or region is None or not key or not region.code.startswith(plan.region_prefix):
        return None
    children = list(Region.objects.filter(parent=region).order_by("code"))
    comp = PlanComputation(plan, region, [timezone.localdate()], [region.code] + [c.code for c in children])
    row = next((pi for pi in comp.rows if pi.key == key), None)
    if row is None:
        return None
    values = {c.code: comp.value(row, c.code, 0)[0] for c in children}
    shapes = {b.region_id: b for b in RegionBoundary.objects.filter(region_id__in=[c.code for c in children])}
    present = [v for v in values.values() if v is not None]
    breaks = _breaks(present)
    features = []
    for c in children:
        b = shapes.get(c.code)
        if b is None:
            continue
        v = values[c.code]
        features.append({"type": "Feature", "geometry": b.geometry,
                         "properties": {"code": c.code, "name": c.name, "value": v, "synthetic": b.is_synthetic,
                                        "colour": PALETTE[_class(v, breaks)] if v is not None else "#dddddd"}})
    legend = []
    lows = [min(present)] + breaks if present else []
    for i, lo in enumerate(lows):
        hi = lows[i + 1] if i + 1 < len(lows) else max(present)
        legend.append({"colour": PALETTE[_class(lo, breaks)], "label": f"{lo:g} – {hi:g}"})
    if any(v is None for v in values.values()):
        legend.append({"colour": "#dddddd", "label": "无数据"})
    return {"key": key, "name": f"{row.seq} {row.name}", "unit": row.unit, "features": features, "legend": legend,
            "synthetic": any(f["properties"]["synthetic"] for f in features)}


def outlines(user: Any, region: Region | None) -> dict[str, Any]:
    """The offline base map: the chosen region's outline and its children's (public geography)."""
    if region is None:
        return {"type": "FeatureCollection", "features": []}
    codes = [region.code] + list(Region.objects.filter(parent=region).values_list("code", flat=True))
    feats = [{"type": "Feature", "geometry": b.geometry,
              "properties": {"code": b.region_id, "name": b.region.name, "level": b.region.level,
                             "synthetic": b.is_synthetic}}
             for b in RegionBoundary.objects.filter(region_id__in=codes).select_related("region")]
    return {"type": "FeatureCollection", "features": feats}


def map_context(user: Any, region: Region | None, params) -> dict[str, Any]:
    from ylyx.institutions.models import Status, Subtype

    pts = markers(user, region, params)
    indicator = params.get("indicator", "")
    choices = indicator_choices(user, region)
    if not indicator and choices:
        indicator = choices[0][0]
    ch = choropleth(user, region, indicator)
    centre = (region.centroid_lat, region.centroid_lon) if region is not None and region.centroid_lat else None
    data = {"markers": pts, "colours": KIND_COLOURS, "choropleth": ch, "outlines": outlines(user, region),
            "centre": centre, "region": region.code if region else ""}
    return {"map_data": data, "marker_count": len(pts), "choropleth": ch, "indicator": indicator,
            "kinds": params.getlist("kind"), "status": params.get("status", Status.OPERATING),
            "statuses": Status.choices, "subtypes": Subtype.choices, "subtype": params.get("subtype", ""),
            "min_capacity": params.get("min_capacity", ""), "occupancy": params.get("occupancy", "")}


@login_required
def map_data(request):
    """The map's data as JSON, with the page's filters (for scripts and the browser tests)."""
    from ylyx.regions.picking import chosen_region, in_scope

    user = request.user
    if not allows(user.role, "institution", "view") or user.role == "operator":
        raise PermissionDenied("您的角色不能查看机构地图")
    region = chosen_region(request)
    if region is None or not in_scope(user, region):
        region = user.region
    return JsonResponse(map_context(user, region, request.GET)["map_data"])
