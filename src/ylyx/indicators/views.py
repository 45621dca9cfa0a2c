"""Pages: the dashboard with drill-down and provenance, plans and their targets, department reporting,
and the annual report (a background job with a progress page and downloads).

Thin: the numbers come from :func:`selectors.plan_table`, changes from :mod:`services`. A region
outside the user's scope answers 404, like any other record of another region.
"""

from __future__ import annotations

import datetime as dt
import functools

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from ylyx.audit.services import record
from ylyx.core.export import export_watermark
from ylyx.core.permissions import Action, Resource, allows
from ylyx.generic.views import Col, ObjectDetailView, ObjectListView
from ylyx.regions.models import Region, normalise_code
from ylyx.regions.picking import chosen_region, remember

from . import report, selectors, services
from .exports import table_workbook
from .filters import ReportedValueFilter
from .forms import EntryForm, ImportForm, MilestoneForm, ReportedEditForm, ReturnForm, TargetForm
from .models import Plan, PlanIndicator, ReportedStatus, ReportedValue, ReportJob
from .results import STATUS_LABELS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require(user, resource: Resource, action: Action) -> None:
    if not allows(user.role, resource, action):
        raise PermissionDenied("无权执行此操作")


def _errors(e: ValidationError) -> list[str]:
    if hasattr(e, "error_dict"):
        return [m for msgs in e.message_dict.values() for m in msgs]
    return list(e.messages)


def parse_date(raw: str | None) -> tuple[dt.date, str]:
    today = timezone.localdate()
    if not raw:
        return today, ""
    try:
        on = dt.date.fromisoformat(raw.strip())
    except ValueError:
        return today, f"日期“{raw}”格式应为 YYYY-MM-DD，已改为今天"
    if on > today:
        return today, "日期不能晚于今天，已改为今天"
    if on.year < 2000:
        return today, "日期不能早于 2000 年，已改为今天"
    return on, ""


def get_plan(user, ref: str | None, action: str = "view") -> Plan:
    qs = Plan.objects.for_user(user, action)
    ref = (ref or "").strip()
    lookup = {"pk": int(ref)} if ref.isdigit() else {"code": ref}
    return get_object_or_404(qs, **lookup)


def default_plan(user) -> Plan | None:
    """The most specific visible plan that covers the user's region (a county's own copy before the city's)."""
    best = None
    for p in Plan.objects.for_user(user, "view"):
        covers = user.region_id and user.region_id.startswith(p.region_prefix)
        score = (bool(covers), len(p.region_prefix), not p.is_seed, -p.pk)
        if best is None or score > best[0]:
            best = (score, p)
    return best[1] if best else None


def scoped_region(user, plan: Plan, code: str | None) -> Region:
    """The region asked for, or the default: 404 when it is outside the user's scope or the plan."""
    if code:
        region = Region.objects.filter(code=normalise_code(code)).first()
        if region is None or not selectors.region_in_scope(user, region):
            raise Http404("区划不存在或超出您的管辖范围")
        if not region.code.startswith(plan.region_prefix):
            raise Http404("区划不在该规划范围内")
        return region
    region = selectors.default_region(user, plan)
    if region is None or not selectors.region_in_scope(user, region):
        raise Http404("该规划不覆盖您的管辖区划")
    return region


def breadcrumbs(user, plan: Plan, region: Region) -> list[Region]:
    chain = [*region.ancestors(), region]
    return [r for r in chain if selectors.region_in_scope(user, r) and r.code.startswith(plan.region_prefix)]


