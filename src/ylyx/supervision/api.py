"""REST API for supervision: the same services as the pages, every queryset from ``for_user``.

/api/supervision/plans/                   GET list, POST create (年度抽查计划)
/api/supervision/tasks/                   GET list, POST create; {id}/commit/ {id}/draw/ POST; {id}/document/ GET
/api/supervision/inspectors/              GET (执法检查人员名录; names masked)
/api/supervision/inspections/             GET; {id}/record/ {id}/complete/ {id}/publish/ POST
/api/supervision/rectifications/          GET; {id}/report/ POST
/api/supervision/credit-events/           GET, POST (an institution's or practitioner's credit event)
/api/supervision/credit-lists/            GET (红黑名单)
/api/supervision/complaints/              GET, POST; {id}/close/ POST
/api/supervision/incidents/               GET, POST; {id}/log/ {id}/close/ POST
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, mixins, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from ylyx.core.permissions import Action, allows
from ylyx.generic.api import (
    ModelSerializer,
    RegionField,
    ScopedPrimaryKeyRelatedField,
    ScopedReadViewSet,
    Serializer,
)
from ylyx.institutions.models import Institution
from ylyx.workforce.models import Practitioner

from . import services
from .filters import (
    ComplaintFilter,
    CreditListFilter,
    IncidentFilter,
    InspectionFilter,
    PlanFilter,
    RectificationFilter,
)
from .models import (
    Channel,
    Complaint,
    ComplaintOutcome,
    CreditEvent,
    CreditListEntry,
    Domain,
    Incident,
    IncidentSeverity,
    IncidentType,
    Inspection,
    InspectionPlan,
    InspectionTask,
    Inspector,
    ItemOutcome,
    Outcome,
    Rectification,
)


class SupervisionReadViewSet(ScopedReadViewSet):
    """Reads and the record's own actions use the "view" scope (each service re-checks its right)."""

    def scope_action(self) -> Action:
        return "add" if self.action == "create" else "view"

    def get_queryset(self):
        if not getattr(self, "swagger_fake_view", False) and not allows(
                getattr(self.request.user, "role", ""), self.queryset.model.scope_resource, "view"):
            raise exceptions.PermissionDenied("无权查看")
        return super().get_queryset()

    def respond(self, obj: Any, status: int = 200) -> Response:
        return Response(self.get_serializer(obj).data, status=status)


class SupervisionViewSet(mixins.CreateModelMixin, SupervisionReadViewSet):
    """As the read viewset, and records created by a POST to the list (plans, complaints …) with "add"."""

    def create(self, request, *args, **kwargs):
        if not allows(request.user.role, self.queryset.model.scope_resource, "add"):
            raise exceptions.PermissionDenied("无权新增此类记录")
        with transaction.atomic():
            return super().create(request, *args, **kwargs)


# ---------------------------------------------------------------------------------------------------
# plans and tasks


class InspectionPlanSerializer(ModelSerializer):
    region = RegionField(label="实施区划")
    kinds = serializers.ListField(child=serializers.ChoiceField(choices=["elder", "community", "childcare"]),
                                  required=False, label="抽查对象类别")
    weights = serializers.DictField(child=serializers.CharField(), required=False, label="信用等级权重")

    class Meta:
        model = InspectionPlan
        fields = ["id", "title", "year", "region", "department", "domain", "kinds", "ratio", "weights",
                  "inspectors_per_target", "recuse_employer_region", "recuse_last_inspector", "force_new_months",
                  "force_complaint_days", "period_start", "period_end", "status", "checklist"]
        read_only_fields = ["status", "checklist"]
        extra_kwargs = {"ratio": {"min_value": Decimal("0.0001"), "max_value": Decimal("1")}}

    def create(self, validated_data):
        return services.plan_create(self.context["request"].user, validated_data)


class PlanViewSet(SupervisionViewSet):
    """年度抽查计划."""

    queryset = InspectionPlan.objects.select_related("region")
    serializer_class = InspectionPlanSerializer
    filterset_class = PlanFilter
    ordering = ["-year", "id"]


class InspectionTaskSerializer(ModelSerializer):
    plan = ScopedPrimaryKeyRelatedField(queryset=InspectionPlan.objects.all(), scope_action="change", label="抽查计划")

    class Meta:
        model = InspectionTask
        fields = ["id", "plan", "name", "status", "period_start", "period_end", "commitment", "committed_at",
                  "targets_sha256", "inspectors_sha256", "params_sha256", "seed", "witness", "drawn_at",
                  "result_sha256"]
        read_only_fields = ["status", "commitment", "committed_at", "targets_sha256", "inspectors_sha256",
                            "params_sha256", "seed", "witness", "drawn_at", "result_sha256"]


    def create(self, validated_data):
        return services.task_create(self.context["request"].user, validated_data["plan"], validated_data["name"],
                                    validated_data.get("period_start"), validated_data.get("period_end"))


