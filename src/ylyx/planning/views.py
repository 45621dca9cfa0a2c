"""Planning pages: supply–demand gaps (with Excel export), population projection, and the planning map."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from ylyx.core.export import export_watermark, workbook_response
from ylyx.core.permissions import Action, allows
from ylyx.indicators.models import Plan
from ylyx.regions.models import Region
from ylyx.regions.picking import chosen_region, in_scope, remember

from . import services
from .selectors import plans_with_norms


def _require(user, action: Action = "view") -> None:
    if not allows(user.role, "project", action) or user.role == "operator":
        raise PermissionDenied("您的角色不能使用规划测算")


def _year(raw: str | None, default: int) -> tuple[int, str]:
    if not raw:
        return default, ""
    try:
        year = int(raw)
    except ValueError:
        return default, "年份须为四位数字，已改用默认年份"
    if not services.BASE_YEAR <= year <= services.LAST_YEAR:
        return default, f"年份须在 {services.BASE_YEAR}–{services.LAST_YEAR} 之间，已改用默认年份"
    return year, ""


def _region(request, plan: Plan | None) -> Region:
    user = request.user
    picked = chosen_region(request)
    if picked is not None and in_scope(user, picked) and (plan is None or picked.code.startswith(plan.region_prefix)):
        return picked
    if user.region_id and (plan is None or user.region_id.startswith(plan.region_prefix)):
        return user.region
    if plan is not None:
        region = Region.objects.filter(code=plan.region_code).first()
        if region is not None and in_scope(user, region):
            return region
    raise Http404("该规划不覆盖您的管辖区划")


def _float(raw: str | None, lo: float, hi: float) -> float | None:
    try:
        value = float(raw) if raw not in (None, "") else None
    except ValueError:
        return None
    return value if value is None or lo <= value <= hi else None


@login_required
def gaps(request):
    """供需缺口: demand from the plan's norms on the (projected) population, supply from registry and projects."""
    user = request.user
    _require(user)
    plans = plans_with_norms(user)
    ref = request.GET.get("plan", "")
    plan = next((p for p in plans if str(p.pk) == ref), None) or (plans[0] if plans else None)
    year, warning = _year(request.GET.get("year"), max(timezone.localdate().year, services.BASE_YEAR))
    ctx: dict = {"title": "供需缺口", "plans": plans, "plan": plan, "year": year, "warning": warning,
                 "years": range(services.BASE_YEAR, services.LAST_YEAR + 1)}
    if plan is None:
        return render(request, "planning/gaps.html", ctx)
    region = _region(request, plan)
    remember(request, region)
    try:
        report = services.gap_report(plan, region, year, user)
    except ValueError as exc:
        ctx.update(region=region, error=str(exc))
        return render(request, "planning/gaps.html", ctx)
    if request.GET.get("export") == "xlsx":
        if not allows(user.role, "project", "export"):
            raise PermissionDenied("您的角色不能导出")
        headers, rows = services.gap_table(report)
        from ylyx.audit.services import record

        record(user, "export", reason="供需缺口导出", detail={"plan": plan.pk, "region": region.code, "year": year,
                                                        "rows": len(rows)})
        return workbook_response(f"gaps-{region.code}-{year}.xlsx", headers, rows, export_watermark(user))
    from .engines.gaps import residential_checks
    from .selectors import areas_for

    areas = areas_for(user).filter(region__code__startswith=region.prefix, is_new=True).values(
        "name", "households", "elder_room_area")
    from django.conf import settings

    per_100 = float(getattr(settings, "PLANNING", {}).get("area_m2_per_100_households", 20))
    ctx.update(region=region, report=report, area_checks=residential_checks(list(areas), per_100))
    return render(request, "planning/gaps.html", ctx)


