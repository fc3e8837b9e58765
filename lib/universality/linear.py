"""Linearised dynamics around fixed points (Sections 3.2-3.3; Figs. 2d,f and 3e,f).

Around a fixed point (h*, x*) the update is, to first order,

    delta h_{t+1} = J delta h_t + J_x delta x_t,     J = dF/dh,  J_x = dF/dx,

and with the eigendecomposition ``J = R diag(lambda) L`` (``L = R^{-1}``, modes by
|lambda| descending; :func:`universality.fixed_points.decompose`):

Oscillation frequency (sine task)
    The leading complex pair -- the complex eigenvalue of largest |lambda| with
    ``|Im lambda| > tol_imag`` -- rotates by ``arg lambda`` radians per step, so its
    frequency is ``|arg lambda| / (2 pi)`` cycles per step, to compare with the command
    frequency omega (also in cycles per step).

Sorted spectra (CDI task)
    ``|lambda_1| >= |lambda_2| >= ...`` per fixed point, averaged over a context's points.

Response to a unit input with the k slowest modes kept (CDI, Fig. 3f)
    With ``b = J_x[:, c]`` (the column of the context's relevant input stream), the
    readout vector ``w`` (``y = w^T h + const``; zeros on an LSTM's cell state) and the
    rank-k truncation ``J_k = R_k diag(lambda_k) L_k`` (first k columns of R, rows of L):

    * ``input='pulse'`` (default): a unit pulse at t = 0, ``delta x_0 = e_c``, read out at
      step T::

          y_k = w^T R_k diag(lambda_k)^{T-1} L_k b = Re sum_{i<=k} (w^T r_i)(l_i^T b) lambda_i^{T-1}

    * ``input='spread'``: the same unit of input spread over the trial,
      ``delta x_t = e_c / T`` for t = 0..T-1, read out at step T::

          y_k = Re sum_{i<=k} (w^T r_i)(l_i^T b) (1/T) sum_{s=0}^{T-1} lambda_i^s

    Either way the integral of the input is 1, so a perfect integrator (an eigenvalue 1
    whose right eigenvector carries the readout and whose left eigenvector takes the
    input, ``(w^T r_1)(l_1^T b) = 1``) gives ``y = 1``, the "integral of 1" of the paper.
    The real part is taken because a truncation can keep one half of a complex pair.
    T defaults to the task's trial length.

Tables are tidy (one row per network x condition [x k]) with the population's labels.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

__all__ = [
    "INPUTS",
    "leading_frequency",
    "mode_response",
    "readout_vector",
    "sine_frequencies",
    "eigenvalue_spectra",
    "integration_responses",
    "cdi_integration",
    "sine_conditions",
    "line_shapes",
    "line_coverage",
    "modes_needed",
    "eigenvalues_near_one",
]

INPUTS = ("pulse", "spread")
LABEL_COLUMNS = ("task", "arch", "activation", "units", "l2", "seed")


def leading_frequency(eigenvalues_ns, tol_imag: float = 1e-6) -> tuple[np.ndarray, np.ndarray]:
    """Frequency ``|arg lambda| / 2 pi`` (cycles per step) of the leading complex pair.

    Parameters
    ----------
    eigenvalues_ns : (n, S) complex eigenvalues (any order)
    tol_imag : eigenvalues with ``|Im lambda| <= tol_imag`` count as real

    Returns
    -------
    frequency : (n,) in [0, 0.5], NaN where no eigenvalue is complex
    magnitude : (n,) |lambda| of that eigenvalue, NaN likewise
    """
    lam = np.atleast_2d(np.asarray(eigenvalues_ns, np.complex128))
    complex_ = np.abs(lam.imag) > tol_imag
    mags = np.where(complex_, np.abs(lam), -np.inf)
    i = mags.argmax(axis=1)
    pick = lam[np.arange(len(lam)), i]
    has = complex_.any(axis=1)
    freq = np.where(has, np.abs(np.angle(pick)) / (2 * np.pi), np.nan)
    return freq, np.where(has, np.abs(pick), np.nan)


def _gain(lam: np.ndarray, n_steps: int, input: str) -> np.ndarray:
    if input == "pulse":
        return lam ** (n_steps - 1)
    # (1/T) sum_{s<T} lambda^s, computed by direct summation (exact for lambda = 1)
    powers = lam[..., None] ** np.arange(n_steps)
    return powers.mean(axis=-1)


def mode_response(eigenvalues_ns, right_nss, left_nss, b_ns, w_s, n_steps: int, input: str = "pulse") -> np.ndarray:
    """Readout of the linearised system for a unit input, keeping the k leading modes.

    Parameters
    ----------
    eigenvalues_ns, right_nss, left_nss : (n, S), (n, S, S), (n, S, S): ``J = R diag L``,
        modes ordered by |lambda| descending (as stored in FixedPoints)
    b_ns : (n, S) input vectors (the relevant column of J_x)
    w_s : (S,) or (n, S) readout vectors
    n_steps : T, the step the output is read at
    input : 'pulse' or 'spread' (see the module docstring)

    Returns
    -------
    (n, S) real: column k-1 is the response with the k leading modes kept; the last
    column is the full linear system ``w^T J^{T-1} b`` (pulse).
    """
    if input not in INPUTS:
        raise ValueError(f"input={input!r} is not one of {INPUTS!r}")
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps < 1:
        raise ValueError(f"n_steps={n_steps!r} must be a positive integer")
    lam = np.atleast_2d(np.asarray(eigenvalues_ns, np.complex128))
    r = np.asarray(right_nss, np.complex128)
    left = np.asarray(left_nss, np.complex128)
    b = np.atleast_2d(np.asarray(b_ns, np.float64))
    w = np.broadcast_to(np.asarray(w_s, np.float64), b.shape)
    if r.shape != lam.shape + lam.shape[-1:] or left.shape != r.shape or b.shape != lam.shape:
        raise ValueError(f"shapes do not match: eigenvalues {lam.shape}, right {r.shape}, left {left.shape}, "
                         f"b {b.shape}; expected (n, S), (n, S, S), (n, S, S), (n, S)")
    out_w = np.einsum("ns,nsi->ni", w, r)  # w^T r_i
    in_b = np.einsum("nis,ns->ni", left, b)  # l_i^T b
    contrib = out_w * in_b * _gain(lam, int(n_steps), input)
    return np.cumsum(contrib, axis=1).real


def readout_vector(spec, params_one: Mapping, output: int = 0) -> np.ndarray:
    """The readout weights of one output as a state vector (S,): ``W_out[:, o]``, zeros
    on the LSTM's cell-state half."""
    w = np.zeros(spec.state_size)
    w[: spec.units] = np.asarray(params_one["W_out"], np.float64)[:, output]
    return w


