"""The verdict code, on synthetic populations where the answer is known both ways."""

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from scipy.spatial.distance import cdist

from universality import claims, statistics, studies

ARCHS = ["gru", "lstm", "ugrnn", "vanilla"]


def population_labels(n_seeds=4):
    arch = np.repeat(ARCHS, 2 * n_seeds)
    act = np.tile(np.repeat(["relu", "tanh"], n_seeds), len(ARCHS))
    return arch, act


def labelled(d, arch, act):
    n = len(d)
    coords = {"network": np.arange(n), "network_2": np.arange(n), "arch": ("network", arch),
              "arch_2": ("network_2", arch), "activation": ("network", act), "activation_2": ("network_2", act)}
    return xr.DataArray(d, dims=("network", "network_2"), coords=coords)


def clustered(arch, act, rng, by=("arch", "activation"), spread=0.3):
    """Distances of points clustered by the given labels (none: one blob)."""
    centre = np.zeros((len(arch), 4))
    for j, lab in enumerate(by):
        vals = {"arch": arch, "activation": act}[lab]
        codes = np.unique(vals, return_inverse=True)[1]
        centre[:, 2 * j: 2 * j + 2] = 10 * rng.standard_normal((codes.max() + 1, 2))[codes]
    pts = centre + spread * rng.standard_normal(centre.shape)
    return labelled(cdist(pts, pts), arch, act)


def table_for(**distances):
    return statistics.clustering_table(distances, n_permutations=300, seed=0)


def test_geometry_that_clusters_and_topology_that_does_not_reproduce_the_paper():
    rng = np.random.default_rng(0)
    arch, act = population_labels()
    geo, topo = clustered(arch, act, rng), clustered(arch, act, rng, by=())
    t = table_for(svcca=geo, topology=topo)
    for lab in ("arch", "activation"):
        assert claims.clusters("fig1.geometry", "flipflop", t, "svcca", lab).verdict == "reproduced"
        # 32 networks cannot show that a label does not matter: the interval is too wide
        c = claims.does_not_cluster("fig1.topology_arch", "flipflop", t, "topology", lab)
        assert c.verdict == "inconclusive" and "networks would decide it" in c.value
    seps = {lab: statistics.compare_separation(statistics.subset(topo, **sub), statistics.subset(geo, **sub), lab,
                                               n_boot=200) for lab, sub in statistics.PANEL_SUBSETS.items()}
    c = claims.topology_more_similar_than_geometry("fig1.topology_vs_geometry", "flipflop", seps)
    assert c.verdict == "reproduced"


def test_no_clustering_is_shown_only_by_a_large_population():
    """The equivalence test: with 480 networks and no structure, both intervals fall under
    the margin and the claim "does not cluster" is reproduced (p >= 0.05 alone never)."""
    rng = np.random.default_rng(2)
    arch, act = population_labels(n_seeds=60)
    t = statistics.clustering_table({"topology": clustered(arch, act, rng, by=())}, n_permutations=100, seed=0,
                                    n_boot=300)
    for lab in ("arch", "activation"):
        assert claims.does_not_cluster("fig1.topology_arch", "flipflop", t, "topology", lab).verdict == "reproduced"
        assert claims.clusters("fig1.geometry", "flipflop", t, "topology", lab).verdict == "not reproduced"


def test_the_opposite_population_does_not_reproduce_the_paper():
    rng = np.random.default_rng(1)
    arch, act = population_labels()
    geo, topo = clustered(arch, act, rng, by=()), clustered(arch, act, rng)
    t = table_for(svcca=geo, topology=topo)
    for lab in ("arch", "activation"):
        # no structure in 32 networks: not shown absent, so inconclusive rather than "not reproduced"
        assert claims.clusters("fig1.geometry", "flipflop", t, "svcca", lab).verdict == "inconclusive"
        assert claims.does_not_cluster("fig1.topology_arch", "flipflop", t, "topology", lab).verdict == \
            "not reproduced"
    seps = {lab: statistics.compare_separation(statistics.subset(topo, **sub), statistics.subset(geo, **sub), lab,
                                               n_boot=200) for lab, sub in statistics.PANEL_SUBSETS.items()}
    assert claims.topology_more_similar_than_geometry("fig1.topology_vs_geometry", "flipflop", seps).verdict == "not reproduced"


