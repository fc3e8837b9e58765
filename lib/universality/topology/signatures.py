"""The stability signature of input-dependent fixed points: topology without positions.

The paper compares the sine task's per-frequency fixed points by a nearest-neighbour
graph over their positions in state space.  For points on a curve that graph only records
whether each point's nearest neighbour is the next lower or the next higher frequency,
i.e. whether the spacing shrinks or grows along the curve: geometry, not topology.  A
monotone re-spacing of the points along their curve changes it.

The signature keeps what a change of coordinates cannot change: per condition (row),

    [number of fixed points,
     unstable oscillatory modes of the slowest point (complex pairs with |lambda| > 1),
     unstable real modes of the slowest point (real eigenvalues with |lambda| > 1)]

with a row of zeros where a condition has no fixed point.  Two networks are compared by
the Euclidean distance between their (conditions x 3) signatures, like any graph here.
The counts are integers, so a 1e-6 change of the weights cannot move them unless an
eigenvalue sits at |lambda| = 1 to that precision.
"""

from __future__ import annotations

import numpy as np

__all__ = ["stability_signature", "SIGNATURE_COLUMNS"]

SIGNATURE_COLUMNS = ("fixed points", "unstable oscillatory pairs", "unstable real modes")


def stability_signature(fps, n_conditions: int, tol_imag: float = 1e-6) -> tuple[np.ndarray, np.ndarray]:
    """(signature (C, 3), point_index (C,)): each condition's row (see the module
    docstring) and the index of its slowest (lowest-q) point in ``fps`` (-1 where none)."""
    sig = np.zeros((n_conditions, len(SIGNATURE_COLUMNS)))
    index = np.full(n_conditions, -1, np.int64)
    for c in range(n_conditions):
        idx = np.flatnonzero(fps.condition == c)
        if not len(idx):
            continue
        i = idx[np.argmin(fps.q[idx])]
        index[c] = i
        lam = fps.eigenvalues[i]
        unstable = np.abs(lam) > 1.0
        complex_ = np.abs(lam.imag) > tol_imag
        sig[c] = [len(idx), np.sum(unstable & complex_ & (lam.imag > 0)), np.sum(unstable & ~complex_)]
    return sig, index
