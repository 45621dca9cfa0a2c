"""What the home page shows, per role and scope: binding indicators behind, key figures with their trend
against last year, the to-do list, recent changes, and an operator's own institution.

The figures (plan values and counts) are cached briefly (``HOME_CACHE_SECONDS``) per region, plan and day:
they are aggregates, the same for everybody looking at that region, and computing them reads the registry.
The to-do list and recent changes are read fresh on every request, so an item done disappears at once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from ylyx.core.permissions import allows
from ylyx.regions.models import Region

CACHE_SECONDS = getattr(settings, "HOME_CACHE_SECONDS", 300)
KEY_FIGURES = 6


@dataclass
class Behind:
    key: str
    seq: str
    name: str
    unit: str
    region_code: str
    region_name: str
    value: float | None
    expected: float | None  # the milestone for the date, else the target
    target: float | None
    gap: float | None  # how far the value is from ``expected`` (positive: short of it)
    url: str = ""


@dataclass
class Figure:
    key: str
    name: str
    unit: str
    value: float | None
    last_year: float | None
    years: list[int] = field(default_factory=list)
    values: list[float | None] = field(default_factory=list)
    url: str = ""

    @property
    def change(self) -> float | None:
        if self.value is None or self.last_year is None:
            return None
        return round(self.value - self.last_year, 2)


def home_plan(user: Any):
    """The most specific visible plan covering the user's region (the dashboard's own default)."""
    from ylyx.indicators.views import default_plan

    if not allows(user.role, "indicator", "view"):
        return None
    return default_plan(user)


def _gap(value: float | None, expected: float | None, comparator: str | None) -> float | None:
    if value is None or expected is None:
        return None
    d = expected - value if comparator in (">=", ">", "=", None, "") else value - expected
    return round(d, 2)


def plan_figures(plan, region: Region, on: dt.date) -> dict[str, Any]:
    """Binding rows behind (the region and its children) and the computed rows' trends, cached briefly."""
    key = f"ylyx:home:{plan.pk}:{region.code}:{on.isoformat()}:{plan.updated_at.timestamp():.0f}"
    hit = cache.get(key)
    if hit is not None:
        return hit
    from ylyx.indicators.selectors import plan_table

    table = plan_table(plan, region.code, on, with_breakdown=True)
    dash = reverse("indicators:dashboard")
    behind: list[Behind] = []
    for r in table.rows:
        if r.property != "约束性":
            continue
        url = f"{dash}?plan={plan.pk}&region={region.code}&date={on.isoformat()}#row-{r.key}"
        if r.status == "behind":
            exp = r.milestone if r.milestone is not None else r.target_value
            behind.append(Behind(r.key, r.seq, r.name, r.unit, region.code, region.name, r.value, exp,
                                 r.target_value, _gap(r.value, exp, r.comparator), url))
        for child in table.breakdown:
            if child.statuses.get(r.key) == "behind":
                v = child.values.get(r.key)
                behind.append(Behind(r.key, r.seq, r.name, r.unit, child.region_code, child.region_name, v,
                                     r.target_value, r.target_value, _gap(v, r.target_value, r.comparator),
                                     f"{dash}?plan={plan.pk}&region={child.region_code}&date={on.isoformat()}"))
    figures: list[Figure] = []
    for r in table.rows:
        if r.kind != "computed" or len(figures) >= KEY_FIGURES:
            continue
        years = [y for y, _ in r.trend]
        values = [v for _, v in r.trend]
        last = values[-2] if len(values) >= 2 else None
        figures.append(Figure(r.key, r.name, r.unit, r.value, last, years, values,
                              f"{dash}?plan={plan.pk}&region={region.code}"))
    counts = {s: sum(1 for r in table.rows if r.status == s) for s in ("met", "on_track", "behind", "no_data")}
    out = {"behind": behind, "figures": figures, "counts": counts, "plan_title": str(plan),
           "binding_total": sum(1 for r in table.rows if r.property == "约束性")}
    cache.set(key, out, CACHE_SECONDS)
    return out


