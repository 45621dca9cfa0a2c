"""REST API for home services and the time bank: the same services as the pages, querysets from ``for_user``.

/api/care/orders/              GET; {id}/dispatch/ {id}/check-in/ {id}/check-out/ {id}/rate/ POST
/api/care/timebank-accounts/   GET; {id}/withdraw/ POST (exactly once per key)
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from ylyx.core.permissions import Action, allows
from ylyx.generic.api import ModelSerializer, ScopedReadViewSet, Serializer

from . import services
from .models import LedgerEntry, ServiceOrder, TimeBankAccount


class CareReadViewSet(ScopedReadViewSet):
    def scope_action(self) -> Action:
        return "view"

    def get_queryset(self):
        if not getattr(self, "swagger_fake_view", False) and not allows(
                getattr(self.request.user, "role", ""), self.queryset.model.scope_resource, "view"):
            raise exceptions.PermissionDenied("无权查看")
        return super().get_queryset()


class OrderSerializer(ModelSerializer):
    item_name = serializers.CharField(source="item.name", read_only=True, label="服务项目")

    class Meta:
        model = ServiceOrder
        fields = ["id", "person", "region", "item", "item_name", "provider", "ordered_by", "family_link", "wanted_on",
                  "price", "status", "worker", "checkin_at", "checkin_place", "checkout_at", "rating",
                  "rating_comment"]
        read_only_fields = fields


class DispatchInput(Serializer):
    worker = serializers.CharField(max_length=50, label="服务人员")


class CheckInInput(Serializer):
    place = serializers.CharField(max_length=60, label="签到位置")


class RateInput(Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5, label="评价（1–5）")
    comment = serializers.CharField(max_length=200, required=False, allow_blank=True, label="评价内容")


class EmptyInput(Serializer):
    pass


class OrderViewSet(CareReadViewSet):
    """服务订单: the provider dispatches, checks in and out; the officer records the rating."""

    queryset = ServiceOrder.objects.select_related("item")
    serializer_class = OrderSerializer
    ordering = ["-wanted_on", "-id"]

    def respond(self, obj) -> Response:
        return Response(self.get_serializer(obj).data)

    @extend_schema(request=DispatchInput, responses=OrderSerializer, summary="派单")
    @action(detail=True, methods=["post"], url_path="dispatch")
    def send_out(self, request: Request, pk=None):  # not "dispatch": that name is the view's own entry point
        ser = DispatchInput(data=request.data)
        ser.is_valid(raise_exception=True)
        return self.respond(services.dispatch(request.user, self.get_object(), ser.validated_data["worker"]))

    @extend_schema(request=CheckInInput, responses=OrderSerializer, summary="服务签到")
    @action(detail=True, methods=["post"], url_path="check-in")
    def check_in(self, request: Request, pk=None):
        ser = CheckInInput(data=request.data)
        ser.is_valid(raise_exception=True)
        return self.respond(services.check_in(request.user, self.get_object(), ser.validated_data["place"]))

    @extend_schema(request=EmptyInput, responses=OrderSerializer, summary="服务签退")
    @action(detail=True, methods=["post"], url_path="check-out")
    def check_out(self, request: Request, pk=None):
        return self.respond(services.check_out(request.user, self.get_object()))

    @extend_schema(request=RateInput, responses=OrderSerializer, summary="服务评价")
    @action(detail=True, methods=["post"])
    def rate(self, request: Request, pk=None):
        ser = RateInput(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        return self.respond(services.rate(request.user, self.get_object(), d["rating"], d.get("comment", "")))


class AccountSerializer(ModelSerializer):
    class Meta:
        model = TimeBankAccount
        fields = ["id", "region", "volunteer", "person", "balance", "opened_on"]
        read_only_fields = fields


class EntrySerializer(ModelSerializer):
    class Meta:
        model = LedgerEntry
        fields = ["id", "account", "kind", "minutes", "balance_after", "key", "counterpart", "memo", "created_at"]
        read_only_fields = fields


class WithdrawInput(Serializer):
    minutes = serializers.IntegerField(min_value=1, max_value=services.MAX_MINUTES, label="分钟")
    key = serializers.CharField(min_length=8, max_length=70, label="操作编号（重发同一编号只记一次）")
    memo = serializers.CharField(max_length=100, required=False, allow_blank=True, label="摘要")


class AccountViewSet(CareReadViewSet):
    """时间银行账户; POST {id}/withdraw/ spends time for the holder's own care, exactly once per key."""

    queryset = TimeBankAccount.objects.all()
    serializer_class = AccountSerializer
    ordering = ["id"]

    @extend_schema(request=WithdrawInput, responses=EntrySerializer, summary="兑换服务（扣减时间）")
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk=None):
        ser = WithdrawInput(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        entry = services.withdraw(request.user, self.get_object(), d["minutes"], d["key"], d.get("memo", ""))
        return Response(EntrySerializer(entry).data)


def register(router) -> None:
    router.register("care/orders", OrderViewSet, basename="care-order")
    router.register("care/timebank-accounts", AccountViewSet, basename="care-timebank-account")