def _labels(table, nid) -> dict:
    if table is None or nid not in table.index:
        return {}
    return {c: table.at[nid, c] for c in LABEL_COLUMNS if c in table.columns}


def sine_frequencies(fps: Mapping, omegas, table: pd.DataFrame | None = None, tol_imag: float = 1e-6,
                     one_per_condition: bool = True) -> pd.DataFrame:
    """Oscillation frequency of the linearisation at each condition's fixed point.

    Parameters
    ----------
    fps : network_id -> FixedPoints (sine task; condition c has command ``omegas[c]``)
    omegas : (C,) command frequencies (cycles per step), e.g. ``task.conditions().labels.omega``
    table : population table for the label columns
    one_per_condition : keep only each condition's lowest-q fixed point (the paper finds
        one per frequency); False gives one row per fixed point

    Returns
    -------
    DataFrame: network_id, labels, condition, omega, frequency, magnitude, q
    """
    omegas = np.asarray(omegas, np.float64)
    rows = []
    for nid, f in fps.items():
        if len(f) and f.condition.max() >= len(omegas):
            raise ValueError(f"{nid}: condition {int(f.condition.max())} has no entry in omegas "
                             f"({len(omegas)} given)")
        idx = np.arange(len(f))
        if one_per_condition and len(f):
            order = np.lexsort((f.q, f.condition))
            first = np.r_[True, f.condition[order][1:] != f.condition[order][:-1]]
            idx = order[first]
        freq, mag = leading_frequency(f.eigenvalues[idx], tol_imag) if len(idx) else (np.zeros(0), np.zeros(0))
        for j, i in enumerate(idx):
            c = int(f.condition[i])
            rows.append({"network_id": nid, **_labels(table, nid), "condition": c, "omega": omegas[c],
                         "frequency": freq[j], "magnitude": mag[j], "q": f.q[i]})
    return pd.DataFrame(rows)


