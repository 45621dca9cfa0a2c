"""Demo city build (build_demo --fresh, incl. migrate) into var/bench/: wall time, phases, rows/s.

Baseline: the 3-minute budget for a full-scale build on the reference 2-core machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import common

BUDGET_S = 180.0


def run() -> dict:
    timings = common.OUT / "build_timings.json"
    cmd = [sys.executable, str(common.ROOT / "manage.py"), "build_demo", "--scale", f"{common.SCALE:g}", "--fresh",
           "--timings-json", str(timings)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=os.environ.copy(), capture_output=True, text=True, cwd=common.ROOT)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        common.note("build_demo failed: " + proc.stderr.strip().splitlines()[-1] if proc.stderr else "no output")
        return {"error": proc.stderr[-2000:]}
    data = json.loads(timings.read_text(encoding="utf-8"))
    rows = sum(data["counts"].values())
    common.table(["阶段", "秒"], [[p["name"], f"{p['seconds']:.1f}"] for p in data["phases"]])
    common.table(["表", "行数"], [[k, f"{v:,}"] for k, v in sorted(data["counts"].items())])
    elderly_phase = next((p["seconds"] for p in data["phases"] if p["name"] == "老年人"), None)
    elderly_rows = data["counts"].get("people.ElderlyPerson", 0)
    db_file = common.VAR / "ylyx.sqlite3"
    size_mb = round(db_file.stat().st_size / 2**20, 1) if db_file.exists() else None
    ratio = BUDGET_S / wall
    print(f"    wall {wall:.1f} s (command {data['total_seconds']:.1f} s) for {rows:,} rows = {rows / wall:,.0f} rows/s"
          + (f"; 老年人 {elderly_rows:,} rows in {elderly_phase:.1f} s = {elderly_rows / elderly_phase:,.0f} rows/s"
             if elderly_phase else ""))
    print(f"    database file {size_mb} MB" if size_mb else "")
    print(f"    vs. baseline (3-minute budget): {ratio:.1f}× {'inside' if ratio >= 1 else 'OVER'} budget")
    return {"scale": common.SCALE, "wall_seconds": round(wall, 1), "command_seconds": round(data["total_seconds"], 1),
            "phases": data["phases"], "rows": rows, "rows_per_second": round(rows / wall),
            "counts": data["counts"], "db_size_mb": size_mb, "baseline": "3-minute budget (180 s)",
            "ratio_vs_baseline": round(ratio, 2)}
