"""Analyse your own network: one function (and ``universality analyse``) for a whole report.

:func:`analyse` takes one or more of a user's models (a saved ``.keras`` file, a PyTorch
state dict as ``.npz``, a Keras model, a torch module, a state dict, an
:class:`~universality.importers.ImportedNetwork`; :func:`universality.importers.load_model`)
and measures them the way the book measures its own networks, with the task's study
(:mod:`universality.studies`):

* **fixed points** with the study's preset, their stability and unstable dimensions, the
  linearisation (eigenvalues) at each;
* **topology** with the study's graphs, against the task's ideal where it has one (the
  flip-flop's perfect cube, :func:`universality.topology.distance_to_ideal`) and against
  the reference population's typical graph (its medoid);
* **placement** among a reference population (the book's networks by default): the
  distance to every reference network under SVCCA with matched dimensions (the book's
  verdict geometry), SVCCA keeping 95% per network (the paper's reading), CKA, Procrustes,
  DSA and topology; the nearest class (arch x activation) by the tie-averaged nearest
  neighbour and by the k nearest (:mod:`universality.placement`); the merged matrices for
  MDS panels with the models marked.

Only what involves the models is computed: the reference's own results (its fixed points,
transitions, all-pairs distances) are read through :mod:`universality.analysis` from the
artifact store (computed once and cached there); the models' representations, operators,
fixed points and graphs, and their rows of every matrix
(:func:`universality.similarity.cross`,
:func:`universality.dynamics_similarity.cross_operator_distances`) are new.  The rows equal
the merged population's all-pairs matrix (the tests check it); when the models change a
population-wide choice (MatchedSVCCA's common k grows with a model that keeps more
components than any reference network) the reference's pairs are recomputed with it, and
the report says so.

With ``task=None`` (``--task none``) there is no reference: fixed points under the static
inputs the user gives (default zero input) with a generic
:class:`~universality.fixed_points.FixedPointConfig`, their eigenvalues, and the distances
among the user's models on the same inputs.  :mod:`universality.report_files` writes a
report as CSV tables, PNG figures and an ``index.html``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
import xarray as xr

from . import analysis, placement, similarity
from .artifacts import Workspace
from .errors import DataError, ParameterError
from .importers import ImportedNetwork, load_model

__all__ = ["Report", "analyse", "geometry_metrics", "fixed_point_row", "NO_TASK"]

#: What ``task`` is for a network trained on a task of its own.
NO_TASK = "none"

def geometry_metrics(variance_kept: float = 0.95) -> tuple:
    """The representational metrics of a placement, the book's verdict geometry first."""
    return (similarity.MatchedSVCCA(variance_kept), similarity.SVCCA(variance_kept), similarity.LinearCKA(),
            similarity.Procrustes(alpha=1.0))


