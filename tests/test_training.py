import numpy as np
import pytest

from universality import cells, training
from universality.tasks import FlipFlop, make_task

TASK = FlipFlop(n_steps=30)
CFG = training.TrainConfig(iterations=40, batch_size=16, log_every=5, valid_size=32, optimizer="adam")
HP = training.HParams(learning_rate=0.01, decay_rate=0.5, momentum=0.9, clip=1.0)


def spec_for(task, arch="vanilla", act="tanh", units=16):
    return cells.CellSpec(arch, act, units, task.n_inputs, task.n_outputs)


@pytest.mark.parametrize("optimizer", training.OPTIMIZERS)
def test_loss_decreases(optimizer):
    cfg = training.TrainConfig(iterations=60, batch_size=32, log_every=10, valid_size=64, optimizer=optimizer)
    hp = HP if optimizer == "adam" else training.HParams(learning_rate=0.1, momentum=0.9, clip=1.0, decay_rate=0.9)
    res = training.train_population(TASK, spec_for(TASK), [0, 1], 1e-4, hp, cfg, progress=False)
    assert res.loss_curve.shape == (2, 6)
    assert np.all(res.loss_curve[:, -1] < 0.8 * res.loss_curve[:, 0])
    assert np.all(np.isfinite(res.valid_loss)) and not res.diverged.any()


