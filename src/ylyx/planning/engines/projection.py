"""Cohort-component population projection: single years of age 0..100 (100 = 100 and over), two sexes.

One step moves a population from 1 January of year t to 1 January of year t+1:

    survivors   P'[s, a+1] = P[s, a] * S[s, a]            (a = 0..98)
    open group  P'[s, 100] = P[s, 99] * S[s, 99] + P[s, 100] * S[s, 100]
    births      B = sum_a f[a] * (P[F, a] + P'[F, a]) / 2  (women exposed on average over the year)
    newborns    P'[M, 0] = B * srb/(1+srb) * S0[M];  P'[F, 0] = B /(1+srb) * S0[F]
    migration   P' += M[s, a]                           (net migrants, end of year)

S[s, a] is the probability that a person aged a survives the year (1 - q), S0 the probability that a
newborn survives to the end of its birth year. Every assumption is an array the caller may edit.

The 2020 base comes from aggregate statistics (total, 60+, 65+, 80+, under 3): :func:`base_from_aggregates`
spreads each age bracket over single years in proportion to a model shape (the stationary population of
the mortality assumption, tilted by a growth rate), so that every published aggregate is matched exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

AGES = 101  # 0..99 single years, 100 = 100+
MALE, FEMALE = 0, 1
# Age brackets the statistics publish: [0,3) [3,60) [60,65) [65,80) [80,101)
BRACKETS = ((0, 3), (3, 60), (60, 65), (65, 80), (80, AGES))


def gompertz_makeham_q(a: float = 0.0005, b: float = 0.00003, c: float = 0.098, infant_q: float = 0.006) -> np.ndarray:
    """Yearly death probabilities q[a] for ages 0..100 from a Gompertz–Makeham hazard, q[0] = ``infant_q``."""
    ages = np.arange(AGES, dtype=float)
    hazard = a + b * np.exp(c * ages)
    q = 1.0 - np.exp(-hazard)
    q[0] = infant_q
    q[100] = max(q[100], 0.35)
    return np.clip(q, 0.0, 1.0)


def default_survival() -> np.ndarray:
    """S[sex, age]: a Chinese-like schedule (life expectancy about 76 for men, 81 for women). [S] configurable."""
    q_m = gompertz_makeham_q(a=0.0006, b=0.000035, c=0.095, infant_q=0.0065)
    q_f = gompertz_makeham_q(a=0.0003, b=0.000014, c=0.100, infant_q=0.0055)
    return 1.0 - np.vstack([q_m, q_f])


def default_asfr(tfr: float = 1.3) -> np.ndarray:
    """Age-specific fertility f[a] (births per woman per year) for ages 15..49, scaled to ``tfr``; zero elsewhere."""
    ages = np.arange(AGES, dtype=float)
    shape = np.where((ages >= 15) & (ages <= 49), np.exp(-0.5 * ((ages - 28.5) / 5.0) ** 2), 0.0)
    return shape / shape.sum() * tfr


def life_expectancy(survival_row: np.ndarray) -> float:
    """Period life expectancy at birth of one sex's survival schedule (deaths mid-year, open group 1/q)."""
    s = np.asarray(survival_row, dtype=float)
    lx = np.concatenate([[1.0], np.cumprod(s[:-1])])
    q_open = 1.0 - s[-1]
    years = lx[:-1] * (1.0 + s[:-1]) / 2.0
    return float(years.sum() + (lx[-1] / q_open if q_open > 0 else 0.0))


