"""The import engine: stream rows, parse and check them in chunks, and (on commit) write them in bulk.

``scan`` is the same code for both phases. Validation runs it without writing; commit runs it again
against the current database (the registry may have changed since validation) and hands the resulting
plan to ``Spec.write`` inside one transaction. All lookups are batched per chunk of rows (blind indexes,
regions, institutions, classes), so a 100,000-row file costs a few hundred queries, not a few per row.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection, models
from django.utils import timezone

from ylyx.audit.models import AuditEvent
from ylyx.audit.services import event_for
from ylyx.regions.models import Region

from .columns import CellInvalid, Column, echo, header_key, is_blank, parser_for
from .reader import BadWorkbook, open_workbook

CHUNK_ROWS = 900  # rows checked together; every lookup is one IN (…) of at most this many keys (SQLite: 999)
EXAMPLE_MARK = "【示例】"
REQUIRED = "必填项不能为空"


@dataclass(slots=True)
class Row:
    number: int
    values: dict[str, Any]
    errors: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    key: str = ""
    op: str = ""  # create / update / unchanged
    pk: int | None = None
    data: dict[str, Any] | None = None  # create: every field; update: changed fields only
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    label: str = ""  # masked name for the audit trail
    region: str = ""  # the record's region after the write, for the audit trail
    link: dict[str, Any] | None = None  # a Residence / Enrolment to create for this row

    def error(self, column: str, message: str) -> None:
        self.errors.append((column, message))

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class Context:
    user: Any
    prefix: str
    domains: set[str] | None
    commit: bool
    batch_id: int | None = None
    now: dt.datetime = field(default_factory=timezone.now)
    seen: dict[str, int] = field(default_factory=dict)
    regions: dict[str, bool] = field(default_factory=dict)
    cache: dict[str, Any] = field(default_factory=dict)  # spec-specific lookups kept across chunks

    @property
    def today(self) -> dt.date:
        return timezone.localdate(self.now)

    def in_scope(self, region_code: str) -> bool:
        return bool(self.prefix) and region_code.startswith(self.prefix)

    def check_regions(self, rows: list[Row], key: str, header: str) -> None:
        """Existence in regions.Region, then the uploader's subtree: one query per chunk for unseen codes."""
        wanted = {r.values[key] for r in rows if r.values.get(key)} - self.regions.keys()
        if wanted:
            found = set(Region.objects.filter(code__in=wanted).values_list("code", flat=True))
            for code in wanted:
                self.regions[code] = code in found
        for r in rows:
            code = r.values.get(key)
            if not code:
                continue
            if not self.regions[code]:
                r.error(header, "行政区划代码不存在")
            elif not self.in_scope(code):
                r.error(header, "超出您的管辖范围")


class Spec:
    """A resource's columns, natural key and rules; subclasses implement ``check`` and ``write``."""

    resource = ""
    label = ""
    model: type[models.Model]
    columns: list[Column] = []
    key_column = ""
    notes: list[str] = []

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)

    def header(self, key: str) -> str:
        return self.column(key).header

    def parsers(self) -> list[tuple[Column, Callable[[Any], Any]]]:
        cached = self.__dict__.get("_parsers")
        if cached is None:
            cached = self.__dict__["_parsers"] = [(c, parser_for(c)) for c in self.columns]
        return cached

    def parse(self, number: int, raw: dict[str, Any]) -> Row:
        row = Row(number=number, values={})
        values = row.values
        for col, parse_value in self.parsers():
            key = col.key
            if key not in raw:
                continue  # column absent from the file: the field is left alone
            value = raw[key]
            if value is None or (isinstance(value, str) and not value.strip()):  # columns.is_blank
                if col.required:
                    row.error(col.header, REQUIRED)
                values[key] = None
                continue
            try:
                values[key] = parse_value(value)
            except CellInvalid as e:
                row.error(col.header, str(e))
                values[key] = None
        return row

    def check(self, rows: list[Row], ctx: Context) -> None:
        raise NotImplementedError

    def lock_and_verify(self, ctx: Context) -> None:
        """Inside the commit transaction: lock and re-count what the rules counted (capacity); raise Stale."""

    def write(self, rows: list[Row], ctx: Context) -> WriteResult:
        raise NotImplementedError

    def require_group(self, row: Row, keys: Iterable[str], message: str) -> bool:
        """Optional groups (入住/入托 columns): all or none. Returns True when the group is filled in."""
        keys = list(keys)
        filled = [k for k in keys if row.values.get(k) not in (None, "")]
        if not filled:
            return False
        missing = [k for k in keys if row.values.get(k) in (None, "")]
        if missing:
            # Only report columns that were blank, not those that already failed to parse.
            failed = {c for c, _ in row.errors}
            for k in missing:
                h = self.header(k)
                if h not in failed:
                    row.error(h, message)
            return False
        return True


