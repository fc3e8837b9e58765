"""Cleaning candidate fixed points: non-finite and slow points, outliers, duplicates."""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from .config import FixedPointConfig

__all__ = ["deduplicate", "outlier_mask", "clean"]


def deduplicate(h_ns: np.ndarray, q_n: np.ndarray, tol: float, groups_n: np.ndarray | None = None) -> np.ndarray:
    """Indices of the unique points: within each group, points closer than ``tol`` merge.

    Points i, j of one group are linked when ``||h_i - h_j|| <= tol``; each connected
    component of that graph keeps its point of lowest q.  Pairs come from a k-d tree
    (``query_pairs``), components from ``scipy.sparse.csgraph``: no Python pair loop.

    Returns
    -------
    (n_unique,) int array of kept indices, sorted ascending.
    """
    h = np.asarray(h_ns, np.float64)
    q = np.asarray(q_n, np.float64)
    n = len(h)
    if n == 0:
        return np.zeros(0, np.int64)
    groups = np.zeros(n, np.int64) if groups_n is None else np.asarray(groups_n)
    pairs = cKDTree(h).query_pairs(r=tol, output_type="ndarray")
    if len(pairs):
        pairs = pairs[groups[pairs[:, 0]] == groups[pairs[:, 1]]]
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n)) if len(pairs) else \
        coo_matrix((n, n))
    _, labels = connected_components(graph, directed=False)
    order = np.lexsort((q, labels))  # by component, then q ascending
    first = np.ones(n, bool)
    first[1:] = labels[order][1:] != labels[order][:-1]
    return np.sort(order[first])


def outlier_mask(h_ns: np.ndarray, reference_rs: np.ndarray, scale: float) -> np.ndarray:
    """True for points within ``scale`` x the reference cloud's median radius of its centroid.

    With c the centroid of ``reference_rs`` and ``rho = median_r ||ref_r - c||``, point i is
    kept when ``||h_i - c|| <= scale * rho``.
    """
    h = np.asarray(h_ns, np.float64)
    if not np.isfinite(scale):
        return np.ones(len(h), bool)
    ref = np.asarray(reference_rs, np.float64)
    c = ref.mean(axis=0)
    rho = np.median(np.linalg.norm(ref - c, axis=1))
    return np.linalg.norm(h - c, axis=1) <= scale * max(rho, np.finfo(float).tiny)


def clean(h_ks, q_k, cond_k, reference_rs, config: FixedPointConfig, q_max: float | None = None) -> np.ndarray:
    """Indices of the candidates of ONE network that are kept as fixed points.

    Drops non-finite points and points with ``q > q_max`` (default ``config.q_max``),
    then distance outliers (:func:`outlier_mask`), then merges duplicates per condition
    (:func:`deduplicate`, lowest q kept).
    """
    q_max = config.q_max if q_max is None else q_max
    h = np.asarray(h_ks, np.float64)
    q = np.asarray(q_k, np.float64)
    keep = np.isfinite(q) & np.all(np.isfinite(h), axis=1) & (q <= q_max)
    keep &= outlier_mask(h, reference_rs, config.outlier_distance_scale)
    idx = np.flatnonzero(keep)
    return idx[deduplicate(h[idx], q[idx], config.tol_unique, np.asarray(cond_k)[idx])]

