"""REST API for 老年人, 婴幼儿, 入住 and 入托: scoped like the pages, writes through services.

Responses carry masked values only (``id_number_masked``, ``name_masked``…); ``id_number``, ``name``
and ``phone`` are write-only. The full value is one POST to ``…/{id}/reveal/`` with a reason.
"""

from __future__ import annotations

import functools
from typing import Any, ClassVar

import django_filters
from django.db.models import Q
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from ylyx.audit.services import record
from ylyx.core import mask
from ylyx.core.filters import BooleanFilter, IntegerFilter
from ylyx.core.scoping import ScopedQuerySet
from ylyx.generic.api import (
    ID_NUMBER_FORMAT,
    PHONE_FORMAT,
    REGION_FORMAT,
    ResourcePermission,
    ScopedPrimaryKeyRelatedField,
    ScopedViewSet,
    Serializer,
)
from ylyx.institutions.models import ChildcareClass, Institution

from . import identity, services
from .filters import ElderlyAPIFilter, InfantAPIFilter
from .identity import age_months, age_years
from .models import (
    BedType,
    Disability,
    EconomicStatus,
    ElderlyPerson,
    Enrolment,
    Infant,
    LivingSituation,
    Residence,
)

SEX = [("M", "男"), ("F", "女")]


class RevealSerializer(Serializer):
    field = serializers.ChoiceField(choices=[], required=False, default="id_number", help_text="要查看的字段")
    reason = serializers.CharField(max_length=200, help_text="查看理由，必填，记入审计日志",
                                   error_messages={"required": identity.REASON_REQUIRED,
                                                   "blank": identity.REASON_REQUIRED})


@functools.cache
def reveal_serializer(model_key: str) -> type[RevealSerializer]:
    """The reveal body for one kind of person: only the fields that kind has (婴幼儿 add 监护人姓名)."""
    fields = identity.reveal_models()[model_key][1]
    choices = [(f, identity.REVEALABLE[f]) for f in fields]
    field = serializers.ChoiceField(choices=choices, required=False, default="id_number",
                                    help_text="要查看的字段：" + "、".join(f"{k}（{v}）" for k, v in choices))
    return type(f"{model_key.title()}RevealSerializer", (RevealSerializer,), {"field": field})


class RevealResultSerializer(Serializer):
    field = serializers.CharField()
    value = serializers.CharField()


