"""Small plans for tests, with rows chosen so each status shows up on the ``data.build`` registry."""

from __future__ import annotations

from django.utils import timezone

from ylyx.indicators.models import Plan, PlanIndicator, ReportedValue
from ylyx.indicators.services import refresh_default_milestones, sync_catalogue

CITY = "150800000000"


def make_plan(rows: list[dict], code: str = "test-plan", region_code: str = CITY, region_name: str = "巴彦淖尔市",
              baseline_year: int | None = 2020, is_seed: bool = False) -> Plan:
    defs = sync_catalogue()
    plan = Plan.objects.create(code=code, title="测试规划", region_code=region_code, region_name=region_name,
                               owner_region_code=region_code, period_start=2021, period_end=2025,
                               baseline_year=baseline_year, is_seed=is_seed)
    for pos, r in enumerate(rows, start=1):
        r = dict(r)
        cat = r.pop("catalogue", "")
        d = defs.get(cat)
        pi = PlanIndicator.objects.create(
            plan=plan, position=pos, key=r.get("key", r["seq"]), category=r.get("category", "养老"), seq=r["seq"],
            name=r["name"], unit=r.get("unit", ""), baseline_text=str(r.get("baseline_value", "—")),
            baseline_value=r.get("baseline_value"), target_text=str(r.get("target_value")),
            target_value=r.get("target_value"), comparator=r.get("comparator", ">="),
            target_year=r.get("target_year", 2025), property=r.get("property", ""),
            departments=r.get("departments", ["民政局"]), catalogue=cat, definition=d,
            intensive=r.get("intensive", d is None or bool(d.denominator)))
        refresh_default_milestones(pi, baseline_year)
    return plan


STANDARD_ROWS = [
    {"seq": "1", "name": "养老床位数（张）", "unit": "张", "catalogue": "elderly_beds", "baseline_value": 320,
     "target_value": 370, "property": "预期性"},
    {"seq": "2", "name": "养老机构护理型床位占比（%）", "unit": "%", "catalogue": "nursing_bed_share",
     "baseline_value": 60, "target_value": 80, "property": "约束性"},
    {"seq": "3", "name": "基本养老保险参保率（%）", "unit": "%", "baseline_value": 90, "target_value": 95,
     "property": "预期性", "departments": ["人社局"]},
    {"seq": "4", "name": "每千人口托位数", "unit": "个", "catalogue": "childcare_places_per_1000",
     "target_value": 4.5},
    {"seq": "5", "name": "示范性老年友好社区数（个）", "unit": "个", "target_value": 8, "intensive": False},
]


def publish(pi, region, year, value, entered_by, approved_by, department="人社局") -> ReportedValue:
    now = timezone.now()
    return ReportedValue.objects.create(plan_indicator=pi, region=region, year=year, value=value,
                                        department=department, status="published", entered_by=entered_by,
                                        submitted_at=now, approved_by=approved_by, approved_at=now,
                                        published_by=approved_by, published_at=now)
