import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ylyx import testing
from ylyx.audit.models import AuditEvent
from ylyx.people import services
from ylyx.people.identity import years_before
from ylyx.people.models import ElderlyPerson, Residence
from ylyx.regions.models import Region

from .helpers import FULL_ID, assert_no_full_id, login, months_ago, xlsx_text

pytestmark = pytest.mark.django_db


def aged(tree, years: int, region=None, **kw):
    birth = years_before(dt.date.today(), years) - dt.timedelta(days=40)
    return testing.make_elderly(region or tree["linhe_village"], birth=birth, **kw)


# --- masking everywhere ----------------------------------------------------------------------------

def test_elderly_list_detail_edit_and_export_never_show_a_full_id(tree, users, linhe_person, elder_home, private_tmp):
    officer = users["county_officer"]
    officer.can_view_full_pi = True
    officer.save()
    services.admit(officer, linhe_person, elder_home, "ordinary", dt.date(2024, 1, 1))
    c = login(officer)
    for url in (reverse("people:elderly_list"), reverse("people:elderly_detail", args=[linhe_person.pk]),
                reverse("people:elderly_edit", args=[linhe_person.pk]), reverse("people:elderly_create")):
        r = c.get(url)
        assert r.status_code == 200, url
        html = r.content.decode()
        assert_no_full_id(html)
        assert linhe_person.id_number not in html
    html = c.get(reverse("people:elderly_detail", args=[linhe_person.pk])).content.decode()
    assert linhe_person.id_number_masked in html and linhe_person.name_masked == "王**" in html
    assert "王秀英" not in html
    assert "显示完整" in html  # the permitted user gets the reveal form, not the value
    job, status, content = testing.export_through_pages(officer, "people:elderly_list")  # PI: through a job
    assert status == 200 and job.rows_total == 1
    text = xlsx_text(content)
    assert_no_full_id(text)
    assert linhe_person.id_number_masked in text and "王秀英" not in text
    assert AuditEvent.objects.filter(event_type="export", actor=officer).exists()


def test_infant_pages_and_export_are_masked(tree, users, toddler, junior_class, private_tmp):
    officer = users["county_officer"]
    services.enrol(officer, toddler, junior_class, dt.date.today())
    c = login(officer)
    for url in (reverse("people:infant_list"), reverse("people:infant_detail", args=[toddler.pk])):
        html = c.get(url).content.decode()
        assert_no_full_id(html)
        assert "李强" not in html and "李小明" not in html  # names, the guardian's too, are masked
    # The edit form holds the names being edited, but never the ID number.
    assert_no_full_id(c.get(reverse("people:infant_edit", args=[toddler.pk])).content.decode())
    assert toddler.id_number_masked in c.get(reverse("people:infant_list")).content.decode()
    reads = AuditEvent.objects.filter(event_type="view", object_type="people.infant", object_id=str(toddler.pk))
    assert reads.count() == 1 and reads.get().actor_id == officer.pk  # reading a minor's record is logged
    job, status, content = testing.export_through_pages(officer, "people:infant_list")
    assert status == 200 and job.needs_approval and job.approver_id not in (None, officer.pk)  # minors: PI-6
    text = xlsx_text(content)
    assert_no_full_id(text)
    assert toddler.id_number_masked in text and "李*" in text


def test_failed_edit_does_not_echo_the_typed_id(tree, users, linhe_person):
    other = testing.make_elderly(tree["linhe_village"], name="孙红")
    c = login(users["county_officer"])
    r = c.post(reverse("people:elderly_edit", args=[linhe_person.pk]), {
        "name": "王秀英", "id_number": other.id_number, "sex": "F", "region": tree["linhe_village"].code,
        "living_situation": "alone", "economic_status": "normal", "disability": "none", "reason": "更正"})
    assert r.status_code == 400
    html = r.content.decode()
    assert "该身份证号已登记" in html
    assert_no_full_id(html)


# --- create / edit through pages -------------------------------------------------------------------

def test_create_page_saves_and_shows_sex_warning(tree, users):
    number = testing.fake_id_number(dt.date(1949, 10, 1), "F", "150802")
    c = login(users["county_officer"])
    r = c.post(reverse("people:elderly_create"), {
        "name": "周芳", "id_number": number, "sex": "M", "region": tree["linhe_village"].code,
        "living_situation": "alone", "economic_status": "tekun", "disability": "2", "phone": "13812345678"},
        follow=True)
    assert r.status_code == 200
    person = ElderlyPerson.objects.get()
    assert person.sex == "M" and person.economic_status == "tekun"
    html = r.content.decode()
    assert "性别与身份证号第 17 位不一致" in html
    assert_no_full_id(html)
    assert "138****5678" in html


