"""Page-level analyses shared by the figure pages: representations, PCA, geometry, statistics.

The choices the paper leaves open are made here once, so that every page makes them the
same way:

* **Representation** of a network (SVCCA, CKA, PCA): its hidden state ``h`` on the same
  inputs, concatenated over trials and time (``B*T`` samples x ``N`` units).  For the LSTM
  this is ``h`` (the part of the state ``[h; c]`` the readout sees), so that every
  architecture contributes ``N`` units; fixed points and Jacobians use the full state.
* **Inputs** of the representations: a batch of the task's own random trials drawn from
  a seed that is a page parameter (the same trials for every network).
"""

from __future__ import annotations

import hashlib
import json
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
import xarray as xr

from . import similarity
from .statistics import clustering_table, subset

__all__ = ["LABEL_COLUMNS", "hidden", "representations", "PCA", "pca", "geometry", "clustering_table", "subset",
           "labels_of", "population_key", "code_version", "SHIPPED_FIXED_POINTS", "shipped_fixed_points_path", "cache_key", "cached_distances", "dynamics", "fixed_points", "transitions_of", "topology_of", "group_mean_distances"]

LABEL_COLUMNS = ("arch", "activation", "units", "l2", "seed")


def hidden(population, inputs_btm: np.ndarray) -> dict[str, np.ndarray]:
    """``network_id -> (B, T, N)`` hidden states ``h`` (the LSTM's ``h``, not ``c``)."""
    states = population.states(inputs_btm)
    units = population.table["units"]
    return {nid: s[..., : int(units[nid])] for nid, s in states.items()}


def labels_of(population) -> pd.DataFrame:
    """The population's label table with a ``network_id`` column (for labelled matrices)."""
    tab = population.table
    return tab[[c for c in LABEL_COLUMNS if c in tab.columns]].reset_index()


def representations(population, inputs_btm: np.ndarray) -> list[np.ndarray]:
    """One ``(B*T, N)`` float32 matrix per network, in the population's table order."""
    hs = hidden(population, inputs_btm)
    return [h.reshape(-1, h.shape[-1]) for h in hs.values()]


class PCA:
    """Principal axes of a cloud of states: ``project(x) = (x - mean) @ axes``."""

    def __init__(self, mean: np.ndarray, axes: np.ndarray, explained: np.ndarray):
        self.mean, self.axes, self.explained = mean, axes, explained

    def project(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, np.float64)
        return (x - self.mean) @ self.axes


def pca(x: np.ndarray, n_components: int = 3) -> PCA:
    """PCA of ``(..., S)`` states (all leading axes pooled); deterministic signs (the
    largest-magnitude loading of each axis is positive)."""
    x = np.asarray(x, np.float64).reshape(-1, np.shape(x)[-1])
    if not 1 <= n_components <= x.shape[1]:
        raise ValueError(f"n_components={n_components!r} must be in [1, {x.shape[1]}]")
    mean = x.mean(0)
    _, s, vt = np.linalg.svd(x - mean, full_matrices=False)
    axes = vt[:n_components].T
    idx = np.argmax(np.abs(axes), axis=0)
    axes = axes * np.sign(axes[idx, np.arange(n_components)])
    var = s**2
    return PCA(mean, axes, var[:n_components] / max(var.sum(), 1e-300))


def cached_distances(kind: str, population, settings, compute, cache: bool = True, root=None) -> xr.DataArray:
    """A population's distance matrix, cached like every other analysis.

    ``<root>/_cache/<kind>/<task>-<key>.npz`` holds the matrix and the network ids, keyed by
    :func:`cache_key` of every network's weights and ``settings`` (JSON-able); on a hit the
    labels are re-attached from the population's table.  ``compute()`` returns the
    labelled matrix on a miss.
    """
    from pathlib import Path

    from .store import DEFAULT_ROOT, atomic_savez

    path = Path(root or DEFAULT_ROOT) / "_cache" / kind / \
        f"{population.task.name}-{cache_key(population_key(population, None), settings)}.npz"
    if cache and path.exists():
        with np.load(path, allow_pickle=False) as z:
            ids, values = [str(i) for i in z["network_ids"]], z["values"]
            attrs = json.loads(str(z["attrs"]))
        labels = labels_of(population).set_index("network_id").loc[ids].reset_index()
        from .similarity.core import labelled

        return labelled(values, labels, attrs, {})
    d = compute()
    if cache:
        atomic_savez(path, {"network_ids": np.array([str(i) for i in d.coords["network"].values]),
                            "values": d.values, "attrs": np.array(json.dumps(d.attrs, default=str))})
    return d