def _on_line(f, c: int, max_magnitude: float | None) -> np.ndarray:
    """Mask of condition c's fixed points with ``max |lambda| <= max_magnitude`` (all if None)."""
    keep = f.condition == c
    if max_magnitude is not None and len(f):
        keep &= f.magnitudes[:, 0] <= max_magnitude
    return keep


def eigenvalue_spectra(fps: Mapping, table: pd.DataFrame | None = None, n_modes: int | None = None,
                       max_magnitude: float | None = 1.05) -> pd.DataFrame:
    """Sorted eigenvalue magnitudes, averaged over each condition's fixed points.

    ``max_magnitude`` keeps the points on the line attractor, as
    :func:`integration_responses` does (Figs. 3e and 3f use the same points).

    Returns
    -------
    DataFrame: network_id, labels, condition, rank (1 = largest |lambda|), magnitude
    (mean over the condition's fixed points), n_points
    """
    rows = []
    for nid, f in fps.items():
        for c in np.unique(f.condition):
            mags = f.magnitudes[_on_line(f, c, max_magnitude)]
            if not len(mags):
                continue
            mean = mags.mean(axis=0)[: n_modes]
            lab = _labels(table, nid)
            rows.extend({"network_id": nid, **lab, "condition": int(c), "rank": k + 1, "magnitude": m,
                         "n_points": len(mags)} for k, m in enumerate(mean))
    return pd.DataFrame(rows)


def integration_responses(fps: Mapping, readouts: Mapping, channels: Mapping[int, int], n_steps: int,
                          input: str = "pulse", table: pd.DataFrame | None = None,
                          max_magnitude: float | None = 1.05) -> pd.DataFrame:
    """Response to a unit input vs. modes kept, averaged over each condition's fixed points.

    Parameters
    ----------
    fps : network_id -> FixedPoints
    readouts : network_id -> (S,) readout vector w (:func:`readout_vector`)
    channels : condition -> index of its relevant input (CDI context c: stream ``K + c``)
    n_steps : T (see :func:`mode_response`)
    max_magnitude : only fixed points with ``max |lambda| <= max_magnitude`` are averaged:
        the line attractor is marginally stable, and a strongly unstable point off it
        (``lambda^{T-1}`` explodes) is not "on the line attractor" (None: use all)

    Returns
    -------
    DataFrame: network_id, labels, condition, k (modes kept, 1..S), response (mean over
    the condition's fixed points), n_points
    """
    rows = []
    for nid, f in fps.items():
        for c, ch in channels.items():
            sel = f[_on_line(f, c, max_magnitude)]
            if len(sel) == 0:
                continue
            y = mode_response(sel.eigenvalues, sel.right, sel.left, sel.J_x[:, :, ch], readouts[nid], n_steps, input)
            lab = _labels(table, nid)
            rows.extend({"network_id": nid, **lab, "condition": int(c), "k": k + 1, "response": v,
                         "n_points": len(sel)} for k, v in enumerate(y.mean(axis=0)))
    return pd.DataFrame(rows)


def cdi_integration(population, fps: Mapping, n_steps: int | None = None, input: str = "pulse",
                    output: int = 0, max_magnitude: float | None = 1.05) -> pd.DataFrame:
    """:func:`integration_responses` for a CDI population (context c integrates stream c).

    ``n_steps`` defaults to the task's trial length; the table carries the population's
    labels.
    """
    task = population.task
    k = task.n_contexts
    readouts = {}
    for spec, ids, params in population.spec_groups():
        for j, nid in enumerate(ids):
            readouts[nid] = readout_vector(spec, {kk: np.asarray(v)[j] for kk, v in params.items()}, output)
    want = {nid: f for nid, f in fps.items() if nid in readouts}
    return integration_responses(want, readouts, {c: k + c for c in range(k)}, n_steps or task.n_steps, input,
                                 population.table, max_magnitude)