def test_partly_when_only_one_set_of_networks_agrees():
    rows = pd.DataFrame({"distance": "svcca", "label": "arch", "networks": ["all", "panel"], "n": [32, 16],
                         "nn_accuracy": [0.5, 0.3], "chance": [0.2, 0.2], "p_value": [0.01, 0.3],
                         "nn_effect": [0.3, 0.1], "nn_low": [0.15, -0.05], "nn_high": [0.45, 0.25],
                         "decision": ["clusters", "inconclusive"], "n_to_decide": [np.nan, 40.0]}
                        ).set_index(["distance", "label", "networks"])
    assert claims.clusters("fig1.geometry", "flipflop", rows, "svcca", "arch").verdict == "partly reproduced"
    assert claims.does_not_cluster("fig1.topology_arch", "flipflop", rows, "svcca", "arch").verdict == \
        "inconclusive"
    both = rows.assign(decision=["clusters", "does not cluster"])
    assert claims.does_not_cluster("fig1.topology_arch", "flipflop", both, "svcca", "arch").verdict == \
        "partly reproduced"
    assert claims.clusters("fig1.geometry", "flipflop", rows, "cka", "arch").verdict == "not tested"


def test_separation_claim_inconclusive_when_the_interval_crosses_zero():
    s = statistics.Separation(1.1, 1.3, -0.2, -0.5, 0.1, 100, 16)
    assert claims.topology_more_similar_than_geometry("fig1.topology_vs_geometry", "t", {"arch": s}).verdict == "inconclusive"
    below = statistics.Separation(1.1, 1.5, -0.4, -0.6, -0.1, 100, 16)
    assert claims.topology_more_similar_than_geometry("t", "t", {"arch": below, "activation": s}).verdict == \
        "partly reproduced"
    assert claims.topology_more_similar_than_geometry("fig1.topology_vs_geometry", "t", {"arch": None}).verdict == "not tested"


class _Points:
    """What the structure claim reads of a network's fixed points: their number, which are
    stable, and the stable points' readouts."""

    def __init__(self, n_points, corners=True):
        signs = np.array([[a, b, c] for a in (-1, 1) for b in (-1, 1) for c in (-1, 1)], float)
        stable = signs if corners else np.repeat(signs[:1], 8, axis=0)
        self.outputs = np.concatenate([stable, np.zeros((n_points - 8, 3))])
        self.is_stable = np.arange(n_points) < 8

    def __len__(self):
        return len(self.outputs)


def test_fixed_point_structure_shares():
    good = {f"n{i}": _Points(27) for i in range(20)}
    assert studies.flipflop.fixed_point_structure(good, 3).verdict == "reproduced"
    some = dict(good, **{f"n{i}": _Points(25) for i in range(5)})  # 75% modal
    assert studies.flipflop.fixed_point_structure(some, 3).verdict == "partly reproduced"
    bad = {k: _Points(27, corners=i % 3 == 0) for i, k in enumerate(good)}  # a third have the corners
    assert studies.flipflop.fixed_point_structure(bad, 3).verdict == "not reproduced"
    # the paper counts approximate fixed points: graded on them, the exact count printed beside
    c = studies.flipflop.fixed_point_structure(some, 3, approximate=good)
    assert c.verdict == "reproduced" and "exact (q <= 1e-10)" in c.value and "in 75%" in c.value
    assert "approximate (q <= 1e-06): 100% on the corners, modal count 27 in 100%" in c.value


def sine_table(rng, offsets, noise=0.01, n_nets=4, omegas=np.linspace(0.01, 0.05, 6)):
    rows = []
    for arch, off in offsets.items():
        for s in range(n_nets):
            for c, w in enumerate(omegas):
                rows.append({"network_id": f"{arch}-{s}", "arch": arch, "condition": c, "omega": w,
                             "frequency": w * (1 + off + noise * rng.standard_normal()), "n_points": 1,
                             "magnitude": 1.02})
    return pd.DataFrame(rows)


