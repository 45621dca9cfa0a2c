#!/usr/bin/env python
"""Run every benchmark (bench/bench_*.py, each with a ``run()``), print the results, write bench/out/results.json.

    .venv/bin/python bench/run.py                  # everything, full-scale demo city (make bench)
    .venv/bin/python bench/run.py --only list,api  # some benchmarks, reusing var/bench's database
    BENCH_SCALE=0.1 .venv/bin/python bench/run.py  # a smaller city for a quick run
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor()
    ram_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    from django.db import connection

    if connection.vendor == "sqlite":
        import sqlite3

        version = f"SQLite {sqlite3.sqlite_version}"
    else:
        with connection.cursor() as cur:
            cur.execute("SELECT version()")
            version = cur.fetchone()[0].split(",")[0]
    import django

    return {"cpu": cpu or "unknown", "cores": os.cpu_count(), "ram_gb": ram_gb, "db_vendor": connection.vendor,
            "db_version": version, "db": str(connection.settings_dict["NAME"]), "python": platform.python_version(),
            "django": django.get_version(), "platform": platform.platform()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated names: build, list, api, import, home, …")
    args = parser.parse_args()
    common.setup_django()
    from django.db import connections

    names = sorted(p.stem for p in Path(__file__).resolve().parent.glob("bench_*.py"))
    if args.only:
        want = {w.strip() for w in args.only.split(",") if w.strip()}
        names = [n for n in names if n.split("_", 2)[-1] in want or n in want]
    info = machine()
    connections.close_all()
    print("=" * 78)
    print(f"ylyx benchmarks  {dt.datetime.now():%Y-%m-%d %H:%M}")
    print(f"  CPU   {info['cpu']}  ×{info['cores']} cores   RAM {info['ram_gb']} GB")
    print(f"  DB    {info['db_version']} ({info['db']})")
    print(f"  Py    {info['python']}  Django {info['django']}  demo scale {common.SCALE:g}")
    print("=" * 78)
    results: dict = {"machine": info, "scale": common.SCALE, "started": dt.datetime.now().isoformat(), "benchmarks": {}}
    failed = 0
    for name in names:
        mod = importlib.import_module(name)
        title = (mod.__doc__ or name).strip().splitlines()[0]
        print(f"\n[{name}] {title}")
        t0 = time.perf_counter()
        try:
            res = mod.run()
        except Exception as exc:  # report and go on: one broken benchmark must not hide the others
            failed += 1
            res = {"error": f"{type(exc).__name__}: {exc}"}
            common.note(res["error"])
        finally:
            connections.close_all()
        res = res or {}
        res.setdefault("seconds", round(time.perf_counter() - t0, 1))
        results["benchmarks"][name] = res
    out = common.OUT / "results.json"
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    print(f"\nresults written to {out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
