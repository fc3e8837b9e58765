"""A :class:`~universality.report.Report` as files: CSV tables, PNG figures, an index.html.

:func:`write` puts everything in one folder, with relative links only, so the folder can be
moved, zipped or opened from disk in any browser with no network:

* ``index.html``: the report, its tables inline, its figures, links to every file;
* ``summary.csv`` (per model: fixed points, stability, the task's quality criterion),
  ``fixed_points_<model>.csv`` (one row per point), ``topology.csv``, ``nearest.csv``
  (per model and measure: nearest class), ``distances_<model>.csv`` (the model's distance
  to every reference network under every measure), ``among_<measure>.csv`` (between the
  user's models), ``reference_summary.csv``;
* ``mds_<measure>.png`` (the merged MDS, models marked), ``distances_<model>.png``,
  ``fixed_points_<model>.png`` (3-D projection and eigenvalues), ``graph_<model>.png``
  (a square fixed-point graph, e.g. the flip-flop's transitions).
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["write", "slug", "point_table"]


def slug(name: str) -> str:
    """A file-name-safe form of a name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", str(name)).strip("_") or "model"


def point_table(f) -> pd.DataFrame:
    """One row per fixed point: condition, q, stability, unstable dimensions, the leading
    eigenvalue, the readout and the static input."""
    lead = f.eigenvalues[:, 0] if len(f) else np.zeros(0, complex)
    out = pd.DataFrame({"condition": f.condition, "q": f.q, "stable": f.is_stable, "unstable dims": f.n_unstable,
                        "|lambda_1|": np.abs(lead), "Re lambda_1": lead.real, "Im lambda_1": lead.imag})
    for j in range(f.outputs.shape[1]):
        out[f"readout {j}"] = f.outputs[:, j]
    for j in range(f.x.shape[1]):
        out[f"input {j}"] = f.x[:, j]
    out.index.name = "point"
    return out


def _table(frame: pd.DataFrame, index: bool = True) -> str:
    return frame.to_html(index=index, escape=True, float_format=lambda v: f"{v:.4g}", na_rep="",
                         border=0, classes="t")


def _distances_frame(rep, name) -> pd.DataFrame:
    """Rows: reference networks (with their labels); columns: the model's distance under each measure."""
    disp = rep.display[name]
    cols, labels = {}, None
    for measure, block in rep.distances.items():
        ids = list(block.coords["network"].values)
        if disp not in ids:
            continue
        ref_ids = [str(i) for i in block.coords["network_2"].values]
        cols[measure] = pd.Series(np.asarray(block)[ids.index(disp)], index=ref_ids)
        if labels is None or len(ref_ids) > len(labels):
            labels = pd.DataFrame({c[:-2]: block.coords[c].values for c in ("arch_2", "activation_2", "units_2",
                                                                             "l2_2", "seed_2")
                                   if c in block.coords}, index=ref_ids)
    if not cols:
        return pd.DataFrame()
    return labels.join(pd.DataFrame(cols)).rename_axis("network_id")


