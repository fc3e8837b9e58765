"""The cell contract: :class:`CellSpec`, the :class:`Cell` base class and the registry.

A cell class holds everything that depends on its architecture: the parameter shapes,
the initialisation, the step on a FLAT state, the closed-form Jacobians and the forward
and backward passes of backpropagation through time.  Each class registers itself under
its ``arch`` name (:func:`register`); every module-level function of
:mod:`universality.cells` looks the class up in :data:`REGISTRY`, so no code anywhere
switches on an architecture's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, ClassVar, Sequence

import numpy as np
import tensorflow as tf

from . import ops

__all__ = ["ARCHS", "ACTIVATIONS", "REGISTRY", "register", "registered_archs", "Cell", "CellSpec", "check_choice",
           "check_arch", "cell_for"]

#: The paper's grid of architectures (profiles and sweeps range over these).
ARCHS: tuple[str, ...] = ("vanilla", "ugrnn", "gru", "lstm")
ACTIVATIONS: tuple[str, ...] = ("relu", "tanh")

#: arch name -> cell class.
REGISTRY: dict[str, type["Cell"]] = {}


def registered_archs() -> tuple[str, ...]:
    """Every registered arch: the paper's four in their order, then any other in the order
    it was registered."""
    return tuple(a for a in ARCHS if a in REGISTRY) + tuple(a for a in REGISTRY if a not in ARCHS)


def register(cls: type["Cell"]) -> type["Cell"]:
    """Class decorator: make ``cls`` the cell of architecture ``cls.arch``."""
    if cls.arch in REGISTRY:
        raise ValueError(f"arch={cls.arch!r} is registered twice ({REGISTRY[cls.arch].__name__}, {cls.__name__})")
    REGISTRY[cls.arch] = cls
    return cls


def check_choice(name: str, value, allowed: Sequence) -> None:
    """``ValueError`` naming the parameter, its value and the allowed values."""
    if value not in allowed:
        raise ValueError(f"{name}={value!r} is not one of {tuple(allowed)!r}")


def check_arch(arch) -> None:
    """``ValueError`` unless ``arch`` is registered, naming the paper's four and the others."""
    if arch not in REGISTRY:
        others = tuple(a for a in registered_archs() if a not in ARCHS)
        more = f" (the paper's) or {others!r} (for imported networks)" if others else ""
        raise ValueError(f"arch={arch!r} is not one of {tuple(a for a in ARCHS if a in REGISTRY)!r}{more}")


def _check_positive_int(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name}={value!r} must be a positive integer")


@dataclass(frozen=True)
class CellSpec:
    """What a population of networks shares: one graph steps all of them.

    Parameters
    ----------
    arch : a registered architecture: the paper's {'vanilla', 'ugrnn', 'gru', 'lstm'}
        (``cells.ARCHS``), or 'gru_ra', the GRU with the reset gate after the recurrent
        matmul (PyTorch, Keras ``reset_after=True``), for imported networks
        (``cells.ALL_ARCHS`` lists them all)
    activation : {'relu', 'tanh'}
        The non-gate nonlinearity phi; gates are always sigmoid.
    units : int
        Number of hidden units N (the LSTM state has 2N entries, [h; c]).
    n_inputs, n_outputs : int
        Input width M and readout width O.
    """

    arch: str
    activation: str
    units: int
    n_inputs: int
    n_outputs: int

    def __post_init__(self):
        check_arch(self.arch)
        check_choice("activation", self.activation, ACTIVATIONS)
        _check_positive_int("units", self.units)
        _check_positive_int("n_inputs", self.n_inputs)
        _check_positive_int("n_outputs", self.n_outputs)

    @property
    def state_size(self) -> int:
        return cell_for(self).state_size


