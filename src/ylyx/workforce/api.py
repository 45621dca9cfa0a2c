"""REST API for 从业人员: masked output, write-only ID and phone, writes through services."""

from __future__ import annotations

from rest_framework import serializers

from ylyx.people.api import PersonSerializer, ScopedPeopleViewSet
from ylyx.people.identity import age_years

from . import services
from .filters import PractitionerFilter
from .models import Practitioner, PractitionerRole


class CertificateSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    level = serializers.CharField(read_only=True)
    issued_on = serializers.DateField(read_only=True)
    expires_on = serializers.DateField(read_only=True)


class TrainingSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    course = serializers.CharField(read_only=True)
    hours = serializers.IntegerField(read_only=True)
    completed_on = serializers.DateField(read_only=True)
    passed = serializers.BooleanField(read_only=True)


class EmploymentSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    institution = serializers.IntegerField(source="institution_id", read_only=True)
    role = serializers.CharField(read_only=True)
    full_time = serializers.BooleanField(read_only=True)
    started_on = serializers.DateField(read_only=True)
    ended_on = serializers.DateField(read_only=True)


class PractitionerSerializer(PersonSerializer):
    age = serializers.SerializerMethodField()
    role = serializers.ChoiceField(choices=PractitionerRole.choices, required=False)
    education = serializers.CharField(required=False, allow_blank=True, max_length=20)
    institution = serializers.IntegerField(source="institution_id", required=False, allow_null=True)
    institution_name = serializers.CharField(source="institution.name", read_only=True, default="")
    address = None
    address_masked = None

    def get_age(self, obj) -> int | None:
        return age_years(obj.birth_date)


class PractitionerDetailSerializer(PractitionerSerializer):
    certificates = CertificateSerializer(many=True, read_only=True)
    trainings = TrainingSerializer(many=True, read_only=True)
    employments = EmploymentSerializer(many=True, read_only=True)


class PractitionerViewSet(ScopedPeopleViewSet):
    queryset = Practitioner.objects.all()
    serializer_class = PractitionerSerializer
    filterset_class = PractitionerFilter
    select_related = ("region", "institution")
    reveal_key = "practitioner"

    def get_serializer_class(self):
        if self.action == "retrieve":
            return PractitionerDetailSerializer
        return super().get_serializer_class()

    def input(self, request, partial):
        data, reason = super().input(request, partial)
        if "institution_id" in data:
            data["institution"] = data.pop("institution_id")
        return data, reason

    def do_create(self, user, data, reason):
        return services.create_practitioner(user, data, reason)

    def do_update(self, user, obj, data, reason):
        return services.update_practitioner(user, obj, data, reason)


def register(router) -> None:
    router.register("practitioners", PractitionerViewSet, basename="practitioner")
