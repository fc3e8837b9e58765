"""Comparing networks by their dynamics: Dynamical Similarity Analysis (DSA).

Ostrow, Eisen, Kozachkov and Fiete (NeurIPS 2023) compare two dynamical systems by a
linear operator fitted to each and aligned up to an orthogonal change of basis:

1. **Delay embedding.**  A network's states on a batch of trials, ``h_t`` (B, T, N), become
   the rows of a Hankel matrix ``H_t = [h_t, h_{t+tau}, ..., h_{t+(d-1) tau}]`` (``d`` =
   ``n_delays``, ``tau`` = ``delay_interval``), centred over all rows.
2. **Reduced-rank regression (DMD on the delay coordinates, HAVOK style).**  The top
   ``rank`` right singular vectors ``V_r`` of ``H`` give coordinates ``z_t = V_r^T H_t``;
   the operator ``A`` (rank x rank) is the least-squares fit of ``z_{t+1} = A z_t + c``
   over consecutive rows of every trial (the intercept c absorbs the centring).
3. **Procrustes over vector fields.**  For two operators

       d(A, B) = min_{C in O(r)} || A - C B C^T ||_F

   (``score='euclidean'``), or the angle ``arccos(<A, C B C^T> / (||A|| ||B||))`` maximised
   over C (``score='angular'``).  The minimisation is over the orthogonal group, so one
   distance is an iterative solve: here every pair of a population, and several restarts
   of each, are optimised in ONE TensorFlow graph.  ``C = Cayley(K) D`` with ``K = S -
   S^T`` skew-symmetric, ``Cayley(K) = (I - K)(I + K)^-1`` (a rotation) and ``D`` a
   starting point: the identity, a reflection (the other component of O(r)), the
   eigenvectors of ``A + A^T`` lined up with those of ``B + B^T`` (under random signs),
   or a random orthogonal matrix, one per restart; Adam on S from 0, and each (pair,
   restart) stops on its own when its objective stops improving.  Restart 0 starts at
   C = I and the best value seen is kept, so the result is never above the
   identity-alignment value ``||A - B||_F``.

Bounds used by the tests: for any operators, Mirsky's theorem gives
``d >= sqrt(sum_i (sigma_i(A) - sigma_i(B))^2)`` (singular values, sorted); for symmetric
operators the minimum is exactly ``sqrt(sum_i (lambda_i(A) - lambda_i(B))^2)`` with the
eigenvalues sorted (Hoffman-Wielandt, attained by aligning eigenvectors).
"""

from __future__ import annotations

import zlib
from dataclasses import asdict, dataclass, replace

import numpy as np
import pandas as pd
import tensorflow as tf
import xarray as xr
from tqdm import tqdm

from .similarity.core import check_labels, labelled

__all__ = ["DSAConfig", "hankel", "fit_operator", "operators", "operator_distances", "spectral_lower_bound",
           "identity_distance"]