@dataclass
class Report:
    """What :func:`analyse` found (every table labelled; see the module docstring).

    Attributes
    ----------
    task : the task's name (None for a task of the user's own)
    models : name -> ImportedNetwork; ``display`` name -> the name used beside the
        reference (the name, or ``'<name> (model)'`` when a reference network has it)
    reference : one line describing the reference population ('' without one)
    fixed_points : name -> FixedPoints; ``summary`` one row per model (counts, stability,
        the task's quality criterion)
    topology : one row per (model, topology): compared, distance to the ideal / typical graph
    graphs : name -> topology name -> (graph, row names, point_index) of the model
    distances : measure -> (models, reference) distances; ``merged`` measure -> (models +
        reference) square matrix (MDS); ``among`` measure -> (models, models)
    nearest : one row per (model, measure) (:func:`universality.placement.nearest_table`)
    trials : the inputs the representations were taken on; ``notes``: what to know
    """

    task: str | None
    models: dict
    display: dict
    reference: str = ""
    fixed_points: dict = field(default_factory=dict)
    summary: pd.DataFrame = field(default_factory=pd.DataFrame)
    topology: pd.DataFrame = field(default_factory=pd.DataFrame)
    graphs: dict = field(default_factory=dict)
    distances: dict = field(default_factory=dict)
    merged: dict = field(default_factory=dict)
    among: dict = field(default_factory=dict)
    nearest: pd.DataFrame = field(default_factory=pd.DataFrame)
    reference_summary: pd.DataFrame = field(default_factory=pd.DataFrame)
    trials: np.ndarray | None = None
    notes: list = field(default_factory=list)
    files: list = field(default_factory=list)

    def text(self) -> str:
        """The report in a few lines (what the command prints)."""
        lines = [f"task: {self.task or NO_TASK}" + (f"; reference: {self.reference}" if self.reference else "")]
        for name, net in self.models.items():
            lines.append(f"{name}: {net.source}, {net.spec.arch}-{net.spec.activation}, {net.spec.units} units")
            if name in self.fixed_points:
                lines.append(f"  fixed points: {self.fixed_points[name].summary()}")
        if not self.topology.empty:
            for _, r in self.topology.iterrows():
                parts = [f"{c} {r[c]:.3g}" for c in ("distance to the ideal", "distance to the typical graph")
                         if c in r and pd.notna(r[c])]
                lines.append(f"  {r['model']}, {r['topology']}: " + ("; ".join(parts) if parts else r["note"]))
        if not self.nearest.empty:
            k = [c for c in self.nearest.columns if c.startswith("class of the")][0]
            votes = [c for c in self.nearest.columns if c.startswith("votes of")][0]
            n = votes.split()[-1]
            for _, r in self.nearest.iterrows():
                lines.append(f"  {r['model']}, {r['measure']}: nearest class {r['nearest class']} "
                             f"(share {r['share of the tied nearest']:.2f}); {k}: {r[k]} ({r[votes]} of {n}); distance "
                             f"{r['distance']:.3g} (reference's own nearest-neighbour median "
                             f"{r['reference nn distance (median)']:.3g})")
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)


# ------------------------------------------------------------------------------ inputs


def _names(models: list, names) -> list[str]:
    if names is not None:
        names = [str(n) for n in ([names] if isinstance(names, str) else names)]
        if len(names) != len(models) or len(set(names)) != len(names) or not all(names):
            raise ParameterError(f"names={names!r} must give {len(models)} distinct non-empty names, one per model")
        return names
    out = []
    for i, m in enumerate(models):
        base = Path(m).stem if isinstance(m, (str, os.PathLike)) else "model" if len(models) == 1 else f"model {i + 1}"
        name, j = base, 2
        while name in out:
            name, j = f"{base} ({j})", j + 1
        out.append(name)
    return out


def _reference(task, reference, data_root, select):
    """(task object, reference population or None) for a task name or Task."""
    from .population import Population, load_population
    from .store import DEFAULT_ROOT
    from .tasks import TASKS, Task, make_task

    name = task.name if isinstance(task, Task) else task
    if name not in TASKS:
        raise ParameterError(f"task={task!r} is not one of {tuple(TASKS) + (NO_TASK,)!r}")
    if reference is None or (isinstance(reference, str) and reference in ("", NO_TASK)):
        return (task if isinstance(task, Task) else make_task(name)), None
    if isinstance(reference, Population):
        ref = reference
    else:
        ref = load_population(reference, name, root=data_root or DEFAULT_ROOT, require_complete=False)
    if ref.task is None or ref.task.name != name:
        raise ParameterError(f"reference is a population of task {getattr(ref.task, 'name', None)!r}, not {name!r}")
    if isinstance(task, Task) and task.params() != ref.task.params():
        raise ParameterError(f"task {task.params()} differs from the reference population's {ref.task.params()}")
    if select:
        ref = ref.select(**dict(select))
    ref = ref.trained()
    if len(ref) == 0:
        raise DataError(f"the reference population of task {name!r} has no trained network" +
                        (f" with {dict(select)}" if select else ""))
    return ref.task, ref


def _check_fits(name: str, net: ImportedNetwork, task) -> None:
    s = net.spec
    if (s.n_inputs, s.n_outputs) != (task.n_inputs, task.n_outputs):
        raise ParameterError(f"model {name} has {s.n_inputs} inputs and {s.n_outputs} outputs; task {task.name!r} "
                             f"takes {task.n_inputs} inputs and gives {task.n_outputs} outputs")


