"""Training a profile's populations: groups, fingerprints, resume, and the sweep runner.

Networks that share (task, arch, activation, units) form a *group*: one batched graph
trains all their L2 values and seeds (and, during a random search, all hyperparameter
candidates).  Every network file records a fingerprint of everything that determines its
training, and a sweep retrains a stored network whose fingerprint no longer matches
(changed profile) or whose file is damaged, never silently mixing the two.  Sweeps run
in-process by default; given a Dask scheduler address (or a ``distributed.Client``), the
groups fan out over the cluster and the client writes each result to the store as it
arrives.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
from dataclasses import asdict, replace
from typing import Sequence

import numpy as np
import pandas as pd

from . import cells, store
from .errors import ParameterError
from .population import LABELS, grid, group_id
from .profiles import Profile, get_profile
from .tasks import TASKS, Task
from .training import TrainConfig, sample_hparams, train_population

__all__ = ["train_group", "run_sweep", "missing_groups", "fingerprint", "group_cost", "feed_workers",
           "worker_spawn_environ", "training_time"]


def fingerprint(task: Task, config: TrainConfig, hparams_rule, drop: Sequence[str] = ()) -> str:
    train = {k: v for k, v in asdict(config).items() if k not in drop}
    doc = json.dumps({"task": task.params(), "train": train, "hparams": hparams_rule}, sort_keys=True)
    return hashlib.sha256(doc.encode()).hexdigest()[:16]


def _accepted_fingerprints(task: Task, config: TrainConfig, hparams_rule) -> set[str]:
    """The fingerprint a network trained now gets, plus the one it got before options
    that are off (``curriculum=0``) existed: a stored network trained before an option
    was added, with the option off, is still current."""
    out = {fingerprint(task, config, hparams_rule)}
    if not config.curriculum:
        out.add(fingerprint(task, config, hparams_rule, drop=("curriculum", "curriculum_start")))
    return out


def _hparams_rule(profile: Profile, task: str, arch: str | None = None, activation: str | None = None):
    n = profile.search_count(task, arch, activation)
    if n:
        return {"search": n, "search_iterations": profile.search_iterations,
                "incumbent": asdict(profile.hparams_for(task, arch, activation))}
    return asdict(profile.hparams_for(task, arch, activation))



def _group_rows(profile: Profile, task: str) -> dict[str, pd.DataFrame]:
    g = grid(profile, task)
    return {group_id(task, a, act, u): rows for (a, act, u), rows in g.groupby(["arch", "activation", "units"], sort=False)}


def train_group(profile: Profile, task_name: str, gid: str, rows: pd.DataFrame, root=None,
                progress: bool = True, gradients: str = "analytic") -> dict:
    """Train the networks of one group (random search first when the profile has one).

    Returns a dict of plain arrays and JSON-able values (no store access unless ``root``
    is given, in which case the checkpoint lives there), so it can run on a Dask worker.
    """
    task = profile.task(task_name)
    r0 = rows.iloc[0]
    spec = cells.CellSpec(r0.arch, r0.activation, int(r0.units), task.n_inputs, task.n_outputs)
    config = profile.train_config(task_name, spec.arch, spec.activation)
    ckpt = (lambda stage: store.checkpoint_path(root, profile.store_name, task_name, f"{gid}-{stage}")) if root else (lambda s: None)
    search = None
    runs = []  # (stage, networks, train_population's extra): the group's training cost
    n_search = profile.search_count(task_name, spec.arch, spec.activation)
    if n_search:
        # one candidate list per L2 value, drawn from a seed derived from the group id
        l2_values = sorted(set(rows.l2))
        cands, s_seeds, s_l2 = [], [], []
        for l2 in l2_values:
            h = int(hashlib.sha256(f"{gid}-l2_{l2:.0e}".encode()).hexdigest()[:8], 16)
            # the profile's own setting (the incumbent) competes with n_search random draws, so the
            # search can only improve on it as judged by validation loss
            hs = [profile.hparams_for(task_name, spec.arch, spec.activation)] + \
                sample_hparams(np.random.default_rng([h, 7]), n_search)
            cands += hs
            s_seeds += [1_000_000 + j for j in range(len(hs))]
            s_l2 += [l2] * len(hs)
        s_cfg = replace(config, iterations=profile.search_iterations or config.iterations)
        res = train_population(task, spec, s_seeds, s_l2, cands, s_cfg, checkpoint=ckpt("search"),
                               progress=progress, desc=f"{gid} search", gradients=gradients)
        runs.append(("search", len(cands), res.extra))
        best = {}
        for l2 in l2_values:
            idx = [i for i in range(len(cands)) if s_l2[i] == l2]
            vl = np.array([res.valid_loss[i] for i in idx])
            if np.all(~np.isfinite(vl)):
                best[l2] = profile.hparams_for(task_name, spec.arch, spec.activation)
            else:
                best[l2] = cands[idx[int(np.nanargmin(vl))]]
        search = {"candidates": [{"l2": s_l2[i], "seed": s_seeds[i], "hparams": asdict(cands[i]),
                                  "valid_loss": float(res.valid_loss[i]), "diverged": bool(res.diverged[i])}
                                 for i in range(len(cands))],
                  "best": {f"{l2:.0e}": asdict(h) for l2, h in best.items()}}
        hps = [best[l2] for l2 in rows.l2]
    else:
        hps = [profile.hparams_for(task_name, spec.arch, spec.activation)] * len(rows)
    res = train_population(task, spec, rows.seed.tolist(), rows.l2.tolist(), hps, config,
                           checkpoint=ckpt("final"), progress=progress, desc=gid, gradients=gradients)
    runs.append(("final", len(rows), res.extra))
    fp = fingerprint(task, config, _hparams_rule(profile, task_name, spec.arch, spec.activation))
    nets = []
    for k, (nid, r) in enumerate(rows.set_index("network_id").iterrows()):
        meta = {"network_id": nid, **{c: r[c] for c in LABELS}, "task_params": task.params(),
                "train": asdict(config), "hparams": asdict(hps[k]), "valid_loss": float(res.valid_loss[k]),
                "train_loss": float(res.train_loss[k]), "diverged": bool(res.diverged[k]),
                "diverged_at": int(res.diverged_at[k]), "fingerprint": fp, "profile": profile.name,
                "gradients": gradients}
        nets.append({"network_id": nid, "params": {n: v[k] for n, v in res.params.items()}, "meta": meta,
                     "loss_curve": res.loss_curve[k], "curve_iterations": res.curve_iterations})
    timing = {"group_id": gid, "task": task_name, "profile": profile.name, "networks": rows.network_id.tolist(),
              "cpu_seconds": sum(e["cpu_seconds"] for _, _, e in runs),
              "wall_seconds": sum(e["wall_seconds"] for _, _, e in runs),
              "stages": [{"stage": st, "networks": n, "cpu_seconds": e["cpu_seconds"], "wall_seconds": e["wall_seconds"],
                          "resumed_at": int(e["resumed_at"]), "programs": int(e["programs"])} for st, n, e in runs],
              "machine": _machine()}
    return {"group_id": gid, "task": task_name, "networks": nets, "search": search, "timing": timing}


def _machine() -> dict:
    """Where a group trained: enough to tell two measurements' machines apart."""
    import platform

    try:
        threads = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        threads = os.cpu_count()
    return {"node": platform.node(), "processor": platform.processor() or platform.machine(),
            "cpus_usable": threads, "pid": os.getpid()}


