"""Minimising the speed q from many initial states (Adam), and polishing the candidates
(Levenberg-Marquardt)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

import numpy as np
import tensorflow as tf
from tqdm import tqdm

from .. import cells
from .config import FixedPointConfig

__all__ = ["OptimiseResult", "minimize_q", "polish", "residual_and_jacobian", "compilations", "clear_compiled",
           "COMPACT_FLOOR", "PARTS", "MIN_PART", "THREADS"]


@dataclass(frozen=True)
class OptimiseResult:
    """Outcome of :func:`minimize_q`: final states (P, K, S), q (P, K), iterations (P, K),
    ``stopped`` (P, K) True where a stopping rule fired before ``max_iters``."""

    h: np.ndarray
    q: np.ndarray
    n_iters: np.ndarray
    stopped: np.ndarray


_COMPILED: dict = {}

#: With :data:`JIT`, the Adam working set of K points per network is never compacted below
#: ``K // COMPACT_FLOOR`` points (at most 3 compiled shapes per search); None: down to one
#: point (the previous behaviour, up to log2 K shapes).
COMPACT_FLOOR: int | None = 4

#: Compile the Adam chunk with XLA (fused element-wise updates; measured by
#: ``benchmarks/fixed_points.py`` against ``JIT = False``, the graph-mode chunk).  XLA
#: compiles once per shape, so the working set is then compacted to power-of-two sizes.
JIT = True

#: The initial states are searched in this many fixed parts (the same on every machine, so
#: the result does not depend on the cores), each at least :data:`MIN_PART` points ...
PARTS = 2
MIN_PART = 128
#: ... on up to this many threads (only the wall time depends on it).
THREADS = 2
_LOCK = threading.Lock()
#: (chunk, working-set shape) -> set once its first call (tracing, compiling) returned
_TRACED: dict = {}


def _hyper(config: FixedPointConfig) -> tuple:
    return (config.lr_grow, config.lr_shrink, config.lr_min, config.lr_max, config.clip_norm, config.beta1,
            config.beta2, config.epsilon, config.tol_q, config.tol_dq)


def _compiled(step_fn: Callable, config: FixedPointConfig):
    """One tf.function per (step function, optimiser constants), reused across calls."""
    key = (step_fn, _hyper(config), JIT)
    if key in _COMPILED:
        return _COMPILED[key]
    grow, shrink, lr_min, lr_max, clip, b1, b2, eps, tol_q, tol_dq = _hyper(config)

    @tf.function(jit_compile=JIT, reduce_retracing=not JIT)
    def chunk(h, m, v, lr, q_prev, active, n_iter, t, n_steps, x, args):
        for _ in tf.range(n_steps):
            if not tf.reduce_any(active):
                break
            with tf.GradientTape() as tape:
                tape.watch(h)
                r = step_fn(h, x, *args) - h
                q = 0.5 * tf.reduce_sum(tf.square(r), axis=-1)
                total = tf.reduce_sum(q)
            g = tape.gradient(total, h)  # points are independent: row k is grad q_k
            # stopping rules, evaluated at the current state
            go = active & (q >= tol_q) & (tf.abs(q_prev - q) >= tol_dq) & tf.math.is_finite(q)
            # adaptive step size: shrink after a step that raised q, grow otherwise
            new_lr = tf.clip_by_value(tf.where(q > q_prev, lr * shrink, lr * grow), lr_min, lr_max)
            lr = tf.where(go, new_lr, lr)
            gnorm = tf.norm(g, axis=-1, keepdims=True)
            g = g * tf.minimum(1.0, clip / tf.maximum(gnorm, 1e-30))
            t = t + 1.0
            m_new = b1 * m + (1.0 - b1) * g
            v_new = b2 * v + (1.0 - b2) * tf.square(g)
            mhat = m_new / (1.0 - tf.pow(b1, t))
            vhat = v_new / (1.0 - tf.pow(b2, t))
            go3 = go[..., None]
            h = tf.where(go3, h - lr[..., None] * mhat / (tf.sqrt(vhat) + eps), h)
            m = tf.where(go3, m_new, m)
            v = tf.where(go3, v_new, v)
            q_prev = tf.where(active, q, q_prev)
            n_iter = n_iter + tf.cast(go, tf.int32)
            active = go
        return h, m, v, lr, q_prev, active, n_iter, t

    # TF's retracing detector keys on the Python code object, so the chunks of every spec
    # and setting count as one function, and a search of several specs (or two parts
    # compacting at different times) can look like "frequent retracing".  The traces here
    # are bounded by design -- at most 3 working-set shapes per chunk, counted by
    # compilations() -- so that warning would be noise; a future TF without the attribute
    # just warns again.
    if hasattr(chunk, "_omit_frequent_tracing_warning"):
        chunk._omit_frequent_tracing_warning = True
    _COMPILED[key] = chunk
    return chunk


#: id of a compiled chunk -> the working-set shapes it has run on (one XLA program each)
_SHAPES: dict = {}


def compilations() -> int:
    """How many programs the Adam chunks of this process were compiled into: one per
    (spec and optimiser constants, working-set shape).  A repeated search of the same
    network adds none."""
    return sum(len(v) for v in _SHAPES.values())


def clear_compiled() -> None:
    """Forget the compiled Adam chunks (the next search traces and compiles afresh, as in a
    new process: what ``benchmarks/fixed_points.py`` times as a cold start)."""
    _COMPILED.clear()
    _SHAPES.clear()
    _TRACED.clear()


def _speed(step_fn, h, x, args) -> np.ndarray:
    h = tf.convert_to_tensor(h, tf.float32)
    r = step_fn(h, tf.convert_to_tensor(x, tf.float32), *args) - h
    return (0.5 * tf.reduce_sum(tf.square(r), axis=-1)).numpy().astype(np.float64)


def _compact(mask_pk: np.ndarray, minimum: int = 1, bucket: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Indices (P, K') of each network's True entries first, K' = max count; and validity.

    Networks with fewer True entries are padded with some of their other indices
    (``valid`` False there), so a (P, K') working set holds every True entry.  With
    ``bucket``, K' is rounded up to a power of two (at most K), so a compiled step sees
    few distinct shapes.
    """
    mask = np.asarray(mask_pk, bool)
    k_new = int(min(mask.shape[1], max(mask.sum(axis=1).max(initial=0), minimum)))
    if bucket:
        k_new = int(min(mask.shape[1], 1 << max(0, (k_new - 1).bit_length())))
    order = np.argsort(~mask, axis=1, kind="stable")[:, :k_new]
    return order, np.take_along_axis(mask, order, axis=1)


