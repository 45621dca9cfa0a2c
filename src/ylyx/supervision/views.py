"""Supervision pages: configured generic lists (with Excel export), detail pages whose POST runs one named
action through a service, the inspector's mobile page, and the public pages (no login).

Every record comes from ``for_user``; another region's record is a 404, whatever the action. Actions
re-check rights inside their service and transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.views import View

from ylyx.core.permissions import Action, Resource, allows
from ylyx.core.todo import todos_for
from ylyx.generic.views import Col, ObjectEditView, ObjectListView, ScopedMixin
from ylyx.institutions.models import Institution
from ylyx.regions.models import Region
from ylyx.workforce.models import Practitioner

from . import checklists, selectors, services
from . import forms as F
from .filters import (
    ComplaintFilter,
    CreditListFilter,
    IncidentFilter,
    InspectionFilter,
    PlanFilter,
    RectificationFilter,
)
from .models import (
    Attachment,
    Complaint,
    CreditAppeal,
    CreditListEntry,
    Incident,
    Inspection,
    InspectionPlan,
    InspectionStatus,
    InspectionTask,
    Inspector,
    Rectification,
)
from .todos import PROVIDERS

SUPERVISION: tuple[Resource, ...] = ("inspection", "credit", "complaint", "incident")


def _date(value: str | None, default: dt.date) -> dt.date:
    d = parse_date(value or "") if value else None
    return d or default


def can(user: Any, resource: Resource, action: Action = "view") -> bool:
    return allows(getattr(user, "role", ""), resource, action)


def add_errors(form: forms.Form, exc: ValidationError) -> None:
    pairs = exc.message_dict.items() if hasattr(exc, "error_dict") else [(None, exc.messages)]
    for field, msgs in pairs:
        for m in msgs:
            form.add_error(field if field in form.fields else None, m)


# ---------------------------------------------------------------------------------------------------
# the pattern: a detail page with named POST actions


class ActionDetailView(ScopedMixin, View):
    """Attributes:
        template_name: the detail template.
        select_related: related rows fetched with the object.
        actions: ``{name: (form class, service call(view, obj, form) → object to go back to or None)}``.

    GET renders the object with an empty form per action the page shows; POST takes ``action``, validates
    its form and runs the call in one transaction. Errors come back on the page (status 400) next to the
    form; success redirects to the object's page with a message.
    """

    template_name = ""
    select_related: list[str] = []
    actions: dict[str, tuple[Any, Callable[..., Any]]] = {}
    done_message = "已保存"

    def get_object(self, pk: int) -> Any:
        qs = self.scoped("view")
        if self.select_related:
            qs = qs.select_related(*self.select_related)
        return get_object_or_404(qs, pk=pk)

    def form_kwargs(self, name: str, obj: Any) -> dict[str, Any]:
        return {}

    def make_form(self, name: str, obj: Any, data: Any = None, files: Any = None) -> forms.Form:
        form_class = self.actions[name][0]
        kwargs = self.form_kwargs(name, obj)
        if issubclass(form_class, F.UserForm):
            kwargs["user"] = self.request.user
        return form_class(data, files, **kwargs) if data is not None else form_class(**kwargs)

    def extra_context(self, obj: Any) -> dict[str, Any]:
        return {}

    def visible_actions(self, obj: Any) -> list[str]:
        return list(self.actions)

    def render_page(self, obj: Any, bound: dict[str, forms.Form] | None = None, status: int = 200) -> HttpResponse:
        forms_ = {name: self.make_form(name, obj) for name in self.visible_actions(obj)}
        forms_.update(bound or {})
        ctx = {"object": obj, "title": str(obj), "forms": forms_}
        ctx.update(self.extra_context(obj))
        return render(self.request, self.template_name, ctx, status=status)

    def get(self, request, pk):
        return self.render_page(self.get_object(pk))

    def post(self, request, pk):
        obj = self.get_object(pk)
        name = request.POST.get("action", "")
        if name not in self.actions or name not in self.visible_actions(obj):
            messages.error(request, "无效的操作")
            return redirect(request.path)
        form = self.make_form(name, obj, request.POST, request.FILES)
        if form.is_valid():
            try:
                with transaction.atomic():
                    back = self.actions[name][1](self, obj, form)
            except ValidationError as exc:
                add_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc) or services.OUT_OF_SCOPE)
            else:
                messages.success(request, self.done_message)
                return redirect(back.get_absolute_url() if hasattr(back, "get_absolute_url") else request.path)
        return self.render_page(obj, {name: form}, status=400)


class CreateView(ObjectEditView):
    """A create form whose ``save`` calls a service; forms here take ``user``, not ``instance``."""

    def form_kwargs(self, instance) -> dict:
        return {"user": self.request.user}


# ---------------------------------------------------------------------------------------------------
# home: counts, to-dos, indicators


@login_required
def home(request):
    user = request.user
    if not any(can(user, r) for r in SUPERVISION):
        raise PermissionDenied("无权查看综合监管")
    today = timezone.localdate()
    todos = [t for t in todos_for(user, today) if t.source in PROVIDERS]
    ctx: dict[str, Any] = {"title": "综合监管", "counts": selectors.counts(user, today), "todos": todos[:30],
                           "today": today}
    if user.region_id and can(user, "inspection"):
        code = request.GET.get("region", "").strip() or user.region_id
        region = Region.objects.filter(code=code).first()
        if region is None or not region.code.startswith(user.region_prefix):
            raise Http404
        on = _date(request.GET.get("date"), today)
        ctx["board"] = selectors.dashboard(region, on)
        ctx["region"] = region
    return render(request, "supervision/home.html", ctx)


@login_required
def clock(request):
    if not can(request.user, "inspection"):
        raise PermissionDenied("无权查看")
    today = timezone.localdate()
    rows = selectors.publication_clock(request.user, today)
    return render(request, "supervision/clock.html", {
        "title": "检查结果公示时钟", "rows": rows, "today": today,
        "within": services.cfg("publish_within_workdays"), "warn": services.cfg("publish_warn_workdays"),
        "overdue": sum(r.state == "overdue" for r in rows), "soon": sum(r.state == "soon" for r in rows)})


# ---------------------------------------------------------------------------------------------------
# plans, tasks, inspectors


class PlanListView(ObjectListView):
    model = InspectionPlan
    title = "抽查计划"
    filterset_class = PlanFilter
    search_fields = ["title", "department"]
    export_name = "inspection-plans.xlsx"
    create_url_name = "supervision:plan_create"
    detail_url_name = "supervision:plan_detail"
    select_related = ["region"]
    columns = [
        Col("title", "计划名称", lambda o: o.title, sort="title"),
        Col("year", "年度", lambda o: o.year, sort="year"),
        Col("region", "实施区划", lambda o: o.region.name, sort="region_id"),
        Col("department", "实施部门", lambda o: o.department),
        Col("domain", "领域", lambda o: o.get_domain_display()),
        Col("ratio", "抽查比例", lambda o: f"{o.ratio * 100:g}%"),
        Col("period", "检查期", lambda o: f"{o.period_start:%Y-%m-%d}—{o.period_end:%Y-%m-%d}"),
        Col("status", "状态", lambda o: o.get_status_display(), sort="status"),
    ]


class PlanCreateView(CreateView):
    model = InspectionPlan
    form_class = F.PlanForm
    success_url_name = "supervision:plan_detail"

    def save(self, form, instance, user):
        return services.plan_create(user, form.service_data())


def _task_create(view, plan, form):
    d = form.cleaned_data
    return services.task_create(view.request.user, plan, d["name"], d.get("period_start"), d.get("period_end"))


def _plan_close(view, plan, form):
    return services.plan_close(view.request.user, plan, "计划结束")


class PlanDetailView(ActionDetailView):
    model = InspectionPlan
    template_name = "supervision/plan_detail.html"
    select_related = ["region", "created_by"]
    actions = {"task": (F.TaskForm, _task_create), "close": (forms.Form, _plan_close)}

    def visible_actions(self, obj):
        return list(self.actions) if InspectionPlan.objects.for_user(
            self.request.user, "change").filter(pk=obj.pk).exists() else []

    def extra_context(self, obj):
        tasks = InspectionTask.objects.for_user(self.request.user, "view").filter(plan=obj).order_by("period_start")
        weights = [(c, obj.weights.get(c), f"{float(obj.ratio) * float(obj.weights.get(c, 0)) * 100:.1f}%")
                   for c in "ABCD"]
        return {"tasks": tasks, "weights": weights}


def _commit(view, task, form):
    return services.task_commit(view.request.user, task)


def _draw(view, task, form):
    return services.task_draw(view.request.user, task, form.cleaned_data.get("witness", ""))


class TaskDetailView(ActionDetailView):
    model = InspectionTask
    template_name = "supervision/task_detail.html"
    select_related = ["plan", "plan__region", "committed_by", "drawn_by"]
    actions = {"commit": (forms.Form, _commit), "draw": (F.DrawForm, _draw)}
    done_message = "已完成"

    def visible_actions(self, obj):
        if not InspectionTask.objects.for_user(self.request.user, "draw").filter(pk=obj.pk).exists():
            return []
        if not obj.is_committed:
            return ["commit"]
        return [] if obj.is_drawn else ["draw"]

    def extra_context(self, obj):
        inspections = (Inspection.objects.for_user(self.request.user, "view").filter(task=obj)
                       .select_related("institution", "region").prefetch_related("assignments__inspector")
                       .order_by("institution_id"))
        ctx: dict[str, Any] = {"inspections": inspections}
        if obj.is_committed:
            ctx["pool_sizes"] = (len(json.loads(obj.targets_json)), len(json.loads(obj.inspectors_json)))
            ctx["params"] = json.loads(obj.params_json)
        if obj.is_drawn:
            ctx["by_class"] = json.loads(obj.result_json)["by_class"]
        return ctx


class InspectorListView(ObjectListView):
    model = Inspector
    title = "执法检查人员名录"
    search_fields = ["code", "department"]
    export_name = "inspectors.xlsx"
    create_url_name = "supervision:inspector_create"
    detail_url_name = "supervision:inspector_detail"
    select_related = ["region"]
    default_sort = "code"
    columns = [
        Col("code", "人员编码", lambda o: o.code, sort="code"),
        Col("name", "姓名", lambda o: o.name_masked),
        Col("department", "所在部门", lambda o: o.department, sort="department"),
        Col("region", "区划", lambda o: o.region.name, sort="region_id"),
        Col("domains", "执法领域", lambda o: "、".join({"elder": "养老", "childcare": "托育"}.get(d, d)
                                                   for d in o.domains)),
        Col("active", "在册", lambda o: "是" if o.active else "否"),
    ]


class InspectorCreateView(CreateView):
    model = Inspector
    form_class = F.InspectorForm
    success_url_name = "supervision:inspector_detail"

    def save(self, form, instance, user):
        return services.inspector_create(user, form.cleaned_data)


def _conflict(view, inspector, form):
    d = form.cleaned_data
    services.conflict_declare(view.request.user, inspector, d["institution"], d["reason"])


class InspectorDetailView(ActionDetailView):
    model = Inspector
    template_name = "supervision/inspector_detail.html"
    select_related = ["region"]
    actions = {"conflict": (F.ConflictForm, _conflict)}

    def visible_actions(self, obj):
        return ["conflict"] if Inspector.objects.for_user(self.request.user, "change").filter(pk=obj.pk).exists() else []

    def extra_context(self, obj):
        conflicts = obj.conflicts.select_related("institution").order_by("declared_on")
        recent = (Inspection.objects.for_user(self.request.user, "view").filter(assignments__inspector=obj)
                  .select_related("institution").order_by("-inspected_on", "-id")[:50])
        return {"conflicts": conflicts, "recent": recent}


# ---------------------------------------------------------------------------------------------------
# inspections


class InspectionListView(ObjectListView):
    model = Inspection
    title = "检查"
    filterset_class = InspectionFilter
    search_fields = ["institution__name"]
    export_name = "inspections.xlsx"
    detail_url_name = "supervision:inspection_detail"
    select_related = ["institution", "region", "task"]
    default_sort = "-id"
    columns = [
        Col("institution", "检查对象", lambda o: o.institution.name, sort="institution__name"),
        Col("region", "区划", lambda o: o.region.name, sort="region_id"),
        Col("kind", "类型", lambda o: o.get_kind_display()),
        Col("task", "任务", lambda o: o.task.name if o.task else ""),
        Col("forced", "必查原因", lambda o: o.forced_reason),
        Col("status", "状态", lambda o: o.get_status_display(), sort="status"),
        Col("inspected_on", "检查日期", lambda o: o.inspected_on, sort="inspected_on"),
        Col("outcome", "结论", lambda o: o.get_outcome_display()),
        Col("publish_due", "公示期限", lambda o: o.publish_due, sort="publish_due"),
        Col("published_at", "公示时间", lambda o: timezone.localtime(o.published_at).strftime("%Y-%m-%d")
            if o.published_at else ""),
        Col("next_due", "下次检查", lambda o: o.next_due, sort="next_due"),
    ]


def _publish(view, insp, form):
    return services.inspection_publish(view.request.user, insp, form.cleaned_data["public_summary"])


def _reinspect(view, insp, form):
    new = services.reinspection_create(view.request.user, insp.institution, form.cleaned_data["inspectors"],
                                       reason=f"复查检查 {insp.pk}")
    messages.info(view.request, f"已安排复查（检查编号 {new.pk}）")


class InspectionDetailView(ActionDetailView):
    model = Inspection
    template_name = "supervision/inspection_detail.html"
    select_related = ["institution", "region", "task", "task__plan", "published_by", "reinspection_of"]
    actions = {"publish": (F.PublishForm, _publish), "reinspect": (F.ReinspectForm, _reinspect)}

    def visible_actions(self, obj):
        user = self.request.user
        out = []
        if obj.status == InspectionStatus.DONE and Inspection.objects.for_user(user, "publish").filter(
                pk=obj.pk).exists():
            out.append("publish")
        if obj.status in (InspectionStatus.DONE, InspectionStatus.PUBLISHED) and can(user, "inspection", "add") \
                and user.role != "operator":
            out.append("reinspect")
        return out

    def form_kwargs(self, name, obj):
        return {"initial": {"public_summary": default_public_summary(obj)}} if name == "publish" else {}

    def extra_context(self, obj):
        user = self.request.user
        return {
            "items": obj.items.order_by("code"),
            "assignments": obj.assignments.select_related("inspector").order_by("-lead", "inspector__code"),
            "photos": obj.attachments.order_by("id"),
            "rectifications": Rectification.objects.for_user(user, "view").filter(inspection=obj),
            "can_record": obj.status in (InspectionStatus.ASSIGNED, InspectionStatus.IN_PROGRESS)
            and user.role != "operator" and Inspection.objects.for_user(user, "change").filter(pk=obj.pk).exists(),
        }


def default_public_summary(insp: Inspection) -> str:
    failed = [f"{r.text}（{r.get_severity_display()}）" for r in insp.items.filter(result="fail").order_by("code")]
    head = f"{insp.inspected_on:%Y年%m月%d日}对{insp.institution.name}开展{insp.get_kind_display()}，结论：{insp.get_outcome_display()}。"
    if not failed:
        return head + "未发现问题。"
    return head + "发现问题：" + "；".join(failed) + "。已责令限期整改。"


def _checkin(view, insp, form):
    d = form.cleaned_data
    return services.inspection_check_in(view.request.user, insp, d.get("lat"), d.get("lon"))


def _items(view, insp, form):
    cl = checklists.get(insp.checklist)
    results = {}
    for item in cl.items:
        r = form.cleaned_data.get(f"r_{item.code}")
        if r:
            results[item.code] = (r, form.cleaned_data.get(f"n_{item.code}", ""))
    services.inspection_record(view.request.user, insp, results)


def _photo(view, insp, form):
    d = form.cleaned_data
    services.attachment_add(view.request.user, insp, d["photo"], d.get("item_code") or "", d.get("lat"), d.get("lon"))


def _complete(view, insp, form):
    d = form.cleaned_data
    services.inspection_complete(view.request.user, insp, d["outcome"], d.get("summary", ""), d.get("inspected_on"))
    return insp


class ItemsFormFactory:
    """Lets ActionDetailView build the per-checklist items form like any other action form."""

    def __new__(cls, data=None, files=None, **kwargs):
        insp = kwargs.pop("inspection")
        existing = {r.code: r for r in insp.items.all()}
        return F.items_form(checklists.get(insp.checklist), existing, data)


class InspectionRecordView(ActionDetailView):
    """The inspector's page on a phone: arrive (time and place), answer the checklist, add photos, finish."""

    model = Inspection
    template_name = "supervision/inspection_record.html"
    select_related = ["institution", "region", "task"]
    actions = {"checkin": (F.CheckInForm, _checkin), "items": (ItemsFormFactory, _items),
               "photo": (F.PhotoForm, _photo), "complete": (F.CompleteForm, _complete)}

    def get_object(self, pk):
        user = self.request.user
        if user.role == "operator" or not can(user, "inspection", "change"):
            raise PermissionDenied("无权填写检查结果")
        return get_object_or_404(Inspection.objects.for_user(user, "change").select_related(*self.select_related),
                                 pk=pk)

    def make_form(self, name, obj, data=None, files=None):
        if name == "items":
            return ItemsFormFactory(data, inspection=obj)
        return super().make_form(name, obj, data, files)

    def visible_actions(self, obj):
        return list(self.actions) if obj.status in (InspectionStatus.ASSIGNED, InspectionStatus.IN_PROGRESS) else []

    def extra_context(self, obj):
        cl = checklists.get(obj.checklist)
        return {"checklist": cl, "photos": obj.attachments.order_by("id"),
                "answered": obj.items.count(), "total": len(cl.items)}