def merge_search(old: dict | None, new: dict) -> dict:
    """A group's random-search record with ``new`` searched L2 values added to ``old``:
    a sweep of other L2 values (a profile sharing the store, e.g. the book's L2 1e-3 added to its earlier grid)
    keeps the record of the values searched before; a value searched again replaces its
    candidates and its best setting."""
    if not old:
        return new
    redone = {c["l2"] for c in new.get("candidates", [])} | {float(k) for k in new.get("best", {})}
    kept = [c for c in old.get("candidates", []) if c["l2"] not in redone]
    best = {k: v for k, v in old.get("best", {}).items() if float(k) not in redone}
    best.update(new.get("best", {}))
    return {**old, **new, "candidates": kept + list(new.get("candidates", [])),
            "best": dict(sorted(best.items(), key=lambda kv: float(kv[0])))}


def _write_group(result: dict, profile: Profile, root) -> None:
    if result["search"] is not None:
        path = store.search_path(root, profile.store_name, result["task"], result["group_id"])
        old = None
        if path.exists():
            try:
                old = json.loads(path.read_text())
            except (OSError, ValueError):  # a damaged record: the new one replaces it
                old = None
        store.atomic_write_json(path, merge_search(old, result["search"]))
    for net in result["networks"]:
        store.save_network(store.network_path(root, profile.store_name, result["task"], net["network_id"]),
                           net["params"], net["meta"], net["loss_curve"], net["curve_iterations"])
    if result.get("timing") is not None:  # the group's training cost (training_time sums them), after its networks
        store.atomic_write_json(store.timing_path(root, profile.store_name, result["task"], result["group_id"]),
                                result["timing"])


