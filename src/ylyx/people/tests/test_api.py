import datetime as dt

import pytest

from ylyx import testing
from ylyx.audit.models import AuditEvent
from ylyx.people import services
from ylyx.people.models import ElderlyPerson, Enrolment, Infant, Residence

from .helpers import assert_no_full_id, login, months_ago

pytestmark = pytest.mark.django_db


def post(c, url, body):
    return c.post(url, body, content_type="application/json")


def test_list_and_retrieve_carry_masked_id_only(tree, users, linhe_person, wuyuan_person):
    c = login(users["civil_affairs"])
    r = c.get("/api/elderly/")
    assert r.status_code == 200
    body = r.content.decode()
    assert_no_full_id(body)
    rows = r.json()["results"]
    assert {row["id"] for row in rows} == {linhe_person.pk, wuyuan_person.pk}
    row = next(x for x in rows if x["id"] == linhe_person.pk)
    assert row["id_number_masked"] == linhe_person.id_number_masked
    assert "id_number" not in row and "name" not in row and "phone" not in row
    assert row["name_masked"] == "王**" and row["region"] == tree["linhe_village"].code
    r = c.get(f"/api/elderly/{linhe_person.pk}/")
    assert r.status_code == 200
    assert_no_full_id(r.content.decode())


def test_create_through_service_with_write_only_id(tree, users):
    number = testing.fake_id_number(dt.date(1944, 4, 4), "F", "150802")
    c = login(users["county_officer"])
    r = post(c, "/api/elderly/", {"name": "吴桂芝", "id_number": number, "sex": "M",
                                  "region": tree["linhe_village"].code, "economic_status": "tekun",
                                  "reason": "走访登记"})
    assert r.status_code == 201, r.content
    assert_no_full_id(r.content.decode())
    data = r.json()
    assert data["id_number_masked"] == number[:3] + "*" * 11 + number[-4:]
    assert any("性别" in w for w in data["warnings"])
    assert ElderlyPerson.objects.get(pk=data["id"]).id_number == number
    assert AuditEvent.objects.get(event_type="create", object_id=str(data["id"])).reason == "走访登记"


def test_create_refusals_name_the_field(tree, users, linhe_person):
    c = login(users["county_officer"])
    r = post(c, "/api/elderly/", {"name": "吴桂芝", "id_number": linhe_person.id_number,
                                  "region": tree["linhe_village"].code})
    assert r.status_code == 400 and r.json() == {"id_number": ["该身份证号已登记"]}
    r = post(c, "/api/elderly/", {"name": "吴桂芝", "id_number": "110105194902300020",
                                  "region": tree["wuyuan_village"].code})
    assert r.status_code == 400
    assert r.json()["id_number"] == ["身份证号中的出生日期不存在"]
    assert r.json()["region"] == ["所选区划不在您的管辖范围内"]
    assert ElderlyPerson.objects.count() == 1


def test_update_through_service_and_other_county_is_404(tree, users, linhe_person, wuyuan_person):
    c = login(users["county_officer"])
    r = c.patch(f"/api/elderly/{linhe_person.pk}/", {"living_situation": "alone", "reason": "回访更新"},
                content_type="application/json")
    assert r.status_code == 200 and r.json()["living_situation"] == "alone"
    assert AuditEvent.objects.filter(event_type="update", object_id=str(linhe_person.pk)).exists()
    for method in (c.get, c.patch):
        r = method(f"/api/elderly/{wuyuan_person.pk}/", {"living_situation": "alone"},
                   content_type="application/json")
        assert r.status_code == 404
    wuyuan_person.refresh_from_db()
    assert wuyuan_person.living_situation == "with_family"
    # Changes are PATCHes (the ID number is never re-sent), and records are not deleted.
    assert c.put(f"/api/elderly/{linhe_person.pk}/", {}, content_type="application/json").status_code == 405
    assert c.delete(f"/api/elderly/{linhe_person.pk}/").status_code == 405


@pytest.mark.parametrize("role, url", [
    ("inspector", "/api/elderly/"), ("auditor", "/api/elderly/"), ("sysadmin", "/api/elderly/"),
    ("civil_affairs", "/api/infants/"), ("auditor", "/api/infants/"), ("sysadmin", "/api/infants/"),
    ("inspector", "/api/residences/"), ("civil_affairs", "/api/enrolments/"),
])
def test_roles_without_the_resource_are_refused(tree, users, role, url):
    c = login(users[role])
    assert c.get(url).status_code == 403
    assert post(c, url, {}).status_code == 403


