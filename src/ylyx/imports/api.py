"""REST API for imports (upload, read a batch with its report, commit) and export jobs.

``POST /api/imports/`` (file, resource, mode, force) → the batch after validation (201), or 400 with the
reason when the file is refused; ``GET /api/imports/{id}/``; ``POST /api/imports/{id}/commit/``.

Export jobs follow the pages' rules (``export_jobs``): ``GET /api/exports/`` lists the caller's own jobs,
``POST /api/exports/`` (resource or list, filter, reason) requests one, ``GET /api/exports/pending/`` is the
caller's approval queue, ``POST /api/exports/{id}/approve/`` and ``…/reject/`` decide, and
``GET /api/exports/{id}/download/`` returns the workbook (403 before approval, 409 while it is made, 410
after expiry).
"""

from __future__ import annotations

from django.http import FileResponse, Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from ylyx.core.export import XLSX
from ylyx.core.permissions import Action
from ylyx.generic.api import ModelSerializer, ScopedViewSet, Serializer

from . import export_jobs, services, uploads
from .models import ExportJob, ImportBatch, ImportIssue, Mode, Resource, Status, importable_resources

MAX_ISSUES_IN_JSON = 500
NO_FILE = "请上传 Excel 文件（字段 file）"


class ImportIssueSerializer(ModelSerializer):
    class Meta:
        model = ImportIssue
        fields = ["row", "column", "message", "level"]


class ImportBatchSerializer(ModelSerializer):
    resource_display = serializers.CharField(source="get_resource_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    mode_display = serializers.CharField(source="get_mode_display", read_only=True)
    uploader = serializers.CharField(source="uploader.__str__", read_only=True)
    can_commit = serializers.BooleanField(read_only=True)
    progress_percent = serializers.IntegerField(read_only=True)
    issues = serializers.SerializerMethodField()
    errors_url = serializers.SerializerMethodField()

    class Meta:
        model = ImportBatch
        fields = ["id", "resource", "resource_display", "status", "status_display", "mode", "mode_display",
                  "force", "file_name", "sha256", "size", "message", "rows_total", "rows_new", "rows_updated",
                  "rows_unchanged", "rows_rejected", "links_created", "issue_count", "progress_done",
                  "progress_total", "progress_percent", "can_commit", "uploader", "region", "created_at",
                  "validated_at", "finished_at", "issues", "errors_url"]
        read_only_fields = fields

    def get_issues(self, batch: ImportBatch) -> list[dict]:
        # many=True makes a ListSerializer whose .data is a list; the stubs type it as the single-object dict.
        return ImportIssueSerializer(batch.issues.all()[:MAX_ISSUES_IN_JSON], many=True).data  # type: ignore[return-value]

    def get_errors_url(self, batch: ImportBatch) -> str:
        return reverse("imports:errors", args=[batch.pk]) if batch.issue_count else ""


class ImportRefusedSerializer(ImportBatchSerializer):
    """A file refused or a batch that cannot be committed: the batch as stored, with the reason."""

    detail = serializers.CharField(read_only=True)

    class Meta(ImportBatchSerializer.Meta):
        fields = ["detail", *ImportBatchSerializer.Meta.fields]
        read_only_fields = fields


class ImportUploadSerializer(Serializer):
    file = serializers.FileField(help_text="Excel 文件（.xlsx）",
                                 error_messages={"required": NO_FILE, "null": NO_FILE, "invalid": NO_FILE,
                                                 "empty": "上传的文件是空的"})
    resource = serializers.ChoiceField(choices=Resource.choices, label="导入内容",
                                       error_messages={"invalid_choice": "请选择导入内容"})
    mode = serializers.ChoiceField(choices=Mode.choices, default=Mode.ALL_OR_NOTHING, label="导入方式")
    force = serializers.BooleanField(default=False, help_text="同一文件已导入过时仍重新导入")


class ImportBatchViewSet(ScopedViewSet):
    queryset = ImportBatch.objects.select_related("uploader").order_by("-id")
    serializer_class = ImportBatchSerializer
    http_method_names = ["get", "post", "head", "options"]
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    error_bodies = {"400": ImportRefusedSerializer}
    filterset_fields = ["resource", "status"]
    ordering_fields = ["id", "created_at"]

    def scope_action(self) -> Action:
        # A batch is found among those the user may view; committing re-checks the uploader in the service.
        return "view"

    def initialize_request(self, request, *args, **kwargs):
        # Stream the upload into the private area (SEC-RI-2), but only for callers that claim an identity.
        user = getattr(request, "user", None)  # schema generation builds a request without a user
        if request.method == "POST" and ((user is not None and user.is_authenticated)
                                         or request.headers.get("Authorization", "").startswith("Token ")):
            uploads.install(request)
        return super().initialize_request(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        uploads.discard_unclaimed(request._request if hasattr(request, "_request") else request)
        return super().finalize_response(request, response, *args, **kwargs)

    @extend_schema(request={"multipart/form-data": ImportUploadSerializer}, responses={201: ImportBatchSerializer})
    def create(self, request, *args, **kwargs):
        if not importable_resources(request.user):
            raise exceptions.PermissionDenied("您的角色没有 Excel 导入权限")
        upload = ImportUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        d = upload.validated_data
        batch = services.create_batch(request.user, d["file"], d["resource"], d["mode"], d["force"])
        data = self.get_serializer(batch).data
        if batch.status in (Status.REJECTED, Status.FAILED):
            return Response({"detail": batch.message, **data}, status=status.HTTP_400_BAD_REQUEST)
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: ImportBatchSerializer, 202: ImportBatchSerializer})
    @action(detail=True, methods=["post"])
    def commit(self, request, pk=None):
        batch = self.get_object()
        batch = services.request_commit(batch.pk, request.user)
        data = self.get_serializer(batch).data
        if batch.status == Status.COMMITTED:
            return Response(data)
        if batch.status == Status.COMMITTING:
            return Response(data, status=status.HTTP_202_ACCEPTED)
        return Response({"detail": batch.message, **data}, status=status.HTTP_400_BAD_REQUEST)


