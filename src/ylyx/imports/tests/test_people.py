"""Elderly and infant imports: validate-then-commit, idempotent upserts, row errors, scope, links, audit."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from ylyx import testing
from ylyx.audit.models import AuditEvent
from ylyx.core import crypto
from ylyx.imports.columns import ID_AS_NUMBER
from ylyx.imports.models import Mode, Status
from ylyx.institutions.models import ChildcareClass
from ylyx.people.models import BedType, ElderlyPerson, Enrolment, Infant, Residence

from .fixtures.workbooks import (
    ELDERLY_HEADERS,
    INFANT_HEADERS,
    bad_check_digit,
    elderly_rows,
    make_id,
    write_xlsx,
)
from .helpers import commit, issues, messages, no_full_id, upload


def test_good_workbook_imported_twice_changes_nothing_the_second_time(users, tmp_path, private_tmp):
    officer = users["county_officer"]
    path = write_xlsx(tmp_path / "老年人.xlsx", ELDERLY_HEADERS, elderly_rows(5))
    batch = upload(officer, path)
    assert batch.status == Status.VALIDATED, batch.message
    assert (batch.rows_total, batch.rows_new, batch.rows_updated, batch.rows_unchanged) == (5, 5, 0, 0)
    assert ElderlyPerson.objects.count() == 0, "validation writes nothing"
    assert any(private_tmp.iterdir()), "the file is kept until commit"

    batch = commit(batch)
    assert batch.status == Status.COMMITTED, batch.message
    assert (batch.rows_new, batch.rows_updated, batch.rows_unchanged) == (5, 0, 0)
    assert ElderlyPerson.objects.count() == 5
    assert not any(private_tmp.iterdir()), "the temp file is deleted after processing"
    person = ElderlyPerson.objects.get(id_bidx=crypto.blind_index(elderly_rows(1)[0][1]))
    assert person.id_number == elderly_rows(1)[0][1]
    assert person.phone == "13900000000"
    assert person.region_id == "150802001001"
    assert person.birth_date == dt.date(1950, 1, 1)
    assert person.sex == "M"

    # The same bytes again: reported, not imported.
    again = upload(officer, path)
    assert again.status == Status.REJECTED
    assert "该文件已于" in again.message and f"批次 #{batch.pk}" in again.message
    assert not any(private_tmp.iterdir())

    forced = upload(officer, path, force=True)
    assert forced.status == Status.VALIDATED
    assert (forced.rows_new, forced.rows_updated, forced.rows_unchanged) == (0, 0, 5)
    events_before = AuditEvent.objects.filter(event_type__in=["create", "update"]).count()
    forced = commit(forced)
    assert forced.status == Status.COMMITTED
    assert (forced.rows_new, forced.rows_updated, forced.rows_unchanged) == (0, 0, 5)
    assert ElderlyPerson.objects.count() == 5
    assert AuditEvent.objects.filter(event_type__in=["create", "update"]).count() == events_before


def test_audit_events_for_batch_and_rows(users, tmp_path):
    officer = users["county_officer"]
    batch = commit(upload(officer, write_xlsx(tmp_path / "a.xlsx", ELDERLY_HEADERS, elderly_rows(3))))
    creates = AuditEvent.objects.filter(event_type="create", object_type="people.elderlyperson")
    assert creates.count() == 3
    assert set(creates.values_list("object_id", flat=True)) == {str(p) for p in ElderlyPerson.objects.values_list("pk", flat=True)}
    for ev in creates:
        assert ev.actor_id == officer.pk
        assert ev.detail["batch"] == batch.pk and ev.detail["row"] in (2, 3, 4)
        assert ev.after["id_number"].startswith("150") and "*" in ev.after["id_number"]
        assert ev.after["name"].endswith("*")
        assert no_full_id(ev.before, ev.after, ev.detail, ev.object_repr)
    batch_event = AuditEvent.objects.get(event_type="import", object_id=str(batch.pk))
    assert batch_event.detail["sha256"] == batch.sha256
    assert (batch_event.detail["new"], batch_event.detail["updated"], batch_event.detail["unchanged"]) == (3, 0, 0)
    assert AuditEvent.objects.filter(event_type="import_upload", object_id=str(batch.pk)).count() == 1


def test_changed_row_is_an_update_with_masked_before_and_after(users, tmp_path):
    officer = users["county_officer"]
    rows = elderly_rows(3)
    commit(upload(officer, write_xlsx(tmp_path / "a.xlsx", ELDERLY_HEADERS, rows)))
    rows[1][3] = "13811112222"
    rows[1][5] = "新地址 8 号"
    batch = upload(officer, write_xlsx(tmp_path / "b.xlsx", ELDERLY_HEADERS, rows))
    assert (batch.rows_new, batch.rows_updated, batch.rows_unchanged) == (0, 1, 2)
    batch = commit(batch)
    assert (batch.rows_new, batch.rows_updated, batch.rows_unchanged) == (0, 1, 2)
    person = ElderlyPerson.objects.get(id_bidx=crypto.blind_index(rows[1][1]))
    assert person.phone == "13811112222" and person.address == "新地址 8 号"
    ev = AuditEvent.objects.get(event_type="update", object_id=str(person.pk))
    assert ev.before["phone"] == "139****0001" and ev.after["phone"] == "138****2222"
    assert set(ev.after) == {"phone", "address"}


def test_validation_error_in_a_previously_unchanged_row_is_reported_not_skipped(users, tmp_path):
    """django-import-export #1378: with skip-unchanged, an invalid row must not be counted as unchanged."""
    officer = users["county_officer"]
    rows = elderly_rows(3)
    commit(upload(officer, write_xlsx(tmp_path / "a.xlsx", ELDERLY_HEADERS, rows)))
    rows[2][4] = "150802999999"
    batch = upload(officer, write_xlsx(tmp_path / "b.xlsx", ELDERLY_HEADERS, rows))
    assert batch.status == Status.REJECTED
    assert (batch.rows_unchanged, batch.rows_rejected) == (2, 1)
    assert issues(batch) == {(4, "行政区划代码")}


