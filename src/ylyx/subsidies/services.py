"""Subsidy operations, each one transaction (the payment of a batch: one per chunk, resumable): programmes,
construction applications (county review, city approval, payment), month batches (compute, approve, pay,
export), recoveries and absences. Every payment goes through :func:`_pay`, i.e. the ledger's unique keys."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from ylyx.audit.services import record
from ylyx.core.errors import Conflict
from ylyx.core.gates import refusals
from ylyx.core.mask import mask_name
from ylyx.core.permissions import allows
from ylyx.core.scoping import ensure_in_scope

from . import engine, rules
from .models import (
    Absence,
    ApplicationStatus,
    Batch,
    BatchLine,
    BatchStatus,
    BuildKind,
    Change,
    ConstructionApplication,
    LedgerEntry,
    LedgerStatus,
    PayeeKind,
    PeriodKind,
    Programme,
    Recovery,
    RecoveryStatus,
)

DATA = Path(__file__).resolve().parent / "data"
PERIOD_RE = re.compile(r"^(20[0-9]{2})-(0[1-9]|1[0-2])$")
SYSTEM = "service re-read of a record the caller fetched in scope"


def _require(user: Any, action: str) -> None:
    if not allows(getattr(user, "role", ""), "subsidy", action):  # type: ignore[arg-type]
        raise PermissionDenied("无权执行此补贴操作")


def _chunk_size() -> int:
    env = os.environ.get("YLYX_SUBSIDY_LEDGER_CHUNK")
    return int(env) if env else int(getattr(settings, "SUBSIDY", {}).get("ledger_chunk", 50000))


# ---------------------------------------------------------------------------------------------------
# programmes


def check_programme(eligibility: Any, amount: Any) -> None:
    try:
        rules.compile_rule(eligibility)
        rules.compile_amount(amount)
    except rules.RuleError as e:
        raise ValidationError(str(e)) from e


def load_programmes(region: Any, path: Path | None = None, *, user: Any = None) -> list[Programme]:
    """Install the shipped programmes (赤峰 institution/place programmes, typical personal allowances) for a
    city; idempotent by (region, code, effective_from). The city edits them afterwards."""
    rows = json.loads((path or DATA / "programmes.json").read_text(encoding="utf-8"))
    out = []
    with transaction.atomic():
        for r in rows:
            check_programme(r.get("eligibility"), r["amount"])
            obj, _ = Programme.objects.unscoped("installing shipped data").update_or_create(
                region=region, code=r["code"], effective_from=dt.date.fromisoformat(r["effective_from"]),
                defaults={k: v for k, v in r.items() if k not in ("code", "effective_from")})
            out.append(obj)
        record(user, "subsidy_programmes_load", None, detail={"region": region.pk, "count": len(out)})
    return out


@transaction.atomic
def save_programme(user: Any, programme: Programme | None, data: dict[str, Any]) -> Programme:
    """Create or edit a programme of the user's city. An amount or rule change of a programme that has already
    paid is a new version: the old one ends the day before ``effective_from``."""
    _require(user, "change" if programme else "add")
    if programme is not None:
        ensure_in_scope(programme, user, "change")
        check_programme(data.get("eligibility", programme.eligibility), data.get("amount", programme.amount))
        paid = LedgerEntry.objects.unscoped(SYSTEM).filter(programme=programme).exists()
        money = any(data.get(k) != getattr(programme, k) for k in ("eligibility", "amount", "exclusive_group"))
        if paid and money:
            start = data.get("effective_from")
            if not isinstance(start, dt.date) or start <= programme.effective_from:
                raise ValidationError({"effective_from": "已发放过的项目修改金额或条件时，请填写新的生效日期（晚于原生效日期）"})
            before = {"amount": programme.amount, "eligibility": programme.eligibility}
            programme.effective_to = start - dt.timedelta(days=1)
            programme.save(update_fields=["effective_to", "updated_at"])
            new = Programme(region=programme.region, code=programme.code, **data)
            new.save()
            record(user, "subsidy_programme_version", new, before=before, after={"amount": new.amount})
            return new
        before = {k: getattr(programme, k) for k in data}
        for k, v in data.items():
            setattr(programme, k, v)
        programme.save()
        record(user, "subsidy_programme_change", programme, before=_jsonable(before), after=_jsonable(data))
        return programme
    check_programme(data.get("eligibility"), data.get("amount"))
    obj = Programme(**data)
    obj.save()
    ensure_in_scope(obj, user, "add")
    record(user, "subsidy_programme_add", obj, after=_jsonable(data))
    return obj


def _jsonable(d: dict) -> dict:
    return json.loads(json.dumps(d, default=str))


# ---------------------------------------------------------------------------------------------------
# construction applications


def evaluate_application(app: ConstructionApplication) -> rules.Amount:
    a = app.programme.spec().evaluate(app.facts())
    if a is None:
        raise ValidationError(f"不符合“{app.programme.name}”的条件：{rules.describe(app.programme.eligibility)}")
    return a


@transaction.atomic
def apply(user: Any, institution: Any, *, programme: Programme, build_kind: str, units: int, evidence: str,
          urban: bool | None = None, lease_years: int | None = None, capacity_record: Any = None
          ) -> ConstructionApplication:
    _require(user, "add")
    ensure_in_scope(institution, user, "view")
    if programme.payee != PayeeKind.APPLICATION:
        raise ValidationError({"programme": "所选项目不是建设补助项目"})
    if build_kind not in BuildKind.values:
        raise ValidationError({"build_kind": "建设方式无效"})
    if units <= 0:
        raise ValidationError({"units": "新增床位/托位数应大于 0"})
    if not evidence.strip():
        raise ValidationError({"evidence": "请说明佐证材料（备案回执、验收、租赁合同等）"})
    if build_kind == BuildKind.LEASED and not lease_years:
        raise ValidationError({"lease_years": "租赁方式请填写租赁合同年限"})
    if capacity_record is not None and capacity_record.institution_id != institution.pk:
        raise ValidationError({"capacity_record": "床位托位变更记录不属于该机构"})
    reasons = refusals("subsidy", institution)
    if reasons:
        raise ValidationError("；".join(reasons))
    if urban is None:
        from ylyx.regions.models import Region

        county = Region.objects.filter(code=f"{institution.region_id[:6]}000000").first()
        urban = bool(county and county.urban)
    app = ConstructionApplication(institution=institution, region_id=institution.region_id, programme=programme,
                                  build_kind=build_kind, urban=urban, units=units, lease_years=lease_years,
                                  capacity_record=capacity_record, evidence=evidence, submitted_by=user)
    a = evaluate_application(app)
    app.amount, app.basis = a.value, a.basis[:200]
    app.save()
    ensure_in_scope(app, user, "add")
    record(user, "subsidy_application_submit", app, after={"units": units, "amount": str(app.amount)})
    return app


def _lock_app(app: ConstructionApplication) -> ConstructionApplication:
    return ConstructionApplication.objects.unscoped(SYSTEM).select_for_update().select_related(
        "programme", "institution").get(pk=app.pk)


@transaction.atomic
def review(user: Any, app: ConstructionApplication, *, approve: bool, comment: str = "") -> ConstructionApplication:
    """旗县区审核: passes the application to the city, or returns it to the institution."""
    _require(user, "change")
    if user.role == "operator":
        raise PermissionDenied("机构经办人不能审核申请")
    ensure_in_scope(app, user, "change")
    app = _lock_app(app)
    if app.status != ApplicationStatus.SUBMITTED:
        raise Conflict("申请不在待旗县区审核状态")
    if not approve and not comment.strip():
        raise ValidationError({"comment": "退回时请填写审核意见"})
    a = evaluate_application(app)
    app.amount, app.basis = a.value, a.basis[:200]
    app.status = ApplicationStatus.REVIEWED if approve else ApplicationStatus.RETURNED
    app.reviewed_by, app.reviewed_at, app.comment = user, timezone.now(), comment[:200]
    app.save()
    record(user, "subsidy_application_review", app, after={"status": app.status}, reason=comment)
    return app


@transaction.atomic
def decide(user: Any, app: ConstructionApplication, *, approve: bool, comment: str = "") -> ConstructionApplication:
    """市级审批: approval writes the one-off payment to the ledger (period ``A<application id>``)."""
    _require(user, "approve")
    ensure_in_scope(app, user, "approve")
    app = _lock_app(app)
    if app.status != ApplicationStatus.REVIEWED:
        raise Conflict("申请不在待市级审批状态")
    if approve:
        reasons = refusals("subsidy", app.institution)
        if reasons:
            raise ValidationError("；".join(reasons))
        a = evaluate_application(app)
        app.amount, app.basis = a.value, a.basis[:200]
        app.status = ApplicationStatus.PAID
        app.approved_by, app.approved_at = user, timezone.now()
        app.save()
        _pay([LedgerEntry(programme=app.programme, slot=app.programme.slot, payee_key=f"I{app.institution_id}",
                          institution_id=app.institution_id, application=app, region_id=app.region_id,
                          period=f"A{app.pk}", amount=app.amount, basis=app.basis)])
    else:
        if not comment.strip():
            raise ValidationError({"comment": "不予批准时请填写意见"})
        app.status, app.approved_by, app.approved_at = ApplicationStatus.REJECTED, user, timezone.now()
    app.comment = comment[:200] or app.comment
    app.save()
    record(user, "subsidy_application_decide", app, after={"status": app.status, "amount": str(app.amount)},
           reason=comment)
    return app


@transaction.atomic
def resubmit(user: Any, app: ConstructionApplication, *, units: int | None = None, evidence: str = ""
             ) -> ConstructionApplication:
    _require(user, "change")
    ensure_in_scope(app, user, "change")
    app = _lock_app(app)
    if app.status != ApplicationStatus.RETURNED:
        raise Conflict("只有退回补正的申请可以重新提交")
    if units is not None:
        if units <= 0:
            raise ValidationError({"units": "新增床位/托位数应大于 0"})
        app.units = units
    if evidence.strip():
        app.evidence = evidence
    a = evaluate_application(app)
    app.amount, app.basis, app.status = a.value, a.basis[:200], ApplicationStatus.SUBMITTED
    app.save()
    record(user, "subsidy_application_resubmit", app)
    return app


# ---------------------------------------------------------------------------------------------------
# the ledger


def _pay(entries: list[LedgerEntry]) -> int:
    """Insert ledger rows; a row whose key (programme × payee × period, or slot × payee × period) exists is
    skipped by the database, never paid twice. Returns the rows this call inserted."""
    if not entries:
        return 0
    before = _count_batch_rows(entries)
    LedgerEntry.objects.bulk_create(entries, batch_size=2000, ignore_conflicts=True)
    return _count_batch_rows(entries) - before


def _count_batch_rows(entries: list[LedgerEntry]) -> int:
    e = entries[0]
    if e.batch_id:
        return LedgerEntry.objects.unscoped(SYSTEM).filter(batch_id=e.batch_id).count()
    return LedgerEntry.objects.unscoped(SYSTEM).filter(application_id=e.application_id).count()


# ---------------------------------------------------------------------------------------------------
# month batches


def check_period(period: str) -> str:
    if not isinstance(period, str) or not PERIOD_RE.match(period):
        raise ValidationError({"period": "期间应为 YYYY-MM，如 2024-05"})
    return period


def compute_batch(user: Any, region: Any, period: str, *, timings: dict[str, float] | None = None) -> Batch:
    """Compute (or recompute, while not approved) a region's month batch from the registry at month end."""
    _require(user, "change")
    check_period(period)
    if user is not None and user.role == "operator":
        raise PermissionDenied("机构经办人不能计算发放批次")
    if user is not None and user.region_prefix and not region.code.startswith(user.region_prefix):
        raise PermissionDenied("超出您的管辖范围")
    if region.level > 3:
        raise ValidationError({"region": "发放批次按市或旗县区计算"})
    _, end = engine.month_bounds(period)
    if end > timezone.localdate() + dt.timedelta(days=31):
        raise ValidationError({"period": "不能计算未来月份的批次"})
    return compute_batch_for(region, period, user=user, timings=timings)


