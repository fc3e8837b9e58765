"""Embedding a population's distance matrix, and numbers for "it clusters by X".

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

Clustering statistics (:func:`cluster_stats`) for any distance matrix and any labels
(architecture, activation, trained/untrained): leave-one-out nearest-neighbour accuracy,
its exact chance level under label permutation, a permutation p-value, and the
silhouette score.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr
from sklearn.manifold import smacof
from sklearn.metrics import silhouette_score

__all__ = [
    "mds",
    "ClusterStats",
    "cluster_stats",
    "nearest_neighbours",
    "permutation_chance",
]

DIMS = ("network", "component")


# ---------------------------------------------------------------------------- validation


def _check_distances(distances, name: str = "distances") -> np.ndarray:
    """A finite, square, symmetric, non-negative (P, P) float64 matrix with zero diagonal."""
    d = np.asarray(distances.values if isinstance(distances, xr.DataArray) else distances)
    if d.ndim != 2 or d.shape[0] != d.shape[1]:
        raise ValueError(f"{name} has shape {d.shape}; expected a square (P, P) distance matrix")
    if d.shape[0] < 3:
        raise ValueError(f"{name} has shape {d.shape}; need at least 3 networks")
    d = d.astype(np.float64)
    if not np.isfinite(d).all():
        raise ValueError(f"{name} contains NaN or inf values; all entries must be finite")
    scale = max(float(np.abs(d).max()), np.finfo(np.float64).tiny)
    asym = float(np.abs(d - d.T).max())
    if asym > 1e-10 * scale:
        raise ValueError(
            f"{name} is not symmetric (max |D - D^T| = {asym:.3g}); a distance matrix must "
            "satisfy D[i, j] == D[j, i]"
        )
    diag = float(np.abs(np.diag(d)).max())
    if diag > 1e-10 * scale:
        raise ValueError(f"{name} has a non-zero diagonal (max |D[i, i]| = {diag:.3g}); expected 0")
    if d.min() < -1e-10 * scale:
        raise ValueError(f"{name} has negative entries (min {d.min():.3g}); distances are >= 0")
    d = 0.5 * (d + d.T)
    np.fill_diagonal(d, 0.0)
    return np.maximum(d, 0.0)


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
    d = _check_distances(distances)
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


# ---------------------------------------------------------------------------- statistics


@dataclass(frozen=True)
class ClusterStats:
    """How well a labelling explains a distance matrix.

    Attributes
    ----------
    accuracy : leave-one-out nearest-neighbour accuracy, ``(1/P) sum_i 1[y_nn(i) = y_i]``
    chance : its expected value under a random permutation of the labels (exact)
    silhouette : mean silhouette coefficient (sklearn, ``metric='precomputed'``)
    p_value : ``(1 + #{perm: accuracy_perm >= accuracy}) / (1 + n_permutations)``
    n_permutations : permutations drawn
    n_classes, n : number of classes and of networks
    """

    accuracy: float
    chance: float
    silhouette: float
    p_value: float
    n_permutations: int
    n_classes: int
    n: int


def nearest_neighbours(distances) -> np.ndarray:
    """Index of each point's nearest other point, ``nn(i) = argmin_{j != i} D_ij``.

    Ties go to the smallest index (``numpy.argmin``), so the result is deterministic.
    Returns a (P,) int array.
    """
    d = _check_distances(distances).copy()
    np.fill_diagonal(d, np.inf)
    return np.argmin(d, axis=1)


def permutation_chance(codes) -> float:
    """Exact expected leave-one-out NN accuracy when the labels are randomly permuted.

    Under a uniform permutation of the labels over the points, the ordered pair
    ``(i, nn(i))`` (two distinct points) receives two labels drawn without replacement,
    so for every ``i``::

        P(same) = sum_c n_c (n_c - 1) / (P (P - 1)),

    whatever the nearest-neighbour graph.  This is slightly below ``sum_c (n_c / P)^2``
    (the with-replacement figure), which overstates chance for small classes.
    """
    _, counts = np.unique(np.asarray(codes), return_counts=True)
    n = counts.sum()
    return float(np.sum(counts * (counts - 1)) / (n * (n - 1)))


def _labels_vector(labels, distances, n: int) -> np.ndarray:
    if isinstance(labels, str):
        if not isinstance(distances, xr.DataArray) or labels not in distances.coords:
            raise ValueError(
                f"labels={labels!r} names no coordinate of distances; pass an array of "
                "P labels, or a coordinate name of a labelled (DataArray) matrix"
            )
        labels = distances.coords[labels].values
    y = np.asarray(labels)
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError(f"labels has shape {y.shape}; expected ({n},), one label per network")
    _, codes = np.unique(y, return_inverse=True)
    if codes.max() < 1:
        raise ValueError(
            f"labels has a single class ({y[0]!r}); clustering statistics need at least 2"
        )
    if codes.max() + 1 >= n:
        raise ValueError(
            f"labels has {codes.max() + 1} classes for {n} networks; at most P - 1 allowed "
            "(every network its own class leaves nothing to test)"
        )
    return codes


def cluster_stats(distances, labels, n_permutations: int = 1000, seed: int = 0) -> ClusterStats:
    """Nearest-neighbour accuracy, chance, permutation p-value and silhouette.

    Parameters
    ----------
    distances : (P, P) array or xarray.DataArray
        Any distance matrix (SVCCA, CKA, fixed-point topology, ...).
    labels : (P,) array-like, or str
        A label per network (e.g. architecture); a string names a coordinate of a
        labelled ``distances`` (e.g. ``'arch'``).
    n_permutations : int >= 1
        Label permutations for the p-value.
    seed : int
        Seeds ``numpy.random.default_rng``: same inputs and seed, same p-value.

    Returns
    -------
    ClusterStats

    Notes
    -----
    The statistic is the leave-one-out 1-nearest-neighbour accuracy.  The nearest
    neighbour of each point does not depend on the labels, so it is found once; the
    permuted accuracies are then vectorised, ``mean(y_perm[nn] == y_perm)``, in chunks
    of permutations.  The p-value counts the observed labelling as one of the
    permutations (never 0).  The silhouette has no p-value here.
    """
    d = _check_distances(distances)
    n = d.shape[0]
    codes = _labels_vector(labels, distances, n)
    n_perm = _check_int(n_permutations, "n_permutations", 1)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed={seed!r} must be an integer")

    nn = nearest_neighbours(d)
    accuracy = float(np.mean(codes[nn] == codes))
    rng = np.random.default_rng(seed)
    exceed, chunk = 0, max(1, 2_000_000 // n)
    for start in range(0, n_perm, chunk):
        m = min(chunk, n_perm - start)
        perm = rng.permuted(np.tile(codes, (m, 1)), axis=1)
        acc = np.mean(perm[:, nn] == perm, axis=1)
        exceed += int(np.count_nonzero(acc >= accuracy - 1e-12))
    return ClusterStats(
        accuracy=accuracy,
        chance=permutation_chance(codes),
        silhouette=float(silhouette_score(d, codes, metric="precomputed")),
        p_value=(1 + exceed) / (1 + n_perm),
        n_permutations=n_perm,
        n_classes=int(codes.max() + 1),
        n=n,
    )
