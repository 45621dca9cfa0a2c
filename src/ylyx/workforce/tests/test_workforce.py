import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse

from ylyx import testing
from ylyx.audit.models import AuditEvent
from ylyx.people.tests.helpers import FULL_ID, assert_no_full_id, login, xlsx_text
from ylyx.workforce import services
from ylyx.workforce.models import Certificate, Practitioner

pytestmark = pytest.mark.django_db


def pdata(tree, **kw):
    d = {"name": "韩梅梅", "id_number": testing.fake_id_number(dt.date(1985, 6, 1), "F", "150802"),
         "region": tree["linhe_town"], "role": "elder_caregiver", "education": "中专"}
    d.update(kw)
    return d


@pytest.fixture
def home(tree):
    return testing.make_institution(tree["linhe_town"])


@pytest.fixture
def staff(tree, home):
    return testing.make_practitioner(tree["linhe_town"], institution=home, name="刘护理")


# --- services -------------------------------------------------------------------------------------

def test_create_encrypts_and_audits_masked(tree, users, home):
    number = testing.fake_id_number(dt.date(1985, 6, 1), "F", "150802")
    p, warnings = services.create_practitioner(users["county_officer"],
                                               pdata(tree, id_number=number, institution=home))
    assert p.institution == home and p.birth_date == dt.date(1985, 6, 1) and warnings == []
    with connection.cursor() as cur:
        cur.execute("SELECT * FROM workforce_practitioner WHERE id = %s", [p.pk])
        assert number not in " ".join(str(v) for v in cur.fetchone())
    ev = AuditEvent.objects.get(event_type="create", object_type="workforce.practitioner")
    assert not FULL_ID.search(json.dumps(ev.after, ensure_ascii=False)) and ev.after["institution"] == home.pk
    assert list(Practitioner.lookup_by_id_number(Practitioner.objects.all(), number)) == [p]


def test_duplicate_and_bad_id_refused(tree, users, staff):
    with pytest.raises(ValidationError) as e:
        services.create_practitioner(users["county_officer"], pdata(tree, id_number=staff.id_number))
    assert e.value.message_dict["id_number"] == ["该身份证号已登记"]
    with pytest.raises(ValidationError) as e:
        services.create_practitioner(users["county_officer"], pdata(tree, id_number="15080219850601123", role=""))
    assert "格式错误" in e.value.message_dict["id_number"][0]
    assert e.value.message_dict["role"] == ["岗位不能为空"]


def test_operator_creates_staff_of_their_own_institution_only(tree, users, home):
    op = users["operator"]
    own = users["_operator_institution"]
    p, _ = services.create_practitioner(op, pdata(tree, institution=home, region=tree["wuyuan_town"]))
    assert p.institution == own and p.region_id == own.region_id
    with pytest.raises(PermissionDenied):
        services.update_practitioner(op, testing.make_practitioner(tree["linhe_town"], institution=home),
                                     {"education": "本科"})


def test_inspector_and_town_officer_cannot_write(tree, users, staff):
    for role in ("inspector", "town_officer", "leader", "auditor", "sysadmin"):
        with pytest.raises(PermissionDenied):
            services.create_practitioner(users[role], pdata(tree))
    with pytest.raises(PermissionDenied):
        services.add_certificate(users["town_officer"], staff, {"name": "养老护理员", "issued_on": dt.date(2020, 1, 1)})


