"""Lining up flip-flop fixed points across networks: known answers on synthetic cubes."""

import numpy as np
import pandas as pd
import pytest

from universality import fixed_points as fp
from universality import topology as tp
from universality.topology import alignment as al


def cube_network(k=3, jitter=0.0, seed=0, s=12):
    """A synthetic K-bit flip-flop network with the perfect cube's fixed points.

    One point per position t of {-1, 0, 1}^K: readout t (+ jitter), a random embedding in
    S state units, a diagonal Jacobian with as many eigenvalues 1.5 as t has zeros (its
    sub-cube's dimension) and 0.5 otherwise; transitions: the perfect cube's.
    """
    rng = np.random.default_rng(seed)
    pos = al.cube_positions(k)
    n = len(pos)
    y = pos + jitter * rng.uniform(-1, 1, pos.shape)
    h = y @ rng.standard_normal((k, s))
    dims = al.position_dimensions(k)
    jac = np.zeros((n, s, s))
    for i, d in enumerate(dims):
        jac[i] = np.diag([1.5] * d + [0.5] * (s - d))
    f = fp.FixedPoints.build(h, np.zeros(n), np.zeros((n, k)), np.zeros(n, int), jac, np.zeros((n, s, k)), y)
    return f, al.ideal_graph(k)


def shuffled(f, t, seed):
    perm = np.random.default_rng(seed).permutation(len(f))
    return f[perm], t[np.ix_(perm, perm)]


def test_ideal_graph_rows_route_to_the_corners_of_the_sub_cube():
    g = al.ideal_graph(3)
    names = al.position_names(3)
    np.testing.assert_allclose(g.sum(axis=1), 1.0)
    assert g[names.index("+-+"), names.index("+-+")] == 1.0  # a corner keeps its runs
    edge = g[names.index("+0-")]
    assert {names[j] for j in np.flatnonzero(edge)} == {"++-", "+--"} and edge.max() == 0.5
    assert np.count_nonzero(g[names.index("000")]) == 8  # the centre reaches every corner
    assert al.position_dimensions(3).tolist().count(1) == 12  # 12 edges, 6 faces, 1 centre
    assert al.position_dimensions(3).tolist().count(2) == 6


@pytest.mark.parametrize("principle", ["position", "routing"])
def test_a_perfect_cube_aligns_to_the_ideal_graph_in_any_order(principle):
    f, t = cube_network(jitter=0.2)
    for seed in range(5):
        fs, ts = shuffled(f, t, seed)
        g, index, unmatched = al.aligned_graph(fs, ts, principle)
        np.testing.assert_allclose(g, al.ideal_graph(3))
        assert unmatched == 0 and (index >= 0).all()
        np.testing.assert_allclose(fs.outputs[index], f.outputs, atol=1e-12)  # row i is the same point


def test_rounded_readout_order_scrambles_saddles_and_alignment_does_not():
    """The paper's lexicographic order of the rounded readout: jitter of 0.2 on the saddles'
    readouts (they sit near 0 on the channels between corners) reorders them between two
    copies of the same cube; the aligned graphs stay identical."""
    a, t = cube_network(jitter=0.2, seed=1)
    b, _ = cube_network(jitter=0.2, seed=2)
    ga, _, _ = al.aligned_graph(a, t, "readout")
    gb, _, _ = al.aligned_graph(b, t, "readout")
    assert np.linalg.norm(ga - gb) > 1.0  # the unaligned comparison sees a difference
    pa, _, _ = al.aligned_graph(a, t, "position")
    pb, _, _ = al.aligned_graph(b, t, "position")
    assert np.linalg.norm(pa - pb) == 0


def _population_topology(networks, principle="position"):
    fps = {k: v[0] for k, v in networks.items()}
    mats = {k: v[1] for k, v in networks.items()}
    labels = pd.DataFrame({"arch": ["gru"] * len(fps)}, index=list(fps))
    return tp.flipflop_topology(fps, mats, principle, labels=labels)


