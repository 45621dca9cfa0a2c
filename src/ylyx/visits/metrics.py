"""The monthly visit rate (特殊困难老年人月探访率) for the indicator engine, registered in ``VisitsConfig.ready``.

For a date ``d`` the month is d's calendar month: the denominator counts the month's visit tasks (older
people in special difficulty due a visit under their region's rule), the numerator those with a visit
recorded on or before ``d``. Both are counts per task region code, so the engine's rollup gives the ratio
of sums at every level. standards.md marks the formula and the 100% target [U]: docs/standards-config.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db.models import Count, Q

from ylyx.core.scoping import prefix_q
from ylyx.indicators import formulas as IF
from ylyx.indicators.selectors import register_metric_source

AGG = "sums over a region prefix for the indicator engine; pages check the region is in the user's scope"

METRICS = [
    IF.Metric("visit_tasks_due", "该月应探访的特殊困难老年人数（探访任务数）"),
    IF.Metric("visit_tasks_visited", "其中至该日已探访的人数"),
]
DEFINITIONS = [
    IF.Definition("monthly_visit_rate", "特殊困难老年人月探访率", "%", "visit_tasks_visited", "visit_tasks_due", 100,
                  "该月至该日已探访的特殊困难老年人数 ÷ 该月应探访的特殊困难老年人数 × 100（按区划的探访规则）"),
]
CODES = [d.code for d in DEFINITIONS]


def gather(prefix: str, dates: Sequence[dt.date], names: list[str]) -> dict:
    from ylyx.visits.models import Visit, VisitTask

    dates = list(dates)
    out: dict[str, list] = {"visit_tasks_due": [], "visit_tasks_visited": []}
    for d in dates:
        first = d.replace(day=1)
        due = dict(VisitTask.objects.unscoped(AGG).filter(prefix_q("region_id", prefix), month=first)
                   .exclude(status="cancelled").values("region_id").annotate(n=Count("id")).order_by()
                   .values_list("region_id", "n"))
        visited_tasks = Visit.objects.unscoped(AGG).filter(prefix_q("region_id", prefix), visited_on__lte=d,
                                                           visited_on__gte=first).values("task_id")
        seen = dict(VisitTask.objects.unscoped(AGG).filter(prefix_q("region_id", prefix), month=first)
                    .filter(Q(pk__in=visited_tasks)).values("region_id").annotate(n=Count("id")).order_by()
                    .values_list("region_id", "n"))
        out["visit_tasks_due"].append((list(due), [float(v) for v in due.values()]))
        out["visit_tasks_visited"].append((list(seen), [float(v) for v in seen.values()]))
    return {k: v for k, v in out.items() if k in names}


def register() -> None:
    IF.register(METRICS, DEFINITIONS)
    register_metric_source([m.code for m in METRICS], gather)
