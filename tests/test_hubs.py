"""The hub diagnostic: known answers on hand-made matrices, the low-rank hub of 95% SVCCA that
matched dimensions remove, negative controls, and invariance to the order of the networks."""

import numpy as np
import pandas as pd
import pytest

from universality import similarity
from universality.hubs import NN_SHARE, REACH_RATIO, find_hubs, hub_table


def random_orthogonal(rng, p):
    q, r = np.linalg.qr(rng.standard_normal((p, p)))
    return q * np.sign(np.diag(r))


# ------------------------------------------------------------------- hand-made matrices


def test_star_matrix_flags_its_centre_by_both_criteria():
    n = 10
    d = np.ones((n, n))
    d[0, :] = d[:, 0] = 0.1
    np.fill_diagonal(d, 0.0)
    t = hub_table(d)
    assert list(t.hub) == [True] + [False] * (n - 1)
    assert t.why[0] == "reach+nn"
    assert t.reach_ratio[0] == pytest.approx(0.1, abs=1e-12) and t.nn_count[0] == pytest.approx(n - 1, abs=1e-12)
    # the centre's own nearest neighbours are all tied at 0.1: each gets 1/9 of its weight
    np.testing.assert_allclose(t.nn_count[1:], 1.0 / (n - 1), atol=1e-12)
    assert np.isclose(t.nn_count.sum(), n)  # every network has one unit of nearest-neighbour weight


@pytest.mark.parametrize("value", [1.0, 0.0])
def test_uniform_matrix_has_no_hub(value):
    d = np.full((8, 8), value)
    np.fill_diagonal(d, 0.0)
    t = hub_table(d)
    assert not t.hub.any()
    np.testing.assert_allclose(t.nn_count, 1.0, atol=1e-12)  # ties share the weight
    np.testing.assert_allclose(t.reach_ratio, 1.0, atol=1e-12)  # zeros everywhere: ratio 1 by convention


def test_a_tight_class_is_not_a_hub():
    """Negative control: 9 networks within 0.05 of each other, 7 within 0.8, 1 between the
    classes.  The tight class's members are near their own class only."""
    labels = np.array([0] * 9 + [1] * 7)
    same = labels[:, None] == labels[None, :]
    d = np.where(same, np.where(labels[:, None] == 0, 0.05, 0.8), 1.0)
    np.fill_diagonal(d, 0.0)
    t = hub_table(d)
    assert not t.hub.any()
    np.testing.assert_allclose(t.reach_ratio, 1.0, atol=1e-12)
    np.testing.assert_allclose(t.nn_count, 1.0, atol=1e-12)


def test_the_nearest_neighbour_criterion_alone():
    """A network that is the nearest neighbour of 4 of 9 others (> 1/3) but not near everyone."""
    rng = np.random.default_rng(0)
    pts = rng.uniform(size=(10, 2)) * 10
    pts[1:5] = pts[0] + np.array([[0.5, 0], [-0.5, 0], [0, 0.5], [0, -0.5]])  # a tight cross around 0
    pts[5:] += 20 * np.arange(1, 6)[:, None]  # the others far apart
    d = np.linalg.norm(pts[:, None] - pts[None], axis=-1)
    t = hub_table(d)
    assert t.nn_count[0] == pytest.approx(4.0, abs=1e-12) and t.nn_count[0] > NN_SHARE * 9
    assert t.reach_ratio[0] >= REACH_RATIO
    assert t.hub[0] and t.why[0] == "nn" and t.hub.sum() == 1


def test_validation():
    with pytest.raises(ValueError, match=r"distances has shape \(3, 3\); need at least 4 networks"):
        hub_table(np.ones((3, 3)) - np.eye(3))
    with pytest.raises(ValueError, match="not symmetric"):
        hub_table(np.triu(np.ones((5, 5)), 1))
    with pytest.raises(ValueError, match=r"name=3 must be a string"):
        find_hubs(np.ones((5, 5)) - np.eye(5), name=3)


# ---------------------------------- a low-rank network, 95% SVCCA and matched dimensions