def compute_batch_for(region: Any, period: str, *, user: Any = None, timings: dict[str, float] | None = None) -> Batch:
    """The computation itself, for a caller that checked the rights (the page, the API, the demo build)."""
    check_period(period)
    _, end = engine.month_bounds(period)
    t0 = time.perf_counter()
    tm = timings if timings is not None else {}
    detect_recoveries(None, region.prefix)
    computed = engine.compute(region.code, region.prefix, period, timings=tm)
    t = time.perf_counter()
    with transaction.atomic():
        batch = Batch.objects.unscoped(SYSTEM).select_for_update().filter(region=region, period=period).first()
        if batch is not None and batch.status != BatchStatus.COMPUTED:
            raise Conflict("该期批次已批准，不能重新计算")
        if batch is None:
            batch = Batch(region=region, period=period, month_end=end)
        live = [ln for ln in computed.lines if ln.change != Change.STOPPED]
        batch.computed_by = user
        batch.computed_at = timezone.now()
        batch.lines_count = len(live)
        batch.persons, batch.institutions = computed.persons, computed.institutions
        batch.total = sum((ln.amount for ln in live), Decimal(0))
        batch.new_count = sum(1 for ln in computed.lines if ln.change == Change.NEW)
        batch.changed_count = sum(1 for ln in computed.lines if ln.change == Change.CHANGED)
        batch.stopped_count = sum(1 for ln in computed.lines if ln.change == Change.STOPPED)
        batch.flagged_count = sum(1 for ln in computed.lines if ln.flags)
        batch.save()
        BatchLine.objects.unscoped(SYSTEM).filter(batch=batch).delete()
        _insert_lines(batch, computed.lines)
        batch.seconds = round(time.perf_counter() - t0, 3)
        batch.save(update_fields=["seconds"])
        record(user, "subsidy_batch_compute", batch, detail={"lines": len(computed.lines), "total": str(batch.total)})
    tm["write_lines"] = time.perf_counter() - t
    return batch


