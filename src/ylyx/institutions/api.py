"""REST API for the registry: the same services and validation as the pages, scoped by ``for_user``.

/api/institutions/                      list (filters kind, subtype, status, region prefix ?region=150802), create
/api/institutions/{id}/                 retrieve, update (PUT/PATCH); no delete: institutions close (关停)
/api/institutions/{id}/status/          POST a dated status change
/api/institutions/{id}/classes/         GET classes with enrolled counts, POST a class
/api/institutions/{id}/classes/{cid}/   PUT/PATCH a class
/api/institutions/{id}/service-points/  GET, POST; .../service-points/{pid}/remove/ POST
/api/institutions/{id}/filing/          GET the filing with its events
/api/institutions/{id}/filing/transition/  POST {status, on, reason}: submit, receive, return, file, change, cancel
"""

from __future__ import annotations

import datetime as dt

from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import exceptions, filters, serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from ylyx.generic.api import (
    PHONE_FORMAT,
    USCC_FORMAT,
    ModelSerializer,
    RegionField,
    ResourcePermission,
    ScopedViewSet,
    Serializer,
)

from . import rules, services
from .filters import InstitutionAPIFilter
from .models import ChildcareClass, Filing, FilingEvent, FilingStatus, Institution, ServicePoint, Status
from .querysets import selectors


class InstitutionSerializer(ModelSerializer):
    region = RegionField(label="所在区划", help_text="12 位区划代码，旗县区及以下，须在您的管辖范围内")
    region_name = serializers.CharField(source="region.name", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    subtype_display = serializers.CharField(source="get_subtype_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    filing_status = serializers.SerializerMethodField()
    effective_on = serializers.DateField(write_only=True, required=False, allow_null=True, label="生效日期",
                                         help_text="床位、托位、状态或区划变更的生效日期，默认今天")
    reason = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=500,
                                   label="变更原因")

    class Meta:
        model = Institution
        fields = ["id", *services.INSTITUTION_FIELDS, "domain", "closed_on", "region_name", "kind_display",
                  "subtype_display", "status_display", "filing_status", "created_at", "updated_at",
                  "effective_on", "reason"]
        read_only_fields = ["domain", "closed_on", "created_at", "updated_at"]
        validators: list = []  # uniqueness and the check constraints are the service's, with Chinese messages
        extra_kwargs = {
            "uscc": {"validators": [USCC_FORMAT]},
            "contact_phone": {"validators": [PHONE_FORMAT]},
            "lat": {"min_value": -90, "max_value": 90},
            "lon": {"min_value": -180, "max_value": 180},
            "floor_area": {"min_value": 0},
            "monthly_fee_min": {"min_value": 0},
            "monthly_fee_max": {"min_value": 0},
        }

    @extend_schema_field(serializers.ChoiceField(choices=FilingStatus.choices, allow_null=True))
    def get_filing_status(self, obj: Institution) -> str | None:
        try:
            return obj.filing.status
        except Filing.DoesNotExist:
            return None

    def _split(self, data: dict) -> tuple[dict, str, dt.date | None]:
        data = dict(data)
        return data, data.pop("reason", "") or "", data.pop("effective_on", None)

    def create(self, validated_data):
        data, reason, on = self._split(validated_data)
        return services.create_institution(self.context["request"].user, data, reason=reason, effective_on=on)

    def update(self, instance, validated_data):
        data, reason, on = self._split(validated_data)
        return services.update_institution(self.context["request"].user, instance, data, reason=reason,
                                           effective_on=on)


class ChildcareClassSerializer(ModelSerializer):
    enrolled = serializers.SerializerMethodField()
    required_caregivers = serializers.SerializerMethodField()
    effective_on = serializers.DateField(write_only=True, required=False, allow_null=True, label="生效日期")
    reason = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=500)

    class Meta:
        model = ChildcareClass
        fields = ["id", *services.CLASS_FIELDS, "enrolled", "required_caregivers", "effective_on", "reason"]
        validators: list = []

    def _enrolled(self, obj: ChildcareClass) -> int:
        if not hasattr(obj, "enrolled"):
            setattr(obj, "enrolled", selectors.enrolled_in_class(obj))  # noqa: B010
        return getattr(obj, "enrolled")  # noqa: B009

    @extend_schema_field(serializers.IntegerField())
    def get_enrolled(self, obj: ChildcareClass) -> int:
        return self._enrolled(obj)

    @extend_schema_field(serializers.IntegerField())
    def get_required_caregivers(self, obj: ChildcareClass) -> int:
        return rules.required_caregivers(obj.class_type, self._enrolled(obj))


