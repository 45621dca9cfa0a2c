"""Assessment workflow: qualified assessors, item-by-item progress, two different assessors, re-assessment
on the interval and on a change of condition, legacy MZ/T 039 import, the tablet page and scope refusals."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from ylyx import testing
from ylyx.assessments import scoring, services
from ylyx.assessments.models import Assessment, AssessorQualification, Status
from ylyx.core.todo import todos_for

pytestmark = pytest.mark.django_db
ON = dt.date(2026, 6, 1)


def qualify(user, region, n):
    return AssessorQualification.objects.create(user=user, region=region, certificate_no=f"PG{n:05d}",
                                                valid_from=dt.date(2025, 1, 1), valid_to=dt.date(2028, 1, 1))


@pytest.fixture
def assessors(tree, users):
    a1, a2 = users["county_officer"], testing.make_user("county_officer", tree["linhe"])
    qualify(a1, tree["linhe"], 1)
    qualify(a2, tree["linhe"], 2)
    return a1, a2


def full(a1, person, answers=None, **cond):
    a = services.start(a1, person, assessed_on=ON)
    for code, score in (answers or {i.code: i.max for i in scoring.ITEMS}).items():
        a = services.save_answers(a1, a, {code: score})
    return services.save_answers(a1, a, {}, **cond)


def test_two_qualified_assessors_complete_an_assessment(tree, users, assessors):
    a1, a2 = assessors
    person = testing.make_elderly(tree["linhe_village"])
    a = services.start(a1, person, assessed_on=ON)
    a = services.save_answers(a1, a, {"B.1.1": 4, "B.1.2": 3})
    assert (a.progress, len(a.answers)) == (2, 2)  # progress saved: the next item is B.1.3
    a = full(a1, person, dementia=True)
    a = services.submit(a1, a)
    assert (a.status, a.total, a.preliminary_level, a.level) == (Status.SUBMITTED, 90, 0, 1)
    with pytest.raises(ValidationError, match="同一人"):
        services.sign(a1, a)
    a = services.sign(a2, a)
    assert a.status == Status.COMPLETED and a.next_due == dt.date(2027, 6, 1)
    assert services.current_levels(dt.date(2026, 12, 31)) == {person.pk: 1}


def test_unqualified_or_expired_assessor_is_refused(tree, users, assessors):
    person = testing.make_elderly(tree["linhe_village"])
    with pytest.raises(PermissionDenied, match="评估员资格"):
        services.start(testing.make_user("county_officer", tree["linhe"]), person, assessed_on=ON)
    with pytest.raises(PermissionDenied, match="评估员资格"):
        services.start(assessors[0], person, assessed_on=dt.date(2029, 1, 1))


def test_neighbour_county_and_roles_are_refused(tree, users, assessors):
    wuyuan_person = testing.make_elderly(tree["wuyuan_village"])
    with pytest.raises(PermissionDenied):
        services.start(assessors[0], wuyuan_person, assessed_on=ON)
    with pytest.raises(PermissionDenied):
        services.start(users["inspector"], testing.make_elderly(tree["linhe_village"]), assessed_on=ON)


def test_reassessment_due_and_condition_change_feed_the_todo_list(tree, users, assessors):
    a1, a2 = assessors
    person = testing.make_elderly(tree["linhe_village"])
    a = services.sign(a2, services.submit(a1, full(a1, person)))
    assert not [t for t in todos_for(a1) if t.source == "reassessment"]
    services.report_condition_change(a1, person, "跌倒骨折出院")
    todo = [t for t in todos_for(a1) if t.source == "reassessment"]
    assert len(todo) == 1 and str(a.pk) in todo[0].url
    assert not [t for t in todos_for(users["county_officer"]) if t.source == "assessment_sign"]


def test_legacy_import_is_kept_and_never_current(tree, users, assessors):
    person = testing.make_elderly(tree["linhe_village"])
    (old,) = services.import_legacy(users["county_officer"], [{"person": person, "assessed_on": dt.date(2019, 5, 1),
                                                                "result": "中度失能"}])
    assert old.is_legacy and old.standard == "mzt039" and "历史" in old.level_label
    assert services.current_levels(dt.date(2026, 1, 1)) == {}
    with pytest.raises(ValidationError, match="第1行"):
        services.import_legacy(users["county_officer"], [{"person": person, "assessed_on": dt.date(2019, 5, 1),
                                                          "result": "半失能"}])


def test_tablet_page_saves_each_answer_and_submits(client, tree, users, assessors):
    a1, a2 = assessors
    person = testing.make_elderly(tree["linhe_village"])
    client.force_login(a1)
    resp = client.post(reverse("assessments:person", args=[person.pk]), {"reason": "initial", "assessed_on": "2026-06-01"})
    a = Assessment.objects.unscoped("test").get(person=person)
    assert resp.status_code == 302 and resp["Location"].endswith(f"/{a.pk}/fill/")
    page = client.get(reverse("assessments:fill", args=[a.pk]))
    assert "B.1.1 进食" in page.content.decode()
    bad = client.post(reverse("assessments:fill", args=[a.pk]), {"step": "0"})
    assert bad.status_code == 400 and "请选择“进食”的评估结果" in bad.content.decode()
    for n, item in enumerate(scoring.ITEMS):
        r = client.post(reverse("assessments:fill", args=[a.pk]), {"step": str(n), "score": str(item.max - (n == 0))})
        assert r.status_code == 302, r.content.decode()[:500]
    a.refresh_from_db()
    assert a.progress == 26
    r = client.post(reverse("assessments:fill", args=[a.pk]), {"step": "26", "risk_fall": "2", "submit": "1"})
    assert r.status_code == 302
    a.refresh_from_db()
    assert (a.status, a.total, a.level) == (Status.SUBMITTED, 89, 2)
    client.force_login(a2)
    assert "确认评估结果" in client.get(reverse("assessments:detail", args=[a.pk])).content.decode()
    assert client.post(reverse("assessments:detail", args=[a.pk]), {"action": "sign"}).status_code == 302
    a.refresh_from_db()
    assert a.status == Status.COMPLETED


def test_pages_render_for_each_role_and_hide_other_counties(client, tree, users, assessors):
    person = testing.make_elderly(tree["wuyuan_village"], name="邻县老人")
    wuyuan = testing.make_user("county_officer", tree["wuyuan"])
    qualify(wuyuan, tree["wuyuan"], 9)
    a = services.start(wuyuan, person, assessed_on=ON)
    for role in ("civil_affairs", "county_officer", "town_officer", "operator", "leader"):
        client.force_login(users[role])
        assert client.get(reverse("assessments:list")).status_code == 200
        assert client.get(reverse("assessments:instrument")).status_code == 200
    client.force_login(users["county_officer"])
    assert client.get(reverse("assessments:detail", args=[a.pk])).status_code == 404
    assert client.get(reverse("assessments:fill", args=[a.pk])).status_code == 404
    client.force_login(users["inspector"])
    assert client.get(reverse("assessments:list")).status_code == 403


def test_legacy_import_command(tmp_path, tree, users):
    from django.core.management import call_command
    from django.core.management.base import CommandError
    from openpyxl import Workbook

    person = testing.make_elderly(tree["linhe_village"])
    path = tmp_path / "legacy.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.append(["身份证号", "评估日期", "评估结论", "总分"])
    ws.append([person.id_number, "2018-04-02", "轻度失能", 75])
    wb.save(path)
    call_command("import_legacy_assessments", str(path), user=users["county_officer"].username)
    a = Assessment.objects.unscoped("test").get(person=person)
    assert a.is_legacy and a.legacy_result == "轻度失能" and a.assessed_on == dt.date(2018, 4, 2)
    ws.append(["150802195001010000", "2018-04-02", "失能"])
    wb.save(path)
    with pytest.raises(CommandError, match="数据第2行"):
        call_command("import_legacy_assessments", str(path), user=users["county_officer"].username)
    assert Assessment.objects.unscoped("test").filter(person=person).count() == 1
