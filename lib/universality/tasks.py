"""The paper's three tasks (Section 2.2), as seeded generators of (inputs, targets).

Contract
--------
Every task is a frozen dataclass with the paper's constants as defaults and provides

* ``n_inputs``, ``n_outputs``, ``n_steps``;
* ``sample(rng, batch_size) -> Batch`` with ``inputs_btm`` (batch, time, inputs) and
  ``targets_bto`` (batch, time, outputs), float32, drawn only from ``rng``;
* ``probe() -> Batch``: the fixed inputs the figures drive networks with (its ``labels``
  say what each probe trial is, e.g. its command frequency);
* ``conditions() -> Conditions``: the static inputs x* used to find fixed points, one
  row per task condition, with every time-varying input dimension set to zero.

A registry (:data:`TASKS`, :func:`make_task`) lets one contract test run every task.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd

from .errors import ParameterError

__all__ = [
    "Batch",
    "Conditions",
    "Task",
    "FlipFlop",
    "SineWave",
    "ContextIntegration",
    "TASKS",
    "make_task",
]


@dataclass(frozen=True)
class Batch:
    """Inputs (B, T, M) and targets (B, T, O); ``labels`` has one row per trial."""

    inputs_btm: np.ndarray
    targets_bto: np.ndarray
    labels: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass(frozen=True)
class Conditions:
    """Static inputs x* (C, M) for fixed-point search; ``labels`` one row per condition."""

    inputs_cm: np.ndarray
    labels: pd.DataFrame


def _int(name, value, minimum=1):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ParameterError(f"{name}={value!r} must be an integer >= {minimum}")


def _float(name, value, low=None, high=None, low_open=False):
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ParameterError(f"{name}={value!r} must be a number") from None
    if not np.isfinite(v):
        raise ParameterError(f"{name}={value!r} must be finite")
    if low is not None and (v < low or (low_open and v == low)):
        raise ParameterError(f"{name}={value!r} must be {'>' if low_open else '>='} {low}")
    if high is not None and v > high:
        raise ParameterError(f"{name}={value!r} must be <= {high}")


class Task:
    """Base class; subclasses are frozen dataclasses."""

    name: ClassVar[str]
    n_steps: int

    @property
    def n_inputs(self) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def n_outputs(self) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    def sample(self, rng: np.random.Generator, batch_size: int) -> Batch:  # pragma: no cover
        raise NotImplementedError

    def probe(self) -> Batch:  # pragma: no cover
        raise NotImplementedError

    def conditions(self) -> Conditions:  # pragma: no cover
        raise NotImplementedError

    def params(self) -> dict:
        """The task's constants, as a JSON-able dict (stored with every network)."""
        from dataclasses import asdict

        return {"name": self.name, **asdict(self)}


@dataclass(frozen=True)
class FlipFlop(Task):
    """K-bit flip-flop (Sussillo & Barak 2013).

    Each of K inputs is 0 except for pulses of +1 or -1 (equally likely) that arrive
    independently on each channel and time step with probability ``p_flip``; output k
    holds the sign of the last pulse on input k.  So that every output is defined from
    the start, every channel receives a pulse at t = 0 (``initial_pulse``; the common
    choice in FixedPointFinder's examples; the paper does not say).

    Paper: K = 3, T = 100, p = 0.05.
    """

    name: ClassVar[str] = "flipflop"
    n_bits: int = 3
    n_steps: int = 100
    p_flip: float = 0.05
    initial_pulse: bool = True
    probe_trials: int = 4
    probe_seed: int = 0

    def __post_init__(self):
        _int("n_bits", self.n_bits)
        _int("n_steps", self.n_steps)
        _float("p_flip", self.p_flip, 0.0, 1.0)
        _int("probe_trials", self.probe_trials)
        _int("probe_seed", self.probe_seed, 0)

    @property
    def n_inputs(self) -> int:
        return self.n_bits

    @property
    def n_outputs(self) -> int:
        return self.n_bits

    def sample(self, rng, batch_size):
        _int("batch_size", batch_size)
        shape = (batch_size, self.n_steps, self.n_bits)
        pulses = rng.random(shape) < self.p_flip
        if self.initial_pulse:
            pulses[:, 0, :] = True
        signs = np.where(rng.random(shape) < 0.5, -1.0, 1.0)
        inputs = np.where(pulses, signs, 0.0)
        # target = last non-zero input on the same channel (0 before the first pulse)
        t_idx = np.where(pulses, np.arange(self.n_steps)[None, :, None], -1)
        last = np.maximum.accumulate(t_idx, axis=1)
        held = np.take_along_axis(inputs, np.maximum(last, 0), axis=1)
        targets = np.where(last >= 0, held, 0.0)
        return Batch(inputs.astype(np.float32), targets.astype(np.float32))

    def probe(self):
        b = self.sample(np.random.default_rng([self.probe_seed, 0xF11F]), self.probe_trials)
        labels = pd.DataFrame({"trial": np.arange(self.probe_trials)})
        return Batch(b.inputs_btm, b.targets_bto, labels)

    def conditions(self):
        # pulses are the only (time-varying) inputs: x* = 0
        return Conditions(np.zeros((1, self.n_bits), np.float32), pd.DataFrame({"condition": ["autonomous"]}))