def sine_conditions(fps: Mapping, omegas, table: pd.DataFrame | None = None, tol_imag: float = 1e-6) -> pd.DataFrame:
    """One row per (network, command frequency): how many fixed points were found there
    (``n_points``) and the leading complex pair of the lowest-q one (``frequency``,
    ``magnitude``; NaN when there is no point or its leading eigenvalue is real)."""
    omegas = np.asarray(omegas, np.float64)
    lead = sine_frequencies(fps, omegas, table, tol_imag)
    rows = []
    for nid, f in fps.items():
        counts = np.bincount(f.condition, minlength=len(omegas)) if len(f) else np.zeros(len(omegas), int)
        for c in range(len(omegas)):
            rows.append({"network_id": nid, **_labels(table, nid), "condition": c, "omega": omegas[c],
                         "n_points": int(counts[c])})
    out = pd.DataFrame(rows)
    if lead.empty:
        return out.assign(frequency=np.nan, magnitude=np.nan)
    return out.merge(lead[["network_id", "condition", "frequency", "magnitude"]], how="left",
                     on=["network_id", "condition"])


def line_coverage(y, held_lo: float, held_hi: float, reach: float) -> tuple[float, float, float]:
    """How much of a held range ``[held_lo, held_hi]`` the readouts ``y`` of a line's slow points cover.

    Returns ``(held_span, coverage, max_gap)``, each a share of ``held_hi - held_lo``:

    * ``held_span``: the range of the readouts, clipped to the held range;
    * ``coverage``: the part of the held range within ``reach`` of some readout (gaps
      between neighbouring points wider than ``2 reach`` count against it);
    * ``max_gap``: the widest interval of the held range without a readout (the ends
      included).

    NaN for all three when the held range is empty (``held_hi <= held_lo``).
    """
    width = float(held_hi) - float(held_lo)
    if not (np.isfinite(width) and width > 0):
        return np.nan, np.nan, np.nan
    if not (np.isfinite(reach) and reach >= 0):
        raise ValueError(f"reach={reach!r} must be a finite number >= 0")
    inside = np.sort(np.asarray(y, np.float64)[(np.asarray(y) >= held_lo) & (np.asarray(y) <= held_hi)])
    if not len(inside):
        return 0.0, 0.0, 1.0
    lo = np.maximum(inside - reach, held_lo)
    hi = np.minimum(inside + reach, held_hi)
    covered = float(np.sum(hi - lo) - np.sum(np.clip(hi[:-1] - lo[1:], 0, None)))  # union of sorted intervals
    gaps = np.diff(np.r_[held_lo, inside, held_hi])
    return float(np.ptp(inside)) / width, covered / width, float(gaps.max()) / width


def _held_of(nid, f, c: int, held) -> dict:
    """The held range of network ``nid``'s context c: from the ``held`` table when given,
    else from the result's ``meta['line']``; {} when unknown."""
    if held is not None:
        rows = held[(held.network_id.astype(str) == str(nid)) & (held.condition == c)]
        if not len(rows):
            return {}
        r = rows.iloc[0]
        return {"held_lo": float(r.held_lo), "held_hi": float(r.held_hi), "holds": bool(r.holds)}
    line = f.meta.get("line") or {}
    if c >= len(line.get("held_lo", ())):
        return {}
    return {"held_lo": float(line["held_lo"][c]), "held_hi": float(line["held_hi"][c]), "holds": bool(line["holds"][c])}