@pytest.fixture
def childcare(tree, users):
    inst = testing.make_institution(tree["linhe_town"], kind="childcare", subtype="cc_public", places=10)
    cls = ChildcareClass.objects.create(institution=inst, name="小一班", class_type="junior", places=2, caregivers=1)
    existing = testing.make_infant(tree["linhe_village"])
    Enrolment.objects.create(infant=existing, institution=inst, childcare_class=cls, region=inst.region,
                             started_on=dt.date.today() - dt.timedelta(days=30))
    return inst, cls


def infant_id(n: int) -> str:
    return make_id("150802", dt.date.today() - dt.timedelta(days=400 + n), 10 + n)


def test_bad_rows_write_nothing_and_are_reported_exactly(users, tmp_path, childcare, private_tmp):
    inst, cls = childcare
    today = dt.date.today()
    enrol = [inst.uscc, "小一班", today]
    none = [None, None, None]
    rows = [
        ["李一", infant_id(1), "150802001001", "李父", *enrol],                       # 2: fills the class (2/2)
        ["李二", bad_check_digit(infant_id(2)), "150802001001", "李父", *none],       # 3: wrong check digit
        ["李三", int(infant_id(3)[:17] + "1"), "150802001001", "李父", *none],        # 4: ID typed as a number
        ["李四", infant_id(4), "150802999999", "李父", *none],                        # 5: unknown region
        ["李五", infant_id(1), "150802001001", "李父", *none],                        # 6: duplicate of row 2
        ["李六", infant_id(6), "150802001001", "李父", *enrol],                       # 7: class over capacity
        ["李七", infant_id(7), "150802001001", "李母", *none],                        # 8: fine
    ]
    infants_before = Infant.objects.count()
    batch = upload(users["county_officer"], write_xlsx(tmp_path / "婴幼儿.xlsx", INFANT_HEADERS, rows), "infant")
    assert batch.status == Status.REJECTED
    assert issues(batch) == {(3, "身份证号"), (4, "身份证号"), (5, "行政区划代码"), (6, "身份证号"), (7, "班级名称")}
    msg = messages(batch)
    assert msg[(3, "身份证号")] == "身份证号校验位错误，请核对号码"
    assert msg[(4, "身份证号")] == ID_AS_NUMBER
    assert msg[(5, "行政区划代码")] == "行政区划代码不存在"
    assert msg[(6, "身份证号")] == "与第 2 行的身份证号重复"
    assert msg[(7, "班级名称")].startswith("班级已满")
    assert (batch.rows_total, batch.rows_rejected) == (7, 5)
    assert Infant.objects.count() == infants_before
    assert Enrolment.objects.count() == 1
    assert not any(private_tmp.iterdir())
    assert all(no_full_id(i.message) for i in batch.issues.all())