class DashboardView(LoginRequiredMixin, View):
    template_name = "indicators/dashboard.html"

    def get(self, request):
        user = request.user
        _require(user, "indicator", "view")
        ref = request.GET.get("plan")
        plan = get_plan(user, ref) if ref else default_plan(user)
        if plan is None:
            return render(request, self.template_name, {"title": "规划指标", "plan": None, "plans": []})
        picked = chosen_region(request)  # ?region=, else the region picked on an earlier page
        code = picked.code if picked is not None and picked.code.startswith(plan.region_prefix) else None
        region = scoped_region(user, plan, request.GET.get("region") or code)
        remember(request, region)
        on, warning = parse_date(request.GET.get("date"))
        if warning:
            messages.warning(request, warning)
        table = selectors.plan_table(plan, region.code, on, with_breakdown=True)
        if request.GET.get("export") == "xlsx":
            return self.export(request, plan, region, on, table)
        sort = request.GET.get("sort", "")
        keys = {r.key for r in table.rows}
        skey = sort.lstrip("-")
        if skey in keys:
            table.breakdown.sort(key=lambda reg: (reg.values.get(skey) is None, reg.values.get(skey) or 0),
                                 reverse=False)
            if sort.startswith("-"):
                present = [b for b in table.breakdown if b.values.get(skey) is not None]
                table.breakdown = present[::-1] + [b for b in table.breakdown if b.values.get(skey) is None]
        elif skey == "name":
            table.breakdown.sort(key=lambda reg: reg.region_code, reverse=sort.startswith("-"))
        charts = {r.key: {"years": [y for y, _ in r.trend], "values": [v for _, v in r.trend],
                          "target": r.target_value if r.target_applies else None} for r in table.rows}
        counts = {s: sum(1 for r in table.rows if r.status == s) for s in STATUS_LABELS}
        ctx = {
            "title": "规划指标", "plan": plan, "plans": list(Plan.objects.for_user(user, "view")),
            "region": region, "on": on, "table": table, "crumbs": breadcrumbs(user, plan, region),
            "charts": charts, "counts": counts, "status_labels": STATUS_LABELS, "sort": sort,
            "can_export": allows(user.role, "indicator", "export"),
            "can_report": allows(user.role, "reported_value", "add"),
            "can_see_reported": allows(user.role, "reported_value", "view"),
            "query": {"plan": plan.pk, "region": region.code, "date": on.isoformat()},
        }
        if ctx["can_export"]:
            ctx.update(report_years(plan))
            ctx["recent_reports"] = list(ReportJob.objects.for_user(user).filter(plan=plan, region=region)
                                         .select_related("requested_by")[:5])
        return render(request, self.template_name, ctx)

    def export(self, request, plan, region, on, table) -> HttpResponse:
        _require(request.user, "indicator", "export")
        record(request.user, "export", plan, detail={"dashboard": plan.code, "region": region.code,
                                                     "on": on.isoformat(), "rows": len(table.rows)})
        data = table_workbook(table, export_watermark(request.user))
        resp = HttpResponse(data, content_type=XLSX)
        name = f"{plan.code}-{region.code}-{on.isoformat()}.xlsx"
        resp["Content-Disposition"] = f"attachment; filename*=UTF-8''{name}"
        return resp


def report_years(plan: Plan) -> dict:
    """The years offered for the annual report, newest first; the default is the last full year."""
    this_year = timezone.localdate().year
    first = max(2000, min(plan.first_year, this_year - 1))
    years = list(range(this_year, first - 1, -1))
    return {"report_years": years, "report_year": this_year - 1}


class ProvenanceView(LoginRequiredMixin, View):
    def get(self, request):
        user = request.user
        _require(user, "indicator", "view")
        plan = get_plan(user, request.GET.get("plan"))
        region = scoped_region(user, plan, request.GET.get("region"))
        on, _ = parse_date(request.GET.get("date"))
        try:
            detail = selectors.provenance_detail(plan, request.GET.get("key", ""), region, on)
        except ValueError as e:
            raise Http404(str(e)) from None
        ctx = {"title": f"数据来源：{detail['indicator'].name}", "plan": plan, "region": region, "on": on,
               **detail, "status_labels": STATUS_LABELS}
        return render(request, "indicators/provenance.html", ctx)


# ---------------------------------------------------------------------------------------------------
# plans


class PlanListView(ObjectListView):
    model = Plan
    title = "规划"
    detail_url_name = "indicators:plan_detail"
    search_fields = ["title", "code", "region_name", "doc_number"]
    default_sort = "region_code"
    export_name = "plans.xlsx"
    columns = [
        Col("title", "规划名称", lambda p: p.title, sort="title", link=True),
        Col("region", "区划", lambda p: p.region_name or p.region_code, sort="region_code"),
        Col("code", "代码", lambda p: p.code, sort="code"),
        Col("doc", "文号", lambda p: p.doc_number),
        Col("period", "规划期", lambda p: f"{p.period_start or ''}—{p.period_end or ''}"),
        Col("seed", "来源", lambda p: "原文" if p.is_seed else "复制/自建"),
    ]


