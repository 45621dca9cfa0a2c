import numpy as np
import pytest

from ylyx.planning.engines import projection as pj


def test_closed_population_without_mortality_or_births_shifts_one_year_of_age():
    rng = np.random.default_rng(1)
    base = rng.integers(100, 1000, size=(2, pj.AGES)).astype(float)
    a = pj.Assumptions(survival=np.ones((2, pj.AGES)), asfr=np.zeros(pj.AGES))
    result = pj.project(base, 2020, 2025, a)
    five = result.populations[-1]
    # every cohort aged a in 2020 is aged a+5 in 2025, the open group collects 95+ …
    assert np.allclose(five[:, 5:100], base[:, 0:95])
    assert np.allclose(five[:, 100], base[:, 95:].sum(axis=1))
    assert np.allclose(five[:, :5], 0)
    # … and nobody is lost in a closed population without deaths
    assert np.isclose(five[:, 5:].sum(), base.sum())


def test_closed_population_with_mortality_survives_cohort_by_cohort():
    base = np.full((2, pj.AGES), 1000.0)
    a = pj.Assumptions(asfr=np.zeros(pj.AGES))
    nxt, births = pj.step(base, a)
    assert births == 0
    assert np.allclose(nxt[:, 1:100], base[:, :99] * a.survival[:, :99])
    assert np.allclose(nxt[:, 100], base[:, 99] * a.survival[:, 99] + base[:, 100] * a.survival[:, 100])
    deaths = (base * (1 - a.survival)).sum()
    assert np.isclose(nxt.sum(), base.sum() - deaths)


def test_births_follow_fertility_and_sex_ratio():
    base = np.zeros((2, pj.AGES))
    base[pj.FEMALE, 30] = 1000
    asfr = np.zeros(pj.AGES)
    asfr[30] = asfr[31] = 0.1
    a = pj.Assumptions(survival=np.ones((2, pj.AGES)), asfr=asfr, srb=1.0, newborn_survival=np.ones(2))
    nxt, births = pj.step(base, a)
    # women aged 30 at the start and 31 at the end, exposure averaged: 0.1*1000/2 + 0.1*1000/2
    assert births == pytest.approx(100.0)
    assert nxt[pj.MALE, 0] == pytest.approx(50.0) and nxt[pj.FEMALE, 0] == pytest.approx(50.0)


def test_migration_is_added_and_emigration_floors_at_zero():
    base = np.full((2, pj.AGES), 10.0)
    mig = np.zeros((2, pj.AGES))
    mig[0, 25] = 7
    mig[1, 40] = -1000
    a = pj.Assumptions(survival=np.ones((2, pj.AGES)), asfr=np.zeros(pj.AGES), migration=mig)
    nxt, _ = pj.step(base, a)
    assert nxt[0, 25] == pytest.approx(17.0)
    assert nxt[1, 40] == 0


def test_base_year_totals_match_the_statistics():
    base = pj.base_from_aggregates(total=4_035_967, aged_60=849_580, aged_65=620_000, aged_80=98_000,
                                   under_3=100_000)
    s = pj.summarise(base)
    assert (s["total"], s["aged_60"], s["aged_65"], s["aged_80"], s["under_3"]) == (
        4_035_967, 849_580, 620_000, 98_000, 100_000)
    result = pj.project(base, 2020, 2035)
    first = result.summary()[0]
    assert first["year"] == 2020 and first["total"] == 4_035_967 and first["aged_60"] == 849_580
    assert result.years[-1] == 2035 and len(result.populations) == 16


def test_base_rejects_inconsistent_aggregates():
    with pytest.raises(ValueError, match="年龄组"):
        pj.base_from_aggregates(total=100, aged_60=50, aged_65=60)


def test_default_schedule_is_plausible_and_ageing():
    s = pj.default_survival()
    assert 72 < pj.life_expectancy(s[0]) < 80 < pj.life_expectancy(s[1]) < 86
    base = pj.base_from_aggregates(total=1_000_000, aged_60=200_000, under_3=20_000)
    res = pj.project(base, 2020, 2035).summary()
    assert res[-1]["aged_60"] > res[0]["aged_60"]  # low fertility and long lives: the population ages


def test_history_defaults():
    base = pj.base_from_aggregates(total=1_000_000, aged_60=200_000, under_3=20_000)
    asfr = pj.fertility_from_history(8_000, base)
    _, births = pj.step(base, pj.Assumptions(asfr=asfr))
    assert births == pytest.approx(8_000, rel=0.02)
    a = pj.Assumptions(asfr=asfr)
    nxt, _ = pj.step(base, a)
    mig = pj.migration_from_history({2019: 1_000_000, 2020: nxt.sum() + 5_000}, base, a)
    assert mig == pytest.approx(5_000, rel=1e-6)


def test_assumptions_validate_shapes():
    with pytest.raises(ValueError, match="维度"):
        pj.Assumptions(survival=np.ones((2, 5)))
