"""Writing audit events: always inside the caller's transaction, so a failed audit rolls the change back."""

from __future__ import annotations

import hashlib
import json
import operator
from collections.abc import Iterable
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone

from ylyx.core.middleware import current_request_info

from .models import AuditEvent

GENESIS = "0" * 64
HASHED_FIELDS = ("occurred_at", "actor_id", "actor_display", "actor_region", "event_type", "outcome",
                 "object_type", "object_id", "object_repr", "region_code", "request_id", "ip",
                 "reason", "before", "after", "detail")


def canonical(ev: AuditEvent) -> str:
    data = {f: getattr(ev, f) for f in HASHED_FIELDS}
    data["occurred_at"] = ev.occurred_at.isoformat()
    return json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)


def row_hash(ev: AuditEvent) -> str:
    return hashlib.sha256((ev.prev_hash + canonical(ev)).encode()).hexdigest()


def _lock_chain() -> str:
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(724001)")
    last = AuditEvent.objects.order_by("-id").values_list("row_hash", flat=True).first()
    return last or GENESIS


def _build(actor: Any, event_type: str, **kw: Any) -> AuditEvent:
    info = current_request_info()
    now = timezone.now().replace(microsecond=(timezone.now().microsecond // 1000) * 1000)
    return AuditEvent(
        occurred_at=now,
        actor_id=getattr(actor, "pk", None),
        actor_display=(str(actor) if actor is not None else "")[:150],
        actor_region=(getattr(actor, "region_id", None) or "") if actor is not None else "",
        event_type=event_type,
        request_id=info.get("request_id", ""),
        ip=info.get("ip", ""),
        user_agent=info.get("user_agent", ""),
        **kw,
    )


def record_many(events: Iterable[AuditEvent]) -> int:
    """Chain and insert events in order, under the chain lock; sets each event's pk as ``bulk_create`` does.

    Large batches (an Excel import writes one event per row) skip ``bulk_create``: its per-value
    compilation, SQLite's 999-parameter statements and PostgreSQL's quoted VALUES text cost several times
    the database's own work. See ``_insert``; the stored values and the chain are the same.
    """
    events = list(events)
    if not events:
        return 0
    with transaction.atomic():
        prev = _lock_chain()
        for ev in events:
            ev.prev_hash = prev
            ev.row_hash = prev = row_hash(ev)
        _insert(events)
    return len(events)


_ROWS_PER_INSERT = 2000  # rows per INSERT statement, at most (and within the database's parameter limit)
_FAST_FROM = 100  # smaller batches (every single record()) keep bulk_create: its set-up costs less
_PLAIN = {"CharField": str, "TextField": str, "BigAutoField": int, "AutoField": int, "IntegerField": int,
          "BigIntegerField": int}


def _insert(events: list[AuditEvent]) -> None:
    """Large batches: COPY (PostgreSQL) or INSERT … VALUES (…), (…) RETURNING (SQLite), ids matched by row_hash.

    Each value is what ``bulk_create`` would send: ``get_db_prep_save`` of its field, except ``None`` and
    values already of the column's plain type (``str`` for text, ``int`` for integers), which it returns
    unchanged; equal timestamps are converted once.
    """
    conn = connections[DEFAULT_DB_ALIAS]  # the wrapper itself: each access through the proxy costs a lookup
    if len(events) < _FAST_FROM or not conn.features.can_return_rows_from_bulk_insert:
        AuditEvent.objects.bulk_create(events, batch_size=2000)
        return
    fields = [f for f in AuditEvent._meta.concrete_fields if not f.primary_key]
    kinds = [_PLAIN.get((f.target_field if f.is_relation else f).get_internal_type())  # type: ignore[attr-defined]
             for f in fields]
    plain = [(i, kind, f) for i, (f, kind) in enumerate(zip(fields, kinds, strict=True)) if kind is not None]
    other = [(i, f) for i, (f, kind) in enumerate(zip(fields, kinds, strict=True)) if kind is None]
    get = operator.attrgetter(*[f.attname for f in fields])
    memo: dict[Any, Any] = {}

    def values(ev: AuditEvent) -> list[Any]:
        row = list(get(ev))
        for i, kind, f in plain:
            v = row[i]
            if v is not None and type(v) is not kind:
                row[i] = f.get_db_prep_save(v, conn)
        for i, f in other:
            v = row[i]
            if v is None:
                continue
            if f.attname == "occurred_at":  # one commit's events share their time: convert it once
                if v not in memo:
                    memo[v] = f.get_db_prep_save(v, conn)
                row[i] = memo[v]
            else:
                row[i] = f.get_db_prep_save(v, conn)
        return row

    qn = conn.ops.quote_name
    table = qn(AuditEvent._meta.db_table)
    cols = ", ".join(qn(str(f.column)) for f in fields)
    by_hash = {ev.row_hash: ev for ev in events}
    if conn.vendor == "postgresql":
        # COPY, with ids drawn from the sequence first (ascending, so the id order is the chain order): a
        # third of the time of VALUES lists, which PostgreSQL receives as quoted SQL text to parse.
        # Identifiers come from the model's metadata and are quoted; values go through COPY.
        with conn.cursor() as cur:
            cur.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s) ORDER BY 1",
                        [AuditEvent._meta.db_table, len(events)])
            ids = [row[0] for row in cur.fetchall()]
            with conn.wrap_database_errors, cur.cursor.copy(f"COPY {table} ({qn('id')}, {cols}) FROM STDIN") as copy:
                for pk, ev in zip(ids, events, strict=True):
                    copy.write_row([pk, *values(ev)])
        _set_pks(conn, by_hash, [(pk, ev.row_hash) for pk, ev in zip(ids, events, strict=True)])
        return
    limit = conn.features.max_query_params or 65535
    if conn.vendor == "sqlite":
        import sqlite3

        conn.ensure_connection()
        try:
            limit = conn.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        except (AttributeError, sqlite3.Error):
            pass
    per = max(1, min(_ROWS_PER_INSERT, limit // len(fields)))
    # Identifiers come from the model's metadata and are quoted; every value is a bound parameter.
    head = f"INSERT INTO {table} ({cols}) VALUES "  # noqa: S608
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    tail = f" RETURNING {qn('id')}, {qn('row_hash')}"
    with conn.cursor() as cur:
        for i in range(0, len(events), per):
            part = events[i:i + per]
            params = [v for ev in part for v in values(ev)]
            cur.execute(head + ", ".join([one] * len(part)) + tail, params)
            _set_pks(conn, by_hash, cur.fetchall())


def _set_pks(conn: Any, by_hash: dict[str, AuditEvent], rows: list[tuple[int, str]]) -> None:
    """What bulk_create leaves on saved instances: the pk, and a state that says they are in the database."""
    for pk, h in rows:
        ev = by_hash[h]
        ev.pk = pk
        ev._state.adding = False
        ev._state.db = conn.alias


def event_for(actor: Any, event_type: str, obj: Any = None, *, before: dict | None = None,
              after: dict | None = None, reason: str = "", outcome: str = "success",
              detail: dict | None = None) -> AuditEvent:
    kw: dict[str, Any] = {"before": before, "after": after, "reason": reason or "", "outcome": outcome,
                          "detail": detail}
    if obj is not None:
        kw.update(object_type=obj._meta.label_lower, object_id=str(obj.pk), object_repr=str(obj)[:200],
                  region_code=getattr(obj, "region_id", "") or "")
    return _build(actor, event_type, **kw)


def record(actor: Any, event_type: str, obj: Any = None, **kw: Any) -> AuditEvent:
    ev = event_for(actor, event_type, obj, **kw)
    record_many([ev])
    return ev


def record_security_event(actor: Any, event_type: str, outcome: str, detail: dict | None = None) -> None:
    record_many([_build(actor, event_type, outcome=outcome, detail=detail)])


def verify_chain() -> tuple[bool, int | None, int]:
    """Recompute every link; returns (ok, id of the first broken row, rows checked)."""
    prev = GENESIS
    n = 0
    for ev in AuditEvent.objects.order_by("id").iterator(chunk_size=5000):
        n += 1
        if ev.prev_hash != prev or row_hash(ev) != ev.row_hash:
            return False, ev.pk, n
        prev = ev.row_hash
    return True, None, n
