"""Build the demo city into the current database, phase by phase, with timings.

Everything after the (optional) reset is one transaction: a failed build leaves nothing behind.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import transaction

from ylyx.core import crypto

from . import db
from .institutions import ELDER_CARE_SUBTYPES, expected_totals, make_institutions
from .logins import Login, create_logins, write_logins
from .occupancy import make_enrolments, make_residences
from .people import make_elderly, make_infants
from .regions import make_population, make_tree, population_rows, region_rows
from .spec import BASELINE, CITY_CODE, COUNTIES, HORIZON, NURSING_SHARE_2020, SEED, Spec
from .util import from_day, to_dates, to_iso
from .workforce import make_staff


class DemoError(Exception):
    pass


@dataclass
class BuildResult:
    spec: Spec
    timings: list[tuple[str, float]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    logins: list[Login] = field(default_factory=list)
    declared: dict[str, dict] = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        return sum(t for _, t in self.timings)


def ensure_empty() -> None:
    from ylyx.accounts.models import User
    from ylyx.institutions.models import Institution
    from ylyx.people.models import ElderlyPerson, Infant
    from ylyx.regions.models import Region

    if (Institution.objects.exists() or ElderlyPerson.objects.exists() or Infant.objects.exists()
            or Region.objects.filter(code__startswith="1508", level__gte=4).exists()
            or User.objects.filter(username__startswith="demo_").exists()):
        raise DemoError("数据库中已有登记数据或演示数据；请使用 --fresh 重建（将删除现有数据）")


def build(scale: float = 1.0, seed: int = SEED, *, fresh: bool = False, log: Callable[[str], None] = print,
          logins_path: Path | None = None, check_rules: bool = True) -> BuildResult:
    spec = Spec.at(scale, seed)
    result = BuildResult(spec)

    @contextmanager
    def phase(name: str):
        t0 = time.perf_counter()
        yield
        dt_ = time.perf_counter() - t0
        result.timings.append((name, dt_))
        log(f"  {name}{' ' * (16 - 2 * len(name))} {dt_:7.1f} s")

    if fresh:
        with phase("重建数据库"):
            db.reset_database()
    else:
        ensure_empty()

    def rng(k: int) -> np.random.Generator:
        return np.random.default_rng([seed, k])

    rules = settings.CHILDCARE_CLASS_RULES
    with transaction.atomic():
        w = db.Writer()
        with phase("区划与人口统计"):
            tree, pop = _regions(w, spec, rng)
        village_codes = [v.code for v in tree.villages]
        with phase("老年人"):
            eld = make_elderly(pop, tree, rng(3))
            elderly_first = _write_elderly(w, eld, village_codes)
        with phase("婴幼儿"):
            inf = make_infants(pop, tree, rng(4))
            infant_first = _write_infants(w, inf, village_codes)
        with phase("机构与备案"):
            from ylyx.institutions.models import ChildcareClass, Institution

            reg = make_institutions(spec, tree, pop, rng(5), rules, w.next_id(Institution), w.next_id(ChildcareClass))
            _check_declared(spec, reg)
            _write_institutions(w, reg, village_codes)
        with phase("入住"):
            stays = make_residences(reg, eld, rng(6), len(COUNTIES))
            _write_residences(w, stays, elderly_first, village_codes)
        with phase("入托"):
            check = _enrolment_check() if check_rules else None
            enrols = make_enrolments(reg, inf, rng(7), rules, check)
            _write_enrolments(w, enrols, infant_first, village_codes)
        with phase("从业人员"):
            staff = make_staff(spec, reg, rng(8), village_codes)
            _write_staff(w, staff)
        with phase("演示账号"):
            result.logins = _logins(reg, tree, stays)
        w.finish()
        with phase("规划与指标目录"):
            from ylyx.indicators.services import load_seed_plans

            load_seed_plans()
        with phase("能力评估与补贴"):
            from ylyx.subsidies.demo import build as build_subsidies

            w.counts.update({f"subsidies.{k}": v for k, v in build_subsidies(rng(10), log).items()})
        with phase("综合监管"):
            from .supervision import build as build_supervision

            supervision = build_supervision(seed, rng(9), log)
        with phase("规划测算演示数据"):
            from ylyx.planning.demo import build as build_planning

            planning = build_planning(rng(10), log)
        with phase("工作台演示数据"):
            from ylyx.workspace.demo import build as build_workspace

            workspace = build_workspace(log)
        with phase("探访与助餐"):
            from .visits import build as build_visits

            visits = build_visits(rng(10), log)
        from ylyx.audit.services import record

        record(None, "demo_build", reason="生成演示城市（合成数据）",
               detail={"scale": scale, "seed": seed, "rows": dict(w.counts), "logins": [x.username for x in result.logins]})
    with phase("ANALYZE"):
        db.analyze()
    if logins_path is not None:
        write_logins(logins_path, result.logins)
    result.counts = dict(w.counts)
    result.counts.update({f"supervision.{k}": v for k, v in supervision.items()})
    result.counts.update({f"workspace.{k}": v for k, v in workspace.items()})
    result.counts.update({f"planning.{k}": v for k, v in planning.items()})
    result.counts.update({f"visits.{k}": v for k, v in visits.items()})
    t20, t25 = expected_totals(reg, BASELINE), expected_totals(reg, HORIZON)
    result.declared = {"2020-12-31": spec.expected_2020(), "2020-12-31.capacity": t20, "2025-12-31.capacity": t25}
    return result


def _check_declared(spec: Spec, reg) -> None:
    t = expected_totals(reg, BASELINE)
    want = {"elder_care": spec.elder_care_2020, "rural_stations": spec.rural_stations_2020, "beds": spec.beds_2020,
            "childcare": sum(spec.childcare_2020.values()), "places": spec.places_2020, "filed": spec.filed_2020}
    bad = {k: (t[k], v) for k, v in want.items() if t[k] != v}
    if t["nursing"] * 100 != t["elder_beds"] * NURSING_SHARE_2020:
        bad["nursing"] = (t["nursing"], t["elder_beds"])
    if bad:
        raise DemoError(f"generator does not meet its 2020 figures: {bad}")


# ---- phases --------------------------------------------------------------------------------------

def _regions(w: db.Writer, spec: Spec, rng):
    from ylyx.regions.models import PopulationStat, Region
    from ylyx.regions.services import load_gbt2260

    from .regions import METRICS

    load_gbt2260({"15"})
    Region.objects.filter(code=CITY_CODE).update(centroid_lat=40.756, centroid_lon=107.417)
    for c6, _name, _w, lat, lon, *_ in COUNTIES:
        Region.objects.filter(code=f"{c6}000000").update(centroid_lat=lat, centroid_lon=lon, urban=c6 == "150802")
    tree = make_tree(spec, rng(1))
    pop = make_population(spec, tree, rng(2))
    fields = ["code", "name", "level", "parent_id", "kind", "urban", "is_synthetic", "centroid_lat", "centroid_lon"]
    w.insert(Region, fields, (tuple(r[f] for f in fields) for r in region_rows(tree)))
    pfields = ["region_id", "year", "source", *METRICS]
    w.insert(PopulationStat, pfields, (tuple(r[f] for f in pfields) for r in population_rows(tree, pop)))
    return tree, pop


def _write_elderly(w: db.Writer, eld, village_codes) -> int:
    from ylyx.people.models import ElderlyPerson

    first = w.next_id(ElderlyPerson)
    births, reg_on = to_iso(eld.birth), to_iso(eld.registered)
    died, moved = to_iso(eld.died, nullable=True), to_iso(eld.moved, nullable=True)
    enc, bidx = crypto.encrypt_field, crypto.blind_index
    fields = ["id", "name", "id_number_enc", "id_bidx", "id_last4", "sex", "birth_date", "phone_enc", "region_id",
              "address", "living_situation", "economic_status", "special_family", "disability", "registered_on",
              "died_on", "moved_out_on"]

    def rows():
        for i in range(len(eld)):
            number = eld.ids[i]
            phone = eld.phones[i]
            yield (first + i, eld.names[i], enc(number), bidx(number), number[-4:], "M" if eld.male[i] else "F",
                   births[i], enc(phone) if phone else "", village_codes[eld.village[i]], eld.addresses[i],
                   eld.living[i], eld.economic[i], bool(eld.special_family[i]), eld.disability[i], reg_on[i],
                   died[i], moved[i])

    with w.bulk_mode(ElderlyPerson):
        w.insert(ElderlyPerson, fields, rows(), ready=True)
    return first


def _write_infants(w: db.Writer, inf, village_codes) -> int:
    from ylyx.people.models import Infant

    first = w.next_id(Infant)
    births, moved = to_iso(inf.birth), to_iso(inf.moved, nullable=True)
    enc, bidx = crypto.encrypt_field, crypto.blind_index
    fields = ["id", "name", "id_number_enc", "id_bidx", "id_last4", "sex", "birth_date", "region_id", "address",
              "guardian_name", "guardian_relation", "moved_out_on"]

    def rows():
        for i in range(len(inf)):
            number = inf.ids[i]
            yield (first + i, inf.names[i], enc(number), bidx(number), number[-4:], "M" if inf.male[i] else "F",
                   births[i], village_codes[inf.village[i]], inf.addresses[i], inf.guardians[i], inf.relations[i],
                   moved[i])

    with w.bulk_mode(Infant):
        w.insert(Infant, fields, rows(), ready=True)
    return first


def _write_institutions(w: db.Writer, reg, village_codes) -> None:
    from ylyx.institutions.models import CapacityRecord, ChildcareClass, Filing, FilingEvent, Institution

    fields = ["id", "name", "kind", "subtype", "domain", "uscc", "legal_form", "operation_mode", "region_id",
              "address", "lat", "lon", "floor_area", "beds", "nursing_beds", "places", "affordable_places",
              "medical_service", "monthly_fee_min", "monthly_fee_max", "status", "opened_on", "closed_on",
              "contact_phone"]

    def dec(x):
        return None if x is None else Decimal(str(x))

    rows = []
    for i in reg.institutions:
        c = i.current
        rows.append((i.id, i.name, i.kind, i.subtype, "childcare" if i.kind == "childcare" else "elder", i.uscc,
                     i.legal_form, i.operation_mode, village_codes[i.village], i.address, i.lat, i.lon,
                     dec(i.floor_area), c.beds, c.nursing, c.places, c.affordable, i.medical, dec(i.fee_min),
                     dec(i.fee_max), c.status, i.opened, i.closed, i.phone))
    w.insert(Institution, fields, rows)
    cap_rows, class_rows, filing_rows, event_rows = [], [], [], []
    filing_id = w.next_id(Filing)
    for i in reg.institutions:
        region = village_codes[i.village]
        for k, c in enumerate(i.timeline):
            valid_to = i.timeline[k + 1].valid_from if k + 1 < len(i.timeline) else None
            cap_rows.append((i.id, region, c.valid_from, valid_to, c.status, c.beds, c.nursing, c.places, c.affordable))
        for k in i.classes:
            class_rows.append((k.id, i.id, k.name, k.class_type, k.places, k.affordable, k.caregivers))
        if i.filing is not None:
            f = i.filing
            filing_rows.append((filing_id, i.id, f.status, f.number, f.submitted_on, f.filed_on, f.cancelled_on,
                                f.authority))
            event_rows += [(filing_id, s, on, reason) for s, on, reason in f.events]
            filing_id += 1
    w.insert(CapacityRecord, ["institution_id", "region_id", "valid_from", "valid_to", "status", "beds",
                              "nursing_beds", "places", "affordable_places"], cap_rows)
    w.insert(ChildcareClass, ["id", "institution_id", "name", "class_type", "places", "affordable", "caregivers"],
             class_rows)
    w.insert(Filing, ["id", "institution_id", "status", "number", "submitted_on", "filed_on", "cancelled_on",
                      "authority"], filing_rows)
    w.insert(FilingEvent, ["filing_id", "status", "on", "reason"], event_rows)


def _write_residences(w: db.Writer, stays, first: int, village_codes) -> None:
    from ylyx.people.models import Residence

    rows = ((first + s.person, s.inst.id, village_codes[s.inst.village], "nursing" if s.nursing else "ordinary",
             from_day(s.start), None if s.end is None else from_day(s.end)) for s in stays)
    w.insert(Residence, ["person_id", "institution_id", "region_id", "bed_type", "started_on", "ended_on"], rows)


def _enrolment_check():
    from ylyx.institutions.rules import EnrolmentCheck, check_enrolment

    def check(birth, on, class_type, places, enrolled, caregivers):
        return check_enrolment(EnrolmentCheck(birth, on, class_type, places, enrolled, caregivers))

    return check


def _write_enrolments(w: db.Writer, enrols, first: int, village_codes) -> None:
    from ylyx.people.models import Enrolment

    rows = ((first + e.infant, e.inst.id, e.klass_id, village_codes[e.inst.village], from_day(e.start),
             None if e.end is None else from_day(e.end)) for e in enrols)
    w.insert(Enrolment, ["infant_id", "institution_id", "childcare_class_id", "region_id", "started_on", "ended_on"],
             rows)


def _write_staff(w: db.Writer, staff) -> None:
    from ylyx.workforce.models import Certificate, Employment, Practitioner, TrainingRecord

    first = w.next_id(Practitioner)
    births = to_dates(staff.birth)
    enc, bidx = crypto.encrypt_field, crypto.blind_index
    rows = ((first + i, staff.names[i], enc(staff.ids[i]), bidx(staff.ids[i]), staff.ids[i][-4:],
             "M" if staff.male[i] else "F", births[i], enc(staff.phones[i]), staff.region[i], staff.role[i],
             staff.education[i], staff.institution[i]) for i in range(len(staff.birth)))
    w.insert(Practitioner, ["id", "name", "id_number_enc", "id_bidx", "id_last4", "sex", "birth_date", "phone_enc",
                            "region_id", "role", "education", "institution_id"], rows)
    w.insert(Employment, ["practitioner_id", "institution_id", "role", "full_time", "started_on", "ended_on"],
             ((first + j.person, j.inst.id, j.role, j.full_time, from_day(j.start),
               None if j.end is None else from_day(j.end)) for j in staff.jobs))
    w.insert(Certificate, ["practitioner_id", "name", "number", "level", "issuer", "issued_on", "expires_on"],
             ((first + c[0], *c[1:]) for c in staff.certificates))
    w.insert(TrainingRecord, ["practitioner_id", "course", "provider", "hours", "completed_on", "passed"],
             ((first + t[0], *t[1:]) for t in staff.trainings))


def _logins(reg, tree, stays) -> list[Login]:
    from ylyx.institutions.models import Institution

    linhe_town = next(t.code for t in tree.towns if t.code.startswith("150802"))
    residents: dict[int, int] = {}
    for s in stays:
        if s.end is None:
            residents[s.inst.id] = residents.get(s.inst.id, 0) + 1
    elder = [i for i in reg.institutions if i.kind == "elder" and i.subtype in ELDER_CARE_SUBTYPES
             and not i.closed and i.opened <= BASELINE]
    elder.sort(key=lambda i: (i.county != 0, -residents.get(i.id, 0)))
    cc = [i for i in reg.by_kind("childcare") if i.opened <= BASELINE]
    cc.sort(key=lambda i: (i.county != 0, not (i.filing and i.filing.status == "filed"), -i.current.places))
    return create_logins(linhe_town, Institution.objects.get(pk=elder[0].id), Institution.objects.get(pk=cc[0].id))

