"""探访关爱 pages: tasks of the month (generate, filter), a task with its visit form, rules, follow-ups, and
the visitor's offline phone page (an installable web app: manifest, service worker, JSON tasks and sync)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_POST

from ylyx.core.permissions import allows

from . import selectors, services
from .forms import CloseFollowUpForm, GenerateForm, RuleForm, VisitForm
from .models import FollowUp, TaskStatus, VisitRule, VisitTask

MOBILE_LIMIT = 500  # tasks a phone caches: a visitor's month is well under this


def _need(request: HttpRequest, action: str = "view") -> Any:
    user = request.user
    if not allows(getattr(user, "role", ""), "visit", action):  # type: ignore[arg-type]
        raise PermissionDenied("您没有探访关爱的权限")
    return user


def _month(raw: str | None, today: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat((raw or "")[:7] + "-01")
    except ValueError:
        return today.replace(day=1)


def _errors(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "；".join(f"{m}" for msgs in exc.message_dict.values() for m in msgs)
    return "；".join(exc.messages)


@login_required
def task_list(request: HttpRequest) -> HttpResponse:
    user = _need(request)
    today = timezone.localdate()
    month = _month(request.GET.get("month"), today)
    state = request.GET.get("state", "")
    qs = selectors.tasks(user, month=month, state=state, mine=request.GET.get("mine") == "1", today=today)
    page = Paginator(qs.order_by("due_on", "region_id", "id"), 50).get_page(request.GET.get("page"))
    return render(request, "visits/task_list.html", {
        "title": "探访任务", "page": page, "month": month, "state": state, "today": today,
        "summary": selectors.month_summary(user, month, today), "towns": selectors.by_region(user, month),
        "generate": GenerateForm(initial={"month": month.strftime("%Y-%m")}) if allows(user.role, "visit", "add")
        else None})


@login_required
@require_POST
def generate(request: HttpRequest) -> HttpResponse:
    user = _need(request, "add")
    form = GenerateForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择月份")
        return redirect("visits:task_list")
    month = form.cleaned_data["month"].replace(day=1)
    res = services.generate_month(user, user.region, month)
    messages.success(request, f"已生成 {month:%Y年%m月} 探访任务 {res['created']} 项，分派 {res['assigned']} 项")
    return redirect(f"{request.path.rsplit('/generate', 1)[0]}/?month={month:%Y-%m}")


@login_required
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _need(request)
    try:
        task = selectors.task(user, pk)
    except VisitTask.DoesNotExist as exc:
        raise Http404("没有这项探访任务") from exc
    form = VisitForm(initial={"visited_on": timezone.localdate(), "mode": "home"})
    if request.method == "POST":
        _need(request, "change")
        form = VisitForm(request.POST)
        if form.is_valid():
            try:
                services.record_visit(user, task, form.cleaned_data)
            except ValidationError as exc:
                for field, msgs in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, msgs)
            else:
                messages.success(request, "探访记录已保存")
                return redirect("visits:task_detail", pk=task.pk)
    return render(request, "visits/task_detail.html", {
        "title": "探访任务", "task": task, "form": form, "visits": task.visits.select_related("visitor"),
        "can_record": allows(user.role, "visit", "change") and task.status != TaskStatus.CANCELLED})


@login_required
def rule_list(request: HttpRequest) -> HttpResponse:
    user = _need(request)
    return render(request, "visits/rule_list.html", {"title": "探访规则", "rules": selectors.rules(user),
                                                     "can_add": allows(user.role, "visit", "add")})


@login_required
def rule_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = _need(request, "change" if pk else "add")
    instance = None
    if pk is not None:
        instance = VisitRule.objects.for_user(user, "change").filter(pk=pk).first()
        if instance is None:
            raise Http404("没有这条探访规则")
    form = RuleForm(request.POST or None, instance=instance, user=user)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k not in ("region_code", "name")}
        region = instance.region if instance else form.cleaned_data["region_code"]
        try:
            services.save_rule(user, region=region, name=form.cleaned_data["name"], instance=instance, **data)
        except ValidationError as exc:
            for field, msgs in exc.message_dict.items():
                form.add_error("region_code" if field == "region" else (field if field in form.fields else None), msgs)
        else:
            messages.success(request, "探访规则已保存，下次生成任务时生效")
            return redirect("visits:rule_list")
    return render(request, "visits/rule_form.html", {"title": "探访规则", "form": form, "rule": instance})


@login_required
def followup_list(request: HttpRequest) -> HttpResponse:
    user = _need(request)
    state = request.GET.get("state", "open")
    if request.method == "POST":
        _need(request, "change")
        fu = FollowUp.objects.for_user(user, "change").filter(pk=request.POST.get("pk") or 0).first()
        if fu is None:
            raise Http404("没有这项跟进事项")
        form = CloseFollowUpForm(request.POST)
        if form.is_valid():
            try:
                services.close_followup(user, fu, form.cleaned_data["result"])
                messages.success(request, "跟进事项已办结")
            except ValidationError as exc:
                messages.error(request, _errors(exc))
        else:
            messages.error(request, "请填写处理结果")
        return redirect("visits:followup_list")
    page = Paginator(selectors.followups(user, state), 50).get_page(request.GET.get("page"))
    return render(request, "visits/followup_list.html", {"title": "探访跟进", "page": page, "state": state,
                                                         "can_close": allows(user.role, "visit", "change")})


# --- the visitor's offline phone page ----------------------------------------------------------------

@login_required
def mobile(request: HttpRequest) -> HttpResponse:
    _need(request)
    return render(request, "visits/mobile.html", {"title": "我的探访"})


def manifest(request: HttpRequest) -> HttpResponse:
    from django.urls import reverse

    data = {"name": "一老一小 · 探访关爱", "short_name": "探访", "lang": "zh-CN", "start_url": reverse("visits:mobile"),
            "scope": reverse("visits:mobile"), "display": "standalone", "background_color": "#ffffff",
            "theme_color": "#b3261e", "icons": [{"src": reverse("visits:icon"), "sizes": "any", "type": "image/svg+xml"}]}
    return HttpResponse(json.dumps(data, ensure_ascii=False), content_type="application/manifest+json")


def icon(request: HttpRequest) -> HttpResponse:
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="12" '
           'fill="#b3261e"/><text x="32" y="43" font-size="30" text-anchor="middle" fill="#fff">访</text></svg>')
    return HttpResponse(svg, content_type="image/svg+xml")


def service_worker(request: HttpRequest) -> HttpResponse:
    """Served from the page's own path so its scope covers the page (static files would scope /static/)."""
    body = render_to_string("visits/sw.js", {})
    resp = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    resp["Cache-Control"] = "no-cache"
    resp["Service-Worker-Allowed"] = request.path.rsplit("/", 1)[0] + "/"
    return resp