class Stale(Exception):
    """Data the rules depended on changed between the scan and the write; the commit is retried."""


@dataclass
class WriteResult:
    created: int = 0
    updated: int = 0
    links: int = 0
    events: list[PendingEvent] = field(default_factory=list)


@dataclass
class Issue:
    row: int
    column: str
    message: str
    level: str = "error"


@dataclass
class Scan:
    rows_total: int = 0
    rows_rejected: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    links: int = 0
    issues: list[Issue] = field(default_factory=list)
    plan: list[Row] = field(default_factory=list)  # commit only: rows that write something
    truncated: bool = False

    def add(self, rows: list[Row], keep_plan: bool) -> None:
        limit = getattr(settings, "IMPORT_MAX_ISSUES", 100_000)
        for r in rows:
            self.rows_total += 1
            for col, msg in r.errors:
                self._issue(Issue(r.number, col, msg), limit)
            for col, msg in r.warnings:
                self._issue(Issue(r.number, col, msg, "warning"), limit)
            if r.errors:
                self.rows_rejected += 1
                continue
            if r.op == "create":
                self.new += 1
            elif r.op == "update":
                self.updated += 1
            else:
                self.unchanged += 1
            if r.link is not None:
                self.links += 1
            if keep_plan and (r.op in ("create", "update") or r.link is not None):
                r.values = {}  # the plan keeps only what it writes
                self.plan.append(r)

    def _issue(self, issue: Issue, limit: int) -> None:
        if len(self.issues) < limit:
            self.issues.append(issue)
        else:
            self.truncated = True


def map_header(spec: Spec, number: int, cells: dict[int, Any]) -> tuple[dict[int, Column], list[Issue]]:
    by_header = {header_key(c.header): c for c in spec.columns}
    mapping: dict[int, Column] = {}
    issues: list[Issue] = []
    used: dict[str, str] = {}
    for idx in sorted(cells):
        text = str(cells[idx]).strip()
        col = by_header.get(header_key(text))
        if col is None:
            issues.append(Issue(number, echo(text, 50), f"未识别的列“{echo(text, 30)}”，已忽略", "warning"))
            continue
        if col.key in used:
            raise BadWorkbook(f"第 {number} 行表头中“{col.header}”出现了两次，请删除重复的列")
        used[col.key] = text
        mapping[idx] = col
    if not mapping:
        raise BadWorkbook(f"第 {number} 行不是{spec.label}导入模板的表头（未找到“{spec.columns[0].header}”等列），"
                          "请下载并使用导入模板，表头放在第一行")
    missing = [c.header for c in spec.columns if c.required and c.key not in used]
    if missing:
        raise BadWorkbook("缺少必填列：" + "、".join(missing) + "。请使用导入模板，不要删除或改名表头")
    return mapping, issues


ProgressFn = Callable[[int, int], None]


def scan(spec: Spec, path: Path, ctx: Context, progress: ProgressFn | None = None) -> Scan:
    """Read, parse and check every row; raises BadWorkbook for problems with the file as a whole."""
    result = Scan()
    max_rows = settings.IMPORT_MAX_ROWS
    with open_workbook(path) as wb:
        estimate = max(wb.estimate_rows() - 1, 0)
        if estimate > max_rows + 10:
            raise BadWorkbook(f"文件约有 {estimate} 行数据，超过单次导入上限 {max_rows} 行，请拆分后分批导入")
        if progress:
            progress(0, estimate)
        mapping: dict[int, Column] | None = None
        chunk: list[Row] = []
        n = 0
        for number, cells in wb.rows():
            if mapping is None:
                mapping, header_issues = map_header(spec, number, cells)
                result.issues.extend(header_issues)
                continue
            first = cells.get(min(cells))
            if isinstance(first, str) and first.startswith(EXAMPLE_MARK):
                continue
            raw = {col.key: cells.get(idx) for idx, col in mapping.items()}
            if all(is_blank(v) for v in raw.values()):
                continue
            n += 1
            if n > max_rows:
                raise BadWorkbook(f"数据超过单次导入上限 {max_rows} 行，请拆分后分批导入")
            chunk.append(spec.parse(number, raw))
            if len(chunk) >= CHUNK_ROWS:
                spec.check(chunk, ctx)
                result.add(chunk, ctx.commit)
                chunk = []
                if progress:
                    progress(n, max(estimate, n))
        if mapping is None:
            raise BadWorkbook("文件中没有表头和数据，请使用导入模板")
        if chunk:
            spec.check(chunk, ctx)
            result.add(chunk, ctx.commit)
        if progress:
            progress(n, n)
    return result


