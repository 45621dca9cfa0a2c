"""REST API for imports: upload (multipart), read a batch with its report, commit.

``POST /api/imports/`` (file, resource, mode, force) → the batch after validation (201), or 400 with the
reason when the file is refused; ``GET /api/imports/{id}/``; ``POST /api/imports/{id}/commit/``.
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from ylyx.core.api import ModelSerializer, ScopedViewSet, Serializer

from . import services, uploads
from .models import ImportBatch, ImportIssue, Mode, Resource, Status, importable_resources

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

    def scope_action(self) -> str:
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


def register(router) -> None:
    router.register("imports", ImportBatchViewSet, basename="import-batch")
