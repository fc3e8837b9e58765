"""Context-dependent integration (Section 3.3, Figs. 3 and 4): a line attractor per context.

* Representations: 64 random trials (a page's ``n_trials``).
* Fixed points: the line attractor is a continuum of *approximate* fixed points (slow, not
  fixed; Section 2.3).  They are sampled along the line each context holds
  (:func:`universality.fixed_points.lines.line_slow_points`): initial states from the
  network's own hold trajectories (driven to 41 levels, then the streams off), a speed
  criterion relative to the line's length over the task's T steps, points that stop as
  soon as they are slow (no sliding onto a few exact points), and 21 readout slots over
  the held range keeping one point each; counts change only when a point crosses a slot.
* Topology: per context, nearest-neighbour graphs over ``n_points`` slots along the line.
* Linearisation: sorted eigenvalue spectra, the response to a unit input with the k
  slowest modes, the modes needed, eigenvalues near 1, the lines' shapes.
* Claims: Fig. 3c's geometry, Fig. 3b's line attractors, Fig. 3e-f's modes, Fig. 3d's
  topology; and Fig. 4 (trained against untrained Vanilla networks).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import claims, comparisons, linear, topology
from .base import ClaimSpec, Study, register

__all__ = ["CDIStudy", "STUDY", "QUOTES", "line_attractors", "integration_modes", "trained_untrained_relu",
           "untrained_closer_example", "Figure4", "figure4", "summary"]

QUOTES = {
    "fig3.geometry": "The MDS summary plot of the SVCCA distances of the representations is shown in Fig. 3c, again "
                     "showing systematic clustering as a function of architecture (left) and activation (right).",
    "fig3.lines": "The fixed points (black dots) show approximate line attractors for all RNN architectures and "
                  "nonlinearities.",
    "fig3.topology": "The MDS summary plot did not cluster strongly by architecture, but did cluster based on "
                     "activation.",
    "fig3.modes": "These plots indicate that the vanilla RNN (blue) uses a single mode to perform the integration, "
                  "while the gated architectures distribute this across a larger number of linear modes. [...] "
                  "the gated architectures had many more eigenvalues near 1 (Fig. 3e)",
    "fig4.groups": "MDS plot of SVCCA-based distances for many trained and untrained networks, showing that "
                   "trained and untrained relu networks are more similar to each other on average than to tanh "
                   "networks.",
    "fig4.example": "We found that the average canonical correlation between trained and untrained networks can be "
                    "larger than between trained RNNs with different nonlinearities.",
}


def line_attractors(lines: pd.DataFrame, min_coverage: float = 0.9, max_gap: float = 0.2,
                    quote: str = QUOTES["fig3.lines"]) -> claims.Claim:
    """Fig. 3b: an approximate line attractor per context in every architecture.

    ``lines``: one row per (network, context) of :func:`universality.linear.line_shapes`:
    ``coverage`` (the share of the range of values the network holds -- driven to a level,
    then the streams switched off -- within reach of a slow point on the line) and
    ``max_gap`` (the widest stretch of that range without one), and ``holds`` (whether the
    network keeps the values it was driven to).  A context has a line attractor when its
    slow points cover at least ``min_coverage`` of the held range with no gap wider than
    ``max_gap`` of it.
    """
    n = len(lines)
    if not n or "coverage" not in lines or lines.coverage.isna().all():
        return claims.Claim("fig3.lines", "cdi", quote, "slow points covering the held line", "not computable", "",
                            "not tested")
    is_line = (lines.coverage >= min_coverage) & (lines.max_gap <= max_gap)
    share = float(is_line.mean())
    by = is_line.groupby([lines.arch, lines.activation]).mean()
    holds = lines.holds.astype(float) if "holds" in lines else pd.Series(np.nan, index=lines.index)
    value = (f"{share:.0%} of {n} (network, context) cases; by architecture: "
             + ", ".join(f"{'-'.join(np.atleast_1d(a))} {v:.0%}" for a, v in by.items())
             + f"; beside it, cases whose network holds the values it was driven to for another trial: "
               f"{np.nanmean(holds):.0%}")
    return claims.Claim("fig3.lines", "cdi", quote,
                        f"cases whose slow points cover >= {min_coverage:.0%} of the range the network holds, with "
                        f"no gap over {max_gap:.0%}", value, f">= {claims.MOST:.0%} of cases (partly: >= "
                                                            f"{claims.SOME:.0%})", claims.grade(share))


def _held(table: pd.DataFrame, lines: pd.DataFrame | None) -> pd.DataFrame:
    """The rows of ``table`` whose (network, context) holds its integral in ``lines``."""
    if lines is None or "holds" not in lines or table.empty:
        return table
    held = lines.loc[lines.holds.fillna(False).astype(bool), ["network_id", "condition"]]
    return table.merge(held, on=["network_id", "condition"], how="inner")


def integration_modes(modes: pd.DataFrame, near_one: pd.DataFrame, quote: str = QUOTES["fig3.modes"],
                      lines: pd.DataFrame | None = None) -> claims.Claim:
    """Fig. 3e-f: Vanilla integrates with one mode, the gated architectures with more,
    and they have more eigenvalues near 1.

    ``modes``: one row per (network, context) with arch and ``modes_90`` (modes needed to
    reach 90% of the full linearised response); ``near_one``: one row per (network,
    context) with arch and ``n_near_one`` (eigenvalues within the stated distance of 1).
    ``lines`` (:func:`universality.linear.line_shapes`): when given, only the (network,
    context) cases that hold their integral enter.  The paper's figures are of line
    attractors; a line a network does not hold has slow points whose Jacobians are those of
    wherever the search stopped (on an untrained smoke LSTM, a 1e-6 weight perturbation
    moved their |lambda_1| by up to 0.03, across the band of "near 1").
    """
    n_cases = len(modes)
    modes, near_one = _held(modes, lines), _held(near_one, lines)
    if modes.empty or "vanilla" not in set(modes.arch):
        if lines is not None and n_cases:
            return claims.Claim("fig3.modes", "cdi", quote, "modes to 90% of the response",
                                f"not computable: {len(modes)} of {n_cases} (network, context) cases hold their "
                                "integral" + ("" if modes.empty else ", none of them Vanilla"), "", "not tested")
        return claims.Claim("fig3.modes", "cdi", quote, "modes to 90% of the response", "not computable", "",
                            "not tested")
    m = modes.groupby("arch").modes_90.median()
    e = near_one.groupby("arch").n_near_one.median()
    gated = [a for a in m.index if a != "vanilla"]
    one_mode = m["vanilla"] <= 1
    more_modes = all(m[a] > m["vanilla"] for a in gated)
    more_eigs = all(e.get(a, np.nan) > e.get("vanilla", np.nan) for a in gated)
    score = sum([bool(one_mode), bool(more_modes), bool(more_eigs)])
    verdict = "reproduced" if score == 3 else "partly reproduced" if score >= 1 else "not reproduced"
    value = ("median modes to 90% of the full response: " + ", ".join(f"{a} {v:g}" for a, v in m.items())
             + "; median (over network x context) of the mean number of eigenvalues within 0.05 of |lambda| = 1 "
               "per slow point: " + ", ".join(f"{a} {v:.2f}" for a, v in e.items())
             + (f" (the {len(modes)} of {n_cases} (network, context) cases that hold their integral)"
                if lines is not None else ""))
    return claims.Claim("fig3.modes", "cdi", quote, "modes used and eigenvalues near 1, by architecture",
                        value, "Vanilla's median is 1 mode, every gated architecture needs more, and has more "
                               "eigenvalues near 1 (partly: one or two of the three)", verdict)


def trained_untrained_relu(group_means: pd.DataFrame, intervals=None, quote: str = QUOTES["fig4.groups"]) -> claims.Claim:
    """Fig. 4b: trained and untrained relu networks are closer to each other than to tanh
    networks: one comparison, d(relu trained, relu untrained) against d(relu trained, tanh
    trained), graded as one.

    ``group_means``: mean SVCCA distance between groups, indexed and columned by names
    like 'relu trained' (:func:`universality.comparisons.group_mean_distances` with
    ``by=('activation', 'state')``).  ``intervals`` may give the bootstrap interval of the
    difference under the key ``'decisive'``: then the verdict is reproduced when the
    interval is below 0, not reproduced above 0, inconclusive across; without it, the sign
    of the difference decides.  d(relu untrained, tanh trained) is printed beside it.
    """
    g = group_means
    need = ["relu trained", "relu untrained", "tanh trained"]
    if any(n not in g.index for n in need):
        return claims.Claim("fig4.groups", "cdi", quote, "group mean SVCCA distances", "not computable", "",
                            "not tested")
    rr = g.loc["relu trained", "relu untrained"]
    rt = g.loc["relu trained", "tanh trained"]
    ut = g.loc["relu untrained", "tanh trained"]
    ci = (intervals or {}).get("decisive")
    if ci is not None and np.all(np.isfinite(ci)):
        lo, hi = ci
        verdict = "reproduced" if hi < 0 else "not reproduced" if lo > 0 else "inconclusive"
        extra = f"; d(relu tr, relu untr) - d(relu tr, tanh tr) = {rr - rt:+.2f} [{lo:+.2f}, {hi:+.2f}]"
    else:
        verdict = "reproduced" if rr < rt else "not reproduced"
        extra = f"; d(relu tr, relu untr) - d(relu tr, tanh tr) = {rr - rt:+.2f}"
    value = (f"d(relu trained, relu untrained) = {rr:.2f}; d(relu trained, tanh trained) = {rt:.2f}{extra}; "
             f"(beside it: d(relu untrained, tanh trained) = {ut:.2f})")
    return claims.Claim("fig4.groups", "cdi", quote, "mean SVCCA distance between groups", value,
                        "d(relu trained, relu untrained) below d(relu trained, tanh trained): the difference's 95% "
                        "bootstrap interval below 0 (above 0: not reproduced; across 0: inconclusive)", verdict)


def untrained_closer_example(share: float, n_quadruples: int, example: str = "",
                             quote: str = QUOTES["fig4.example"]) -> claims.Claim:
    """Fig. 4a: an untrained network can be closer (SVCCA) to a trained tanh network than
    a trained relu network is.  ``share``: fraction of (trained tanh, trained relu,
    untrained tanh, untrained relu) quadruples where both untrained networks are closer to
    the trained tanh network than the trained relu one is."""
    verdict = "not tested" if n_quadruples == 0 else "reproduced" if share > 0 else "not reproduced"
    return claims.Claim("fig4.example", "cdi", quote, "quadruples where both untrained networks correlate "
                        "better with the trained tanh network than the trained relu network does",
                        f"{share:.0%} of {n_quadruples}" + (f"; {example}" if example else ""),
                        "the paper's claim is that this can happen: at least one quadruple", verdict)


def summary(linear_tables) -> pd.DataFrame:
    """Per architecture, medians over (network, context): leading |lambda|, eigenvalues
    near 1, modes to 90% of the full response, the full response (Fig. 3e-f in numbers).
    ``linear_tables``: ``Evidence.linear`` of a CDI population."""
    spectra = linear_tables["spectra"]
    lead = spectra[spectra["rank"] == 1].groupby("arch").magnitude.median().rename("leading |lambda|")
    near = linear_tables["near_one"].groupby("arch").n_near_one.median().rename("eigenvalues near 1")
    modes = linear_tables["modes"]
    parts = [lead, near]
    if len(modes):
        parts += [modes.groupby("arch").modes_90.median().rename("modes to 90%"),
                  modes.groupby("arch").full_response.median().rename("full response")]
    return pd.concat(parts, axis=1)


# ------------------------------------------------------------------------------- Figure 4


@dataclass
class Figure4:
    """Fig. 4's measurements: trained and untrained Vanilla networks on the CDI inputs."""

    population: object
    distances: object
    groups: pd.DataFrame
    share: float
    n_quadruples: int
    example: dict | None
    intervals: dict
    claims: list
    better_trained: claims.Claim | None = None


