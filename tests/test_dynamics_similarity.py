"""Dynamical Similarity Analysis: known answers for the embedding, the fit and the alignment."""

import numpy as np
import pytest
from scipy.stats import ortho_group

from universality import dynamics_similarity as dsa

FAST = dsa.DSAConfig(rank=4, iterations=600, restarts=6, check_every=50, tol=1e-7)


def random_orthogonal(r, seed, reflect=False):
    q = ortho_group.rvs(r, random_state=seed)
    if (np.linalg.det(q) < 0) != reflect:
        q[:, 0] *= -1
    return q


def test_an_operator_and_its_orthogonal_conjugates_are_at_distance_zero():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4, 4))
    ops = [a, random_orthogonal(4, 1) @ a @ random_orthogonal(4, 1).T,
           random_orthogonal(4, 2, reflect=True) @ a @ random_orthogonal(4, 2, reflect=True).T]
    d = dsa.operator_distances(ops, FAST).values
    assert d.max() < 1e-3 * np.linalg.norm(a), d
    ang = dsa.operator_distances(ops, FAST.__class__(**{**FAST.__dict__, "score": "angular"})).values
    assert ang.max() < 1e-3


def test_symmetric_operators_reach_the_eigenvalue_bound_exactly():
    """For symmetric A, B the minimum over orthogonal C is the distance of the sorted
    eigenvalues (Hoffman-Wielandt): a two-sided known answer."""
    rng = np.random.default_rng(1)
    ops = []
    for seed in range(4):
        m = rng.standard_normal((4, 4))
        ops.append((m + m.T) / 2)
    d = dsa.operator_distances(ops, FAST).values
    for i in range(4):
        for j in range(i + 1, 4):
            want = np.sqrt(np.sum((np.sort(np.linalg.eigvalsh(ops[i])) - np.sort(np.linalg.eigvalsh(ops[j]))) ** 2))
            assert d[i, j] >= want - 1e-6
            assert d[i, j] == pytest.approx(want, abs=2e-3 * max(want, 1))


def test_distances_lie_between_the_spectral_bound_and_the_identity_alignment():
    rng = np.random.default_rng(2)
    ops = [rng.standard_normal((5, 5)) * 0.5 for _ in range(6)]
    d = dsa.operator_distances(ops, dsa.DSAConfig(rank=5, iterations=300, restarts=3)).values
    for i in range(6):
        for j in range(i + 1, 6):
            assert d[i, j] >= dsa.spectral_lower_bound(ops[i], ops[j]) - 1e-9
            assert d[i, j] <= dsa.identity_distance(ops[i], ops[j]) + 1e-9
            assert d[i, j] < dsa.identity_distance(ops[i], ops[j])  # the alignment did something


def test_dmd_recovers_the_generating_linear_system():
    """States of x_{t+1} = A x_t (a damped rotation plus a decay, 4 units), one delay,
    full rank: V A_fit V^T = A."""
    rng = np.random.default_rng(3)
    th = 0.3
    a = np.zeros((4, 4))
    a[:2, :2] = 0.97 * np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    a[2, 2], a[3, 3] = 0.8, 0.5
    q = random_orthogonal(4, 5)
    a = q @ a @ q.T
    x = np.zeros((20, 40, 4))
    x[:, 0] = rng.standard_normal((20, 4))
    for t in range(39):
        x[:, t + 1] = x[:, t] @ a.T
    cfg = dsa.DSAConfig(n_delays=1, rank=4)
    op, v, mean = dsa.fit_operator(x, cfg, return_basis=True)
    # the centred fit is affine in general; here the data's mean is not a fixed point, so
    # compare eigenvalues (similarity invariants) and the reconstruction on centred data
    np.testing.assert_allclose(np.sort_complex(np.linalg.eigvals(op)), np.sort_complex(np.linalg.eigvals(a)),
                               atol=1e-6)
    np.testing.assert_allclose(v @ op @ v.T, a, atol=1e-6)


def test_hankel_layout_and_bad_settings():
    h = np.arange(2 * 6 * 1, dtype=float).reshape(2, 6, 1)
    hk = dsa.hankel(h, n_delays=3, delay_interval=2)
    assert hk.shape == (2, 2, 3)
    np.testing.assert_array_equal(hk[0, 0], [0, 2, 4])
    np.testing.assert_array_equal(hk[1, 1], [7, 9, 11])
    with pytest.raises(ValueError, match="n_delays=4 with delay_interval=2 spans 6 steps"):
        dsa.hankel(h, 4, 2)
    for kw, msg in [({"rank": 0}, "rank=0 must be a positive integer"), ({"score": "cosine"}, "score='cosine'"),
                    ({"tol": -1.0}, "tol=-1.0 must be a finite number > 0"),
                    ({"seed": -2}, "seed=-2 must be an integer >= 0")]:
        with pytest.raises(ValueError, match=msg):
            dsa.DSAConfig(**kw)
    with pytest.raises(ValueError, match="rank=9 exceeds the delay-embedding dimension 3"):
        dsa.fit_operator(np.random.default_rng(0).standard_normal((2, 10, 1)), dsa.DSAConfig(n_delays=3, rank=9))
    with pytest.raises(ValueError, match="ops have shapes"):
        dsa.operator_distances([np.eye(2), np.eye(3)])
    with pytest.raises(ValueError, match="task_name='maze'"):
        dsa.DSAConfig.for_task("maze")
