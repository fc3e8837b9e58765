"""Fixed-point topology: graphs over each network's fixed points, compared across networks.

* :mod:`~universality.topology.transitions`: flip-flop transition-probability matrices
  (perturbation runs from every fixed point, Fig. 1e).
* :mod:`~universality.topology.alignment`: which row of one network's matrix is which row
  of another's (labels by cube position, by routing, or the paper's readout order).
* :mod:`~universality.topology.graphs`: nearest-neighbour graphs over the input-dependent
  fixed points of the sine and CDI tasks (Figs. 2e, 3d).

A :class:`Topology` holds one aligned graph per compared network and the distances
between them: the Euclidean (Frobenius) norm of the difference of two networks' aligned
matrices (Section 3.1), as a labelled (network, network_2) matrix like
:func:`universality.similarity.pairwise_distances`.  Every network whose fixed points
were found is compared (a point a network lacks is an empty row), except under the
paper's 'readout' principle, which can only compare networks with the modal number of
points; :meth:`Topology.modal_only` gives the paper's modal-count comparison for any
principle.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
import pandas as pd
import xarray as xr
from scipy.spatial.distance import pdist, squareform

from . import alignment, graphs, signatures, transitions
from .alignment import PRINCIPLES, cube_positions, ideal_graph, position_names, readout_order
from .graphs import cdi_graph, knn_adjacency, sine_graph
from .transitions import TopologyConfig, heteroclinic_trajectories, transition_matrices

__all__ = [
    "PRINCIPLES",
    "TopologyConfig",
    "Topology",
    "modal_count",
    "graph_distances",
    "flipflop_topology",
    "sine_topology",
    "sine_signature_topology",
    "cdi_topology",
    "distance_to_ideal",
    "transition_matrices",
    "heteroclinic_trajectories",
    "cube_positions",
    "position_names",
    "ideal_graph",
    "readout_order",
    "knn_adjacency",
    "sine_graph",
    "cdi_graph",
    "alignment",
    "graphs",
    "signatures",
    "transitions",
]

DIMS = ("network", "network_2")
SUFFIX = "_2"
_LABELS = ("task", "arch", "activation", "units", "l2", "seed")


@dataclass(frozen=True, eq=False)
class Topology:
    """Aligned fixed-point graphs of a population and the distances between them.

    Attributes
    ----------
    task, principle : what was compared and how its points were lined up
    graphs : network_id -> aligned matrix (every compared network; same shape for all)
    row_names : names of the rows (cube positions, frequencies, context/slot)
    point_index : network_id -> (rows,) index of the network's fixed point at each row
        (-1 where it has none)
    counts : network_id -> number of fixed points (every analysed network)
    unmatched : network_id -> points of a compared network that took no row
    modal_count : the most common number of fixed points
    set_aside : network_id -> why it was not compared
    distances : xarray.DataArray (compared x compared), dims ('network', 'network_2')
    fixed_points : network_id -> FixedPoints, as found (not reordered)
    """

    task: str
    principle: str
    graphs: dict
    row_names: tuple
    point_index: dict
    counts: pd.Series
    unmatched: pd.Series
    modal_count: int | None
    set_aside: dict
    distances: xr.DataArray
    fixed_points: dict = field(default_factory=dict)

    @property
    def compared(self) -> list:
        return list(self.graphs)

    @property
    def modal(self) -> list:
        """The analysed networks with the modal number of fixed points."""
        return [k for k, v in self.counts.items() if int(v) == self.modal_count]

    @property
    def fraction_modal(self) -> float:
        """Share of the analysed networks with the modal number of fixed points."""
        return len(self.modal) / max(len(self.counts), 1)

    def modal_only(self) -> xr.DataArray:
        """Distances among the compared networks with the modal count (the paper's rule)."""
        keep = [k for k in self.graphs if int(self.counts[k]) == self.modal_count]
        mask = np.isin(self.distances.coords[DIMS[0]].values, np.array(keep, dtype=object))
        return self.distances.isel({DIMS[0]: mask, DIMS[1]: mask})

    def subset(self, network_ids) -> "Topology":
        """The same topology restricted to ``network_ids`` (the modal count recomputed)."""
        keep = [i for i in network_ids if i in self.counts.index]
        counts = self.counts.loc[keep]
        compared = [i for i in keep if i in self.graphs]
        modal = modal_count(counts.to_dict())[0] if len(counts) else None
        d = self.distances.sel({DIMS[0]: compared, DIMS[1]: compared})
        return Topology(self.task, self.principle, {i: self.graphs[i] for i in compared}, self.row_names,
                        {i: self.point_index[i] for i in compared}, counts,
                        self.unmatched.loc[[i for i in compared if i in self.unmatched.index]], modal,
                        {i: v for i, v in self.set_aside.items() if i in keep}, d,
                        {i: self.fixed_points[i] for i in keep if i in self.fixed_points})

    def points(self, network_id):
        """The network's fixed points in row order and a mask of the rows it has a point for."""
        idx = self.point_index[network_id]
        have = idx >= 0
        return self.fixed_points[network_id][idx[have]], have

    def summary(self) -> str:
        """One line: how many networks were compared and how many points matched no row."""
        n_um = int(self.unmatched.sum()) if len(self.unmatched) else 0
        return (f"{self.task} topology ({self.principle}): {len(self.graphs)} of {len(self.counts)} networks "
                f"compared; modal fixed-point count {self.modal_count} in {len(self.modal)} "
                f"({self.fraction_modal:.0%}); {n_um} point(s) in {int((self.unmatched > 0).sum())} network(s) "
                f"matched no row; set aside: {len(self.set_aside)}")


def modal_count(counts: Mapping) -> tuple[int, list, list]:
    """The most common value of ``counts`` (ties: the smaller), and who has it / who not."""
    if not counts:
        raise ValueError("counts is empty: no networks to compare")
    freq = Counter(int(v) for v in counts.values())
    modal = min(freq, key=lambda c: (-freq[c], c))
    return modal, [k for k, v in counts.items() if int(v) == modal], [k for k, v in counts.items() if int(v) != modal]


def graph_distances(graphs: Mapping, labels: pd.DataFrame | None = None, tie_tolerance: float = 0.0) -> xr.DataArray:
    """Euclidean (Frobenius) distances between equally shaped graph matrices.

    Parameters
    ----------
    graphs : network_id -> array (any shape, the same for all)
    labels : table indexed by network_id (e.g. ``Population.table``); its label columns
        become coordinates ``col`` along 'network' and ``col_2`` along 'network_2'
    tie_tolerance : the distances' resolution (``attrs['tie_tolerance']``): nearest
        neighbours closer than it are tied (:func:`universality.statistics.tie_tolerance`)
    """
    ids = list(graphs)
    if ids:
        shapes = {np.shape(g) for g in graphs.values()}
        if len(shapes) != 1:
            raise ValueError(f"graphs have different shapes {sorted(shapes)}; align them first "
                             "(universality.topology.alignment) or compare the modal-count networks only")
        flat = np.stack([np.asarray(graphs[i], np.float64).ravel() for i in ids])
        d = squareform(pdist(flat)) if len(ids) > 1 else np.zeros((1, 1))
    else:
        d = np.zeros((0, 0))
    coords = {DIMS[0]: np.array(ids, dtype=object), DIMS[1]: np.array(ids, dtype=object)}
    if labels is not None:
        for col in _LABELS:
            if col in labels.columns:
                vals = labels.loc[ids, col].to_numpy()
                coords[col] = (DIMS[0], vals)
                coords[col + SUFFIX] = (DIMS[1], vals)
    attrs = {"metric": "euclidean graph distance"}
    if tie_tolerance:
        attrs["tie_tolerance"] = float(tie_tolerance)
    return xr.DataArray(d, dims=DIMS, coords=coords, attrs=attrs)


def _build(task, principle, fps, per_network, row_names, labels, compare_all=True, tie_tolerance=0.0) -> Topology:
    counts = pd.Series({k: len(v) for k, v in fps.items()}, name="n_fixed_points", dtype=int)
    modal = modal_count(counts.to_dict())[0] if len(counts) else None
    g, index, unmatched, aside = {}, {}, {}, {}
    for nid, f in fps.items():
        if len(f) == 0:
            aside[nid] = "no fixed points found"
            continue
        if not compare_all and len(f) != modal:
            aside[nid] = f"{len(f)} fixed points, not the modal {modal}"
            continue
        g[nid], index[nid], unmatched[nid] = per_network(nid, f)
    return Topology(task, principle, g, tuple(row_names), index, counts,
                    pd.Series(unmatched, name="unmatched", dtype=int), modal, aside, graph_distances(g, labels, tie_tolerance),
                    dict(fps))


def flipflop_topology(fps: Mapping, transitions_by_network: Mapping, principle: str = "position",
                      labels: pd.DataFrame | None = None, decimals: int = 1,
                      n_perturbations: int | None = None) -> Topology:
    """Aligned transition graphs of flip-flop networks (Fig. 1f).

    Parameters
    ----------
    fps : network_id -> FixedPoints (with outputs, stability)
    transitions_by_network : network_id -> (n, n) matrix in the order of that network's
        points (:func:`~universality.topology.transitions.transition_matrices`)
    principle : 'position' (default), 'routing' or 'readout' (the paper's, modal-count
        networks only); see :mod:`~universality.topology.alignment`
    labels : population table (label coordinates of the distance matrix)
    n_perturbations : the runs per point behind each transition probability (the
        topology config's).  Each probability moves in steps of ``1 / n_perturbations``,
        and a run that starts near a basin boundary can end on either side at round-off;
        two such runs move a distance by up to ``2 sqrt(2) / n_perturbations``, so nearest
        neighbours closer than that are tied (the matrix's ``tie_tolerance``).  None: no
        resolution declared.
    """
    if principle not in PRINCIPLES:
        raise ValueError(f"principle={principle!r} is not one of {PRINCIPLES!r}")
    missing = [k for k in fps if len(fps[k]) and k not in transitions_by_network]
    if missing:
        raise ValueError(f"no transition matrix for {len(missing)} network(s): {missing[:3]!r}")
    k = next((f.outputs.shape[1] for f in fps.values() if len(f)), 0)
    if principle == "readout":
        modal = modal_count({n: len(f) for n, f in fps.items()})[0] if fps else 0
        names = tuple(f"rank {i}" for i in range(modal))
    else:
        names = position_names(k) if k else ()

    def one(nid, f):
        return alignment.aligned_graph(f, transitions_by_network[nid], principle, decimals)

    tol = 2 * np.sqrt(2) / n_perturbations if n_perturbations else 0.0
    return _build("flipflop", principle, fps, one, names, labels, compare_all=principle != "readout",
                  tie_tolerance=tol)


def sine_topology(fps: Mapping, n_conditions: int, k: int = 1, labels: pd.DataFrame | None = None,
                  row_names=None) -> Topology:
    """k-NN graphs over the per-frequency fixed points, frequencies in order (Fig. 2e)."""
    names = row_names if row_names is not None else tuple(f"condition {c}" for c in range(n_conditions))

    def one(nid, f):
        m, idx = sine_graph(f, n_conditions, k)
        return m, idx, 0

    return _build("sine", "nearest neighbours", fps, one, names, labels)


def sine_signature_topology(fps: Mapping, n_conditions: int, labels: pd.DataFrame | None = None,
                            row_names=None) -> Topology:
    """Per-frequency stability signatures (:mod:`~universality.topology.signatures`): the
    number of fixed points and the slowest point's unstable oscillatory and real modes,
    compared across networks; unchanged by any re-spacing of the points in state space."""
    from .signatures import stability_signature

    names = row_names if row_names is not None else tuple(f"condition {c}" for c in range(n_conditions))

    def one(nid, f):
        m, idx = stability_signature(f, n_conditions)
        return m, idx, 0

    return _build("sine", "signature", fps, one, names, labels)


def cdi_topology(fps: Mapping, n_conditions: int, n_points: int = 10, k: int = 1,
                 max_magnitude: float | None = None, labels: pd.DataFrame | None = None) -> Topology:
    """k-NN graphs over ``n_points`` slots along each context's line attractor (Fig. 3d).

    Every slow point counts by default (``max_magnitude=None``): the line sampler keeps only
    slow points of the lines a network holds.  A filter on the leading ``|lambda|`` is a
    threshold on a poorly determined number -- a slow point's Jacobian depends on where it
    stopped, and a 1e-6 weight perturbation moved a smoke LSTM's ``|lambda_1|`` from
    1.051 to 1.045 and from 1.075 to 1.046 -- so a filter at 1.05 flipped its slots."""
    names = tuple(f"context {c} slot {s}" for c in range(n_conditions) for s in range(n_points))

    def one(nid, f):
        m, idx = cdi_graph(f, n_conditions, n_points, k, max_magnitude)
        return m, idx, 0

    return _build("cdi", "line slots", fps, one, names, labels)


def distance_to_ideal(topo: Topology) -> pd.Series:
    """Frobenius distance of each compared flip-flop network's aligned graph to the
    perfect cube's (:func:`~universality.topology.alignment.ideal_graph`); 0 for a network
    whose every saddle routes equally to the corners of its sub-cube."""
    if topo.principle not in ("position", "routing"):  # the flip-flop's cube-aligned graphs only
        raise ValueError(f"distance_to_ideal needs a flip-flop topology aligned by cube position or routing "
                         f"(got task={topo.task!r}, principle={topo.principle!r})")
    if not topo.graphs:
        return pd.Series(dtype=float, name="distance_to_ideal")
    k = round(np.log(next(iter(topo.graphs.values())).shape[0]) / np.log(3))
    ideal = ideal_graph(k)
    return pd.Series({nid: float(np.linalg.norm(g - ideal)) for nid, g in topo.graphs.items()},
                     name="distance_to_ideal")