def figure4(trained_cdi, n_untrained: int = 8, untrained_seed: int = 1000, n_trials: int = 64,
            variance_kept: float = 0.95, n_boot: int = 1000, seed: int = 0) -> Figure4:
    """Fig. 4 from the trained Vanilla CDI networks (every network of ``trained_cdi``'s
    Vanilla networks that passes :meth:`Population.trained`) and ``n_untrained`` untrained
    ones per activation (seeds from ``untrained_seed``)."""
    from .. import similarity
    from ..population import untrained_population
    from ..representations import labels_of, representations

    trained = trained_cdi.trained().select(arch="vanilla")
    if len(trained) == 0:
        raise ValueError("no trained Vanilla CDI network: Figure 4 needs some")
    task = trained.task
    units = sorted(set(int(u) for u in trained.table.units))[0]
    untrained = untrained_population(task, ["vanilla"], ["tanh", "relu"], units,
                                     range(untrained_seed, untrained_seed + n_untrained))
    pop = trained.merge(untrained)
    pop.table["state"] = np.where(pop.table.index.str.startswith("untrained"), "untrained", "trained")
    trials = STUDY.representation_trials(task, n_trials, seed)
    labels = labels_of(pop).assign(state=pop.table.state.to_numpy())
    dist = similarity.pairwise_distances(representations(pop, trials), metric="svcca", labels=labels,
                                         variance_kept=variance_kept, progress=False)
    by = ["activation", "state"]
    share, n_quad, example = comparisons.untrained_closer_quadruples(dist, by)
    groups = comparisons.group_mean_distances(dist, by)
    intervals = {}
    if {"relu trained", "relu untrained", "tanh trained"} <= set(groups.index):
        _, lo, hi = comparisons.group_difference_interval(dist, by, ("relu trained", "relu untrained"),
                                                         ("relu trained", "tanh trained"), n_boot=n_boot, seed=seed)
        intervals["decisive"] = (lo, hi)
    ex = "" if not example else "e.g. " + ", ".join(f"{k}: {v}" for k, v in example.items())
    found = [untrained_closer_example(share, n_quad, ex), trained_untrained_relu(groups, intervals)]
    # the same comparison with only the better-trained half of the trained tanh networks
    tab = pop.table
    tanh_tr = tab[(tab.state == "trained") & (tab.activation == "tanh")]
    better = None
    if len(tanh_tr) >= 2:
        best = tanh_tr.valid_loss.nsmallest(len(tanh_tr) // 2).index
        keep = [i for i in tab.index if i not in tanh_tr.index or i in best]
        better = trained_untrained_relu(comparisons.group_mean_distances(dist.sel(network=keep, network_2=keep), by))
    return Figure4(pop, dist, groups, share, n_quad, example, intervals, found, better)


# ---------------------------------------------------------------------------- the study


def _geometry(ev, spec):
    return [claims.clusters(spec.key, ev.task, ev.clustering, claims.GEOMETRY, lab, spec.quote, claims.GEOMETRY_95)
            for lab in ("arch", "activation")]


def _topology(ev, spec):
    return [claims.does_not_cluster(spec.key, ev.task, ev.clustering, "topology", "arch", spec.quote),
            claims.clusters(spec.key, ev.task, ev.clustering, "topology", "activation", spec.quote)]


class CDIStudy(Study):
    task = "cdi"
    fixed_point_preset = {"max_iters": 200}  # and line=LineSampler(): see fixed_point_config
    dsa_preset = {"n_delays": 5, "rank": 8}
    options = {"n_points": 10, "k": 1}
    claims = (
        ClaimSpec("fig3.geometry", QUOTES["fig3.geometry"], _geometry),
        ClaimSpec("fig3.lines", QUOTES["fig3.lines"], lambda ev, spec: line_attractors(ev.linear["lines"],
                                                                                       quote=spec.quote)),
        ClaimSpec("fig3.modes", QUOTES["fig3.modes"],
                  lambda ev, spec: integration_modes(ev.linear["modes"], ev.linear["near_one"], spec.quote,
                                                     ev.linear.get("lines"))),
        ClaimSpec("fig3.topology", QUOTES["fig3.topology"], _topology),
        ClaimSpec("discussion.universality (cdi)", claims.QUOTES["discussion.universality"],
                  lambda ev, spec: claims.topology_more_similar_than_geometry(spec.key, ev.task, ev.separations,
                                                                              spec.quote)),
    )

    def fixed_point_config(self, **overrides):
        """Slow points sampling each context's line (:class:`~universality.fixed_points.LineSearchConfig`,
        :func:`universality.fixed_points.lines.line_slow_points`), ``overrides`` applied."""
        from ..fixed_points import LineSampler, LineSearchConfig

        return LineSearchConfig(**{"line": LineSampler(), **dict(self.fixed_point_preset), **overrides})

    def topologies(self, population, fps, workspace, **options):
        opts = self.check_options(options)
        t = topology.cdi_topology(fps, population.task.n_contexts, opts["n_points"], opts["k"], labels=population.table)
        return {t.principle: t}

    def linear(self, population, fps):
        task = population.task
        c = task.n_contexts
        out = {"spectra": linear.eigenvalue_spectra(fps, population.table),
               "responses": linear.cdi_integration(population, fps)}
        out["modes"] = linear.modes_needed(out["responses"]) if len(out["responses"]) else \
            pd.DataFrame(columns=["network_id", "arch", "condition", "modes_90"])
        out["near_one"] = linear.eigenvalues_near_one(fps, c, population.table)
        out["lines"] = linear.line_shapes(fps, c, population.table, target_range=float(np.ptp(task.probe().targets_bto)))
        return out

    def extra_claims(self, population, n_trials, variance_kept, seed, workspace):
        try:
            return figure4(population, n_trials=n_trials, variance_kept=variance_kept, seed=seed).claims
        except ValueError:
            return []


STUDY = register(CDIStudy())
