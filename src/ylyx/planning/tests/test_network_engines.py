"""Network distances, 2SFCA and siting against brute force on small graphs, and the real OSM extract."""

import itertools
import math

import numpy as np
import pytest

from ylyx.planning.engines import accessibility as A
from ylyx.planning.engines import network as N
from ylyx.planning.engines import siting as S


def random_graph(n=40, m=90, seed=0):
    rng = np.random.default_rng(seed)
    u = rng.integers(0, n, m)
    v = rng.integers(0, n, m)
    w = rng.uniform(10, 200, m).round(1)
    x, y = rng.uniform(0, 1000, n), rng.uniform(0, 1000, n)
    return N.from_edges(n, u, v, w, x, y), (u, v, w)


def floyd(n, u, v, w):
    d = np.full((n, n), np.inf)
    np.fill_diagonal(d, 0)
    for a, b, c in zip(u, v, w, strict=True):
        if a != b:
            d[a, b] = d[b, a] = min(d[a, b], c)
    for k in range(n):
        d = np.minimum(d, d[:, [k]] + d[[k], :])
    return d


MODES = [False] + ([True] if N.HAVE_SCIPY else [])


@pytest.mark.parametrize("use_scipy", MODES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_nearest_matches_brute_force(seed, use_scipy):
    g, (u, v, w) = random_graph(seed=seed)
    full = floyd(g.n, u, v, w)
    sources = np.array([3, 17, 17, 29])
    dist, pos = N.nearest(g, sources, limit=300, use_scipy=use_scipy)
    expect = full[sources].min(axis=0)
    expect[expect > 300] = np.inf
    assert np.allclose(dist, expect)
    reach = np.isfinite(dist)
    assert np.allclose(full[sources[pos[reach]], np.nonzero(reach)[0]], dist[reach])
    assert (pos[~reach] == -1).all()


@pytest.mark.parametrize("use_scipy", MODES)
def test_pair_distances_match_brute_force_with_shared_nodes(use_scipy):
    g, (u, v, w) = random_graph(seed=5)
    full = floyd(g.n, u, v, w)
    sources = np.array([1, 4, 4, 9, 30])
    targets = np.array([0, 2, 2, 5, 7, 11, 30, 39, 4])
    s, t, d = N.pair_distances(g, sources, targets, 250, use_scipy=use_scipy)
    got = {(int(a), int(b)): float(c) for a, b, c in zip(s, t, d, strict=True)}
    want = {(i, j): full[sources[i], targets[j]] for i in range(len(sources)) for j in range(len(targets))
            if full[sources[i], targets[j]] <= 250}
    assert got.keys() == want.keys()
    assert all(math.isclose(got[k], want[k]) for k in want)


def test_coverage_and_minutes():
    dist = np.array([0, 100, 2000, np.inf])
    c = N.coverage(dist, np.array([0, 1, 2, 3]), np.array([1, 2, 3, 4]), N.minutes_to_metres(15))
    assert N.minutes_to_metres(15) == pytest.approx(1125)
    assert c["covered"] == 3 and c["total"] == 10 and c["points_covered"] == 2


def test_snap_finds_the_nearest_node():
    g, _ = random_graph(n=200, m=400, seed=3)
    rng = np.random.default_rng(9)
    px, py = rng.uniform(-100, 1100, 50), rng.uniform(-100, 1100, 50)
    got = N.snap(g, px, py)
    brute = np.argmin((g.x[None, :] - px[:, None]) ** 2 + (g.y[None, :] - py[:, None]) ** 2, axis=1)
    d_got = np.hypot(g.x[got] - px, g.y[got] - py)
    d_brute = np.hypot(g.x[brute] - px, g.y[brute] - py)
    assert np.allclose(d_got, d_brute)


def test_2sfca_matches_the_definition():
    rng = np.random.default_rng(0)
    nd, ns = 30, 6
    dist = rng.uniform(0, 1500, (nd, ns))
    demand, supply = rng.uniform(1, 100, nd), rng.uniform(1, 50, ns)
    i, j = np.nonzero(dist <= 1000)
    for weight in (None, lambda d: A.step_weights(d, [(300, 1.0), (600, 0.68), (1000, 0.22)])):
        acc, ratio = A.two_step_fca(i, j, dist[i, j], demand, supply, 1000, weight)
        W = np.where(dist <= 1000, 1.0 if weight is None else weight(dist.ravel()).reshape(dist.shape), 0.0)
        R = supply / (demand[:, None] * W).sum(axis=0)
        expect = (W * R[None, :]).sum(axis=1)
        assert np.allclose(acc, expect, rtol=0, atol=1e-12)
        assert np.allclose(ratio, R)
    e_acc, _ = A.enhanced_two_step_fca(i, j, dist[i, j], demand, supply, 900)
    assert e_acc.shape == (nd,)
    assert A.gaussian_weights(np.array([0.0, 1000.0]), 1000).tolist() == [1.0, 0.0]


def brute_mclp(cover, w, p):
    best = -1.0
    for combo in itertools.combinations(range(cover.shape[1]), p):
        best = max(best, float(w[cover[:, list(combo)].any(axis=1)].sum()))
    return best


def brute_lscp(cover):
    need = cover.any(axis=1)
    for k in range(1, cover.shape[1] + 1):
        for combo in itertools.combinations(range(cover.shape[1]), k):
            if (cover[:, list(combo)].any(axis=1) >= need).all():
                return k
    return 0


@pytest.mark.parametrize("seed", range(6))
def test_mclp_and_lscp_match_brute_force(seed):
    rng = np.random.default_rng(seed)
    nd, nc = 25, 9
    cover = rng.random((nd, nc)) < 0.25
    w = rng.integers(1, 20, nd).astype(float)
    i, j = np.nonzero(cover)
    for p in (1, 2, 3):
        for red in (True, False):
            r = S.mclp(i, j, w, nc, p, reduce_first=red)
            assert r.optimal and r.gap <= 1e-9
            assert r.objective == pytest.approx(brute_mclp(cover, w, p))
            assert len(r.selected) == p
            assert float(w[cover[:, r.selected].any(axis=1)].sum()) == pytest.approx(r.objective)
    ls = S.lscp(i, j, nd, nc)
    assert ls.optimal and ls.objective == brute_lscp(cover)
    assert (cover[:, ls.selected].any(axis=1) >= cover.any(axis=1)).all()


def test_mclp_with_more_sites_than_useful_candidates():
    cover = np.array([[1, 1, 0], [1, 1, 0], [0, 0, 0]], bool)  # candidate 1 duplicates 0, candidate 2 covers nothing
    i, j = np.nonzero(cover)
    r = S.mclp(i, j, np.array([1.0, 2.0, 5.0]), 3, p=3)
    assert r.objective == 3 and len(r.selected) == 3 and r.sizes["columns"] == 1


def test_capacitated_mclp_respects_capacity():
    cover = np.array([[1, 0], [1, 1], [0, 1]], bool)
    i, j = np.nonzero(cover)
    r = S.capacitated_mclp(i, j, np.array([10.0, 10.0, 10.0]), np.array([15.0, 100.0]), 2, p=1)
    assert r.optimal and r.objective == pytest.approx(20.0) and r.selected == [1]
    r2 = S.capacitated_mclp(i, j, np.array([10.0, 10.0, 10.0]), np.array([15.0, 100.0]), 2, p=2)
    assert r2.objective == pytest.approx(30.0)


def test_grid_graph_is_connected_and_synthetic():
    g = N.grid_graph(20, 30, seed=1, origin=(107.4, 40.75))
    dist, _ = N.nearest(g, np.array([0]), use_scipy=False)
    assert np.isfinite(dist).all() and g.synthetic and g.lon is not None


@pytest.fixture(scope="module")
def osm():
    import pyrosm

    return N.from_pyrosm(pyrosm.get_data("test_pbf"))


def test_real_extract_walking_network(osm):
    assert osm.n > 500 and osm.n_edges > 500 and not osm.synthetic
    assert 5_000 < osm.length_m() < 500_000
    src = np.arange(0, osm.n, 97)
    d_py, _ = N.nearest(osm, src, 1000, use_scipy=False)
    if N.HAVE_SCIPY:
        d_sp, _ = N.nearest(osm, src, 1000, use_scipy=True)
        assert np.allclose(np.nan_to_num(d_py, posinf=-1), np.nan_to_num(d_sp, posinf=-1))
    hull = N.convex_hull(osm.x[N.isochrone_nodes(osm, 0, 500)], osm.y[N.isochrone_nodes(osm, 0, 500)])
    assert len(hull) >= 3


def test_dominance_without_scipy_gives_the_same_reduction(monkeypatch):
    import sys

    rng = np.random.default_rng(4)
    cover = rng.random((40, 12)) < 0.2
    i, j = np.nonzero(cover)
    w = rng.integers(1, 9, 40).astype(float)
    with_scipy = S.reduce(i, j, w, 12).columns.tolist()
    monkeypatch.setitem(sys.modules, "scipy.sparse", None)  # importing it now raises ImportError
    assert S.reduce(i, j, w, 12).columns.tolist() == with_scipy
    assert S.mclp(i, j, w, 12, 3).objective == pytest.approx(brute_mclp(cover, w, 3))
