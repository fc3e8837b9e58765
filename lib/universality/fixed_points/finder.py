"""Finding the fixed points of networks: a generic batched step function, the cells of
:mod:`universality.cells`, and whole populations with their tasks' presets."""

from __future__ import annotations

from typing import Callable, Mapping, Sequence

import numpy as np
import tensorflow as tf
from tqdm import tqdm

from .. import cells
from ..seeding import network_rng
from .cleaning import clean
from .config import FixedPointConfig, LineSearchConfig
from .lines import line_slow_points
from .optimise import minimize_q, polish, residual_and_jacobian
from .result import FixedPoints

__all__ = ["find_fixed_points", "sample_initial_states", "find_cell_fixed_points", "find_population_fixed_points",
           "linearise"]


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
    below = [int(np.sum(qc[i, :n_cand[i]] <= config.q_max)) for i in range(p)]
    metas = [{**metas[i], "stages": {"initial": int(k), "adam_stopped": int(res.stopped[i].sum()),
                                     "candidates": n_cand[i], "below_q_max": below[i], "kept": len(kept[i])}}
             for i in range(p)]
    if max((len(kk) for kk in kept), default=0) == 0:
        return [FixedPoints.empty(s, mdim, 0, metas[i]) for i in range(p)]
    hp, qp, xp, cp = _pad(kept, hc, qc, xc, cc)
    jh, jx = residual_and_jacobian(step_fn, jacobian_fn)[1](tf.constant(hp, tf.float32), tf.constant(xp, tf.float32),
                                                            *targs)
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
        rng = network_rng(seed, ids[i])
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
    step_fn, jac_fn, read_fn = cells.functions(spec)
    base = {"arch": spec.arch, "activation": spec.activation, "units": spec.units}
    metas_out = [{**base, "network_id": str(ids[i]) if network_ids is not None else i,
                  **(dict(metas[i]) if metas is not None else {})} for i in range(p)]
    tparams = {k: tf.constant(np.asarray(v, np.float32)) for k, v in params.items()}
    return find_fixed_points(step_fn, h0, x, config, args=(tparams,), conditions_pk=cond, reference_prs=states,
                             jacobian_fn=jac_fn, readout_fn=read_fn, metas=metas_out, progress=progress,
                             desc=f"fixed points {spec.arch}-{spec.activation} x{p}")



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
    population : :class:`~universality.population.Population` (one built from stacked
        parameters with ``Population.from_stacked`` is keyed 0..P-1)
    task : the task the networks were trained on
    config : :class:`FixedPointConfig`, default ``FixedPointConfig()`` (the book's tasks: their
        study's preset, ``universality.studies.study_for(task).fixed_point_config()``); a
        :class:`LineSearchConfig` (the CDI preset) samples slow points along each
        context's line attractor instead (:func:`universality.fixed_points.lines.line_slow_points`)
    """
    config = FixedPointConfig() if config is None else config
    if isinstance(config, LineSearchConfig):  # slow points along line attractors (the CDI preset)
        return line_slow_points(population, task, config, progress=progress)
    groups = population.spec_groups()
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


def linearise(population, points: Mapping, eigenvalues: Mapping | None = None) -> dict:
    """FixedPoints with Jacobians and eigenvalues from stored points (the eigenvectors are
    computed when first read).

    ``points``: network_id -> a FixedPoints, or a mapping of its compact arrays (``h``,
    ``q``, ``x``, ``condition``, ``outputs``, ``meta``); the Jacobians come from
    :func:`universality.cells.jacobians`, the one implementation the search uses too, so
    points read from a compact file and points fresh from the search are identical.
    ``eigenvalues``: network_id -> (n, S) eigenvalues of these points' Jacobians computed
    before (e.g. cached by :func:`universality.analysis.fixed_points`), used as they are.
    """
    out = {}
    for spec, ids, params in population.spec_groups():
        for j, nid in enumerate(ids):
            if nid not in points:
                continue
            c = points[nid]
            get = (lambda a, c=c: getattr(c, a)) if isinstance(c, FixedPoints) else (lambda a, c=c: c[a])
            if len(get("h")) == 0:
                out[nid] = FixedPoints.empty(spec.state_size, spec.n_inputs, spec.n_outputs, get("meta"))
                continue
            one = {k: np.asarray(v)[j: j + 1] for k, v in params.items()}
            j_h, j_x = cells.jacobians(spec, one, np.asarray(get("h"))[None], np.asarray(get("x"))[None])
            lam = (eigenvalues or {}).get(nid)
            if lam is not None and np.shape(lam) != (len(get("h")), spec.state_size):
                lam = None
            out[nid] = FixedPoints.build(get("h"), get("q"), get("x"), get("condition"),
                                         j_h.numpy()[0].astype(np.float64), j_x.numpy()[0].astype(np.float64),
                                         get("outputs"), get("meta"), eigenvalues=lam)
    return {nid: out[nid] for nid in points if nid in out}
