"""The commit's own write paths store exactly what the ORM and the single-record path would store."""

import datetime as dt
import gc

import pytest
from django.utils import timezone

from ylyx import testing
from ylyx.audit import services as audit
from ylyx.audit.models import AuditEvent
from ylyx.core import crypto
from ylyx.imports import bulk, engine
from ylyx.imports.bench_support import elderly_service_data, make_workbook
from ylyx.imports.engine import Stale
from ylyx.imports.models import Status
from ylyx.people.models import ElderlyPerson, Residence
from ylyx.people.services import create_elderly

from .fixtures.workbooks import ELDERLY_HEADERS, elderly_rows, write_xlsx
from .helpers import commit, upload

COMPARED = [f.attname for f in ElderlyPerson._meta.concrete_fields
            if f.attname not in ("id", "created_at", "updated_at", "id_number_enc", "phone_enc")]


def _person_data(tree, i: int) -> dict:
    number = elderly_rows(i + 1)[i][1]
    return {"name": f"测试{i}", "id_number_enc": crypto.encrypt_field(number), "id_bidx": crypto.blind_index(number),
            "id_last4": number[-4:], "sex": "F", "birth_date": dt.date(1950, 1, 1) + dt.timedelta(days=i),
            "phone_enc": "", "region_id": tree["linhe_village"].code, "address": "演示路",
            "special_family": bool(i % 2), "registered_on": None if i % 3 else dt.date(2024, 1, 31)}


def test_insert_stores_what_the_orm_stores(tree):
    now = timezone.now()
    rows = [_person_data(tree, i) for i in range(4)]
    twins = [{**r, "id_bidx": r["id_bidx"][::-1]} for r in rows]  # same values, another key
    pks = bulk.insert(ElderlyPerson, rows, key="id_bidx", now=now)
    for data in twins:
        ElderlyPerson.objects.create(**data)
    assert set(pks) == {r["id_bidx"] for r in rows}
    stored = {p.id_bidx: p for p in ElderlyPerson.objects.all()}
    for data, twin in zip(rows, twins, strict=True):
        mine, orm = stored[data["id_bidx"]], stored[twin["id_bidx"]]
        assert mine.pk == pks[data["id_bidx"]]
        assert mine.created_at == mine.updated_at == now  # auto_now / auto_now_add, as save() applies them
        # Every other column, including the defaults of fields the row leaves out (living_situation …).
        assert {f: getattr(mine, f) for f in COMPARED if f != "id_bidx"} == \
               {f: getattr(orm, f) for f in COMPARED if f != "id_bidx"}
        assert mine.id_number_enc == orm.id_number_enc and mine.id_number == elderly_rows(4)[rows.index(data)][1]
    assert (stored[rows[0]["id_bidx"]].living_situation, stored[rows[0]["id_bidx"]].died_on) == ("with_family", None)


def test_insert_splits_statements_at_the_parameter_limit(tree, monkeypatch):
    monkeypatch.setattr(bulk, "MAX_ROWS_PER_STATEMENT", 2)
    rows = [_person_data(tree, i) for i in range(5)]
    pks = bulk.insert(ElderlyPerson, rows, key="id_bidx")
    assert len(set(pks.values())) == 5 == ElderlyPerson.objects.count()
    assert {p.id_bidx: p.pk for p in ElderlyPerson.objects.all()} == pks


def test_a_duplicate_is_an_integrity_error_as_with_the_orm(tree):
    """The commit retries on IntegrityError (someone registered the person meanwhile): COPY must raise it too."""
    from django.db import IntegrityError, transaction

    bulk.insert(ElderlyPerson, [_person_data(tree, 0)], key="id_bidx")
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk.insert(ElderlyPerson, [_person_data(tree, 1), _person_data(tree, 0)], key="id_bidx")
    assert ElderlyPerson.objects.count() == 1


def test_update_writes_only_the_named_fields_and_refuses_a_vanished_row(tree):
    a, b = (testing.make_elderly(tree["linhe_village"], address="旧地址", name=n) for n in ("甲", "乙"))
    when = timezone.now()
    assert bulk.update(ElderlyPerson, ["address", "registered_on", "updated_at"], [
        (a.pk, {"address": "新地址", "registered_on": dt.date(2024, 2, 1), "updated_at": when, "name": "不写"}),
        (b.pk, {"address": "新地址二", "registered_on": None, "updated_at": when})]) == 2
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.address, a.registered_on, a.updated_at, a.name) == ("新地址", dt.date(2024, 2, 1), when, "甲")
    assert (b.address, b.registered_on) == ("新地址二", None)
    with pytest.raises(Stale):
        bulk.update(ElderlyPerson, ["address"], [(a.pk, {"address": "x"}), (b.pk + 1000, {"address": "y"})])