def training_time(profile: str | Profile = "book", tasks: Sequence[str] | str = tuple(TASKS),
                  root=store.DEFAULT_ROOT) -> pd.DataFrame:
    """What training each group of ``profile`` cost, as the sweep recorded it in ``root``.

    One row per group of the profile's grid: its networks, the CPU seconds (the training
    process's, all threads, random search included, summed over interrupted runs that a
    checkpoint joined) and wall seconds recorded when it was last trained, and ``timed``
    False for a group with no record (trained before the sweep kept one, or not trained).
    A group trained in parts (some networks kept, the stale ones trained again) records its
    last part only: ``networks_timed`` says how many of its networks that part trained.
    """
    profile = get_profile(profile)
    tasks = [tasks] if isinstance(tasks, str) else list(tasks)
    for t in tasks:
        if t not in TASKS:
            raise ParameterError(f"task={t!r} is not one of {tuple(TASKS)!r}")
    rows = []
    for t in tasks:
        for gid, g in _group_rows(profile, t).items():
            path = store.timing_path(root, profile.store_name, t, gid)
            rec = None
            if path.exists():
                try:
                    rec = json.loads(path.read_text())
                except (OSError, ValueError):
                    raise store.DamagedFileError(f"{path} is damaged: not a JSON timing record; delete it "
                                                 "(the group's networks are kept) to leave the group untimed") from None
            rows.append({"task": t, "group_id": gid, "networks": len(g),
                         "networks_timed": len(rec["networks"]) if rec else 0,
                         "cpu_seconds": float(rec["cpu_seconds"]) if rec else np.nan,
                         "wall_seconds": float(rec["wall_seconds"]) if rec else np.nan,
                         "timed": rec is not None})
    return pd.DataFrame(rows)


def _current(path, fingerprints) -> bool:
    """The network file exists, can be read, and was trained with an accepted fingerprint
    (a damaged file is not current: the sweep trains it again)."""
    if not path.exists():
        return False
    try:
        return store.read_meta(path).get("fingerprint") in fingerprints
    except store.DamagedFileError:
        return False


def missing_groups(profile: Profile, task: str, root) -> dict[str, pd.DataFrame]:
    todo = {}
    for gid, rows in _group_rows(profile, task).items():
        arch, act = rows.arch.iloc[0], rows.activation.iloc[0]
        ok = _accepted_fingerprints(profile.task(task), profile.train_config(task, arch, act),
                                    _hparams_rule(profile, task, arch, act))
        stale = [nid for nid in rows.network_id if not _current(store.network_path(root, profile.store_name, task, nid), ok)]
        if stale:  # only the missing or stale networks of the group train; the others are kept
            todo[gid] = rows[rows.network_id.isin(stale)]
    return todo


