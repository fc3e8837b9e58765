"""MDS (known configurations, determinism, labels) and clustering statistics."""

import itertools

import numpy as np
import pandas as pd
import pytest
import scipy.linalg as sla
from threadpoolctl import threadpool_limits
from scipy.spatial.distance import cdist

from universality.embedding import (
    ClusterStats,
    cluster_stats,
    mds,
    nearest_neighbours,
    permutation_chance,
)
from universality.similarity import pairwise_distances


@pytest.fixture(autouse=True, scope="module")
def one_blas_thread():
    """Small matrices run on one BLAS thread: on a busy 2-core machine, oversubscribed
    OpenBLAS threads made this file ~100x slower (minutes instead of seconds)."""
    with threadpool_limits(limits=1, user_api="blas"):
        yield


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


# ----------------------------------------------------------------------------- statistics


def test_well_separated_clusters_give_perfect_accuracy_and_tiny_p():
    rng = np.random.default_rng(0)
    d, labels = clusters(rng)
    st = cluster_stats(d, labels, n_permutations=499, seed=1)
    assert isinstance(st, ClusterStats)
    assert st.accuracy == 1.0
    assert st.chance == pytest.approx(3 * 20 * 19 / (60 * 59))
    assert st.p_value == pytest.approx(1 / 500)
    assert st.silhouette > 0.8
    assert (st.n_permutations, st.n_classes, st.n) == (499, 3, 60)


def test_shuffled_labels_are_at_chance_with_large_p():
    rng = np.random.default_rng(1)
    d, labels = clusters(rng)
    accs, ps, sils = [], [], []
    for seed in range(30):
        shuffled = np.random.default_rng(100 + seed).permutation(labels)
        st = cluster_stats(d, shuffled, n_permutations=199, seed=seed)
        accs.append(st.accuracy), ps.append(st.p_value), sils.append(st.silhouette)
    # the accuracy of one shuffle has sd ~0.074 here, so the mean of 30 has se ~0.014
    assert abs(np.mean(accs) - st.chance) < 0.05
    assert np.median(ps) > 0.2 and np.mean(np.array(ps) < 0.05) <= 0.2
    assert max(sils) < 0.1


def test_chance_is_the_exact_mean_over_all_label_permutations():
    rng = np.random.default_rng(3)
    pts = rng.standard_normal((7, 2))
    d = cdist(pts, pts)
    labels = np.array([0, 0, 0, 1, 1, 1, 1])
    nn = [min((j for j in range(7) if j != i), key=lambda j: d[i, j]) for i in range(7)]
    accs = [
        np.mean([labels[list(p)][nn[i]] == labels[list(p)][i] for i in range(7)])
        for p in itertools.permutations(range(7))
    ]
    assert list(nearest_neighbours(d)) == nn
    assert permutation_chance(labels) == pytest.approx(np.mean(accs), abs=1e-12)
    assert permutation_chance(labels) == pytest.approx((3 * 2 + 4 * 3) / 42, abs=1e-12)
    assert permutation_chance(labels) < np.sum((np.bincount(labels) / 7) ** 2)


def test_p_value_agrees_with_an_independent_permutation_test():
    rng = np.random.default_rng(5)
    d, labels = clusters(rng, sizes=(15, 15), spread=3.0, separation=1.0)  # weak clusters
    st = cluster_stats(d, labels, n_permutations=4000, seed=0)
    nn = np.argmin(d + np.diag(np.full(len(d), np.inf)), axis=1)
    other = np.random.default_rng(12345)
    perm_acc = np.array([np.mean((p := other.permutation(labels))[nn] == p) for _ in range(4000)])
    p_indep = (1 + np.sum(perm_acc >= st.accuracy)) / 4001
    assert 0.002 < st.p_value < 0.9  # not a trivial extreme
    assert abs(st.p_value - p_indep) < 0.03
    assert st.p_value * 4001 == pytest.approx(round(st.p_value * 4001))  # (1 + count)/(1 + n)
    again = cluster_stats(d, labels, n_permutations=4000, seed=0)
    assert again == st


def test_labels_by_coordinate_name():
    rng = np.random.default_rng(6)
    reps = [rng.standard_normal((80, 6)) @ rng.standard_normal((6, 10)) for _ in range(6)]
    labels = pd.DataFrame({"arch": ["gru"] * 3 + ["lstm"] * 3, "seed": range(6)})
    d = pairwise_distances(reps, "svcca", labels=labels, progress=False)
    assert cluster_stats(d, "arch", n_permutations=50) == cluster_stats(
        d.values, labels["arch"].to_numpy(), n_permutations=50
    )


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
    with pytest.raises(ValueError, match=r"distances is not symmetric"):
        cluster_stats(asym, labels)
    diag = d + np.eye(10)
    with pytest.raises(ValueError, match=r"distances has a non-zero diagonal"):
        cluster_stats(diag, labels)
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
    with pytest.raises(ValueError, match=r"labels has shape \(9,\); expected \(10,\)"):
        cluster_stats(d, labels[:9])
    with pytest.raises(ValueError, match=r"labels has a single class"):
        cluster_stats(d, np.zeros(10, dtype=int))
    with pytest.raises(ValueError, match=r"labels='arch' names no coordinate"):
        cluster_stats(d, "arch")
    with pytest.raises(ValueError, match=r"n_permutations=0 must be an integer >= 1"):
        cluster_stats(d, labels, n_permutations=0)
    with pytest.raises(ValueError, match=r"seed=1.5 must be an integer"):
        cluster_stats(d, labels, seed=1.5)
