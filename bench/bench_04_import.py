"""Excel import throughput: a 100,000-row elderly workbook validated and committed by a county officer.

Baseline: per-row ORM save (validate ID, encrypt, save) of 2,000 people, extrapolated. Everything this
benchmark writes is rolled back, so the bench database stays the demo city.
"""

from __future__ import annotations

import os
import time

import common

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "100000"))
BASELINE_ROWS = 2000


class _Rollback(Exception):
    pass


def per_row_orm(user) -> float:
    """Rows per second for the naive path: one set_id_number + save per person."""
    import datetime as dt

    import numpy as np
    from django.db import transaction

    from ylyx.demo.util import day, id_numbers
    from ylyx.people.models import ElderlyPerson

    region = user.region.children.order_by("code").first().children.order_by("code").first()
    births = np.array([day(dt.date(1925, 1, 1)) + i for i in range(BASELINE_ROWS)])
    ids = id_numbers([region.code[:6]] * BASELINE_ROWS, births, np.arange(BASELINE_ROWS) % 2 == 0, salt=41)
    t0 = time.perf_counter()
    try:
        with transaction.atomic():
            for _i, number in enumerate(ids):
                p = ElderlyPerson(name="基准测试", region=region, address="基准路 1 号")
                p.set_id_number(number)
                p.full_clean(exclude=["id_number_enc", "id_bidx"])
                p.save()
            raise _Rollback
    except _Rollback:
        pass
    return BASELINE_ROWS / (time.perf_counter() - t0)


def run() -> dict:
    try:
        from ylyx.imports import services
        from ylyx.imports.bench_support import make_workbook
    except ImportError as exc:
        common.note(f"ylyx.imports.bench_support is not available yet ({exc}): skipped")
        return {"skipped": "no bench_support"}
    from django.db import transaction
    from django.test import override_settings

    from ylyx.accounts.models import User
    from ylyx.regions.models import Region

    user = User.objects.filter(username="demo_linhe").first()
    if user is None:
        common.note("demo users missing: run the build benchmark first")
        return {"skipped": "no demo database"}
    villages = list(Region.objects.filter(code__startswith="150802", level=5).order_by("code")
                    .values_list("code", flat=True)[:40])
    path = common.OUT / f"import-elderly-{ROWS}.xlsx"
    t0 = time.perf_counter()
    make_workbook("elderly", ROWS, villages, path)
    t_make = time.perf_counter() - t0
    result: dict = {"rows": ROWS, "workbook_mb": round(path.stat().st_size / 2**20, 1),
                    "make_workbook_seconds": round(t_make, 1)}
    try:
        with transaction.atomic(), override_settings(IMPORT_INLINE_MAX_BYTES=10**12):
            t0 = time.perf_counter()
            with open(path, "rb") as fh:
                batch = services.create_batch(user, fh, "elderly")
            t_validate = time.perf_counter() - t0
            result.update(validate_seconds=round(t_validate, 1), status_after_validate=batch.status,
                          rows_new=batch.rows_new, rows_updated=batch.rows_updated, rows_rejected=batch.rows_rejected)
            if batch.status == "validated":
                t0 = time.perf_counter()
                batch = services.request_commit(batch.pk, user)
                result.update(commit_seconds=round(time.perf_counter() - t0, 1), status_after_commit=batch.status)
            raise _Rollback
    except _Rollback:
        pass
    finally:
        path.unlink(missing_ok=True)
    total = result.get("validate_seconds", 0) + result.get("commit_seconds", 0)
    rate = ROWS / total if total and result.get("status_after_commit") == "committed" else None
    base = per_row_orm(user)
    result.update(rows_per_second=round(rate) if rate else None, baseline="per-row ORM save, 2,000 rows",
                  baseline_rows_per_second=round(base), extrapolated_baseline_seconds=round(ROWS / base, 1),
                  ratio_vs_baseline=round(rate / base, 2) if rate else None)
    common.table(["步骤", "秒"], [["生成工作簿", f"{t_make:.1f}"], ["校验", result.get("validate_seconds", "—")],
                                 ["提交", result.get("commit_seconds", "—")]])
    print(f"    status {result.get('status_after_commit', result.get('status_after_validate'))}: "
          f"new {result.get('rows_new')}, updated {result.get('rows_updated')}, rejected {result.get('rows_rejected')}")
    if rate:
        print(f"    import {rate:,.0f} rows/s vs. per-row ORM {base:,.0f} rows/s "
              f"({ROWS / base:,.0f} s extrapolated): {rate / base:.1f}×")
    else:
        print(f"    per-row ORM baseline {base:,.0f} rows/s; the import did not commit, no ratio")
    return result