def group_cost(profile: Profile, task: str, rows: pd.DataFrame) -> int:
    """A rough relative cost of training ``rows`` (one group): networks (and random-search
    candidates) x gates x units^2 x trial steps x iterations.  Only its order matters: the
    sweep hands the costliest groups out first."""
    arch, act, units = rows.arch.iloc[0], rows.activation.iloc[0], int(rows.units.iloc[0])
    cfg = profile.train_config(task, arch, act)
    nets = len(rows) + profile.search_count(task, arch, act) * len(set(rows.l2))
    steps = profile.task(task).n_steps * cfg.batch_size * cfg.iterations
    return int(nets * (cells.n_gates(arch) + 1) * units * units * steps // 10**6)


#: Environment of a single-threaded training worker (read by TensorFlow at start-up).
ONE_THREAD_ENV = {"TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1", "OMP_NUM_THREADS": "1"}


def _local_workers(scheduler) -> int | None:
    """N of ``'local'`` / ``'local:N'`` (N >= 1), None for any other scheduler."""
    if not isinstance(scheduler, str) or not (scheduler == "local" or scheduler.startswith("local:")):
        return None  # an address ('localhost:8786' too) or a Client
    if scheduler == "local":
        return max(1, os.cpu_count() or 1)
    head, _, n = scheduler.partition(":")
    if head != "local" or not n.isdigit() or int(n) < 1:
        raise ParameterError(f"scheduler={scheduler!r}: use 'local', 'local:N' with N >= 1 worker processes, "
                         "a Dask scheduler address or a distributed.Client")
    return int(n)


def worker_spawn_environ() -> dict:
    """Dask's environment for a new worker process without ``MALLOC_TRIM_THRESHOLD_``.

    Dask sets it to 64 kB so that workers hand freed memory back to the operating system.
    Setting it also pins glibc's mmap threshold at 128 kB, so each of a training step's
    large temporaries is mapped, faulted in page by page, and unmapped, every step.  A
    training worker keeps its memory between steps instead: ``python benchmarks/training.py
    --worker-memory`` trains one sine group both ways and prints the ratio of CPU times.
    """
    import dask

    env = dict(dask.config.get("distributed.nanny.pre-spawn-environ", default={}) or {})
    env.pop("MALLOC_TRIM_THRESHOLD_", None)
    return env


def local_cluster(n_workers: int):
    """A ``distributed.Client`` on ``n_workers`` single-threaded local worker processes
    (a context manager: the cluster closes with it)."""
    from contextlib import contextmanager

    import dask
    from distributed import Client, LocalCluster

    @contextmanager
    def _cm():
        with dask.config.set({"distributed.nanny.pre-spawn-environ": worker_spawn_environ()}), \
                LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None,
                             silence_logs=40, env=dict(ONE_THREAD_ENV)) as cluster, Client(cluster) as client:
            yield client

    return _cm()


def feed_workers(client, calls):
    """Run ``calls`` (``(key, fn, args, meta)``, in the order given) on a Dask cluster, at
    most one per worker thread at a time, each sent to a worker with a free thread; yield
    ``(meta, result)`` as they finish.

    Submitting every group at once left the placement to the scheduler, and with a key of
    its own per group (no duration history) it queued 14 of the sine task's 16 groups on
    one of two local workers while the other stood idle (2026-12-07: the sweep ran on one
    core).  Here a group is submitted only when a thread is free, pinned to that worker
    (``allow_other_workers`` lets the scheduler move it if the worker leaves), so two
    workers train two groups until the list runs out; workers that join later get work as
    soon as a group finishes.
    """
    from collections import Counter

    from distributed import as_completed

    pending = list(calls)
    in_flight: dict = {}
    busy: Counter = Counter()

    def top_up() -> list:
        started = []
        nthreads = client.nthreads()
        if not nthreads and not in_flight and pending:
            client.wait_for_workers(1)
            nthreads = client.nthreads()
        for worker, n in sorted(nthreads.items()):
            while pending and busy[worker] < n:
                key, fn, args, meta = pending.pop(0)
                fut = client.submit(fn, *args, key=key, pure=False, workers=[worker], allow_other_workers=True)
                in_flight[fut] = (meta, worker)
                busy[worker] += 1
                started.append(fut)
        return started

    done = as_completed(top_up())
    for fut in done:
        meta, worker = in_flight.pop(fut)
        busy[worker] -= 1
        result = fut.result()
        fut.release()
        for new in top_up():
            done.add(new)
        yield meta, result


