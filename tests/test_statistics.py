"""Clustering statistics: nearest-neighbour tests robust to ties, separation ratios, tables."""

import itertools

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from scipy.spatial.distance import cdist

from universality.similarity import pairwise_distances
from universality.statistics import (
    ClusterStats,
    cluster_stats,
    clustering_table,
    compare_separation,
    nearest_neighbour_weights,
    nearest_neighbours,
    permutation_chance,
    separation_ratio,
)




def clusters(rng, sizes=(20, 20, 20), dim=5, spread=0.3, separation=10.0):
    """Points in well-separated Gaussian clusters: distance matrix and labels."""
    centres = separation * rng.standard_normal((len(sizes), dim))
    pts = np.vstack([c + spread * rng.standard_normal((s, dim)) for c, s in zip(centres, sizes)])
    labels = np.repeat(np.arange(len(sizes)), sizes)
    return cdist(pts, pts), labels



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
    assert [list(s) for s in nearest_neighbours(d)] == [[j] for j in nn]
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




def labelled(d, **coords):
    n = len(d)
    c = {"network": np.arange(n), "network_2": np.arange(n)}
    for k, v in coords.items():
        c[k] = ("network", np.asarray(v))
        c[k + "_2"] = ("network_2", np.asarray(v))
    return xr.DataArray(np.asarray(d, float), dims=("network", "network_2"), coords=c)


# ------------------------------------------------------------------------------------ ties


def test_tied_neighbours_share_the_credit_whatever_the_order():
    """Network 0 is equally near a same-label and an other-label network: half credit,
    in whichever order the networks come (index tie-breaking gave 1 or 0)."""
    # 0 -- 1 and 0 -- 2 at distance 1; 1 and 2 far apart; 3, 4 far from everyone
    d = np.full((5, 5), 10.0)
    np.fill_diagonal(d, 0)
    d[0, 1] = d[1, 0] = d[0, 2] = d[2, 0] = 1.0
    d[3, 4] = d[4, 3] = 1.0
    labels = np.array(["a", "a", "b", "b", "b"])
    w = nearest_neighbour_weights(d)
    assert w[0, 1] == w[0, 2] == 0.5 and w.sum(axis=1) == pytest.approx(np.ones(5))
    acc = cluster_stats(d, labels, n_permutations=10).accuracy
    # 0: 1/2; 1 -> 0: 1; 2 -> 0: 0; 3 -> 4: 1; 4 -> 3: 1
    assert acc == pytest.approx((0.5 + 1 + 0 + 1 + 1) / 5)
    for perm in itertools.permutations(range(5)):
        p = list(perm)
        assert cluster_stats(d[np.ix_(p, p)], labels[p], n_permutations=10).accuracy == pytest.approx(acc)


def test_a_matrix_full_of_ties_is_at_chance_and_order_free():
    """All off-diagonal distances equal: every other network is a nearest neighbour, so the
    accuracy is exactly the chance level, whatever the order; argmin would have given the
    first network's label to everyone."""
    n = 12
    d = np.ones((n, n)) - np.eye(n)
    labels = np.array(["relu"] * 4 + ["tanh"] * 8)
    st = cluster_stats(d, labels, n_permutations=200, seed=0)
    assert st.accuracy == pytest.approx(st.chance)
    assert st.n_tied == n
    assert st.p_value > 0.5
    argmin_acc = np.mean(labels[np.argmin(d + np.diag(np.full(n, np.inf)), axis=1)] == labels)
    assert argmin_acc != pytest.approx(st.chance)  # the biased rule this replaces


def test_tie_p_value_agrees_with_a_brute_force_permutation_test():
    rng = np.random.default_rng(7)
    d = rng.integers(1, 4, size=(14, 14)).astype(float)  # three distinct values: many ties
    d = np.triu(d, 1) + np.triu(d, 1).T
    labels = np.repeat([0, 1], 7)
    st = cluster_stats(d, labels, n_permutations=3000, seed=3)
    near = [np.flatnonzero(row == row[np.arange(14) != i].min()) for i, row in enumerate(d + np.diag(np.full(14, 99)))]

    def acc(y):
        return np.mean([np.mean(y[nb] == y[i]) for i, nb in enumerate(near)])

    assert acc(labels) == pytest.approx(st.accuracy)
    other = np.random.default_rng(11)
    perm = np.array([acc(other.permutation(labels)) for _ in range(3000)])
    assert abs(st.p_value - (1 + np.sum(perm >= st.accuracy - 1e-12)) / 3001) < 0.03


# ------------------------------------------------------------------------------ separation


def test_separation_ratio_is_one_without_structure_and_large_with_clusters():
    rng = np.random.default_rng(8)
    d, labels = clusters(rng, sizes=(10, 10))
    assert separation_ratio(d, labels) > 5
    n = 20
    flat = np.ones((n, n)) - np.eye(n)
    assert separation_ratio(flat, labels) == pytest.approx(1.0)


def test_compare_separation_orders_two_distances_and_its_interval_covers():
    rng = np.random.default_rng(9)
    strong, labels = clusters(rng, sizes=(12, 12), spread=1.0, separation=3.0)
    pts = rng.standard_normal((24, 5))
    weak = cdist(pts, pts)  # no structure
    sep = compare_separation(weak, strong, labels, n_boot=300, seed=0)
    assert sep.ratio_a == pytest.approx(separation_ratio(weak, labels))
    assert sep.ratio_b == pytest.approx(separation_ratio(strong, labels))
    assert sep.difference < 0 and sep.ci_high < 0 and sep.ci_low <= sep.difference <= sep.ci_high
    same = compare_separation(strong, strong, labels, n_boot=50, seed=0)
    assert same.difference == 0 and same.ci_low == same.ci_high == 0
    with pytest.raises(ValueError, match="n_boot=0"):
        compare_separation(weak, strong, labels, n_boot=0)
    with pytest.raises(ValueError, match="same networks"):
        compare_separation(weak, strong[:20, :20], labels)


# ----------------------------------------------------------------------------------- tables


def test_clustering_table_reports_panel_and_all_and_says_why_not():
    rng = np.random.default_rng(10)
    arch = np.repeat(["gru", "lstm", "ugrnn", "vanilla"], 4)
    act = np.tile(["relu", "tanh"], 8)
    d = labelled(clusters(rng, sizes=(4, 4, 4, 4))[0], arch=arch, activation=act)
    t = clustering_table({"toy": d}, n_permutations=100)
    assert t.loc[("toy", "arch", "all"), "nn_accuracy"] == 1.0
    assert t.loc[("toy", "arch", "all"), "n"] == 16
    assert t.loc[("toy", "arch", "panel"), "n"] == 8  # tanh networks only
    # Vanilla networks by activation: 4 networks, 2 classes
    assert t.loc[("toy", "activation", "panel"), "n"] == 4
    one = labelled(d.values[:3, :3], arch=["gru"] * 3, activation=["relu", "tanh", "tanh"])
    t1 = clustering_table({"tiny": one}, n_permutations=10)
    assert "one arch only" in t1.loc[("tiny", "arch", "all"), "note"]
    assert np.isnan(t1.loc[("tiny", "arch", "all"), "nn_accuracy"])