_LINE_COLUMNS = ["batch_id", "programme_id", "payee_key", "person_id", "institution_id", "region_id", "amount",
                 "previous_amount", "units", "basis", "change", "reason", "flags", "skipped"]


def _insert_lines(batch: Batch, lines: list[engine.Line]) -> None:
    """Batch lines by plain parameterised INSERTs (the ORM's per-object work dominated at city scale)."""
    from django.db import connection

    table = BatchLine._meta.db_table
    sql = (f"INSERT INTO {table} ({', '.join(connection.ops.quote_name(c) for c in _LINE_COLUMNS)}) "  # noqa: S608
           f"VALUES ({', '.join(['%s'] * len(_LINE_COLUMNS))})")
    rows = [(batch.pk, ln.programme.pk, ln.payee_key, ln.person_id, ln.institution_id, ln.region_id, ln.amount,
             ln.previous, ln.units, ln.basis[:200], ln.change, ln.reason[:200], ln.flags[:200], False)
            for ln in lines]
    with connection.cursor() as cur:
        for i in range(0, len(rows), 5000):
            cur.executemany(sql, rows[i:i + 5000])


def approve_batch(user: Any, batch: Batch) -> Batch:
    """审批并入账. Step 1 (one transaction): the batch moves from computed to paying, once — a second,
    concurrent approval waits for the row lock and then finds it taken. Step 2: ledger rows in chunks, each
    its own transaction; a process killed between chunks leaves the batch ``paying`` and calling this again
    (:func:`resume_batch`) writes only what is missing — the ledger's unique keys do the rest."""
    _require(user, "approve")
    ensure_in_scope(batch, user, "approve")
    return approve_batch_for(batch, user=user)


