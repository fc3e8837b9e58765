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
        assert claims.does_not_cluster("fig1.topology_arch", "flipflop", t, "topology", lab).verdict == "reproduced"
    seps = {lab: statistics.compare_separation(statistics.subset(topo, **sub), statistics.subset(geo, **sub), lab,
                                               n_boot=200) for lab, sub in statistics.PANEL_SUBSETS.items()}
    c = claims.topology_more_similar_than_geometry("fig1.topology_vs_geometry", "flipflop", seps)
    assert c.verdict == "reproduced"


def test_the_opposite_population_does_not_reproduce_the_paper():
    rng = np.random.default_rng(1)
    arch, act = population_labels()
    geo, topo = clustered(arch, act, rng, by=()), clustered(arch, act, rng)
    t = table_for(svcca=geo, topology=topo)
    for lab in ("arch", "activation"):
        assert claims.clusters("fig1.geometry", "flipflop", t, "svcca", lab).verdict == "not reproduced"
        assert claims.does_not_cluster("fig1.topology_arch", "flipflop", t, "topology", lab).verdict == \
            "not reproduced"
    seps = {lab: statistics.compare_separation(statistics.subset(topo, **sub), statistics.subset(geo, **sub), lab,
                                               n_boot=200) for lab, sub in statistics.PANEL_SUBSETS.items()}
    assert claims.topology_more_similar_than_geometry("fig1.topology_vs_geometry", "flipflop", seps).verdict == "not reproduced"


def test_partly_when_only_one_set_of_networks_agrees():
    rows = pd.DataFrame({"distance": "svcca", "label": "arch", "networks": ["all", "panel"], "n": [32, 16],
                         "nn_accuracy": [0.5, 0.3], "chance": [0.2, 0.2], "p_value": [0.01, 0.3]}
                        ).set_index(["distance", "label", "networks"])
    assert claims.clusters("fig1.geometry", "flipflop", rows, "svcca", "arch").verdict == "partly reproduced"
    assert claims.does_not_cluster("fig1.topology_arch", "flipflop", rows, "svcca", "arch").verdict == \
        "partly reproduced"
    assert claims.clusters("fig1.geometry", "flipflop", rows, "cka", "arch").verdict == "not tested"


def test_separation_claim_partly_when_the_interval_crosses_zero():
    s = statistics.Separation(1.1, 1.3, -0.2, -0.5, 0.1, 100, 16)
    assert claims.topology_more_similar_than_geometry("fig1.topology_vs_geometry", "t", {"arch": s}).verdict == "partly reproduced"
    assert claims.topology_more_similar_than_geometry("fig1.topology_vs_geometry", "t", {"arch": None}).verdict == "not tested"


def test_fixed_point_structure_shares():
    ok = {f"n{i}": True for i in range(20)}
    counts = {f"n{i}": 27 for i in range(20)}
    assert studies.flipflop.fixed_point_structure(ok, counts, 3, 27).verdict == "reproduced"
    counts.update({f"n{i}": 25 for i in range(5)})  # 75% modal
    assert studies.flipflop.fixed_point_structure(ok, counts, 3, 27).verdict == "partly reproduced"
    bad = {k: i % 3 == 0 for i, k in enumerate(ok)}  # a third have the corners
    assert studies.flipflop.fixed_point_structure(bad, counts, 3, 27).verdict == "not reproduced"


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
    none = sine_table(rng, {a: 0.0 for a in ARCHS})
    assert studies.sine.frequency_alignment(none, n_permutations=300).verdict == "partly reproduced"
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
    assert studies.sine.did_not_train(tab).verdict == "not reproduced"
    tab.loc[(tab.arch == "lstm") & (tab.activation == "relu"), "meets_criterion"] = False
    assert studies.sine.did_not_train(tab).verdict == "reproduced"


def test_integration_modes_and_lines_both_ways():
    modes = pd.DataFrame({"arch": ARCHS * 3, "modes_90": [3, 4, 2, 1] * 3})
    near = pd.DataFrame({"arch": ARCHS * 3, "n_near_one": [5.0, 6.0, 4.0, 1.0] * 3})
    assert studies.cdi.integration_modes(modes, near).verdict == "reproduced"
    opposite = modes.assign(modes_90=[1, 1, 1, 3] * 3)
    assert studies.cdi.integration_modes(opposite, near.assign(n_near_one=[1.0, 1, 1, 5] * 3)).verdict == \
        "not reproduced"
    assert studies.cdi.integration_modes(modes.assign(modes_90=1), near).verdict == "partly reproduced"
    lines = pd.DataFrame({"arch": ARCHS * 5, "n_points": 40, "span": 0.9})
    assert studies.cdi.line_attractors(lines).verdict == "reproduced"
    assert studies.cdi.line_attractors(lines.assign(n_points=2)).verdict == "not reproduced"


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
    agree = {"flipflop": table_for(svcca=geo, cka=geo)}
    assert claims.cka_agrees_with_svcca(agree).verdict == "reproduced"
    disagree = {"flipflop": table_for(svcca=geo, cka=clustered(arch, act, rng, by=()))}
    assert claims.cka_agrees_with_svcca(disagree).verdict == "not reproduced"


def test_claim_rejects_unknown_verdicts_and_scorecard_lists_claims():
    with pytest.raises(ValueError, match="verdict='yes' is not one of"):
        claims.Claim("k", "t", "q", "s", "v", "c", "yes")
    c = claims.Claim("k", "t", "q", "s", "v", "c", "reproduced")
    card = claims.scorecard([c])
    assert card.loc["k", "verdict"] == "reproduced" and "q" in c.render()
