"""REST API for subsidies: the same services as the pages, every queryset from ``for_user``.

/api/subsidies/programmes/              GET (补贴项目, read)
/api/subsidies/applications/            GET, POST (apply); {id}/review/ (county), {id}/decide/ (city) POST
/api/subsidies/batches/                 GET, POST (compute a region's month); {id}/approve/ {id}/resume/ POST
/api/subsidies/ledger/                  GET (台账)
/api/subsidies/recoveries/              GET (追缴)
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from ylyx.core.permissions import Action
from ylyx.generic.api import (
    ModelSerializer,
    RegionField,
    ScopedPrimaryKeyRelatedField,
    ScopedViewSet,
    Serializer,
)
from ylyx.institutions.models import Institution

from . import services
from .models import Batch, BuildKind, ConstructionApplication, LedgerEntry, Programme, Recovery


class ProgrammeSerializer(ModelSerializer):
    category = serializers.CharField(read_only=True, label="类别")
    payee = serializers.CharField(read_only=True, label="发放对象")
    period = serializers.CharField(read_only=True, label="发放周期")
    eligibility = serializers.JSONField(read_only=True, label="资格条件")
    amount = serializers.JSONField(read_only=True, label="金额规则")

    class Meta:
        model = Programme
        fields = ["id", "region", "code", "name", "category", "payee", "period", "eligibility", "amount",
                  "exclusive_group", "priority", "effective_from", "effective_to", "document", "confidence", "active"]
        read_only_fields = fields


class ReadOnlyViewSet(ScopedViewSet):
    http_method_names = ["get", "head", "options"]
    ordering = ["-id"]


class ProgrammeViewSet(ReadOnlyViewSet):
    """补贴项目 (the city edits them on the programme page)."""

    queryset = Programme.objects.all()
    serializer_class = ProgrammeSerializer
    ordering = ["code", "effective_from"]


class ApplicationSerializer(ModelSerializer):
    institution = ScopedPrimaryKeyRelatedField(queryset=Institution.objects.all(), label="机构")
    programme = ScopedPrimaryKeyRelatedField(queryset=Programme.objects.all(), label="补贴项目")
    build_kind = serializers.ChoiceField(choices=BuildKind.choices, label="建设方式")
    status = serializers.CharField(read_only=True, label="状态")
    urban = serializers.BooleanField(required=False, allow_null=True, default=None, label="城市（否则为农村）")
    lease_years = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=70,
                                           label="租赁年限")
    units = serializers.IntegerField(min_value=1, max_value=100000, label="新增床位/托位数")
    evidence = serializers.CharField(max_length=2000, label="佐证材料说明")

    class Meta:
        model = ConstructionApplication
        fields = ["id", "institution", "region", "programme", "build_kind", "urban", "units", "lease_years",
                  "evidence", "status", "amount", "basis", "comment", "reviewed_at", "approved_at"]
        read_only_fields = ["region", "status", "amount", "basis", "comment", "reviewed_at", "approved_at"]

    def create(self, validated_data):
        d = validated_data
        return services.apply(self.context["request"].user, d["institution"], programme=d["programme"],
                              build_kind=d["build_kind"], units=d["units"], evidence=d["evidence"],
                              urban=d.get("urban"), lease_years=d.get("lease_years"))


class DecisionInput(Serializer):
    approve = serializers.BooleanField(label="是否通过")
    comment = serializers.CharField(required=False, allow_blank=True, max_length=200, label="审核意见")


class ApplicationViewSet(ScopedViewSet):
    """建设补助申请: apply, county review, city approval (approval pays through the ledger)."""

    queryset = ConstructionApplication.objects.select_related("institution", "programme")
    serializer_class = ApplicationSerializer
    http_method_names = ["get", "post", "head", "options"]
    ordering = ["-id"]

    def scope_action(self) -> Action:
        acts: dict[str, Action] = {"create": "add", "review": "change", "decide": "approve"}
        return acts.get(self.action or "", "view")

    def _decision(self, request: Request, fn) -> Response:
        ser = DecisionInput(data=request.data)
        ser.is_valid(raise_exception=True)
        obj = fn(request.user, self.get_object(), approve=ser.validated_data["approve"],
                 comment=ser.validated_data.get("comment", ""))
        return Response(self.get_serializer(obj).data)

    @extend_schema(request=DecisionInput, responses=ApplicationSerializer, summary="旗县区审核")
    @action(detail=True, methods=["post"])
    def review(self, request: Request, pk=None):
        return self._decision(request, services.review)

    @extend_schema(request=DecisionInput, responses=ApplicationSerializer, summary="市级审批（批准即入账）")
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk=None):
        return self._decision(request, services.decide)


class BatchSerializer(ModelSerializer):
    region = RegionField(label="区划")
    period = serializers.RegexField(r"^20[0-9]{2}-(0[1-9]|1[0-2])$", max_length=7, label="期间",
                                    error_messages={"invalid": "期间应为 YYYY-MM，如 2024-05"})
    status = serializers.CharField(read_only=True, label="状态")

    class Meta:
        model = Batch
        fields = ["id", "region", "period", "month_end", "status", "computed_at", "approved_at", "paid_at",
                  "lines_count", "persons", "institutions", "total", "paid_total", "new_count", "changed_count",
                  "stopped_count", "flagged_count", "skipped_count", "seconds"]
        read_only_fields = [f for f in fields if f not in ("region", "period")]
        validators: list = []

    def create(self, validated_data):
        return services.compute_batch(self.context["request"].user, validated_data["region"],
                                      validated_data["period"])


class BatchViewSet(ScopedViewSet):
    """月度发放批次: compute (or recompute before approval), approve, resume an interrupted payment."""

    queryset = Batch.objects.select_related("region")
    serializer_class = BatchSerializer
    http_method_names = ["get", "post", "head", "options"]
    ordering = ["-period", "region_id"]

    def scope_action(self) -> Action:
        acts: dict[str, Action] = {"create": "change", "approve": "approve", "resume": "approve"}
        return acts.get(self.action or "", "view")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Batch.objects.none()
        return self.queryset.all().for_user(self.request.user, self.scope_action())

    @extend_schema(request=None, responses=BatchSerializer, summary="审批并入账")
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk=None):
        return Response(self.get_serializer(services.approve_batch(request.user, self.get_object())).data)

    @extend_schema(request=None, responses=BatchSerializer, summary="续写中断的入账")
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk=None):
        return Response(self.get_serializer(services.resume_batch(request.user, self.get_object())).data)


class LedgerSerializer(ModelSerializer):
    status = serializers.CharField(read_only=True, label="状态")

    class Meta:
        model = LedgerEntry
        fields = ["id", "programme", "payee_key", "person", "institution", "application", "region", "period",
                  "amount", "basis", "batch", "status", "created_at"]
        read_only_fields = fields


class LedgerViewSet(ReadOnlyViewSet):
    """补贴台账: every payment, once."""

    queryset = LedgerEntry.objects.all()
    serializer_class = LedgerSerializer


class RecoverySerializer(ModelSerializer):
    status = serializers.CharField(read_only=True, label="状态")

    class Meta:
        model = Recovery
        fields = ["id", "entry", "person", "region", "amount", "reason", "status", "closed_on"]
        read_only_fields = fields


class RecoveryViewSet(ReadOnlyViewSet):
    """追缴."""

    queryset = Recovery.objects.all()
    serializer_class = RecoverySerializer


def register(router) -> None:
    router.register("subsidies/programmes", ProgrammeViewSet, basename="subsidy-programme")
    router.register("subsidies/applications", ApplicationViewSet, basename="subsidy-application")
    router.register("subsidies/batches", BatchViewSet, basename="subsidy-batch")
    router.register("subsidies/ledger", LedgerViewSet, basename="subsidy-ledger")
    router.register("subsidies/recoveries", RecoveryViewSet, basename="subsidy-recovery")
