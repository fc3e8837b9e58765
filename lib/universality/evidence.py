"""Everything the book measures about one task's population, computed one way, and the
paper's claims judged on it.

A figure page and the claims page both call :func:`gather`: the same trials, the same
fixed points, the same topology, the same statistics, in the way the task's study
declares them (:mod:`universality.studies`).  :func:`judge` turns the evidence into
:class:`universality.claims.Claim` verdicts.  So a verdict on a figure page is, by
construction, the one on the claims page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import pandas as pd

from . import analysis, artifacts, claims, sizes, statistics
from .artifacts import Workspace
from .studies import study_for

__all__ = ["Evidence", "gather", "judge", "scorecard", "save"]


@dataclass
class Evidence:
    """The measurements of one task's population.

    Attributes
    ----------
    task : task name
    study : the task's :class:`~universality.studies.Study`
    population : the analysed networks (trained and meeting the quality criterion)
    table : every network of the population (diverged and failed ones included)
    geometry : metric -> labelled distance matrix ('svcca', optionally 'cka', 'dsa', ...)
    fixed_points : network_id -> FixedPoints
    topologies : name -> Topology (flip-flop: 'position', 'routing', 'readout'; sine/CDI: one)
    clustering : statistics.clustering_table over every distance in :attr:`distances`
    separations : label -> Separation of the default topology against SVCCA (panel subset)
    linear : name -> table (the study's linearisation tables)
    variants : name -> fixed points of the study's other searches (``fixed_point_variants``)
    """

    task: str
    study: object
    population: object
    table: pd.DataFrame
    geometry: dict
    fixed_points: dict
    topologies: dict
    clustering: pd.DataFrame
    separations: dict
    linear: dict = field(default_factory=dict)
    variants: dict = field(default_factory=dict)
    trials: object = None

    @property
    def topology(self):
        """The book's topology (the study's first)."""
        return next(iter(self.topologies.values()))

    @property
    def topology_names(self) -> list:
        """Names of the topologies' distances in tables, in the order of :attr:`topologies`."""
        return list(self.study.topology_distances(self.topologies))[: len(self.topologies)]

    @property
    def distances(self) -> dict:
        """Every distance matrix the statistics were computed on, by name."""
        out = dict(self.geometry)
        out.update(self.study.topology_distances(self.topologies))
        return out

    @property
    def verdict_distances(self) -> dict:
        """The distance matrices verdicts are judged on: all of :attr:`distances` except the
        95%-per-network SVCCA, which is printed beside the verdicts, not graded."""
        return {k: d for k, d in self.distances.items() if k != claims.GEOMETRY_95}

    def hubs(self, which: str = "verdicts") -> dict:
        """``name -> universality.hubs.Hubs`` of every distance matrix verdicts use
        (``which='all'``: every matrix, the 95% SVCCA too), on all analysed networks and on
        the paper's panel subsets; a matrix or subset of fewer than ``hubs.MIN_NETWORKS``
        networks has no diagnostic (a page rerun with few networks)."""
        from .hubs import MIN_NETWORKS, find_hubs

        mats = self.verdict_distances if which == "verdicts" else self.distances
        out = {}
        for name, d in mats.items():
            if d.sizes["network"] >= MIN_NETWORKS:
                out[name] = find_hubs(d, name)
            for label, sub in statistics.PANEL_SUBSETS.items():
                try:
                    dd = statistics.subset(d, **sub)
                except ValueError:
                    continue
                if dd.sizes["network"] >= MIN_NETWORKS:
                    tag = ", ".join(f"{k}={v}" for k, v in sub.items())
                    out[f"{name} ({tag})"] = find_hubs(dd, f"{name} ({tag})")
        return out

    def kept_dimensions(self):
        """Each network's kept dimensions: its components covering 95% of its variance
        (what SVCCA-95% keeps) and what the matched SVCCA keeps
        (:func:`universality.similarity.kept_dimensions`)."""
        from . import similarity
        from .representations import labels_of, representations

        return similarity.kept_dimensions(representations(self.population, self.trials), similarity.MatchedSVCCA(),
                                          labels_of(self.population))

    def geometry_report(self) -> str:
        """What a reader needs beside the geometry verdicts: kept dimensions per arch x
        activation, and the hub diagnostic of the 95% SVCCA and of every matrix a verdict
        uses (:mod:`universality.hubs`)."""
        from . import similarity

        kept = similarity.kept_summary(self.kept_dimensions())
        lines = ["kept dimensions (n_variance: components covering 95% of a network's variance, what SVCCA-95% "
                 "keeps; n_kept: what the matched SVCCA keeps for every network):", kept.to_string(), "",
                 "hub diagnostic (a hub: 90th-percentile distance to the others below 0.5 x the population's "
                 "median of it, or the nearest neighbour of over a third of the others):"]
        lines += [h.summary for h in self.hubs("all").values()]
        return "\n".join(lines)

    def subset(self, network_ids, n_permutations: int = 1000, seed: int = 0, n_boot: int = 1000) -> "Evidence":
        """The same measurements on part of the analysed networks (for resampling a verdict):
        distance matrices, fixed points, topologies and linear tables restricted to
        ``network_ids``, the statistics computed again on them."""
        ids = [i for i in network_ids if i in self.population.table.index]

        def rows(t):
            return t[t.network_id.isin(ids)] if "network_id" in t.columns else t

        def keep(d):
            have = [i for i in ids if i in set(d.coords["network"].values)]
            return d.sel(network=have, network_2=have)

        ev = Evidence(self.task, self.study, self.population.subset(ids),
                      self.table.loc[[i for i in self.table.index if i in set(ids) or i not in
                                      set(self.population.table.index)]],
                      {k: keep(d) for k, d in self.geometry.items()}, {i: self.fixed_points[i] for i in ids},
                      {k: t.subset(ids) for k, t in self.topologies.items()}, pd.DataFrame(), {},
                      {k: rows(t) for k, t in self.linear.items()},
                      {k: {i: v[i] for i in ids if i in v} for k, v in self.variants.items()}, self.trials)
        ev.clustering = statistics.clustering_table(ev.distances, n_permutations=n_permutations, seed=seed,
                                                    n_boot=n_boot)
        ev.separations = _separations(ev.geometry, ev.topology.distances) if claims.GEOMETRY in ev.geometry else {}
        return ev