class ServicePointSerializer(ModelSerializer):
    region = RegionField(label="所在区划", help_text="12 位区划代码，须与机构在同一旗县区")
    region_name = serializers.CharField(source="region.name", read_only=True)
    reason = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=500)

    class Meta:
        model = ServicePoint
        fields = ["id", "name", "region", "region_name", "address", "lat", "lon", "reason"]
        validators: list = []
        extra_kwargs = {"lat": {"min_value": -90, "max_value": 90}, "lon": {"min_value": -180, "max_value": 180}}


class FilingEventSerializer(ModelSerializer):
    by = serializers.SerializerMethodField(help_text="办理人；导入或系统生成的记录为空")

    class Meta:
        model = FilingEvent
        fields = ["status", "on", "reason", "by"]

    def get_by(self, event: FilingEvent) -> str:
        return str(event.by) if event.by_id else ""


class FilingSerializer(ModelSerializer):
    events = FilingEventSerializer(many=True, read_only=True)

    class Meta:
        model = Filing
        fields = ["id", "status", "number", "submitted_on", "filed_on", "cancelled_on", "authority", "events"]


class FilingTransitionSerializer(Serializer):
    status = serializers.ChoiceField(choices=FilingStatus.choices, label="目标状态")
    on = serializers.DateField(required=False, allow_null=True, label="日期", help_text="默认今天")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, label="说明/退回理由")
    authority = serializers.CharField(required=False, allow_blank=True, max_length=60,
                                      label="备案机关", help_text="仅首次提交时使用")


class ReasonSerializer(Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500, label="原因")


class StatusChangeSerializer(Serializer):
    status = serializers.ChoiceField(choices=Status.choices, label="新状态")
    effective_on = serializers.DateField(required=False, allow_null=True, label="生效日期")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, label="原因")


