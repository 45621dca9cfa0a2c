"""Care to-dos: 家庭养老床位 whose provider fell short of the plan's visits last month (one grouped item)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.urls import reverse
from django.utils import timezone

from ylyx.core.permissions import allows
from ylyx.core.todo import Todo

from . import services
from .models import HomeCareBed


def missed_bed_services(user: Any) -> Iterable[Todo]:
    if not allows(getattr(user, "role", ""), "home_service", "change"):
        return []
    last_month = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
    missed = services.missed_bed_services(HomeCareBed.objects.for_user(user, "view"), last_month)
    if not missed:
        return []
    return [Todo("home_care_bed", f"{last_month:%m}月 {len(missed)} 张家庭养老床位上门服务不足", reverse("care:home"),
                 count=len(missed), priority=2)]
