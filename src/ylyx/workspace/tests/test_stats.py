"""Registry statistics at a date: a hand-built registry with changes before and after the date, the
command, the API view's scope rules, and the small demo city against the figures its spec declares."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIRequestFactory, force_authenticate

from ylyx import testing
from ylyx.workspace.api import RegistryStatsView
from ylyx.workspace.stats import registry_stats

D20 = dt.date(2020, 12, 31)
D22 = dt.date(2022, 6, 30)
D23 = dt.date(2023, 6, 30)
FULL_ID = re.compile(r"\d{17}[\dX]")


def make(region, kind, subtype, history, **kw):
    """An institution with capacity records [(valid_from, beds, nursing, places, status), …]."""
    from ylyx.institutions.models import CapacityRecord

    last = history[-1]
    inst = testing.make_institution(region, kind=kind, subtype=subtype, opened_on=history[0][0], beds=last[1],
                                    nursing_beds=last[2], places=last[3], status=last[4], **kw)
    for k, (start, beds, nursing, places, status) in enumerate(history):
        end = history[k + 1][0] if k + 1 < len(history) else None
        CapacityRecord.objects.create(institution=inst, region=region, valid_from=start, valid_to=end, status=status,
                                      beds=beds, nursing_beds=nursing, places=places,
                                      affordable_places=places if subtype == "cc_affordable" else 0)
    return inst


@pytest.fixture
def registry(tree):
    from ylyx.institutions.models import ChildcareClass, Filing
    from ylyx.people.models import Enrolment, Residence
    from ylyx.regions.models import PopulationStat
    from ylyx.workforce.models import Employment

    lv, wv, op = tree["linhe_village"], tree["wuyuan_village"], "operating"
    d = dt.date
    a = make(lv, "elder", "public", [(d(2015, 1, 1), 100, 40, 0, op), (d(2022, 1, 1), 120, 70, 0, op)])
    b = make(wv, "community", "day_care", [(d(2016, 1, 1), 20, 0, 0, op)])
    make(wv, "community", "rural_station", [(d(2017, 1, 1), 0, 0, 0, op)])
    make(lv, "community", "meal", [(d(2020, 1, 1), 0, 0, 0, op)])
    make(lv, "elder", "private", [(d(2015, 1, 1), 50, 10, 0, op), (d(2021, 6, 30), 0, 0, 0, "closed")])
    # No capacity records: not counted until backfill_capacity gives it one (see the test below).
    testing.make_institution(lv, kind="elder", subtype="private", opened_on=d(2019, 1, 1), beds=30, nursing_beds=10)
    make(wv, "elder", "medical", [(d(2023, 1, 1), 80, 60, 0, op)])
    make(tree["chifeng"], "elder", "public", [(d(2010, 1, 1), 500, 400, 0, op)])  # another city
    cc_d = make(lv, "childcare", "cc_affordable", [(d(2019, 9, 1), 0, 0, 30, op)], affordable_places=30)
    cc_e = make(wv, "childcare", "cc_profit", [(d(2018, 1, 1), 0, 0, 20, op)])
    Filing.objects.create(institution=cc_d, status="filed", submitted_on=d(2021, 2, 20), filed_on=d(2021, 3, 1))
    Filing.objects.create(institution=cc_e, status="cancelled", submitted_on=d(2020, 5, 20), filed_on=d(2020, 6, 1),
                          cancelled_on=d(2022, 1, 1))
    k_d = ChildcareClass.objects.create(institution=cc_d, name="托小一班", class_type="junior", places=15, caregivers=3)
    k_e = ChildcareClass.objects.create(institution=cc_e, name="托大一班", class_type="senior", places=20, caregivers=3)
    PopulationStat.objects.create(region=tree["city"], year=2020, total=1000, aged_60=200, aged_65=120, aged_80=30,
                                  under_3=25, households=400, births=9)
    PopulationStat.objects.create(region=tree["linhe"], year=2020, total=600, aged_60=110, aged_65=70, aged_80=20,
                                  under_3=15)

    def person(region, born, **kw):
        return testing.make_elderly(region, birth=born, **kw)

    p1 = person(lv, d(1950, 5, 1), registered_on=d(2019, 1, 1))
    p2 = person(wv, d(1958, 3, 1))
    p3 = person(lv, d(1938, 1, 1), died_on=d(2021, 5, 1))
    person(lv, d(1955, 1, 1), moved_out_on=d(2020, 12, 31))  # gone on the date itself
    person(lv, d(1945, 6, 1), registered_on=d(2021, 2, 1))  # registered later
    person(tree["chifeng"], d(1950, 1, 1))
    person(lv, d(1960, 12, 31))  # 60 exactly on 2020-12-31
    person(lv, d(1961, 1, 1))  # 60 in 2021
    i1 = testing.make_infant(lv, birth=d(2019, 6, 1))
    i2 = testing.make_infant(wv, birth=d(2018, 1, 1))
    testing.make_infant(lv, birth=d(2017, 12, 31))  # three on the date: not under three
    testing.make_infant(lv, birth=d(2021, 3, 1))
    testing.make_infant(lv, birth=d(2019, 1, 1), moved_out_on=d(2020, 10, 1))
    Residence.objects.create(person=p1, institution=a, region=lv, bed_type="nursing", started_on=d(2019, 1, 1))
    Residence.objects.create(person=p2, institution=a, region=lv, started_on=d(2018, 1, 1), ended_on=d(2020, 6, 1))
    Residence.objects.create(person=p3, institution=a, region=lv, started_on=d(2020, 1, 1), ended_on=d(2021, 5, 1))
    Enrolment.objects.create(infant=i1, institution=cc_d, childcare_class=k_d, region=lv, started_on=d(2020, 9, 1))
    Enrolment.objects.create(infant=i2, institution=cc_e, childcare_class=k_e, region=wv, started_on=d(2020, 9, 1),
                             ended_on=d(2020, 12, 31))
    for role, inst, start, end in [("social_worker", a, d(2018, 1, 1), None),
                                   ("elder_caregiver", a, d(2015, 1, 1), d(2020, 12, 31)),
                                   ("elder_caregiver", a, d(2016, 1, 1), None),
                                   ("social_worker", b, d(2021, 1, 1), None)]:
        s = testing.make_practitioner(inst.region, role=role, institution=inst)
        Employment.objects.create(practitioner=s, institution=inst, role=role, started_on=start, ended_on=end)
    return tree


@pytest.mark.django_db
def test_stats_at_end_of_2020(registry):
    s = registry_stats("150800", D20)
    assert s["region"]["code"] == "150800000000" and s["date"] == "2020-12-31"
    assert s["population"]["year"] == 2020 and s["population"]["total"] == 1000
    assert s["population"]["aged_60"] == 200 and s["population"]["aged_60_share"] == 20.0
    assert s["elder_care"]["total"] == 3  # public home, day care, private home (closes in 2021)
    assert s["elder_care"]["by_subtype"] == {"day_care": 1, "private": 1, "public": 1}
    assert s["elder_care"]["rural_stations"] == 1 and s["elder_care"]["meal_points"] == 1
    assert s["capacity"]["beds"] == 170 and s["capacity"]["elder_beds"] == 150
    assert s["capacity"]["nursing_beds"] == 50 and s["capacity"]["nursing_bed_share"] == 33.3
    assert s["childcare"]["institutions"] == 2 and s["childcare"]["places"] == 50
    assert s["childcare"]["filed"] == 1 and s["childcare"]["affordable_places"] == 30
    assert s["childcare"]["places_per_1000"] == 50.0
    assert s["elderly"]["aged_60"] == 4 and s["elderly"]["aged_65"] == 2 and s["elderly"]["aged_80"] == 1
    assert s["infants"]["under_3"] == 2
    assert s["residents"] == {"total": 2, "nursing_beds_used": 1, "in_elder_institutions": 2,
                              "occupancy_rate": 2.0}
    assert s["enrolments"]["total"] == 1
    assert s["practitioners"]["by_role"] == {"elder_caregiver": 1, "social_worker": 1}
    assert s["practitioners"]["social_workers_per_1000_elderly"] == 5.0


@pytest.mark.django_db
def test_stats_follow_later_changes(registry):
    s = registry_stats("150800000000", D22)
    assert s["elder_care"]["total"] == 2  # the private home closed on 2021-06-30
    assert s["capacity"]["beds"] == 140 and s["capacity"]["nursing_beds"] == 70
    assert s["capacity"]["nursing_bed_share"] == 58.3
    assert s["childcare"]["filed"] == 1  # one filed in 2021, the other cancelled on 2022-01-01
    assert s["population"]["year"] == 2020 and s["population"]["total"] == 1000  # latest row before the date
    assert s["elderly"] == {"aged_60": 5, "aged_65": 2, "aged_80": 0, "tekun": 0, "dibao": 0}
    assert s["residents"]["total"] == 1
    assert s["practitioners"]["by_role"] == {"elder_caregiver": 1, "social_worker": 2}
    assert registry_stats("150800", D23)["elder_care"]["by_subtype"]["medical"] == 1
    assert registry_stats("150800", dt.date(2019, 12, 31))["population"]["year"] is None  # nothing that early


@pytest.mark.django_db
def test_institutions_without_capacity_records_count_after_backfill(registry):
    from ylyx.institutions.services import backfill_capacity

    assert backfill_capacity() == 1
    s = registry_stats("150800", D20)
    assert s["elder_care"]["by_subtype"]["private"] == 2 and s["capacity"]["beds"] == 200


@pytest.mark.django_db
def test_stats_of_a_county_count_only_its_subtree(registry):
    linhe = registry_stats("150802", D20)
    wuyuan = registry_stats("150821", D20)
    assert linhe["elder_care"]["total"] == 2 and wuyuan["elder_care"]["total"] == 1
    assert linhe["capacity"]["beds"] + wuyuan["capacity"]["beds"] == 170
    assert linhe["elderly"]["aged_60"] + wuyuan["elderly"]["aged_60"] == 4
    assert linhe["population"]["total"] == 600 and wuyuan["population"]["total"] is None
    assert registry_stats("150802001000", D20)["elder_care"]["total"] == 2  # the town holds the village


@pytest.mark.django_db
def test_bad_region_codes_are_refused(registry):
    with pytest.raises(ValueError, match="6 位或 12 位"):
        registry_stats("1508", D20)
    with pytest.raises(ValueError, match="不存在"):
        registry_stats("150899", D20)


@pytest.mark.django_db
def test_stats_command(registry):
    out = io.StringIO()
    call_command("stats", "--region", "150800", "--date", "2020-12-31", "--format", "json", stdout=out)
    data = json.loads(out.getvalue())
    assert data == json.loads(json.dumps(registry_stats("150800", D20)))
    out = io.StringIO()
    call_command("stats", "--region", "150802", "--date", "2020-12-31", stdout=out)
    assert "护理型床位占比（%）" in out.getvalue() and "临河区" in out.getvalue()
    with pytest.raises(CommandError, match="日期格式错误"):
        call_command("stats", "--region", "150800", "--date", "2020-13-01", stdout=io.StringIO())
    with pytest.raises(CommandError, match="不存在"):
        call_command("stats", "--region", "150899", stdout=io.StringIO())


def api(user, **params):
    request = APIRequestFactory().get("/api/stats/", params)
    force_authenticate(request, user=user)
    response = RegistryStatsView.as_view()(request)
    response.render()
    return response


@pytest.mark.django_db
def test_api_answers_inside_scope_only(registry, users):
    ok = api(users["civil_affairs"], region="150800", date="2020-12-31")
    assert ok.status_code == 200 and ok.data["capacity"]["beds"] == 170
    assert not FULL_ID.search(ok.content.decode())
    county = users["county_officer"]  # 临河区
    assert api(county, region="150800", date="2020-12-31").status_code == 404
    assert api(county, region="150821", date="2020-12-31").status_code == 404
    assert api(county, region="150802", date="2020-12-31").data["elder_care"]["total"] == 2
    assert api(county, date="2020-12-31").data["region"]["code"] == "150802000000"  # defaults to own region
    assert api(users["town_officer"], region="150802", date="2020-12-31").status_code == 404
    assert api(users["leader"], region="150800", date="2020-12-31").status_code == 200
    assert api(users["operator"], region="150802", date="2020-12-31").status_code == 404
    assert api(users["auditor"], region="150800", date="2020-12-31").status_code == 403
    assert api(users["sysadmin"], region="150800", date="2020-12-31").status_code == 403
    bad = api(users["civil_affairs"], region="150800", date="31/12/2020")
    assert bad.status_code == 400 and "date" in bad.data
    assert api(users["civil_affairs"], region="15x8", date="2020-12-31").status_code == 400
    assert api(users["civil_affairs"], region="150899", date="2020-12-31").status_code == 404


@pytest.mark.django_db
def test_api_requires_login(registry):
    from django.contrib.auth.models import AnonymousUser

    request = APIRequestFactory().get("/api/stats/", {"region": "150800"})
    request.user = AnonymousUser()
    response = RegistryStatsView.as_view()(request)
    assert response.status_code in (401, 403)


@pytest.mark.django_db
def test_demo_city_stats_equal_the_declared_figures(tmp_path):
    from ylyx.demo.build import build
    from ylyx.demo.spec import COUNTIES
    from ylyx.workspace.stats import flatten

    result = build(0.02, log=lambda _m: None, logins_path=tmp_path / "l.txt")
    city = flatten(registry_stats("150800", D20))
    for key, value in result.spec.expected_2020().items():
        assert city[key] == value, key
    counties = [flatten(registry_stats(c[0], D20)) for c in COUNTIES]
    for key in ("population.total", "population.aged_60", "population.under_3", "elderly.aged_60",
                "elderly.aged_80", "infants.under_3", "elder_care.total", "elder_care.rural_stations",
                "capacity.beds", "capacity.nursing_beds", "childcare.institutions", "childcare.places",
                "childcare.filed", "residents.total", "enrolments.total", "practitioners.by_role.social_worker"):
        assert sum(c.get(key) or 0 for c in counties) == city[key], key