@login_required
def attachment(request, pk):
    """A site photo, only to someone who may see its inspection; never cached."""
    att = get_object_or_404(Attachment.objects.for_user(request.user, "view"), pk=pk)
    path = services.attachment_path(att)
    if not path.exists():
        raise Http404
    resp = FileResponse(open(path, "rb"), content_type=att.content_type)
    resp["Cache-Control"] = "private, no-store"
    resp["Content-Disposition"] = f'inline; filename="photo-{att.pk}.{att.stored_name.rsplit(".", 1)[-1]}"'
    return resp


# ---------------------------------------------------------------------------------------------------
# rectification


class RectificationListView(ObjectListView):
    model = Rectification
    title = "整改"
    filterset_class = RectificationFilter
    search_fields = ["institution__name", "description"]
    export_name = "rectifications.xlsx"
    detail_url_name = "supervision:rectification_detail"
    select_related = ["institution", "region"]
    default_sort = "deadline"
    columns = [
        Col("institution", "机构", lambda o: o.institution.name, sort="institution__name"),
        Col("region", "区划", lambda o: o.region.name, sort="region_id"),
        Col("description", "问题及整改要求", lambda o: o.description[:60]),
        Col("severity", "严重程度", lambda o: o.get_severity_display(), sort="severity"),
        Col("deadline", "整改期限", lambda o: o.deadline, sort="deadline"),
        Col("status", "状态", lambda o: o.get_status_display(), sort="status"),
        Col("closed_on", "复查通过", lambda o: o.closed_on),
    ]


