"""Shared REST pieces: Chinese error bodies, the scoped viewset base and scoped relational fields."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from django.core import validators
from django.core.exceptions import FieldDoesNotExist
from django.core.validators import RegexValidator
from django.db import transaction
from django.http import QueryDict
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, mixins, serializers, viewsets
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response

from ylyx.core.permissions import Action, allows
from ylyx.core.scoping import ScopedQuerySet

ACTION_FOR_METHOD: dict[str, Action] = {"GET": "view", "HEAD": "view", "OPTIONS": "view", "POST": "add", "PUT": "change",
                     "PATCH": "change", "DELETE": "delete"}
# Object ids in URLs are digits: anything else is no route at all (a 404), never a lookup that can fail.
ID_PATTERN = "[0-9]+"

# Input formats the API checks before the services do, so the schema can state them as patterns. The services
# still validate checksums, existence and scope (with their own Chinese messages).
ID_NUMBER_FORMAT = RegexValidator(r"^[0-9]{17}[0-9Xx]$", "身份证号应为 18 位：前 17 位为数字，末位为数字或 X")
USCC_FORMAT = RegexValidator(r"^[0-9]{8}[0-9A-HJ-NPQRTUWXY]{10}$",
                             "统一社会信用代码应为 18 位：前 8 位为数字，其余为数字或大写字母（不含 I、O、S、V、Z）")
REGION_CODE = r"^[0-9]{12}$"
REGION_FORMAT = RegexValidator(REGION_CODE, "区划代码应为 12 位数字")
PHONE_FORMAT = RegexValidator(r"^(?:1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})$",
                              "电话号码应为 11 位手机号，或带区号的固定电话（如 0478-8602073）")


def _default_messages(field: serializers.Field) -> dict[str, str]:
    out: dict[str, str] = {}
    for cls in reversed(type(field).__mro__):
        out.update({k: str(v) for k, v in getattr(cls, "default_error_messages", {}).items()})
    return out


EMPTY_KEYS = ("required", "blank", "null")
BOUND_VALIDATORS = (validators.MaxValueValidator, validators.MinValueValidator, validators.MaxLengthValidator,
                    validators.MinLengthValidator)


def name_field_errors(field: serializers.Field) -> None:
    """DRF's messages say "该字段…"; with a Chinese label they name the field: "监护人姓名不能为空",
    "纬度：请确保该值小于或者等于 90。". Messages a field was given explicitly are kept as they are."""
    label = str(field.label or "")
    if not label or label.isascii():
        return
    defaults = _default_messages(field)
    for key, message in list(field.error_messages.items()):
        if str(message) != defaults.get(key):
            continue
        if key in EMPTY_KEYS:
            field.error_messages[key] = f"{label}不能为空"
        elif key == "overflow":
            field.error_messages[key] = f"{label}：数值过大"
        else:
            field.error_messages[key] = f"{label}：{message}"
    # Bounds and lengths are checked by validators DRF built from the unnamed messages; name them too
    # (on copies: a validator object may be shared with the model field).
    named = []
    for v in field.validators:
        if isinstance(v, BOUND_VALIDATORS) and not str(v.message).startswith(label):
            v = copy.copy(v)
            v.message = f"{label}：{v.message}"
        named.append(v)
    field.validators = named


class NamedErrorsMixin:
    def get_fields(self):
        fields = super().get_fields()  # type: ignore[misc]
        for field in fields.values():
            name_field_errors(field)
        return fields


# The JSON type each field takes, as the schema states it. DRF is more lenient (123 for a string, "5" for an
# integer, "true" for a boolean); the API is not, so what the schema calls invalid is refused.
JSON_TYPES: list[tuple[type[serializers.Field], tuple[type, ...], str]] = [
    (serializers.BooleanField, (bool,), "true 或 false"),
    (serializers.IntegerField, (int,), "整数"),
    (serializers.FloatField, (int, float), "数字"),
    (serializers.DecimalField, (str,), "数字字符串（如 \"12.50\"）"),
    (serializers.ChoiceField, (str,), "文本"),
    (serializers.CharField, (str,), "文本"),
    (serializers.DateField, (str,), "日期文本 YYYY-MM-DD"),
    (serializers.DateTimeField, (str,), "日期时间文本"),
    (serializers.PrimaryKeyRelatedField, (int,), "记录编号（整数）"),
    (serializers.SlugRelatedField, (str,), "文本"),
]


def json_type_errors(fields: Mapping[str, serializers.Field], data: Mapping[str, Any]) -> dict[str, list[str]]:
    errors = {}
    for name, field in fields.items():
        if field.read_only or name not in data or data[name] is None:
            continue  # absent and null values are DRF's to judge (required, allow_null)
        for cls, types, what in [(RegionField, (str,), "文本（12 位区划代码）"), *JSON_TYPES]:
            if isinstance(field, cls):
                value = data[name]
                if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
                    label = str(field.label) if field.label and not str(field.label).isascii() else "该字段"
                    errors[name] = [f"{label}应为{what}"]
                break
    return errors


class StrictTypesMixin:
    def to_internal_value(self, data):
        if isinstance(data, dict) and not isinstance(data, QueryDict):  # JSON; form data is all strings
            errors = json_type_errors(self.fields, data)  # type: ignore[attr-defined]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)  # type: ignore[misc]


class Serializer(StrictTypesMixin, NamedErrorsMixin, serializers.Serializer):
    """The API's serializer base: JSON types as the schema states them, messages that name the field."""