def approve_batch_for(batch: Batch, *, user: Any = None) -> Batch:
    """Approval and payment, for a caller that checked the rights (see :func:`approve_batch`)."""
    with transaction.atomic():
        b = Batch.objects.unscoped(SYSTEM).select_for_update().get(pk=batch.pk)
        if b.status != BatchStatus.COMPUTED:
            raise Conflict("该批次已被批准，不能重复审批")
        b.status, b.approved_by, b.approved_at = BatchStatus.PAYING, user, timezone.now()
        b.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
        record(user, "subsidy_batch_approve", b, detail={"total": str(b.total), "lines": b.lines_count})
    return _pay_batch(b)


def resume_batch(user: Any, batch: Batch) -> Batch:
    """Finish writing a batch whose payment was interrupted (status paying)."""
    _require(user, "approve")
    ensure_in_scope(batch, user, "approve")
    b = Batch.objects.unscoped(SYSTEM).get(pk=batch.pk)
    if b.status != BatchStatus.PAYING:
        raise Conflict("该批次不在入账中状态")
    return _pay_batch(b)


def _pay_batch(b: Batch) -> Batch:
    """Ledger rows straight from the batch lines, one id range per transaction; a row whose key exists is
    skipped by the database (ON CONFLICT DO NOTHING), never paid twice."""
    from django.db import connection
    from django.db.models import Exists, OuterRef

    chunk = _chunk_size()
    pause = float(os.environ.get("YLYX_SUBSIDY_PAUSE_AFTER_CHUNK", "0") or 0)  # for the kill -9 test only
    lines = BatchLine.objects.unscoped(SYSTEM).filter(batch=b).exclude(change=Change.STOPPED)
    ids = list(lines.order_by("id").values_list("id", flat=True))
    q = connection.ops.quote_name
    ledger, line_t, prog_t = LedgerEntry._meta.db_table, BatchLine._meta.db_table, Programme._meta.db_table
    sql = (f"INSERT INTO {ledger} (programme_id, slot, payee_key, person_id, institution_id, application_id, "  # noqa: S608
           f"region_id, period, amount, basis, batch_id, status, created_at) "
           f"SELECT l.programme_id, CASE WHEN p.exclusive_group <> '' THEN p.exclusive_group ELSE p.code END, "
           f"l.payee_key, l.person_id, l.institution_id, NULL, l.region_id, %s, l.amount, l.basis, l.batch_id, "
           f"'paid', %s FROM {line_t} l JOIN {prog_t} p ON p.id = l.programme_id "
           f"WHERE l.batch_id = %s AND l.{q('change')} <> 'stopped' AND l.id >= %s AND l.id <= %s "
           f"ON CONFLICT DO NOTHING")
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    for i in range(0, len(ids), chunk):
        part = ids[i:i + chunk]
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, [b.period, now, b.pk, part[0], part[-1]])
        if pause:
            time.sleep(pause)
    with transaction.atomic():
        b = Batch.objects.unscoped(SYSTEM).select_for_update().get(pk=b.pk)
        written = LedgerEntry.objects.unscoped(SYSTEM).filter(batch=b).count()
        b.skipped_count = 0
        if written < len(ids):  # some payee was paid by another batch first: mark those lines
            paid_here = LedgerEntry.objects.unscoped(SYSTEM).filter(
                batch=b, period=b.period, programme_id=OuterRef("programme_id"), payee_key=OuterRef("payee_key"))
            b.skipped_count = lines.exclude(Exists(paid_here)).update(skipped=True)
        b.paid_total = LedgerEntry.objects.unscoped(SYSTEM).filter(batch=b).aggregate(s=Sum("amount"))["s"] or 0
        b.status, b.paid_at = BatchStatus.PAID, timezone.now()
        b.save()
    return b


