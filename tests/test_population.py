import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from universality import store
from universality.population import PROFILES, Profile, get_profile, grid, load_population, network_id
from universality.profiles import EARLIER_BOOK
from universality.sweep import run_sweep

SMOKE = PROFILES["smoke"]


def _all_arrays(root, profile, task):
    out = {}
    for p in store.list_networks(root, profile, task):
        params, meta, curve, _ = store.load_network(p)
        out[p.name] = (params, curve, meta["valid_loss"])
    return out


def _assert_same_store(a, b):
    assert a.keys() == b.keys() and a
    for name in a:
        pa, ca, va = a[name]
        pb, cb, vb = b[name]
        for k in pa:
            np.testing.assert_array_equal(pa[k], pb[k], err_msg=f"{name}:{k}")
        np.testing.assert_array_equal(ca, cb)
        assert va == vb


def test_network_ids_are_stable_and_unique():
    assert network_id("sine", "gru", "tanh", 64, 1e-4, 3) == "sine-gru-tanh-n64-l2_1e-04-s3"
    g = grid("paper", "cdi")
    assert len(g) == 4 * 2 * 3 * 4 * 30 == 2880
    assert g.network_id.is_unique
    assert set(g.columns) >= {"arch", "activation", "units", "l2", "seed"}


def test_profiles_validate():
    with pytest.raises(ValueError, match=r"profile='huge' is not one of \('smoke', 'book', 'book-64', 'paper'\)"):
        get_profile("huge")
    with pytest.raises(ValueError, match=r"arch='transformer' is not one of"):
        Profile(name="x", archs=("transformer",))
    with pytest.raises(ValueError, match="n_seeds=-1"):
        SMOKE.with_(n_seeds=-1)
    with pytest.raises(ValueError, match=r"task='mnist' is not one of"):
        run_sweep(SMOKE, ["mnist"], root="unused", progress=False)


@pytest.fixture(scope="module")
def smoke_store(tmp_path_factory):
    root = tmp_path_factory.mktemp("smoke")
    t0 = time.perf_counter()
    table = run_sweep(SMOKE, root=root, progress=False)
    return root, table, time.perf_counter() - t0


@pytest.mark.training
@pytest.mark.slow
def test_smoke_sweep_trains_everything(smoke_store):
    root, table, seconds = smoke_store
    assert len(table) == 3 * 8 and set(table.status) == {"trained"}
    man = store.read_manifest(root, "smoke")
    assert man["profile_spec"]["name"] == "smoke" and man["files"]
    for rel, info in man["files"].items():
        assert store.sha256(root / "smoke" / rel) == info["sha256"]
    for task in ("flipflop", "sine", "cdi"):
        pop = load_population(SMOKE, task, root=root)
        assert len(pop) == 8
        assert set(pop.table.arch) == {"vanilla", "ugrnn", "gru", "lstm"}
        assert np.all(np.isfinite(pop.table.valid_loss[~pop.table.diverged]))
    print(f"smoke sweep: {seconds:.1f} s")


@pytest.mark.slow
def test_sweep_records_each_groups_training_time(smoke_store, tmp_path):
    from universality.sweep import training_time

    root, _, _ = smoke_store
    tab = training_time(SMOKE, root=root)
    assert len(tab) == 24 and tab.timed.all()
    assert (tab.cpu_seconds > 0).all() and (tab.wall_seconds > 0).all()
    assert (tab.networks_timed == tab.networks).all()
    man = store.read_manifest(root, "smoke")
    for t, gid in zip(tab.task, tab.group_id):
        path = store.timing_path(root, "smoke", t, gid)
        rec = __import__("json").loads(path.read_text())
        # the record names the group's stored networks, and the manifest lists it
        assert {f"{n}.npz" for n in rec["networks"]} <= {p.name for p in store.list_networks(root, "smoke", t)}
        assert str(path.relative_to(root / "smoke")) in man["files"]
        assert rec["cpu_seconds"] == pytest.approx(sum(s["cpu_seconds"] for s in rec["stages"]))
    # negative control: a store trained by no sweep has no record
    empty = training_time(SMOKE, ["cdi"], root=tmp_path)
    assert len(empty) == 8 and not empty.timed.any() and empty.cpu_seconds.isna().all()
    # a damaged record is named, not read as zero
    bad = store.timing_path(tmp_path, "smoke", "cdi", empty.group_id.iloc[0])
    bad.parent.mkdir(parents=True)
    bad.write_text("{not json")
    with pytest.raises(store.DamagedFileError, match=str(bad.name)):
        training_time(SMOKE, ["cdi"], root=tmp_path)


