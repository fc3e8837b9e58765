"""Slow points that sample the line attractor of each context (context-dependent integration).

The CDI network holds a continuum of values: its line attractor is made of *approximate*
fixed points, "very slow on the time scale of the task" (Section 2.3).  Minimising q to
an absolute threshold from random-trial states keeps few of them (those that slid onto
the few exact fixed points) and a count that flips with the last bits of the weights.
Instead, every choice here is made in the task's own units (settings:
:class:`~universality.fixed_points.config.LineSampler`):

1. **Hold trajectories** (:func:`hold_trajectories`).  For each context c and each of
   ``n_levels`` constant stream means mu (the task's probe, ``n_probe = n_levels``), drive
   the network for T steps, then switch the streams off for T more steps (the context's
   static input x*_c stays).  ``y_drive`` is the readout at the end of the drive (the
   integrated value), ``y_held`` at the end of the hold; the *held range* of the context
   is ``[min y_held, max y_held]`` over the levels, and it *holds its integral* when
   every drive reached its target, ``max |y_drive - mu T| <= hold_tolerance * R``, kept
   it, ``max |y_held - y_drive| <= hold_tolerance * R``, and is at rest at the end, its
   readout moving by at most ``hold_tolerance * R`` per trial over the last
   ``rest_steps`` steps; R is the trained range (the span of the probe targets' final
   values, ``2 mu_max T``).  Whether a context holds is reported, not used by the search.
2. **Scale.** The line's length ``L_c``: the median distance between the held end
   states of neighbouring levels times the number of steps (an arc length that a runaway
   end does not dominate), at least ``R / ||w||``, the length of the shortest line that
   spans the trained range with readout weights w (a floor for networks that hold
   nothing).  The *relative speed* of a state is ``v(h) = T ||F(h, x*_c) - h|| / L_c``, the
   share of the line it would travel in one trial.
3. **Initial states**: ``n_initial / C`` per context, hold states drawn uniformly (all T
   hold steps of every level) plus Gaussian noise of expected norm ``noise * R / ||w||``
   (it moves the readout by about one slot at most, and the state well off the line).
4. **Search**: Adam on ``q_G = 1/2 v(h)^2`` -- the speed of the rescaled map
   ``G(h) = h + (T / L_c)(F(h) - h)``, whose fixed points and descent directions are F's
   -- with every (network, context) line one row of the batch, and Adam's stopping rule
   ``q_G < v_stop^2 / 2``: a point stops as soon as it is slow on the task's time scale,
   so it samples the line where it met it instead of sliding on to an exact fixed point.
5. **Acceptance**: finite end points with ``v <= v_accept`` (a margin over ``v_stop``) that
   are not distance outliers of the context's hold states
   (:func:`~universality.fixed_points.cleaning.outlier_mask`).
6. **Slots** (:func:`slot_edges`): the held range, widened about its centre to at least R,
   is cut into ``n_slots`` equal-width readout slots; each occupied slot keeps the
   accepted point at the median readout of the slot's accepted points.  No distance
   threshold decides what is a duplicate: a count changes only when the only slow point
   of a slot leaves it (its readout crosses a slot edge, or its speed crosses
   ``v_accept``, 5x above where the points that stopped are).  Nor does a near tie pick
   the representative: the slowest point would (the accepted points' speeds differ in
   their third digit, and a 1e-6 change of the weights swapped points up to a slot
   apart, moving the coverage by 5%), while the median changes only between points of
   nearly equal readout.

Each kept point is linearised as in the generic finder.  Every result's
``meta['line']`` holds, per context, the held range, the hold drift, whether the context
holds its integral, the scale, the slot edges and each slot's number of slow points
(``slot_candidates``), so that
:func:`universality.linear.line_shapes` can measure how much of the held range the points
cover without re-running the network.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import tensorflow as tf
from tqdm import tqdm

from .. import cells
from ..seeding import network_rng
from .cleaning import outlier_mask
from .config import LineSampler, LineSearchConfig
from .optimise import minimize_q
from .result import FixedPoints

__all__ = ["hold_inputs", "hold_trajectories", "held_lines", "slot_edges", "line_slow_points"]


def _check_task(task):
    need = ("n_steps", "n_probe", "probe", "conditions")
    if task is None or any(not hasattr(task, a) for a in need):
        name = getattr(task, "name", task)
        raise ValueError(f"config.line (the line sampler) needs a task whose probe() drives each context to a range "
                         f"of integrated values (fields {need}), such as 'cdi'; got task {name!r}")
    probe_labels = task.probe().labels
    cond_labels = task.conditions().labels
    if "context" not in probe_labels or "context" not in cond_labels:
        raise ValueError(f"config.line needs probe() and conditions() labelled by 'context'; task "
                         f"{task.name!r} has probe labels {tuple(probe_labels)} and condition labels "
                         f"{tuple(cond_labels)}")


def hold_inputs(task, n_levels: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """The drive-then-hold inputs: the task's probe with ``n_probe = n_levels``, each trial
    followed by T steps of its context's static input x* (streams off).

    Returns
    -------
    inputs_btm : (C * n_levels, 2T, M) float32, context-major (trial ``c * n_levels + j``)
    context_b : (C * n_levels,) int, the condition index of each trial
    target_b : (C * n_levels,) the integral each drive should reach (the probe target at T)
    trained_range : the span of those targets (``2 mu_max T``)
    """
    _check_task(task)
    probe = replace(task, n_probe=int(n_levels)).probe()
    cond = task.conditions()
    index = {v: i for i, v in enumerate(cond.labels["context"])}
    context = np.array([index[v] for v in probe.labels["context"]], np.int64)
    order = np.argsort(context, kind="stable")
    drive = probe.inputs_btm[order]
    hold = np.broadcast_to(np.asarray(cond.inputs_cm, np.float32)[context[order]][:, None, :], drive.shape)
    final = probe.targets_bto[order, -1, 0].astype(np.float64)
    return np.concatenate([drive, hold], axis=1), context[order], final, float(np.ptp(final))


def _readout_norms(spec, params) -> np.ndarray:
    w = np.asarray(params["W_out"], np.float64)[:, :, 0]
    return np.linalg.norm(w, axis=1)


def hold_trajectories(spec, params, task, sampler: LineSampler = LineSampler()) -> dict:
    """Run P stacked networks on the hold inputs (:func:`hold_inputs`).

    Returns a dict of arrays (C contexts, J = ``n_levels``):
    ``hold_pcjts`` (P, C, J, T, S) the states of the T hold steps; ``y_drive_pcj``,
    ``y_held_pcj`` the readouts at the end of the drive and of the hold;
    ``held_lo_pc``, ``held_hi_pc`` the held range; ``drift_pc`` = ``max_j |y_held -
    y_drive| / R``; ``error_pc`` = ``max_j |y_drive - mu_j T| / R``; ``rest_pc`` = ``max_j
    (T / k) |y(2T) - y(2T - k)| / R`` with k = ``rest_steps``; ``holds_pc`` (all three
    <= ``hold_tolerance``); ``length_pc`` the line's length L; ``readout_length_p``
    ``R / ||w||``; ``trained_range`` R.
    """
    x, context, target, r_train = hold_inputs(task, sampler.n_levels)
    n_cond = int(context.max()) + 1
    p, t, s = np.shape(params["W_out"])[0], task.n_steps, spec.state_size
    states = cells.run(spec, params, np.broadcast_to(x, (p,) + x.shape))
    y = cells.readout(spec, params, states).numpy()[..., 0].astype(np.float64).reshape(p, n_cond, -1, 2 * t)
    states = states.numpy().astype(np.float64).reshape(p, n_cond, -1, 2 * t, s)
    hold = states[:, :, :, t:]
    y_drive, y_held = y[..., t - 1], y[..., -1]
    end = hold[:, :, :, -1]
    # a robust arc length: the median step between neighbouring levels' held states, times
    # the number of steps (a runaway end -- an LSTM/relu cell state that keeps growing --
    # does not set the scale of the whole line)
    arc = np.median(np.linalg.norm(np.diff(end, axis=2), axis=-1), axis=2) * (end.shape[2] - 1)
    floor = r_train / np.maximum(_readout_norms(spec, params), np.finfo(float).tiny)
    drift = np.abs(y_held - y_drive).max(axis=2) / r_train
    error = np.abs(y_drive - target.reshape(n_cond, -1)[None]).max(axis=2) / r_train
    k = sampler.rest_steps
    if k >= t:
        raise ValueError(f"rest_steps={k} must be smaller than the task's n_steps={t}")
    rest = (t / k) * np.abs(y_held - y[..., -1 - k]).max(axis=2) / r_train
    holds = (drift <= sampler.hold_tolerance) & (error <= sampler.hold_tolerance) & (rest <= sampler.hold_tolerance)
    return {"hold_pcjts": hold, "y_drive_pcj": y_drive, "y_held_pcj": y_held, "held_lo_pc": y_held.min(axis=2),
            "held_hi_pc": y_held.max(axis=2), "drift_pc": drift, "error_pc": error, "rest_pc": rest,
            "holds_pc": holds,
            "length_pc": np.maximum(arc, floor[:, None]), "readout_length_p": floor, "trained_range": r_train}


def held_lines(population, sampler: LineSampler = LineSampler()):
    """One row per (network, context) of a CDI population: the held range (``held_lo``,
    ``held_hi``), ``hold_drift``, ``hold_error`` and ``hold_rest`` (shares of the trained
    range), ``holds`` and ``length`` (:func:`hold_trajectories`), for
    :func:`universality.linear.line_shapes`."""
    import pandas as pd

    rows = []
    for spec, ids, params in population.spec_groups():
        tr = hold_trajectories(spec, params, population.task, sampler)
        for i, nid in enumerate(ids):
            for c in range(tr["held_lo_pc"].shape[1]):
                rows.append({"network_id": nid, "condition": c, "held_lo": tr["held_lo_pc"][i, c],
                             "held_hi": tr["held_hi_pc"][i, c], "hold_drift": tr["drift_pc"][i, c],
                             "hold_error": tr["error_pc"][i, c], "hold_rest": tr["rest_pc"][i, c],
                             "holds": bool(tr["holds_pc"][i, c]), "length": tr["length_pc"][i, c],
                             "trained_range": tr["trained_range"]})
    return pd.DataFrame(rows)


def slot_edges(held_lo: float, held_hi: float, trained_range: float, n_slots: int) -> np.ndarray:
    """(n_slots + 1,) edges of equal-width readout slots over ``[held_lo, held_hi]`` widened
    about its centre to at least ``trained_range``."""
    centre, width = 0.5 * (held_lo + held_hi), max(held_hi - held_lo, trained_range)
    return centre + width * (np.arange(n_slots + 1) / n_slots - 0.5)


def _slot_of(y: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Slot index of each readout, -1 outside the edges."""
    k = np.searchsorted(edges, y, side="right") - 1
    return np.where((y >= edges[0]) & (y <= edges[-1]), np.minimum(k, len(edges) - 2), -1)