class DrawInput(Serializer):
    witness = serializers.CharField(required=False, allow_blank=True, max_length=100, label="见证值")


class TaskViewSet(SupervisionViewSet):
    """抽查任务: commit (freeze pools, publish the seed's SHA-256), draw (reveal, compute), the public document."""

    queryset = InspectionTask.objects.select_related("plan")
    serializer_class = InspectionTaskSerializer
    ordering = ["-id"]

    @extend_schema(request=None, responses=InspectionTaskSerializer, summary="冻结名录并公布种子承诺值")
    @action(detail=True, methods=["post"])
    def commit(self, request: Request, pk=None):
        return self.respond(services.task_commit(request.user, self.get_object()))

    @extend_schema(request=DrawInput, responses=InspectionTaskSerializer, summary="抽取（公开种子并计算结果）")
    @action(detail=True, methods=["post"])
    def draw(self, request: Request, pk=None):
        ser = DrawInput(data=request.data)
        ser.is_valid(raise_exception=True)
        return self.respond(services.task_draw(request.user, self.get_object(), ser.validated_data.get("witness", "")))

    @extend_schema(responses={200: OpenApiTypes.OBJECT}, summary="公开的抽取数据（可用 ylyx verify-draw 核验）")
    @action(detail=True, methods=["get"])
    def document(self, request: Request, pk=None):
        task = self.get_object()
        if not task.is_committed:
            raise exceptions.NotFound("该任务尚未公布种子承诺值")
        return Response(services.task_document(task))


class InspectorSerializer(ModelSerializer):
    name = serializers.CharField(source="name_masked", read_only=True)
    domains = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Inspector
        fields = ["id", "code", "name", "department", "region", "domains", "active"]
        read_only_fields = fields


class InspectorViewSet(SupervisionReadViewSet):
    """执法检查人员名录 (names masked; phone numbers never leave the platform)."""

    queryset = Inspector.objects.all()
    serializer_class = InspectorSerializer
    http_method_names = ["get", "head", "options"]
    ordering = ["code"]


# ---------------------------------------------------------------------------------------------------
# inspections


class InspectionItemSerializer(Serializer):
    code = serializers.CharField(max_length=20, label="检查项编号")
    result = serializers.ChoiceField(choices=ItemOutcome.choices, label="结果")
    note = serializers.CharField(required=False, allow_blank=True, max_length=1000, label="问题描述")


class ItemsInput(Serializer):
    items = InspectionItemSerializer(many=True)


class CompleteInput(Serializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices, label="检查结论")
    inspected_on = serializers.DateField(required=False, allow_null=True, label="检查日期")
    summary = serializers.CharField(required=False, allow_blank=True, max_length=4000, label="检查情况")


class PublishInput(Serializer):
    public_summary = serializers.CharField(max_length=2000, label="公示内容")


class InspectionSerializer(ModelSerializer):
    institution_name = serializers.CharField(source="institution.name", read_only=True)
    inspectors = serializers.SerializerMethodField()

    class Meta:
        model = Inspection
        fields = ["id", "task", "institution", "institution_name", "region", "domain", "kind", "checklist",
                  "forced_reason", "credit_class", "status", "inspected_on", "checked_in_at", "lat", "lon",
                  "outcome", "summary", "public_summary", "publish_due", "publish_due_provisional", "published_at",
                  "next_due", "next_due_reason", "reinspection_of", "inspectors"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_inspectors(self, obj: Inspection) -> list[str]:
        return [a.inspector.code for a in obj.assignments.all()]


class InspectionViewSet(SupervisionReadViewSet):
    """检查: record checklist items, complete (rectification, deadlines, credit), publish."""

    queryset = Inspection.objects.select_related("institution")
    serializer_class = InspectionSerializer
    filterset_class = InspectionFilter
    ordering = ["-id"]
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return super().get_queryset().prefetch_related("assignments__inspector")

    @extend_schema(request=ItemsInput, responses=InspectionSerializer, summary="填写检查项")
    @action(detail=True, methods=["post"])
    def record(self, request: Request, pk=None):
        ser = ItemsInput(data=request.data)
        ser.is_valid(raise_exception=True)
        items = {i["code"]: (i["result"], i.get("note", "")) for i in ser.validated_data["items"]}
        return self.respond(services.inspection_record(request.user, self.get_object(), items))

    @extend_schema(request=CompleteInput, responses=InspectionSerializer, summary="完成检查")
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk=None):
        ser = CompleteInput(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        return self.respond(services.inspection_complete(request.user, self.get_object(), d["outcome"],
                                                         d.get("summary", ""), d.get("inspected_on")))

    @extend_schema(request=PublishInput, responses=InspectionSerializer, summary="公示检查结果")
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk=None):
        ser = PublishInput(data=request.data)
        ser.is_valid(raise_exception=True)
        return self.respond(services.inspection_publish(request.user, self.get_object(),
                                                        ser.validated_data["public_summary"]))


