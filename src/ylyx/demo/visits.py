"""探访 and 助餐 in the demo city: a city visit rule, one visitor per town (demo_jiedao for its own town), the
tasks of the last three months with visits to most of them, and a meal point per town with daily counts.

Deterministic (the build's seeded generator, fixed dates relative to the build's ``today``). Tasks are made by
the visits service (the same set-based generation as production); the visits and meal counts are written in
bulk, as history. All records are synthetic.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
from django.utils import timezone

VISITED_SHARE = (0.97, 0.92)  # months before the current one; the current month is only begun


def _months_back(d: dt.date, n: int) -> dt.date:
    y, m = divmod(d.year * 12 + d.month - 1 - n, 12)
    return dt.date(y, m + 1, 1)


def _visit_in_bulk(month: dt.date, percent: int, days: list[dt.date]) -> int:
    """Visits to ``percent``% of the month's assigned tasks as one INSERT … SELECT (history, not the service),
    each with a UUID derived from its task id, then the visited tasks marked done; the same on both databases."""
    from django.db import connection

    from ylyx.visits.models import Visit, VisitTask

    ops = connection.ops
    if connection.vendor == "postgresql":
        uid = "('00000000-0000-4000-8000-' || lpad(t.id::text, 12, '0'))::uuid"
    else:  # Django keeps UUIDs on SQLite as 32 hex digits
        uid = "'00000000000040008000' || printf('%%012d', t.id)"  # "%%" is "%" after the driver
    v, t = Visit._meta.db_table, VisitTask._meta.db_table
    sql = (f"INSERT INTO {v} (client_uuid, task_id, person_id, region_id, visitor_id, visited_on, mode, health, "  # noqa: S608
           f"safety, living, needs, risks, recorded_at, synced_offline) SELECT {uid}, t.id, t.person_id, t.region_id, "
           f"t.assignee_id, CASE WHEN t.id %% 3 = 0 THEN %s WHEN t.id %% 3 = 1 THEN %s ELSE %s END, "
           f"CASE WHEN t.id %% 4 = 0 THEN 'phone' ELSE 'home' END, '基本稳定', '', '生活能自理', '', '[]', %s, %s "
           f"FROM {t} t WHERE t.month = %s AND t.assignee_id IS NOT NULL AND t.id %% 100 < %s")
    day_params = [ops.adapt_datefield_value(d) for d in days]
    with connection.cursor() as cur:
        cur.execute(sql, [*day_params, ops.adapt_datetimefield_value(timezone.now()), False,
                          ops.adapt_datefield_value(month), percent])
        n = cur.rowcount
        done = (f"UPDATE {t} SET status = 'done', done_count = 1 WHERE month = %s AND EXISTS "  # noqa: S608
                f"(SELECT 1 FROM {v} v WHERE v.task_id = {t}.id)")
        cur.execute(done, [ops.adapt_datefield_value(month)])
    return n


def build(rng: np.random.Generator, log: Callable[[str], None] = print) -> dict[str, int]:
    from ylyx.accounts.models import User
    from ylyx.care.models import MealDailyCount, MealPoint
    from ylyx.regions.models import Region
    from ylyx.visits import services
    from ylyx.visits.models import VisitorArea, VisitRule

    city = Region.objects.get(code="150800000000")
    towns = list(Region.objects.filter(level=4, code__startswith="1508").order_by("code"))
    VisitRule.objects.create(region=city, name="巴彦淖尔市特殊困难老年人（演示）", living_situations=[
        "alone", "empty_nest", "left_behind", "gugua"], economic_statuses=["tekun", "dibao"],
        disability_grades=["1", "2"], special_family=True, age_always=85)
    jiedao = User.objects.filter(username="demo_jiedao").first()
    visitors = []
    for t in towns:
        if jiedao is not None and jiedao.region_id == t.code:
            visitors.append(jiedao)
        else:
            visitors.append(User(username=f"wgy_{t.code}", role="town_officer", region=t, display_name=f"{t.name}网格员",
                                 password="!"))
    User.objects.bulk_create([u for u in visitors if u.pk is None])
    VisitorArea.objects.bulk_create([VisitorArea(visitor=u, region=t) for u, t in zip(visitors, towns, strict=True)])

    today = timezone.localdate()
    counts = {"tasks": 0, "visits": 0}
    for back in (2, 1, 0):
        month = _months_back(today, back)
        res = services.generate_month(None, city, month)
        counts["tasks"] += res["created"]
        share = VISITED_SHARE[2 - back] if back else min(0.9, today.day / 25)
        last_day = min(today, _months_back(month, -1) - dt.timedelta(days=1))
        days = sorted({month.replace(day=max(1, int(d))) for d in rng.integers(1, last_day.day + 1, size=3)})
        days += [days[-1]] * (3 - len(days))
        counts["visits"] += _visit_in_bulk(month, int(share * 100), days)

    first_village: dict[str, str] = {}
    for code in Region.objects.filter(level=5, code__startswith="1508").order_by("code").values_list("code", flat=True):
        first_village.setdefault(code[:9], code)
    points = MealPoint.objects.bulk_create([MealPoint(region_id=first_village[t.code[:9]], name=f"{t.name}老年餐桌",
                                                      seats=int(rng.integers(20, 80)), opened_on=dt.date(2024, 1, 1))
                                            for t in towns if t.code[:9] in first_village])
    meal_rows = []
    for p in points:
        for k in range(30):
            day = today - dt.timedelta(days=k + 1)
            meals = int(rng.integers(p.seats // 2, p.seats + 1))
            meal_rows.append(MealDailyCount(point=p, day=day, meals=meals, subsidised_meals=int(meals * 0.6)))
    MealDailyCount.objects.bulk_create(meal_rows, batch_size=5000)
    counts.update({"meal_points": len(points), "meal_days": len(meal_rows)})
    log(f"    探访任务 {counts['tasks']:,}，探访记录 {counts['visits']:,}，助餐点 {len(points)}")
    return counts
