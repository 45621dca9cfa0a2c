import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from ylyx import testing
from ylyx.audit.models import AuditEvent
from ylyx.core.validators import id_check_char
from ylyx.people import services
from ylyx.people.models import ElderlyPerson, Residence

from .helpers import FULL_ID

pytestmark = pytest.mark.django_db


def data(tree, **kw):
    d = {"name": "刘德华", "id_number": testing.fake_id_number(dt.date(1948, 2, 29), "M", "150802"),
         "region": tree["linhe_village"], "living_situation": "alone", "economic_status": "dibao",
         "phone": "13812345678", "address": "临河区演示街道一 幸福小区 3 号楼 2 单元 501"}
    d.update(kw)
    return d


def test_create_encrypts_id_and_phone_and_lookup_by_blind_index_finds_it(tree, users):
    number = testing.fake_id_number(dt.date(1951, 7, 9), "F", "150802")
    person, warnings = services.create_elderly(users["county_officer"], data(tree, id_number=number, sex=""))
    assert warnings == []
    assert person.birth_date == dt.date(1951, 7, 9) and person.sex == "F"
    with connection.cursor() as cur:
        cur.execute("SELECT * FROM people_elderlyperson WHERE id = %s", [person.pk])
        raw = " ".join(str(v) for v in cur.fetchone())
    assert number not in raw
    assert "13812345678" not in raw
    assert person.id_number_enc.startswith("v1:aesgcm:")
    found = ElderlyPerson.lookup_by_id_number(ElderlyPerson.objects.all(), number.lower())
    assert list(found) == [person]
    assert ElderlyPerson.objects.get(pk=person.pk).id_number == number


@pytest.mark.parametrize("raw, message", [
    ("15080219510709", "格式错误"),
    ("99010519491231002" + id_check_char("99010519491231002"), "省级行政区划代码"),
    ("110105194902300020", "出生日期不存在"),
    ("11010519491231002" + "5", "校验位错误"),
    ("1.50802E+17", "Excel"),
])
def test_bad_id_numbers_are_refused_with_chinese_message_on_the_field(tree, users, raw, message):
    with pytest.raises(ValidationError) as e:
        services.create_elderly(users["county_officer"], data(tree, id_number=raw))
    assert message in " ".join(e.value.message_dict["id_number"])
    assert ElderlyPerson.objects.count() == 0


def test_missing_fields_are_all_reported_at_once(tree, users):
    with pytest.raises(ValidationError) as e:
        services.create_elderly(users["county_officer"], {"name": "", "region": None})
    errors = e.value.message_dict
    assert errors["name"] == ["姓名不能为空"]
    assert errors["id_number"] == ["身份证号不能为空"]
    assert errors["region"] == ["请选择所属区划"]


def test_duplicate_id_refused_even_from_another_county(tree, users):
    number = testing.fake_id_number(dt.date(1950, 1, 1), "M", "150802")
    services.create_elderly(users["county_officer"], data(tree, id_number=number))
    wuyuan_officer = testing.make_user("county_officer", tree["wuyuan"])
    with pytest.raises(ValidationError) as e:
        services.create_elderly(wuyuan_officer, data(tree, id_number=number, region=tree["wuyuan_village"]))
    assert e.value.message_dict["id_number"] == ["该身份证号已登记"]
    assert ElderlyPerson.objects.count() == 1


def test_sex_mismatch_is_a_warning_and_the_declared_sex_is_kept(tree, users):
    number = testing.fake_id_number(dt.date(1950, 1, 1), "F", "150802")
    person, warnings = services.create_elderly(users["county_officer"], data(tree, id_number=number, sex="M"))
    assert person.pk and person.sex == "M"
    assert any("性别与身份证号" in w for w in warnings)
    event = AuditEvent.objects.get(event_type="create", object_id=str(person.pk))
    assert event.detail["warnings"] == warnings


def test_under_60_is_a_warning_not_a_refusal(tree, users):
    number = testing.fake_id_number(dt.date(1990, 1, 1), "M", "150802")
    person, warnings = services.create_elderly(users["county_officer"], data(tree, id_number=number))
    assert person.pk and any("未满 60 周岁" in w for w in warnings)


def test_region_outside_scope_is_refused_on_the_field(tree, users):
    with pytest.raises(ValidationError) as e:
        services.create_elderly(users["county_officer"], data(tree, region=tree["wuyuan_village"]))
    assert e.value.message_dict["region"] == ["所选区划不在您的管辖范围内"]
    town = users["town_officer"]
    with pytest.raises(ValidationError):
        services.create_elderly(town, data(tree, region=tree["linhe"]))
    assert ElderlyPerson.objects.count() == 0


