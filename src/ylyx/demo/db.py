"""Fast inserts with explicit ids, and resetting the database for a fresh build.

``insert`` writes tuples straight through the DB-API (``executemany`` on SQLite, ``COPY`` on PostgreSQL):
building a model instance per row would cost more than generating the row. Fields the caller does not
give get the model's default (so a field another app adds later does not break the demo), and
``auto_now`` fields get the build time. Model ``save()`` is not called, so signals and derived fields
are the caller's job.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, connections, models
from django.db.models import Max
from django.utils import timezone


class Writer:
    def __init__(self) -> None:
        self.conn = connection
        self.now = timezone.now()
        self.written: list[type[models.Model]] = []
        self.counts: dict[str, int] = {}

    def next_id(self, model: type[models.Model]) -> int:
        return (model._default_manager.aggregate(m=Max("pk"))["m"] or 0) + 1

    def insert(self, model: type[models.Model], fields: Sequence[str], rows: Iterable[tuple], batch: int = 5000,
               ready: bool = False) -> int:
        """Insert ``rows`` (tuples in ``fields`` order). ``ready``: values are already what the database
        stores (dates as ISO strings), so no per-value conversion is needed."""
        meta = model._meta
        by_attname = {f.attname: f for f in meta.concrete_fields}
        unknown = [f for f in fields if f not in by_attname]
        if unknown:
            raise ValueError(f"{meta.label}: unknown fields {unknown}")
        extra_fields, extra_values = [], []
        for f in meta.concrete_fields:
            if f.attname in fields:
                continue
            if f.primary_key:
                continue
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                value = self.now
            elif f.has_default():
                value = f.get_default()
            elif f.null:
                value = None
            else:
                raise ValueError(f"{meta.label}.{f.name} needs a value in the demo generator")
            extra_fields.append(f.attname)
            extra_values.append(f.get_db_prep_save(value, self.conn))
        columns = [str(by_attname[f].column) for f in (*fields, *extra_fields)]
        converters = [None if ready else self._converter(by_attname[f]) for f in fields]
        extra = tuple(extra_values)
        vendor = self.conn.vendor
        table = str(meta.db_table)
        qn = self.conn.ops.quote_name
        n = 0

        def prepared(rows_):
            if not any(converters):
                for row in rows_:
                    yield row + extra
                return
            for row in rows_:
                yield tuple(c(v) if c is not None and v is not None else v for c, v in zip(converters, row, strict=False)) + extra

        with self.conn.cursor() as cur:
            if vendor == "postgresql":
                sql = f"COPY {qn(table)} ({', '.join(qn(c) for c in columns)}) FROM STDIN"
                with cur.cursor.copy(sql) as copy:
                    for row in prepared(rows):
                        copy.write_row(row)
                        n += 1
            else:
                # Table and column names come from the model's meta, quoted; values are parameters.
                sql = (f"INSERT INTO {qn(table)} ({', '.join(qn(c) for c in columns)}) "  # noqa: S608
                       f"VALUES ({', '.join(['%s'] * len(columns))})")
                buf = []
                for row in prepared(rows):
                    buf.append(row)
                    if len(buf) >= batch:
                        cur.executemany(sql, buf)
                        n += len(buf)
                        buf = []
                if buf:
                    cur.executemany(sql, buf)
                    n += len(buf)
        if model not in self.written:
            self.written.append(model)
        self.counts[meta.label] = self.counts.get(meta.label, 0) + n
        return n

    @contextmanager
    def bulk_mode(self, *models_: type[models.Model]):
        """SQLite: drop the tables' secondary indexes while loading and rebuild them after (one sort per
        index instead of a B-tree insert per row), with a bigger page cache. Elsewhere a no-op."""
        if self.conn.vendor != "sqlite":
            yield
            return
        tables = [m._meta.db_table for m in models_]
        with self.conn.cursor() as cur:
            cur.execute("PRAGMA cache_size=-524288")
            cur.execute("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
            saved = [(name, sql) for name, table, sql in cur.fetchall() if table in tables]
            for name, _sql in saved:
                cur.execute("DROP INDEX " + self.conn.ops.quote_name(name))  # a name from the catalogue, quoted
        try:
            yield
        finally:
            with self.conn.cursor() as cur:
                for _name, sql in saved:
                    cur.execute(sql)
                cur.execute("PRAGMA cache_size=-65536")

    def _converter(self, f):
        ops = self.conn.ops
        if isinstance(f, models.DateTimeField):
            return lambda v: f.get_db_prep_save(v, self.conn)
        if isinstance(f, models.DateField):
            return ops.adapt_datefield_value if self.conn.vendor != "postgresql" else None
        if isinstance(f, (models.DecimalField, models.JSONField)):
            return lambda v: f.get_db_prep_save(v, self.conn)
        if isinstance(f, models.BooleanField):
            return bool
        return None

    def finish(self) -> None:
        """PostgreSQL sequences follow the explicit ids; planner statistics are refreshed everywhere."""
        with self.conn.cursor() as cur:
            if self.conn.vendor == "postgresql":
                for sql in self.conn.ops.sequence_reset_sql(no_style(), self.written):
                    cur.execute(sql)


def analyze() -> None:
    """Refresh planner statistics; skipped inside a caller's transaction (tests), where it would lock.

    On PostgreSQL a VACUUM comes with it: after a bulk load the visibility map is empty, so counts
    cannot use index-only scans and the first readers would rewrite every page's hint bits (measured:
    the county's elderly list 350 → 120 ms). Autovacuum would get there eventually, if it is on.
    """
    if connection.in_atomic_block:
        return
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("VACUUM (ANALYZE)")
        else:
            cur.execute("ANALYZE")
        if connection.vendor == "sqlite":
            cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def sqlite_path() -> Path | None:
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        name = str(db["NAME"])
        if name and name != ":memory:" and not name.startswith("file:") and "mode=memory" not in name:
            return Path(name)
    return None


def reset_database(stdout=None) -> str:
    """Start from an empty, migrated database: delete the SQLite file, or drop every table on PostgreSQL.

    (TRUNCATE would not do: the audit table refuses it by trigger, by design.)
    """
    path = sqlite_path()
    if path is not None:
        for conn in connections.all():
            conn.close()
        for suffix in ("", "-wal", "-shm", "-journal"):
            p = Path(f"{path}{suffix}")
            if p.exists():
                os.remove(p)
        path.parent.mkdir(parents=True, exist_ok=True)
        what = f"已删除 {path}"
    elif connection.vendor == "postgresql":
        tables = connection.introspection.table_names()
        with connection.cursor() as cur:
            for t in tables:
                cur.execute("DROP TABLE IF EXISTS " + connection.ops.quote_name(t) + " CASCADE")  # catalogue name
        what = f"已删除 {len(tables)} 张表"
    else:
        raise RuntimeError("--fresh 只支持 SQLite 文件数据库和 PostgreSQL")
    call_command("migrate", verbosity=0, interactive=False)
    return what

