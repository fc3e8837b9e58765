import numpy as np
import pytest
import tensorflow as tf

from universality import cells


def make(arch, act, units=6, m=3, o=2):
    return cells.CellSpec(arch, act, units, m, o)


def test_shapes_and_state_size(arch_act, rng):
    spec = make(*arch_act)
    params = cells.init_params(spec, [0, 1, 2])
    s = spec.state_size
    assert s == (12 if spec.arch == "lstm" else 6)
    for name, shape in cells.param_shapes(spec).items():
        assert params[name].shape == (3,) + shape
    x = rng.standard_normal((3, 4, 5, 3)).astype(np.float32)
    states = cells.run(spec, params, x).numpy()
    assert states.shape == (3, 4, 5, s)
    assert np.all(np.isfinite(states))
    y = cells.readout(spec, params, states).numpy()
    assert y.shape == (3, 4, 5, 2)


def test_run_equals_repeated_step(arch_act, rng):
    spec = make(*arch_act)
    params = cells.init_params(spec, [3, 4])
    x = rng.standard_normal((2, 3, 7, 3)).astype(np.float32)
    h = np.zeros((2, 3, spec.state_size), np.float32)
    hs = []
    for t in range(7):
        h = cells.step(spec, params, h, x[:, :, t]).numpy()
        hs.append(h)
    np.testing.assert_allclose(cells.run(spec, params, x).numpy(), np.stack(hs, axis=2), rtol=1e-5, atol=1e-6)


def test_stacked_population_equals_one_at_a_time(arch_act, rng):
    spec = make(*arch_act)
    seeds = [10, 11, 12, 13]
    params = cells.init_params(spec, seeds)
    x = rng.standard_normal((4, 5, 9, 3)).astype(np.float32)
    stacked = cells.readout(spec, params, cells.run(spec, params, x)).numpy()
    for p, seed in enumerate(seeds):
        alone = cells.init_params(spec, [seed])
        for k in alone:  # the same weights whether stacked or alone
            np.testing.assert_array_equal(alone[k][0], params[k][p])
        y = cells.readout(spec, alone, cells.run(spec, alone, x[p : p + 1])).numpy()
        np.testing.assert_allclose(stacked[p], y[0], rtol=1e-5, atol=1e-6)
    # negative control: a different network gives different outputs
    assert np.abs(stacked[0] - stacked[1]).max() > 1e-3


