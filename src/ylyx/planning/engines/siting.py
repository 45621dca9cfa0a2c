"""Facility siting solved exactly with HiGHS: maximal covering (MCLP) and set covering (LSCP).

Input is the coverage relation as pairs (demand position, candidate position) whose network distance is within
the service radius. Before the solver sees anything the problem is reduced, without changing the optimum:

* demand points with identical coverage sets are merged (their weights add); points nothing covers are set aside;
* a candidate whose coverage set is contained in another's is dropped (ties keep the lower index) — any
  solution using it is no better than one using the other;
* a greedy solution and, for MCLP, the rounded LP relaxation (milliseconds), each improved by 1-swaps, are
  tried and the better one is handed to HiGHS as its starting incumbent (a good incumbent is what makes the
  proof fast: from the greedy start alone HiGHS needed ~1 s on the Helsinki 300 m case, from this one 0.2 s).

The MILP goes to ``highspy`` as arrays. The result reports the objective, the bound HiGHS proved and the gap.
A capacity-aware MCLP assigns demand to chosen sites within their capacity (``capacitated_mclp``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import highspy
import numpy as np


@dataclass
class Reduced:
    rows: list[np.ndarray]  # candidate positions (reduced column index) covering each merged row
    weights: np.ndarray  # merged demand weight per row
    columns: np.ndarray  # reduced column -> original candidate position
    n_demand: int
    n_candidates: int
    uncoverable_weight: float


@dataclass
class SitingResult:
    kind: str
    selected: list[int]  # original candidate positions
    objective: float
    bound: float
    gap: float
    status: str
    optimal: bool
    covered_weight: float
    total_weight: float
    sizes: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)


def _rows_from_pairs(demand_pos: np.ndarray, cand_pos: np.ndarray, n_demand: int) -> list[np.ndarray]:
    order = np.lexsort((cand_pos, demand_pos))
    d, c = np.asarray(demand_pos)[order], np.asarray(cand_pos)[order]
    keep = np.ones(len(d), bool)
    keep[1:] = (d[1:] != d[:-1]) | (c[1:] != c[:-1])
    d, c = d[keep], c[keep]
    starts = np.searchsorted(d, np.arange(n_demand + 1))
    return [c[starts[i]:starts[i + 1]] for i in range(n_demand)]


def _dominated(rows: list[np.ndarray], n_cols: int) -> np.ndarray:
    """Columns whose row set is contained in another column's (ties: the higher index is dropped)."""
    n_rows = len(rows)
    lens = np.array([len(r) for r in rows])
    r_idx = np.repeat(np.arange(n_rows), lens)
    c_idx = np.concatenate(rows) if n_rows else np.zeros(0, np.int64)
    size = np.bincount(c_idx, minlength=n_cols)
    try:
        from scipy.sparse import csr_matrix

        m = csr_matrix((np.ones(len(r_idx), np.float32), (r_idx, c_idx)), shape=(n_rows, n_cols))
        common = (m.T @ m).toarray()
    except ImportError:  # pragma: no cover - depends on the environment
        dense = np.zeros((n_rows, n_cols), np.float32)
        dense[r_idx, c_idx] = 1
        common = dense.T @ dense
    # j is dominated by k when |j ∩ k| == |j| and (|k| > |j| or (|k| == |j| and k < j))
    contained = common >= size[:, None] - 0.5
    np.fill_diagonal(contained, False)
    bigger = size[None, :] > size[:, None]
    equal_lower = (size[None, :] == size[:, None]) & (np.arange(n_cols)[None, :] < np.arange(n_cols)[:, None])
    dom = (contained & (bigger | equal_lower)).any(axis=1)
    return dom | (size == 0)


def reduce(demand_pos, cand_pos, weights, n_candidates: int, drop_dominated: bool = True) -> Reduced:
    weights = np.asarray(weights, float)
    n_demand = len(weights)
    rows = _rows_from_pairs(np.asarray(demand_pos, np.int64), np.asarray(cand_pos, np.int64), n_demand)
    merged: dict[bytes, int] = {}
    m_rows: list[np.ndarray] = []
    m_w: list[float] = []
    uncoverable = 0.0
    for i, r in enumerate(rows):
        if len(r) == 0:
            uncoverable += weights[i]
            continue
        key = r.tobytes()
        k = merged.get(key)
        if k is None:
            merged[key] = len(m_rows)
            m_rows.append(r)
            m_w.append(weights[i])
        else:
            m_w[k] += weights[i]
    cols = np.arange(n_candidates)
    if drop_dominated and m_rows:
        dom = _dominated(m_rows, n_candidates)
        cols = np.nonzero(~dom)[0]
        remap = np.full(n_candidates, -1, np.int64)
        remap[cols] = np.arange(len(cols))
        m_rows = [remap[r][remap[r] >= 0] for r in m_rows]
    return Reduced(m_rows, np.array(m_w), cols, n_demand, n_candidates, uncoverable)