@login_required
def projection(request):
    """人口预测: cohort-component projection 2020–2035 with editable fertility, migration and sex ratio."""
    user = request.user
    _require(user)
    region = _region(request, None)
    remember(request, region)
    tfr = _float(request.GET.get("tfr"), 0.0, 5.0)
    migration = _float(request.GET.get("migration"), -1e6, 1e6)
    srb = _float(request.GET.get("srb"), 0.8, 1.4)
    ctx: dict = {"title": "人口预测", "region": region}
    for name in ("tfr", "migration", "srb"):
        if request.GET.get(name) and locals()[name] is None:
            ctx.setdefault("warnings", []).append({"tfr": "总和生育率须在 0–5 之间", "srb": "出生性别比须在 0.8–1.4 之间",
                                                   "migration": "年净迁移人数须在 ±100 万之间"}[name])
    try:
        ctx["result"] = services.projection_for(region, services.LAST_YEAR, tfr, migration, srb)
        counts = services.registry_counts(user, region, [r["year"] for r in ctx["result"].rows])
        for r in ctx["result"].rows:
            r["registry"] = counts.get(r["year"])
    except ValueError as exc:
        ctx["error"] = str(exc)
    return render(request, "planning/projection.html", ctx)


@login_required
def planning_map(request):
    """15分钟服务圈: circles around facilities, accessibility of demand points and MCLP sites on a Leaflet map."""
    from django.conf import settings

    from . import circles

    user = request.user
    _require(user)
    region = _region(request, None)
    remember(request, region)
    params, errors = circles.parse_params(request.GET if request.method == "GET" else request.POST)
    data = circles.compute(user, region, params)
    if request.method == "POST":
        _require(user, "add")
        domain = "childcare" if params.kind == "childcare" else "elder"
        from .services import save_proposed_sites

        made = save_proposed_sites(user, region, domain, data["sites"])
        from django.contrib import messages

        messages.success(request, f"已将 {made} 个建议选址存入项目库（储备）")
    ctx = {"title": "15分钟服务圈", "region": region, "params": params, "errors": errors, "data": data,
           "can_save": allows(user.role, "project", "add") and bool(data["sites"]),
           "tile_url": getattr(settings, "MAP_TILE_URL", ""),
           "tile_attribution": getattr(settings, "MAP_TILE_ATTRIBUTION", "")}
    return render(request, "planning/map.html", ctx)


@login_required
def norms(request, plan_id: int):
    """需求标准 of a plan: list, add, delete (those who may change the plan)."""
    from django.contrib import messages
    from django.shortcuts import get_object_or_404, redirect

    from .forms import DemandNormForm
    from .models import DemandNorm

    user = request.user
    _require(user)
    plan = get_object_or_404(Plan.objects.for_user(user, "view"), pk=plan_id)
    can_edit = Plan.objects.for_user(user, "change").filter(pk=plan.pk).exists()
    form = DemandNormForm()
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied("您不能修改该规划的需求标准")
        if "delete" in request.POST:
            ref = request.POST.get("delete", "")
            gone = DemandNorm.objects.for_user(user, "change").filter(plan=plan, pk=int(ref)).delete()[0] \
                if ref.isdigit() else 0
            if gone:
                messages.success(request, "已删除一条需求标准")
            else:
                messages.error(request, "要删除的需求标准不存在")
            return redirect("planning:norms", plan_id=plan.pk)
        form = DemandNormForm(request.POST)
        if form.is_valid():
            norm = form.save(commit=False)
            norm.plan = plan
            norm.position = DemandNorm.objects.for_user(user, "view").filter(plan=plan).count()
            norm.save()
            messages.success(request, "已新增需求标准")
            return redirect("planning:norms", plan_id=plan.pk)
    rows = list(DemandNorm.objects.for_user(user, "view").filter(plan=plan))
    return render(request, "planning/norms.html", {"title": "需求标准", "plan": plan, "rows": rows, "form": form,
                                                   "can_edit": can_edit})


def today() -> dt.date:
    return timezone.localdate()