def _report(view, rect, form):
    d = form.cleaned_data
    services.rectification_report(view.request.user, rect, d["report_text"], d.get("reported_on"))


class RectificationDetailView(ActionDetailView):
    model = Rectification
    template_name = "supervision/rectification_detail.html"
    select_related = ["institution", "inspection", "closed_by"]
    actions = {"report": (F.ReportForm, _report)}

    def visible_actions(self, obj):
        ok = obj.is_open and Rectification.objects.for_user(self.request.user, "change").filter(pk=obj.pk).exists()
        return ["report"] if ok else []

    def extra_context(self, obj):
        return {"today": timezone.localdate()}


# ---------------------------------------------------------------------------------------------------
# credit


class CreditListView(ObjectListView):
    model = CreditListEntry
    title = "红黑名单"
    filterset_class = CreditListFilter
    search_fields = ["institution__name", "reason"]
    export_name = "credit-lists.xlsx"
    select_related = ["institution", "practitioner", "region"]
    default_sort = "-entered_on"
    columns = [
        Col("subject", "主体", lambda o: o.subject_label),
        Col("region", "区划", lambda o: o.region.name, sort="region_id"),
        Col("list_type", "名单", lambda o: o.get_list_type_display(), sort="list_type"),
        Col("reason", "列入理由", lambda o: o.reason),
        Col("entered_on", "列入日期", lambda o: o.entered_on, sort="entered_on"),
        Col("expires_on", "期满日期", lambda o: o.expires_on),
        Col("status", "状态", lambda o: o.get_status_display(), sort="status"),
    ]