@dataclass(slots=True)
class PendingEvent:
    """An audit event to write after the business rows: compact, so 100,000 of them fit in memory."""

    event_type: str
    object_type: str
    object_id: int
    region_code: str
    label: str
    row: int
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


def pending(event_type: str, model: type[models.Model], pk: int, row: Row, *, region: str = "", label: str = "",
            before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> PendingEvent:
    """``region`` is the written record's region; an update that leaves the region alone takes the row's."""
    return PendingEvent(event_type, model._meta.label_lower, pk, region or row.region or "", label or row.label,
                        row.number, before, after)


_AUDIT_FIELDS = [f.attname for f in AuditEvent._meta.concrete_fields]


def to_audit(ctx: Context, events: list[PendingEvent]) -> list[AuditEvent]:
    """One AuditEvent per pending event, as ``event_for`` builds it, for one chunk of rows.

    ``event_for`` fills actor, time and request once; each row then differs only in the object, the
    before/after dicts and its row number. Building the instances positionally from that template is
    a quarter of the cost of ``event_for`` per row, which matters at 100,000 rows.
    """
    if not events:
        return []
    template = event_for(ctx.user, "import", None, reason=f"Excel 导入（批次 #{ctx.batch_id}）")
    base = [getattr(template, name) for name in _AUDIT_FIELDS]
    base[_AUDIT_FIELDS.index("id")] = None
    at = {name: _AUDIT_FIELDS.index(name) for name in (
        "event_type", "object_type", "object_id", "object_repr", "region_code", "before", "after", "detail")}
    i_type, i_otype, i_oid, i_repr, i_region, i_before, i_after, i_detail = at.values()
    out = []
    for ev in events:
        values = base.copy()
        values[i_type] = ev.event_type
        values[i_otype] = ev.object_type
        values[i_oid] = str(ev.object_id)
        values[i_repr] = ev.label[:200]
        values[i_region] = ev.region_code
        values[i_before] = ev.before
        values[i_after] = ev.after
        values[i_detail] = {"batch": ctx.batch_id, "row": ev.row}
        out.append(AuditEvent(*values))  # type: ignore[misc]  # positional: concrete_fields order
    return out


# SQLite's planner switches from the primary key to the (much larger) region index above a few hundred
# IN values; 500 keeps every re-check query a primary-key lookup, and under the 999-parameter limit.
# PostgreSQL keeps the primary key at any size, so fewer, larger queries.
RECHECK_CHUNK = {"sqlite": 500}
RECHECK_CHUNK_DEFAULT = 5000


def recheck_scope(model: type[models.Model], user: Any, pks: list[int]) -> None:
    """Defence in depth after bulk writes: every written row must be visible to the user for import."""
    size = RECHECK_CHUNK.get(connection.vendor, RECHECK_CHUNK_DEFAULT)
    for part in chunks(pks, size):
        seen = model.objects.for_user(user, "import").filter(pk__in=part).count()  # type: ignore[attr-defined]
        if seen != len(part):
            raise PermissionDenied("导入的数据超出您的管辖范围或权限，已全部撤销")


@contextmanager
def gc_paused() -> Iterator[None]:
    """Suspend the cyclic garbage collector while a batch is scanned and written.

    A 100,000-row batch keeps a few million small objects alive (rows, values, audit events); every full
    collection walks all of them, about 20 times per commit, which cost more than the audit inserts.
    None of these objects form reference cycles, so reference counting still frees them, and the
    collector is switched back on afterwards even when the batch fails.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def chunks(items: list[Any], size: int = 1000) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