def geometry(population, inputs_btm: np.ndarray, metrics: Sequence = ("svcca", "cka"),
             variance_kept: float = 0.95, progress: bool = False, cache: bool = True) -> dict[str, xr.DataArray]:
    """All-pairs representational distances of a population, one labelled matrix per metric
    (cached, :func:`cached_distances`).

    ``metrics``: names ('svcca' with ``variance_kept``, 'cka', 'procrustes') or
    :class:`universality.similarity.Metric` objects (keyed by their ``name``)."""
    objs = [similarity.metric_from_name(m, variance_kept) if isinstance(m, str) else m for m in metrics]
    out, reps = {}, None
    for m in objs:
        def compute(m=m):
            nonlocal reps
            reps = representations(population, inputs_btm) if reps is None else reps
            return similarity.pairwise(m, reps, labels=labels_of(population), progress=progress)

        settings = [type(m).__name__, repr(m), hashlib.sha256(np.ascontiguousarray(inputs_btm).tobytes()).hexdigest()]
        out[m.name] = cached_distances("geometry", population, settings, compute, cache=cache)
    return out


# --------------------------------------------------------------------------------------
# Fixed points, cached: the figure pages and the numbers page share one search
# --------------------------------------------------------------------------------------


def population_key(population, config) -> str:
    import hashlib
    import json
    from dataclasses import asdict

    h = hashlib.sha256()
    h.update(json.dumps({"task": population.task.name, "task_params": population.task.params(),
                         "config": asdict(config) if config is not None else None}, sort_keys=True,
                        default=str).encode())
    for nid in sorted(population.table.index):
        h.update(nid.encode())
        for name in sorted(population.params[nid]):
            h.update(name.encode())
            h.update(np.ascontiguousarray(population.params[nid][name]).tobytes())
    return h.hexdigest()[:20]


#: Where the repository ships the fixed points of its stored populations (under the store
#: root, committed): the same files as the cache, written by ``universality fixed-points
#: --ship``; read when the cache has no file for the same key.
SHIPPED_FIXED_POINTS = "fixed_points"


def shipped_fixed_points_path(population, config=None, root=None):
    """The shipped file of ``population``'s fixed points under ``config`` (default: the
    task's preset); it exists only if shipped for exactly these networks and settings."""
    from pathlib import Path

    from . import fixed_points as fp
    from .store import DEFAULT_ROOT

    config = fp.task_config(population.task.name) if config is None else config
    return Path(root or DEFAULT_ROOT) / SHIPPED_FIXED_POINTS / \
        f"{population.task.name}-{population_key(population, config)}.npz"


def fixed_points(population, config=None, cache: bool = True, root=None, progress: bool = False) -> dict:
    """Fixed points of every network (``network_id -> FixedPoints``), cached on disk.

    The search is :func:`universality.fixed_points.find_population_fixed_points` with
    ``config`` (default: the task's preset).  What is cached is the compact file format of
    :func:`universality.fixed_points.save_collection`; the Jacobians and their
    eigendecompositions are recomputed from (h*, x*) (:func:`~universality.fixed_points.linearise`)
    whether the points come from the search or from the cache, so both give identical results.  The cache file
    ``<root>/_cache/fixed_points/<task>-<key>.npz`` is keyed by a hash of the task
    constants, the search configuration and every network's weights: a page that asks
    for the same analysis of the same networks reads it back instead of searching again,
    and any change of weights or settings searches afresh.  ``root`` defaults to the store
    root (``data/``); the cache is not part of the repository.  When the cache has no file
    for the key, the shipped file (:func:`shipped_fixed_points_path`, committed for the
    book's populations) is read instead.
    """
    from pathlib import Path

    from . import fixed_points as fp
    from .store import DEFAULT_ROOT

    config = fp.task_config(population.task.name) if config is None else config
    shipped = shipped_fixed_points_path(population, config, root)
    path = Path(root or DEFAULT_ROOT) / "_cache" / "fixed_points" / shipped.name
    for source in (path, shipped):
        if cache and source.exists():
            try:
                return fp.load_collection(source, population=population)
            except (ValueError, KeyError):  # a cache file of another format: search again
                pass
    found = fp.find_population_fixed_points(population, population.task, config, progress=progress)
    if cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        fp.save_collection(path, found, compact=True)
    # the same path as a cached read, so both give identical results
    return fp.linearise(population, found)


def code_version() -> str:
    """A short hash of the library's source (every ``.py`` file of the package): caches of
    results that the code words or judges (the scorecard) are keyed by it."""
    import hashlib
    from pathlib import Path

    h = hashlib.sha256()
    root = Path(__file__).resolve().parent
    for path in sorted(root.rglob("*.py")):
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:20]


