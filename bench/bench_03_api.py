"""REST list latency p50/p95: /api/elderly/ and /api/institutions/ as city civil affairs and a county officer.

Baseline (elderly): the naive unindexed scan for the same scope, as for the list page.
"""

from __future__ import annotations

import common
from bench_02_list import N, demo_users, naive_ms


def run() -> dict:
    from django.test import Client
    from django.urls import Resolver404, resolve

    from ylyx import testing

    users = demo_users()
    if users is None:
        common.note("demo users missing: run the build benchmark first")
        return {"skipped": "no demo database"}
    rows, out = [], {}
    for path, query, scan in [("/api/elderly/", {}, ("", [])), ("/api/elderly/", {"economic_status": "tekun"},
                                                                ("economic_status = %s", ["tekun"])),
                              ("/api/institutions/", {}, None)]:
        try:
            resolve(path)
        except Resolver404:
            common.note(f"{path} does not exist yet: skipped")
            out[path] = {"skipped": "no such URL"}
            continue
        for label, user in users:
            client = Client()
            testing.force_login(client, user)  # password and TOTP, as after a real login
            name = path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
            resp = client.get(path, query)
            if resp.status_code != 200:
                common.note(f"{label} {name}: HTTP {resp.status_code}")
                out[f"{label} {name}"] = {"status": resp.status_code}
                continue
            count = resp.json().get("count") if resp.headers.get("Content-Type", "").startswith("application/json") \
                else None
            s = common.summary(common.timed(lambda c=client, u=path, p=query: c.get(u, p), N))
            s["count"] = count
            base = naive_ms(user.region_prefix, *scan, 0) if scan else None
            if base:
                s.update(naive_scan_ms=round(base, 1), ratio_naive_to_p95=round(base / s["p95_ms"], 2))
            out[f"{label} {name}"] = s
            rows.append([label, name, f"{count:,}" if count is not None else "?", s["p50_ms"], s["p95_ms"],
                         round(base, 1) if base else "—", f"{base / s['p95_ms']:.1f}×" if base else "—"])
    if rows:
        common.table(["用户", "请求", "条数", "p50 ms", "p95 ms", "朴素扫描 ms", "朴素/p95"], rows)
    return {"requests_each": N, "baseline": "naive scan without indexes (elderly only)", "cases": out}
