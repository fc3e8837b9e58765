"""Embedding a population's distance matrix in the plane (MDS).

MDS (multidimensional scaling; the paper's Figs. 1d, 1f, 2c, 2e, 3c, 3d), made
deterministic:

1. classical (Torgerson) MDS: double-centre the squared distances,
   ``B = -1/2 J D^(2) J`` with ``J = I - 11^T / P``, eigendecompose ``B = W L W^T`` and
   take ``Y = W_r L_r^(1/2)`` for the ``r`` largest eigenvalues (negative ones, from a
   non-Euclidean ``D``, give zero coordinates);
2. optionally refine with SMACOF (metric stress majorisation, ``sklearn.manifold.smacof``)
   started from the classical solution, one run, every argument explicit;
3. rotate to principal axes and fix each axis's sign so that its largest-|value|
   coordinate is positive (first such point on ties).

Stress reported: ``raw = sum_{i<j} (||y_i - y_j|| - D_ij)^2`` and Kruskal's
``stress1 = sqrt(raw / sum_{i<j} D_ij^2)``.

The statistics that turn "it clusters by X" into numbers are in
:mod:`universality.statistics`.
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from sklearn.manifold import smacof

from .statistics import check_distances

__all__ = ["mds"]

DIMS = ("network", "component")


# ---------------------------------------------------------------------------- validation


def _check_int(value, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name}={value!r} must be an integer >= {minimum}")
    return int(value)


# ----------------------------------------------------------------------------------- MDS


def _principal_axes(y: np.ndarray) -> np.ndarray:
    """Centre, rotate to principal axes, sign each axis by its largest-|value| entry."""
    y = y - y.mean(axis=0)
    _, _, vt = np.linalg.svd(y, full_matrices=False)
    y = y @ vt.T
    idx = np.argmax(np.abs(y), axis=0)
    signs = np.sign(y[idx, np.arange(y.shape[1])])
    return y * np.where(signs == 0, 1.0, signs)


def _stress(y: np.ndarray, d: np.ndarray) -> tuple[float, float]:
    diff = y[:, None, :] - y[None, :, :]
    fitted = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
    iu = np.triu_indices(d.shape[0], 1)
    raw = float(np.sum((fitted[iu] - d[iu]) ** 2))
    return raw, float(np.sqrt(raw / np.sum(d[iu] ** 2)))


def mds(
    distances,
    n_components: int = 2,
    refine: bool = False,
    max_iter: int = 300,
    eps: float = 1e-6,
) -> xr.DataArray:
    """Deterministic metric MDS of a (P, P) distance matrix.

    Parameters
    ----------
    distances : (P, P) array or xarray.DataArray
        Symmetric, zero diagonal, non-negative (e.g. :func:`similarity.pairwise_distances`).
    n_components : int
        Embedding dimension ``r`` (2 for the paper's plots), at most P - 1.
    refine : bool
        Refine the classical solution with SMACOF (``sklearn.manifold.smacof``,
        ``metric=True``, ``init`` = classical solution, ``n_init=1``, ``max_iter``,
        ``eps``).  SMACOF decreases the stress monotonically from its start, so the
        refined stress is at most the classical one, and the result is as deterministic
        as its start.
    max_iter, eps : SMACOF's iteration cap and relative stress tolerance.

    Returns
    -------
    xarray.DataArray (P, n_components), dims ('network', 'component')
        Coordinates ``Y``; the ``network`` dimension carries the coordinates the input's
        first dimension had (index values and every label coordinate).  ``attrs``:
        ``method`` ('classical' or 'smacof'), ``stress`` (raw, sum over pairs),
        ``stress1`` (Kruskal), ``eigenvalues`` (the ``r`` largest of ``B``),
        ``explained`` (their share of the positive eigenvalues), ``n_iter`` (SMACOF).

    Notes
    -----
    Classical MDS recovers any Euclidean configuration exactly, up to rotation,
    reflection and translation; the principal-axes rotation and the sign rule pick one.
    """
    d = check_distances(distances)
    n = d.shape[0]
    r = _check_int(n_components, "n_components", 1)
    if r > n - 1:
        raise ValueError(f"n_components={r} must be at most P - 1 = {n - 1}")
    _check_int(max_iter, "max_iter", 1)

    if not np.any(d):
        raise ValueError("distances is all zeros: every network coincides, nothing to embed")
    j = np.eye(n) - 1.0 / n
    b = -0.5 * j @ (d * d) @ j
    lam, w = np.linalg.eigh(0.5 * (b + b.T))
    lam, w = lam[::-1], w[:, ::-1]
    y = w[:, :r] * np.sqrt(np.maximum(lam[:r], 0.0))
    y = _principal_axes(y)
    attrs = {
        "method": "classical",
        "eigenvalues": lam[:r].copy(),
        "explained": float(np.maximum(lam[:r], 0).sum() / np.maximum(lam, 0).sum()),
    }
    if refine:
        y_ref, _, n_iter = smacof(
            d,
            metric=True,
            n_components=r,
            init=y,
            n_init=1,
            n_jobs=None,
            max_iter=max_iter,
            verbose=0,
            eps=eps,
            random_state=0,
            return_n_iter=True,
            normalized_stress=False,
        )
        y = _principal_axes(np.asarray(y_ref, dtype=np.float64))
        attrs.update(method="smacof", n_iter=int(n_iter))
    attrs["stress"], attrs["stress1"] = _stress(y, d)

    coords = {DIMS[1]: np.arange(r)}
    if isinstance(distances, xr.DataArray):
        first = distances.dims[0]
        for name, c in distances.coords.items():
            if c.dims == (first,):
                coords[DIMS[0] if name == first else name] = (DIMS[0], c.values)
    return xr.DataArray(y, dims=DIMS, coords=coords, attrs=attrs)
