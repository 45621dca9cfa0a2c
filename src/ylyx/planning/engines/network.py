"""Walking networks and network distances: CSR graphs, multi-source nearest facility, pairs within a threshold.

A :class:`Graph` is a compressed sparse row adjacency (``indptr``, ``indices``, ``weights`` in metres) with node
coordinates. Distances use ``scipy.sparse.csgraph.dijkstra`` (with ``limit``) when scipy is importable and the
heap-based Dijkstra in this module otherwise; both give the same numbers (tests compare them with brute force).

Walking ignores one-way tags: every edge is walked both ways.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np

try:  # scipy is optional: the bench group installs it; the pure-Python path is always there
    from scipy.sparse import csr_matrix as _csr
    from scipy.sparse.csgraph import dijkstra as _sp_dijkstra

    HAVE_SCIPY = True
except ImportError:  # pragma: no cover - depends on the environment
    HAVE_SCIPY = False

EARTH_R = 6_371_008.8


@dataclass
class Graph:
    indptr: np.ndarray
    indices: np.ndarray
    weights: np.ndarray
    x: np.ndarray  # metres east of the origin (or lon when ``lonlat``)
    y: np.ndarray
    node_ids: np.ndarray
    lon: np.ndarray | None = None
    lat: np.ndarray | None = None
    synthetic: bool = False

    @property
    def n(self) -> int:
        return len(self.indptr) - 1

    @property
    def n_edges(self) -> int:
        return len(self.indices) // 2

    def length_m(self) -> float:
        return float(self.weights.sum() / 2)

    def scipy_matrix(self):
        if not hasattr(self, "_sp"):
            self._sp = _csr((self.weights, self.indices, self.indptr), shape=(self.n, self.n))
        return self._sp


def from_edges(n: int, u: np.ndarray, v: np.ndarray, w: np.ndarray, x: np.ndarray, y: np.ndarray,
               node_ids: np.ndarray | None = None, **kw) -> Graph:
    """An undirected graph from edge lists (parallel edges keep the shortest; self-loops dropped)."""
    u, v, w = np.asarray(u, np.int64), np.asarray(v, np.int64), np.asarray(w, float)
    if np.any(w < 0):
        raise ValueError("边长不能为负")
    keep = u != v
    u, v, w = u[keep], v[keep], w[keep]
    a = np.concatenate([u, v])
    b = np.concatenate([v, u])
    ww = np.concatenate([w, w])
    order = np.lexsort((ww, b, a))
    a, b, ww = a[order], b[order], ww[order]
    first = np.ones(len(a), bool)
    first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    a, b, ww = a[first], b[first], ww[first]
    indptr = np.zeros(n + 1, np.int64)
    np.add.at(indptr, a + 1, 1)
    indptr = np.cumsum(indptr)
    ids = np.arange(n) if node_ids is None else np.asarray(node_ids)
    return Graph(indptr, b.astype(np.int32), ww, np.asarray(x, float), np.asarray(y, float), ids, **kw)


def project_lonlat(lon: np.ndarray, lat: np.ndarray, lon0: float | None = None,
                   lat0: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Local equirectangular metres around (lon0, lat0): enough for a city (error well under 0.1%)."""
    lon0 = float(np.mean(lon)) if lon0 is None else lon0
    lat0 = float(np.mean(lat)) if lat0 is None else lat0
    x = np.radians(np.asarray(lon) - lon0) * EARTH_R * math.cos(math.radians(lat0))
    y = np.radians(np.asarray(lat) - lat0) * EARTH_R
    return x, y


def from_pyrosm(path: str, network_type: str = "walking") -> Graph:
    """The walking network of an OSM PBF extract, read with pyrosm; edge weights are pyrosm's lengths (m)."""
    import warnings

    import pyrosm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nodes, edges = pyrosm.OSM(path).get_network(network_type, nodes=True)
    ids = nodes["id"].to_numpy()
    order = np.argsort(ids)
    ids_sorted = ids[order]
    u = order[np.searchsorted(ids_sorted, edges["u"].to_numpy())]
    v = order[np.searchsorted(ids_sorted, edges["v"].to_numpy())]
    lon, lat = nodes["lon"].to_numpy(float), nodes["lat"].to_numpy(float)
    x, y = project_lonlat(lon, lat)
    return from_edges(len(ids), u, v, edges["length"].to_numpy(float), x, y, ids, lon=lon, lat=lat)


