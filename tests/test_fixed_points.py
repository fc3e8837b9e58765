from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from universality import cells
from universality.population import Population
from universality import fixed_points as fp
from universality.tasks import FlipFlop

DATA = Path(__file__).parent / "data"
SMALL = fp.FixedPointConfig(n_initial=64, max_iters=400, noise_scale=0.0)


# --------------------------------------------------------------------------------------
# A linear RNN h' = A h + B x + c has exactly one fixed point, (I - A)^-1 (B x + c)
# --------------------------------------------------------------------------------------


def _linear_step(h, x, a, b, c):
    """Batched h' = h A^T + x B^T + c for P networks: a (P,S,S), b (P,S,M), c (P,S)."""
    return tf.matmul(h, a, transpose_b=True) + tf.matmul(x, b, transpose_b=True) + c[:, None, :]


def _linear_population(rng, p=3, s=5, m=2, radius=0.9):
    a = rng.standard_normal((p, s, s))
    a *= radius / np.abs(np.linalg.eigvals(a)).max(axis=1)[:, None, None]
    b = rng.standard_normal((p, s, m))
    c = rng.standard_normal((p, s)) * 0.5
    return a, b, c


@pytest.mark.parametrize("radius", [0.9, 1.4])
def test_linear_rnn_has_its_closed_form_fixed_point(rng, radius):
    """Stable (radius 0.9) and unstable (1.4) linear maps, 3 networks x 2 conditions."""
    p, s, m = 3, 5, 2
    a, b, c = _linear_population(rng, p, s, m, radius)
    x_cm = np.array([[0.0, 0.0], [1.0, -0.5]])
    k = 40
    cond = np.broadcast_to(np.arange(k) % 2, (p, k))
    x = x_cm[cond]
    h0 = rng.standard_normal((p, k, s)) * 2
    cfg = fp.FixedPointConfig(max_iters=600, noise_scale=0.0)
    out = fp.find_fixed_points(_linear_step, h0, x, cfg, args=(a, b, c), conditions_pk=cond)
    assert len(out) == p
    for i, f in enumerate(out):
        assert len(f) == 2  # exactly one per condition
        assert sorted(f.condition.tolist()) == [0, 1]
        for j in range(2):
            g = f[f.condition == j]
            want = np.linalg.solve(np.eye(s) - a[i], b[i] @ x_cm[j] + c[i])
            np.testing.assert_allclose(g.h[0], want, atol=2e-4, rtol=1e-4)
            np.testing.assert_allclose(g.x[0], x_cm[j])
            np.testing.assert_allclose(g.J_h[0], a[i], atol=1e-5)
            np.testing.assert_allclose(g.J_x[0], b[i], atol=1e-5)
            lam = np.linalg.eigvals(a[i])
            np.testing.assert_allclose(np.sort(np.abs(g.eigenvalues[0]))[::-1], np.sort(np.abs(lam))[::-1],
                                       atol=1e-6)
        assert np.all(f.is_stable == (radius < 1))
        assert f.q.max() < 1e-10


def test_decompose_left_right_and_order(rng):
    j = rng.standard_normal((4, 6, 6))
    lam, r, left = fp.decompose(j)
    mags = np.abs(lam)
    assert np.all(np.diff(mags, axis=1) <= 1e-12)  # |lambda| descending
    np.testing.assert_allclose(left @ r, np.broadcast_to(np.eye(6), (4, 6, 6)), atol=1e-9)
    np.testing.assert_allclose(j @ r, r * lam[:, None, :], atol=1e-9)  # J r_i = lambda_i r_i
    np.testing.assert_allclose(left @ j, lam[:, :, None] * left, atol=1e-9)  # l_i^T J = lambda_i l_i^T
    np.testing.assert_allclose((r * lam[:, None, :]) @ left, j, atol=1e-9)


# --------------------------------------------------------------------------------------
# A 2-unit tanh network whose fixed points were found by scipy.optimize.root
# --------------------------------------------------------------------------------------


