"""``plan_table``: values, milestones, statuses, provenance, trend and drill-down on the small registry."""

import datetime as dt

import pytest

from ylyx import testing
from ylyx.indicators.models import ReportedValue
from ylyx.indicators.selectors import plan_table, plan_values
from ylyx.indicators.services import load_seed_plans

from .data import build
from .helpers import STANDARD_ROWS, make_plan, publish

D = dt.date
CITY, LINHE, WUYUAN = "150800000000", "150802000000", "150821000000"


@pytest.fixture
def reg(tree):
    return build(tree)


@pytest.fixture
def plan(reg):
    return make_plan(STANDARD_ROWS)


def rows(table):
    return {r.key: r for r in table.rows}


def test_statuses_at_the_baseline(plan, tree):
    t = plan_table(plan, CITY, D(2020, 12, 31))
    r = rows(t)
    assert (r["1"].value, r["1"].milestone, r["1"].status) == (320, 320, "on_track")
    assert r["2"].value == pytest.approx(63.3333, abs=1e-4) and r["2"].status == "on_track"
    assert r["3"].value is None and r["3"].status == "no_data"
    assert (r["4"].value, r["4"].milestone, r["4"].status) == (0.5, 0.5, "on_track")
    assert r["5"].status == "no_data"


def test_behind_and_met(plan, tree):
    t = plan_table(plan, CITY, D(2021, 12, 31))
    r = rows(t)
    assert (r["1"].value, r["1"].milestone, r["1"].status) == (320, 330, "behind")
    assert (r["2"].milestone, r["2"].status, r["2"].property) == (64, "behind", "约束性")
    t = plan_table(plan, CITY, D(2022, 12, 31))
    r = rows(t)
    assert (r["1"].value, r["1"].milestone, r["1"].status) == (340, 340, "on_track")
    assert r["2"].value == 75.0 and r["2"].status == "on_track"  # milestone 68
    assert r["4"].value == 0.8 and r["4"].milestone == pytest.approx(2.1) and r["4"].status == "behind"
    t = plan_table(plan, CITY, D(2025, 12, 31))
    assert rows(t)["2"].status == "behind"  # 75 < 80 and the milestone is the target by now
    plan.indicators.filter(key="2").update(target_value=70)
    assert rows(plan_table(plan, CITY, D(2025, 12, 31)))["2"].status == "met"


def test_trend_is_one_value_per_year_end_and_the_date(plan, tree):
    t = plan_table(plan, CITY, D(2022, 7, 1))
    assert rows(t)["1"].trend == [(2020, 320.0), (2021, 320.0), (2022, 340.0)]
    assert rows(t)["2"].trend[-1] == (2022, 75.0)


def test_breakdown_one_level_below_with_statuses(plan, tree):
    t = plan_table(plan, CITY, D(2021, 12, 31))
    assert [b.region_code for b in t.breakdown] == [LINHE, WUYUAN]
    linhe, wuyuan = t.breakdown
    assert linhe.values["2"] == 10.0 and linhe.statuses["2"] == "behind"
    assert wuyuan.values["2"] == 90.0 and wuyuan.statuses["2"] == "met"
    # a total's target is the city's: shown for the county but not assessed there
    assert linhe.values["1"] == 120 and linhe.statuses["1"] == "no_data"
    t = plan_table(plan, LINHE, D(2021, 12, 31))
    assert t.region_name == "临河区"
    r = rows(t)["1"]
    assert r.value == 120 and r.target_applies is False and r.status == "no_data"
    assert [b.region_code for b in t.breakdown] == ["150802001000"]
    assert plan_table(plan, CITY, D(2021, 12, 31), with_breakdown=False).breakdown == []


def test_computed_provenance(plan, tree):
    r = rows(plan_table(plan, CITY, D(2020, 12, 31)))["2"]
    p = r.provenance
    assert (p.kind, p.numerator, p.denominator, p.as_of) == ("computed", 190, 300, D(2020, 12, 31))
    assert "护理型床位" in p.formula and "÷" in p.formula
    assert r.kind == "computed"


def test_reported_values_published_only(plan, tree, users):
    pi = plan.indicators.get(key="3")
    entrant, approver = users["county_officer"], users["civil_affairs"]
    ReportedValue.objects.create(plan_indicator=pi, region=tree["city"], year=2020, value=99, department="人社局",
                                 status="approved", entered_by=entrant, approved_by=approver)
    assert rows(plan_table(plan, CITY, D(2020, 12, 31)))["3"].value is None  # approved is not yet published
    publish(pi, tree["city"], 2021, 96, entrant, approver)
    publish(pi, tree["linhe"], 2021, 93, entrant, approver)
    t = plan_table(plan, CITY, D(2021, 12, 31))
    r = rows(t)["3"]
    assert (r.value, r.status) == (96, "met")
    assert r.provenance.kind == "reported" and "人社局" in r.provenance.reported_by
    assert str(entrant) in r.provenance.reported_by and str(approver) in r.provenance.reported_by
    assert r.provenance.reported_at is not None
    assert t.breakdown[0].values["3"] == 93 and t.breakdown[0].statuses["3"] == "on_track"  # milestone 91
    assert t.breakdown[1].values["3"] is None
    # a later date without a newer figure shows the latest published year, the trend only exact years
    r = rows(plan_table(plan, CITY, D(2022, 12, 31)))["3"]
    assert r.value == 96 and "2021年度" in r.provenance.note
    assert r.trend == [(2020, None), (2021, 96.0), (2022, 96.0)]


def test_region_outside_the_plan_is_refused(plan, tree):
    with pytest.raises(ValueError, match="不在规划"):
        plan_table(plan, "150400000000", D(2020, 12, 31))
    with pytest.raises(ValueError, match="不存在"):
        plan_table(plan, "159999", D(2020, 12, 31))


def test_plan_values_for_every_region(plan, tree):
    vals = plan_values(plan, CITY, D(2020, 12, 31))
    assert set(vals) >= {CITY, LINHE, WUYUAN, "150802001000", "150802001001", "150821100200"}
    assert vals["150802001001"]["1"] == 120
    assert vals["150821100200"]["2"] == 90.0


def test_seed_plan_table_has_every_row(reg, tree):
    load_seed_plans()
    from ylyx.indicators.models import Plan

    bayannur = Plan.objects.get(code="bayannur-2021")
    t = plan_table(bayannur, CITY, D(2020, 12, 31))
    assert len(t.rows) == 26
    r = rows(t)
    assert r["6"].value == 320 and r["6"].target_value == 14276
    assert r["7"].value == pytest.approx(63.3333, abs=1e-4) and r["7"].status == "met"  # ≥55
    assert r["P3"].value == 50.0 and r["P1"].value == 50.0
    assert r["14"].value == 1  # filed childcare institutions on 2020-12-31
    assert r["1"].status == "no_data"
    # 雅安 is computed by key, its repeated seqs kept apart
    testing.make_user("civil_affairs", tree["city"])
    yaan = Plan.objects.get(code="yaan-2022")
    from ylyx.regions.models import Region

    Region.objects.create(code="510000000000", name="四川省", level=1)
    Region.objects.create(code="511800000000", name="雅安市", level=2, parent_id="510000000000")
    t = plan_table(yaan, "511800", D(2020, 12, 31))
    keys = [x.key for x in t.rows]
    assert len(keys) == len(set(keys)) == 50
    assert rows(t)["托育-1"].name == "登记备案的托育机构数"
    assert rows(t)["托育-1"].value == 0