class PlanDetailView(ObjectDetailView):
    model = Plan
    template_name = "indicators/plan_detail.html"

    def extra_context(self, obj):
        user = self.request.user
        rows = list(obj.indicators.select_related("definition").prefetch_related("milestones")
                    .order_by("position", "id"))
        return {"rows": rows, "can_copy": allows(user.role, "indicator", "add") and user.region_id is not None,
                "can_edit_targets": not obj.is_seed}


class PlanCopyView(LoginRequiredMixin, View):
    def post(self, request, pk):
        plan = get_object_or_404(Plan.objects.for_user(request.user, "view"), pk=pk)
        try:
            new = services.copy_plan(plan, request.user)
        except (ValidationError, PermissionDenied) as e:
            msg = "；".join(_errors(e)) if isinstance(e, ValidationError) else (str(e) or "无权复制")
            messages.error(request, msg)
            return redirect("indicators:plan_detail", pk=plan.pk)
        messages.success(request, f"已复制为本区划规划“{new.code}”，可调整目标值和年度目标")
        return redirect("indicators:plan_detail", pk=new.pk)


def _indicator_for_change(user, pk, ipk) -> PlanIndicator:
    plan = get_object_or_404(Plan.objects.for_user(user, "change"), pk=pk)
    return get_object_or_404(plan.indicators.select_related("plan", "definition"), pk=ipk)


class TargetEditView(LoginRequiredMixin, View):
    template = "indicators/indicator_edit.html"

    def get(self, request, pk, ipk):
        pi = _indicator_for_change(request.user, pk, ipk)
        if pi.plan.is_seed:
            messages.error(request, "原文规划的基期值和目标值以印发文件为准，不能修改；请先复制规划到本区划再调整")
            return redirect("indicators:plan_detail", pk=pk)
        return render(request, self.template, {"form": TargetForm(instance=pi), "object": pi,
                                               "title": f"调整目标：{pi.name}"})

    def post(self, request, pk, ipk):
        pi = _indicator_for_change(request.user, pk, ipk)
        form = TargetForm(request.POST, instance=PlanIndicator.objects.for_user(request.user, "change").get(pk=pi.pk))
        if form.is_valid():
            try:
                services.update_targets(pi, request.user, {k: form.cleaned_data[k] for k in services.TARGET_FIELDS},
                                        reason="页面调整目标")
            except ValidationError as e:
                for m in _errors(e):
                    form.add_error(None, m)
            except PermissionDenied as e:
                form.add_error(None, str(e))
            else:
                messages.success(request, "目标已保存，未人工调整的年度目标已按新目标重算")
                return redirect("indicators:plan_detail", pk=pk)
        return render(request, self.template, {"form": form, "object": pi, "title": f"调整目标：{pi.name}"},
                      status=400)


class MilestoneEditView(LoginRequiredMixin, View):
    template = "indicators/indicator_edit.html"

    def get(self, request, pk, ipk):
        pi = _indicator_for_change(request.user, pk, ipk)
        return render(request, self.template, {"form": MilestoneForm(indicator=pi), "object": pi,
                                               "title": f"年度目标：{pi.name}", "milestones": True})

    def post(self, request, pk, ipk):
        pi = _indicator_for_change(request.user, pk, ipk)
        form = MilestoneForm(request.POST, indicator=pi)
        if form.is_valid():
            try:
                services.set_milestones(pi, request.user, form.values(), reason="页面调整年度目标")
            except PermissionDenied as e:
                form.add_error(None, str(e))
            else:
                messages.success(request, "年度目标已保存")
                return redirect("indicators:plan_detail", pk=pk)
        return render(request, self.template, {"form": form, "object": pi, "title": f"年度目标：{pi.name}",
                                               "milestones": True}, status=400)


# ---------------------------------------------------------------------------------------------------
# reported values


class ReportedListView(ObjectListView):
    model = ReportedValue
    title = "部门填报值"
    detail_url_name = "indicators:reported_detail"
    select_related = ["plan_indicator", "plan_indicator__plan", "definition", "region", "entered_by", "approved_by"]
    search_fields = ["plan_indicator__name", "definition__name", "department"]
    default_sort = "-updated_at"
    export_name = "reported-values.xlsx"
    columns = [
        Col("indicator", "指标", lambda o: o.indicator_name, link=True),
        Col("plan", "规划", lambda o: o.plan_indicator.plan.title if o.plan_indicator_id else "（口径）"),
        Col("region", "区划", lambda o: o.region.name, sort="region_id"),
        Col("year", "年份", lambda o: o.year, sort="year"),
        Col("value", "数值", lambda o: o.value, sort="value"),
        Col("department", "填报部门", lambda o: o.department, sort="department"),
        Col("status", "状态", lambda o: o.get_status_display(), sort="status"),
        Col("entered_by", "填报人", lambda o: str(o.entered_by)),
        Col("approved_by", "审核人", lambda o: str(o.approved_by) if o.approved_by_id else ""),
    ]

    @property
    def filterset_class(self):
        """The plan choices are the user's visible plans, so the filter needs the request."""
        return functools.partial(ReportedValueFilter, request=self.request)


