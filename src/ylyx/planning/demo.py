"""Demo data for planning: the demand norms of the 巴彦淖尔 plan, a few projects and residential areas (四同步).

All synthetic and marked so: the norms follow the 赤峰 arithmetic (the 巴彦淖尔 plan does not write its own
shares), projects and residential areas are made up around the demo city's counties.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np

DEMO_NOTE = "演示数据（合成）"
PLAN_CODE = "bayannur-2021"


def build(rng: np.random.Generator, log: Callable[[str], None] = print) -> dict[str, int]:
    from ylyx.indicators.models import Plan
    from ylyx.regions.models import Region

    from . import services
    from .models import DemandNorm, Project, ResidentialArea, Stage

    plan = Plan.objects.unscoped("demo build").filter(code=PLAN_CODE).first()
    counts = {"norms": 0, "projects": 0, "areas": 0}
    if plan is None:
        log("规划测算：未找到巴彦淖尔规划，跳过")
        return counts
    DemandNorm.objects.unscoped("demo build").filter(plan=plan).delete()
    for pos, n in enumerate(services.chifeng_norms()):
        DemandNorm.objects.create(plan=plan, position=pos, **{**n, "label": n["label"] + "（演示：参照赤峰测算口径）"})
        counts["norms"] += 1
    counties = list(Region.objects.filter(level=3, code__startswith="1508").order_by("code"))
    stages = [Stage.RESERVE, Stage.STARTED, Stage.BUILT, Stage.STARTED, Stage.RESERVE, Stage.OPERATING]
    for k, county in enumerate(counties):
        stage = stages[k % len(stages)]
        due = dt.date(2022 + k % 4, 6 + k % 6, 30)
        Project.objects.create(
            name=f"{county.name}综合养老服务中心（演示）", domain="elder", region=county, stage=stage,
            beds=int(rng.integers(100, 400)), nursing_beds=0, floor_area=int(rng.integers(3000, 12000)),
            completion_due=due, completed_on=due if stage in (Stage.BUILT, Stage.OPERATING) else None,
            lat=(county.centroid_lat or 40.75) + 0.01, lon=(county.centroid_lon or 107.39) + 0.01, note=DEMO_NOTE)
        Project.objects.create(
            name=f"{county.name}普惠托育中心（演示）", domain="childcare", region=county, stage=stages[(k + 2) % 6],
            places=int(rng.integers(60, 200)), floor_area=int(rng.integers(800, 2500)),
            completion_due=dt.date(2023 + k % 3, 9, 1), note=DEMO_NOTE)
        counts["projects"] += 2
        for j in range(2):
            hh = int(rng.integers(300, 2400))
            need = hh / 100 * 20
            ResidentialArea.objects.create(
                name=f"{county.name}演示小区{j + 1}", region=county, is_new=True, households=hh,
                status=["planned", "built", "accepted", "delivered"][(k + j) % 4],
                elder_room_area=int(need * (1.2 if (k + j) % 3 else 0.6)), child_room_area=int(rng.integers(0, 300)),
                approved_on=dt.date(2021 + j, 3, 1))
            counts["areas"] += 1
    log(f"规划测算：需求标准 {counts['norms']} 条，项目 {counts['projects']} 个，小区 {counts['areas']} 个（演示）")
    return counts