@pytest.mark.parametrize("principle", list(tp.PRINCIPLES))
def test_shuffling_every_network_leaves_every_distance_unchanged(principle):
    nets = {f"n{i}": cube_network(jitter=0.15, seed=i) for i in range(4)}
    f, t = nets["n3"]
    t = t.copy()
    edge = al.position_names(3).index("+0-")
    dest = np.flatnonzero(t[edge])
    t[edge, dest] = [0.8, 0.2]  # one network's edge saddle routes unevenly: distances not all zero
    nets["n3"] = (f, t)
    before = _population_topology(nets, principle).distances
    after = _population_topology({k: shuffled(*v, seed=10 + i) for i, (k, v) in enumerate(nets.items())},
                                 principle).distances
    np.testing.assert_allclose(after.values, before.values, atol=1e-12)
    assert before.values.max() > 0


def test_one_missing_saddle_is_near_and_two_swapped_corners_are_far():
    f, t = cube_network(jitter=0.1)
    names = al.position_names(3)
    edge = names.index("+0-")
    keep = np.arange(len(f)) != edge
    missing = (f[keep], t[np.ix_(keep, keep)])
    # swap two corners' roles: every run that went to one goes to the other
    a, b = names.index("+++"), names.index("---")
    swap = t.copy()
    swap[:, [a, b]] = swap[:, [b, a]]
    swap[[a, b]] = t[[a, b]]  # the corners themselves still keep their own runs
    topo = _population_topology({"ref": (f, t), "missing": missing, "swapped": (f, swap)})
    d = topo.distances.to_pandas()
    assert d.loc["ref", "missing"] == pytest.approx(np.sqrt(0.5))  # the edge row (0.5, 0.5) is gone
    assert topo.point_index["missing"][edge] == -1 and topo.unmatched["missing"] == 0
    assert d.loc["ref", "swapped"] > 2.5 * d.loc["ref", "missing"]  # 12 runs of mass 0.5-0.25 moved
    assert topo.compared == ["ref", "missing", "swapped"]  # 26 points: compared, not set aside
    assert tp.distance_to_ideal(topo)["ref"] == pytest.approx(0)


def test_routing_labels_a_saddle_by_where_its_runs_go():
    """A face saddle that routes to only two corners reads as their edge under 'routing';
    under 'position' it keeps its face."""
    f, t = cube_network()
    names = al.position_names(3)
    face, c1, c2 = names.index("+00"), names.index("+++"), names.index("++-")
    t2 = t.copy()
    t2[face] = 0
    t2[face, [c1, c2]] = 0.5
    g_pos, _, um_pos = al.aligned_graph(f, t2, "position")
    g_rout, idx, um_rout = al.aligned_graph(f, t2, "routing")
    assert um_pos == 0 and g_pos[face, c1] == 0.5
    # the real edge saddle "++0" (1 unstable dim) keeps the label; the face saddle is unmatched
    assert um_rout == 1 and idx[face] == -1 and idx[names.index("++0")] == names.index("++0")


def test_points_beyond_the_cube_are_counted_as_unmatched():
    f, t = cube_network()
    extra = f[np.r_[np.arange(len(f)), 0]]  # a duplicate corner: 28 points for 27 positions
    t_extra = np.zeros((28, 28))
    t_extra[:27, :27] = t
    t_extra[27, 27] = 1.0
    g, idx, unmatched = al.aligned_graph(extra, t_extra, "position")
    assert unmatched == 1 and (idx >= 0).sum() == 27


def test_readout_principle_compares_modal_networks_only():
    nets = {f"n{i}": cube_network(jitter=0.05, seed=i) for i in range(3)}
    f, t = nets["n2"]
    keep = np.arange(len(f)) != 5
    nets["n2"] = (f[keep], t[np.ix_(keep, keep)])
    topo = _population_topology(nets, "readout")
    assert topo.compared == ["n0", "n1"] and "n2" in topo.set_aside
    assert _population_topology(nets, "position").compared == ["n0", "n1", "n2"]
    assert topo.modal_count == 27 and topo.modal == ["n0", "n1"]


def test_bad_inputs():
    f, t = cube_network()
    with pytest.raises(ValueError, match="principle='nearest' is not one of"):
        al.aligned_graph(f, t, "nearest")
    with pytest.raises(ValueError, match=r"transitions_nn has shape \(3, 3\); expected \(27, 27\)"):
        al.aligned_graph(f, np.eye(3))
    with pytest.raises(ValueError, match="n_bits=0 must be an integer in"):
        al.cube_positions(0)
    with pytest.raises(ValueError, match="no transition matrix for 1 network"):
        tp.flipflop_topology({"a": f}, {})