BANK_HEADERS = ["序号", "期间", "项目代码", "项目名称", "收款类别", "收款人", "证件号码（脱敏）", "区划代码",
                "金额（元）", "计算依据", "与上月比", "备注", "银行账号（代发系统匹配）"]


def bank_rows(batch: Batch):
    """Rows of the bank payment file: what the ledger paid through this batch (the truth, also after the batch's
    unchanged lines were compacted), names and ID numbers masked; the bank matches accounts by the payee key
    in its 代发 system."""
    from ylyx.institutions.models import Institution
    from ylyx.people.models import ElderlyPerson

    entries = LedgerEntry.objects.unscoped("rows of a batch the caller fetched in scope").filter(
        batch=batch).select_related("programme").order_by("id")
    changes = dict(BatchLine.objects.unscoped("rows of a batch the caller fetched in scope").filter(
        batch=batch).exclude(change=Change.SAME).values_list("payee_key", "change"))
    labels = dict(Change.choices)
    n, last = 0, 0
    while True:
        rows = list(entries.filter(id__gt=last)[:5000])
        if not rows:
            break
        last = rows[-1].id
        pids = [r.person_id for r in rows if r.person_id]
        iids = [r.institution_id for r in rows if r.institution_id]
        people = {p[0]: p[1:] for p in ElderlyPerson.objects.unscoped("payees of the batch").filter(
            pk__in=pids).values_list("id", "name", "id_last4")}
        insts = dict(Institution.objects.unscoped("payees of the batch").filter(pk__in=iids).values_list("id", "name"))
        for r in rows:
            n += 1
            if r.person_id:
                p = people.get(r.person_id)
                payee, idn, kind = (mask_name(p[0]), f"{'*' * 14}{p[1]}", "个人") if p else ("", "", "个人")
            else:
                payee, idn, kind = insts.get(r.institution_id, ""), "", "机构"
            yield [n, batch.period, r.programme.code, r.programme.name, kind, payee, idn, r.region_id,
                   float(r.amount), r.basis, labels.get(changes.get(r.payee_key, Change.SAME), ""), "", ""]


def compact_batch(batch: Batch) -> int:
    """Drop a paid batch's unchanged lines (持续): the ledger keeps every payment and the bank file reads it;
    the lines that explain a difference (新增, 变更, 停发) stay."""
    if batch.status != BatchStatus.PAID:
        raise Conflict("只有已发放的批次可以压缩明细")
    n, _ = BatchLine.objects.unscoped("maintenance of a paid batch").filter(batch=batch, change=Change.SAME).delete()
    return n


# ---------------------------------------------------------------------------------------------------
# recoveries and absences


