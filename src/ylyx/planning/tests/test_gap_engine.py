import pytest

from ylyx.planning.engines.gaps import Norm, compute, roll_up

CHIFENG = [Norm("beds", "aged_60", 3, 100), Norm("nursing_beds", "supply:beds", 55, 100),
           Norm("places", "population", 4.5, 1000)]


def test_chifeng_arithmetic_from_data():
    rows = {r.indicator: r for r in compute(CHIFENG, {"aged_60": 1_050_000, "population": 4_000_000},
                                            {"beds": 11_000, "nursing_beds": 3_464, "places": 5_000})}
    assert rows["beds"].demand == pytest.approx(31_500)
    assert rows["beds"].gap == pytest.approx(20_500)  # “仍有2万张的床位缺口”
    assert rows["nursing_beds"].demand == pytest.approx(6_050)
    assert rows["nursing_beds"].gap == pytest.approx(2_586)  # the plan writes 2,592 on its unrounded bed count
    assert rows["places"].demand == pytest.approx(18_000)  # “2025年全市托位数达到1.8万个”
    assert rows["places"].gap == pytest.approx(13_000)  # “还存在1.3万个托位的供给缺口”
    assert rows["beds"].norm == "60岁及以上老年人的 3%"
    assert rows["places"].norm == "每 1000 常住人口 4.5"


def test_share_of_demand_and_area_per_households():
    norms = [Norm("beds", "aged_60", 3, 100), Norm("nursing_beds", "demand:beds", 55, 100),
             Norm("elder_area", "households", 20, 100)]
    rows = {r.indicator: r for r in compute(norms, {"aged_60": 1_050_000, "households": 5_000}, {})}
    assert rows["nursing_beds"].demand == pytest.approx(17_325)
    assert rows["elder_area"].demand == pytest.approx(1_000)


def test_roll_up_sums_regions():
    a = compute(CHIFENG[:1], {"aged_60": 100_000}, {"beds": 1_000})
    b = compute(CHIFENG[:1], {"aged_60": 50_000}, {"beds": 2_000})
    (total,) = roll_up([a, b])
    assert (total.demand, total.supply, total.gap) == (4_500, 3_000, 1_500)


def test_bad_norms_and_missing_population_are_named():
    with pytest.raises(ValueError, match="指标"):
        Norm("unknown", "aged_60", 1)
    with pytest.raises(ValueError, match="基数"):
        Norm("beds", "cats", 1)
    with pytest.raises(ValueError, match="60岁及以上"):
        compute(CHIFENG[:1], {"aged_60": None}, {})


def test_residential_checks_list_the_areas_short_of_the_rule():
    from ylyx.planning.engines.gaps import residential_checks

    short = residential_checks([{"name": "甲小区", "households": 1500, "elder_room_area": 200},
                                {"name": "乙小区", "households": 500, "elder_room_area": 100}])
    assert [(c.name, c.required_m2, c.shortfall_m2) for c in short] == [("甲小区", 300, 100)]
    assert "每百户不少于 20 平方米" in short[0].rule
