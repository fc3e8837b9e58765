"""Support for the book's pages: parameter checks and load-or-train.

A page's parameters cell holds literals only; the cell after it calls :func:`check`
with them, which stops the page there with a clear message when a parameter is wrong,
before any compute.  :func:`population_for_page` loads the stored
population of a profile, or trains it (with progress bars) when it is missing or when the
page asks to retrain; a page that changes a task constant (e.g. ``n_bits=2``) gets its own
store directory, so the book's stored networks are never overwritten.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from . import cells
from .errors import ParameterError
from .population import Population, load_population, loss_table
from .profiles import PROFILES, Profile, get_profile
from .sweep import run_sweep
from .store import DEFAULT_ROOT
from .tasks import TASKS

__all__ = ["check", "PARAMETER_RULES", "page_profile", "grid_summary", "population_for_page", "describe",
           "quality_summary", "quality_statement", "loss_table", "training_summary"]


# ------------------------------------------------------------------------------ parameters


def _integer(minimum: int):
    def rule(name, value):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
            raise ParameterError(f"{name}={value!r} must be an integer >= {minimum}")
    return rule


def _number(low=None, high=None, low_inclusive=False, high_inclusive=True):
    def rule(name, value):
        ok = not isinstance(value, bool) and isinstance(value, (int, float, np.integer, np.floating)) and \
            np.isfinite(value)
        if ok and low is not None:
            ok = value >= low if low_inclusive else value > low
        if ok and high is not None:
            ok = value <= high if high_inclusive else value < high
        if not ok:
            lo = "" if low is None else f"{'[' if low_inclusive else '('}{low:g}, "
            hi = "inf)" if high is None else f"{high:g}{']' if high_inclusive else ')'}"
            where = f" in {lo}{hi}" if low is not None else f" <= {high:g}" if high is not None else ""
            raise ParameterError(f"{name}={value!r} must be a finite number{where}")
    return rule


def _one_of(allowed):
    def rule(name, value):
        if value not in tuple(allowed):
            raise ParameterError(f"{name}={value!r} is not one of {tuple(allowed)!r}")
    return rule


def _list_of(item_rule, what: str, example: str, allowed=None, nonempty: bool = False):
    """A list parameter: a string given for it (papermill reads ``-p l2 1e-4`` as one) is
    named as given, with how to write a list."""
    def rule(name, value):
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            raise ParameterError(f"{name}={value!r} must be a list of {what}, written e.g. -p {name} "
                                 f"\"{example}\" ([] for all the profile has)")
        if nonempty and not value:
            raise ParameterError(f"{name}={list(value)!r} must list at least one of {tuple(allowed)!r}")
        for v in value:
            if allowed is not None and v not in tuple(allowed):
                raise ParameterError(f"{name}={list(value)!r} contains {v!r}, which is not one of "
                                     f"{tuple(allowed)!r}")
            if item_rule is not None:
                item_rule(name, v)
    return rule


def _text(name, value):
    if not isinstance(value, str):
        raise ParameterError(f"{name}={value!r} must be a string")


def _flag(name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise ParameterError(f"{name}={value!r} must be true or false")


def _rules() -> dict:
    from .topology import PRINCIPLES

    return {
        # the population a page loads (or trains)
        "profile": _one_of(PROFILES), "data_root": _text, "retrain": _flag,
        "task": _one_of(TASKS),
        "tasks": _list_of(None, "task names", '["flipflop", "cdi"]', tuple(TASKS), nonempty=True),
        "archs": _list_of(None, "architectures", '["gru", "lstm"]', cells.ARCHS),
        "activations": _list_of(None, "activations", '["tanh"]', cells.ACTIVATIONS),
        "n_seeds": _integer(0),
        "units": _list_of(_integer(1), "network sizes", "[128]"),
        "l2": _list_of(_number(0, None, low_inclusive=True), "L2 coefficients", "[0.0001]"),
        # the analyses
        "n_trials": _integer(1), "variance_kept": _number(0, 1), "seed": _integer(0), "trial_seed": _integer(0),
        "n_permutations": _integer(1), "n_boot": _integer(1), "n_points": _integer(2), "n_modes": _integer(1),
        "n_perturbations": _integer(1), "principle": _one_of(PRINCIPLES), "example_arch": _one_of(cells.ARCHS),
        "n_untrained": _integer(1), "untrained_seed": _integer(0), "alpha": _number(0, 1, low_inclusive=True),
        "operator": _one_of(("reference", "centred")),
        # a user's network (the page analyse)
        "model_path": _text, "torch_nonlinearity": _one_of(("", "tanh", "relu")), "n_units": _integer(1),
        "iterations": _integer(0), "dsa": _flag,
        # task constants (the task checks how they combine, e.g. omega_offset + omega_slope)
        "n_bits": _integer(1), "p_flip": _number(0, 1), "n_contexts": _integer(1), "n_steps": _integer(2),
        "noise_std": _number(0, None, low_inclusive=True), "omega_offset": _number(0, 0.5),
        "omega_slope": _number(0, 0.5), "n_frequencies": _integer(2),
    }


#: Every page parameter's rule, by name (a page's check cell calls :func:`check` with its
#: parameters; a name without a rule is an error, so every parameter is checked).
PARAMETER_RULES = _rules()


def check(**parameters) -> None:
    """Check a page's parameters before any compute: raise :class:`ParameterError` naming
    the first parameter whose value is not allowed, its value as given and what is allowed
    (:data:`PARAMETER_RULES`)."""
    for name, value in parameters.items():
        if name not in PARAMETER_RULES:
            raise ParameterError(f"parameter {name!r} has no rule in universality.pages.PARAMETER_RULES; "
                                 f"add one")
        PARAMETER_RULES[name](name, value)


def quality_summary(table):
    """Per arch x activation: networks, diverged, missing the quality criterion, median
    normalised error (:func:`universality.quality.quality_table`)."""
    from .quality import quality_table

    return quality_table(table).drop(columns=["threshold"]).round(4)


def quality_statement(population) -> str:
    """The task's quality criterion and how many networks meet it (one line)."""
    from .quality import THRESHOLDS

    t = population.table
    task = population.task.name
    silent = float(np.nanmedian(t.valid_loss / t.normalised_error)) if "normalised_error" in t else np.nan
    miss = int((~t.meets_criterion.astype(bool) & ~t.diverged.astype(bool)).sum()) if "meets_criterion" in t else 0
    gate = "left_out" not in t or miss == 0 or bool(t.left_out.astype(bool).any())
    return (f"quality criterion ({task}): validation MSE / silent-output MSE <= {THRESHOLDS[task]:g} (silent-output "
            f"MSE {silent:.3g}); {miss} of {len(t)} networks miss it"
            + ("" if gate else " (this profile does not leave them out)")
            + f", {int(t.diverged.astype(bool).sum())} diverged")


