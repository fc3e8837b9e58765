"""Numbers for "the population clusters by X": nearest-neighbour tests and separation ratios.

The paper reads clustering off MDS plots (Figs. 1d, 1f, 2c, 2e, 3c, 3d).  Here every such
reading is a statistic of the distance matrix ``D`` (P x P) and a labelling ``y``
(architecture, activation, trained/untrained):

Nearest-neighbour accuracy, robust to ties
    ``N(i) = {j != i : D_ij = min_k D_ik}`` (equality up to a relative tolerance) is the set
    of i's nearest neighbours; when several networks are equally near, each gets the
    weight ``W_ij = 1 / |N(i)|``, so that

        accuracy = (1/P) sum_i sum_j W_ij 1[y_j = y_i].

    Topology distances take few distinct values (graphs are small 0/1 or probability
    matrices), so ties are common; breaking them by index (``argmin``) would favour the
    label of whichever network comes first in the table.  Chance is the expectation under
    a uniform permutation of the labels: for every ordered pair of distinct networks
    ``P(same) = sum_c n_c (n_c - 1) / (P (P - 1))``, whatever ``W``.  The permutation
    p-value counts the observed labelling as one of the permutations (never 0).

Separation ratio
    ``R = mean_{y_i != y_j} D_ij / mean_{y_i = y_j, i != j} D_ij``: 1 when the classes are
    as far from each other as from themselves, above 1 when they separate.  It is
    scale-free, so the separation under two different distances (topology and SVCCA) can
    be compared; :func:`compare_separation` gives a stratified bootstrap interval of the
    difference, resampling the same networks in both matrices.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
import xarray as xr
from sklearn.metrics import silhouette_score

from .matrices import check_distances, label_codes, permutation_chance, tie_tolerance

__all__ = [
    "check_distances",
    "label_codes",
    "nearest_neighbour_weights",
    "nearest_neighbours",
    "permutation_chance",
    "ClusterStats",
    "cluster_stats",
    "separation_ratio",
    "Separation",
    "compare_separation",
    "subset",
    "PANEL_SUBSETS",
    "clustering_table",
]

#: The paper's MDS layout (Section 2.3): architectures are compared among tanh networks,
#: activations among Vanilla networks.
PANEL_SUBSETS = {"arch": {"activation": "tanh"}, "activation": {"arch": "vanilla"}}


# ---------------------------------------------------------------------------- validation


def _check_int(value, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name}={value!r} must be an integer >= {minimum}")
    return int(value)


# ------------------------------------------------------------------- nearest neighbours


def nearest_neighbour_weights(distances, rtol: float = 1e-9) -> np.ndarray:
    """Row-stochastic (P, P) weights ``W_ij = 1/|N(i)|`` over i's tied nearest neighbours.

    ``N(i)`` holds every ``j != i`` with ``D_ij <= min_k D_ik + tol``, ``tol`` from
    :func:`tie_tolerance` (``rtol * max(D)``, or the matrix's declared resolution).
    """
    tol = tie_tolerance(distances, rtol)
    d = check_distances(distances, min_size=2).copy()
    np.fill_diagonal(d, np.inf)
    near = d <= d.min(axis=1, keepdims=True) + tol
    return near / near.sum(axis=1, keepdims=True)


def nearest_neighbours(distances, rtol: float = 1e-9) -> list[np.ndarray]:
    """Each network's set of nearest other networks (all of them when tied)."""
    w = nearest_neighbour_weights(distances, rtol)
    return [np.flatnonzero(row) for row in w]


@dataclass(frozen=True)
class ClusterStats:
    """How well a labelling explains a distance matrix.

    Attributes
    ----------
    accuracy : tie-averaged leave-one-out nearest-neighbour accuracy
    chance : its expected value under a random permutation of the labels (exact)
    silhouette : mean silhouette coefficient (sklearn, ``metric='precomputed'``)
    p_value : ``(1 + #{perm: accuracy_perm >= accuracy}) / (1 + n_permutations)``
    n_permutations : permutations drawn
    n_classes, n : number of classes and of networks
    n_tied : networks whose nearest neighbour is not unique
    """

    accuracy: float
    chance: float
    silhouette: float
    p_value: float
    n_permutations: int
    n_classes: int
    n: int
    n_tied: int = 0


def cluster_stats(distances, labels, n_permutations: int = 1000, seed: int = 0) -> ClusterStats:
    """Tie-averaged nearest-neighbour accuracy, chance, permutation p-value and silhouette.

    Parameters
    ----------
    distances : (P, P) array or xarray.DataArray (any distance: SVCCA, CKA, topology, ...)
    labels : (P,) array-like, or the name of a coordinate of a labelled ``distances``
    n_permutations : int >= 1, label permutations for the p-value
    seed : int, seeds ``numpy.random.default_rng`` (same inputs and seed, same p-value)
    """
    d = check_distances(distances)
    n = d.shape[0]
    codes = label_codes(labels, distances, n)
    n_perm = _check_int(n_permutations, "n_permutations", 1)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed={seed!r} must be an integer")
    w = nearest_neighbour_weights(distances)
    rows, cols = np.nonzero(w)
    weights = w[rows, cols]
    accuracy = float(np.sum(weights * (codes[rows] == codes[cols])) / n)
    rng = np.random.default_rng(seed)
    exceed, chunk = 0, max(1, 2_000_000 // max(len(rows), 1))
    for start in range(0, n_perm, chunk):
        m = min(chunk, n_perm - start)
        perm = rng.permuted(np.tile(codes, (m, 1)), axis=1)
        acc = (perm[:, rows] == perm[:, cols]) @ weights / n
        exceed += int(np.count_nonzero(acc >= accuracy - 1e-12))
    return ClusterStats(accuracy=accuracy, chance=permutation_chance(codes),
                        silhouette=float(silhouette_score(d, codes, metric="precomputed")),
                        p_value=(1 + exceed) / (1 + n_perm), n_permutations=n_perm,
                        n_classes=int(codes.max() + 1), n=n, n_tied=int(np.sum((w > 0).sum(axis=1) > 1)))


# -------------------------------------------------------------------- separation ratios


def _ratio(d: np.ndarray, codes: np.ndarray, ident: np.ndarray) -> float:
    same = codes[:, None] == codes[None, :]
    other = ~ident  # pairs of distinct (original) networks
    within, between = d[same & other], d[~same]
    if not within.size or not between.size:
        return np.nan
    w = within.mean()
    return float(between.mean() / w) if w > 0 else np.inf


def separation_ratio(distances, labels) -> float:
    """``mean between-class distance / mean within-class distance`` (1: no separation)."""
    d = check_distances(distances)
    codes = label_codes(labels, distances, d.shape[0])
    return _ratio(d, codes, np.eye(len(d), dtype=bool))


@dataclass(frozen=True)
class Separation:
    """Separation ratios of one labelling under two distances, and their difference.

    ``difference = ratio_a - ratio_b`` with a stratified bootstrap interval (networks
    resampled within each class, the same draw for both matrices; pairs of a network
    with its own copy are left out).
    """

    ratio_a: float
    ratio_b: float
    difference: float
    ci_low: float
    ci_high: float
    n_boot: int
    n: int


def compare_separation(distances_a, distances_b, labels, n_boot: int = 1000, seed: int = 0,
                       level: float = 0.95) -> Separation:
    """Is the labelling less separated under ``distances_a`` than under ``distances_b``?

    Both matrices must hold the same networks in the same order (e.g. topology and SVCCA
    distances of one population).  A negative difference with ``ci_high < 0`` says the
    classes are closer together, relative to their spread, under ``a``.
    """
    da, db = check_distances(distances_a, "distances_a"), check_distances(distances_b, "distances_b")
    if da.shape != db.shape:
        raise ValueError(f"distances_a {da.shape} and distances_b {db.shape} must hold the same networks")
    if isinstance(distances_a, xr.DataArray) and isinstance(distances_b, xr.DataArray):
        ia, ib = list(distances_a.coords[distances_a.dims[0]].values), list(distances_b.coords[distances_b.dims[0]].values)
        if ia != ib:
            raise ValueError("distances_a and distances_b hold different networks (or another order); "
                             "select the same networks in both first")
    from .effects import difference_effect

    codes = label_codes(labels, distances_a, da.shape[0])
    n_boot = _check_int(n_boot, "n_boot", 1)
    if not 0 < level < 1:
        raise ValueError(f"level={level!r} must be in (0, 1)")
    eye = np.eye(len(da), dtype=bool)
    ra, rb = _ratio(da, codes, eye), _ratio(db, codes, eye)
    diff = difference_effect(da, db, codes, n_boot=n_boot, seed=seed, level=level)  # the same stratified resamples
    return Separation(ra, rb, ra - rb, diff.low, diff.high, n_boot, len(da))


# ------------------------------------------------------------------------------- tables


def subset(distances: xr.DataArray, **labels) -> xr.DataArray:
    """The sub-matrix of the networks whose label coordinates match (``arch='vanilla'``, ...)."""
    mask = np.ones(distances.sizes[distances.dims[0]], bool)
    for k, v in labels.items():
        if k not in distances.coords:
            raise ValueError(f"{k!r} is not a label coordinate of distances; it has {tuple(distances.coords)}")
        vals = v if isinstance(v, (list, tuple, set, np.ndarray)) else [v]
        mask &= np.isin(distances.coords[k].values, list(vals))
    return distances.isel({distances.dims[0]: mask, distances.dims[1]: mask})


def _why_not(d: xr.DataArray, label: str) -> str | None:
    n = d.sizes[d.dims[0]]
    if label not in d.coords:
        return f"no {label!r} labels"
    k = len(set(d.coords[label].values))
    if n < 3:
        return f"{n} network(s): need at least 3"
    if k < 2:
        return f"one {label} only"
    if k >= n:
        return f"{k} classes for {n} networks"
    return None


def clustering_table(distances: Mapping[str, xr.DataArray], by: Sequence[str] | None = None,
                     subsets: Mapping[str, Mapping] | None = None, n_permutations: int = 1000,
                     seed: int = 0, n_boot: int = 1000) -> pd.DataFrame:
    """Nearest-neighbour tests of each label under each distance, on two sets of networks.

    Rows are indexed by (distance, label, networks): ``networks='all'`` uses every network
    of the matrix; ``networks='panel'`` the subset of the paper's MDS panel for that label
    (``subsets``, default :data:`PANEL_SUBSETS`: architectures among tanh networks,
    activations among Vanilla networks).  Columns: n, classes, nn_accuracy, chance,
    p_value, silhouette, n_tied, the effect sizes with their bootstrap intervals
    (:mod:`universality.effects`: ``nn_effect`` = accuracy - chance, ``nn_low``,
    ``nn_high``; ``sep_effect`` = separation ratio - 1, ``sep_low``, ``sep_high``; ``n_boot``
    resamples), the ``decision`` the nearest-neighbour effect and the permutation test
    support (:func:`universality.effects.decide`: 'clusters', 'does not cluster' or
    'inconclusive') with ``n_to_decide``, and ``note`` (why a degenerate case is
    inconclusive); a test that cannot
    be computed (too few networks, one class) gives a row of NaN with the reason in
    ``note`` instead of an error, so a page with a small population still runs.
    """
    from . import effects

    if by is None:  # size as a label too, where the population has more than one
        by = ("arch", "activation") + tuple(
            k for k in ("units",) if any(k in d.coords and len(set(d.coords[k].values)) > 1 for d in distances.values()))

    subsets = PANEL_SUBSETS if subsets is None else subsets
    rows = []
    for name, d in distances.items():
        for label in by:
            sets = {"all": d}
            if label in subsets and all(k in d.coords for k in subsets[label]):
                sets["panel"] = subset(d, **subsets[label])
            for which, dd in sets.items():
                row = {"distance": name, "label": label, "networks": which, "n": int(dd.sizes[dd.dims[0]])}
                why = _why_not(dd, label)
                if why is None:
                    st = cluster_stats(dd, label, n_permutations=n_permutations, seed=seed)
                    nn = effects.nn_effect(dd, label, n_boot=n_boot, seed=seed)
                    sep = effects.separation_effect(dd, label, n_boot=n_boot, seed=seed)
                    dec = effects.decide(nn, p_value=st.p_value)
                    row.update(classes=st.n_classes, nn_accuracy=st.accuracy, chance=st.chance, p_value=st.p_value,
                               silhouette=st.silhouette, n_tied=st.n_tied, nn_effect=nn.estimate, nn_low=nn.low,
                               nn_high=nn.high, sep_effect=sep.estimate, sep_low=sep.low, sep_high=sep.high,
                               decision=dec.decision, n_to_decide=dec.n_to_decide, note=dec.reason)
                else:
                    row.update(classes=np.nan, nn_accuracy=np.nan, chance=np.nan, p_value=np.nan,
                               silhouette=np.nan, n_tied=np.nan, nn_effect=np.nan, nn_low=np.nan, nn_high=np.nan,
                               sep_effect=np.nan, sep_low=np.nan, sep_high=np.nan, decision="not computed",
                               n_to_decide=np.nan, note=f"not computed: {why}")
                rows.append(row)
    cols = ["distance", "label", "networks", "n", "classes", "nn_accuracy", "chance", "p_value", "silhouette",
            "n_tied", "nn_effect", "nn_low", "nn_high", "sep_effect", "sep_low", "sep_high", "decision",
            "n_to_decide", "note"]
    return pd.DataFrame(rows, columns=cols).set_index(["distance", "label", "networks"])