class Cell:
    """One architecture's update rule ``h' = F(params, h, x)`` for P stacked networks.

    Subclasses set ``arch`` (the registry key), ``n_gates`` (N-wide blocks of the input
    projection ``u = x W_x + b``) and ``state_blocks`` (the flat state has
    ``state_blocks * N`` entries), and implement :meth:`step_projected`,
    :meth:`jacobians` and :meth:`bptt`; they override :meth:`recurrent_shapes`,
    :meth:`init_recurrent` and :meth:`init_bias` when their recurrent weights are not
    one ``(N, n_gates * N)`` matrix ``W_h`` of orthogonal blocks with zero biases.

    Every parameter dict holds ``W_x`` (M, G*N), ``b`` (G*N,), the recurrent weights,
    ``W_out`` (N, O) and ``b_out`` (O,), each with a leading population axis P.  States
    are row vectors: ``u = x W_x + b``, ``y = h[:N] W_out + b_out``.
    """

    arch: ClassVar[str]
    n_gates: ClassVar[int]
    state_blocks: ClassVar[int] = 1

    def __init__(self, spec: CellSpec):
        self.spec = spec
        self.n = spec.units
        self.activation = spec.activation
        self.phi = ops.phi(spec.activation)

    @property
    def state_size(self) -> int:
        return self.state_blocks * self.n

    # ------------------------------------------------------------------ parameters
    def recurrent_shapes(self) -> dict[str, tuple[int, ...]]:
        """The recurrent parameters' shapes (one network)."""
        return {"W_h": (self.n, self.n_gates * self.n)}

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        """Shapes of ONE network's parameters (the population adds a leading axis)."""
        n, m, o, g = self.n, self.spec.n_inputs, self.spec.n_outputs, self.n_gates
        return {"W_x": (m, g * n), "b": (g * n,), **self.recurrent_shapes(), "W_out": (n, o), "b_out": (o,)}

    def init_recurrent(self, rng: np.random.Generator, shapes) -> dict[str, np.ndarray]:
        """Recurrent weights: one orthogonal N x N block per gate, drawn in gate order."""
        blocks = shapes["W_h"][1] // self.n
        return {"W_h": np.concatenate([ops.orthogonal(rng, self.n) for _ in range(blocks)], axis=1)}

    def init_bias(self, shape) -> np.ndarray:
        """The input-projection bias ``b``: zeros."""
        return np.zeros(shape)

    def init(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """One network's initial parameters (float32), drawn in a fixed order from ``rng``:
        W_x (Glorot), the recurrent blocks (orthogonal), W_out (Glorot); biases are
        deterministic."""
        shapes = self.param_shapes()
        p = {"W_x": ops.glorot(rng, shapes["W_x"])}
        p.update(self.init_recurrent(rng, shapes))
        p["b"] = self.init_bias(shapes["b"])
        p["W_out"] = ops.glorot(rng, shapes["W_out"])
        p["b_out"] = np.zeros(shapes["b_out"])
        return {k: np.asarray(p[k], dtype=np.float32) for k in shapes}

    # ------------------------------------------------------------------ dynamics
    def project(self, params, x):
        """u = x W_x + b for every time step at once: (P, ..., M) -> (P, ..., G*N)."""
        x = tf.convert_to_tensor(x, dtype=tf.float32)
        return ops.matmul(x, params["W_x"]) + ops.bias(params["b"], x.shape.rank)

    def step_projected(self, params, h, u):
        """One step given the projected input ``u``: (P, ..., S) -> (P, ..., S)."""
        raise NotImplementedError

    def readout(self, params, h):
        """Linear readout from the first N state entries: (P, ..., S) -> (P, ..., O)."""
        h = tf.convert_to_tensor(h, dtype=tf.float32)
        return ops.matmul(h[..., : self.n], params["W_out"]) + ops.bias(params["b_out"], h.shape.rank)

    def jacobians(self, params, h, x):
        """Closed-form ``(J_h (P,K,S,S), J_x (P,K,S,M))`` at (P, K) points (unchunked)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ BPTT
    def forward_backward(self, params, u_tpbk, inj_fn: Callable, m_t111=None):
        """Run the cell forward over T steps, then backward with the readout's gradient.

        ``u_tpbk`` (T, P, B, G*N) projected inputs; ``inj_fn(h_tpbn)`` returns (readout
        values (T,P,B,O), dL/dh_t injected by the readout (T,P,B,N)).  Returns
        ``(h_tpbn, yhat, du_tpbk, recurrent grads dict)``, ``du`` the gradient of the loss
        with respect to ``u``.  ``m_t111``: optional (T, 1, 1, 1) 1/0 mask of the steps
        that count; the state of a masked (padding) step is set to 0, so padding after
        the last real step stays finite (a relu network's autonomous state may grow
        without bound) and, since nothing is injected there, contributes exactly 0 to
        every gradient.
        """
        if m_t111 is None:
            return self.bptt(params, u_tpbk, inj_fn, u_tpbk, lambda el: (el, None), lambda m, v: v)
        return self.bptt(params, u_tpbk, inj_fn, (u_tpbk, m_t111), lambda el: el, lambda m, v: m * v)

    def bptt(self, params, u_tpbk, inj_fn, elems, split, keep):
        """The forward and backward scans.  ``elems`` are the forward scan's elements (the
        inputs, or (inputs, mask)), ``split(el) -> (u, m)`` and ``keep(m, state)`` applies
        the mask to a new state."""
        raise NotImplementedError

    def zeros_n(self, u_tpbk):
        """(P, B, N) zeros: the initial state and carries of the scans."""
        shape = tf.shape(u_tpbk)
        return tf.zeros(tf.stack([shape[1], shape[2], self.n]), u_tpbk.dtype)


_CELLS: dict = {}


def cell_for(spec: CellSpec) -> Cell:
    """The (cached) cell object of a spec."""
    if spec not in _CELLS:
        _CELLS[spec] = REGISTRY[spec.arch](spec)
    return _CELLS[spec]