SCORES = ("euclidean", "angular")


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
    iterations : int, default 300
        Most Adam iterations of the alignment.
    restarts : int, default 4
        Starting points per pair (the identity, a reflection, then eigenvector alignments
        of the symmetric parts under random signs).
    learning_rate : float, default 0.05
        Adam's step size on the skew-symmetric parameter.
    tol : float, default 1e-4
        A (pair, restart) stops when its objective fell by less than ``tol`` (relative)
        over the last ``check_every`` iterations.
    check_every : int, default 50
        Iterations between stopping checks.
    score : 'euclidean' (default) or 'angular'
    seed : int, default 0
        Seeds the random restarts.
    """

    n_delays: int = 10
    delay_interval: int = 1
    rank: int = 10
    iterations: int = 300
    restarts: int = 4
    learning_rate: float = 0.05
    tol: float = 1e-4
    check_every: int = 50
    score: str = "euclidean"
    seed: int = 0

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
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            raise ValueError(f"seed={self.seed!r} must be an integer >= 0")

    @classmethod
    def for_task(cls, task_name: str, **overrides) -> "DSAConfig":
        """Defaults for the book's tasks: the delays span a stretch of the dynamics that
        matters (a flip-flop transition, a fifth of the slowest sine period, a CDI trial)."""
        presets = {"flipflop": {"n_delays": 10}, "sine": {"n_delays": 10, "delay_interval": 2},
                   "cdi": {"n_delays": 5, "rank": 8}}
        if task_name not in presets:
            raise ValueError(f"task_name={task_name!r} is not one of {tuple(presets)!r}")
        return replace(cls(), **{**presets[task_name], **overrides})


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
    """The DMD operator A (rank x rank) of one network's trajectories, ``z_{t+1} = A z_t``.

    With ``return_basis`` also the basis ``V_r`` (d N x rank) and the mean of the delay
    coordinates, so that ``V_r A V_r^T`` acts on centred delay vectors.
    """
    hk = hankel(states_btn, config.n_delays, config.delay_interval)
    b, t, dn = hk.shape
    if config.rank > dn:
        raise ValueError(f"rank={config.rank} exceeds the delay-embedding dimension {dn}")
    flat = hk.reshape(-1, dn)
    mean = flat.mean(axis=0)
    flat = flat - mean
    # top right singular vectors from the (dN x dN) Gram matrix: an SVD of the tall Hankel
    # matrix costs 10x more for the same subspace
    lam, vecs = np.linalg.eigh(flat.T @ flat)
    v = vecs[:, ::-1][:, : config.rank]
    z = (flat @ v).reshape(b, t, config.rank)
    x, y = z[:, :-1].reshape(-1, config.rank), z[:, 1:].reshape(-1, config.rank)
    # affine fit, y = x a + c: the centring would otherwise bias A when the data's mean is
    # not the dynamics' fixed point
    a_rows, *_ = np.linalg.lstsq(np.hstack([x, np.ones((len(x), 1))]), y, rcond=None)
    op = a_rows[:-1].T
    return (op, v, mean) if return_basis else op


def operators(states: dict, config: DSAConfig = DSAConfig(), progress: bool = False) -> dict:
    """``network_id -> operator`` for ``network_id -> (B, T, N)`` trajectories."""
    return {k: fit_operator(v, config) for k, v in tqdm(states.items(), desc="DSA: operators", disable=not progress)}


def spectral_lower_bound(a: np.ndarray, b: np.ndarray) -> float:
    """Mirsky's bound, valid for any operators: ``sqrt(sum (sigma_i(A) - sigma_i(B))^2)``."""
    sa, sb = np.linalg.svd(a, compute_uv=False), np.linalg.svd(b, compute_uv=False)
    return float(np.sqrt(np.sum((sa - sb) ** 2)))


def identity_distance(a: np.ndarray, b: np.ndarray) -> float:
    """The distance with no alignment (C = I): ``||A - B||_F``."""
    return float(np.linalg.norm(a - b))


def _cayley(s):
    k = s - tf.linalg.matrix_transpose(s)
    eye = tf.eye(tf.shape(s)[-1], batch_shape=tf.shape(s)[:-2], dtype=s.dtype)
    return tf.linalg.matmul(eye - k, tf.linalg.inv(eye + k))


def _objective(s, a, b, refl, angular: bool):
    c = tf.linalg.matmul(refl, _cayley(s))  # a rotation of the starting point
    cbc = tf.linalg.matmul(tf.linalg.matmul(c, b), c, transpose_b=True)
    if angular:
        inner = tf.reduce_sum(a * cbc, axis=[-2, -1])
        norm = tf.norm(a, axis=[-2, -1]) * tf.norm(b, axis=[-2, -1])
        return -inner / norm  # minimised: the cosine maximised
    return tf.reduce_sum(tf.square(a - cbc), axis=[-2, -1])