def test_create_page_bad_id_shows_field_message(tree, users):
    c = login(users["county_officer"])
    r = c.post(reverse("people:elderly_create"), {
        "name": "周芳", "id_number": "150802194910010000", "region": tree["linhe_village"].code,
        "living_situation": "alone", "economic_status": "normal", "disability": "none"})
    assert r.status_code == 400
    assert "身份证号：身份证号校验位错误" in r.content.decode()
    assert ElderlyPerson.objects.count() == 0


def test_edit_requires_reason(tree, users, linhe_person):
    c = login(users["county_officer"])
    r = c.post(reverse("people:elderly_edit", args=[linhe_person.pk]), {
        "name": "王秀英", "region": tree["linhe_village"].code, "living_situation": "alone",
        "economic_status": "normal", "disability": "none"})
    assert r.status_code == 400 and "请填写修改原因" in r.content.decode()


def test_infant_create_page_requires_guardian(tree, users):
    c = login(users["county_officer"])
    number = testing.fake_id_number(months_ago(10), "M", "150802")
    r = c.post(reverse("people:infant_create"), {"name": "陈小宝", "id_number": number,
                                                 "region": tree["linhe_village"].code})
    assert r.status_code == 400 and "监护人姓名" in r.content.decode()
    r = c.post(reverse("people:infant_create"), {"name": "陈小宝", "id_number": number, "guardian_name": "陈明",
                                                 "region": tree["linhe_village"].code})
    assert r.status_code == 302


# --- filters, search and ID lookup -----------------------------------------------------------------

def test_age_band_status_and_residence_filters(tree, users, elder_home):
    officer = users["county_officer"]
    p62, p70, p85 = aged(tree, 62, name="甲"), aged(tree, 70, name="乙"), aged(tree, 85, name="丙")
    services.admit(officer, p70, elder_home, "ordinary", dt.date(2024, 1, 1))
    services.record_death(officer, p85, dt.date(2024, 2, 1))
    c = login(officer)
    url = reverse("people:elderly_list")

    def names(query):
        r = c.get(url + query)
        assert r.status_code == 200
        return {row[0].pk for row in r.context["rows"]}

    assert names("?age_band=60-64") == {p62.pk}
    assert names("?age_band=65-79") == {p70.pk}
    assert names("?age_band=80%2B") == {p85.pk}
    assert names("?status=deceased") == {p85.pk}
    assert names("?status=alive") == {p62.pk, p70.pk}
    assert names("?residing=1") == {p70.pk}
    assert names("?residing=0") == {p62.pk, p85.pk}
    assert names("?q=乙") == {p70.pk}


def test_area_and_attribute_filters(tree, users):
    city = users["civil_affairs"]
    a = testing.make_elderly(tree["linhe_village"], living_situation="alone", special_family=True, disability="2")
    b = testing.make_elderly(tree["wuyuan_village"], economic_status="tekun")
    c = login(city)
    url = reverse("people:elderly_list")

    def ids(query):
        return {row[0].pk for row in c.get(url + query).context["rows"]}

    assert ids(f"?area={tree['wuyuan'].code}") == {b.pk}
    assert ids(f"?area={tree['linhe_town'].code}") == {a.pk}
    assert ids("?living_situation=alone") == {a.pk}
    assert ids("?economic_status=tekun") == {b.pk}
    assert ids("?special_family=1") == {a.pk}
    assert ids("?disability=any") == {a.pk}
    assert ids("?sex=F") == {a.pk, b.pk}
    assert ids(f"?region={tree['wuyuan_village'].code}") == {b.pk}


def test_infant_filters(tree, users, junior_class):
    officer = users["county_officer"]
    baby = testing.make_infant(tree["linhe_village"], birth=months_ago(4))
    toddler = testing.make_infant(tree["linhe_village"], birth=months_ago(15))
    services.enrol(officer, toddler, junior_class, dt.date.today())
    c = login(officer)
    url = reverse("people:infant_list")

    def ids(query):
        return {row[0].pk for row in c.get(url + query).context["rows"]}

    assert ids("?age_band=0-6") == {baby.pk}
    assert ids("?age_band=12-24") == {toddler.pk}
    assert ids("?enrolled=1") == {toddler.pk}
    assert ids("?enrolled=0") == {baby.pk}


def test_list_has_no_n_plus_one(tree, users, elder_home):
    officer = users["county_officer"]
    c = login(officer)
    url = reverse("people:elderly_list")
    testing.make_elderly(tree["linhe_village"])
    c.get(url)  # the first request of a login renews the idle expiry (a session write); compare like with like
    with CaptureQueriesContext(connection) as few:
        c.get(url)
    for _ in range(20):
        testing.make_elderly(tree["linhe_village"])
    with CaptureQueriesContext(connection) as many:
        r = c.get(url)
    assert len(r.context["rows"]) == 21
    assert len(many.captured_queries) == len(few.captured_queries)