class ExportJobSerializer(ModelSerializer):
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    requester = serializers.CharField(source="requester.__str__", read_only=True)
    approver = serializers.SerializerMethodField()
    filter = serializers.CharField(source="querystring", read_only=True)
    progress_percent = serializers.IntegerField(read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ExportJob
        fields = ["id", "resource", "list_name", "title", "filter", "filter_text", "rows_requested", "reason",
                  "needs_approval", "status", "status_display", "message", "requester", "region", "approver",
                  "decided_at", "decision_comment", "rows_total", "rows_written", "progress_percent", "file_size",
                  "sha256", "created_at", "finished_at", "expires_at", "download_url"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_approver(self, job: ExportJob) -> str:
        return str(job.approver) if job.approver_id else ""

    @extend_schema_field(OpenApiTypes.STR)
    def get_download_url(self, job: ExportJob) -> str:
        return reverse("export-job-download", args=[job.pk]) if job.is_done else ""


class ExportRequestSerializer(Serializer):
    resource = serializers.ChoiceField(choices=export_jobs.EXPORT_RESOURCES, required=False,
                                       help_text="导出哪类记录；与 list 二选一")
    list = serializers.CharField(required=False, max_length=80, help_text="列表页面名称，如 people:elderly_list")
    filter = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000,
                                   help_text="列表页的筛选查询串，如 area=150802000000&age_band=80%2B")
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500,
                                   help_text="导出理由；导出个人信息时必填")

    def validate_list(self, value: str) -> str:
        try:
            export_jobs.list_view_class(value)
        except Http404:
            raise serializers.ValidationError(f"没有名为“{value}”的列表页面") from None
        return value

    def validate(self, attrs: dict) -> dict:
        if not attrs.get("resource") and not attrs.get("list"):
            raise serializers.ValidationError({"resource": ["导出内容：请指定 resource 或 list"]})
        return attrs


class ExportDecisionSerializer(Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=500,
                                    help_text="审批意见；驳回时必填")


class ExportJobViewSet(ScopedViewSet):
    """Export jobs, scoped: the caller's own, and those the caller may approve; another region's is a 404."""

    queryset = ExportJob.objects.select_related("requester", "approver").order_by("-created_at", "-id")
    serializer_class = ExportJobSerializer
    http_method_names = ["get", "post", "head", "options"]
    filterset_fields = ["status", "resource"]
    ordering_fields = ["id", "created_at"]

    def get_queryset(self):
        """The list is the caller's own jobs; details and actions also reach jobs the caller may approve."""
        if getattr(self, "swagger_fake_view", False):
            return self.queryset.none()
        # approve, reject and download act on jobs the caller may see; export_jobs checks who may do what
        qs = self.scoped("view")
        return qs.filter(requester=self.request.user) if self.action == "list" else qs

    @extend_schema(request=ExportRequestSerializer, responses={201: ExportJobSerializer})
    def create(self, request, *args, **kwargs):
        ser = ExportRequestSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = ser.validated_data
        list_name = data.get("list") or export_jobs.LIST_FOR_RESOURCE[data["resource"]]
        job = export_jobs.request_export(request.user, list_name, data["filter"], data["reason"])
        return Response(self.get_serializer(job).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=ExportJobSerializer(many=True))
    @action(detail=False, methods=["get"])
    def pending(self, request):
        """Requests waiting for the caller's approval (empty for roles without the approve right)."""
        page = self.paginate_queryset(self.filter_queryset(export_jobs.pending_for(request.user)))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def _decide(self, request, approve: bool) -> Response:
        ser = ExportDecisionSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        job = export_jobs.decide(self.get_object().pk, request.user, approve, ser.validated_data["comment"])
        return Response(self.get_serializer(job).data)

    @extend_schema(request=ExportDecisionSerializer, responses=ExportJobSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._decide(request, True)

    @extend_schema(request=ExportDecisionSerializer, responses=ExportJobSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._decide(request, False)

    @extend_schema(responses={(200, XLSX): OpenApiResponse(OpenApiTypes.BINARY, description="导出的 Excel 文件"),
                              403: OpenApiResponse(description="未经审批或非申请人"),
                              409: OpenApiResponse(description="正在生成或生成失败"),
                              410: OpenApiResponse(description="文件已过期并已删除")})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        try:
            job, path = export_jobs.open_download(self.get_object().pk, request.user)
        except export_jobs.ExportRefused as e:
            return Response({"detail": str(e)}, status=e.status)
        resp = FileResponse(path.open("rb"), as_attachment=True, filename=export_jobs.download_name(job),
                            content_type=XLSX)
        resp["Cache-Control"] = "private, no-store"
        return resp


def register(router) -> None:
    router.register("imports", ImportBatchViewSet, basename="import-batch")
    router.register("exports", ExportJobViewSet, basename="export-job")
