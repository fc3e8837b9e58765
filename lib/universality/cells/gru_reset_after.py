"""The GRU with the reset gate applied AFTER the recurrent matrix: the variant of PyTorch's
``nn.GRU`` and of Keras' ``GRU(reset_after=True)`` (the TensorFlow 2 default), so that
users' networks import exactly.  Not one of the paper's architectures (``cells.ARCHS``)."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from . import ops
from .base import Cell, register

__all__ = ["GRUResetAfter"]


@register
class GRUResetAfter(Cell):
    """GRU, reset gate after the recurrent matmul (arch ``'gru_ra'``).

    Blocks [r, u, c] of the input projection (W_x (M, 3N), b (3N,)) and of ONE
    recurrent matrix W_h (N, 3N); the candidate's recurrent bias ``b_hc`` (N,) sits
    inside the reset gate's product::

        r  = sigma(x W_rx + b_r + h W_rh)
        u  = sigma(x W_ux + b_u + h W_uh)
        c  = phi(x W_cx + b_c + r * (h W_ch + b_hc))
        h' = u * h + (1 - u) * c

    ``u`` is the fraction of the old state kept (PyTorch's and Keras' ``z``: both write
    ``h' = z * h + (1 - z) * n``).  The recurrent biases of the gates add to ``b``
    (only the candidate's cannot: the reset gate multiplies it).  Initialisation as the
    paper's GRU: W_x Glorot, three orthogonal blocks in W_h, biases zero.

    Jacobians, with ``v = h W_ch + b_hc``, ``b1 = (h - c) u (1 - u)`` and
    ``b2 = (1 - u) phi'(c)``::

        dF_i/dh_j = u_i [i = j] + b1_i W_uh[j, i] + b2_i (r_i W_ch[j, i] + v_i r_i (1 - r_i) W_rh[j, i])
    """

    arch = "gru_ra"
    n_gates = 3

    def recurrent_shapes(self):
        n = self.n
        return {"W_h": (n, 3 * n),  # reset, update and candidate blocks
                "b_hc": (n,)}  # the candidate's recurrent bias, inside r * ( )

    def init_recurrent(self, rng, shapes):
        p = super().init_recurrent(rng, shapes)
        p["b_hc"] = np.zeros(shapes["b_hc"])
        return p

    def _gates(self, params, h, u):
        """(r, upd, v, c) at state h and projected input u."""
        n = self.n
        hw = ops.matmul(h, params["W_h"])
        r = tf.sigmoid(u[..., :n] + hw[..., :n])
        upd = tf.sigmoid(u[..., n: 2 * n] + hw[..., n: 2 * n])
        v = hw[..., 2 * n:] + ops.bias(params["b_hc"], hw.shape.rank)
        c = self.phi(u[..., 2 * n:] + r * v)
        return r, upd, v, c

    def step_projected(self, params, h, u):
        _, upd, _, c = self._gates(params, h, u)
        return upd * h + (1.0 - upd) * c

    def jacobians(self, params, h, x):
        n, act = self.n, self.activation
        Wx, Wh = params["W_x"], params["W_h"]
        r, upd, v, c = self._gates(params, h, self.project(params, x))
        b1, b2 = (h - c) * upd * (1.0 - upd), (1.0 - upd) * ops.dphi(act, c)
        b3 = b2 * v * ops.dsig(r)  # through the reset gate
        j_h = (tf.linalg.diag(upd) + ops.cols(b1, Wh[..., n: 2 * n]) + ops.cols(b2 * r, Wh[..., 2 * n:])
               + ops.cols(b3, Wh[..., :n]))
        j_x = ops.cols(b1, Wx[..., n: 2 * n]) + ops.cols(b2, Wx[..., 2 * n:]) + ops.cols(b3, Wx[..., :n])
        return j_h, j_x

    def bptt(self, params, u_tpbk, inj_fn, elems, split, keep):
        n, phi, act = self.n, self.phi, self.activation
        W, b_hc = params["W_h"], params["b_hc"][:, None, :]
        zeros_n = self.zeros_n(u_tpbk)

        def fwd(c, el):
            u, m = split(el)
            h = c[0]
            hw = ops.mm(h, W)
            r = tf.sigmoid(u[..., :n] + hw[..., :n])
            upd = tf.sigmoid(u[..., n: 2 * n] + hw[..., n: 2 * n])
            v = hw[..., 2 * n:] + b_hc
            cand = phi(u[..., 2 * n:] + r * v)
            return keep(m, upd * h + (1.0 - upd) * cand), r, upd, v, cand

        H, R, U, V, C = tf.scan(fwd, elems, initializer=(zeros_n,) * 5)
        yhat, inj = inj_fn(H)
        Hp = ops.shift(H)

        def bwd(carry, el):
            dh, _, _ = carry
            g_in, r, upd, v, cand, hp = el
            gr = g_in + dh
            da = gr * (1.0 - upd) * ops.dphi(act, cand)  # candidate pre-activation
            dz = tf.concat([da * v * ops.dsig(r), gr * (hp - cand) * ops.dsig(upd), da * r], axis=-1)  # of h W_h
            return gr * upd + ops.mm_t(dz, W), dz, da

        zeros_3n = tf.concat([zeros_n] * 3, axis=-1)
        _, DZ, DA = tf.scan(bwd, (inj, R, U, V, C, Hp), initializer=(zeros_n, zeros_3n, zeros_n), reverse=True)
        grads = {"W_h": ops.contract(Hp, DZ), "b_hc": tf.reduce_sum(DZ[..., 2 * n:], axis=[0, 2])}
        return H, yhat, tf.concat([DZ[..., : 2 * n], DA], axis=-1), grads
