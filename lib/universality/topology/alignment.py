"""Lining up the flip-flop fixed points of different networks: which row means which point.

Two networks' transition matrices can only be compared entry by entry if row i means
the same fixed point in both.  The paper orders the points "lexicographically ... based on
the RNN readout" and compares only networks with the modal number of points (footnote 5).
Sorting by a rounded readout does not line saddles up: a saddle's readout is near 0 on the
channels it sits between and varies from network to network by about 0.2, so the
rounding scrambles their order.  Here every fixed point of a K-bit flip-flop network is
given a *label*: one of the ``3^K`` positions ``t in {-1, 0, +1}^K`` of the cube (its 2^K
corners, its edges' midpoints, its faces' centres, ..., its centre; 27 for K = 3).  Rows
and columns of the aligned ``(3^K, 3^K)`` matrix are these positions, in the order of
:func:`cube_positions`; a position a network has no point for is an empty row.

Three principles label the points (``PRINCIPLES``):

``'position'`` (the book's default)
    Each point goes to the position nearest its readout, one point per position: the
    assignment minimising ``sum_i ||y_i - t_(i)||^2`` over one-to-one assignments
    (Hungarian algorithm).  This is the paper's "ordering based on the RNN readout" made
    robust: the readout decides, without rounding.  Points beyond the 3^K positions are
    unmatched (counted).
``'routing'``
    A stable point takes the corner of its readout's sign pattern; a saddle takes the
    smallest sub-cube containing the corners its perturbations reach (an edge saddle
    that sends runs to two neighbouring corners is that edge; one that reaches the four
    corners of a face, that face; ...).  When several points take one label, the one
    whose number of unstable dimensions equals the sub-cube's dimension is kept, then the
    one whose readout is nearest the position; the others are unmatched.  This labels a
    point by what it does rather than where it reads out.
``'readout'`` (the paper's procedure, for comparison)
    Points sorted lexicographically by their readout rounded to ``decimals`` (ties broken
    by the exact values); row i is the i-th point.  Only networks with the same number of
    points can be compared, so :mod:`universality.topology` keeps the modal-count
    networks for this principle.

In all three, column j of a row is "the run ended at stable point j": for 'position' and
'routing' the columns are the corners, read off the sign pattern of each stable point's
readout; for 'readout' they are the ranks.  ``ideal_graph`` is the transition matrix of a
perfect K-bit cube (every saddle routes equally to the corners of its sub-cube).
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy.optimize import linear_sum_assignment

__all__ = ["PRINCIPLES", "cube_positions", "position_names", "position_dimensions", "ideal_graph",
           "readout_order", "label_by_position", "label_by_routing", "corner_of", "aligned_graph"]

PRINCIPLES = ("position", "routing", "readout")


def cube_positions(n_bits: int) -> np.ndarray:
    """The ``3^K`` positions ``{-1, 0, +1}^K`` of a K-cube, (3^K, K), in product order."""
    if isinstance(n_bits, bool) or not isinstance(n_bits, (int, np.integer)) or not 1 <= n_bits <= 8:
        raise ValueError(f"n_bits={n_bits!r} must be an integer in [1, 8]")
    return np.array(list(itertools.product((-1.0, 0.0, 1.0), repeat=int(n_bits))))


def position_names(n_bits: int) -> tuple[str, ...]:
    """``'+0-'``-style names of :func:`cube_positions` (first channel first)."""
    sym = {-1.0: "-", 0.0: "0", 1.0: "+"}
    return tuple("".join(sym[v] for v in t) for t in cube_positions(n_bits))


def position_dimensions(n_bits: int) -> np.ndarray:
    """Dimension of each position's sub-cube (its number of zeros): 0 at corners, K at the
    centre -- a saddle's expected number of unstable dimensions there."""
    return (cube_positions(n_bits) == 0).sum(axis=1)


def _index(t: np.ndarray) -> int:
    """Row of position ``t`` in :func:`cube_positions` (base-3 digits, '-' = 0)."""
    k = len(t)
    return int(sum(int(v + 1) * 3 ** (k - 1 - i) for i, v in enumerate(t)))


def corner_of(y_k: np.ndarray) -> int:
    """Label of the corner whose sign pattern ``y`` reads (0 reads as +)."""
    return _index(np.where(np.asarray(y_k) >= 0, 1.0, -1.0))


def ideal_graph(n_bits: int) -> np.ndarray:
    """Transition matrix of a perfect K-bit cube over :func:`cube_positions`.

    Corners keep their perturbations (a self-loop of 1); a point at position t sends its
    runs equally to the ``2^d`` corners of its sub-cube (d = number of zeros of t).
    """
    pos = cube_positions(n_bits)
    out = np.zeros((len(pos), len(pos)))
    for i, t in enumerate(pos):
        free = np.flatnonzero(t == 0)
        for signs in itertools.product((-1.0, 1.0), repeat=len(free)):
            c = t.copy()
            c[free] = signs
            out[i, _index(c)] += 1.0 / 2 ** len(free)
    return out


