"""MDS: known configurations, determinism, labels, bad inputs."""

import numpy as np
import pandas as pd
import pytest
import scipy.linalg as sla
from scipy.spatial.distance import cdist

from universality.embedding import mds
from universality.similarity import pairwise_distances




def procrustes_residual(a, b):
    """min over orthogonal R of ||(a - mean a) R - (b - mean b)||_F (no scaling)."""
    a, b = a - a.mean(axis=0), b - b.mean(axis=0)
    r, _ = sla.orthogonal_procrustes(a, b)
    return np.linalg.norm(a @ r - b)


def clusters(rng, sizes=(20, 20, 20), dim=5, spread=0.3, separation=10.0):
    centres = separation * rng.standard_normal((len(sizes), dim))
    pts = np.vstack([c + spread * rng.standard_normal((s, dim)) for c, s in zip(centres, sizes)])
    labels = np.repeat(np.arange(len(sizes)), sizes)
    return cdist(pts, pts), labels


# ------------------------------------------------------------------------------------ MDS


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("refine", [False, True])
def test_mds_recovers_planar_configuration(seed, refine):
    rng = np.random.default_rng(seed)
    pts = rng.standard_normal((25, 2)) * [3.0, 1.0]
    y = mds(cdist(pts, pts), n_components=2, refine=refine)
    assert y.shape == (25, 2) and y.dims == ("network", "component")
    assert procrustes_residual(y.values, pts) < 1e-6 * np.linalg.norm(pts)
    assert y.attrs["stress1"] < 1e-6
    assert y.attrs["method"] == ("smacof" if refine else "classical")


def test_mds_of_3d_configuration_keeps_the_two_principal_axes():
    rng = np.random.default_rng(4)
    pts = rng.standard_normal((40, 3)) * [5.0, 2.0, 0.3]
    pts -= pts.mean(axis=0)
    y = mds(cdist(pts, pts), n_components=2)
    u, s, vt = np.linalg.svd(pts, full_matrices=False)
    top2 = u[:, :2] * s[:2]
    assert procrustes_residual(y.values, top2) < 1e-8 * np.linalg.norm(top2)
    assert y.attrs["stress"] > 0.0  # the third axis is lost
    np.testing.assert_allclose(y.attrs["eigenvalues"], s[:2] ** 2, rtol=1e-10)


def test_mds_is_deterministic_with_fixed_signs():
    rng = np.random.default_rng(8)
    d, _ = clusters(rng)
    d = d + 0.5 * np.abs(rng.standard_normal(d.shape))  # non-Euclidean
    d = 0.5 * (d + d.T)
    np.fill_diagonal(d, 0.0)
    for refine in (False, True):
        a, b = mds(d, refine=refine), mds(d.copy(), refine=refine)
        assert np.array_equal(a.values, b.values)
        idx = np.argmax(np.abs(a.values), axis=0)
        assert np.all(a.values[idx, [0, 1]] > 0)  # largest-|value| coordinate positive
        np.testing.assert_allclose(a.values.mean(axis=0), 0.0, atol=1e-10)
        assert abs(a.values[:, 0] @ a.values[:, 1]) < 1e-8 * np.sum(a.values**2)  # principal axes
    classical, refined = mds(d), mds(d, refine=True)
    assert refined.attrs["stress"] < classical.attrs["stress"]
    assert refined.attrs["n_iter"] >= 1


def test_mds_keeps_the_matrix_labels():
    rng = np.random.default_rng(2)
    reps = [rng.standard_normal((100, 8)) @ rng.standard_normal((8, 12)) for _ in range(5)]
    labels = pd.DataFrame({"network_id": list("abcde"), "arch": ["gru", "gru", "lstm", "lstm", "lstm"]})
    d = pairwise_distances(reps, "cka", labels=labels, progress=False)
    y = mds(d)
    assert list(y["network"].values) == list("abcde")
    assert list(y["arch"].values) == list(labels["arch"])
    assert "arch_2" not in y.coords and "network_2" not in y.coords


# ------------------------------------------------------------------------------- validation


def test_bad_inputs_raise_with_the_parameter_named():
    rng = np.random.default_rng(0)
    d, labels = clusters(rng, sizes=(5, 5))
    with pytest.raises(ValueError, match=r"distances has shape \(10, 9\); expected a square"):
        mds(d[:, :9])
    asym = d.copy()
    asym[0, 1] += 0.5
    with pytest.raises(ValueError, match=r"distances is not symmetric"):
        mds(asym)
    diag = d + np.eye(10)
    with pytest.raises(ValueError, match=r"distances has a non-zero diagonal"):
        mds(diag)
    nan = d.copy()
    nan[2, 3] = nan[3, 2] = np.nan
    with pytest.raises(ValueError, match=r"distances contains NaN"):
        mds(nan)
    with pytest.raises(ValueError, match=r"distances has negative entries"):
        mds(-d)
    with pytest.raises(ValueError, match=r"distances is all zeros"):
        mds(np.zeros((10, 10)))
    with pytest.raises(ValueError, match=r"n_components=10 must be at most P - 1 = 9"):
        mds(d, n_components=10)
