"""Subsidy month batch for the whole demo city (all elderly, institutions and places), in the bench database.

Times, for a new month after the demo's two years of batches: computing every entitlement from the registry
at month end (facts, rules, the diff against last month, the stored lines), approving it (the ledger rows),
and the bank payment file (Excel). Prints the ledger insert rate. Target: the month's batch under 10 s on
SQLite. The work is rolled back, so the bench database stays as built.
"""

from __future__ import annotations

import io
import json
import time

import common

TARGET_S = 10.0


class _Rollback(Exception):
    pass


def run() -> dict:
    from django.db import transaction

    from ylyx.accounts.models import User
    from ylyx.core.export import write_workbook
    from ylyx.people.models import ElderlyPerson
    from ylyx.regions.models import Region
    from ylyx.subsidies import services
    from ylyx.subsidies.models import Batch, LedgerEntry

    city = Region.objects.get(code="150800000000")
    user = User.objects.filter(username="demo_minzheng").first()
    last = Batch.objects.unscoped("bench").filter(region=city).order_by("-period").first()
    if last is None:
        common.note("no demo batches in the bench database: run the build benchmark first")
        return {"error": "no batches"}
    y, m = int(last.period[:4]), int(last.period[5:])
    period = f"{y + (m == 12)}-{1 if m == 12 else m + 1:02d}"
    persons = ElderlyPerson.objects.unscoped("bench").count()
    out: dict = {}
    try:
        with transaction.atomic():
            if last.status == "computed":  # the demo leaves its newest month for approval: approve it first
                services.approve_batch_for(last, user=user)
            timings: dict[str, float] = {}
            t0 = time.perf_counter()
            b = services.compute_batch_for(city, period, user=user, timings=timings)
            compute = time.perf_counter() - t0
            before = LedgerEntry.objects.unscoped("bench").count()
            t0 = time.perf_counter()
            b = services.approve_batch_for(b, user=user)
            approve = time.perf_counter() - t0
            written = LedgerEntry.objects.unscoped("bench").count() - before
            t0 = time.perf_counter()
            buf = io.BytesIO()
            rows = write_workbook(buf, services.BANK_HEADERS, services.bank_rows(b), watermark="bench")
            export = time.perf_counter() - t0
            out = {
                "period": period, "elderly_in_registry": persons, "lines": b.lines_count, "persons_paid": b.persons,
                "institutions_paid": b.institutions, "total_yuan": float(b.total), "new": b.new_count,
                "changed": b.changed_count, "stopped": b.stopped_count, "flagged": b.flagged_count,
                "compute_s": round(compute, 2), "approve_s": round(approve, 2), "bank_file_s": round(export, 2),
                "bank_file_rows": rows, "bank_file_mb": round(len(buf.getvalue()) / 2**20, 1),
                "batch_s": round(compute + approve, 2), "ledger_rows_per_s": round(written / approve) if approve else None,
                "phases_s": {k: round(v, 2) for k, v in timings.items()}, "target_s": TARGET_S,
            }
            raise _Rollback
    except _Rollback:
        pass
    ratio = TARGET_S / out["batch_s"] if out.get("batch_s") else None
    common.table(["", "value"], [[k, v if not isinstance(v, dict) else json.dumps(v)] for k, v in out.items()])
    print(f"    month batch (compute + diff + approve) {out['batch_s']} s for {persons:,} elderly: "
          f"{ratio:.1f}× {'inside' if ratio and ratio >= 1 else 'OVER'} the {TARGET_S:g} s target; "
          f"ledger insert rate {out['ledger_rows_per_s']:,} rows/s; bank file {out['bank_file_s']} s")
    out["ratio_vs_target"] = round(ratio, 2) if ratio else None
    return out


if __name__ == "__main__":
    common.setup_django()
    print(json.dumps(run(), ensure_ascii=False, indent=1))
