"""Fixed points of many recurrent networks at once, and their linearisations.

A fixed point of the update rule ``h_{t+1} = F(h_t, x)`` under a static input x* is a
state with ``h* = F(h*, x*)`` (Section 2.3 of the paper; "approximate" fixed points
are merely very slow).  They are found, as in Sussillo & Barak (2013) and Golub &
Sussillo (2018), by minimising the speed

    q(h) = 1/2 || F(h, x*) - h ||^2,     grad q = (J_h(h, x*) - I)^T (F(h, x*) - h),

from many initial states, with every network of a population and every initial state
in ONE batched graph: states are ``h_pks`` (P networks x K points x S state units) and
each point carries its own condition input ``x_pkm``.

The optimiser (:func:`minimize_q`) is Adam with, for every point separately,

* gradient-norm clipping, ``g <- g min(1, clip_norm / ||g||)``;
* an adaptive step size: ``lr <- lr * lr_grow`` when q fell over the last step and
  ``lr <- lr * lr_shrink`` when it rose, kept in ``[lr_min, lr_max]``;
* a stopping rule: a point stops (and is frozen) as soon as ``q < tol_q`` or
  ``|q_i - q_{i-1}| < tol_dq``.

Adam finds the basins but converges slowly (linearly, and badly near saddles), so its
end points are then, per network:

1. cleaned (:func:`clean`): non-finite points and points with ``q > q_candidate`` are
   dropped, then distance outliers (farther from the centroid c of the network's
   reference states -- its trajectories -- than ``outlier_distance_scale`` times their
   median distance to c), then duplicates (points of one condition closer than
   ``tol_unique`` merge into the one of lowest q: connected components of the
   ``tol_unique`` neighbour graph, found with a k-d tree, never a Python pair loop);
2. polished (:func:`polish`): a few Levenberg-Marquardt steps on ``F(h) - h = 0``, which
   take a point near a fixed point (saddle or not) to float32 round-off (q ~ 1e-13)
   and leave slow points (non-zero minima of q) where they are;
3. cleaned again with ``q_max`` (default 1e-10): exact fixed points stay, slow points go.

This departs from a pure-Adam finder on purpose: on trained flip-flop networks Adam
alone left a continuum of q values between 1e-12 and 1e-5, so the number of "fixed
points" depended on an arbitrary q cut (GRU/ReLU networks gave 30-170 points); after
the polish the q values split into two groups (< 1e-12 and > 1e-9) and 25 of the 29
trained book networks give exactly the cube's 27 (8 stable, 12/6/1 saddles with
1/2/3 unstable directions).  For the CDI line attractor, whose
points are *approximate* fixed points, :func:`task_config` turns the polish off and
raises ``q_max``.

Finally each fixed point is linearised, ``J_h = dF/dh`` (S x S) and ``J_x = dF/dx``
(S x M), and ``J_h`` is eigendecomposed (:func:`decompose`)::

    J_h = R diag(lambda) L,   L R = I,   |lambda_1| >= |lambda_2| >= ...

with right eigenvectors as the columns of R and left eigenvectors as the rows of
``L = R^{-1}``.  A point is stable when ``max |lambda| < 1``; ``n_unstable`` counts the
eigenvalues with ``|lambda| > 1``.

Entry points: :func:`find_fixed_points` takes any batched step function
``F(h_pks, x_pkm, *args) -> h_pks`` (a linear map in the tests);
:func:`find_cell_fixed_points` wraps it for the cells of :mod:`universality.cells`
(Jacobians from ``cells.jacobians``); :func:`find_population_fixed_points` samples each
network's initial states from its own trajectories on task inputs and runs the finder
per spec group, with the task's preset :func:`task_config`.  Results are
:class:`FixedPoints` (one per network), saved and loaded without pickle
(:meth:`FixedPoints.save`, :func:`save_collection`).
"""

from __future__ import annotations

import contextlib
import json
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np
import tensorflow as tf
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree
from tqdm import tqdm

from . import cells
from .store import atomic_savez

__all__ = [
    "FixedPointConfig",
    "OptimiseResult",
    "FixedPoints",
    "decompose",
    "deduplicate",
    "outlier_mask",
    "minimize_q",
    "clean",
    "polish",
    "find_fixed_points",
    "find_cell_fixed_points",
    "sample_initial_states",
    "task_config",
    "find_population_fixed_points",
    "save_collection",
    "load_collection",
]