@login_required
def mobile_tasks(request: HttpRequest) -> JsonResponse:
    """The visitor's open tasks (this month and overdue ones): masked names, the address, due date."""
    user = _need(request)
    today = timezone.localdate()
    qs = (selectors.tasks(user, mine=True).filter(status=TaskStatus.PENDING, month__lte=today)
          .order_by("due_on", "region_id", "id")[:MOBILE_LIMIT])
    rows = [{"id": t.pk, "name": t.person.name_masked, "region": t.region.name, "address": t.person.address,
             "month": t.month.strftime("%Y-%m"), "due": t.due_on.isoformat(), "overdue": t.due_on < today}
            for t in qs]
    return JsonResponse({"fetched": timezone.now().isoformat(), "today": today.isoformat(), "tasks": rows})


@login_required
@require_POST
def mobile_sync(request: HttpRequest) -> JsonResponse:
    """Queued visits from the phone: each stored once per client UUID; per-item results, never all-or-nothing.

    Result per item: ``created``, ``exists`` (the same UUID was stored before: the phone may drop it) or
    ``error`` with Chinese messages per field (the phone keeps it and shows them).
    """
    user = _need(request, "change")
    try:
        items = json.loads(request.body or b"[]")
        if isinstance(items, dict):
            items = items.get("visits", [])
        if not isinstance(items, list) or len(items) > MOBILE_LIMIT:
            raise ValueError
    except ValueError:
        return JsonResponse({"error": "同步数据格式不正确"}, status=400)
    results: list[dict[str, Any]] = []
    for item in items:
        uid = str(item.get("client_uuid", "")) if isinstance(item, dict) else ""
        try:
            if not isinstance(item, dict):
                raise ValidationError({"visit": "记录格式不正确"})
            task = VisitTask.objects.for_user(user, "change").filter(pk=int(item.get("task") or 0)).first()
            if task is None:
                raise ValidationError({"task": "探访任务不存在或不在您的范围内"})
            visit, created = services.record_visit(user, task, item, offline=True)
            results.append({"client_uuid": str(visit.client_uuid), "status": "created" if created else "exists",
                            "id": visit.pk})
        except (ValidationError, PermissionDenied, ValueError, TypeError) as exc:
            msgs = exc.message_dict if isinstance(exc, ValidationError) and hasattr(exc, "message_dict") else {
                "visit": [str(exc) or "记录有误"]}
            results.append({"client_uuid": uid, "status": "error", "errors": msgs})
    return JsonResponse({"results": results})
