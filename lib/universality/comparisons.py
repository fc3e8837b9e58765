"""Comparisons between groups of networks within one distance matrix, and between
distance matrices: group mean distances and their bootstrap differences (Fig. 4), the
quadruples of Fig. 4a, and the rank agreement of two measures (size against architecture:
:mod:`universality.sizes`).
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd
import xarray as xr

from .matrices import check_distances

__all__ = ["group_mean_distances", "group_difference_interval", "untrained_closer_quadruples",
           "rank_agreement"]


def group_mean_distances(distances: xr.DataArray, by: Sequence[str]) -> pd.DataFrame:
    """Mean distance within and between the groups of networks that share the labels
    ``by`` (within a group, over its off-diagonal pairs; NaN for a one-network group)."""
    group = np.array([" ".join(str(distances.coords[b].values[i]) for b in by)
                      for i in range(distances.sizes["network"])])
    names = sorted(set(group))
    d = np.asarray(distances)

    def block_mean(a, b):
        block = d[np.ix_(group == a, group == b)]
        vals = block[~np.eye(len(block), dtype=bool)] if a == b else block.ravel()
        return vals.mean() if vals.size else np.nan

    return pd.DataFrame([[block_mean(a, b) for b in names] for a in names], index=names, columns=names)


def _groups_of(distances: xr.DataArray, by: Sequence[str]) -> np.ndarray:
    return np.array([" ".join(str(distances.coords[b].values[i]) for b in by)
                     for i in range(distances.sizes["network"])])


def group_difference_interval(distances: xr.DataArray, by: Sequence[str], pair_a: tuple, pair_b: tuple,
                              n_boot: int = 1000, seed: int = 0, level: float = 0.95) -> tuple[float, float, float]:
    """``mean d(pair_a) - mean d(pair_b)`` between groups (names as in
    :func:`group_mean_distances`), with a bootstrap interval (networks resampled within
    each group; pairs of a network with its own copy left out)."""
    group = _groups_of(distances, by)
    d = np.asarray(distances)
    members = {g: np.flatnonzero(group == g) for g in sorted(set(group))}
    for g in (*pair_a, *pair_b):
        if g not in members:
            raise ValueError(f"group {g!r} is not among {sorted(members)}")

    def mean(idx_a, idx_b):
        block = d[np.ix_(idx_a, idx_b)]
        same = idx_a[:, None] == idx_b[None, :]
        vals = block[~same]
        return vals.mean() if vals.size else np.nan

    def stat(pick):
        return mean(pick[pair_a[0]], pick[pair_a[1]]) - mean(pick[pair_b[0]], pick[pair_b[1]])

    obs = stat(members)
    rng = np.random.default_rng(seed)
    boots = [stat({g: rng.choice(m, size=len(m)) for g, m in members.items()}) for _ in range(n_boot)]
    boots = np.array([b for b in boots if np.isfinite(b)])
    lo, hi = np.quantile(boots, [(1 - level) / 2, (1 + level) / 2]) if len(boots) else (np.nan, np.nan)
    return float(obs), float(lo), float(hi)


def untrained_closer_quadruples(distances: xr.DataArray, by: Sequence[str] = ("activation", "state")):
    """Fig. 4a over every choice of four networks: (trained tanh TT, trained relu TR,
    untrained tanh UT, untrained relu UR).  Returns (share of quadruples in which both
    untrained networks are closer to TT than TR is, number of quadruples, the first such
    quadruple as a dict or None)."""
    group = _groups_of(distances, by)
    d = distances.to_pandas()
    ids = np.asarray(distances.coords["network"].values)
    tt, tr = ids[group == "tanh trained"], ids[group == "relu trained"]
    ut, ur = ids[group == "tanh untrained"], ids[group == "relu untrained"]
    n = len(tt) * len(tr) * len(ut) * len(ur)
    if n == 0:
        return np.nan, 0, None
    dv = d.values
    pos = {k: i for i, k in enumerate(ids)}
    a = dv[np.ix_([pos[i] for i in tt], [pos[i] for i in tr])]          # (TT, TR)
    b = dv[np.ix_([pos[i] for i in tt], [pos[i] for i in ut])]          # (TT, UT)
    c = dv[np.ix_([pos[i] for i in tt], [pos[i] for i in ur])]          # (TT, UR)
    ok = (b[:, None, :, None] < a[:, :, None, None]) & (c[:, None, None, :] < a[:, :, None, None])
    example = None
    if ok.any():
        i, j, k, m = np.argwhere(ok)[0]
        example = {"trained tanh": tt[i], "trained relu": tr[j], "untrained tanh": ut[k], "untrained relu": ur[m]}
    return float(ok.mean()), n, example


def rank_agreement(distances: Mapping[str, xr.DataArray], names: Sequence[str] | None = None,
                   among: str | None = None) -> pd.DataFrame:
    """Spearman correlation between distance matrices over the pairs of networks they share
    (upper triangle): do two measures rank the pairs alike?  ``among`` names the matrix
    whose networks are used (default: the networks common to all of ``names``)."""
    from scipy.stats import spearmanr

    names = list(distances) if names is None else list(names)
    if among is not None:
        ids = list(distances[among].coords["network"].values)
    else:
        ids = [i for i in distances[names[0]].coords["network"].values
               if all(i in set(distances[n].coords["network"].values) for n in names)]
    iu = np.triu_indices(len(ids), 1)
    vals = {n: distances[n].sel(network=ids, network_2=ids).values[iu] for n in names}

    def rho_of(x, y):  # undefined (NaN) for fewer than 2 pairs or a constant matrix
        if len(x) < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
            return np.nan
        return spearmanr(x, y).statistic

    rho = [[rho_of(vals[a], vals[b]) for b in names] for a in names]
    return pd.DataFrame(rho, index=names, columns=names)
