"""Backpropagation through time written out for the four cells (no GradientTape).

``loss_and_grads`` returns the same loss and gradients as ``tf.GradientTape`` on
``cells.run`` + ``cells.readout`` (tested to float32 round-off for every cell and
activation), computed in a way that suits small recurrent networks:

* the forward pass keeps the gate values of every step (no recomputation);
* the backward pass carries only ``dL/dh`` through time: one small matmul per step
  (two for the GRU, whose candidate reads ``r * h`` through its own matrix), the same
  as the forward pass;
* the weight gradients are not accumulated step by step: the per-step gradients of the
  pre-activations are kept and contracted with the inputs and states of all T steps
  and B trials at once, one large matmul per weight matrix;
* the readout's gradient, injected at every step, is one matmul over all steps before
  the backward loop starts.

Autodiff through ``tf.scan`` instead accumulates every weight gradient inside the loop
(one small matmul and one add per matrix and step) and dispatches the loop's gradient
bookkeeping op by op.  Derivatives of the nonlinearities are taken from their outputs,
as TensorFlow's own gradients do: tanh' = 1 - y^2, sigma' = y (1 - y), relu' = [y > 0].

Every op is a plain TensorFlow op with no device placement, so the same code runs on a
GPU; ``training`` compiles it with XLA.
"""

from __future__ import annotations

import tensorflow as tf

from . import cells

__all__ = ["loss_and_grads"]


def _dsig(y):
    return y * (1.0 - y)


def _mm(a, w):
    """(P, B, K) x (P, K, J) -> (P, B, J)."""
    return tf.matmul(a, w)


def _mm_t(a, w):
    """(P, B, J) x (P, K, J)^T -> (P, B, K)."""
    return tf.matmul(a, w, transpose_b=True)


def _contract(a_tpbi, b_tpbj):
    """sum over steps and trials of a^T b, per network: (P, I, J)."""
    return tf.einsum("tpbi,tpbj->pij", a_tpbi, b_tpbj)


def _shift(h_tpbs):
    """The states before each step: h_0 = 0, h_1, ..., h_{T-1}."""
    return tf.concat([tf.zeros_like(h_tpbs[:1]), h_tpbs[:-1]], axis=0)


def _forward_backward(spec: cells.CellSpec, params, u_tpbk, inj_fn, m_t111=None):
    """Run the cell forward over T steps, then backward with the readout's gradient.

    ``inj_fn(h_tpbn)`` returns (readout values (T,P,B,O), dL/dh_t injected by the
    readout (T,P,B,N)).  Returns (h_tpbn, yhat, du_tpbk, recurrent weight grads dict).
    ``m_t111``: optional (T, 1, 1, 1) 1/0 mask of the steps that count; the state of a
    masked (padding) step is set to 0, so padding after the last real step stays finite
    (a relu network's autonomous state may grow without bound) and, since nothing is
    injected there, contributes exactly 0 to every gradient.
    """
    if m_t111 is None:
        return _run(spec, params, u_tpbk, inj_fn, u_tpbk, lambda m, v: v)
    return _run(spec, params, u_tpbk, inj_fn, (u_tpbk, m_t111), lambda m, v: m * v)


