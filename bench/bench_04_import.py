"""Excel import throughput: a 100,000-row elderly workbook validated and committed by a county officer.

Phases: writing the workbook (not part of the import), validate (upload checks, every row parsed and checked
against the registry, nothing written) and commit (every row re-checked against the registry as it is now,
then written with one audit event per row, in one transaction).

Baseline: the single-record path, ``people.services.create_elderly`` once per person (validation, encryption
and blind index, duplicate check, save, scope re-check, one audit event), 2,000 people in one transaction,
extrapolated to the workbook's size.

Nothing is left behind. On SQLite both run against a throwaway copy of the bench database with no transaction
around them, as the commit runs in production (a task, outside any transaction): wrapped in a transaction to
roll it back, the commit's own transaction would become a savepoint, and SQLite charges every statement inside a
savepoint for all the pages written since it opened, which is not what users wait for. On PostgreSQL (no such
effect) they run inside a transaction that is rolled back, and the tables written are vacuumed afterwards.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import common

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "100000"))
BASELINE_ROWS = 2000
BASELINE_FIRST = 5_000_000  # workbook row indices far above the import's, so the people differ


class _Rollback(Exception):
    pass


@contextmanager
def isolated() -> Iterator[str]:
    """Where the benchmark writes: "scratch" (a copy of the SQLite database, deleted after) or "rollback"."""
    from django.db import connection, connections, transaction

    if connection.vendor != "sqlite":
        try:
            with transaction.atomic():
                yield "rollback"
                raise _Rollback
        except _Rollback:
            pass
        # The rolled-back rows stay behind as dead tuples (in the blind-index indexes too) until autovacuum
        # gets to them; without this a second run looks up each key through the first run's leftovers.
        from ylyx.audit.models import AuditEvent
        from ylyx.imports.models import ImportBatch, ImportIssue
        from ylyx.people.models import ElderlyPerson

        with connection.cursor() as cur:
            tables = ", ".join(connection.ops.quote_name(m._meta.db_table)
                               for m in (ElderlyPerson, AuditEvent, ImportBatch, ImportIssue))
            cur.execute(f"VACUUM (ANALYZE) {tables}")
        return
    source = connection.settings_dict["NAME"]
    scratch = common.VAR / "import-scratch.sqlite3"
    connections.close_all()
    _remove(scratch)
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(scratch)) as dst:
        src.backup(dst)
    connection.settings_dict["NAME"] = str(scratch)
    try:
        yield "scratch"
    finally:
        connections.close_all()
        connection.settings_dict["NAME"] = source
        _remove(scratch)


def _remove(db: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def per_row_service(user, regions: list[str]) -> float:
    """Rows per second through people.services.create_elderly, in one transaction that is rolled back."""
    from django.db import transaction

    from ylyx.core import crypto
    from ylyx.imports.bench_support import elderly_service_data
    from ylyx.people.models import ElderlyPerson
    from ylyx.people.services import create_elderly

    rows = [elderly_service_data(BASELINE_FIRST + i, regions[i % len(regions)]) for i in range(BASELINE_ROWS * 2)]
    taken = set(ElderlyPerson.objects.filter(id_bidx__in=[crypto.blind_index(r["id_number"]) for r in rows])
                .values_list("id_bidx", flat=True))
    rows = [r for r in rows if crypto.blind_index(r["id_number"]) not in taken][:BASELINE_ROWS]
    t0 = time.perf_counter()
    try:
        with transaction.atomic():
            for data in rows:
                create_elderly(user, data)
            elapsed = time.perf_counter() - t0
            raise _Rollback
    except _Rollback:
        pass
    return len(rows) / elapsed


def run() -> dict:
    try:
        from ylyx.imports import services
        from ylyx.imports.bench_support import make_workbook
    except ImportError as exc:
        common.note(f"ylyx.imports.bench_support is not available yet ({exc}): skipped")
        return {"skipped": "no bench_support"}
    from django.test import override_settings

    from ylyx.accounts.models import User
    from ylyx.regions.models import Region

    if not User.objects.filter(username="demo_linhe").exists():
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
        with isolated() as how, override_settings(IMPORT_INLINE_MAX_BYTES=10**12):
            result["isolation"] = how
            user = User.objects.get(username="demo_linhe")
            base = per_row_service(user, villages)
            t0 = time.perf_counter()
            with open(path, "rb") as fh:
                batch = services.create_batch(user, fh, "elderly")
            t_validate = time.perf_counter() - t0
            result.update(validate_seconds=round(t_validate, 1), status_after_validate=batch.status,
                          rows_new=batch.rows_new, rows_updated=batch.rows_updated, rows_rejected=batch.rows_rejected)
            if batch.status == "validated":
                t0 = time.perf_counter()
                batch = services.request_commit(batch.pk, user)
                result.update(commit_seconds=round(time.perf_counter() - t0, 1), status_after_commit=batch.status,
                              commit_message=batch.message)
    finally:
        path.unlink(missing_ok=True)
    t_validate = result.get("validate_seconds")
    t_commit = result.get("commit_seconds")
    done = result.get("status_after_commit") == "committed"
    total = (t_validate or 0) + (t_commit or 0)
    rate = ROWS / total if done and total else None
    result.update(
        total_seconds=round(total, 1) if done else None,
        validate_rows_per_second=round(ROWS / t_validate) if t_validate else None,
        commit_rows_per_second=round(ROWS / t_commit) if done and t_commit else None,
        rows_per_second=round(rate) if rate else None,
        baseline="people.services.create_elderly per row (validate, encrypt, save, scope re-check, audit), "
                 f"{BASELINE_ROWS:,} rows in one transaction",
        baseline_rows_per_second=round(base), extrapolated_baseline_seconds=round(ROWS / base, 1),
        ratio_vs_baseline=round(rate / base, 2) if rate else None,
        commit_ratio_vs_baseline=round(ROWS / t_commit / base, 2) if done and t_commit else None)

    def per_s(seconds: float | None) -> str:
        return f"{ROWS / seconds:,.0f}" if seconds else "—"

    common.table(["步骤", "秒", "行/秒"], [
        ["生成工作簿（不计入）", f"{t_make:.1f}", ""],
        ["校验", t_validate if t_validate is not None else "—", per_s(t_validate)],
        ["提交", t_commit if t_commit is not None else "—", per_s(t_commit) if done else "—"],
        ["校验 + 提交", f"{total:.1f}" if done else "—", per_s(total) if done else "—"],
        [f"逐行基线（{BASELINE_ROWS:,} 行外推）", f"{ROWS / base:.1f}", f"{base:,.0f}"],
    ])
    print(f"    {ROWS:,} rows, status {result.get('status_after_commit', result.get('status_after_validate'))}: "
          f"new {result.get('rows_new')}, updated {result.get('rows_updated')}, rejected {result.get('rows_rejected')}"
          f" ({'copy of the bench database' if result.get('isolation') == 'scratch' else 'rolled back'})")
    if rate:
        print(f"    import {rate:,.0f} rows/s vs. per-row service {base:,.0f} rows/s: {rate / base:.1f}× "
              f"(commit alone {ROWS / t_commit / base:.1f}×)")  # type: ignore[operator]
    else:
        print(f"    per-row service baseline {base:,.0f} rows/s; the import did not commit, no ratio")
    return result
