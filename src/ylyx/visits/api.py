"""REST API for 探访关爱: the same services as the pages, every queryset from ``for_user``.

/api/visits/tasks/             GET (a month's tasks: ?month=YYYY-MM-01, ?mine=true); {id}/visit/ POST (exactly once per client_uuid)
/api/visits/followups/         GET
"""

from __future__ import annotations

import datetime as dt

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from ylyx.core.permissions import Action, allows
from ylyx.generic.api import ModelSerializer, ScopedReadViewSet, Serializer

from . import services
from .models import FollowUp, Mode, Risk, Visit, VisitTask


class VisitsReadViewSet(ScopedReadViewSet):
    def scope_action(self) -> Action:
        return "view"

    def get_queryset(self):
        if not getattr(self, "swagger_fake_view", False) and not allows(
                getattr(self.request.user, "role", ""), "visit", "view"):
            raise exceptions.PermissionDenied("无权查看")
        return super().get_queryset()


class TaskSerializer(ModelSerializer):
    person_name = serializers.CharField(source="person.name_masked", read_only=True, label="老年人（脱敏）")

    class Meta:
        model = VisitTask
        fields = ["id", "person", "person_name", "region", "month", "rule", "assignee", "due_on", "required",
                  "done_count", "status"]
        read_only_fields = fields


class VisitSerializer(ModelSerializer):
    class Meta:
        model = Visit
        fields = ["id", "client_uuid", "task", "person", "region", "visitor", "visited_on", "mode", "health", "safety",
                  "living", "needs", "risks", "recorded_at", "synced_offline"]
        read_only_fields = fields


class VisitInput(Serializer):
    client_uuid = serializers.UUIDField(required=False, label="客户端编号（重发同一编号只保存一次）")
    visited_on = serializers.DateField(label="探访日期")
    mode = serializers.ChoiceField(choices=Mode.choices, required=False, label="方式")
    health = serializers.CharField(max_length=300, required=False, allow_blank=True, label="健康状况")
    safety = serializers.CharField(max_length=300, required=False, allow_blank=True, label="安全状况")
    living = serializers.CharField(max_length=300, required=False, allow_blank=True, label="生活状况")
    needs = serializers.CharField(max_length=300, required=False, allow_blank=True, label="需求")
    risks = serializers.ListField(child=serializers.ChoiceField(choices=Risk.choices), required=False,
                                  max_length=5, label="风险")


class TaskViewSet(VisitsReadViewSet):
    """探访任务; POST {id}/visit/ records a visit (201 new, 200 the same client_uuid again)."""

    queryset = VisitTask.objects.select_related("person")
    serializer_class = TaskSerializer
    ordering = ["due_on", "id"]

    def filter_queryset(self, queryset):
        qs = super().filter_queryset(queryset)
        if self.action != "list":
            return qs
        month = self.request.query_params.get("month")
        if month:
            try:
                qs = qs.filter(month=dt.date.fromisoformat(month).replace(day=1))
            except ValueError as exc:
                raise exceptions.ValidationError({"month": ["月份格式应为 YYYY-MM-01"]}) from exc
        if self.request.query_params.get("mine") in ("true", "1"):
            qs = qs.filter(assignee=self.request.user)
        return qs

    @extend_schema(request=VisitInput, responses={200: VisitSerializer, 201: VisitSerializer}, summary="记录探访")
    @action(detail=True, methods=["post"])
    def visit(self, request: Request, pk=None):
        ser = VisitInput(data=request.data)
        ser.is_valid(raise_exception=True)
        data = dict(ser.validated_data)
        visit, created = services.record_visit(request.user, self.get_object(), data)
        return Response(VisitSerializer(visit).data, status=201 if created else 200)


class FollowUpSerializer(ModelSerializer):
    class Meta:
        model = FollowUp
        fields = ["id", "visit", "person", "region", "kind", "reason", "due_on", "status", "closed_on", "result"]
        read_only_fields = fields


class FollowUpViewSet(VisitsReadViewSet):
    queryset = FollowUp.objects.all()
    serializer_class = FollowUpSerializer
    ordering = ["due_on", "id"]


def register(router) -> None:
    router.register("visits/tasks", TaskViewSet, basename="visits-task")
    router.register("visits/followups", FollowUpViewSet, basename="visits-followup")