def _run(spec, params, u_tpbk, inj_fn, elems, keep):
    """The forward and backward passes; ``elems`` are the forward scan's elements (the
    inputs, or (inputs, mask)) and ``keep(m, state)`` applies the mask to a new state."""
    split = (lambda el: el) if isinstance(elems, tuple) else (lambda el: (el, None))
    n = spec.units
    arch = spec.arch
    act = spec.activation
    phi = tf.nn.relu if act == "relu" else tf.tanh
    shape = tf.shape(u_tpbk)
    zeros_n = tf.zeros(tf.stack([shape[1], shape[2], n]), u_tpbk.dtype)
    W = params["W_h"]

    if arch == "vanilla":
        def fwd(h, el):
            u, m = split(el)
            return keep(m, phi(u + _mm(h, W)))

        H = tf.scan(fwd, elems, initializer=zeros_n)
        yhat, inj = inj_fn(H)

        def bwd(carry, el):
            dh, _ = carry
            g_in, h = el
            da = (g_in + dh) * cells.dphi(act, h)
            return _mm_t(da, W), da

        _, DA = tf.scan(bwd, (inj, H), initializer=(zeros_n, zeros_n), reverse=True)
        return H, yhat, DA, {"W_h": _contract(_shift(H), DA)}

    if arch == "ugrnn":
        def fwd(c, el):
            u, m = split(el)
            h = c[0]
            z = u + _mm(h, W)
            g = tf.sigmoid(z[..., :n])
            cand = phi(z[..., n:])
            return keep(m, g * h + (1.0 - g) * cand), g, cand

        H, Gt, C = tf.scan(fwd, elems, initializer=(zeros_n, zeros_n, zeros_n))
        yhat, inj = inj_fn(H)
        Hp = _shift(H)

        def bwd(carry, el):
            dh, _ = carry
            g_in, g, cand, hp = el
            gr = g_in + dh
            dz = tf.concat([gr * (hp - cand) * _dsig(g), gr * (1.0 - g) * cells.dphi(act, cand)], axis=-1)
            return gr * g + _mm_t(dz, W), dz

        zeros_2n = tf.concat([zeros_n, zeros_n], axis=-1)
        _, DZ = tf.scan(bwd, (inj, Gt, C, Hp), initializer=(zeros_n, zeros_2n), reverse=True)
        return H, yhat, DZ, {"W_h": _contract(Hp, DZ)}

    if arch == "gru":
        Wc = params["W_hc"]

        def fwd(c, el):
            u, m = split(el)
            h = c[0]
            z = u[..., : 2 * n] + _mm(h, W)
            r = tf.sigmoid(z[..., :n])
            upd = tf.sigmoid(z[..., n:])
            cand = phi(u[..., 2 * n:] + _mm(r * h, Wc))
            return keep(m, upd * h + (1.0 - upd) * cand), r, upd, cand

        H, R, U, C = tf.scan(fwd, elems, initializer=(zeros_n, zeros_n, zeros_n, zeros_n))
        yhat, inj = inj_fn(H)
        Hp = _shift(H)

        def bwd(carry, el):
            dh, _ = carry
            g_in, r, upd, cand, hp = el
            gr = g_in + dh
            da = gr * (1.0 - upd) * cells.dphi(act, cand)
            drh = _mm_t(da, Wc)
            dz = tf.concat([drh * hp * _dsig(r), gr * (hp - cand) * _dsig(upd)], axis=-1)
            return gr * upd + drh * r + _mm_t(dz, W), tf.concat([dz, da], axis=-1)

        zeros_3n = tf.concat([zeros_n, zeros_n, zeros_n], axis=-1)
        _, DU = tf.scan(bwd, (inj, R, U, C, Hp), initializer=(zeros_n, zeros_3n), reverse=True)
        grads = {"W_h": _contract(Hp, DU[..., : 2 * n]), "W_hc": _contract(R * Hp, DU[..., 2 * n:])}
        return H, yhat, DU, grads

    # lstm: state [h; c]
    def fwd(c, el):
        u, m = split(el)
        h, cc = c[0], c[1]
        z = u + _mm(h, W)
        i = tf.sigmoid(z[..., :n])
        f = tf.sigmoid(z[..., n: 2 * n])
        o = tf.sigmoid(z[..., 2 * n: 3 * n])
        g = phi(z[..., 3 * n:])
        c_new = keep(m, f * cc + i * g)
        pc = phi(c_new)
        return keep(m, o * pc), c_new, i, f, o, g, pc

    H, Cs, I, F, O, Gg, PC = tf.scan(fwd, elems, initializer=(zeros_n,) * 7)
    yhat, inj = inj_fn(H)
    Cp = _shift(Cs)

    def bwd(carry, el):
        dh, dc, _ = carry
        g_in, cp, i, f, o, g, pc = el
        gh = g_in + dh
        dcn = dc + gh * o * cells.dphi(act, pc)
        dz = tf.concat([dcn * g * _dsig(i), dcn * cp * _dsig(f), gh * pc * _dsig(o),
                        dcn * i * cells.dphi(act, g)], axis=-1)
        return _mm_t(dz, W), dcn * f, dz

    zeros_4n = tf.concat([zeros_n] * 4, axis=-1)
    _, _, DZ = tf.scan(bwd, (inj, Cp, I, F, O, Gg, PC), initializer=(zeros_n, zeros_n, zeros_4n), reverse=True)
    return H, yhat, DZ, {"W_h": _contract(_shift(H), DZ)}


