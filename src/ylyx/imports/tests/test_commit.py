"""Commit is one transaction: a failure anywhere leaves nothing written, and re-running ends in the clean state."""

import datetime as dt

import pytest

from ylyx import testing
from ylyx.audit.models import AuditEvent
from ylyx.audit.services import verify_chain
from ylyx.imports import bulk, services, specs
from ylyx.imports.models import ImportBatch, Status
from ylyx.people.models import ElderlyPerson, Residence

from .fixtures.workbooks import ELDERLY_HEADERS, elderly_rows, write_xlsx
from .helpers import commit, upload


def snapshot():
    return sorted(ElderlyPerson.objects.values_list("id_bidx", "name", "region_id", "address", "sex", "birth_date"))


@pytest.mark.parametrize("target", ["audit", "scope", "links"])
def test_forced_error_during_commit_writes_nothing_and_can_be_rerun(users, tree, tmp_path, monkeypatch,
                                                                     private_tmp, target):
    home = testing.make_institution(tree["linhe_town"], beds=50, nursing_beds=10)
    rows = elderly_rows(6)
    rows[0][7:10] = [home.uscc, None, dt.date(2025, 1, 2)]
    path = write_xlsx(tmp_path / "a.xlsx", ELDERLY_HEADERS, rows)
    batch = upload(users["county_officer"], path)
    assert batch.status == Status.VALIDATED
    events_before = AuditEvent.objects.count()

    def boom(*a, **kw):
        raise RuntimeError("disk full")

    if target == "audit":
        monkeypatch.setattr(services, "record_many", boom)
    elif target == "scope":
        monkeypatch.setattr(specs, "recheck_scope", boom)
    else:
        real_insert = bulk.insert

        def insert_failing_links(model, rows, key, now=None):
            if model is Residence:
                boom()
            return real_insert(model, rows, key, now)

        monkeypatch.setattr(bulk, "insert", insert_failing_links)
    failed = commit(batch)
    assert failed.status == Status.FAILED
    assert "未写入任何数据" in failed.message and "可重新提交" in failed.message
    assert ElderlyPerson.objects.count() == 0
    assert Residence.objects.count() == 0
    assert AuditEvent.objects.count() == events_before
    assert failed.stored_name and any(private_tmp.iterdir()), "the file is kept so the commit can be re-run"
    assert failed.can_commit

    monkeypatch.undo()
    done = commit(failed)
    assert done.status == Status.COMMITTED, done.message
    assert (done.rows_new, done.links_created) == (6, 1)
    assert not any(private_tmp.iterdir())

    after_rerun = snapshot()
    assert len(after_rerun) == 6 and Residence.objects.count() == 1
    assert verify_chain()[0]

    # A clean run of the same file, from an empty registry, ends in the same state.
    Residence.objects.all().delete()
    ElderlyPerson.objects.all().delete()
    clean = commit(upload(users["county_officer"], path, force=True))
    assert clean.status == Status.COMMITTED
    assert snapshot() == after_rerun
    assert Residence.objects.count() == 1


def test_commit_rechecks_against_the_registry_as_it_is_now(users, tmp_path):
    rows = elderly_rows(3)
    batch = upload(users["county_officer"], write_xlsx(tmp_path / "a.xlsx", ELDERLY_HEADERS, rows))
    assert batch.status == Status.VALIDATED
    # Another batch registers two of the same people first: the commit re-checks, so they become unchanged.
    officer = users["county_officer"]
    other = commit(upload(officer, write_xlsx(tmp_path / "b.xlsx", ELDERLY_HEADERS, rows[:2])))
    assert other.rows_new == 2
    done = commit(batch)
    assert done.status == Status.COMMITTED, done.message
    assert (done.rows_new, done.rows_unchanged) == (1, 2)
    assert ElderlyPerson.objects.count() == 3


def test_only_the_uploader_commits(users, tree, tmp_path):
    from django.core.exceptions import PermissionDenied

    batch = upload(users["town_officer"], write_xlsx(tmp_path / "a.xlsx", ELDERLY_HEADERS, elderly_rows(2)))
    with pytest.raises(PermissionDenied):
        commit(batch, users["county_officer"])
    with pytest.raises(ImportBatch.DoesNotExist):
        commit(batch, testing.make_user("county_officer", tree["wuyuan"]))
    assert ElderlyPerson.objects.count() == 0


def test_committed_batch_cannot_be_committed_again(users, tmp_path):
    from django.core.exceptions import ValidationError

    batch = commit(upload(users["county_officer"], write_xlsx(tmp_path / "a.xlsx", ELDERLY_HEADERS, elderly_rows(2))))
    with pytest.raises(ValidationError):
        commit(batch)
    assert ElderlyPerson.objects.count() == 2


def test_concurrent_change_during_write_is_retried_once(users, tmp_path, monkeypatch):
    from django.db import IntegrityError

    from ylyx.imports.specs import ElderlySpec

    calls = []
    original = ElderlySpec.write

    def flaky(self, rows, ctx):
        calls.append(1)
        if len(calls) == 1:
            original(self, rows, ctx)
            raise IntegrityError("UNIQUE constraint failed: elderly_id_unique")
        return original(self, rows, ctx)

    monkeypatch.setattr(ElderlySpec, "write", flaky)
    batch = commit(upload(users["county_officer"], write_xlsx(tmp_path / "a.xlsx", ELDERLY_HEADERS, elderly_rows(3))))
    assert batch.status == Status.COMMITTED, batch.message
    assert len(calls) == 2
    assert ElderlyPerson.objects.count() == 3
    assert AuditEvent.objects.filter(event_type="create", object_type="people.elderlyperson").count() == 3


def test_persistent_conflict_fails_cleanly(users, tmp_path, monkeypatch):
    from ylyx.imports.engine import Stale
    from ylyx.imports.specs import ElderlySpec

    def always_stale(self, ctx):
        raise Stale("changed")

    monkeypatch.setattr(ElderlySpec, "lock_and_verify", always_stale)
    batch = commit(upload(users["county_officer"], write_xlsx(tmp_path / "a.xlsx", ELDERLY_HEADERS, elderly_rows(3))))
    assert batch.status == Status.FAILED
    assert "被其他操作修改" in batch.message
    assert ElderlyPerson.objects.count() == 0
