"""API pagination and error bodies; kept apart from api.py because DRF imports them while loading."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, pagination, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from .errors import Conflict
from .middleware import current_request_id

logger = logging.getLogger("ylyx.api")
SERVER_ERROR = "服务器内部错误"


class Pagination(pagination.PageNumberPagination):
    """Page numbers from 1; a malformed ``page`` or ``page_size`` is a 400, a page past the end a 404."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    last_page_strings = ()

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param, "")
        if raw == "":
            return self.page_size
        if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise exceptions.ValidationError(
                {self.page_size_query_param: [f"每页条数应为 1 到 {self.max_page_size} 之间的整数"]})
        return int(raw)

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param, "")
        if raw == "":
            return 1
        if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
            raise exceptions.ValidationError({self.page_query_param: ["页码应为从 1 开始的整数"]})
        return int(raw)

    invalid_page_message = "页码超出范围"

    def get_schema_operation_parameters(self, view):
        params = super().get_schema_operation_parameters(view)
        for p in params:
            if p["name"] == self.page_query_param:
                p["schema"].update(minimum=1)
                p["description"] = "页码，从 1 开始；超出末页时返回 404"
            elif p["name"] == self.page_size_query_param:
                p["schema"].update(minimum=1, maximum=self.max_page_size)
                p["description"] = f"每页条数，1 到 {self.max_page_size}，默认 {self.page_size}"
        return params


def exception_handler(exc, context):
    """Django's exceptions as DRF's (Chinese bodies); anything unexpected is a logged 500 with the request id."""
    if isinstance(exc, Conflict):
        exc = exceptions.ValidationError(detail=_detail(exc))
        response = drf_exception_handler(exc, context)
        if response is not None:
            response.status_code = status.HTTP_409_CONFLICT
            response.data = flatten_errors(response.data)
        return response
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=_detail(exc))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(detail=str(exc) or "无权执行此操作")
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(detail="未找到")
    elif isinstance(exc, exceptions.ParseError):  # DRF's message is English and quotes the parser's error
        exc = exceptions.ParseError(detail="请求体格式错误，无法解析（接口接受 JSON）")
    response = drf_exception_handler(exc, context)
    if response is not None:
        if isinstance(exc, exceptions.ValidationError):
            response.data = flatten_errors(response.data)
        return response
    request = context.get("request")
    logger.error("API 未处理的异常：%s %s", getattr(request, "method", ""), getattr(request, "path", ""),
                 exc_info=(type(exc), exc, exc.__traceback__))
    set_rollback()
    return Response({"detail": SERVER_ERROR, "request_id": current_request_id()},
                    status=status.HTTP_500_INTERNAL_SERVER_ERROR)


def flatten_errors(data: Any) -> Any:
    """Nested serializer errors as one level, ``{"items.0.result": ["…"]}``: the error shape the schema
    declares (field → list of messages) holds for nested lists and dicts too."""
    if not isinstance(data, dict):
        return data
    out: dict[str, list[str]] = {}

    def walk(value: Any, key: str) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, f"{key}.{k}" if key else str(k))
        elif isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
            for i, v in enumerate(value):
                if v:  # DRF puts {} for the valid items of a list
                    walk(v, f"{key}.{i}" if key else str(i))
        else:
            out.setdefault(key or "non_field_errors", []).extend(
                str(v) for v in (value if isinstance(value, list) else [value]))

    walk(data, "")
    return out


def _detail(exc: DjangoValidationError):
    return exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