@pytest.mark.training
@pytest.mark.slow
def test_batched_training_equals_one_at_a_time():
    spec = spec_for(TASK, "gru")
    hps = [HP, training.HParams(learning_rate=0.003, decay_rate=0.9, momentum=0.5, clip=0.5)]
    both = training.train_population(TASK, spec, [3, 4], [1e-4, 1e-3], hps, CFG, progress=False)
    for p, (seed, l2) in enumerate([(3, 1e-4), (4, 1e-3)]):
        alone = training.train_population(TASK, spec, [seed], [l2], [hps[p]], CFG, progress=False)
        for k in both.params:
            np.testing.assert_allclose(both.params[k][p], alone.params[k][0], rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(both.loss_curve[p], alone.loss_curve[0], rtol=1e-4)


def test_divergence_is_recorded_not_raised():
    spec = spec_for(TASK, "vanilla", "relu")
    hps = [training.HParams(learning_rate=0.099, decay_rate=1.0, momentum=0.0, clip=1e30), HP]
    cfg = training.TrainConfig(iterations=30, batch_size=16, log_every=5, valid_size=32, optimizer="sgd_momentum")
    # network 0 explodes: an orthogonal recurrent matrix times 60 under relu, no clipping
    init = cells.init_params(spec, [0, 1])
    init["W_h"] = init["W_h"] * np.array([60.0, 1.0], np.float32)[:, None, None]
    res = training.train_population(TASK, spec, [0, 1], 0.0, hps, cfg, progress=False, initial_params=init)
    assert res.diverged[0] and not res.diverged[1]
    assert res.diverged_at[0] >= 0 and res.diverged_at[1] == -1
    assert np.isnan(res.valid_loss[0]) and np.isfinite(res.valid_loss[1])
    assert all(np.all(np.isfinite(v[1])) for v in res.params.values())


class _Interrupt(Exception):
    pass


@pytest.mark.training
@pytest.mark.slow
def test_resume_from_checkpoint_gives_identical_result(tmp_path, monkeypatch):
    spec = spec_for(TASK, "lstm")
    cfg = training.TrainConfig(iterations=30, batch_size=8, log_every=5, checkpoint_every=10, valid_size=16, optimizer="adam")
    ref = training.train_population(TASK, spec, [5, 6], 1e-4, HP, cfg, progress=False)
    ckpt = tmp_path / "ck.npz"
    original = training._population_batch
    calls = {"n": 0}

    def flaky(*a, **k):
        calls["n"] += 1
        if calls["n"] == 25:  # interrupted after the checkpoint at 20
            raise _Interrupt()
        return original(*a, **k)

    monkeypatch.setattr(training, "_population_batch", flaky)
    with pytest.raises(_Interrupt):
        training.train_population(TASK, spec, [5, 6], 1e-4, HP, cfg, checkpoint=ckpt, progress=False)
    assert ckpt.exists()
    with np.load(ckpt) as z:  # the checkpoint carries the CPU and wall time spent before it
        spent_cpu, spent_wall = float(z["cpu_seconds"]), float(z["wall_seconds"])
    assert spent_cpu > 0 and spent_wall > 0
    monkeypatch.setattr(training, "_population_batch", original)
    resumed = training.train_population(TASK, spec, [5, 6], 1e-4, HP, cfg, checkpoint=ckpt, progress=False)
    assert not ckpt.exists()
    # the resumed run's clocks start from the checkpoint's: the whole training's cost
    assert resumed.extra["resumed_at"] == 20 and ref.extra["resumed_at"] == 0
    assert resumed.extra["cpu_seconds"] > spent_cpu and resumed.extra["wall_seconds"] > spent_wall
    for k in ref.params:
        np.testing.assert_array_equal(resumed.params[k], ref.params[k])
    np.testing.assert_array_equal(resumed.loss_curve, ref.loss_curve)


@pytest.mark.training
@pytest.mark.slow
def test_checkpoint_of_other_run_is_ignored(tmp_path):
    spec = spec_for(TASK)
    cfg = training.TrainConfig(iterations=20, batch_size=8, log_every=5, checkpoint_every=10, valid_size=16)
    ck = tmp_path / "ck.npz"
    training.train_population(TASK, spec, [1], 1e-4, HP, cfg.__class__(**{**cfg.__dict__, "iterations": 30}),
                              checkpoint=None, progress=False)
    # a checkpoint written for seed 9 must not be loaded for seed 1
    from universality.store import atomic_savez
    atomic_savez(ck, {"fingerprint": np.array("something else"), "iteration": np.array(10)})
    a = training.train_population(TASK, spec, [1], 1e-4, HP, cfg, checkpoint=ck, progress=False)
    b = training.train_population(TASK, spec, [1], 1e-4, HP, cfg, progress=False)
    for k in a.params:
        np.testing.assert_array_equal(a.params[k], b.params[k])


def test_sample_hparams_ranges():
    hs = training.sample_hparams(np.random.default_rng(0), 400)
    clip = np.array([h.clip for h in hs])
    lr = np.array([h.learning_rate for h in hs])
    assert clip.min() >= 0.1 and clip.max() <= 10
    assert lr.min() >= 1e-5 and lr.max() <= 0.1
    # log-uniform: about half the learning rates below the geometric midpoint 1e-3
    assert abs(np.mean(lr < 1e-3) - 0.5) < 0.08
    assert all(0.1 <= h.decay_rate <= 0.9 and 0 <= h.momentum < 1 for h in hs)
    again = training.sample_hparams(np.random.default_rng(0), 400)
    assert again == hs


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"iterations": 0}, "iterations=0"),
        ({"batch_size": -1}, "batch_size=-1"),
        ({"optimizer": "rmsprop"}, r"optimizer='rmsprop' is not one of \('sgd_momentum', 'adam'\)"),
    ],
)
def test_bad_config(kwargs, match):
    with pytest.raises(ValueError, match=match):
        training.TrainConfig(**kwargs)


def test_bad_inputs():
    with pytest.raises(ValueError, match="learning_rate=-1"):
        training.HParams(learning_rate=-1)
    with pytest.raises(ValueError, match="momentum=1.5"):
        training.HParams(momentum=1.5)
    with pytest.raises(ValueError, match="n_inputs=1, n_outputs=1 but task 'flipflop'"):
        training.train_population(TASK, cells.CellSpec("gru", "tanh", 4, 1, 1), [0], 0.0, HP, CFG, progress=False)
    with pytest.raises(ValueError, match="hparams has 1 entries but seeds has 2"):
        training.train_population(TASK, spec_for(TASK), [0, 1], 0.0, [HP], CFG, progress=False)
    with pytest.raises(ValueError, match="seeds is empty"):
        training.train_population(TASK, spec_for(TASK), [], 0.0, HP, CFG, progress=False)
    with pytest.raises(ValueError, match="l2="):
        training.train_population(TASK, spec_for(TASK), [0], -1.0, HP, CFG, progress=False)