def _credit_event(view, subject, form):
    d = form.cleaned_data
    services.credit_event_record(view.request.user, subject, d["kind"], d.get("on"), d["note"])


def _posted_id(view, name: str) -> int:
    try:
        return int(view.request.POST.get(name, ""))
    except ValueError:
        raise Http404 from None


def _appeal(view, subject, form):
    entry = get_object_or_404(CreditListEntry.objects.for_user(view.request.user, "view").filter(
        **{view.subject_field: subject}), pk=_posted_id(view, "entry"))
    services.appeal_submit(view.request.user, entry, form.cleaned_data["kind"], form.cleaned_data["text"])


def _decide(view, subject, form):
    appeal = get_object_or_404(CreditAppeal.objects.for_user(view.request.user, "view").filter(
        **{f"entry__{view.subject_field}": subject}), pk=_posted_id(view, "appeal"))
    services.appeal_decide(view.request.user, appeal, form.cleaned_data["accept"], form.cleaned_data["decision"])


class CreditFileView(ActionDetailView):
    """信用档案 of one institution (or practitioner): class by year, events, list entries, appeals."""

    model: Any = Institution
    subject_field = "institution"
    template_name = "supervision/credit_file.html"
    actions = {"event": (F.CreditEventForm, _credit_event), "appeal": (F.AppealForm, _appeal),
               "decide": (F.DecideForm, _decide)}

    def get_object(self, pk):
        if not can(self.request.user, "credit"):
            raise PermissionDenied("无权查看信用档案")
        return get_object_or_404(self.model.objects.for_user(self.request.user, "view"), pk=pk)

    def visible_actions(self, obj):
        user = self.request.user
        out = []
        if can(user, "credit", "add"):
            out.append("event")
        if can(user, "credit", "appeal") or can(user, "credit", "change"):
            out.append("appeal")
        if can(user, "credit", "approve"):
            out.append("decide")
        return out

    def extra_context(self, obj):
        return {"file": selectors.credit_file(obj), "subject_label": str(obj),
                "title": f"信用档案：{obj}"}


