"""Where a user's networks fall among a reference population, in numbers.

Given, for one distance (a *measure*), the distances from each of the user's networks to
every reference network and the reference's own all-pairs matrix:

* :func:`nearest_classes`: the class (arch x activation) of the nearest reference
  networks, two ways.  **Tie-averaged nearest neighbour**: ``N = {j : d_j <= min_l d_l +
  rtol * max_l d_l}`` (the rule of :func:`universality.statistics.nearest_neighbour_weights`),
  each of them weighing ``1 / |N|``; the class of largest weight.  **k nearest**: the k
  reference networks of smallest distance (ties by the reference's table order), their
  most common class (ties: the smaller summed distance).  Beside them: the nearest
  distance, and the reference's own typical nearest-neighbour distance (the median over
  its networks of the distance to their nearest other network), so a reader sees whether
  the network sits inside the population's cloud or outside it.
* :func:`merge_blocks`: the (models + reference) square matrix from the three blocks, for
  MDS panels with the models marked.
* :func:`medoid`: the reference network with the smallest summed distance to the others
  (the population's typical graph, where a task has no ideal one).
* :func:`place_representations`, :func:`place_operators`, :func:`place_graphs`: one
  measure's rows, the models' own block and the merged matrix (:class:`Placed`), from the
  models' and the reference's representations, DMD operators or fixed-point graphs and the
  reference's stored all-pairs matrix; only the pairs that involve a model are computed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["MEASURES", "CLASS", "class_of", "nearest_classes", "nearest_table", "merge_blocks", "medoid",
           "reference_nn_median", "Placed", "place_representations", "place_operators", "place_graphs"]

#: The measures of a placement and what each is (topology names follow the study's).
MEASURES = {
    "svcca_matched": "SVCCA with matched dimensions (every network keeps the merged population's largest 95% "
                     "count): the book's verdict geometry",
    "svcca": "SVCCA keeping 95% of each network's variance (the paper's reading; low-dimensional networks sit "
             "near everyone)",
    "cka": "1 - linear CKA",
    "procrustes": "angular Procrustes shape distance (radians)",
    "dsa": "DSA: distance between the delay-embedded DMD operators, aligned by an orthogonal map (radians)",
    "topology": "Euclidean distance between the lined-up fixed-point graphs (the study's topology)",
}


#: What "class" means: a network's architecture and activation, as 'gru-tanh'.
CLASS = ("arch", "activation")


def class_of(labels: pd.DataFrame) -> pd.Series:
    """``'arch-activation'`` per row of a table with those columns."""
    return labels["arch"].astype(str) + "-" + labels["activation"].astype(str)


def reference_nn_median(reference: xr.DataArray) -> float:
    """Median over the reference networks of their distance to their nearest other one."""
    d = np.asarray(reference, np.float64).copy()
    if d.shape[0] < 2:
        return float("nan")
    np.fill_diagonal(d, np.inf)
    return float(np.median(d.min(axis=1)))


def nearest_classes(row: pd.Series, classes: pd.Series, k: int = 5, rtol: float = 1e-9, atol: float = 0.0) -> dict:
    """The nearest reference networks of one network under one distance.

    Parameters
    ----------
    row : reference network_id -> distance (NaN entries are ignored)
    classes : reference network_id -> class ('gru-tanh', ...)
    k : how many nearest networks vote for the k-nearest class
    rtol, atol : distances within ``max(rtol * max distance, atol)`` of the smallest are
        tied (``atol``: the measure's own resolution, e.g. a topology matrix's declared
        ``tie_tolerance``, :func:`universality.matrices.tie_tolerance`)

    Returns
    -------
    dict with ``nearest`` (ids of the tied nearest networks), ``distance`` (the smallest),
    ``nn_class`` and ``nn_weight`` (the tie-averaged nearest neighbour's class and its
    share of the weight), ``knn_class``, ``knn_count`` (its votes of ``k``), ``knn`` (the
    k ids), ``median`` (median distance to the reference).
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k={k!r} must be a positive integer")
    r = row.dropna()
    if r.empty:
        return {"nearest": [], "distance": np.nan, "nn_class": "", "nn_weight": np.nan, "knn_class": "",
                "knn_count": 0, "knn": [], "median": np.nan}
    d = r.to_numpy(np.float64)
    tol = max(rtol * max(float(d.max()), np.finfo(np.float64).tiny), float(atol))
    near = list(r.index[d <= d.min() + tol])
    weights = pd.Series(1.0 / len(near), index=near).groupby(classes.loc[near].to_numpy()).sum()
    nn_class = weights.sort_values(ascending=False, kind="stable").index[0]
    order = np.argsort(d, kind="stable")[: min(int(k), len(d))]
    knn = list(r.index[order])
    votes = pd.DataFrame({"c": classes.loc[knn].to_numpy(), "d": d[order]}).groupby("c").agg(n=("d", "size"),
                                                                                            s=("d", "sum"))
    votes = votes.sort_values(["n", "s"], ascending=[False, True], kind="stable")
    return {"nearest": near, "distance": float(d.min()), "nn_class": str(nn_class),
            "nn_weight": float(weights[nn_class]), "knn_class": str(votes.index[0]),
            "knn_count": int(votes.n.iloc[0]), "knn": knn, "median": float(np.median(d))}