_SCALED: dict = {}


def _scaled_step(spec):
    """``G(h, x, params, scale) = h + scale (F(h, x) - h)``, one scale per batch row; one
    function object per spec, so Adam's compiled chunk is reused."""
    if spec not in _SCALED:
        def step_fn(h, x, params, scale_p):
            return h + scale_p[:, None, None] * (cells.step(spec, params, h, x) - h)

        _SCALED[spec] = step_fn
    return _SCALED[spec]


def _select(y, ok, edges) -> np.ndarray:
    """Indices of one accepted point per occupied slot (slot order): the one at the median
    readout of the slot's accepted points (the lower median of an even count)."""
    slot = np.where(ok, _slot_of(y, edges), -1)
    cand = np.flatnonzero(slot >= 0)
    if not len(cand):
        return cand
    order = cand[np.lexsort((y[cand], slot[cand]))]  # by slot, then readout
    start = np.flatnonzero(np.r_[True, slot[order][1:] != slot[order][:-1]])
    size = np.diff(np.r_[start, len(order)])
    return order[start + (size - 1) // 2]


def _initial_states(tr: dict, ids, sampler: LineSampler, per: int, seed: int) -> np.ndarray:
    """(P, C, per, S): hold states drawn uniformly per context, plus Gaussian noise of
    expected norm ``noise * R / ||w||``; network p's draw is keyed by its id."""
    p, n_cond = tr["held_lo_pc"].shape
    s = tr["hold_pcjts"].shape[-1]
    hold = tr["hold_pcjts"].reshape(p, n_cond, -1, s)
    h0 = np.empty((p, n_cond, per, s))
    for i in range(p):
        rng = network_rng(seed, ids[i], 0x1E5)
        for c in range(n_cond):
            pick = rng.integers(0, hold.shape[2], size=per)
            z = rng.standard_normal((per, s)) * (sampler.noise * tr["readout_length_p"][i] / np.sqrt(s))
            h0[i, c] = hold[i, c, pick] + z
    return h0


def _line_meta(tr: dict, i: int, edges: list, counts: list) -> dict:
    """Network i's ``meta['line']`` (JSON-able)."""
    return {"held_lo": tr["held_lo_pc"][i].tolist(), "held_hi": tr["held_hi_pc"][i].tolist(),
            "hold_drift": tr["drift_pc"][i].tolist(), "hold_error": tr["error_pc"][i].tolist(),
            "hold_rest": tr["rest_pc"][i].tolist(),
            "holds": [bool(b) for b in tr["holds_pc"][i]], "length": tr["length_pc"][i].tolist(),
            "trained_range": tr["trained_range"], "slot_edges": edges, "slot_candidates": counts}


def line_slow_points(population, task, config: LineSearchConfig, progress: bool = False) -> dict:
    """Slow points sampling each context's line attractor, ``network_id -> FixedPoints``.

    The procedure is the module's (steps 1-6), with ``config.line`` its settings and the
    Adam fields of ``config``; ``config.n_initial`` initial states per network are split
    evenly over the contexts.  ``meta['stages']`` counts the initial states, the points
    that stopped, the accepted and the kept ones; ``meta['line']`` holds per context
    ``held_lo``, ``held_hi``, ``hold_drift``, ``hold_error``, ``hold_rest``, ``holds``, ``length``,
    ``slot_edges`` and ``slot_candidates`` (and the ``trained_range``), all JSON-able.
    Networks marked ``diverged`` are left out.
    """
    if not isinstance(config, LineSearchConfig):
        raise ValueError(f"config is a {type(config).__name__}: line_slow_points needs a LineSearchConfig "
                         "(e.g. universality.studies.study_for('cdi').fixed_point_config())")
    sampler = config.line
    _check_task(task)
    xc = np.asarray(task.conditions().inputs_cm, np.float32)
    n_cond, t = len(xc), task.n_steps
    per = config.n_initial // n_cond
    if per < 1:
        raise ValueError(f"n_initial={config.n_initial} is smaller than the number of contexts ({n_cond}); every "
                         "context needs at least one initial state")
    adam = config.with_(tol_q=0.5 * sampler.v_stop ** 2)
    groups = population.spec_groups()
    out = {}
    for spec, ids, params in tqdm(groups, desc="groups", disable=not progress or len(groups) < 2):
        p, s = len(ids), spec.state_size
        tr = hold_trajectories(spec, params, task, sampler)
        length = tr["length_pc"].reshape(-1)
        h0 = _initial_states(tr, ids, sampler, per, config.seed)
        # every (network, context) line is one row of the batch, with its own scale T / L
        rows = {k: tf.constant(np.repeat(np.asarray(v, np.float32), n_cond, axis=0)) for k, v in params.items()}
        x_rows = np.broadcast_to(np.tile(xc, (p, 1))[:, None, :], (p * n_cond, per, xc.shape[1]))
        res = minimize_q(_scaled_step(spec), h0.reshape(p * n_cond, per, s), x_rows, adam,
                         args=(rows, tf.constant((t / length).astype(np.float32))), progress=progress,
                         desc=f"slow points {spec.arch}-{spec.activation} x{p}")
        h = res.h
        q = 0.5 * np.sum((cells.step(spec, rows, h, x_rows).numpy().astype(np.float64) - h) ** 2, axis=-1)
        v = t * np.sqrt(2 * q) / length[:, None]
        y = cells.readout(spec, rows, h).numpy()[..., 0].astype(np.float64)
        ok = np.isfinite(v) & np.all(np.isfinite(h), axis=-1) & (v <= sampler.v_accept)
        hold = tr["hold_pcjts"].reshape(p * n_cond, -1, s)
        for i, nid in enumerate(ids):
            kept, edges_all, counts = [], [], []
            for c in range(n_cond):
                row = i * n_cond + c
                ok[row] &= outlier_mask(h[row], hold[row], config.outlier_distance_scale)
                edges = slot_edges(tr["held_lo_pc"][i, c], tr["held_hi_pc"][i, c], tr["trained_range"],
                                   sampler.n_slots)
                kept.append(row * per + _select(y[row], ok[row], edges))
                slot = _slot_of(y[row, ok[row]], edges)
                edges_all.append(edges.tolist())
                counts.append(np.bincount(slot[slot >= 0], minlength=sampler.n_slots).tolist())
            flat = np.concatenate(kept)
            hk, qk = h.reshape(-1, s)[flat], q.reshape(-1)[flat]
            ck = (flat // per) % n_cond
            lines_i = slice(i * n_cond, (i + 1) * n_cond)
            meta = {"arch": spec.arch, "activation": spec.activation, "units": spec.units, "network_id": str(nid),
                    "stages": {"initial": int(per * n_cond), "adam_stopped": int(res.stopped[lines_i].sum()),
                               "accepted": int(ok[lines_i].sum()), "kept": int(len(flat))},
                    "line": _line_meta(tr, i, edges_all, counts)}
            if len(flat) == 0:
                out[nid] = FixedPoints.empty(s, xc.shape[1], spec.n_outputs, meta)
                continue
            one = {k: np.asarray(val)[i: i + 1] for k, val in params.items()}
            xk = xc[ck].astype(np.float64)
            j_h, j_x = cells.jacobians(spec, one, hk[None], xk[None])
            out[nid] = FixedPoints.build(hk, qk, xk, ck, j_h.numpy()[0].astype(np.float64),
                                         j_x.numpy()[0].astype(np.float64),
                                         cells.readout(spec, one, hk[None]).numpy()[0], meta)
    return out