def test_read_only_roles_cannot_write(tree, users, linhe_person):
    for role in ("operator", "leader"):
        c = login(users[role])
        assert post(c, "/api/elderly/", {"name": "x"}).status_code == 403


def test_operator_api_sees_only_own_residents(tree, users, linhe_person, wuyuan_person):
    services.admit(users["county_officer"], linhe_person, users["_operator_institution"], "ordinary",
                   dt.date(2024, 1, 1))
    c = login(users["operator"])
    assert [r["id"] for r in c.get("/api/elderly/").json()["results"]] == [linhe_person.pk]
    assert c.get(f"/api/elderly/{wuyuan_person.pk}/").status_code == 404
    assert len(c.get("/api/residences/").json()["results"]) == 1


def test_filters_through_api(tree, users):
    c = login(users["civil_affairs"])
    a = testing.make_elderly(tree["linhe_village"], economic_status="tekun")
    testing.make_elderly(tree["wuyuan_village"])
    assert [r["id"] for r in c.get("/api/elderly/?economic_status=tekun").json()["results"]] == [a.pk]
    assert [r["id"] for r in c.get(f"/api/elderly/?area={tree['linhe'].code}").json()["results"]] == [a.pk]


def test_residence_api_admits_and_discharges_through_the_rules(tree, users, linhe_person, wuyuan_person,
                                                               elder_home):
    c = login(users["county_officer"])
    r = post(c, "/api/residences/", {"person": linhe_person.pk, "institution": elder_home.pk,
                                     "bed_type": "nursing", "started_on": "2024-01-01"})
    assert r.status_code == 201, r.content
    res_id = r.json()["id"]
    assert r.json()["region"] == elder_home.region_id and r.json()["person_name_masked"] == "王**"
    r = post(c, "/api/residences/", {"person": linhe_person.pk, "institution": elder_home.pk,
                                     "started_on": "2024-02-01"})
    assert r.status_code == 400 and "该老年人已在其他机构入住，请先办理离院" in r.json()["non_field_errors"]
    r = post(c, "/api/residences/", {"person": wuyuan_person.pk, "institution": elder_home.pk,
                                     "started_on": "2024-02-01"})
    assert r.status_code == 400 and r.json() == {"person": ["老年人不存在或不在您的管辖范围内"]}
    r = c.patch(f"/api/residences/{res_id}/", {"bed_type": "ordinary"}, content_type="application/json")
    assert r.status_code == 400 and "bed_type" in r.json()
    r = c.patch(f"/api/residences/{res_id}/", {"ended_on": "2024-03-01"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["ended_on"] == "2024-03-01"
    assert Residence.objects.get(pk=res_id).ended_on == dt.date(2024, 3, 1)
    wuyuan_officer = testing.make_user("county_officer", tree["wuyuan"])
    assert login(wuyuan_officer).get(f"/api/residences/{res_id}/").status_code == 404


def test_infant_and_enrolment_api(tree, users, junior_class):
    c = login(users["health"])
    number = testing.fake_id_number(months_ago(16), "M", "150802")
    r = post(c, "/api/infants/", {"name": "郑小乐", "id_number": number, "region": tree["linhe_village"].code,
                                  "guardian_name": "郑刚"})
    assert r.status_code == 201, r.content
    assert_no_full_id(r.content.decode())
    data = r.json()
    assert data["guardian_name_masked"] == "郑*" and data["age_months"] == 16
    r = post(c, "/api/infants/", {"name": "郑小乐", "id_number": testing.fake_id_number(months_ago(5)),
                                  "region": tree["linhe_village"].code})
    assert r.status_code == 400 and r.json()["guardian_name"] == ["监护人姓名不能为空"]
    r = post(c, "/api/enrolments/", {"infant": data["id"], "childcare_class": junior_class.pk,
                                     "started_on": dt.date.today().isoformat()})
    assert r.status_code == 201, r.content
    assert Enrolment.objects.get().region_id == junior_class.institution.region_id
    older = testing.make_infant(tree["linhe_village"], birth=months_ago(37))
    r = post(c, "/api/enrolments/", {"infant": older.pk, "childcare_class": junior_class.pk,
                                     "started_on": dt.date.today().isoformat()})
    assert r.status_code == 400 and any("已满 36 个月" in m for m in r.json()["non_field_errors"])
    assert Infant.objects.count() == 2
    body = c.get("/api/infants/").content.decode()
    assert_no_full_id(body)
    r = c.get(f"/api/infants/{data['id']}/")
    assert r.status_code == 200
    assert_no_full_id(r.content.decode())
    assert AuditEvent.objects.filter(event_type="view", object_id=str(data["id"]), detail__via="api").exists()