def nearest_table(rows: Mapping[str, xr.DataArray], references: Mapping[str, xr.DataArray], labels: pd.DataFrame,
                  k: int = 5) -> pd.DataFrame:
    """One row per (model, measure): :func:`nearest_classes` of each model's distances.

    ``rows``: measure -> (models, reference) distances (dims 'network', 'network_2');
    ``references``: measure -> the reference's all-pairs matrix (for its typical
    nearest-neighbour distance); ``labels``: the reference's table (arch, activation),
    indexed by network_id.
    """
    classes = class_of(labels)
    out = []
    models = list(dict.fromkeys(m for block in rows.values() for m in block.coords["network"].values))
    for model, (measure, block) in ((m, mb) for m in models for mb in rows.items()):
        ids = list(block.coords["network"].values)
        if model not in ids:  # e.g. a model with no fixed points has no topology row
            continue
        typical = reference_nn_median(references[measure]) if measure in references else np.nan
        ref_ids = list(block.coords["network_2"].values)
        # ties within the measure's declared resolution (the reference's matrix or the block's)
        atol = max(float(getattr(m, "attrs", {}).get("tie_tolerance", 0.0) or 0.0)
                   for m in (block, references.get(measure)) if m is not None)
        got = nearest_classes(pd.Series(np.asarray(block)[ids.index(model)], index=ref_ids), classes, k, atol=atol)
        near = got["nearest"]
        out.append({"model": str(model), "measure": measure, "nearest network": ", ".join(map(str, near[:3]))
                    + (f" (+{len(near) - 3} tied)" if len(near) > 3 else ""),
                    "distance": got["distance"], "reference nn distance (median)": typical,
                    "nearest class": got["nn_class"], "share of the tied nearest": got["nn_weight"],
                    f"class of the {k} nearest": got["knn_class"], f"votes of {k}": got["knn_count"],
                    "median distance": got["median"]})
    return pd.DataFrame(out)


def medoid(reference: xr.DataArray) -> str:
    """The reference network with the smallest summed distance to the others (ties: the first)."""
    d = np.asarray(reference, np.float64)
    if not d.size:
        raise ValueError("the reference matrix is empty: no medoid")
    return reference.coords["network"].values[int(np.argmin(d.sum(axis=1)))]


def merge_blocks(reference: xr.DataArray, rows: xr.DataArray, among: np.ndarray | None,
                 model_labels: pd.DataFrame) -> xr.DataArray:
    """The (M + R) square matrix, the models first: ``[[among, rows], [rows^T, reference]]``.

    ``reference`` (R, R) and ``rows`` (M, R) must list the reference networks in the same
    order; ``among`` (M, M) is the models' matrix (None for one model); ``model_labels``
    has one row per model (network_id and the label columns of the reference's coords).
    The result carries the label coordinates (``col`` and ``col_2``) and a boolean
    ``model`` coordinate.
    """
    from .similarity import DIMS, SUFFIX

    ref_ids = list(reference.coords[DIMS[0]].values)
    if list(rows.coords[DIMS[1]].values) != ref_ids:
        raise ValueError("rows and reference list the reference networks in different orders")
    m, r = rows.shape
    among = np.zeros((m, m)) if among is None else np.asarray(among, np.float64)
    d = np.block([[among, np.asarray(rows)], [np.asarray(rows).T, np.asarray(reference)]])
    d = 0.5 * (d + d.T)
    np.fill_diagonal(d, 0.0)
    ids = list(model_labels["network_id"]) + ref_ids
    coords = {DIMS[0]: np.array(ids, dtype=object), DIMS[1]: np.array(ids, dtype=object)}
    for name, c in reference.coords.items():
        if c.dims == (DIMS[0],) and name != DIMS[0] and name in model_labels.columns:
            values = np.concatenate([model_labels[name].to_numpy(), np.asarray(c.values)])
            coords[name] = (DIMS[0], values)
            coords[name + SUFFIX] = (DIMS[1], values)
    flag = np.r_[np.ones(m, bool), np.zeros(r, bool)]
    coords["model"], coords["model" + SUFFIX] = (DIMS[0], flag), (DIMS[1], flag)
    return xr.DataArray(d, dims=DIMS, coords=coords, attrs=dict(reference.attrs))