def _tanh2d(t):
    return t.z, t.spec, t.params(1)


def test_tanh_network_recovers_stored_ground_truth(rng, tanh2d):
    z, spec, params = _tanh2d(tanh2d)
    states = rng.uniform(-1.3, 1.3, size=(1, 400, 2))
    cfg = fp.FixedPointConfig(n_initial=400, noise_scale=0.0, max_iters=600)
    (f,) = fp.find_cell_fixed_points(spec, params, z["x_conditions"], states, cfg)
    truth_h, truth_c = z["h"], z["condition"]
    assert len(f) == len(truth_h) == 18  # the same set: nothing missing, nothing extra
    for c in range(2):
        got = f[f.condition == c]
        want = truth_h[truth_c == c]
        assert len(got) == len(want)
        assert np.all(got.contains(want, tol=1e-4))
        # match each found point to its ground truth and compare the linearisation
        d = np.linalg.norm(got.h[:, None] - want[None], axis=-1)
        match = d.argmin(axis=1)
        assert sorted(match.tolist()) == list(range(len(want)))
        lam = z["eigenvalues"][truth_c == c][match]
        np.testing.assert_allclose(got.eigenvalues, lam, atol=1e-4)
        np.testing.assert_array_equal(got.n_unstable, z["n_unstable"][truth_c == c][match])
    assert f.summary() == "18 fixed points: 8 stable, saddles with 1/2 unstable dims: 8/2"
    np.testing.assert_allclose(f.outputs[:, 0], f.h[:, 0] + 0.5 * f.h[:, 1], atol=1e-5)


def test_per_point_stopping_and_iteration_counts(rng, tanh2d):
    """A point started on a fixed point stops at once; the others keep moving."""
    z, spec, params = _tanh2d(tanh2d)
    fixed = z["h"][z["condition"] == 0][:1]
    h0 = np.concatenate([fixed, rng.uniform(-0.5, 0.5, (7, 2))])[None]
    x = np.zeros((1, 8, 1))
    step_fn = cells.functions(spec)[0]
    tparams = {k: tf.constant(v) for k, v in params.items()}
    res = fp.minimize_q(step_fn, h0, x, fp.FixedPointConfig(max_iters=300, check_every=50), args=(tparams,))
    assert res.n_iters[0, 0] <= 1
    assert res.n_iters[0, 1:].min() > 10
    assert res.h.shape == (1, 8, 2) and res.q.shape == (1, 8)


def test_parts_are_fixed_and_threads_change_only_the_wall_time(rng, monkeypatch):
    """The K points are searched in PARTS fixed parts: the result is the same bits with one
    thread or two (same process, same kernels), equal to one part's within round-off, and
    each part is a contiguous share of the points (PARTS=1: the earlier single search)."""
    from universality.fixed_points import optimise

    a, b, c = _linear_population(rng, 2, 6, 1, 0.95)
    h0 = rng.standard_normal((2, 2 * optimise.MIN_PART + 3, 6))
    x = np.zeros(h0.shape[:2] + (1,))
    cfg = fp.FixedPointConfig(max_iters=300, check_every=50)
    runs = {}
    for parts, threads in ((2, 2), (2, 1), (1, 1)):
        monkeypatch.setattr(optimise, "PARTS", parts)
        monkeypatch.setattr(optimise, "THREADS", threads)
        runs[parts, threads] = fp.minimize_q(_linear_step, h0, x, cfg, args=(a, b, c))
    for f in ("h", "q", "n_iters", "stopped"):
        np.testing.assert_array_equal(getattr(runs[2, 2], f), getattr(runs[2, 1], f))
    np.testing.assert_allclose(runs[2, 2].h, runs[1, 1].h, atol=1e-4)
    assert runs[2, 2].h.shape == h0.shape


