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


def _hub_matrix(n_hubs, seed=0):
    """31 networks (16 relu, 15 tanh) at random distances near 1, but ``n_hubs`` relu ones
    close to every network and closest to each other: every nearest neighbour is a relu hub,
    whatever the labels of the rest (SVCCA's low-dimensional networks do this)."""
    rng = np.random.default_rng(seed)
    labels = np.array(["relu"] * 16 + ["tanh"] * 15)
    x = 1 + 0.1 * rng.random((31, 31))
    x = (x + x.T) / 2
    for h in range(n_hubs):
        x[h, :] = x[:, h] = 0.1 + 0.01 * h
    x[:n_hubs, :n_hubs] = 0.05
    np.fill_diagonal(x, 0)
    perm = rng.permutation(31)
    return x[np.ix_(perm, perm)], labels[perm]


@pytest.mark.parametrize("n_hubs", [5, 6, 8])
@pytest.mark.parametrize("seed", [0, 1])
def test_hub_networks_do_not_make_a_cluster(n_hubs, seed):
    """Known answer: the labels of the non-hub networks are arbitrary, so no clustering may
    be concluded.  The bootstrap alone concludes it (its interval sits above 0, often with
    zero width: every resample keeps a hub); with the permutation test it does not."""
    from universality.statistics import cluster_stats

    d, labels = _hub_matrix(n_hubs, seed)
    e = effects.nn_effect(d, labels, n_boot=1000, seed=0)
    p = cluster_stats(d, labels, n_permutations=1000, seed=0).p_value
    assert p >= 0.05
    dec = effects.decide(e, p_value=p)
    assert dec.decision in ("does not cluster", "inconclusive")
    if dec.decision == "inconclusive":
        assert dec.reason and not np.isfinite(dec.n_to_decide)
    if e.low > 0:  # the degenerate case this guards against: the interval alone says 'clusters'
        assert effects.decide(e).decision == "clusters"


def test_the_hub_fixture_hits_the_zero_width_case():
    """The fixture above is the degenerate case, not a lucky one: with 6 hubs the
    interval has zero width above 0, and only the permutation test stops 'clusters'."""
    from universality.statistics import cluster_stats

    d, labels = _hub_matrix(6)
    e = effects.nn_effect(d, labels, n_boot=1000, seed=0)
    assert e.low == e.high > 0
    p = cluster_stats(d, labels, n_permutations=1000, seed=0).p_value
    dec = effects.decide(e, p_value=p)
    assert dec.decision == "inconclusive" and "zero-width" in dec.reason and "zero-width" in str(dec)


def test_decide_needs_the_permutation_test_to_agree():
    e = effects.Effect("nn", 0.16, 0.03, 0.26, 31, 1000)  # a reading of the book's CDI panel
    assert effects.decide(e).decision == "clusters"  # no permutation test given: the interval decides
    assert effects.decide(e, p_value=0.01).decision == "clusters"
    dec = effects.decide(e, p_value=0.092)
    assert dec.decision == "inconclusive" and "permutation" in dec.reason and not np.isfinite(dec.n_to_decide)
    # a perfectly separated panel: every resample is right, the interval has zero width, and
    # the permutation test rejects: it clusters
    perfect = effects.Effect("nn", 0.52, 0.52, 0.52, 31, 1000)
    assert effects.decide(perfect, p_value=0.001).decision == "clusters"
    # an interval below the margin that the permutation test does not reject stays 'does not cluster'
    small = effects.Effect("nn", 0.02, 0.01, 0.03, 127, 1000)
    assert effects.decide(small, p_value=0.38).decision == "does not cluster"
    assert effects.decide(effects.Effect("nn", 0.0, -0.05, 0.2, 16, 1000), p_value=0.6).reason == ""


@pytest.mark.parametrize("kw, match", [({"p_value": 1.5}, "p_value=1.5"), ({"p_value": -0.1}, "p_value=-0.1"),
                                       ({"alpha": 0.0}, "alpha=0.0"), ({"alpha": 1}, "alpha=1")])
def test_bad_decision_settings_are_named(kw, match):
    with pytest.raises(ValueError, match=match):
        effects.decide(effects.Effect("nn", 0.1, 0.0, 0.2, 16, 100), **kw)