@pytest.mark.training
@pytest.mark.slow
def test_rerun_keeps_stored_networks(smoke_store):
    root, _, _ = smoke_store
    before = {p: p.stat().st_mtime_ns for p in store.list_networks(root, "smoke", "cdi")}
    table = run_sweep(SMOKE, ["cdi"], root=root, progress=False)
    assert set(table.status) == {"kept"}
    assert before == {p: p.stat().st_mtime_ns for p in store.list_networks(root, "smoke", "cdi")}


def test_grid_blocks_add_networks_once():
    """A profile's extra blocks add (units, L2) combinations to its grid; a network in two
    blocks is one row; restricting selects sizes and L2 values of the grid."""
    from universality.profiles import GridBlock

    prof = SMOKE.with_(archs=("gru",), activations=("tanh",), units=(16,), l2=(1e-5, 1e-4), n_seeds=2,
                       extra_blocks=(GridBlock((32,), (1e-4,), 3), GridBlock((16,), (1e-4,), 1)))
    g = grid(prof, "cdi")
    assert len(g) == 4 + 3 and g.network_id.is_unique
    assert sorted(g[g.units == 32].seed) == [0, 1, 2] and set(g[g.units == 32].l2) == {1e-4}
    assert prof.all_units == (16, 32) and prof.all_l2 == (1e-5, 1e-4)
    big = prof.restrict(units=[32])
    assert list(grid(big, "cdi").network_id) == list(g[g.units == 32].network_id)
    one = prof.restrict(l2=[1e-4], n_seeds=1)
    assert sorted(grid(one, "cdi").units) == [16, 32]
    with pytest.raises(ValueError, match="units=\\[64\\] is not a subset"):
        prof.restrict(units=[64])
    with pytest.raises(ValueError, match="not a GridBlock"):
        SMOKE.with_(extra_blocks=((32,),))
    with pytest.raises(ValueError, match="n_seeds=0"):
        GridBlock((32,), (1e-4,), 0)


def test_the_book_profile_spans_two_sizes_and_three_l2_values_and_holds_the_earlier_book():
    book, earlier = get_profile("book"), get_profile("book-64")
    assert book.store_name == earlier.store_name == "book"
    for task in ("flipflop", "sine", "cdi"):
        g = grid(book, task)
        assert len(g) >= 128 and set(g.units) == {64, 128} and len(set(g.l2)) >= 3
        old = grid(earlier, task)
        assert len(old) == 64 and set(old.network_id) < set(g.network_id)
        assert set(old.network_id) == set(grid(book.restrict(**EARLIER_BOOK, task=task), task).network_id)


def test_a_profile_sharing_a_store_reuses_its_networks():
    """Two profiles of one store share every network they both have (a file is current by
    its training fingerprint): the earlier book's networks are the book's, never trained
    again, and the stored book population is complete."""
    from universality.sweep import missing_groups as _missing_groups

    root = store.DEFAULT_ROOT
    if not (root / "book" / "flipflop").exists():
        pytest.skip(f"no book-profile flip-flop networks in {root}")
    for task in ("flipflop", "sine", "cdi"):
        stored = {p.stem for p in (root / "book" / task / "networks").glob("*.npz")}
        assert not _missing_groups(get_profile("book-64"), task, root)
        assert not _missing_groups(get_profile("book"), task, root)
        assert set(grid(get_profile("book"), task).network_id) <= stored


@pytest.mark.training
@pytest.mark.slow
def test_changed_profile_retrains(tmp_path):
    prof = SMOKE.with_(archs=("vanilla",), activations=("tanh",))
    run_sweep(prof, ["cdi"], root=tmp_path, progress=False)
    changed = prof.with_(hparams={**prof.hparams, "cdi": prof.hparams["cdi"].__class__(learning_rate=0.02)})
    table = run_sweep(changed, ["cdi"], root=tmp_path, progress=False)
    assert set(table.status) == {"trained"}