def cache_key(*parts) -> str:
    """A short hash of JSON-able parts (the one way cache files are named)."""
    import hashlib
    import json

    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:20]


def _fps_key(fps: Mapping) -> str:
    import hashlib

    h = hashlib.sha256()
    for nid in sorted(fps, key=str):
        h.update(str(nid).encode())
        h.update(np.ascontiguousarray(fps[nid].h, np.float64).tobytes())
    return h.hexdigest()[:20]


def transitions_of(population, fps: Mapping, config=None, cache: bool = True, root=None,
                   progress: bool = False) -> dict:
    """Flip-flop transition matrices (``network_id -> (n, n)``, each network's own point
    order; :func:`universality.topology.transition_matrices`), cached on disk under
    ``<root>/_cache/transitions/`` keyed by the networks' weights, their fixed points and
    the topology settings ``config``."""
    from dataclasses import asdict
    from pathlib import Path

    from . import topology
    from .store import DEFAULT_ROOT, atomic_savez

    config = topology.TopologyConfig() if config is None else config
    key = cache_key(population_key(population, None), _fps_key(fps), asdict(config))
    path = Path(root or DEFAULT_ROOT) / "_cache" / "transitions" / f"{population.task.name}-{key}.npz"
    if cache and path.exists():
        with np.load(path, allow_pickle=False) as z:
            ids = [str(i) for i in z["network_ids"]]
            mats = {nid: z[f"matrix/{i}"] for i, nid in enumerate(ids)}
        return {k: mats[str(k)] for k in fps}
    mats = topology.transition_matrices(population, fps, None, config, progress=progress)
    if cache:
        arrays = {"network_ids": np.array([str(k) for k in mats], dtype=str)}
        arrays.update({f"matrix/{i}": m for i, m in enumerate(mats.values())})
        atomic_savez(path, arrays)
    return mats


def topology_of(population, fps: Mapping, principle: str | None = None, config=None, n_points: int = 10,
                k: int = 1, cache: bool = True, root=None, progress: bool = False):
    """The fixed-point topology of a population, whatever its task (Figs. 1f, 2e, 3d).

    * flip-flop: transition graphs (:func:`transitions_of`, cached), aligned by
      ``principle`` ('position' by default; 'routing'; 'readout', the paper's);
    * sine: nearest-neighbour graphs over the per-frequency fixed points;
    * CDI: nearest-neighbour graphs over ``n_points`` slots along each context's line.

    Returns a :class:`universality.topology.Topology`.
    """
    from . import topology

    task = population.task
    if task.name == "flipflop":
        mats = transitions_of(population, fps, config, cache=cache, root=root, progress=progress)
        return topology.flipflop_topology(fps, mats, principle or "position", labels=population.table)
    if principle not in (None, "condition", "line slots"):
        raise ValueError(f"principle={principle!r} applies to the flip-flop task only; task {task.name!r} "
                         "lines its points up by condition")
    if task.name == "sine":
        omegas = task.conditions().labels["omega"].to_numpy()
        return topology.sine_topology(fps, len(omegas), k, labels=population.table,
                                      row_names=tuple(f"omega {w:.3f}" for w in omegas))
    if task.name == "cdi":
        return topology.cdi_topology(fps, task.n_contexts, n_points, k, labels=population.table)
    raise ValueError(f"task={task.name!r} has no topology analysis")


def group_mean_distances(distances: xr.DataArray, by: Sequence[str]) -> pd.DataFrame:
    """Mean distance within and between the groups of networks that share the labels
    ``by`` (within a group, over its off-diagonal pairs; NaN for a one-network group)."""
    group = np.array([" ".join(str(distances.coords[b].values[i]) for b in by)
                      for i in range(distances.sizes["network"])])
    names = sorted(set(group))
    d = np.asarray(distances)

    def block_mean(a, b):
        block = d[np.ix_(group == a, group == b)]
        vals = block[~np.eye(len(block), dtype=bool)] if a == b else block.ravel()
        return vals.mean() if vals.size else np.nan

    return pd.DataFrame([[block_mean(a, b) for b in names] for a in names], index=names, columns=names)