# --------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FixedPointConfig:
    """Hyperparameters of the fixed-point search (defaults tuned on 64-unit flip-flop nets).

    Parameters
    ----------
    n_initial : int, default 1024
        Initial states per network, split evenly over the task's conditions (point k is
        paired with condition ``k mod C``).
    n_trials : int, default 64
        Task trials (``task.sample``) whose trajectories the initial states are drawn from.
    noise_scale : float, default 0.2
        Standard deviation of the isotropic Gaussian noise added to each sampled state.
    learning_rate : float, default 0.01
        Initial Adam step size of every point.
    lr_grow, lr_shrink : float, defaults 1.02 and 0.5
        Per-point step-size factors after q fell / rose over the last step.
    lr_min, lr_max : float, defaults 1e-6 and 0.1
        Bounds of the per-point step size.
    clip_norm : float, default 1.0
        Per-point gradient-norm clip.
    beta1, beta2, epsilon : float, defaults 0.9, 0.999, 1e-8
        Adam's moment decay rates and denominator offset.
    max_iters : int, default 1000
        Maximum Adam iterations (Adam only has to bring points into the polish's basin).
    check_every : int, default 100
        Iterations per compiled chunk: progress and the all-stopped check happen between
        chunks (each point still stops on its own inside a chunk).
    tol_q : float, default 1e-12
        A point stops when ``q < tol_q``.
    tol_dq : float, default 1e-14
        A point stops when ``|q_i - q_{i-1}| < tol_dq``.
    q_candidate : float, default 1e-3
        Adam's end points with ``q > q_candidate`` are not polished (nor kept).
    polish_iters : int, default 20
        Levenberg-Marquardt iterations that polish every candidate after Adam (0: none);
        see :func:`polish`.
    polish_damping : float, default 1e-3
        Initial Levenberg-Marquardt damping mu.
    polish_tol_q : float, default 1e-12
        A point leaves the polish once ``q < polish_tol_q``.
    q_max : float, default 1e-10
        After polishing, candidates with ``q > q_max`` are dropped: a true fixed point
        polishes to float32 round-off (q ~ 1e-13), while a slow point (a non-zero local
        minimum of q, e.g. where gates saturate) stays far above; ``inf`` keeps all.
    tol_unique : float, default 1e-2
        Points of one condition within this Euclidean distance are one fixed point.
    outlier_distance_scale : float, default 10.0
        Points farther from the centroid of the reference states than this many times
        the reference states' median distance to it are dropped (``inf``: keep all).
    seed : int, default 0
        Seeds the task trials and the initial-state draws (each network's draw is also
        keyed by its id, so it does not depend on which networks share the batch).
    """

    n_initial: int = 1024
    n_trials: int = 64
    noise_scale: float = 0.5
    learning_rate: float = 0.01
    lr_grow: float = 1.02
    lr_shrink: float = 0.5
    lr_min: float = 1e-6
    lr_max: float = 0.1
    clip_norm: float = 1.0
    beta1: float = 0.9
    beta2: float = 0.99
    epsilon: float = 1e-8
    max_iters: int = 1000
    check_every: int = 100
    tol_q: float = 1e-12
    tol_dq: float = 1e-14
    q_candidate: float = 1e-3
    polish_iters: int = 20
    polish_damping: float = 1e-3
    polish_tol_q: float = 1e-12
    q_max: float = 1e-10
    tol_unique: float = 1e-2
    outlier_distance_scale: float = 10.0
    seed: int = 0

    def __post_init__(self):
        for name in ("n_initial", "n_trials", "max_iters", "check_every"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"{name}={v!r} must be a positive integer")
        v = self.polish_iters
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
            raise ValueError(f"polish_iters={v!r} must be an integer >= 0")
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            raise ValueError(f"seed={self.seed!r} must be an integer >= 0")
        for name in ("learning_rate", "lr_min", "lr_max", "clip_norm", "epsilon", "tol_q", "tol_unique",
                     "polish_damping", "polish_tol_q"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float, np.number)) and np.isfinite(v) and v > 0):
                raise ValueError(f"{name}={v!r} must be a finite number > 0")
        for name in ("q_max", "q_candidate", "outlier_distance_scale"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float, np.number)) and not np.isnan(v) and v > 0):
                raise ValueError(f"{name}={v!r} must be a number > 0 (inf disables the filter)")
        if not (np.isfinite(self.noise_scale) and self.noise_scale >= 0):
            raise ValueError(f"noise_scale={self.noise_scale!r} must be a finite number >= 0")
        if not (np.isfinite(self.tol_dq) and self.tol_dq >= 0):
            raise ValueError(f"tol_dq={self.tol_dq!r} must be a finite number >= 0 (0 disables the rule)")
        if not self.lr_grow >= 1.0 or not np.isfinite(self.lr_grow):
            raise ValueError(f"lr_grow={self.lr_grow!r} must be a finite number >= 1")
        if not 0.0 < self.lr_shrink < 1.0:
            raise ValueError(f"lr_shrink={self.lr_shrink!r} must be in (0, 1)")
        if self.lr_min > self.lr_max:
            raise ValueError(f"lr_min={self.lr_min!r} must be <= lr_max={self.lr_max!r}")
        if not self.lr_min <= self.learning_rate <= self.lr_max:
            raise ValueError(f"learning_rate={self.learning_rate!r} must lie in [lr_min, lr_max] = "
                             f"[{self.lr_min!r}, {self.lr_max!r}]")
        for name in ("beta1", "beta2"):
            v = getattr(self, name)
            if not 0.0 <= v < 1.0:
                raise ValueError(f"{name}={v!r} must be in [0, 1)")


# --------------------------------------------------------------------------------------
# Linear algebra
# --------------------------------------------------------------------------------------


def _single_threaded_blas():
    """Limit numpy's BLAS/LAPACK to one thread for batches of small matrices.

    Threaded OpenBLAS on small matrices busy-waits, and on a shared 2-core machine was
    measured 20-40x slower than one thread.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - a scikit-learn dependency, normally present
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def decompose(j_nss: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Eigendecomposition ``J = R diag(lambda) L`` with eigenvalues by |lambda| descending.

    Parameters
    ----------
    j_nss : (n, S, S) real matrices

    Returns
    -------
    eigenvalues : (n, S) complex128, ``|lambda_1| >= |lambda_2| >= ...``
    right : (n, S, S) complex128, right eigenvectors as COLUMNS (``J r_i = lambda_i r_i``)
    left : (n, S, S) complex128, left eigenvectors as ROWS, ``L = R^{-1}`` (so ``L R = I``
        and ``l_i^T J = lambda_i l_i^T``)
    """
    j = np.asarray(j_nss, np.float64)
    if j.ndim != 3 or j.shape[1] != j.shape[2]:
        raise ValueError(f"j_nss has shape {j.shape}; expected (n, S, S)")
    if j.shape[0] == 0:
        s = j.shape[1]
        return (np.zeros((0, s), complex), np.zeros((0, s, s), complex), np.zeros((0, s, s), complex))
    with _single_threaded_blas():  # many small matrices: threads only contend
        lam, r = np.linalg.eig(j)
        order = np.argsort(-np.abs(lam), axis=-1, kind="stable")
        lam = np.take_along_axis(lam, order, axis=-1).astype(np.complex128)
        r = np.take_along_axis(r, order[:, None, :], axis=-1).astype(np.complex128)
        return lam, r, np.linalg.inv(r)


