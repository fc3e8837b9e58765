"""The 3-bit flip-flop (Section 3.1, Fig. 1): discrete memory in 2^K stable fixed points.

* Representations: 64 random trials (a page's ``n_trials``).
* Fixed points: the finder's defaults (isolated points, polished to round-off, q <= 1e-10),
  and a second search keeping approximate fixed points too (q <= 1e-6, the paper's
  "approximate fixed points"), for Fig. 1e's counts.
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

__all__ = ["FlipFlopStudy", "STUDY", "QUOTES", "APPROXIMATE_Q", "fixed_point_structure", "stable_corners"]

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


#: Approximate fixed points (Section 2.3: "not truly fixed but ... very slow on the time
#: scale of the task"): q <= 1e-6 after the polish, a speed sqrt(2 q) <= 0.0014 per step,
#: under 0.15 state units over a 100-step trial (the cube's corners are ~1 apart).
APPROXIMATE_Q = 1e-6


def _shares(fps, n_bits):
    from ..topology import modal_count

    counts = {n: len(f) for n, f in fps.items()}
    modal = modal_count(counts)[0] if counts else None
    corners = float(np.mean([stable_corners(f, n_bits) for f in fps.values()])) if fps else np.nan
    share_modal = float(np.mean([c == modal for c in counts.values()])) if counts else np.nan
    return corners, modal, share_modal, len(counts)


def fixed_point_structure(exact, n_bits: int, approximate=None, quote: str = QUOTES["fig1.structure"]) -> claims.Claim:
    """Fig. 1e: 2^K stable points (one per output pattern) in (nearly) every network, and
    the modal count shared by over 90% of networks.

    ``exact``: network -> FixedPoints with q <= 1e-10 (polished to round-off);
    ``approximate``: the same networks' points with q <= :data:`APPROXIMATE_Q`, exact ones
    included.  The paper counts approximate fixed points as fixed points (Section 2.3), so
    the verdict is graded on them when given; the exact count is printed beside it.
    """
    ce, me, se, n = _shares(exact, n_bits)
    value = (f"exact (q <= 1e-10): {ce:.0%} of {n} networks have {2 ** n_bits} stable points on the "
             f"{2 ** n_bits} corners, modal fixed-point count {me} (a full cube has {3 ** n_bits}) in {se:.0%}")
    graded = min(ce, se)
    if approximate is not None:
        ca, ma, sa, _ = _shares(approximate, n_bits)
        value += (f"; approximate (q <= {APPROXIMATE_Q:g}): {ca:.0%} on the corners, modal count {ma} in {sa:.0%}")
        graded = min(ca, sa)
    return claims.Claim("fig1.structure", "flipflop", quote, "stable corners and modal count", value,
                        f"both shares >= {claims.MOST:.0%} (partly: >= {claims.SOME:.0%})"
                        + (", counted with approximate fixed points, as the paper does" if approximate is not None
                           else ""), claims.grade(graded))


def _structure(ev, spec):
    return fixed_point_structure(ev.fixed_points, ev.population.task.n_bits, ev.variants.get("approximate"),
                                 spec.quote)


def _geometry(ev, spec):
    return [claims.clusters(spec.key, ev.task, ev.clustering, claims.GEOMETRY, lab, spec.quote, claims.GEOMETRY_95)
            for lab in ("arch", "activation")]


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
    fixed_point_variants = {"approximate": {"q_max": APPROXIMATE_Q}}
    dsa_preset = {"n_delays": 10}
    options = {"principles": None, "topology_config": None}
    paper_principles = ("readout",)
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
        config = opts["topology_config"] or topology.TopologyConfig()
        mats = analysis.transitions_of(population, fps, config, workspace)
        return {p: topology.flipflop_topology(fps, mats, p, labels=population.table,
                                              n_perturbations=config.n_perturbations) for p in principles}

    def topology_distances(self, topologies):
        out = super().topology_distances(topologies)
        if "position" in topologies:
            out["topology (modal only)"] = topologies["position"].modal_only()
        return out


STUDY = register(FlipFlopStudy())
