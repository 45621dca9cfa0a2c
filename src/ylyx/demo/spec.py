"""What the demo city must add up to: the 巴彦淖尔 plan's 2020 figures and its 2025 path, at a scale.

All 2020 figures are from shared/seeds/004 (indicators/data/plans/bayannur-2021.yaml). Figures the plan
does not publish (80+, households, births, the 2021–2024 path) are plausible assumptions, marked so.
At ``scale`` < 1 every count is scaled and rounded, keeping at least one of each institution type, so
tests can build a small city with the same shape; :meth:`Spec.expected_2020` is what the registry
statistics must then show.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

SEED = 20201231
BASELINE = dt.date(2020, 12, 31)
HORIZON = dt.date(2025, 12, 31)
CITY = "150800"
CITY_CODE = "150800000000"
YEARS = (2020, 2021, 2022, 2023, 2024, 2025)

# County code, name, 2020 population weight (approximate census), seat lat/lon, spread in degrees,
# and (街道, 镇, 乡/苏木) counts.
COUNTIES = [
    ("150802", "临河区", 541_721, 40.756, 107.417, 0.22, (10, 8, 2)),
    ("150821", "五原县", 236_524, 41.088, 108.270, 0.25, (1, 8, 1)),
    ("150822", "磴口县", 110_577, 40.450, 107.010, 0.25, (1, 4, 1)),
    ("150823", "乌拉特前旗", 266_839, 40.730, 108.650, 0.40, (2, 9, 2)),
    ("150824", "乌拉特中旗", 125_016, 41.570, 108.520, 0.55, (1, 5, 5)),
    ("150825", "乌拉特后旗", 59_929, 41.300, 106.900, 0.55, (1, 2, 4)),
    ("150826", "杭锦后旗", 198_141, 40.890, 107.150, 0.22, (2, 8, 1)),
]
BBOX = (40.35, 42.3, 105.2, 109.5)  # lat min/max, lon min/max

# City series. 2020: the plan; 2025: the plan's projections (60+ 460,000; under 3 32,400; 4.5 places
# per 1,000 on 1.52 million people); other values: assumptions.
POPULATION = {
    2020: dict(total=1_538_700, aged_60=325_000, aged_65=221_400, aged_80=44_800, births=11_900),
    2021: dict(total=1_535_900, aged_60=349_000, aged_65=236_000, aged_80=46_500, births=11_600),
    2022: dict(total=1_531_600, aged_60=375_000, aged_65=251_000, aged_80=48_300, births=11_200),
    2023: dict(total=1_527_200, aged_60=402_000, aged_65=266_500, aged_80=50_200, births=10_900),
    2024: dict(total=1_523_100, aged_60=430_000, aged_65=283_000, aged_80=52_100, births=10_800),
    2025: dict(total=1_520_000, aged_60=460_000, aged_65=300_000, aged_80=54_000, births=10_700),
}
BIRTHS_BEFORE = {2018: 12_800, 2019: 12_300}  # with 2020's 11,900: 37,000 under three at 2020-12-31

ELDER_2020 = {"public": 10, "public_private": 15, "private": 16}
COMMUNITY_2020 = {"day_care": 30, "happiness": 50}
RURAL_STATIONS_2020 = 98
CHILDCARE_2020 = 58
CHILDCARE_SUBTYPES_2020 = {"cc_profit": 25, "cc_affordable": 12, "cc_kindergarten": 10, "cc_community": 5,
                           "cc_public": 2, "cc_employer": 2, "cc_family": 2}
FILED_2020 = 2
BEDS_2020 = 12_276
NURSING_SHARE_2020 = 40  # percent of kind=elder beds, exactly
PLACES_2020 = 1_231
SOCIAL_WORKERS_2020 = 234  # 0.72 per 1,000 of 325,000

# 2021–2025 growth (assumptions on the plan's path).
BEDS_2025 = 14_276
NURSING_SHARE_2025 = 56.2
FILED_2025 = 60
PLACES_PER_1000_2025 = 4.0  # the plan's target is 4.5: the demo city is behind on purpose
SOCIAL_WORKERS_2025 = 470
NEW_ELDER = {"public_private": 2, "private": 3, "medical": 2}
NEW_COMMUNITY = {"street_center": 5, "day_care": 12, "happiness": 6, "rural_station": 30, "meal": 15}
NEW_CHILDCARE = {"cc_affordable": 30, "cc_profit": 28, "cc_public": 6, "cc_kindergarten": 8, "cc_community": 5,
                 "cc_employer": 3}
EXPANSIONS = 8
CLOSURES = 1


def _sc(x: float, scale: float) -> int:
    return int(math.floor(x * scale + 0.5))


@dataclass(frozen=True)
class Spec:
    scale: float = 1.0
    seed: int = SEED
    population: dict[int, dict[str, int]] = field(default_factory=dict)
    births_before: dict[int, int] = field(default_factory=dict)
    elder_2020: dict[str, int] = field(default_factory=dict)
    community_2020: dict[str, int] = field(default_factory=dict)
    rural_stations_2020: int = 0
    childcare_2020: dict[str, int] = field(default_factory=dict)
    filed_2020: int = 0
    beds_2020: int = 0
    places_2020: int = 0
    social_workers_2020: int = 0
    beds_2025: int = 0
    filed_2025: int = 0
    places_2025: int = 0
    social_workers_2025: int = 0
    new_elder: dict[str, int] = field(default_factory=dict)
    new_community: dict[str, int] = field(default_factory=dict)
    new_childcare: dict[str, int] = field(default_factory=dict)
    expansions: int = 0
    closures: int = 0

    @classmethod
    def at(cls, scale: float = 1.0, seed: int = SEED) -> Spec:
        if not 0 < scale <= 1.0:
            raise ValueError("scale must be in (0, 1]")

        def sc(x):
            return _sc(x, scale)

        def sc1(x):
            return max(1, _sc(x, scale))

        pop: dict[int, dict[str, int]] = {}
        before = {y: sc(v) for y, v in BIRTHS_BEFORE.items()}
        for year, row in POPULATION.items():
            pop[year] = {k: sc(v) for k, v in row.items()}
        # Under-three counts are the last three years' births, so 2020 is exactly 37,000 at scale 1.
        births = {**before, **{y: pop[y]["births"] for y in POPULATION}}
        for year in POPULATION:
            pop[year]["under_3"] = births[year] + births[year - 1] + births[year - 2]
        childcare = {k: sc1(v) for k, v in CHILDCARE_SUBTYPES_2020.items()} if scale < 1 else dict(
            CHILDCARE_SUBTYPES_2020)
        if scale < 1:  # keep the small city small: drop rare subtypes beyond the scaled total
            want = sc1(CHILDCARE_2020)
            for k in sorted(childcare, key=lambda k: CHILDCARE_SUBTYPES_2020[k]):
                if sum(childcare.values()) > want and childcare[k] > 0 and k != "cc_profit":
                    childcare[k] = 0
        n_cc = sum(childcare.values())
        return cls(
            scale=scale, seed=seed, population=pop, births_before=before,
            elder_2020={k: sc1(v) for k, v in ELDER_2020.items()},
            community_2020={k: sc1(v) for k, v in COMMUNITY_2020.items()},
            rural_stations_2020=sc1(RURAL_STATIONS_2020),
            childcare_2020=childcare,
            filed_2020=min(sc1(FILED_2020), n_cc),
            beds_2020=sc(BEDS_2020),
            places_2020=max(sc(PLACES_2020), 5 * n_cc),
            social_workers_2020=sc(SOCIAL_WORKERS_2020),
            beds_2025=sc(BEDS_2025),
            filed_2025=sc(FILED_2025),
            places_2025=int(round(PLACES_PER_1000_2025 * pop[2025]["total"] / 1000)),
            social_workers_2025=sc(SOCIAL_WORKERS_2025),
            new_elder={k: sc(v) for k, v in NEW_ELDER.items()},
            new_community={k: sc(v) for k, v in NEW_COMMUNITY.items()},
            new_childcare={k: sc(v) for k, v in NEW_CHILDCARE.items()},
            expansions=sc1(EXPANSIONS),
            closures=sc(CLOSURES),
        )

    @property
    def elder_care_2020(self) -> int:
        return sum(self.elder_2020.values()) + sum(self.community_2020.values())

    def expected_2020(self) -> dict:
        """The figures ``registry_stats(150800, 2020-12-31)`` must show for a city built from this spec."""
        p = self.population[2020]
        n_cc = sum(self.childcare_2020.values())
        return {
            "population.total": p["total"], "population.aged_60": p["aged_60"], "population.aged_65": p["aged_65"],
            "population.aged_80": p["aged_80"], "population.under_3": p["under_3"],
            "elderly.aged_60": p["aged_60"], "elderly.aged_65": p["aged_65"], "elderly.aged_80": p["aged_80"],
            "infants.under_3": p["under_3"],
            "elder_care.total": self.elder_care_2020,
            **{f"elder_care.by_subtype.{k}": v for k, v in {**self.elder_2020, **self.community_2020}.items()},
            "elder_care.rural_stations": self.rural_stations_2020,
            "capacity.beds": self.beds_2020,
            "capacity.nursing_bed_share": float(NURSING_SHARE_2020),
            "childcare.institutions": n_cc, "childcare.filed": self.filed_2020,
            "childcare.places": self.places_2020,
            "practitioners.by_role.social_worker": self.social_workers_2020,
        }