def registry_counts(user: Any, region: Region | None) -> list[dict[str, Any]]:
    """Institutions by kind and people in the user's scope (cached briefly per user scope and region)."""
    from ylyx.institutions.models import Institution, Kind
    from ylyx.people.models import ElderlyPerson, Infant
    from ylyx.workforce.models import Practitioner

    scope = user.institution_id if user.role == "operator" else user.region_id
    key = f"ylyx:home:counts:{user.role}:{scope}:{region.code if region else ''}"
    hit = cache.get(key)
    if hit is not None:
        return hit
    from ylyx.core.scoping import prefix_q

    cards: list[dict[str, Any]] = []
    inst = Institution.objects.for_user(user, "view")
    if region is not None:
        inst = inst.filter(prefix_q("region_id", region.prefix))
    suffix = f"&region={region.code}" if region is not None else ""
    if not inst.query.is_empty():
        url = reverse("institutions:list")
        by_kind = dict(inst.values_list("kind").annotate(n=Count("id")).order_by())
        for kind in Kind:
            cards.append({"label": kind.label, "value": by_kind.get(kind.value, 0),
                          "url": f"{url}?kind={kind.value}{suffix}"})
    for model, name, label in ((ElderlyPerson, "people:elderly_list", "老年人"),
                               (Infant, "people:infant_list", "婴幼儿"),
                               (Practitioner, "workforce:list", "从业人员")):
        qs = model.objects.for_user(user, "view")
        if qs.query.is_empty():
            continue
        if region is not None:
            qs = qs.filter(prefix_q(model.scope_region_field, region.prefix))
        cards.append({"label": label, "value": qs.count(), "url": reverse(name) + (f"?region={region.code}"
                                                                                  if region else "")})
    cache.set(key, cards, CACHE_SECONDS)
    return cards


def recent_changes(user: Any, limit: int = 8) -> list[dict[str, Any]]:
    """Recent filing steps, published indicator values and edited institutions in the user's scope."""
    from ylyx.indicators.models import ReportedStatus, ReportedValue
    from ylyx.institutions.models import FilingEvent, Institution

    out: list[dict[str, Any]] = []
    tz = timezone.get_current_timezone()
    if allows(user.role, "institution", "view"):
        for ev in (FilingEvent.objects.for_user(user, "view").select_related("filing__institution")
                   .order_by("-on", "-id")[:limit]):
            inst = ev.filing.institution
            out.append({"when": dt.datetime.combine(ev.on, dt.time(), tz), "what": f"备案{ev.get_status_display()}",
                        "title": inst.name, "url": reverse("institutions:detail", args=[inst.pk])})
        for inst in Institution.objects.for_user(user, "view").order_by("-updated_at", "-id")[:limit]:
            out.append({"when": inst.updated_at, "what": "机构信息更新", "title": inst.name,
                        "url": reverse("institutions:detail", args=[inst.pk])})
    if allows(user.role, "reported_value", "view"):
        for rv in (ReportedValue.objects.for_user(user, "view").filter(status=ReportedStatus.PUBLISHED)
                   .select_related("plan_indicator", "definition", "region").order_by("-published_at", "-id")[:limit]):
            out.append({"when": rv.published_at, "what": "指标值发布",
                        "title": f"{rv.indicator_name}（{rv.region.name} {rv.year}年：{rv.value:g}）",
                        "url": reverse("indicators:reported_detail", args=[rv.pk])})
    out = [x for x in out if x["when"] is not None]
    out.sort(key=lambda x: x["when"], reverse=True)
    return out[:limit]


def operator_state(user: Any, on: dt.date) -> dict[str, Any] | None:
    """An operator's own institution: capacity, residents or enrolments today, filing, classes."""
    from ylyx.institutions.models import Filing, Institution
    from ylyx.people.models import Enrolment, Residence

    inst = Institution.objects.for_user(user, "view").filter(pk=user.institution_id).first()
    if inst is None:
        return None

    def active(qs):
        return qs.filter(started_on__lte=on).exclude(ended_on__lte=on)

    residents = active(Residence.objects.for_user(user, "view").filter(institution=inst)).count()
    enrolled = active(Enrolment.objects.for_user(user, "view").filter(institution=inst)).count()
    filing = Filing.objects.for_user(user, "view").filter(institution=inst).first()
    capacity = inst.places if inst.kind == "childcare" else inst.beds
    used = enrolled if inst.kind == "childcare" else residents
    return {"institution": inst, "residents": residents, "enrolled": enrolled, "filing": filing,
            "capacity": capacity, "used": used,
            "occupancy": round(used / capacity * 100, 1) if capacity else None,
            "url": reverse("institutions:detail", args=[inst.pk])}