def synthetic_population(rng, with_low_rank=True, n=400, units=32):
    """6 configurations x 2 seeds: every network holds 8 components of equal variance, 4 shared
    by all, 3 by its configuration, 1 its own (so its nearest neighbour is its sibling).
    The low-rank network's 95% of variance lies in 2 of the SHARED directions; its other
    directions are isotropic noise."""
    shared = rng.standard_normal((n, 4))
    reps, ids = [], []
    for c in range(6):
        config = rng.standard_normal((n, 3))
        for s in range(2):
            z = np.hstack([shared, config, rng.standard_normal((n, 1))])
            reps.append(z @ random_orthogonal(rng, units)[:8] * 3 + 0.05 * rng.standard_normal((n, units)))
            ids.append(f"c{c}s{s}")
    if with_low_rank:
        reps.append(shared[:, :2] @ rng.standard_normal((2, units)) * 10 + rng.standard_normal((n, units)))
        ids.append("low")
    return reps, pd.DataFrame({"network_id": ids, "config": [i[:2] for i in ids]})


def test_a_low_rank_network_is_everybodys_nearest_neighbour_under_95_svcca_but_not_matched():
    rng = np.random.default_rng(1)
    reps, labels = synthetic_population(rng)
    kept = similarity.kept_dimensions(reps, similarity.SVCCA(), labels)
    assert list(kept.n_variance) == [8] * 12 + [2]

    d95 = similarity.pairwise(similarity.SVCCA(), reps, labels=labels, progress=False)
    h95 = find_hubs(d95)
    assert h95.hubs == ["low"], h95.summary
    row = h95.table.set_index("network").loc["low"]
    assert row.nn_count == pytest.approx(12.0, abs=1e-12)  # the nearest neighbour of every other network
    assert row.reach_ratio < 0.1 and row.why == "reach+nn"
    assert "1 HUB(S)" in h95.summary and "low" in h95.summary

    dm = similarity.pairwise(similarity.MatchedSVCCA(), reps, labels=labels, progress=False)
    assert dm.attrs["k_common"] == 8
    hm = find_hubs(dm)
    assert hm.n_hubs == 0, hm.summary
    assert hm.table.set_index("network").loc["low"].nn_count == 0.0  # nobody's nearest neighbour
    assert hm.summary.endswith("no hub")
    # and the siblings find each other again (their 1-NN is their own configuration)
    nn = np.where(np.eye(13, dtype=bool), np.inf, dm.values).argmin(axis=1)
    assert all(labels.config[i] == labels.config[j] for i, j in enumerate(nn[:12]))


@pytest.mark.parametrize("metric", [similarity.SVCCA(), similarity.MatchedSVCCA(), similarity.LinearCKA()],
                         ids=lambda m: m.name)
def test_negative_control_without_the_low_rank_network_nothing_is_flagged(metric):
    rng = np.random.default_rng(1)
    reps, labels = synthetic_population(rng, with_low_rank=False)
    h = find_hubs(similarity.pairwise(metric, reps, labels=labels, progress=False))
    assert h.n_hubs == 0, h.summary
    np.testing.assert_allclose(h.table.nn_count, 1.0, atol=1e-12)  # each network's sibling, and only it


@pytest.mark.parametrize("metric", [similarity.SVCCA(), similarity.MatchedSVCCA()], ids=lambda m: m.name)
def test_shuffling_the_networks_changes_no_hub_verdict(metric):
    rng = np.random.default_rng(1)
    reps, labels = synthetic_population(rng)
    perm = np.random.default_rng(7).permutation(len(reps))
    a = find_hubs(similarity.pairwise(metric, reps, labels=labels, progress=False)).table.set_index("network")
    b = find_hubs(similarity.pairwise(metric, [reps[i] for i in perm], labels=labels.iloc[perm],
                                      progress=False)).table.set_index("network")
    b = b.loc[a.index]
    assert list(a.hub) == list(b.hub) and list(a.why) == list(b.why)
    for col in ("median", "median_ratio", "reach", "reach_ratio", "nn_count", "nn_share"):
        np.testing.assert_allclose(b[col], a[col], rtol=0, atol=1e-10)  # same distances, other order


def test_labelled_table_carries_ids_and_labels():
    rng = np.random.default_rng(2)
    reps, labels = synthetic_population(rng, with_low_rank=False)
    t = hub_table(similarity.pairwise(similarity.MatchedSVCCA(), reps, labels=labels, progress=False))
    assert list(t.network) == list(labels.network_id) and list(t.config) == list(labels.config)
    assert {"n_kept", "n_variance"} <= set(t.columns)  # the metric's per-network coordinates
    plain = hub_table(np.ones((5, 5)) - np.eye(5))
    assert list(plain.network) == list(range(5))
