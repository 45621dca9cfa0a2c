"""Bulk INSERT and UPDATE for the import's commit, without a model instance per row.

``QuerySet.bulk_create`` builds a model instance per row and runs every value through the SQL compiler
(about 0.1 ms per row for a person); on SQLite it also caps a statement at 999 parameters (55 people), and
on PostgreSQL it sends VALUES lists as quoted SQL text. For 100,000 rows that overhead, not the database's
own work, was most of the commit. These helpers store the same values: each goes through its field's
``get_db_prep_save`` as the compiler does, except plain ``str``/``int``/``bool``/``None`` values, which it
would return unchanged, and dates, converted once per distinct value. Defaults and ``auto_now(_add)`` are
applied as ``Model.save`` applies them. Constraints, indexes and triggers apply as for any INSERT/UPDATE.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any, cast

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.utils import timezone

from .engine import Stale

MAX_ROWS_PER_STATEMENT = 2000  # SQLite: rows per INSERT, within its real parameter limit (max_params)
TEXT_TYPES = {"CharField", "TextField", "SlugField", "EmailField", "URLField"}
INT_TYPES = {"IntegerField", "BigIntegerField", "SmallIntegerField", "PositiveIntegerField",
             "PositiveSmallIntegerField", "PositiveBigIntegerField", "AutoField", "BigAutoField",
             "SmallAutoField"}
_MISSING = object()


def _db() -> Any:
    """The default connection's wrapper itself: through the ``connection`` proxy every attribute access is a
    context-local lookup, which adds up at millions of values."""
    return connections[DEFAULT_DB_ALIAS]


def max_params() -> int:
    """The real bound-parameter limit: SQLite 3.32+ allows 32,766, Django assumes 999 for all versions."""
    connection = _db()
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        try:
            return int(connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
        except (AttributeError, sqlite3.Error):
            return int(connection.features.max_query_params or 999)
    return int(connection.features.max_query_params or 65535)


def plain_types(field: models.Field) -> tuple[type, ...]:
    """Value types ``get_db_prep_save`` returns unchanged for this column (besides None)."""
    base = field.target_field if field.is_relation else field  # type: ignore[attr-defined]
    kind = base.get_internal_type()
    if kind in TEXT_TYPES:
        return (str,)
    if kind in INT_TYPES:
        return (int,)
    if kind == "BooleanField":
        return (bool,)
    return ()


def converter(field: models.Field) -> Callable[[Any], Any]:
    """``field.get_db_prep_save`` with the identity cases short-cut and dates memoised."""
    plain = plain_types(field)
    prep = field.get_db_prep_save
    connection = _db()
    memo: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        t = type(value)
        if value is None or t in plain:
            return value
        if t is dt.date or t is dt.datetime:
            key = (t, value)
            out = memo.get(key, _MISSING)
            if out is _MISSING:
                out = memo[key] = prep(value, connection)
            return out
        return prep(value, connection)

    return convert


class _Plan:
    """Columns of one model and, per column, where its value comes from and how it is converted."""

    def __init__(self, model: type[models.Model], now: dt.datetime) -> None:
        self.model = model
        self.table = model._meta.db_table
        self.pk = model._meta.pk
        fields = [f for f in model._meta.concrete_fields if not (f is self.pk and _is_auto(f))]
        self.columns = [f.column for f in fields]
        # auto_now / auto_now_add columns get ``now`` in every row, as save() gives them; converted once.
        self.template: list[Any] = [None] * len(fields)
        self.from_row: list[tuple[int, str, tuple[type, ...], Callable[[Any], Any], Callable[[], Any]]] = []
        for i, f in enumerate(fields):
            conv = converter(f)
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                self.template[i] = conv(now)
                continue
            # A default is evaluated per row, as Model.__init__ does, when it is callable.
            default = f.get_default if f.has_default() and callable(f.default) else _Const(f.get_default())
            self.from_row.append((i, f.attname, plain_types(f), conv, default))

    def values(self, row: dict[str, Any]) -> list[Any]:
        out = self.template.copy()
        get = row.get
        for i, attname, plain, conv, default in self.from_row:
            v = get(attname, _MISSING)
            if v is _MISSING:
                v = default()
            out[i] = v if v is None or type(v) in plain else conv(v)
        return out


class _Const:
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __call__(self) -> Any:
        return self.value


def _is_auto(field: models.Field) -> bool:
    return field.get_internal_type() in ("AutoField", "BigAutoField", "SmallAutoField")


def insert(model: type[models.Model], rows: Sequence[dict[str, Any]], key: str,
           now: dt.datetime | None = None) -> dict[Any, int]:
    """Insert ``rows`` ({attname: value}); returns {row[key]: new pk}. ``key`` must be unique among the rows.

    SQLite: multi-row ``INSERT … RETURNING pk, key`` of up to 2,000 rows, the keys matched by value, so
    nothing depends on the order the rows come back in. PostgreSQL: the primary keys are drawn from the
    table's sequence first, then the rows go in with COPY, three times faster there than VALUES lists.
    """
    if not rows:
        return {}
    if not _is_auto(model._meta.pk):  # type: ignore[arg-type]
        raise ValueError(f"bulk.insert: {model._meta.label} has no auto-increment primary key")
    connection = _db()
    plan = _Plan(model, now or timezone.now())
    key_column = str(cast(models.Field, model._meta.get_field(key)).column)  # names and attnames both resolve
    if connection.vendor == "postgresql":
        out = _insert_by_copy(connection, plan, rows, key)
    elif connection.features.can_return_rows_from_bulk_insert:
        out = _insert_by_values(connection, plan, rows, key_column)
    else:  # pragma: no cover - SQLite < 3.35
        objs = [model(**r) for r in rows]
        model._default_manager.bulk_create(objs)
        return {r[key]: o.pk for r, o in zip(rows, objs, strict=True)}
    if len(out) != len(rows) or out.keys() != {r[key] for r in rows}:
        raise RuntimeError(f"bulk insert into {plan.table}: keys returned do not match the rows sent")
    return out


def _insert_by_values(connection: Any, plan: _Plan, rows: Sequence[dict[str, Any]], key_column: str) -> dict[Any, int]:
    qn = connection.ops.quote_name
    per = max(1, min(MAX_ROWS_PER_STATEMENT, max_params() // len(plan.columns)))
    # Identifiers come from the model's metadata and are quoted; every value is a bound parameter.
    head = (f"INSERT INTO {qn(plan.table)} ({', '.join(qn(c) for c in plan.columns)}) VALUES ")  # noqa: S608
    one = "(" + ", ".join(["%s"] * len(plan.columns)) + ")"
    tail = f" RETURNING {qn(plan.pk.column)}, {qn(key_column)}"  # type: ignore[union-attr]
    out: dict[Any, int] = {}
    with connection.cursor() as cur:
        for i in range(0, len(rows), per):
            part = rows[i:i + per]
            params: list[Any] = []
            for r in part:
                params.extend(plan.values(r))
            cur.execute(head + ", ".join([one] * len(part)) + tail, params)
            for pk, k in cur.fetchall():
                out[k] = pk
    return out


def next_ids(cursor: Any, table: str, column: str, n: int) -> list[int]:
    """PostgreSQL: ``n`` new values of the column's own sequence (serial or identity), ascending."""
    cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s) ORDER BY 1",
                   [table, column, n])
    return [row[0] for row in cursor.fetchall()]