def test_id_lookup_is_post_only_and_keeps_the_number_out_of_urls(tree, users, linhe_person, wuyuan_person):
    c = login(users["county_officer"])
    url = reverse("people:elderly_lookup")
    assert c.get(url + "?id_number=" + linhe_person.id_number).status_code == 405
    r = c.post(url, {"id_number": linhe_person.id_number.lower()})
    assert r.status_code == 302 and r["Location"] == reverse("people:elderly_detail", args=[linhe_person.pk])
    r = c.post(url, {"id_number": wuyuan_person.id_number}, follow=True)  # another county's person
    assert r.redirect_chain[-1][0] == reverse("people:elderly_list")
    html = r.content.decode()
    assert "未找到" in html
    assert_no_full_id(html)
    assert not FULL_ID.search(" ".join(u for u, _ in r.redirect_chain))
    r = c.post(url, {"id_number": "123"}, follow=True)
    assert "身份证号：身份证号格式错误" in r.content.decode()
    assert AuditEvent.objects.filter(event_type="lookup_id_number").count() == 2


def test_infant_lookup_finds_by_blind_index(tree, users, toddler):
    r = login(users["town_officer"]).post(reverse("people:infant_lookup"), {"id_number": toddler.id_number})
    assert r["Location"] == reverse("people:infant_detail", args=[toddler.pk])


# --- actions on the detail page ---------------------------------------------------------------------

def test_admit_and_discharge_and_death_through_pages(tree, users, linhe_person, elder_home):
    c = login(users["county_officer"])
    r = c.post(reverse("people:elderly_admit", args=[linhe_person.pk]), {
        "admit-institution": elder_home.pk, "admit-bed_type": "nursing", "admit-started_on": "2024-01-05"})
    assert r.status_code == 302
    res = Residence.objects.get(person=linhe_person)
    assert res.bed_type == "nursing" and res.region_id == elder_home.region_id
    html = c.get(reverse("people:elderly_detail", args=[linhe_person.pk])).content.decode()
    assert elder_home.name in html and "办理离院" in html
    r = c.post(reverse("people:residence_discharge", args=[res.pk]), {"discharge-on": "2023-01-01"})
    assert r.status_code == 400 and "离院日期不能早于入住日期" in r.content.decode()
    r = c.post(reverse("people:elderly_death", args=[linhe_person.pk]), {"death-on": "2024-03-01",
                                                                          "death-reason": "病故"})
    assert r.status_code == 302
    res.refresh_from_db()
    assert res.ended_on == dt.date(2024, 3, 1)


def test_refused_admission_is_shown_on_the_detail_page(tree, users, elder_home):
    officer = users["county_officer"]
    for _ in range(2):
        services.admit(officer, testing.make_elderly(tree["linhe_village"]), elder_home, "ordinary",
                       dt.date(2024, 1, 1))
    person = testing.make_elderly(tree["linhe_village"])
    r = login(officer).post(reverse("people:elderly_admit", args=[person.pk]), {
        "admit-institution": elder_home.pk, "admit-bed_type": "ordinary", "admit-started_on": "2024-02-01"})
    assert r.status_code == 400
    html = r.content.decode()
    assert "机构床位已满" in html
    assert_no_full_id(html)


def test_enrol_page_refuses_over_36_months(tree, users, nursery):
    from ylyx.institutions.models import ChildcareClass

    klass = ChildcareClass.objects.create(institution=nursery, name="托大一班", class_type="senior", places=20,
                                          caregivers=3)
    older = testing.make_infant(tree["linhe_village"], birth=months_ago(37))
    r = login(users["county_officer"]).post(reverse("people:infant_enrol", args=[older.pk]), {
        "enrol-childcare_class": klass.pk, "enrol-started_on": dt.date.today().isoformat()})
    assert r.status_code == 400 and "已满 36 个月" in r.content.decode()


# --- scope -------------------------------------------------------------------------------------------

def test_county_a_officer_gets_404_for_county_b_person(tree, users, wuyuan_person, linhe_person):
    c = login(users["county_officer"])
    for name in ("people:elderly_detail", "people:elderly_edit"):
        assert c.get(reverse(name, args=[wuyuan_person.pk])).status_code == 404
    for name in ("people:elderly_death", "people:elderly_move_out", "people:elderly_admit"):
        assert c.post(reverse(name, args=[wuyuan_person.pk]), {}).status_code == 404
    html = c.get(reverse("people:elderly_list")).content.decode()
    assert wuyuan_person.id_number_masked not in html and linhe_person.id_number_masked in html
    wuyuan_person.refresh_from_db()
    assert wuyuan_person.died_on is None