def _model_labels(nets: dict, display: dict) -> pd.DataFrame:
    return pd.DataFrame({"network_id": [display[n] for n in nets], "arch": [v.spec.arch for v in nets.values()],
                         "activation": [v.spec.activation for v in nets.values()],
                         "units": [v.spec.units for v in nets.values()], "l2": np.nan, "seed": -1})


# ----------------------------------------------------------------------- fixed points


def fixed_point_row(f) -> dict:
    """Counts of one network's fixed points: all, stable, saddles by unstable dimensions."""
    nu = f.n_unstable
    row = {"fixed points": len(f), "stable": int(np.sum(f.is_stable))}
    for d in range(1, int(nu.max()) + 1 if len(nu) else 1):
        row[f"{d} unstable"] = int(np.sum(nu == d))
    row["largest q"] = float(f.q.max()) if len(f) else np.nan
    return row


def _own_fixed_points(name, net, static_inputs, trials, config):
    """Fixed points of a network with no task: initial states from its trajectories on ``trials``."""
    from . import cells
    from .fixed_points import FixedPointConfig, find_cell_fixed_points

    spec = net.spec
    x = np.zeros((1, spec.n_inputs)) if static_inputs is None else np.atleast_2d(np.asarray(static_inputs, float))
    if x.ndim != 2 or x.shape[1] != spec.n_inputs:
        raise ParameterError(f"static_inputs has shape {np.shape(static_inputs)}; model {name!r} takes "
                             f"{spec.n_inputs} inputs: give (C, {spec.n_inputs}) static inputs")
    config = FixedPointConfig() if config is None else config
    states = cells.run(spec, net.params, np.asarray(trials, np.float32)[None]).numpy().reshape(1, -1, spec.state_size)
    return find_cell_fixed_points(spec, net.params, x, states, config, network_ids=[name])[0]


# ------------------------------------------------------------------------- placement


def _store(rep, name, placed):
    if placed is None:
        return
    rep.distances[name], rep.among[name], rep.merged[name] = placed.rows, placed.among, placed.merged
    if placed.note:
        rep.notes.append(placed.note)


def _operators(rep, study, h_mod, h_ref, stored, labels_mod, labels_ref, progress):
    from . import dynamics_similarity as dsa

    cfg = study.dsa_config()
    ops_mod, keep = [], []
    for i, (name, h) in enumerate(h_mod.items()):
        try:
            ops_mod.append(dsa.fit_operator(h, cfg))
            keep.append(i)
        except ValueError as e:
            rep.notes.append(f"dsa: no operator for {name!r} ({e})")
    if keep:
        ops_ref = list(dsa.operators(h_ref, cfg, progress=progress).values())
        _store(rep, "dsa", placement.place_operators(ops_mod, ops_ref, cfg, stored,
                                                     labels_mod.iloc[keep].reset_index(drop=True), labels_ref,
                                                     progress))


def _topology(rep, study, ref_topos, model_topos, labels_mod):
    """Each topology's rows and one table row per (model, topology): compared or why not,
    the distance to the task's ideal graph (where it has one) and to the reference's medoid."""
    from .topology import distance_to_ideal

    names = list(study.topology_distances(ref_topos))[: len(ref_topos)]
    table = []
    for tname, (principle, rt) in zip(names, ref_topos.items()):
        if not rt.graphs:
            continue
        shape = np.shape(next(iter(rt.graphs.values())))
        med = placement.medoid(rt.distances)
        graphs = {}
        for name, topos in model_topos.items():
            mt = topos.get(principle)
            g = None if mt is None or name not in mt.graphs else mt.graphs[name]
            rec = {"model": rep.display[name], "topology": tname, "compared": g is not None, "note": ""}
            if g is None:
                why = mt.set_aside.get(name, "no graph") if mt is not None else "no topology"
                rec["note"] = f"not compared: {why}"
            elif np.shape(g) != shape:
                rec.update(compared=False, note=f"not compared: its graph is {np.shape(g)}, the reference's {shape} "
                                                "(another number of fixed points)")
                g = None
            else:
                rep.graphs.setdefault(name, {})[tname] = (g, mt.row_names, mt.point_index[name])
                try:
                    rec["distance to the ideal"] = float(distance_to_ideal(mt)[name])
                except ValueError:  # no ideal graph for this task or principle
                    pass
                rec["typical network (medoid)"] = med
                rec["distance to the typical graph"] = float(np.linalg.norm(np.asarray(g, float)
                                                                            - np.asarray(rt.graphs[med], float)))
                rec["reference's median distance to it"] = float(np.median(np.asarray(rt.distances.sel(network=med))))
            graphs[name] = g
            table.append(rec)
        _store(rep, tname, placement.place_graphs(graphs, rt, labels_mod))
    rep.topology = pd.DataFrame(table)