def readout_order(outputs_no: np.ndarray, decimals: int = 1) -> np.ndarray:
    """The paper's order: points sorted lexicographically by readout (first output first).

    Keys, most significant first: ``round(y_0, decimals), round(y_1, decimals), ...``,
    then the unrounded ``y_0, y_1, ...`` to break ties.  Returns the permutation.
    """
    y = np.asarray(outputs_no, np.float64)
    if y.ndim != 2:
        raise ValueError(f"outputs_no has shape {y.shape}; expected (n points, O outputs)")
    if not len(y):
        return np.zeros(0, np.int64)
    keys = [y[:, j] for j in range(y.shape[1])][::-1] + [np.round(y[:, j], decimals) for j in range(y.shape[1])][::-1]
    return np.lexsort(keys)


def label_by_position(outputs_nk: np.ndarray) -> np.ndarray:
    """Label of each point under the 'position' principle (-1: unmatched), shape (n,)."""
    y = np.asarray(outputs_nk, np.float64)
    pos = cube_positions(y.shape[1])
    labels = np.full(len(y), -1, np.int64)
    if len(y):
        cost = ((y[:, None, :] - pos[None]) ** 2).sum(-1)
        rows, cols = linear_sum_assignment(cost)
        labels[rows] = cols
    return labels


def label_by_routing(outputs_nk: np.ndarray, is_stable_n: np.ndarray, n_unstable_n: np.ndarray,
                     transitions_nn: np.ndarray, min_probability: float = 0.0) -> np.ndarray:
    """Label of each point under the 'routing' principle (-1: unmatched), shape (n,).

    A run counts as reaching a corner when its probability exceeds ``min_probability``.
    """
    y = np.asarray(outputs_nk, np.float64)
    stable = np.asarray(is_stable_n, bool)
    k = y.shape[1]
    pos = cube_positions(k)
    raw = np.full(len(y), -1, np.int64)
    corners = np.array([corner_of(v) for v in y]) if len(y) else np.zeros(0, np.int64)
    raw[stable] = corners[stable]
    for i in np.flatnonzero(~stable):
        dest = [j for j in np.flatnonzero(transitions_nn[i] > min_probability) if stable[j]]
        if not dest:
            continue
        c = pos[corners[dest]]
        raw[i] = _index(np.where(np.all(c == c[0], axis=0), c[0], 0.0))
    labels = np.full(len(y), -1, np.int64)
    dims = position_dimensions(k)
    for lab in np.unique(raw[raw >= 0]):
        idx = np.flatnonzero(raw == lab)
        best = min(idx, key=lambda i: (int(n_unstable_n[i]) != dims[lab], float(np.sum((y[i] - pos[lab]) ** 2)), i))
        labels[best] = lab
    return labels


def aligned_graph(fps, transitions_nn: np.ndarray, principle: str = "position", decimals: int = 1):
    """One network's transition matrix with rows and columns that mean the same in every network.

    Parameters
    ----------
    fps : the network's :class:`~universality.fixed_points.FixedPoints` (``outputs``,
        ``is_stable``, ``n_unstable``), in the order of ``transitions_nn``
    transitions_nn : (n, n) from :func:`universality.topology.transitions.transition_matrix`
    principle : one of :data:`PRINCIPLES`

    Returns
    -------
    matrix : (3^K, 3^K) for 'position' and 'routing'; (n, n) for 'readout'
    point_index : (rows,) index of the network's point at each row, -1 where it has none
    unmatched : number of points that took no row
    """
    if principle not in PRINCIPLES:
        raise ValueError(f"principle={principle!r} is not one of {PRINCIPLES!r}")
    y = np.asarray(fps.outputs, np.float64)
    t = np.asarray(transitions_nn, np.float64)
    n = len(y)
    if t.shape != (n, n):
        raise ValueError(f"transitions_nn has shape {t.shape}; expected ({n}, {n}) for {n} fixed points")
    if principle == "readout":
        order = readout_order(y, decimals)
        return t[np.ix_(order, order)], order.astype(np.int64), 0
    k = y.shape[1] if y.ndim == 2 else 0
    if k == 0:
        raise ValueError("the fixed points have no readout (outputs); a flip-flop network has K outputs")
    size = 3 ** k
    if principle == "position":
        labels = label_by_position(y)
    else:
        labels = label_by_routing(y, fps.is_stable, fps.n_unstable, t)
    cols = np.array([corner_of(v) for v in y], np.int64) if n else np.zeros(0, np.int64)
    cols[~np.asarray(fps.is_stable, bool)] = -1  # runs end at stable points only
    matrix = np.zeros((size, size))
    point_index = np.full(size, -1, np.int64)
    for i in np.flatnonzero(labels >= 0):
        point_index[labels[i]] = i
        dest = np.flatnonzero((t[i] > 0) & (cols >= 0))
        np.add.at(matrix[labels[i]], cols[dest], t[i, dest])
    return matrix, point_index, int(np.sum(labels < 0))
