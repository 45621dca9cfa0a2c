"""REST API for 老年人, 婴幼儿, 入住 and 入托: scoped like the pages, writes through services.

Responses carry masked values only (``id_number_masked``, ``name_masked``…); ``id_number``, ``name``
and ``phone`` are write-only. The full value is one POST to ``…/{id}/reveal/`` with a reason.
"""

from __future__ import annotations

from typing import Any, ClassVar

import django_filters
from django.db.models import Q, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from ylyx.audit.services import record
from ylyx.core import mask
from ylyx.core.permissions import allows
from ylyx.generic.api import ACTION_FOR_METHOD, ScopedViewSet
from ylyx.institutions.models import ChildcareClass

from . import identity, services
from .filters import ElderlyFilter, InfantFilter
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


class ResourcePermission(BasePermission):
    """A role without the resource (e.g. an inspector for 老年人) is refused outright, not shown an empty list."""

    message = "您的角色无权访问此类记录"

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not getattr(user, "is_authenticated", False):
            return False
        if request.method.lower() not in view.http_method_names:
            return True  # answered 405 by the view
        act = "view" if getattr(view, "action", None) == "reveal" else ACTION_FOR_METHOD.get(request.method, "view")
        return allows(user.role, view.queryset.model.scope_resource, act)


class RevealSerializer(serializers.Serializer):
    field = serializers.CharField(required=False, default="id_number", max_length=30,
                                  help_text="id_number（默认）、phone、name、address、guardian_name")
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500,
                                   help_text="查看理由，必填，记入审计日志")


class RevealResultSerializer(serializers.Serializer):
    field = serializers.CharField()
    value = serializers.CharField()


class ScopedPeopleViewSet(ScopedViewSet):
    """List/retrieve through ``for_user``; create/update call the service; no delete."""

    queryset: QuerySet[ElderlyPerson | Infant]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    permission_classes = [IsAuthenticated, ResourcePermission]
    select_related: tuple[str, ...] = ()
    reveal_key = ""
    ordering_fields = ["id", "created_at"]

    def get_queryset(self):
        qs = super().get_queryset()
        return qs.select_related(*self.select_related) if self.select_related else qs

    def input(self, request, partial: bool) -> tuple[dict, str]:
        ser = self.get_serializer(data=request.data, partial=partial)
        ser.is_valid(raise_exception=True)
        data = dict(ser.validated_data)
        reason = data.pop("reason", "")
        if "region_id" in data:
            data["region"] = data.pop("region_id")
        return data, reason

    def output(self, obj, warnings: list[str] | None = None, code: int = status.HTTP_200_OK) -> Response:
        obj = (self.queryset.model.objects.for_user(self.request.user, "view")
               .select_related(*self.select_related).get(pk=obj.pk))
        body = dict(self.get_serializer(obj).data)
        if warnings is not None:
            body["warnings"] = warnings
        return Response(body, status=code)

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

    @extend_schema(request=RevealSerializer, responses=RevealResultSerializer)
    @action(detail=True, methods=["post"], serializer_class=RevealSerializer)
    def reveal(self, request, pk=None):
        """完整值: needs the "view full PI" permission and a reason; logged as ``view_full_pi``."""
        ser = RevealSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        value = identity.reveal(request.user, self.reveal_key, pk, ser.validated_data["field"],
                                ser.validated_data["reason"])
        return Response({"field": ser.validated_data["field"], "value": value})


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(write_only=True, required=False, max_length=50)
    name_masked = serializers.CharField(read_only=True)
    id_number = serializers.CharField(write_only=True, required=False, max_length=30,
                                      help_text="18 位身份证号，只写；响应中只有 id_number_masked")
    id_number_masked = serializers.CharField(read_only=True)
    phone = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=20)
    phone_masked = serializers.CharField(read_only=True)
    sex = serializers.ChoiceField(choices=SEX, required=False, allow_blank=True)
    region = serializers.CharField(source="region_id", required=False, max_length=12, help_text="12 位区划代码")
    region_name = serializers.CharField(source="region.name", read_only=True)
    # ClassVar so a subclass may drop them with ``= None`` (DRF's way; practitioners have no address).
    address: ClassVar[serializers.CharField | None] = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=200)
    address_masked: ClassVar[serializers.SerializerMethodField | None] = serializers.SerializerMethodField()
    reason = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=200)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def get_address_masked(self, obj) -> str:
        return mask.mask_address(obj.address)


