"""从业人员 with employment histories, certificates and training.

Posts are slots that exist while the institution (and its beds or classes) needs them; each slot is
held by a sequence of people, so "employed on a date" equals the number of posts on that date. Social
workers are placed so that exactly 234 (0.72 per 1,000 of 325,000 people aged 60+) are employed on
2020-12-31 at scale 1, rising to about one per 1,000 in 2025 as the plan asks.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import names
from .institutions import ELDER_CARE_SUBTYPES, Inst, Registry
from .occupancy import OPEN_END, slot_intervals
from .spec import BASELINE, COUNTIES, HORIZON, Spec
from .util import add_years, allocate, day, from_day, id_numbers

TENURE_MEAN = {"elder_caregiver": 3.5, "child_caregiver": 3.0, "nursery_teacher": 3.0, "head": 6.0,
               "social_worker": 4.5, "medical": 5.0, "health_staff": 4.5}
FEMALE_SHARE = {"elder_caregiver": 0.85, "child_caregiver": 0.95, "nursery_teacher": 0.95, "head": 0.5,
                "social_worker": 0.7, "medical": 0.8, "health_staff": 0.9}
AGE_AT_HIRE = {"elder_caregiver": (35, 52), "child_caregiver": (21, 40), "nursery_teacher": (21, 42),
               "head": (32, 52), "social_worker": (23, 40), "medical": (25, 48), "health_staff": (23, 45)}
EDUCATION = {"elder_caregiver": ["初中", "高中", "中专"], "child_caregiver": ["中专", "大专"],
             "nursery_teacher": ["中专", "大专", "本科"], "head": ["大专", "本科"], "social_worker": ["本科", "大专"],
             "medical": ["大专", "本科"], "health_staff": ["中专", "大专"]}
CERTS = {
    "elder_caregiver": (0.75, "养老护理员职业技能等级证书", ["五级/初级工", "四级/中级工", "三级/高级工"],
                        "巴彦淖尔市职业技能鉴定中心", "YL"),
    "child_caregiver": (0.85, "保育师职业技能等级证书", ["五级/初级工", "四级/中级工"], "巴彦淖尔市职业技能鉴定中心", "BY"),
    "nursery_teacher": (0.9, "育婴员职业技能等级证书", ["五级/初级工", "四级/中级工", "三级/高级工"],
                        "巴彦淖尔市职业技能鉴定中心", "YY"),
    "social_worker": (1.0, "社会工作者职业资格证书", ["助理社会工作师", "助理社会工作师", "社会工作师"],
                      "人力资源和社会保障部 民政部", "SG"),
    "medical": (1.0, "护士执业证书", [""], "内蒙古自治区卫生健康委员会", "HS"),
    "health_staff": (1.0, "托幼机构卫生保健人员培训合格证", [""], "巴彦淖尔市妇幼保健院", "BJ"),
}
COURSES = {
    "elder_caregiver": ["失能老年人照护技能提升", "老年人跌倒预防与应急处置", "养老护理员岗位技能培训"],
    "child_caregiver": ["婴幼儿回应性照护", "托育机构安全管理与应急处置", "婴幼儿营养与喂养"],
    "nursery_teacher": ["婴幼儿早期发展指导", "托育服务岗位技能培训", "婴幼儿常见病预防"],
    "head": ["养老机构负责人培训", "机构消防安全管理", "服务质量标准化建设"],
    "social_worker": ["老年社会工作实务", "社会工作督导能力提升", "个案管理与资源链接"],
    "medical": ["医养结合服务能力提升", "安宁疗护基础", "老年综合评估"],
    "health_staff": ["托幼机构卫生保健", "传染病防控与晨午检", "婴幼儿伤害预防"],
}
PROVIDERS = {"elder": "巴彦淖尔市民政局", "childcare": "巴彦淖尔市卫生健康委员会", "school": "河套学院继续教育学院"}


@dataclass
class Post:
    inst: Inst
    role: str
    start: int
    end: int  # OPEN_END when still running on the horizon


@dataclass
class Job:
    person: int
    inst: Inst
    role: str
    start: int
    end: int | None
    full_time: bool


@dataclass
class Staff:
    birth: np.ndarray
    male: np.ndarray
    names: np.ndarray
    ids: list[str]
    phones: list[str]
    education: list[str]
    jobs: list[Job]
    certificates: list[tuple]  # (person, name, number, level, issuer, issued, expires)
    trainings: list[tuple]  # (person, course, provider, hours, completed, passed)
    region: list[str] = field(default_factory=list)
    role: list[str] = field(default_factory=list)
    institution: list[int | None] = field(default_factory=list)


def _count_posts(inst: Inst) -> list[tuple[str, Callable[[Any], int]]]:
    """(role, capacity → number of posts) for every role except social workers."""
    out: list = []
    if inst.subtype in ("meal",):
        return out
    if inst.subtype != "rural_station":
        out.append(("head", lambda c: 1))
    if inst.kind == "elder":
        out.append(("elder_caregiver", lambda c: math.ceil(c.beds * 0.65 / 5)))
        if inst.medical == "internal":
            n = 6 if inst.subtype == "medical" else 2 + inst.id % 3
            out.append(("medical", lambda c, n=n: n))
    elif inst.subtype == "happiness":
        out.append(("elder_caregiver", lambda c: max(1, math.ceil(c.beds / 20))))
    elif inst.subtype == "street_center":
        out.append(("elder_caregiver", lambda c: 3))
    elif inst.subtype in ("day_care", "rural_station"):
        out.append(("elder_caregiver", lambda c: 1))
    elif inst.kind == "childcare":
        care = sum(k.caregivers for k in inst.classes)
        child = math.ceil(care * 0.6)
        out.append(("child_caregiver", lambda c, n=child: n if c.places else 0))
        out.append(("nursery_teacher", lambda c, n=care - child: n if c.places else 0))
        out.append(("health_staff", lambda c: 1 if c.places else 0))
    return out


def _social_worker_posts(spec: Spec, reg: Registry, rng) -> list[Post]:
    base = day(BASELINE)
    old = [i for i in reg.institutions if i.subtype in ELDER_CARE_SUBTYPES and i.opened <= BASELINE]
    w = [(i.timeline[0].beds / 80 if i.kind == "elder" else 0.5 if i.subtype == "day_care" else 0.3) for i in old]
    posts = []
    for inst, n in zip(old, allocate(spec.social_workers_2020, w), strict=False):
        for _ in range(int(n)):
            lo = max(day(inst.opened), day(dt.date(2012, 1, 1)))
            start = int(rng.integers(lo, base + 1))
            end = day(inst.closed) if inst.closed else OPEN_END
            posts.append(Post(inst, "social_worker", start, end))
    still = sum(1 for p in posts if p.end == OPEN_END)
    add = max(0, spec.social_workers_2025 - still)
    live = [i for i in reg.institutions if i.subtype in ELDER_CARE_SUBTYPES and not i.closed]
    w = [(i.current.beds / 60 if i.kind == "elder" else 1.0 if i.subtype == "street_center" else 0.4) for i in live]
    for inst, n in zip(live, allocate(add, w), strict=False):
        for _ in range(int(n)):
            lo = max(day(inst.opened), day(dt.date(2021, 1, 1)))
            start = int(rng.integers(lo, max(lo + 1, day(dt.date(2025, 11, 30)))))
            posts.append(Post(inst, "social_worker", start, OPEN_END))
    return posts


def make_staff(spec: Spec, reg: Registry, rng: np.random.Generator, village_codes: list[str]) -> Staff:
    posts: list[Post] = []
    for inst in reg.institutions:
        for post_role, count_of in _count_posts(inst):
            for _j, intervals in slot_intervals(inst, count_of):
                for a, b in intervals:
                    posts.append(Post(inst, post_role, a, b))
    posts += _social_worker_posts(spec, reg, rng)
    # Tenures: each post is held by a sequence of people; a leaver may later take a post elsewhere.
    tenures = []
    for p in posts:
        t = p.start
        while t < p.end:
            end = t + max(60, int(rng.exponential(TENURE_MEAN[p.role] * 365.25)))
            end = min(end, p.end)
            tenures.append((t, end, p))
            t = end
    tenures.sort(key=lambda x: (x[0], x[2].inst.id))
    free: dict[str, list] = {}
    person_of: list[int] = []
    first_start: list[int] = []
    first_role: list[str] = []
    first_inst: list[Inst] = []
    jobs: list[Job] = []
    for t, end, p in tenures:
        heap = free.setdefault(p.role, [])
        if heap and heap[0][0] <= t and rng.random() < 0.3:
            _, person = heapq.heappop(heap)
        else:
            person = len(first_start)
            first_start.append(t)
            first_role.append(p.role)
            first_inst.append(p.inst)
        open_ = end >= OPEN_END
        jobs.append(Job(person, p.inst, p.role, t, None if open_ else end, rng.random() < 0.95))
        if not open_ and rng.random() < 0.6:  # the others leave the field
            heapq.heappush(heap, (end, person))
        person_of.append(person)
    n = len(first_start)
    male = np.array([rng.random() >= FEMALE_SHARE[r] for r in first_role])
    age = np.array([rng.integers(*AGE_AT_HIRE[r]) for r in first_role])
    start = np.array(first_start, dtype=np.int64)
    birth = start - (age * 365.25).astype(np.int64) - rng.integers(0, 365, n)
    # Born 1966 or later: elderly people (born up to 1965) and staff never share an ID number.
    birth = np.maximum(birth, day(dt.date(1966, 1, 1)) + rng.integers(0, 700, n))
    birth = np.minimum(birth, start - 18 * 366)
    full = names.pick_names(rng, male, names.ADULT_MALE, names.ADULT_FEMALE, mongol_share=0.05)
    areas = [COUNTIES[i.county][0] for i in first_inst]
    ids = id_numbers(areas, birth, male, salt=3)
    phones = [f"1{int(rng.choice([3, 5, 7, 8, 9]))}{int(rng.integers(0, 10))}{int(rng.integers(0, 10**8)):08d}"
              for _ in range(n)]
    education = [EDUCATION[r][int(rng.integers(len(EDUCATION[r])))] for r in first_role]
    # The current post (or the last one) gives the region, role and institution.
    last: dict[int, Job] = {}
    for j in jobs:
        if j.person not in last or j.start >= last[j.person].start:
            last[j.person] = j
    region: list[str] = []
    role: list[str] = []
    institution: list[int | None] = []
    for i in range(n):
        j = last[i]
        region.append(village_codes[j.inst.village])
        role.append(j.role)
        institution.append(j.inst.id if j.end is None else None)
    certs, trains = _credentials(rng, jobs, first_role, start)
    return Staff(birth, male, full, ids, phones, education, jobs, certs, trains, region, role, institution)


def _credentials(rng, jobs: list[Job], first_role: list[str], first_start: np.ndarray):
    horizon = day(HORIZON)
    certs = []
    for person, r in enumerate(first_role):
        spec = CERTS.get(r)
        if r == "head":
            spec = (0.9, "养老机构院长（负责人）培训合格证书", [""], "巴彦淖尔市民政局", "YZ")
        if spec is None or rng.random() >= spec[0]:
            continue
        issued = min(int(first_start[person]) + int(rng.integers(-700, 500)), horizon)
        level = spec[2][int(rng.integers(len(spec[2])))]
        year = from_day(issued).year
        number = f"{spec[4]}{year}150800{int(rng.integers(0, 10**6)):06d}"
        expires = add_years(from_day(issued), 5) if r == "medical" else None
        certs.append((person, spec[1], number, level, spec[3], from_day(issued), expires))
    trains = []
    for j in jobs:
        end = j.end if j.end is not None else horizon
        for year in range(max(2019, from_day(j.start).year), min(2025, from_day(end).year) + 1):
            lo, hi = max(j.start, day(dt.date(year, 1, 1))), min(end, day(dt.date(year, 12, 31)))
            if hi <= lo or rng.random() >= 0.85:
                continue
            provider = PROVIDERS["childcare" if j.inst.kind == "childcare" else "elder"]
            if rng.random() < 0.25:
                provider = PROVIDERS["school"]
            course = COURSES[j.role][int(rng.integers(len(COURSES[j.role])))]
            trains.append((j.person, course, provider, int(rng.choice([8, 16, 24, 40])),
                           from_day(int(rng.integers(lo, hi))), bool(rng.random() < 0.96)))
    return certs, trains