def test_missing_population_names_the_command(tmp_path):
    with pytest.raises(FileNotFoundError, match="universality train --profile smoke --task sine"):
        load_population("smoke", "sine", root=tmp_path)


@pytest.mark.training
@pytest.mark.slow
def test_interrupted_sweep_resumes_to_the_same_store(tmp_path, smoke_store):
    """A sweep killed with SIGKILL (no clean-up) after its third group, rerun, ends with the
    store of an uninterrupted one.  The kill comes from inside the sweep at a chosen point
    (UNIVERSALITY_KILL_AFTER_GROUPS), so the test does not race a subprocess."""
    ref_root, _, _ = smoke_store
    root = tmp_path / "interrupted"
    code = ("from universality.population import PROFILES; from universality.sweep import run_sweep; "
            f"run_sweep(PROFILES['smoke'], ['flipflop'], root={str(root)!r}, progress=False)")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "UNIVERSALITY_KILL_AFTER_GROUPS": "3"}
    proc = subprocess.run([sys.executable, "-c", code], env=env, stderr=subprocess.DEVNULL)
    assert proc.returncode == -signal.SIGKILL
    net_dir = root / "smoke" / "flipflop" / "networks"
    assert len(list(net_dir.glob("*.npz"))) == 3
    table = run_sweep(SMOKE, ["flipflop"], root=root, progress=False)
    assert (table.status == "trained").sum() == 5
    _assert_same_store(_all_arrays(root, "smoke", "flipflop"), _all_arrays(ref_root, "smoke", "flipflop"))


@pytest.mark.training
@pytest.mark.slow
def test_dask_local_cluster_matches_in_process(tmp_path, smoke_store):
    """scheduler='local:2': two single-threaded worker processes train the groups to the same
    bits as the two-threaded in-process sweep."""
    pytest.importorskip("distributed")
    ref_root, _, _ = smoke_store
    table = run_sweep(SMOKE, ["cdi"], root=tmp_path, scheduler="local:2", progress=False)
    assert set(table.status) == {"trained"} and len(table) == 8
    _assert_same_store(_all_arrays(tmp_path, "smoke", "cdi"), _all_arrays(ref_root, "smoke", "cdi"))


@pytest.mark.parametrize("bad", ["local:0", "local:two", "local:-1", "local:"])
def test_bad_local_scheduler_is_named_before_compute(bad, tmp_path):
    with pytest.raises(ValueError, match=f"scheduler={bad!r}"):
        run_sweep(SMOKE, ["cdi"], root=tmp_path, scheduler=bad, progress=False)
    assert not any(tmp_path.iterdir())


def test_local_scheduler_parsing():
    from universality.sweep import _local_workers

    assert _local_workers("local:3") == 3 and _local_workers("local") >= 1
    assert _local_workers("localhost:8786") is None and _local_workers(None) is None


def test_per_architecture_hyperparameters():
    from universality.training import HParams

    a, b = HParams(learning_rate=1e-2), HParams(learning_rate=3e-4)
    prof = Profile(name="x", hparams={"sine": a, "sine/vanilla": b})
    assert prof.hparams_for("sine", "vanilla") == b
    assert prof.hparams_for("sine", "gru") == a and prof.hparams_for("sine") == a
    assert prof.hparams_for("cdi", "vanilla") == HParams()
    with pytest.raises(ValueError, match=r"hparams key 'sine/transformer': arch='transformer' is not one of"):
        Profile(name="x", hparams={"sine/transformer": a})
    with pytest.raises(ValueError, match=r"hparams key 'sines': task='sines' is not one of"):
        Profile(name="x", hparams={"sines": a})


