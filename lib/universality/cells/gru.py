"""The gated recurrent unit (Cho et al. 2014) as the paper uses it: the reset gate is
applied to the state BEFORE the candidate's recurrent matrix."""

from __future__ import annotations

import tensorflow as tf

from . import ops
from .base import Cell, register

__all__ = ["GRU"]


@register
class GRU(Cell):
    """GRU, blocks [r, u, c] of the input projection (W_x (M, 3N), b (3N,)); the gates'
    recurrent weights W_h (N, 2N) in the order [r, u]; the candidate's W_hc (N, N)::

        r  = sigma(x W_rx + h W_rh + b_r)
        u  = sigma(x W_ux + h W_uh + b_u)
        c  = phi(x W_cx + (r * h) W_hc + b_c)
        h' = u * h + (1 - u) * c

    ``u`` is the fraction of the old state kept (``u = 1`` holds the state).
    """

    arch = "gru"
    n_gates = 3

    def recurrent_shapes(self):
        n = self.n
        return {"W_h": (n, 2 * n),  # reset and update gates
                "W_hc": (n, n)}  # candidate, applied to r * h

    def init_recurrent(self, rng, shapes):
        p = super().init_recurrent(rng, shapes)
        p["W_hc"] = ops.orthogonal(rng, self.n)
        return p

    def step_projected(self, params, h, u):
        n = self.n
        z = u[..., : 2 * n] + ops.matmul(h, params["W_h"])
        r = tf.sigmoid(z[..., :n])
        upd = tf.sigmoid(z[..., n:])
        c = self.phi(u[..., 2 * n :] + ops.matmul(r * h, params["W_hc"]))
        return upd * h + (1.0 - upd) * c

    def jacobians(self, params, h, x):
        n, act = self.n, self.activation
        Wx, Wh, Wc = params["W_x"], params["W_h"], params["W_hc"]
        u = self.project(params, x)
        z = u[..., : 2 * n] + ops.matmul(h, Wh)
        r, upd = tf.sigmoid(z[..., :n]), tf.sigmoid(z[..., n:])
        c = self.phi(u[..., 2 * n:] + ops.matmul(r * h, Wc))
        b1, b2 = (h - c) * upd * (1.0 - upd), (1.0 - upd) * ops.dphi(act, c)
        sr = h * r * (1.0 - r)  # d(r_m h_m)/dz_m through the reset gate
        # d a_j / d h_i = r_i Wc[i, j] + sum_m Wh_r[i, m] sr_m Wc[m, j]  (a: candidate pre-activation)
        da_dh = r[..., :, None] * Wc[:, None] + tf.matmul(Wh[:, None, :, :n] * sr[:, :, None, :], Wc[:, None])
        da_dx = Wx[:, None, :, 2 * n:] + tf.matmul(Wx[:, None, :, :n] * sr[:, :, None, :], Wc[:, None])
        j_h = tf.linalg.diag(upd) + ops.cols(b1, Wh[..., n:]) + b2[..., :, None] * tf.linalg.matrix_transpose(da_dh)
        j_x = ops.cols(b1, Wx[..., n: 2 * n]) + b2[..., :, None] * tf.linalg.matrix_transpose(da_dx)
        return j_h, j_x

    def bptt(self, params, u_tpbk, inj_fn, elems, split, keep):
        n, phi, act = self.n, self.phi, self.activation
        W, Wc = params["W_h"], params["W_hc"]
        zeros_n = self.zeros_n(u_tpbk)

        def fwd(c, el):
            u, m = split(el)
            h = c[0]
            z = u[..., : 2 * n] + ops.mm(h, W)
            r = tf.sigmoid(z[..., :n])
            upd = tf.sigmoid(z[..., n:])
            cand = phi(u[..., 2 * n:] + ops.mm(r * h, Wc))
            return keep(m, upd * h + (1.0 - upd) * cand), r, upd, cand

        H, R, U, C = tf.scan(fwd, elems, initializer=(zeros_n, zeros_n, zeros_n, zeros_n))
        yhat, inj = inj_fn(H)
        Hp = ops.shift(H)

        def bwd(carry, el):
            dh, _ = carry
            g_in, r, upd, cand, hp = el
            gr = g_in + dh
            da = gr * (1.0 - upd) * ops.dphi(act, cand)
            drh = ops.mm_t(da, Wc)
            dz = tf.concat([drh * hp * ops.dsig(r), gr * (hp - cand) * ops.dsig(upd)], axis=-1)
            return gr * upd + drh * r + ops.mm_t(dz, W), tf.concat([dz, da], axis=-1)

        zeros_3n = tf.concat([zeros_n, zeros_n, zeros_n], axis=-1)
        _, DU = tf.scan(bwd, (inj, R, U, C, Hp), initializer=(zeros_n, zeros_3n), reverse=True)
        grads = {"W_h": ops.contract(Hp, DU[..., : 2 * n]), "W_hc": ops.contract(R * Hp, DU[..., 2 * n:])}
        return H, yhat, DU, grads
