"""Consistency checks of a built demo city, read back from the database (used by tests and ``--verify``).

Each check returns human-readable problems; an empty list means the city is consistent: population
levels add up, codes follow the rules, identity numbers and credit codes are valid and unique, capacity
histories are contiguous, no admission or enrolment breaks a registry rule on its date, filings follow
the allowed transitions, and the registry statistics equal the figures the spec declares.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db.models import Count

from .spec import BASELINE, BBOX, CITY_CODE, Spec
from .util import years_before

SAMPLE = 20_000


def verify(spec: Spec, sample: int = SAMPLE) -> list[str]:
    problems: list[str] = []
    for check in (check_population, check_regions, check_identities, check_institutions, check_residences,
                  check_enrolments, check_staff, check_filings, check_stats):
        try:
            problems += [f"{check.__name__}: {p}" for p in check(spec, sample)]
        except Exception as exc:  # a crash is a finding too
            problems.append(f"{check.__name__}: {type(exc).__name__}: {exc}")
    return problems


def check_population(spec: Spec, sample: int) -> list[str]:
    from ylyx.regions.models import PopulationStat, Region

    from .regions import METRICS

    out = []
    parent = dict(Region.objects.filter(code__startswith="1508").values_list("code", "parent_id"))
    rows = list(PopulationStat.objects.filter(region__code__startswith="1508").values("region_id", "year", *METRICS))
    value = {(r["region_id"], r["year"]): r for r in rows}
    sums: dict[tuple[str, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        p = parent.get(r["region_id"])
        if p and p != "150000000000":
            for m in METRICS:
                sums[(p, r["year"])][m] += r[m] or 0
    for key, s in sums.items():
        for m in METRICS:
            if value.get(key, {}).get(m) != s[m]:
                out.append(f"{key} {m}: {value.get(key, {}).get(m)} ≠ sum of children {s[m]}")
    city = value.get((CITY_CODE, 2020))
    want = spec.population[2020]
    for m in ("total", "aged_60", "aged_65", "aged_80", "under_3"):
        if city is None or city[m] != want[m]:
            out.append(f"city 2020 {m}: {city and city[m]} ≠ {want[m]}")
    for r in rows:
        if not (r["aged_80"] <= r["aged_65"] <= r["aged_60"] <= r["total"]):
            out.append(f"{r['region_id']} {r['year']}: age bands out of order")
            break
    return out


def check_regions(spec: Spec, sample: int) -> list[str]:
    from ylyx.regions.models import Region

    out = []
    rules = {4: [("001", "099", "street"), ("100", "199", "town"), ("200", "399", "township")],
             5: [("001", "199", "community"), ("200", "399", "village")]}
    for r in Region.objects.filter(code__startswith="1508", level__gte=4):
        part = r.code[6:9] if r.level == 4 else r.code[9:12]
        ok = any(lo <= part <= hi and r.kind == kind for lo, hi, kind in rules[r.level])
        if not ok or not r.is_synthetic:
            out.append(f"{r.code} {r.name}: kind {r.kind} or synthetic flag wrong")
        want_parent = r.code[:6] + "000000" if r.level == 4 else r.code[:9] + "000"
        if r.parent_id != want_parent:
            out.append(f"{r.code}: parent {r.parent_id}")
        if not (BBOX[0] <= (r.centroid_lat or 0) <= BBOX[1] and BBOX[2] <= (r.centroid_lon or 0) <= BBOX[3]):
            out.append(f"{r.code}: centroid outside 巴彦淖尔")
    return out[:20]


def check_identities(spec: Spec, sample: int) -> list[str]:
    from ylyx.core import crypto
    from ylyx.core.validators import validate_id_number
    from ylyx.people.models import ElderlyPerson, Infant
    from ylyx.workforce.models import Practitioner

    out = []
    for model in (ElderlyPerson, Infant, Practitioner):
        agg = model.objects.aggregate(n=Count("id"), d=Count("id_bidx", distinct=True))
        if agg["n"] != agg["d"]:
            out.append(f"{model.__name__}: {agg['n'] - agg['d']} duplicate ID numbers")
        step = max(1, agg["n"] // sample)
        ids = list(model.objects.values_list("id", flat=True).order_by("id")[::step]) if step > 1 else None
        qs = model.objects.filter(id__in=ids) if ids is not None else model.objects.all()
        for pk, enc, bidx, last4, birth, sex in qs.values_list("id", "id_number_enc", "id_bidx", "id_last4",
                                                                 "birth_date", "sex"):
            number = crypto.decrypt_field(enc)
            try:
                info = validate_id_number(number)
            except ValidationError as exc:
                out.append(f"{model.__name__} {pk}: {exc.messages[0]}")
                continue
            if crypto.blind_index(number) != bidx or number[-4:] != last4 or info.birth_date != birth or info.sex != sex:
                out.append(f"{model.__name__} {pk}: index, last4, birth date or sex do not match the number")
    for a, b in ((ElderlyPerson, Practitioner), (ElderlyPerson, Infant), (Practitioner, Infant)):
        if a.objects.filter(id_bidx__in=b.objects.values("id_bidx")).exists():
            out.append(f"{a.__name__} and {b.__name__} share ID numbers")
    return out[:20]


def check_institutions(spec: Spec, sample: int) -> list[str]:
    from ylyx.core.validators import validate_uscc
    from ylyx.institutions.models import CapacityRecord, Institution
    from ylyx.regions.models import Region

    out = []
    centroid = {c: (la, lo) for c, la, lo in Region.objects.filter(level=5).values_list(
        "code", "centroid_lat", "centroid_lon")}
    caps = defaultdict(list)
    for c in CapacityRecord.objects.order_by("institution_id", "valid_from").values():
        caps[c["institution_id"]].append(c)
    usccs = set()
    for i in Institution.objects.all():
        try:
            validate_uscc(i.uscc)
        except ValidationError:
            out.append(f"{i.name}: invalid USCC {i.uscc}")
        if i.uscc in usccs:
            out.append(f"{i.name}: duplicate USCC")
        usccs.add(i.uscc)
        la, lo = centroid.get(i.region_id, (None, None))
        if la is None or abs(i.lat - la) > 0.01 or abs(i.lon - lo) > 0.01:
            out.append(f"{i.name}: coordinates not in its village")
        if not i.address or i.monthly_fee_min is None or i.monthly_fee_max < i.monthly_fee_min:
            out.append(f"{i.name}: address or fees missing")
        hist = caps[i.id]
        if not hist or hist[0]["valid_from"] != i.opened_on:
            out.append(f"{i.name}: capacity history does not start at opening")
            continue
        for a, b in zip(hist, hist[1:], strict=False):
            if a["valid_to"] != b["valid_from"]:
                out.append(f"{i.name}: capacity history has a gap or overlap")
        last = hist[-1]
        if last["valid_to"] is not None or (last["beds"], last["nursing_beds"], last["places"], last["status"]) != (
                i.beds, i.nursing_beds, i.places, i.status):
            out.append(f"{i.name}: current capacity differs from the last record")
        if any(h["nursing_beds"] > h["beds"] for h in hist):
            out.append(f"{i.name}: nursing beds above beds")
        if i.kind == "childcare" and sum(k.places for k in i.classes.all()) != i.places:
            out.append(f"{i.name}: class places do not add up")
    return out[:20]


def _capacity_at(hist: list, d: dt.date) -> dict | None:
    found = None
    for h in hist:
        if h["valid_from"] <= d and (h["valid_to"] is None or h["valid_to"] > d):
            found = h
    return found if found and found["status"] == "operating" else None


def check_residences(spec: Spec, sample: int) -> list[str]:
    from ylyx.institutions.models import CapacityRecord
    from ylyx.institutions.rules import check_admission
    from ylyx.people.models import ElderlyPerson, Residence

    out = []
    caps = defaultdict(list)
    for c in CapacityRecord.objects.order_by("valid_from").values():
        caps[c["institution_id"]].append(c)
    stays = list(Residence.objects.order_by("started_on", "id").values(
        "id", "person_id", "institution_id", "bed_type", "started_on", "ended_on"))
    people = {p["id"]: p for p in ElderlyPerson.objects.filter(id__in={s["person_id"] for s in stays}).values(
        "id", "birth_date", "died_on", "moved_out_on")}
    by_inst = defaultdict(list)
    for s in stays:
        by_inst[s["institution_id"]].append(s)
    per_person = defaultdict(list)
    for s in stays:
        per_person[s["person_id"]].append(s)
    for iid, rows in by_inst.items():
        for k, s in enumerate(rows):
            d = s["started_on"]
            cap = _capacity_at(caps[iid], d)
            if cap is None:
                out.append(f"residence {s['id']}: institution not operating on {d}")
                continue
            active = [r for r in rows[:k] if r["ended_on"] is None or r["ended_on"] > d]
            p = people[s["person_id"]]
            others = [r for r in per_person[s["person_id"]] if r is not s and r["started_on"] <= d and (
                r["ended_on"] is None or r["ended_on"] > d)]
            errs = check_admission(died_on=p["died_on"], moved_out_on=p["moved_out_on"], on=d, beds=cap["beds"],
                                   residents=len(active), nursing=s["bed_type"] == "nursing",
                                   nursing_beds=cap["nursing_beds"],
                                   nursing_residents=sum(1 for r in active if r["bed_type"] == "nursing"),
                                   already_resident=bool(others))
            if s["bed_type"] == "ordinary":
                ordinary = sum(1 for r in active if r["bed_type"] == "ordinary")
                if ordinary + 1 > cap["beds"] - cap["nursing_beds"]:
                    errs.append("ordinary beds full")
            if p["birth_date"] > years_before(d, 60):
                errs.append("under 60 at admission")
            for gone in (p["died_on"], p["moved_out_on"]):
                if gone and (s["ended_on"] is None or s["ended_on"] > gone):
                    errs.append("stay continues after death or move-out")
            if errs:
                out.append(f"residence {s['id']} on {d}: {errs}")
        # A capacity cut (closure, conversion) must not leave more residents than beds.
        for h in caps[iid]:
            d = h["valid_from"]
            active = [r for r in rows if r["started_on"] <= d and (r["ended_on"] is None or r["ended_on"] > d)]
            beds = h["beds"] if h["status"] == "operating" else 0
            nursing = h["nursing_beds"] if h["status"] == "operating" else 0
            if len(active) > beds or sum(1 for r in active if r["bed_type"] == "nursing") > nursing:
                out.append(f"institution {iid} on {d}: residents above beds")
    return out[:20]


def check_enrolments(spec: Spec, sample: int) -> list[str]:
    from ylyx.institutions.models import ChildcareClass
    from ylyx.institutions.rules import EnrolmentCheck, check_enrolment
    from ylyx.people.models import Enrolment, Infant

    out = []
    classes = {k.id: k for k in ChildcareClass.objects.all()}
    rows = list(Enrolment.objects.order_by("started_on", "id").values(
        "id", "infant_id", "childcare_class_id", "started_on", "ended_on"))
    births = dict(Infant.objects.filter(id__in={r["infant_id"] for r in rows}).values_list("id", "birth_date"))
    by_class = defaultdict(list)
    per_infant = defaultdict(list)
    for r in rows:
        by_class[r["childcare_class_id"]].append(r)
        per_infant[r["infant_id"]].append(r)
    for cid, rs in by_class.items():
        k = classes[cid]
        for n, r in enumerate(rs):
            d = r["started_on"]
            enrolled = sum(1 for x in rs[:n] if x["ended_on"] is None or x["ended_on"] > d)
            errs = check_enrolment(EnrolmentCheck(births[r["infant_id"]], d, k.class_type, k.places, enrolled,
                                                  k.caregivers))
            if errs:
                out.append(f"enrolment {r['id']}: {errs}")
    for iid, rs in per_infant.items():
        for a, b in zip(rs, rs[1:], strict=False):
            if a["ended_on"] is None or a["ended_on"] > b["started_on"]:
                out.append(f"infant {iid} enrolled twice at once")
    return out[:20]


def check_staff(spec: Spec, sample: int) -> list[str]:
    from ylyx.institutions.models import Institution
    from ylyx.workforce.models import Employment
    from ylyx.workspace.stats import _active

    out = []
    active = Employment.objects.filter(_active(BASELINE))
    sw = active.filter(role="social_worker").values("practitioner").distinct().count()
    if sw != spec.social_workers_2020:
        out.append(f"social workers on 2020-12-31: {sw} ≠ {spec.social_workers_2020}")
    care = dict(active.filter(role__in=["child_caregiver", "nursery_teacher"]).values("institution").annotate(
        n=Count("id")).values_list("institution", "n"))
    for inst in Institution.objects.filter(kind="childcare", opened_on__lte=BASELINE).prefetch_related("classes"):
        need = sum(k.caregivers for k in inst.classes.all())
        if care.get(inst.id, 0) < need:
            out.append(f"{inst.name}: {care.get(inst.id, 0)} caregivers employed, classes need {need}")
    busy = defaultdict(list)
    for e in Employment.objects.order_by("started_on").values("practitioner_id", "started_on", "ended_on"):
        busy[e["practitioner_id"]].append(e)
    for pid, es in busy.items():
        for a, b in zip(es, es[1:], strict=False):
            if a["ended_on"] is None or a["ended_on"] > b["started_on"]:
                out.append(f"practitioner {pid} holds two posts at once")
                break
    return out[:20]


def check_filings(spec: Spec, sample: int) -> list[str]:
    from ylyx.institutions.models import FILING_TRANSITIONS, Filing, FilingStatus

    out = []
    filed_2020 = 0
    for f in Filing.objects.prefetch_related("events").select_related("institution"):
        ev = list(f.events.all())
        if not ev or ev[0].status != "submitted" or ev[0].on != f.submitted_on:
            out.append(f"filing {f.id}: does not start with its submission")
        for a, b in zip(ev, ev[1:], strict=False):
            if b.status not in FILING_TRANSITIONS[FilingStatus(a.status)] or b.on < a.on:
                out.append(f"filing {f.id}: {a.status} → {b.status} not allowed")
        if ev and ev[-1].status != f.status:
            out.append(f"filing {f.id}: status {f.status} but last event {ev[-1].status}")
        filed = [e.on for e in ev if e.status == "filed"]
        if (filed[-1] if filed else None) != f.filed_on:
            out.append(f"filing {f.id}: filed_on differs from its events")
        if f.institution.kind == "childcare" and f.filed_on and f.filed_on <= BASELINE:
            filed_2020 += 1
    if filed_2020 != spec.filed_2020:
        out.append(f"childcare filed by 2020-12-31: {filed_2020} ≠ {spec.filed_2020}")
    return out[:20]


def check_stats(spec: Spec, sample: int) -> list[str]:
    from ylyx.workspace.stats import flatten, registry_stats

    got = flatten(registry_stats(CITY_CODE, BASELINE))
    return [f"{k}: {got.get(k)} ≠ {v}" for k, v in spec.expected_2020().items() if got.get(k) != v]