class RectificationSerializer(ModelSerializer):
    institution_name = serializers.CharField(source="institution.name", read_only=True)

    class Meta:
        model = Rectification
        fields = ["id", "inspection", "item_code", "institution", "institution_name", "region", "description",
                  "severity", "deadline", "status", "reported_on", "report_text", "escalated_on", "closed_on",
                  "closed_by"]
        read_only_fields = fields


class ReportInput(Serializer):
    report_text = serializers.CharField(max_length=2000, label="整改情况")
    reported_on = serializers.DateField(required=False, allow_null=True, label="整改完成日期")


class RectificationViewSet(SupervisionReadViewSet):
    """整改: the institution reports; a re-inspection closes."""

    queryset = Rectification.objects.select_related("institution")
    serializer_class = RectificationSerializer
    filterset_class = RectificationFilter
    ordering = ["deadline", "id"]

    @extend_schema(request=ReportInput, responses=RectificationSerializer, summary="报告整改情况")
    @action(detail=True, methods=["post"])
    def report(self, request: Request, pk=None):
        ser = ReportInput(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        return self.respond(services.rectification_report(request.user, self.get_object(), d["report_text"],
                                                          d.get("reported_on")))


# ---------------------------------------------------------------------------------------------------
# credit


class CreditEventSerializer(ModelSerializer):
    institution = ScopedPrimaryKeyRelatedField(queryset=Institution.objects.all(), required=False,
                                                     allow_null=True, label="机构")
    practitioner = ScopedPrimaryKeyRelatedField(queryset=Practitioner.objects.all(), required=False,
                                                      allow_null=True, label="从业人员")

    class Meta:
        model = CreditEvent
        fields = ["id", "institution", "practitioner", "region", "kind", "label", "points", "on", "note", "source",
                  "revoked"]
        read_only_fields = ["region", "label", "points", "source", "revoked"]


    def validate(self, attrs):
        if bool(attrs.get("institution")) == bool(attrs.get("practitioner")):
            raise serializers.ValidationError({"institution": ["请指定一个信用主体：机构或从业人员（二者选一）"]})
        return attrs

    def create(self, validated_data):
        subject = validated_data.get("institution") or validated_data.get("practitioner")
        return services.credit_event_record(self.context["request"].user, subject, validated_data["kind"],
                                            validated_data.get("on"), validated_data.get("note", ""))


class CreditEventViewSet(SupervisionViewSet):
    """信用事件; recording one re-rates the year and applies the list rules."""

    queryset = CreditEvent.objects.all()
    serializer_class = CreditEventSerializer
    ordering = ["-on", "-id"]


class CreditListSerializer(ModelSerializer):
    subject = serializers.CharField(source="subject_label", read_only=True)

    class Meta:
        model = CreditListEntry
        fields = ["id", "institution", "practitioner", "subject", "region", "list_type", "rule", "reason",
                  "entered_on", "expires_on", "status", "exited_on", "exit_reason"]
        read_only_fields = fields


class CreditListViewSet(SupervisionReadViewSet):
    """红黑名单."""

    queryset = CreditListEntry.objects.select_related("institution", "practitioner")
    serializer_class = CreditListSerializer
    filterset_class = CreditListFilter
    http_method_names = ["get", "head", "options"]
    ordering = ["-entered_on", "-id"]


# ---------------------------------------------------------------------------------------------------
# complaints and incidents


class ComplaintSerializer(ModelSerializer):
    institution = ScopedPrimaryKeyRelatedField(queryset=Institution.objects.all(), required=False,
                                                     allow_null=True, label="被投诉机构")
    region = RegionField(required=False, allow_null=True, label="承办区划（未指明机构时）")
    channel = serializers.ChoiceField(choices=Channel.choices, label="渠道")
    domain = serializers.ChoiceField(choices=Domain.choices, required=False, label="领域")
    complainant = serializers.CharField(source="complainant_masked", read_only=True)
    complainant_name = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=50)
    complainant_phone = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=20)
    received_on = serializers.DateField(required=False, label="受理日期", help_text="默认今天")

    class Meta:
        model = Complaint
        fields = ["id", "number", "channel", "received_on", "anonymous", "complainant", "complainant_name",
                  "complainant_phone", "institution", "region", "domain", "category", "summary", "status", "due_on",
                  "due_provisional", "outcome", "outcome_text", "closed_on", "inspection"]
        read_only_fields = ["number", "status", "due_on", "due_provisional", "outcome", "outcome_text", "closed_on",
                            "inspection"]


    def create(self, validated_data):
        return services.complaint_intake(self.context["request"].user, validated_data)