def _gather(a: np.ndarray, idx: np.ndarray) -> np.ndarray:
    return np.take_along_axis(a, idx.reshape(idx.shape + (1,) * (a.ndim - 2)), axis=1)


def _scatter(a: np.ndarray, idx: np.ndarray, valid: np.ndarray, values: np.ndarray) -> None:
    p_idx = np.broadcast_to(np.arange(idx.shape[0])[:, None], idx.shape)
    a[p_idx[valid], idx[valid]] = values[valid]


def minimize_q(step_fn: Callable, h0_pks, x_pkm, config: FixedPointConfig = FixedPointConfig(), args: tuple = (),
               progress: bool = False, desc: str = "fixed points") -> OptimiseResult:
    """Minimise ``q = 1/2 ||F(h, x) - h||^2`` from every initial state, all in one graph.

    The iterations run in compiled chunks of ``config.check_every``; between chunks,
    once at most half of the working set is still moving, the stopped points are
    dropped from it (per network, padded to the network with the most moving points),
    so the cost follows the points still moving rather than the slowest one.  With
    :data:`JIT` the set keeps at least a quarter of its K points (:data:`COMPACT_FLOOR`):
    each shape is one XLA compilation, so a search compiles at most three.  Which points
    are computed together changes a point's iterations only through the float32 round-off
    of the batched matmul (XLA's kernel depends on the number of rows).

    The K points are searched in :data:`PARTS` fixed parts (when each part would hold at
    least :data:`MIN_PART` points), run concurrently on up to :data:`THREADS` threads.
    The parts are the same on every machine, so the result does not depend on the number
    of threads or cores; only the wall time does.

    Parameters
    ----------
    step_fn : callable ``F(h_pks, x_pkm, *args) -> (P, K, S)`` written with TF ops
        (a batched update rule; reuse the same function object to reuse its trace)
    h0_pks : (P, K, S) initial states
    x_pkm : (P, K, M) the static input of each point
    config : :class:`FixedPointConfig` (optimiser fields)
    args : extra tensors passed to ``step_fn`` (e.g. the stacked parameters), so one
        trace serves every population of the same shapes

    Returns
    -------
    :class:`OptimiseResult`, with q recomputed at the final states.
    """
    h0 = np.asarray(h0_pks, np.float32)
    x = np.asarray(x_pkm, np.float32)
    if h0.ndim != 3 or x.ndim != 3 or h0.shape[:2] != x.shape[:2]:
        raise ValueError(f"h0_pks {h0.shape} and x_pkm {x.shape} must be (P, K, S) and (P, K, M) "
                         "with the same P and K")
    args = tuple(tf.nest.map_structure(lambda a: tf.convert_to_tensor(a, tf.float32), a) for a in args)
    chunk = _compiled(step_fn, config)
    k = h0.shape[1]
    n_parts = max(1, min(PARTS, k // MIN_PART))
    parts = np.array_split(np.arange(k), n_parts)
    bar = tqdm(total=config.max_iters * n_parts, desc=desc, disable=not progress, leave=False, mininterval=1.0)
    try:
        if n_parts == 1:
            outs = [_search_part(chunk, h0, x, config, args, bar)]
        else:
            # one XLA execution leaves the second core mostly idle (its intra-op threads
            # spin): two concurrent parts cost less CPU time and about half the wall time
            # (benchmarks/fixed_points.py)
            with ThreadPoolExecutor(max(1, min(THREADS, n_parts))) as pool:
                outs = list(pool.map(lambda i: _search_part(chunk, h0[:, i], x[:, i], config, args, bar), parts))
    finally:
        bar.close()
    h, n_iter, active = (np.concatenate([o[j] for o in outs], axis=1) for j in range(3))
    q = _speed(step_fn, h, x, args)
    return OptimiseResult(h.astype(np.float64), q, n_iter, ~active)


def _search_part(chunk, h0, x, config, args, bar):
    """Adam on one part of the points: final (h, n_iter, active), each (P, K_part, ...)."""
    shape_pk = h0.shape[:2]
    full = {"h": h0.copy(), "m": np.zeros_like(h0), "v": np.zeros_like(h0),
            "lr": np.full(shape_pk, config.learning_rate, np.float32),
            "q_prev": np.full(shape_pk, np.inf, np.float32), "active": np.ones(shape_pk, bool),
            "n_iter": np.zeros(shape_pk, np.int32)}
    names = ("h", "m", "v", "lr", "q_prev", "active", "n_iter")
    t = tf.constant(0.0)

    def load(idx, valid):
        work = {k: _gather(full[k], idx) for k in names}
        work["active"] = work["active"] & valid
        with _LOCK:
            _SHAPES.setdefault(id(chunk), set()).add(idx.shape)
        return [tf.constant(work[k]) for k in names], tf.constant(_gather(x, idx))

    def run(work, n, xw):
        # the first call of a shape traces and compiles it: one part does it while the
        # others wait for it (two concurrent first calls would trace twice, and TF's
        # retracing detector would warn)
        key = (id(chunk), tuple(xw.shape))
        with _LOCK:
            first = key not in _TRACED
            if first:
                _TRACED[key] = threading.Event()
        if not first:
            _TRACED[key].wait()
        try:
            return chunk(*work, t, tf.constant(n), xw, args)
        finally:
            if first:
                _TRACED[key].set()

    def store(work, idx, valid):
        for k, w in zip(names, work):
            _scatter(full[k], idx, valid, w.numpy())

    # XLA compiles once per working-set shape (0.5-1 s each, more than the iterations a
    # smaller set saves): with JIT the set shrinks to at most a quarter of its start, so a
    # search compiles at most 3 shapes (K, K/2, K/4) and the TF retracing detector (5
    # traces in 10 calls) stays quiet
    floor = max(1, shape_pk[1] // COMPACT_FLOOR) if JIT and COMPACT_FLOOR else 1
    idx, valid = _compact(full["active"], minimum=floor, bucket=JIT)
    work, xw = load(idx, valid)
    done = 0
    while done < config.max_iters:
        n = min(config.check_every, config.max_iters - done)
        *work, t = run(work, n, xw)
        done += n
        moving = work[5].numpy()
        n_moving = int(moving.sum())
        with _LOCK:
            bar.update(n)
        if n_moving == 0:
            break
        if moving.sum(axis=1).max() <= idx.shape[1] // 2 and idx.shape[1] > floor:  # compact the working set
            store(work, idx, valid)
            idx, valid = _compact(full["active"], minimum=floor, bucket=JIT)
            work, xw = load(idx, valid)
    with _LOCK:
        bar.update(config.max_iters - done)
    store(work, idx, valid)
    return full["h"], full["n_iter"], full["active"]


_HELPERS: dict = {}


def residual_and_jacobian(step_fn: Callable, jacobian_fn: Callable | None):
    """``(residual, jacobian)`` functions of a step function: ``F(h, x) - h`` and
    ``(J_h, J_x)`` (``jacobian_fn``, or :func:`universality.cells.tiled_jacobians` of
    ``step_fn``).  They run eagerly: each call is one large batched pass, where tracing a
    graph (twice per spec, as shapes change) costs more than it saves."""
    key = (step_fn, jacobian_fn)
    if key not in _HELPERS:
        def residual(h, x, *args):
            return step_fn(h, x, *args) - h

        if jacobian_fn is None:
            def jac(h, x, *args):
                return cells.tiled_jacobians(step_fn, h, x, *args)
        else:
            jac = jacobian_fn
        _HELPERS[key] = (residual, jac)
    return _HELPERS[key]


#: float64 Jacobian entries (networks x points x S x S) of one polish solve; more go in chunks.
POLISH_ENTRIES = 1 << 24


def _lm_step(jac_fn, hw, xw, rw, muw, args) -> np.ndarray:
    """delta = -(A^T A + mu I)^{-1} A^T r with A = J_h - I, for (P, K) points."""
    s = hw.shape[-1]
    # batched float64 linear algebra in TF (numpy's threaded BLAS stalls on busy cores)
    jh = tf.cast(jac_fn(tf.constant(hw, tf.float32), tf.constant(xw), *args)[0], tf.float64)
    a = jh - tf.eye(s, dtype=tf.float64)
    lhs = tf.linalg.matmul(a, a, transpose_a=True) + tf.constant(muw)[..., None, None] * tf.eye(s, dtype=tf.float64)
    rhs = -tf.linalg.matmul(a, tf.constant(rw)[..., None], transpose_a=True)
    try:
        return tf.linalg.solve(lhs, rhs)[..., 0].numpy()
    except tf.errors.InvalidArgumentError:  # a singular system: fall back to a pseudo-inverse
        return tf.linalg.matmul(tf.linalg.pinv(lhs), rhs)[..., 0].numpy()


def polish(step_fn: Callable, jacobian_fn: Callable, h_pks, x_pkm, config: FixedPointConfig = FixedPointConfig(),
           args: tuple = ()) -> tuple[np.ndarray, np.ndarray]:
    """Levenberg-Marquardt polish of candidate fixed points, every point on its own.

    With ``r = F(h, x) - h`` and ``A = J_h(h, x) - I``, each iteration proposes

        delta = -(A^T A + mu I)^{-1} A^T r

    (a damped Newton step on ``F(h) - h = 0``, i.e. Gauss-Newton on q), accepts it
    where it lowers q (then ``mu <- mu / 10``) and rejects it elsewhere
    (``mu <- 10 mu``).  Near a fixed point, saddle or not, it converges quadratically,
    which Adam does not; from a slow point (q > 0 at a local minimum of q) it cannot
    lower q much and leaves the point near where it is.  A point leaves the working set
    once ``q < polish_tol_q``, or after 3 iterations in a row that did not halve its q (a
    slow point, or round-off), so each iteration costs Jacobians only for the points
    still converging.

    Parameters
    ----------
    h_pks, x_pkm : (P, K, S) candidates and their (P, K, M) inputs
    jacobian_fn : ``(h_pks, x_pkm, *args) -> (J_h, J_x)``, TF ops, or None for the
        tiled reverse pass over ``step_fn``
    config : uses ``polish_iters``, ``polish_damping``, ``polish_tol_q``

    Returns
    -------
    h_pks : (P, K, S) float64, q_pk : (P, K) float64
    """
    h = np.asarray(h_pks, np.float64).copy()
    x = np.asarray(x_pkm, np.float32)
    s = h.shape[-1]
    mu = np.full(h.shape[:2], config.polish_damping)
    stalls = np.zeros(h.shape[:2], np.int64)
    res_fn, jac_fn = residual_and_jacobian(step_fn, jacobian_fn)

    def residual(hh, xx):
        return res_fn(tf.constant(hh, tf.float32), tf.constant(xx), *args).numpy().astype(np.float64)

    r = residual(h, x)
    q = 0.5 * np.sum(r**2, axis=-1)
    for _ in range(config.polish_iters):
        todo = (q >= config.polish_tol_q) & (stalls < 3)
        if not todo.any():
            break
        idx, valid = _compact(todo)
        hw, xw, rw, qw, muw = (_gather(a, idx) for a in (h, x, r, q, mu))
        delta = np.empty_like(hw)
        step_k = max(1, POLISH_ENTRIES // (hw.shape[0] * s * s))  # in chunks of points (memory)
        for i in range(0, hw.shape[1], step_k):
            part = slice(i, i + step_k)
            delta[:, part] = _lm_step(jac_fn, hw[:, part], xw[:, part], rw[:, part], muw[:, part], args)
        h_try = hw + delta
        r_try = residual(h_try, xw)
        q_try = 0.5 * np.sum(r_try**2, axis=-1)
        ok = valid & np.isfinite(q_try) & (q_try < qw)
        _scatter(h, idx, ok, h_try)
        _scatter(r, idx, ok, r_try)
        _scatter(q, idx, ok, q_try)
        _scatter(mu, idx, valid, np.where(ok, np.maximum(muw / 10.0, 1e-12), muw * 10.0))
        halved = ok & (q_try <= 0.5 * qw)
        _scatter(stalls, idx, valid, np.where(halved, 0, _gather(stalls, idx) + 1))
    return h, q