@dataclass(frozen=True)
class Placed:
    """One measure's placement: ``rows`` (models, reference) distances, ``among`` (models,
    models), ``merged`` the (models + reference) square matrix, and a ``note`` ('' or what
    the reader should know, e.g. that the reference's pairs were recomputed)."""

    rows: xr.DataArray
    among: np.ndarray
    merged: xr.DataArray
    note: str = ""


def place_representations(metric, reps_mod: list, reps_ref: list, stored: xr.DataArray, labels_mod: pd.DataFrame,
                          labels_ref: pd.DataFrame) -> Placed:
    """Rows of a representational metric: the models against each other and the reference,
    bound on the merged population (:func:`universality.similarity.cross`).  The stored
    reference matrix is used when its binding is the merged one (equal ``attrs``); else the
    reference's pairs are recomputed under the merged binding and ``note`` says so."""
    from .similarity import cross

    m = len(reps_mod)
    both = pd.concat([labels_mod, labels_ref], ignore_index=True)
    everyone = list(reps_mod) + list(reps_ref)
    block = cross(metric, reps_mod, everyone, labels_mod, both, bind_on=everyone)
    among = np.asarray(block)[:, :m].copy()
    among = 0.5 * (among + among.T)
    np.fill_diagonal(among, 0.0)
    rows = block.isel(network_2=slice(m, None))
    ref, note = stored, ""
    if stored.attrs != block.attrs:
        note = (f"{metric.name}: the models change the metric's population-wide choice ({stored.attrs} -> "
                f"{block.attrs}); the reference's pairs were recomputed with it")
        ref = cross(metric, reps_ref, reps_ref, labels_ref, labels_ref, bind_on=everyone)
        ref.values[np.diag_indices(len(reps_ref))] = 0.0
        ref.values[:] = 0.5 * (ref.values + ref.values.T)
    return Placed(rows, among, merge_blocks(ref, rows, among if m > 1 else None, labels_mod), note)


def place_operators(ops_mod: list, ops_ref: list, config, stored: xr.DataArray, labels_mod: pd.DataFrame,
                    labels_ref: pd.DataFrame, progress: bool = False) -> Placed:
    """Rows of DSA: the models' operators aligned to the reference's and to each other
    (:func:`universality.dynamics_similarity.cross_operator_distances`); a DSA distance
    depends on its pair only, so the stored reference matrix always fits."""
    from .dynamics_similarity import cross_operator_distances, operator_distances

    rows = cross_operator_distances(ops_mod, ops_ref, config, labels_mod, labels_ref, progress=progress)
    among = np.asarray(operator_distances(ops_mod, config, labels=labels_mod)) if len(ops_mod) > 1 else \
        np.zeros((1, 1))
    ids = list(rows.coords["network_2"].values)
    ref = stored.sel(network=ids, network_2=ids)
    return Placed(rows, among, merge_blocks(ref, rows, among if len(ops_mod) > 1 else None, labels_mod))


def place_graphs(graphs_mod: Mapping, reference, labels_mod: pd.DataFrame) -> Placed | None:
    """Rows of a topology: the Euclidean (Frobenius) distance from each model's lined-up
    graph to each compared reference network's (``reference``: a
    :class:`universality.topology.Topology`), as its ``distances`` are computed.
    ``graphs_mod``: model -> graph, or None for a model that is not compared (no fixed
    points, or a graph of another shape); those get no row.  None when no model is compared."""
    from .similarity import labelled_cross

    keep = [i for i, g in enumerate(graphs_mod.values()) if g is not None]
    if not keep:
        return None
    ref_d = reference.distances
    ids = list(ref_d.coords["network"].values)
    flat_ref = np.stack([np.asarray(reference.graphs[i], np.float64).ravel() for i in ids])
    flat_mod = np.stack([np.asarray(g, np.float64).ravel() for g in graphs_mod.values() if g is not None])
    d = np.linalg.norm(flat_mod[:, None, :] - flat_ref[None], axis=-1)
    among = np.linalg.norm(flat_mod[:, None, :] - flat_mod[None], axis=-1)
    labels = labels_mod.iloc[keep].reset_index(drop=True)
    ref_labels = pd.DataFrame({"network_id": ids, **{c: ref_d.coords[c].values for c in ("arch", "activation",
                               "units", "l2", "seed") if c in ref_d.coords}})
    rows = labelled_cross(d, labels, ref_labels, {"metric": "euclidean graph distance"})
    return Placed(rows, among, merge_blocks(ref_d, rows, among if len(keep) > 1 else None, labels))