def test_valid_rows_only_mode_writes_the_good_rows(users, tmp_path, childcare):
    inst, cls = childcare
    today = dt.date.today()
    rows = [
        ["李一", infant_id(1), "150802001001", "李父", inst.uscc, "小一班", today],
        ["李二", bad_check_digit(infant_id(2)), "150802001001", "李父", None, None, None],
        ["李六", infant_id(6), "150802001001", "李父", inst.uscc, "小一班", today],
        ["李七", infant_id(7), "150802001001", "李母", None, None, None],
    ]
    batch = upload(users["county_officer"], write_xlsx(tmp_path / "b.xlsx", INFANT_HEADERS, rows), "infant",
                   mode=Mode.VALID_ROWS_ONLY)
    assert batch.status == Status.VALIDATED
    assert (batch.rows_new, batch.rows_rejected, batch.links_created) == (2, 2, 1)
    batch = commit(batch)
    assert batch.status == Status.COMMITTED, batch.message
    assert (batch.rows_new, batch.rows_rejected, batch.links_created) == (2, 2, 1)
    assert issues(batch) == {(3, "身份证号"), (4, "班级名称")}
    assert Enrolment.objects.filter(childcare_class=cls).count() == 2
    enrolled = Infant.objects.get(id_bidx=crypto.blind_index(infant_id(1)))
    assert enrolled.enrolments.get().started_on == today
    assert AuditEvent.objects.filter(event_type="create", object_type="people.enrolment").count() == 1


def test_id_number_variants_excel_produces(users, tmp_path):
    number = make_id("150802", dt.date(1950, 3, 3), 21)
    rows = elderly_rows(4)
    rows[0][1] = float(number[:17] + "1")            # a float cell
    rows[1][1] = "1.50802E+17"                        # scientific notation as text
    rows[2][1] = number[:15] + "000"                  # last digits zeroed by Excel
    rows[3][1] = f" {number.lower()} "                  # a good one, with spaces and lower case
    batch = upload(users["county_officer"], write_xlsx(tmp_path / "ids.xlsx", ELDERLY_HEADERS, rows))
    msg = messages(batch)
    assert msg[(2, "身份证号")] == ID_AS_NUMBER
    assert msg[(3, "身份证号")] == ID_AS_NUMBER
    assert msg[(4, "身份证号")] == "身份证号校验位错误，请核对号码"
    assert (5, "身份证号") not in msg


def test_rows_outside_the_officers_county_are_rejected(users, tree, tmp_path):
    rows = elderly_rows(3)
    rows[0][4] = "150821100200"   # 五原县 village: another county
    rows[1][4] = "150821"         # 五原县 itself
    batch = upload(users["county_officer"], write_xlsx(tmp_path / "a.xlsx", ELDERLY_HEADERS, rows))
    assert batch.status == Status.REJECTED
    assert messages(batch) == {(2, "行政区划代码"): "超出您的管辖范围", (3, "行政区划代码"): "超出您的管辖范围"}
    assert ElderlyPerson.objects.count() == 0


def test_town_officer_cannot_import_into_the_county_level(users, tmp_path):
    rows = elderly_rows(2)
    rows[0][4] = "150802"        # the county: above the town officer's scope
    rows[1][4] = "150802001"     # the officer's own town, 9 digits
    batch = upload(users["town_officer"], write_xlsx(tmp_path / "a.xlsx", ELDERLY_HEADERS, rows),
                   mode=Mode.VALID_ROWS_ONLY)
    assert messages(batch) == {(2, "行政区划代码"): "超出您的管辖范围"}
    commit(batch)
    assert list(ElderlyPerson.objects.values_list("region_id", flat=True)) == ["150802001000"]


