"""The four recurrent cells of the paper, for a *population* of networks at once.

Contract
--------
A cell is a pure step ``h_next = F(params, h, x)`` on a FLAT state ``h``:

* ``h`` has ``state_size(spec)`` units: ``units`` for Vanilla, UGRNN and GRU, and
  ``2 * units`` for the LSTM, whose state is the concatenation ``[h; c]``.
* ``params`` is a dict of arrays whose leading axis is the population axis ``P``: the
  weights of P networks of one ``CellSpec`` (arch, activation, units, inputs, outputs)
  are stacked so that one graph steps all P networks (``batch_matmul`` over P).
* States and inputs are ROW vectors: the input projection is ``u = x W_x + b`` (W_x of
  shape (M, G*N), G gate blocks side by side) and the readout is linear in the first
  ``units`` entries of the state: ``y = h[:units] W_out + b_out``.

Shapes are written in names: ``h_pbn`` is (population, batch, state), ``x_pbtm`` is
(population, batch, time, inputs).  Fixed points, Jacobians and the training loop rely
only on :func:`step` / :func:`run` / :func:`readout`, never on the arch.

One class per architecture (:mod:`.vanilla`, :mod:`.ugrnn`, :mod:`.gru`, :mod:`.lstm`)
holds its parameter shapes, initialisation, step, closed-form Jacobians and the forward
and backward passes of BPTT, with its equations in its docstring; the classes register
themselves by arch name in :data:`REGISTRY` (:func:`cell_for` gives a spec's cell) and
the functions below dispatch through it (phi is the non-gate activation, relu or tanh;
sigma the logistic sigmoid):

* Vanilla: ``h' = phi(x W_x + h W_h + b)``
* UGRNN (Collins, Sohl-Dickstein & Sussillo 2017): gate blocks [g, c],
  ``h' = g * h + (1 - g) * c``
* GRU (Cho et al. 2014; reset gate applied before the recurrent matrix): blocks
  [r, u, c], ``c = phi(x W_cx + (r * h) W_hc + b_c)``, ``h' = u * h + (1 - u) * c``
* LSTM (Hochreiter & Schmidhuber 1997; state [h; c]): blocks [i, f, o, g],
  ``c' = f * c + i * g``, ``h' = o * phi(c')``

Beyond the paper's grid (:data:`ARCHS`), :data:`ALL_ARCHS` adds the GRU of PyTorch and
Keras (:mod:`.gru_reset_after`, arch ``'gru_ra'``): the reset gate multiplies the
recurrent product, ``c = phi(x W_cx + b_c + r * (h W_ch + b_hc))``, so users' networks
(:mod:`universality.importers`) are analysed exactly.

Initialisation (the paper does not state it; we use the Keras defaults): input
matrices Glorot-uniform, recurrent blocks orthogonal, biases zero except the LSTM
forget-gate bias, 1.  Each network is drawn from its own seed, so a network's weights do
not depend on which population it is stacked with.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import tensorflow as tf

from . import gru, gru_reset_after, lstm, ugrnn, vanilla  # noqa: F401  (each registers its class)
from .base import ACTIVATIONS, ARCHS, REGISTRY, Cell, CellSpec, cell_for, check_arch, registered_archs
from .gru import GRU
from .gru_reset_after import GRUResetAfter
from .lstm import LSTM
from .ops import dphi
from .ugrnn import UGRNN
from .vanilla import Vanilla

__all__ = [
    "ARCHS",
    "ALL_ARCHS",
    "ACTIVATIONS",
    "REGISTRY",
    "registered_archs",
    "Cell",
    "Vanilla",
    "UGRNN",
    "GRU",
    "LSTM",
    "GRUResetAfter",
    "CellSpec",
    "cell_for",
    "n_gates",
    "state_size",
    "param_shapes",
    "init_one",
    "init_params",
    "stack_params",
    "unstack_params",
    "input_projection",
    "recurrent_step",
    "step",
    "run",
    "readout",
    "tiled_jacobians",
    "dphi",
    "jacobians",
    "functions",
    "regularised_names",
]

#: Every architecture a CellSpec accepts: the paper's four, then the reset-after GRU
#: (``'gru_ra'``) that PyTorch's and Keras' GRUs are (for imported networks).
ALL_ARCHS: tuple[str, ...] = registered_archs()


def n_gates(arch: str) -> int:
    """Number of N-wide blocks in the input projection (1, 2, 3 or 4)."""
    check_arch(arch)
    return REGISTRY[arch].n_gates


def state_size(spec: CellSpec) -> int:
    """Width of the flat state: N, or 2N for the LSTM ([h; c])."""
    return cell_for(spec).state_size


def param_shapes(spec: CellSpec) -> dict[str, tuple[int, ...]]:
    """Shapes of ONE network's parameters (the population adds a leading axis)."""
    return cell_for(spec).param_shapes()


