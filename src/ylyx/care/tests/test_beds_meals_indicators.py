"""家庭养老床位 (one open contract per person, missed services), 助餐 daily counts, and the catalogue indicators."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from ylyx import testing
from ylyx.care import services
from ylyx.care.models import DoctorSignup, HomeCareBed, MealDailyCount, MealPoint
from ylyx.core.errors import Conflict
from ylyx.indicators import formulas as IF
from ylyx.indicators.selectors import gather

pytestmark = pytest.mark.django_db
D = dt.date


def test_home_care_bed_and_missed_services(parent, users, tree):
    officer, provider = users["county_officer"], users["_operator_institution"]
    bed = services.contract_bed(officer, parent, provider, care_level="3", care_plan="每周助浴、康复训练",
                                started_on=D(2026, 1, 1), visits_per_month=2, devices=["紧急呼叫器"])
    with pytest.raises(Conflict):
        services.contract_bed(officer, parent, provider, care_level="3", care_plan="重复", started_on=D(2026, 2, 1))
    with pytest.raises(ValidationError) as err:
        services.contract_bed(officer, testing.make_elderly(tree["linhe_village"]), provider, care_level="9",
                              care_plan="x", started_on=D(2026, 1, 1))
    assert "care_level" in err.value.message_dict
    services.record_bed_visit(users["operator"], bed, visited_on=D(2026, 3, 3), minutes=60, worker="张", items="助浴")
    beds = HomeCareBed.objects.for_user(officer, "view")
    assert [(b.pk, p, d) for b, p, d in services.missed_bed_services(beds, D(2026, 3, 1))] == [(bed.pk, 2, 1)]
    services.record_bed_visit(users["operator"], bed, visited_on=D(2026, 3, 20), minutes=60, worker="张", items="康复")
    assert services.missed_bed_services(beds, D(2026, 3, 1)) == []
    with pytest.raises(ValidationError):
        services.record_bed_visit(users["operator"], bed, visited_on=D(2025, 12, 1), minutes=60, worker="张", items="x")


def test_meal_daily_counts(users, tree):
    point = MealPoint.objects.create(region=tree["linhe_village"], name="老年餐桌一", opened_on=D(2025, 1, 1))
    officer = users["town_officer"]
    services.record_meal_count(officer, point, D(2026, 3, 2), 40, 25)
    services.record_meal_count(officer, point, D(2026, 3, 2), 42, 25)  # a correction, still one row
    assert list(MealDailyCount.objects.unscoped("t").values_list("meals", flat=True)) == [42]
    with pytest.raises(ValidationError) as err:
        services.record_meal_count(officer, point, D(2026, 3, 3), 10, 11)
    assert "subsidised_meals" in err.value.message_dict
    with pytest.raises(ValidationError):
        services.record_meal_count(officer, point, D(2024, 3, 3), 10, 1)


def test_catalogue_indicators(tree, users, volunteer, parent):
    provider = users["_operator_institution"]
    services.contract_bed(None, parent, provider, care_level="2", care_plan="助洁", started_on=D(2026, 1, 1))
    MealPoint.objects.create(region=tree["linhe_village"], name="老年餐桌", opened_on=D(2025, 6, 1))
    DoctorSignup.objects.create(region=tree["linhe_village"], elderly=parent, team="临河社区卫生服务中心一队",
                                signed_on=D(2025, 1, 1))
    old = services.register_volunteer(None, region=tree["linhe_village"], name="老志愿",
                                      id_number=testing.fake_id_number(D(1955, 1, 1), "F", "150802"),
                                      registered_on=D(2025, 1, 1))
    assert old.birth_date == D(1955, 1, 1)
    metrics = IF.metrics_for(["home_care_beds", "meal_coverage", "elderly_volunteer_share", "elderly_doctor_signup_rate"])
    g = gather(tree["city"], [D(2026, 3, 31), D(2025, 3, 31)], metrics)
    now, before = g.at(0), g.at(1)
    city = tree["city"].code
    assert now["home_care_beds"][city] == 1 and before["home_care_beds"].get(city, 0) == 0
    assert now["villages_with_meal_point"][city] == 1 and before["villages_with_meal_point"].get(city, 0) == 0
    assert now["elderly_volunteers"][city] == 1  # the 1985-born volunteer is not counted
    assert now["elderly_doctor_signed"][tree["linhe"].code] == 1