def loss_and_grads(spec: cells.CellSpec, params, x_pbtm, y_pbto, l2, n_valid=None):
    """Mean squared error, L2-penalised loss and its gradients for P networks.

    Parameters
    ----------
    params : dict of (P, ...) tensors or variables (``cells.param_shapes``)
    x_pbtm : (P, B, T, M) inputs; y_pbto : (P, B, T, O) targets; the initial state is 0
    l2 : (P,) L2 coefficients (the penalty is l2 * sum of squares of every weight matrix)
    n_valid : optional scalar (a tensor, so that one compiled program serves every value):
        only the first ``n_valid`` steps count, the rest is padding.  The loss and the
        gradients are those of the trials cut to ``n_valid`` steps (to round-off: the
        network is causal, and the padding's states are held at 0 and its errors masked),
        so a curriculum of many trial lengths runs as a few padded lengths.

    Returns
    -------
    mse : (P,) mean over trials, steps and outputs of (yhat - y)^2
    loss : (P,) mse + l2 * penalty
    grads : dict name -> (P, ...) gradient of ``sum(loss)`` (network p's gradient is
        that of its own loss)
    """
    x_pbtm = tf.convert_to_tensor(x_pbtm, tf.float32)
    y_tpbo = tf.transpose(tf.convert_to_tensor(y_pbto, tf.float32), [2, 0, 1, 3])
    x_tpbm = tf.transpose(x_pbtm, [2, 0, 1, 3])
    W_out, b_out = params["W_out"], params["b_out"]
    shape = tf.shape(y_tpbo)
    if n_valid is None:
        mask, n_t = None, shape[0]
    else:
        n_t = tf.cast(n_valid, tf.int32)
        mask = tf.reshape(tf.cast(tf.range(shape[0]) < n_t, tf.float32), [-1, 1, 1, 1])
    count = tf.cast(n_t * shape[2] * shape[3], tf.float32)  # T * B * O per network
    u = tf.einsum("tpbm,pmk->tpbk", x_tpbm, params["W_x"]) + params["b"][None, :, None, :]

    def masked(e):
        return e if mask is None else e * mask

    def inj_fn(H):
        yhat = tf.einsum("tpbn,pno->tpbo", H, W_out) + b_out[None, :, None, :]
        dy = masked(2.0 * (yhat - y_tpbo) / count)
        return yhat, tf.einsum("tpbo,pno->tpbn", dy, W_out)

    H, yhat, DU, grads = _forward_backward(spec, params, u, inj_fn, mask)
    err = masked(yhat - y_tpbo)
    mse = tf.reduce_sum(tf.square(err), axis=[0, 2, 3]) / count
    dy = 2.0 * err / count
    grads["W_out"] = _contract(H, dy)
    grads["b_out"] = tf.reduce_sum(dy, axis=[0, 2])
    grads["W_x"] = _contract(x_tpbm, DU)
    grads["b"] = tf.reduce_sum(DU, axis=[0, 2])
    l2 = tf.convert_to_tensor(l2, tf.float32)
    pen = tf.zeros_like(mse)
    for k in cells.regularised_names(spec):
        w = tf.convert_to_tensor(params[k])
        pen += tf.reduce_sum(tf.reshape(tf.square(w), [tf.shape(w)[0], -1]), axis=1)
        grads[k] = grads[k] + 2.0 * tf.reshape(l2, [-1, 1, 1]) * w
    return mse, mse + l2 * pen, {k: grads[k] for k in params}
