"""Re-assessments due (the interval has passed or a change of condition was reported), and assessments
waiting for the second assessor's signature; read through ``for_user``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.urls import reverse
from django.utils import timezone

from ylyx.core.permissions import allows
from ylyx.core.todo import Todo

from . import config
from .models import Assessment, Status

LIMIT = 20


def reassessments(user: Any) -> Iterable[Todo]:
    if not allows(getattr(user, "role", ""), "assessment", "add"):
        return []
    today = timezone.localdate()
    horizon = today + dt.timedelta(days=int(config.get("due_warn_days")))
    qs = (Assessment.objects.for_user(user, "view").filter(status=Status.COMPLETED, is_legacy=False,
                                                             next_due__lte=horizon).order_by("next_due", "id"))
    n = qs.count()
    if not n:
        return []
    items = [Todo("reassessment", f"能力复评：{a.person.name_masked}（上次 {a.assessed_on:%Y-%m-%d}）",
                  reverse("assessments:detail", args=[a.pk]), region_code=a.region_id, due=a.next_due, priority=1)
             for a in qs.select_related("person")[:LIMIT]]
    if n > LIMIT:
        items.append(Todo("reassessment", f"另有 {n - LIMIT} 人待复评", reverse("assessments:list") + "?due=1",
                          count=n - LIMIT, due=items[-1].due))
    return items


def signatures(user: Any) -> Iterable[Todo]:
    if not allows(getattr(user, "role", ""), "assessment", "change"):
        return []
    qs = (Assessment.objects.for_user(user, "change").filter(status=Status.SUBMITTED).exclude(first_assessor=user)
          .select_related("person").order_by("assessed_on", "id"))
    return [Todo("assessment_sign", f"确认能力评估（第二评估员）：{a.person.name_masked}",
                 reverse("assessments:detail", args=[a.pk]), region_code=a.region_id, due=a.assessed_on, priority=2)
            for a in qs[:LIMIT]]


PROVIDERS = {"reassessment": reassessments, "assessment_sign": signatures}
