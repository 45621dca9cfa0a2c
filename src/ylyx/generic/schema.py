"""The OpenAPI schema tells the truth: error responses, typed filters and empty query values, in one place.

``ScopedAutoSchema`` (``DEFAULT_SCHEMA_CLASS``) adds to every operation the error answers it can give, by
method and shape, so no view needs a decorator for them:

- 400 (field errors) when the operation takes a body or query parameters;
- 401 always (every endpoint needs a token or a session), 403 always (roles), 500 always (with a request id);
- 404 when the path names an object (another region's object is a 404 too, security.md SEC-AC-5) and for
  lists (a page past the end); 409 for writes (a duplicate, or a workflow step the current state forbids),
  unless the view lists the action in ``no_conflict_actions``; 415 when a body is accepted.

A view may add codes (``extra_error_codes``) and, for writes, a body of its own beside the field errors
(``error_bodies``, e.g. a refused import answers with the batch and its reason).

Filters are described from their form fields, so the stated types, enums, bounds and patterns are the ones
the server checks; an empty query value means "not given" (django-filter, DRF pagination), which the
schema says with ``allowEmptyValue``.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core import validators
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import serializers

from .api import ID_PATTERN

MESSAGE = {"type": "string", "description": "中文说明"}
MESSAGES = {"type": "array", "items": {"type": "string"}}
ERROR_COMPONENTS: dict[str, dict[str, Any]] = {
    "Error": {
        "type": "object",
        "description": "错误说明",
        "properties": {"detail": MESSAGE},
        "required": ["detail"],
    },
    "ValidationError": {
        "type": "object",
        "description": "校验错误：字段名 → 错误信息列表；与字段无关的错误在 non_field_errors 或 detail 中",
        "properties": {"detail": MESSAGE, "non_field_errors": MESSAGES},
        "additionalProperties": MESSAGES,
    },
    "ServerError": {
        "type": "object",
        "description": "服务器内部错误；request_id 与响应头 X-Request-ID 及服务器日志中的编号相同",
        "properties": {"detail": MESSAGE, "request_id": {"type": "string"}},
        "required": ["detail", "request_id"],
    },
}
DESCRIPTIONS = {
    "400": ("ValidationError", "请求数据或查询参数有误"),
    "401": ("Error", "未登录或令牌无效"),
    "403": ("Error", "您的角色无权执行此操作"),
    "404": ("Error", "记录不存在或不在您的管辖范围内（与不存在不作区分）"),
    "409": ("ValidationError", "与记录当前状态冲突：重复登记，或当前状态不允许此操作"),
    "415": ("Error", "不支持的请求体格式"),
    "500": ("ServerError", "服务器内部错误"),
}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
NO_NUL = r"^[^\u0000]*$"
NOT_BLANK = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"


class ScopedAutoSchema(AutoSchema):
    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        refs = {}
        for name, schema in ERROR_COMPONENTS.items():
            component = ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, object=name, schema=schema)
            self.registry.register_on_missing(component)
            refs[name] = component.ref
        responses = operation["responses"]
        extra_bodies = getattr(self.view, "error_bodies", {})
        for code in self._error_codes(operation):
            if code in responses:
                continue
            name, description = DESCRIPTIONS[code]
            schema = refs[name]
            if code in extra_bodies:  # e.g. a refused import: the batch as stored, with the reason
                extra = self.resolve_serializer(extra_bodies[code], "response")
                schema = {"anyOf": [refs[name], extra.ref]}
            responses[code] = {"content": {"application/json": {"schema": schema}}, "description": description}
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _error_codes(self, operation: dict) -> list[str]:
        codes = ["401", "403", "500"]
        has_body = "requestBody" in operation
        has_query = any(p.get("in") == "query" for p in operation.get("parameters", ()))
        if has_body or has_query:
            codes.append("400")
        if "{" in self.path or self._is_list_view():
            codes.append("404")
        action = getattr(self.view, "action", None)
        if self.method in WRITE_METHODS and action not in getattr(self.view, "no_conflict_actions", ()):
            codes.append("409")
        if has_body:
            codes.append("415")
        codes += getattr(self.view, "extra_error_codes", ())
        if self.method in WRITE_METHODS:
            codes += getattr(self.view, "error_bodies", {})
        return sorted(set(codes))

    def _get_parameters(self):
        params = super()._get_parameters()
        for p in params:
            # django-filter and DRF read an empty value as "not given"; say so, so clients may send one.
            if p.get("in") == "query" and not p.get("required"):
                p["allowEmptyValue"] = True
            # Object ids: the URL only routes digits (ID_PATTERN), so the id is a positive integer.
            if p.get("in") == "path" and p.get("schema", {}).get("pattern") == f"^{ID_PATTERN}$":
                p["schema"] = {"type": "integer", "minimum": 1}
        return params

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if not isinstance(schema, dict) or schema.get("type") != "string":
            return schema
        if isinstance(field, serializers.DecimalField) and field.max_whole_digits is not None:
            # drf-spectacular's pattern also admits "", "-" and "."; state what DRF actually parses.
            whole, places = field.max_whole_digits, field.decimal_places
            schema["pattern"] = rf"^-?(?:[0-9]{{1,{whole}}}(?:\.[0-9]{{0,{places}}})?|\.[0-9]{{1,{places}}})$"
        elif (direction == "request" and type(field) is serializers.CharField and "format" not in schema
              and not any(isinstance(v, validators.RegexValidator) for v in field.validators)):
            # DRF refuses NUL characters, and trims whitespace before its "may not be blank" check.
            if field.allow_blank or not field.trim_whitespace:
                schema["pattern"] = NO_NUL
            else:
                schema["pattern"] = NOT_BLANK
        return schema

    def _insert_field_validators(self, field, schema):
        # A blank-allowed field's NUL rule admits "" already; drf-spectacular would add a second branch for
        # the empty string, and "" matching both branches of its oneOf would make "" invalid.
        no_nul = schema.pop("pattern", None) if schema.get("pattern") == NO_NUL else None
        super()._insert_field_validators(field, schema)
        if no_nul:
            schema["pattern"] = no_nul


class StrictDjangoFilterExtension(DjangoFilterExtension):
    """Filter parameters as the form field checks them (type, enum, bounds, pattern), not as the model guesses."""

    priority = 1

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        params = super().resolve_filter_field(auto_schema, model, filterset_class, field_name, filter_field)
        schema = filter_schema(filter_field)
        if schema is not None:
            for p in params:
                description = p["schema"].get("description")
                p["schema"] = dict(schema, **({"description": description} if description else {}))
        return params


def filter_schema(filter_field) -> dict | None:
    field_class = filter_field.field_class
    extra = filter_field.extra
    if issubclass(field_class, forms.ChoiceField):
        choices = extra.get("choices")
        if callable(choices):
            choices = choices()
        if not choices:
            return None
        return {"type": "string", "enum": [str(k) for k, _ in choices if k != ""]}
    if issubclass(field_class, forms.NullBooleanField):
        return {"type": "boolean"}
    if issubclass(field_class, (forms.IntegerField, forms.DecimalField, forms.FloatField)):
        integer = not issubclass(field_class, (forms.DecimalField, forms.FloatField))
        schema: dict[str, Any] = {"type": "integer" if integer else "number"}
        bounds = {"minimum": extra.get("min_value"), "maximum": extra.get("max_value")}
        for v in extra.get("validators", ()):  # the narrowest bound wins
            if isinstance(v, validators.MinValueValidator) and (bounds["minimum"] is None
                                                                or v.limit_value > bounds["minimum"]):
                bounds["minimum"] = v.limit_value
            elif isinstance(v, validators.MaxValueValidator) and (bounds["maximum"] is None
                                                                  or v.limit_value < bounds["maximum"]):
                bounds["maximum"] = v.limit_value
        schema.update({k: v for k, v in bounds.items() if v is not None})
        return schema
    if issubclass(field_class, forms.CharField):
        schema = {"type": "string"}
        if extra.get("max_length"):
            schema["maxLength"] = extra["max_length"]
        for v in extra.get("validators", ()):
            if isinstance(v, validators.RegexValidator):
                pattern = v.regex if isinstance(v.regex, str) else v.regex.pattern
                schema["pattern"] = re.sub(r"\\Z$", "$", pattern)
        return schema
    return None