# --------------------------------------------------------------------------------------
# The result container
# --------------------------------------------------------------------------------------

_ARRAYS = ("h", "q", "x", "condition", "J_h", "J_x", "eigenvalues", "right", "left", "outputs")


@dataclass(frozen=True, eq=False)
class FixedPoints:
    """The fixed points of ONE network and their linearisations.

    Attributes
    ----------
    h : (n, S) float64, the fixed points h*
    q : (n,) float64, ``1/2 ||F(h*, x*) - h*||^2`` at each
    x : (n, M) float64, the static input x* each was found under
    condition : (n,) int64, the index of x* among the task's conditions
    J_h : (n, S, S) float64, ``dF_i/dh_j`` at (h*, x*)
    J_x : (n, S, M) float64, ``dF_i/dx_j`` at (h*, x*)
    eigenvalues : (n, S) complex128, of J_h, by |lambda| descending
    right : (n, S, S) complex128, right eigenvectors (columns), same order
    left : (n, S, S) complex128, left eigenvectors (rows of R^{-1}; ``L R = I``)
    outputs : (n, O) float64, the network's readout at h* (O = 0 when unknown)
    meta : dict, JSON-able (e.g. ``network_id``, arch, activation)

    Index it like an array (``fps[fps.is_stable]``, ``fps[:3]``, ``fps[[0, 2]]``); an
    integer index keeps a length-1 container.
    """

    h: np.ndarray
    q: np.ndarray
    x: np.ndarray
    condition: np.ndarray
    J_h: np.ndarray
    J_x: np.ndarray
    eigenvalues: np.ndarray
    right: np.ndarray
    left: np.ndarray
    outputs: np.ndarray
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        n, s = np.shape(self.h)
        m = np.shape(self.x)[1]
        want = {"q": (n,), "x": (n, m), "condition": (n,), "J_h": (n, s, s), "J_x": (n, s, m),
                "eigenvalues": (n, s), "right": (n, s, s), "left": (n, s, s)}
        for name, shape in want.items():
            if np.shape(getattr(self, name)) != shape:
                raise ValueError(f"{name} has shape {np.shape(getattr(self, name))}; expected {shape} "
                                 f"for {n} points of a {s}-unit state with {m} inputs")
        if np.ndim(self.outputs) != 2 or np.shape(self.outputs)[0] != n:
            raise ValueError(f"outputs has shape {np.shape(self.outputs)}; expected ({n}, O)")

    @classmethod
    def build(cls, h, q, x, condition, J_h, J_x, outputs=None, meta=None) -> "FixedPoints":
        """A container from points and Jacobians; the eigendecomposition is computed here."""
        h = np.asarray(h, np.float64)
        lam, r, left = decompose(J_h)
        outputs = np.zeros((len(h), 0)) if outputs is None else np.asarray(outputs, np.float64)
        return cls(h, np.asarray(q, np.float64), np.asarray(x, np.float64), np.asarray(condition, np.int64),
                   np.asarray(J_h, np.float64), np.asarray(J_x, np.float64), lam, r, left, outputs,
                   dict(meta or {}))

    @classmethod
    def empty(cls, state_size: int, n_inputs: int, n_outputs: int = 0, meta=None) -> "FixedPoints":
        s, m = state_size, n_inputs
        return cls.build(np.zeros((0, s)), np.zeros(0), np.zeros((0, m)), np.zeros(0, np.int64),
                         np.zeros((0, s, s)), np.zeros((0, s, m)), np.zeros((0, n_outputs)), meta)

    # -- derived quantities -------------------------------------------------------------
    @property
    def n(self) -> int:
        return len(self.q)

    @property
    def state_size(self) -> int:
        return self.h.shape[1]

    @property
    def magnitudes(self) -> np.ndarray:
        """(n, S) |lambda|, descending."""
        return np.abs(self.eigenvalues)

    @property
    def n_unstable(self) -> np.ndarray:
        """(n,) number of eigenvalues with |lambda| > 1."""
        return (self.magnitudes > 1.0).sum(axis=1)

    @property
    def is_stable(self) -> np.ndarray:
        """(n,) True where ``max |lambda| < 1``."""
        if self.n == 0:
            return np.zeros(0, bool)
        return self.magnitudes.max(axis=1) < 1.0

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, index) -> "FixedPoints":
        if isinstance(index, (int, np.integer)):
            index = [int(index)]
        idx = np.arange(self.n)[index]
        return FixedPoints(*(getattr(self, a)[idx] for a in _ARRAYS), meta=dict(self.meta))

    def __repr__(self) -> str:
        nid = self.meta.get("network_id")
        return f"FixedPoints({self.summary()}{'' if nid is None else f'; {nid}'})"

    def contains(self, h, tol: float = 1e-3):
        """Whether a fixed point lies within Euclidean distance ``tol`` of ``h``.

        ``h`` (S,) gives a bool; ``h`` (k, S) gives a (k,) bool array.
        """
        if not tol > 0:
            raise ValueError(f"tol={tol!r} must be > 0")
        h = np.asarray(h, np.float64)
        single = h.ndim == 1
        h2 = np.atleast_2d(h)
        if h2.shape[1] != self.state_size:
            raise ValueError(f"h has {h2.shape[1]} units; these fixed points have {self.state_size}")
        if self.n == 0:
            out = np.zeros(len(h2), bool)
        else:
            d = np.linalg.norm(h2[:, None, :] - self.h[None], axis=-1)
            out = d.min(axis=1) <= tol
        return bool(out[0]) if single else out

    def summary(self) -> str:
        """One line, e.g. ``12 fixed points: 8 stable, saddles with 1/2/3 unstable dims: 3/0/1``."""
        n_st = int(self.is_stable.sum())
        head = f"{self.n} fixed point{'s' if self.n != 1 else ''}: {n_st} stable"
        nu = self.n_unstable[~self.is_stable]
        nu = nu[nu > 0]
        marginal = int(self.n - n_st - len(nu))  # max |lambda| == 1 exactly
        if len(nu) == 0:
            tail = ", no saddles"
        else:
            k = np.arange(1, nu.max() + 1)
            counts = [int((nu == i).sum()) for i in k]
            tail = (f", saddles with {'/'.join(map(str, k))} unstable dims: "
                    f"{'/'.join(map(str, counts))}")
        return head + tail + (f", {marginal} marginal" if marginal else "")

    # -- storage ------------------------------------------------------------------------
    def to_arrays(self, prefix: str = "") -> dict[str, np.ndarray]:
        out = {prefix + a: np.asarray(getattr(self, a)) for a in _ARRAYS}
        out[prefix + "meta"] = np.array(json.dumps(self.meta, sort_keys=True))
        return out

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], prefix: str = "") -> "FixedPoints":
        meta = json.loads(str(arrays[prefix + "meta"]))
        return cls(*(np.asarray(arrays[prefix + a]) for a in _ARRAYS), meta=meta)

    def save(self, path) -> Path:
        """Write to an ``.npz`` (numpy arrays and a JSON string only; atomic)."""
        return atomic_savez(path, self.to_arrays())

    @classmethod
    def load(cls, path) -> "FixedPoints":
        with np.load(path, allow_pickle=False) as z:
            return cls.from_arrays({k: z[k] for k in z.files})