def _make_chunk(angular: bool):
    @tf.function(reduce_retracing=True)
    def chunk(s, m, v, t, a, b, refl, active, lr, n):
        best = _objective(s, a, b, refl, angular)
        for _ in tf.range(n):
            with tf.GradientTape() as tape:
                tape.watch(s)
                f = _objective(s, a, b, refl, angular)
            g = tape.gradient(f, s)
            g = tf.where(active[:, None, None], g, 0.0)
            t = t + 1.0
            m = 0.9 * m + 0.1 * g
            v = 0.999 * v + 0.001 * tf.square(g)
            step = lr * (m / (1.0 - 0.9 ** t)) / (tf.sqrt(v / (1.0 - 0.999 ** t)) + 1e-12)
            s = s - tf.where(active[:, None, None], step, 0.0)
            best = tf.minimum(best, _objective(s, a, b, refl, angular))
        return s, m, v, t, best

    return chunk


_CHUNKS = {True: None, False: None}


def _starting_points(a_batch, b_batch, k, seed: int) -> np.ndarray:
    """(n, k, r, r) orthogonal starting points C0 per pair: the identity, a reflection,
    then ``U_A D U_B^T`` -- the eigenvectors of the symmetric parts ``A + A^T`` and
    ``B + B^T`` lined up, with the signs D fitted (:func:`_fit_signs`; exact for conjugate
    operators) and then drawn at random."""
    n, r = a_batch.shape[0], a_batch.shape[1]
    out = np.tile(np.eye(r), (n, k, 1, 1))
    if k > 1:
        out[:, 1, 0, 0] = -1.0
    if k > 2:
        _, ua = np.linalg.eigh(a_batch + np.swapaxes(a_batch, 1, 2))
        _, ub = np.linalg.eigh(b_batch + np.swapaxes(b_batch, 1, 2))
        at = np.swapaxes(ua, 1, 2) @ a_batch @ ua  # A and B in their own symmetric-part eigenbases
        bt = np.swapaxes(ub, 1, 2) @ b_batch @ ub
        # each pair's random signs come from a generator keyed by its two operators, so a
        # pair gets the same starts whether it is aligned alone or in a batch
        keys = [[seed, zlib.crc32(np.ascontiguousarray(a).tobytes()), zlib.crc32(np.ascontiguousarray(b).tobytes())]
                for a, b in zip(a_batch, b_batch)]
        draws = np.stack([np.random.default_rng(key).choice([-1.0, 1.0], size=(max(k - 3, 0), r)) for key in keys])
        for j in range(2, k):
            signs = _fit_signs(at, bt) if j == 2 else draws[:, j - 3]
            out[:, j] = ua @ (signs[:, :, None] * np.swapaxes(ub, 1, 2))
    return out


def _fit_signs(at: np.ndarray, bt: np.ndarray) -> np.ndarray:
    """Signs D (n, r) with ``D_i D_j bt_ij ~ at_ij``, chosen greedily one coordinate at a
    time (exact for orthogonally conjugate operators with distinct symmetric-part
    eigenvalues): ``D B~ D`` then matches ``A~`` where the eigenvectors' signs differ."""
    n, r = at.shape[0], at.shape[1]
    d = np.ones((n, r))
    agree = at * bt + np.swapaxes(at, 1, 2) * np.swapaxes(bt, 1, 2)
    for i in range(1, r):
        score = np.sum(agree[:, i, :i] * d[:, :i], axis=1)
        d[:, i] = np.where(score < 0, -1.0, 1.0)
    return d


