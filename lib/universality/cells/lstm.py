"""The LSTM (Hochreiter & Schmidhuber 1997) on the flat state [h; c]."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from . import ops
from .base import Cell, register

__all__ = ["LSTM"]


@register
class LSTM(Cell):
    """LSTM, state ``[h; c]`` (2N entries), gate blocks in the order **i, f, o, g** (of
    ``u``, of W_x (M, 4N) and of W_h (N, 4N))::

        i, f, o = sigma(x W_{i,f,o} + h W_h{i,f,o} + b_{i,f,o})
        g  = phi(x W_g + h W_hg + b_g)
        c' = f * c + i * g
        h' = o * phi(c')

    Initial forget-gate bias 1 (the Keras default), other biases 0.
    """

    arch = "lstm"
    n_gates = 4
    state_blocks = 2

    def init_bias(self, shape) -> np.ndarray:
        b = np.zeros(shape)
        b[self.n : 2 * self.n] = 1.0  # forget gate (order i, f, o, g)
        return b

    def step_projected(self, params, h, u):
        n, phi = self.n, self.phi
        hh, cc = h[..., :n], h[..., n:]
        z = u + ops.matmul(hh, params["W_h"])
        i = tf.sigmoid(z[..., :n])
        f = tf.sigmoid(z[..., n : 2 * n])
        o = tf.sigmoid(z[..., 2 * n : 3 * n])
        g = phi(z[..., 3 * n :])
        c_new = f * cc + i * g
        h_new = o * phi(c_new)
        return tf.concat([h_new, c_new], axis=-1)

    def jacobians(self, params, h, x):
        n, act, phi = self.n, self.activation, self.phi
        Wx, Wh = params["W_x"], params["W_h"]
        hh, cc = h[..., :n], h[..., n:]
        z = self.project(params, x) + ops.matmul(hh, Wh)
        i, f, o = tf.sigmoid(z[..., :n]), tf.sigmoid(z[..., n: 2 * n]), tf.sigmoid(z[..., 2 * n: 3 * n])
        g = phi(z[..., 3 * n:])
        c_new = f * cc + i * g
        pc = phi(c_new)
        ai, af, ao, ag = g * i * (1.0 - i), cc * f * (1.0 - f), pc * o * (1.0 - o), i * ops.dphi(act, g)
        k_o = o * ops.dphi(act, pc)  # dh'/dc'

        def through(W):  # (dc'/d., dh'/d.) for a (P, ., 4N) weight
            dc = ops.cols(ai, W[..., :n]) + ops.cols(af, W[..., n: 2 * n]) + ops.cols(ag, W[..., 3 * n:])
            return dc, ops.cols(ao, W[..., 2 * n: 3 * n]) + k_o[..., :, None] * dc

        dc_dh, dh_dh = through(Wh)
        dc_dc, dh_dc = tf.linalg.diag(f), tf.linalg.diag(k_o * f)
        j_h = tf.concat([tf.concat([dh_dh, dh_dc], axis=-1), tf.concat([dc_dh, dc_dc], axis=-1)], axis=-2)
        dc_dx, dh_dx = through(Wx)
        return j_h, tf.concat([dh_dx, dc_dx], axis=-2)

    def bptt(self, params, u_tpbk, inj_fn, elems, split, keep):
        n, phi, act, W = self.n, self.phi, self.activation, params["W_h"]
        zeros_n = self.zeros_n(u_tpbk)

        def fwd(c, el):
            u, m = split(el)
            h, cc = c[0], c[1]
            z = u + ops.mm(h, W)
            i = tf.sigmoid(z[..., :n])
            f = tf.sigmoid(z[..., n: 2 * n])
            o = tf.sigmoid(z[..., 2 * n: 3 * n])
            g = phi(z[..., 3 * n:])
            c_new = keep(m, f * cc + i * g)
            pc = phi(c_new)
            return keep(m, o * pc), c_new, i, f, o, g, pc

        H, Cs, I, F, O, Gg, PC = tf.scan(fwd, elems, initializer=(zeros_n,) * 7)
        yhat, inj = inj_fn(H)
        Cp = ops.shift(Cs)

        def bwd(carry, el):
            dh, dc, _ = carry
            g_in, cp, i, f, o, g, pc = el
            gh = g_in + dh
            dcn = dc + gh * o * ops.dphi(act, pc)
            dz = tf.concat([dcn * g * ops.dsig(i), dcn * cp * ops.dsig(f), gh * pc * ops.dsig(o),
                            dcn * i * ops.dphi(act, g)], axis=-1)
            return ops.mm_t(dz, W), dcn * f, dz

        zeros_4n = tf.concat([zeros_n] * 4, axis=-1)
        _, _, DZ = tf.scan(bwd, (inj, Cp, I, F, O, Gg, PC), initializer=(zeros_n, zeros_n, zeros_4n), reverse=True)
        return H, yhat, DZ, {"W_h": ops.contract(ops.shift(H), DZ)}
