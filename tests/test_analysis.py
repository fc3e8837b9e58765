from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from universality import analysis, cells, comparisons, roundoff, similarity, statistics
from universality import fixed_points as fp
from universality.population import untrained_population, load_population
from universality.tasks import make_task

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def smoke_flipflop():
    """The committed smoke flip-flop networks (one per arch x activation)."""
    return load_population("smoke", "flipflop")


def _tanh2d_population(t, p=2):
    """The 2-unit tanh network of tests/data, p copies, as a 1-bit flip-flop population."""
    return t.population(p, [f"tanh2d-{i}" for i in range(p)])


# ---------------------------------------------------------------------------- PCA


def test_pca_recovers_a_plane(rng):
    basis = np.linalg.qr(rng.standard_normal((6, 2)))[0]
    coef = rng.standard_normal((500, 2)) * [3.0, 1.0]
    x = coef @ basis.T + 2.0
    p = analysis.pca(x, 3)
    np.testing.assert_allclose(p.explained[:2].sum(), 1.0, atol=1e-12)
    assert p.explained[2] < 1e-20
    # the top 2 axes span the plane; projecting and back reconstructs the data
    np.testing.assert_allclose(p.axes[:, :2] @ (p.axes[:, :2].T @ basis), basis, atol=1e-10)
    recon = p.project(x)[:, :2] @ p.axes[:, :2].T + p.mean
    np.testing.assert_allclose(recon, x, atol=1e-10)
    # deterministic signs: the largest loading of each axis is positive
    assert all(p.axes[np.argmax(np.abs(p.axes[:, k])), k] > 0 for k in range(3))
    # the same axes whatever the order of the samples
    q = analysis.pca(x[::-1], 3)
    np.testing.assert_allclose(q.axes[:, :2], p.axes[:, :2], atol=1e-10)


def test_pca_rejects_bad_components(rng):
    with pytest.raises(ValueError, match=r"n_components=7 must be in \[1, 6\]"):
        analysis.pca(rng.standard_normal((10, 6)), 7)


# ---------------------------------------------------------------------------- representations


def test_hidden_states_are_h_only(smoke_flipflop):
    inputs = smoke_flipflop.task.probe().inputs_btm
    hs = analysis.hidden(smoke_flipflop, inputs)
    full = smoke_flipflop.states(inputs)
    for nid, h in hs.items():
        n = int(smoke_flipflop.table.units[nid])
        assert h.shape[-1] == n
        np.testing.assert_array_equal(h, full[nid][..., :n])
        if smoke_flipflop.table.arch[nid] == "lstm":
            assert full[nid].shape[-1] == 2 * n


def test_geometry_matches_pairwise_distances_and_labels(smoke_flipflop):
    trials = smoke_flipflop.task.sample(np.random.default_rng(0), 8).inputs_btm
    d = analysis.geometry(smoke_flipflop, trials, metrics=("svcca", "cka"))
    reps = analysis.representations(smoke_flipflop, trials)
    direct = similarity.pairwise_distances(reps, "cka", progress=False)
    np.testing.assert_allclose(d["cka"].values, direct.values, atol=1e-12)
    assert list(d["svcca"].coords["network"].values) == list(smoke_flipflop.table.index)
    assert list(d["svcca"].coords["arch_2"].values) == list(smoke_flipflop.table.arch)
    sub = statistics.subset(d["svcca"], arch="vanilla")
    assert sub.shape == (2, 2) and set(sub.coords["activation"].values) == {"relu", "tanh"}


def test_clustering_table_separated_versus_shuffled(rng):
    labels = np.repeat(["a", "b", "c"], 8)
    centres = {"a": [0, 0], "b": [10, 0], "c": [0, 10]}
    pts = np.array([centres[l] for l in labels]) + 0.1 * rng.standard_normal((24, 2))
    d = np.linalg.norm(pts[:, None] - pts[None], axis=-1)
    shuffled = rng.permutation(labels)
    da = xr.DataArray(d, dims=("network", "network_2"),
                      coords={"arch": ("network", labels), "activation": ("network", shuffled)})
    t = statistics.clustering_table({"toy": da}, n_permutations=200, seed=0)
    assert t.loc[("toy", "arch", "all"), "nn_accuracy"] == 1.0 and t.loc[("toy", "arch", "all"), "p_value"] < 0.01
    assert t.loc[("toy", "activation", "all"), "p_value"] > 0.05


# ---------------------------------------------------------------------------- caches