def test_no_retracing_warning_over_specs_and_parts(caplog):
    """Searches of several specs, each cold, with two parts compacting on their own: the
    compiled shapes are bounded (at most 3 per spec), and TF's retracing warning stays off."""
    import logging

    from universality.fixed_points import optimise

    task = FlipFlop(n_bits=2, n_steps=40)
    optimise.clear_compiled()
    with caplog.at_level(logging.WARNING, logger="tensorflow"):
        for arch in ("vanilla", "gru", "lstm", "ugrnn"):
            spec = cells.CellSpec(arch, "tanh", 12, 2, 2)
            params = cells.init_params(spec, [1, 2])
            states = cells.run(spec, params, task.sample(np.random.default_rng(0), 8).inputs_btm[None].repeat(2, 0))
            fp.find_cell_fixed_points(spec, params, task.conditions().inputs_cm,
                                      states.numpy().reshape(2, -1, spec.state_size),
                                      fp.FixedPointConfig(n_initial=2 * optimise.MIN_PART, max_iters=600,
                                                          check_every=20))
    assert not [r for r in caplog.records if "retracing" in r.getMessage()]
    assert optimise.compilations() <= 3 * 4


def test_adaptive_step_size_makes_large_rates_safe(rng):
    """With a far too large initial rate, growing/cutting per point still converges."""
    a, b, c = _linear_population(rng, 1, 4, 1, 0.5)
    h0 = rng.standard_normal((1, 16, 4))
    x = np.zeros((1, 16, 1))
    cfg = fp.FixedPointConfig(learning_rate=0.1, lr_max=0.1, max_iters=2000, tol_dq=0.0, tol_q=1e-10)
    res = fp.minimize_q(_linear_step, h0, x, cfg, args=(a, b, c))
    assert np.all(res.q < 1e-9)
    no_cut = fp.FixedPointConfig(learning_rate=0.1, lr_max=0.1, lr_shrink=0.999999, lr_grow=1.0, max_iters=300,
                                 tol_dq=0.0, tol_q=1e-10, beta1=0.0, beta2=0.0)
    res2 = fp.minimize_q(_linear_step, h0, x, no_cut, args=(a, b, c))
    assert np.median(res2.q) > 1e-6  # negative control: without the cut, it keeps bouncing


# --------------------------------------------------------------------------------------
# De-duplication and outliers
# --------------------------------------------------------------------------------------


def test_deduplicate_keeps_lowest_q_per_cluster_and_condition(rng):
    centres = rng.standard_normal((5, 3)) * 10
    h = np.repeat(centres, 4, axis=0) + rng.standard_normal((20, 3)) * 1e-4
    q = rng.random(20)
    idx = fp.deduplicate(h, q, tol=1e-2)
    assert len(idx) == 5
    for c in range(5):
        block = np.arange(4 * c, 4 * c + 4)
        assert block[q[block].argmin()] in idx
    groups = np.tile([0, 1], 10)  # two conditions never merge
    assert len(fp.deduplicate(h, q, tol=1e-2, groups_n=groups)) == 10
    assert len(fp.deduplicate(h, q, tol=1e-8)) == 20  # negative control
    assert len(fp.deduplicate(np.zeros((0, 3)), np.zeros(0), 1.0)) == 0


def test_outlier_mask(rng):
    ref = rng.standard_normal((500, 4))
    rho = np.median(np.linalg.norm(ref - ref.mean(0), axis=1))
    pts = np.array([[0, 0, 0, 0], [3 * rho, 0, 0, 0], [30 * rho, 0, 0, 0]], float) + ref.mean(0)
    np.testing.assert_array_equal(fp.outlier_mask(pts, ref, 10.0), [True, True, False])
    assert fp.outlier_mask(pts, ref, np.inf).all()


