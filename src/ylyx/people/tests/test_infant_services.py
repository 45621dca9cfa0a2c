import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from ylyx import testing
from ylyx.audit.models import AuditEvent
from ylyx.institutions.models import ChildcareClass
from ylyx.people import services
from ylyx.people.models import Enrolment, Infant

from .helpers import months_ago

pytestmark = pytest.mark.django_db


def infant_data(tree, birth, **kw):
    d = {"name": "张小雨", "id_number": testing.fake_id_number(birth, "F", "150802"), "region": tree["linhe_village"],
         "guardian_name": "张伟", "guardian_relation": "父亲"}
    d.update(kw)
    return d


def test_create_infant_takes_birth_date_and_sex_from_id(tree, users):
    birth = months_ago(14)
    infant, warnings = services.create_infant(users["county_officer"], infant_data(tree, birth))
    assert infant.birth_date == birth and infant.sex == "F" and warnings == []
    ev = AuditEvent.objects.get(event_type="create", object_type="people.infant")
    assert ev.after["guardian_name"] == "张*"


def test_guardian_is_required(tree, users):
    with pytest.raises(ValidationError) as e:
        services.create_infant(users["county_officer"], infant_data(tree, months_ago(10), guardian_name="  "))
    assert e.value.message_dict["guardian_name"] == ["监护人姓名不能为空"]
    assert Infant.objects.count() == 0


def test_civil_affairs_has_no_infant_rights(tree, users):
    with pytest.raises(PermissionDenied):
        services.create_infant(users["civil_affairs"], infant_data(tree, months_ago(10)))


def test_enrol_sets_region_to_institution_and_audits(tree, users, toddler, junior_class):
    e = services.enrol(users["county_officer"], toddler, junior_class, dt.date.today())
    assert e.region_id == junior_class.institution.region_id and e.institution_id == junior_class.institution_id
    assert AuditEvent.objects.filter(event_type="enrol", object_id=str(e.pk)).exists()


def test_37_month_old_refused(tree, users, nursery):
    senior = ChildcareClass.objects.create(institution=nursery, name="托大一班", class_type="senior", places=20,
                                           caregivers=3)
    older = testing.make_infant(tree["linhe_village"], birth=months_ago(37))
    with pytest.raises(ValidationError) as e:
        services.enrol(users["county_officer"], older, senior, dt.date.today())
    assert any("已满 36 个月" in m and "不能入托" in m for m in e.value.messages)
    assert Enrolment.objects.count() == 0


def test_class_age_window_refused(tree, users, junior_class):
    baby = testing.make_infant(tree["linhe_village"], birth=months_ago(8))
    with pytest.raises(ValidationError) as e:
        services.enrol(users["county_officer"], baby, junior_class, dt.date.today())
    assert any("托小班招收 12—24 个月" in m for m in e.value.messages)


def test_class_full_refused(tree, users, junior_class):
    officer = users["county_officer"]
    for _ in range(3):
        services.enrol(officer, testing.make_infant(tree["linhe_village"], birth=months_ago(15)), junior_class,
                       dt.date.today())
    fourth = testing.make_infant(tree["linhe_village"], birth=months_ago(15))
    with pytest.raises(ValidationError) as e:
        services.enrol(officer, fourth, junior_class, dt.date.today())
    assert any(m.startswith("班级已满") for m in e.value.messages)
    assert Enrolment.objects.filter(childcare_class=junior_class).count() == 3


def test_caregiver_ratio_refused(tree, users, nursery):
    klass = ChildcareClass.objects.create(institution=nursery, name="托小二班", class_type="junior", places=12,
                                          caregivers=1)
    officer = users["county_officer"]
    for _ in range(5):
        services.enrol(officer, testing.make_infant(tree["linhe_village"], birth=months_ago(20)), klass,
                       dt.date.today())
    sixth = testing.make_infant(tree["linhe_village"], birth=months_ago(20))
    with pytest.raises(ValidationError) as e:
        services.enrol(officer, sixth, klass, dt.date.today())
    assert any("1:5" in m and "至少需要 2 名保育人员" in m for m in e.value.messages)
    assert not any(m.startswith("班级已满") for m in e.value.messages)


def test_withdraw_frees_a_place_and_already_enrolled_refused(tree, users, toddler, junior_class, nursery):
    officer = users["county_officer"]
    e = services.enrol(officer, toddler, junior_class, dt.date.today() - dt.timedelta(days=30))
    other = ChildcareClass.objects.create(institution=nursery, name="托小三班", class_type="junior", places=5,
                                          caregivers=1)
    with pytest.raises(ValidationError) as err:
        services.enrol(officer, toddler, other, dt.date.today())
    assert "该婴幼儿已在托，请先办理离托" in err.value.messages
    services.withdraw(officer, e, dt.date.today())
    assert services.enrol(officer, toddler, other, dt.date.today()).pk
    with pytest.raises(ValidationError) as err:
        services.withdraw(officer, e, dt.date.today())
    assert "已于" in err.value.message_dict["ended_on"][0]


def test_enrol_into_elder_home_or_other_county_refused(tree, users, toddler, elder_home):
    officer = users["county_officer"]
    wrong = ChildcareClass.objects.create(institution=elder_home, name="错班", class_type="junior", places=5,
                                          caregivers=1)
    with pytest.raises(ValidationError) as e:
        services.enrol(officer, toddler, wrong, dt.date.today())
    assert e.value.message_dict["childcare_class"] == ["只能在托育机构的班级办理入托"]
    far = testing.make_institution(tree["wuyuan_town"], kind="childcare", subtype="cc_public")
    far_class = ChildcareClass.objects.create(institution=far, name="托小一班", class_type="junior", places=5,
                                              caregivers=1)
    with pytest.raises(ValidationError) as e:
        services.enrol(officer, toddler, far_class, dt.date.today())
    assert e.value.message_dict["childcare_class"] == ["班级不存在或不在您的管辖范围内"]


def test_infant_move_out_ends_enrolment(tree, users, toddler, junior_class):
    officer = users["county_officer"]
    e = services.enrol(officer, toddler, junior_class, dt.date.today() - dt.timedelta(days=10))
    services.record_infant_move_out(officer, toddler, dt.date.today(), "随父母迁出")
    e.refresh_from_db()
    assert e.ended_on == dt.date.today()
    with pytest.raises(ValidationError):
        services.enrol(officer, toddler, junior_class, dt.date.today())