def test_imported_identity_fields_equal_the_models_own(users, tmp_path):
    """create_data computes the identity fields directly; they must be what set_id_number/set_phone give."""
    rows = elderly_rows(3)
    rows[1][2] = "女"  # disagrees with the ID: kept, as the single-record path keeps it
    rows[2][3] = None
    done = commit(upload(users["county_officer"], write_xlsx(tmp_path / "a.xlsx", ELDERLY_HEADERS, rows)))
    assert done.status == Status.COMMITTED, done.message
    for row in rows:
        stored = ElderlyPerson.objects.get(id_bidx=crypto.blind_index(row[1]))
        ref = ElderlyPerson(sex={"男": "M", "女": "F"}[row[2]])
        ref.set_id_number(row[1])
        if row[3]:
            ref.set_phone(row[3])
        assert (stored.id_bidx, stored.id_last4, stored.birth_date, stored.sex) == (
            ref.id_bidx, ref.id_last4, ref.birth_date, ref.sex)
        assert stored.id_number == ref.id_number == row[1]
        assert stored.phone == ref.phone
        assert stored.id_number_enc != ref.id_number_enc or not stored.id_number_enc, "fresh nonce per value"


def test_the_benchmarks_single_record_rows_match_what_the_import_writes(users, tree, tmp_path):
    """The per-row baseline and the import register the same person from the same workbook row."""
    village = tree["linhe_village"].code
    officer = users["county_officer"]
    path = make_workbook("elderly", 4, [village], tmp_path / "b.xlsx")
    assert commit(upload(officer, path)).status == Status.COMMITTED
    imported = {p.id_bidx: p for p in ElderlyPerson.objects.all()}
    ElderlyPerson.objects.all().delete()
    for i in range(4):
        create_elderly(officer, elderly_service_data(i, village))
    fields = list(COMPARED)
    for p in ElderlyPerson.objects.all():
        q = imported[p.id_bidx]
        assert {f: getattr(p, f) for f in fields} == {f: getattr(q, f) for f in fields}
        assert (p.id_number, p.phone) == (q.id_number, q.phone)


@pytest.mark.parametrize("fast_from", [1, 1000])
def test_record_many_sets_pks_and_keeps_the_chain_across_statements(tree, monkeypatch, fast_from):
    user = testing.make_user("county_officer", tree["linhe"])
    audit.record(user, "test", None, reason="before")
    monkeypatch.setattr(audit, "_FAST_FROM", fast_from)  # 1: the large-batch path; 1000: bulk_create
    monkeypatch.setattr(audit, "_ROWS_PER_INSERT", 2)  # SQLite's VALUES path: several statements
    events = [audit.event_for(user, "create", None, after={"name": f"王*{i}", "n": i, "ok": True, "x": None},
                              before=None if i % 2 else {"name": "李*"}, reason="导入", detail={"row": i + 2})
              for i in range(7)]
    assert audit.record_many(events) == 7
    assert all(ev.pk for ev in events) and len({ev.pk for ev in events}) == 7
    assert [ev.pk for ev in events] == sorted(ev.pk for ev in events), "chain order is insertion order"
    for ev in events:
        stored = AuditEvent.objects.get(pk=ev.pk)
        assert (stored.after, stored.before, stored.detail, stored.row_hash, stored.prev_hash) == (
            ev.after, ev.before, ev.detail, ev.row_hash, ev.prev_hash)
        assert stored.occurred_at == ev.occurred_at
        assert not ev._state.adding
    ok, bad, n = audit.verify_chain()
    assert ok, bad
    assert n == 8


def test_import_audit_events_follow_the_file_order(users, tmp_path):
    done = commit(upload(users["county_officer"], write_xlsx(tmp_path / "a.xlsx", ELDERLY_HEADERS, elderly_rows(8))))
    assert done.status == Status.COMMITTED
    rows = list(AuditEvent.objects.filter(event_type="create", object_type="people.elderlyperson")
                .order_by("id").values_list("detail", "region_code", "reason"))
    assert [d["row"] for d, _, _ in rows] == list(range(2, 10))
    assert all(region == "150802001001" for _, region, _ in rows)
    assert all(reason == f"Excel 导入（批次 #{done.pk}）" for _, _, reason in rows)
    assert audit.verify_chain()[0]


def test_residence_links_get_their_own_region_and_event(users, tree, tmp_path):
    home = testing.make_institution(tree["linhe_town"], beds=5, nursing_beds=1)
    rows = elderly_rows(2)
    rows[1][7:10] = [home.uscc, "护理型床位", dt.date(2025, 1, 2)]
    done = commit(upload(users["county_officer"], write_xlsx(tmp_path / "a.xlsx", ELDERLY_HEADERS, rows)))
    assert done.status == Status.COMMITTED, done.message
    res = Residence.objects.get()
    assert (res.person.id_bidx, res.region_id, res.bed_type) == (crypto.blind_index(rows[1][1]), home.region_id,
                                                                 "nursing")
    ev = AuditEvent.objects.get(object_type="people.residence")
    assert (ev.object_id, ev.region_code, ev.detail["row"]) == (str(res.pk), home.region_id, 3)


def test_gc_is_switched_back_on_even_when_the_batch_fails():
    assert gc.isenabled()
    with pytest.raises(RuntimeError), engine.gc_paused():
        assert not gc.isenabled()
        raise RuntimeError("boom")
    assert gc.isenabled()
    gc.disable()
    try:
        with engine.gc_paused():
            pass
        assert not gc.isenabled(), "a collector the caller had switched off stays off"
    finally:
        gc.enable()
