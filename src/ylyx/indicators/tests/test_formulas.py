"""The plain engine: rollups by code prefix, ratio of sums, milestones and statuses (no database)."""
# The stubs type test-client responses, JSON fields and fixtures more narrowly than they are at run time.
# mypy: disable-error-code="operator"

import datetime as dt

import pytest

from ylyx.indicators import formulas as F

CITY, A, B = "150800000000", "150802000000", "150821000000"
TA, TB = "150802001000", "150821100000"
VA, VB = "150802001001", "150821100200"


def tree():
    return F.Tree([CITY, A, B, TA, TB, VA, VB], [2, 3, 3, 4, 4, 5, 5], [None, CITY, CITY, A, B, TA, TB])


def test_rollup_sums_by_prefix_at_every_level():
    t = tree()
    # records at a village, at a town, and directly at a county code
    out = F.rollup(t, [VA, TA, A, VB], [1, 10, 100, 1000])
    assert out[VA] == 1
    assert out[TA] == 11  # the village's record and the town's own
    assert out[A] == 111  # plus the record at the county code itself
    assert out[VB] == 1000 and out[TB] == 1000 and out[B] == 1000
    assert out[CITY] == 1111


def test_record_at_county_code_does_not_leak_into_a_town():
    t = tree()
    out = F.rollup(t, [A], [5])
    assert out[TA] == 0 and out[VA] == 0 and out[A] == 5


def test_city_share_is_ratio_of_sums_not_mean_of_ratios():
    """临河 10 of 100 beds (10%), 五原 180 of 200 (90%): the city is 190/300 = 63.33%, not 50%."""
    t = tree()
    num = F.rollup(t, [VA, VB], [10, 180])
    den = F.rollup(t, [VA, VB], [100, 200])
    d = F.CATALOGUE["nursing_bed_share"]
    data = {"nursing_beds_elder": num, "beds_elder": den}
    assert F.evaluate(d, data, A).value == 10.0
    assert F.evaluate(d, data, B).value == 90.0
    city = F.evaluate(d, data, CITY)
    assert city.value == pytest.approx(63.3333, abs=1e-4)
    assert (city.numerator, city.denominator) == (190, 300)
    assert city.value != (10.0 + 90.0) / 2


def test_zero_or_missing_denominator_gives_no_value():
    d = F.CATALOGUE["nursing_bed_share"]
    assert F.evaluate(d, {"nursing_beds_elder": {A: 0.0}, "beds_elder": {A: 0.0}}, A).value is None
    assert F.evaluate(d, {"nursing_beds_elder": {A: 5.0}}, A).value is None


def test_factor_per_thousand():
    d = F.CATALOGUE["childcare_places_per_1000"]
    v = F.evaluate(d, {"places": {CITY: 1231.0}, "pop_total": {CITY: 1538700.0}}, CITY)
    assert v.value == pytest.approx(0.8, abs=0.001)


def test_population_uses_own_figure_else_sum_of_children():
    t = tree()
    got = F.resolve_stat(t, {A: 60000, B: 40000, CITY: 99999})
    assert got[CITY] == 99999  # the city's own statistic wins over the sum of its counties
    got = F.resolve_stat(t, {A: 60000, B: 40000})
    assert got[CITY] == 100000
    assert got[TA] is None  # towns without statistics have none
    got = F.resolve_stat(t, {A: 60000})
    assert got[CITY] is None  # one county unknown: the city is unknown, not understated


def test_default_milestones_are_a_straight_line():
    path = F.default_milestones(2020, 12276, 2025, 14276)
    assert path == [(2021, 12676.0), (2022, 13076.0), (2023, 13476.0), (2024, 13876.0), (2025, 14276.0)]
    assert F.default_milestones(None, 1, 2025, 2) == []
    assert F.default_milestones(2020, None, 2025, 2) == []


def test_milestone_at_interpolates_between_year_ends():
    path = F.default_milestones(2020, 40, 2025, 55)
    assert F.milestone_at(dt.date(2020, 12, 31), 2020, 40, path) == 40
    assert F.milestone_at(dt.date(2022, 12, 31), 2020, 40, path) == 46
    mid = F.milestone_at(dt.date(2023, 7, 2), 2020, 40, path)
    assert 46 < mid < 49
    assert F.milestone_at(dt.date(2027, 1, 1), 2020, 40, path) == 55  # flat after the target year
    assert F.milestone_at(dt.date(2019, 1, 1), 2020, 40, path) == 40
    assert F.milestone_at(dt.date(2022, 1, 1), None, None, []) is None


@pytest.mark.parametrize("value,comparator,target,milestone,expected", [
    (60, ">=", 55, 50, "met"),
    (55, ">=", 55, 50, "met"),
    (55, ">", 55, 50, "on_track"),  # strictly above is the target; the milestone accepts equality
    (52, ">=", 55, 50, "on_track"),
    (50, ">", 55, 50, "on_track"),
    (45, ">=", 55, 50, "behind"),
    (45, ">=", 55, None, "behind"),
    (None, ">=", 55, 50, "no_data"),
    (3, "<=", 5, 4, "met"),
    (4.5, "<=", 4, 5, "on_track"),
    (6, "<=", 4, 5, "behind"),
    (10, ">=", None, None, "no_data"),
])
def test_status(value, comparator, target, milestone, expected):
    assert F.status(value, comparator, target, milestone) == expected


def test_every_catalogue_metric_is_known():
    for d in F.CATALOGUE.values():
        for m in d.metrics:
            assert m in F.METRICS, (d.code, m)


def test_intensive_heuristic_for_reported_rows():
    assert F.looks_intensive("基本养老保险参保率（%）", "%")
    assert F.looks_intensive("每千名老年人配套社会工作者人数（人）", "人")
    assert not F.looks_intensive("示范性老年友好社区数（个）", "个")
    assert not F.looks_intensive("全市托位数", "个")