def detect_recoveries(user: Any, prefix: str) -> int:
    """追缴: every payment for a period after the payee's death or move-out month gets one recovery
    (idempotent: a ledger row has at most one)."""
    from django.db import connection

    from ylyx.people.models import ElderlyPerson

    month = "to_char({0}, 'YYYY-MM')" if connection.vendor == "postgresql" else "substr({0}, 1, 7)"
    gone_month = f"COALESCE({month.format('p.died_on')}, {month.format('p.moved_out_on')})"
    sql = (f"SELECT e.id, e.person_id, e.period, e.region_id, e.amount, p.died_on, p.moved_out_on "  # noqa: S608
           f"FROM {LedgerEntry._meta.db_table} e JOIN {ElderlyPerson._meta.db_table} p ON p.id = e.person_id "
           f"LEFT JOIN {Recovery._meta.db_table} r ON r.entry_id = e.id "
           f"WHERE r.id IS NULL AND e.status = 'paid' AND e.period NOT LIKE 'A%%' "
           f"AND p.region_id >= %s AND p.region_id < %s "
           f"AND (p.died_on IS NOT NULL OR p.moved_out_on IS NOT NULL) AND e.period > {gone_month}")
    with connection.cursor() as cur:  # one join instead of every dead person's whole payment history
        cur.execute(sql, [prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)])
        found = cur.fetchall()
    made = []
    for entry_id, person_id, period, region_id, amount, died, moved in found:
        day = str(died or moved)[:10]
        why = "去世" if died else "户籍迁出"
        made.append(Recovery(entry_id=entry_id, person_id=person_id, region_id=region_id,
                             amount=Decimal(str(amount)), reason=f"{why}（{day}）后仍发放 {period} 期"))
    if made:
        with transaction.atomic():
            Recovery.objects.bulk_create(made, ignore_conflicts=True)
            LedgerEntry.objects.unscoped("recovery scan").filter(pk__in=[r.entry_id for r in made]).update(
                status=LedgerStatus.RECOVERY)
            record(user, "subsidy_recovery_detect", None, detail={"prefix": prefix, "count": len(made)})
    return len(made)


@transaction.atomic
def close_recovery(user: Any, rec: Recovery, *, recovered: bool, note: str = "") -> Recovery:
    _require(user, "change")
    ensure_in_scope(rec, user, "change")
    rec = Recovery.objects.unscoped(SYSTEM).select_for_update().get(pk=rec.pk)
    if rec.status != RecoveryStatus.OPEN:
        raise Conflict("该追缴已办结")
    if not recovered and not note.strip():
        raise ValidationError({"note": "核销时请说明原因"})
    rec.status = RecoveryStatus.RECOVERED if recovered else RecoveryStatus.WAIVED
    rec.closed_on = timezone.localdate()
    rec.save()
    if recovered:
        LedgerEntry.objects.unscoped(SYSTEM).filter(pk=rec.entry_id).update(status=LedgerStatus.RECOVERED)
    record(user, "subsidy_recovery_close", rec, after={"status": rec.status}, reason=note)
    return rec


@transaction.atomic
def report_absence(user: Any, residence: Any, *, started_on: dt.date, ended_on: dt.date | None = None,
                   reason: str = "") -> Absence:
    _require(user, "add")
    ensure_in_scope(residence, user, "view")
    if ended_on is not None and ended_on < started_on:
        raise ValidationError({"ended_on": "返院日期不能早于离院日期"})
    if residence.ended_on is not None and started_on > residence.ended_on:
        raise ValidationError({"started_on": "离院日期晚于退住日期"})
    ab = Absence(residence=residence, institution_id=residence.institution_id, region_id=residence.region_id,
                 started_on=started_on, ended_on=ended_on, reason=reason[:100])
    ab.save()
    ensure_in_scope(ab, user, "add")
    record(user, "subsidy_absence", ab)
    return ab


def batch_summary(batch: Batch) -> dict[str, Any]:
    qs = BatchLine.objects.unscoped("rows of a batch the caller fetched in scope").filter(batch=batch)
    by_prog = list(qs.exclude(change=Change.STOPPED).values("programme__code", "programme__name").annotate(
        n=Count("id"), total=Sum("amount")).order_by("programme__code"))
    by_change = dict(qs.values_list("change").annotate(n=Count("id")).order_by())
    return {"by_programme": by_prog, "by_change": by_change}


__all__ = ["IntegrityError", "PeriodKind"]