def test_certificate_training_and_employment(tree, users, staff, home):
    officer = users["county_officer"]
    with pytest.raises(ValidationError) as e:
        services.add_certificate(officer, staff, {"name": "养老护理员职业技能等级证书",
                                                  "issued_on": dt.date(2022, 1, 1), "expires_on": dt.date(2021, 1, 1)})
    assert e.value.message_dict["expires_on"] == ["有效期至不能早于发证日期"]
    services.add_certificate(officer, staff, {"name": "养老护理员职业技能等级证书", "level": "四级",
                                              "issued_on": dt.date(2022, 1, 1)})
    with pytest.raises(ValidationError) as e:
        services.add_training(officer, staff, {"course": "", "completed_on": "2024-13-01", "hours": "x"})
    assert set(e.value.message_dict) == {"course", "completed_on", "hours"}
    services.add_training(officer, staff, {"course": "失智照护", "hours": 40, "completed_on": dt.date(2024, 5, 1)})
    other = testing.make_institution(tree["linhe_town"])
    emp = services.add_employment(officer, staff, {"institution": other, "role": "head",
                                                   "started_on": dt.date(2024, 6, 1)})
    staff.refresh_from_db()
    assert staff.institution == other and staff.role == "head"
    with pytest.raises(ValidationError) as e:
        services.add_employment(officer, staff, {"institution": other, "started_on": dt.date(2024, 7, 1)})
    assert e.value.message_dict["institution"] == ["该人员已在此机构任职，请先登记离职"]
    services.end_employment(officer, emp, dt.date(2024, 12, 31))
    staff.refresh_from_db()
    assert staff.institution is None
    kinds = list(AuditEvent.objects.filter(object_id=str(staff.pk)).values_list("event_type", flat=True))
    assert kinds == ["add_certificate", "add_training", "add_employment", "end_employment"]


def test_operator_may_release_own_staff(tree, users):
    own = users["_operator_institution"]
    p = testing.make_practitioner(tree["linhe_town"], institution=own)
    emp = services.add_employment(users["county_officer"], p, {"institution": own, "started_on": dt.date(2023, 1, 1)})
    services.end_employment(users["operator"], emp, dt.date(2024, 1, 1))
    p.refresh_from_db()
    assert p.institution is None
    assert not Practitioner.objects.for_user(users["operator"], "view").filter(pk=p.pk).exists()


# --- pages ----------------------------------------------------------------------------------------

def test_pages_and_export_are_masked(tree, users, staff, private_tmp):
    officer = users["county_officer"]
    officer.can_view_full_pi = True
    officer.save()
    services.add_certificate(officer, staff, {"name": "养老护理员", "issued_on": dt.date(2021, 1, 1)})
    c = login(officer)
    for url in (reverse("workforce:list"), reverse("workforce:detail", args=[staff.pk]),
                reverse("workforce:edit", args=[staff.pk]), reverse("workforce:create")):
        r = c.get(url)
        assert r.status_code == 200, url
        assert_no_full_id(r.content.decode())
    html = c.get(reverse("workforce:detail", args=[staff.pk])).content.decode()
    assert staff.id_number_masked in html and "养老护理员" in html and "显示完整" in html
    job, status, content = testing.export_through_pages(officer, "workforce:list")  # PI: through a job
    assert status == 200 and job.reason == "核对名单数据"
    text = xlsx_text(content)
    assert_no_full_id(text)
    assert staff.id_number_masked in text and "刘护理" not in text


def test_list_filters(tree, users, home):
    officer = users["county_officer"]
    a = testing.make_practitioner(tree["linhe_town"], institution=home, role="elder_caregiver")
    b = testing.make_practitioner(tree["linhe_town"], role="child_caregiver")
    services.add_certificate(officer, a, {"name": "养老护理员", "issued_on": dt.date(2020, 1, 1)})
    services.add_certificate(officer, b, {"name": "保育师", "issued_on": dt.date(2015, 1, 1),
                                          "expires_on": dt.date(2018, 1, 1)})
    services.add_training(officer, b, {"course": "婴幼儿照护", "hours": 16, "completed_on": dt.date(2023, 9, 1)})
    c = login(officer)

    def ids(query):
        r = c.get(reverse("workforce:list") + query)
        assert r.status_code == 200
        return {row[0].pk for row in r.context["rows"]}

    assert ids("?role=child_caregiver") == {b.pk}
    assert ids(f"?institution={home.pk}") == {a.pk}
    assert ids("?certified=1") == {a.pk}
    assert ids("?certified=0") == {b.pk}
    assert ids("?trained_year=2023") == {b.pk}
    assert ids("?trained_year=2022") == set()


