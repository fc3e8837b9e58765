"""Effect sizes with bootstrap intervals, and the three-way decisions made from them.

"The networks cluster by architecture" and "they do not" are claims about the size of an
effect, not about a p-value: failing to reject at 16 networks says little, and at 2,880
almost any effect is significant.  So each clustering statistic is an effect with an
interval:

* **nearest-neighbour effect**: tie-averaged 1-NN accuracy minus its chance level
  (:func:`universality.statistics.cluster_stats`): 0 when the label tells nothing about
  a network's nearest neighbour, ``1 - chance`` when every neighbour shares the label;
* **separation effect**: the separation ratio minus 1 (between-class over within-class
  mean distance; :func:`universality.statistics.separation_ratio`): 0 when the classes
  are as far from each other as from themselves.

The interval is a stratified bootstrap over networks (networks resampled with
replacement within each class, so the class sizes and the chance level stay fixed; a
network and its own copy are never each other's neighbour nor a within-class pair), the
percentile interval at ``level``.

:func:`decide` turns an effect into one of :data:`DECISIONS`, with a margin fixed in this
module before any run (:data:`MARGINS`):

* ``'clusters'`` when the interval's lower bound is above 0 and, where the caller has
  one, the permutation test rejects too (p < ``alpha``);
* ``'does not cluster'`` only when the upper bound is below the margin (an equivalence
  test: the effect is shown to be smaller than what would matter);
* ``'inconclusive'`` otherwise, with the number of networks at which the interval,
  its one-sided half-widths shrinking as 1/sqrt(n), would have decided it
  (:attr:`Decision.n_to_decide`; a rough guide, at least one network more than now).

Two degenerate cases are inconclusive whatever the interval says, with the reason in
:attr:`Decision.reason` and no population size: an interval of zero width that does not
cluster (every resample gave the same accuracy: a hub network, or a tie set, is every
network's nearest neighbour, so resampling networks cannot move it), and an interval
above 0 whose permutation test does not reject (the bootstrap is centred on the
estimate and measures how it varies, not how far it is from what shuffled labels give;
with a hub the two disagree).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import ParameterError

__all__ = ["Effect", "Decision", "DECISIONS", "MARGINS", "nn_effect", "separation_effect", "decide",
           "difference_effect", "check_bootstrap", "stratified_resamples", "percentile_interval"]

DECISIONS = ("clusters", "does not cluster", "inconclusive", "not computed")

#: What "no effect" means, fixed before any run.  Nearest-neighbour effect: below 0.10 --
#: at most one network in ten more often next to its own class than chance would put it.
#: Separation effect: below 0.05 -- classes at most 5% farther from each other than from
#: themselves.
MARGINS = {"nn": 0.10, "separation": 0.05}


@dataclass(frozen=True)
class Effect:
    """An effect size, its percentile bootstrap interval, and how it was measured."""

    kind: str  # 'nn' (accuracy - chance), 'separation' (ratio - 1) or 'difference'
    estimate: float
    low: float
    high: float
    n: int
    n_boot: int
    level: float = 0.95

    def __str__(self) -> str:
        return f"{self.estimate:+.2f} [{self.low:+.2f}, {self.high:+.2f}]"


@dataclass(frozen=True)
class Decision:
    """What an effect says (one of :data:`DECISIONS`), against which margin, and the
    population size that would decide an inconclusive one (NaN otherwise)."""

    decision: str
    effect: Effect
    margin: float
    n_to_decide: float = np.nan
    reason: str = ""  # why a degenerate case is inconclusive ('' otherwise)

    def __str__(self) -> str:
        out = f"{self.effect} (margin {self.margin:.2f}, n = {self.effect.n}): {self.decision}"
        if self.reason:
            out += f" ({self.reason})"
        if self.decision == "inconclusive" and np.isfinite(self.n_to_decide):
            out += f"; about {int(np.ceil(self.n_to_decide))} networks would decide it"
        return out


def check_bootstrap(n_boot, level, seed) -> None:
    """Raise :class:`ParameterError` naming a bad bootstrap setting (before any compute)."""
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 1:
        raise ParameterError(f"n_boot={n_boot!r} must be an integer >= 1")
    if not 0 < level < 1:
        raise ParameterError(f"level={level!r} must be in (0, 1)")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ParameterError(f"seed={seed!r} must be an integer")


def _prepare(distances, labels):
    from .matrices import check_distances, label_codes

    d = check_distances(distances)
    return d, label_codes(labels, distances, d.shape[0])


def stratified_resamples(codes, n_boot, seed) -> np.ndarray:
    """(n_boot, P) indices: networks resampled with replacement within each class
    (``codes``: integer class 0..K-1 of each network; the classes stay in the same
    positions, so their sizes and the chance level are fixed)."""
    rng = np.random.default_rng(seed)
    members = [np.flatnonzero(codes == c) for c in range(codes.max() + 1)]
    out = np.empty((n_boot, len(codes)), np.int64)
    for b in range(n_boot):
        out[b] = np.concatenate([rng.choice(m, size=len(m)) for m in members])
    return out


def _chunks(idx, n):
    step = max(1, 2_000_000 // max(n * n, 1))
    for start in range(0, len(idx), step):
        yield idx[start:start + step]


def _nn_accuracies(d, codes, idx, tol) -> np.ndarray:
    """Tie-averaged nearest-neighbour accuracy of each resample (rows of ``idx``, (B, P)
    indices into ``d``); copies of one network are never each other's neighbour; distances
    within ``tol`` of the nearest are tied."""
    out = []
    for block in _chunks(idx, d.shape[0]):
        db = d[block[:, :, None], block[:, None, :]]
        db[block[:, :, None] == block[:, None, :]] = np.inf
        near = db <= db.min(axis=2, keepdims=True) + tol
        near &= np.isfinite(db)
        same = codes[block][:, :, None] == codes[block][:, None, :]
        w = near / np.maximum(near.sum(axis=2, keepdims=True), 1)
        out.append((w * same).sum(axis=(1, 2)) / block.shape[1])
    return np.concatenate(out)


def _ratios(d, codes, idx) -> np.ndarray:
    """Separation ratio (between / within mean distance) of each resample; a network and
    its copy are not a within-class pair."""
    out = []
    for block in _chunks(idx, d.shape[0]):
        db = d[block[:, :, None], block[:, None, :]]
        same = codes[block][:, :, None] == codes[block][:, None, :]
        within = same & (block[:, :, None] != block[:, None, :])
        between = ~same
        nw, nb = within.sum(axis=(1, 2)), between.sum(axis=(1, 2))
        wm = (db * within).sum(axis=(1, 2)) / np.maximum(nw, 1)
        bm = (db * between).sum(axis=(1, 2)) / np.maximum(nb, 1)
        ok = (nw > 0) & (nb > 0) & (wm > 0)
        out.append(np.where(ok, bm / np.where(wm > 0, wm, 1.0), np.nan))
    return np.concatenate(out)


def percentile_interval(values, level) -> tuple[float, float]:
    """The percentile interval at ``level`` of the finite ``values`` (NaN, NaN if none)."""
    values = np.asarray(values, float)
    values = values[np.isfinite(values)]
    if not len(values):
        return np.nan, np.nan
    lo, hi = np.quantile(values, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def nn_effect(distances, labels, n_boot: int = 1000, seed: int = 0, level: float = 0.95) -> Effect:
    """Nearest-neighbour accuracy minus chance, with a stratified bootstrap interval."""
    from .matrices import permutation_chance, tie_tolerance

    check_bootstrap(n_boot, level, seed)
    d, codes = _prepare(distances, labels)
    tol = tie_tolerance(distances)
    chance = permutation_chance(codes)
    est = _nn_accuracies(d, codes, np.arange(len(d))[None], tol)[0] - chance
    boots = _nn_accuracies(d, codes, stratified_resamples(codes, n_boot, seed), tol) - chance
    return Effect("nn", float(est), *percentile_interval(boots, level), len(d), n_boot, level)


def separation_effect(distances, labels, n_boot: int = 1000, seed: int = 0, level: float = 0.95) -> Effect:
    """Separation ratio minus 1, with a stratified bootstrap interval."""
    check_bootstrap(n_boot, level, seed)
    d, codes = _prepare(distances, labels)
    est = _ratios(d, codes, np.arange(len(d))[None])[0] - 1.0
    boots = _ratios(d, codes, stratified_resamples(codes, n_boot, seed)) - 1.0
    return Effect("separation", float(est), *percentile_interval(boots, level), len(d), n_boot, level)


def difference_effect(distances_a, distances_b, labels, n_boot: int = 1000, seed: int = 0,
                      level: float = 0.95) -> Effect:
    """Separation ratio under ``a`` minus under ``b`` (same networks, same order; the same
    resample for both), e.g. topology minus geometry: below 0 when the classes are closer
    together, relative to their spread, under ``a``."""
    check_bootstrap(n_boot, level, seed)
    if np.shape(distances_a) != np.shape(distances_b):
        raise ParameterError(f"distances_a {np.shape(distances_a)} and distances_b {np.shape(distances_b)} must "
                             "hold the same networks")
    da, codes = _prepare(distances_a, labels)
    db, _ = _prepare(distances_b, labels)
    whole = np.arange(len(da))[None]
    est = _ratios(da, codes, whole)[0] - _ratios(db, codes, whole)[0]
    idx = stratified_resamples(codes, n_boot, seed)
    boots = _ratios(da, codes, idx) - _ratios(db, codes, idx)
    return Effect("difference", float(est), *percentile_interval(boots, level), len(da), n_boot, level)


def decide(effect: Effect, margin: float | None = None, p_value: float | None = None,
           alpha: float = 0.05) -> Decision:
    """'clusters' (lower bound > 0, and ``p_value`` < ``alpha`` when a permutation test's
    p-value is given), 'does not cluster' (upper bound < margin) or 'inconclusive', with the
    population size that would decide the last: the interval's lower half-width ``e - lo``
    shrinks as 1/sqrt(n), so it excludes 0 at ``n ((e - lo) / e)^2``; the upper one falls
    under the margin at ``n ((hi - e) / (margin - e))^2``; the smaller of the two that can
    happen is reported.  A zero-width interval that does not cluster, and an interval above
    0 that the permutation test contradicts, are inconclusive with a ``reason`` (module
    docstring)."""
    margin = MARGINS.get(effect.kind, np.nan) if margin is None else float(margin)
    if p_value is not None and not (np.isnan(p_value) or 0 <= p_value <= 1):
        raise ParameterError(f"p_value={p_value!r} must be in [0, 1] (or NaN, or None: no permutation test)")
    if not 0 < alpha < 1:
        raise ParameterError(f"alpha={alpha!r} must be in (0, 1)")
    if not (np.isfinite(effect.estimate) and np.isfinite(effect.low) and np.isfinite(effect.high)):
        return Decision("not computed", effect, margin)
    rejects = p_value is None or (np.isfinite(p_value) and p_value < alpha)
    if effect.low > 0 and rejects:
        return Decision("clusters", effect, margin)
    if effect.high - effect.low <= 1e-12 and effect.n_boot > 1:
        return Decision("inconclusive", effect, margin,
                        reason="zero-width interval: every resample gave the same value")
    if effect.high < margin:
        return Decision("does not cluster", effect, margin)
    if effect.low > 0:
        return Decision("inconclusive", effect, margin,
                        reason=f"interval above 0 but permutation p >= {alpha:g}")
    # the one-sided half-widths, each shrinking as 1/sqrt(n): the lower one must shrink below
    # the estimate (to exclude 0), the upper one below the margin's distance from it
    options = []
    if effect.estimate > 0:
        options.append(effect.n * ((effect.estimate - effect.low) / effect.estimate) ** 2)
    if effect.estimate < margin:
        options.append(effect.n * ((effect.high - effect.estimate) / (margin - effect.estimate)) ** 2)
    n_to_decide = max(min(options), effect.n + 1) if options else np.nan
    return Decision("inconclusive", effect, margin, n_to_decide)
