"""探访 fixtures: older people in both counties, a city rule and a narrower 五原县 rule, a 临河 visitor."""

from __future__ import annotations

import datetime as dt

import pytest

from ylyx import testing
from ylyx.visits import services
from ylyx.visits.models import VisitorArea

MONTH = dt.date(2026, 3, 1)


@pytest.fixture
def people(tree):
    mk = testing.make_elderly
    return {
        "alone": mk(tree["linhe_village"], name="独居甲", living_situation="alone", address="临河某路1号"),
        "family": mk(tree["linhe_village"], name="同住乙", living_situation="with_family"),
        "tekun": mk(tree["linhe_village"], name="特困丙", economic_status="tekun"),
        "young": mk(tree["linhe_village"], dt.date(1975, 1, 1), name="年轻丁", living_situation="alone"),
        "old": mk(tree["linhe_village"], dt.date(1940, 1, 1), name="高龄戊"),
        "dead": mk(tree["linhe_village"], name="已故己", living_situation="alone", died_on=dt.date(2025, 1, 1)),
        "wy_alone": mk(tree["wuyuan_village"], name="五原独居", living_situation="alone"),
        "wy_tekun": mk(tree["wuyuan_village"], name="五原特困", economic_status="tekun"),
    }


@pytest.fixture
def rules(tree, users):
    city = services.save_rule(users["civil_affairs"], region=tree["city"], name="全市特殊困难老年人",
                              living_situations=["alone", "empty_nest", "left_behind", "gugua"],
                              economic_statuses=["tekun", "dibao"], age_always=85)
    wuyuan_officer = testing.make_user("county_officer", tree["wuyuan"])
    wuyuan = services.save_rule(wuyuan_officer, region=tree["wuyuan"], name="五原县：仅特困", economic_statuses=["tekun"])
    return {"city": city, "wuyuan": wuyuan, "wuyuan_officer": wuyuan_officer}


@pytest.fixture
def visitor(tree):
    user = testing.make_user("town_officer", tree["linhe_town"])
    VisitorArea.objects.create(visitor=user, region=tree["linhe_village"])
    return user


@pytest.fixture
def month_tasks(tree, people, rules, visitor):
    return services.generate_month(None, tree["city"], MONTH)
