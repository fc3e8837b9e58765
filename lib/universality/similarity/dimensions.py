"""How many principal components each network keeps under a metric: the table to print beside
every representational distance matrix.

SVCCA keeping ``variance_kept`` of each network's variance compares ``min(k_a, k_b)``
correlations, so a network with few components sits close to every other one (a hub, see
:mod:`universality.hubs`).  Showing each network's kept dimensions makes that visible:

* ``n_units``: columns of the representation;
* ``rank``: its numerical rank (eigenvalues of ``Xc^T Xc`` below ``lambda_1 max(n, p) eps``
  count as 0, as in :func:`universality.similarity.reduce`);
* ``n_variance``: the smallest ``k`` whose components cover ``variance_kept`` of the
  variance (what :class:`SVCCA` keeps);
* ``n_kept``: what the metric keeps for this network: SVCCA and Procrustes ``n_variance``,
  :class:`MatchedSVCCA` its common ``k`` (capped at the rank; with ``k='pair'`` the
  network's own ``n_variance``, the least it keeps: a pair keeps the larger of its two),
  CKA every component (``rank``, weighted by variance rather than truncated);
* ``explained``: the fraction of the network's variance in its top ``n_kept`` components.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from .core import check_labels, check_representations, principal_axes
from .metrics import SVCCA, Metric

__all__ = ["kept_dimensions", "kept_summary"]


def kept_dimensions(representations, metric: Metric | None = None, labels: pd.DataFrame | None = None
                    ) -> pd.DataFrame:
    """One row per network: ``n_units``, ``rank``, ``n_variance``, ``n_kept``, ``explained``.

    Parameters
    ----------
    representations : P (n_samples, n_units_i) arrays (or a (P, n, p) array)
    metric : a :class:`Metric`, default ``SVCCA(0.95)``; its ``variance_kept`` (0.95 for
        metrics without one) defines ``n_variance``
    labels : one row per network (its columns lead the table), as for :func:`pairwise`

    Returns
    -------
    pandas.DataFrame (P rows, in the input order); ``attrs`` holds the metric's attributes
    """
    metric = SVCCA() if metric is None else metric
    if not isinstance(metric, Metric):
        raise ValueError(f"metric={metric!r} is not a Metric: pass SVCCA(), MatchedSVCCA(), LinearCKA() or "
                         "Procrustes()")
    reps = check_representations(representations)
    labels = check_labels(labels, len(reps))
    v = float(getattr(metric, "variance_kept", 0.95))
    rows, lams = [], []
    for i, r in enumerate(reps):
        _, lam, _, k, _ = principal_axes(r, v, f"representations[{i}]")
        lams.append(lam)
        rows.append({"n_units": r.shape[1], "rank": int(np.count_nonzero(lam)), "n_variance": k})
    prepared = [metric.prepare(r, f"representations[{i}]") for i, r in enumerate(reps)]
    plan = metric.bind(prepared)
    kept = plan.extra(prepared).get("n_kept")
    for row, lam, k in zip(rows, lams, kept if kept is not None else [row["rank"] for row in rows]):
        row["n_kept"] = int(k)
        row["explained"] = float(lam[: int(k)].sum() / lam.sum())
    table = pd.DataFrame(rows)
    if labels is not None:
        table = pd.concat([labels, table], axis=1)
    table.attrs.update(plan.attrs())
    return table


def kept_summary(table: pd.DataFrame, by: Sequence[str] = ("arch", "activation")) -> pd.DataFrame:
    """``n_variance`` and ``n_kept`` (min, median, max) per group of a :func:`kept_dimensions` table."""
    by = list(by)
    missing = [c for c in by + ["n_variance", "n_kept"] if c not in table.columns]
    if missing:
        raise ValueError(f"table has no column(s) {missing}; pass a kept_dimensions table with labels holding {by}")
    out = table.groupby(by)[["n_variance", "n_kept"]].agg(["min", "median", "max"])
    out.insert(0, ("networks", ""), table.groupby(by).size())
    return out
