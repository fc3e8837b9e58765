"""Distance matrices and labels, checked: what every statistic of a population starts from."""

from __future__ import annotations

import numpy as np
import xarray as xr

__all__ = ["check_distances", "label_codes", "permutation_chance", "tie_tolerance"]


def check_distances(distances, name: str = "distances", min_size: int = 3) -> np.ndarray:
    """A finite, square, symmetric, non-negative (P, P) float64 matrix with zero diagonal."""
    d = np.asarray(distances.values if isinstance(distances, xr.DataArray) else distances)
    if d.ndim != 2 or d.shape[0] != d.shape[1]:
        raise ValueError(f"{name} has shape {d.shape}; expected a square (P, P) distance matrix")
    if d.shape[0] < min_size:
        raise ValueError(f"{name} has shape {d.shape}; need at least {min_size} networks")
    d = d.astype(np.float64)
    if not np.isfinite(d).all():
        raise ValueError(f"{name} contains NaN or inf values; all entries must be finite")
    scale = max(float(np.abs(d).max()) if d.size else 0.0, np.finfo(np.float64).tiny)
    asym = float(np.abs(d - d.T).max()) if d.size else 0.0
    if asym > 1e-10 * scale:
        raise ValueError(f"{name} is not symmetric (max |D - D^T| = {asym:.3g}); a distance matrix must "
                         "satisfy D[i, j] == D[j, i]")
    diag = float(np.abs(np.diag(d)).max()) if d.size else 0.0
    if diag > 1e-10 * scale:
        raise ValueError(f"{name} has a non-zero diagonal (max |D[i, i]| = {diag:.3g}); expected 0")
    if d.size and d.min() < -1e-10 * scale:
        raise ValueError(f"{name} has negative entries (min {d.min():.3g}); distances are >= 0")
    d = 0.5 * (d + d.T)
    np.fill_diagonal(d, 0.0)
    return np.maximum(d, 0.0)


def tie_tolerance(distances, rtol: float = 1e-9) -> float:
    """How close two distances must be to count as tied: ``rtol * max(D)``, or the
    matrix's own resolution when it declares one (``attrs['tie_tolerance']``: e.g. the
    flip-flop transition graphs, whose entries move in steps of one perturbation's
    outcome, so distances closer than that step are not resolved)."""
    d = np.asarray(distances.values if isinstance(distances, xr.DataArray) else distances, np.float64)
    tol = rtol * max(float(np.max(d)) if d.size else 0.0, np.finfo(np.float64).tiny)
    own = float(getattr(distances, "attrs", {}).get("tie_tolerance", 0.0) or 0.0)
    return max(tol, own)


def label_codes(labels, distances, n: int) -> np.ndarray:
    """Integer class codes 0..C-1 of ``labels`` (an array of P, or a coordinate name of a
    labelled matrix), checked: 2 <= C <= P - 1."""
    if isinstance(labels, str):
        if not isinstance(distances, xr.DataArray) or labels not in distances.coords:
            raise ValueError(f"labels={labels!r} names no coordinate of distances; pass an array of P labels, "
                             "or a coordinate name of a labelled (DataArray) matrix")
        labels = distances.coords[labels].values
    y = np.asarray(labels)
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError(f"labels has shape {y.shape}; expected ({n},), one label per network")
    _, codes = np.unique(y, return_inverse=True)
    if codes.max() < 1:
        raise ValueError(f"labels has a single class ({y[0]!r}); clustering statistics need at least 2")
    if codes.max() + 1 >= n:
        raise ValueError(f"labels has {codes.max() + 1} classes for {n} networks; at most P - 1 allowed "
                         "(every network its own class leaves nothing to test)")
    return codes


def permutation_chance(codes) -> float:
    """Exact expected nearest-neighbour accuracy when the labels are randomly permuted.

    Under a uniform permutation of the labels, any ordered pair of distinct networks
    receives two labels drawn without replacement, so ``P(same) = sum_c n_c (n_c - 1) /
    (P (P - 1))`` for every pair and hence for every weighting ``W`` of the pairs.  This
    is slightly below ``sum_c (n_c / P)^2``, which overstates chance for small classes.
    """
    _, counts = np.unique(np.asarray(codes), return_counts=True)
    n = counts.sum()
    return float(np.sum(counts * (counts - 1)) / (n * (n - 1)))
