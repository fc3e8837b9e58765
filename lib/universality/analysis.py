"""The population analyses every page shares, each stored through :mod:`universality.artifacts`.

* :func:`geometry`: all-pairs representational distances (SVCCA, CKA, Procrustes, ...);
* :func:`dynamics`: all-pairs DSA distances;
* :func:`fixed_points`: every network's fixed points (search, or a stored result);
* :func:`transitions_of`: flip-flop transition matrices from those fixed points.

Each returns what it computed or read, keyed by the networks' weights, the settings and
the code that produces it (a :class:`Keyed` result carries its ``key``, so what is
computed from it can name it upstream).  ``workspace`` (a
:class:`universality.artifacts.Workspace`, or a store root) says where results are read
and written; the default is the repository's ``data/``.
"""

from __future__ import annotations

import json
from typing import Mapping, Sequence

import numpy as np
import xarray as xr

from . import artifacts, similarity
from .artifacts import Workspace
from .representations import LABEL_COLUMNS, PCA, hidden, labels_of, pca, representations

__all__ = ["LABEL_COLUMNS", "hidden", "representations", "labels_of", "PCA", "pca", "Keyed", "geometry",
           "dynamics", "fixed_points", "transitions_of", "read_distances", "write_distances"]


class Keyed(dict):
    """A stored result that is a mapping (``network_id -> ...``), with its artifact ``key``."""

    key: str = ""

    @classmethod
    def of(cls, mapping: Mapping, key: str) -> "Keyed":
        out = cls(mapping)
        out.key = key
        return out


# ----------------------------------------------------------------------- distance files


def write_distances(path, d: xr.DataArray) -> None:
    """A labelled distance matrix as ``.npz``: the network ids, the values, the attributes."""
    from .store import atomic_savez

    atomic_savez(path, {"network_ids": np.array([str(i) for i in d.coords["network"].values]),
                        "values": d.values, "attrs": np.array(json.dumps(d.attrs, default=str))})


def read_distances(path, population) -> xr.DataArray:
    """Inverse of :func:`write_distances`, labels re-attached from ``population``'s table."""
    from .similarity.core import labelled

    with np.load(path, allow_pickle=False) as z:
        ids, values = [str(i) for i in z["network_ids"]], z["values"]
        attrs = json.loads(str(z["attrs"]))
    keys = {str(k): k for k in population.table.index}
    labels = labels_of(population).set_index("network_id").loc[[keys[i] for i in ids]].reset_index()
    return labelled(values, labels, attrs, {})


def _distances(kind, population, settings, compute, workspace):
    d, _ = artifacts.get(kind, population.task.name, [population], settings, compute, lambda p: read_distances(
        p, population), write_distances, Workspace.of(workspace))
    return d


def geometry(population, inputs_btm: np.ndarray, metrics: Sequence = ("svcca", "cka"),
             variance_kept: float = 0.95, workspace=None) -> dict[str, xr.DataArray]:
    """All-pairs representational distances of a population, one labelled matrix per metric.

    ``metrics``: names ('svcca' with ``variance_kept``, 'cka', 'procrustes') or
    :class:`universality.similarity.Metric` objects (keyed by their ``name``)."""
    ws = Workspace.of(workspace)
    objs = [similarity.metric_from_name(m, variance_kept) if isinstance(m, str) else m for m in metrics]
    out, reps = {}, None
    for m in objs:
        def compute(m=m):
            nonlocal reps
            reps = representations(population, inputs_btm) if reps is None else reps
            return similarity.pairwise(m, reps, labels=labels_of(population), progress=ws.progress)

        settings = artifacts.settings_of(type(m).__name__, repr(m), np.ascontiguousarray(inputs_btm))
        out[m.name] = _distances("geometry", population, settings, compute, ws)
    return out


