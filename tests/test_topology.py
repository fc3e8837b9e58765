from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from universality import cells, store
from universality import fixed_points as fp
from universality import topology as tp
from universality.topology import alignment as al

DATA = Path(__file__).parent / "data"


def _tanh2d(t, p=1):
    return t.spec, t.params(p), t.fixed_points(0)


def test_readout_order_is_lexicographic_with_rounding():
    y = np.array([[1.0, -1.0], [-1.0, 1.0], [0.02, 0.0], [-0.01, 0.5], [-1.0, -1.0]])
    order = tp.readout_order(y, decimals=1)
    # rounded y_0: 1, -1, 0, -0, -1 -> the two -1 rows (by y_1: -1, then 1), the two 0 rows
    # (-0.01 rounds to the same 0 as 0.02, so y_1 decides: 0.0, then 0.5), then the 1 row
    assert order.tolist() == [4, 1, 2, 3, 0]
    perm = np.random.default_rng(0).permutation(len(y))
    assert np.array_equal(y[perm][tp.readout_order(y[perm])], y[order])  # same result in any input order


def test_modal_count():
    modal, kept, aside = tp.modal_count({"a": 27, "b": 27, "c": 26, "d": 29})
    assert (modal, kept, aside) == (27, ["a", "b"], ["c", "d"])
    assert tp.modal_count({"a": 3, "b": 2})[0] == 2  # tie: the smaller
    with pytest.raises(ValueError, match="counts is empty"):
        tp.modal_count({})


def _population(spec, params):
    from universality.population import Population

    return Population.from_stacked(None, spec, params)


def test_transition_matrix_of_tanh_network_known_answer(tanh2d):
    """4 stable corners (self-loops), 4 saddles to their 2 neighbouring corners, and the
    unstable node at the centre to all 4 corners."""
    spec, params, f = _tanh2d(tanh2d)
    cfg = tp.TopologyConfig(n_perturbations=100, perturbation_scale=0.02)
    (mat,) = tp.transition_matrices(_population(spec, params), {0: f}, config=cfg, progress=False).values()
    assert mat.shape == (9, 9)
    np.testing.assert_allclose(mat.sum(axis=1), 1.0)
    stable = np.flatnonzero(f.is_stable)
    assert len(stable) == 4
    np.testing.assert_array_equal(mat[stable][:, stable], np.eye(4))
    assert np.all(mat[:, ~f.is_stable] == 0)  # runs only end at stable points
    for i in np.flatnonzero(f.n_unstable == 1):
        dest = np.flatnonzero(mat[i])
        assert len(dest) == 2 and np.all(np.abs(mat[i, dest] - 0.5) < 0.2), mat[i]
        # the two corners adjacent to the saddle: the nearest stable points
        d = np.linalg.norm(f.h[stable] - f.h[i], axis=1)
        assert set(dest) == set(stable[np.argsort(d)[:2]])
    (centre,) = np.flatnonzero(f.n_unstable == 2)
    assert np.count_nonzero(mat[centre]) == 4 and mat[centre].max() < 0.5


def test_transition_matrix_does_not_depend_on_the_order_of_the_points(tanh2d):
    """Perturbation draws are keyed by each point's canonical rank: shuffling the fixed
    points shuffles the matrix's rows and columns alike, and changes nothing else."""
    spec, params, f = _tanh2d(tanh2d)
    cfg = tp.TopologyConfig(n_perturbations=60, perturbation_scale=0.02)
    pop = _population(spec, params)
    (mat,) = tp.transition_matrices(pop, {0: f}, config=cfg, progress=False).values()
    perm = np.random.default_rng(4).permutation(len(f))
    (shuffled,) = tp.transition_matrices(pop, {0: f[perm]}, config=cfg, progress=False).values()
    np.testing.assert_array_equal(shuffled, mat[np.ix_(perm, perm)])
    # negative control: another seed draws other directions (the test above can fail)
    (other,) = tp.transition_matrices(pop, {0: f}, config=tp.TopologyConfig(60, 0.02, seed=9),
                                      progress=False).values()
    assert not np.array_equal(other, mat)


def test_heteroclinic_trajectories_leave_saddles_for_stable_points(tanh2d):
    spec, params, f = _tanh2d(tanh2d)
    one = {k: v[0] for k, v in params.items()}
    traj = tp.heteroclinic_trajectories(spec, one, f, n_perturbations=5, n_steps=200, scale=0.02)
    assert traj.shape == (9, 5, 201, 2)
    np.testing.assert_allclose(np.linalg.norm(traj[:, :, 0] - f.h[:, None], axis=-1), 0.02, rtol=1e-5)
    stable_h = f.h[f.is_stable]
    ends = traj[:, :, -1].reshape(-1, 2)
    assert np.linalg.norm(ends[:, None] - stable_h[None], axis=-1).min(axis=1).max() < 1e-3