def _insert_by_copy(connection: Any, plan: _Plan, rows: Sequence[dict[str, Any]], key: str) -> dict[Any, int]:
    """PostgreSQL: take the primary keys from the table's sequence, then COPY the rows with them.

    COPY bypasses nothing: constraints, indexes and triggers apply as for INSERT, and its errors are
    translated like any other database error (a duplicate raises IntegrityError).
    """
    qn = connection.ops.quote_name
    pk_column = str(plan.pk.column)  # type: ignore[union-attr]
    # Identifiers come from the model's metadata and are quoted; every value goes through COPY.
    sql = f"COPY {qn(plan.table)} ({qn(pk_column)}, {', '.join(qn(c) for c in plan.columns)}) FROM STDIN"
    with connection.cursor() as cur:
        ids = next_ids(cur, plan.table, pk_column, len(rows))
        with connection.wrap_database_errors, cur.cursor.copy(sql) as copy:
            for pk, r in zip(ids, rows, strict=True):
                copy.write_row([pk, *plan.values(r)])
    return {r[key]: pk for pk, r in zip(ids, rows, strict=True)}


def update(model: type[models.Model], fields: Sequence[str], rows: Iterable[tuple[int, dict[str, Any]]]) -> int:
    """``UPDATE … SET fields WHERE pk = …`` for each (pk, values) pair, as one batched statement.

    Raises Stale when a row is gone (deleted since the scan): bulk_update would silently skip it.
    """
    rows = list(rows)
    if not rows:
        return 0
    meta = model._meta
    connection = _db()
    qn = connection.ops.quote_name
    targets = [meta.get_field(f) for f in fields]
    convs = [converter(f) for f in targets]  # type: ignore[arg-type]
    attnames = [f.attname for f in targets]  # type: ignore[union-attr]
    sets = ", ".join(f"{qn(f.column)} = %s" for f in targets)  # type: ignore[union-attr]
    sql = f"UPDATE {qn(meta.db_table)} SET {sets} WHERE {qn(meta.pk.column)} = %s"  # type: ignore[union-attr]  # noqa: S608 - quoted model identifiers; values are bound
    params = [[conv(values[a]) for a, conv in zip(attnames, convs, strict=True)] + [pk] for pk, values in rows]
    with connection.cursor() as cur:
        cur.executemany(sql, params)
        count = cur.rowcount
    if count != len(rows):
        raise Stale(f"{meta.label}：{len(rows) - count} 条记录在导入过程中被删除")
    return count

