"""Care reads, always through ``for_user``."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import HomeCareBed, MealPoint, ServiceOrder, TimeBankAccount


def orders(user: Any) -> QuerySet:
    return ServiceOrder.objects.for_user(user, "view").select_related("item", "provider", "person")


def accounts(user: Any) -> QuerySet:
    return TimeBankAccount.objects.for_user(user, "view").select_related("volunteer", "person")


def beds(user: Any) -> QuerySet:
    return HomeCareBed.objects.for_user(user, "view").select_related("person", "provider")


def meal_points(user: Any) -> QuerySet:
    return MealPoint.objects.for_user(user, "view").select_related("region")
