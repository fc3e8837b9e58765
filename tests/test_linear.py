import numpy as np
import pandas as pd
import pytest

from universality import cells
from universality import fixed_points as fp
from universality import linear


def _rotation(f, radius=1.0):
    a = 2 * np.pi * f
    return radius * np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])


def _block(*blocks):
    n = sum(b.shape[0] for b in blocks)
    out = np.zeros((n, n))
    i = 0
    for b in blocks:
        out[i : i + len(b), i : i + len(b)] = b
        i += len(b)
    return out


@pytest.mark.parametrize("f", [0.01, 0.037, 0.2])
def test_leading_frequency_of_a_rotation(f, rng):
    # a larger REAL eigenvalue (1.1) is skipped; a weaker complex pair (0.3) is not leading
    j = _block(_rotation(f, 1.02), np.array([[1.1]]), _rotation(0.31, 0.3))
    q, _ = np.linalg.qr(rng.standard_normal((5, 5)))
    j = q @ j @ q.T  # any basis
    lam = fp.decompose(j[None])[0]
    freq, mag = linear.leading_frequency(lam)
    np.testing.assert_allclose(freq, [f], atol=1e-9)
    np.testing.assert_allclose(mag, [1.02], atol=1e-9)


def test_leading_frequency_nan_without_complex_pair():
    freq, mag = linear.leading_frequency(np.array([[0.9, 0.5, -0.2]]))
    assert np.isnan(freq[0]) and np.isnan(mag[0])


def _integrator(rng, s=6, slow=1.0, rest=0.1):
    """J = R diag(slow, rest, ...) R^-1 in a random non-orthogonal basis; b mostly along r_1."""
    r = rng.standard_normal((s, s))
    lam = np.array([slow] + [rest] * (s - 1))
    j = r @ np.diag(lam) @ np.linalg.inv(r)
    lam_s, r_s, l_s = fp.decompose(j[None])
    r1, r2, l1, l2 = r_s[0, :, 0].real, r_s[0, :, 1].real, l_s[0, 0].real, l_s[0, 1].real
    b = r1 + 0.3 * r2  # plus a fast, decaying component
    w = l1 / (l1 @ b) + l2  # (w^T r_1)(l_1^T b) = 1, and the readout sees mode 2 (w^T r_2 = 1)
    return j, lam_s, r_s, l_s, b, w


def test_perfect_integrator_gives_one_with_one_mode(rng):
    j, lam, r, left, b, w = _integrator(rng)
    for input in linear.INPUTS:
        y = linear.mode_response(lam, r, left, b[None], w, n_steps=30, input=input)
        assert y.shape == (1, 6)
        np.testing.assert_allclose(y[0, 0], 1.0, atol=1e-9)
    # the full system equals brute force w^T J^{T-1} b
    y = linear.mode_response(lam, r, left, b[None], w, n_steps=30)
    np.testing.assert_allclose(y[0, -1], w @ np.linalg.matrix_power(j, 29) @ b, atol=1e-9)
    # a short read-out time still shows the decaying mode (negative control on truncation)
    y3 = linear.mode_response(lam, r, left, b[None], w, n_steps=2)
    assert abs(y3[0, -1] - y3[0, 0]) > 1e-3


def test_leaky_integrator_known_answers(rng):
    _, lam, r, left, b, w = _integrator(rng, slow=0.9, rest=0.0)
    t = 30
    y = linear.mode_response(lam, r, left, b[None], w, n_steps=t, input="pulse")
    np.testing.assert_allclose(y[0, 0], 0.9 ** (t - 1), rtol=1e-9)
    y = linear.mode_response(lam, r, left, b[None], w, n_steps=t, input="spread")
    np.testing.assert_allclose(y[0, 0], (1 - 0.9**t) / (0.1 * t), rtol=1e-9)
    with pytest.raises(ValueError, match="input='step' is not one of"):
        linear.mode_response(lam, r, left, b[None], w, n_steps=t, input="step")


