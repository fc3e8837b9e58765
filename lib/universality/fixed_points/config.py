"""Settings of the fixed-point search, and the presets of the book's three tasks."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

__all__ = ["LineSampler", "FixedPointConfig", "LineSearchConfig"]


def _positive_int(name, v, minimum=1):
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < minimum:
        raise ValueError(f"{name}={v!r} must be an integer >= {minimum}")


def _fraction(name, v, low_open=True):
    ok = isinstance(v, (int, float, np.number)) and not isinstance(v, bool) and np.isfinite(v) and v <= 1 and \
        (v > 0 if low_open else v >= 0)
    if not ok:
        raise ValueError(f"{name}={v!r} must be a number in {'(0' if low_open else '[0'}, 1]")


@dataclass(frozen=True)
class LineSampler:
    """How slow points sample the line attractor of each context (the CDI preset).

    The procedure is :func:`universality.fixed_points.lines.line_slow_points`; every choice
    it makes is a field here.  Two lengths set the scales, both per (network, context):
    the line's length ``L`` (the held end states' median step between neighbouring levels
    times the number of steps, at least ``R / ||w||``) and the readout length ``R / ||w||``
    (the state distance that moves the readout w across the trained range R); speeds are
    measured over the task's T steps.

    Parameters
    ----------
    n_levels : int, default 41
        Constant-mean drives per context (the task's probe with ``n_probe=n_levels``:
        means evenly spaced over ``[-mu_max, mu_max]``), each followed by T steps with the
        streams switched off: the *hold trajectories*.  41 levels put neighbouring held
        values 1.5 readout units apart (CDI: R = 60), finer than a slot.
    noise : float, default 0.05
        Initial states are hold states plus isotropic Gaussian noise of expected norm
        ``noise * R / ||w||``: it moves the readout by at most ~5% of R (about one slot)
        but throws the state off the line (relative speeds ~1), so the search has to find
        its way back.  (Scaled by the readout length, not by L: a network whose cell state
        runs away at the ends of its line has a huge L.)
    v_stop : float, default 0.02
        A point stops (Adam's ``tol_q``) as soon as its *relative speed*
        ``v = T ||F(h) - h|| / L`` -- the share of its line it would travel in one trial --
        is below ``v_stop``: it is slow on the task's time scale, and it is not driven on
        to the few exact fixed points (measured on 16 book networks: points stop after a
        median of ~100 Adam steps, having moved ~5% of L, i.e. off the noise only).
    v_accept : float, default 0.1
        End points with ``v <= v_accept`` are slow points.  The same share of the line per
        trial as ``hold_tolerance`` allows a held value to drift, so a stretch of line that
        the network holds can be sampled even where no point gets below ``v_stop`` (seen
        at the ends of LSTM lines); a 5x margin over ``v_stop``, so the points that stopped
        are kept whatever their last bits.
    n_slots : int, default 21
        Readout slots per line: equal-width slots over the held range of readouts,
        widened about its centre to at least the trained range R, each keeping the slow
        point at the median readout of its slow points.  Odd, so that a line that holds
        no range (an untrained network, whose readouts cluster at the centre) has its
        points in the middle slot, away from any slot edge.
    hold_tolerance : float, default 0.1
        A context *holds its integral* when every drive reaches its target within this
        share of R, the hold moves its readout by at most this share of R, and the held
        value is at rest when the hold ends: its readout's rate of change over the last
        ``rest_steps`` hold steps would move it by at most this share of R in a trial.
        (Measured on the 64 book networks: every line that keeps its value within 10%
        but still moves by 12-56% of R per trial at the end of the hold -- an LSTM end
        still relaxing, a Vanilla/tanh network that holds its readout while its state
        circles at ~5 lines per trial -- has no slow points there; a slow point is a state
        at rest on the task's time scale.)
    rest_steps : int, default 5
        Hold steps over which the final rate is measured (more than one, so that a
        readout oscillating from step to step is judged by its drift).
    """

    n_levels: int = 41
    noise: float = 0.05
    v_stop: float = 0.02
    v_accept: float = 0.1
    n_slots: int = 21
    hold_tolerance: float = 0.1
    rest_steps: int = 5

    def __post_init__(self):
        _positive_int("n_levels", self.n_levels, 2)
        _positive_int("n_slots", self.n_slots, 1)
        _positive_int("rest_steps", self.rest_steps, 1)
        _fraction("noise", self.noise, low_open=False)
        _fraction("v_stop", self.v_stop)
        _fraction("v_accept", self.v_accept)
        _fraction("hold_tolerance", self.hold_tolerance)
        if self.v_accept < self.v_stop:
            raise ValueError(f"v_accept={self.v_accept!r} must be >= v_stop={self.v_stop!r}: the points that stopped "
                             "must be accepted")


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
    noise_scale : float, default 0.5
        Standard deviation of the isotropic Gaussian noise added to each sampled state.
    learning_rate : float, default 0.01
        Initial Adam step size of every point.
    lr_grow, lr_shrink : float, defaults 1.02 and 0.5
        Per-point step-size factors after q fell / rose over the last step.
    lr_min, lr_max : float, defaults 1e-6 and 0.1
        Bounds of the per-point step size.
    clip_norm : float, default 1.0
        Per-point gradient-norm clip.
    beta1, beta2, epsilon : float, defaults 0.9, 0.99, 1e-8
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


    def with_(self, **changes) -> "FixedPointConfig":
        return replace(self, **changes)


@dataclass(frozen=True)
class LineSearchConfig(FixedPointConfig):
    """:class:`FixedPointConfig` plus ``line``: slow points that sample each context's line
    attractor (:func:`universality.fixed_points.lines.line_slow_points`) instead of
    isolated fixed points; the CDI preset.

    It uses ``n_initial`` (split over the contexts), the Adam fields, ``max_iters``,
    ``check_every``, ``tol_dq``, ``outlier_distance_scale`` and ``seed``; ``line`` replaces
    ``n_trials``, ``noise_scale``, ``tol_q``, ``q_candidate``, ``polish_*``, ``q_max`` and
    ``tol_unique`` by its own criteria.  A subclass rather than a field of
    :class:`FixedPointConfig`, so that the flip-flop and sine settings -- and the cache
    keys of their stored fixed points, which hash every field -- stay what they were.

    Parameters
    ----------
    line : LineSampler, default ``LineSampler()``
    """

    line: LineSampler = LineSampler()

    def __post_init__(self):
        super().__post_init__()
        if not isinstance(self.line, LineSampler):
            raise ValueError(f"line={self.line!r} must be a LineSampler")