class ElderlySerializer(PersonSerializer):
    age = serializers.SerializerMethodField()
    living_situation = serializers.ChoiceField(choices=LivingSituation.choices, required=False)
    economic_status = serializers.ChoiceField(choices=EconomicStatus.choices, required=False)
    special_family = serializers.BooleanField(required=False)
    disability = serializers.ChoiceField(choices=Disability.choices, required=False)
    registered_on = serializers.DateField(required=False, allow_null=True)
    died_on = serializers.DateField(read_only=True)
    moved_out_on = serializers.DateField(read_only=True)
    is_active = serializers.BooleanField(read_only=True)

    def get_age(self, obj) -> int | None:
        return age_years(obj.birth_date)


class InfantSerializer(PersonSerializer):
    age_months = serializers.SerializerMethodField()
    guardian_name = serializers.CharField(write_only=True, required=False, max_length=50)
    guardian_name_masked = serializers.SerializerMethodField()
    guardian_relation = serializers.CharField(required=False, allow_blank=True, max_length=10)
    moved_out_on = serializers.DateField(read_only=True)

    def get_age_months(self, obj) -> int | None:
        return age_months(obj.birth_date)

    def get_guardian_name_masked(self, obj) -> str:
        return mask.mask_name(obj.guardian_name)


class ElderlyViewSet(ScopedPeopleViewSet):
    queryset = ElderlyPerson.objects.all()
    serializer_class = ElderlySerializer
    filterset_class = ElderlyFilter
    select_related = ("region",)
    reveal_key = "elderly"
    ordering_fields = ["id", "created_at", "registered_on", "birth_date"]

    def do_create(self, user, data, reason):
        return services.create_elderly(user, data, reason)

    def do_update(self, user, obj, data, reason):
        return services.update_elderly(user, obj, data, reason)


class InfantViewSet(ScopedPeopleViewSet):
    queryset = Infant.objects.all()
    serializer_class = InfantSerializer
    filterset_class = InfantFilter
    select_related = ("region",)
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
    institution = django_filters.NumberFilter(field_name="institution_id", label="机构")
    active = django_filters.BooleanFilter(method="filter_active", label="在住/在托")

    def filter_active(self, qs, name, value):
        open_q = Q(ended_on__isnull=True)
        return qs.filter(open_q) if value else qs.exclude(open_q)


class ResidenceFilter(StayFilter):
    person = django_filters.NumberFilter(field_name="person_id", label="老年人")

    class Meta:
        model = Residence
        fields: list[str] = []


class EnrolmentFilter(StayFilter):
    infant = django_filters.NumberFilter(field_name="infant_id", label="婴幼儿")

    class Meta:
        model = Enrolment
        fields: list[str] = []


class ResidenceSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    person = serializers.IntegerField(source="person_id", required=False)
    person_name_masked = serializers.CharField(source="person.name_masked", read_only=True)
    institution = serializers.IntegerField(source="institution_id", required=False)
    institution_name = serializers.CharField(source="institution.name", read_only=True)
    region = serializers.CharField(source="region_id", read_only=True)
    bed_type = serializers.ChoiceField(choices=BedType.choices, required=False)
    started_on = serializers.DateField(required=False)
    ended_on = serializers.DateField(required=False, allow_null=True)
    reason = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=200)


class EnrolmentSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    infant = serializers.IntegerField(source="infant_id", required=False)
    infant_name_masked = serializers.CharField(source="infant.name_masked", read_only=True)
    childcare_class = serializers.IntegerField(source="childcare_class_id", required=False)
    class_name = serializers.CharField(source="childcare_class.name", read_only=True)
    institution = serializers.IntegerField(source="institution_id", read_only=True)
    institution_name = serializers.CharField(source="institution.name", read_only=True)
    region = serializers.CharField(source="region_id", read_only=True)
    started_on = serializers.DateField(required=False)
    ended_on = serializers.DateField(required=False, allow_null=True)
    reason = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=200)