def test_frequency_alignment_both_ways():
    rng = np.random.default_rng(2)
    systematic = sine_table(rng, {"gru": 0.08, "lstm": -0.05, "ugrnn": 0.02, "vanilla": 0.12})
    assert studies.sine.frequency_alignment(systematic, n_permutations=300).verdict == "reproduced"
    none = sine_table(rng, {a: 0.0 for a in ARCHS})  # aligned, no difference detected: not shown absent either
    assert studies.sine.frequency_alignment(none, n_permutations=300).verdict == "inconclusive"
    # an activation effect alone is also "systematic" (tested within architecture)
    by_act = sine_table(rng, {a: 0.0 for a in ARCHS})
    by_act["activation"] = np.where(by_act.network_id.str.endswith(("-0", "-1")), "relu", "tanh")
    by_act.loc[by_act.activation == "relu", "frequency"] *= 1.1
    c = studies.sine.frequency_alignment(by_act, n_permutations=300)
    assert c.verdict == "reproduced" and "activation effect (within architecture) p = 0.0" in c.value
    big = sine_table(rng, {"gru": 0.3, "lstm": 0.0, "ugrnn": 0.0, "vanilla": 0.0})  # aligned in median, one group off
    assert studies.sine.frequency_alignment(big, n_permutations=100).verdict == "partly reproduced"
    off = sine_table(rng, {"gru": 0.5, "lstm": 0.6, "ugrnn": 0.4, "vanilla": 0.7})
    assert studies.sine.frequency_alignment(off, n_permutations=300).verdict == "not reproduced"


def test_one_unstable_oscillation_both_ways():
    rng = np.random.default_rng(3)
    t = sine_table(rng, {a: 0.0 for a in ARCHS})
    assert studies.sine.one_unstable_oscillation(t).verdict == "reproduced"
    stable = t.assign(magnitude=0.9)
    assert studies.sine.one_unstable_oscillation(stable).verdict == "not reproduced"


def test_did_not_train_both_ways():
    arch, act = population_labels()
    tab = pd.DataFrame({"arch": arch, "activation": act, "diverged": False, "meets_criterion": True})
    # the book trains this group under its own protocol: the paper's claim is not tested
    assert studies.sine.did_not_train(tab).verdict == "not tested"
    assert studies.sine.did_not_train(tab, paper_protocol=True).verdict == "not reproduced"
    tab.loc[(tab.arch == "lstm") & (tab.activation == "relu"), "meets_criterion"] = False
    assert studies.sine.did_not_train(tab, paper_protocol=True).verdict == "reproduced"


def test_integration_modes_use_only_the_held_lines():
    """Only (network, context) cases that hold their integral enter; with none held the
    claim is not computable (the smoke population), and dropping the unheld cases changes
    the verdict when they alone carried it (negative control)."""
    ids = [f"n{i}" for i in range(12)]
    modes = pd.DataFrame({"network_id": ids, "condition": 0, "arch": ARCHS * 3, "modes_90": [3, 4, 2, 1] * 3})
    near = pd.DataFrame({"network_id": ids, "condition": 0, "arch": ARCHS * 3,
                         "n_near_one": [5.0, 6.0, 4.0, 1.0] * 3})
    held = pd.DataFrame({"network_id": ids, "condition": 0, "holds": True})
    assert studies.cdi.integration_modes(modes, near, lines=held).verdict == "reproduced"
    none = studies.cdi.integration_modes(modes, near, lines=held.assign(holds=False))
    assert none.verdict == "not tested" and "0 of 12" in none.value
    # the Vanilla cases that hold use many modes; the unheld ones (one mode) are dropped
    mixed = modes.assign(modes_90=[3, 4, 2, 1, 3, 4, 2, 1, 3, 4, 2, 6])
    holds = held.assign(holds=[True] * 11 + [True])
    holds.loc[[3, 7], "holds"] = False
    assert studies.cdi.integration_modes(mixed, near).verdict == "reproduced"
    assert studies.cdi.integration_modes(mixed, near, lines=holds).verdict == "partly reproduced"