def test_knn_adjacency_known_answer():
    x = np.array([[0.0], [1.0], [3.0], [6.0]])
    a = tp.knn_adjacency(x, k=1)
    np.testing.assert_array_equal(a, [[0, 1, 0, 0], [1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]])
    a2 = tp.knn_adjacency(x, k=2)
    np.testing.assert_array_equal(a2.sum(axis=1), 2)
    assert a2[3, 1] == 1 and a2[3, 0] == 0
    np.testing.assert_array_equal(tp.knn_adjacency(x, k=4), 1 - np.eye(4))  # k >= n: every other point
    assert tp.knn_adjacency(x[:1]).shape == (1, 1) and not tp.knn_adjacency(x[:1]).any()
    with pytest.raises(ValueError, match="k=0 must be a positive integer"):
        tp.knn_adjacency(x, k=0)


def _line_points(n_per_context, rng, c=2, s=3):
    hs, conds, outs = [], [], []
    for ctx in range(c):
        t = rng.permutation(np.linspace(-1, 1, n_per_context))
        hs.append(np.outer(t, np.eye(s)[ctx]) + ctx)
        outs.append(t[:, None])
        conds.append(np.full(n_per_context, ctx))
    h = np.concatenate(hs)
    n = len(h)
    return fp.FixedPoints.build(h, rng.random(n), np.zeros((n, 1)), np.concatenate(conds), np.zeros((n, s, s)),
                                np.zeros((n, s, 1)), np.concatenate(outs))


def test_cdi_graph_evenly_spaced_along_readout(rng):
    f = _line_points(21, rng)
    adj, index = tp.cdi_graph(f, 2, n_points=5, k=1)
    assert adj.shape == (2, 5, 5) and index.shape == (10,)
    np.testing.assert_allclose(f.outputs[index[:5], 0], [-1, -0.5, 0, 0.5, 1])
    # evenly spaced points on a line: each point's nearest neighbour is the next one along it
    assert adj[0, 0, 1] == 1 and adj[0, 4, 3] == 1


def test_cdi_graph_with_few_points_leaves_slots_empty(rng):
    """A line with fewer points than slots is still compared: its points spread over the
    slots in readout order, the other slots are empty rows."""
    f = _line_points(3, rng)
    adj, index = tp.cdi_graph(f, 2, n_points=5, k=1)
    assert adj.shape == (2, 5, 5)
    assert (index[:5] >= 0).tolist() == [True, False, True, False, True]  # slots 0, 2, 4
    np.testing.assert_allclose(f.outputs[index[[0, 2, 4]], 0], [-1, 0, 1])
    assert not adj[0, 1].any() and not adj[0, :, 1].any()  # empty slot: empty row and column
    assert adj[0, 0, 2] == 1 and adj[0, 4, 2] == 1
    assert tp.graphs.line_slots(1, 5)[1].tolist() == [2] and len(tp.graphs.line_slots(0, 5)[0]) == 0


def test_sine_graph_one_point_per_condition_and_empty_rows(rng):
    f = _line_points(4, rng, c=3)
    adj, index = tp.sine_graph(f, 3)
    assert adj.shape == (3, 3) and f.condition[index].tolist() == [0, 1, 2]
    for c in range(3):
        assert f.q[index[c]] == f.q[f.condition == c].min()
    adj4, index4 = tp.sine_graph(f, 4)  # condition 3 has no fixed point: an empty row
    assert index4[3] == -1 and not adj4[3].any() and not adj4[:, 3].any()
    np.testing.assert_array_equal(adj4[:3, :3], adj)


def test_graph_distances_labelled_and_exact():
    g = {"a": np.eye(3), "b": np.zeros((3, 3)), "c": np.eye(3)}
    labels = pd.DataFrame({"arch": ["gru", "lstm", "gru"], "seed": [0, 1, 2], "other": [1, 2, 3]},
                          index=["a", "b", "c"])
    d = tp.graph_distances(g, labels)
    assert d.dims == ("network", "network_2")
    assert list(d.network.values) == ["a", "b", "c"]
    assert list(d.arch.values) == ["gru", "lstm", "gru"] and list(d.arch_2.values) == ["gru", "lstm", "gru"]
    assert "other" not in d.coords
    np.testing.assert_allclose(d.values, [[0, np.sqrt(3), 0], [np.sqrt(3), 0, np.sqrt(3)], [0, np.sqrt(3), 0]])
    with pytest.raises(ValueError, match="graphs have different shapes"):
        tp.graph_distances({"a": np.eye(3), "b": np.eye(2)})


def test_topology_config_validation():
    with pytest.raises(ValueError, match="n_perturbations=0 must be a positive integer"):
        tp.TopologyConfig(n_perturbations=0)
    with pytest.raises(ValueError, match="perturbation_scale=-1.0 must be a finite number > 0"):
        tp.TopologyConfig(perturbation_scale=-1.0)


