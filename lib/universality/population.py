"""Populations of trained networks: ids, the configuration grid, loading, and the container.

The grid is arch x activation x units x L2 x seed (Section 2.1 of the paper).  Every
network has a stable, readable id derived from its configuration, e.g.
``flipflop-gru-tanh-n64-l2_1e-04-s3``.  :class:`Population` holds the networks of one task:
a labelled table and their parameters, built by :func:`load_population` from the store, by
:func:`untrained_population`, or from stacked parameters (:meth:`Population.from_stacked`).
Profiles live in :mod:`universality.profiles` (re-exported here), training in
:mod:`universality.sweep`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Mapping, Sequence

import numpy as np
import pandas as pd

from . import cells, quality, roundoff, store
from .profiles import PROFILES, Profile, get_profile
from .tasks import TASKS, Task
from .training import evaluate, validation_batch

__all__ = [
    "LABELS",
    "Profile",
    "PROFILES",
    "get_profile",
    "network_id",
    "group_id",
    "grid",
    "Population",
    "load_population",
    "untrained_population",
    "loss_table",
]


LABELS = ("task", "arch", "activation", "units", "l2", "seed")



def network_id(task: str, arch: str, activation: str, units: int, l2: float, seed: int) -> str:
    """Stable readable id, e.g. ``flipflop-gru-tanh-n64-l2_1e-04-s3``."""
    return f"{task}-{arch}-{activation}-n{int(units)}-l2_{float(l2):.0e}-s{int(seed)}"


def group_id(task: str, arch: str, activation: str, units: int) -> str:
    return f"{task}-{arch}-{activation}-n{int(units)}"


def grid(profile: str | Profile, task: str) -> pd.DataFrame:
    """One row per network of the profile for ``task`` (columns: network_id + LABELS)."""
    profile = get_profile(profile)
    if task not in TASKS:
        raise ValueError(f"task={task!r} is not one of {tuple(TASKS)!r}")
    rows, seen = [], set()
    for arch in profile.archs:
        for act in profile.activations:
            for block in profile.blocks(task):
                for units in block.units:
                    for l2 in block.l2:
                        for seed in range(block.n_seeds):
                            nid = network_id(task, arch, act, units, l2, seed)
                            if nid in seen:
                                continue
                            seen.add(nid)
                            rows.append({"network_id": nid, "task": task, "arch": arch, "activation": act,
                                         "units": int(units), "l2": float(l2), "seed": int(seed)})
    return pd.DataFrame(rows)



# --------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------


@dataclass
class Population:
    """The trained networks of one task: a labelled table plus their parameters.

    ``table`` has one row per network, indexed by network_id, with the LABELS, the
    losses (``valid_loss``, ``train_loss``), ``diverged`` and the hyperparameters.
    """

    task: Task
    table: pd.DataFrame
    params: dict[str, dict[str, np.ndarray]]
    curves: dict[str, tuple[np.ndarray, np.ndarray]]
    _spec: cells.CellSpec | None = field(default=None, repr=False)  # set by from_stacked (no task needed)
    #: where the networks were loaded from (``{'root': ..., 'profile': ...}``; None otherwise)
    source: dict | None = field(default=None, repr=False)

    def __len__(self):
        return len(self.table)

    def select(self, **labels) -> "Population":
        """Networks whose labels match, e.g. ``pop.select(arch='gru', activation=['tanh'])``."""
        mask = np.ones(len(self.table), bool)
        for k, v in labels.items():
            if k not in self.table.columns:
                raise ValueError(f"{k!r} is not a label; labels are {tuple(self.table.columns)!r}")
            vals = v if isinstance(v, (list, tuple, set, np.ndarray)) else [v]
            mask &= self.table[k].isin(list(vals)).to_numpy()
        sub = self.table[mask]
        return Population(self.task, sub, {i: self.params[i] for i in sub.index},
                          {i: self.curves[i] for i in sub.index}, _spec=self._spec, source=self.source)

    def subset(self, network_ids) -> "Population":
        """The networks ``network_ids`` (in that order)."""
        ids = list(network_ids)
        missing = [i for i in ids if i not in self.table.index]
        if missing:
            raise ValueError(f"network {missing[0]!r} is not in the population")
        return Population(self.task, self.table.loc[ids], {i: self.params[i] for i in ids},
                          {i: self.curves[i] for i in ids}, _spec=self._spec, source=self.source)

    def trained(self) -> "Population":
        """Only the networks that learned the task: not diverged, and not left out for
        missing the task's quality criterion (:mod:`universality.quality`; the profile's
        ``quality_gate``)."""
        pop = self.select(diverged=False)
        return pop.select(left_out=False) if "left_out" in pop.table.columns else pop

    def merge(self, other: "Population") -> "Population":
        """The networks of both populations (same task; network ids must not repeat)."""
        if other.task.params() != self.task.params() or other.task.name != self.task.name:
            raise ValueError(f"cannot merge populations of different tasks: {self.task.params()} vs "
                             f"{other.task.params()}")
        both = set(self.table.index) & set(other.table.index)
        if both:
            raise ValueError(f"network ids present in both populations: {sorted(both)[:3]}")
        table = pd.concat([self.table, other.table])
        return Population(self.task, table, {**self.params, **other.params}, {**self.curves, **other.curves})

    @classmethod
    def from_stacked(cls, task: Task | None, spec: cells.CellSpec, params: Mapping[str, np.ndarray],
                     network_ids: Sequence | None = None) -> "Population":
        """A population of P networks of one ``spec`` from stacked parameters (leading axis P).

        ``network_ids`` default to ``0 .. P-1``; labels are the spec's (arch, activation,
        units), ``seed`` the position, ``l2`` NaN; no network is marked diverged.  ``task``
        may be None for networks that were not trained on one of the book's tasks.
        """
        sizes = {np.shape(v)[0] for v in params.values()}
        if len(sizes) != 1:
            raise ValueError(f"params have different leading (population) sizes {sorted(sizes)}")
        p = sizes.pop()
        ids = list(range(p)) if network_ids is None else list(network_ids)
        if len(ids) != p or len(set(ids)) != p:
            raise ValueError(f"network_ids has {len(ids)} entries ({len(set(ids))} distinct); expected {p} distinct")
        table = pd.DataFrame({"network_id": ids, "task": task.name if task is not None else "", "arch": spec.arch,
                              "activation": spec.activation, "units": spec.units, "l2": np.nan,
                              "seed": np.arange(p), "valid_loss": np.nan, "train_loss": np.nan,
                              "diverged": False}).set_index("network_id")
        per = {i: {k: np.asarray(v)[j] for k, v in params.items()} for j, i in enumerate(ids)}
        return cls(task, table, per, {i: (np.zeros(0), np.zeros(0)) for i in ids}, _spec=spec)

    def spec(self, network_id) -> cells.CellSpec:
        r = self.table.loc[network_id]
        return self._cell_spec(r.arch, r.activation, r.units)

    def _cell_spec(self, arch, activation, units) -> cells.CellSpec:
        if self._spec is not None:
            return self._spec
        return cells.CellSpec(arch, activation, int(units), self.task.n_inputs, self.task.n_outputs)

    def groups(self) -> Iterator[tuple[cells.CellSpec, pd.DataFrame, dict[str, np.ndarray]]]:
        """(spec, rows, stacked params) for each (arch, activation, units) present."""
        for (arch, act, units), rows in self.table.groupby(["arch", "activation", "units"], sort=False):
            yield self._cell_spec(arch, act, units), rows, cells.stack_params([self.params[i] for i in rows.index])

    def spec_groups(self) -> list[tuple[cells.CellSpec, list, dict[str, np.ndarray]]]:
        """``(spec, network_ids, stacked params)`` per group of the networks that did not
        diverge: what the per-network analyses (fixed points, topology, linearisation) batch
        over.  Raises ``ValueError`` when no such network is left."""
        pop = self.select(diverged=False) if "diverged" in self.table.columns else self
        if len(pop.table) == 0:
            raise ValueError("the population is empty (or every network diverged): nothing to analyse")
        return [(spec, list(rows.index), params) for spec, rows, params in pop.groups()]

    def states(self, inputs_btm: np.ndarray) -> dict[str, np.ndarray]:
        """Run every network on the same inputs: network_id -> states (B, T, S)."""
        out = {}
        x = np.asarray(inputs_btm, np.float32)
        for spec, rows, params in self.groups():
            xs = np.broadcast_to(x, (len(rows),) + x.shape)
            s = cells.run(spec, params, xs).numpy()
            out.update({i: s[k] for k, i in enumerate(rows.index)})
        return {i: out[i] for i in self.table.index}

    def outputs(self, inputs_btm: np.ndarray) -> dict[str, np.ndarray]:
        """Readouts of every network on the same inputs: network_id -> (B, T, O)."""
        out = {}
        x = np.asarray(inputs_btm, np.float32)
        for spec, rows, params in self.groups():
            xs = np.broadcast_to(x, (len(rows),) + x.shape)
            y = cells.readout(spec, params, cells.run(spec, params, xs)).numpy()
            out.update({i: y[k] for k, i in enumerate(rows.index)})
        return {i: out[i] for i in self.table.index}


def untrained_population(task: Task, archs: Sequence[str], activations: Sequence[str], units: int,
                         seeds: Sequence[int]) -> Population:
    """Networks at their initialisation (no training): a control population for ``task``.

    Ids read ``untrained-<task>-<arch>-<activation>-n<units>-s<seed>``; weights are
    ``cells.init_params`` of each seed (seed s gives the starting point of the trained
    network of seed s); ``valid_loss`` is the validation loss at initialisation.
    """
    rows, params, curves = [], {}, {}
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("seeds is empty: an untrained population needs at least one network")
    for arch in archs:
        for act in activations:
            spec = cells.CellSpec(arch, act, int(units), task.n_inputs, task.n_outputs)
            stacked = cells.init_params(spec, seeds)
            batch = task.sample(np.random.default_rng(2019), 64)
            losses = evaluate(spec, stacked, batch.inputs_btm, batch.targets_bto)
            for k, s in enumerate(seeds):
                nid = f"untrained-{task.name}-{arch}-{act}-n{int(units)}-s{s}"
                # perturbed like a loaded network when UNIVERSALITY_PERTURB is set (roundoff)
                params[nid] = roundoff.perturb({n: np.asarray(v)[k] for n, v in stacked.items()}, nid)
                curves[nid] = (np.zeros(0), np.zeros(0))
                rows.append({"network_id": nid, "task": task.name, "arch": arch, "activation": act,
                             "units": int(units), "l2": 0.0, "seed": s, "valid_loss": float(losses[k]),
                             "train_loss": np.nan, "diverged": False})
    return Population(task, pd.DataFrame(rows).set_index("network_id"), params, curves)


def load_population(profile: str | Profile = "book", task: str = "flipflop", root=store.DEFAULT_ROOT,
                    require_complete: bool = True) -> Population:
    """Read the stored networks of ``task`` for ``profile``.

    Raises ``FileNotFoundError`` naming the command that trains them when any network of
    the profile's grid is missing (or none is stored, with ``require_complete=False``).
    """
    profile = get_profile(profile)
    expected = grid(profile, task)
    t = profile.task(task)
    rows, params, curves = [], {}, {}
    missing = []
    by_id = expected.set_index("network_id")
    for nid in expected.network_id:
        path = store.network_path(root, profile.store_name, task, nid)
        if not path.exists():
            missing.append(nid)
            continue
        p, meta, curve, its = store.load_network(path)
        row = by_id.loc[nid]
        if not bool(meta.get("diverged", False)):
            spec = cells.CellSpec(row.arch, row.activation, int(row.units), t.n_inputs, t.n_outputs)
            store.check_network(path, p, cells.param_shapes(spec))
        params[nid] = p
        curves[nid] = (its, curve)
        rows.append({"network_id": nid, **{k: meta[k] for k in LABELS}, "valid_loss": meta["valid_loss"],
                     "train_loss": meta["train_loss"], "diverged": bool(meta["diverged"]),
                     **{f"hp_{k}": v for k, v in meta["hparams"].items()}})
    if (missing and require_complete) or not rows:
        raise FileNotFoundError(
            f"{len(missing)} of {len(expected)} networks of profile {profile.name!r}, task {task!r} are not in "
            f"{Path(root) / profile.store_name / task}; train them with: universality train --profile {profile.name} "
            f"--task {task} --data {root}")
    table = pd.DataFrame(rows).set_index("network_id")
    table["valid_loss"] = table["valid_loss"].astype(float)
    silent = quality.silent_loss(validation_batch(t, profile.train_config(task)).targets_bto)
    table["normalised_error"], table["meets_criterion"] = quality.normalised_errors(table.valid_loss, task, silent)
    table["left_out"] = (~table.meets_criterion & ~table.diverged.astype(bool)) if profile.quality_gate else False
    return Population(t, table, params, curves, source={"root": str(root), "profile": profile.name})


# --------------------------------------------------------------------------------------
# Summaries
# --------------------------------------------------------------------------------------

def loss_table(table: pd.DataFrame) -> pd.DataFrame:
    """Validation-loss summary per (task, arch, activation): networks, diverged, min,
    median and max validation MSE of the networks that did not diverge; with the quality
    columns of :func:`load_population`, their median normalised error and how many
    networks miss the task's criterion and are left out of the analyses."""
    keys = [k for k in ("task", "arch", "activation") if k in table.columns]
    ok = table[~table.diverged.astype(bool)]
    g = ok.groupby(keys)["valid_loss"]
    out = pd.DataFrame({"networks": table.groupby(keys).size(),
                        "diverged": table.groupby(keys)["diverged"].sum().astype(int),
                        "min": g.min(), "median": g.median(), "max": g.max()})
    if "normalised_error" in table.columns:
        out["median NE"] = ok.groupby(keys)["normalised_error"].median()
    if "left_out" in table.columns:
        out["left out"] = table.groupby(keys)["left_out"].sum().astype(int)
    return out

