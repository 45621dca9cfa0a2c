"""Import pages: upload, batch list, batch detail with htmx progress, commit, error report, templates.

Thin: the work is in services; every batch reaches the user through ``ImportBatch.objects.for_user``
(another region's batch is a 404). Uploads end up in the private area either way: streamed there by
``PrivateUploadMiddleware`` when it is installed, or copied there by ``create_batch``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from ylyx.generic.views import Col, ObjectDetailView, ObjectListView

from . import services, uploads, workbooks
from .forms import UploadForm
from .models import ImportBatch, Resource, Status, importable_resources
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
