import numpy as np
import pytest

from universality.tasks import TASKS, ContextIntegration, FlipFlop, SineWave, make_task


@pytest.fixture(params=list(TASKS))
def task(request):
    return make_task(request.param)


def test_contract(task):
    b = task.sample(np.random.default_rng(0), 5)
    assert b.inputs_btm.shape == (5, task.n_steps, task.n_inputs)
    assert b.targets_bto.shape == (5, task.n_steps, task.n_outputs)
    assert b.inputs_btm.dtype == np.float32 and b.targets_bto.dtype == np.float32
    p = task.probe()
    assert p.inputs_btm.shape[1:] == (task.n_steps, task.n_inputs)
    assert len(p.labels) == len(p.inputs_btm)
    c = task.conditions()
    assert c.inputs_cm.shape[1] == task.n_inputs and len(c.labels) == len(c.inputs_cm)


def test_same_seed_same_batch(task):
    a = task.sample(np.random.default_rng(7), 4)
    b = task.sample(np.random.default_rng(7), 4)
    c = task.sample(np.random.default_rng(8), 4)
    np.testing.assert_array_equal(a.inputs_btm, b.inputs_btm)
    np.testing.assert_array_equal(a.targets_bto, b.targets_bto)
    assert not np.array_equal(a.targets_bto, c.targets_bto)


def test_flipflop_flip_rate():
    t = FlipFlop(p_flip=0.05)
    x = t.sample(np.random.default_rng(1), 400).inputs_btm[:, 1:]  # t = 0 always pulses
    rate = np.mean(x != 0)
    n = x.size
    assert abs(rate - 0.05) < 4 * np.sqrt(0.05 * 0.95 / n)
    assert set(np.unique(x)) == {-1.0, 0.0, 1.0}
    # pulses are independent of sign: about half positive
    assert abs(np.mean(x[x != 0] > 0) - 0.5) < 0.02


def test_flipflop_target_is_last_nonzero_input():
    t = FlipFlop(n_bits=3, n_steps=60, p_flip=0.1)
    b = t.sample(np.random.default_rng(2), 20)
    for i in range(20):
        for k in range(3):
            last = 0.0
            for s in range(60):
                if b.inputs_btm[i, s, k] != 0:
                    last = b.inputs_btm[i, s, k]
                assert b.targets_bto[i, s, k] == last
    # initial pulse on every channel: outputs are always +-1
    assert set(np.unique(b.targets_bto)) == {-1.0, 1.0}


def test_flipflop_conditions_are_zero():
    np.testing.assert_array_equal(FlipFlop(n_bits=2).conditions().inputs_cm, np.zeros((1, 2)))


def test_sine_target_frequency():
    t = SineWave()
    b = t.sample(np.random.default_rng(3), 16)
    x = b.inputs_btm[:, 0, 0]
    assert np.all(b.inputs_btm == x[:, None, None])  # static input
    assert np.all((x >= 0) & (x <= 1))
    omega = 0.04 * x + 0.01
    for i in range(16):
        y = b.targets_bto[i, :, 0].astype(np.float64)
        freqs = np.fft.rfftfreq(t.n_steps)
        peak = freqs[np.argmax(np.abs(np.fft.rfft(y * np.hanning(len(y)))))]
        assert abs(peak - omega[i]) <= 1.0 / t.n_steps
        np.testing.assert_allclose(y, np.sin(2 * np.pi * omega[i] * np.arange(500)), atol=1e-5)
    np.testing.assert_allclose(t.omega([0.0, 1.0]), [0.01, 0.05])


def test_cdi_target_is_cumsum_of_cued_stream_only():
    t = ContextIntegration()
    b = t.sample(np.random.default_rng(4), 64)
    ctx = b.inputs_btm[:, 0, :2]
    assert np.all(ctx.sum(axis=1) == 1) and np.all(b.inputs_btm[:, :, :2] == ctx[:, None, :])
    c = ctx.argmax(axis=1)
    cued = b.inputs_btm[np.arange(64), :, 2 + c]
    other = b.inputs_btm[np.arange(64), :, 3 - c]
    np.testing.assert_allclose(b.targets_bto[..., 0], np.cumsum(cued, axis=1), rtol=1e-5, atol=1e-4)
    # negative control: the ignored stream does not predict the target
    assert np.abs(b.targets_bto[..., 0] - np.cumsum(other, axis=1)).max() > 1.0
    # streams are N(mu, 1) with mu ~ U(-1, 1) per trial and stream
    resid = b.inputs_btm[:, :, 2:] - b.inputs_btm[:, :, 2:].mean(axis=1, keepdims=True)
    assert abs(resid.std() - 1.0) < 0.05
    assert np.abs(b.inputs_btm[:, :, 2:].mean(axis=1)).max() < 1.0 + 4 / np.sqrt(30)


def test_cdi_conditions_zero_the_noise():
    c = ContextIntegration().conditions().inputs_cm
    np.testing.assert_array_equal(c, [[1, 0, 0, 0], [0, 1, 0, 0]])


@pytest.mark.parametrize(
    "name, kwargs, match",
    [
        ("flipflop", {"n_steps": -5}, "n_steps=-5"),
        ("flipflop", {"p_flip": 1.5}, "p_flip=1.5"),
        ("flipflop", {"p_flip": -0.1}, "p_flip=-0.1"),
        ("flipflop", {"n_bits": 0}, "n_bits=0"),
        ("cdi", {"n_contexts": 0}, "n_contexts=0"),
        ("cdi", {"noise_std": -1.0}, "noise_std=-1.0"),
        ("sine", {"n_steps": 0}, "n_steps=0"),
        ("sine", {"omega_slope": 1.0}, "omega_slope \\+ omega_offset"),
    ],
)
def test_invalid_values_raise(name, kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_task(name, **kwargs)


def test_unknown_task():
    with pytest.raises(ValueError, match=r"task='mnist' is not one of \('flipflop', 'sine', 'cdi'\)"):
        make_task("mnist")