def test_add_certificate_page_and_refusal(tree, users, staff):
    c = login(users["county_officer"])
    url = reverse("workforce:add_certificate", args=[staff.pk])
    r = c.post(url, {"cert-name": "养老护理员", "cert-issued_on": "2022-01-01", "cert-expires_on": "2021-01-01"})
    assert r.status_code == 400 and "有效期至不能早于发证日期" in r.content.decode()
    r = c.post(url, {"cert-name": "养老护理员", "cert-issued_on": "2022-01-01"})
    assert r.status_code == 302 and Certificate.objects.filter(practitioner=staff).count() == 1


def test_create_page_for_operator_fixes_the_institution(tree, users):
    c = login(users["operator"])
    number = testing.fake_id_number(dt.date(1990, 1, 1), "M", "150802")
    r = c.post(reverse("workforce:create"), {"name": "马力", "id_number": number, "role": "elder_caregiver"})
    assert r.status_code == 302, r.content.decode()[:2000]
    p = Practitioner.objects.get()
    assert p.institution == users["_operator_institution"]


def test_scope_on_pages(tree, users, staff):
    wuyuan_staff = testing.make_practitioner(tree["wuyuan_town"])
    c = login(users["county_officer"])
    assert c.get(reverse("workforce:detail", args=[wuyuan_staff.pk])).status_code == 404
    assert c.get(reverse("workforce:edit", args=[wuyuan_staff.pk])).status_code == 404
    assert c.post(reverse("workforce:add_training", args=[wuyuan_staff.pk]), {}).status_code == 404
    op = login(users["operator"])
    assert op.get(reverse("workforce:detail", args=[staff.pk])).status_code == 404  # another institution's staff
    own = testing.make_practitioner(tree["linhe_town"], institution=users["_operator_institution"])
    assert {row[0].pk for row in op.get(reverse("workforce:list")).context["rows"]} == {own.pk}
    inspector = login(users["inspector"])
    assert inspector.get(reverse("workforce:list")).status_code == 200
    assert inspector.get(reverse("workforce:create")).status_code == 403
    for role in ("auditor", "sysadmin", "leader"):
        assert login(users[role]).get(reverse("workforce:list")).status_code == 403


# --- API ------------------------------------------------------------------------------------------

def test_api_masks_scopes_and_writes_through_services(tree, users, staff, home):
    c = login(users["county_officer"])
    r = c.get("/api/practitioners/")
    assert r.status_code == 200
    assert_no_full_id(r.content.decode())
    assert r.json()["results"][0]["id_number_masked"] == staff.id_number_masked
    r = c.get(f"/api/practitioners/{staff.pk}/")
    assert r.status_code == 200 and "certificates" in r.json()
    number = testing.fake_id_number(dt.date(1988, 8, 8), "M", "150802")
    r = c.post("/api/practitioners/", {"name": "高强", "id_number": number, "region": tree["linhe_town"].code,
                                       "role": "social_worker", "institution": home.pk},
               content_type="application/json")
    assert r.status_code == 201, r.content
    assert_no_full_id(r.content.decode())
    assert r.json()["institution"] == home.pk
    r = c.post("/api/practitioners/", {"name": "高强", "id_number": number, "region": tree["linhe_town"].code,
                                       "role": "social_worker"}, content_type="application/json")
    assert r.status_code == 400 and r.json()["id_number"] == ["该身份证号已登记"]
    wuyuan_staff = testing.make_practitioner(tree["wuyuan_town"])
    assert c.get(f"/api/practitioners/{wuyuan_staff.pk}/").status_code == 404
    assert c.patch(f"/api/practitioners/{wuyuan_staff.pk}/", {"education": "x"},
                   content_type="application/json").status_code == 404
    inspector = login(users["inspector"])
    assert inspector.get("/api/practitioners/").status_code == 200
    assert inspector.post("/api/practitioners/", {}, content_type="application/json").status_code == 403
    assert login(users["town_officer"]).post("/api/practitioners/", {},
                                             content_type="application/json").status_code == 403
    for role in ("auditor", "sysadmin"):
        assert login(users[role]).get("/api/practitioners/").status_code == 403