class ScopedPeopleViewSet(ScopedViewSet):
    """List/retrieve through ``for_user``; create and PATCH call the service; no PUT (every change is partial:
    the ID number is write-only and never re-sent), no delete."""

    queryset: ScopedQuerySet
    http_method_names = ["get", "post", "patch", "head", "options"]
    permission_classes = [IsAuthenticated, ResourcePermission]
    no_conflict_actions = ("reveal",)
    reveal_key = ""
    ordering_fields = ["id", "created_at"]

    def scope_action(self) -> str:
        return "view" if self.action == "reveal" else super().scope_action()

    def input(self, request, partial: bool) -> tuple[dict, str]:
        ser = self.get_serializer(data=request.data, partial=partial)
        ser.is_valid(raise_exception=True)
        data = dict(ser.validated_data)
        reason = data.pop("reason", "")
        if "region_id" in data:
            data["region"] = data.pop("region_id")
        return data, reason

    def output(self, obj, warnings: list[str] | None = None, code: int = status.HTTP_200_OK) -> Response:
        obj = self.queryset.all().for_user(self.request.user, "view").get(pk=obj.pk)
        obj.warnings = warnings or []
        return Response(self.get_serializer(obj).data, status=code)

    def do_create(self, user, data: dict, reason: str) -> tuple[Any, list[str]]:
        raise NotImplementedError

    def do_update(self, user, obj, data: dict, reason: str) -> tuple[Any, list[str]]:
        raise NotImplementedError

    def create(self, request, *args, **kwargs):
        data, reason = self.input(request, partial=False)
        obj, warnings = self.do_create(request.user, data, reason)
        return self.output(obj, warnings, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        obj = self.get_object()
        data, reason = self.input(request, partial=True)
        obj, warnings = self.do_update(request.user, obj, data, reason)
        return self.output(obj, warnings)

    def get_serializer_class(self):
        return reveal_serializer(self.reveal_key) if self.action == "reveal" else super().get_serializer_class()

    @extend_schema(responses=RevealResultSerializer)
    @action(detail=True, methods=["post"])
    def reveal(self, request, pk=None):
        """完整值: needs the "view full PI" permission and a reason; logged as ``view_full_pi``."""
        ser = self.get_serializer(data=request.data)
        ser.is_valid(raise_exception=True)
        value = identity.reveal(request.user, self.reveal_key, pk, ser.validated_data["field"],
                                ser.validated_data["reason"])
        return Response({"field": ser.validated_data["field"], "value": value})


class PersonSerializer(Serializer):
    """Create needs name, ID number and region (PATCH any subset); the services check checksums and scope."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(write_only=True, max_length=50, label="姓名")
    name_masked = serializers.CharField(read_only=True)
    id_number = serializers.CharField(write_only=True, max_length=18, trim_whitespace=False,
                                      validators=[ID_NUMBER_FORMAT], label="身份证号",
                                      help_text="18 位身份证号，只写；响应中只有 id_number_masked")
    id_number_masked = serializers.CharField(read_only=True)
    phone = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=20,
                                  trim_whitespace=False, validators=[PHONE_FORMAT], label="电话")
    phone_masked = serializers.CharField(read_only=True)
    sex = serializers.ChoiceField(choices=SEX, required=False, allow_blank=True)
    region = serializers.CharField(source="region_id", max_length=12, trim_whitespace=False,
                                   validators=[REGION_FORMAT], label="区划", help_text="12 位区划代码，须在您的管辖范围内")
    region_name = serializers.CharField(source="region.name", read_only=True)
    # ClassVar so a subclass may drop them with ``= None`` (DRF's way; practitioners have no address).
    address: ClassVar[serializers.CharField | None] = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=200)
    address_masked: ClassVar[serializers.SerializerMethodField | None] = serializers.SerializerMethodField()
    reason = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=200)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    warnings = serializers.ListField(child=serializers.CharField(), read_only=True, default=list,
                                     help_text="保存时的提示（如性别与身份证号不符）；读取时为空")

    def get_address_masked(self, obj) -> str:
        return mask.mask_address(obj.address)


class ElderlySerializer(PersonSerializer):
    age = serializers.SerializerMethodField()
    living_situation = serializers.ChoiceField(choices=LivingSituation.choices, required=False)
    economic_status = serializers.ChoiceField(choices=EconomicStatus.choices, required=False)
    special_family = serializers.BooleanField(required=False)
    disability = serializers.ChoiceField(choices=Disability.choices, required=False)
    registered_on = serializers.DateField(required=False, allow_null=True)
    died_on = serializers.DateField(read_only=True, allow_null=True)
    moved_out_on = serializers.DateField(read_only=True, allow_null=True)
    is_active = serializers.BooleanField(read_only=True)

    def get_age(self, obj) -> int | None:
        return age_years(obj.birth_date)


class InfantSerializer(PersonSerializer):
    age_months = serializers.SerializerMethodField()
    guardian_name = serializers.CharField(write_only=True, max_length=50, label="监护人姓名")
    guardian_name_masked = serializers.SerializerMethodField()
    guardian_relation = serializers.CharField(required=False, allow_blank=True, max_length=10)
    moved_out_on = serializers.DateField(read_only=True, allow_null=True)

    def get_age_months(self, obj) -> int | None:
        return age_months(obj.birth_date)

    def get_guardian_name_masked(self, obj) -> str:
        return mask.mask_name(obj.guardian_name)


class ElderlyViewSet(ScopedPeopleViewSet):
    queryset = ElderlyPerson.objects.select_related("region")
    serializer_class = ElderlySerializer
    filterset_class = ElderlyAPIFilter
    reveal_key = "elderly"
    ordering_fields = ["id", "created_at", "registered_on", "birth_date"]

    def do_create(self, user, data, reason):
        return services.create_elderly(user, data, reason)

    def do_update(self, user, obj, data, reason):
        return services.update_elderly(user, obj, data, reason)


class InfantViewSet(ScopedPeopleViewSet):
    queryset = Infant.objects.select_related("region")
    serializer_class = InfantSerializer
    filterset_class = InfantAPIFilter
    reveal_key = "infant"
    ordering_fields = ["id", "created_at", "birth_date"]

    def retrieve(self, request, *args, **kwargs):
        """Reading one minor's record is logged (security.md PI-6)."""
        obj = self.get_object()
        record(request.user, "view", obj, detail={"via": "api"})
        return Response(self.get_serializer(obj).data)

    def do_create(self, user, data, reason):
        return services.create_infant(user, data, reason)

    def do_update(self, user, obj, data, reason):
        return services.update_infant(user, obj, data, reason)


# --- 入住 / 入托 ----------------------------------------------------------------------------------

class StayFilter(django_filters.FilterSet):
    institution = IntegerFilter(field_name="institution_id", label="机构")
    active = BooleanFilter(method="filter_active", label="在住/在托")

    def filter_active(self, qs, name, value):
        open_q = Q(ended_on__isnull=True)
        return qs.filter(open_q) if value else qs.exclude(open_q)


class ResidenceFilter(StayFilter):
    person = IntegerFilter(field_name="person_id", label="老年人")

    class Meta:
        model = Residence
        fields: list[str] = []


class EnrolmentFilter(StayFilter):
    infant = IntegerFilter(field_name="infant_id", label="婴幼儿")

    class Meta:
        model = Enrolment
        fields: list[str] = []


class ResidenceSerializer(Serializer):
    id = serializers.IntegerField(read_only=True)
    person = ScopedPrimaryKeyRelatedField(queryset=ElderlyPerson.objects.all(), scope_action="change", label="老年人")
    person_name_masked = serializers.CharField(source="person.name_masked", read_only=True)
    institution = ScopedPrimaryKeyRelatedField(queryset=Institution.objects.all(), label="机构")
    institution_name = serializers.CharField(source="institution.name", read_only=True)
    region = serializers.CharField(source="region_id", read_only=True)
    bed_type = serializers.ChoiceField(choices=BedType.choices, required=False, default=BedType.ORDINARY)
    started_on = serializers.DateField(label="入住日期")
    ended_on = serializers.DateField(read_only=True, allow_null=True)
    reason = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=200)


