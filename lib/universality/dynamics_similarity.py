"""Comparing networks by their dynamics: Dynamical Similarity Analysis (DSA).

Ostrow, Eisen, Kozachkov and Fiete (NeurIPS 2023) compare two dynamical systems by a
linear operator fitted to each and aligned up to an orthogonal change of basis.

1. **Delay embedding.**  A network's states on a batch of trials, ``h_t`` (B, T, N), become
   the rows of a Hankel matrix ``H`` (B T' x d N), row ``H_t = [h_t, h_{t+tau}, ...,
   h_{t+(d-1) tau}]`` (``d`` = ``n_delays``, ``tau`` = ``delay_interval``, ``T' = T - (d -
   1) tau``), all trials stacked.
2. **The operator** (``operator=``), fitted over consecutive rows of every trial:

   * ``'reference'`` (default), as dsa-metric (Ostrow et al.'s package, ``DSA.DMD``, HAVOK
     DMD by principal-component regression) builds it: no centring, the thin SVD
     ``H = V S U^T``, whitened coordinates ``z_t = S_r^-1 U_r^T H_t`` (the first ``r`` =
     ``rank`` columns of ``V``, each of unit norm over all rows), and the least-squares
     fit with no intercept

         A = argmin sum_t || z_{t+1} - A z_t ||^2.

     (dsa-metric adds a ridge of 1e-8 to ``Z^T Z``, a matrix close to the identity in
     whitened coordinates, so its effect on ``A`` is ~1e-8 relative, below the float32
     resolution it computes in; it is left out here.)
   * ``'centred'`` (this project's first operator, a departure from the reference): ``H``
     centred over all rows, ``z_t = U_r^T (H_t - mean)`` (unwhitened), and the affine fit
     ``z_{t+1} = A z_t + c`` (the intercept absorbs the centring).

   The basis of ``z`` is defined up to the signs of the singular vectors, so an operator
   is defined up to ``D A D`` (``D`` a diagonal of +-1); the distance below does not see
   them.
3. **Procrustes over vector fields.**  With the cosine ``cos(A, B; C) = <A, C B C^T> /
   (||A||_F ||B||_F)`` maximised over the orthogonal group,

       d_angular(A, B)   = arccos( max_{C in O(r)} cos(A, B; C) )          (score='angular', default)
       d_euclidean(A, B) = min_{C in O(r)} || A - C B C^T ||_F
                         = sqrt(||A||^2 + ||B||^2 - 2 ||A|| ||B|| max_C cos(A, B; C))

   The angular score is the reference's (dsa-metric's ``score_method='angular'``,
   ``arccos(tr(A^T C B C^T) / (||A|| ||B||))``; its package-level default since version 2
   is 'wasserstein', a comparison of eigenvalues only, which is not implemented here).
   dsa-metric's euclidean score compares the operators scaled to unit norm; this one does
   not.

**The alignment.**  The maximisation is non-convex; it is solved from starting points that
depend on the operators only through quantities invariant under ``A -> Q A Q^T``, so that
an operator and any orthogonal conjugate of it (``D A D`` in particular) get the same
distances to everything (up to round-off and the stopping rule: the tests allow 1e-6 rad).
Each operator is written in three orthonormal frames of its own, the eigenvectors ``U`` of
``A + A^T``, ``A^T A`` and ``A A^T`` (sorted by decreasing eigenvalue): ``A~ = U^T A U``.
For a pair and a frame, the starts are ``C0 = U_A D U_B^T`` for the ``restarts`` sign
patterns ``D`` with the largest starting cosine ``sum_ij D_i D_j A~_ij B~_ij``: all
``2^(r-1)`` patterns are scored for ``r <= 12`` (a pattern and its negative are the same
start); for larger ``r``, a greedy pattern and its single flips.  The set of starts maps
to ``Q C0`` when ``A`` maps to ``Q A Q^T``, whatever signs the eigensolver returns.  From
each start, ``C = U_A D Cayley(K) U_B^T`` with ``K = S - S^T``, ``Cayley(K) = (I - K)(I +
K)^-1``, Adam on ``S`` from 0 -- every (pair, start) of a population in ONE TensorFlow
graph; when a (pair, start) has stalled (its angle fell by at most ``tol`` over
``check_every`` iterations) its step is cut by 4, and after three cuts it stops; the best
cosine seen is kept.  For symmetric operators the
sorted-eigenvector start is already the optimum (Hoffman-Wielandt); for orthogonally
conjugate operators with distinct eigenvalues in a frame one of the starts is exact.

Bounds used by the tests: for any operators, Mirsky's theorem gives
``d_euclidean >= sqrt(sum_i (sigma_i(A) - sigma_i(B))^2)`` (singular values, sorted); for
symmetric operators the minimum is exactly ``sqrt(sum_i (lambda_i(A) - lambda_i(B))^2)``
with the eigenvalues sorted.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import tensorflow as tf
import xarray as xr
from tqdm import tqdm

from .similarity.core import check_labels, labelled
from .similarity.cross import labelled_cross

__all__ = ["DSAConfig", "OPERATORS", "SCORES", "hankel", "fit_operator", "operators", "operator_distances",
           "cross_operator_distances", "alignment", "spectral_lower_bound", "identity_distance"]

SCORES = ("angular", "euclidean")
OPERATORS = ("reference", "centred")
ENUMERATE_SIGNS_UP_TO = 12  # rank up to which every sign pattern is scored (2^(r-1) patterns)
_N_FRAMES = 3
# the r-th singular value of the delay embedding below this fraction of the first: the
# whitened coordinates would amplify round-off (the Gram matrix resolves ~1e-8)
_RANK_TOL = 1e-6
_LR_CUTS = 3  # a stalled start's step is cut by 4, at most this many times, before it stops


@dataclass(frozen=True)
class DSAConfig:
    """Settings of Dynamical Similarity Analysis.

    Parameters
    ----------
    n_delays : int, default 10
        Delays d in the Hankel (delay) embedding.
    delay_interval : int, default 1
        Steps between delays (tau).
    rank : int, default 10
        Rank r of the fitted operator (DMD modes kept).
    operator : 'reference' (default) or 'centred'
        'reference': uncentred, whitened, no intercept, as dsa-metric fits it; 'centred':
        centred, unwhitened, with an intercept (a departure; see the module docstring).
    score : 'angular' (default, the reference's) or 'euclidean'
    iterations : int, default 1000
        Most Adam iterations of the alignment.
    restarts : int, default 4
        Sign patterns per frame (3 frames, so ``3 * restarts`` starting points per pair).
    learning_rate : float, default 0.05
        Adam's step size on the skew-symmetric parameter.
    tol : float, default 1e-6
        A (pair, start) whose angle fell by at most ``tol`` (radians) over the last
        ``check_every`` iterations has stalled: its step is cut by 4, and after three cuts
        it stops.
    check_every : int, default 50
        Iterations between stopping checks.
    """

    n_delays: int = 10
    delay_interval: int = 1
    rank: int = 10
    operator: str = "reference"
    score: str = "angular"
    iterations: int = 1000
    restarts: int = 4
    learning_rate: float = 0.05
    tol: float = 1e-6
    check_every: int = 50

    def __post_init__(self):
        for name in ("n_delays", "delay_interval", "rank", "iterations", "restarts", "check_every"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"{name}={v!r} must be a positive integer")
        for name in ("learning_rate", "tol"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float, np.number)) or not (np.isfinite(v) and v > 0):
                raise ValueError(f"{name}={v!r} must be a finite number > 0")
        if self.score not in SCORES:
            raise ValueError(f"score={self.score!r} is not one of {SCORES!r}")
        if self.operator not in OPERATORS:
            raise ValueError(f"operator={self.operator!r} is not one of {OPERATORS!r}")


def hankel(states_btn: np.ndarray, n_delays: int, delay_interval: int = 1) -> np.ndarray:
    """Delay embedding, (B, T', d N) with ``T' = T - (d - 1) tau``: row t of trial b is
    ``[h_t, h_{t+tau}, ..., h_{t+(d-1)tau}]``."""
    h = np.asarray(states_btn, np.float64)
    if h.ndim != 3:
        raise ValueError(f"states_btn has shape {h.shape}; expected (trials, time steps, units)")
    span = (n_delays - 1) * delay_interval
    if h.shape[1] - span < 2:
        raise ValueError(f"n_delays={n_delays} with delay_interval={delay_interval} spans {span} steps; the trials "
                         f"have {h.shape[1]}: need at least {span + 2}")
    t = h.shape[1] - span
    return np.concatenate([h[:, k * delay_interval: k * delay_interval + t] for k in range(n_delays)], axis=-1)


def fit_operator(states_btn: np.ndarray, config: DSAConfig = DSAConfig(), return_basis: bool = False):
    """The DMD operator A (rank x rank) of one network's trajectories, ``z_{t+1} = A z_t``
    (``config.operator`` says which; see the module docstring).

    With ``return_basis`` also the map from delay vectors to coordinates, ``z_t = (H_t -
    mean) W`` (``W`` d N x rank: ``U_r S_r^-1`` for 'reference', ``U_r`` for 'centred') and
    ``mean`` (zero for 'reference'); then ``W A W^+`` acts on (centred) delay vectors.
    """
    if not isinstance(config, DSAConfig):
        raise ValueError(f"config={config!r} is not a DSAConfig")
    hk = hankel(states_btn, config.n_delays, config.delay_interval)
    b, t, dn = hk.shape
    if config.rank > dn:
        raise ValueError(f"rank={config.rank} exceeds the delay-embedding dimension {dn}")
    flat = hk.reshape(-1, dn)
    centred = config.operator == "centred"
    mean = flat.mean(axis=0) if centred else np.zeros(dn)
    flat = flat - mean
    # top right singular vectors from the (dN x dN) Gram matrix: an SVD of the tall Hankel
    # matrix costs 10x more for the same subspace
    lam, vecs = np.linalg.eigh(flat.T @ flat)
    lam, vecs = lam[::-1], vecs[:, ::-1]
    ratio = np.sqrt(max(lam[config.rank - 1], 0.0) / lam[0]) if lam[0] > 0 else 0.0
    if not ratio > _RANK_TOL:
        raise ValueError(f"rank={config.rank} exceeds the numerical rank of the delay embedding: its singular value "
                         f"{config.rank} is {ratio:.1e} of the largest (need > {_RANK_TOL:g}); lower rank")
    w = vecs[:, : config.rank]
    if not centred:
        w = w / np.sqrt(lam[: config.rank])  # whitened: each coordinate of unit norm over all rows
    z = (flat @ w).reshape(b, t, config.rank)
    x, y = z[:, :-1].reshape(-1, config.rank), z[:, 1:].reshape(-1, config.rank)
    if centred:
        # affine fit, y = x a + c: the centring would otherwise bias A when the data's mean
        # is not the dynamics' fixed point
        a_rows, *_ = np.linalg.lstsq(np.hstack([x, np.ones((len(x), 1))]), y, rcond=None)
        op = a_rows[:-1].T
    else:
        a_rows, *_ = np.linalg.lstsq(x, y, rcond=None)
        op = a_rows.T
    return (op, w, mean) if return_basis else op


def operators(states: dict, config: DSAConfig = DSAConfig(), progress: bool = False) -> dict:
    """``network_id -> operator`` for ``network_id -> (B, T, N)`` trajectories."""
    return {k: fit_operator(v, config) for k, v in tqdm(states.items(), desc="DSA: operators", disable=not progress)}


def spectral_lower_bound(a: np.ndarray, b: np.ndarray) -> float:
    """Mirsky's bound on the euclidean score, valid for any operators:
    ``sqrt(sum (sigma_i(A) - sigma_i(B))^2)``."""
    sa, sb = np.linalg.svd(a, compute_uv=False), np.linalg.svd(b, compute_uv=False)
    return float(np.sqrt(np.sum((sa - sb) ** 2)))


def identity_distance(a: np.ndarray, b: np.ndarray) -> float:
    """The euclidean score with no alignment (C = I): ``||A - B||_F``."""
    return float(np.linalg.norm(a - b))


# ------------------------------------------------------------------------- the alignment


def _frames(stack: np.ndarray) -> np.ndarray:
    """(P, F, r, r) orthonormal frames of each operator: eigenvectors of ``A + A^T``,
    ``A^T A`` and ``A A^T`` by decreasing eigenvalue, each column's largest-magnitude entry
    made positive (so that the frames, hence the batch, do not depend on the signs the
    eigensolver returns; the invariance itself comes from scoring every sign pattern)."""
    tr = np.swapaxes(stack, 1, 2)
    mats = np.stack([stack + tr, tr @ stack, stack @ tr], axis=1)
    _, u = np.linalg.eigh(mats)
    u = u[..., ::-1]
    idx = np.argmax(np.abs(u), axis=-2)
    sign = np.sign(np.take_along_axis(u, idx[..., None, :], axis=-2))
    return u * np.where(sign == 0, 1.0, sign)


def _all_patterns(r: int) -> np.ndarray:
    """Every sign pattern with a leading +1, (2^(r-1), r)."""
    rest = np.array(list(itertools.product([1.0, -1.0], repeat=r - 1))).reshape(-1, r - 1)
    return np.hstack([np.ones((len(rest), 1)), rest])


def _greedy_patterns(w: np.ndarray) -> np.ndarray:
    """Candidate patterns (n, r, r) for large ranks: the greedy pattern (coordinate by
    coordinate, the sign that agrees with those fixed so far) and its r - 1 single flips."""
    n, r = w.shape[0], w.shape[1]
    ws = w + np.swapaxes(w, 1, 2)
    d = np.ones((n, r))
    for i in range(1, r):
        d[:, i] = np.where(np.sum(ws[:, i, :i] * d[:, :i], axis=1) < 0, -1.0, 1.0)
    flips = np.tile(d[:, None], (1, r, 1))
    flips[:, np.arange(1, r), np.arange(1, r)] *= -1.0
    return flips  # row 0 is the greedy pattern itself


def _starts(ta: np.ndarray, tb: np.ndarray, k: int) -> np.ndarray:
    """Sign patterns (n, F, k, r): per pair and frame, the ``k`` patterns D with the largest
    ``sum_ij D_i D_j A~_ij B~_ij`` (ties broken by the patterns' order)."""
    n, f, r = ta.shape[0], ta.shape[1], ta.shape[2]
    w = (ta * tb).reshape(n * f, r, r)
    if r <= ENUMERATE_SIGNS_UP_TO:
        pats = _all_patterns(r)
        outer = (pats[:, :, None] * pats[:, None, :]).reshape(len(pats), -1)
        scores = w.reshape(n * f, -1) @ outer.T  # (n f, patterns)
        k = min(k, len(pats))
        top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        chosen = pats[top]
    else:
        cand = _greedy_patterns(w)  # (n f, r, r)
        scores = np.einsum("pci,pij,pcj->pc", cand, w, cand)
        k = min(k, r)
        top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        chosen = np.take_along_axis(cand, top[:, :, None], axis=1)
    return chosen.reshape(n, f, k, r)


def _cayley(s):
    k = s - tf.linalg.matrix_transpose(s)
    eye = tf.eye(tf.shape(s)[-1], batch_shape=tf.shape(s)[:-2], dtype=s.dtype)
    return tf.linalg.matmul(eye - k, tf.linalg.inv(eye + k))


def _cosine(s, a, b, d):
    """cos(A~, B~; D Cayley(S)) for a batch: a, b (n, r, r) scaled to unit norm, d (n, r)."""
    c = d[:, :, None] * _cayley(s)
    cbc = tf.linalg.matmul(tf.linalg.matmul(c, b), c, transpose_b=True)
    return tf.reduce_sum(a * cbc, axis=[-2, -1])


@tf.function(reduce_retracing=True)
def _chunk(s, m, v, t, a, b, d, active, best, best_s, lr, n):
    for _ in tf.range(n):
        with tf.GradientTape() as tape:
            tape.watch(s)
            f = -_cosine(s, a, b, d)
        g = tape.gradient(f, s)
        g = tf.where(active[:, None, None], g, 0.0)
        t = t + 1.0
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * tf.square(g)
        step = lr * (m / (1.0 - 0.9 ** t)) / (tf.sqrt(v / (1.0 - 0.999 ** t)) + 1e-12)
        s = s - tf.where(active[:, None, None], step, 0.0)
        now = _cosine(s, a, b, d)
        better = now > best
        best = tf.where(better, now, best)
        best_s = tf.where(better[:, None, None], s, best_s)
    return s, m, v, t, best, best_s


def _align(ta: np.ndarray, tb: np.ndarray, config: DSAConfig):
    """Best cosine of each pair and where it was found.

    ``ta``, ``tb``: (n, F, r, r) the pairs' operators in their frames, scaled to unit norm.
    Returns ``(cosine (n,), frame (n,), pattern (n, r), S (n, r, r))``.
    """
    n, f, r = ta.shape[0], ta.shape[1], ta.shape[2]
    pats = _starts(ta, tb, config.restarts)  # (n, F, k, r)
    k = pats.shape[2]
    a = np.broadcast_to(ta[:, :, None], (n, f, k, r, r)).reshape(-1, r, r)
    b = np.broadcast_to(tb[:, :, None], (n, f, k, r, r)).reshape(-1, r, r)
    d = pats.reshape(-1, r)
    a, b, d = tf.constant(a), tf.constant(b), tf.constant(d)
    s = tf.zeros((n * f * k, r, r), tf.float64)
    m, v = tf.zeros_like(s), tf.zeros_like(s)
    t = tf.constant(0.0, tf.float64)
    active = tf.ones(n * f * k, tf.bool)
    best = _cosine(s, a, b, d)
    best_s = s
    lr = np.full(n * f * k, float(config.learning_rate))
    floor = config.learning_rate / 4 ** _LR_CUTS
    done = 0
    while done < config.iterations and bool(tf.reduce_any(active)):
        steps = min(config.check_every, config.iterations - done)
        before = np.arccos(np.clip(best.numpy(), -1.0, 1.0))
        s, m, v, t, best, best_s = _chunk(s, m, v, t, a, b, d, active, best, best_s,
                                          tf.constant(lr[:, None, None]), tf.constant(steps))
        stalled = before - np.arccos(np.clip(best.numpy(), -1.0, 1.0)) <= config.tol
        # a stalled (pair, start) continues at a quarter of its step, until the floor
        lr = np.where(stalled, lr / 4.0, lr)
        active = tf.logical_and(active, tf.constant(lr >= floor * (1 - 1e-9)))
        done += steps
    cos = best.numpy().reshape(n, f * k)
    pick = np.argmax(cos, axis=1)
    rows = np.arange(n) * f * k + pick
    return cos[np.arange(n), pick], pick // k, d.numpy()[rows], best_s.numpy()[rows]


def _prepare(mats: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    shapes = {np.shape(m) for m in mats}
    if len(shapes) != 1 or len(next(iter(shapes))) != 2 or next(iter(shapes))[0] != next(iter(shapes))[1]:
        raise ValueError(f"ops have shapes {sorted(shapes)}; expected square operators of one size (the rank)")
    stack = np.stack([np.asarray(m, np.float64) for m in mats])
    if not np.isfinite(stack).all():
        raise ValueError("ops contain NaN or inf values; every operator must be finite")
    norms = np.linalg.norm(stack, axis=(1, 2))
    if not (norms > 0).all():
        raise ValueError(f"ops[{int(np.argmin(norms))}] is zero; the angular score is undefined for it")
    u = _frames(stack)
    t = np.swapaxes(u, -1, -2) @ stack[:, None] @ u / norms[:, None, None, None]
    return u, t, norms


def _to_distance(cos: np.ndarray, na: np.ndarray, nb: np.ndarray, score: str) -> np.ndarray:
    cos = np.clip(cos, -1.0, 1.0)
    if score == "angular":
        return np.arccos(cos)
    return np.sqrt(np.maximum(na ** 2 + nb ** 2 - 2.0 * na * nb * cos, 0.0))


def alignment(a: np.ndarray, b: np.ndarray, config: DSAConfig = DSAConfig()) -> tuple[float, np.ndarray]:
    """The distance of two operators and the orthogonal map C that attains it:
    ``C B C^T`` is B aligned to A (see the module docstring)."""
    u, t, norms = _prepare([a, b])
    cos, frame, pattern, s = _align(t[:1], t[1:], config)
    rot = (pattern[0][:, None] * _cayley(tf.constant(s)).numpy()[0])
    c = u[0, frame[0]] @ rot @ u[1, frame[0]].T
    return float(_to_distance(cos, norms[:1], norms[1:], config.score)[0]), c


def operator_distances(ops: dict | list, config: DSAConfig = DSAConfig(), labels: pd.DataFrame | None = None,
                       batch_pairs: int = 2048, progress: bool = False) -> xr.DataArray:
    """All-pairs DSA distances between operators, every pair aligned in one batched graph.

    Parameters
    ----------
    ops : network_id -> (r, r) operator (:func:`operators`), or a list of them
    config : :class:`DSAConfig` (iterations, restarts, score)
    labels : one row per network (columns become coordinates, ``network_id`` the index)
    batch_pairs : pairs per batched solve (memory bound)

    Returns
    -------
    xarray.DataArray (P, P), dims ('network', 'network_2'), symmetric, zero diagonal
    """
    if not isinstance(config, DSAConfig):
        raise ValueError(f"config={config!r} is not a DSAConfig")
    mats = list(ops.values()) if isinstance(ops, dict) else list(ops)
    if len(mats) < 2:
        raise ValueError(f"ops has {len(mats)} operator(s); all-pairs distances need at least 2")
    if isinstance(batch_pairs, bool) or not isinstance(batch_pairs, (int, np.integer)) or batch_pairs < 1:
        raise ValueError(f"batch_pairs={batch_pairs!r} must be a positive integer")
    if labels is None and isinstance(ops, dict):
        labels = pd.DataFrame({"network_id": list(ops)})
    labels = check_labels(labels, len(mats))
    _, t, norms = _prepare(mats)
    ii, jj = np.triu_indices(len(mats), 1)
    d = np.zeros((len(mats), len(mats)))
    for start in tqdm(range(0, len(ii), batch_pairs), desc="DSA: pairs", disable=not progress):
        i, j = ii[start: start + batch_pairs], jj[start: start + batch_pairs]
        cos = _align(t[i], t[j], config)[0]
        dist = _to_distance(cos, norms[i], norms[j], config.score)
        d[i, j] = dist
        d[j, i] = dist
    return labelled(d, labels, {"metric": "dsa", **asdict(config)}, {})


def cross_operator_distances(ops_a: dict | list, ops_b: dict | list, config: DSAConfig = DSAConfig(),
                             labels_a: pd.DataFrame | None = None, labels_b: pd.DataFrame | None = None,
                             batch_pairs: int = 2048, progress: bool = False) -> xr.DataArray:
    """DSA distances from every operator of A to every operator of B, (A, B): the pairs
    (a, b) aligned as :func:`operator_distances` aligns them (a pair's distance depends on
    its two operators only), so a few new networks are placed among a population without
    aligning the population's own pairs.  Labels and dims as
    :func:`universality.similarity.cross`."""
    if not isinstance(config, DSAConfig):
        raise ValueError(f"config={config!r} is not a DSAConfig")
    sets = []
    for name, ops, labels in (("ops_a", ops_a, labels_a), ("ops_b", ops_b, labels_b)):
        mats = list(ops.values()) if isinstance(ops, dict) else list(ops)
        if not mats:
            raise ValueError(f"{name} is empty; give at least one operator")
        if labels is None and isinstance(ops, dict):
            labels = pd.DataFrame({"network_id": list(ops)})
        sets.append((mats, check_labels(labels, len(mats))))
    if isinstance(batch_pairs, bool) or not isinstance(batch_pairs, (int, np.integer)) or batch_pairs < 1:
        raise ValueError(f"batch_pairs={batch_pairs!r} must be a positive integer")
    (mats_a, labels_a), (mats_b, labels_b) = sets
    na, nb = len(mats_a), len(mats_b)
    _, t, norms = _prepare(mats_a + mats_b)
    ii, jj = np.indices((na, nb)).reshape(2, -1)
    d = np.zeros((na, nb))
    for start in tqdm(range(0, len(ii), batch_pairs), desc="DSA: pairs", disable=not progress):
        i, j = ii[start: start + batch_pairs], jj[start: start + batch_pairs]
        cos = _align(t[i], t[na + j], config)[0]
        d[i, j] = _to_distance(cos, norms[i], norms[na + j], config.score)
    return labelled_cross(d, labels_a, labels_b, {"metric": "dsa", **asdict(config)})
