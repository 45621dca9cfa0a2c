"""Officials' home (/) p50/p95 on the full-scale demo city: city admin and county officer, with the home
figures cached (the usual case) and with the cache emptied before every request (the first visit of the
day); the map page and the region search; and the 巴彦淖尔 dashboard at 2020-12-31 against the plan's 2020
column (every row with a number there must show that number).

Target: city admin p95 < 300 ms. Baseline: the same request with the cache emptied each time.
"""

from __future__ import annotations

import datetime as dt
import os

import common

N = int(os.environ.get("BENCH_REQUESTS", "50"))
TARGET_P95_MS = 300.0


def ensure_workspace_demo() -> None:
    """The full-scale city (built when missing) with the workspace's demo values and outlines."""
    from bench_indicators import ensure_demo

    ensure_demo()
    from ylyx.indicators.models import ReportedValue
    from ylyx.regions.models import RegionBoundary

    if not ReportedValue.objects.unscoped("bench: is the demo complete").exists() \
            or not RegionBoundary.objects.exists():
        from django.db import transaction

        from ylyx.workspace.demo import build

        print("  补充工作台演示数据（部门填报值、区划边界）…", flush=True)
        with transaction.atomic():
            build(log=lambda *_: None)


def plan_2020_check() -> dict:
    from ylyx.indicators.models import Plan
    from ylyx.indicators.selectors import plan_table

    plan = Plan.objects.unscoped("bench: the seed plan").get(code="bayannur-2021")
    table = plan_table(plan, "150800000000", dt.date(2020, 12, 31), with_breakdown=False)
    by_seq = {r.seq: r for r in table.rows}
    checked, differ = 0, []
    for pi in plan.indicators.order_by("position", "id"):
        if pi.baseline_value is None:
            continue
        checked += 1
        v = by_seq[pi.seq].value
        if v is None or round(v, 2) != round(pi.baseline_value, 2):
            differ.append(f"{pi.seq} {pi.name}: {v} ≠ {pi.baseline_value}")
    return {"rows_with_2020_number": checked, "differ": differ}


def run() -> dict:
    from django.core.cache import cache
    from django.test import Client

    from ylyx import testing
    from ylyx.accounts.models import User

    ensure_workspace_demo()
    users = {u.username: u for u in User.objects.filter(username__in=["demo_minzheng", "demo_linhe"])}
    if len(users) < 2:
        common.note("demo users missing")
        return {"skipped": "no demo database"}
    out: dict = {}
    rows = []

    def case(label: str, user, url: str, params: dict | None = None, cold: bool = False) -> None:
        client = Client()
        testing.force_login(client, user)
        resp = client.get(url, params or {})
        if resp.status_code != 200:
            common.note(f"{label}: HTTP {resp.status_code}")
            out[label] = {"status": resp.status_code}
            return

        def call():
            if cold:
                cache.clear()
            client.get(url, params or {})

        s = common.summary(common.timed(call, N))
        out[label] = s
        rows.append([label, s["p50_ms"], s["p95_ms"], s["max_ms"]])

    city, county = users["demo_minzheng"], users["demo_linhe"]
    case("首页 市民政局（缓存）", city, "/")
    case("首页 市民政局（每次清空缓存）", city, "/", cold=True)
    case("首页 临河区（缓存）", county, "/")
    case("首页 临河区（每次清空缓存）", county, "/", cold=True)
    case("地图 市民政局（全部机构）", city, "/map/")
    case("区划搜索 lhq", city, "/regions/search/", {"q": "lhq"})
    common.table(["场景", "p50 ms", "p95 ms", "max ms"], rows)
    p95 = out.get("首页 市民政局（缓存）", {}).get("p95_ms")
    cold = out.get("首页 市民政局（每次清空缓存）", {}).get("p95_ms")
    if p95:
        print(f"    city admin home p95 {p95} ms (target < {TARGET_P95_MS:g} ms: {'met' if p95 < TARGET_P95_MS else 'MISSED'});"
              f" uncached p95 {cold} ms → {cold / p95:.1f}× slower")
    check = plan_2020_check()
    print(f"    巴彦淖尔 2020-12-31: {check['rows_with_2020_number']} rows with a 2020 number, "
          f"{len(check['differ'])} differ" + (": " + "; ".join(check["differ"]) if check["differ"] else ""))
    return {"requests_each": N, "target_p95_ms": TARGET_P95_MS, "baseline": "same request, cache emptied each time",
            "cases": out, "plan_2020": check}


if __name__ == "__main__":
    common.setup_django()
    run()