def test_roles_without_add_are_refused(tree, users):
    for role in ("operator", "inspector", "health", "leader", "auditor", "sysadmin"):
        with pytest.raises(PermissionDenied):
            services.create_elderly(users[role], data(tree))
    assert ElderlyPerson.objects.count() == 0


def test_audit_holds_masked_values_only(tree, users):
    person, _ = services.create_elderly(users["county_officer"], data(tree), reason="入户登记")
    services.update_elderly(users["county_officer"], person,
                            {"id_number": testing.fake_id_number(dt.date(1947, 3, 3), "M", "150802"),
                             "phone": "13900001111", "living_situation": "empty_nest"}, reason="更正")
    events = AuditEvent.objects.filter(object_type="people.elderlyperson", object_id=str(person.pk)).order_by("id")
    assert [e.event_type for e in events] == ["create", "update"]
    blob = json.dumps([[e.before, e.after, e.object_repr] for e in events], ensure_ascii=False)
    assert not FULL_ID.search(blob)
    assert "13900001111" not in blob and "13812345678" not in blob
    assert "刘德华" not in blob
    update = events[1]
    assert update.reason == "更正"
    assert update.before["living_situation"] == "alone" and update.after["living_situation"] == "empty_nest"
    assert update.after["id_number"].startswith("150") and "*" in update.after["id_number"]
    assert "region" not in update.after  # unchanged fields are not repeated


def test_update_by_other_county_is_refused_and_nothing_changes(tree, users, wuyuan_person):
    with pytest.raises(PermissionDenied):
        services.update_elderly(users["county_officer"], wuyuan_person, {"living_situation": "alone"}, "x")
    wuyuan_person.refresh_from_db()
    assert wuyuan_person.living_situation == "with_family"


def test_moving_a_person_out_of_scope_rolls_back(tree, users, linhe_person):
    town = users["town_officer"]
    with pytest.raises(ValidationError):
        services.update_elderly(town, linhe_person, {"region": tree["wuyuan_village"]}, "迁居")
    linhe_person.refresh_from_db()
    assert linhe_person.region_id == tree["linhe_village"].code


def test_update_id_to_an_existing_one_is_refused(tree, users, linhe_person):
    other = testing.make_elderly(tree["linhe_village"], name="孙红")
    with pytest.raises(ValidationError) as e:
        services.update_elderly(users["county_officer"], linhe_person, {"id_number": other.id_number}, "更正")
    assert e.value.message_dict["id_number"] == ["该身份证号已登记"]


# --- 入住 / 离院 / 死亡 ---------------------------------------------------------------------------

def test_admission_sets_region_to_the_institution_and_is_audited(tree, users, linhe_person, elder_home):
    res = services.admit(users["county_officer"], linhe_person, elder_home, "ordinary", dt.date(2024, 3, 1))
    assert res.region_id == elder_home.region_id == tree["linhe_town"].code
    assert res.person.region_id == tree["linhe_village"].code
    ev = AuditEvent.objects.get(event_type="admit")
    assert ev.object_id == str(res.pk) and ev.after["institution"] == elder_home.pk


def test_death_then_admission_refused(tree, users, linhe_person, elder_home):
    officer = users["county_officer"]
    services.record_death(officer, linhe_person, dt.date(2024, 5, 1), "医院死亡证明")
    with pytest.raises(ValidationError) as e:
        services.admit(officer, linhe_person, elder_home, "ordinary", dt.date(2024, 6, 1))
    assert any("死亡" in m and "不能办理入住" in m for m in e.value.messages)
    assert Residence.objects.count() == 0


def test_death_ends_the_open_residence_on_that_date(tree, users, linhe_person, elder_home):
    officer = users["county_officer"]
    res = services.admit(officer, linhe_person, elder_home, "nursing", dt.date(2024, 1, 10))
    services.record_death(officer, linhe_person, dt.date(2024, 5, 1), "病故")
    res.refresh_from_db()
    linhe_person.refresh_from_db()
    assert res.ended_on == dt.date(2024, 5, 1) and linhe_person.died_on == dt.date(2024, 5, 1)
    assert set(AuditEvent.objects.values_list("event_type", flat=True)) >= {"admit", "discharge", "death"}
    with pytest.raises(ValidationError) as e:
        services.record_death(officer, linhe_person, dt.date(2024, 5, 2))
    assert "已于 2024-05-01 登记死亡" in e.value.message_dict["died_on"][0]


def test_death_before_admission_date_is_refused(tree, users, linhe_person, elder_home):
    officer = users["county_officer"]
    services.admit(officer, linhe_person, elder_home, "ordinary", dt.date(2024, 3, 1))
    with pytest.raises(ValidationError):
        services.record_death(officer, linhe_person, dt.date(2024, 2, 1))
    linhe_person.refresh_from_db()
    assert linhe_person.died_on is None


