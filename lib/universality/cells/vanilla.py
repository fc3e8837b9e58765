"""The vanilla RNN: ``h' = phi(x W_x + h W_h + b)``."""

from __future__ import annotations

import tensorflow as tf

from . import ops
from .base import Cell, register

__all__ = ["Vanilla"]


@register
class Vanilla(Cell):
    """Vanilla RNN (one block): ``h' = phi(x W_x + h W_h + b)``, W_h (N, N).

    Jacobians: ``J_h = diag(phi'(a)) W_h^T``, ``J_x = diag(phi'(a)) W_x^T``.
    """

    arch = "vanilla"
    n_gates = 1

    def step_projected(self, params, h, u):
        return self.phi(u + ops.matmul(h, params["W_h"]))

    def jacobians(self, params, h, x):
        Wx, Wh = params["W_x"], params["W_h"]
        u = self.project(params, x)
        d = ops.dphi(self.activation, self.phi(u + ops.matmul(h, Wh)))
        return ops.cols(d, Wh), ops.cols(d, Wx)

    def bptt(self, params, u_tpbk, inj_fn, elems, split, keep):
        phi, act, W = self.phi, self.activation, params["W_h"]
        zeros_n = self.zeros_n(u_tpbk)

        def fwd(h, el):
            u, m = split(el)
            return keep(m, phi(u + ops.mm(h, W)))

        H = tf.scan(fwd, elems, initializer=zeros_n)
        yhat, inj = inj_fn(H)

        def bwd(carry, el):
            dh, _ = carry
            g_in, h = el
            da = (g_in + dh) * ops.dphi(act, h)
            return ops.mm_t(da, W), da

        _, DA = tf.scan(bwd, (inj, H), initializer=(zeros_n, zeros_n), reverse=True)
        return H, yhat, DA, {"W_h": ops.contract(ops.shift(H), DA)}