class ReportedDetailView(ObjectDetailView):
    model = ReportedValue
    template_name = "indicators/reported_detail.html"
    select_related = ["plan_indicator", "plan_indicator__plan", "definition", "region", "entered_by",
                      "approved_by", "published_by", "returned_by"]

    def extra_context(self, obj):
        user = self.request.user
        can_change = ReportedValue.objects.for_user(user, "change").filter(pk=obj.pk).exists()
        can_approve = can_change and allows(user.role, "reported_value", "approve")
        return {"edit_form": ReportedEditForm(instance=obj) if can_change and obj.editable else None,
                "return_form": ReturnForm() if can_approve else None,
                "can_submit": can_change and obj.editable,
                "can_approve": can_approve and obj.status == ReportedStatus.SUBMITTED
                and obj.entered_by_id != user.pk,
                "self_entered": obj.entered_by_id == user.pk,
                "can_publish": can_approve and obj.status == ReportedStatus.APPROVED,
                "can_return": can_approve and obj.status in (ReportedStatus.SUBMITTED, ReportedStatus.APPROVED)}


ACTIONS = {
    "submit": (services.submit_reported, "已提交审核"),
    "approve": (services.approve_reported, "已审核通过"),
    "publish": (services.publish_reported, "已发布，仪表板将使用该数值"),
}


class ReportedActionView(LoginRequiredMixin, View):
    def post(self, request, pk, action):
        rv = get_object_or_404(ReportedValue.objects.for_user(request.user, "view"), pk=pk)
        try:
            if action == "return":
                comment = ReturnForm(request.POST).data.get("comment", "")
                services.return_reported(rv, request.user, comment)
                msg = "已退回填报人"
            elif action == "edit":
                editable = ReportedValue.objects.for_user(request.user, "change").filter(pk=rv.pk).first()
                if editable is None:
                    raise PermissionDenied("无权修改此填报值")
                form = ReportedEditForm(request.POST, instance=editable)
                if not form.is_valid():
                    for field, errs in form.errors.items():
                        label = form.fields[field].label if field in form.fields else ""
                        for m in map(str, errs):
                            messages.error(request, f"{label}：{m}" if label else m)
                    return redirect("indicators:reported_detail", pk=pk)
                services.update_reported(rv, request.user, value=form.cleaned_data["value"],
                                         department=form.cleaned_data["department"],
                                         comment=form.cleaned_data["comment"])
                msg = "已保存"
            elif action in ACTIONS:
                fn, msg = ACTIONS[action]
                fn(rv, request.user)
            else:
                raise Http404
        except ValidationError as e:
            for m in _errors(e):
                messages.error(request, m)
            return redirect("indicators:reported_detail", pk=pk)
        except PermissionDenied as e:
            messages.error(request, str(e) or "无权执行此操作")
            return HttpResponse(render(request, "indicators/refused.html",
                                       {"title": "操作被拒绝", "message": str(e) or "无权执行此操作",
                                        "back": reverse("indicators:reported_detail", args=[pk])}).content,
                                status=403)
        messages.success(request, msg)
        return redirect("indicators:reported_detail", pk=pk)


