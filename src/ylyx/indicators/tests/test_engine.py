"""Hand-worked values on the small registry of ``data.build``, at dates either side of each change."""

import datetime as dt

import pytest

from ylyx.indicators import formulas as F
from ylyx.indicators import reference
from ylyx.indicators.selectors import gather

from .data import build

D = dt.date
CITY, LINHE, WUYUAN = "150800000000", "150802000000", "150821000000"
LINHE_T, LINHE_V, WUYUAN_T, WUYUAN_V = "150802001000", "150802001001", "150821100000", "150821100200"


@pytest.fixture
def reg(tree):
    return build(tree)


def values(tree, code_def, on, code):
    d = F.CATALOGUE[code_def]
    g = gather(tree["city"], [on], d.metrics)
    return F.evaluate(d, g.at(0), code)


def test_beds_and_nursing_share_hand_worked(tree, reg):
    on = D(2020, 12, 31)
    assert values(tree, "elderly_beds", on, LINHE).value == 120  # 100 institution + 20 community
    assert values(tree, "elderly_beds", on, WUYUAN).value == 200  # the planned 500 beds do not count
    assert values(tree, "elderly_beds", on, CITY).value == 320
    assert values(tree, "nursing_bed_share", on, LINHE).value == 10.0
    assert values(tree, "nursing_bed_share", on, WUYUAN).value == 90.0
    city = values(tree, "nursing_bed_share", on, CITY)
    # ratio of sums: (10 + 180) / (100 + 200); the mean of the counties' shares would be 50
    assert city.value == pytest.approx(63.3333, abs=1e-4)
    assert (city.numerator, city.denominator) == (190, 300)
    assert values(tree, "socially_operated_bed_share", on, CITY).value == pytest.approx(66.6667, abs=1e-4)
    assert values(tree, "beds_per_1000_elderly", on, CITY).value == 16.0  # 320 / 20000 * 1000


def test_capacity_change_applies_from_its_date(tree, reg):
    before, on_day = D(2022, 6, 30), D(2022, 7, 1)
    assert values(tree, "nursing_bed_share", before, LINHE).value == 10.0
    assert values(tree, "nursing_bed_share", on_day, LINHE).value == 50.0  # 60 / 120
    assert values(tree, "elderly_beds", on_day, CITY).value == 340
    city = values(tree, "nursing_bed_share", on_day, CITY)
    assert (city.numerator, city.denominator) == (240, 320)
    assert city.value == 75.0


def test_filing_counts_between_filed_and_cancelled(tree, reg):
    assert values(tree, "filed_childcare_institutions", D(2020, 5, 31), CITY).value == 0
    assert values(tree, "filed_childcare_institutions", D(2020, 6, 1), CITY).value == 1
    assert values(tree, "filed_childcare_institutions", D(2021, 5, 1), CITY).value == 2
    assert values(tree, "filed_childcare_institutions", D(2021, 5, 1), WUYUAN).value == 1
    assert values(tree, "filed_childcare_institutions", D(2022, 12, 31), CITY).value == 2
    assert values(tree, "filed_childcare_institutions", D(2023, 1, 1), CITY).value == 1  # cancelled that day
    assert values(tree, "filed_childcare_institutions", D(2023, 1, 1), WUYUAN).value == 0


def test_death_ends_occupancy_without_a_closed_residence(tree, reg):
    before, after = D(2021, 6, 29), D(2021, 6, 30)
    occ = values(tree, "occupancy_rate", before, LINHE)
    assert (occ.numerator, occ.denominator, occ.value) == (2, 100, 2.0)
    occ = values(tree, "occupancy_rate", after, LINHE)
    assert (occ.numerator, occ.denominator, occ.value) == (1, 100, 1.0)
    assert values(tree, "occupancy_rate", after, WUYUAN).value is None  # no residents: no denominator