def test_per_architecture_training_settings():
    from universality.training import TrainConfig

    a, b, c = (TrainConfig(iterations=100), TrainConfig(iterations=100, curriculum=0.5),
               TrainConfig(iterations=200, curriculum=0.5))
    prof = Profile(name="x", train={"flipflop": a, "flipflop/lstm": b, "flipflop/lstm/relu": c})
    assert prof.train_config("flipflop", "lstm", "relu") == c  # the most specific entry wins
    assert prof.train_config("flipflop", "lstm", "tanh") == b and prof.train_config("flipflop", "lstm") == b
    assert prof.train_config("flipflop", "gru", "relu") == a and prof.train_config("flipflop") == a
    assert prof.train_config("cdi", "lstm", "relu") == TrainConfig()
    with pytest.raises(ValueError, match=r"train key 'flipflop/rnn': arch='rnn' is not one of"):
        Profile(name="x", train={"flipflop/rnn": a})
    with pytest.raises(ValueError, match=r"train key 'flipflop/lstm/gelu': activation='gelu' is not one of"):
        Profile(name="x", train={"flipflop/lstm/gelu": a})
    with pytest.raises(ValueError, match=r"train key 'flip': task='flip' is not one of"):
        Profile(name="x", train={"flip": a})


@pytest.mark.training
@pytest.mark.slow
def test_per_architecture_hyperparameters_train_and_fingerprint(tmp_path):
    """An arch-specific entry reaches that arch's networks only, and changing it retrains
    only that arch's group."""
    from universality.sweep import missing_groups as _missing_groups
    from universality.training import HParams

    base = SMOKE.with_(archs=("vanilla", "gru"), activations=("tanh",))
    prof = base.with_(hparams={**SMOKE.hparams, "cdi/vanilla": HParams(learning_rate=1e-3, decay_rate=0.5)})
    run_sweep(prof, ["cdi"], root=tmp_path, progress=False)
    pop = load_population(prof, "cdi", root=tmp_path)
    lr = pop.table.groupby("arch").hp_learning_rate.first()
    assert lr["vanilla"] == 1e-3 and lr["gru"] == SMOKE.hparams["cdi"].learning_rate
    changed = prof.with_(hparams={**SMOKE.hparams, "cdi/vanilla": HParams(learning_rate=2e-3, decay_rate=0.5)})
    assert list(_missing_groups(changed, "cdi", tmp_path)) == ["cdi-vanilla-tanh-n16"]


def test_stored_book_populations_are_current():
    """The book networks committed in data/ match the book profile (no silent retraining)."""
    from universality.sweep import missing_groups as _missing_groups

    root = store.DEFAULT_ROOT
    for task in ("flipflop", "sine", "cdi"):
        if not (root / "book" / task).exists():
            pytest.skip(f"no book-profile {task} networks in {root}")
        assert _missing_groups(get_profile("book"), task, root) == {}, task


@pytest.mark.training
@pytest.mark.slow
def test_per_group_search_competes_with_the_profile_setting(tmp_path):
    """A group named in ``n_search`` searches (the profile's own setting is candidate 0, then
    the random draws); the best candidate per L2 by validation loss trains the seeds; the
    other groups train with the profile's setting and no search."""
    import json

    prof = SMOKE.with_(archs=("gru",), activations=("tanh", "relu"), n_search={"cdi/gru/tanh": 2})
    run_sweep(prof, ["cdi"], root=tmp_path, progress=False)
    search = json.loads(store.search_path(tmp_path, "smoke", "cdi", "cdi-gru-tanh-n16").read_text())
    cands = search["candidates"]
    assert len(cands) == 3
    assert cands[0]["hparams"] == asdict(prof.hparams_for("cdi", "gru", "tanh"))
    best = min(cands, key=lambda c: c["valid_loss"])
    assert search["best"]["1e-04"] == best["hparams"]
    pop = load_population(prof, "cdi", root=tmp_path)
    assert pop.table.loc["cdi-gru-tanh-n16-l2_1e-04-s0", "hp_learning_rate"] == best["hparams"]["learning_rate"]
    assert not store.search_path(tmp_path, "smoke", "cdi", "cdi-gru-relu-n16").exists()
    assert prof.search_count("cdi", "gru", "tanh") == 2 and prof.search_count("cdi", "gru", "relu") == 0


