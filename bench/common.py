"""Shared set-up for the benchmarks: paths, Django in the bench database, timing helpers, printing.

The benchmarks run against their own database under var/bench/ (``YLYX_VAR_DIR``), so the demo build
they time never touches the development database. PostgreSQL is used only when BENCH_DATABASE_URL is
set (the build drops every table of that database).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
VAR = Path(os.environ.get("YLYX_VAR_DIR", ROOT / "var" / "bench"))
SCALE = float(os.environ.get("BENCH_SCALE", "1.0"))


def configure_environment() -> None:
    """Point Django at the bench database before it is imported (also inherited by subprocesses)."""
    os.environ["YLYX_VAR_DIR"] = str(VAR)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ylyx.settings.dev")
    bench_db = os.environ.get("BENCH_DATABASE_URL")
    if bench_db:
        os.environ["DATABASE_URL"] = bench_db
    else:
        os.environ.pop("DATABASE_URL", None)
    if str(ROOT / "src") not in sys.path:
        sys.path.insert(0, str(ROOT / "src"))
    VAR.mkdir(parents=True, exist_ok=True)
    OUT.mkdir(parents=True, exist_ok=True)


def setup_django() -> None:
    configure_environment()
    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False  # no query log: it would skew timings and grow without bound


def percentile(values: list[float], p: float) -> float:
    v = sorted(values)
    if not v:
        return float("nan")
    k = (len(v) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def timed(fn: Callable[[], object], n: int, warmup: int = 3) -> list[float]:
    """Milliseconds for ``n`` calls after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def summary(ms: list[float]) -> dict:
    return {"n": len(ms), "p50_ms": round(percentile(ms, 50), 1), "p95_ms": round(percentile(ms, 95), 1),
            "mean_ms": round(statistics.fmean(ms), 1) if ms else None, "max_ms": round(max(ms), 1) if ms else None}


def note(msg: str) -> None:
    print(f"    ! {msg}")


def width(s: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def table(headers: list[str], rows: list[list]) -> None:
    cells = [[str(x) for x in r] for r in rows]
    widths = [max(width(x) for x in col) for col in zip(headers, *cells, strict=False)]
    print("    " + "  ".join(h + " " * (w - width(h)) for h, w in zip(headers, widths, strict=False)))
    print("    " + "  ".join("-" * w for w in widths))
    for r in cells:
        print("    " + "  ".join(x + " " * (w - width(x)) for x, w in zip(r, widths, strict=False)))