def _quality(task, ref, spec, params):
    from .profiles import get_profile
    from .quality import THRESHOLDS, normalised_errors, silent_loss
    from .training import evaluate, validation_batch

    profile = (ref.source or {}).get("profile", "book") if ref is not None else "book"
    try:
        batch = validation_batch(task, get_profile(profile).train_config(task.name))
    except ParameterError:
        batch = validation_batch(task, get_profile("book").train_config(task.name))
    loss = float(evaluate(spec, params, batch.inputs_btm, batch.targets_bto)[0])
    ne, meets = normalised_errors([loss], task.name, silent_loss(batch.targets_bto))
    return {"validation MSE": loss, "normalised error": float(ne[0]), "criterion": f"<= {THRESHOLDS[task.name]:g}",
            "meets the task's criterion": bool(meets[0])}


def _reference_summary(ref, fps) -> pd.DataFrame:
    from .topology import modal_count

    rows = pd.DataFrame({nid: fixed_point_row(f) for nid, f in fps.items()}).T
    modal, have, _ = modal_count({k: len(v) for k, v in fps.items()})
    stable = rows["stable"].astype(int)
    return pd.DataFrame([{"networks": len(rows), "modal fixed-point count": modal,
                          "share with the modal count": len(have) / len(rows),
                          "modal stable count": int(stable.mode().min()),
                          "share with it": float((stable == stable.mode().min()).mean()),
                          "median normalised error": float(ref.table.normalised_error.median())
                          if "normalised_error" in ref.table else np.nan}])