def test_command_line_reports_modal_fraction(tmp_path, capsys):
    """A stored one-network smoke population: the command prints the modal count."""
    from universality.population import network_id

    spec = cells.CellSpec("vanilla", "tanh", 16, 3, 3)
    p = cells.init_one(spec, 0)
    p["W_h"] = (np.eye(16) * 1.5).astype(np.float32)  # 2^16 corners: many fixed points
    nid = network_id("flipflop", "vanilla", "tanh", 16, 1e-4, 0)
    meta = {"task": "flipflop", "arch": "vanilla", "activation": "tanh", "units": 16, "l2": 1e-4, "seed": 0,
            "valid_loss": 0.1, "train_loss": 0.1, "diverged": False, "hparams": {"learning_rate": 0.01}}
    store.save_network(store.network_path(tmp_path, "smoke", "flipflop", nid), p, meta, np.zeros(1), np.ones(1))
    from universality import cli

    assert cli.main(["fixed-points", "--profile", "smoke", "--task", "flipflop", "--data", str(tmp_path),
                     "--n-initial", "64", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert f"{nid}: " in out
    assert "modal fixed-point count: " in out and "networks with the modal count: 1/1 = 100.0%" in out
    assert "stable fixed points per network (count: networks): " in out


def test_trained_flipflop_transition_graph(book_flipflop):
    """Stable points keep their perturbations; every unstable point has >= 2 out-edges; the
    aligned graph of a tanh network is near the perfect cube's."""
    pop = book_flipflop
    sub = pop.select(arch="vanilla", activation="tanh")
    sub = sub.select(seed=[int(sub.table.seed.min())], l2=[float(sub.table.l2.max())])
    fps = fp.find_population_fixed_points(sub, pop.task, progress=False)
    mats = tp.transition_matrices(sub, fps, config=tp.TopologyConfig(n_perturbations=50), progress=False)
    (mat,) = mats.values()
    (f,) = fps.values()
    st = f.is_stable
    np.testing.assert_array_equal(mat[st][:, st], np.eye(int(st.sum())))
    assert np.all(np.count_nonzero(mat[~st], axis=1) >= 2)
    assert np.all(np.count_nonzero(mat[f.n_unstable == 1], axis=1) == 2)
    topo = tp.flipflop_topology(fps, mats, "position", labels=sub.table)
    assert tp.distance_to_ideal(topo).iloc[0] < 1.0
    # shuffling the fixed points (search and transitions recomputed) changes no row
    perm = np.random.default_rng(0).permutation(len(f))
    nid = next(iter(fps))
    shuffled = {nid: f[perm]}
    mats2 = tp.transition_matrices(sub, shuffled, config=tp.TopologyConfig(n_perturbations=50), progress=False)
    again = tp.flipflop_topology(shuffled, mats2, "position", labels=sub.table)
    np.testing.assert_array_equal(again.graphs[nid], topo.graphs[nid])


# ------------------------------------------------------------------ sine: signature vs spacing


def _sine_points(spacing, unstable_pairs, n_conditions=10):
    """A network's per-frequency fixed points along a curve at positions ``spacing`` (one
    per condition), each with ``unstable_pairs[c]`` unstable rotation blocks in its Jacobian."""
    from universality import fixed_points as fp

    s = np.asarray(spacing, float)
    h = np.stack([np.cos(s), np.sin(s), 0.1 * s, np.zeros_like(s)], axis=1)
    jac = []
    for c in range(n_conditions):
        j = np.zeros((4, 4))
        for b, r in enumerate((1.05 if unstable_pairs[c] > 0 else 0.9, 1.04 if unstable_pairs[c] > 1 else 0.5)):
            th = 0.3 + 0.1 * c
            j[2 * b:2 * b + 2, 2 * b:2 * b + 2] = r * np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
        jac.append(j)
    n = n_conditions
    return fp.FixedPoints.build(h, np.full(n, 1e-14), np.zeros((n, 1)), np.arange(n), np.stack(jac),
                                np.zeros((n, 4, 1)), h[:, :1])


def test_sine_signature_ignores_spacing_and_the_paper_graph_does_not():
    """A monotone re-spacing of each network's points along their curve leaves the
    signature topology's distances unchanged; the paper's nearest-neighbour graph changes
    (it records the spacing)."""
    rng = np.random.default_rng(5)
    n = 10
    pairs = {f"net{i}": rng.integers(1, 3, size=n) for i in range(6)}
    base = np.linspace(0, 2.5, n)
    grow, shrink = base ** 2 / 2.5, np.sqrt(base * 2.5)  # monotone re-spacings of [0, 2.5]
    fps_a = {k: _sine_points(grow if i % 2 else shrink, p) for i, (k, p) in enumerate(pairs.items())}
    fps_b = dict(fps_a, net0=_sine_points(grow, pairs["net0"]))  # one network's points re-spaced
    sig_a, sig_b = tp.sine_signature_topology(fps_a, n), tp.sine_signature_topology(fps_b, n)
    np.testing.assert_array_equal(sig_a.distances.values, sig_b.distances.values)
    assert sig_a.distances.values.max() > 0  # the signatures do tell networks apart
    nn_a, nn_b = tp.sine_topology(fps_a, n), tp.sine_topology(fps_b, n)
    assert not np.allclose(nn_a.distances.values, nn_b.distances.values)
    # one network's signature: a row per frequency, [points, unstable pairs, unstable real modes]
    g = sig_a.graphs["net0"]
    assert g.shape == (n, 3) and np.all(g[:, 0] == 1) and np.array_equal(g[:, 1], pairs["net0"]) and not g[:, 2].any()