def _figures(rep, out: Path) -> dict:
    from . import plotting
    from .placement import class_of, reference_nn_median
    from .representations import pca

    plotting.setup()
    figs = {"mds": [], "models": {}}
    has_ref = bool(rep.reference)
    if has_ref:
        for measure, merged in rep.merged.items():
            if merged.sizes["network"] < 3 or measure.startswith("topology ("):  # the study's own topology only
                continue
            path = out / f"mds_{slug(measure)}.png"
            try:
                fig = plotting.plot_mds_marked(merged, title=f"MDS of {measure}, the models marked (stars)")
            except ValueError as e:  # e.g. every distance 0
                rep.notes.append(f"mds of {measure}: not drawn ({e})")
                continue
            plotting.save_figure(fig, path)
            figs["mds"].append((measure, path.name))
    for name, net in rep.models.items():
        mine = figs["models"].setdefault(name, [])
        disp = rep.display[name]
        rows, classes, typical = {}, {}, {}
        for measure, merged in rep.merged.items() if has_ref else ():
            ids = list(merged.coords["network"].values)
            if disp not in ids:
                continue
            ref = ~np.asarray(merged.coords["model"].values, bool)
            rows[measure] = np.asarray(merged)[ids.index(disp)][ref]
            classes[measure] = class_of(pd.DataFrame({"arch": merged.coords["arch"].values[ref],
                                                      "activation": merged.coords["activation"].values[ref]})).tolist()
            typical[measure] = reference_nn_median(merged.isel(network=ref, network_2=ref))
        if rows:
            path = out / f"distances_{slug(name)}.png"
            plotting.save_figure(plotting.plot_distances_to_reference(
                rows, classes, typical, title=f"{name}: distance to every reference network (star: nearest; "
                                              "dotted: the reference's median nearest-neighbour distance)"), path)
            mine.append(("distances to the reference", path.name))
        f = rep.fixed_points.get(name)
        if f is not None and len(f):
            fig = plotting.plot_eigenvalues(f, title=f"{name}: eigenvalues at {len(f)} fixed points")
            path = out / f"eigenvalues_{slug(name)}.png"
            plotting.save_figure(fig, path)
            mine.append(("eigenvalues of the linearisations", path.name))
            if rep.trials is not None and f.state_size >= 3:
                from . import cells

                states = cells.run(net.spec, net.params, np.asarray(rep.trials[:8], np.float32)[None]).numpy()[0]
                p = pca(states, 3)
                fig = plotting.plot_fixed_points_3d(p.project(f.h), f.n_unstable,
                                                    title=f"{name}: fixed points (top 3 PCs of its trajectories)")
                path = out / f"fixed_points_{slug(name)}.png"
                plotting.save_figure(fig, path)
                mine.append(("fixed points", path.name))
        for tname, (g, row_names, index) in list(rep.graphs.get(name, {}).items())[:1]:
            if np.ndim(g) != 2 or g.shape[0] != g.shape[1] or g.shape[0] != len(row_names):
                continue
            n_unst = np.where(index >= 0, f.n_unstable[np.maximum(index, 0)], -1) if f is not None and len(f) else \
                np.full(len(row_names), -1)
            fig = plotting.plot_transition_matrix(g, row_names, n_unst, present=index >= 0,
                                                  title=f"{name}: {tname}")
            path = out / f"graph_{slug(name)}_{slug(tname)}.png"
            plotting.save_figure(fig, path)
            mine.append((f"fixed-point graph ({tname})", path.name))
    return figs