def test_over_capacity_admission_refused(tree, users, elder_home):
    officer = users["county_officer"]
    for name in ("甲一", "乙二"):
        services.admit(officer, testing.make_elderly(tree["linhe_village"], name=name), elder_home, "ordinary",
                       dt.date(2024, 1, 1))
    third = testing.make_elderly(tree["linhe_village"], name="丙三")
    with pytest.raises(ValidationError) as e:
        services.admit(officer, third, elder_home, "ordinary", dt.date(2024, 2, 1))
    assert "机构床位已满：床位 2 张，在住 2 人" in e.value.messages
    assert Residence.objects.filter(institution=elder_home).count() == 2


def test_nursing_beds_full_refused_but_ordinary_bed_allowed(tree, users, elder_home):
    officer = users["county_officer"]
    services.admit(officer, testing.make_elderly(tree["linhe_village"]), elder_home, "nursing", dt.date(2024, 1, 1))
    second = testing.make_elderly(tree["linhe_village"])
    with pytest.raises(ValidationError) as e:
        services.admit(officer, second, elder_home, "nursing", dt.date(2024, 1, 2))
    assert any("护理型床位已满" in m for m in e.value.messages)
    assert services.admit(officer, second, elder_home, "ordinary", dt.date(2024, 1, 2)).pk


def test_already_resident_elsewhere_refused_until_discharged(tree, users, linhe_person, elder_home):
    officer = users["county_officer"]
    other_home = testing.make_institution(tree["linhe_town"])
    res = services.admit(officer, linhe_person, elder_home, "ordinary", dt.date(2024, 1, 1))
    with pytest.raises(ValidationError) as e:
        services.admit(officer, linhe_person, other_home, "ordinary", dt.date(2024, 2, 1))
    assert "该老年人已在其他机构入住，请先办理离院" in e.value.messages
    with pytest.raises(ValidationError) as e:
        services.discharge(officer, res, dt.date(2023, 12, 1))
    assert "离院日期不能早于入住日期" in e.value.message_dict["ended_on"][0]
    services.discharge(officer, res, dt.date(2024, 2, 1), "转院")
    assert services.admit(officer, linhe_person, other_home, "ordinary", dt.date(2024, 2, 1)).pk
    with pytest.raises(ValidationError):
        services.discharge(officer, res, dt.date(2024, 3, 1))


def test_discharge_frees_the_bed(tree, users, elder_home):
    officer = users["county_officer"]
    stays = [services.admit(officer, testing.make_elderly(tree["linhe_village"]), elder_home, "ordinary",
                            dt.date(2024, 1, 1)) for _ in range(2)]
    services.discharge(officer, stays[0], dt.date(2024, 3, 1))
    assert services.admit(officer, testing.make_elderly(tree["linhe_village"]), elder_home, "ordinary",
                          dt.date(2024, 3, 1)).pk


def test_admission_to_childcare_or_out_of_scope_institution_refused(tree, users, linhe_person, nursery):
    officer = users["county_officer"]
    with pytest.raises(ValidationError) as e:
        services.admit(officer, linhe_person, nursery, "ordinary", dt.date(2024, 1, 1))
    assert e.value.message_dict["institution"] == ["托育机构不能办理老年人入住"]
    wuyuan_home = testing.make_institution(tree["wuyuan_town"])
    with pytest.raises(ValidationError) as e:
        services.admit(officer, linhe_person, wuyuan_home, "ordinary", dt.date(2024, 1, 1))
    assert e.value.message_dict["institution"] == ["机构不存在或不在您的管辖范围内"]


def test_future_admission_date_refused(tree, users, linhe_person, elder_home):
    with pytest.raises(ValidationError) as e:
        services.admit(users["county_officer"], linhe_person, elder_home, "ordinary",
                       dt.date.today() + dt.timedelta(days=30))
    assert e.value.message_dict["started_on"] == ["入住日期不能晚于今天"]


def test_move_out_ends_residence_and_blocks_admission(tree, users, linhe_person, elder_home):
    officer = users["county_officer"]
    res = services.admit(officer, linhe_person, elder_home, "ordinary", dt.date(2024, 1, 1))
    services.record_move_out(officer, linhe_person, dt.date(2024, 4, 1), "随子女迁往外市")
    res.refresh_from_db()
    assert res.ended_on == dt.date(2024, 4, 1)
    with pytest.raises(ValidationError) as e:
        services.admit(officer, linhe_person, elder_home, "ordinary", dt.date(2024, 5, 1))
    assert any("迁出" in m for m in e.value.messages)


def test_operator_cannot_admit(tree, users, linhe_person):
    with pytest.raises(PermissionDenied):
        services.admit(users["operator"], linhe_person, users["_operator_institution"], "ordinary",
                       dt.date(2024, 1, 1))
