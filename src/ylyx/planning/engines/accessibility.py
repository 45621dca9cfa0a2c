"""Two-step floating catchment (2SFCA) and its enhanced variant with distance decay (E2SFCA).

With pairs (demand i, facility j, network distance d_ij ≤ d0) and a weight W(d) (1 for plain 2SFCA):

    R_j = S_j / Σ_i D_i W(d_ij)        supply per unit of demand that can reach facility j
    A_i = Σ_j R_j W(d_ij)              what demand point i can reach, per unit of its demand

Facilities that no demand reaches get no ratio; demand points that reach nothing get 0. The same definition
as PySAL ``access`` (``two_stage_fca``/``enhanced_two_stage_fca``), computed with numpy bincounts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np


def step_weights(d: np.ndarray, steps: Sequence[tuple[float, float]]) -> np.ndarray:
    """Zone weights: ``steps`` = [(upper bound, weight), …] ascending; beyond the last bound 0.

    Matches ``access.weights.step_fn`` (a distance equal to a bound falls in that zone)."""
    out = np.zeros(len(d))
    assigned = np.zeros(len(d), bool)
    for bound, w in sorted(steps):
        sel = (~assigned) & (d <= bound)
        out[sel] = w
        assigned |= sel
    return out


def gaussian_weights(d: np.ndarray, d0: float) -> np.ndarray:
    """The Gaussian decay of Dai (2010), 0 at and beyond ``d0``."""
    w = (np.exp(-0.5 * (d / d0) ** 2) - np.exp(-0.5)) / (1 - np.exp(-0.5))
    return np.where(d < d0, w, 0.0)


def two_step_fca(demand_pos: np.ndarray, supply_pos: np.ndarray, dist: np.ndarray, demand: np.ndarray,
                 supply: np.ndarray, max_cost: float,
                 weight: Callable[[np.ndarray], np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(A per demand point, R per facility; NaN where no demand reaches) from COO pairs.

    ``demand_pos``/``supply_pos``/``dist`` are the pairs; ``demand``/``supply`` the weights by position.
    """
    demand = np.asarray(demand, float)
    supply = np.asarray(supply, float)
    keep = dist <= max_cost
    i, j, d = demand_pos[keep], supply_pos[keep], dist[keep]
    w = np.ones(len(d)) if weight is None else weight(d)
    reach = np.bincount(j, weights=demand[i] * w, minlength=len(supply))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(reach > 0, supply / reach, np.nan)
    contrib = np.nan_to_num(ratio[j]) * w
    access = np.bincount(i, weights=contrib, minlength=len(demand))
    return access, ratio


def enhanced_two_step_fca(demand_pos, supply_pos, dist, demand, supply, max_cost,
                          steps: Sequence[tuple[float, float]] | None = None):
    """E2SFCA with zone weights; the default zones are Luo & Qi's (1, 0.68, 0.22) over thirds of ``max_cost``."""
    zones = steps or [(max_cost / 3, 1.0), (2 * max_cost / 3, 0.68), (max_cost, 0.22)]
    return two_step_fca(demand_pos, supply_pos, dist, demand, supply, max_cost,
                        lambda d: step_weights(d, zones))