class CloseComplaintInput(Serializer):
    outcome = serializers.ChoiceField(choices=ComplaintOutcome.choices, label="核查结论")
    outcome_text = serializers.CharField(max_length=4000, label="处理结果")
    closed_on = serializers.DateField(required=False, allow_null=True, label="办结日期")


class ComplaintViewSet(SupervisionViewSet):
    """投诉举报 (complainant masked)."""

    queryset = Complaint.objects.all()
    serializer_class = ComplaintSerializer
    filterset_class = ComplaintFilter
    ordering = ["-received_on", "-id"]

    @extend_schema(request=CloseComplaintInput, responses=ComplaintSerializer, summary="办结")
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk=None):
        ser = CloseComplaintInput(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        return self.respond(services.complaint_close(request.user, self.get_object(), d["outcome"], d["outcome_text"],
                                                     d.get("closed_on")))


class IncidentSerializer(ModelSerializer):
    institution = ScopedPrimaryKeyRelatedField(queryset=Institution.objects.all(), label="发生机构")
    type = serializers.ChoiceField(choices=IncidentType.choices, label="事件类型")
    severity = serializers.ChoiceField(choices=IncidentSeverity.choices, label="事件等级")
    handling_hours = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = Incident
        fields = ["id", "institution", "region", "type", "severity", "occurred_at", "reported_at", "people_affected",
                  "injured", "deaths", "description", "status", "level", "escalated_at", "closed_at",
                  "closure_summary", "liability", "handling_hours"]
        read_only_fields = ["region", "reported_at", "status", "level", "escalated_at", "closed_at",
                            "closure_summary", "liability"]


    def create(self, validated_data):
        return services.incident_report(self.context["request"].user, validated_data)


class LogInput(Serializer):
    text = serializers.CharField(max_length=2000, label="处置情况")


class CloseIncidentInput(Serializer):
    closure_summary = serializers.CharField(max_length=4000, label="处置结果")
    liability = serializers.BooleanField(required=False, default=False, label="机构负有责任")


class IncidentViewSet(SupervisionViewSet):
    """突发事件: report, log the response, close."""

    queryset = Incident.objects.select_related("institution")
    serializer_class = IncidentSerializer
    filterset_class = IncidentFilter
    ordering = ["-reported_at", "-id"]

    @extend_schema(request=LogInput, responses=IncidentSerializer, summary="记录处置情况")
    @action(detail=True, methods=["post"])
    def log(self, request: Request, pk=None):
        ser = LogInput(data=request.data)
        ser.is_valid(raise_exception=True)
        inc = self.get_object()
        services.incident_log_add(request.user, inc, ser.validated_data["text"])
        return self.respond(inc)

    @extend_schema(request=CloseIncidentInput, responses=IncidentSerializer, summary="结案")
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk=None):
        ser = CloseIncidentInput(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        return self.respond(services.incident_close(request.user, self.get_object(), d["closure_summary"],
                                                    d.get("liability", False)))


def register(router) -> None:
    router.register("supervision/plans", PlanViewSet, basename="supervision-plan")
    router.register("supervision/tasks", TaskViewSet, basename="supervision-task")
    router.register("supervision/inspectors", InspectorViewSet, basename="supervision-inspector")
    router.register("supervision/inspections", InspectionViewSet, basename="supervision-inspection")
    router.register("supervision/rectifications", RectificationViewSet, basename="supervision-rectification")
    router.register("supervision/credit-events", CreditEventViewSet, basename="supervision-credit-event")
    router.register("supervision/credit-lists", CreditListViewSet, basename="supervision-credit-list")
    router.register("supervision/complaints", ComplaintViewSet, basename="supervision-complaint")
    router.register("supervision/incidents", IncidentViewSet, basename="supervision-incident")