def test_batches_are_a_function_of_seed_and_iteration():
    t = make_task("cdi")
    a = training.batch_for(t, 3, 17, 8)
    b = training.batch_for(t, 3, 17, 8)
    c = training.batch_for(t, 3, 18, 8)
    np.testing.assert_array_equal(a.inputs_btm, b.inputs_btm)
    assert not np.array_equal(a.inputs_btm, c.inputs_btm)


def test_curriculum_schedule():
    cfg = training.TrainConfig(iterations=100, curriculum=0.5, curriculum_start=20)
    lengths = [cfg.trial_length(i, 500) for i in range(100)]
    assert lengths[0] == 20 and lengths[49] < 500 and all(v == 500 for v in lengths[50:])
    assert all(a <= b for a, b in zip(lengths, lengths[1:]))
    assert training.TrainConfig(iterations=100).trial_length(0, 500) == 500
    with pytest.raises(ValueError, match="curriculum=1.5"):
        training.TrainConfig(curriculum=1.5)


@pytest.mark.training
@pytest.mark.slow
def test_curriculum_trains_on_prefixes(monkeypatch):
    seen = []
    original = training._Trainer.step

    def spy(self, x, y, it, n_valid=None):
        seen.append((x.shape[2], n_valid))
        return original(self, x, y, it, n_valid)

    monkeypatch.setattr(training._Trainer, "step", spy)
    cfg = training.TrainConfig(iterations=10, batch_size=4, log_every=5, valid_size=8, curriculum=0.5,
                               curriculum_start=10)
    res = training.train_population(TASK, spec_for(TASK), [0], 0.0, HP, cfg, progress=False)
    assert seen[0] == (10, 10) and seen[-1] == (TASK.n_steps, TASK.n_steps) and np.isfinite(res.valid_loss).all()
    seen.clear()
    training.train_population(TASK, spec_for(TASK), [0], 0.0, HP, cfg, progress=False, gradients="autodiff")
    assert seen[0] == (10, None) and seen[-1] == (TASK.n_steps, None)  # the reference trains on cut trials


def test_bucket_lengths():
    assert [training.bucket_length(t, 500) for t in (20, 120, 130, 250, 260, 490, 500)] == \
        [130, 130, 130, 250, 380, 500, 500]
    assert [training.bucket_length(t, 100) for t in (10, 30, 31, 99)] == [30, 30, 50, 100]
    assert all(training.bucket_length(t, 60) >= t for t in range(1, 61))
    with pytest.raises(ValueError, match="t_len=0"):
        training.bucket_length(0, 100)


@pytest.mark.parametrize("arch", cells.ARCHS)
@pytest.mark.parametrize("act", cells.ACTIVATIONS)
def test_padded_trials_give_the_cut_trials_loss_and_gradients(arch, act):
    """A trial cut to n steps, or padded past n with masked steps: the same loss and
    gradients (to round-off), and finite even where an autonomous relu state would grow."""
    import tensorflow as tf

    from universality import bptt

    rng = np.random.default_rng(3)
    spec = spec_for(TASK, arch, act, units=8)
    params = cells.init_params(spec, [0, 1])
    params = {k: tf.constant(v * (3.0 if k == "W_h" else 1.0)) for k, v in params.items()}  # unstable padding
    x, y = training._population_batch(TASK, [0, 1], 0, 4)
    n = 13
    cut = bptt.loss_and_grads(spec, params, x[:, :, :n], y[:, :, :n], [1e-4, 1e-3])
    xp, yp = x.copy(), y.copy()
    xp[:, :, n:], yp[:, :, n:] = rng.standard_normal(xp[:, :, n:].shape), 7.0  # padding content must not matter
    padded = bptt.loss_and_grads(spec, params, xp, yp, [1e-4, 1e-3], n_valid=tf.constant(n))
    np.testing.assert_allclose(padded[0].numpy(), cut[0].numpy(), rtol=1e-6)
    for k in cut[2]:
        a, b = cut[2][k].numpy(), padded[2][k].numpy()
        assert np.isfinite(b).all(), k
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6 * np.abs(a).max(), err_msg=k)