def _dense(red: Reduced) -> np.ndarray:
    c = np.zeros((len(red.rows), len(red.columns)), bool)
    for i, r in enumerate(red.rows):
        c[i, r] = True
    return c


def _swap_search(cf: np.ndarray, w: np.ndarray, chosen: list[int], max_swaps: int = 200) -> list[int]:
    """Best-improvement 1-swaps from ``chosen`` (vectorised over all pairs) until none improves."""
    chosen = list(chosen)
    count = cf[:, chosen].sum(axis=1) if chosen else np.zeros(cf.shape[0])
    c = cf > 0
    for _ in range(max_swaps):
        best_delta, best_pair = 1e-9, None
        for a_pos, a in enumerate(chosen):
            without = count - cf[:, a]
            loss = float(w[(without == 0) & c[:, a]].sum())
            gain = (w * (without == 0)) @ cf
            gain[chosen] = -np.inf
            b = int(np.argmax(gain))
            if gain[b] - loss > best_delta:
                best_delta, best_pair = gain[b] - loss, (a_pos, b)
        if best_pair is None:
            break
        a_pos, b = best_pair
        count += cf[:, b] - cf[:, chosen[a_pos]]
        chosen[a_pos] = b
    return chosen


def _value(cf: np.ndarray, w: np.ndarray, chosen: list[int]) -> float:
    return float(w[cf[:, chosen].sum(axis=1) > 0].sum()) if chosen else 0.0


def _greedy_mclp(red: Reduced, p: int, lp_x: np.ndarray | None = None) -> list[int]:
    """Greedy by marginal weight, and (when given) the LP relaxation's largest ``p`` values; each improved by
    1-swaps; the better start is returned."""
    n, nr = len(red.columns), len(red.rows)
    k = min(p, n)
    if k == 0 or nr == 0:
        return list(range(k))
    cf = _dense(red).astype(float)
    w = red.weights
    count = np.zeros(nr)
    chosen: list[int] = []
    for _ in range(k):
        gain = (w * (count == 0)) @ cf
        gain[chosen] = -1.0
        j = int(np.argmax(gain))
        chosen.append(j)
        count += cf[:, j]
    best = _swap_search(cf, w, chosen)
    if lp_x is not None:
        rounded = [int(j) for j in np.argsort(-lp_x, kind="stable")[:k]]
        other = _swap_search(cf, w, rounded)
        if _value(cf, w, other) > _value(cf, w, best):
            best = other
    return best


def _greedy_lscp(red: Reduced) -> list[int]:
    n = len(red.columns)
    col_rows: list[list[int]] = [[] for _ in range(n)]
    for i, r in enumerate(red.rows):
        for j in r.tolist():
            col_rows[j].append(i)
    covered = np.zeros(len(red.rows), bool)
    count = np.array([len(c) for c in col_rows], float)
    chosen: list[int] = []
    while not covered.all():
        j = int(np.argmax(count))
        chosen.append(j)
        new = [i for i in col_rows[j] if not covered[i]]
        covered[new] = True
        count[j] = -1
        for i in new:
            for k in red.rows[i].tolist():
                if count[k] >= 0:
                    count[k] -= 1
    return chosen


def _highs(time_limit: float) -> highspy.Highs:
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("threads", 1)
    h.setOptionValue("time_limit", float(time_limit))
    return h


def _finish(h: highspy.Highs, kind: str, n_x: int, red: Reduced, sense_max: bool):
    h.run()
    status = h.modelStatusToString(h.getModelStatus())
    info = h.getInfo()
    sol = np.asarray(h.getSolution().col_value)
    x = sol[:n_x] if len(sol) else np.zeros(n_x)
    chosen = [int(red.columns[j]) for j in np.nonzero(x > 0.5)[0]]
    return status, float(info.objective_function_value), float(info.mip_dual_bound), float(info.mip_gap), chosen


