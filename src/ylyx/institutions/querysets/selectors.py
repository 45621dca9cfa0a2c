"""Reads of the institutions registry, for pages, the API and other apps (indicators, statistics).

Capacity and filing are read *at a date* from their dated rows, so a figure for 2020-12-31 is the same
whenever it is computed:

``capacity_at(on, region_prefix=None, *, kind=None, statuses=None, user=None)``
    CapacityRecord rows in force on ``on``: ``valid_from <= on`` and (``valid_to`` is null or
    ``valid_to > on``); at most one row per institution. ``region_prefix`` is a code prefix ("1508",
    "150802") or a full 12-digit code (turned into its level's prefix); the record's own ``region`` is
    used, i.e. where the institution was on that date. ``kind`` is an institution kind or a list of them;
    ``statuses`` limits the record's status (e.g. ``[Status.OPERATING]``). ``user`` limits the rows to
    institutions the user may view (omit it only in system computations, never for a page).

``capacity_totals(on, region_prefix=None, *, kind=None, statuses=(OPERATING,), user=None)``
    Sums over ``capacity_at``: {"institutions", "beds", "nursing_beds", "places", "affordable_places"}.

``filed_at(on, region_prefix=None, *, kind=None, user=None)``
    Filing rows that were in force (已备案/变更备案) on ``on``: ``filed_on <= on`` and (``cancelled_on``
    is null or ``cancelled_on > on``). A filing cancelled later still counts for dates before its
    cancellation. The region is the institution's current region.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from ylyx.core.scoping import prefix_q
from ylyx.regions.models import PREFIX_LEN, level_of

from .. import rules
from ..models import CapacityRecord, ChildcareClass, Filing, FilingEvent, Institution, Status


def normalise_prefix(region_prefix: str | None) -> str:
    """"150802" stays; "150802000000" becomes "150802"; "" or None means no region limit."""
    p = (region_prefix or "").strip()
    if not p:
        return ""
    if not p.isdigit() or len(p) > 12:
        raise ValueError(f"区划代码前缀应为数字：{p!r}")
    if len(p) == 12:
        return p[: PREFIX_LEN[level_of(p)]]
    return p


def _kinds(kind: str | Iterable[str] | None) -> list[str] | None:
    if kind is None:
        return None
    return [kind] if isinstance(kind, str) else list(kind)


def _base(model: Any, user: Any) -> QuerySet[Any]:
    """A user's rows, or every row for a system computation (indicators, statistics) that passes no user."""
    if user is not None:
        return model.objects.for_user(user, "view")
    return model.objects.unscoped("system computation over a region prefix; pages pass the user")


def institutions_for(user: Any, action: str = "view") -> QuerySet[Institution]:
    return Institution.objects.for_user(user, action)


def capacity_at(on: dt.date, region_prefix: str | None = None, *, kind: str | Iterable[str] | None = None,
                statuses: Iterable[str] | None = None, user: Any = None) -> QuerySet[CapacityRecord]:
    qs = _base(CapacityRecord, user).filter(Q(valid_to__isnull=True) | Q(valid_to__gt=on), valid_from__lte=on)
    prefix = normalise_prefix(region_prefix)
    if prefix:
        qs = qs.filter(prefix_q("region_id", prefix))
    kinds = _kinds(kind)
    if kinds is not None:
        qs = qs.filter(institution__kind__in=kinds)
    if statuses is not None:
        qs = qs.filter(status__in=list(statuses))
    return qs


def capacity_totals(on: dt.date, region_prefix: str | None = None, *, kind: str | Iterable[str] | None = None,
                    statuses: Iterable[str] | None = (Status.OPERATING,), user: Any = None) -> dict[str, int]:
    agg = capacity_at(on, region_prefix, kind=kind, statuses=statuses, user=user).aggregate(
        institutions=Count("institution_id", distinct=True),
        beds=Coalesce(Sum("beds"), 0), nursing_beds=Coalesce(Sum("nursing_beds"), 0),
        places=Coalesce(Sum("places"), 0), affordable_places=Coalesce(Sum("affordable_places"), 0))
    return {k: int(v or 0) for k, v in agg.items()}


def filed_at(on: dt.date, region_prefix: str | None = None, *, kind: str | Iterable[str] | None = None,
             user: Any = None) -> QuerySet[Filing]:
    qs = _base(Filing, user).filter(Q(cancelled_on__isnull=True) | Q(cancelled_on__gt=on),
                                    filed_on__isnull=False, filed_on__lte=on)
    prefix = normalise_prefix(region_prefix)
    if prefix:
        qs = qs.filter(prefix_q("institution__region_id", prefix))
    kinds = _kinds(kind)
    if kinds is not None:
        qs = qs.filter(institution__kind__in=kinds)
    return qs


def open_capacity_record(inst: Institution) -> CapacityRecord | None:
    return inst.capacity_history.filter(valid_to__isnull=True).first()


def capacity_history(inst: Institution) -> QuerySet[CapacityRecord]:
    return inst.capacity_history.select_related("region").order_by("-valid_from")


def active_residents(inst: Institution) -> int:
    return inst.residences.filter(ended_on__isnull=True).count()  # type: ignore[attr-defined]


def enrolled_in_class(cls: ChildcareClass) -> int:
    return cls.enrolments.filter(ended_on__isnull=True).count()  # type: ignore[attr-defined]


def active_enrolments(inst: Institution) -> int:
    return inst.enrolments.filter(ended_on__isnull=True).count()  # type: ignore[attr-defined]


def classes_with_counts(inst: Institution) -> list[Any]:
    """Classes with ``enrolled`` (current enrolments), ``required_caregivers`` and ``ratio_ok`` set."""
    classes: list[Any] = list(inst.classes.annotate(
        enrolled=Count("enrolments", filter=Q(enrolments__ended_on__isnull=True))).order_by("name"))
    for c in classes:
        c.required_caregivers = rules.required_caregivers(c.class_type, c.enrolled)
        c.ratio_ok = c.caregivers >= c.required_caregivers
    return classes


def filing_events(filing: Filing | None) -> QuerySet[FilingEvent]:
    if filing is None:
        return FilingEvent.objects.unscoped("empty").none()
    return filing.events.select_related("by").order_by("on", "id")


def filing_of(inst: Institution) -> Filing | None:
    return Filing.objects.unscoped("the filing of an institution the caller holds in scope").filter(
        institution=inst).first()
