"""REST API for 从业人员: masked output, write-only ID and phone, writes through services."""

from __future__ import annotations

from rest_framework import serializers

from ylyx.generic.api import REGION_FORMAT, ScopedPrimaryKeyRelatedField, Serializer
from ylyx.institutions.models import Institution
from ylyx.people.api import PersonSerializer, ScopedPeopleViewSet
from ylyx.people.identity import age_years

from . import services
from .filters import PractitionerAPIFilter
from .models import Practitioner, PractitionerRole


class CertificateSerializer(Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    level = serializers.CharField(read_only=True)
    issued_on = serializers.DateField(read_only=True)
    expires_on = serializers.DateField(read_only=True, allow_null=True)


class TrainingSerializer(Serializer):
    id = serializers.IntegerField(read_only=True)
    course = serializers.CharField(read_only=True)
    hours = serializers.IntegerField(read_only=True)
    completed_on = serializers.DateField(read_only=True)
    passed = serializers.BooleanField(read_only=True)


class EmploymentSerializer(Serializer):
    id = serializers.IntegerField(read_only=True)
    institution = serializers.IntegerField(source="institution_id", read_only=True)
    role = serializers.CharField(read_only=True)
    full_time = serializers.BooleanField(read_only=True)
    started_on = serializers.DateField(read_only=True)
    ended_on = serializers.DateField(read_only=True, allow_null=True)


class PractitionerSerializer(PersonSerializer):
    age = serializers.SerializerMethodField()
    role = serializers.ChoiceField(choices=PractitionerRole.choices, label="岗位")
    education = serializers.CharField(required=False, allow_blank=True, max_length=20)
    institution = ScopedPrimaryKeyRelatedField(queryset=Institution.objects.all(), required=False, allow_null=True,
                                               label="机构")
    # Operators' staff take the institution's region, so the region may be left out (the service decides).
    region = serializers.CharField(source="region_id", required=False, max_length=12, trim_whitespace=False,
                                   validators=[REGION_FORMAT], label="区划", help_text="12 位区划代码；机构经办人可不填")
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
    queryset = Practitioner.objects.select_related("region", "institution")
    serializer_class = PractitionerSerializer
    filterset_class = PractitionerAPIFilter
    reveal_key = "practitioner"

    def get_serializer_class(self):
        if self.action == "retrieve":
            return PractitionerDetailSerializer
        return super().get_serializer_class()

    def do_create(self, user, data, reason):
        return services.create_practitioner(user, data, reason)

    def do_update(self, user, obj, data, reason):
        return services.update_practitioner(user, obj, data, reason)


def register(router) -> None:
    router.register("practitioners", PractitionerViewSet, basename="practitioner")
