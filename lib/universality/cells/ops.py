"""The few tensor operations every cell is written with, batched over the population axis.

Shapes: ``P`` networks, ``...`` any middle axes (batch, points), ``K``/``J`` widths.
Derivatives of the nonlinearities are taken from their OUTPUTS, as TensorFlow's own
gradients do: tanh' = 1 - y^2, sigma' = y (1 - y), relu' = [y > 0].
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

__all__ = ["phi", "dphi", "dsig", "matmul", "bias", "cols", "mm", "mm_t", "contract", "shift", "glorot",
           "orthogonal"]


def phi(activation: str):
    """The non-gate nonlinearity: ``tf.nn.relu`` or ``tf.tanh``."""
    return tf.nn.relu if activation == "relu" else tf.tanh


def dphi(activation: str, y):
    """phi' at the point where phi took the value y (as TensorFlow's own gradients)."""
    return tf.cast(y > 0, y.dtype) if activation == "relu" else 1.0 - tf.square(y)


def dsig(y):
    """sigma' at the point where the sigmoid took the value y."""
    return y * (1.0 - y)


def matmul(a, b):
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


def bias(b, rank: int):
    """Broadcast a (P, K) bias against a (P, ..., K) tensor of the given rank."""
    return tf.reshape(b, tf.concat([tf.shape(b)[:1], tf.ones([rank - 2], tf.int32), tf.shape(b)[1:]], 0))


def cols(a_pkj, w_pij):
    """J[p, k, j, i] = a[p, k, j] * w[p, i, j]: a weight block, each output column j
    scaled by a per-point factor, arranged as (output, input)."""
    return tf.einsum("pkj,pij->pkji", a_pkj, w_pij)


def mm(a, w):
    """(P, B, K) x (P, K, J) -> (P, B, J)."""
    return tf.matmul(a, w)


def mm_t(a, w):
    """(P, B, J) x (P, K, J)^T -> (P, B, K)."""
    return tf.matmul(a, w, transpose_b=True)


def contract(a_tpbi, b_tpbj):
    """sum over steps and trials of a^T b, per network: (P, I, J)."""
    return tf.einsum("tpbi,tpbj->pij", a_tpbi, b_tpbj)


def shift(h_tpbs):
    """The states before each step: h_0 = 0, h_1, ..., h_{T-1}."""
    return tf.concat([tf.zeros_like(h_tpbs[:1]), h_tpbs[:-1]], axis=0)


def orthogonal(rng: np.random.Generator, n: int) -> np.ndarray:
    """An N x N orthogonal matrix: Q of the QR of a Gaussian matrix, signs fixed by R."""
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def glorot(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Glorot-uniform: U(-l, l) with l = sqrt(6 / (fan_in + fan_out))."""
    limit = np.sqrt(6.0 / (shape[0] + shape[1]))
    return rng.uniform(-limit, limit, size=shape)