def analyse(models, task: str | None = "flipflop", out=None, reference="book", *, names=None, data_root="",
            workspace=None, select: dict | None = None, n_trials: int = 64, seed: int = 0,
            variance_kept: float = 0.95, k: int = 5, dynamics: bool = True, torch_nonlinearity: str | None = None,
            fixed_point_changes: dict | None = None, static_inputs=None, inputs_btm=None, fixed_point_config=None,
            progress: bool = False) -> Report:
    """Analyse a user's model(s) and, with ``out``, write the report there.

    Parameters
    ----------
    models : one model or a list (see the module docstring for the forms)
    task : 'flipflop', 'sine', 'cdi' (or a Task), or None / 'none' for a task of their own
    out : folder for the files (:func:`universality.report_files.write`); None: write nothing
    reference : profile of the reference population ('book', 'smoke'), a Population, or
        None for no reference
    names : the models' names (default: file stems, or 'model', 'model 2', ...)
    data_root, workspace : where the reference networks are stored, and where stored
        results are read and written (default: the same root)
    select : labels restricting the reference (``Population.select``), e.g. ``{'units': 64}``
    n_trials, seed, variance_kept : the representations' trials (the study's share of
        ``n_trials`` drawn from ``seed``) and the SVCCAs' kept variance, as the pages use
    k : nearest reference networks voting for the k-nearest class
    dynamics : also DSA (reads or computes the reference's all-pairs DSA once)
    torch_nonlinearity : 'tanh' or 'relu' for an nn.RNN state dict
    fixed_point_changes : fields of the study's fixed-point preset to change, for the models
        and the reference alike (e.g. ``{'n_initial': 256}``: a quicker search; the
        reference's points are then searched afresh once, with the same settings)
    static_inputs : without a task: (C, M) static inputs x* of the fixed-point search
        (default: one zero input)
    inputs_btm : without a task: the (B, T, M) trials the models run on (initial states of
        the search, representations); default 32 trials of 100 steps of N(0, 1) inputs
    fixed_point_config : without a task: a FixedPointConfig (default: its defaults)
    """
    from .studies import study_for

    models = list(models) if isinstance(models, (list, tuple)) else [models]
    if not models:
        raise ParameterError("models=[] must list at least one model")
    model_names = _names(models, names)
    nets = {n: load_model(m, torch_nonlinearity) for n, m in zip(model_names, models)}
    no_task = task is None or (isinstance(task, str) and task == NO_TASK)
    if not no_task:
        from .tasks import TASKS, Task, make_task

        if isinstance(task, str) and task in TASKS:  # sizes first: a model that cannot fit fails before any loading
            from .profiles import PROFILES, get_profile

            early = get_profile(reference).task(task) if isinstance(reference, str) and reference in PROFILES else \
                getattr(reference, "task", None) or make_task(task)
            for (n, net), m in zip(nets.items(), models):
                _check_fits(repr(os.fspath(m)) if isinstance(m, (str, os.PathLike)) else repr(n), net, early)
        elif not isinstance(task, Task):
            raise ParameterError(f"task={task!r} is not one of {tuple(TASKS) + (NO_TASK,)!r}")
    task_obj, ref = (None, None) if no_task else _reference(task, reference, data_root, select)
    ref_ids = set(map(str, ref.table.index)) if ref is not None else set()
    display = {n: (f"{n} (model)" if n in ref_ids else n) for n in nets}
    rep = Report(None if no_task else task_obj.name, nets, display)
    ws = Workspace.of(workspace if workspace is not None else data_root, progress=progress)
    labels_mod = _model_labels(nets, display)
    if no_task:
        _own_task(rep, nets, labels_mod, static_inputs, inputs_btm, fixed_point_config, seed, variance_kept)
    else:
        for n, net in nets.items():
            _check_fits(repr(n), net, task_obj)
        study = study_for(task_obj)
        pops = {n: net.population(task_obj, network_id=n) for n, net in nets.items()}
        rep.trials = study.representation_trials(task_obj, n_trials, seed)
        try:
            fp_cfg = study.fixed_point_config(**dict(fixed_point_changes or {}))
        except (TypeError, ValueError) as e:
            raise ParameterError(f"fixed_point_changes={fixed_point_changes!r}: {e}") from None
        model_fps = {n: analysis.fixed_points(p, fp_cfg, workspace=ws) for n, p in pops.items()}
        rep.fixed_points = {n: f[n] for n, f in model_fps.items()}
        rows = {n: {**fixed_point_row(rep.fixed_points[n]), **_quality(task_obj, ref, nets[n].spec, nets[n].params)}
                for n in nets}
        rep.summary = pd.DataFrame(rows).T.rename_axis("model")
        model_topos = {n: study.topologies(pops[n], model_fps[n], ws) for n in nets}
        h_mod = {n: analysis.hidden(p, rep.trials)[n] for n, p in pops.items()}
        if ref is None:
            _among_only(rep, h_mod, labels_mod, study, dynamics, variance_kept)
            _topology_alone(rep, model_topos)
        else:
            rep.reference = (f"{(ref.source or {}).get('profile', 'given')} {task_obj.name} population, "
                             f"{len(ref)} trained networks")
            ref_fps = analysis.fixed_points(ref, fp_cfg, workspace=ws)
            rep.reference_summary = _reference_summary(ref, ref_fps)
            labels_ref = analysis.labels_of(ref)
            metrics = geometry_metrics(variance_kept)
            stored = analysis.geometry(ref, rep.trials, metrics=metrics, variance_kept=variance_kept, workspace=ws)
            h_ref = analysis.hidden(ref, rep.trials)
            reps_ref = [h.reshape(-1, h.shape[-1]) for h in h_ref.values()]
            reps_mod = [h.reshape(-1, h.shape[-1]) for h in h_mod.values()]
            for metric in metrics:
                _store(rep, metric.name, placement.place_representations(metric, reps_mod, reps_ref,
                                                                         stored[metric.name], labels_mod, labels_ref))
            del reps_ref
            if dynamics:
                stored_dsa = analysis.dynamics(ref, rep.trials, study.dsa_config(), workspace=ws)
                _operators(rep, study, h_mod, h_ref, stored_dsa, labels_mod, labels_ref, progress)
            del h_ref
            _topology(rep, study, study.topologies(ref, ref_fps, ws), model_topos, labels_mod)
            rep.nearest = placement.nearest_table(rep.distances, {m: d.isel(network=~d.coords["model"].values,
                                                                                network_2=~d.coords["model"].values)
                                                                  for m, d in rep.merged.items()}, ref.table, k)
    if out is not None:
        from .report_files import write

        rep.files = write(rep, out)
    return rep