def test_integration_modes_and_lines_both_ways():
    modes = pd.DataFrame({"arch": ARCHS * 3, "modes_90": [3, 4, 2, 1] * 3})
    near = pd.DataFrame({"arch": ARCHS * 3, "n_near_one": [5.0, 6.0, 4.0, 1.0] * 3})
    assert studies.cdi.integration_modes(modes, near).verdict == "reproduced"
    opposite = modes.assign(modes_90=[1, 1, 1, 3] * 3)
    assert studies.cdi.integration_modes(opposite, near.assign(n_near_one=[1.0, 1, 1, 5] * 3)).verdict == \
        "not reproduced"
    assert studies.cdi.integration_modes(modes.assign(modes_90=1), near).verdict == "partly reproduced"
    lines = pd.DataFrame({"arch": ARCHS * 5, "activation": "tanh", "n_points": 21, "coverage": 0.97,
                          "max_gap": 0.05, "holds": True})
    assert studies.cdi.line_attractors(lines).verdict == "reproduced"
    assert studies.cdi.line_attractors(lines.assign(coverage=0.3)).verdict == "not reproduced"
    gappy = lines.assign(max_gap=[0.05, 0.05, 0.05, 0.5] * 5)  # one architecture's lines break in the middle
    assert studies.cdi.line_attractors(gappy).verdict == "partly reproduced"
    assert studies.cdi.line_attractors(lines.assign(coverage=np.nan)).verdict == "not tested"


def test_figure4_group_claim_both_ways():
    names = ["relu trained", "relu untrained", "tanh trained", "tanh untrained"]
    close = pd.DataFrame([[0.1, 0.2, 0.6, 0.6], [0.2, 0.1, 0.6, 0.6], [0.6, 0.6, 0.1, 0.3], [0.6, 0.6, 0.3, 0.1]],
                         index=names, columns=names)
    assert studies.cdi.trained_untrained_relu(close).verdict == "reproduced"
    far = close.copy()
    far.loc["relu trained", "relu untrained"] = far.loc["relu untrained", "relu trained"] = 0.9
    assert studies.cdi.trained_untrained_relu(far).verdict == "not reproduced"
    assert studies.cdi.untrained_closer_example(0.0, 16).verdict == "not reproduced"
    assert studies.cdi.untrained_closer_example(0.25, 16).verdict == "reproduced"


def test_cka_agreement():
    rng = np.random.default_rng(4)
    arch, act = population_labels()
    geo = clustered(arch, act, rng)
    agree = {"flipflop": table_for(svcca_matched=geo, cka=geo)}
    assert claims.cka_agrees_with_svcca(agree).verdict == "reproduced"
    disagree = {"flipflop": table_for(svcca_matched=geo, cka=clustered(arch, act, rng, by=()))}
    assert claims.cka_agrees_with_svcca(disagree).verdict == "not reproduced"
    assert claims.cka_agrees_with_svcca({"flipflop": table_for(svcca=geo, cka=geo)}, svcca="svcca").verdict == \
        "reproduced"


def test_figure4_comparison_is_graded_with_its_interval():
    names = ["relu trained", "relu untrained", "tanh trained", "tanh untrained"]
    g = pd.DataFrame([[0.1, 0.37, 0.2, 0.6], [0.37, 0.1, 0.6, 0.6], [0.2, 0.6, 0.1, 0.3], [0.6, 0.6, 0.3, 0.1]],
                     index=names, columns=names)
    c = studies.cdi.trained_untrained_relu(g, {"decisive": (0.1, 0.25)})
    assert c.verdict == "not reproduced" and "d(relu tr, relu untr) - d(relu tr, tanh tr) = +0.17" in c.value
    assert studies.cdi.trained_untrained_relu(g, {"decisive": (-0.05, 0.25)}).verdict == "inconclusive"
    assert studies.cdi.trained_untrained_relu(g, {"decisive": (-0.3, -0.1)}).verdict == "reproduced"


def test_claim_rejects_unknown_verdicts_and_scorecard_lists_claims():
    with pytest.raises(ValueError, match="verdict='yes' is not one of"):
        claims.Claim("k", "t", "q", "s", "v", "c", "yes")
    c = claims.Claim("k", "t", "q", "s", "v", "c", "reproduced")
    card = claims.scorecard([c])
    assert card.loc["k", "verdict"] == "reproduced" and "q" in c.render()


