"""The officials' home (what is behind, what waits for the user, what changed, key figures) and the city map."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from ylyx.core.permissions import allows
from ylyx.core.todo import todos_for
from ylyx.regions.picking import chosen_region, in_scope

from . import home as H


def _home_region(request, plan):
    """The picked region when it lies inside both the user's scope and the plan, else the user's own."""
    user = request.user
    picked = chosen_region(request)
    if picked is not None and in_scope(user, picked) and (plan is None or picked.code.startswith(plan.region_prefix)):
        return picked
    return user.region if user.region_id else None


@login_required
def home(request):
    user = request.user
    today = timezone.localdate()
    ctx: dict = {"title": "首页", "today": today}
    todos = todos_for(user, today)
    ctx["todos"] = todos[:40]
    ctx["todo_total"] = sum(t.count for t in todos)
    ctx["overdue"] = sum(1 for t in todos if t.overdue_on(today))
    if user.role == "operator":
        ctx["operator"] = H.operator_state(user, today)
        ctx["cards"] = H.registry_counts(user, None)
        return render(request, "workspace/home.html", ctx)
    plan = H.home_plan(user)
    region = _home_region(request, plan)
    ctx["region"] = region
    ctx["cards"] = H.registry_counts(user, region if region is not None and region.code != user.region_id else None)
    if plan is not None and region is not None and region.code.startswith(plan.region_prefix):
        figs = H.plan_figures(plan, region, today)
        ctx.update(plan=plan, behind=figs["behind"], figures=figs["figures"], status_counts=figs["counts"],
                   binding_total=figs["binding_total"])
        ctx["charts_json"] = json.dumps({f.key: {"years": f.years, "values": f.values, "name": f.name}
                                         for f in figs["figures"]}, ensure_ascii=False)
    ctx["recent"] = H.recent_changes(user)
    ctx["can_map"] = allows(user.role, "institution", "view") and user.role != "operator"
    return render(request, "workspace/home.html", ctx)


@login_required
def city_map(request):
    """Institutions and community facilities on a Leaflet map, with a choropleth of the regions."""
    from .map import indicator_choices, map_context

    user = request.user
    if not allows(user.role, "institution", "view") or user.role == "operator":
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied("您的角色不能查看机构地图")
    region = chosen_region(request)
    if region is None or not in_scope(user, region):
        region = user.region
    ctx = map_context(user, region, request.GET)
    ctx.update({"title": "机构地图", "region": region, "indicators": indicator_choices(user, region),
                "tile_url": getattr(settings, "MAP_TILE_URL", ""),
                "tile_attribution": getattr(settings, "MAP_TILE_ATTRIBUTION", "")})
    return render(request, "workspace/map.html", ctx)
