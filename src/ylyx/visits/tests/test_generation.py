"""The rule over the registry, month generation (set-based, idempotent, narrowest rule wins) and assignment."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from ylyx import testing
from ylyx.people.models import Residence
from ylyx.visits import rules as R
from ylyx.visits import services
from ylyx.visits.models import VisitTask

from .conftest import MONTH

pytestmark = pytest.mark.django_db


def _names(**flt) -> set[str]:
    return {t.person.name for t in VisitTask.objects.unscoped("test").filter(**flt).select_related("person")}


def test_plain_rule_and_its_filter_agree():
    rule = R.Rule(frozenset({"alone"}), frozenset({"tekun"}), frozenset({"1"}), True, 80, 60)
    on = dt.date(2026, 3, 31)
    cases = [("alone", "normal", "none", False, dt.date(1950, 1, 1), True),
             ("with_family", "normal", "none", False, dt.date(1950, 1, 1), False),
             ("with_family", "tekun", "none", False, dt.date(1950, 1, 1), True),
             ("with_family", "normal", "1", False, dt.date(1950, 1, 1), True),
             ("with_family", "normal", "none", True, dt.date(1950, 1, 1), True),
             ("with_family", "normal", "none", False, dt.date(1946, 3, 31), True),  # 80 on the day
             ("with_family", "normal", "none", False, dt.date(1946, 4, 1), False),
             ("alone", "normal", "none", False, dt.date(1966, 4, 1), False)]  # under 60
    for living, eco, dis, fam, birth, want in cases:
        assert R.matches(rule, living=living, economic=eco, disability=dis, special_family=fam, birth=birth,
                         on=on) is want, (living, eco, dis, fam, birth)


def test_month_generation_follows_the_nearest_rule(month_tasks, people, rules):
    assert _names(month=MONTH) == {"独居甲", "特困丙", "高龄戊", "五原特困"}
    # 五原县's own rule (特困 only) replaces the city's there; the dead, the young and family members are not due
    task = VisitTask.objects.unscoped("test").get(person=people["wy_tekun"])
    assert task.rule == rules["wuyuan"] and task.due_on == dt.date(2026, 3, 25)
    assert month_tasks["created"] == 4


def test_generation_is_idempotent_and_adds_only_new_people(month_tasks, tree, people):
    again = services.generate_month(None, tree["city"], MONTH)
    assert again["created"] == 0
    testing.make_elderly(tree["linhe_village"], name="新登记", living_situation="gugua")
    assert services.generate_month(None, tree["linhe"], MONTH)["created"] == 1
    assert VisitTask.objects.unscoped("test").filter(month=MONTH).count() == 5


def test_residents_of_institutions_are_left_out(tree, people, rules):
    inst = testing.make_institution(tree["linhe_town"])
    Residence.objects.create(person=people["alone"], institution=inst, region=tree["linhe_town"],
                             started_on=dt.date(2025, 1, 1))
    services.generate_month(None, tree["city"], MONTH)
    assert "独居甲" not in _names(month=MONTH)


def test_tasks_are_assigned_to_the_area_visitor(month_tasks, visitor):
    assert _names(assignee=visitor) == {"独居甲", "特困丙", "高龄戊"}
    assert _names(assignee__isnull=True) == {"五原特困"}


def test_rules_are_edited_per_region_within_scope(tree, users, rules):
    with pytest.raises(PermissionDenied):
        services.save_rule(users["county_officer"], region=tree["wuyuan"], name="越权", living_situations=["alone"])
    with pytest.raises(ValidationError) as err:
        services.save_rule(users["county_officer"], region=tree["linhe"], name=" ", living_situations=["alone"])
    assert "规则名称" in str(err.value)
    services.save_rule(users["county_officer"], region=tree["linhe"], name="临河区规则", living_situations=["alone"])
    with pytest.raises(ValidationError) as err:
        services.save_rule(users["county_officer"], region=tree["linhe"], name="第二条", living_situations=["alone"])
    assert "已有启用" in str(err.value)
    with pytest.raises(PermissionDenied):
        services.generate_month(users["county_officer"], tree["wuyuan"], MONTH)


def test_generate_command(tree, people, rules, visitor):
    import io

    from django.core.management import CommandError, call_command

    out = io.StringIO()
    call_command("generate_visit_tasks", "--month", "2026-03", stdout=out)
    assert "巴彦淖尔市 2026-03: 新生成 4 项" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("generate_visit_tasks", "--month", "三月")