@pytest.mark.slow
@pytest.mark.parametrize("gradients", [pytest.param("autodiff", marks=pytest.mark.training), "analytic"])
def test_committed_smoke_networks_are_trained_again(gradients, tmp_path):
    """The same seeds give the same networks: the smoke flip-flop networks committed in
    data/ (trained with GradientTape, before the written-out BPTT) come out again with
    gradients='autodiff' and with the default step, to float32 round-off."""
    ref = store.list_networks(store.DEFAULT_ROOT, "smoke", "flipflop")
    if not ref:
        pytest.skip("no committed smoke networks")
    run_sweep(SMOKE, ["flipflop"], root=tmp_path, progress=False, gradients=gradients)
    for path in ref:
        a = store.load_network(path)[0]
        b_params, b_meta, _, _ = store.load_network(store.network_path(tmp_path, "smoke", "flipflop", path.stem))
        assert b_meta["gradients"] == gradients
        for k in a:
            # Not bit for bit: the committed weights were trained on another CPU, whose float32
            # kernels may round differently (measured 3e-8 with autodiff on a CPU of the same
            # kind).  30 Adam iterations grow round-off to ~1e-6 at most in these 16-unit
            # networks; 1e-5 absolute (weights are O(0.1-1)) is that with a margin, and far
            # below what another seed or another setting changes (O(0.1)).
            np.testing.assert_allclose(a[k], b_params[k], rtol=0, atol=1e-5, err_msg=f"{path.stem}:{k}")


_BARRIERS: dict = {}  # shared by the in-process workers' threads (a lock does not serialise)


def _meet_then_report(barrier, name):
    """A stand-in group: the first two wait for each other at barrier ``barrier`` (they must
    run at once, on two worker threads), then say which worker ran them."""
    from distributed import get_worker

    if barrier is not None:
        _BARRIERS[barrier].wait()
    return name, get_worker().address


@pytest.mark.parametrize("n_workers", [2, 1])
def test_feed_workers_keeps_every_worker_busy(n_workers):
    """The sweep's feeder sends one group per free worker thread, in the order given (the
    costliest first): on two one-thread workers the first two groups run at the same time,
    one on each worker (they wait for each other at a barrier), and every group's result
    comes back once.  Negative control: on one worker the two cannot meet, and the barrier
    breaks (it would also break if the feeder queued both on one worker of two)."""
    import threading

    from distributed import Client, LocalCluster

    from universality.sweep import feed_workers

    # generous where the two must meet; the control breaks whatever the timeout
    _BARRIERS[n_workers] = threading.Barrier(2, timeout=60 if n_workers == 2 else 2)
    calls = [(f"group-{i}", _meet_then_report, (n_workers if i < 2 else None, f"g{i}"), i) for i in range(5)]
    with LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=False, dashboard_address=None,
                      silence_logs=40) as cluster, Client(cluster) as client:
        if n_workers == 1:
            with pytest.raises(threading.BrokenBarrierError):
                list(feed_workers(client, calls))
            return
        out = list(feed_workers(client, calls))
        workers = set(client.nthreads())
    assert sorted(meta for meta, _ in out) == list(range(5))
    assert all(name == f"g{meta}" for meta, (name, _) in out)
    first_two = {address for meta, (_, address) in out if meta < 2}
    assert first_two == workers and len(workers) == 2


def _malloc_trim_setting():
    return os.environ.get("MALLOC_TRIM_THRESHOLD_")


def test_local_workers_keep_glibcs_own_memory_policy(monkeypatch):
    """The sweep's local workers start without Dask's MALLOC_TRIM_THRESHOLD_ (which pins
    glibc's mmap threshold and made a third of a sine worker's CPU time page faults);
    the rest of Dask's spawn environment is kept.  Negative control: a plain LocalCluster's
    workers have it (Dask's default, 65536 in distributed 2026.8)."""
    import dask
    from distributed import Client, LocalCluster

    from universality.sweep import local_cluster, worker_spawn_environ

    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    env = worker_spawn_environ()
    assert "MALLOC_TRIM_THRESHOLD_" not in env and env.get("OMP_NUM_THREADS") in (1, "1")
    with local_cluster(1) as client:
        assert set(client.run(_malloc_trim_setting).values()) == {None}
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=40) as cluster, Client(cluster) as client:
        default = (dask.config.get("distributed.nanny.pre-spawn-environ", default={}) or {}).get(
            "MALLOC_TRIM_THRESHOLD_")
        assert set(client.run(_malloc_trim_setting).values()) == {None if default is None else str(default)}
