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

from typing import Mapping, Sequence

import numpy as np
import pandas as pd
import xarray as xr

from . import embedding, similarity

__all__ = ["LABEL_COLUMNS", "hidden", "representations", "PCA", "pca", "geometry", "clustering_table",
           "labels_of"]

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


def geometry(population, inputs_btm: np.ndarray, metrics: Sequence[str] = ("svcca", "cka"),
             variance_kept: float = 0.95, progress: bool = False) -> dict[str, xr.DataArray]:
    """All-pairs representational distances of a population, one labelled matrix per metric."""
    reps = representations(population, inputs_btm)
    labels = labels_of(population)
    return {m: similarity.pairwise_distances(reps, metric=m, labels=labels, variance_kept=variance_kept,
                                             progress=progress) for m in metrics}


def subset(distances: xr.DataArray, **labels) -> xr.DataArray:
    """The sub-matrix of the networks whose labels match (``arch='vanilla'``, ...)."""
    mask = np.ones(distances.sizes["network"], bool)
    for k, v in labels.items():
        vals = v if isinstance(v, (list, tuple, set, np.ndarray)) else [v]
        mask &= np.isin(distances.coords[k].values, list(vals))
    return distances.isel(network=mask, network_2=mask)


def clustering_table(distances: Mapping[str, xr.DataArray], by: Sequence[str] = ("arch", "activation"),
                     n_permutations: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Leave-one-out nearest-neighbour accuracy, chance, permutation p and silhouette of
    each label in ``by`` under each distance matrix (rows: distance x label)."""
    rows = []
    for name, d in distances.items():
        for label in by:
            if d.sizes["network"] < 3 or len(set(d.coords[label].values)) < 2:
                continue
            st = embedding.cluster_stats(d, label, n_permutations=n_permutations, seed=seed)
            rows.append({"distance": name, "label": label, "networks": st.n, "classes": st.n_classes,
                         "nn_accuracy": st.accuracy, "chance": st.chance, "p_value": st.p_value,
                         "silhouette": st.silhouette})
    return pd.DataFrame(rows).set_index(["distance", "label"])


# --------------------------------------------------------------------------------------
# Fixed points, cached: the figure pages and the numbers page share one search
# --------------------------------------------------------------------------------------


def _population_key(population, config) -> str:
    import hashlib
    import json
    from dataclasses import asdict

    h = hashlib.sha256()
    h.update(json.dumps({"task": population.task.name, "task_params": population.task.params(),
                         "config": asdict(config)}, sort_keys=True, default=str).encode())
    for nid in sorted(population.table.index):
        h.update(nid.encode())
        for name in sorted(population.params[nid]):
            h.update(name.encode())
            h.update(np.ascontiguousarray(population.params[nid][name]).tobytes())
    return h.hexdigest()[:20]


_COMPACT = ("h", "q", "x", "condition", "outputs")


def _save_compact(path, fps: Mapping) -> None:
    import json

    from .store import atomic_savez

    arrays = {"network_ids": np.array([str(k) for k in fps], dtype=str)}
    for i, f in enumerate(fps.values()):
        arrays.update({f"{i}/{a}": np.asarray(getattr(f, a)) for a in _COMPACT})
        arrays[f"{i}/meta"] = np.array(json.dumps(f.meta, sort_keys=True))
    atomic_savez(path, arrays)


def _load_compact(path) -> dict:
    import json

    with np.load(path, allow_pickle=False) as z:
        ids = [str(i) for i in z["network_ids"]]
        return {nid: {**{a: z[f"{i}/{a}"] for a in _COMPACT}, "meta": json.loads(str(z[f"{i}/meta"]))}
                for i, nid in enumerate(ids)}


def _linearise(population, compact: Mapping) -> dict:
    """FixedPoints with Jacobians and eigendecompositions computed from (h*, x*)."""
    from . import cells
    from . import fixed_points as fp

    out = {}
    for spec, ids, params in fp._groups(population):
        for j, nid in enumerate(ids):
            if nid not in compact:
                continue
            c = compact[nid]
            if len(c["h"]) == 0:
                out[nid] = fp.FixedPoints.empty(spec.state_size, spec.n_inputs, spec.n_outputs, c["meta"])
                continue
            one = {k: np.asarray(v)[j: j + 1] for k, v in params.items()}
            j_h, j_x = cells.jacobians(spec, one, c["h"][None], c["x"][None])
            out[nid] = fp.FixedPoints.build(c["h"], c["q"], c["x"], c["condition"], j_h.numpy()[0].astype(np.float64),
                                            j_x.numpy()[0].astype(np.float64), c["outputs"], c["meta"])
    return {nid: out[nid] for nid in compact if nid in out}


def fixed_points(population, config=None, cache: bool = True, root=None, progress: bool = False) -> dict:
    """Fixed points of every network (``network_id -> FixedPoints``), cached on disk.

    The search is :func:`universality.fixed_points.find_population_fixed_points` with
    ``config`` (default: the task's preset).  What is cached is compact: the points, their
    q, x*, condition and readout; the Jacobians and their eigendecompositions are
    recomputed from (h*, x*) whether the points come from the search or from the cache,
    so both paths give identical results.  The cache file
    ``<root>/_cache/fixed_points/<task>-<key>.npz`` is keyed by a hash of the task
    constants, the search configuration and every network's weights: a page that asks
    for the same analysis of the same networks reads it back instead of searching again,
    and any change of weights or settings searches afresh.  ``root`` defaults to the store
    root (``data/``); the cache is not part of the repository.
    """
    from pathlib import Path

    from . import fixed_points as fp
    from .store import DEFAULT_ROOT

    config = fp.task_config(population.task.name) if config is None else config
    path = Path(root or DEFAULT_ROOT) / "_cache" / "fixed_points" / \
        f"{population.task.name}-{_population_key(population, config)}.npz"
    if cache and path.exists():
        compact = _load_compact(path)
    else:
        found = fp.find_population_fixed_points(population, population.task, config, progress=progress)
        compact = {nid: {**{a: getattr(f, a) for a in _COMPACT}, "meta": f.meta} for nid, f in found.items()}
        if cache:
            path.parent.mkdir(parents=True, exist_ok=True)
            _save_compact(path, found)
    return _linearise(population, compact)


def flipflop_topology(population, fps: Mapping, config=None, cache: bool = True, root=None,
                      fp_config=None, progress: bool = False):
    """:func:`universality.topology.flipflop_topology`, its transition matrices cached on
    disk like :func:`fixed_points` (keyed by the networks, the fixed-point search settings
    ``fp_config`` that produced ``fps`` and the topology settings)."""
    import json
    from dataclasses import asdict
    from pathlib import Path

    import hashlib

    from . import fixed_points as fp
    from . import topology
    from .store import DEFAULT_ROOT, atomic_savez

    config = topology.TopologyConfig() if config is None else config
    if not cache:
        return topology.flipflop_topology(population, fps, config, progress=progress)
    fp_config = fp.task_config(population.task.name) if fp_config is None else fp_config
    key = hashlib.sha256((_population_key(population, fp_config) + json.dumps(asdict(config), sort_keys=True)
                          + json.dumps(sorted(fps))).encode()).hexdigest()[:20]
    path = Path(root or DEFAULT_ROOT) / "_cache" / "topology" / f"{population.task.name}-{key}.npz"
    if not path.exists():
        topo = topology.flipflop_topology(population, fps, config, progress=progress)
        ids = list(topo.graphs)
        arrays = {"network_ids": np.array(ids, dtype=str)}
        arrays.update({f"graph/{i}": topo.graphs[nid] for i, nid in enumerate(ids)})
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_savez(path, arrays)
        return topo
    with np.load(path, allow_pickle=False) as z:
        ids = [str(i) for i in z["network_ids"]]
        graphs = {nid: z[f"graph/{i}"] for i, nid in enumerate(ids)}
    counts = pd.Series({k: len(v) for k, v in fps.items()}, name="n_fixed_points", dtype=int)
    modal, _, _ = topology.modal_count(counts.to_dict())
    aside = [k for k in fps if k not in graphs]
    ordered = {k: fps[k][topology.readout_order(fps[k].outputs, config.readout_decimals)] for k in graphs}
    return topology.Topology(graphs, counts, modal, aside, topology.graph_distances(graphs, population.table),
                             ordered)


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
