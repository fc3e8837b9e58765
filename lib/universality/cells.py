"""The four recurrent cells of the paper, for a *population* of networks at once.

Contract
--------
A cell is a pure step ``h_next = F(params, h, x)`` on a FLAT state ``h``:

* ``h`` has ``state_size(spec)`` units: ``units`` for Vanilla, UGRNN and GRU, and
  ``2 * units`` for the LSTM, whose state is the concatenation ``[h; c]``.
* ``params`` is a dict of arrays whose leading axis is the population axis ``P``: the
  weights of P networks of one ``CellSpec`` (arch, activation, units, inputs, outputs)
  are stacked so that one graph steps all P networks (``batch_matmul`` over P).
* The readout is linear in the first ``units`` entries of the state:
  ``y = h[:units] W_out + b_out``.

Shapes are written in names: ``h_pbn`` is (population, batch, state), ``x_pbtm`` is
(population, batch, time, inputs).  Fixed points, Jacobians and the training loop rely
only on :func:`step` / :func:`run` / :func:`readout`, never on the arch.

Equations (phi is the non-gate activation, relu or tanh; sigma the logistic sigmoid;
``[x; h]`` concatenation)
---------------------------------------------------------------------------------
Vanilla::

    h' = phi(W_x x + W_h h + b)

UGRNN (Collins, Sohl-Dickstein & Sussillo 2017)::

    g  = sigma(W_gx x + W_gh h + b_g)
    c  = phi(W_cx x + W_ch h + b_c)
    h' = g * h + (1 - g) * c

GRU (Cho et al. 2014; reset gate applied before the recurrent matrix)::

    r  = sigma(W_rx x + W_rh h + b_r)
    u  = sigma(W_ux x + W_uh h + b_u)
    c  = phi(W_cx x + W_ch (r * h) + b_c)
    h' = u * h + (1 - u) * c

LSTM (Hochreiter & Schmidhuber 1997; state [h; c])::

    i, f, o = sigma(W_{i,f,o} [x; h] + b_{i,f,o})
    g  = phi(W_g [x; h] + b_g)
    c' = f * c + i * g
    h' = o * phi(c')

Initialisation (the paper does not state it; we use the Keras defaults): input
matrices Glorot-uniform, recurrent blocks orthogonal, biases zero except the LSTM
forget-gate bias, 1.  Each network is drawn from its own seed, so a network's weights do
not depend on which population it is stacked with.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import tensorflow as tf

__all__ = [
    "ARCHS",
    "ACTIVATIONS",
    "CellSpec",
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

ARCHS: tuple[str, ...] = ("vanilla", "ugrnn", "gru", "lstm")
ACTIVATIONS: tuple[str, ...] = ("relu", "tanh")

_N_GATES = {"vanilla": 1, "ugrnn": 2, "gru": 3, "lstm": 4}


def _check_choice(name: str, value, allowed: Sequence) -> None:
    if value not in allowed:
        raise ValueError(f"{name}={value!r} is not one of {tuple(allowed)!r}")


def _check_positive_int(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name}={value!r} must be a positive integer")


@dataclass(frozen=True)
class CellSpec:
    """What a population of networks shares: one graph steps all of them.

    Parameters
    ----------
    arch : {'vanilla', 'ugrnn', 'gru', 'lstm'}
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
        _check_choice("arch", self.arch, ARCHS)
        _check_choice("activation", self.activation, ACTIVATIONS)
        _check_positive_int("units", self.units)
        _check_positive_int("n_inputs", self.n_inputs)
        _check_positive_int("n_outputs", self.n_outputs)

    @property
    def state_size(self) -> int:
        return state_size(self)


def n_gates(arch: str) -> int:
    """Number of N-wide blocks in the input projection (1, 2, 3 or 4)."""
    _check_choice("arch", arch, ARCHS)
    return _N_GATES[arch]


def state_size(spec: CellSpec) -> int:
    """Width of the flat state: N, or 2N for the LSTM ([h; c])."""
    return 2 * spec.units if spec.arch == "lstm" else spec.units


def param_shapes(spec: CellSpec) -> dict[str, tuple[int, ...]]:
    """Shapes of ONE network's parameters (the population adds a leading axis)."""
    n, m, o, g = spec.units, spec.n_inputs, spec.n_outputs, n_gates(spec.arch)
    shapes = {"W_x": (m, g * n), "b": (g * n,)}
    if spec.arch == "gru":
        shapes["W_h"] = (n, 2 * n)  # reset and update gates
        shapes["W_hc"] = (n, n)  # candidate, applied to r * h
    else:
        shapes["W_h"] = (n, g * n)
    shapes["W_out"] = (n, o)
    shapes["b_out"] = (o,)
    return shapes


def regularised_names(spec: CellSpec) -> tuple[str, ...]:
    """Parameters the L2 penalty applies to: every weight matrix, no bias."""
    return tuple(k for k in param_shapes(spec) if k.startswith("W"))


