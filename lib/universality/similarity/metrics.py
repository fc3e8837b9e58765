"""Metrics as objects, and one all-pairs function for all of them.

A metric prepares each network once (:meth:`prepare`), sees the whole population's
preparations once (:meth:`bind`, the identity unless a choice depends on the population),
gives the columns that represent a network in a block product (:meth:`columns`), and turns
the products ``C_i^T C_j`` of a batch of pairs into distances (:meth:`pair_distances`).  :func:`pairwise` stacks the networks'
columns block by block (sorted by width, zero-padded), so one matrix product yields the
products of every pair of two blocks.

* :class:`SVCCA` (Section 2.3 of the paper): columns = an orthonormal basis of the top
  principal components covering ``variance_kept``; distance ``1 - mean(rho)`` over the
  singular values of ``Q_i^T Q_j``.
* :class:`MatchedSVCCA`: the same, but both sides of every pair keep the SAME number of
  components (by default the population's largest 95% count), so a low-dimensional
  network cannot sit close to everyone by averaging only its few correlations.
* :class:`LinearCKA`: columns = the centred data; distance
  ``1 - ||Xc^T Yc||_F^2 / (||Xc^T Xc||_F ||Yc^T Yc||_F)``.
* :class:`Procrustes` (Williams, Kunz, Kornblith and Linderman, NeurIPS 2021): the
  angular shape metric with partial whitening ``alpha``.  Each representation is centred
  and scaled to unit Frobenius norm, ``Xc = U S V^T`` with ``sum s_i^2 = 1``; partial
  whitening ``Xc (alpha I + (1 - alpha) C^(-1/2))`` is ``U diag(alpha s + (1 - alpha))``
  (C = Xc^T Xc).  With ``X~`` that matrix scaled to unit norm,

      d(X, Y) = arccos( max_{Q orthogonal} tr(X~^T Y~ Q) ) = arccos( ||X~^T Y~||_* ),

  the nuclear norm being the sum of singular values.  ``alpha = 1`` is Procrustes on the
  (normalised) data, ``arccos(||Xc^T Yc||_* / (||Xc|| ||Yc||))``, which is netrep's
  ``LinearMetric(alpha=1, score_method='angular')`` (the reference definition);
  ``alpha = 0`` is CCA (the mean canonical correlation when the dimensions agree).  For
  ``0 < alpha < 1`` netrep whitens the unscaled data (its result depends on the data's
  scale); here the data are scaled to unit norm first.  Unlike SVCCA it is a metric:
  symmetric, zero only on equivalent representations, and it obeys the triangle
  inequality.  ``variance_kept < 1`` (a departure from the reference, off by default)
  first keeps only the top principal components covering that fraction of each
  network's variance: cheaper pair products (k x k, k ~ 10-20, instead of units x
  units), but it drops the directions it does not keep from the alignment and moves
  distances (by up to 0.013 rad either way on the book's 16 flip-flop networks at 0.99).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd
import xarray as xr
from tqdm import tqdm

from .blocks import blocks, stack
from .core import (centred_gram, check_labels, check_representations, check_variance_kept, labelled,
                   principal_axes, reduce_validated)

__all__ = ["Metric", "SVCCA", "MatchedSVCCA", "K_RULES", "LinearCKA", "Procrustes", "METRICS", "metric_from_name",
           "pairwise", "pairwise_distances"]


class Metric:
    """The contract of a representational distance (see the module docstring)."""

    name = "metric"

    def prepare(self, x: np.ndarray, name: str):
        raise NotImplementedError

    def bind(self, prepared: Sequence) -> "Metric":
        """The metric to use on this population (``self`` unless it resolves a population-wide choice)."""
        return self

    def width(self, prepared) -> int:
        raise NotImplementedError

    def columns(self, prepared, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def pair_distances(self, products: np.ndarray, prep_i: Sequence, prep_j: Sequence) -> np.ndarray:
        raise NotImplementedError

    def attrs(self) -> dict:
        return {"metric": self.name}

    def extra(self, prepared: Sequence) -> dict:
        return {}


@dataclass(frozen=True)
class SVCCA(Metric):
    """SVCCA distance, ``1 - mean canonical correlation`` of the top principal components.

    Parameters
    ----------
    variance_kept : float in (0, 1], default 0.95
        The kept components cover this fraction of the variance (squared singular values).
    """

    variance_kept: float = 0.95
    name = "svcca"

    def __post_init__(self):
        check_variance_kept(self.variance_kept)

    def prepare(self, x, name):
        return reduce_validated(x, float(self.variance_kept), name)

    def width(self, prepared):
        return prepared.n_kept

    def columns(self, prepared, x):
        return prepared.basis

    def pair_distances(self, products, prep_i, prep_j):
        s = np.linalg.svd(products, compute_uv=False)
        k = np.array([min(a.n_kept, b.n_kept) for a, b in zip(prep_i, prep_j)])
        keep = np.arange(s.shape[-1]) < k[:, None]
        return 1.0 - np.where(keep, np.clip(s, 0.0, 1.0), 0.0).sum(axis=-1) / k

    def attrs(self):
        return {"metric": self.name, "variance_kept": float(self.variance_kept)}

    def extra(self, prepared):
        return {"n_kept": np.array([p.n_kept for p in prepared])}


#: Rules for the common number of components of :class:`MatchedSVCCA` (or a positive int).
K_RULES = ("max", "median", "pair")


def _check_k(k):
    integer = isinstance(k, (int, np.integer)) and not isinstance(k, bool)
    if not ((integer and k >= 1) or (isinstance(k, str) and k in K_RULES)):
        raise ValueError(
            f"k={k!r} is not one of {K_RULES} or a positive integer: 'max' keeps, for every network, "
            "the population's largest count of components covering variance_kept; 'median' the "
            "median count (rounded up); 'pair' the larger count of the two networks of each pair; "
            "an integer that many components"
        )
    return int(k) if integer else k


@dataclass(frozen=True)
class _Axes:
    mean: np.ndarray  # (p,) column means
    axes: np.ndarray  # (p, rank) principal axes, by decreasing variance
    variances: np.ndarray  # (p,) eigenvalues of Xc^T Xc, descending (below the rank threshold: 0)
    n_variance: int  # the network's own count of components covering variance_kept
    rank: int  # numerical rank of the centred data


@dataclass(frozen=True)
class MatchedSVCCA(Metric):
    """SVCCA on matched dimensions: both sides of every pair keep the same number ``k`` of
    principal components.

    Parameters
    ----------
    variance_kept : float in (0, 1], default 0.95
        Each network's own count ``k_i`` (the smallest with ``sum_{l<=k_i} s_l^2 >=
        variance_kept * sum_l s_l^2``, what :class:`SVCCA` keeps) feeds the rule below.
    k : 'max' (default), 'median', 'pair' or a positive int
        The common number of components:

        * ``'max'``: ``k = max_i k_i`` over the population the matrix is computed on, for
          every pair; every network keeps at least ``variance_kept`` of its variance.
        * ``'median'``: ``k = ceil(median_i k_i)``; networks above the median keep less.
        * ``'pair'``: ``k_ab = max(k_a, k_b)``, a distance that depends on the pair only; but
          pairs are then averaged over different numbers of correlations.
        * an int: that ``k`` for every pair.

    Notes
    -----
    With ``Q_a`` (n x k) an orthonormal basis of network a's top ``k`` components,
    ``d = 1 - (1/k) sum_{l=1}^k rho_l`` with ``rho`` the singular values of ``Q_a^T Q_b``
    (:class:`SVCCA` averages ``min(k_a, k_b)`` of them instead, so a network with few
    components correlates well with anyone: a hub).  A network with fewer than ``k``
    non-zero principal components (numerical rank ``r < k``) has no further direction;
    a pair keeps ``min(k, max(r_a, r_b))`` components and the missing correlations of the
    lower-rank side count as 0.  So ``d(X, X A) = 0`` still holds for any invertible ``A``
    when ``X`` is exactly low rank, and a rank-deficient network is not a hub.

    Why ``'max'`` is the default (measured on the book's 64-network flip-flop, sine and CDI
    populations, see the hubs module): it puts every pair on one scale (distances
    comparable across the whole matrix, which MDS and nearest-neighbour statistics need)
    and truncates no network below ``variance_kept``; ``'median'`` truncates the
    high-dimensional networks and clustered worse; ``'pair'`` mixes scales (pairs of two
    low-dimensional networks come out close merely because they average fewer, higher
    correlations).  ``k`` depends on the population: compute the matrix once on the whole
    population and take the verdict subsets from it.
    """

    variance_kept: float = 0.95
    k: int | str = "max"
    name = "svcca_matched"

    def __post_init__(self):
        check_variance_kept(self.variance_kept)
        _check_k(self.k)

    def prepare(self, x, name):
        x = np.asarray(x, np.float64)
        _, lam, vecs, k, _ = principal_axes(x, float(self.variance_kept), name)
        rank = int(np.count_nonzero(lam))
        return _Axes(x.mean(axis=0), np.ascontiguousarray(vecs[:, :rank]), lam, k, rank)

    def bind(self, prepared):
        own = np.array([p.n_variance for p in prepared])
        k = _check_k(self.k)
        common = {"max": int(own.max()), "median": int(np.ceil(np.median(own))), "pair": None}.get(k, k)
        return _MatchedPlan(self, common, int(own.max()) if common is None else common)


@dataclass(frozen=True)
class _MatchedPlan(Metric):
    """A :class:`MatchedSVCCA` bound to a population: ``common`` k (None: per pair), ``cap``
    the most columns any network needs."""

    metric: MatchedSVCCA
    common: int | None
    cap: int
    name = "svcca_matched"

    def width(self, prepared):
        return min(self.cap, prepared.rank)

    def columns(self, prepared, x):
        # Xc V_w = U_w S_w; its QR factor is orthonormal whatever the conditioning, and
        # nested: the first j columns span the top j components (the 'pair' rule slices).
        q, _ = np.linalg.qr((np.asarray(x, np.float64) - prepared.mean) @ prepared.axes[:, : self.width(prepared)])
        return q

    def pair_k(self, a, b) -> int:
        k = self.common if self.common is not None else max(a.n_variance, b.n_variance)
        return min(k, max(a.rank, b.rank))

    def pair_distances(self, products, prep_i, prep_j):
        k = np.array([self.pair_k(a, b) for a, b in zip(prep_i, prep_j)])
        out = np.empty(len(k))
        for kk in np.unique(k):  # one batched SVD per distinct k (one in all for a common k)
            idx = np.nonzero(k == kk)[0]
            s = np.linalg.svd(products[idx, :kk, :kk], compute_uv=False)  # zero padding adds zeros
            out[idx] = 1.0 - np.clip(s, 0.0, 1.0).sum(axis=-1) / kk
        return out

    def attrs(self):
        out = {"metric": self.name, "variance_kept": float(self.metric.variance_kept), "k": self.metric.k}
        if self.common is not None:
            out["k_common"] = int(self.common)
        return out

    def extra(self, prepared):
        own = np.array([p.n_variance for p in prepared])
        kept = own if self.common is None else np.array([min(self.common, p.rank) for p in prepared])
        return {"n_kept": kept, "n_variance": own}


@dataclass(frozen=True)
class _CentredData:
    mean: np.ndarray
    gram_norm: float
    n_units: int


@dataclass(frozen=True)
class LinearCKA(Metric):
    """``1 - CKA`` with linear kernels, computed in feature space (no n x n kernels)."""

    name = "cka"

    def prepare(self, x, name):
        _, gram, mean = centred_gram(x)
        if not np.any(gram):
            raise ValueError(f"{name} has zero variance (every unit is constant); CKA is undefined for it: "
                             "exclude such networks")
        return _CentredData(mean, float(np.linalg.norm(gram)), x.shape[1])

    def width(self, prepared):
        return prepared.n_units

    def columns(self, prepared, x):
        return np.asarray(x, np.float64) - prepared.mean

    def pair_distances(self, products, prep_i, prep_j):
        num = np.einsum("pab,pab->p", products, products)
        norms = np.array([a.gram_norm * b.gram_norm for a, b in zip(prep_i, prep_j)])
        return np.maximum(0.0, 1.0 - num / norms)


@dataclass(frozen=True)
class _Shape:
    columns: np.ndarray
    n_kept: int


@dataclass(frozen=True)
class Procrustes(Metric):
    """Angular Procrustes shape distance with partial whitening (a metric; radians in [0, pi/2]).

    Parameters
    ----------
    alpha : float in [0, 1], default 1
        Partial whitening: 1 is Procrustes on the centred data, 0 is CCA (whitened).
    variance_kept : float in (0, 1], default 1
        1 (default) keeps every principal component: the reference definition (netrep's
        ``LinearMetric(alpha=1, score_method='angular')`` at ``alpha = 1``).  Below 1, a
        departure: each representation is first reduced to the principal components
        covering this fraction of its variance (pair products k x k instead of units x
        units), which drops the other directions from the alignment and moves distances.
    """

    alpha: float = 1.0
    variance_kept: float = 1.0
    name = "procrustes"

    def __post_init__(self):
        ok = isinstance(self.alpha, (int, float, np.integer, np.floating)) and not isinstance(self.alpha, bool)
        if not ok or not 0.0 <= float(self.alpha) <= 1.0:
            raise ValueError(f"alpha={self.alpha!r} must be a number in [0, 1] (0: CCA, whitened; 1: Procrustes)")
        check_variance_kept(self.variance_kept)

    def prepare(self, x, name):
        x = np.asarray(x, np.float64)
        xc, lam, vecs, k, _ = principal_axes(x, float(self.variance_kept), name)
        total = float(lam.sum())
        s = np.sqrt(lam[:k] / total)  # singular values of the centred data scaled to unit norm
        # X_r = Xc V_k / ||Xc|| = U_k S_k; partial whitening scales PC i by (alpha s_i + 1 - alpha) / s_i
        cols = (xc @ vecs[:, :k]) / np.sqrt(total) * ((float(self.alpha) * s + (1.0 - float(self.alpha))) / s)
        return _Shape(cols / np.linalg.norm(cols), k)

    def width(self, prepared):
        return prepared.n_kept

    def columns(self, prepared, x):
        return prepared.columns

    def pair_distances(self, products, prep_i, prep_j):
        nuclear = np.linalg.svd(products, compute_uv=False).sum(axis=-1)
        return np.arccos(np.clip(nuclear, 0.0, 1.0))

    def attrs(self):
        return {"metric": self.name, "alpha": float(self.alpha), "variance_kept": float(self.variance_kept)}

    def extra(self, prepared):
        return {"n_kept": np.array([p.n_kept for p in prepared])}


METRICS = {"svcca": SVCCA, "svcca_matched": MatchedSVCCA, "cka": LinearCKA, "procrustes": Procrustes}


def metric_from_name(name: str, variance_kept: float = 0.95) -> Metric:
    """The metric object of a name ('svcca', 'svcca_matched', 'cka', 'procrustes'); ``variance_kept``
    is the SVCCAs'."""
    if name not in METRICS:
        raise ValueError(f"metric={name!r} is not one of {tuple(METRICS)}")
    return METRICS[name](variance_kept) if name in ("svcca", "svcca_matched") else METRICS[name]()


