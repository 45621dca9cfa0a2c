"""Background tasks for long imports (django-tasks; the database backend's worker runs them).

Both are idempotent: they act only on a batch in the matching state, so a task delivered twice, or
one picked up after the sweeper gave up on its batch, does nothing.
"""

from __future__ import annotations

from django_tasks import task


@task()
def validate_batch(batch_id: int) -> str:
    from .services import validate

    return validate(batch_id).status


@task()
def commit_batch(batch_id: int) -> str:
    from .services import commit

    return commit(batch_id).status


@task()
def sweep_files() -> dict:
    from .services import sweep

    return sweep()