def cdi_summary(linear_tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Per architecture, medians over (network, context): leading |lambda|, eigenvalues
    near 1, modes to 90% of the full response, the full response (Fig. 3e-f in numbers).
    ``linear_tables``: ``Evidence.linear`` of a CDI population."""
    spectra = linear_tables["spectra"]
    lead = spectra[spectra["rank"] == 1].groupby("arch").magnitude.median().rename("leading |lambda|")
    near = linear_tables["near_one"].groupby("arch").n_near_one.median().rename("eigenvalues near 1")
    modes = linear_tables["modes"]
    parts = [lead, near]
    if len(modes):
        parts += [modes.groupby("arch").modes_90.median().rename("modes to 90%"),
                  modes.groupby("arch").full_response.median().rename("full response")]
    return pd.concat(parts, axis=1)


def _groups_of(distances: xr.DataArray, by: Sequence[str]) -> np.ndarray:
    return np.array([" ".join(str(distances.coords[b].values[i]) for b in by)
                     for i in range(distances.sizes["network"])])


def group_difference_interval(distances: xr.DataArray, by: Sequence[str], pair_a: tuple, pair_b: tuple,
                              n_boot: int = 1000, seed: int = 0, level: float = 0.95) -> tuple[float, float, float]:
    """``mean d(pair_a) - mean d(pair_b)`` between groups (names as in
    :func:`group_mean_distances`), with a bootstrap interval (networks resampled within
    each group; pairs of a network with its own copy left out)."""
    group = _groups_of(distances, by)
    d = np.asarray(distances)
    members = {g: np.flatnonzero(group == g) for g in sorted(set(group))}
    for g in (*pair_a, *pair_b):
        if g not in members:
            raise ValueError(f"group {g!r} is not among {sorted(members)}")

    def mean(idx_a, idx_b):
        block = d[np.ix_(idx_a, idx_b)]
        same = idx_a[:, None] == idx_b[None, :]
        vals = block[~same]
        return vals.mean() if vals.size else np.nan

    def stat(pick):
        return mean(pick[pair_a[0]], pick[pair_a[1]]) - mean(pick[pair_b[0]], pick[pair_b[1]])

    obs = stat(members)
    rng = np.random.default_rng(seed)
    boots = [stat({g: rng.choice(m, size=len(m)) for g, m in members.items()}) for _ in range(n_boot)]
    boots = np.array([b for b in boots if np.isfinite(b)])
    lo, hi = np.quantile(boots, [(1 - level) / 2, (1 + level) / 2]) if len(boots) else (np.nan, np.nan)
    return float(obs), float(lo), float(hi)


def untrained_closer_quadruples(distances: xr.DataArray, by: Sequence[str] = ("activation", "state")):
    """Fig. 4a over every choice of four networks: (trained tanh TT, trained relu TR,
    untrained tanh UT, untrained relu UR).  Returns (share of quadruples in which both
    untrained networks are closer to TT than TR is, number of quadruples, the first such
    quadruple as a dict or None)."""
    group = _groups_of(distances, by)
    d = distances.to_pandas()
    ids = np.asarray(distances.coords["network"].values)
    tt, tr = ids[group == "tanh trained"], ids[group == "relu trained"]
    ut, ur = ids[group == "tanh untrained"], ids[group == "relu untrained"]
    n = len(tt) * len(tr) * len(ut) * len(ur)
    if n == 0:
        return np.nan, 0, None
    dv = d.values
    pos = {k: i for i, k in enumerate(ids)}
    a = dv[np.ix_([pos[i] for i in tt], [pos[i] for i in tr])]          # (TT, TR)
    b = dv[np.ix_([pos[i] for i in tt], [pos[i] for i in ut])]          # (TT, UT)
    c = dv[np.ix_([pos[i] for i in tt], [pos[i] for i in ur])]          # (TT, UR)
    ok = (b[:, None, :, None] < a[:, :, None, None]) & (c[:, None, None, :] < a[:, :, None, None])
    example = None
    if ok.any():
        i, j, k, m = np.argwhere(ok)[0]
        example = {"trained tanh": tt[i], "trained relu": tr[j], "untrained tanh": ut[k], "untrained relu": ur[m]}
    return float(ok.mean()), n, example


def dynamics(population, inputs_btm: np.ndarray, config=None, progress: bool = False, cache: bool = True):
    """All-pairs DSA distances of a population (:mod:`universality.dynamics_similarity`):
    each network's hidden states on the same trials, delay-embedded, a DMD operator each,
    aligned up to an orthogonal change of basis.  ``config`` defaults to the task's preset;
    cached (:func:`cached_distances`)."""
    from dataclasses import asdict

    from . import dynamics_similarity as dsa

    config = dsa.DSAConfig.for_task(population.task.name) if config is None else config

    def compute():
        ops = dsa.operators(hidden(population, inputs_btm), config, progress=progress)
        return dsa.operator_distances(ops, config, labels=labels_of(population), progress=progress)

    settings = [asdict(config), hashlib.sha256(np.ascontiguousarray(inputs_btm).tobytes()).hexdigest()]
    return cached_distances("dynamics", population, settings, compute, cache=cache)
