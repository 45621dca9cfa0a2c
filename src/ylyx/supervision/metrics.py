"""Supervision indicators for the indicator engine: six catalogue definitions and the metrics behind them.

Registered in ``SupervisionConfig.ready`` (indicators never imports this app). Every metric is a count or a
sum per record region code for a date ``d``, over the calendar year to date ([1 January, d]) unless said
otherwise, so the engine's rollup makes every value a ratio of sums at every level.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from django.db.models import Count, F, Q

from ylyx.core.scoping import prefix_q
from ylyx.indicators import formulas as IF
from ylyx.indicators.selectors import register_metric_source

AGG = "sums over a region prefix for the indicator engine; pages check the region is in the user's scope"
SUPERVISED_KINDS = ("elder", "childcare")

METRICS = [
    IF.Metric("supervised_institutions", "该日运营中的养老机构和托育机构数"),
    IF.Metric("inspected_institutions", "当年至该日完成过检查的养老机构和托育机构数"),
    IF.Metric("results_due", "公示期限在当年至该日之间的检查结果数"),
    IF.Metric("results_on_time", "其中在公示期限内公示的检查结果数"),
    IF.Metric("rectifications_due", "整改期限在当年至该日之间的整改数"),
    IF.Metric("rectifications_closed", "其中至该日已复查通过的整改数"),
    IF.Metric("blacklisted_institutions", "该日在失信名单中的机构数"),
    IF.Metric("complaints_received", "当年至该日受理的投诉举报数"),
    IF.Metric("complaints_closed", "其中至该日已办结的投诉举报数"),
    IF.Metric("incidents_closed", "当年至该日结案的突发事件数"),
    IF.Metric("incident_hours", "这些突发事件从报告到结案的小时数之和"),
]

DEFINITIONS = [
    IF.Definition("inspection_coverage", "抽查覆盖率", "%", "inspected_institutions", "supervised_institutions", 100,
                  "当年至该日完成过检查的养老机构和托育机构数 ÷ 该日运营中的养老机构和托育机构数 × 100"),
    IF.Definition("publication_on_time_rate", "按期公示率", "%", "results_on_time", "results_due", 100,
                  "公示期限（检查后20个工作日）在当年至该日之间、且按期公示的检查结果数 ÷ 公示期限在此期间的检查结果数 × 100"),
    IF.Definition("rectification_completion_rate", "整改完成率", "%", "rectifications_closed", "rectifications_due", 100,
                  "整改期限在当年至该日之间、至该日已复查通过的整改数 ÷ 整改期限在此期间的整改数 × 100"),
    IF.Definition("blacklisted_institutions", "失信机构数", "家", "blacklisted_institutions", None, 1,
                  "该日在失信名单（黑名单）中的机构数"),
    IF.Definition("complaint_closure_rate", "投诉办结率", "%", "complaints_closed", "complaints_received", 100,
                  "当年至该日受理、至该日已办结的投诉举报数 ÷ 当年至该日受理的投诉举报数 × 100"),
    IF.Definition("incident_handling_hours", "突发事件处置时长", "小时", "incident_hours", "incidents_closed", 1,
                  "当年至该日结案的突发事件从报告到结案的小时数之和 ÷ 结案事件数（平均处置时长）"),
]
CODES = [d.code for d in DEFINITIONS]


def _year_window(d: dt.date, field: str) -> Q:
    return Q(**{f"{field}__gte": dt.date(d.year, 1, 1), f"{field}__lte": d})


def _split(rows: list[dict], names: Sequence[str], n: int) -> dict[str, list[tuple[list[str], list[float]]]]:
    out: dict[str, list[tuple[list[str], list[float]]]] = {}
    for name in names:
        per = []
        for i in range(n):
            codes, vals = [], []
            for r in rows:
                v = r.get(f"{name}__{i}")
                if v:
                    codes.append(r["region_id"])
                    vals.append(float(v))
            per.append((codes, vals))
        out[name] = per
    return out


def _grouped(qs, aggs: dict) -> list[dict]:
    return list(qs.values("region_id").annotate(**aggs).order_by()) if aggs else []


def gather(prefix: str, dates: Sequence[dt.date], names: list[str]) -> dict:
    """One grouped query per source table for all ``names`` and ``dates`` (like indicators.selectors)."""
    from ylyx.institutions.models import CapacityRecord

    from .models import Complaint, CreditListEntry, Incident, Inspection, InspectionStatus, Rectification

    dates = list(dates)
    first, last = dt.date(min(dates).year, 1, 1), max(dates)
    want = set(names)
    out: dict[str, list] = {}

    if "supervised_institutions" in want:
        aggs = {f"supervised_institutions__{i}": Count("id", filter=Q(valid_from__lte=d) & (
            Q(valid_to__isnull=True) | Q(valid_to__gt=d))) for i, d in enumerate(dates)}
        qs = CapacityRecord.objects.unscoped(AGG).filter(prefix_q("region_id", prefix), status="operating",
                                                         institution__kind__in=SUPERVISED_KINDS, valid_from__lte=last)
        out.update(_split(_grouped(qs, aggs), ["supervised_institutions"], len(dates)))

    insp_names = [n for n in ("inspected_institutions", "results_due", "results_on_time") if n in want]
    if insp_names:
        aggs = {}
        done = Q(status__in=[InspectionStatus.DONE, InspectionStatus.PUBLISHED])
        for i, d in enumerate(dates):
            if "inspected_institutions" in want:
                aggs[f"inspected_institutions__{i}"] = Count(
                    "institution_id", distinct=True,
                    filter=done & _year_window(d, "inspected_on") & Q(institution__kind__in=SUPERVISED_KINDS))
            due = done & _year_window(d, "publish_due") & Q(inspected_on__lte=d)
            if "results_due" in want:
                aggs[f"results_due__{i}"] = Count("id", filter=due)
            if "results_on_time" in want:
                aggs[f"results_on_time__{i}"] = Count("id", filter=due & Q(
                    published_at__date__lte=F("publish_due")) & Q(published_at__date__lte=d))
        qs = Inspection.objects.unscoped(AGG).filter(prefix_q("region_id", prefix), inspected_on__gte=dt.date(
            first.year - 1, 11, 1), inspected_on__lte=last)
        out.update(_split(_grouped(qs, aggs), insp_names, len(dates)))

    rect_names = [n for n in ("rectifications_due", "rectifications_closed") if n in want]
    if rect_names:
        aggs = {}
        for i, d in enumerate(dates):
            aggs[f"rectifications_due__{i}"] = Count("id", filter=_year_window(d, "deadline"))
            aggs[f"rectifications_closed__{i}"] = Count("id", filter=_year_window(d, "deadline") & Q(closed_on__lte=d))
        qs = Rectification.objects.unscoped(AGG).filter(prefix_q("region_id", prefix), deadline__gte=first,
                                                        deadline__lte=last)
        out.update(_split(_grouped(qs, aggs), rect_names, len(dates)))

    if "blacklisted_institutions" in want:
        aggs = {f"blacklisted_institutions__{i}": Count("institution_id", distinct=True, filter=Q(entered_on__lte=d) & (
            Q(exited_on__isnull=True) | Q(exited_on__gt=d))) for i, d in enumerate(dates)}
        qs = CreditListEntry.objects.unscoped(AGG).filter(prefix_q("region_id", prefix), list_type="black",
                                                          institution__isnull=False, entered_on__lte=last)
        out.update(_split(_grouped(qs, aggs), ["blacklisted_institutions"], len(dates)))

    comp_names = [n for n in ("complaints_received", "complaints_closed") if n in want]
    if comp_names:
        aggs = {}
        for i, d in enumerate(dates):
            aggs[f"complaints_received__{i}"] = Count("id", filter=_year_window(d, "received_on"))
            aggs[f"complaints_closed__{i}"] = Count("id", filter=_year_window(d, "received_on") & Q(closed_on__lte=d))
        qs = Complaint.objects.unscoped(AGG).filter(prefix_q("region_id", prefix), received_on__gte=first,
                                                    received_on__lte=last)
        out.update(_split(_grouped(qs, aggs), comp_names, len(dates)))

    inc_names = [n for n in ("incidents_closed", "incident_hours") if n in want]
    if inc_names:
        # durations are not portable SQL aggregates (SQLite vs PostgreSQL): incidents are few, sum them here
        rows = list(Incident.objects.unscoped(AGG).filter(prefix_q("region_id", prefix), closed_at__isnull=False)
                    .values_list("region_id", "reported_at", "closed_at"))
        from django.utils import timezone

        counts: list[dict[str, float]] = [defaultdict(float) for _ in dates]
        hours: list[dict[str, float]] = [defaultdict(float) for _ in dates]
        for region, reported, closed in rows:
            day = timezone.localdate(closed)
            for i, d in enumerate(dates):
                if dt.date(d.year, 1, 1) <= day <= d:
                    counts[i][region] += 1
                    hours[i][region] += (closed - reported).total_seconds() / 3600
        out["incidents_closed"] = [(list(c), list(c.values())) for c in counts]
        out["incident_hours"] = [(list(h), list(h.values())) for h in hours]
    return {k: v for k, v in out.items() if k in want}


def register() -> None:
    IF.register(METRICS, DEFINITIONS)
    register_metric_source([m.code for m in METRICS], gather)