def test_person_registered_in_another_county_is_not_touched(users, tree, tmp_path):
    other = testing.make_elderly(tree["wuyuan_village"])
    rows = elderly_rows(2)
    rows[0][1] = other.id_number
    batch = upload(users["county_officer"], write_xlsx(tmp_path / "a.xlsx", ELDERLY_HEADERS, rows))
    assert messages(batch) == {(2, "身份证号"): "该身份证号对应的人员已登记在您管辖范围以外，不能通过导入修改"}
    other.refresh_from_db()
    assert other.region_id == tree["wuyuan_village"].code


@pytest.mark.parametrize("role,resource", [("inspector", "elderly"), ("health", "elderly"),
                                           ("civil_affairs", "infant"), ("leader", "institution"),
                                           ("operator", "practitioner"), ("town_officer", "institution")])
def test_roles_without_import_permission_are_refused(users, tmp_path, role, resource, private_tmp):
    path = write_xlsx(tmp_path / "a.xlsx", ELDERLY_HEADERS, elderly_rows(1))
    with pytest.raises(PermissionDenied):
        upload(users[role], path, resource)
    assert not private_tmp.exists() or not any(private_tmp.iterdir())


def test_admissions_count_beds_including_earlier_rows(users, tree, tmp_path):
    home = testing.make_institution(tree["linhe_town"], beds=2, nursing_beds=1)
    resident = testing.make_elderly(tree["linhe_village"], birth=dt.date(1940, 1, 1))
    Residence.objects.create(person=resident, institution=home, region=home.region, bed_type=BedType.ORDINARY,
                             started_on=dt.date(2024, 1, 1))
    on = dt.date(2025, 3, 1)
    rows = elderly_rows(3)
    rows[0][7:10] = [home.uscc, "护理型床位", on]   # takes the only nursing bed and the last bed
    rows[1][7:10] = [home.uscc, "护理型床位", on]   # nursing beds full, beds full
    rows[2][7:10] = [home.uscc, None, on]          # beds full
    batch = upload(users["county_officer"], write_xlsx(tmp_path / "a.xlsx", ELDERLY_HEADERS, rows))
    msg = {(i.row, i.message) for i in batch.issues.filter(level="error")}
    assert batch.status == Status.REJECTED
    assert (3, "机构床位已满：床位 2 张，在住 2 人") in msg
    assert (3, "护理型床位已满：护理型床位 1 张，已用 1 张") in msg
    assert (4, "机构床位已满：床位 2 张，在住 2 人") in msg
    assert issues(batch) == {(3, "入住机构信用代码"), (4, "入住机构信用代码")}

    batch = commit(upload(users["county_officer"], write_xlsx(tmp_path / "b.xlsx", ELDERLY_HEADERS, rows[:1])))
    assert batch.status == Status.COMMITTED and batch.links_created == 1
    res = Residence.objects.get(person__id_bidx=crypto.blind_index(rows[0][1]))
    assert (res.institution_id, res.bed_type, res.started_on, res.region_id) == (home.pk, "nursing", on, home.region_id)
    again = commit(upload(users["county_officer"], write_xlsx(tmp_path / "b.xlsx", ELDERLY_HEADERS, rows[:1]),
                          force=True))
    assert (again.rows_unchanged, again.links_created) == (1, 0)
    assert Residence.objects.count() == 2


def test_admission_needs_both_institution_and_date(users, tree, tmp_path):
    home = testing.make_institution(tree["linhe_town"])
    rows = elderly_rows(2)
    rows[0][7] = home.uscc
    rows[1][9] = dt.date(2025, 1, 1)
    batch = upload(users["county_officer"], write_xlsx(tmp_path / "a.xlsx", ELDERLY_HEADERS, rows))
    assert issues(batch) == {(2, "入住日期"), (3, "入住机构信用代码")}


def test_messages_never_echo_a_full_id_number(users, tmp_path):
    rows = elderly_rows(2)
    rows[0][2] = rows[1][1]          # an ID number pasted into the 性别 column
    headers = ELDERLY_HEADERS[:]
    headers[6] = rows[0][1]           # and one used as a header
    batch = upload(users["county_officer"], write_xlsx(tmp_path / "a.xlsx", headers, rows))
    texts = list(batch.issues.values_list("column", "message"))
    assert any("不是有效的选项" in m for _, m in texts)
    assert any("未识别的列" in m for _, m in texts)
    assert no_full_id(texts)