# --------------------------------------------------------------------------------------
# Jacobians stored with the fixed points, for every cell
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("arch", cells.ARCHS)
def test_stored_jacobians_match_finite_differences(arch, rng):
    spec = cells.CellSpec(arch, "tanh", 4, 2, 1)
    params = cells.init_params(spec, [3])
    params["W_h"] = params["W_h"] * 1.5  # some structure to find
    states = rng.standard_normal((1, 50, spec.state_size)).astype(np.float32) * 0.5
    cfg = fp.FixedPointConfig(n_initial=16, max_iters=200, noise_scale=0.0, q_max=np.inf, q_candidate=np.inf,
                              polish_iters=3)
    (f,) = fp.find_cell_fixed_points(spec, params, np.array([[0.3, -0.2]]), states, cfg)
    assert len(f) >= 1
    h = f.h.astype(np.float32)[None]
    x = f.x.astype(np.float32)[None]
    eps = 1e-3
    fd_h = np.zeros_like(f.J_h)
    for j in range(spec.state_size):
        d = np.zeros_like(h)
        d[..., j] = eps
        fd_h[..., j] = (cells.step(spec, params, h + d, x).numpy() - cells.step(spec, params, h - d, x).numpy())[0] / (2 * eps)
    fd_x = np.zeros_like(f.J_x)
    for j in range(2):
        d = np.zeros_like(x)
        d[..., j] = eps
        fd_x[..., j] = (cells.step(spec, params, h, x + d).numpy() - cells.step(spec, params, h, x - d).numpy())[0] / (2 * eps)
    np.testing.assert_allclose(f.J_h, fd_h, atol=2e-3)
    np.testing.assert_allclose(f.J_x, fd_x, atol=2e-3)
    assert np.abs(f.J_h).max() > 1e-2  # not trivially zero
    # and the speed stored is the speed at the stored point
    r = cells.step(spec, params, h, x).numpy()[0] - f.h
    np.testing.assert_allclose(f.q, 0.5 * (r**2).sum(-1), atol=1e-6)


# --------------------------------------------------------------------------------------
# The container
# --------------------------------------------------------------------------------------


def _toy_container(rng, n=6, s=3, m=2):
    lam = np.array([0.5, 1.5, 0.9, 2.0, 1.2, 0.1])
    jh = np.stack([np.diag([lam[i], 0.3 * (i % 2) + 1.1 * (i == 3), 0.2]) for i in range(n)])
    return fp.FixedPoints.build(rng.standard_normal((n, s)), rng.random(n) * 1e-12, np.zeros((n, m)),
                                np.arange(n) % 2, jh, rng.standard_normal((n, s, m)),
                                rng.standard_normal((n, 3)), {"network_id": "toy"})


def test_container_indexing_stability_summary(rng):
    f = _toy_container(rng)
    np.testing.assert_array_equal(f.is_stable, [True, False, True, False, False, True])
    np.testing.assert_array_equal(f.n_unstable, [0, 1, 0, 2, 1, 0])
    assert f.summary() == "6 fixed points: 3 stable, saddles with 1/2 unstable dims: 2/1"
    st = f[f.is_stable]
    assert len(st) == 3 and st.is_stable.all() and st.meta["network_id"] == "toy"
    assert len(f[2]) == 1 and np.array_equal(f[2].h[0], f.h[2])
    assert len(f[[0, 5]]) == 2 and len(f[:4]) == 4
    assert f[np.zeros(6, bool)].summary() == "0 fixed points: 0 stable, no saddles"
    assert f.contains(f.h[3] + 1e-5, tol=1e-3)
    assert not f.contains(f.h[3] + 1.0, tol=1e-3)
    np.testing.assert_array_equal(f.contains(np.stack([f.h[0], f.h[0] + 10]), tol=1e-3), [True, False])
    with pytest.raises(ValueError, match="h has 4 units; these fixed points have 3"):
        f.contains(np.zeros(4))