@pytest.mark.parametrize("act", cells.ACTIVATIONS)
def test_vanilla_analytic_jacobian(act, rng):
    """J = diag(phi'(a)) W_h^T with a = x W_x + h W_h + b, against autodiff."""
    spec = make("vanilla", act, units=7)
    params = cells.init_params(spec, [5, 6])
    params["b"] = rng.standard_normal(params["b"].shape).astype(np.float32) * 0.3
    h = rng.standard_normal((2, 4, 7)).astype(np.float32)
    x = rng.standard_normal((2, 4, 3)).astype(np.float32)
    j_h, j_x = (j.numpy() for j in cells.jacobians(spec, params, h, x))
    assert j_h.shape == (2, 4, 7, 7) and j_x.shape == (2, 4, 7, 3)
    for p in range(2):
        a = x[p] @ params["W_x"][p] + h[p] @ params["W_h"][p] + params["b"][p]
        dphi = (a > 0).astype(np.float64) if act == "relu" else 1 - np.tanh(a) ** 2
        np.testing.assert_allclose(j_h[p], dphi[:, :, None] * params["W_h"][p].T[None], rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(j_x[p], dphi[:, :, None] * params["W_x"][p].T[None], rtol=1e-4, atol=1e-5)


def test_jacobians_match_finite_differences(arch_act, rng):
    spec = make(*arch_act, units=5)
    params = {k: v.astype(np.float64) for k, v in cells.init_params(spec, [1, 2]).items()}
    params32 = {k: v.astype(np.float32) for k, v in params.items()}
    s = spec.state_size
    h = (rng.standard_normal((2, 3, s)) * 0.5).astype(np.float32)
    x = rng.standard_normal((2, 3, 3)).astype(np.float32)
    j_h, j_x = (j.numpy() for j in cells.jacobians(spec, params32, h, x))
    eps = 1e-3
    fd = np.zeros_like(j_h)
    for j in range(s):
        d = np.zeros_like(h)
        d[..., j] = eps
        fd[..., j] = (cells.step(spec, params32, h + d, x).numpy() - cells.step(spec, params32, h - d, x).numpy()) / (2 * eps)
    np.testing.assert_allclose(j_h, fd, atol=2e-3)
    fdx = np.zeros_like(j_x)
    for j in range(3):
        d = np.zeros_like(x)
        d[..., j] = eps
        fdx[..., j] = (cells.step(spec, params32, h, x + d).numpy() - cells.step(spec, params32, h, x - d).numpy()) / (2 * eps)
    np.testing.assert_allclose(j_x, fdx, atol=2e-3)


def test_jacobians_in_chunks_equal_one_pass(arch_act, rng, monkeypatch):
    """Large batches of points go through the closed form and the tiled pass in chunks
    (memory bound); the result is the one-pass result, for a chunk size that does not
    divide the points."""
    spec = make(*arch_act, units=5)
    params = cells.init_params(spec, [1, 2])
    s = spec.state_size
    h = (rng.standard_normal((2, 7, s)) * 0.5).astype(np.float32)
    x = rng.standard_normal((2, 7, 3)).astype(np.float32)
    tiled = lambda: [j.numpy() for j in cells.tiled_jacobians(lambda hh, xx: cells.step(spec, params, hh, xx), h, x)]  # noqa: E731
    closed = lambda: [j.numpy() for j in cells.jacobians(spec, params, h, x)]  # noqa: E731
    one_tiled, one_closed = tiled(), closed()
    monkeypatch.setattr(cells, "JACOBIAN_ROWS", 2 * 3 * s)  # 3 points per chunk: 3 + 3 + 1
    monkeypatch.setattr(cells, "JACOBIAN_ENTRIES", 2 * 3 * s * s)
    for a, b in zip(one_tiled + one_closed, tiled() + closed()):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_closed_form_jacobians_equal_the_tiled_reverse_pass(arch_act, rng):
    """cells.jacobians (written out per cell) against cells.tiled_jacobians (autodiff of
    cells.step), away from the initialisation so that every gate matters."""
    spec = make(*arch_act, units=6)
    params = {k: (v + 0.4 * rng.standard_normal(v.shape)).astype(np.float32)
              for k, v in cells.init_params(spec, [3, 4]).items()}
    h = rng.standard_normal((2, 5, spec.state_size)).astype(np.float32)
    x = rng.standard_normal((2, 5, 3)).astype(np.float32)
    closed = cells.jacobians(spec, params, h, x)
    ref = cells.tiled_jacobians(lambda hh, xx: cells.step(spec, params, hh, xx), h, x)
    for a, b in zip(closed, ref):
        assert a.shape == b.shape
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=0, atol=1e-6)
    assert np.abs(closed[0].numpy()[0] - closed[0].numpy()[1]).max() > 1e-3  # per network


def test_gated_cells_hold_state_when_gates_saturate(rng):
    """Known answers: a closed update gate (GRU, UGRNN) or a full forget gate with a shut
    input gate (LSTM) leaves the memory unchanged."""
    h = rng.standard_normal((1, 3, 5)).astype(np.float32) * 0.5
    x = rng.standard_normal((1, 3, 2)).astype(np.float32)
    for arch, sl, val in (("ugrnn", slice(0, 5), 60.0), ("gru", slice(5, 10), 60.0)):
        spec = cells.CellSpec(arch, "tanh", 5, 2, 1)
        p = cells.init_params(spec, [0])
        p["b"][0, sl] = val
        np.testing.assert_allclose(cells.step(spec, p, h, x).numpy(), h, atol=1e-6)
    spec = cells.CellSpec("lstm", "tanh", 5, 2, 1)
    p = cells.init_params(spec, [0])
    p["b"][0, 0:5] = -60.0  # input gate shut
    p["b"][0, 5:10] = 60.0  # forget gate open
    hc = rng.standard_normal((1, 3, 10)).astype(np.float32)
    out = cells.step(spec, p, hc, x).numpy()
    np.testing.assert_allclose(out[..., 5:], hc[..., 5:], atol=1e-6)
    # negative control: with ordinary biases the state moves
    p0 = cells.init_params(spec, [0])
    assert np.abs(cells.step(spec, p0, hc, x).numpy() - hc).max() > 1e-2


def test_init_is_seeded():
    spec = make("gru", "tanh")
    a, b, c = (cells.init_params(spec, [s]) for s in (1, 1, 2))
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    assert any(not np.array_equal(a[k], c[k]) for k in a if k.startswith("W"))