class ModelSerializer(StrictTypesMixin, NamedErrorsMixin, serializers.ModelSerializer):
    """The API's model serializer base: JSON types as the schema states them, messages that name the field."""

    def get_fields(self):
        fields = super().get_fields()
        # DRF drops ``allow_blank`` from read-only fields, so the schema would promise a choice where a
        # blank-allowed model field (检查结论 before the inspection ends) answers "".
        model: Any = self.Meta.model
        for name, field in fields.items():
            if isinstance(field, serializers.ChoiceField) and field.read_only:
                try:
                    model_field = model._meta.get_field(field.source or name)  # source is set on bind
                except FieldDoesNotExist:  # a property or a related path, not a model column
                    continue
                if getattr(model_field, "blank", False):
                    field.allow_blank = True
        return fields


class ScopedReadViewSet(viewsets.ReadOnlyModelViewSet):
    """Every API queryset is the viewset's own ``queryset`` (with its joins) narrowed by ``for_user``.
    Reads, plus whatever actions a subclass adds: for records that arise from a process (an inspection
    from a draw), not from a POST to the list."""

    http_method_names = ["get", "post", "head", "options"]
    lookup_value_regex = ID_PATTERN
    queryset: ScopedQuerySet  # each viewset's own, with its joins; never evaluated unscoped

    def scope_action(self) -> Action:
        """The ``for_user`` action a request needs: view for reads, add for create, change for other writes."""
        method = self.request.method
        if method in SAFE_METHODS:
            return "view"
        if self.action == "create":
            return "add"
        return "delete" if method == "DELETE" else "change"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, no rows
            return self.queryset.none()
        return self.scoped(self.scope_action())

    def scoped(self, action: Action = "view") -> ScopedQuerySet:
        """The viewset's rows the user may ``action``; also for re-reading a row just written."""
        return self.queryset.all().for_user(self.request.user, action)


class ScopedViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, mixins.DestroyModelMixin, ScopedReadViewSet):
    """A scoped viewset with writes; each runs in one transaction and is re-checked by the services."""

    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

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


class ResourcePermission(BasePermission):
    """A role without the resource (e.g. an inspector for 老年人) is refused outright, not shown an empty list."""

    message = "您的角色无权访问此类记录"

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not getattr(user, "is_authenticated", False):
            return False
        if request.method.lower() not in view.http_method_names:
            return True  # answered 405 by the view
        return allows(user.role, view.queryset.model.scope_resource, view.scope_action())


class ScopedRelatedField:
    """Mixin for relational serializer fields: only objects the requester may see are accepted.

    ``queryset`` is the unscoped base; the field narrows it with ``for_user(request.user, action)``, or, for a
    model scoped through a parent (a plan's rows), with the parent's ``for_user`` via ``scope_through``.
    Anything else (another county's record, an id that does not exist) is one 400 with a Chinese message,
    so the answer does not reveal whether the record exists.
    """

    def __init__(self, *args: Any, scope_action: str = "view", scope_through: str = "", **kwargs: Any) -> None:
        self.scope_action = scope_action
        self.scope_through = scope_through
        super().__init__(*args, **kwargs)

    def get_queryset(self):
        qs = super().get_queryset()  # type: ignore[misc]
        request = self.context.get("request")  # type: ignore[attr-defined]
        user = getattr(request, "user", None)
        if not self.scope_through:
            return qs.for_user(user, self.scope_action)
        parent = qs.model._meta.get_field(self.scope_through).related_model
        visible = parent.objects.for_user(user, self.scope_action).values("pk")
        return qs.unscoped("narrowed to records whose parent the user may see").filter(
            **{f"{self.scope_through}__in": visible})

    def fail(self, key: str, **kwargs: Any):
        label = self.label or "所选记录"  # type: ignore[attr-defined]
        if key == "does_not_exist":
            raise serializers.ValidationError(f"{label}不存在或不在您的管辖范围内", code=key)
        if key == "incorrect_type":
            raise serializers.ValidationError(f"{label}应为记录编号（整数）", code=key)
        return super().fail(key, **kwargs)  # type: ignore[misc]


class ScopedPrimaryKeyRelatedField(ScopedRelatedField, serializers.PrimaryKeyRelatedField):
    pass


@extend_schema_field({"type": "string", "pattern": REGION_CODE, "description": "12 位区划代码"})
class RegionField(serializers.PrimaryKeyRelatedField):
    """A region by its 12-digit code. Regions are reference data, not scoped records: whether the user may
    place a record there is the service's check (``所在区划…不在您的管辖范围内``)."""

    def __init__(self, **kwargs: Any) -> None:
        from ylyx.regions.models import Region

        kwargs.setdefault("queryset", Region.objects.all())
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str) or not re.match(REGION_CODE, data):
            raise serializers.ValidationError(REGION_FORMAT.message, code="invalid")
        regions: Any = self.get_queryset()
        region = regions.filter(pk=data).first()
        if region is None:
            raise serializers.ValidationError(f"区划代码“{data}”不存在", code="does_not_exist")
        return region


def error_response(message: str, status: int = 400) -> Response:
    return Response({"detail": message}, status=status)