def _card(rows):
    cols = ["verdict", "value", "half_low_seeds", "half_high_seeds", "stable", "agreement"]
    return pd.DataFrame([dict(zip(["key"] + cols, r)) for r in rows]).set_index("key")


def test_population_changes_name_what_moved_and_how_stable_it_was():
    earlier = _card([("a", "reproduced", "x1", "reproduced", "reproduced", True, 0.9),
                     ("f", "reproduced", "x6", "inconclusive", "inconclusive", True, 0.4),
                     ("b", "not reproduced", "x2", "reproduced", "not reproduced", False, 0.5),
                     ("c", "inconclusive", "x3", np.nan, np.nan, np.nan, np.nan),
                     ("d", "reproduced", "x4", "reproduced", "reproduced", True, 1.0)])
    now = _card([("a", "inconclusive", "y1", "inconclusive", "reproduced", False, 0.6),
                 ("f", "inconclusive", "y6", "inconclusive", "inconclusive", True, 1.0),
                 ("b", "reproduced", "y2", "reproduced", "reproduced", True, 0.95),
                 ("c", "reproduced", "y3", np.nan, np.nan, np.nan, np.nan),
                 ("d", "reproduced", "y4", "reproduced", "reproduced", True, 1.0),
                 ("e", "reproduced", "y5", np.nan, np.nan, np.nan, np.nan)])  # new: no earlier verdict
    ch = claims.population_changes(now, earlier).set_index("key")
    assert list(ch.index) == ["a", "f", "b", "c"]  # d kept its verdict, e is new
    assert "held on both seed halves; the added networks moved it" in ch.loc["a", "why"]
    assert "fragile (neither seed half gave it: both inconclusive)" in ch.loc["f", "why"]
    assert "unstable" in ch.loc["b", "why"]
    assert "not computed" in ch.loc["c", "why"]
    assert ch.loc["a", "stability before"] == "seed halves reproduced / reproduced, agreement 90%"
    assert ch.loc["a", "measured before"] == "x1" and ch.loc["a", "measured now"] == "y1"
    # negative control: the same scorecard on both sides changes nothing
    assert claims.population_changes(now, now).empty


def test_verdict_changes_tell_the_measurement_from_the_population():
    before = {"a": {"verdict": "reproduced", "measured": "m"}, "b": {"verdict": "reproduced", "measured": "m"},
              "c": {"verdict": "reproduced", "measured": "m"}, "d": {"verdict": "reproduced", "measured": "m"}}
    now = _card([(k, v, "x", np.nan, np.nan, np.nan, np.nan) for k, v in
                  [("a", "not reproduced"), ("b", "not reproduced"), ("c", "not reproduced"), ("d", "reproduced")]])
    same = _card([(k, v, "x", np.nan, np.nan, np.nan, np.nan) for k, v in
                  [("a", "not reproduced"), ("b", "reproduced"), ("c", "inconclusive"), ("d", "reproduced")]])
    ch = claims.verdict_changes(now, before, same).set_index("key")
    assert list(ch.index) == ["a", "b", "c"]
    assert ch.loc["a", "why"].startswith("the measurement changed")
    assert ch.loc["b", "why"].startswith("the population changed")
    assert ch.loc["c", "why"].startswith("both")
    assert claims.verdict_changes(now, before).why.str.startswith("not known").all()


def test_the_training_claim_prints_its_share_without_rounding_it_across_the_grade():
    """344 of 384 is 89.6%: under the 90% of 'partly reproduced', and printed so (as '90%' it
    would contradict its own verdict); 90.0% exactly is partly reproduced, all is reproduced."""
    def tables(good, n):
        ok = np.arange(n) < good
        return {"x": pd.DataFrame({"meets_criterion": ok, "diverged": np.zeros(n, bool)})}

    c = claims.all_networks_train(tables(344, 384))
    assert "(89.6%)" in c.value and c.verdict == "not reproduced"
    assert claims.all_networks_train(tables(90, 100)).verdict == "partly reproduced"
    assert claims.all_networks_train(tables(100, 100)).verdict == "reproduced"
