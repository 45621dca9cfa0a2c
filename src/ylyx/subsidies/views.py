"""Subsidy pages: county dashboard, programmes (the city edits them), construction applications (apply,
county review, city approval), month batches (compute, diff, approve, bank file), the ledger, recoveries,
absences and the cross-check report. Every record comes from ``for_user``; another region's is a 404."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from ylyx.audit.services import record
from ylyx.core.export import export_watermark, workbook_response
from ylyx.core.permissions import allows
from ylyx.generic.views import Col, ObjectListView, ScopedMixin
from ylyx.people.models import Residence

from . import forms as F
from . import rules, selectors, services
from .models import (
    Absence,
    ApplicationStatus,
    Batch,
    BatchLine,
    BatchStatus,
    Change,
    ConstructionApplication,
    LedgerEntry,
    Programme,
    Recovery,
    RecoveryStatus,
)


def _errors(exc: Exception) -> list[str]:
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return [m for ms in exc.message_dict.values() for m in ms]
        return list(exc.messages)
    return [str(exc) or "无权执行此操作"]


def _add_errors(form, exc: Exception) -> None:
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for field, msgs in exc.message_dict.items():
            for m in msgs:
                form.add_error(field if field in form.fields else None, m)
    else:
        for m in _errors(exc):
            form.add_error(None, m)


class SubsidyView(ScopedMixin):
    model: Any = LedgerEntry  # the resource: subsidy

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not allows(request.user.role, "subsidy", "view"):
            raise PermissionDenied("无权查看补贴")
        return super().dispatch(request, *args, **kwargs)


class HomeView(SubsidyView):
    def get(self, request):
        period = request.GET.get("period", "")
        if not services.PERIOD_RE.match(period):
            period = selectors.latest_period(request.user)
        rows = selectors.dashboard(request.user, period)
        totals = {k: sum(r[k] for r in rows) for k in ("persons", "institutions", "amount", "recoveries", "due")}
        return render(request, "subsidies/home.html", {"title": "补贴", "rows": rows, "period": period,
                                                       "periods": selectors.month_choices(), "totals": totals})


class ProgrammeListView(ObjectListView):
    model = Programme
    title = "补贴项目"
    export_name = "programmes.xlsx"
    detail_url_name = "subsidies:programme_detail"
    select_related = ["region"]
    default_sort = "code"
    columns = [
        Col("name", "项目名称", lambda p: p.name),
        Col("code", "代码", lambda p: p.code, "code"),
        Col("category", "类别", lambda p: p.get_category_display()),
        Col("payee", "发放对象", lambda p: p.get_payee_display()),
        Col("period", "周期", lambda p: p.get_period_display()),
        Col("effective", "有效期", lambda p: f"{p.effective_from:%Y-%m-%d} 起{f'，至 {p.effective_to:%Y-%m-%d}' if p.effective_to else ''}"),
        Col("group", "互斥组", lambda p: p.exclusive_group),
        Col("active", "启用", lambda p: "是" if p.active else "否"),
        Col("confidence", "核实", lambda p: p.confidence),
    ]


class ProgrammeDetailView(SubsidyView):
    model = Programme

    def obj(self, pk: int) -> Programme:
        return get_object_or_404(self.scoped("view").select_related("region"), pk=pk)

    def page(self, p: Programme, form=None, status: int = 200) -> HttpResponse:
        can_change = Programme.objects.for_user(self.request.user, "change").filter(pk=p.pk).exists()
        if form is None and can_change:
            form = F.ProgrammeForm(initial={f: getattr(p, f) for f in F.ProgrammeForm.base_fields})
        return render(self.request, "subsidies/programme_detail.html", {
            "object": p, "title": str(p), "rule": rules.describe(p.eligibility), "form": form if can_change else None,
            "paid": LedgerEntry.objects.for_user(self.request.user, "view").filter(programme=p).count()}, status=status)

    def get(self, request, pk: int):
        return self.page(self.obj(pk))

    def post(self, request, pk: int):
        p = get_object_or_404(self.scoped("change"), pk=pk)
        form = F.ProgrammeForm(request.POST)
        if form.is_valid():
            try:
                new = services.save_programme(request.user, p, form.cleaned_data)
            except (ValidationError, PermissionDenied) as e:
                _add_errors(form, e)
            else:
                messages.success(request, "补贴项目已保存")
                return redirect("subsidies:programme_detail", new.pk)
        return self.page(p, form, 400)


class ApplicationListView(ObjectListView):
    model = ConstructionApplication
    title = "建设补助申请"
    export_name = "applications.xlsx"
    detail_url_name = "subsidies:application_detail"
    create_url_name = "subsidies:application_create"
    select_related = ["institution", "programme", "region"]
    columns = [
        Col("id", "编号", lambda a: a.pk, "id"),
        Col("institution", "机构", lambda a: a.institution.name),
        Col("region", "区划", lambda a: a.region.name),
        Col("programme", "项目", lambda a: a.programme.name),
        Col("build_kind", "建设方式", lambda a: a.get_build_kind_display()),
        Col("units", "新增床位/托位", lambda a: a.units, "units"),
        Col("amount", "核定金额（元）", lambda a: a.amount, "amount"),
        Col("status", "状态", lambda a: a.get_status_display()),
    ]


class ApplicationCreateView(SubsidyView):
    model = ConstructionApplication

    def get(self, request):
        self.require("add")
        return render(request, "subsidies/form.html", {"title": "申请建设补助", "form": F.ApplicationForm(user=request.user)})

    def post(self, request):
        self.require("add")
        form = F.ApplicationForm(request.POST, user=request.user)
        if form.is_valid():
            d = form.cleaned_data
            try:
                app = services.apply(request.user, d["institution"], programme=d["programme"],
                                     build_kind=d["build_kind"], units=d["units"], evidence=d["evidence"],
                                     urban=d["urban"], lease_years=d["lease_years"])
            except (ValidationError, PermissionDenied) as e:
                _add_errors(form, e)
            else:
                messages.success(request, f"已提交，核定金额 {app.amount} 元")
                return redirect("subsidies:application_detail", app.pk)
        return render(request, "subsidies/form.html", {"title": "申请建设补助", "form": form}, status=400)


class ApplicationDetailView(SubsidyView):
    model = ConstructionApplication

    def obj(self, pk: int) -> ConstructionApplication:
        return get_object_or_404(self.scoped("view").select_related("institution", "programme", "region",
                                                                    "submitted_by", "reviewed_by", "approved_by"), pk=pk)

    def step(self, app: ConstructionApplication) -> str:
        user = self.request.user
        if user.role == "operator":
            return ""
        if app.status == ApplicationStatus.SUBMITTED and allows(user.role, "subsidy", "change") \
                and user.region and user.region.level >= 3:
            return "review"
        if app.status == ApplicationStatus.REVIEWED and allows(user.role, "subsidy", "approve"):
            return "decide"
        return ""

    def page(self, app, form=None, status=200) -> HttpResponse:
        step = self.step(app)
        return render(self.request, "subsidies/application_detail.html", {
            "object": app, "title": str(app), "step": step, "form": form or (F.DecisionForm() if step else None),
            "ledger": app.ledger.all()}, status=status)

    def get(self, request, pk: int):
        return self.page(self.obj(pk))

    def post(self, request, pk: int):
        app = self.obj(pk)
        step = self.step(app)
        form = F.DecisionForm(request.POST)
        if not step:
            return self.page(app, form, 400)
        if form.is_valid():
            ok = form.cleaned_data["decision"] == "approve"
            try:
                fn = services.review if step == "review" else services.decide
                fn(request.user, app, approve=ok, comment=form.cleaned_data["comment"])
            except (ValidationError, PermissionDenied) as e:
                _add_errors(form, e)
            else:
                messages.success(request, "已办理")
                return redirect("subsidies:application_detail", app.pk)
        return self.page(app, form, 400)


class BatchListView(ObjectListView):
    model = Batch
    title = "月度发放批次"
    export_name = "batches.xlsx"
    detail_url_name = "subsidies:batch_detail"
    create_url_name = "subsidies:batch_create"
    select_related = ["region"]
    default_sort = "-period"
    columns = [
        Col("period", "期间", lambda b: b.period, "period"),
        Col("region", "区划", lambda b: b.region.name),
        Col("status", "状态", lambda b: b.get_status_display()),
        Col("lines", "发放笔数", lambda b: b.lines_count),
        Col("total", "应发金额（元）", lambda b: b.total),
        Col("new", "新增", lambda b: b.new_count),
        Col("changed", "变更", lambda b: b.changed_count),
        Col("stopped", "停发", lambda b: b.stopped_count),
        Col("flagged", "提示", lambda b: b.flagged_count),
    ]



class BatchCreateView(SubsidyView):
    model = Batch

    def get(self, request):
        self.require("change")
        return render(request, "subsidies/form.html", {"title": "计算月度发放批次", "form": F.BatchForm(user=request.user),
                                                       "submit": "计算"})

    def post(self, request):
        self.require("change")
        form = F.BatchForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                b = services.compute_batch(request.user, form.cleaned_data["region"], form.cleaned_data["period"])
            except (ValidationError, PermissionDenied) as e:
                _add_errors(form, e)
            else:
                messages.success(request, f"已计算：{b.lines_count} 笔，{b.total} 元，用时 {b.seconds} 秒")
                return redirect("subsidies:batch_detail", b.pk)
        return render(request, "subsidies/form.html", {"title": "计算月度发放批次", "form": form, "submit": "计算"},
                      status=400)


class BatchDetailView(SubsidyView):
    model = Batch

    def obj(self, pk: int) -> Batch:
        return get_object_or_404(self.scoped("view").select_related("region", "computed_by", "approved_by"), pk=pk)

    def get(self, request, pk: int):
        b = self.obj(pk)
        change = request.GET.get("change", "")
        lines = BatchLine.objects.for_user(request.user, "view").filter(batch=b).select_related("programme")
        if change in Change.values:
            lines = lines.filter(change=change)
        elif request.GET.get("flagged") == "1":
            lines = lines.exclude(flags="")
        else:
            lines = lines.exclude(change=Change.SAME)
        page = Paginator(lines.order_by("id"), 50).get_page(request.GET.get("page"))
        can_approve = Batch.objects.for_user(request.user, "approve").filter(pk=b.pk).exists()
        return render(request, "subsidies/batch_detail.html", {
            "object": b, "title": f"{b.region.name} {b.period} 发放批次", "page": page, "change": change,
            "summary": services.batch_summary(b), "changes": Change.choices, "can_approve": can_approve,
            "can_export": allows(request.user.role, "subsidy", "export") and b.status == BatchStatus.PAID})

    def post(self, request, pk: int):
        b = self.obj(pk)
        action = request.POST.get("action", "")
        try:
            if action == "approve":
                b = services.approve_batch(request.user, b)
                messages.success(request, f"已批准并入账：{b.paid_total} 元")
            elif action == "resume":
                b = services.resume_batch(request.user, b)
                messages.success(request, f"已续写入账：{b.paid_total} 元")
            else:
                messages.error(request, "无效的操作")
        except (ValidationError, PermissionDenied) as e:
            for m in _errors(e):
                messages.error(request, m)
        return redirect("subsidies:batch_detail", b.pk)


class BankFileView(SubsidyView):
    model = Batch

    def get(self, request, pk: int):
        self.require("export")
        b = get_object_or_404(self.scoped("export"), pk=pk)
        if b.status != BatchStatus.PAID:
            messages.error(request, "批次入账完成后才能导出银行代发文件")
            return redirect("subsidies:batch_detail", b.pk)
        record(request.user, "subsidy_bank_file", b, detail={"rows": b.lines_count - b.skipped_count})
        return workbook_response(f"bank-{b.region_id}-{b.period}.xlsx", services.BANK_HEADERS, services.bank_rows(b),
                                 watermark=export_watermark(request.user))


class LedgerListView(ObjectListView):
    model = LedgerEntry
    title = "补贴台账"
    export_name = "ledger.xlsx"
    select_related = ["programme", "person", "institution", "region"]
    columns = [
        Col("id", "编号", lambda e: e.pk, "id"),
        Col("period", "期间", lambda e: e.period, "period"),
        Col("programme", "项目", lambda e: e.programme.name),
        Col("payee", "收款人", lambda e: e.person.name_masked if e.person_id else (e.institution.name if e.institution_id else "")),
        Col("region", "区划", lambda e: e.region.name),
        Col("amount", "金额（元）", lambda e: e.amount, "amount"),
        Col("basis", "计算依据", lambda e: e.basis),
        Col("status", "状态", lambda e: e.get_status_display()),
    ]

    def get_rows(self, action):
        qs, fs = super().get_rows(action)
        period = self.request.GET.get("period", "")
        if period:
            qs = qs.filter(period=period[:10])
        return qs, fs


class RecoveryListView(ObjectListView):
    model = Recovery
    title = "追缴"
    export_name = "recoveries.xlsx"
    detail_url_name = "subsidies:recovery_detail"
    select_related = ["person", "region", "entry", "entry__programme"]
    columns = [
        Col("id", "编号", lambda r: r.pk, "id"),
        Col("person", "老年人", lambda r: r.person.name_masked if r.person_id else ""),
        Col("region", "区划", lambda r: r.region.name),
        Col("programme", "项目", lambda r: r.entry.programme.name),
        Col("period", "期间", lambda r: r.entry.period),
        Col("amount", "金额（元）", lambda r: r.amount, "amount"),
        Col("reason", "原因", lambda r: r.reason),
        Col("status", "状态", lambda r: r.get_status_display()),
    ]


class RecoveryDetailView(SubsidyView):
    model = Recovery

    def obj(self, pk: int) -> Recovery:
        return get_object_or_404(self.scoped("view").select_related("person", "region", "entry", "entry__programme"),
                                 pk=pk)

    def page(self, r: Recovery, form=None, status=200):
        can = r.status == RecoveryStatus.OPEN and Recovery.objects.for_user(self.request.user, "change").filter(
            pk=r.pk).exists() and self.request.user.role != "operator"
        return render(self.request, "subsidies/recovery_detail.html", {
            "object": r, "title": str(r), "form": (form or F.CloseRecoveryForm()) if can else None}, status=status)

    def get(self, request, pk: int):
        return self.page(self.obj(pk))

    def post(self, request, pk: int):
        r = self.obj(pk)
        form = F.CloseRecoveryForm(request.POST)
        if form.is_valid():
            try:
                services.close_recovery(request.user, r, recovered=form.cleaned_data["outcome"] == "recovered",
                                        note=form.cleaned_data["note"])
            except (ValidationError, PermissionDenied) as e:
                _add_errors(form, e)
            else:
                return redirect("subsidies:recovery_detail", r.pk)
        return self.page(r, form, 400)


class AbsenceListView(ObjectListView):
    model = Absence
    title = "在院老人离院记录"
    export_name = "absences.xlsx"
    create_url_name = "subsidies:absence_create"
    select_related = ["institution", "region"]
    columns = [
        Col("institution", "机构", lambda a: a.institution.name),
        Col("residence", "入住记录", lambda a: a.residence_id),
        Col("started_on", "离院日期", lambda a: a.started_on, "started_on"),
        Col("ended_on", "返院日期", lambda a: a.ended_on),
        Col("reason", "原因", lambda a: a.reason),
    ]


class AbsenceCreateView(SubsidyView):
    model = Absence

    def get(self, request):
        self.require("add")
        return render(request, "subsidies/form.html", {"title": "登记离院", "form": F.AbsenceForm()})

    def post(self, request):
        self.require("add")
        form = F.AbsenceForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            stay = Residence.objects.for_user(request.user, "view").filter(pk=d["residence"]).first()
            if stay is None:
                form.add_error("residence", "入住记录不存在或不在您的管辖范围内")
            else:
                try:
                    services.report_absence(request.user, stay, started_on=d["started_on"], ended_on=d["ended_on"],
                                            reason=d["reason"])
                except (ValidationError, PermissionDenied) as e:
                    _add_errors(form, e)
                else:
                    return redirect("subsidies:absence_list")
        return render(request, "subsidies/form.html", {"title": "登记离院", "form": form}, status=400)


class CrossCheckView(SubsidyView):
    def get(self, request):
        period = request.GET.get("period", "")
        if not services.PERIOD_RE.match(period):
            period = selectors.latest_period(request.user)
        findings = selectors.cross_checks(request.user, period)
        groups: dict[str, list[Any]] = {k: [] for k in selectors.CHECKS}
        for f in findings:
            groups[f.check].append(f)
        return render(request, "subsidies/crosscheck.html", {
            "title": "补贴交叉核查", "period": period, "periods": selectors.month_choices(),
            "groups": [(selectors.CHECKS[k], v) for k, v in groups.items()], "count": len(findings)})