class PractitionerCreditView(CreditFileView):
    model = Practitioner
    subject_field = "practitioner"


# ---------------------------------------------------------------------------------------------------
# complaints


class ComplaintListView(ObjectListView):
    model = Complaint
    title = "投诉举报"
    filterset_class = ComplaintFilter
    search_fields = ["number", "category", "institution__name"]
    export_name = "complaints.xlsx"
    create_url_name = "supervision:complaint_create"
    detail_url_name = "supervision:complaint_detail"
    select_related = ["institution", "region"]
    columns = [
        Col("number", "编号", lambda o: o.number, sort="number"),
        Col("received_on", "受理日期", lambda o: o.received_on, sort="received_on"),
        Col("channel", "渠道", lambda o: o.get_channel_display()),
        Col("institution", "被投诉机构", lambda o: o.institution.name if o.institution else ""),
        Col("region", "承办区划", lambda o: o.region.name, sort="region_id"),
        Col("category", "类别", lambda o: o.category),
        Col("status", "状态", lambda o: o.get_status_display(), sort="status"),
        Col("due_on", "办结期限", lambda o: o.due_on, sort="due_on"),
        Col("outcome", "结论", lambda o: o.get_outcome_display()),
        Col("closed_on", "办结日期", lambda o: o.closed_on),
    ]