def _align(a_batch: np.ndarray, b_batch: np.ndarray, config: DSAConfig) -> np.ndarray:
    """Minimised objective of each pair (rows of a_batch/b_batch), over restarts."""
    n, r = a_batch.shape[0], a_batch.shape[1]
    k = config.restarts
    angular = config.score == "angular"
    if _CHUNKS[angular] is None:
        _CHUNKS[angular] = _make_chunk(angular)
    chunk = _CHUNKS[angular]
    refl = _starting_points(a_batch, b_batch, k, config.seed)
    s0 = np.zeros((n, k, r, r))
    a = tf.constant(np.repeat(a_batch[:, None], k, axis=1).reshape(n * k, r, r))
    b = tf.constant(np.repeat(b_batch[:, None], k, axis=1).reshape(n * k, r, r))
    s = tf.constant(s0.reshape(n * k, r, r))
    refl = tf.constant(refl.reshape(n * k, r, r))
    m, v = tf.zeros_like(s), tf.zeros_like(s)
    t = tf.constant(0.0, tf.float64)
    active = tf.ones(n * k, tf.bool)
    best = _objective(s, a, b, refl, angular).numpy()
    done = 0
    while done < config.iterations and bool(tf.reduce_any(active)):
        steps = min(config.check_every, config.iterations - done)
        s, m, v, t, chunk_best = chunk(s, m, v, t, a, b, refl, active, tf.constant(config.learning_rate, tf.float64),
                                       tf.constant(steps))
        chunk_best = chunk_best.numpy()
        improved = best - chunk_best > config.tol * np.maximum(np.abs(best), 1e-12)
        best = np.minimum(best, chunk_best)
        active = tf.logical_and(active, tf.constant(improved))
        done += steps
    return best.reshape(n, k).min(axis=1)


def _to_distance(objective: np.ndarray, score: str) -> np.ndarray:
    if score == "angular":
        return np.arccos(np.clip(-objective, -1.0, 1.0))
    return np.sqrt(np.maximum(objective, 0.0))


def operator_distances(ops: dict | list, config: DSAConfig = DSAConfig(), labels: pd.DataFrame | None = None,
                       batch_pairs: int = 4096, progress: bool = False) -> xr.DataArray:
    """All-pairs DSA distances between operators, every pair aligned in one batched graph.

    Parameters
    ----------
    ops : network_id -> (r, r) operator (:func:`operators`), or a list of them
    config : :class:`DSAConfig` (iterations, restarts, score, seed)
    labels : one row per network (columns become coordinates, ``network_id`` the index)
    batch_pairs : pairs per batched solve (memory bound)

    Returns
    -------
    xarray.DataArray (P, P), dims ('network', 'network_2'), symmetric, zero diagonal
    """
    mats = list(ops.values()) if isinstance(ops, dict) else list(ops)
    if len(mats) < 2:
        raise ValueError(f"ops has {len(mats)} operator(s); all-pairs distances need at least 2")
    shapes = {np.shape(m) for m in mats}
    if len(shapes) != 1 or len(next(iter(shapes))) != 2 or next(iter(shapes))[0] != next(iter(shapes))[1]:
        raise ValueError(f"ops have shapes {sorted(shapes)}; expected square operators of one size (the rank)")
    if isinstance(batch_pairs, bool) or not isinstance(batch_pairs, (int, np.integer)) or batch_pairs < 1:
        raise ValueError(f"batch_pairs={batch_pairs!r} must be a positive integer")
    if labels is None and isinstance(ops, dict):
        labels = pd.DataFrame({"network_id": list(ops)})
    labels = check_labels(labels, len(mats))
    stack = np.stack([np.asarray(m, np.float64) for m in mats])
    ii, jj = np.triu_indices(len(mats), 1)
    d = np.zeros((len(mats), len(mats)))
    for start in tqdm(range(0, len(ii), batch_pairs), desc="DSA: pairs", disable=not progress):
        i, j = ii[start: start + batch_pairs], jj[start: start + batch_pairs]
        dist = _to_distance(_align(stack[i], stack[j], config), config.score)
        d[i, j] = dist
        d[j, i] = dist
    return labelled(d, labels, {"metric": "dsa", **{k: v for k, v in asdict(config).items()}}, {})