def test_recurrent_blocks_are_orthogonal():
    spec = make("lstm", "tanh", units=8)
    w = cells.init_params(spec, [0])["W_h"][0]
    for g in range(4):
        blk = w[:, g * 8 : (g + 1) * 8].astype(np.float64)
        np.testing.assert_allclose(blk.T @ blk, np.eye(8), atol=1e-5)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"arch": "transformer"}, r"arch='transformer' is not one of \('vanilla', 'ugrnn', 'gru', 'lstm'\)"),
        ({"activation": "gelu"}, r"activation='gelu' is not one of \('relu', 'tanh'\)"),
        ({"units": 0}, r"units=0 must be a positive integer"),
        ({"n_inputs": -1}, r"n_inputs=-1"),
    ],
)
def test_bad_spec_raises(kwargs, match):
    args = {"arch": "vanilla", "activation": "tanh", "units": 4, "n_inputs": 1, "n_outputs": 1, **kwargs}
    with pytest.raises(ValueError, match=match):
        cells.CellSpec(**args)


def test_empty_population_raises():
    with pytest.raises(ValueError, match="seeds is empty"):
        cells.init_params(make("vanilla", "tanh"), [])


# Initial weights recorded from the implementation before the cells became classes (one
# class per architecture): a seed must keep giving the same network.  The arrays drawn
# from numpy's Generator alone (Glorot matrices, biases) are compared exactly, through a
# sha256 of their bytes: the Generator's streams are the same on every machine.  The
# orthogonal recurrent blocks come from LAPACK's QR, whose last bits may differ between
# BLAS builds, so they are compared through a fixed projection within 1e-6 (a changed
# draw order or block order moves it by O(1)).
_INIT_RECORD = [
    (("vanilla", 5, 3, 2, (0, 3)), "95cbac92c187b7691c1f959d0022ee8730271ee809a16ba902539ceee8ddb7f0", {'W_h': -0.275524726}),
    (("vanilla", 16, 1, 1, (7,)), "f659844f47c38ced59c7e3a253b0f2ac100fe578b9fe863da976bff987e112a5", {'W_h': 1.124136203}),
    (("ugrnn", 5, 3, 2, (0, 3)), "573043f70319ee58cdc638035e0f762286e1bfab1af7fa9f4570cce34206144c", {'W_h': 1.619214205}),
    (("ugrnn", 16, 1, 1, (7,)), "a6c207cad931e82fde9cf4c20f6a41cce823893952ccd34177c8bedaeba7fee6", {'W_h': 9.336023468}),
    (("gru", 5, 3, 2, (0, 3)), "b29937c1121ebcb089f358ee17eef7cb51938c600f7ccd85399ea03e33cbebe3", {'W_h': 2.307508284, 'W_hc': -1.589768522}),
    (("gru", 16, 1, 1, (7,)), "764c707c07329b4bd6068258cca5da62a2e049fe5cb1c296bbd80bde4e44e212", {'W_h': -7.382865373, 'W_hc': 1.39972473}),
    (("lstm", 5, 3, 2, (0, 3)), "93e339174233ec6fb1f2d1f3264a69905651e34e59b435314d23338cba74f79f", {'W_h': -6.646498704}),
    (("lstm", 16, 1, 1, (7,)), "9ab67afbcfb966f2bc7e2eb715bfd00be0ef1350e7105cbed7883f7d110a97bb", {'W_h': 0.332441134}),
]
_RECURRENT = ("W_h", "W_hc")


