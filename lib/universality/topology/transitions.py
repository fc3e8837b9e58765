"""Flip-flop transition graphs: where small perturbations of each fixed point end up.

From every fixed point ``h*_i`` of a network, ``n_perturbations`` random displacements of
norm ``perturbation_scale`` are run under the autonomous dynamics ``h_{t+1} = F(h_t, x*)``
(flip-flop: ``x* = 0``) until they settle (every run moves less than ``settle_tol`` in one
step, or ``max_steps``).  The stable fixed point nearest each end state is where that run
went, and

    T[i, j] = (number of runs from i that end at stable point j) / n_perturbations

is the transition-probability matrix (rows sum to 1; a stable point that keeps its
perturbations has only a self-loop).  Section 3.1 of the paper; 100 runs per point.

``T`` is returned in the order of the network's own fixed points: it says nothing yet
about which row of one network corresponds to which row of another (that is
:mod:`universality.topology.alignment`).  The perturbation directions of a point are
drawn from a generator keyed by ``(seed, network, the point's rank in a canonical order of
the points)`` -- the lexicographic order of their state coordinates -- so the matrix of
a network does not depend on the order its fixed points come in: shuffle them, and ``T``
is the same matrix with its rows and columns shuffled alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import tensorflow as tf
from tqdm import tqdm

from .. import cells
from ..seeding import network_rng

__all__ = ["TopologyConfig", "canonical_ranks", "perturbation_endpoints", "transition_matrix",
           "transition_matrices", "heteroclinic_trajectories"]


@dataclass(frozen=True)
class TopologyConfig:
    """Parameters of the flip-flop transition graphs.

    Parameters
    ----------
    n_perturbations : int, default 100
        Runs started from each fixed point (the paper: 100).
    perturbation_scale : float, default 0.05
        Euclidean norm of each initial displacement (a uniformly random direction).
    max_steps : int, default 3000
        Longest autonomous run.
    check_every : int, default 100
        Steps between settling checks.
    settle_tol : float, default 1e-5
        A run has settled once one step moves it less than this (Euclidean norm).
    seed : int, default 0
        Seeds the perturbation directions.
    """

    n_perturbations: int = 100
    perturbation_scale: float = 0.05
    max_steps: int = 3000
    check_every: int = 100
    settle_tol: float = 1e-5
    seed: int = 0

    def __post_init__(self):
        for name in ("n_perturbations", "max_steps", "check_every"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"{name}={v!r} must be a positive integer")
        for name in ("perturbation_scale", "settle_tol"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float, np.number)) and np.isfinite(v) and v > 0):
                raise ValueError(f"{name}={v!r} must be a finite number > 0")
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            raise ValueError(f"seed={self.seed!r} must be an integer >= 0")


def canonical_ranks(h_ns: np.ndarray) -> np.ndarray:
    """Rank of each point in the lexicographic order of its coordinates (order-free key)."""
    h = np.asarray(h_ns, np.float64)
    if not len(h):
        return np.zeros(0, np.int64)
    order = np.lexsort(h.T[::-1])
    ranks = np.empty(len(h), np.int64)
    ranks[order] = np.arange(len(h))
    return ranks


def _directions(fps, config: TopologyConfig, network_id) -> np.ndarray:
    """(n, n_perturbations, S) displacements of norm ``perturbation_scale``."""
    s = fps.state_size
    out = np.empty((len(fps), config.n_perturbations, s))
    for i, r in enumerate(canonical_ranks(fps.h)):
        d = network_rng(config.seed, network_id, int(r)).standard_normal((config.n_perturbations, s))
        out[i] = d * (config.perturbation_scale / np.linalg.norm(d, axis=-1, keepdims=True))
    return out


_RUNNERS: dict = {}


def _runner(spec: cells.CellSpec):
    """A compiled ``n``-step autonomous run of P stacked networks (one per spec)."""
    if spec not in _RUNNERS:
        @tf.function(reduce_retracing=True)
        def run(h, x, params, n):
            for _ in tf.range(n - 1):
                h = cells.step(spec, params, h, x)
            h_next = cells.step(spec, params, h, x)
            return h_next, tf.norm(h_next - h, axis=-1)

        _RUNNERS[spec] = run
    return _RUNNERS[spec]


def perturbation_endpoints(spec: cells.CellSpec, params: Mapping[str, np.ndarray], fps_list: Sequence,
                           x_star, config: TopologyConfig = TopologyConfig(), network_ids: Sequence | None = None,
                           progress: bool = False) -> list[np.ndarray]:
    """End states of the perturbation runs of P stacked networks, in one batched loop.

    Parameters
    ----------
    spec, params : the cell and the stacked parameters of P networks
    fps_list : P :class:`~universality.fixed_points.FixedPoints` (runs start around each point)
    x_star : (M,) the static input of the autonomous dynamics (flip-flop: zeros)
    network_ids : P ids keying each network's perturbation draws (default 0..P-1)

    Returns
    -------
    list of P arrays (n_i, n_perturbations, S): where each run was after settling
    """
    p = len(fps_list)
    ids = list(range(p)) if network_ids is None else list(network_ids)
    npert, s = config.n_perturbations, spec.state_size
    if p == 0 or all(len(f) == 0 for f in fps_list):
        return [np.zeros((0, npert, s)) for _ in fps_list]
    n_max = max(len(f) for f in fps_list)
    h0 = np.zeros((p, n_max * npert, s))
    valid = np.zeros((p, n_max * npert), bool)
    for i, f in enumerate(fps_list):
        if len(f):
            h0[i, : len(f) * npert] = (f.h[:, None, :] + _directions(f, config, ids[i])).reshape(-1, s)
            valid[i, : len(f) * npert] = True
    x = tf.zeros((p, h0.shape[1], spec.n_inputs)) + tf.constant(np.asarray(x_star, np.float32))
    tparams = {k: tf.constant(np.asarray(v, np.float32)) for k, v in params.items()}
    run = _runner(spec)
    h = tf.constant(h0, tf.float32)
    done = 0
    bar = tqdm(total=config.max_steps, desc="perturbation runs", disable=not progress, leave=False)
    while done < config.max_steps:
        n = min(config.check_every, config.max_steps - done)
        h, moved = run(h, x, tparams, tf.constant(n))
        done += n
        bar.update(n)
        if float(tf.reduce_max(tf.where(valid, moved, 0.0))) < config.settle_tol:
            break
    bar.close()
    ends = h.numpy().astype(np.float64).reshape(p, n_max, npert, s)
    return [ends[i, : len(f)] for i, f in enumerate(fps_list)]


def transition_matrix(fps, ends_nrs: np.ndarray) -> np.ndarray:
    """(n, n): fraction of the runs from point i that end nearest stable point j."""
    n = len(fps)
    stable = np.flatnonzero(fps.is_stable) if n else np.zeros(0, int)
    mat = np.zeros((n, n))
    if n == 0 or len(stable) == 0:
        return mat
    d = np.linalg.norm(ends_nrs[:, :, None, :] - fps.h[stable][None, None], axis=-1)  # (n, runs, n_stable)
    dest = stable[d.argmin(axis=-1)]
    np.add.at(mat, (np.repeat(np.arange(n), ends_nrs.shape[1]), dest.ravel()), 1.0)
    return mat / ends_nrs.shape[1]


def transition_matrices(population, fps: Mapping, x_star=None, config: TopologyConfig = TopologyConfig(),
                        network_ids: Sequence | None = None, progress: bool = True) -> dict[str, np.ndarray]:
    """Transition-probability matrices ``network_id -> (n, n)`` in each network's point order.

    Parameters
    ----------
    population : :class:`~universality.population.Population`
    fps : network_id -> FixedPoints (with ``is_stable``)
    x_star : (M,) static input, default zeros
    network_ids : analyse only these (default: every network in ``fps``)
    """
    want_all = list(fps) if network_ids is None else [i for i in network_ids if i in fps]
    groups = population.spec_groups()
    known = {i for _, ids, _ in groups for i in ids}
    missing = [k for k in want_all if k not in known]
    if missing:
        raise ValueError(f"{len(missing)} network(s) of fps are not in the population: {missing[:5]!r}")
    out = {}
    for spec, ids, params in groups:
        want = [i for i in ids if i in want_all]
        if not want:
            continue
        xs = np.zeros(spec.n_inputs) if x_star is None else np.asarray(x_star, np.float64)
        if xs.shape != (spec.n_inputs,):
            raise ValueError(f"x_star has shape {xs.shape}; expected ({spec.n_inputs},)")
        sel = [ids.index(i) for i in want]
        sub = {k: np.asarray(v)[sel] for k, v in params.items()}
        ends = perturbation_endpoints(spec, sub, [fps[i] for i in want], xs, config, want, progress)
        out.update({nid: transition_matrix(fps[nid], e) for nid, e in zip(want, ends)})
    return {i: out[i] for i in want_all}


def heteroclinic_trajectories(spec: cells.CellSpec, params_one: Mapping, fps_one, x_star=None,
                              n_perturbations: int = 10, n_steps: int = 300, scale: float = 0.05,
                              seed: int = 0) -> np.ndarray:
    """Perturbation runs of ONE network, for plotting (Fig. 1e's light trajectories).

    Runs start at ``h*_i + scale * u`` with u a random unit vector, for ``n_steps`` steps.
    Returns (n, n_perturbations, n_steps + 1, S) states, the start state first.
    """
    s = spec.state_size
    if len(fps_one) == 0:
        return np.zeros((0, n_perturbations, n_steps + 1, s))
    rng = np.random.default_rng([seed, 0x4E7])
    d = rng.standard_normal((len(fps_one), n_perturbations, s))
    d *= scale / np.linalg.norm(d, axis=-1, keepdims=True)
    h0 = (fps_one.h[:, None] + d).reshape(1, -1, s)
    xs = np.zeros(spec.n_inputs) if x_star is None else np.asarray(x_star, np.float64)
    x = np.broadcast_to(xs.astype(np.float32), (1, h0.shape[1], n_steps, spec.n_inputs))
    stacked = {k: np.asarray(v)[None] for k, v in params_one.items()}
    states = cells.run(spec, stacked, x, h0.astype(np.float32)).numpy()[0]
    traj = np.concatenate([h0[0][:, None], states], axis=1)
    return traj.reshape(len(fps_one), n_perturbations, n_steps + 1, s)