@dataclass
class Assumptions:
    """Editable assumptions. ``survival`` [2, 101], ``asfr`` [101], ``migration`` [2, 101] net migrants per year."""

    survival: np.ndarray = field(default_factory=default_survival)
    asfr: np.ndarray = field(default_factory=default_asfr)
    srb: float = 1.10  # boys per girl at birth
    migration: np.ndarray = field(default_factory=lambda: np.zeros((2, AGES)))
    newborn_survival: np.ndarray | None = None  # [2]; default: 1 - q0 / 2

    def __post_init__(self) -> None:
        self.survival = np.asarray(self.survival, dtype=float)
        self.asfr = np.asarray(self.asfr, dtype=float)
        self.migration = np.asarray(self.migration, dtype=float)
        if self.survival.shape != (2, AGES) or self.migration.shape != (2, AGES) or self.asfr.shape != (AGES,):
            raise ValueError("假设参数维度错误：存活率与迁移为 2×101，生育率为 101")
        if np.any(self.survival < 0) or np.any(self.survival > 1):
            raise ValueError("存活率须在 0 到 1 之间")
        if np.any(self.asfr < 0):
            raise ValueError("生育率不能为负")
        if self.srb <= 0:
            raise ValueError("出生性别比须为正数")

    @property
    def s0(self) -> np.ndarray:
        if self.newborn_survival is not None:
            return np.asarray(self.newborn_survival, dtype=float)
        return 1.0 - (1.0 - self.survival[:, 0]) / 2.0

    @property
    def tfr(self) -> float:
        return float(self.asfr.sum())

    def scaled(self, tfr: float | None = None, migration_total: float | None = None) -> Assumptions:
        """A copy with fertility rescaled to ``tfr`` and/or migration rescaled to ``migration_total`` a year."""
        asfr = self.asfr.copy()
        if tfr is not None:
            asfr = asfr / asfr.sum() * tfr if asfr.sum() > 0 else default_asfr(tfr)
        mig = self.migration.copy()
        if migration_total is not None:
            mig = mig / mig.sum() * migration_total if mig.sum() != 0 else migration_profile(migration_total)
        return Assumptions(self.survival.copy(), asfr, self.srb, mig, self.newborn_survival)


def migration_profile(total: float) -> np.ndarray:
    """Net migrants spread over ages like working-age movers (peak at 22–30), half each sex."""
    ages = np.arange(AGES, dtype=float)
    shape = np.exp(-0.5 * ((ages - 26.0) / 8.0) ** 2) + 0.15 * np.exp(-0.5 * (ages / 4.0) ** 2)
    shape = shape / shape.sum()
    return np.vstack([shape, shape]) * total / 2.0


def step(pop: np.ndarray, a: Assumptions) -> tuple[np.ndarray, float]:
    """One year ahead; returns (population on 1 January of the next year, births during the year)."""
    pop = np.asarray(pop, dtype=float)
    nxt = np.zeros_like(pop)
    surv = pop * a.survival
    nxt[:, 1:AGES - 1] = surv[:, 0:AGES - 2]
    nxt[:, AGES - 1] = surv[:, AGES - 2] + surv[:, AGES - 1]
    births = float((a.asfr * (pop[FEMALE] + nxt[FEMALE]) / 2.0).sum())
    s0 = a.s0
    nxt[MALE, 0] = births * a.srb / (1.0 + a.srb) * s0[MALE]
    nxt[FEMALE, 0] = births / (1.0 + a.srb) * s0[FEMALE]
    nxt += a.migration
    np.maximum(nxt, 0.0, out=nxt)  # emigration cannot take more people than there are
    return nxt, births


@dataclass
class Projection:
    base_year: int
    years: list[int]
    populations: list[np.ndarray]  # [2, 101] on 1 January ... reported as the year's population
    births: list[float]  # births during the year leading to each entry (0 for the base year)

    def summary(self) -> list[dict]:
        """Per year: total, 60+, 65+, 80+, under 3, births (rounded to whole people)."""
        out = []
        for year, pop, b in zip(self.years, self.populations, self.births, strict=True):
            out.append({"year": year, **summarise(pop), "births": round(b)})
        return out


def summarise(pop: np.ndarray) -> dict:
    by_age = np.asarray(pop).sum(axis=0)
    return {"total": round(float(by_age.sum())), "aged_60": round(float(by_age[60:].sum())),
            "aged_65": round(float(by_age[65:].sum())), "aged_80": round(float(by_age[80:].sum())),
            "under_3": round(float(by_age[:3].sum())), "male": round(float(np.asarray(pop)[MALE].sum())),
            "female": round(float(np.asarray(pop)[FEMALE].sum()))}