def test_container_save_load_without_pickle(tmp_path, rng):
    f = _toy_container(rng)
    path = f.save(tmp_path / "fps.npz")
    with np.load(path, allow_pickle=False) as z:
        assert all(z[k].dtype != object for k in z.files)
    g = fp.FixedPoints.load(path)
    for a in ("h", "q", "x", "condition", "J_h", "J_x", "eigenvalues", "right", "left", "outputs"):
        np.testing.assert_array_equal(getattr(f, a), getattr(g, a))
    assert g.meta == {"network_id": "toy"}
    coll = {"net-a": f, "net-b": f[f.is_stable]}
    fp.save_collection(tmp_path / "all.npz", coll)
    back = fp.load_collection(tmp_path / "all.npz")
    assert list(back) == ["net-a", "net-b"]
    assert len(back["net-b"]) == 3 and np.array_equal(back["net-b"].h, f.h[f.is_stable])
    # a reader's take-away file: compact plus eigenvalues, no Jacobians
    fp.save_collection(tmp_path / "away.npz", coll, compact=True, extra=("eigenvalues",))
    with np.load(tmp_path / "away.npz", allow_pickle=False) as z:
        assert "0/eigenvalues" in z.files and "0/J_h" not in z.files and "0/right" not in z.files
        np.testing.assert_array_equal(z["1/eigenvalues"], f.eigenvalues[f.is_stable])
    with pytest.raises(ValueError, match="extra=.*'J'.* are not fields"):
        fp.save_collection(tmp_path / "bad.npz", coll, compact=True, extra=("J",))


def test_container_rejects_inconsistent_shapes(rng):
    f = _toy_container(rng)
    with pytest.raises(ValueError, match="J_h has shape"):
        fp.FixedPoints(f.h, f.q, f.x, f.condition, f.J_h[:, :2], f.J_x, f.eigenvalues, f.right, f.left, f.outputs)


# --------------------------------------------------------------------------------------
# Validation before any compute
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs, match", [
    ({"tol_q": 0.0}, r"tol_q=0.0 must be a finite number > 0"),
    ({"n_initial": 0}, r"n_initial=0 must be a positive integer"),
    ({"lr_shrink": 1.5}, r"lr_shrink=1.5 must be in \(0, 1\)"),
    ({"learning_rate": 1.0}, r"learning_rate=1.0 must lie in \[lr_min, lr_max\]"),
    ({"tol_unique": -1.0}, r"tol_unique=-1.0 must be a finite number > 0"),
    ({"outlier_distance_scale": 0}, r"outlier_distance_scale=0 must be a number > 0"),
    ({"polish_iters": -1}, r"polish_iters=-1 must be an integer >= 0"),
])
def test_config_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        fp.FixedPointConfig(**kwargs)


def test_input_validation(rng):
    spec = cells.CellSpec("vanilla", "tanh", 4, 3, 3)
    params = cells.init_params(spec, [0, 1])
    states = rng.standard_normal((2, 10, 4))
    with pytest.raises(ValueError, match=r"inputs_cm has shape \(1, 2\); expected \(C, 3\)"):
        fp.find_cell_fixed_points(spec, params, np.zeros((1, 2)), states, SMALL)
    with pytest.raises(ValueError, match=r"states_prs has shape \(2, 10, 5\); expected \(2, R>0, 4\)"):
        fp.find_cell_fixed_points(spec, params, np.zeros((1, 3)), rng.standard_normal((2, 10, 5)), SMALL)
    with pytest.raises(ValueError, match="population is empty"):
        fp.find_cell_fixed_points(spec, {k: v[:0] for k, v in params.items()}, np.zeros((1, 3)), states[:0], SMALL)
    with pytest.raises(ValueError, match=r"n_initial=2 is smaller than the number of conditions \(3\)"):
        fp.find_cell_fixed_points(spec, params, np.zeros((3, 3)), states, fp.FixedPointConfig(n_initial=2))
    with pytest.raises(ValueError, match=r"h0_pks has P=0 networks"):
        fp.find_fixed_points(_linear_step, np.zeros((0, 3, 2)), np.zeros((0, 3, 1)))
    with pytest.raises(ValueError, match="task 'flipflop' has 3 inputs but the networks take 2"):
        spec2 = cells.CellSpec("vanilla", "tanh", 4, 2, 3)
        fp.find_population_fixed_points(Population.from_stacked(None, spec2, cells.init_params(spec2, [0])),
                                        FlipFlop(), SMALL, progress=False)


