"""security.md PI-5: "show full" is a POST with a reason, for permitted users, logged; never a GET."""

import pytest
from django.urls import reverse

from ylyx import testing
from ylyx.audit.models import AuditEvent

from .helpers import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def permitted(users):
    u = users["county_officer"]
    u.can_view_full_pi = True
    u.save()
    return u


def url(model, pk):
    return reverse("people:reveal", args=[model, pk])


def test_reveal_returns_the_one_value_and_logs_the_reason(tree, permitted, linhe_person):
    r = login(permitted).post(url("elderly", linhe_person.pk), {"reason": "核实高龄津贴发放对象"})
    assert r.status_code == 200
    assert r.json() == {"field": "id_number", "value": linhe_person.id_number}
    ev = AuditEvent.objects.get(event_type="view_full_pi")
    assert ev.reason == "核实高龄津贴发放对象" and ev.actor_id == permitted.pk
    assert ev.object_type == "people.elderlyperson" and ev.object_id == str(linhe_person.pk)
    assert ev.detail["field"] == "id_number" and ev.outcome == "success"
    assert ev.before is None and ev.after is None


def test_reveal_for_htmx_returns_an_html_fragment(tree, permitted, linhe_person):
    linhe_person.set_phone("13812345678")
    linhe_person.save()
    r = login(permitted).post(url("elderly", linhe_person.pk), {"reason": "电话回访", "field": "phone"},
                              HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    assert r.content.decode() == '<span class="pi-full">13812345678</span>'
    assert r["Cache-Control"] == "no-store"


def test_reveal_without_permission_is_403_and_logged(tree, users, linhe_person):
    r = login(users["county_officer"]).post(url("elderly", linhe_person.pk), {"reason": "想看"})
    assert r.status_code == 403
    assert "权限" in r.json()["detail"]
    assert linhe_person.id_number not in r.content.decode()
    ev = AuditEvent.objects.get(event_type="view_full_pi")
    assert ev.outcome == "denied" and ev.detail["why"] == "no_permission"


def test_reveal_without_reason_is_400_in_chinese(tree, permitted, linhe_person):
    c = login(permitted)
    for body in ({}, {"reason": "   "}):
        r = c.post(url("elderly", linhe_person.pk), body)
        assert r.status_code == 400
        assert r.json()["detail"] == "请填写查看理由"
    r = c.post(url("elderly", linhe_person.pk), {}, HTTP_HX_REQUEST="true")
    assert r.status_code == 400 and "请填写查看理由" in r.content.decode()
    assert not AuditEvent.objects.filter(event_type="view_full_pi", outcome="success").exists()


def test_reveal_other_county_is_404(tree, permitted, wuyuan_person):
    r = login(permitted).post(url("elderly", wuyuan_person.pk), {"reason": "核实"})
    assert r.status_code == 404
    assert wuyuan_person.id_number not in r.content.decode()
    assert AuditEvent.objects.get(event_type="view_full_pi").outcome == "denied"


def test_reveal_is_never_a_get(tree, permitted, linhe_person):
    r = login(permitted).get(url("elderly", linhe_person.pk) + "?reason=x")
    assert r.status_code == 405
    assert not AuditEvent.objects.filter(event_type="view_full_pi").exists()


def test_reveal_unknown_model_or_field(tree, permitted, linhe_person):
    c = login(permitted)
    assert c.post(url("user", 1), {"reason": "x"}).status_code == 404
    r = c.post(url("elderly", linhe_person.pk), {"reason": "x", "field": "id_number_enc"})
    assert r.status_code == 400 and "不支持查看该字段" in r.json()["detail"]


def test_reveal_infant_and_practitioner(tree, users, toddler):
    health = users["health"]
    health.can_view_full_pi = True
    health.save()
    c = login(health)
    r = c.post(url("infant", toddler.pk), {"reason": "入托核验", "field": "guardian_name"})
    assert r.json()["value"] == "李强"
    p = testing.make_practitioner(tree["linhe_town"])
    assert c.post(url("practitioner", p.pk), {"reason": "持证核验"}).json()["value"] == p.id_number
    # A role without the resource: civil affairs has no infant rights.
    ca = users["civil_affairs"]
    ca.can_view_full_pi = True
    ca.save()
    assert login(ca).post(url("infant", toddler.pk), {"reason": "x"}).status_code == 404


def test_reveal_api_action(tree, permitted, linhe_person, wuyuan_person):
    c = login(permitted)
    r = c.post(f"/api/elderly/{linhe_person.pk}/reveal/", {"reason": "核实"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["value"] == linhe_person.id_number
    r = c.post(f"/api/elderly/{linhe_person.pk}/reveal/", {}, content_type="application/json")
    assert r.status_code == 400 and "请填写查看理由" in str(r.json())
    r = c.post(f"/api/elderly/{wuyuan_person.pk}/reveal/", {"reason": "核实"}, content_type="application/json")
    assert r.status_code == 404
    assert AuditEvent.objects.filter(event_type="view_full_pi", outcome="success").count() == 1