def _orthogonal(rng: np.random.Generator, n: int) -> np.ndarray:
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def _glorot(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    limit = np.sqrt(6.0 / (shape[0] + shape[1]))
    return rng.uniform(-limit, limit, size=shape)


def init_one(spec: CellSpec, seed: int) -> dict[str, np.ndarray]:
    """Initial parameters of one network, drawn from ``seed`` alone (float32)."""
    rng = np.random.default_rng([int(seed), 0x5EED])
    shapes = param_shapes(spec)
    n = spec.units
    p = {}
    p["W_x"] = _glorot(rng, shapes["W_x"])
    blocks = shapes["W_h"][1] // n
    p["W_h"] = np.concatenate([_orthogonal(rng, n) for _ in range(blocks)], axis=1)
    if spec.arch == "gru":
        p["W_hc"] = _orthogonal(rng, n)
    b = np.zeros(shapes["b"])
    if spec.arch == "lstm":
        b[n : 2 * n] = 1.0  # forget gate (order i, f, o, g)
    p["b"] = b
    p["W_out"] = _glorot(rng, shapes["W_out"])
    p["b_out"] = np.zeros(shapes["b_out"])
    return {k: np.asarray(p[k], dtype=np.float32) for k in shapes}


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


def _phi(activation: str):
    return tf.nn.relu if activation == "relu" else tf.tanh


def _matmul(a, b):
    """(P, ..., K) x (P, K, J) -> (P, ..., J), batched over the population."""
    a = tf.convert_to_tensor(a)
    if a.shape.rank == 2:  # (P, K): one state per network
        return tf.squeeze(tf.matmul(a[:, None, :], b), axis=1)
    if a.shape.rank == 3:
        return tf.matmul(a, b)
    shape = tf.shape(a)
    flat = tf.reshape(a, [shape[0], -1, shape[-1]])
    out = tf.matmul(flat, b)
    return tf.reshape(out, tf.concat([shape[:-1], tf.shape(b)[-1:]], axis=0))


def _bias(b, rank: int):
    """Broadcast a (P, K) bias against a (P, ..., K) tensor of the given rank."""
    return tf.reshape(b, tf.concat([tf.shape(b)[:1], tf.ones([rank - 2], tf.int32), tf.shape(b)[1:]], 0))


def input_projection(spec: CellSpec, params, x):
    """u = x W_x + b for every time step at once: (P, ..., M) -> (P, ..., G*N).

    Hoisting the input projection out of the time loop halves the work per step.
    """
    x = tf.convert_to_tensor(x, dtype=tf.float32)
    return _matmul(x, params["W_x"]) + _bias(params["b"], x.shape.rank)


def recurrent_step(spec: CellSpec, params, h, u):
    """One step given the projected input ``u = x W_x + b``: (P, ..., S) -> (P, ..., S)."""
    n = spec.units
    phi = _phi(spec.activation)
    arch = spec.arch
    if arch == "vanilla":
        return phi(u + _matmul(h, params["W_h"]))
    if arch == "ugrnn":
        z = u + _matmul(h, params["W_h"])
        g = tf.sigmoid(z[..., :n])
        c = phi(z[..., n:])
        return g * h + (1.0 - g) * c
    if arch == "gru":
        z = u[..., : 2 * n] + _matmul(h, params["W_h"])
        r = tf.sigmoid(z[..., :n])
        upd = tf.sigmoid(z[..., n:])
        c = phi(u[..., 2 * n :] + _matmul(r * h, params["W_hc"]))
        return upd * h + (1.0 - upd) * c
    # lstm: flat state [h; c]
    hh, cc = h[..., :n], h[..., n:]
    z = u + _matmul(hh, params["W_h"])
    i = tf.sigmoid(z[..., :n])
    f = tf.sigmoid(z[..., n : 2 * n])
    o = tf.sigmoid(z[..., 2 * n : 3 * n])
    g = phi(z[..., 3 * n :])
    c_new = f * cc + i * g
    h_new = o * phi(c_new)
    return tf.concat([h_new, c_new], axis=-1)


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
    h = tf.convert_to_tensor(h, dtype=tf.float32)
    return recurrent_step(spec, params, h, input_projection(spec, params, x))


def readout(spec: CellSpec, params, h):
    """Linear readout from the first N state entries: (P, ..., S) -> (P, ..., O)."""
    h = tf.convert_to_tensor(h, dtype=tf.float32)
    return _matmul(h[..., : spec.units], params["W_out"]) + _bias(params["b_out"], h.shape.rank)


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
    x_pbtm = tf.convert_to_tensor(x_pbtm, dtype=tf.float32)
    u_pbtk = input_projection(spec, params, x_pbtm)
    u_tpbk = tf.transpose(u_pbtk, [2, 0, 1, 3])
    if h0_pbs is None:
        shape = tf.shape(x_pbtm)
        h0_pbs = tf.zeros(tf.stack([shape[0], shape[1], state_size(spec)]), tf.float32)
    h0_pbs = tf.convert_to_tensor(h0_pbs, dtype=tf.float32)
    states_tpbs = tf.scan(lambda h, u: recurrent_step(spec, params, h, u), u_tpbk, initializer=h0_pbs)
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


def _cols(a_pkj, w_pij):
    """J[p, k, j, i] = a[p, k, j] * w[p, i, j]: a weight block, each output column j
    scaled by a per-point factor, arranged as (output, input)."""
    return tf.einsum("pkj,pij->pkji", a_pkj, w_pij)


def dphi(activation: str, y):
    """phi' at the point where phi took the value y (as TensorFlow's own gradients)."""
    return tf.cast(y > 0, y.dtype) if activation == "relu" else 1.0 - tf.square(y)


def jacobians(spec: CellSpec, params, h, x):
    """Jacobians of the update rule at (h, x) for P networks, in closed form.

    Parameters
    ----------
    h : (P, K, S) states, x : (P, K, M) inputs (K points per network)

    Returns
    -------
    J_h : (P, K, S, S) with ``J_h[p, k, i, j] = dF_i / dh_j``
    J_x : (P, K, S, M) with ``J_x[p, k, i, j] = dF_i / dx_j``

    Written out per cell from the equations in this module's docstring (a few
    element-wise products and, for the GRU, one N x N product per point), which costs
    O(K N^2) where a reverse pass over tiled copies (:func:`tiled_jacobians`, the
    reference the tests compare with) costs a full backward pass per row.
    """
    h = tf.convert_to_tensor(h, tf.float32)
    x = tf.convert_to_tensor(x, tf.float32)
    s = h.shape[-1]
    chunked = _in_point_chunks(lambda hh, xx: jacobians(spec, params, hh, xx), h, x, s * s, JACOBIAN_ENTRIES)
    if chunked is not None:
        return chunked
    n, act, arch = spec.units, spec.activation, spec.arch
    phi = _phi(act)
    Wx, Wh = params["W_x"], params["W_h"]
    u = input_projection(spec, params, x)
    if arch == "vanilla":
        d = dphi(act, phi(u + _matmul(h, Wh)))
        return _cols(d, Wh), _cols(d, Wx)
    if arch == "ugrnn":
        z = u + _matmul(h, Wh)
        g, c = tf.sigmoid(z[..., :n]), phi(z[..., n:])
        a1, a2 = (h - c) * g * (1.0 - g), (1.0 - g) * dphi(act, c)
        j_h = tf.linalg.diag(g) + _cols(a1, Wh[..., :n]) + _cols(a2, Wh[..., n:])
        return j_h, _cols(a1, Wx[..., :n]) + _cols(a2, Wx[..., n:])
    if arch == "gru":
        Wc = params["W_hc"]
        z = u[..., : 2 * n] + _matmul(h, Wh)
        r, upd = tf.sigmoid(z[..., :n]), tf.sigmoid(z[..., n:])
        c = phi(u[..., 2 * n:] + _matmul(r * h, Wc))
        b1, b2 = (h - c) * upd * (1.0 - upd), (1.0 - upd) * dphi(act, c)
        sr = h * r * (1.0 - r)  # d(r_m h_m)/dz_m through the reset gate
        # d a_j / d h_i = r_i Wc[i, j] + sum_m Wh_r[i, m] sr_m Wc[m, j]  (a: candidate pre-activation)
        da_dh = r[..., :, None] * Wc[:, None] + tf.matmul(Wh[:, None, :, :n] * sr[:, :, None, :], Wc[:, None])
        da_dx = Wx[:, None, :, 2 * n:] + tf.matmul(Wx[:, None, :, :n] * sr[:, :, None, :], Wc[:, None])
        j_h = tf.linalg.diag(upd) + _cols(b1, Wh[..., n:]) + b2[..., :, None] * tf.linalg.matrix_transpose(da_dh)
        j_x = _cols(b1, Wx[..., n: 2 * n]) + b2[..., :, None] * tf.linalg.matrix_transpose(da_dx)
        return j_h, j_x
    # lstm, state [h; c], gates i, f, o, g
    hh, cc = h[..., :n], h[..., n:]
    z = u + _matmul(hh, Wh)
    i, f, o = tf.sigmoid(z[..., :n]), tf.sigmoid(z[..., n: 2 * n]), tf.sigmoid(z[..., 2 * n: 3 * n])
    g = phi(z[..., 3 * n:])
    c_new = f * cc + i * g
    pc = phi(c_new)
    ai, af, ao, ag = g * i * (1.0 - i), cc * f * (1.0 - f), pc * o * (1.0 - o), i * dphi(act, g)
    k_o = o * dphi(act, pc)  # dh'/dc'

    def through(W):  # (dc'/d., dh'/d.) for a (P, ., 4N) weight
        dc = _cols(ai, W[..., :n]) + _cols(af, W[..., n: 2 * n]) + _cols(ag, W[..., 3 * n:])
        return dc, _cols(ao, W[..., 2 * n: 3 * n]) + k_o[..., :, None] * dc

    dc_dh, dh_dh = through(Wh)
    dc_dc, dh_dc = tf.linalg.diag(f), tf.linalg.diag(k_o * f)
    j_h = tf.concat([tf.concat([dh_dh, dh_dc], axis=-1), tf.concat([dc_dh, dc_dc], axis=-1)], axis=-2)
    dc_dx, dh_dx = through(Wx)
    return j_h, tf.concat([dh_dx, dc_dx], axis=-2)


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
