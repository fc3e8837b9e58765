"""The update-gate RNN (UGRNN; Collins, Sohl-Dickstein & Sussillo 2017)."""

from __future__ import annotations

import tensorflow as tf

from . import ops
from .base import Cell, register

__all__ = ["UGRNN"]


@register
class UGRNN(Cell):
    """UGRNN, blocks [g, c] of ``u`` and of W_h (N, 2N)::

        g  = sigma(x W_gx + h W_gh + b_g)
        c  = phi(x W_cx + h W_ch + b_c)
        h' = g * h + (1 - g) * c
    """

    arch = "ugrnn"
    n_gates = 2

    def step_projected(self, params, h, u):
        n = self.n
        z = u + ops.matmul(h, params["W_h"])
        g = tf.sigmoid(z[..., :n])
        c = self.phi(z[..., n:])
        return g * h + (1.0 - g) * c

    def jacobians(self, params, h, x):
        n, act = self.n, self.activation
        Wx, Wh = params["W_x"], params["W_h"]
        z = self.project(params, x) + ops.matmul(h, Wh)
        g, c = tf.sigmoid(z[..., :n]), self.phi(z[..., n:])
        a1, a2 = (h - c) * g * (1.0 - g), (1.0 - g) * ops.dphi(act, c)
        j_h = tf.linalg.diag(g) + ops.cols(a1, Wh[..., :n]) + ops.cols(a2, Wh[..., n:])
        return j_h, ops.cols(a1, Wx[..., :n]) + ops.cols(a2, Wx[..., n:])

    def bptt(self, params, u_tpbk, inj_fn, elems, split, keep):
        n, phi, act, W = self.n, self.phi, self.activation, params["W_h"]
        zeros_n = self.zeros_n(u_tpbk)

        def fwd(c, el):
            u, m = split(el)
            h = c[0]
            z = u + ops.mm(h, W)
            g = tf.sigmoid(z[..., :n])
            cand = phi(z[..., n:])
            return keep(m, g * h + (1.0 - g) * cand), g, cand

        H, Gt, C = tf.scan(fwd, elems, initializer=(zeros_n, zeros_n, zeros_n))
        yhat, inj = inj_fn(H)
        Hp = ops.shift(H)

        def bwd(carry, el):
            dh, _ = carry
            g_in, g, cand, hp = el
            gr = g_in + dh
            dz = tf.concat([gr * (hp - cand) * ops.dsig(g), gr * (1.0 - g) * ops.dphi(act, cand)], axis=-1)
            return gr * g + ops.mm_t(dz, W), dz

        zeros_2n = tf.concat([zeros_n, zeros_n], axis=-1)
        _, DZ = tf.scan(bwd, (inj, Gt, C, Hp), initializer=(zeros_n, zeros_2n), reverse=True)
        return H, yhat, DZ, {"W_h": ops.contract(Hp, DZ)}
