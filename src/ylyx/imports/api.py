"""REST API for imports: upload (multipart), read a batch with its report, commit.

``POST /api/imports/`` (file, resource, mode, force) → the batch after validation (201), or 400 with the
reason when the file is refused; ``GET /api/imports/{id}/``; ``POST /api/imports/{id}/commit/``.
"""

from __future__ import annotations

from django.urls import reverse
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from ylyx.generic.api import ScopedViewSet

from . import services, uploads
from .models import ImportBatch, ImportIssue, Mode, Status, importable_resources

MAX_ISSUES_IN_JSON = 500
TRUE = {"1", "true", "True", "on", "yes", True}


class ImportIssueSerializer(serializers.ModelSerializer):
    class Meta:
        model = ImportIssue
        fields = ["row", "column", "message", "level"]


class ImportBatchSerializer(serializers.ModelSerializer):
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


class ImportBatchViewSet(ScopedViewSet):
    queryset = ImportBatch.objects.all()
    serializer_class = ImportBatchSerializer
    http_method_names = ["get", "post", "head", "options"]
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    filterset_fields = ["resource", "status"]
    ordering_fields = ["id", "created_at"]

    def get_queryset(self):
        return ImportBatch.objects.for_user(self.request.user).select_related("uploader").order_by("-id")

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

    def create(self, request, *args, **kwargs):
        if not importable_resources(request.user):
            raise exceptions.PermissionDenied("您的角色没有 Excel 导入权限")
        upload = request.FILES.get("file")
        if upload is None:
            raise exceptions.ValidationError({"file": ["请上传 Excel 文件（字段 file）"]})
        batch = services.create_batch(request.user, upload, request.data.get("resource", ""),
                                      request.data.get("mode") or Mode.ALL_OR_NOTHING,
                                      request.data.get("force") in TRUE)
        data = self.get_serializer(batch).data
        if batch.status in (Status.REJECTED, Status.FAILED):
            return Response({"detail": batch.message, **data}, status=status.HTTP_400_BAD_REQUEST)
        return Response(data, status=status.HTTP_201_CREATED)

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