@dataclass(frozen=True)
class SineWave(Task):
    """Frequency-cued sine wave (Sussillo & Barak 2013).

    A static input x ~ U(0, 1), held for all T steps, commands the frequency
    omega = ``omega_slope`` * x + ``omega_offset`` (cycles per time step); the target is
    sin(2 pi omega t) for t = 0, ..., T-1 in steps.  (The paper's dt = 0.01 only labels
    5 simulated seconds; with t in steps the frequencies span 5 to 25 cycles per trial.)

    Paper: T = 500, omega = 0.04 x + 0.01.
    """

    name: ClassVar[str] = "sine"
    n_steps: int = 500
    omega_slope: float = 0.04
    omega_offset: float = 0.01
    n_probe: int = 10

    def __post_init__(self):
        _int("n_steps", self.n_steps)
        _float("omega_slope", self.omega_slope, 0.0, low_open=False)
        _float("omega_offset", self.omega_offset, 0.0)
        _float("omega_slope + omega_offset", self.omega_slope + self.omega_offset, 0.0, 0.5, low_open=True)
        _int("n_probe", self.n_probe)

    @property
    def n_inputs(self) -> int:
        return 1

    @property
    def n_outputs(self) -> int:
        return 1

    def omega(self, x):
        """Command frequency (cycles per step) of static input value(s) ``x``."""
        return self.omega_slope * np.asarray(x, dtype=np.float64) + self.omega_offset

    def _trials(self, x_b):
        t = np.arange(self.n_steps)
        inputs = np.broadcast_to(x_b[:, None, None], (len(x_b), self.n_steps, 1))
        targets = np.sin(2 * np.pi * self.omega(x_b)[:, None] * t[None, :])[..., None]
        return inputs.astype(np.float32), targets.astype(np.float32)

    def sample(self, rng, batch_size):
        _int("batch_size", batch_size)
        return Batch(*self._trials(rng.random(batch_size)))

    def probe_values(self) -> np.ndarray:
        """Evenly spaced static inputs in [0, 1] (``n_probe`` of them)."""
        return np.linspace(0.0, 1.0, self.n_probe)

    def probe(self):
        x = self.probe_values()
        labels = pd.DataFrame({"x": x, "omega": self.omega(x)})
        return Batch(*self._trials(x), labels)

    def conditions(self):
        x = self.probe_values()
        labels = pd.DataFrame({"x": x, "omega": self.omega(x)})
        return Conditions(x[:, None].astype(np.float32), labels)


@dataclass(frozen=True)
class ContextIntegration(Task):
    """Context-dependent integration (Mante, Sussillo, Shenoy & Newsome 2013).

    Inputs: K static one-hot context inputs followed by K white-noise streams; stream k
    is N(mu_k, ``noise_std``^2) at every step with mu_k ~ U(-``mu_max``, ``mu_max``) drawn
    per trial and per stream.  Output: the running sum of the cued stream only.

    Paper: K = 2, T = 30, noise N(mu, 1), mu ~ U(-1, 1).
    """

    name: ClassVar[str] = "cdi"
    n_contexts: int = 2
    n_steps: int = 30
    noise_std: float = 1.0
    mu_max: float = 1.0
    n_probe: int = 9

    def __post_init__(self):
        _int("n_contexts", self.n_contexts)
        _int("n_steps", self.n_steps)
        _float("noise_std", self.noise_std, 0.0)
        _float("mu_max", self.mu_max, 0.0)
        _int("n_probe", self.n_probe, 2)

    @property
    def n_inputs(self) -> int:
        return 2 * self.n_contexts

    @property
    def n_outputs(self) -> int:
        return 1

    def sample(self, rng, batch_size):
        _int("batch_size", batch_size)
        k, t = self.n_contexts, self.n_steps
        context = rng.integers(0, k, size=batch_size)
        mu = rng.uniform(-self.mu_max, self.mu_max, size=(batch_size, 1, k))
        streams = mu + self.noise_std * rng.standard_normal((batch_size, t, k))
        onehot = np.eye(k)[context]
        inputs = np.concatenate([np.broadcast_to(onehot[:, None, :], (batch_size, t, k)), streams], axis=-1)
        cued = streams[np.arange(batch_size), :, context]
        targets = np.cumsum(cued, axis=1)[..., None]
        labels = pd.DataFrame({"context": context})
        return Batch(inputs.astype(np.float32), targets.astype(np.float32), labels)

    def probe(self):
        """For each context, noise-free constant input mu on the cued stream (others 0)."""
        k, t = self.n_contexts, self.n_steps
        levels = np.linspace(-self.mu_max, self.mu_max, self.n_probe)
        rows, inputs, targets = [], [], []
        for c in range(k):
            for mu in levels:
                x = np.zeros((t, 2 * k))
                x[:, c] = 1.0
                x[:, k + c] = mu
                inputs.append(x)
                targets.append(np.cumsum(x[:, k + c])[:, None])
                rows.append({"context": c, "mu": mu})
        return Batch(np.asarray(inputs, np.float32), np.asarray(targets, np.float32), pd.DataFrame(rows))

    def conditions(self):
        k = self.n_contexts
        x = np.concatenate([np.eye(k), np.zeros((k, k))], axis=1).astype(np.float32)
        return Conditions(x, pd.DataFrame({"context": np.arange(k)}))


TASKS: dict[str, type[Task]] = {cls.name: cls for cls in (FlipFlop, SineWave, ContextIntegration)}


def make_task(name: str, **params) -> Task:
    """Build a task by name: ``make_task('flipflop', n_bits=2)``."""
    if name not in TASKS:
        raise ParameterError(f"task={name!r} is not one of {tuple(TASKS)!r}")
    return TASKS[name](**params)
