"""Effect sizes with intervals, and decisions that need evidence both ways."""

import numpy as np
import pytest

from universality import effects


def _points(rng, labels, spread, scale=1.0):
    centres = {c: scale * rng.standard_normal(2) for c in sorted(set(labels))}
    pts = np.array([centres[c] for c in labels]) + spread * rng.standard_normal((len(labels), 2))
    return np.linalg.norm(pts[:, None] - pts[None], axis=-1)


def test_separated_classes_cluster(rng):
    labels = np.repeat(["a", "b", "c", "d"], 8)
    d = _points(rng, labels, 0.01, scale=10.0)
    e = effects.nn_effect(d, labels, n_boot=300)
    chance = (8 * 7 * 4) / (32 * 31)
    assert e.estimate == pytest.approx(1 - chance)
    assert e.low > 0.5 and effects.decide(e).decision == "clusters"
    s = effects.separation_effect(d, labels, n_boot=300)
    assert s.low > 1 and effects.decide(s).decision == "clusters"


def test_no_structure_in_a_large_population_does_not_cluster(rng):
    """A negative control: labels independent of the points, many networks: the interval
    sits inside the margin, so the verdict is 'does not cluster' (not merely 'p >= 0.05')."""
    labels = np.tile(["relu", "tanh"], 200)
    d = _points(rng, rng.permutation(labels), 1.0, scale=0.0)
    e = effects.nn_effect(d, labels, n_boot=200)
    assert abs(e.estimate) < 0.1 and e.high < effects.MARGINS["nn"]
    assert effects.decide(e).decision == "does not cluster"


def test_few_networks_are_inconclusive_and_say_how_many_would_decide(rng):
    labels = np.repeat(["gru", "lstm", "ugrnn", "vanilla"], 4)
    d = _points(rng, labels, 1.0, scale=0.0)
    dec = effects.decide(effects.nn_effect(d, labels, n_boot=500))
    assert dec.decision == "inconclusive"
    assert dec.n_to_decide > 16 and "networks would decide it" in str(dec)


def test_the_estimate_does_not_depend_on_the_order_of_networks(rng):
    labels = np.repeat(["a", "b", "c"], 6)
    d = _points(rng, labels, 0.7)
    perm = rng.permutation(len(labels))
    a = effects.nn_effect(d, labels, n_boot=400, seed=1)
    b = effects.nn_effect(d[np.ix_(perm, perm)], labels[perm], n_boot=400, seed=1)
    assert a.estimate == pytest.approx(b.estimate, abs=1e-12)
    assert a.low == pytest.approx(b.low, abs=0.1) and a.high == pytest.approx(b.high, abs=0.1)
    sa = effects.separation_effect(d, labels, n_boot=10)
    sb = effects.separation_effect(d[np.ix_(perm, perm)], labels[perm], n_boot=10)
    assert sa.estimate == pytest.approx(sb.estimate, abs=1e-12)


def test_a_copy_is_never_its_own_neighbour():
    """Two far-apart classes of singletons-with-noise: a resample that draws a network twice
    must not count the copy as its nearest neighbour (which would inflate the accuracy)."""
    d = np.array([[0, 1, 5, 5], [1, 0, 5, 5], [5, 5, 0, 1], [5, 5, 1, 0]], float)
    labels = np.array(["x", "y", "x", "y"])  # each network's neighbour has the other label
    e = effects.nn_effect(d, labels, n_boot=200)
    assert e.estimate < 0 and e.high <= 0 + 1e-12


def test_difference_of_separations(rng):
    labels = np.repeat(["a", "b"], 10)
    apart = _points(rng, labels, 0.1, scale=5.0)
    mixed = _points(rng, rng.permutation(labels), 1.0, scale=0.0)
    diff = effects.difference_effect(mixed, apart, labels, n_boot=300)
    assert diff.high < 0  # the classes are much less separated under 'mixed'
    with pytest.raises(ValueError, match="must hold the same networks"):
        effects.difference_effect(mixed, apart[:10, :10], labels, n_boot=10)


def test_bad_arguments_are_named():
    d = np.ones((4, 4)) - np.eye(4)
    with pytest.raises(ValueError, match="n_boot=0 must be an integer >= 1"):
        effects.nn_effect(d, ["a", "a", "b", "b"], n_boot=0)
    with pytest.raises(ValueError, match="level=1.5 must be in"):
        effects.nn_effect(d, ["a", "a", "b", "b"], level=1.5)


def test_a_declared_resolution_ties_nearest_neighbours_within_it():
    """Known answer: network 0's two nearest candidates differ by 0.02, less than the
    matrix's declared resolution 0.03, so both count (half a neighbour each); without the
    declaration (negative control) the nearer one wins.  The bootstrap and the plain
    statistic agree on the rule."""
    import xarray as xr

    from universality import statistics

    d = np.array([[0.0, 1.00, 1.02, 3.0],
                  [1.00, 0.0, 2.0, 2.5],
                  [1.02, 2.0, 0.0, 2.6],
                  [3.0, 2.5, 2.6, 0.0]])
    labels = np.array(["a", "a", "b", "b"])
    plain = xr.DataArray(d, dims=("network", "network_2"))
    coarse = plain.copy()
    coarse.attrs["tie_tolerance"] = 0.03
    w_plain = statistics.nearest_neighbour_weights(plain)
    w_coarse = statistics.nearest_neighbour_weights(coarse)
    assert w_plain[0].tolist() == [0.0, 1.0, 0.0, 0.0]
    assert w_coarse[0].tolist() == [0.0, 0.5, 0.5, 0.0]
    acc_plain = statistics.cluster_stats(plain, labels, n_permutations=10).accuracy
    acc_coarse = statistics.cluster_stats(coarse, labels, n_permutations=10).accuracy
    assert acc_coarse == pytest.approx(acc_plain - 0.5 / 4)
    chance = statistics.cluster_stats(plain, labels, n_permutations=10).chance
    assert effects.nn_effect(coarse, labels, n_boot=5).estimate == pytest.approx(acc_coarse - chance)
    assert effects.nn_effect(plain, labels, n_boot=5).estimate == pytest.approx(acc_plain - chance)