def save_collection(path, fps: Mapping[str, "FixedPoints"]) -> Path:
    """Write a dict ``network_id -> FixedPoints`` to one ``.npz`` (no pickle; atomic)."""
    arrays = {"network_ids": np.array([str(k) for k in fps], dtype=str)}
    for i, f in enumerate(fps.values()):
        arrays.update(f.to_arrays(prefix=f"{i}/"))
    return atomic_savez(path, arrays)


def load_collection(path) -> dict[str, FixedPoints]:
    """Inverse of :func:`save_collection`."""
    with np.load(path, allow_pickle=False) as z:
        ids = [str(i) for i in z["network_ids"]]
        data = {k: z[k] for k in z.files}
    return {nid: FixedPoints.from_arrays(data, prefix=f"{i}/") for i, nid in enumerate(ids)}


# --------------------------------------------------------------------------------------
# Cleaning: de-duplication and outliers
# --------------------------------------------------------------------------------------


def deduplicate(h_ns: np.ndarray, q_n: np.ndarray, tol: float, groups_n: np.ndarray | None = None) -> np.ndarray:
    """Indices of the unique points: within each group, points closer than ``tol`` merge.

    Points i, j of one group are linked when ``||h_i - h_j|| <= tol``; each connected
    component of that graph keeps its point of lowest q.  Pairs come from a k-d tree
    (``query_pairs``), components from ``scipy.sparse.csgraph``: no Python pair loop.

    Returns
    -------
    (n_unique,) int array of kept indices, sorted ascending.
    """
    h = np.asarray(h_ns, np.float64)
    q = np.asarray(q_n, np.float64)
    n = len(h)
    if n == 0:
        return np.zeros(0, np.int64)
    groups = np.zeros(n, np.int64) if groups_n is None else np.asarray(groups_n)
    pairs = cKDTree(h).query_pairs(r=tol, output_type="ndarray")
    if len(pairs):
        pairs = pairs[groups[pairs[:, 0]] == groups[pairs[:, 1]]]
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n)) if len(pairs) else \
        coo_matrix((n, n))
    _, labels = connected_components(graph, directed=False)
    order = np.lexsort((q, labels))  # by component, then q ascending
    first = np.ones(n, bool)
    first[1:] = labels[order][1:] != labels[order][:-1]
    return np.sort(order[first])


def outlier_mask(h_ns: np.ndarray, reference_rs: np.ndarray, scale: float) -> np.ndarray:
    """True for points within ``scale`` x the reference cloud's median radius of its centroid.

    With c the centroid of ``reference_rs`` and ``rho = median_r ||ref_r - c||``, point i is
    kept when ``||h_i - c|| <= scale * rho``.
    """
    h = np.asarray(h_ns, np.float64)
    if not np.isfinite(scale):
        return np.ones(len(h), bool)
    ref = np.asarray(reference_rs, np.float64)
    c = ref.mean(axis=0)
    rho = np.median(np.linalg.norm(ref - c, axis=1))
    return np.linalg.norm(h - c, axis=1) <= scale * max(rho, np.finfo(float).tiny)


# --------------------------------------------------------------------------------------
# The optimiser
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OptimiseResult:
    """Outcome of :func:`minimize_q`: final states (P, K, S), q (P, K), iterations (P, K),
    ``stopped`` (P, K) True where a stopping rule fired before ``max_iters``."""

    h: np.ndarray
    q: np.ndarray
    n_iters: np.ndarray
    stopped: np.ndarray


_COMPILED: dict = {}


