"""Import pages (upload, batch list, batch detail with htmx progress, commit, error report, templates) and
export job pages (request form, 我的导出, approval queue, job with htmx progress, download).

Thin: the work is in services; every batch reaches the user through ``ImportBatch.objects.for_user``
(another region's batch is a 404). Uploads end up in the private area either way: streamed there by
``PrivateUploadMiddleware`` when it is installed, or copied there by ``create_batch``.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from ylyx.core.export import XLSX, export_policy, pi_resources
from ylyx.core.permissions import allows
from ylyx.generic.views import Col, ObjectDetailView, ObjectListView

from . import export_jobs, services, uploads, workbooks
from .forms import ExportDecisionForm, ExportRequestForm, UploadForm
from .models import ExportJob, ImportBatch, Resource, Status, importable_resources
from .specs import SPECS

ISSUES_PER_PAGE = 100


def _require_importer(user) -> list[str]:
    allowed = importable_resources(user)
    if not allowed or not user.region_id:
        raise PermissionDenied("您的角色没有 Excel 导入权限")
    return allowed


@login_required
def index(request):
    """Upload form and recent batches. With ``PrivateUploadMiddleware`` installed the upload is already in the
    private area; otherwise Django's handlers received it and ``create_batch`` copies it there."""
    _require_importer(request.user)
    try:
        return _index(request)
    finally:
        uploads.discard_unclaimed(request)


def _index(request):
    user = request.user
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES, user=user)
        if form.is_valid():
            try:
                batch = services.create_batch(user, form.cleaned_data["file"], form.cleaned_data["resource"],
                                              form.cleaned_data["mode"], form.cleaned_data["force"])
            except ValidationError as e:
                for msg in e.messages:
                    form.add_error(None, msg)
            else:
                return redirect("imports:batch", pk=batch.pk)
        status = 400
    else:
        form = UploadForm(user=user, initial={"resource": request.GET.get("resource")})
        status = 200
    recent = ImportBatch.objects.for_user(user).select_related("uploader")[:10]
    resources = [(r.value, r.label) for r in Resource if r.value in importable_resources(user)]
    return render(request, "imports/index.html", {"form": form, "recent": recent, "resources": resources,
                                                  "title": "Excel 导入"}, status=status)


class BatchListView(ObjectListView):
    model = ImportBatch
    title = "导入批次"
    template_name = "core/object_list.html"
    detail_url_name = "imports:batch"
    search_fields = ["file_name"]
    select_related = ["uploader"]
    columns = [
        Col("id", "批次", lambda b: f"#{b.pk} {b.file_name}", sort="id"),
        Col("resource", "导入内容", lambda b: b.get_resource_display(), sort="resource"),
        Col("status", "状态", lambda b: b.get_status_display(), sort="status"),
        Col("rows", "行数", lambda b: b.rows_total),
        Col("new", "新增", lambda b: b.rows_new),
        Col("updated", "更新", lambda b: b.rows_updated),
        Col("unchanged", "无变化", lambda b: b.rows_unchanged),
        Col("rejected", "有错误", lambda b: b.rows_rejected),
        Col("uploader", "上传人", lambda b: str(b.uploader)),
        Col("created", "上传时间", lambda b: timezone.localtime(b.created_at).strftime("%Y-%m-%d %H:%M"),
            sort="created_at"),
    ]

    def require(self, action: str) -> None:
        if action != "view":
            raise PermissionDenied("导入批次不能导出")
        _require_importer(self.request.user)


class BatchDetailView(ObjectDetailView):
    model = ImportBatch
    template_name = "imports/batch_detail.html"
    select_related = ["uploader", "committed_by", "region"]

    def get(self, request, pk):
        _require_importer(request.user)
        return super().get(request, pk)

    def extra_context(self, batch):
        issues = batch.issues.all()
        page = Paginator(issues, ISSUES_PER_PAGE).get_page(self.request.GET.get("page"))
        return {"batch": batch, "issues": page, "title": str(batch),
                "may_commit": batch.can_commit and batch.uploader_id == self.request.user.pk}


def _batch(request, pk) -> ImportBatch:
    _require_importer(request.user)
    return get_object_or_404(ImportBatch.objects.for_user(request.user), pk=pk)


@login_required
@require_GET
def progress(request, pk):
    """Polled by htmx every second while the batch is being processed; a finished batch reloads the page."""
    batch = _batch(request, pk)
    resp = render(request, "imports/_progress.html", {"batch": batch})
    if not batch.in_progress and request.headers.get("HX-Request"):
        resp["HX-Refresh"] = "true"
    return resp


@login_required
@require_POST
def commit(request, pk):
    _batch(request, pk)
    try:
        batch = services.request_commit(pk, request.user)
    except ImportBatch.DoesNotExist:
        raise Http404 from None
    except ValidationError as e:
        messages.error(request, "；".join(e.messages))
        return redirect("imports:batch", pk=pk)
    if batch.status == Status.COMMITTED:
        messages.success(request, batch.message)
    elif batch.status in (Status.FAILED, Status.REJECTED):
        messages.error(request, batch.message)
    return redirect("imports:batch", pk=pk)


@login_required
@require_GET
def errors(request, pk):
    batch = _batch(request, pk)
    wb = workbooks.error_workbook(batch, batch.issues.all().iterator(chunk_size=2000))
    return workbooks.xlsx_response(wb, f"导入错误报告-批次{batch.pk}.xlsx")


@login_required
@require_GET
def template(request, resource):
    allowed = _require_importer(request.user)
    if resource not in SPECS:
        raise Http404
    if resource not in allowed:
        raise PermissionDenied(f"您的角色无权导入{Resource(resource).label}")
    spec = SPECS[resource]
    return workbooks.xlsx_response(workbooks.template_workbook(spec, request.user), f"{spec.label}导入模板.xlsx")