def pairwise(metric: Metric, representations, labels: pd.DataFrame | None = None, block_size: int | None = None,
             progress: bool = True) -> xr.DataArray:
    """All-pairs distances of a metric, batched in blocks of pairs.

    Parameters
    ----------
    metric : a :class:`Metric` (``SVCCA(0.95)``, ``MatchedSVCCA()``, ``LinearCKA()``,
        ``Procrustes(alpha=0.5)``)
    representations : P (n_samples, n_units_i) arrays (or a (P, n, p) array), the same
        inputs for every network
    labels : one row per network; columns become coordinates (``col`` and ``col_2``), a
        ``network_id`` column the index
    block_size : networks per block (default: at most 2048 padded columns per block)

    Returns
    -------
    xarray.DataArray (P, P), dims ('network', 'network_2'), exactly symmetric, zero diagonal
    """
    if not isinstance(metric, Metric):
        raise ValueError(f"metric={metric!r} is not a Metric: pass SVCCA(), MatchedSVCCA(), LinearCKA() or "
                         "Procrustes()")
    integer = isinstance(block_size, (int, np.integer)) and not isinstance(block_size, bool)
    if block_size is not None and not (integer and block_size >= 1):
        raise ValueError(f"block_size={block_size!r} must be a positive integer or None")
    reps = check_representations(representations)
    n_net = len(reps)
    labels = check_labels(labels, n_net)
    prepared = [metric.prepare(r, f"representations[{i}]")
                for i, r in enumerate(tqdm(reps, desc=f"{metric.name}: prepare", disable=not progress))]
    plan = metric.bind(prepared)  # population-wide choices (MatchedSVCCA's k), once
    sizes = np.array([plan.width(p) for p in prepared])
    order = np.argsort(sizes, kind="stable")
    members = [order[a:b] for a, b in blocks(sizes[order], block_size)]
    widths = [int(sizes[m].max()) for m in members]

    def block(b):
        return stack([plan.columns(prepared[i], reps[i]) for i in members[b]], widths[b])

    d = np.zeros((n_net, n_net))
    pairs = [(a, b) for a in range(len(members)) for b in range(a, len(members))]
    current, b_a = -1, None
    for a, b in tqdm(pairs, desc=f"{metric.name}: block pairs", disable=not progress):
        if a != current:
            current, b_a = a, block(a)
        b_b = b_a if b == a else block(b)
        ma, mb, wa, wb = len(members[a]), len(members[b]), widths[a], widths[b]
        ii, jj = np.triu_indices(ma, 1) if a == b else np.indices((ma, mb)).reshape(2, -1)
        if not len(ii):
            continue
        ia, jb = members[a][ii], members[b][jj]
        prod = (b_a.T @ b_b).reshape(ma, wa, mb, wb).transpose(0, 2, 1, 3)[ii, jj]  # (pairs, wa, wb)
        dist = plan.pair_distances(prod, [prepared[i] for i in ia], [prepared[j] for j in jb])
        d[ia, jb] = dist
        d[jb, ia] = dist
    return labelled(d, labels, plan.attrs(), plan.extra(prepared))


def pairwise_distances(representations, metric: str = "svcca", labels: pd.DataFrame | None = None,
                       block_size: int | None = None, variance_kept: float = 0.95,
                       progress: bool = True) -> xr.DataArray:
    """:func:`pairwise` with the metric named (``variance_kept`` is the SVCCAs'; CKA has none)."""
    return pairwise(metric_from_name(metric, variance_kept), representations, labels, block_size, progress)