def line_shapes(fps: Mapping, n_conditions: int, table: pd.DataFrame | None = None,
                max_magnitude: float | None = 1.05, target_range: float | None = None, held: pd.DataFrame | None = None,
                reach: float | None = None) -> pd.DataFrame:
    """One row per (network, context): the slow points on the line attractor (``n_points``,
    leading ``|lambda| <= max_magnitude``), the range of their readouts (``readout_range``)
    and, given the range the task's targets span (``target_range``), the fraction of it
    the line covers (``span``); ``pc1_share`` is the share of the points' variance along
    their first principal axis (1 on a straight line; the lines here bend).

    Beside the span over the targets, the range the network actually *holds*: ``held_lo``,
    ``held_hi`` and ``holds`` come from ``held`` (a table of
    :func:`universality.fixed_points.held_lines`, matched on network_id and condition)
    or, without it, from each result's ``meta['line']`` (written by the line sampler);
    ``held_span``, ``coverage`` and ``max_gap`` are :func:`line_coverage` of the on-line
    points' readouts with ``reach`` (default 5% of ``target_range``, else of the held
    range).  NaN where no held range is known.
    """
    rows = []
    for nid, f in fps.items():
        for c in range(n_conditions):
            keep = _on_line(f, c, max_magnitude) if len(f) else np.zeros(0, bool)
            h = f.h[keep]
            share = np.nan
            if len(h) >= 2:
                sv = np.linalg.svd(h - h.mean(0), compute_uv=False) ** 2
                share = float(sv[0] / sv.sum()) if sv.sum() > 0 else np.nan
            y = f.outputs[keep, 0] if len(h) else np.zeros(0)
            rng_y = float(np.ptp(y)) if len(h) else 0.0
            hl = _held_of(nid, f, c, held)
            if hl:
                r_ = reach if reach is not None else 0.05 * (target_range or (hl["held_hi"] - hl["held_lo"]))
                hs, cov, gap = line_coverage(y, hl["held_lo"], hl["held_hi"], r_)
            else:
                hl, hs, cov, gap = {"held_lo": np.nan, "held_hi": np.nan, "holds": np.nan}, np.nan, np.nan, np.nan
            rows.append({"network_id": nid, **_labels(table, nid), "condition": c, "n_points": len(h),
                         "readout_range": rng_y, "span": rng_y / target_range if target_range else np.nan,
                         "pc1_share": share, **hl, "held_span": hs, "coverage": cov, "max_gap": gap})
    return pd.DataFrame(rows)


def modes_needed(responses: pd.DataFrame, fraction: float = 0.9) -> pd.DataFrame:
    """Modes needed to reach ``fraction`` of the full linearised response.

    From :func:`integration_responses`: per (network, condition), the smallest k with
    ``|y_k - y_full| <= (1 - fraction) |y_full|``, where ``y_full`` is the response with
    every mode kept.  Column ``modes_90`` (named for the default fraction).
    """
    if not 0 < fraction < 1:
        raise ValueError(f"fraction={fraction!r} must be in (0, 1)")
    rows = []
    for (nid, c), g in responses.groupby(["network_id", "condition"], sort=False):
        g = g.sort_values("k")
        full = g.response.iloc[-1]
        close = np.abs(g.response.to_numpy() - full) <= (1 - fraction) * abs(full)
        rows.append({"network_id": nid, **{k: g[k].iloc[0] for k in LABEL_COLUMNS if k in g},
                     "condition": c, "modes_90": int(g.k.to_numpy()[np.argmax(close)]), "full_response": full})
    return pd.DataFrame(rows)


def eigenvalues_near_one(fps: Mapping, n_conditions: int, table: pd.DataFrame | None = None, distance: float = 0.05,
                         max_magnitude: float | None = 1.05) -> pd.DataFrame:
    """Per (network, context): the mean over the line's points of the number of
    eigenvalues with ``| |lambda| - 1 | <= distance`` (``n_near_one``)."""
    rows = []
    for nid, f in fps.items():
        for c in range(n_conditions):
            mags = f.magnitudes[_on_line(f, c, max_magnitude)] if len(f) else np.zeros((0, 1))
            if not len(mags):
                continue
            rows.append({"network_id": nid, **_labels(table, nid), "condition": c,
                         "n_near_one": float(np.mean(np.sum(np.abs(mags - 1.0) <= distance, axis=1)))})
    return pd.DataFrame(rows)
