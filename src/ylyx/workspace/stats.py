"""Registry statistics for a region at a date, from aggregate queries (no rows are loaded).

Definitions (the plan's 口径, the same as ``ylyx.indicators.formulas`` and the institutions selectors):

- Institutions operating at a date: a capacity record in force on that date (``valid_from`` ≤ date <
  ``valid_to``) with status operating (``institutions.querysets.selectors.capacity_at``), counted in
  the region of that record. Institutions without capacity records are not counted (services write
  them; ``backfill_capacity`` adds them for rows written otherwise).
- 养老院和养老服务场所 (``elder_care.total``): kind=elder and kind=community institutions except rural
  service stations (农村牧区养老服务站) and meal points, which are counted separately.
  ``capacity.beds`` (养老床位) is the beds of kind=elder and kind=community institutions.
- 护理型床位占比 = nursing beds ÷ beds of kind=elder institutions × 100 (community facilities excluded).
- Filed childcare institutions: filings with ``filed_on`` ≤ date and no ``cancelled_on`` ≤ date
  (``filed_at``). 每千人口托位数 = places ÷ resident population × 1000.
- Residents, enrolments and employments are active when ``started_on`` ≤ date < ``ended_on`` (or open);
  residents must also be alive and not moved out on the date. 入住率 = residents ÷ beds of the
  institutions that have residents on the date.
- Population: the region's PopulationStat row for the date's year, or the latest earlier year
  (``population.year`` says which). Registered elderly people are counted from the registry: registered
  on or before the date, neither dead nor moved out by then, by age on the date. Ratios per 1,000 elderly
  use the PopulationStat 60+ figure (the registry's if there is none).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q, Sum

from ylyx.core.scoping import prefix_q


def years_before(d: dt.date, years: int) -> dt.date:
    try:
        return d.replace(year=d.year - years)
    except ValueError:  # 29 February
        return d.replace(year=d.year - years, day=28)


def _active(on: dt.date, start: str = "started_on", end: str = "ended_on") -> Q:
    return Q(**{f"{start}__lte": on}) & (Q(**{f"{end}__isnull": True}) | Q(**{f"{end}__gt": on}))


def _ratio(num: float | None, den: float | None, scale: float = 1.0, digits: int = 2) -> float | None:
    if num is None or not den:
        return None
    return round(num / den * scale, digits)


def resolve_region(code: str):
    """The Region for a 6- or 12-digit code, or ValueError with a Chinese message."""
    from django.core.exceptions import ValidationError

    from ylyx.core.validators import validate_region_code
    from ylyx.regions.models import Region

    try:
        code12 = validate_region_code(code)
    except ValidationError as exc:
        raise ValueError(exc.messages[0]) from None
    region = Region.objects.filter(code=code12).first()
    if region is None:
        raise ValueError(f"行政区划代码 {code} 不存在")
    return region


def operating(prefix: str, on: dt.date):
    """Capacity records in force and operating on ``on`` in the region subtree."""
    from ylyx.institutions.models import Status
    from ylyx.institutions.querysets.selectors import capacity_at

    return capacity_at(on, prefix, statuses=[Status.OPERATING])


NOT_SITES = ("rural_station", "meal")  # community facilities that are not 养老服务场所


def registry_stats(region_code: str, on: dt.date) -> dict[str, Any]:
    from ylyx.institutions.models import Kind
    from ylyx.institutions.querysets.selectors import filed_at
    from ylyx.people.models import ElderlyPerson, Enrolment, Infant, Residence
    from ylyx.regions.models import PopulationStat
    from ylyx.workforce.models import Employment

    region = resolve_region(region_code)
    prefix = region.prefix

    # -- institutions and capacity -----------------------------------------------------------------
    caps = operating(prefix, on)
    groups: dict[tuple[str, str], dict[str, int]] = {}
    for r in caps.values("institution__kind", "institution__subtype").annotate(
            n=Count("institution", distinct=True), beds=Sum("beds"), nursing=Sum("nursing_beds"), places=Sum("places"),
            affordable=Sum("affordable_places")):
        groups[(r["institution__kind"], r["institution__subtype"])] = {
            k: r[k] or 0 for k in ("n", "beds", "nursing", "places", "affordable")}

    def total(key: str, pred) -> int:
        return sum(v[key] for (kind, sub), v in groups.items() if pred(kind, sub))

    def is_elder_care(kind, sub):
        return kind in (Kind.ELDER, Kind.COMMUNITY) and sub not in NOT_SITES

    def is_elderly_kind(kind, sub):
        return kind in (Kind.ELDER, Kind.COMMUNITY)

    elder_beds = total("beds", lambda k, s: k == Kind.ELDER)
    nursing = total("nursing", lambda k, s: k == Kind.ELDER)
    places = total("places", lambda k, s: k == Kind.CHILDCARE)
    by_subtype_ec = {s: v["n"] for (k, s), v in sorted(groups.items()) if is_elder_care(k, s)}
    filed = filed_at(on, prefix, kind=Kind.CHILDCARE).count()

    # -- population (published) ------------------------------------------------------------------
    ps = PopulationStat.objects.filter(region=region, year__lte=on.year).order_by("-year").first()
    population: dict[str, Any] = {"year": ps.year if ps else None, "total": None, "households": None,
                                  "aged_60": None, "aged_65": None, "aged_80": None, "under_3": None, "births": None}
    if ps is not None:
        population.update({k: getattr(ps, k) for k in population if k != "year"})
    population["aged_60_share"] = _ratio(population["aged_60"], population["total"], 100)
    population["aged_65_share"] = _ratio(population["aged_65"], population["total"], 100)

    # -- people in the registry -------------------------------------------------------------------
    alive = (Q(registered_on__isnull=True) | Q(registered_on__lte=on)) & (Q(died_on__isnull=True) | Q(
        died_on__gt=on)) & (Q(moved_out_on__isnull=True) | Q(moved_out_on__gt=on))
    b60, b65, b80 = years_before(on, 60), years_before(on, 65), years_before(on, 80)
    elderly = ElderlyPerson.objects.filter(prefix_q("region_id", prefix), alive, birth_date__lte=b60).aggregate(
        aged_60=Count("id"), aged_65=Count("id", filter=Q(birth_date__lte=b65)),
        aged_80=Count("id", filter=Q(birth_date__lte=b80)),
        tekun=Count("id", filter=Q(economic_status="tekun")), dibao=Count("id", filter=Q(economic_status="dibao")))
    infants = Infant.objects.filter(prefix_q("region_id", prefix), birth_date__lte=on,
                                    birth_date__gt=years_before(on, 3)).filter(
        Q(moved_out_on__isnull=True) | Q(moved_out_on__gt=on)).aggregate(under_3=Count("id"))
    active_res = Residence.objects.filter(prefix_q("region_id", prefix)).filter(_active(on)).filter(
        Q(person__died_on__isnull=True) | Q(person__died_on__gt=on)).filter(
        Q(person__moved_out_on__isnull=True) | Q(person__moved_out_on__gt=on))
    res = active_res.aggregate(total=Count("id"), nursing=Count("id", filter=Q(bed_type="nursing")),
                               in_elder=Count("id", filter=Q(institution__kind=Kind.ELDER)))
    beds_with_residents = caps.filter(institution_id__in=active_res.values("institution_id")).aggregate(
        b=Sum("beds"))["b"] or 0
    enrolled = Enrolment.objects.filter(prefix_q("region_id", prefix)).filter(_active(on)).count()
    emp = Employment.objects.filter(prefix_q("institution__region_id", prefix)).filter(_active(on))
    by_role = {r["role"]: r["n"] for r in emp.values("role").annotate(n=Count("practitioner", distinct=True))
               .order_by("role")}
    staff_total = emp.values("practitioner").distinct().count()
    elderly_base = population["aged_60"] or elderly["aged_60"]

    return {
        "region": {"code": region.code, "name": region.name, "level": region.level},
        "date": on.isoformat(),
        "population": population,
        "elderly": elderly,
        "infants": infants,
        "elder_care": {
            "total": total("n", is_elder_care),
            "by_subtype": by_subtype_ec,
            "rural_stations": total("n", lambda k, s: k == Kind.COMMUNITY and s == "rural_station"),
            "meal_points": total("n", lambda k, s: k == Kind.COMMUNITY and s == "meal"),
        },
        "capacity": {
            "beds": total("beds", is_elderly_kind),
            "elder_beds": elder_beds,
            "community_beds": total("beds", lambda k, s: k == Kind.COMMUNITY),
            "nursing_beds": nursing,
            "nursing_bed_share": _ratio(nursing, elder_beds, 100, 1),
            "beds_per_1000_elderly": _ratio(total("beds", is_elderly_kind), elderly_base, 1000, 1),
        },
        "childcare": {
            "institutions": total("n", lambda k, s: k == Kind.CHILDCARE),
            "by_subtype": {s: v["n"] for (k, s), v in sorted(groups.items()) if k == Kind.CHILDCARE},
            "filed": filed,
            "places": places,
            "affordable_places": total("affordable", lambda k, s: k == Kind.CHILDCARE),
            "places_per_1000": _ratio(places, population["total"], 1000, 2),
        },
        "residents": {
            "total": res["total"], "nursing_beds_used": res["nursing"], "in_elder_institutions": res["in_elder"],
            "occupancy_rate": _ratio(res["total"], beds_with_residents, 100, 1),
        },
        "enrolments": {"total": enrolled, "enrolment_rate": _ratio(enrolled, places, 100, 1)},
        "practitioners": {
            "total": staff_total,
            "by_role": by_role,
            "social_workers_per_1000_elderly": _ratio(by_role.get("social_worker", 0), elderly_base, 1000, 2),
        },
    }


def flatten(d: dict, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out


LABELS = {
    "region.code": "区划代码", "region.name": "区划名称", "region.level": "层级", "date": "统计日期",
    "population.year": "人口统计年份", "population.total": "常住人口", "population.households": "户数",
    "population.aged_60": "60岁及以上", "population.aged_65": "65岁及以上", "population.aged_80": "80岁及以上",
    "population.under_3": "3岁以下婴幼儿", "population.births": "出生人口",
    "population.aged_60_share": "60岁及以上占比（%）", "population.aged_65_share": "65岁及以上占比（%）",
    "elderly.aged_60": "登记老年人（60+）", "elderly.aged_65": "登记老年人（65+）", "elderly.aged_80": "登记老年人（80+）",
    "elderly.tekun": "特困老年人", "elderly.dibao": "低保老年人", "infants.under_3": "登记婴幼儿（3岁以下）",
    "elder_care.total": "养老院和养老服务场所", "elder_care.rural_stations": "农村牧区养老服务站",
    "elder_care.meal_points": "老年餐桌/助餐点",
    "capacity.beds": "养老床位", "capacity.elder_beds": "养老机构床位", "capacity.community_beds": "社区设施床位",
    "capacity.nursing_beds": "护理型床位", "capacity.nursing_bed_share": "护理型床位占比（%）",
    "capacity.beds_per_1000_elderly": "每千名老年人床位",
    "childcare.institutions": "托育机构", "childcare.filed": "备案托育机构", "childcare.places": "托位",
    "childcare.affordable_places": "普惠托位", "childcare.places_per_1000": "每千人口托位",
    "residents.total": "在住老年人", "residents.nursing_beds_used": "在用护理型床位",
    "residents.in_elder_institutions": "养老机构在住", "residents.occupancy_rate": "入住率（%）",
    "enrolments.total": "在托婴幼儿", "enrolments.enrolment_rate": "托位使用率（%）",
    "practitioners.total": "在岗从业人员", "practitioners.social_workers_per_1000_elderly": "每千名老年人社会工作者",
}


def label(key: str) -> str:
    if key in LABELS:
        return LABELS[key]
    head, _, tail = key.rpartition(".")
    if head.endswith("by_subtype"):
        from ylyx.institutions.models import Subtype

        group = "托育机构" if head.startswith("childcare") else "养老院和养老服务场所"
        return f"{group}：{Subtype(tail).label}" if tail in Subtype.values else key
    if head == "practitioners.by_role":
        from ylyx.workforce.models import PractitionerRole

        return f"在岗：{PractitionerRole(tail).label}" if tail in PractitionerRole.values else key
    return key
