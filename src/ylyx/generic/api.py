"""Shared REST pieces: pagination, Chinese error bodies, and the scoped viewset base."""

from __future__ import annotations

from django.db import transaction
from rest_framework import exceptions, viewsets
from rest_framework.response import Response

from ylyx.core.permissions import Action, allows

ACTION_FOR_METHOD: dict[str, Action] = {"GET": "view", "HEAD": "view", "OPTIONS": "view", "POST": "add", "PUT": "change",
                     "PATCH": "change", "DELETE": "delete"}


class ScopedViewSet(viewsets.ModelViewSet):
    """Every API queryset comes from ``for_user``; writes run in one transaction and are re-checked."""

    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def get_queryset(self):
        action = ACTION_FOR_METHOD.get(self.request.method, "view")
        return self.queryset.model.objects.for_user(self.request.user, action)

    def create(self, request, *args, **kwargs):

        if not allows(request.user.role, self.queryset.model.scope_resource, "add"):
            raise exceptions.PermissionDenied("无权新增此类记录")
        with transaction.atomic():
            return super().create(request, *args, **kwargs)

    def update(self, request, *args, **kwargs):
        with transaction.atomic():
            return super().update(request, *args, **kwargs)

    def destroy(self, request, *args, **kwargs):
        with transaction.atomic():
            return super().destroy(request, *args, **kwargs)


def error_response(message: str, status: int = 400) -> Response:
    return Response({"detail": message}, status=status)