class EnrolmentSerializer(Serializer):
    id = serializers.IntegerField(read_only=True)
    infant = ScopedPrimaryKeyRelatedField(queryset=Infant.objects.all(), scope_action="change", label="婴幼儿")
    infant_name_masked = serializers.CharField(source="infant.name_masked", read_only=True)
    childcare_class = ScopedPrimaryKeyRelatedField(queryset=ChildcareClass.objects.all(), scope_through="institution",
                                                   label="班级")
    class_name = serializers.CharField(source="childcare_class.name", read_only=True)
    institution = serializers.IntegerField(source="institution_id", read_only=True)
    institution_name = serializers.CharField(source="institution.name", read_only=True)
    region = serializers.CharField(source="region_id", read_only=True)
    started_on = serializers.DateField(label="入托日期")
    ended_on = serializers.DateField(read_only=True, allow_null=True)
    reason = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=200)


class StayEndSerializer(Serializer):
    """离院/离托: the only change a stay takes; its other facts may be resent unchanged, never changed."""

    ended_on = serializers.DateField(label="结束日期", help_text="离开的日期（当天起不再占用床位/托位）")
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class StayViewSet(ScopedViewSet):
    """Create = 入住/入托 through the rules; PATCH only sets the end date (离院/离托)."""

    queryset: ScopedQuerySet
    http_method_names = ["get", "post", "patch", "head", "options"]
    permission_classes = [IsAuthenticated, ResourcePermission]
    ordering_fields = ["id", "started_on", "ended_on"]
    ordering = ["id"]
    fixed_fields: tuple[str, ...] = ()

    def get_serializer_class(self):
        return StayEndSerializer if self.action == "partial_update" else super().get_serializer_class()

    def validated(self, request) -> dict:
        ser = self.get_serializer(data=request.data)
        ser.is_valid(raise_exception=True)
        return dict(ser.validated_data)

    def output(self, obj, code=status.HTTP_200_OK) -> Response:
        return Response(super().get_serializer_class()(self.queryset.all().for_user(self.request.user, "view").get(pk=obj.pk)).data, status=code)

    def partial_update(self, request, *args, **kwargs):
        obj = self.get_object()
        ser = self.get_serializer(data=request.data)
        errors = {} if ser.is_valid() else dict(ser.errors)
        if isinstance(request.data, dict):  # the stay's other facts may be resent, but not changed
            current = super().get_serializer_class()(obj).data
            for f in self.fixed_fields:
                if f in request.data and str(request.data[f]) != str(current[f]):
                    errors[f] = ["只能修改结束日期（ended_on），其他信息请结束后重新办理"]
        if errors:
            raise exceptions.ValidationError(errors)
        self.end(request.user, obj, ser.validated_data["ended_on"], ser.validated_data["reason"])
        return self.output(obj)

    def end(self, user, obj, on, reason):
        raise NotImplementedError


@extend_schema_view(partial_update=extend_schema(request=StayEndSerializer, responses=ResidenceSerializer))
class ResidenceViewSet(StayViewSet):
    queryset = Residence.objects.select_related("person", "institution")
    serializer_class = ResidenceSerializer
    filterset_class = ResidenceFilter
    fixed_fields = ("person", "institution", "bed_type", "started_on")

    def create(self, request, *args, **kwargs):
        data = self.validated(request)
        res = services.admit(request.user, data["person"], data["institution"], data["bed_type"], data["started_on"],
                             data.get("reason", ""))
        return self.output(res, status.HTTP_201_CREATED)

    def end(self, user, obj, on, reason):
        services.discharge(user, obj, on, reason)


@extend_schema_view(partial_update=extend_schema(request=StayEndSerializer, responses=EnrolmentSerializer))
class EnrolmentViewSet(StayViewSet):
    queryset = Enrolment.objects.select_related("infant", "institution", "childcare_class")
    serializer_class = EnrolmentSerializer
    filterset_class = EnrolmentFilter
    fixed_fields = ("infant", "childcare_class", "started_on")

    def create(self, request, *args, **kwargs):
        data = self.validated(request)
        e = services.enrol(request.user, data["infant"], data["childcare_class"], data["started_on"],
                           data.get("reason", ""))
        return self.output(e, status.HTTP_201_CREATED)

    def end(self, user, obj, on, reason):
        services.withdraw(user, obj, on, reason)


def register(router) -> None:
    router.register("elderly", ElderlyViewSet, basename="elderly")
    router.register("infants", InfantViewSet, basename="infant")
    router.register("residences", ResidenceViewSet, basename="residence")
    router.register("enrolments", EnrolmentViewSet, basename="enrolment")