def write(rep, out) -> list[Path]:
    """Write the report's files into ``out`` (created) and return their paths."""
    from .placement import MEASURES

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []

    def csv(stem, frame, index=True):
        if frame is None or frame.empty:
            return None
        path = out / f"{stem}.csv"
        frame.to_csv(path, index=index)
        files.append(path)
        return path.name

    tables = {"summary": csv("summary", rep.summary), "topology": csv("topology", rep.topology, index=False),
              "nearest": csv("nearest", rep.nearest, index=False),
              "reference": csv("reference_summary", rep.reference_summary, index=False)}
    per_model = {}
    for name in rep.models:
        f = rep.fixed_points.get(name)
        per_model[name] = {"points": csv(f"fixed_points_{slug(name)}", point_table(f)) if f is not None else None,
                           "distances": csv(f"distances_{slug(name)}", _distances_frame(rep, name))}
    among = {}
    for measure, d in rep.among.items():
        ids = [rep.display[n] for n in rep.models]
        if len(ids) > 1 and np.shape(d) == (len(ids), len(ids)):
            among[measure] = csv(f"among_{slug(measure)}", pd.DataFrame(np.asarray(d), index=ids, columns=ids))
    figs = _figures(rep, out)
    files += [out / p for _, p in figs["mds"]] + [out / p for v in figs["models"].values() for _, p in v]

    e = html.escape
    parts = [f"<h1>Analysis of {e(', '.join(rep.models))}</h1>",
             f"<p>task: <b>{e(rep.task or 'none (a task of its own)')}</b>"
             + (f"; reference: {e(rep.reference)}" if rep.reference else "; no reference population") + "</p>"]
    parts.append("<h2>The models</h2><ul>" + "".join(
        f"<li><b>{e(n)}</b>: {e(net.source)}; {e(net.spec.arch)}-{e(net.spec.activation)}, {net.spec.units} units, "
        f"{net.spec.n_inputs} inputs, {net.spec.n_outputs} outputs</li>" for n, net in rep.models.items()) + "</ul>")
    parts.append("<h2>Fixed points and linearisation</h2>")
    if not rep.summary.empty:
        parts.append(_table(rep.summary) + f'<p><a href="{tables["summary"]}">summary.csv</a></p>')
    if tables["reference"]:
        parts.append("<p>The reference population's fixed points:</p>" + _table(rep.reference_summary, index=False))
    for name in rep.models:
        f = rep.fixed_points.get(name)
        if f is not None:
            link = per_model[name]["points"]
            parts.append(f"<h3>{e(name)}</h3><p>{e(f.summary())}" + (f' (<a href="{link}">every point</a>)' if link
                                                                      else "") + "</p>")
        for what, png in figs["models"].get(name, []):
            if not png.startswith("distances_"):
                parts.append(f'<figure><img src="{png}" alt="{e(what)}"><figcaption>{e(what)}</figcaption></figure>')
    if tables["topology"]:
        parts.append("<h2>Topology</h2>" + _table(rep.topology, index=False)
                     + f'<p><a href="{tables["topology"]}">topology.csv</a></p>')
    if rep.reference:
        parts.append("<h2>Where the model falls among the reference</h2><p>Measures: </p><ul>" + "".join(
            f"<li><b>{e(m)}</b>: {e(MEASURES.get(m.split(' (')[0], m))}</li>" for m in rep.distances) + "</ul>")
        if tables["nearest"]:
            parts.append(_table(rep.nearest, index=False) + f'<p><a href="{tables["nearest"]}">nearest.csv</a></p>')
        for name in rep.models:
            for what, png in figs["models"].get(name, []):
                if png.startswith("distances_"):
                    parts.append(f'<figure><img src="{png}" alt="{e(what)}"><figcaption>{e(name)}: {e(what)} '
                                 f'(<a href="{per_model[name]["distances"]}">table</a>)</figcaption></figure>')
        for measure, png in figs["mds"]:
            parts.append(f'<figure><img src="{png}" alt="MDS {e(measure)}"><figcaption>MDS of {e(measure)}: '
                         f'{e(MEASURES.get(measure.split(" (")[0], measure))}</figcaption></figure>')
    if among:
        parts.append("<h2>The models compared with each other</h2>")
        for measure, link in among.items():
            ids = [rep.display[n] for n in rep.models]
            frame = pd.DataFrame(np.asarray(rep.among[measure]), index=ids, columns=ids)
            parts.append(f"<h3>{e(measure)}</h3>" + _table(frame) + f'<p><a href="{link}">{link}</a></p>')
    if rep.notes:
        parts.append("<h2>Notes</h2><ul>" + "".join(f"<li>{e(n)}</li>" for n in rep.notes) + "</ul>")
    parts.append("<h2>Files</h2><ul>" + "".join(f'<li><a href="{p.name}">{e(p.name)}</a></li>' for p in files)
                 + "</ul>")
    style = ("body{font-family:sans-serif;max-width:1150px;margin:1em auto;padding:0 1em;color:#222}"
             "table.t{border-collapse:collapse;font-size:12px;margin:0.5em 0}"
             "table.t td,table.t th{border:1px solid #ccc;padding:2px 6px;text-align:right}"
             "img{max-width:100%}figure{margin:1em 0}figcaption{font-size:13px;color:#555}")
    page = (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Analysis of '
            f'{e(", ".join(rep.models))}</title><style>{style}</style></head><body>\n' + "\n".join(parts)
            + "\n</body></html>\n")
    index = out / "index.html"
    index.write_text(page, encoding="utf-8")
    return [index] + files
