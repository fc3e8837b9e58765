"""Backpropagation through time written out for the cells (no GradientTape).

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
GPU; ``training`` compiles it with XLA.  The per-cell forward and backward scans are the
cells' own (:meth:`universality.cells.Cell.forward_backward`); this module adds the readout,
the loss, the input-side gradients and the L2 penalty, which every cell shares.
"""

from __future__ import annotations

import tensorflow as tf

from . import cells
from .cells import ops

__all__ = ["loss_and_grads"]


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

    H, yhat, DU, grads = cells.cell_for(spec).forward_backward(params, u, inj_fn, mask)
    err = masked(yhat - y_tpbo)
    mse = tf.reduce_sum(tf.square(err), axis=[0, 2, 3]) / count
    dy = 2.0 * err / count
    grads["W_out"] = ops.contract(H, dy)
    grads["b_out"] = tf.reduce_sum(dy, axis=[0, 2])
    grads["W_x"] = ops.contract(x_tpbm, DU)
    grads["b"] = tf.reduce_sum(DU, axis=[0, 2])
    l2 = tf.convert_to_tensor(l2, tf.float32)
    pen = tf.zeros_like(mse)
    for k in cells.regularised_names(spec):
        w = tf.convert_to_tensor(params[k])
        pen += tf.reduce_sum(tf.reshape(tf.square(w), [tf.shape(w)[0], -1]), axis=1)
        grads[k] = grads[k] + 2.0 * tf.reshape(l2, [-1, 1, 1]) * w
    return mse, mse + l2 * pen, {k: grads[k] for k in params}
