"""What the background jobs share (annual reports, export jobs): progress rows, private files, task checks.

A job is a row the pages poll with htmx and a django-tasks task that updates it. The row is committed
before the task is enqueued (a worker never looks for a row that is not there yet); the task writes its
file beside the target and renames it (a reader never sees half a file); and files are only ever opened
inside the job kind's own folder, because their paths come from the database.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.db import models


def update_row(model: type[models.Model], pk: int | None, *, unless: tuple[str, ...] = (), **fields: Any) -> int:
    """One UPDATE of a job row, so a polling page sees each step; rows already in ``unless`` are left alone.

    A no-op without a pk (a command, or a task enqueued by hand).
    """
    if pk is None:
        return 0
    qs = model._default_manager.filter(pk=pk)  # system: the task updates its own job row by id
    if unless:
        qs = qs.exclude(status__in=unless)
    return qs.update(**fields)


def write_atomic(path: Path, data: bytes) -> None:
    """Write beside the target then rename, so a reader never sees half a file."""
    with atomic_file(path) as fh:
        fh.write(data)


@contextlib.contextmanager
def atomic_file(path: Path, mode: int = 0o600) -> Iterator[Any]:
    """A binary file handle whose content replaces ``path`` only when the block ends without an error."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            h.update(chunk)
    return h.hexdigest()


def contained(root: Path, path: str) -> Path | None:
    """``path`` resolved, only when it lies under ``root``; None for blank or outside paths."""
    if not path:
        return None
    p = Path(path)
    if not p.is_absolute():
        p = root / p
    p = p.resolve()
    if not p.is_relative_to(root.resolve()):
        return None
    return p


def unlink(path: Path | None) -> int:
    """Delete a file if it is there; returns how many files went (0 or 1)."""
    if path is None or not path.is_file():
        return 0
    path.unlink()
    return 1


def task_failed(task: Any, task_id: str) -> bool:
    """Whether the backend recorded the task as failed (the worker crashed past the task's own handler)."""
    from django_tasks import TaskResultStatus

    if not task_id:
        return False
    try:
        result = task.get_result(task_id)
    except Exception:  # noqa: BLE001 - backends without stored results (Immediate) or a purged result
        return False
    return result.status == TaskResultStatus.FAILED