class ComplaintCreateView(CreateView):
    model = Complaint
    form_class = F.ComplaintForm
    success_url_name = "supervision:complaint_detail"

    def save(self, form, instance, user):
        return services.complaint_intake(user, form.cleaned_data)


def _investigate(view, c, form):
    services.complaint_investigate(view.request.user, c, form.cleaned_data.get("inspectors") or [])


def _complaint_close(view, c, form):
    d = form.cleaned_data
    services.complaint_close(view.request.user, c, d["outcome"], d["outcome_text"], d.get("closed_on"))


class ComplaintDetailView(ActionDetailView):
    model = Complaint
    template_name = "supervision/complaint_detail.html"
    select_related = ["institution", "region", "received_by", "inspection"]
    actions = {"investigate": (F.InvestigateForm, _investigate), "close": (F.ComplaintCloseForm, _complaint_close)}

    def visible_actions(self, obj):
        if obj.status == "closed" or not Complaint.objects.for_user(self.request.user, "change").filter(
                pk=obj.pk).exists():
            return []
        return ["investigate", "close"] if obj.status == "received" else ["close"]


# ---------------------------------------------------------------------------------------------------
# incidents


class IncidentListView(ObjectListView):
    model = Incident
    title = "突发事件"
    filterset_class = IncidentFilter
    search_fields = ["institution__name", "description"]
    export_name = "incidents.xlsx"
    create_url_name = "supervision:incident_create"
    detail_url_name = "supervision:incident_detail"
    select_related = ["institution", "region"]
    columns = [
        Col("institution", "发生机构", lambda o: o.institution.name, sort="institution__name"),
        Col("region", "区划", lambda o: o.region.name, sort="region_id"),
        Col("type", "类型", lambda o: o.get_type_display()),
        Col("severity", "等级", lambda o: o.get_severity_display(), sort="severity"),
        Col("reported_at", "报告时间", lambda o: timezone.localtime(o.reported_at).strftime("%Y-%m-%d %H:%M"),
            sort="reported_at"),
        Col("level", "报告层级", lambda o: o.get_level_display()),
        Col("status", "状态", lambda o: o.get_status_display(), sort="status"),
        Col("hours", "处置时长（小时）", lambda o: o.handling_hours),
    ]