def mclp(demand_pos, cand_pos, weights, n_candidates: int, p: int, time_limit: float = 60.0,
         reduce_first: bool = True) -> SitingResult:
    """Maximal covering: choose ``p`` candidates maximising the demand weight within reach."""
    if p < 0:
        raise ValueError("选址数量 p 须不小于 0")
    t0 = time.perf_counter()
    weights = np.asarray(weights, float)
    red = reduce(demand_pos, cand_pos, weights, n_candidates, drop_dominated=reduce_first)
    t1 = time.perf_counter()
    nc, nr = len(red.columns), len(red.rows)
    p_eff = min(p, nc)
    t2 = time.perf_counter()
    h = _highs(time_limit)
    inf = highspy.kHighsInf
    # columns: x_j (binary) then y_r (continuous in [0, 1])
    h.addCols(nc, np.zeros(nc), np.zeros(nc), np.ones(nc), 0, np.zeros(0, np.int32), np.zeros(0, np.int32),
              np.zeros(0))
    h.addCols(nr, red.weights, np.zeros(nr), np.ones(nr), 0, np.zeros(0, np.int32), np.zeros(0, np.int32),
              np.zeros(0))
    lens = np.array([len(r) + 1 for r in red.rows], np.int64)
    starts = np.concatenate([[0], np.cumsum(lens)[:-1]]).astype(np.int32)
    idx = np.concatenate([np.concatenate([[nc + i], r]) for i, r in enumerate(red.rows)]).astype(np.int32) \
        if nr else np.zeros(0, np.int32)
    val = np.concatenate([np.concatenate([[1.0], -np.ones(len(r))]) for r in red.rows]) if nr else np.zeros(0)
    h.addRows(nr, np.full(nr, -inf), np.zeros(nr), len(idx), starts, idx, val)
    h.addRow(float(p_eff), float(p_eff), nc, np.arange(nc, dtype=np.int32), np.ones(nc))
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    # the LP relaxation first (milliseconds): its largest x values are a second start for the swap search
    lp_x = None
    t_lp = time.perf_counter()
    if nc and nr:
        h.run()
        lp_x = np.asarray(h.getSolution().col_value)[:nc]
    start = _greedy_mclp(red, p_eff, lp_x)
    t_start = time.perf_counter() - t_lp
    h.changeColsIntegrality(nc, np.arange(nc, dtype=np.int32), np.array([highspy.HighsVarType.kInteger] * nc))
    sol = highspy.HighsSolution()
    xs = np.zeros(nc)
    xs[start] = 1
    cov = np.zeros(nr)
    chosen_set = set(start)
    for i, r in enumerate(red.rows):
        if chosen_set.intersection(r.tolist()):
            cov[i] = 1
    sol.col_value = list(np.concatenate([xs, cov]))
    h.setSolution(sol)
    t3 = time.perf_counter()
    status, obj, bound, gap, chosen = _finish(h, "mclp", nc, red, True)
    t4 = time.perf_counter()
    t2 = t1 + t_start  # report LP relaxation + starts as "greedy", the model arrays as "build"
    if len(chosen) < p:  # fewer useful candidates than p: pad with dropped ones (they add nothing)
        extra = [j for j in range(n_candidates) if j not in set(chosen)]
        chosen = chosen + extra[: p - len(chosen)]
    return SitingResult("mclp", sorted(chosen), obj, bound, gap, status, status == "Optimal", obj,
                        float(weights.sum()),
                        {"demand": len(weights), "candidates": n_candidates, "rows": nr, "columns": nc, "p": p},
                        {"reduce": t1 - t0, "greedy": t2 - t1, "build": t3 - t2, "solve": t4 - t3, "total": t4 - t0})