class ReportedEntryView(LoginRequiredMixin, View):
    """A department's figures for one plan, region and year: one form, saved as drafts (and submitted)."""

    template = "indicators/reported_entry.html"

    def plans(self, user):
        return list(Plan.objects.for_user(user, "view"))

    def rows(self, plan: Plan | None, department: str):
        return services.reported_rows(plan, department) if plan else []

    def get(self, request):
        user = request.user
        _require(user, "reported_value", "add")
        plans = self.plans(user)
        initial = {"region": user.region_id or "", "year": timezone.localdate().year - 1,
                   "department": request.GET.get("department", "")}
        plan = None
        if request.GET.get("plan"):
            plan = get_plan(user, request.GET.get("plan"))
            initial["plan"] = plan.pk
        elif plans:
            plan = default_plan(user)
            initial["plan"] = plan.pk if plan else None
        for k in ("region", "year"):
            if request.GET.get(k):
                initial[k] = request.GET.get(k)
        if request.GET.get("region") and plan is not None:
            initial["region"] = scoped_region(user, plan, request.GET["region"]).code
        rows = self.rows(plan, initial["department"])
        existing = self.existing(user, rows, initial.get("region"), initial.get("year"))
        for pi in rows:
            if pi.pk in existing:
                initial[f"v{pi.pk}"] = existing[pi.pk].value
        form = EntryForm(initial=initial, user=user, plans=plans, rows=rows)
        return render(request, self.template, self.context(form, plan, rows, existing))

    def context(self, form, plan, rows, existing) -> dict:
        return {"form": form, "title": "指标数值填报", "plan": plan, "existing": existing,
                "head_fields": [form[k] for k in ("plan", "department", "region", "year")],
                "entries": [(pi, form[f"v{pi.pk}"], existing.get(pi.pk)) for pi in rows]}

    def existing(self, user, rows, region_code, year) -> dict[int, ReportedValue]:
        """Values already entered for the form's region and year, as far as the user may see them."""
        try:
            year = int(year)
        except (TypeError, ValueError):
            return {}
        code = normalise_code(str(region_code or ""))
        return {rv.plan_indicator_id: rv for rv in ReportedValue.objects.for_user(user, "view").filter(
            plan_indicator__in=[pi.pk for pi in rows], region_id=code, year=year)}

    def post(self, request):
        user = request.user
        _require(user, "reported_value", "add")
        plans = self.plans(user)
        plan = get_plan(user, request.POST.get("plan"))
        rows = self.rows(plan, request.POST.get("department", ""))
        form = EntryForm(request.POST, user=user, plans=plans, rows=rows)
        if form.is_valid():
            region, year, dept = form.cleaned_data["region"], form.cleaned_data["year"], form.cleaned_data["department"]
            if not region.code.startswith(plan.region_prefix):
                form.add_error("region", f"区划“{region.name}”不在该规划范围内")
            else:
                submit = "submit" in request.POST
                try:
                    n = self.save(user, rows, form, region, year, dept, submit)
                except ValidationError as e:
                    for m in _errors(e):
                        form.add_error(None, m)
                except PermissionDenied as e:
                    form.add_error(None, str(e))
                else:
                    messages.success(request, f"已保存 {n} 项" + ("并提交审核" if submit else "（草稿）"))
                    return redirect(f"{reverse('indicators:reported_list')}?year={year}")
        existing = self.existing(user, rows, request.POST.get("region"), request.POST.get("year"))
        return render(request, self.template, self.context(form, plan, rows, existing), status=400)

    @transaction.atomic
    def save(self, user, rows, form, region, year, dept, submit) -> int:
        existing = self.existing(user, rows, region.code, year)
        n = 0
        for pi in rows:
            v = form.cleaned_data.get(f"v{pi.pk}")
            if v is None:
                continue
            rv = existing.get(pi.pk)
            if rv is None:
                rv = services.create_reported(user, region=region, year=year, value=v, department=dept,
                                              plan_indicator=pi)
            elif rv.editable:
                rv = services.update_reported(rv, user, value=v, department=dept)
            else:
                if rv.value != v:
                    raise ValidationError(f"“{pi.name}”{year}年的填报值状态为“{rv.get_status_display()}”，不能修改")
                continue
            if submit:
                services.submit_reported(rv, user)
            n += 1
        return n


