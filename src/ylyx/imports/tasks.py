"""Background tasks for long imports and export jobs (django-tasks; the database backend's worker runs them).

All are idempotent: they act only on a batch or job in the matching state, so a task delivered twice,
or one picked up after the sweeper gave up on its batch or job, does nothing.
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


@task()
def generate_export(job_id: int) -> str:
    """Make an export job's workbook (approved, or not needing approval); see ``export_jobs.generate``."""
    from .export_jobs import generate

    return generate(job_id)


@task()
def purge_exports() -> dict:
    from .export_jobs import purge

    return purge()