def lscp(demand_pos, cand_pos, n_demand: int, n_candidates: int, time_limit: float = 60.0,
         reduce_first: bool = True) -> SitingResult:
    """Set covering: the fewest candidates covering every coverable demand point."""
    t0 = time.perf_counter()
    red = reduce(demand_pos, cand_pos, np.ones(n_demand), n_candidates, drop_dominated=reduce_first)
    t1 = time.perf_counter()
    nc, nr = len(red.columns), len(red.rows)
    start = _greedy_lscp(red)
    t2 = time.perf_counter()
    h = _highs(time_limit)
    h.addCols(nc, np.ones(nc), np.zeros(nc), np.ones(nc), 0, np.zeros(0, np.int32), np.zeros(0, np.int32),
              np.zeros(0))
    h.changeColsIntegrality(nc, np.arange(nc, dtype=np.int32), np.array([highspy.HighsVarType.kInteger] * nc))
    lens = np.array([len(r) for r in red.rows], np.int64)
    starts = np.concatenate([[0], np.cumsum(lens)[:-1]]).astype(np.int32) if nr else np.zeros(0, np.int32)
    idx = np.concatenate(red.rows).astype(np.int32) if nr else np.zeros(0, np.int32)
    h.addRows(nr, np.ones(nr), np.full(nr, highspy.kHighsInf), len(idx), starts, idx, np.ones(len(idx)))
    sol = highspy.HighsSolution()
    xs = np.zeros(nc)
    xs[start] = 1
    sol.col_value = list(xs)
    h.setSolution(sol)
    t3 = time.perf_counter()
    status, obj, bound, gap, chosen = _finish(h, "lscp", nc, red, False)
    t4 = time.perf_counter()
    return SitingResult("lscp", sorted(chosen), obj, bound, gap, status, status == "Optimal",
                        float(n_demand) - red.uncoverable_weight, float(n_demand),
                        {"demand": n_demand, "candidates": n_candidates, "rows": nr, "columns": nc,
                         "uncoverable": int(red.uncoverable_weight)},
                        {"reduce": t1 - t0, "greedy": t2 - t1, "build": t3 - t2, "solve": t4 - t3, "total": t4 - t0})


def capacitated_mclp(demand_pos, cand_pos, weights, capacity, n_candidates: int, p: int,
                     time_limit: float = 60.0) -> SitingResult:
    """MCLP where each chosen site serves at most ``capacity[j]`` demand weight (fractional assignment).

    max Σ z_ij  s.t.  Σ_j z_ij ≤ w_i,  Σ_i z_ij ≤ cap_j x_j,  z_ij ≤ w_i x_j,  Σ x_j = p.
    """
    t0 = time.perf_counter()
    w = np.asarray(weights, float)
    cap = np.asarray(capacity, float)
    dp, cp = np.asarray(demand_pos, np.int64), np.asarray(cand_pos, np.int64)
    pairs = np.unique(np.stack([dp, cp], 1), axis=0) if len(dp) else np.zeros((0, 2), np.int64)
    npairs = len(pairs)
    nc = n_candidates
    h = _highs(time_limit)
    h.addCols(nc, np.zeros(nc), np.zeros(nc), np.ones(nc), 0, np.zeros(0, np.int32), np.zeros(0, np.int32),
              np.zeros(0))
    h.changeColsIntegrality(nc, np.arange(nc, dtype=np.int32), np.array([highspy.HighsVarType.kInteger] * nc))
    ub = w[pairs[:, 0]] if npairs else np.zeros(0)
    h.addCols(npairs, np.ones(npairs), np.zeros(npairs), ub, 0, np.zeros(0, np.int32), np.zeros(0, np.int32),
              np.zeros(0))
    inf = highspy.kHighsInf
    for i in np.unique(pairs[:, 0]) if npairs else []:
        ks = np.nonzero(pairs[:, 0] == i)[0]
        h.addRow(-inf, float(w[i]), len(ks), (nc + ks).astype(np.int32), np.ones(len(ks)))
    for j in range(nc):
        ks = np.nonzero(pairs[:, 1] == j)[0]
        idx = np.concatenate([[j], nc + ks]).astype(np.int32)
        h.addRow(-inf, 0.0, len(idx), idx, np.concatenate([[-cap[j]], np.ones(len(ks))]))
    for k in range(npairs):  # z_ij ≤ w_i x_j (tightens the relaxation)
        h.addRow(-inf, 0.0, 2, np.array([nc + k, pairs[k, 1]], np.int32), np.array([1.0, -w[pairs[k, 0]]]))
    h.addRow(float(min(p, nc)), float(min(p, nc)), nc, np.arange(nc, dtype=np.int32), np.ones(nc))
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    red = Reduced([], np.zeros(0), np.arange(nc), len(w), nc, 0.0)
    status, obj, bound, gap, chosen = _finish(h, "cmclp", nc, red, True)
    t1 = time.perf_counter()
    return SitingResult("cmclp", sorted(chosen), obj, bound, gap, status, status == "Optimal", obj, float(w.sum()),
                        {"demand": len(w), "candidates": nc, "pairs": npairs, "p": p}, {"total": t1 - t0})