def _rng_only_digest(params):
    import hashlib

    h = hashlib.sha256()
    for k in sorted(params):
        if k in _RECURRENT:
            continue
        a = np.ascontiguousarray(params[k])
        h.update(k.encode())
        h.update(str(a.dtype).encode())
        h.update(repr(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _projection(a):
    a = np.asarray(a, np.float64)
    return float(np.sum(a * np.cos(np.arange(a.size) * 0.7).reshape(a.shape)))


@pytest.mark.parametrize("key, digest, recurrent", _INIT_RECORD, ids=[f"{r[0][0]}-{r[0][1]}" for r in _INIT_RECORD])
def test_init_params_are_those_recorded(key, digest, recurrent):
    arch, units, m, o, seeds = key
    params = cells.init_params(cells.CellSpec(arch, "tanh", units, m, o), list(seeds))
    assert _rng_only_digest(params) == digest
    assert set(recurrent) == {k for k in params if k in _RECURRENT}
    for k, v in recurrent.items():
        assert _projection(params[k]) == pytest.approx(v, rel=0, abs=1e-6), k


def test_the_paper_grid_and_the_imported_architectures():
    """ARCHS is the paper's grid; ALL_ARCHS adds the reset-after GRU, which a CellSpec
    accepts and a profile (the paper's grid) does not."""
    from universality.profiles import Profile

    assert cells.ARCHS == ("vanilla", "ugrnn", "gru", "lstm")
    assert cells.ALL_ARCHS == cells.ARCHS + ("gru_ra",)
    assert cells.CellSpec("gru_ra", "tanh", 4, 2, 1).state_size == 4
    assert cells.n_gates("gru_ra") == 3
    with pytest.raises(ValueError, match=r"arch='gru_ra' is not one of \('vanilla', 'ugrnn', 'gru', 'lstm'\)"):
        Profile("x", archs=("gru_ra",))
    with pytest.raises(ValueError, match=r"or \('gru_ra',\) \(for imported networks\)"):
        cells.CellSpec("transformer", "tanh", 4, 1, 1)
    with pytest.raises(ValueError, match=r"arch='rnn' is not one of"):
        cells.n_gates("rnn")


def test_reset_after_gru_shapes_and_init():
    """One recurrent matrix of three orthogonal blocks and the candidate's recurrent bias
    (zero at initialisation), which the L2 penalty leaves alone."""
    spec = cells.CellSpec("gru_ra", "tanh", 6, 3, 2)
    shapes = cells.param_shapes(spec)
    assert shapes == {"W_x": (3, 18), "b": (18,), "W_h": (6, 18), "b_hc": (6,), "W_out": (6, 2), "b_out": (2,)}
    assert cells.regularised_names(spec) == ("W_x", "W_h", "W_out")
    p = cells.init_params(spec, [0])
    assert not p["b_hc"].any() and not p["b"].any()
    for g in range(3):
        blk = p["W_h"][0][:, g * 6: (g + 1) * 6].astype(np.float64)
        np.testing.assert_allclose(blk.T @ blk, np.eye(6), atol=1e-5)


@pytest.mark.parametrize("act", cells.ACTIVATIONS)
def test_reset_after_gru_with_an_open_reset_gate_is_the_papers_gru(act, rng):
    """Known answer: with the reset gate held open (r = 1) and no candidate recurrent bias,
    r * (h W_ch) = (r * h) W_ch, so both GRUs take the same step; with an ordinary reset
    gate they differ (negative control)."""
    ra = cells.CellSpec("gru_ra", act, 5, 2, 1)
    pa = cells.CellSpec("gru", act, 5, 2, 1)
    p = {k: (v + 0.3 * rng.standard_normal(v.shape)).astype(np.float32) for k, v in cells.init_params(ra, [1]).items()}
    p["b_hc"][:] = 0.0
    q = {"W_x": p["W_x"], "b": p["b"], "W_h": p["W_h"][..., :10], "W_hc": p["W_h"][..., 10:],
         "W_out": p["W_out"], "b_out": p["b_out"]}
    h = rng.standard_normal((1, 4, 5)).astype(np.float32)
    x = rng.standard_normal((1, 4, 2)).astype(np.float32)
    assert np.abs(cells.step(ra, p, h, x).numpy() - cells.step(pa, q, h, x).numpy()).max() > 1e-3
    p["b"][0, :5] = q["b"][0, :5] = 60.0  # reset gate open
    np.testing.assert_allclose(cells.step(ra, p, h, x).numpy(), cells.step(pa, q, h, x).numpy(), rtol=1e-5, atol=1e-6)


def test_reset_after_gru_holds_state_when_the_update_gate_saturates(rng):
    spec = cells.CellSpec("gru_ra", "tanh", 5, 2, 1)
    p = cells.init_params(spec, [0])
    p["b"][0, 5:10] = 60.0
    p["b_hc"][0] = 3.0  # the candidate's bias does not reach a closed update gate
    h = rng.standard_normal((1, 3, 5)).astype(np.float32) * 0.5
    x = rng.standard_normal((1, 3, 2)).astype(np.float32)
    np.testing.assert_allclose(cells.step(spec, p, h, x).numpy(), h, atol=1e-6)