@pytest.mark.slow
def test_curriculum_compiles_one_program_per_bucket():
    """The sine curriculum's 49 trial lengths would compile 49 programs; padded to buckets
    the step compiles at most CURRICULUM_BUCKETS, and trains as the cut trials do."""
    task = make_task("sine", n_steps=100)
    spec = spec_for(task, "gru")
    cfg = training.TrainConfig(iterations=30, batch_size=4, log_every=5, valid_size=8, optimizer="adam",
                               curriculum=0.5, curriculum_start=10)
    lengths = {cfg.trial_length(i, task.n_steps) for i in range(cfg.iterations)}
    assert len(lengths) > training.CURRICULUM_BUCKETS
    a = training.train_population(task, spec, [0, 1], 1e-4, HP, cfg, progress=False)
    assert 1 <= a.extra["programs"] <= training.CURRICULUM_BUCKETS
    b = training.train_population(task, spec, [0, 1], 1e-4, HP, cfg, progress=False, gradients="autodiff")
    np.testing.assert_allclose(a.loss_curve, b.loss_curve, rtol=1e-4)


@pytest.mark.training
@pytest.mark.slow
@pytest.mark.parametrize("arch", cells.ARCHS)
def test_analytic_and_autodiff_training_agree(arch):
    """The default step (written-out BPTT, XLA) trains to today's autodiff step's loss curve
    and weights, within float32 round-off grown over 40 iterations."""
    spec = spec_for(TASK, arch, "relu" if arch == "vanilla" else "tanh")
    hps = [HP, training.HParams(learning_rate=0.003, decay_rate=0.9, momentum=0.5, clip=0.5)]
    for opt in training.OPTIMIZERS:
        cfg = training.TrainConfig(**{**CFG.__dict__, "optimizer": opt})
        a = training.train_population(TASK, spec, [3, 4], [1e-4, 1e-3], hps, cfg, progress=False)
        b = training.train_population(TASK, spec, [3, 4], [1e-4, 1e-3], hps, cfg, progress=False, gradients="autodiff")
        np.testing.assert_allclose(a.loss_curve, b.loss_curve, rtol=1e-4)
        for k in a.params:
            np.testing.assert_allclose(a.params[k], b.params[k], rtol=1e-3, atol=1e-5, err_msg=k)
        assert np.all(a.loss_curve[:, -1] < a.loss_curve[:, 0])  # each network trained at all


def test_unknown_gradient_method_is_named():
    with pytest.raises(ValueError, match="gradients='tape'"):
        training.train_population(TASK, spec_for(TASK), [0], 0.0, HP, CFG, progress=False, gradients="tape")


@pytest.mark.slow
@pytest.mark.parametrize("arch", [a for a in cells.ALL_ARCHS if a not in cells.ARCHS])
def test_imported_cells_train(arch):
    """The reset-after GRU (for imported networks) trains like the paper's cells: the
    written-out BPTT step and the autodiff step agree and the loss falls, and masked
    padding gives the cut trials' loss and gradients."""
    test_analytic_and_autodiff_training_agree(arch)
    for act in cells.ACTIVATIONS:
        test_padded_trials_give_the_cut_trials_loss_and_gradients(arch, act)
