"""REST API for plans, computed indicator tables and department-reported values.

/api/plans/                                   plans the user may view (their region's, and those above it)
/api/plans/{id}/                              one plan with its rows
/api/plans/{id}/indicators/?region=&date=     the plan's table (same as the dashboard); region outside scope → 404
/api/reported-values/                         list (filters status, year, department, plan), create (draft)
/api/reported-values/{id}/                    retrieve, update (draft or returned only)
/api/reported-values/{id}/submit|approve|publish|return/   the workflow; return needs {"comment": "…"}
"""

from __future__ import annotations

import re
from typing import Any

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from ylyx.core.permissions import Action
from ylyx.core.validators import ISO_DATE
from ylyx.generic.api import (
    ModelSerializer,
    RegionField,
    ScopedPrimaryKeyRelatedField,
    ScopedViewSet,
    Serializer,
)

from . import selectors, services
from .exports import table_as_dict
from .filters import ReportedValueAPIFilter
from .models import IndicatorDefinition, Plan, PlanIndicator, ReportedValue
from .views import parse_date


class PlanIndicatorSerializer(ModelSerializer):
    definition: serializers.SlugRelatedField[IndicatorDefinition] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = PlanIndicator
        fields = ["id", "key", "category", "seq", "name", "unit", "baseline_text", "baseline_value", "target_text",
                  "target_value", "comparator", "target_year", "property", "departments", "source", "quote",
                  "definition", "intensive"]


class PlanSerializer(ModelSerializer):
    indicators = PlanIndicatorSerializer(many=True, read_only=True)

    class Meta:
        model = Plan
        fields = ["id", "code", "title", "issuer", "doc_number", "issued_on", "region_code", "region_name",
                  "owner_region_code", "period_start", "period_end", "baseline_year", "source_file", "is_seed",
                  "copied_from", "indicators"]


class PlanListSerializer(ModelSerializer):
    class Meta:
        model = Plan
        fields = ["id", "code", "title", "region_code", "region_name", "period_start", "period_end",
                  "baseline_year", "is_seed"]


# --- the plan table (GET /api/plans/{id}/indicators/): the shape of ``results.PlanTable`` -----------------

class ProvenanceSerializer(Serializer):
    kind = serializers.ChoiceField(choices=[("computed", "系统计算"), ("reported", "部门填报"), ("none", "无数据")])
    formula = serializers.CharField()
    numerator = serializers.FloatField(allow_null=True)
    denominator = serializers.FloatField(allow_null=True)
    as_of = serializers.DateField(allow_null=True)
    reported_by = serializers.CharField()
    reported_at = serializers.DateTimeField(allow_null=True)
    note = serializers.CharField()


STATUSES = [("met", "达标"), ("on_track", "进度正常"), ("behind", "滞后"), ("no_data", "无数据")]


class IndicatorRowSerializer(Serializer):
    seq = serializers.CharField()
    category = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField()
    property = serializers.CharField(help_text="约束性 / 预期性，或空")
    baseline_text = serializers.CharField(allow_null=True)
    target_text = serializers.CharField(allow_null=True)
    target_value = serializers.FloatField(allow_null=True)
    comparator = serializers.CharField(allow_null=True)
    target_year = serializers.IntegerField(allow_null=True)
    value = serializers.FloatField(allow_null=True)
    milestone = serializers.FloatField(allow_null=True, help_text="该日期按基期到目标的进度应达到的值")
    status = serializers.ChoiceField(choices=STATUSES)
    status_label = serializers.CharField()
    provenance = ProvenanceSerializer()
    trend = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(allow_null=True), min_length=2, max_length=2),
        help_text="逐年数值：[年份, 数值或 null]")
    departments = serializers.ListField(child=serializers.CharField())
    key = serializers.CharField(help_text="breakdown 中 values/statuses 的键")
    target_applies = serializers.BooleanField()
    kind = serializers.CharField(help_text="computed（系统计算）或 reported（部门填报）")


class RegionRowSerializer(Serializer):
    region_code = serializers.CharField()
    region_name = serializers.CharField()
    values = serializers.DictField(child=serializers.FloatField(allow_null=True))
    statuses = serializers.DictField(child=serializers.ChoiceField(choices=STATUSES))


class PlanTableSerializer(Serializer):
    plan_code = serializers.CharField()
    plan_title = serializers.CharField()
    region_code = serializers.CharField()
    region_name = serializers.CharField()
    on = serializers.DateField()
    rows = IndicatorRowSerializer(many=True)
    breakdown = RegionRowSerializer(many=True, help_text="下一级区划（breakdown=false 时为空）")


REGION_PARAM = re.compile(r"[0-9]{2}(?:[0-9]{2}(?:[0-9]{2}(?:[0-9]{3}(?:[0-9]{3})?)?)?)?")
TRUE, FALSE = ("1", "true", "True", "yes"), ("0", "false", "False", "no")