def describe(population) -> str:
    """One line: networks, diverged, left out for the quality criterion, analysed."""
    t = population.table
    div = int(t.diverged.astype(bool).sum()) if "diverged" in t else 0
    out = int(t.left_out.astype(bool).sum()) if "left_out" in t else 0
    return (f"{len(t)} networks: {div} diverged, {out} miss the task's quality criterion and are left out, "
            f"{len(t) - div - out} analysed")


def page_profile(profile: str | Profile, task: str, task_params: Mapping | None = None,
                 n_seeds: int | None = None, archs: Sequence[str] | None = None,
                 activations: Sequence[str] | None = None, units: Sequence[int] | None = None,
                 l2: Sequence[float] | None = None) -> Profile:
    """The profile a page trains or loads: ``profile`` with the page's changes.

    A change of task constants, network size or L2 (other than a subset of the profile's
    L2 values) renames the profile (``book-n_bits2``, ``book-units128``) so that it is
    stored apart from the book's networks, and trains every group with the profile's
    settings, without the profile's per-group random searches (``n_search``); fewer seeds,
    L2 values, architectures or activations select a subset of the stored population, more
    seeds train the missing ones.  Empty or None values keep the profile's own.
    """
    prof = get_profile(profile)
    changes, renamed = {}, []
    if archs:
        changes["archs"] = tuple(archs)
    if activations:
        changes["activations"] = tuple(activations)
    want_units = tuple(int(u) for u in units) if units else None
    want_l2 = tuple(float(v) for v in l2) if l2 else None
    task_units, task_l2 = prof.sizes_of(task)
    if (want_units is None or set(want_units) <= set(task_units)) and \
            (want_l2 is None or set(want_l2) <= set(task_l2)):
        # sizes and L2 values the grid has, and any seed count: part of the stored grid selects
        if want_units or want_l2 or n_seeds:
            prof = prof.restrict(units=want_units, l2=want_l2, n_seeds=n_seeds or None, task=task)
    else:
        # a size or an L2 value the grid does not have: a grid of its own, stored apart
        new_units = want_units or task_units
        new_l2 = want_l2 or task_l2
        changes.update(units=new_units, l2=new_l2, extra_blocks=(),
                       n_seeds=int(n_seeds) if n_seeds else max(b.n_seeds for b in prof.blocks()))
        if want_units and set(want_units) - set(task_units):
            renamed.append("units" + "_".join(str(u) for u in want_units))
        if want_l2 and set(want_l2) - set(task_l2):
            renamed.append("l2_" + "_".join(f"{v:g}" for v in want_l2))
    effective = prof.task(task)
    try:
        TASKS[task](**{**dict(prof.task_params.get(task, {})), **dict(task_params or {})})
    except TypeError as e:
        raise ParameterError(f"task_params={dict(task_params or {})!r} has a name task {task!r} does not know: {e}") from None
    extra = {k: v for k, v in dict(task_params or {}).items() if getattr(effective, k) != v}
    if extra:
        renamed += [f"{k}{v}" for k, v in sorted(extra.items())]
        changes["task_params"] = {**dict(prof.task_params), task: {**dict(prof.task_params.get(task, {})), **extra}}
    if renamed:
        changes["name"] = prof.name + "-" + "-".join(renamed)
        # the profile's per-group random searches were the remedy for its own stored groups
        # (universality.quality.remedy_groups); a new store trains every group with the
        # profile's settings (a search multiplies a group's cost by its candidates)
        changes["n_search"] = 0
    return prof.with_(**changes) if changes else prof