class ReportedImportView(LoginRequiredMixin, View):
    template = "indicators/reported_import.html"

    def get(self, request):
        _require(request.user, "reported_value", "import")
        plans = list(Plan.objects.for_user(request.user, "view"))
        if request.GET.get("template"):
            plan = get_plan(request.user, request.GET.get("plan"))
            region = request.user.region
            if region is None:
                raise Http404
            year = timezone.localdate().year - 1
            data = services.template_workbook(plan, region, year, request.GET.get("department", ""))
            resp = HttpResponse(data, content_type=XLSX)
            resp["Content-Disposition"] = f"attachment; filename*=UTF-8''reported-{plan.code}-{region.code}.xlsx"
            return resp
        return render(request, self.template, {"form": ImportForm(plans=plans), "title": "导入指标填报值",
                                               "plans": plans})

    def post(self, request):
        _require(request.user, "reported_value", "import")
        plans = list(Plan.objects.for_user(request.user, "view"))
        form = ImportForm(request.POST, request.FILES, plans=plans)
        errors: list[str] = []
        if form.is_valid():
            plan = get_plan(request.user, str(form.cleaned_data["plan"]))
            try:
                result = services.import_reported(request.user, plan, form.cleaned_data["file"].read())
            except services.ImportErrors as e:
                errors = list(e.messages)
            except PermissionDenied as e:
                errors = [str(e)]
            else:
                messages.success(request, f"导入完成：新增 {result['created']} 条，更新 {result['updated']} 条，"
                                          f"未变化 {result['unchanged']} 条（均为草稿，请提交审核）")
                return redirect("indicators:reported_list")
        return render(request, self.template, {"form": form, "title": "导入指标填报值", "errors": errors,
                                               "plans": plans}, status=400)


# ---------------------------------------------------------------------------------------------------
# the annual report: a job per request, a progress page polled by htmx, and the downloads

REPORT_TYPES = {"pdf": "application/pdf", "xlsx": XLSX}


def _refuse_report(user, reason: str, detail: dict) -> None:
    """Refusals of the report button are audited (SEC-AUD-1) like the task's own."""
    record(user, "export", None, outcome="denied", reason=reason, detail={"report": "annual", **detail})


class ReportCreateView(LoginRequiredMixin, View):
    """The “生成年度报告” button: check role, plan, region and year, record the job, enqueue the task."""

    def post(self, request):
        user = request.user
        asked = {k: str(request.POST.get(k, ""))[:20] for k in ("plan", "region", "year")}
        if not allows(user.role, "indicator", "export"):
            _refuse_report(user, "您的角色没有导出指标报告的权限", asked)
            raise PermissionDenied("您的角色没有导出指标报告的权限")
        try:
            plan = get_plan(user, asked["plan"], "export")
            region = scoped_region(user, plan, asked["region"])
        except Http404:
            _refuse_report(user, "规划或区划不存在或超出管辖范围", asked)
            raise
        try:
            year = report.check_year(asked["year"])
        except report.ReportError as e:
            messages.error(request, f"报告年度：{e}")
            return redirect(f"{reverse('indicators:dashboard')}?plan={plan.pk}&region={region.code}")
        job = report.request_annual_report(user, plan, region, year)
        return redirect("indicators:report_job", pk=job.pk)


def _job_for(user, pk: int) -> ReportJob:
    _require(user, "indicator", "export")
    qs = ReportJob.objects.for_user(user).select_related("plan", "region", "requested_by")
    return get_object_or_404(qs, pk=pk)


class ReportJobView(LoginRequiredMixin, View):
    def get(self, request, pk):
        job = report.check_task(_job_for(request.user, pk))
        others = (ReportJob.objects.for_user(request.user).filter(plan=job.plan_id, region=job.region_id)
                  .exclude(pk=job.pk).select_related("requested_by")[:5])
        return render(request, "indicators/report_job.html",
                      {"job": job, "others": others, "title": f"{job.region.name}{job.year}年度报告"})


class ReportJobProgressView(LoginRequiredMixin, View):
    """Polled by htmx every second while the job runs; a finished job's fragment stops the polling."""

    def get(self, request, pk):
        job = report.check_task(_job_for(request.user, pk))
        resp = render(request, "indicators/_report_job.html", {"job": job})
        resp["Cache-Control"] = "no-store"
        return resp


class ReportDownloadView(LoginRequiredMixin, View):
    def get(self, request, pk, kind):
        job = _job_for(request.user, pk)
        if kind not in REPORT_TYPES:
            raise Http404
        path = report.stored_file(job.pdf_path if kind == "pdf" else job.xlsx_path)
        if job.status != ReportJob.Status.DONE or path is None or not path.is_file():
            raise Http404("报告文件不存在或已超过保存期限")
        record(request.user, "download", job,
               detail={"report": "annual", "format": kind, "plan": job.plan.code, "region": job.region_id,
                       "year": job.year, "file": path.name, "job": job.pk})
        name = f"{job.plan.title}-{job.region.name}-{job.year}年度实施情况报告.{kind}"
        resp = FileResponse(path.open("rb"), as_attachment=True, filename=name, content_type=REPORT_TYPES[kind])
        resp["Cache-Control"] = "private, no-store"
        return resp