def test_county_a_officer_gets_404_for_county_b_infant_and_residence(tree, users, elder_home):
    wuyuan_officer = testing.make_user("county_officer", tree["wuyuan"])
    linhe_officer = users["county_officer"]
    person = testing.make_elderly(tree["linhe_village"])
    res = services.admit(linhe_officer, person, elder_home, "ordinary", dt.date(2024, 1, 1))
    infant = testing.make_infant(tree["linhe_village"])
    c = login(wuyuan_officer)
    assert c.get(reverse("people:infant_detail", args=[infant.pk])).status_code == 404
    assert c.post(reverse("people:residence_discharge", args=[res.pk]), {"discharge-on": "2024-02-01"}).status_code == 404
    res.refresh_from_db()
    assert res.ended_on is None


def test_operator_sees_only_residents_of_their_institution(tree, users):
    county = users["county_officer"]
    own = users["_operator_institution"]
    resident = testing.make_elderly(tree["linhe_village"], name="住院甲")
    elsewhere = testing.make_elderly(tree["linhe_village"], name="住院乙")
    at_home = testing.make_elderly(tree["linhe_village"], name="居家丙")
    services.admit(county, resident, own, "ordinary", dt.date(2024, 1, 1))
    services.admit(county, elsewhere, testing.make_institution(tree["linhe_town"]), "ordinary", dt.date(2024, 1, 1))
    c = login(users["operator"])
    r = c.get(reverse("people:elderly_list"))
    assert r.status_code == 200
    assert {row[0].pk for row in r.context["rows"]} == {resident.pk}
    assert c.get(reverse("people:elderly_detail", args=[resident.pk])).status_code == 200
    assert c.get(reverse("people:elderly_detail", args=[elsewhere.pk])).status_code == 404
    assert c.get(reverse("people:elderly_detail", args=[at_home.pk])).status_code == 404
    assert c.get(reverse("people:elderly_create")).status_code == 403
    assert c.get(reverse("people:elderly_edit", args=[resident.pk])).status_code == 404


def test_town_officer_sees_only_their_town(tree, users):
    town2 = Region.objects.create(code="150802002000", name="演示街道二", level=4, parent=tree["linhe"],
                                  is_synthetic=True, kind="street")
    village2 = Region.objects.create(code="150802002001", name="演示社区二", level=5, parent=town2,
                                     is_synthetic=True, kind="community")
    mine = testing.make_elderly(tree["linhe_village"])
    theirs = testing.make_elderly(village2)
    c = login(users["town_officer"])
    r = c.get(reverse("people:elderly_list"))
    assert {row[0].pk for row in r.context["rows"]} == {mine.pk}
    assert c.get(reverse("people:elderly_detail", args=[theirs.pk])).status_code == 404
    assert c.get(reverse("people:elderly_list") + f"?area={town2.code}").context["rows"] == []
    county = login(users["county_officer"]).get(reverse("people:elderly_list"))
    assert {row[0].pk for row in county.context["rows"]} == {mine.pk, theirs.pk}


@pytest.mark.parametrize("role, name", [
    ("inspector", "people:elderly_list"), ("auditor", "people:elderly_list"), ("sysadmin", "people:elderly_list"),
    ("health", "people:elderly_list"), ("civil_affairs", "people:infant_list"), ("auditor", "people:infant_list"),
    ("sysadmin", "people:infant_list"), ("inspector", "people:infant_list"), ("leader", "people:elderly_list"),
])
def test_roles_without_the_resource_are_refused(tree, users, linhe_person, toddler, role, name):
    c = login(users[role])
    assert c.get(reverse(name)).status_code == 403
    assert c.get(reverse(name) + "?export=xlsx").status_code == 403
    detail = name.replace("_list", "_detail")
    obj = linhe_person if "elderly" in name else toddler
    assert c.get(reverse(detail, args=[obj.pk])).status_code == 404


def test_anonymous_is_sent_to_login(tree, linhe_person):
    from django.test import Client

    r = Client().get(reverse("people:elderly_detail", args=[linhe_person.pk]))
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]


def test_childcare_operator_sees_only_infants_enrolled_with_them(tree, users, nursery, junior_class):
    enrolled = testing.make_infant(tree["linhe_village"], birth=months_ago(15))
    at_home = testing.make_infant(tree["linhe_village"], birth=months_ago(15))
    services.enrol(users["county_officer"], enrolled, junior_class, dt.date.today())
    c = login(testing.make_user("operator", None, institution=nursery))
    r = c.get(reverse("people:infant_list"))
    assert {row[0].pk for row in r.context["rows"]} == {enrolled.pk}
    assert c.get(reverse("people:infant_detail", args=[at_home.pk])).status_code == 404
    assert c.get(f"/api/infants/{at_home.pk}/").status_code == 404
    assert c.get(reverse("people:elderly_list")).context["rows"] == []
