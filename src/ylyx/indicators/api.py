"""REST API for plans, computed indicator tables and department-reported values.

/api/plans/                                   plans the user may view (their region's, and those above it)
/api/plans/{id}/                              one plan with its rows
/api/plans/{id}/indicators/?region=&date=     the plan's table (same as the dashboard); region outside scope → 404
/api/reported-values/                         list (filters status, year, department, plan), create (draft)
/api/reported-values/{id}/                    retrieve, update (draft or returned only)
/api/reported-values/{id}/submit|approve|publish|return/   the workflow; return needs {"comment": "…"}
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from ylyx.generic.api import ScopedViewSet
from ylyx.regions.models import Region

from . import selectors, services
from .exports import table_as_dict
from .filters import ReportedValueFilter
from .models import IndicatorDefinition, Plan, PlanIndicator, ReportedValue
from .views import parse_date


class PlanIndicatorSerializer(serializers.ModelSerializer):
    definition: serializers.SlugRelatedField[IndicatorDefinition] = serializers.SlugRelatedField(
        slug_field="code", read_only=True)

    class Meta:
        model = PlanIndicator
        fields = ["id", "key", "category", "seq", "name", "unit", "baseline_text", "baseline_value", "target_text",
                  "target_value", "comparator", "target_year", "property", "departments", "source", "quote",
                  "definition", "intensive"]


class PlanSerializer(serializers.ModelSerializer):
    indicators = PlanIndicatorSerializer(many=True, read_only=True)

    class Meta:
        model = Plan
        fields = ["id", "code", "title", "issuer", "doc_number", "issued_on", "region_code", "region_name",
                  "owner_region_code", "period_start", "period_end", "baseline_year", "source_file", "is_seed",
                  "copied_from", "indicators"]


class PlanListSerializer(serializers.ModelSerializer):
    class Meta:
        model = Plan
        fields = ["id", "code", "title", "region_code", "region_name", "period_start", "period_end",
                  "baseline_year", "is_seed"]


class PlanViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Plan.objects.all()

    def get_queryset(self):
        return Plan.objects.for_user(self.request.user, "view").order_by("region_code", "code")

    def get_serializer_class(self):
        return PlanListSerializer if self.action == "list" else PlanSerializer

    @extend_schema(parameters=[
        OpenApiParameter("region", str, description="区划代码（6、9 或 12 位），默认为用户所在区划"),
        OpenApiParameter("date", str, description="日期 YYYY-MM-DD，默认今天"),
        OpenApiParameter("breakdown", bool, description="是否返回下一级区划（默认是）")])
    @action(detail=True, methods=["get"])
    def indicators(self, request, pk=None):
        """The plan's table at a region and date, with provenance, trend and the next level's breakdown."""
        plan = self.get_object()
        from .views import scoped_region

        try:
            region = scoped_region(request.user, plan, request.query_params.get("region"))
        except Http404:
            raise exceptions.NotFound("区划不存在或超出您的管辖范围") from None
        raw = request.query_params.get("date")
        on, warning = parse_date(raw)
        if warning and raw:
            raise exceptions.ValidationError({"date": warning.split("，")[0]})
        breakdown = request.query_params.get("breakdown", "1") not in ("0", "false", "no")
        return Response(table_as_dict(selectors.plan_table(plan, region.code, on, with_breakdown=breakdown)))


class ReportedValueSerializer(serializers.ModelSerializer):
    plan_indicator = serializers.PrimaryKeyRelatedField(queryset=PlanIndicator.objects.none(), required=False,
                                                        allow_null=True, label="规划指标")
    definition = serializers.SlugRelatedField(slug_field="code", queryset=IndicatorDefinition.objects.all(),
                                              required=False, allow_null=True, label="指标口径")
    region = serializers.PrimaryKeyRelatedField(queryset=Region.objects.all(), label="区划",
                                                help_text="12 位区划代码")
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    indicator_name = serializers.CharField(read_only=True)
    entered_by: serializers.StringRelatedField[Any] = serializers.StringRelatedField()
    approved_by: serializers.StringRelatedField[Any] = serializers.StringRelatedField()

    class Meta:
        model = ReportedValue
        fields = ["id", "plan_indicator", "definition", "indicator_name", "region", "year", "value", "department",
                  "status", "status_display", "comment", "entered_by", "submitted_at", "approved_by", "approved_at",
                  "published_at", "returned_at", "created_at", "updated_at"]
        read_only_fields = ["status", "entered_by", "submitted_at", "approved_by", "approved_at", "published_at",
                            "returned_at", "created_at", "updated_at"]
        validators: list = []

    def validate_plan_indicator(self, pi):
        if pi is not None and not Plan.objects.for_user(self.context["request"].user, "view").filter(
                pk=pi.plan_id).exists():
            raise serializers.ValidationError("规划指标不存在")
        return pi

    def create(self, data):
        return services.create_reported(self.context["request"].user, region=data["region"], year=data["year"],
                                        value=data["value"], department=data.get("department", ""),
                                        plan_indicator=data.get("plan_indicator"),
                                        definition=data.get("definition"), comment=data.get("comment", ""))

    def update(self, instance, data):
        return services.update_reported(instance, self.context["request"].user, value=data.get("value"),
                                        department=data.get("department"), comment=data.get("comment"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        self.fields["plan_indicator"].queryset = PlanIndicator.objects.for_user(user, "view")  # type: ignore[attr-defined]


class ReportedValueViewSet(ScopedViewSet):
    queryset = ReportedValue.objects.select_related("plan_indicator", "definition", "region", "entered_by",
                                                    "approved_by")
    serializer_class = ReportedValueSerializer
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    ordering_fields = ["year", "region", "status", "updated_at"]

    def get_queryset(self):
        return super().get_queryset().select_related("plan_indicator", "definition", "region", "entered_by",
                                                     "approved_by").order_by("-year", "region_id", "id")

    def filter_queryset(self, queryset):
        fs = ReportedValueFilter(self.request.query_params, queryset=queryset, request=self.request)
        if not fs.is_valid():
            raise exceptions.ValidationError(fs.errors)
        return fs.qs

    def _act(self, fn, *args):
        obj = self.get_object()
        try:
            obj = fn(obj, self.request.user, *args)
        except ValidationError:
            raise
        return Response(self.get_serializer(obj).data)

    def get_object(self):
        # workflow actions look the value up among those the user may view, then re-check in the service
        qs = ReportedValue.objects.for_user(self.request.user, "view")
        obj = qs.filter(pk=self.kwargs["pk"]).first()
        if obj is None:
            raise exceptions.NotFound("未找到")
        if self.request.method not in ("GET", "HEAD", "OPTIONS") and self.action in ("update", "partial_update"):
            if not ReportedValue.objects.for_user(self.request.user, "change").filter(pk=obj.pk).exists():
                raise exceptions.PermissionDenied("无权修改此填报值")
        return obj

    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._act(services.submit_reported)

    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._act(services.approve_reported)

    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        return self._act(services.publish_reported)

    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request, pk=None):
        return self._act(services.return_reported, str(request.data.get("comment", "")))


def register(router) -> None:
    router.register("plans", PlanViewSet, basename="plan")
    router.register("reported-values", ReportedValueViewSet, basename="reported-value")
