"""REST API for ability assessments: the same services as the pages, every queryset from ``for_user``.

/api/assessments/                 GET list, POST start (老年人, 评估日期, 原因)
/api/assessments/{id}/answers/    POST some item scores and Appendix A conditions (progress saved)
/api/assessments/{id}/submit/     POST (first assessor)
/api/assessments/{id}/sign/       POST (second, different qualified assessor)
/api/assessments/assessors/       GET 评估员资格
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from ylyx.core.permissions import allows
from ylyx.generic.api import ModelSerializer, ScopedPrimaryKeyRelatedField, ScopedViewSet, Serializer
from ylyx.people.models import ElderlyPerson

from . import scoring, services
from .models import Assessment, AssessorQualification, Reason

ITEM_CODES = [i.code for i in scoring.ITEMS]


class AssessmentSerializer(ModelSerializer):
    person = ScopedPrimaryKeyRelatedField(queryset=ElderlyPerson.objects.all(), label="老年人")
    status = serializers.CharField(read_only=True, label="状态")
    standard = serializers.CharField(read_only=True, label="评估标准")
    level_label = serializers.CharField(read_only=True, label="能力等级（文字）")
    level = serializers.IntegerField(read_only=True, allow_null=True, label="能力等级（0 能力完好 … 4 完全失能）")
    preliminary_level = serializers.IntegerField(read_only=True, allow_null=True, label="初步等级")
    answers = serializers.DictField(child=serializers.IntegerField(), read_only=True, label="各项得分")
    risk_events = serializers.DictField(child=serializers.IntegerField(), read_only=True, label="照护风险事件")
    change_reasons = serializers.ListField(child=serializers.CharField(), read_only=True, label="等级变更依据")
    assessment_reason = serializers.ChoiceField(source="reason", label="评估原因",
                                                choices=[c for c in Reason.choices if c[0] != Reason.LEGACY])

    class Meta:
        model = Assessment
        fields = ["id", "person", "region", "institution", "standard", "is_legacy", "assessment_reason", "status",
                  "assessed_on", "answers", "progress", "coma", "dementia", "psychiatric", "risk_events", "self_care",
                  "motor", "mental", "perception", "total", "preliminary_level", "level", "level_label",
                  "change_reasons", "legacy_result", "first_assessor", "second_assessor", "completed_at", "next_due"]
        read_only_fields = [f for f in fields if f not in ("person", "assessment_reason", "assessed_on")]

    def create(self, validated_data):
        return services.start(self.context["request"].user, validated_data["person"],
                              assessed_on=validated_data["assessed_on"], reason=validated_data["reason"])


class RiskEventsInput(Serializer):
    fall = serializers.IntegerField(min_value=0, max_value=3, required=False, label="跌倒")
    wandering = serializers.IntegerField(min_value=0, max_value=3, required=False, label="走失")
    choking = serializers.IntegerField(min_value=0, max_value=3, required=False, label="噎食")
    self_harm = serializers.IntegerField(min_value=0, max_value=3, required=False, label="自杀、自伤")
    other = serializers.IntegerField(min_value=0, max_value=3, required=False, label="其他")


class AnswersInput(Serializer):
    answers = serializers.DictField(child=serializers.IntegerField(min_value=0, max_value=4), required=False,
                                    label="各项得分（项目编号 → 分值，如 B.1.1 → 4）")
    coma = serializers.BooleanField(required=False, label="昏迷")
    dementia = serializers.BooleanField(required=False, label="痴呆")
    psychiatric = serializers.BooleanField(required=False, label="精神科诊断的精神和行为障碍")
    risk_events = RiskEventsInput(required=False, label="近30天照护风险事件")

    def validate_answers(self, value):
        bad = [k for k in value if k not in ITEM_CODES]
        if bad:
            raise serializers.ValidationError(f"各项得分：{'、'.join(bad[:5])} 不是评估项目编号")
        return value


def flat_errors(errors: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}

    def walk(prefix: str, value: Any, key: str) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(f"{prefix}{k}：", v, key)
        elif isinstance(value, list):
            for v in value:
                walk(prefix, v, key)
        else:
            out.setdefault(key, []).append(f"{prefix}{value}")

    for k, v in errors.items():
        walk("", v, k)
    return out


class AssessmentViewSet(ScopedViewSet):
    """能力评估 (GB/T 42195-2022)."""

    queryset = Assessment.objects.select_related("person")
    serializer_class = AssessmentSerializer
    http_method_names = ["get", "post", "head", "options"]
    ordering = ["-assessed_on", "-id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Assessment.objects.none()
        act = "add" if self.action == "create" else ("change" if self.request.method == "POST" else "view")
        if not allows(getattr(self.request.user, "role", ""), "assessment", "view"):
            raise exceptions.PermissionDenied("无权查看能力评估")
        return self.queryset.all().for_user(self.request.user, act)

    def respond(self, obj) -> Response:
        return Response(self.get_serializer(obj).data)

    @extend_schema(request=AnswersInput, responses=AssessmentSerializer, summary="保存若干项得分与等级变更依据")
    @action(detail=True, methods=["post"])
    def answers(self, request: Request, pk=None):
        ser = AnswersInput(data=request.data)
        if not ser.is_valid():  # nested field errors flattened: the error body is field → list of messages
            raise serializers.ValidationError(flat_errors(ser.errors))
        d = ser.validated_data
        return self.respond(services.save_answers(request.user, self.get_object(), d.get("answers", {}),
                                                  coma=d.get("coma"), dementia=d.get("dementia"),
                                                  psychiatric=d.get("psychiatric"),
                                                  risk_events=dict(d.get("risk_events") or {})))

    @extend_schema(request=None, responses=AssessmentSerializer, summary="提交评估（第一评估员）")
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk=None):
        return self.respond(services.submit(request.user, self.get_object()))

    @extend_schema(request=None, responses=AssessmentSerializer, summary="确认评估（第二评估员）")
    @action(detail=True, methods=["post"])
    def sign(self, request: Request, pk=None):
        return self.respond(services.sign(request.user, self.get_object()))


class QualificationSerializer(ModelSerializer):
    class Meta:
        model = AssessorQualification
        fields = ["id", "user", "region", "certificate_no", "issued_by", "valid_from", "valid_to", "revoked"]
        read_only_fields = fields


class QualificationViewSet(ScopedViewSet):
    """评估员资格."""

    queryset = AssessorQualification.objects.all()
    serializer_class = QualificationSerializer
    http_method_names = ["get", "head", "options"]
    ordering = ["id"]


def register(router) -> None:
    router.register("assessments/assessors", QualificationViewSet, basename="assessment-assessor")
    router.register("assessments", AssessmentViewSet, basename="assessment")