def regularised_names(spec: CellSpec) -> tuple[str, ...]:
    """Parameters the L2 penalty applies to: every weight matrix, no bias."""
    return tuple(k for k in param_shapes(spec) if k.startswith("W"))


def init_one(spec: CellSpec, seed: int) -> dict[str, np.ndarray]:
    """Initial parameters of one network, drawn from ``seed`` alone (float32)."""
    return cell_for(spec).init(np.random.default_rng([int(seed), 0x5EED]))


def init_params(spec: CellSpec, seeds: Sequence[int]) -> dict[str, np.ndarray]:
    """Stacked initial parameters of P networks, network p drawn from ``seeds[p]``."""
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds is empty: a population needs at least one network")
    return stack_params([init_one(spec, s) for s in seeds])


def stack_params(params_list: Sequence[Mapping[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Stack single-network parameter dicts along a new leading population axis."""
    if not params_list:
        raise ValueError("params_list is empty: nothing to stack")
    keys = list(params_list[0])
    return {k: np.stack([np.asarray(p[k]) for p in params_list]) for k in keys}


def unstack_params(params: Mapping[str, np.ndarray]) -> list[dict[str, np.ndarray]]:
    """Inverse of :func:`stack_params`."""
    arrays = {k: np.asarray(v) for k, v in params.items()}
    n_pop = next(iter(arrays.values())).shape[0]
    return [{k: v[i] for k, v in arrays.items()} for i in range(n_pop)]


def input_projection(spec: CellSpec, params, x):
    """u = x W_x + b for every time step at once: (P, ..., M) -> (P, ..., G*N).

    Hoisting the input projection out of the time loop halves the work per step.
    """
    return cell_for(spec).project(params, x)


def recurrent_step(spec: CellSpec, params, h, u):
    """One step given the projected input ``u = x W_x + b``: (P, ..., S) -> (P, ..., S)."""
    return cell_for(spec).step_projected(params, h, u)


def step(spec: CellSpec, params, h, x):
    """The update rule ``h_next = F(params, h, x)`` for P networks.

    Parameters
    ----------
    h : (P, ..., S) array, S = ``state_size(spec)``
    x : (P, ..., M) array (same middle dims as ``h``)

    Returns
    -------
    (P, ..., S) tensor
    """
    cell = cell_for(spec)
    h = tf.convert_to_tensor(h, dtype=tf.float32)
    return cell.step_projected(params, h, cell.project(params, x))


def readout(spec: CellSpec, params, h):
    """Linear readout from the first N state entries: (P, ..., S) -> (P, ..., O)."""
    return cell_for(spec).readout(params, h)


def run(spec: CellSpec, params, x_pbtm, h0_pbs=None):
    """Run P networks over time.

    Parameters
    ----------
    x_pbtm : (P, B, T, M) inputs
    h0_pbs : (P, B, S) initial states, zeros by default

    Returns
    -------
    states_pbts : (P, B, T, S) tensor, the states h_1 .. h_T
    """
    cell = cell_for(spec)
    x_pbtm = tf.convert_to_tensor(x_pbtm, dtype=tf.float32)
    u_pbtk = cell.project(params, x_pbtm)
    u_tpbk = tf.transpose(u_pbtk, [2, 0, 1, 3])
    if h0_pbs is None:
        shape = tf.shape(x_pbtm)
        h0_pbs = tf.zeros(tf.stack([shape[0], shape[1], cell.state_size]), tf.float32)
    h0_pbs = tf.convert_to_tensor(h0_pbs, dtype=tf.float32)
    states_tpbs = tf.scan(lambda h, u: cell.step_projected(params, h, u), u_tpbk, initializer=h0_pbs)
    return tf.transpose(states_tpbs, [1, 2, 0, 3])


#: Rows (networks x points x state size) of one tiled Jacobian pass; larger batches go in chunks.
JACOBIAN_ROWS = 1 << 16


def _in_point_chunks(fn, h, x, entries_per_point: int, limit: int):
    """``fn(h, x)`` on (P, K, .) inputs, in chunks of points when P*K*entries_per_point
    exceeds ``limit`` (memory); None when no chunking is needed or shapes are unknown."""
    p_static, k_static = h.shape[0], h.shape[1]
    if p_static is None or k_static is None or p_static * k_static * entries_per_point <= limit:
        return None
    step_k = max(1, limit // (p_static * entries_per_point))
    parts = [fn(h[:, i: i + step_k], x[:, i: i + step_k]) for i in range(0, k_static, step_k)]
    return tf.concat([a for a, _ in parts], axis=1), tf.concat([b for _, b in parts], axis=1)


def tiled_jacobians(step_fn, h, x, *args):
    """Jacobians of any batched step ``F(h (P,K,S), x (P,K,M), *args) -> (P,K,S)``.

    Returns ``J_h`` (P, K, S, S) with ``J_h[p, k, i, j] = dF_i / dh_j`` and ``J_x``
    (P, K, S, M), by one reverse pass over S tiled copies of each point: row i of the
    Jacobian is the gradient of output i of copy i.  The generic path for any step
    function, and the reference :func:`jacobians` (closed form, the cells') is tested
    against (it avoids ``batch_jacobian``'s pfor path, which aborts the process in TF 2.21
    with oneDNN on).
    """
    h = tf.convert_to_tensor(h, dtype=tf.float32)
    x = tf.convert_to_tensor(x, dtype=tf.float32)
    s = h.shape[-1]
    # in chunks of points: the tiled pass holds P*K*S rows of every intermediate (a 64-unit
    # LSTM's 350 CDI points x 8 networks: several GB in one pass)
    chunked = _in_point_chunks(lambda hh, xx: tiled_jacobians(step_fn, hh, xx, *args), h, x, s, JACOBIAN_ROWS)
    if chunked is not None:
        return chunked
    n_pop, k = tf.shape(h)[0], tf.shape(h)[1]
    h_rep = tf.repeat(h, s, axis=1)  # (P, K*S, S): copy i of point k at row k*S + i
    x_rep = tf.repeat(x, s, axis=1)
    eye = tf.tile(tf.eye(s), tf.stack([k, 1]))[None]  # selects output i of copy i
    with tf.GradientTape() as tape:
        tape.watch([h_rep, x_rep])
        sel = tf.reduce_sum(step_fn(h_rep, x_rep, *args) * eye)
    g_h, g_x = tape.gradient(sel, [h_rep, x_rep])
    if g_x is None:  # the step ignores x
        g_x = tf.zeros_like(x_rep)
    j_h = tf.reshape(g_h, tf.stack([n_pop, k, s, s]))
    j_x = tf.reshape(g_x, tf.stack([n_pop, k, s, tf.shape(x)[-1]]))
    return j_h, j_x


#: Jacobian entries (networks x points x S x S) of one closed-form pass; more go in chunks.
JACOBIAN_ENTRIES = 1 << 23


def jacobians(spec: CellSpec, params, h, x):
    """Jacobians of the update rule at (h, x) for P networks, in closed form.

    Parameters
    ----------
    h : (P, K, S) states, x : (P, K, M) inputs (K points per network)

    Returns
    -------
    J_h : (P, K, S, S) with ``J_h[p, k, i, j] = dF_i / dh_j``
    J_x : (P, K, S, M) with ``J_x[p, k, i, j] = dF_i / dx_j``

    Written out per cell (:meth:`Cell.jacobians`) from its equations (a few element-wise
    products and, for the GRU, one N x N product per point), which costs O(K N^2) where
    a reverse pass over tiled copies (:func:`tiled_jacobians`, the reference the tests
    compare with) costs a full backward pass per row.
    """
    h = tf.convert_to_tensor(h, tf.float32)
    x = tf.convert_to_tensor(x, tf.float32)
    s = h.shape[-1]
    chunked = _in_point_chunks(lambda hh, xx: jacobians(spec, params, hh, xx), h, x, s * s, JACOBIAN_ENTRIES)
    if chunked is not None:
        return chunked
    return cell_for(spec).jacobians(params, h, x)


_FUNCTIONS: dict = {}


def functions(spec: CellSpec):
    """``(step_fn, jacobian_fn, readout_fn)`` of a spec with the signatures the fixed-point
    finder takes (``F(h, x, params)``, ``J(h, x, params)``, ``y(h, params)``); one object
    per spec, so compiled graphs are reused."""
    if spec not in _FUNCTIONS:
        def step_fn(h, x, params):
            return step(spec, params, h, x)

        def jacobian_fn(h, x, params):
            return jacobians(spec, params, h, x)

        def readout_fn(h, params):
            return readout(spec, params, h)

        _FUNCTIONS[spec] = (step_fn, jacobian_fn, readout_fn)
    return _FUNCTIONS[spec]
