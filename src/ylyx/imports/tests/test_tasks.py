"""Long imports run as django-tasks (ImmediateBackend in tests), with progress; the sweeper clears leftovers."""

import datetime as dt
import os

import pytest
from django.utils import timezone

from ylyx.imports import safety, services
from ylyx.imports.models import ImportBatch, Status
from ylyx.people.models import ElderlyPerson

from .fixtures.workbooks import ELDERLY_HEADERS, elderly_rows, write_xlsx
from .helpers import commit, upload


@pytest.fixture
def finished_tasks():
    from django_tasks.signals import task_finished

    seen = []

    def on_finished(sender, task_result, **kw):
        seen.append((task_result.task.name, task_result.status, task_result.return_value))

    task_finished.connect(on_finished, weak=False, dispatch_uid="imports-test-spy")
    yield seen
    task_finished.disconnect(dispatch_uid="imports-test-spy")


def test_large_files_go_through_the_task_queue(users, tmp_path, settings, private_tmp, monkeypatch,
                                                finished_tasks):
    settings.IMPORT_INLINE_MAX_BYTES = 0
    enqueued = finished_tasks
    monkeypatch.setattr("ylyx.imports.engine.CHUNK_ROWS", 10)
    progress = []
    original_progress = services._progress

    def tracking(batch_id):
        update = original_progress(batch_id)

        def inner(done, total):
            progress.append((done, total))
            update(done, total)
        return inner

    monkeypatch.setattr(services, "_progress", tracking)
    batch = upload(users["county_officer"], write_xlsx(tmp_path / "a.xlsx", ELDERLY_HEADERS, elderly_rows(35)))
    assert enqueued == [("validate_batch", "SUCCESSFUL", "validated")]
    assert batch.status == Status.VALIDATED, batch.message
    assert (batch.progress_done, batch.progress_total, batch.progress_percent) == (35, 35, 100)
    assert progress[0] == (0, 35) and (10, 35) in progress and (30, 35) in progress
    batch = commit(batch)
    assert enqueued[1] == ("commit_batch", "SUCCESSFUL", "committed")
    assert batch.status == Status.COMMITTED
    assert ElderlyPerson.objects.count() == 35
    assert not any(private_tmp.iterdir())


def test_task_on_a_batch_in_another_state_does_nothing(users, tmp_path):
    from ylyx.imports import tasks

    batch = commit(upload(users["county_officer"], write_xlsx(tmp_path / "a.xlsx", ELDERLY_HEADERS, elderly_rows(2))))
    tasks.validate_batch.call(batch.pk)
    tasks.commit_batch.call(batch.pk)
    batch.refresh_from_db()
    assert batch.status == Status.COMMITTED
    assert ElderlyPerson.objects.count() == 2


def test_sweeper_removes_expired_and_orphaned_files_and_stuck_batches(users, tmp_path, private_tmp):
    officer = users["county_officer"]
    waiting = upload(officer, write_xlsx(tmp_path / "a.xlsx", ELDERLY_HEADERS, elderly_rows(2)))
    assert waiting.status == Status.VALIDATED and waiting.stored_name
    stuck = upload(officer, write_xlsx(tmp_path / "b.xlsx", ELDERLY_HEADERS, elderly_rows(2, start=5)), run=False)
    orphan = safety.private_dir() / "0123456789abcdef0123456789abcdef.xlsx"
    orphan.write_bytes(b"left behind by an interrupted upload")
    fresh = upload(officer, write_xlsx(tmp_path / "c.xlsx", ELDERLY_HEADERS, elderly_rows(2, start=9)))
    old = timezone.now() - dt.timedelta(days=2)
    ImportBatch.objects.filter(pk__in=[waiting.pk, stuck.pk]).update(updated_at=old)
    os.utime(orphan, (old.timestamp(), old.timestamp()))

    result = services.sweep()
    assert result == {"stuck": 1, "expired": 1, "orphans": 1}
    waiting.refresh_from_db()
    stuck.refresh_from_db()
    fresh.refresh_from_db()
    assert waiting.status == Status.FAILED and "超过保存期限" in waiting.message and not waiting.stored_name
    assert stuck.status == Status.FAILED and "处理中断" in stuck.message and not stuck.stored_name
    assert fresh.status == Status.VALIDATED and fresh.stored_name
    assert sorted(p.name for p in private_tmp.iterdir()) == [fresh.stored_name]


def test_sweep_command(users, tmp_path, capsys):
    from django.core.management import call_command

    call_command("sweep_imports")
    assert "stuck=0 expired=0 orphans=0" in capsys.readouterr().out
