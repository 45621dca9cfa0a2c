"""A small registry with hand-countable figures (see the table in ``build``'s docstring)."""

from __future__ import annotations

import datetime as dt

from ylyx import testing
from ylyx.institutions.models import CapacityRecord, Filing, Institution
from ylyx.people.models import Residence
from ylyx.regions.models import PopulationStat
from ylyx.workforce.models import Certificate, Employment, TrainingRecord

D = dt.date


def cap(inst: Institution, start: dt.date, end: dt.date | None = None, status: str = "operating", region=None,
        **kw) -> CapacityRecord:
    return CapacityRecord.objects.create(institution=inst, region=region or inst.region, valid_from=start,
                                         valid_to=end, status=status, **kw)


def inst(region, kind="elder", subtype="public", **kw) -> Institution:
    return testing.make_institution(region, kind=kind, subtype=subtype, **kw)


def build(tree) -> dict:
    """Two counties with unequal denominators, so a mean of ratios and a ratio of sums differ.

    ====================  =====================  ==========================
    record                临河区 (150802)         五原县 (150821)
    ====================  =====================  ==========================
    养老机构 beds/nursing  100/10 (→120/60 from   200/180 (民办)
                          2022-07-01, 公办)
    社区设施              day_care 20 beds in     —
                          the village; street
                          center in the town
    托育                  50 places, 20 普惠,     30 places from 2021-03-01
                          filed 2020-06-01        filed 2021-05-01,
                                                  cancelled 2023-01-01
    population 2020       60000 / 12000 aged 60   40000 / 8000 aged 60
    ====================  =====================  ==========================
    """
    linhe_v, wuyuan_v = tree["linhe_village"], tree["wuyuan_village"]
    linhe_t, wuyuan_t = tree["linhe_town"], tree["wuyuan_town"]
    out = {}
    out["l1"] = l1 = inst(linhe_v, "elder", "public", beds=120, nursing_beds=60)
    cap(l1, D(2019, 1, 1), D(2022, 7, 1), beds=100, nursing_beds=10)
    cap(l1, D(2022, 7, 1), beds=120, nursing_beds=60)
    out["w1"] = w1 = inst(wuyuan_v, "elder", "private", beds=200, nursing_beds=180)
    cap(w1, D(2019, 1, 1), beds=200, nursing_beds=180)
    out["c1"] = c1 = inst(linhe_v, "community", "day_care", beds=20, nursing_beds=0)
    cap(c1, D(2019, 1, 1), beds=20)
    out["sc"] = sc = inst(linhe_t, "community", "street_center", beds=0, nursing_beds=0)
    cap(sc, D(2020, 3, 1), beds=0)
    out["k1"] = k1 = inst(linhe_v, "childcare", "cc_affordable", places=50, affordable_places=20)
    cap(k1, D(2019, 9, 1), places=50, affordable_places=20)
    Filing.objects.create(institution=k1, status="filed", submitted_on=D(2020, 5, 1), filed_on=D(2020, 6, 1))
    out["k2"] = k2 = inst(wuyuan_t, "childcare", "cc_profit", places=30)
    cap(k2, D(2021, 3, 1), places=30)
    Filing.objects.create(institution=k2, status="cancelled", submitted_on=D(2021, 4, 1), filed_on=D(2021, 5, 1),
                          cancelled_on=D(2023, 1, 1))
    # a planned (not yet operating) institution never counts
    out["planned"] = planned = inst(wuyuan_v, "elder", "public", beds=500, nursing_beds=500)
    cap(planned, D(2019, 1, 1), status="planned", beds=500, nursing_beds=500)

    for region, total, aged in ((tree["city"], 100000, 20000), (tree["linhe"], 60000, 12000),
                                (tree["wuyuan"], 40000, 8000)):
        PopulationStat.objects.create(region=region, year=2020, total=total, aged_60=aged)

    # workforce: a social worker in 临河 and two caregivers in 五原, one certified until 2021-12-31
    sw = testing.make_practitioner(linhe_v, role="social_worker", institution=l1)
    Employment.objects.create(practitioner=sw, institution=l1, role="social_worker", started_on=D(2019, 1, 1))
    Certificate.objects.create(practitioner=sw, name="社会工作者职业水平证书", issued_on=D(2018, 6, 1))
    cg1 = testing.make_practitioner(wuyuan_v, institution=w1)
    Employment.objects.create(practitioner=cg1, institution=w1, role="elder_caregiver", started_on=D(2019, 1, 1))
    Certificate.objects.create(practitioner=cg1, name="养老护理员", issued_on=D(2019, 1, 1), expires_on=D(2021, 12, 31))
    cg2 = testing.make_practitioner(wuyuan_v, institution=w1)
    Employment.objects.create(practitioner=cg2, institution=w1, role="elder_caregiver", started_on=D(2020, 6, 1),
                              ended_on=D(2022, 1, 1))
    TrainingRecord.objects.create(practitioner=cg1, course="岗前培训", completed_on=D(2020, 3, 1), passed=True)
    TrainingRecord.objects.create(practitioner=cg1, course="复训", completed_on=D(2020, 9, 1), passed=True)
    TrainingRecord.objects.create(practitioner=cg2, course="岗前培训", completed_on=D(2020, 7, 1), passed=False)
    out.update(sw=sw, cg1=cg1, cg2=cg2)

    # residents of l1: one dies on 2021-06-30 (the residence was never closed)
    p1 = testing.make_elderly(linhe_v, died_on=D(2021, 6, 30))
    p2 = testing.make_elderly(linhe_v)
    Residence.objects.create(person=p1, institution=l1, region=linhe_v, started_on=D(2020, 1, 1))
    Residence.objects.create(person=p2, institution=l1, region=linhe_v, started_on=D(2020, 1, 1))
    out.update(p1=p1, p2=p2)
    return out