def grid_graph(rows: int, cols: int, spacing: float = 80.0, jitter: float = 0.3, seed: int = 0,
               drop: float = 0.1, origin: tuple[float, float] | None = None) -> Graph:
    """A synthetic street grid (marked synthetic): ``rows``×``cols`` junctions ``spacing`` m apart, edge lengths
    stretched at random by up to ``jitter``, a share ``drop`` of edges removed (never disconnecting the spine).
    With ``origin`` = (lon, lat) the nodes also get coordinates around that point."""
    rng = np.random.default_rng(seed)
    idx = np.arange(rows * cols).reshape(rows, cols)
    h_u, h_v = idx[:, :-1].ravel(), idx[:, 1:].ravel()
    v_u, v_v = idx[:-1, :].ravel(), idx[1:, :].ravel()
    keep_h = rng.random(len(h_u)) >= drop
    keep_h[idx[rows // 2, :-1]] = True  # a connected spine: the middle row …
    keep_v = np.ones(len(v_u), bool)  # … and every column
    u = np.concatenate([h_u[keep_h], v_u[keep_v]])
    v = np.concatenate([h_v[keep_h], v_v[keep_v]])
    w = spacing * (1.0 + jitter * rng.random(len(u)))
    yy, xx = np.divmod(np.arange(rows * cols), cols)
    x, y = xx * spacing, yy * spacing
    kw: dict = {"synthetic": True}
    if origin is not None:
        lon0, lat0 = origin
        kw["lon"] = lon0 + np.degrees((x - x.mean()) / (EARTH_R * math.cos(math.radians(lat0))))
        kw["lat"] = lat0 + np.degrees((y - y.mean()) / EARTH_R)
    return from_edges(rows * cols, u, v, w, x.astype(float), y.astype(float), **kw)


def snap(graph: Graph, x: np.ndarray, y: np.ndarray, chunk: int = 2048) -> np.ndarray:
    """The nearest node (straight line) of each point, by a bucket grid over the nodes."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    cell = max(float(np.sqrt((np.ptp(graph.x) * np.ptp(graph.y) + 1.0) / max(graph.n, 1))) * 2.0, 1.0)
    gx = np.floor((graph.x - graph.x.min()) / cell).astype(np.int64)
    gy = np.floor((graph.y - graph.y.min()) / cell).astype(np.int64)
    width = int(gx.max()) + 3
    key = (gy + 1) * width + (gx + 1)
    order = np.argsort(key, kind="stable")
    skey = key[order]
    out = np.empty(len(x), np.int64)
    qx = np.floor((x - graph.x.min()) / cell).astype(np.int64)
    qy = np.floor((y - graph.y.min()) / cell).astype(np.int64)
    for i in range(len(x)):
        r = 1
        while True:
            cand = []
            for dy in range(-r, r + 1):
                row = (qy[i] + dy + 1) * width
                lo = np.searchsorted(skey, row + qx[i] + 1 - r)
                hi = np.searchsorted(skey, row + qx[i] + 1 + r, side="right")
                if hi > lo:
                    cand.append(order[lo:hi])
            if cand:
                c = np.concatenate(cand)
                d2 = (graph.x[c] - x[i]) ** 2 + (graph.y[c] - y[i]) ** 2
                best = int(np.argmin(d2))
                if math.sqrt(d2[best]) <= r * cell:  # nothing outside the searched ring can be closer
                    out[i] = c[best]
                    break
            r *= 2
            if r > 4 * width + 8:
                d2 = (graph.x - x[i]) ** 2 + (graph.y - y[i]) ** 2
                out[i] = int(np.argmin(d2))
                break
    return out


def _dijkstra_py(g: Graph, sources: np.ndarray, limit: float) -> tuple[np.ndarray, np.ndarray]:
    """Multi-source Dijkstra: distance to the nearest source and its position in ``sources``."""
    dist = np.full(g.n, np.inf)
    origin = np.full(g.n, -1, np.int64)
    indptr, indices, weights = g.indptr.tolist(), g.indices.tolist(), g.weights.tolist()
    d = [math.inf] * g.n
    o = [-1] * g.n
    heap: list[tuple[float, int, int]] = []
    for k, s in enumerate(sources.tolist()):
        if d[s] > 0:
            d[s] = 0.0
            o[s] = k
            heap.append((0.0, s, k))
    heapq.heapify(heap)
    done = [False] * g.n
    while heap:
        du, u, k = heapq.heappop(heap)
        if done[u]:
            continue
        done[u] = True
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            nd = du + weights[e]
            if nd < d[v] and nd <= limit:
                d[v] = nd
                o[v] = k
                heapq.heappush(heap, (nd, v, k))
    dist[:] = d
    origin[:] = o
    return dist, origin


def nearest(g: Graph, sources: np.ndarray, limit: float = math.inf,
            use_scipy: bool | None = None) -> tuple[np.ndarray, np.ndarray]:
    """For every node: network distance to the nearest source (inf beyond ``limit``) and that source's index."""
    sources = np.asarray(sources, np.int64)
    if len(sources) == 0:
        return np.full(g.n, np.inf), np.full(g.n, -1, np.int64)
    if use_scipy is None:
        use_scipy = HAVE_SCIPY
    if use_scipy:
        dist, _, src = _sp_dijkstra(g.scipy_matrix(), directed=False, indices=sources, limit=limit,
                                    min_only=True, return_predecessors=True)
        pos = np.full(g.n, -1, np.int64)
        lookup = {int(s): k for k, s in reversed(list(enumerate(sources.tolist())))}
        ok = src >= 0
        pos[ok] = [lookup[int(s)] for s in src[ok]]
        return dist, pos
    return _dijkstra_py(g, sources, limit)


def _single_py(g: Graph, s: int, limit: float, indptr: list, indices: list, weights: list) -> dict[int, float]:
    d: dict[int, float] = {s: 0.0}
    heap = [(0.0, s)]
    done: set[int] = set()
    while heap:
        du, u = heapq.heappop(heap)
        if u in done:
            continue
        done.add(u)
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            nd = du + weights[e]
            if nd <= limit and nd < d.get(v, math.inf):
                d[v] = nd
                heapq.heappush(heap, (nd, v))
    return d


def pair_distances(g: Graph, sources: np.ndarray, targets: np.ndarray, limit: float,
                   use_scipy: bool | None = None, chunk: int = 64) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (source position, target position, distance) with network distance ≤ ``limit``, as COO arrays.

    Several sources or targets may sit on one node; each keeps its own position.
    """
    sources = np.asarray(sources, np.int64)
    targets = np.asarray(targets, np.int64)
    if use_scipy is None:
        use_scipy = HAVE_SCIPY
    # targets grouped by node: node -> positions
    t_order = np.argsort(targets, kind="stable")
    t_sorted = targets[t_order]
    uniq_src, src_inv = np.unique(sources, return_inverse=True)
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    if use_scipy:
        m = g.scipy_matrix()
        tnodes, t_first, t_count = np.unique(t_sorted, return_index=True, return_counts=True)
        for start in range(0, len(uniq_src), chunk):
            block = uniq_src[start:start + chunk]
            dist = _sp_dijkstra(m, directed=False, indices=block, limit=limit)[:, tnodes]
            bi, ti = np.nonzero(dist <= limit)
            rows.append(bi + start)
            cols.append(ti)
            vals.append(dist[bi, ti])
        u_r = np.concatenate(rows) if rows else np.zeros(0, np.int64)
        u_t = np.concatenate(cols) if cols else np.zeros(0, np.int64)
        u_d = np.concatenate(vals) if vals else np.zeros(0)
    else:
        tnodes, t_first, t_count = np.unique(t_sorted, return_index=True, return_counts=True)
        tpos = {int(n): k for k, n in enumerate(tnodes.tolist())}
        indptr, indices, weights = g.indptr.tolist(), g.indices.tolist(), g.weights.tolist()
        rr: list[int] = []
        tt: list[int] = []
        dd: list[float] = []
        for k, s in enumerate(uniq_src.tolist()):
            for node, dv in _single_py(g, s, limit, indptr, indices, weights).items():
                j = tpos.get(node)
                if j is not None:
                    rr.append(k)
                    tt.append(j)
                    dd.append(dv)
        u_r, u_t, u_d = np.array(rr, np.int64), np.array(tt, np.int64), np.array(dd, float)
    # expand unique sources and target nodes back to positions
    src_groups = [np.nonzero(src_inv == k)[0] for k in range(len(uniq_src))] if len(uniq_src) < len(sources) else None
    out_s: list[np.ndarray] = []
    out_t: list[np.ndarray] = []
    out_d: list[np.ndarray] = []
    reps = t_count[u_t]
    base_t = np.repeat(t_first[u_t], reps) + (np.arange(reps.sum()) - np.repeat(np.cumsum(reps) - reps, reps))
    tt_pos = t_order[base_t]
    ss = np.repeat(u_r, reps)
    dd_ = np.repeat(u_d, reps)
    if src_groups is None:
        return ss, tt_pos, dd_
    for k, grp in enumerate(src_groups):
        sel = ss == k
        for p in grp:
            out_s.append(np.full(int(sel.sum()), p))
            out_t.append(tt_pos[sel])
            out_d.append(dd_[sel])
    return np.concatenate(out_s), np.concatenate(out_t), np.concatenate(out_d)


def coverage(dist_to_nearest: np.ndarray, demand_nodes: np.ndarray, weights: np.ndarray | None,
             threshold: float) -> dict:
    """Share of demand (weighted) within ``threshold`` of a facility: the 15-minute circle figure."""
    d = dist_to_nearest[np.asarray(demand_nodes, np.int64)]
    w = np.ones(len(d)) if weights is None else np.asarray(weights, float)
    covered = d <= threshold
    total = float(w.sum())
    return {"covered": float(w[covered].sum()), "total": total, "share": float(w[covered].sum() / total) if total else 0.0,
            "points_covered": int(covered.sum()), "points": len(d)}


def minutes_to_metres(minutes: float, speed_kmh: float = 4.5) -> float:
    """A walking time as a distance: 15 minutes at 4.5 km/h is 1,125 m. [S] configurable speed."""
    if minutes < 0 or speed_kmh <= 0:
        raise ValueError("步行时间须不小于 0，步行速度须为正数")
    return minutes / 60.0 * speed_kmh * 1000.0


def isochrone_nodes(g: Graph, source: int, limit: float, use_scipy: bool | None = None) -> np.ndarray:
    """Nodes within ``limit`` of ``source`` (for drawing a circle as a hull or as dots on the map)."""
    dist, _ = nearest(g, np.array([source]), limit, use_scipy)
    return np.nonzero(dist <= limit)[0]


def convex_hull(x: np.ndarray, y: np.ndarray) -> list[tuple[float, float]]:
    """Monotone-chain convex hull (counter-clockwise) of points: an isochrone's outline."""
    pts = sorted(set(zip(np.asarray(x).tolist(), np.asarray(y).tolist(), strict=True)))
    if len(pts) <= 2:
        return pts

    def cross(o, a, b):
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list = []
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def save(g: Graph, path, source: str = "") -> None:
    """Write a graph to an ``.npz`` file (CSR arrays, coordinates, ids, whether synthetic, where it came from)."""
    arrays: dict[str, np.ndarray] = {"indptr": g.indptr, "indices": g.indices, "weights": g.weights, "x": g.x,
                                     "y": g.y, "node_ids": g.node_ids, "synthetic": np.array(g.synthetic),
                                     "source": np.array(source)}
    if g.lon is not None and g.lat is not None:
        arrays.update(lon=g.lon, lat=g.lat)
    with open(path, "wb") as fh:
        np.savez_compressed(fh, **arrays)  # type: ignore[arg-type]


def load(path) -> tuple[Graph, str]:
    with np.load(path, allow_pickle=False) as z:
        g = Graph(z["indptr"], z["indices"], z["weights"], z["x"], z["y"], z["node_ids"],
                  z["lon"] if "lon" in z.files else None, z["lat"] if "lat" in z.files else None,
                  bool(z["synthetic"]))
        return g, str(z["source"])