def run_sweep(profile: str | Profile = "book", tasks: Sequence[str] | str = tuple(TASKS), root=store.DEFAULT_ROOT,
              scheduler=None, progress: bool = True, command: str | None = None,
              gradients: str = "analytic", local_workers: bool = False) -> pd.DataFrame:
    """Train every missing network of ``profile`` for ``tasks`` and write them to ``root``.

    Stored networks whose fingerprint matches are kept; the rest is trained, group by
    group (resuming from a group's checkpoint when one exists), and each group is written
    as soon as it finishes.  With ``scheduler`` (a Dask scheduler address such as
    ``'tcp://10.0.0.1:8786'`` or a ``distributed.Client``) the groups are trained on the
    cluster's workers.  ``scheduler='local'`` (or ``'local:N'``) starts a Dask
    ``LocalCluster`` of N single-threaded worker processes (default: one per core) for
    this sweep: small recurrent networks train faster as two one-thread processes than as
    one two-thread process (``benchmarks/training.py`` measures both).  With a single
    group to train, 'local' trains in-process.  ``gradients`` is the training step's
    (``train_population``): 'autodiff' reproduces bit for bit networks stored before the
    written-out BPTT became the default (their metadata has no 'gradients' entry).
    ``local_workers``: the scheduler's workers share this machine's file system, so groups
    checkpoint into ``root`` as they do in-process (set for ``'local'``).
    Returns a table of (task, group_id, status).
    """
    from .training import GRADIENTS

    if gradients not in GRADIENTS:
        raise ParameterError(f"gradients={gradients!r} is not one of {GRADIENTS!r}")
    n_local = _local_workers(scheduler)
    profile = get_profile(profile)
    tasks = [tasks] if isinstance(tasks, str) else list(tasks)
    for t in tasks:
        if t not in TASKS:
            raise ParameterError(f"task={t!r} is not one of {tuple(TASKS)!r}")
    from pathlib import Path

    if (Path(root) / profile.store_name / "manifest.json").exists():
        store.read_manifest(root, profile.store_name)  # a damaged manifest is named before anything is trained
    todo = [(t, gid, rows) for t in tasks for gid, rows in missing_groups(profile, t, root).items()]
    status = [{"task": t, "group_id": gid, "status": "kept"} for t in tasks
              for gid in _group_rows(profile, t) if gid not in {g for tt, g, _ in todo if tt == t}]
    from tqdm import tqdm

    kill_after = int(os.environ.get("UNIVERSALITY_KILL_AFTER_GROUPS", "0"))  # tests: a deterministic SIGKILL
    if n_local is not None:
        n_local = min(n_local, len(todo))
        if n_local >= 2:
            with local_cluster(n_local) as client:
                return run_sweep(profile, tasks, root=root, scheduler=client, progress=progress, command=command,
                                 gradients=gradients, local_workers=True)
        scheduler = None
    try:
        if scheduler is None:
            for k, (t, gid, rows) in enumerate(tqdm(todo, desc=f"{profile.name} sweep (groups)",
                                                    disable=not progress or not todo)):
                _write_group(train_group(profile, t, gid, rows, root=root, progress=progress, gradients=gradients),
                             profile, root)
                status.append({"task": t, "group_id": gid, "status": "trained"})
                if kill_after and k + 1 == kill_after:
                    os.kill(os.getpid(), signal.SIGKILL)
        else:
            from distributed import Client

            if isinstance(scheduler, Client):
                client = scheduler
            else:
                try:
                    client = Client(scheduler, timeout="10s")
                except (OSError, TimeoutError) as e:
                    from .errors import DataError

                    raise DataError(f"no Dask scheduler answers at {scheduler!r} ({type(e).__name__}); start one "
                                    f"('dask scheduler') or use --scheduler local") from None
            try:
                # the costliest groups first, so that the last group to finish is a cheap one;
                # local workers share this file system and checkpoint into the store
                todo = sorted(todo, key=lambda item: -group_cost(profile, item[0], item[2]))
                calls = [(f"train-{profile.name}-{gid}", train_group,
                          (profile, t, gid, rows, root if local_workers else None, False, gradients), (t, gid))
                         for t, gid, rows in todo]
                for (t, gid), result in tqdm(feed_workers(client, calls), total=len(calls),
                                             desc=f"{profile.name} sweep on Dask", disable=not progress or not todo):
                    _write_group(result, profile, root)
                    status.append({"task": t, "group_id": gid, "status": "trained"})
            finally:
                if not isinstance(scheduler, Client):
                    client.close()
    finally:
        # the manifest lists every file stored so far, also when the sweep is interrupted
        # (Ctrl-C, a failed group): the groups written are kept, and the next run resumes
        if any(row["status"] == "trained" for row in status):
            store.write_manifest(root, profile.store_name,
                                 command=command or f"universality train --profile {profile.name}",
                                 profile_spec=profile.to_dict())
    return pd.DataFrame(status)


