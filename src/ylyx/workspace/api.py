"""GET /api/stats/?region=150800&date=2020-12-31: :func:`ylyx.workspace.stats.registry_stats` over REST.

Aggregates only, no personal data. Roles that may view institutions may ask; the region must be inside
the user's own region subtree, otherwise the answer is 404 (as for any object outside one's scope).
Operators are scoped to an institution, not a region, so every region is outside their scope.
"""

from __future__ import annotations

import datetime as dt
import re

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView

from ylyx.core.permissions import Role, allows
from ylyx.core.validators import iso_date, validate_region_code

from .stats import registry_stats

REGION_PARAM = re.compile(r"^(?:[0-9]{6}|[0-9]{12})$")


class RegistryStatsView(APIView):
    extra_error_codes = ("404",)  # a region outside the user's scope

    @extend_schema(
        summary="按区划和日期的登记统计",
        parameters=[
            OpenApiParameter("region", OpenApiTypes.STR, pattern=REGION_PARAM.pattern,
                             description="行政区划代码（6 位或 12 位），默认本人管辖区划"),
            OpenApiParameter("date", OpenApiTypes.DATE, description="统计日期 YYYY-MM-DD，默认今天"),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        user = request.user
        if not allows(user.role, "institution", "view"):
            raise exceptions.PermissionDenied("无权查看登记统计")
        raw_date = request.query_params.get("date", "")
        try:
            on = iso_date(raw_date) if raw_date else dt.date.today()
        except ValueError:
            raise exceptions.ValidationError({"date": [f"日期格式错误：{raw_date[:20]}，应为 YYYY-MM-DD"]}) from None
        raw_region = request.query_params.get("region", "")
        if raw_region and not REGION_PARAM.match(raw_region):
            raise exceptions.ValidationError({"region": ["行政区划代码应为 6 位或 12 位数字"]})
        code = validate_region_code(raw_region or user.region_id or "000000")
        prefix = user.region_prefix if user.role != Role.OPERATOR else ""
        if not prefix or not code.startswith(prefix):
            raise exceptions.NotFound("未找到该区划，或不在您的管辖范围内")
        try:
            data = registry_stats(code, on)
        except ValueError:
            raise exceptions.NotFound("未找到该区划，或不在您的管辖范围内") from None
        return Response(data)
