"""双随机 draw at province size (12 demo-sized cities, 500 inspectors) and publication of its results.

Two parts:

* **Engine, province size, in memory.** Target pools for 12 cities at the demo city's institution density
  (the bench database's count, its kinds and credit classes spread as in the demo), 500 inspectors in
  city and county bureaus with declared conflicts and last-time recusals. Times: freezing the pools
  (canonical JSON + SHA-256), the draw, the public document and its offline re-verification; sizes of
  the pools, the selection and the JSON anyone downloads.
* **Platform, one full-scale city, in the bench database (rolled back).** Through the services, as
  officials do it: plan, commit, draw, complete every drawn inspection (checklist, rectification
  orders, deadlines, credit events), publish every result; then the publication clock, the public
  draw page and its JSON. Times per step and per result.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from decimal import Decimal

import common

CITIES = 12
INSPECTORS = 500


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 1)


def province_pools(per_city: int, kinds: list[str], seed: int = 7):
    """Pools for 12 cities (real 内蒙古 city codes 1501–1512, synthetic counties and villages)."""
    import numpy as np

    from ylyx.supervision import draw as D

    rng = np.random.default_rng(seed)
    cities = [f"15{c:02d}" for c in range(1, 13)]
    classes = np.array(list("ABCD"))
    targets, tid = [], 0
    for city in cities:
        for _ in range(per_city):
            tid += 1
            county = f"{city}{int(rng.integers(1, 9)):02d}"
            kind = kinds[int(rng.integers(0, len(kinds)))]
            cls = str(rng.choice(classes, p=[0.35, 0.45, 0.15, 0.05]))
            forced = "新开业" if rng.random() < 0.03 else ""
            targets.append(D.Target(tid, f"机构{tid:05d}", f"{county}{int(rng.integers(100, 999)):03d}"
                                    f"{int(rng.integers(1, 300)):03d}", "childcare" if kind == "childcare" else "elder",
                                    cls, kind, "", forced))
    inspectors = []
    for j in range(INSPECTORS):
        city = cities[j % CITIES]
        region = f"{city}00000000" if j % 5 == 0 else f"{city}{1 + j % 8:02d}000000"
        dom = ("elder", "childcare") if j % 7 == 0 else (("elder",) if j % 2 else ("childcare",))
        rec = tuple(int(x) for x in rng.integers(1, tid + 1, size=int(rng.integers(0, 4))))
        inspectors.append(D.Inspector(10_000 + j, f"JC{j:04d}", f"{city}局", region, dom, rec))
    params = D.Params(Decimal("0.2"), {"A": Decimal("0.5"), "B": Decimal(1), "C": Decimal("1.5"), "D": Decimal(2)},
                      2, True)
    return targets, inspectors, params


def engine_bench(per_city: int, kinds: list[str]) -> dict:
    from ylyx.supervision import draw as D

    targets, inspectors, params = province_pools(per_city, kinds)
    out: dict = {"targets": len(targets), "inspectors": len(inspectors)}
    t0 = time.perf_counter()
    pools = D.Pools.freeze(targets, inspectors, params)
    out["freeze_ms"] = _ms(t0)
    seed = D.new_seed()
    t0 = time.perf_counter()
    result = D.draw(seed, pools, "witness")
    out["draw_ms"] = _ms(t0)
    out["selected"] = len(result.selected)
    out["by_class"] = {c: f"{k}/{n}" for c, (n, k) in result.by_class.items()}
    t0 = time.perf_counter()
    doc = D.document(task={"id": 0, "title": "province"}, pools=pools, commitment=D.commitment_of(seed),
                     committed_at="", seed=seed, witness="witness", drawn_at="", result=result)
    text = json.dumps(doc, ensure_ascii=False)
    out["document_ms"] = _ms(t0)
    out["document_bytes"] = len(text.encode())
    t0 = time.perf_counter()
    problems = D.verify_document(json.loads(text))
    out["verify_ms"] = _ms(t0)
    out["verified"] = not problems
    return out


def platform_bench() -> dict:
    """One full-scale city through the services; everything is rolled back afterwards."""
    from django.db import transaction
    from django.test import Client
    from django.urls import reverse

    from ylyx.accounts.models import User
    from ylyx.regions.models import Region
    from ylyx.supervision import checklists, selectors, services
    from ylyx.supervision.models import Inspection, ItemResult

    user = User.objects.filter(username="demo_minzheng").first()
    if user is None:
        return {"skipped": "no demo city in the bench database"}
    out: dict = {}

    class Rollback(Exception):
        pass

    try:
        with transaction.atomic():
            city = Region.objects.get(code="150800000000")
            plan = services.plan_create(user, {"title": "基准测试计划", "year": 2026, "region": city,
                                               "department": "市民政局", "domain": "elder",
                                               "kinds": ["elder", "community"], "ratio": "0.3",
                                               "period_start": dt.date(2026, 1, 1),
                                               "period_end": dt.date(2026, 12, 31)})
            task = services.task_create(user, plan, "基准批次")
            t0 = time.perf_counter()
            task = services.task_commit(user, task)
            out["commit_ms"] = _ms(t0)
            out["pool_targets"] = len(json.loads(task.targets_json))
            out["pool_inspectors"] = len(json.loads(task.inspectors_json))
            time.sleep(0.002)
            t0 = time.perf_counter()
            task = services.task_draw(user, task, "bench")
            out["draw_ms"] = _ms(t0)
            insps = list(Inspection.objects.unscoped("bench").filter(task=task).order_by("id"))
            out["inspections"] = len(insps)
            on = dt.date(2026, 11, 2)
            t0 = time.perf_counter()
            for k, insp in enumerate(insps):
                cl = checklists.get(insp.checklist)
                fail = {cl.items[k % len(cl.items)].code} if k % 4 == 0 else set()
                ItemResult.objects.bulk_create([ItemResult(
                    inspection=insp, code=i.code, text=i.text, basis=i.basis, severity=i.severity,
                    result="fail" if i.code in fail else "pass", note="基准" if i.code in fail else "")
                    for i in cl.items])
                outcome = "pass" if not fail else ("fail" if cl.item(next(iter(fail))).severity == "high" else "minor")
                services.inspection_complete(user, insp, outcome, "", on=on)
            out["complete_ms_per_result"] = round(_ms(t0) / max(1, len(insps)), 1)
            t0 = time.perf_counter()
            clock = selectors.publication_clock(user)
            out["clock_ms"] = _ms(t0)
            out["clock_rows"] = len(clock)
            from ylyx.supervision.views import default_public_summary

            t0 = time.perf_counter()
            for insp in Inspection.objects.unscoped("bench").filter(task=task).select_related("institution"):
                services.inspection_publish(user, insp, default_public_summary(insp))
            out["publish_ms_per_result"] = round(_ms(t0) / max(1, len(insps)), 1)
            c = Client()
            c.get(reverse("supervision_public:index"))  # the first request loads URLconf and templates
            t0 = time.perf_counter()
            page = c.get(reverse("supervision_public:task", args=[task.pk]))
            out["public_page_ms"] = _ms(t0)
            t0 = time.perf_counter()
            doc = c.get(reverse("supervision_public:task_json", args=[task.pk]))
            out["public_json_ms"] = _ms(t0)
            out["public_json_bytes"] = len(doc.content)
            out["public_ok"] = page.status_code == doc.status_code == 200
            raise Rollback
    except Rollback:
        pass
    return out


def run() -> dict:
    from ylyx.institutions.models import Institution

    qs = Institution.objects.filter(status="operating")
    per_city = qs.count() or 330
    kinds = list(qs.values_list("kind", flat=True)) or ["elder", "community", "childcare"]
    print(f"    province: {CITIES} cities × {per_city} institutions (the bench city's density), {INSPECTORS} inspectors")
    eng = engine_bench(per_city, kinds)
    common.table(["", "value"], [[k, v] for k, v in eng.items()])
    plat = platform_bench() if os.environ.get("BENCH_SUPERVISION_PLATFORM", "1") != "0" else {}
    if plat:
        print("    one full-scale city through the services (rolled back):")
        common.table(["", "value"], [[k, v] for k, v in plat.items()])
    return {"province_engine": eng, "city_platform": plat}


if __name__ == "__main__":
    common.setup_django()
    print(json.dumps(run(), ensure_ascii=False, indent=1))