def _separations(geometry, topo_d) -> dict:
    out = {}
    svcca = geometry.get(claims.GEOMETRY)
    for label, sub in statistics.PANEL_SUBSETS.items():
        try:
            ids = list(topo_d.coords["network"].values)
            a = statistics.subset(topo_d, **sub)
            b = statistics.subset(svcca.sel(network=ids, network_2=ids), **sub)
            out[label] = statistics.compare_separation(a, b, label, n_boot=1000, seed=0)
        except (ValueError, KeyError):
            out[label] = None
    return out


def gather(population, metrics: Sequence = (claims.GEOMETRY_95, claims.GEOMETRY), n_trials: int = 64,
           variance_kept: float = 0.95,
           seed: int = 0, n_permutations: int = 1000, dynamics: bool = False, workspace=None, progress: bool = False,
           **options) -> Evidence:
    """Measure one task's population as its study declares.

    Parameters
    ----------
    population : a loaded Population (every network; :meth:`trained` is taken here)
    metrics : geometry metrics ('svcca', 'svcca_matched', 'cka', 'procrustes' or metric
        objects); the verdicts use :data:`universality.claims.GEOMETRY` ('svcca_matched')
    n_trials, variance_kept, seed : the trials of the representations (the study takes its
        share of ``n_trials``, drawn from ``seed``) and SVCCA's kept variance; ``seed``
        also seeds the permutation tests
    dynamics : also compare the networks' dynamics by DSA (distance 'dsa', the study's
        preset; a dict changes fields of it, e.g. ``{'operator': 'centred'}``)
    workspace : where stored results are read and written (a Workspace or a store root)
    options : the study's topology options (flip-flop: ``principles``, ``topology_config``;
        sine: ``k``; CDI: ``n_points``, ``k``)
    """
    ws = Workspace.of(workspace, progress=progress) if not isinstance(workspace, Workspace) else workspace
    table = population.table
    pop = population.trained()
    task = pop.task
    study = study_for(task)
    study.check_options(options)
    trials = study.representation_trials(task, n_trials, seed)
    geometry = analysis.geometry(pop, trials, metrics=tuple(metrics), variance_kept=variance_kept, workspace=ws)
    if dynamics:
        changes = dict(dynamics) if isinstance(dynamics, dict) else {}
        geometry["dsa"] = analysis.dynamics(pop, trials, study.dsa_config(**changes), workspace=ws)
    fps = analysis.fixed_points(pop, study.fixed_point_config(), workspace=ws)
    topos = study.topologies(pop, fps, ws, **options)
    ev = Evidence(task.name, study, pop, table, geometry, fps, topos, pd.DataFrame(), {}, trials=trials)
    ev.clustering = statistics.clustering_table(ev.distances, n_permutations=n_permutations, seed=seed)
    ev.separations = _separations(geometry, ev.topology.distances) if claims.GEOMETRY in geometry else {}
    ev.linear = study.linear(pop, fps)
    ev.variants = {name: analysis.fixed_points(pop, study.fixed_point_config(**dict(changes)), workspace=ws)
                   for name, changes in study.fixed_point_variants.items()}
    return ev


def judge(ev: Evidence) -> list[claims.Claim]:
    """The paper's claims about this task (its study's), checked on the evidence; then the
    findings beyond the paper: the abstract's thesis under a shape metric and under DSA."""
    t, tab = ev.task, ev.clustering
    out = ev.study.judge(ev)
    if "procrustes" in ev.geometry:
        out.append(claims.clusters(f"beyond.geometry ({t}, procrustes)", t, tab, "procrustes", "arch",
                                   claims.QUOTES["beyond.geometry"]))
    if claims.GEOMETRY in ev.geometry and ev.population.table.units.nunique() >= 2:
        out.append(claims.architecture_beyond_size(f"beyond.size ({t})", t, sizes.compare(
            ev.geometry[claims.GEOMETRY]), claims.GEOMETRY))
    if "dsa" in ev.geometry:
        out.append(claims.does_not_cluster(f"beyond.dynamics ({t}, dsa)", t, tab, "dsa", "arch",
                                           claims.QUOTES["beyond.dynamics"],
                                           "DSA compares the linearised dynamics of the networks' trajectories "
                                           "directly (Ostrow et al. 2023); not a measure the paper used"))
    return out