def _fps_from_jacobians(jh, jx, cond, outputs=None):
    n, s, _ = jh.shape
    return fp.FixedPoints.build(np.zeros((n, s)), np.linspace(0, 1e-12, n), np.zeros((n, jx.shape[2])), cond,
                                jh, jx, outputs)


def test_sine_frequencies_table():
    omegas = np.array([0.01, 0.02, 0.05])
    jh = np.stack([_block(_rotation(w * 1.1, 1.01), np.array([[0.5]])) for w in omegas])
    f = _fps_from_jacobians(jh, np.zeros((3, 3, 1)), [0, 1, 2])
    table = pd.DataFrame({"arch": ["gru"], "seed": [3]}, index=["net"])
    df = linear.sine_frequencies({"net": f}, omegas, table)
    assert list(df.columns) == ["network_id", "arch", "seed", "condition", "omega", "frequency", "magnitude", "q"]
    np.testing.assert_allclose(df.frequency, omegas * 1.1, atol=1e-9)
    np.testing.assert_allclose(df.omega, omegas)
    assert (df.arch == "gru").all()


def test_eigenvalue_spectra_and_integration_tables(rng):
    s = 4
    jh = np.stack([np.diag([1.0, 0.5, 0.2, 0.1]), np.diag([0.98, 0.6, 0.2, 0.0]), np.diag([0.9, 0.9, 0.9, 0.9])])
    jx = np.zeros((3, s, 4))
    jx[:, 0, 2] = 1.0  # context 0 integrates stream 0 (input 2) along the slow mode
    jx[:, 1, 3] = 1.0
    f = _fps_from_jacobians(jh, jx, [0, 0, 1])
    spectra = linear.eigenvalue_spectra({"n": f})
    c0 = spectra[spectra.condition == 0]
    np.testing.assert_allclose(c0.magnitude, [0.99, 0.55, 0.2, 0.05])
    assert (c0.n_points == 2).all() and c0["rank"].tolist() == [1, 2, 3, 4]
    w = np.array([1.0, 0.0, 0.0, 0.0])
    df = linear.integration_responses({"n": f}, {"n": w}, {0: 2, 1: 3}, n_steps=10)
    r0 = df[df.condition == 0].response.to_numpy()
    np.testing.assert_allclose(r0, (1.0 + 0.98**9) / 2)  # one mode carries it all: flat in k
    r1 = df[df.condition == 1].response.to_numpy()
    np.testing.assert_allclose(r1, 0.0, atol=1e-12)  # the input lands on a mode the readout ignores


def test_cdi_integration_on_a_population_pair():
    """A vanilla network whose first unit integrates stream 0 in context 0."""
    from universality.tasks import ContextIntegration

    task = ContextIntegration()
    spec = cells.CellSpec("vanilla", "relu", 3, 4, 1)
    params = cells.init_params(spec, [0])
    params["W_h"][0] = np.diag([1.0, 0.5, 0.5])
    params["W_x"][0] = 0.0
    params["W_x"][0, 2, 0] = 1.0
    params["b"][0] = 0.1  # relu active
    params["W_out"][0] = np.array([[1.0], [0.0], [0.0]])

    from universality.population import Population

    pop = Population.from_stacked(task, spec, params, ["v"])

    h = np.array([[5.0, 0.2, 0.2], [7.0, 0.2, 0.2]])
    jh, jx = (np.asarray(a)[0] for a in cells.jacobians(spec, params, h[None].astype(np.float32),
                                                        np.zeros((1, 2, 4), np.float32)))
    f = fp.FixedPoints.build(h, np.zeros(2), np.zeros((2, 4)), [0, 1], jh, jx)
    df = linear.cdi_integration(pop, {"v": f})
    r0 = df[df.condition == 0]
    np.testing.assert_allclose(r0.response, 1.0, atol=1e-6)  # perfect integration, any k
    assert r0.k.tolist() == [1, 2, 3] and (r0.arch == "vanilla").all()
    np.testing.assert_allclose(df[df.condition == 1].response, 0.0, atol=1e-6)  # stream 1 is ignored
