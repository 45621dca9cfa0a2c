"""Demand norms applied to a population give required capacity; supply subtracted gives the gap.

A norm reads "``rate`` per ``per`` of ``basis`` are needed of ``indicator``": 3 per 100 elderly (60+) need an
institutional bed, 4.5 childcare places per 1,000 people, 55 nursing beds per 100 beds, 20 m² of elderly-care
rooms per 100 households. ``basis`` is a population measure (``population``, ``aged_60``, ``aged_65``,
``aged_80``, ``under_3``, ``households``) or another indicator's demand (``demand:beds``) or supply
(``supply:beds``): the 赤峰 nursing-bed shortfall is 55% of the beds that exist, not of the beds needed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass

POPULATION_BASES = ("population", "aged_60", "aged_65", "aged_80", "under_3", "households")
INDICATORS = {"beds": "养老床位", "nursing_beds": "护理型床位", "places": "托位",
              "elder_area": "养老服务设施面积（㎡）", "child_area": "托育服务设施面积（㎡）"}
BASIS_LABELS = {"population": "常住人口", "aged_60": "60岁及以上老年人", "aged_65": "65岁及以上老年人",
                "aged_80": "80岁及以上老年人", "under_3": "3岁以下婴幼儿", "households": "户数"}


@dataclass(frozen=True)
class Norm:
    indicator: str
    basis: str
    rate: float
    per: float = 1.0
    label: str = ""

    def __post_init__(self) -> None:
        if self.indicator not in INDICATORS:
            raise ValueError(f"指标：未知指标 {self.indicator}")
        kind, _, ref = self.basis.partition(":")
        if self.basis not in POPULATION_BASES and not (kind in ("demand", "supply") and ref in INDICATORS):
            raise ValueError(f"基数：未知基数 {self.basis}")
        if self.rate < 0 or self.per <= 0:
            raise ValueError("标准值须不小于 0，单位基数须为正数")

    def describe(self) -> str:
        kind, _, ref = self.basis.partition(":")
        base = BASIS_LABELS.get(self.basis) or f"{INDICATORS[ref]}{'需求' if kind == 'demand' else '现有数'}"
        if self.per == 100:
            return f"{base}的 {self.rate:g}%"
        return f"每 {self.per:g} {base} {self.rate:g}"


@dataclass
class GapRow:
    indicator: str
    name: str
    norm: str
    basis_value: float
    demand: float
    supply: float
    gap: float  # demand - supply; positive is a shortfall

    def as_dict(self) -> dict:
        return asdict(self)


def _order(norms: Sequence[Norm]) -> list[Norm]:
    """Norms on population first, then norms on other indicators' demand (one level is enough here)."""
    return sorted(norms, key=lambda n: n.basis.startswith("demand:"))


def compute(norms: Sequence[Norm], population: Mapping[str, float | None],
            supply: Mapping[str, float]) -> list[GapRow]:
    """One row per norm: demand from the basis, the supply of the indicator, and the gap."""
    demand: dict[str, float] = {}
    rows: list[GapRow] = []
    for n in _order(norms):
        kind, _, ref = n.basis.partition(":")
        if kind == "demand":
            if ref not in demand:
                raise ValueError(f"基数：{INDICATORS[ref]}的需求须先由另一标准算出")
            base = demand[ref]
        elif kind == "supply":
            base = float(supply.get(ref, 0) or 0)
        else:
            value = population.get(n.basis)
            if value is None:
                raise ValueError(f"缺少人口数据：{BASIS_LABELS[n.basis]}")
            base = float(value)
        need = base * n.rate / n.per
        demand[n.indicator] = need
        have = float(supply.get(n.indicator, 0) or 0)
        rows.append(GapRow(n.indicator, INDICATORS[n.indicator], n.label or n.describe(), base, need, have,
                           need - have))
    return rows


def roll_up(per_region: Iterable[list[GapRow]]) -> list[GapRow]:
    """Sums per indicator and norm over regions (demand, supply and gap add; the basis adds too)."""
    out: dict[tuple[str, str], GapRow] = {}
    for rows in per_region:
        for r in rows:
            key = (r.indicator, r.norm)
            if key not in out:
                out[key] = GapRow(r.indicator, r.name, r.norm, 0.0, 0.0, 0.0, 0.0)
            acc = out[key]
            acc.basis_value += r.basis_value
            acc.demand += r.demand
            acc.supply += r.supply
            acc.gap += r.gap
    return list(out.values())


@dataclass
class AreaCheck:
    name: str
    households: int
    required_m2: float
    delivered_m2: float
    shortfall_m2: float
    rule: str


def residential_checks(areas: Iterable[Mapping], m2_per_100_households: float = 20.0) -> list[AreaCheck]:
    """四同步: residential areas whose elderly-care rooms fall short of ``m2_per_100_households`` per 100 households.

    ``areas``: mappings with ``name``, ``households`` and ``elder_room_area``. Only the areas that fall short are
    returned, each with the rule and its numbers.
    """
    out = []
    for a in areas:
        need = a["households"] / 100.0 * m2_per_100_households
        have = float(a.get("elder_room_area") or 0)
        if have + 1e-9 < need:
            out.append(AreaCheck(a["name"], int(a["households"]), need, have, need - have,
                                 f"每百户不少于 {m2_per_100_households:g} 平方米养老服务用房"))
    return out