class IncidentCreateView(CreateView):
    model = Incident
    form_class = F.IncidentForm
    success_url_name = "supervision:incident_detail"

    def save(self, form, instance, user):
        d = dict(form.cleaned_data)
        if d.get("occurred_at") is None:
            d.pop("occurred_at", None)
        return services.incident_report(user, d)


def _incident_log(view, inc, form):
    services.incident_log_add(view.request.user, inc, form.cleaned_data["text"])


def _incident_close(view, inc, form):
    d = form.cleaned_data
    services.incident_close(view.request.user, inc, d["closure_summary"], d.get("liability", False))


def _relocate(view, inc, form):
    d = form.cleaned_data
    kind = d["person_kind"]
    to = d.get("to_institution") if kind == "elderly" else d.get("to_class")
    if to is None:
        raise ValidationError({"to_institution" if kind == "elderly" else "to_class": ["请选择安置去向"]})
    services.incident_relocate(view.request.user, inc, person_kind=kind, person=d["person"], to=to, on=d.get("on"))


class IncidentDetailView(ActionDetailView):
    model = Incident
    template_name = "supervision/incident_detail.html"
    select_related = ["institution", "region", "reported_by"]
    actions = {"log": (F.IncidentLogForm, _incident_log), "relocate": (F.RelocateForm, _relocate),
               "close": (F.IncidentCloseForm, _incident_close)}

    def form_kwargs(self, name, obj):
        return {"incident": obj} if name == "relocate" else {}

    def visible_actions(self, obj):
        user = self.request.user
        if obj.status == "closed" or not Incident.objects.for_user(user, "change").filter(pk=obj.pk).exists():
            return []
        out = ["log"]
        if can(user, "elderly", "add") or can(user, "infant", "add"):
            out.append("relocate")
        if user.role != "operator":
            out.append("close")
        return out

    def extra_context(self, obj):
        user = self.request.user
        return {"logs": obj.logs.select_related("by").order_by("at", "id"),
                "relocations": obj.relocations.select_related("to_institution").order_by("id"),
                "candidates": selectors.capacity_candidates(user, obj) if obj.status == "open" else []}


# ---------------------------------------------------------------------------------------------------
# public pages (no login): what the law says must be disclosed, and the draws for anyone to verify


def public_index(request):
    return render(request, "supervision/public_index.html", {
        "title": "双随机抽查结果公示", "results": selectors.published_results(limit=100),
        "tasks": selectors.public_tasks(50), "black": selectors.public_black_list(200)})


def public_task(request, pk):
    task = selectors.public_task(pk)
    if task is None:
        raise Http404
    doc = services.task_document(task)
    names = {t["id"]: t["name"] for t in doc["targets"]}
    codes = {i["id"]: i["code"] for i in doc["inspectors"]}
    selected = [{"name": names.get(s["target"], s["target"]), "credit_class": s["credit_class"], "forced": s["forced"],
                 "inspectors": [codes.get(i, i) for i in s["inspectors"]]}
                for s in (doc["result"] or {}).get("selected", [])]
    return render(request, "supervision/public_task.html", {
        "title": f"抽取公示：{task}", "task": task, "doc": doc, "selected": selected,
        "json_url": reverse("supervision_public:task_json", args=[task.pk])})


def public_task_json(request, pk):
    task = selectors.public_task(pk)
    if task is None:
        raise Http404
    resp = JsonResponse(services.task_document(task), json_dumps_params={"ensure_ascii": False, "indent": 1})
    resp["Content-Disposition"] = f'attachment; filename="draw-{task.pk}.json"'
    return resp


def public_result(request, pk):
    insp = selectors.public_inspection(pk)
    if insp is None:
        raise Http404
    return render(request, "supervision/public_result.html", {"title": f"检查结果：{insp.institution.name}",
                                                               "insp": insp})
