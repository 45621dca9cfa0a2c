"""Elderly list page (/people/elderly/) latency p50/p95 as city civil affairs and a county officer.

Baseline: the same filter answered by a naive scan (count + the page's rows with every index disabled).
"""

from __future__ import annotations

import common

N = int(__import__("os").environ.get("BENCH_REQUESTS", "50"))
PAGE = 50


def demo_users():
    from ylyx.accounts.models import User

    users = {u.username: u for u in User.objects.filter(username__in=["demo_minzheng", "demo_linhe"])}
    if len(users) < 2:
        return None
    return [("市民政局", users["demo_minzheng"]), ("临河区", users["demo_linhe"])]


def naive_ms(prefix: str, extra_where: str, extra_params: list, offset: int) -> float:
    """Count and one page of people_elderlyperson for a region prefix without using any index (best of 3)."""
    import time

    from django.db import connection, transaction

    from ylyx.core.scoping import prefix_upper

    hint = " NOT INDEXED" if connection.vendor == "sqlite" else ""
    where = "region_id >= %s AND region_id < %s" + (f" AND {extra_where}" if extra_where else "")
    params = [prefix, prefix_upper(prefix), *extra_params]
    best = float("inf")
    for _ in range(3):
        with transaction.atomic(), connection.cursor() as cur:
            if connection.vendor == "postgresql":
                cur.execute("SET LOCAL enable_indexscan = off; SET LOCAL enable_bitmapscan = off; "
                            "SET LOCAL enable_indexonlyscan = off")
            t0 = time.perf_counter()
            # The SQL text is built from constants only; values go as parameters.
            cur.execute(f"SELECT COUNT(*) FROM people_elderlyperson{hint} WHERE {where}", params)  # noqa: S608
            cur.fetchone()
            cur.execute(f"SELECT * FROM people_elderlyperson{hint} WHERE {where} ORDER BY region_id, id "  # noqa: S608
                        f"LIMIT {PAGE} OFFSET {int(offset)}", params)
            cur.fetchall()
            best = min(best, (time.perf_counter() - t0) * 1000)
    return best


def scenarios(user):
    from ylyx.core.scoping import prefix_q
    from ylyx.people.models import ElderlyPerson
    from ylyx.regions.models import Region

    prefix = user.region_prefix
    town = Region.objects.filter(prefix_q("code", prefix), level=4).order_by("code").first()
    total = ElderlyPerson.objects.for_user(user, "view").count()
    deep = max(1, total // PAGE // 2)
    return total, [
        ("第 1 页（不筛选）", {}, ("", []), 0),
        (f"区划筛选（{town.name}）", {"area": town.code}, ("", []), 0, town.prefix),
        ("经济状况=特困", {"economic_status": "tekun"}, ("economic_status = %s", ["tekun"]), 0),
        (f"深页（第 {deep} 页）", {"page": deep}, ("", []), (deep - 1) * PAGE),
    ]


def run() -> dict:
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    from ylyx import testing

    try:
        url = reverse("people:elderly_list")
    except NoReverseMatch:
        common.note("people:elderly_list does not exist yet: skipped")
        return {"skipped": "no elderly list page"}
    users = demo_users()
    if users is None:
        common.note("demo users missing: run the build benchmark first")
        return {"skipped": "no demo database"}
    rows, out = [], {}
    for label, user in users:
        client = Client()
        testing.force_login(client, user)  # password and TOTP, as after a real login
        total, cases = scenarios(user)
        for case in cases:
            name, params, (where, wparams), offset = case[:4]
            prefix = case[4] if len(case) > 4 else user.region_prefix
            status = client.get(url, params).status_code
            if status != 200:
                common.note(f"{label} {name}: HTTP {status}")
                out[f"{label} {name}"] = {"status": status}
                continue
            ms = common.timed(lambda c=client, p=params: c.get(url, p), N)
            s = common.summary(ms)
            base = naive_ms(prefix, where, wparams, offset)
            s.update(naive_scan_ms=round(base, 1), ratio_naive_to_p95=round(base / s["p95_ms"], 2), rows_in_scope=total)
            out[f"{label} {name}"] = s
            rows.append([label, name, f"{total:,}", s["p50_ms"], s["p95_ms"], round(base, 1),
                         f"{base / s['p95_ms']:.1f}×"])
    common.table(["用户", "场景", "范围内人数", "p50 ms", "p95 ms", "朴素扫描 ms", "朴素/p95"], rows)
    return {"url": url, "requests_each": N, "baseline": "naive scan without indexes (count + page)", "cases": out}
