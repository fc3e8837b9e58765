"""The written-out BPTT against GradientTape through cells.run (the reference)."""

import numpy as np
import pytest
import tensorflow as tf

from universality import bptt, cells


def _tape(spec, params, x, y, l2):
    tv = {k: tf.Variable(v) for k, v in params.items()}
    with tf.GradientTape() as tape:
        yhat = cells.readout(spec, tv, cells.run(spec, tv, x))
        mse = tf.reduce_mean(tf.square(yhat - y), axis=[1, 2, 3])
        pen = tf.add_n([tf.reduce_sum(tf.reshape(tf.square(tv[k]), [len(l2), -1]), axis=1)
                        for k in cells.regularised_names(spec)])
        loss = mse + l2 * pen
        total = tf.reduce_sum(loss)
    grads = tape.gradient(total, tv)
    return mse.numpy(), loss.numpy(), {k: g.numpy() for k, g in grads.items()}


def _problem(arch, act, seed=1, n_pop=3, units=6, steps=9):
    rng = np.random.default_rng(seed)
    spec = cells.CellSpec(arch, act, units, 3, 2)
    params = cells.init_params(spec, list(range(n_pop)))
    # away from the initialisation, so every gate and both relu branches matter
    params = {k: (v + 0.4 * rng.standard_normal(v.shape)).astype(np.float32) for k, v in params.items()}
    x = rng.standard_normal((n_pop, 4, steps, 3)).astype(np.float32)
    y = rng.standard_normal((n_pop, 4, steps, 2)).astype(np.float32)
    l2 = np.array([0.0, 1e-2, 1e-1][:n_pop], np.float32)
    return spec, params, x, y, l2


@pytest.mark.parametrize("arch", cells.ARCHS)
@pytest.mark.parametrize("act", cells.ACTIVATIONS)
def test_gradients_equal_gradient_tape(arch, act):
    spec, params, x, y, l2 = _problem(arch, act)
    mse, loss, grads = bptt.loss_and_grads(spec, params, x, y, l2)
    mse_ref, loss_ref, grads_ref = _tape(spec, params, x, y, l2)
    np.testing.assert_allclose(mse.numpy(), mse_ref, rtol=1e-5)
    np.testing.assert_allclose(loss.numpy(), loss_ref, rtol=1e-5)
    assert set(grads) == set(grads_ref)
    for k in grads_ref:
        scale = np.abs(grads_ref[k]).max()
        assert scale > 0, k
        np.testing.assert_allclose(grads[k].numpy(), grads_ref[k], rtol=0, atol=2e-5 * scale, err_msg=k)


@pytest.mark.parametrize("arch", cells.ARCHS)
def test_gradients_are_per_network_and_order_free(arch):
    """Network p's gradient depends on network p alone: permuting the population permutes
    the gradients, and it is not the gradient of a neighbour (negative control)."""
    spec, params, x, y, l2 = _problem(arch, "tanh")
    _, _, g = bptt.loss_and_grads(spec, params, x, y, l2)
    perm = [2, 0, 1]
    _, _, gp = bptt.loss_and_grads(spec, {k: v[perm] for k, v in params.items()}, x[perm], y[perm], l2[perm])
    for k in g:
        np.testing.assert_allclose(gp[k].numpy(), g[k].numpy()[perm], rtol=1e-5, atol=1e-6, err_msg=k)
        assert np.abs(g[k].numpy()[0] - g[k].numpy()[1]).max() > 1e-4, k


def test_gradient_matches_finite_differences():
    """A known answer independent of TensorFlow's autodiff: central differences in float64
    of the loss along a random direction, for the GRU (two matmuls per step)."""
    spec, params, x, y, _ = _problem("gru", "tanh", n_pop=1)
    l2 = np.array([1e-2], np.float32)
    _, _, g = bptt.loss_and_grads(spec, params, x, y, l2)
    rng = np.random.default_rng(5)
    d = {k: rng.standard_normal(v.shape).astype(np.float32) for k, v in params.items()}
    eps = 1e-2

    def loss_at(t):
        p = {k: (params[k].astype(np.float64) + t * d[k]).astype(np.float32) for k in params}
        return float(bptt.loss_and_grads(spec, p, x, y, l2)[1].numpy()[0])

    fd = (loss_at(eps) - loss_at(-eps)) / (2 * eps)
    analytic = sum(float(np.sum(g[k].numpy() * d[k])) for k in params)
    assert abs(fd - analytic) <= 2e-3 * abs(analytic), (fd, analytic)


EXTRA_ARCHS = [a for a in cells.ALL_ARCHS if a not in cells.ARCHS]


@pytest.mark.parametrize("arch", EXTRA_ARCHS)
@pytest.mark.parametrize("act", cells.ACTIVATIONS)
def test_imported_cells_gradients_equal_gradient_tape(arch, act):
    """The cells beyond the paper's grid (the reset-after GRU and its recurrent candidate
    bias ``b_hc``) pass the same check as the paper's four."""
    test_gradients_equal_gradient_tape(arch, act)


@pytest.mark.parametrize("arch", EXTRA_ARCHS)
def test_imported_cells_gradients_are_per_network(arch):
    test_gradients_are_per_network_and_order_free(arch)