# ---------------------------------------------------------------- export jobs (security.md PI-6)
#
# Every job reaches the user through ``ExportJob.objects.for_user``: requesters see their own, approvers
# those they may decide on; another region's job is a 404. The work is in ``export_jobs``.

EXPORTS_PER_PAGE = 30


def _export_job(request, pk) -> ExportJob:
    job = get_object_or_404(ExportJob.objects.for_user(request.user, "view")
                            .select_related("requester", "approver", "region"), pk=pk)
    return export_jobs.check_task(job)


def _refused(request, title: str, message: str, status: int, job: ExportJob | None = None):
    return render(request, "imports/export_refused.html", {"message": message, "job": job, "title": title},
                  status=status)


@login_required
def export_new(request):
    """The request form behind a list's 导出 button: the list, its filter and row count, and the reason."""
    data = request.POST if request.method == "POST" else request.GET
    list_name = str(data.get("list", ""))[:80]
    try:
        querystring = export_jobs.clean_querystring(str(data.get("filter", "")))
    except ValidationError as e:
        return _refused(request, "不能导出", "；".join(e.messages), 400)
    view, qs = export_jobs.open_list(list_name, request.user, querystring)
    resource = view.model.scope_resource
    form = ExportRequestForm(request.POST or None, reason_required=resource in pi_resources(),
                             initial={"list": list_name, "filter": querystring})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                job = export_jobs.request_export(request.user, list_name, querystring, form.cleaned_data["reason"])
            except ValidationError as e:
                for field, msgs in (e.message_dict.items() if hasattr(e, "error_dict") else [(None, e.messages)]):
                    for m in msgs:
                        form.add_error(field if field in form.fields else None, m)
            else:
                return redirect("imports:export_job", pk=job.pk)
        status = 400
    rows = qs.count()
    return render(request, "imports/export_new.html", {
        "form": form, "title": f"申请导出：{export_jobs.list_title(view)}", "list_title": export_jobs.list_title(view),
        "filters": export_jobs.describe_filter(view, querystring), "rows": rows,
        "policy": export_policy(resource, rows), "pi": resource in pi_resources(),
        "back_url": reverse(list_name) + (f"?{querystring}" if querystring else ""),
        "approval_threshold": settings.EXPORT_APPROVAL_THRESHOLD, "ttl": export_jobs.ttl_text(export_jobs.file_ttl()),
        "always_approve": resource in getattr(settings, "EXPORT_ALWAYS_APPROVE", ()),
    }, status=status)


@login_required
@require_GET
def export_list(request):
    """我的导出: the user's own jobs, newest first; opening it also expires what is due (cheap part only)."""
    export_jobs.purge(orphans=False)
    jobs = ExportJob.objects.for_user(request.user, "download").select_related("approver")
    page = Paginator(jobs, EXPORTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "imports/export_list.html", {
        "page": page, "title": "我的导出", "is_approver": allows(request.user.role, "export", "approve"),
        "ttl": export_jobs.ttl_text(export_jobs.file_ttl())})


@login_required
@require_GET
def export_approvals(request):
    """The approval queue: requests waiting for this user, and the ones they decided recently."""
    if not allows(request.user.role, "export", "approve"):
        raise PermissionDenied("您的角色没有导出审批权限")
    export_jobs.purge(orphans=False)
    decided = (ExportJob.objects.for_user(request.user, "view").filter(approver=request.user)
               .select_related("requester").order_by("-decided_at")[:20])
    return render(request, "imports/export_approvals.html", {
        "pending": export_jobs.pending_for(request.user), "decided": decided, "title": "导出审批"})


@login_required
@require_GET
def export_job(request, pk):
    job = _export_job(request, pk)
    return render(request, "imports/export_job.html", {
        "job": job, "title": str(job), "may_decide": export_jobs.may_decide(job, request.user),
        "is_requester": job.requester_id == request.user.pk, "decision_form": ExportDecisionForm()})


@login_required
@require_GET
def export_progress(request, pk):
    """Polled by htmx every second while the job waits for the worker or runs; a finished job stops it."""
    job = _export_job(request, pk)
    resp = render(request, "imports/_export_job.html", {"job": job,
                                                        "is_requester": job.requester_id == request.user.pk})
    resp["Cache-Control"] = "no-store"
    return resp


def _decide(request, pk, approve: bool):
    form = ExportDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(str(m) for msgs in form.errors.values() for m in msgs))
        return redirect("imports:export_job", pk=pk)
    try:
        job = export_jobs.decide(pk, request.user, approve, form.cleaned_data["comment"])
    except PermissionDenied as e:
        return _refused(request, "不能审批", str(e), 403)
    except ValidationError as e:
        messages.error(request, "；".join(e.messages))
        return redirect("imports:export_job", pk=pk)
    messages.success(request, f"已批准导出任务 #{job.pk}" if approve else f"已驳回导出任务 #{job.pk}")
    return redirect("imports:export_job", pk=pk)


@login_required
@require_POST
def export_approve(request, pk):
    return _decide(request, pk, True)


@login_required
@require_POST
def export_reject(request, pk):
    return _decide(request, pk, False)


@login_required
@require_GET
def export_download(request, pk):
    try:
        job, path = export_jobs.open_download(pk, request.user)
    except export_jobs.ExportRefused as e:
        return _refused(request, "不能下载", str(e), e.status, ExportJob.objects.for_user(request.user, "view")
                        .filter(pk=pk).first())
    resp = FileResponse(path.open("rb"), as_attachment=True, filename=export_jobs.download_name(job),
                        content_type=XLSX)
    resp["Cache-Control"] = "private, no-store"
    return resp