def project(base: np.ndarray, base_year: int, last_year: int, assumptions: Assumptions | None = None) -> Projection:
    """Project ``base`` (population of ``base_year``) year by year to ``last_year`` inclusive."""
    if last_year < base_year:
        raise ValueError("预测终止年份不能早于基期年份")
    a = assumptions or Assumptions()
    pops = [np.asarray(base, dtype=float).copy()]
    births = [0.0]
    for _ in range(base_year, last_year):
        nxt, b = step(pops[-1], a)
        pops.append(nxt)
        births.append(b)
    return Projection(base_year, list(range(base_year, last_year + 1)), pops, births)


def model_shape(survival: np.ndarray | None = None, growth: float = -0.005) -> np.ndarray:
    """Relative single-year sizes [2, 101] of a stable population: l[a] * exp(-growth * a)."""
    s = default_survival() if survival is None else np.asarray(survival, dtype=float)
    lx = np.hstack([np.ones((2, 1)), np.cumprod(s[:, :-1], axis=1)])
    lx[:, -1] = lx[:, -1] / max(1.0 - s[:, -1].mean(), 1e-6)  # open group holds all remaining years
    return lx * np.exp(-growth * np.arange(AGES))[None, :]


def base_from_aggregates(total: float, aged_60: float | None = None, aged_65: float | None = None,
                         aged_80: float | None = None, under_3: float | None = None,
                         male_share: float = 0.51, survival: np.ndarray | None = None,
                         growth: float = -0.005) -> np.ndarray:
    """A [2, 101] base population whose totals equal the published aggregates exactly.

    Missing aggregates are taken from the model shape. Within each bracket single years follow the model
    shape; the sexes split by ``male_share`` below 60 and by the model's survival above.
    """
    if total <= 0:
        raise ValueError("常住人口须为正数")
    shape = model_shape(survival, growth)
    shape_all = shape.sum(axis=0)
    frac = shape_all / shape_all.sum()

    def share(lo: int, hi: int = AGES) -> float:
        return float(frac[lo:hi].sum()) * total

    a60 = share(60) if aged_60 is None else float(aged_60)
    a65 = (a60 * share(65) / share(60)) if aged_65 is None else float(aged_65)
    a80 = (a65 * share(80) / share(65)) if aged_80 is None else float(aged_80)
    u3 = (share(0, 3)) if under_3 is None else float(under_3)
    sums = [u3, total - a60 - u3, a60 - a65, a65 - a80, a80]
    if min(sums) < 0:
        raise ValueError("年龄组人数不一致：须满足 总人口 ≥ 60岁以上 ≥ 65岁以上 ≥ 80岁以上，且 3岁以下 + 60岁以上 ≤ 总人口")
    pop = np.zeros((2, AGES))
    young = np.array([male_share, 1.0 - male_share])
    for (lo, hi), n in zip(BRACKETS, sums, strict=True):
        part = shape[:, lo:hi].copy()
        if hi <= 60:
            part = part.sum(axis=0)[None, :] * young[:, None]
        denom = part.sum()
        if denom > 0:
            pop[:, lo:hi] = part / denom * n
    return pop


def fertility_from_history(births: float, base: np.ndarray, shape: np.ndarray | None = None) -> np.ndarray:
    """ASFR whose births on ``base`` equal ``births`` (a region's own recorded births)."""
    asfr = default_asfr(1.0) if shape is None else np.asarray(shape, dtype=float)
    exposure = float((asfr * np.asarray(base)[FEMALE]).sum())
    if exposure <= 0:
        return asfr * 0
    return asfr * (births / exposure)


def migration_from_history(totals: dict[int, float], base: np.ndarray, assumptions: Assumptions) -> float:
    """Average yearly net migration implied by consecutive recorded totals, after natural change."""
    years = sorted(totals)
    if len(years) < 2:
        return 0.0
    residuals = []
    for y0, y1 in zip(years, years[1:], strict=False):
        if y1 - y0 != 1:
            continue
        scaled = np.asarray(base) * (totals[y0] / np.asarray(base).sum())
        nxt, _ = step(scaled, Assumptions(assumptions.survival, assumptions.asfr, assumptions.srb))
        residuals.append(totals[y1] - float(nxt.sum()))
    return float(np.mean(residuals)) if residuals else 0.0