class PlanViewSet(ScopedViewSet):
    """Plans are read here; copying and editing them is the dashboard's."""

    queryset = Plan.objects.order_by("region_code", "code")
    http_method_names = ["get", "head", "options"]

    def get_serializer_class(self):
        return PlanListSerializer if self.action == "list" else PlanSerializer

    @extend_schema(responses=PlanTableSerializer, parameters=[
        OpenApiParameter("region", OpenApiTypes.STR, pattern=f"^{REGION_PARAM.pattern}$",
                         description="区划代码（2、4、6、9 或 12 位），默认为用户所在区划；不在管辖范围或规划范围内为 404"),
        OpenApiParameter("date", OpenApiTypes.DATE, description="日期 YYYY-MM-DD，2000-01-01 至今天，默认今天"),
        OpenApiParameter("breakdown", OpenApiTypes.BOOL, description="是否返回下一级区划（默认是）")])
    @action(detail=True, methods=["get"])
    def indicators(self, request, pk=None):
        """The plan's table at a region and date, with provenance, trend and the next level's breakdown."""
        plan = self.get_object()
        from .views import scoped_region

        params = request.query_params
        code = params.get("region", "")
        if code and not REGION_PARAM.fullmatch(code):
            raise exceptions.ValidationError({"region": ["区划代码应为 2、4、6、9 或 12 位数字"]})
        try:
            region = scoped_region(request.user, plan, code)
        except Http404:
            raise exceptions.NotFound("区划不存在或超出您的管辖范围") from None
        raw = params.get("date", "")
        if raw and not ISO_DATE.fullmatch(raw):
            raise exceptions.ValidationError({"date": [f"日期“{raw[:20]}”格式应为 YYYY-MM-DD"]})
        on, warning = parse_date(raw)
        if warning and raw:
            raise exceptions.ValidationError({"date": [warning.split("，")[0]]})
        breakdown = params.get("breakdown", "")
        if breakdown not in ("", *TRUE, *FALSE):
            raise exceptions.ValidationError({"breakdown": ["应为 true 或 false"]})
        table = selectors.plan_table(plan, region.code, on, with_breakdown=breakdown not in FALSE)
        return Response(table_as_dict(table))


class ReportedValueSerializer(ModelSerializer):
    plan_indicator = ScopedPrimaryKeyRelatedField(queryset=PlanIndicator.objects.all(), scope_through="plan",
                                                  required=False, allow_null=True, label="规划指标")
    definition = serializers.SlugRelatedField(slug_field="code", queryset=IndicatorDefinition.objects.all(),
                                              required=False, allow_null=True, label="指标口径")
    region = RegionField(label="区划", help_text="12 位区划代码，须在您的管辖范围和规划范围内")
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    indicator_name = serializers.CharField(read_only=True)
    entered_by: serializers.StringRelatedField[Any] = serializers.StringRelatedField()
    approved_by: serializers.StringRelatedField[Any] = serializers.StringRelatedField(allow_null=True)

    class Meta:
        model = ReportedValue
        fields = ["id", "plan_indicator", "definition", "indicator_name", "region", "year", "value", "department",
                  "status", "status_display", "comment", "entered_by", "submitted_at", "approved_by", "approved_at",
                  "published_at", "returned_at", "created_at", "updated_at"]
        read_only_fields = ["status", "entered_by", "submitted_at", "approved_by", "approved_at", "published_at",
                            "returned_at", "created_at", "updated_at"]
        validators: list = []
        extra_kwargs = {"year": {"min_value": 2000, "max_value": 2100, "help_text": "2000 年至当年"}}

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


class ReturnSerializer(Serializer):
    comment = serializers.CharField(max_length=2000, label="退回意见", help_text="必填，记入审计日志")


class ReportedValueViewSet(ScopedViewSet):
    queryset = ReportedValue.objects.select_related("plan_indicator", "definition", "region", "entered_by",
                                                    "approved_by").order_by("-year", "region_id", "id")
    serializer_class = ReportedValueSerializer
    filterset_class = ReportedValueAPIFilter
    # No PUT: only value, department and comment change after creation, so every update is a PATCH.
    http_method_names = ["get", "post", "patch", "head", "options"]
    ordering_fields = ["year", "region", "status", "updated_at"]

    def scope_action(self) -> Action:
        # Updates and workflow steps find the value among those the user may view; whether this user may act
        # on it is decided below (update) or by the service (workflow), so a visible value answers 403, not 404.
        return "add" if self.action == "create" else "view"

    def get_object(self):
        obj = super().get_object()
        if self.action in ("update", "partial_update") and not ReportedValue.objects.for_user(
                self.request.user, "change").filter(pk=obj.pk).exists():
            raise exceptions.PermissionDenied("无权修改此填报值")
        return obj

    def _act(self, fn, *args):
        obj = fn(self.get_object(), self.request.user, *args)
        return Response(self.get_serializer(obj).data)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._act(services.submit_reported)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._act(services.approve_reported)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        return self._act(services.publish_reported)

    @extend_schema(request=ReturnSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request, pk=None):
        ser = ReturnSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        return self._act(services.return_reported, ser.validated_data["comment"])


def register(router) -> None:
    router.register("plans", PlanViewSet, basename="plan")
    router.register("reported-values", ReportedValueViewSet, basename="reported-value")