def test_population_entry_point_on_stacked_parameters():
    """A population built from stacked parameters: keys 0..P-1, trajectories from the
    task, batched = alone."""
    task = FlipFlop(n_steps=30)
    spec = cells.CellSpec("vanilla", "tanh", 6, 3, 3)
    params = cells.init_params(spec, [0, 1])
    params["W_h"] *= 1.8
    cfg = fp.FixedPointConfig(n_initial=64, n_trials=4, max_iters=300)
    both = fp.find_population_fixed_points(Population.from_stacked(task, spec, params), task, cfg, progress=False)
    assert list(both) == [0, 1]
    alone = fp.find_population_fixed_points(Population.from_stacked(task, spec, {k: v[1:] for k, v in params.items()}),
                                            task, cfg, progress=False)
    # network 1 alone is keyed 0 there, so its draw differs; its fixed points must not
    assert len(both[1]) == len(alone[0]) and np.all(alone[0].contains(both[1].h, tol=1e-3))
    assert all(f.outputs.shape == (len(f), 3) for f in both.values())


# --------------------------------------------------------------------------------------
# A trained flip-flop network (book profile)
# --------------------------------------------------------------------------------------


def test_trained_flipflop_has_8_stable_corners_and_saddles(book_flipflop):
    pop = book_flipflop
    sub = pop.select(arch="vanilla", activation="tanh")
    sub = sub.select(seed=[int(sub.table.seed.min())], l2=[float(sub.table.l2.max())])
    (f,) = fp.find_population_fixed_points(sub, pop.task, fp.FixedPointConfig(), progress=False).values()
    stable = f[f.is_stable]
    assert len(stable) == 8, f.summary()
    corners = np.array([[a, b, c] for a in (-1, 1) for b in (-1, 1) for c in (-1, 1)], float)
    d = np.abs(stable.outputs[:, None, :] - corners[None]).max(axis=-1)
    assert np.all(d.min(axis=1) < 0.1), stable.outputs
    assert sorted(d.argmin(axis=1).tolist()) == list(range(8))  # one per corner
    for k in (1, 2, 3):
        assert np.any(f.n_unstable == k), f.summary()
    assert f.q.max() < 1e-10


def test_shipped_book_fixed_points_are_found_again():
    """Searching shipped flip-flop networks afresh (one per architecture x activation, each
    alone: the result must not hang on the batch) finds the shipped points: the same
    count -- 27 where 27 were shipped, the 3-bit flip-flop's 2^3 stable points and 19
    saddles -- and every point within 1e-3."""
    import json

    from universality import roundoff, studies
    from universality.population import load_population
    from universality.store import DEFAULT_ROOT

    manifest = DEFAULT_ROOT / "artifacts" / "manifest.json"
    if not manifest.exists():
        pytest.skip("no shipped artifacts (see tests/test_artifacts.py)")
    entry = next((e for e in json.loads(manifest.read_text())["artifacts"]
                  if e["kind"] == "fixed_points" and e["name"] == "flipflop"), None)
    if entry is None:
        pytest.skip("no shipped flip-flop fixed points")
    with roundoff.unperturbed():  # the shipped points are those of the committed weights
        pop = load_population("book", "flipflop", require_complete=False).trained()
    shipped = fp.load_collection(DEFAULT_ROOT / "artifacts" / entry["file"], population=pop)
    sample = pop.select(seed=1, l2=1e-4, units=64)
    ids = list(sample.table.index)
    assert len(ids) == 8
    # searched on the weights as loaded (perturbed by 1e-6 when UNIVERSALITY_PERTURB is set:
    # the same points must come out within 1e-3)
    again = fp.find_population_fixed_points(load_population("book", "flipflop", require_complete=False)
                                            .select(seed=1, l2=1e-4, units=64), sample.task,
                                            studies.study_for("flipflop").fixed_point_config(), progress=False)
    assert sum(len(shipped[nid]) == 27 for nid in ids) >= 6  # the sample is mostly 27-point networks
    for nid in ids:
        a, b = shipped[nid], again[nid]
        assert len(a) == len(b), (nid, len(a), len(b))
        assert np.all(a.contains(b.h, tol=1e-3)) and np.all(b.contains(a.h, tol=1e-3)), nid


