"""Size as a label: within a class, does geometry vary more with network size than between
architectures?

The paper's populations span three sizes (64, 128, 256 units); its Fig. 1d colours them by
architecture only.  This module asks the question the size axis allows, on any labelled
distance matrix (coordinates ``arch``, ``activation``, ``units``, ``l2``, as
:func:`universality.analysis.geometry` gives them):

* **size pairs**: two networks of the same architecture, activation and L2, of different
  sizes;
* **architecture pairs**: two networks of the same size, activation and L2, of different
  architectures;
* **seed pairs** (the scale of "no difference"): same architecture, activation, L2 and
  size, other seeds.

Only the L2 values trained at more than one size enter, so both kinds of pair come from the
same networks.  The effect is ``log(mean size-pair distance / mean architecture-pair
distance)``: above 0 when a network is farther from its own class at another size than
from another architecture at its size.  Its interval is a bootstrap over networks,
stratified by cell (architecture, activation, size, L2; a network and its copy are never a
pair), and :func:`compare` decides with a margin fixed here, before any run
(:data:`MARGIN`): ``'size more'`` (lower bound above 0), ``'architecture more'`` (upper
bound below 0), ``'comparable'`` (the interval inside +-margin), else ``'inconclusive'``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from .effects import Effect, check_bootstrap, percentile_interval, stratified_resamples
from .errors import ParameterError
from .matrices import check_distances

__all__ = ["MARGIN", "SIZE_DECISIONS", "SizeComparison", "compare", "pair_kinds"]

#: "Comparable" means the two kinds of pair differ by less than 10% in mean distance:
#: |log ratio| < log(1.1), fixed before any run.
MARGIN = float(np.log(1.1))

SIZE_DECISIONS = ("size more", "architecture more", "comparable", "inconclusive", "not computed")

_COLUMNS = ("arch", "activation", "units", "l2")


@dataclass(frozen=True)
class SizeComparison:
    """The size-versus-architecture effect on one distance matrix."""

    effect: Effect  # log(mean size-pair / mean architecture-pair distance)
    decision: str
    margin: float
    means: dict  # pair kind -> mean distance (whole population)
    pairs: dict  # pair kind -> number of unordered pairs
    n_networks: int
    sizes: tuple

    def __str__(self) -> str:
        m = self.means
        return (f"size pairs {m['size']:.3f} vs architecture pairs {m['architecture']:.3f} "
                f"(seed pairs {m['seed']:.3f}); log ratio {self.effect} (margin {self.margin:.3f}, "
                f"n = {self.n_networks}): {self.decision}")

    def table(self) -> pd.DataFrame:
        return pd.DataFrame({"pairs": self.pairs, "mean distance": self.means}).rename_axis("pair kind")


def _labels(distances: xr.DataArray) -> pd.DataFrame:
    if not isinstance(distances, xr.DataArray):
        raise ParameterError("distances must be a labelled matrix (xarray.DataArray) with coordinates "
                             f"{', '.join(_COLUMNS)}, as universality.analysis.geometry returns")
    missing = [c for c in _COLUMNS if c not in distances.coords]
    if missing:
        raise ParameterError(f"distances has no coordinate {', '.join(missing)}; needed: {', '.join(_COLUMNS)}")
    dim = distances.dims[0]
    wrong = [c for c in _COLUMNS if distances.coords[c].dims != (dim,)]
    if wrong:
        raise ParameterError(f"distances' coordinates {', '.join(wrong)} are not along its first dimension {dim!r}")
    return pd.DataFrame({c: np.asarray(distances.coords[c].values) for c in _COLUMNS})


def pair_kinds(labels: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(kind matrix, kept networks): kind[i, j] is 0 (seed pair), 1 (size pair),
    2 (architecture pair) or -1 (any other pair), over the networks of the L2 values
    trained at more than one size."""
    lab = labels.reset_index(drop=True)
    multi = lab.groupby("l2")["units"].nunique()
    keep = lab["l2"].isin(multi.index[multi > 1]).to_numpy()
    lab = lab[keep]
    col = {c: lab[c].to_numpy() for c in _COLUMNS}
    eq = {c: col[c][:, None] == col[c][None, :] for c in _COLUMNS}
    base = eq["activation"] & eq["l2"]
    kind = np.full(eq["arch"].shape, -1, np.int64)
    kind[base & eq["arch"] & eq["units"]] = 0
    kind[base & eq["arch"] & ~eq["units"]] = 1
    kind[base & ~eq["arch"] & eq["units"]] = 2
    np.fill_diagonal(kind, -1)
    return kind, np.flatnonzero(keep)


def _means(d, kind, idx) -> np.ndarray:
    """(B, 3) mean distance of each pair kind in each resample (rows of ``idx``)."""
    out = np.empty((len(idx), 3))
    for b, ii in enumerate(idx):
        db = d[np.ix_(ii, ii)]
        kb = kind[np.ix_(ii, ii)].copy()
        kb[ii[:, None] == ii[None, :]] = -1  # a network and its copy are not a pair
        for k in range(3):
            sel = kb == k
            out[b, k] = db[sel].mean() if sel.any() else np.nan
    return out


def compare(distances: xr.DataArray, n_boot: int = 1000, seed: int = 0, level: float = 0.95,
            margin: float = MARGIN) -> SizeComparison:
    """Does geometry vary more with size than between architectures?  (See the module.)

    Parameters
    ----------
    distances : labelled (P, P) distance matrix with coordinates arch, activation, units, l2
    n_boot, seed, level : the stratified bootstrap over networks
    margin : what "comparable" means, in log ratio (default :data:`MARGIN`)
    """
    if not isinstance(level, (int, float)):
        raise ParameterError(f"level={level!r} must be in (0, 1)")
    check_bootstrap(n_boot, level, seed)
    if not (isinstance(margin, (int, float)) and np.isfinite(margin) and margin > 0):
        raise ParameterError(f"margin={margin!r} must be a positive number (a log ratio)")
    d_all = check_distances(distances)
    labels = _labels(distances)
    sizes = tuple(sorted(set(labels["units"].tolist())))
    kind, keep = pair_kinds(labels)
    d = d_all[np.ix_(keep, keep)]
    counts = {name: int(np.sum(kind == k) // 2) for k, name in enumerate(("seed", "size", "architecture"))}
    whole = _means(d, kind, np.arange(len(keep))[None])[0]
    means = dict(zip(("seed", "size", "architecture"), map(float, whole)))
    if counts["size"] == 0 or counts["architecture"] == 0:
        eff = Effect("size", np.nan, np.nan, np.nan, len(keep), n_boot, level)
        return SizeComparison(eff, "not computed", margin, means, counts, len(keep), sizes)
    cells = labels.iloc[keep][list(_COLUMNS)].astype(str).agg("|".join, axis=1).to_numpy()
    _, codes = np.unique(cells, return_inverse=True)
    boots = _means(d, kind, stratified_resamples(codes, n_boot, seed))
    with np.errstate(divide="ignore", invalid="ignore"):
        est = float(np.log(whole[1] / whole[2]))
        lo, hi = percentile_interval(np.log(boots[:, 1] / boots[:, 2]), level)
    eff = Effect("size", est, lo, hi, len(keep), n_boot, level)
    if not np.all(np.isfinite([est, lo, hi])):
        decision = "not computed"
    elif lo > 0:
        decision = "size more"
    elif hi < 0:
        decision = "architecture more"
    elif -margin < lo and hi < margin:
        decision = "comparable"
    else:
        decision = "inconclusive"
    return SizeComparison(eff, decision, margin, means, counts, len(keep), sizes)
