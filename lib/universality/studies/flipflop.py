"""The 3-bit flip-flop (Section 3.1, Fig. 1): discrete memory in 2^K stable fixed points.

* Representations: 64 random trials (a page's ``n_trials``).
* Fixed points: the finder's defaults (isolated points, polished to round-off, q <= 1e-10).
* Topology: transition graphs from perturbations of every fixed point, lined up across
  networks by a principle (:data:`universality.topology.PRINCIPLES`: 'position', the
  book's; 'routing'; 'readout', the paper's, which compares the modal-count networks
  only); also the position graphs of the modal-count networks only.
* Claims: Fig. 1e's fixed-point structure, Fig. 1d's geometry clustering, Fig. 1f's
  topology (more similar across classes than geometry; and not clustering on its own).
"""

from __future__ import annotations

import numpy as np

from .. import claims, topology
from ..errors import ParameterError
from .base import ClaimSpec, Study, register

__all__ = ["FlipFlopStudy", "STUDY", "QUOTES", "fixed_point_structure", "stable_corners"]

#: The paper's sentences, verbatim (NeurIPS 2019 text; '2^3' is a superscript there).
QUOTES = {
    "fig1.structure": "The network solves the task by encoding all 2^3 possible outputs as 8 stable fixed points. "
                      "[...] Networks with different numbers of fixed points than the modal number were discarded "
                      "(less than 10% of the population).",
    "fig1.geometry": "While these example trajectories look qualitatively similar across architectures, SVCCA "
                     "revealed systematic differences. [Fig. 1d:] showing clustering based on RNN architecture "
                     "(left) and activation function (right).",
    "fig1.topology_vs_geometry": "the topological representation of a network using fixed point structure is more "
                                 "similar across architectures (left) and activation functions (right) than the "
                                 "geometry of the network is",
    "fig1.topology_arch": "Using this topological measure of RNN similarity, we find that all architectures "
                          "converge to very similar solutions as shown by an MDS embedding of the fixed point "
                          "graph (Fig. 1f).",
}


def stable_corners(f, n_bits: int) -> bool:
    """True when the stable points of ``f`` are exactly 2^K and read out the 2^K distinct
    sign patterns (one per corner of the cube)."""
    stable = f.outputs[f.is_stable]
    if len(stable) != 2 ** n_bits:
        return False
    return len({tuple(np.where(y >= 0, 1, -1)) for y in stable}) == 2 ** n_bits


def fixed_point_structure(n_stable_corners, counts, n_bits: int, modal: int | None,
                          quote: str = QUOTES["fig1.structure"]) -> claims.Claim:
    """Fig. 1e: 2^K stable points (one per output pattern) in (nearly) every network, and
    the modal count shared by over 90% of networks.

    ``n_stable_corners``: network -> True when its stable points are exactly 2^K and read out
    the 2^K distinct sign patterns.
    """
    n = len(counts)
    share_corners = float(np.mean(list(n_stable_corners.values()))) if n else np.nan
    share_modal = float(np.mean([c == modal for c in counts.values()])) if n else np.nan
    verdict = claims.grade(min(share_corners, share_modal))
    value = (f"{share_corners:.0%} of {n} networks have {2 ** n_bits} stable points on the {2 ** n_bits} corners; "
             f"modal fixed-point count {modal} (a full cube has {3 ** n_bits}) in {share_modal:.0%}")
    return claims.Claim("fig1.structure", "flipflop", quote, "stable corners and modal count", value,
                        f"both shares >= {claims.MOST:.0%} (partly: >= {claims.SOME:.0%})", verdict)


def _structure(ev, spec):
    k = ev.population.task.n_bits
    topo = ev.topology
    return fixed_point_structure({n: stable_corners(f, k) for n, f in ev.fixed_points.items()},
                                 topo.counts.to_dict(), k, topo.modal_count, spec.quote)


def _geometry(ev, spec):
    return [claims.clusters(spec.key, ev.task, ev.clustering, "svcca", lab, spec.quote) for lab in ("arch", "activation")]


def _versus_geometry(ev, spec):
    return claims.topology_more_similar_than_geometry(spec.key, ev.task, ev.separations, spec.quote)


def _topology(ev, spec):
    out = []
    for name, p in zip(ev.topology_names, ev.topologies):
        note = f"fixed points lined up by {p}" + ("; compares the modal-count networks only" if p == "readout" else "")
        out.append(claims.does_not_cluster(f"fig1.topology ({p})", ev.task, ev.clustering, name, "arch",
                                           QUOTES["fig1.topology_arch"], note))
        out.append(claims.does_not_cluster(f"fig1.topology ({p})", ev.task, ev.clustering, name, "activation",
                                           QUOTES["fig1.topology_vs_geometry"],
                                           note + "; the paper states this relative to geometry "
                                           "(fig1.topology_vs_geometry), here tested on its own"))
    return out


class FlipFlopStudy(Study):
    task = "flipflop"
    fixed_point_preset = {}
    dsa_preset = {"n_delays": 10}
    options = {"principles": None, "topology_config": None}
    claims = (
        ClaimSpec("fig1.structure", QUOTES["fig1.structure"], _structure),
        ClaimSpec("fig1.geometry", QUOTES["fig1.geometry"], _geometry),
        ClaimSpec("fig1.topology_vs_geometry", QUOTES["fig1.topology_vs_geometry"], _versus_geometry),
        ClaimSpec("fig1.topology", QUOTES["fig1.topology_arch"], _topology),
    )

    def topologies(self, population, fps, workspace, **options):
        from .. import analysis

        opts = self.check_options(options)
        principles = list(opts["principles"] or topology.PRINCIPLES)
        for p in principles:
            if p not in topology.PRINCIPLES:
                raise ParameterError(f"principle={p!r} is not one of {topology.PRINCIPLES!r}")
        mats = analysis.transitions_of(population, fps, opts["topology_config"], workspace)
        return {p: topology.flipflop_topology(fps, mats, p, labels=population.table) for p in principles}

    def topology_distances(self, topologies):
        out = super().topology_distances(topologies)
        if "position" in topologies:
            out["topology (modal only)"] = topologies["position"].modal_only()
        return out


STUDY = register(FlipFlopStudy())