def _among_only(rep, h_mod, labels_mod, study, dynamics, variance_kept):
    """The models' distances to each other (no reference)."""
    if len(h_mod) < 2:
        return
    reps = [h.reshape(-1, h.shape[-1]) for h in h_mod.values()]
    for metric in geometry_metrics(variance_kept):
        d = similarity.pairwise(metric, reps, labels=labels_mod, progress=False)
        rep.among[metric.name] = np.asarray(d)
        rep.merged[metric.name] = d.assign_coords(model=("network", np.ones(len(reps), bool)))
    if dynamics:
        from . import dynamics_similarity as dsa

        cfg = study.dsa_config() if study is not None else dsa.DSAConfig()
        try:
            d = dsa.operator_distances(list(dsa.operators(h_mod, cfg).values()), cfg, labels=labels_mod)
            rep.among["dsa"] = np.asarray(d)
            rep.merged["dsa"] = d.assign_coords(model=("network", np.ones(len(reps), bool)))
        except ValueError as e:
            rep.notes.append(f"dsa: not computed ({e})")


def _topology_alone(rep, model_topos):
    from .topology import distance_to_ideal

    rows = []
    for name, topos in model_topos.items():
        for principle, t in topos.items():
            rec = {"model": rep.display[name], "topology": principle, "compared": name in t.graphs, "note": ""}
            if name in t.graphs:
                rep.graphs.setdefault(name, {})[principle] = (t.graphs[name], t.row_names, t.point_index[name])
                try:
                    rec["distance to the ideal"] = float(distance_to_ideal(t)[name])
                except ValueError:
                    pass
            rows.append(rec)
    rep.topology = pd.DataFrame(rows)


def _own_task(rep, nets, labels_mod, static_inputs, inputs_btm, config, seed, variance_kept):
    """Fixed points, eigenvalues and mutual distances of networks of a task of their own."""
    from . import cells

    sizes = {net.spec.n_inputs for net in nets.values()}
    trials = {}
    for name, net in nets.items():
        m = net.spec.n_inputs
        x = np.random.default_rng([seed, 0xA11]).standard_normal((32, 100, m)).astype(np.float32) \
            if inputs_btm is None else np.asarray(inputs_btm, np.float32)
        if x.ndim != 3 or x.shape[2] != m:
            raise ParameterError(f"inputs_btm has shape {x.shape}; model {name!r} takes {m} inputs: give "
                                 f"(trials, time steps, {m}) inputs")
        trials[name] = x
        rep.fixed_points[name] = _own_fixed_points(name, net, static_inputs, x, config)
    rep.trials = next(iter(trials.values()))
    rep.summary = pd.DataFrame({n: fixed_point_row(f) for n, f in rep.fixed_points.items()}).T.rename_axis("model")
    if len(sizes) > 1:
        rep.notes.append(f"the models take different numbers of inputs ({sorted(sizes)}): not compared")
        return
    h_mod = {n: cells.run(net.spec, net.params, trials[n][None]).numpy()[0][..., : net.spec.units]
             for n, net in nets.items()}
    _among_only(rep, h_mod, labels_mod, None, True, variance_kept)