def test_decompose_a_defective_jacobian(rng):
    """A Jacobian with a Jordan block at 0 (as relu units that are off give) has no R^{-1}:
    the left eigenvectors of its other modes come from J^T, a repeated but complete
    eigenvalue gets its dual basis, and the defective block's rows are 0 -- finite on any
    machine, where R^{-1} either fails or is round-off."""
    core = np.zeros((6, 6))
    core[0, 1] = core[1, 2] = 1.0  # a 3 x 3 Jordan block at 0
    core[3, 3] = core[4, 4] = 0.5  # 0.5 twice, with two eigenvectors
    core[5, 5] = 0.9
    q = np.linalg.qr(rng.standard_normal((6, 6)))[0] + 0.3 * rng.standard_normal((6, 6))
    j = q @ core @ np.linalg.inv(q)
    lam, r, left = fp.decompose(j[None])
    assert np.all(np.isfinite(left))
    kept = np.abs(left[0]).sum(axis=1) > 0
    np.testing.assert_allclose(np.sort(np.abs(lam[0][kept])), [0.5, 0.5, 0.9], atol=1e-8)
    assert np.all(np.abs(lam[0][~kept]) < 1e-4)  # the Jordan block (its computed eigenvalues spread about 0)
    k = np.flatnonzero(kept)
    np.testing.assert_allclose(left[0][k] @ r[0][:, k], np.eye(3), atol=1e-8)
    np.testing.assert_allclose(left[0][k] @ j, lam[0][k, None] * left[0][k], atol=1e-8)
    # negative control: a diagonalisable J keeps L = R^{-1} itself
    good = rng.standard_normal((2, 6, 6))
    lam2, r2, left2 = fp.decompose(good)
    np.testing.assert_array_equal(left2, np.linalg.inv(r2))


def test_eigenvectors_are_computed_when_first_read_in_the_order_of_the_eigenvalues(rng):
    """The container computes the eigenvalues when built and the eigenvectors when first
    read (a slice reads only its own); given eigenvalues in another order of equal |lambda|
    (a conjugate pair swapped, as eigvals and eig may return them), the eigenvectors follow
    that order."""
    j = rng.standard_normal((3, 5, 5))
    f = fp.FixedPoints.build(np.zeros((3, 5)), np.zeros(3), np.zeros((3, 1)), np.zeros(3, np.int64), j,
                             np.zeros((3, 5, 1)))
    assert f.right_ is None
    part = f[[0, 2]]
    assert part.right_ is None and part.right.shape == (2, 5, 5) and f.right_ is None
    lam, r, left = fp.decompose(j)
    np.testing.assert_allclose(f.eigenvalues, lam, atol=1e-10)
    np.testing.assert_allclose(f.right[:, :, 0] * f.left[:, 0, :1], r[:, :, 0] * left[:, 0, :1], atol=1e-10)
    np.testing.assert_allclose(f.left @ j, f.eigenvalues[:, :, None] * f.left, atol=1e-9)
    pair = int(np.flatnonzero(np.abs(lam[0].imag) > 1e-9)[0])  # the first member of a conjugate pair
    swapped = lam.copy()
    swapped[0, [pair, pair + 1]] = swapped[0, [pair + 1, pair]]
    g = fp.FixedPoints.build(f.h, f.q, f.x, f.condition, j, f.J_x, eigenvalues=swapped)
    np.testing.assert_allclose(j[0] @ g.right[0], g.right[0] * swapped[0], atol=1e-9)
    np.testing.assert_allclose(g.left[0] @ g.right[0], np.eye(5), atol=1e-9)
