"""Nearest-neighbour graphs over input-dependent fixed points (sine, CDI; Figs. 2e, 3d).

The paper quantifies the topology of the input-dependent fixed points "by generating a
graph with edges between fixed points that were nearest neighbors" (Section 3.3; the
sine page uses the same method).  ``A[i, j] = 1`` when point j is among the ``k`` nearest
(Euclidean, in state space) to point i.  Rows are aligned across networks by what the
points mean, and a row a network has no point for is empty, so that every network
whose fixed points were found can be compared:

* **sine**: row c is the fixed point of command frequency c (the lowest-q point of that
  condition), conditions in frequency order; a frequency without a point is an empty row.
* **CDI**: per context, the points on the line attractor (by default every point: the
  line sampler keeps only slow points of lines the network holds; with ``max_magnitude``,
  those with leading ``|lambda| <= max_magnitude``) sorted by readout fill ``n_points``
  slots evenly along the line: with
  ``n >= n_points`` points, the ones at ranks ``round(linspace(0, n - 1, n_points))``;
  with fewer, point r goes to slot ``round(r (n_points - 1) / (n - 1))`` and the other
  slots stay empty.  The graph is the (C, n_points, n_points) stack of the contexts'
  adjacency matrices.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.distance import pdist, squareform

__all__ = ["knn_adjacency", "sine_graph", "cdi_graph", "line_slots"]


def knn_adjacency(points_ns: np.ndarray, k: int = 1) -> np.ndarray:
    """Directed k-nearest-neighbour adjacency, (n, n): ``A[i, j] = 1`` if j is among i's k
    nearest (a point is not its own neighbour; exact ties go to the lower index).  With
    n <= k every other point is a neighbour."""
    x = np.asarray(points_ns, np.float64)
    n = len(x)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k={k!r} must be a positive integer")
    a = np.zeros((n, n))
    if n < 2:
        return a
    d = squareform(pdist(x))
    np.fill_diagonal(d, np.inf)
    nn = np.argsort(d, axis=1, kind="stable")[:, : min(k, n - 1)]
    np.put_along_axis(a, nn, 1.0, axis=1)
    return a


def _embed(points_ns: np.ndarray, slots: np.ndarray, size: int, k: int) -> np.ndarray:
    """k-NN graph of the points, written into a (size, size) matrix at their slots."""
    out = np.zeros((size, size))
    if len(slots):
        out[np.ix_(slots, slots)] = knn_adjacency(points_ns, k)
    return out


def sine_graph(fps, n_conditions: int, k: int = 1):
    """k-NN graph over one fixed point per frequency, rows in frequency (condition) order.

    Returns
    -------
    matrix : (C, C), empty rows and columns for frequencies without a fixed point
    point_index : (C,) index of each row's point in ``fps``, -1 where none
    """
    index = np.full(n_conditions, -1, np.int64)
    for c in range(n_conditions):
        idx = np.flatnonzero(fps.condition == c)
        if len(idx):
            index[c] = idx[np.argmin(fps.q[idx])]
    have = np.flatnonzero(index >= 0)
    return _embed(fps.h[index[have]], have, n_conditions, k), index


def line_slots(n: int, n_points: int) -> tuple[np.ndarray, np.ndarray]:
    """Which of n readout-sorted points fill which of ``n_points`` slots along a line.

    Returns (ranks, slots): with n >= n_points, the points at ranks
    ``round(linspace(0, n - 1, n_points))`` fill every slot; with fewer, every point r
    fills slot ``round(r (n_points - 1) / (n - 1))`` (a single point: the middle slot).
    """
    if n >= n_points:
        return np.round(np.linspace(0, n - 1, n_points)).astype(np.int64), np.arange(n_points)
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if n == 1:
        return np.zeros(1, np.int64), np.array([(n_points - 1) // 2])
    return np.arange(n), np.round(np.arange(n) * (n_points - 1) / (n - 1)).astype(np.int64)


def cdi_graph(fps, n_conditions: int, n_points: int = 10, k: int = 1, max_magnitude: float | None = None):
    """Per context: k-NN graph over ``n_points`` slots along the line attractor.

    Returns
    -------
    matrix : (C, n_points, n_points), empty rows and columns for empty slots
    point_index : (C * n_points,) index of each slot's point in ``fps`` (context-major), -1
        where the slot is empty
    """
    if isinstance(n_points, bool) or not isinstance(n_points, (int, np.integer)) or n_points < 2:
        raise ValueError(f"n_points={n_points!r} must be an integer >= 2")
    on_line = np.ones(len(fps), bool) if max_magnitude is None or not len(fps) else \
        fps.magnitudes[:, 0] <= max_magnitude
    mats, index = [], np.full((n_conditions, n_points), -1, np.int64)
    for c in range(n_conditions):
        idx = np.flatnonzero((fps.condition == c) & on_line)
        idx = idx[np.argsort(fps.outputs[idx, 0], kind="stable")]
        ranks, slots = line_slots(len(idx), n_points)
        index[c, slots] = idx[ranks]
        mats.append(_embed(fps.h[idx[ranks]], slots, n_points, k))
    return np.stack(mats), index.ravel()