# ------------------------------------------------------------------------------ scorecard


def scorecard(populations: dict, n_trials: int = 64, variance_kept: float = 0.95, seed: int = 0,
              n_permutations: int = 1000, workspace=None, progress: bool = False,
              stability: bool = True) -> pd.DataFrame:
    """Every claim the book checks, on the given populations (task -> loaded Population),
    as :func:`universality.claims.scorecard`: each study's claims and extra claims (the
    CDI study's Fig. 4), CKA against SVCCA, Appendix C's training claim, and the
    beyond-the-paper tests of the abstract's thesis under the Procrustes shape metric and
    under DSA.  With ``stability``, each claim judged on the evidence also carries its
    verdicts on the two seed halves, whether they agree, and its agreement over
    subsamples (:func:`universality.stability.resampled_verdicts`).

    Stored through :mod:`universality.artifacts` (kind 'scorecard', keyed by the networks,
    the settings and the whole library's source: a verdict's wording or criterion is
    code), so the introduction and the claims page compute it once.
    """
    import json

    from .similarity import Procrustes
    from .store import atomic_write_bytes

    ws = Workspace.of(workspace, progress=progress) if not isinstance(workspace, Workspace) else workspace
    settings = artifacts.settings_of("with procrustes and dsa", sorted(populations), n_trials, variance_kept, seed,
                                     n_permutations, {"stability": bool(stability)},
                                     [sorted(p.table.get("left_out", pd.Series(dtype=bool)).items())
                                      for p in populations.values()])

    def compute():
        from .stability import resampled_verdicts

        found, tables, evs = [], {}, {}
        for task, pop in populations.items():
            ev = gather(pop, metrics=(claims.GEOMETRY_95, claims.GEOMETRY, "cka", Procrustes(alpha=1.0)),
                        n_trials=n_trials,
                        variance_kept=variance_kept, seed=seed, n_permutations=n_permutations, dynamics=True,
                        workspace=ws)
            evs[task] = ev
            found += judge(ev)
            tables[task] = ev.clustering
            found += ev.study.extra_claims(pop, n_trials, variance_kept, seed, ws)
        found.append(claims.cka_agrees_with_svcca(tables))
        found.append(claims.all_networks_train({t: p.table for t, p in populations.items()}))
        card = claims.scorecard(found)
        # halves by seed need two seeds per configuration (the smoke profile has one)
        if stability and all(ev.population.table.seed.nunique() >= 2 for ev in evs.values()):
            st = resampled_verdicts(evs, judge, card, seed=seed)
            card = card.join(st.drop(columns=["verdict"]), how="left")
        return card

    card, _ = artifacts.get("scorecard", "all", [p.trained() for p in populations.values()], settings, compute,
                            lambda path: pd.DataFrame(json.loads(path.read_text())).set_index("key"),
                            lambda path, c: atomic_write_bytes(path, c.reset_index().to_json(orient="records").encode()),
                            ws)
    return card


# ------------------------------------------------------------------------------ downloads


def save(ev: Evidence, directory) -> list:
    """Write a task's evidence as plain files a reader can load (no pickle):

    * ``networks.csv``: every network, its labels, losses, normalised error, left out or not;
    * ``distances_<name>.csv``: each distance matrix (network ids as row and column labels);
    * ``clustering.csv``: the nearest-neighbour tests; ``claims.csv``: the verdicts;
    * ``fixed_points.npz``: every network's fixed points
      (``universality.fixed_points.load_collection``, or ``numpy.load``);
    * ``<table>.csv``: the linearisation tables (sine: per frequency; CDI: spectra, ...);
    * ``<directory>.zip``: all of them in one archive.

    Returns the paths written.
    """
    from pathlib import Path

    from . import fixed_points as fp

    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    out = []

    def csv(name, frame, index=True):
        path = d / f"{name}.csv"
        frame.to_csv(path, index=index)
        out.append(path)

    csv("networks", ev.table)
    for name, dist in ev.distances.items():
        slug = name.replace(" ", "_").replace("(", "").replace(")", "").replace(",", "")
        csv(f"distances_{slug}", dist.to_pandas())
    csv("clustering", ev.clustering)
    csv("claims", claims.scorecard(judge(ev)))
    for name, table in ev.linear.items():
        csv(name, table, index=False)
    path = d / "fixed_points.npz"
    # compact (points, inputs, readouts, eigenvalues; no Jacobians or eigenvectors: a CDI
    # population's full set is over a gigabyte)
    fp.save_collection(path, {str(k): v for k, v in ev.fixed_points.items()}, compact=True, extra=("eigenvalues",))
    out.append(path)
    import shutil

    out.append(Path(shutil.make_archive(str(d), "zip", root_dir=d)))
    return out
