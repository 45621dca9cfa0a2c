"""Planning fixtures: a city plan with the 赤峰 norms, population statistics for both counties, projects."""

from __future__ import annotations

import datetime as dt

import pytest

from ylyx import testing
from ylyx.indicators.models import Plan
from ylyx.planning import services
from ylyx.planning.models import DemandNorm, Project
from ylyx.regions.models import PopulationStat


@pytest.fixture
def plan(tree):
    p = Plan.objects.create(code="bayannur-test", title="测试规划", region_code="150800000000", region_name="巴彦淖尔市",
                            owner_region_code="150800000000", period_start=2021, period_end=2025)
    for pos, n in enumerate(services.chifeng_norms()):
        DemandNorm.objects.create(plan=p, position=pos, **n)
    return p


@pytest.fixture
def stats(tree):
    """临河区 700,000 elderly of 2,000,000; 五原县 350,000 of 2,000,000: the city has 1,050,000 elderly."""
    rows = {}
    for key, total, a60 in (("linhe", 2_000_000, 700_000), ("wuyuan", 2_000_000, 350_000)):
        for year in (2019, 2020):
            rows[(key, year)] = PopulationStat.objects.create(
                region=tree[key], year=year, total=total, aged_60=a60, aged_65=int(a60 * 0.7), aged_80=int(a60 * 0.12),
                under_3=int(total * 0.025), births=int(total * 0.008), households=total // 3)
    return rows


@pytest.fixture
def homes(tree):
    """11,000 beds (6,000 in 临河区, 5,000 in 五原县) of which 3,464 nursing; 5,000 childcare places."""
    made = [testing.make_institution(tree["linhe_town"], beds=6_000, nursing_beds=2_000),
            testing.make_institution(tree["wuyuan_town"], beds=5_000, nursing_beds=1_464),
            testing.make_institution(tree["linhe_town"], kind="childcare", subtype="cc_public", places=5_000)]
    from ylyx.institutions.services import backfill_capacity

    backfill_capacity()
    return made


@pytest.fixture
def project(tree):
    return Project.objects.create(name="临河区颐养中心", region=tree["linhe_town"], stage="started", beds=500,
                                  nursing_beds=300, completion_due=dt.date(2024, 6, 30))