class StayViewSet(ScopedViewSet):
    """Create = 入住/入托 through the rules; update may only set the end date (离院/离托)."""

    queryset: QuerySet[Residence | Enrolment]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    permission_classes = [IsAuthenticated, ResourcePermission]
    select_related: tuple[str, ...] = ()
    fixed_fields: tuple[str, ...] = ()
    ordering_fields = ["id", "started_on", "ended_on"]
    ordering = ["id"]

    def get_queryset(self):
        return super().get_queryset().select_related(*self.select_related)

    def validated(self, request, partial: bool) -> dict:
        ser = self.get_serializer(data=request.data, partial=partial)
        ser.is_valid(raise_exception=True)
        return dict(ser.validated_data)

    def output(self, obj, code=status.HTTP_200_OK) -> Response:
        obj = (self.queryset.model.objects.for_user(self.request.user, "view")
               .select_related(*self.select_related).get(pk=obj.pk))
        return Response(self.get_serializer(obj).data, status=code)

    def update(self, request, *args, **kwargs):
        obj = self.get_object()
        data = self.validated(request, partial=True)
        errors = {}
        for f in self.fixed_fields:
            attr = self.get_serializer().fields[f].source
            if attr in data and data[attr] != getattr(obj, attr):
                errors[f] = ["只能修改结束日期（ended_on），其他信息请结束后重新办理"]
        if errors:
            raise exceptions.ValidationError(errors)
        if data.get("ended_on") is None:
            raise exceptions.ValidationError({"ended_on": ["请填写结束日期"]})
        self.end(request.user, obj, data["ended_on"], data.get("reason", ""))
        return self.output(obj)

    def end(self, user, obj, on, reason):
        raise NotImplementedError


class ResidenceViewSet(StayViewSet):
    queryset = Residence.objects.all()
    serializer_class = ResidenceSerializer
    filterset_class = ResidenceFilter
    select_related = ("person", "institution")
    fixed_fields = ("person", "institution", "bed_type", "started_on")

    def create(self, request, *args, **kwargs):
        data = self.validated(request, partial=False)
        missing = {f: ["该字段是必填项。"] for f, a in (("person", "person_id"), ("institution", "institution_id"),
                                                    ("started_on", "started_on")) if data.get(a) is None}
        if missing:
            raise exceptions.ValidationError(missing)
        person = ElderlyPerson.objects.for_user(request.user, "change").filter(pk=data["person_id"]).first()
        if person is None:
            raise exceptions.ValidationError({"person": ["老年人不存在或不在您的管辖范围内"]})
        res = services.admit(request.user, person, data["institution_id"], data.get("bed_type") or BedType.ORDINARY,
                             data["started_on"], data.get("reason", ""))
        return self.output(res, status.HTTP_201_CREATED)

    def end(self, user, obj, on, reason):
        services.discharge(user, obj, on, reason)


class EnrolmentViewSet(StayViewSet):
    queryset = Enrolment.objects.all()
    serializer_class = EnrolmentSerializer
    filterset_class = EnrolmentFilter
    select_related = ("infant", "institution", "childcare_class")
    fixed_fields = ("infant", "childcare_class", "started_on")

    def create(self, request, *args, **kwargs):
        data = self.validated(request, partial=False)
        missing = {f: ["该字段是必填项。"] for f, a in (("infant", "infant_id"), ("childcare_class", "childcare_class_id"),
                                                    ("started_on", "started_on")) if data.get(a) is None}
        if missing:
            raise exceptions.ValidationError(missing)
        infant = Infant.objects.for_user(request.user, "change").filter(pk=data["infant_id"]).first()
        if infant is None:
            raise exceptions.ValidationError({"infant": ["婴幼儿不存在或不在您的管辖范围内"]})
        klass = ChildcareClass.objects.for_user(request.user, "view").filter(pk=data["childcare_class_id"]).first()
        if klass is None:
            raise exceptions.ValidationError({"childcare_class": ["班级不存在或不在您的管辖范围内"]})
        e = services.enrol(request.user, infant, klass, data["started_on"], data.get("reason", ""))
        return self.output(e, status.HTTP_201_CREATED)

    def end(self, user, obj, on, reason):
        services.withdraw(user, obj, on, reason)


def register(router) -> None:
    router.register("elderly", ElderlyViewSet, basename="elderly")
    router.register("infants", InfantViewSet, basename="infant")
    router.register("residences", ResidenceViewSet, basename="residence")
    router.register("enrolments", EnrolmentViewSet, basename="enrolment")