class InstitutionViewSet(ScopedViewSet):
    """机构. Another region's institution is a 404; a role without the permission gets 403."""

    queryset = Institution.objects.select_related("region", "filing")
    serializer_class = InstitutionSerializer
    permission_classes = [IsAuthenticated, ResourcePermission]
    filterset_class = InstitutionAPIFilter
    filter_backends = [DjangoFilterBackend, filters.OrderingFilter, filters.SearchFilter]
    search_fields = ["name", "uscc", "address"]
    ordering_fields = ["id", "name", "region", "beds", "nursing_beds", "places", "status"]
    ordering = ["id"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    # ---- classes
    @extend_schema(methods=["GET"], responses=ChildcareClassSerializer(many=True), summary="托育班级")
    @extend_schema(methods=["POST"], request=ChildcareClassSerializer, responses={201: ChildcareClassSerializer},
                   summary="新增托育班级")
    @action(detail=True, methods=["get", "post"], url_path="classes", pagination_class=None, filter_backends=[])
    def classes(self, request, pk=None):
        inst = self.get_object()
        if request.method == "GET":
            return Response(ChildcareClassSerializer(selectors.classes_with_counts(inst), many=True).data)
        ser = ChildcareClassSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = dict(ser.validated_data)
        reason, on = data.pop("reason", ""), data.pop("effective_on", None)
        cls = services.add_class(request.user, inst, data, reason=reason, effective_on=on)
        return Response(ChildcareClassSerializer(cls).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ChildcareClassSerializer, responses=ChildcareClassSerializer, summary="修改托育班级",
                   parameters=[OpenApiParameter("class_id", int, OpenApiParameter.PATH, description="班级 id")])
    @action(detail=True, methods=["put", "patch"], url_path=r"classes/(?P<class_id>[0-9]+)")
    def class_detail(self, request, pk=None, class_id=None):
        inst = self.get_object()
        cls = get_object_or_404(inst.classes.all(), pk=class_id)
        ser = ChildcareClassSerializer(cls, data=request.data, partial=request.method == "PATCH")
        ser.is_valid(raise_exception=True)
        data = dict(ser.validated_data)
        reason, on = data.pop("reason", ""), data.pop("effective_on", None)
        cls = services.update_class(request.user, cls, data, reason=reason, effective_on=on)
        return Response(ChildcareClassSerializer(cls).data)

    # ---- status
    @extend_schema(request=StatusChangeSerializer, responses=InstitutionSerializer, summary="变更机构状态")
    @action(detail=True, methods=["post"], url_path="status")
    def change_status(self, request, pk=None):
        inst = self.get_object()
        ser = StatusChangeSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        inst = services.set_status(request.user, inst, d["status"], d.get("effective_on"), d.get("reason", ""))
        return Response(InstitutionSerializer(inst, context=self.get_serializer_context()).data)

    # ---- service points
    @extend_schema(methods=["GET"], responses=ServicePointSerializer(many=True), summary="服务点（一照多址）")
    @extend_schema(methods=["POST"], request=ServicePointSerializer, responses={201: ServicePointSerializer},
                   summary="新增服务点")
    @action(detail=True, methods=["get", "post"], url_path="service-points", pagination_class=None,
            filter_backends=[])
    def service_points(self, request, pk=None):
        inst = self.get_object()
        if request.method == "GET":
            return Response(ServicePointSerializer(inst.service_points.select_related("region").order_by("name"),
                                                   many=True).data)
        ser = ServicePointSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        sp = services.add_service_point(request.user, inst, dict(ser.validated_data))
        return Response(ServicePointSerializer(sp).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReasonSerializer, responses={204: None}, summary="删除服务点",
                   parameters=[OpenApiParameter("point_id", int, OpenApiParameter.PATH, description="服务点 id")])
    @action(detail=True, methods=["post"], url_path=r"service-points/(?P<point_id>[0-9]+)/remove")
    def service_point_remove(self, request, pk=None, point_id=None):
        inst = self.get_object()
        sp = get_object_or_404(inst.service_points.all(), pk=point_id)
        ser = ReasonSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        services.remove_service_point(request.user, sp, reason=ser.validated_data["reason"])
        return Response(status=status.HTTP_204_NO_CONTENT)

    # ---- filing
    @extend_schema(responses=FilingSerializer, summary="备案及办理记录")
    @action(detail=True, methods=["get"], url_path="filing")
    def filing(self, request, pk=None):
        inst = self.get_object()
        filing = selectors.filing_of(inst)
        if filing is None:
            raise exceptions.NotFound("该机构未备案")
        return Response(FilingSerializer(filing).data)

    @extend_schema(request=FilingTransitionSerializer, responses=FilingSerializer, summary="办理备案",
                   description="submitted（提交/补正后重新提交）、received（受理）、returned（退回补正，须填理由）、"
                               "filed（备案）、changed（变更备案）、cancelled（注销备案）")
    @action(detail=True, methods=["post"], url_path="filing/transition")
    def filing_transition(self, request, pk=None):
        inst = self.get_object()
        ser = FilingTransitionSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        filing = selectors.filing_of(inst)
        if d["status"] == FilingStatus.SUBMITTED:
            filing = services.submit_filing(request.user, inst, d.get("on"), d.get("reason", ""),
                                            d.get("authority", ""))
        elif filing is None:
            raise exceptions.ValidationError({"status": ["该机构尚未提交备案，请先提交"]})
        else:
            filing = services.transition_filing(request.user, filing, d["status"], d.get("on"),
                                                d.get("reason", ""))
        return Response(FilingSerializer(filing).data)


def register(router) -> None:
    router.register("institutions", InstitutionViewSet, basename="institution")
