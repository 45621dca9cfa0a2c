"""Demo data for the workspace: the demo city's departments report every reported indicator of the
巴彦淖尔 plan for 2020–2025, through the real workflow, and the region outlines are generated.

Every value is synthetic and says so in its comment (``DEMO_NOTE``), except that the 2020 values equal
the plan table's 2020 column where it gives one. The workflow is the services': a department user enters
and submits, another city user approves and publishes; one value (适龄儿童规划免疫疫苗接种率, 2024) is
entered wrongly, returned with a reason, corrected and resubmitted. Two binding indicators end 2025 short
of their targets (居家社区养老服务覆盖率 84 of 90, 疫苗接种率 89.6 of >90), so the officials' home has
something behind to show.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

PLAN_CODE = "bayannur-2021"
CITY = "150800000000"
YEARS = list(range(2020, 2026))
DEMO_NOTE = "演示数据（合成），非真实统计"
HEALTH_DEPTS = ("卫健委", "卫生健康委", "市卫生健康委", "医保局")

# seq → the six yearly values 2020…2025 (2020 = the plan table's column where it has a number)
SERIES: dict[str, list[float]] = {
    "1": [90.2, 91.4, 92.5, 93.6, 94.6, 95.3],
    "2": [95, 95.3, 95.6, 95.8, 96.0, 96.2],
    "3": [100, 100, 100, 100, 100, 100],
    "4": [27, 38, 50, 61, 72, 84],  # behind its target of 90 (binding)
    "5": [62, 70, 78, 86, 94, 100],
    "8": [61.5, 64.2, 67.0, 70.1, 73.0, 76.2],
    "9": [77.51, 77.56, 77.6, 77.65, 77.7, 77.78],
    "10": [51.9, 52.6, 53.4, 54.2, 55.0, 55.8],
    "12": [0, 1, 3, 4, 6, 8],
    "13": [88.73, 88.9, 89.1, 89.2, 89.3, 89.6],  # behind its target of >90 (binding)
    "15": [0, 1, 2, 4, 5, 7],
    "17": [0, 1, 2, 3, 5, 7],
    "18": [89.6, 90.3, 91.0, 91.8, 92.4, 93.1],
    "P2": [0.4, 0.5, 0.7, 0.8, 0.9, 1],
    "P4": [35, 46, 57, 68, 76, 82],
    "P5": [0, 0, 0.4, 0.7, 1, 1.1],
    "P6": [57.1, 57.1, 71.4, 85.7, 100, 100],
    "P7": [33, 40, 46, 52, 57, 62],
    "P8": [80, 84, 88, 92, 96, 100],
}
RETURNED = ("13", 2024, 8.93)  # entered without its decimal point, returned and corrected to SERIES value


def fallback(pi: Any) -> list[float]:
    """A plain path for a reported row not in SERIES (a plan edited later): baseline or 80 % of the target
    in 2020, the target in 2025."""
    end = pi.target_value if pi.target_value is not None else 100.0
    start = pi.baseline_value if pi.baseline_value is not None else round(end * 0.8, 2)
    return [round(start + (end - start) * i / 5, 2) for i in range(6)]


def reported_values(log: Callable[[str], None] = print) -> dict[str, int]:
    from ylyx.accounts.models import User
    from ylyx.indicators import services as S
    from ylyx.indicators.models import Plan
    from ylyx.regions.models import Region

    plan = Plan.objects.unscoped("demo build: the seed plan").filter(code=PLAN_CODE).first()
    if plan is None:
        return {"reported_values": 0}
    city = Region.objects.get(code=CITY)
    minzheng = User.objects.get(username="demo_minzheng")
    weijian = User.objects.get(username="demo_weijian")
    n = returned = 0
    for pi in S.reported_rows(plan):
        dept = (pi.departments or ["民政局"])[0]
        health = dept in HEALTH_DEPTS
        enterer, approver = (weijian, minzheng) if health else (minzheng, weijian)
        values = SERIES.get(pi.seq) or fallback(pi)
        for year, value in zip(YEARS, values, strict=True):
            wrong = RETURNED[0] == pi.seq and RETURNED[1] == year
            rv = S.create_reported(enterer, region=city, year=year, value=RETURNED[2] if wrong else value,
                                   department=dept, plan_indicator=pi, comment=DEMO_NOTE)
            rv = S.submit_reported(rv, enterer)
            if wrong:
                rv = S.return_reported(rv, approver, "数值疑似漏了小数点（8.93），请核实后重新提交")
                rv = S.update_reported(rv, enterer, value=value, comment=f"{DEMO_NOTE}；已按退回意见更正")
                rv = S.submit_reported(rv, enterer)
                returned += 1
            rv = S.approve_reported(rv, approver)
            S.publish_reported(rv, approver)
            n += 1
    log(f"    部门填报值 {n} 条（{len(YEARS)} 年；其中退回并更正 {returned} 条）")
    return {"reported_values": n, "returned": returned}


def boundaries() -> int:
    from ylyx.regions.boundaries import generate_synthetic
    from ylyx.regions.models import Region

    return generate_synthetic(Region.objects.get(code=CITY))


def build(log: Callable[[str], None] = print) -> dict[str, int]:
    out = reported_values(log)
    out["boundaries"] = boundaries()
    return out