def _hyper(config: FixedPointConfig) -> tuple:
    return (config.lr_grow, config.lr_shrink, config.lr_min, config.lr_max, config.clip_norm, config.beta1,
            config.beta2, config.epsilon, config.tol_q, config.tol_dq)


def _compiled(step_fn: Callable, config: FixedPointConfig):
    """One tf.function per (step function, optimiser constants), reused across calls."""
    key = (step_fn, _hyper(config))
    if key in _COMPILED:
        return _COMPILED[key]
    grow, shrink, lr_min, lr_max, clip, b1, b2, eps, tol_q, tol_dq = _hyper(config)

    @tf.function(reduce_retracing=True)
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

    _COMPILED[key] = chunk
    return chunk


def _speed(step_fn, h, x, args) -> np.ndarray:
    h = tf.convert_to_tensor(h, tf.float32)
    r = step_fn(h, tf.convert_to_tensor(x, tf.float32), *args) - h
    return (0.5 * tf.reduce_sum(tf.square(r), axis=-1)).numpy().astype(np.float64)


def _compact(mask_pk: np.ndarray, minimum: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Indices (P, K') of each network's True entries first, K' = max count; and validity.

    Networks with fewer True entries are padded with some of their other indices
    (``valid`` False there), so a (P, K') working set holds every True entry.
    """
    mask = np.asarray(mask_pk, bool)
    k_new = int(min(mask.shape[1], max(mask.sum(axis=1).max(initial=0), minimum)))
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
    so the cost follows the points still moving rather than the slowest one.

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
        return [tf.constant(work[k]) for k in names], tf.constant(_gather(x, idx))

    def store(work, idx, valid):
        for k, w in zip(names, work):
            _scatter(full[k], idx, valid, w.numpy())

    idx, valid = _compact(full["active"])
    work, xw = load(idx, valid)
    done = 0
    bar = tqdm(total=config.max_iters, desc=desc, disable=not progress, leave=False, mininterval=1.0)
    while done < config.max_iters:
        n = min(config.check_every, config.max_iters - done)
        *work, t = chunk(*work, t, tf.constant(n), xw, args)
        done += n
        moving = work[5].numpy()
        n_moving = int(moving.sum())
        bar.set_postfix(active=n_moving, refresh=False)
        bar.update(n)
        if n_moving == 0:
            break
        if moving.sum(axis=1).max() <= idx.shape[1] // 2:  # compact the working set
            store(work, idx, valid)
            idx, valid = _compact(full["active"])
            work, xw = load(idx, valid)
    bar.close()
    store(work, idx, valid)
    q = _speed(step_fn, full["h"], x, args)
    return OptimiseResult(full["h"].astype(np.float64), q, full["n_iter"], ~full["active"])


# --------------------------------------------------------------------------------------
# Finders
# --------------------------------------------------------------------------------------


def clean(h_ks, q_k, cond_k, reference_rs, config: FixedPointConfig, q_max: float | None = None) -> np.ndarray:
    """Indices of the candidates of ONE network that are kept as fixed points.

    Drops non-finite points and points with ``q > q_max`` (default ``config.q_max``),
    then distance outliers (:func:`outlier_mask`), then merges duplicates per condition
    (:func:`deduplicate`, lowest q kept).
    """
    q_max = config.q_max if q_max is None else q_max
    h = np.asarray(h_ks, np.float64)
    q = np.asarray(q_k, np.float64)
    keep = np.isfinite(q) & np.all(np.isfinite(h), axis=1) & (q <= q_max)
    keep &= outlier_mask(h, reference_rs, config.outlier_distance_scale)
    idx = np.flatnonzero(keep)
    return idx[deduplicate(h[idx], q[idx], config.tol_unique, np.asarray(cond_k)[idx])]


def _tiled_jacobians(step_fn, h_pks, x_pkm, *args):
    """Jacobians of a generic batched step by one reverse pass over S tiled copies.

    Row i of ``dF/dh`` at point k is the gradient of output i of the i-th copy of k.
    """
    h = tf.convert_to_tensor(h_pks, tf.float32)
    x = tf.convert_to_tensor(x_pkm, tf.float32)
    shape = tf.shape(h)
    p, k, s = shape[0], shape[1], h.shape[-1]
    m = x.shape[-1]
    h_rep = tf.repeat(h, s, axis=1)
    x_rep = tf.repeat(x, s, axis=1)
    sel = tf.tile(tf.eye(s), tf.stack([k, 1]))[None]
    with tf.GradientTape() as tape:
        tape.watch([h_rep, x_rep])
        total = tf.reduce_sum(step_fn(h_rep, x_rep, *args) * sel)
    g_h, g_x = tape.gradient(total, [h_rep, x_rep])
    if g_x is None:  # the step ignores x
        g_x = tf.zeros_like(x_rep)
    return tf.reshape(g_h, tf.stack([p, k, s, s])), tf.reshape(g_x, tf.stack([p, k, s, m]))


_HELPERS: dict = {}


def _helpers(step_fn: Callable, jacobian_fn: Callable | None):
    """Residual ``F(h, x) - h`` and Jacobian functions of a step function.

    They run eagerly: each call is one large batched pass, where tracing a graph (twice
    per spec, as shapes change) costs more than it saves.
    """
    key = (step_fn, jacobian_fn)
    if key not in _HELPERS:
        def residual(h, x, *args):
            return step_fn(h, x, *args) - h

        if jacobian_fn is None:
            def jac(h, x, *args):
                return _tiled_jacobians(step_fn, h, x, *args)
        else:
            jac = jacobian_fn
        _HELPERS[key] = (residual, jac)
    return _HELPERS[key]


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
    res_fn, jac_fn = _helpers(step_fn, jacobian_fn)

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
        # batched float64 linear algebra in TF (numpy's threaded BLAS stalls on busy cores)
        jh = tf.cast(jac_fn(tf.constant(hw, tf.float32), tf.constant(xw), *args)[0], tf.float64)
        a = jh - tf.eye(s, dtype=tf.float64)
        lhs = tf.linalg.matmul(a, a, transpose_a=True) + tf.constant(muw)[..., None, None] * tf.eye(s, dtype=tf.float64)
        rhs = -tf.linalg.matmul(a, tf.constant(rw)[..., None], transpose_a=True)
        try:
            delta = tf.linalg.solve(lhs, rhs)[..., 0].numpy()
        except tf.errors.InvalidArgumentError:  # a singular system: fall back to a pseudo-inverse
            delta = tf.linalg.matmul(tf.linalg.pinv(lhs), rhs)[..., 0].numpy()
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


def _check_inputs(h0_pks, x_pkm, cond_pk, reference):
    h0 = np.asarray(h0_pks, np.float64)
    x = np.asarray(x_pkm, np.float64)
    if h0.ndim != 3:
        raise ValueError(f"h0_pks has shape {h0.shape}; expected (P networks, K points, S units)")
    p, k, s = h0.shape
    if p == 0:
        raise ValueError("h0_pks has P=0 networks: the population is empty")
    if k == 0:
        raise ValueError("h0_pks has K=0 initial states per network: give at least one")
    if x.ndim != 3 or x.shape[:2] != (p, k):
        raise ValueError(f"x_pkm has shape {x.shape}; expected ({p}, {k}, M), one static input per point")
    if not (np.all(np.isfinite(h0)) and np.all(np.isfinite(x))):
        raise ValueError("h0_pks and x_pkm must be finite")
    cond = np.zeros((p, k), np.int64) if cond_pk is None else np.asarray(cond_pk)
    if cond.shape != (p, k):
        raise ValueError(f"conditions_pk has shape {cond.shape}; expected ({p}, {k})")
    ref = h0 if reference is None else np.asarray(reference, np.float64)
    if ref.ndim != 3 or ref.shape[0] != p or ref.shape[2] != s or ref.shape[1] == 0:
        raise ValueError(f"reference_prs has shape {ref.shape}; expected ({p}, R>0, {s})")
    return h0, x, cond, ref


def _pad(kept: list[np.ndarray], *arrays_pk):
    """Gather per-network index lists into (P, n_max, ...) arrays (repeating entries)."""
    n_max = max(max((len(k) for k in kept), default=0), 1)
    idx = np.stack([np.resize(k, n_max) if len(k) else np.zeros(n_max, np.int64) for k in kept])
    out = []
    for a in arrays_pk:
        a = np.asarray(a)
        out.append(np.take_along_axis(a, idx.reshape(idx.shape + (1,) * (a.ndim - 2)), axis=1))
    return out


def find_fixed_points(step_fn: Callable, h0_pks, x_pkm, config: FixedPointConfig = FixedPointConfig(), *,
                      args: tuple = (), conditions_pk=None, reference_prs=None, jacobian_fn: Callable | None = None,
                      readout_fn: Callable | None = None, metas: Sequence[Mapping] | None = None,
                      progress: bool = False, desc: str = "fixed points") -> list[FixedPoints]:
    """Find, clean and linearise the fixed points of P networks of one batched step function.

    Stages: Adam on q from every initial state (:func:`minimize_q`); per network, keep the
    end points with ``q <= q_candidate`` that are not outliers, merged within
    ``tol_unique``; polish them (:func:`polish`); keep those with ``q <= q_max``, merged
    again (:func:`clean`); Jacobians and eigendecomposition (:meth:`FixedPoints.build`).

    Parameters
    ----------
    step_fn : ``F(h_pks, x_pkm, *args) -> (P, K, S)``, TF ops (see :func:`minimize_q`)
    h0_pks : (P, K, S) initial states
    x_pkm : (P, K, M) static input x* of each point
    config : :class:`FixedPointConfig`
    args : extra tensors for ``step_fn`` (and ``jacobian_fn``/``readout_fn``)
    conditions_pk : (P, K) condition index of each point (default 0); duplicates merge
        only within a condition
    reference_prs : (P, R, S) the states outliers are judged against (default ``h0_pks``)
    jacobian_fn : ``(h_pks, x_pkm, *args) -> (J_h (P,K,S,S), J_x (P,K,S,M))``; default: one
        reverse pass of ``step_fn`` over S tiled copies of each point
    readout_fn : ``(h_pks, *args) -> (P, K, O)``, stored as ``FixedPoints.outputs``
    metas : P dicts stored as each result's ``meta``

    Returns
    -------
    list of P :class:`FixedPoints`
    """
    h0, x, cond, ref = _check_inputs(h0_pks, x_pkm, conditions_pk, reference_prs)
    p, k, s = h0.shape
    mdim = x.shape[2]
    metas = [{} for _ in range(p)] if metas is None else list(metas)
    if len(metas) != p:
        raise ValueError(f"metas has {len(metas)} entries; expected one per network ({p})")
    targs = tuple(tf.nest.map_structure(lambda a: tf.convert_to_tensor(a, tf.float32), a) for a in args)
    res = minimize_q(step_fn, h0, x, config, args=targs, progress=progress, desc=desc)
    cand = [clean(res.h[i], res.q[i], cond[i], ref[i], config, q_max=config.q_candidate) for i in range(p)]
    n_cand = [len(c) for c in cand]
    hc, qc, xc, cc = _pad(cand, res.h, res.q, x, cond)
    if config.polish_iters and max(n_cand) > 0:
        hc, qc = polish(step_fn, jacobian_fn, hc, xc, config, targs)
    kept = [clean(hc[i, :n_cand[i]], qc[i, :n_cand[i]], cc[i, :n_cand[i]], ref[i], config) for i in range(p)]
    if max((len(kk) for kk in kept), default=0) == 0:
        return [FixedPoints.empty(s, mdim, 0, metas[i]) for i in range(p)]
    hp, qp, xp, cp = _pad(kept, hc, qc, xc, cc)
    jh, jx = _helpers(step_fn, jacobian_fn)[1](tf.constant(hp, tf.float32), tf.constant(xp, tf.float32), *targs)
    jh, jx = np.asarray(jh, np.float64), np.asarray(jx, np.float64)
    outs = None
    if readout_fn is not None:
        outs = np.asarray(readout_fn(tf.constant(hp, tf.float32), *targs), np.float64)
    results = []
    for i, kk in enumerate(kept):
        n = len(kk)
        results.append(FixedPoints.build(hp[i, :n], qp[i, :n], xp[i, :n], cp[i, :n], jh[i, :n], jx[i, :n],
                                         None if outs is None else outs[i, :n], metas[i]))
    return results


# ---- cells -------------------------------------------------------------------------


_CELL_FNS: dict = {}


def _cell_fns(spec: cells.CellSpec):
    """Step / Jacobian / readout functions of a spec, one object per spec (trace reuse)."""
    if spec not in _CELL_FNS:
        def step_fn(h, x, params):
            return cells.step(spec, params, h, x)

        def jacobian_fn(h, x, params):
            return cells.jacobians(spec, params, h, x)

        def readout_fn(h, params):
            return cells.readout(spec, params, h)

        _CELL_FNS[spec] = (step_fn, jacobian_fn, readout_fn)
    return _CELL_FNS[spec]


def _network_rng(seed: int, network_id) -> np.random.Generator:
    return np.random.default_rng([int(seed), zlib.crc32(str(network_id).encode())])


def sample_initial_states(states_prs, n_initial: int, n_conditions: int, noise_scale: float, seed: int,
                          network_ids: Sequence | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Draw initial states from each network's trajectory states, plus Gaussian noise.

    ``h0[p, k] = states[p, r_pk] + noise_scale * z_pk`` with ``r_pk`` uniform over the R
    states and ``z_pk ~ N(0, I)``; point k is paired with condition ``k mod C``.  Network
    p's draws come from a generator keyed by ``(seed, network_ids[p])``.

    Returns
    -------
    h0_pks : (P, K, S) float64, conditions_pk : (P, K) int64
    """
    states = np.asarray(states_prs)
    p, r, s = states.shape
    ids = list(range(p)) if network_ids is None else list(network_ids)
    h0 = np.empty((p, n_initial, s))
    for i in range(p):
        rng = _network_rng(seed, ids[i])
        pick = rng.integers(0, r, size=n_initial)
        h0[i] = states[i, pick] + noise_scale * rng.standard_normal((n_initial, s))
    cond = np.broadcast_to(np.arange(n_initial) % n_conditions, (p, n_initial)).astype(np.int64)
    return h0, cond


def find_cell_fixed_points(spec: cells.CellSpec, params: Mapping[str, np.ndarray], inputs_cm, states_prs,
                           config: FixedPointConfig = FixedPointConfig(), network_ids: Sequence | None = None,
                           metas: Sequence[Mapping] | None = None, progress: bool = False) -> list[FixedPoints]:
    """Fixed points of P stacked networks of one :class:`~universality.cells.CellSpec`.

    Parameters
    ----------
    spec : the population's cell
    params : stacked parameters, leading axis P
    inputs_cm : (C, M) or (P, C, M) static condition inputs x* (``task.conditions()``)
    states_prs : (P, R, S) each network's trajectory states: initial states are drawn from
        them (:func:`sample_initial_states`) and outliers judged against them
    config : :class:`FixedPointConfig`
    network_ids : P ids (seed each network's draw; default 0..P-1); stored in ``meta``
    metas : extra per-network metadata merged into ``meta``

    Returns
    -------
    list of P :class:`FixedPoints` with ``outputs`` = the readout at each point.
    """
    s, m = spec.state_size, spec.n_inputs
    sizes = {np.shape(v)[0] for v in params.values()}
    if len(sizes) != 1:
        raise ValueError(f"params have different leading (population) sizes {sorted(sizes)}")
    p = sizes.pop()
    if p == 0:
        raise ValueError("params hold P=0 networks: the population is empty")
    want = cells.param_shapes(spec)
    if set(params) != set(want) or any(np.shape(params[k])[1:] != want[k] for k in want):
        raise ValueError(f"params do not match spec {spec}: expected {sorted(want)} with shapes "
                         f"(P,)+{want}")
    xc = np.asarray(inputs_cm, np.float64)
    if xc.ndim == 2:
        xc = np.broadcast_to(xc, (p,) + xc.shape)
    if xc.ndim != 3 or xc.shape[0] != p or xc.shape[2] != m or xc.shape[1] == 0:
        raise ValueError(f"inputs_cm has shape {np.shape(inputs_cm)}; expected (C, {m}) or ({p}, C, {m}): "
                         f"C >= 1 conditions of the {m} inputs of spec {spec.arch}/{spec.activation}")
    n_cond = xc.shape[1]
    if config.n_initial < n_cond:
        raise ValueError(f"n_initial={config.n_initial} is smaller than the number of conditions ({n_cond}); "
                         "every condition needs at least one initial state")
    states = np.asarray(states_prs, np.float64)
    if states.ndim != 3 or states.shape[0] != p or states.shape[2] != s or states.shape[1] == 0:
        raise ValueError(f"states_prs has shape {states.shape}; expected ({p}, R>0, {s}) trajectory states")
    ids = list(range(p)) if network_ids is None else list(network_ids)
    if len(ids) != p:
        raise ValueError(f"network_ids has {len(ids)} entries; expected {p}")
    h0, cond = sample_initial_states(states, config.n_initial, n_cond, config.noise_scale, config.seed, ids)
    x = np.take_along_axis(xc, cond[..., None], axis=1)
    step_fn, jac_fn, read_fn = _cell_fns(spec)
    base = {"arch": spec.arch, "activation": spec.activation, "units": spec.units}
    metas_out = [{**base, "network_id": str(ids[i]) if network_ids is not None else i,
                  **(dict(metas[i]) if metas is not None else {})} for i in range(p)]
    tparams = {k: tf.constant(np.asarray(v, np.float32)) for k, v in params.items()}
    return find_fixed_points(step_fn, h0, x, config, args=(tparams,), conditions_pk=cond, reference_prs=states,
                             jacobian_fn=jac_fn, readout_fn=read_fn, metas=metas_out, progress=progress,
                             desc=f"fixed points {spec.arch}-{spec.activation} x{p}")


def _groups(population_or_spec_params):
    """(spec, ids, stacked params) per group of a Population, or of a (spec, params) pair."""
    if isinstance(population_or_spec_params, tuple):
        if len(population_or_spec_params) != 2 or not isinstance(population_or_spec_params[0], cells.CellSpec):
            raise ValueError("expected a Population or a (CellSpec, stacked params) pair")
        spec, params = population_or_spec_params
        p = np.shape(next(iter(params.values())))[0] if params else 0
        return [(spec, list(range(p)), params)]
    pop = population_or_spec_params
    if not hasattr(pop, "groups") or not hasattr(pop, "table"):
        raise ValueError(f"expected a Population or a (CellSpec, stacked params) pair, got {type(pop).__name__}")
    if "diverged" in pop.table.columns:
        pop = pop.select(diverged=False)
    if len(pop.table) == 0:
        raise ValueError("the population is empty (or every network diverged): nothing to analyse")
    return [(spec, list(rows.index), params) for spec, rows, params in pop.groups()]


def task_config(task_name: str, **overrides) -> FixedPointConfig:
    """The recommended :class:`FixedPointConfig` for a task (``overrides`` change fields).

    * ``'flipflop'``, ``'sine'``: the defaults -- isolated fixed points (the cube's 27
      points; one unstable focus per frequency), polished to round-off, ``q_max`` 1e-10.
      Sine uses 256 initial states (about 25 per frequency) instead of 1,024: measured on
      the 16 book-profile sine networks trained first, both find the same single point
      per frequency (same linearised frequencies), 34 s instead of 101 s.
    * ``'cdi'``: the line attractor is a continuum of *approximate* fixed points (slow,
      not fixed; Section 2.3), which polishing would drag to the few exact ones, so
      ``polish_iters=0`` and ``q_max=1e-4`` (speed ``sqrt(2 q) <= 0.014`` per step, under
      0.5 state units over a 30-step trial), and ``tol_unique=0.1``: points closer than
      0.1 along the line are one point (with 1e-2 a 64-unit LSTM's two lines give ~350
      points, each with a 128 x 128 Jacobian and eigendecomposition; with 0.1, ~140).
    """
    presets = {"flipflop": {}, "sine": {"n_initial": 256}, "cdi": {"polish_iters": 0, "q_max": 1e-4, "tol_unique": 0.1}}
    if task_name not in presets:
        raise ValueError(f"task_name={task_name!r} is not one of {tuple(presets)!r}")
    return FixedPointConfig(**{**presets[task_name], **overrides})


def find_population_fixed_points(population, task, config: FixedPointConfig | None = None,
                                 progress: bool = True) -> dict:
    """Fixed points of every network of a population: ``network_id -> FixedPoints``.

    For each spec group, all networks run on the same ``config.n_trials`` trials of
    ``task.sample`` (seeded by ``config.seed``); their states (B*T per network) are the
    pool initial states are drawn from and the reference cloud for outliers; the
    conditions are ``task.conditions()`` (flip-flop: x* = 0; sine: one per probe
    frequency; CDI: one per context).  Networks marked ``diverged`` are left out.

    Parameters
    ----------
    population : :class:`~universality.population.Population`, or ``(spec, stacked_params)``
        (then the keys are 0..P-1)
    task : the task the networks were trained on
    config : :class:`FixedPointConfig`, default ``task_config(task.name)``
    """
    config = task_config(task.name) if config is None else config
    groups = _groups(population)
    if not groups or not groups[0][1]:
        raise ValueError("the population is empty: nothing to analyse")
    xc = np.asarray(task.conditions().inputs_cm, np.float64)
    if xc.shape[1] != groups[0][0].n_inputs:
        raise ValueError(f"task {task.name!r} has {xc.shape[1]} inputs but the networks take "
                         f"{groups[0][0].n_inputs}")
    trials = task.sample(np.random.default_rng([config.seed, 0xF1C5]), config.n_trials).inputs_btm
    out = {}
    for spec, ids, params in tqdm(groups, desc="groups", disable=not progress or len(groups) < 2):
        p = len(ids)
        xs = np.broadcast_to(trials, (p,) + trials.shape)
        states = cells.run(spec, params, xs).numpy().reshape(p, -1, spec.state_size)
        fps = find_cell_fixed_points(spec, params, xc, states, config, network_ids=ids, progress=progress)
        out.update(zip(ids, fps))
    return out
