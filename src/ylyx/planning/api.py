"""REST API for planning (read-only): every queryset from ``for_user``.

/api/planning/projects/            GET (项目库: 储备 → 开工 → 建成 → 运营)
/api/planning/residential-areas/   GET (住宅小区配套，四同步)
"""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated

from ylyx.generic.api import ModelSerializer, ResourcePermission, ScopedReadViewSet

from .filters import ProjectFilter, ResidentialAreaFilter
from .models import Project, ResidentialArea


class ProjectSerializer(ModelSerializer):
    region = serializers.CharField(source="region_id", read_only=True, label="所在区划")

    class Meta:
        model = Project
        fields = ["id", "name", "domain", "region", "stage", "beds", "nursing_beds", "places", "floor_area",
                  "investment", "started_on", "completion_due", "completed_on", "operating_on", "lat", "lon",
                  "proposed_by_siting", "note"]
        read_only_fields = fields


class ResidentialAreaSerializer(ModelSerializer):
    region = serializers.CharField(source="region_id", read_only=True, label="所在区划")

    class Meta:
        model = ResidentialArea
        fields = ["id", "name", "region", "is_new", "households", "status", "elder_room_area", "child_room_area",
                  "approved_on"]
        read_only_fields = fields


class ProjectViewSet(ScopedReadViewSet):
    """项目库."""

    permission_classes = [IsAuthenticated, ResourcePermission]
    queryset = Project.objects.all()
    serializer_class = ProjectSerializer
    filterset_class = ProjectFilter
    http_method_names = ["get", "head", "options"]
    ordering = ["id"]


class ResidentialAreaViewSet(ScopedReadViewSet):
    """住宅小区配套（四同步）."""

    permission_classes = [IsAuthenticated, ResourcePermission]
    queryset = ResidentialArea.objects.all()
    serializer_class = ResidentialAreaSerializer
    filterset_class = ResidentialAreaFilter
    http_method_names = ["get", "head", "options"]
    ordering = ["id"]


def register(router) -> None:
    router.register("planning/projects", ProjectViewSet, basename="planning-project")
    router.register("planning/residential-areas", ResidentialAreaViewSet, basename="planning-residential-area")
