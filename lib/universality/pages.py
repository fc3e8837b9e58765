"""Support for the book's pages: parameter checks and load-or-train.

A page's parameters cell holds literals only; the cell after it calls
:func:`check_page_params`, which stops the page there with a clear message when a
parameter is wrong, before any compute.  :func:`population_for_page` loads the stored
population of a profile, or trains it (with progress bars) when it is missing or when the
page asks to retrain; a page that changes a task constant (e.g. ``n_bits=2``) gets its own
store directory, so the book's stored networks are never overwritten.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from . import cells
from .population import PROFILES, Population, Profile, get_profile, load_population, loss_table, run_sweep
from .store import DEFAULT_ROOT
from .tasks import TASKS

__all__ = ["check_page_params", "check_fraction", "page_profile", "population_for_page", "loss_table", "training_summary"]


def check_page_params(*, profile: str | None = None, task: str | None = None, tasks: Sequence[str] | None = None,
                      archs: Sequence[str] | None = None,
                      activations: Sequence[str] | None = None, n_seeds: int | None = None,
                      seed: int | None = None, **positive: float) -> None:
    """Raise ``ValueError`` naming the parameter, its value and what is allowed.

    ``positive`` are extra numeric parameters that must be > 0 (e.g. ``n_bits=3``).
    """
    if profile is not None and profile not in PROFILES:
        raise ValueError(f"profile={profile!r} is not one of {tuple(PROFILES)!r}")
    if task is not None and task not in TASKS:
        raise ValueError(f"task={task!r} is not one of {tuple(TASKS)!r}")
    for name, values, allowed in (("tasks", tasks, tuple(TASKS)), ("archs", archs, cells.ARCHS),
                                  ("activations", activations, cells.ACTIVATIONS)):
        if values is None:
            continue
        if isinstance(values, str) or not len(values):
            raise ValueError(f"{name}={values!r} must be a non-empty list drawn from {allowed!r}")
        for v in values:
            if v not in allowed:
                raise ValueError(f"{name} contains {v!r}, which is not one of {allowed!r}")
    if n_seeds is not None and (isinstance(n_seeds, bool) or not isinstance(n_seeds, (int, np.integer)) or n_seeds < 1):
        raise ValueError(f"n_seeds={n_seeds!r} must be a positive integer")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
        raise ValueError(f"seed={seed!r} must be an integer >= 0")
    for name, v in positive.items():
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not v > 0:
            raise ValueError(f"{name}={v!r} must be a number > 0")


def check_fraction(name: str, value) -> None:
    """Raise ``ValueError`` unless ``0 < value <= 1``."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not 0 < value <= 1:
        raise ValueError(f"{name}={value!r} must be a number in (0, 1]")


def page_profile(profile: str | Profile, task: str, task_params: Mapping | None = None,
                 n_seeds: int | None = None, archs: Sequence[str] | None = None,
                 activations: Sequence[str] | None = None) -> Profile:
    """The profile a page trains or loads: ``profile`` with the page's changes.

    A change of task constants renames the profile (``book-n_bits2``) so that it is stored
    apart from the book's networks; fewer seeds or archs select a subset of the stored
    population, more seeds train the missing ones.
    """
    prof = get_profile(profile)
    changes = {}
    if n_seeds is not None:
        changes["n_seeds"] = int(n_seeds)
    if archs is not None:
        changes["archs"] = tuple(archs)
    if activations is not None:
        changes["activations"] = tuple(activations)
    effective = prof.task(task)
    try:
        TASKS[task](**{**dict(prof.task_params.get(task, {})), **dict(task_params or {})})
    except TypeError as e:
        raise ValueError(f"task_params={dict(task_params or {})!r} has a name task {task!r} does not know: {e}") from None
    extra = {k: v for k, v in dict(task_params or {}).items() if getattr(effective, k) != v}
    if extra:
        changes["name"] = prof.name + "-" + "-".join(f"{k}{v}" for k, v in sorted(extra.items()))
        changes["task_params"] = {**dict(prof.task_params), task: {**dict(prof.task_params.get(task, {})), **extra}}
    return prof.with_(**changes) if changes else prof


def population_for_page(profile: Profile, task: str, root=DEFAULT_ROOT, retrain: bool = False,
                        progress: bool = True) -> Population:
    """Load the page's population, training what is missing.

    With ``retrain`` the networks are trained afresh into ``<root>/_retrained`` (wiped
    first) instead of being loaded; the stored populations are never modified.
    """
    from pathlib import Path

    root = Path(root) if str(root) else DEFAULT_ROOT
    if retrain:
        import shutil

        root = Path(root) / "_retrained"
        shutil.rmtree(root / profile.name / task, ignore_errors=True)
    try:
        return load_population(profile, task, root=root)
    except FileNotFoundError:
        run_sweep(profile, [task], root=root, progress=progress,
                  command=f"book page: profile {profile.name}, task {task}")
        return load_population(profile, task, root=root)


def training_summary(profile: Profile, task: str) -> str:
    """One sentence saying how the profile trains ``task``."""
    cfg = profile.train_config(task)
    hp = profile.hparams_for(task)
    opt = {"adam": "Adam", "sgd_momentum": f"SGD with momentum {hp.momentum:g}"}[cfg.optimizer]
    search = (f"best of {profile.n_search} random-search candidates per configuration" if profile.n_search
              else f"learning rate {hp.learning_rate:g} decaying by {hp.decay_rate:g} every "
                   f"{cfg.effective_decay_steps:g} iterations, gradient-norm clip {hp.clip:g}")
    cur = (f", trial length growing from {cfg.curriculum_start} steps over the first {cfg.curriculum:.0%} "
           f"of training" if cfg.curriculum else "")
    # entries for one architecture (or arch/activation): one parenthesis each, listing what differs
    for key in sorted({k for k in [*profile.train, *profile.hparams] if k.startswith(f"{task}/")}):
        c, h = profile.train.get(key, cfg), profile.hparams.get(key, hp)
        diff = [] if profile.n_search or h.learning_rate == hp.learning_rate else [f"learning rate {h.learning_rate:g}"]
        diff += [f"{k.replace('_', ' ')} {getattr(c, k)}" for k in ("iterations", "batch_size", "optimizer")
                 if getattr(c, k) != getattr(cfg, k)]
        if c.curriculum and (c.curriculum, c.curriculum_start) != (cfg.curriculum, cfg.curriculum_start):
            diff.append(f"trial length growing from {c.curriculum_start} steps over the first "
                        f"{c.curriculum:.0%} of training")
        if diff:
            cur += f" ({key.split('/', 1)[1]}: " + ", ".join(diff) + ")"
    l2 = ", ".join(f"{v:g}" for v in profile.l2)
    units = ", ".join(str(u) for u in profile.units)
    return (f"{cfg.iterations} iterations of {opt}, batch {cfg.batch_size}, {search}{cur}; "
            f"units {units}, L2 {l2}, {profile.n_seeds} seed(s) per configuration")