def test_childcare_places_per_1000_and_affordable_share(tree, reg):
    on = D(2020, 12, 31)
    assert values(tree, "childcare_places", on, CITY).value == 50
    assert values(tree, "childcare_places_per_1000", on, CITY).value == 0.5  # 50 / 100000 * 1000
    assert values(tree, "childcare_places_per_1000", on, WUYUAN).value == 0.0
    assert values(tree, "affordable_place_share", on, CITY).value == 40.0
    on = D(2021, 3, 1)  # 五原's 30 places open
    assert values(tree, "childcare_places", on, CITY).value == 80
    assert values(tree, "affordable_place_share", on, CITY).value == 25.0  # 20 / 80
    assert values(tree, "childcare_institutions", on, CITY).value == 2


def test_coverage_counts_villages_and_towns(tree, reg):
    on = D(2020, 12, 31)
    v = values(tree, "community_facility_coverage", on, CITY)
    assert (v.numerator, v.denominator, v.value) == (1, 2, 50.0)  # the day-care centre's village of two
    assert values(tree, "community_facility_coverage", on, LINHE).value == 100.0
    assert values(tree, "community_facility_coverage", on, WUYUAN).value == 0.0
    t = values(tree, "town_center_coverage", on, CITY)
    assert (t.numerator, t.denominator, t.value) == (1, 2, 50.0)
    assert values(tree, "town_center_coverage", D(2020, 2, 29), CITY).value == 0.0  # centre opens 2020-03-01
    assert values(tree, "elderly_institutions", on, CITY).value == 4


def test_workforce_definitions(tree, reg):
    on = D(2020, 12, 31)
    r = values(tree, "practitioner_certified_rate", on, CITY)
    assert (r.numerator, r.denominator) == (2, 3)  # cg2 is employed without a certificate
    assert values(tree, "practitioner_certified_rate", D(2022, 1, 1), WUYUAN).value == 0.0  # cg1's expired
    # on its last day cg1's certificate is still valid; cg2 (no certificate) leaves on 2022-01-01
    assert values(tree, "practitioner_certified_rate", D(2021, 12, 31), WUYUAN).value == 50.0
    assert values(tree, "trained_practitioners", on, CITY).value == 1  # cg1 twice counts once; cg2 failed
    assert values(tree, "trained_practitioners", D(2021, 12, 31), CITY).value == 0
    assert values(tree, "social_workers_per_1000_elderly", on, CITY).value == 0.05  # 1 / 20000 * 1000
    assert values(tree, "social_workers_per_1000_elderly", on, LINHE).value == pytest.approx(0.0833, abs=1e-4)


def test_engine_agrees_with_the_per_region_reference(tree, reg):
    """Every built-in definition, every region, several dates: grouped-and-rolled-up == one query per region.
    (Definitions other modules register, e.g. supervision's, are tested with their module.)"""
    from ylyx.regions.models import Region

    regions = list(Region.objects.filter(code__startswith="1508"))
    dates = [D(2020, 12, 31), D(2021, 6, 30), D(2022, 7, 1), D(2023, 1, 1)]
    metrics = F.metrics_for(F.BUILTIN)
    g = gather(tree["city"], dates, metrics)
    for i, on in enumerate(dates):
        for code in F.BUILTIN:
            for region in regions:
                fast = F.evaluate(F.BUILTIN[code], g.at(i), region.code).value
                slow = reference.value(code, region, on)
                assert fast == slow, (code, region.code, on, fast, slow)


def test_one_query_per_source_whatever_the_number_of_regions(tree, reg, django_assert_max_num_queries):
    from ylyx import testing
    from ylyx.regions.models import Region

    metrics = F.metrics_for(F.BUILTIN)
    dates = [D(2020, 12, 31), D(2021, 12, 31), D(2022, 12, 31)]
    with django_assert_max_num_queries(9):
        gather(tree["city"], dates, metrics)
    # ten more villages with facilities: still the same number of queries
    for n in range(10):
        v = Region.objects.create(code=f"150821100{n + 201:03d}", name=f"村{n}", level=5, parent=tree["wuyuan_town"])
        inst = testing.make_institution(v, kind="community", subtype="happiness", beds=5, nursing_beds=0)
        from .data import cap
        cap(inst, D(2019, 1, 1), beds=5)
    with django_assert_max_num_queries(9):
        g = gather(tree["city"], dates, metrics)
    assert g.values["villages_covered"][0][CITY] == 11
    assert g.values["villages"][0][CITY] == 12