def population_for_page(profile: Profile, task: str, root=DEFAULT_ROOT, retrain: bool = False,
                        progress: bool = True, scheduler="local") -> Population:
    """Load the page's population, training what is missing.

    With ``retrain`` the networks are trained afresh into ``<root>/_retrained`` (wiped
    first) instead of being loaded; the stored populations are never modified.  Missing
    groups train on ``scheduler`` (``run_sweep``; default: one single-threaded local
    worker process per core).
    """
    from pathlib import Path

    root = Path(root) if str(root) else DEFAULT_ROOT
    if retrain:
        import shutil

        root = Path(root) / "_retrained"
        shutil.rmtree(root / profile.store_name / task, ignore_errors=True)
    try:
        return load_population(profile, task, root=root)
    except FileNotFoundError:
        run_sweep(profile, [task], root=root, progress=progress, scheduler=scheduler,
                  command=f"book page: profile {profile.name}, task {task}")
        return load_population(profile, task, root=root)


def training_summary(profile: Profile, task: str) -> str:
    """One sentence saying how the profile trains ``task``."""
    cfg = profile.train_config(task)
    hp = profile.hparams_for(task)
    opt = {"adam": "Adam", "sgd_momentum": f"SGD with momentum {hp.momentum:g}"}[cfg.optimizer]
    n_search = profile.search_count(task)
    search = (f"best of {n_search} random-search candidates per configuration" if n_search
              else f"learning rate {hp.learning_rate:g} decaying by {hp.decay_rate:g} every "
                   f"{cfg.effective_decay_steps:g} iterations, gradient-norm clip {hp.clip:g}")
    cur = (f", trial length growing from {cfg.curriculum_start} steps over the first {cfg.curriculum:.0%} "
           f"of training" if cfg.curriculum else "")
    # entries for one architecture (or arch/activation): one parenthesis each, listing what differs
    searched = profile.n_search if isinstance(profile.n_search, dict) else {}
    for key in sorted({k for k in [*profile.train, *profile.hparams, *searched] if k.startswith(f"{task}/")}):
        c, h = profile.train.get(key, cfg), profile.hparams.get(key, hp)
        n_here = profile.search_count(task, *key.split("/")[1:])
        diff = [f"best of {n_here} random-search candidates"] if n_here != n_search else []
        diff += [] if n_here or h.learning_rate == hp.learning_rate else [f"learning rate {h.learning_rate:g}"]
        diff += [f"{k.replace('_', ' ')} {getattr(c, k)}" for k in ("iterations", "batch_size", "optimizer")
                 if getattr(c, k) != getattr(cfg, k)]
        if c.curriculum and (c.curriculum, c.curriculum_start) != (cfg.curriculum, cfg.curriculum_start):
            diff.append(f"trial length growing from {c.curriculum_start} steps over the first "
                        f"{c.curriculum:.0%} of training")
        if diff:
            cur += f" ({key.split('/', 1)[1]}: " + ", ".join(diff) + ")"
    return f"{cfg.iterations} iterations of {opt}, batch {cfg.batch_size}, {search}{cur}; " + grid_summary(profile, task)


def grid_summary(profile: Profile, task: str | None = None) -> str:
    """The grid in words: units, L2 values and seeds of each block (of ``task``'s blocks)."""
    parts = []
    for b in profile.blocks(task):
        l2 = ", ".join(f"{v:g}" for v in b.l2)
        units = ", ".join(str(u) for u in b.units)
        parts.append(f"units {units}, L2 {l2}, {b.n_seeds} seed(s) per configuration")
    return "; and ".join(parts)