def test_fixed_point_cache_round_trip_and_key(tmp_path, tanh2d):
    pop = _tanh2d_population(tanh2d, 2)
    cfg = fp.FixedPointConfig(n_initial=256, noise_scale=0.5, max_iters=400)
    first = analysis.fixed_points(pop, cfg, workspace=tmp_path)
    files = list((tmp_path / "_cache" / "fixed_points").glob("*.npz"))
    assert len(files) == 1
    again = analysis.fixed_points(pop, cfg, workspace=tmp_path)
    direct = fp.find_population_fixed_points(pop, pop.task, cfg, progress=False)
    for nid in direct:
        assert len(first[nid]) == len(direct[nid]) >= 3, first[nid].summary()
        np.testing.assert_array_equal(again[nid].h, first[nid].h)
        np.testing.assert_allclose(direct[nid].h, first[nid].h, atol=1e-12)
        # Jacobians recomputed from (h*, x*): identical from the cache, equal to the search's
        np.testing.assert_array_equal(again[nid].J_h, first[nid].J_h)
        np.testing.assert_allclose(direct[nid].J_h, first[nid].J_h, atol=1e-5)
        np.testing.assert_array_equal(again[nid].eigenvalues, first[nid].eigenvalues)
    # other weights (negative control): a new key, a new search
    pop.params["tanh2d-1"]["W_h"] = pop.params["tanh2d-1"]["W_h"] * np.float32(0.5)
    changed = analysis.fixed_points(pop, cfg, workspace=tmp_path)
    assert len(list((tmp_path / "_cache" / "fixed_points").glob("*.npz"))) == 2
    assert len(changed["tanh2d-1"]) == 1 and len(changed["tanh2d-0"]) == len(first["tanh2d-0"])


def test_transition_cache_round_trip_and_key(tmp_path, tanh2d):
    from universality import topology

    pop = _tanh2d_population(tanh2d, 2)
    cfg = fp.FixedPointConfig(n_initial=256, noise_scale=0.5, max_iters=400)
    fps = analysis.fixed_points(pop, cfg, workspace=tmp_path)
    tcfg = topology.TopologyConfig(n_perturbations=20)
    a = analysis.transitions_of(pop, fps, tcfg, workspace=tmp_path)
    b = analysis.transitions_of(pop, fps, tcfg, workspace=tmp_path)
    assert len(list((tmp_path / "_cache" / "transitions").glob("*.npz"))) == 1
    direct = topology.transition_matrices(pop, fps, config=tcfg, progress=False)
    for nid in fps:
        np.testing.assert_array_equal(a[nid], b[nid])
        np.testing.assert_array_equal(a[nid], direct[nid])
    # other settings (negative control): a new key
    analysis.transitions_of(pop, fps, topology.TopologyConfig(n_perturbations=10), workspace=tmp_path)
    assert len(list((tmp_path / "_cache" / "transitions").glob("*.npz"))) == 2


# ---------------------------------------------------------------------------- control populations


def test_untrained_population_is_the_initialisation():
    task = make_task("cdi")
    pop = untrained_population(task, ["vanilla"], ["tanh", "relu"], 8, [5, 6])
    assert len(pop) == 4 and set(pop.table.activation) == {"tanh", "relu"}
    spec = cells.CellSpec("vanilla", "relu", 8, task.n_inputs, task.n_outputs)
    ref = cells.init_params(spec, [6])
    nid = "untrained-cdi-vanilla-relu-n8-s6"
    # what the analyses see: the initialisation (perturbed when UNIVERSALITY_PERTURB is set)
    want = roundoff.perturb({k: v[0] for k, v in ref.items()}, nid)
    np.testing.assert_array_equal(pop.params[nid]["W_h"], want["W_h"])
    assert np.isfinite(pop.table.valid_loss).all()
    with pytest.raises(ValueError, match="seeds is empty"):
        untrained_population(task, ["vanilla"], ["tanh"], 8, [])


def test_merge_rejects_repeats_and_other_tasks():
    task = make_task("cdi")
    a = untrained_population(task, ["vanilla"], ["tanh"], 4, [0])
    b = untrained_population(task, ["vanilla"], ["tanh"], 4, [1])
    assert len(a.merge(b)) == 2
    with pytest.raises(ValueError, match="network ids present in both"):
        a.merge(a)
    c = untrained_population(make_task("cdi", n_steps=10), ["vanilla"], ["tanh"], 4, [2])
    with pytest.raises(ValueError, match="different tasks"):
        a.merge(c)


def test_group_mean_distances_known_answer():
    d = np.array([[0, 1, 4, 4], [1, 0, 5, 5], [4, 5, 0, 2], [4, 5, 2, 0]], float)
    da = xr.DataArray(d, dims=("network", "network_2"),
                      coords={"arch": ("network", ["a", "a", "b", "b"]), "activation": ("network", ["x", "x", "x", "y"])})
    m = comparisons.group_mean_distances(da, ["arch"])
    assert m.loc["a", "a"] == 1 and m.loc["b", "b"] == 2 and m.loc["a", "b"] == 4.5 == m.loc["b", "a"]
    m2 = comparisons.group_mean_distances(da, ["arch", "activation"])
    assert np.isnan(m2.loc["b x", "b x"]) and m2.loc["b x", "b y"] == 2