def dynamics(population, inputs_btm: np.ndarray, config, workspace=None) -> xr.DataArray:
    """All-pairs DSA distances of a population (:mod:`universality.dynamics_similarity`):
    each network's hidden states on the same trials, delay-embedded, a DMD operator each,
    aligned up to an orthogonal change of basis, with ``config`` (a ``DSAConfig``)."""
    from . import dynamics_similarity as dsa

    ws = Workspace.of(workspace)

    def compute():
        ops = dsa.operators(hidden(population, inputs_btm), config, progress=ws.progress)
        return dsa.operator_distances(ops, config, labels=labels_of(population), progress=ws.progress)

    settings = artifacts.settings_of(config, np.ascontiguousarray(inputs_btm))
    return _distances("dynamics", population, settings, compute, ws)


def fixed_points(population, config, workspace=None) -> Keyed:
    """Fixed points of every network (``network_id -> FixedPoints``) with ``config`` (a
    :class:`~universality.fixed_points.FixedPointConfig`, e.g. a study's preset).

    The search is :func:`universality.fixed_points.find_population_fixed_points`; what is
    stored is the compact file format of :func:`universality.fixed_points.save_collection`;
    the Jacobians and their eigendecompositions are recomputed from (h*, x*)
    (:func:`~universality.fixed_points.linearise`) whether the points come from the search
    or from a file, so both give identical results."""
    from . import fixed_points as fp

    ws = Workspace.of(workspace)

    def compute():
        return fp.find_population_fixed_points(population, population.task, config, progress=ws.progress)

    points, key = artifacts.get("fixed_points", population.task.name, [population], artifacts.settings_of(config),
                                compute, fp.read_compact, lambda p, f: fp.save_collection(p, f, compact=True), ws)
    # the eigenvalues of the points' Jacobians, computed once per machine: every page that
    # reads these points needs them, and they cost more than the rest of the linearisation
    cached = ws.cache_dir / "eigenvalues" / f"{population.task.name}-{key}.npz" if ws.cache else None
    lams = None
    if cached is not None and cached.exists():
        try:
            with np.load(cached, allow_pickle=False) as z:
                lams = {k: z[k] for k in z.files}
        except (ValueError, OSError):
            lams = None
    fps = fp.linearise(population, points, eigenvalues=lams)
    if cached is not None and lams is None:
        from .store import atomic_savez

        cached.parent.mkdir(parents=True, exist_ok=True)
        atomic_savez(cached, {nid: f.eigenvalues for nid, f in fps.items()})
    return Keyed.of(fps, key)


def transitions_of(population, fps: Keyed, config=None, workspace=None) -> Keyed:
    """Flip-flop transition matrices (``network_id -> (n, n)``, each network's own point
    order; :func:`universality.topology.transition_matrices`), computed from ``fps`` (as
    :func:`fixed_points` returns them) with the topology settings ``config``."""
    from . import topology
    from .store import atomic_savez

    ws = Workspace.of(workspace)
    config = topology.TopologyConfig() if config is None else config

    def compute():
        return topology.transition_matrices(population, fps, None, config, progress=ws.progress)

    def read(path):
        with np.load(path, allow_pickle=False) as z:
            ids = [str(i) for i in z["network_ids"]]
            return {nid: z[f"matrix/{i}"] for i, nid in enumerate(ids)}

    def write(path, mats):
        arrays = {"network_ids": np.array([str(k) for k in mats], dtype=str)}
        arrays.update({f"matrix/{i}": m for i, m in enumerate(mats.values())})
        atomic_savez(path, arrays)

    upstream = [fps.key] if getattr(fps, "key", "") else [artifacts.settings_of(
        {str(k): np.ascontiguousarray(f.h, np.float64) for k, f in fps.items()})]
    mats, key = artifacts.get("transitions", population.task.name, [population], artifacts.settings_of(config),
                              compute, read, write, ws, upstream=[json.dumps(u, default=str) if not isinstance(u, str)
                                                                  else u for u in upstream])
    return Keyed.of({k: mats[str(k)] for k in fps}, key)
