"""A deliberately naive reference: each metric of each region by its own ORM queries.

Slow on purpose (queries per region and metric); the bench times the engine against it and the tests
check that both give the same numbers, so the grouped-and-rolled-up path cannot drift from the plain
reading of each definition.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Q, Sum

from ylyx.core.scoping import prefix_q
from ylyx.regions.models import PopulationStat, Region

from . import formulas as F


def _cap(region: Region, on: dt.date):
    from ylyx.institutions.models import CapacityRecord

    return CapacityRecord.objects.filter(prefix_q("region_id", region.prefix), valid_from__lte=on,
                                         status="operating").filter(Q(valid_to__isnull=True) | Q(valid_to__gt=on))


def _sum(qs, fld: str) -> float:
    return float(qs.aggregate(s=Sum(fld))["s"] or 0)


def _employed(region: Region, on: dt.date):
    from ylyx.workforce.models import Employment

    return Employment.objects.filter(prefix_q("institution__region_id", region.prefix), started_on__lte=on).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gt=on))


def _regions_below(region: Region, level: int, year: int):
    return Region.objects.filter(prefix_q("code", region.prefix), level=level).filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=year)).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=year))


def _population(region: Region, on: dt.date, field: str) -> float | None:
    row = (PopulationStat.objects.filter(region=region, year__lte=on.year).order_by("-year")
           .values_list(field, flat=True).first())
    if row is not None:
        return float(row)
    kids = list(Region.objects.filter(parent=region))
    if not kids:
        return None
    vals = [_population(k, on, field) for k in kids]
    known = [v for v in vals if v is not None]
    return None if len(known) < len(vals) else float(sum(known))


def metric(name: str, region: Region, on: dt.date) -> float | None:
    from ylyx.institutions.models import Filing
    from ylyx.people.models import Residence
    from ylyx.workforce.models import Certificate, TrainingRecord

    cap = _cap(region, on)
    if name == "beds_elderly":
        return _sum(cap.filter(institution__kind__in=["elder", "community"]), "beds")
    if name == "beds_elder":
        return _sum(cap.filter(institution__kind="elder"), "beds")
    if name == "nursing_beds_elder":
        return _sum(cap.filter(institution__kind="elder"), "nursing_beds")
    if name == "beds_social":
        return _sum(cap.filter(institution__kind="elder", institution__subtype__in=["public_private", "private"]),
                    "beds")
    if name == "places":
        return _sum(cap.filter(institution__kind="childcare"), "places")
    if name == "affordable_places":
        return _sum(cap.filter(institution__kind="childcare"), "affordable_places")
    if name == "elderly_institutions":
        return float(cap.filter(institution__kind__in=["elder", "community"])
                     .exclude(institution__subtype__in=["rural_station", "meal"]).count())
    if name == "childcare_institutions":
        return float(cap.filter(institution__kind="childcare").count())
    if name == "filed_childcare":
        return float(Filing.objects.filter(prefix_q("institution__region_id", region.prefix),
                                           institution__kind="childcare", filed_on__lte=on)
                     .filter(Q(cancelled_on__isnull=True) | Q(cancelled_on__gt=on)).count())
    if name == "villages":
        return float(_regions_below(region, 5, on.year).count())
    if name == "villages_covered":
        covered = 0
        for v in _regions_below(region, 5, on.year):
            if _cap(v, on).filter(institution__kind="community", region_id=v.code).exists():
                covered += 1
        return float(covered)
    if name == "towns":
        return float(_regions_below(region, 4, on.year).count())
    if name == "towns_with_center":
        n = 0
        for t in _regions_below(region, 4, on.year):
            if _cap(t, on).filter(institution__subtype="street_center").exists():
                n += 1
        return float(n)
    if name == "employed":
        return float(_employed(region, on).values("practitioner_id").distinct().count())
    if name == "employed_certified":
        valid = Certificate.objects.filter(practitioner_id=OuterRef("practitioner_id"), issued_on__lte=on).filter(
            Q(expires_on__isnull=True) | Q(expires_on__gte=on))
        return float(_employed(region, on).filter(Exists(valid)).values("practitioner_id").distinct().count())
    if name == "social_workers":
        return float(_employed(region, on).filter(role="social_worker").values("practitioner_id").distinct().count())
    if name == "trained":
        return float(TrainingRecord.objects.filter(prefix_q("practitioner__region_id", region.prefix), passed=True,
                                                   completed_on__gte=dt.date(on.year, 1, 1), completed_on__lte=on)
                     .values("practitioner_id").distinct().count())
    if name in ("residents", "beds_with_residents"):
        active = Residence.objects.filter(prefix_q("region_id", region.prefix), started_on__lte=on).filter(
            Q(ended_on__isnull=True) | Q(ended_on__gt=on)).filter(
            Q(person__died_on__isnull=True) | Q(person__died_on__gt=on)).filter(
            Q(person__moved_out_on__isnull=True) | Q(person__moved_out_on__gt=on))
        if name == "residents":
            return float(active.count())
        from ylyx.institutions.models import CapacityRecord

        ids = set(active.values_list("institution_id", flat=True))
        return _sum(CapacityRecord.objects.filter(institution_id__in=ids, valid_from__lte=on, status="operating")
                    .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=on)), "beds")
    if name == "pop_total":
        return _population(region, on, "total")
    if name == "pop_60":
        return _population(region, on, "aged_60")
    raise KeyError(name)


def value(code: str, region: Region, on: dt.date) -> float | None:
    """A catalogue definition at one region, the slow way."""
    d = F.CATALOGUE[code]
    data = {m: {region.code: metric(m, region, on)} for m in d.metrics}
    return F.evaluate(d, data, region.code).value
