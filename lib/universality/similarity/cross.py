"""Distances from one set of networks to another: a few new networks against a population.

``cross(metric, reps_a, reps_b)`` is the (A, B) block of ``pairwise(metric, reps_a +
reps_b)``: the same preparations, the same column products, the same pair distances, with
the metric bound on both sets together (so :class:`~universality.similarity.MatchedSVCCA`'s
common ``k`` is the largest 95% count of A and B together, what the all-pairs matrix of
the merged population uses).  It costs A x B pair products instead of (A + B)^2 / 2, so a
user's network is placed among a stored population without recomputing the population's
own pairs.  Whether a stored all-pairs matrix of B still fits beside the new rows is a
question of the binding: compare its ``attrs`` with the cross block's (equal attrs, equal
binding; e.g. a new network with more components than any of B changes MatchedSVCCA's k).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from .blocks import blocks, stack
from .core import DIMS, SUFFIX, check_labels, check_matrix
from .metrics import Metric

__all__ = ["cross", "labelled_cross"]


def labelled_cross(d: np.ndarray, labels_a: pd.DataFrame | None, labels_b: pd.DataFrame | None, attrs: dict,
                   extra_a: dict | None = None, extra_b: dict | None = None) -> xr.DataArray:
    """An (A, B) matrix with dims ('network', 'network_2'): A's ids and label columns along
    'network' (``col``), B's along 'network_2' (``col_2``), as an all-pairs matrix has them."""
    coords = {}
    for dim, labels, extra, suffix, n in ((DIMS[0], labels_a, extra_a, "", d.shape[0]),
                                          (DIMS[1], labels_b, extra_b, SUFFIX, d.shape[1])):
        ids = np.arange(n)
        columns = {} if labels is None else {str(c): labels[c].to_numpy() for c in labels.columns}
        columns.update({k: v for k, v in (extra or {}).items() if k not in columns})
        if "network_id" in columns:
            ids = columns.pop("network_id")
        coords[dim] = ids
        for name, values in columns.items():
            coords[name + suffix] = (dim, values)
    return xr.DataArray(d, dims=DIMS, coords=coords, attrs=attrs)


def cross(metric: Metric, reps_a, reps_b, labels_a: pd.DataFrame | None = None,
          labels_b: pd.DataFrame | None = None, bind_on=None) -> xr.DataArray:
    """Distances of a metric from every network of A to every network of B.

    Parameters
    ----------
    metric : a :class:`~universality.similarity.Metric` (``SVCCA()``, ``MatchedSVCCA()``, ...)
    reps_a, reps_b : sequences of (n_samples, n_units_i) arrays, every one recorded on the
        same inputs (same n_samples)
    labels_a, labels_b : one row per network of each set (a ``network_id`` column names them)
    bind_on : the representations the metric's population-wide choices are made on
        (MatchedSVCCA's k); default A and B together.  Pass the whole merged population
        when A and B overlap (e.g. ``cross(m, new, new + old, bind_on=new + old)``: the
        new networks' rows of the merged matrix in one call).

    Returns
    -------
    xarray.DataArray (A, B), dims ('network', 'network_2'), equal to the corresponding block
    of :func:`~universality.similarity.pairwise` on ``reps_a + reps_b`` (same operations;
    the tests compare them).  A network present in both sets gets its distance to itself
    (about 0, at round-off), not an exact 0.
    """
    if not isinstance(metric, Metric):
        raise ValueError(f"metric={metric!r} is not a Metric: pass SVCCA(), MatchedSVCCA(), LinearCKA() or "
                         "Procrustes()")
    a = [check_matrix(r, f"reps_a[{i}]") for i, r in enumerate(reps_a)]
    b = [check_matrix(r, f"reps_b[{j}]") for j, r in enumerate(reps_b)]
    if not a or not b:
        raise ValueError(f"reps_a has {len(a)} and reps_b {len(b)} networks; each needs at least 1")
    n = a[0].shape[0]
    for name, r in [(f"reps_a[{i}]", x) for i, x in enumerate(a)] + [(f"reps_b[{j}]", x) for j, x in enumerate(b)]:
        if r.shape[0] != n:
            raise ValueError(f"{name} has {r.shape[0]} samples (rows) but reps_a[0] has {n}; every network must be "
                             "recorded on the same inputs")
    labels_a, labels_b = check_labels(labels_a, len(a)), check_labels(labels_b, len(b))
    prep_a = [metric.prepare(x, f"reps_a[{i}]") for i, x in enumerate(a)]
    prep_b = [metric.prepare(x, f"reps_b[{j}]") for j, x in enumerate(b)]
    context = prep_a + prep_b if bind_on is None else [metric.prepare(check_matrix(x, f"bind_on[{i}]"), f"bind_on[{i}]")
                                                        for i, x in enumerate(bind_on)]
    plan = metric.bind(context)
    d = np.zeros((len(a), len(b)))
    sides = []
    for prep, reps in ((prep_a, a), (prep_b, b)):
        sizes = np.array([plan.width(p) for p in prep])
        order = np.argsort(sizes, kind="stable")
        sides.append([(order[lo:hi], int(sizes[order[lo:hi]].max())) for lo, hi in blocks(sizes[order], None)])
    for members_a, wa in sides[0]:
        block_a = stack([plan.columns(prep_a[i], a[i]) for i in members_a], wa)
        for members_b, wb in sides[1]:
            block_b = stack([plan.columns(prep_b[j], b[j]) for j in members_b], wb)
            ma, mb = len(members_a), len(members_b)
            ii, jj = np.indices((ma, mb)).reshape(2, -1)
            prod = (block_a.T @ block_b).reshape(ma, wa, mb, wb).transpose(0, 2, 1, 3)[ii, jj]
            dist = plan.pair_distances(prod, [prep_a[i] for i in members_a[ii]], [prep_b[j] for j in members_b[jj]])
            d[members_a[ii], members_b[jj]] = dist
    extra = plan.extra(prep_a + prep_b)  # per-network columns (kept dimensions) under this binding
    split = {k: (np.asarray(v)[: len(a)], np.asarray(v)[len(a):]) for k, v in extra.items()}
    return labelled_cross(d, labels_a, labels_b, plan.attrs(), {k: v[0] for k, v in split.items()},
                          {k: v[1] for k, v in split.items()})
