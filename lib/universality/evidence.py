"""Everything the book measures about one task's population, computed one way, and the
paper's claims judged on it.

A figure page and the claims page both call :func:`gather`: the same trials, the same
fixed points (cached), the same topology (cached transition graphs), the same statistics.
:func:`judge` turns the evidence into :class:`universality.claims.Claim` verdicts.  So a
verdict on a figure page is, by construction, the one on the claims page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

from . import analysis, claims, linear, statistics, topology

__all__ = ["Evidence", "gather", "judge", "topology_names"]


@dataclass
class Evidence:
    """The measurements of one task's population.

    Attributes
    ----------
    task : task name
    population : the analysed networks (trained and meeting the quality criterion)
    table : every network of the population (diverged and failed ones included)
    geometry : metric -> labelled distance matrix ('svcca', optionally 'cka')
    fixed_points : network_id -> FixedPoints
    topologies : principle -> Topology (flip-flop: 'position', 'routing', 'readout';
        sine/CDI: one)
    clustering : statistics.clustering_table over every distance in :attr:`distances`
    separations : label -> Separation of the default topology against SVCCA (panel subset)
    linear : name -> table (sine: 'conditions'; CDI: 'spectra', 'responses', 'modes',
        'near_one', 'lines')
    """

    task: str
    population: object
    table: pd.DataFrame
    geometry: dict
    fixed_points: dict
    topologies: dict
    clustering: pd.DataFrame
    separations: dict
    linear: dict = field(default_factory=dict)

    @property
    def topology(self):
        """The book's topology (flip-flop: aligned by cube position)."""
        return next(iter(self.topologies.values()))

    @property
    def distances(self) -> dict:
        """Every distance matrix the statistics were computed on, by name."""
        out = dict(self.geometry)
        out.update({name: t.distances for name, t in zip(topology_names(self.task, self.topologies),
                                                         self.topologies.values())})
        if self.task == "flipflop" and "position" in self.topologies:
            out["topology (modal only)"] = self.topologies["position"].modal_only()
        return out


def topology_names(task: str, topologies) -> list[str]:
    """Names of the topology distances in tables: 'topology' for the book's, then
    'topology (routing)', 'topology (readout, paper)'."""
    names = []
    for i, p in enumerate(topologies):
        names.append("topology" if i == 0 else f"topology ({p}{', paper' if p == 'readout' else ''})")
    return names


def _separations(geometry, topo_d) -> dict:
    out = {}
    svcca = geometry.get("svcca")
    for label, sub in statistics.PANEL_SUBSETS.items():
        try:
            ids = list(topo_d.coords["network"].values)
            a = statistics.subset(topo_d, **sub)
            b = statistics.subset(svcca.sel(network=ids, network_2=ids), **sub)
            out[label] = statistics.compare_separation(a, b, label, n_boot=1000, seed=0)
        except (ValueError, KeyError):
            out[label] = None
    return out


def gather(population, metrics: Sequence = ("svcca",), n_trials: int = 64, variance_kept: float = 0.95,
           seed: int = 0, n_permutations: int = 1000, principles: Sequence[str] | None = None,
           topology_config=None, n_points: int = 10, dynamics: bool = False, progress: bool = False) -> Evidence:
    """Measure one task's population.

    Parameters
    ----------
    population : a loaded Population (every network; :meth:`trained` is taken here)
    metrics : geometry metrics ('svcca', 'cka')
    n_trials, variance_kept, seed : the trials of the representations (drawn from
        ``seed``) and SVCCA's kept variance; ``seed`` also seeds the permutation tests
    principles : flip-flop alignment principles, the book's first (default: all three)
    topology_config : flip-flop :class:`~universality.topology.TopologyConfig`
    n_points : CDI slots per line
    dynamics : also compare the networks' dynamics by DSA (distance 'dsa';
        :func:`universality.analysis.dynamics`, the task's preset)
    """
    table = population.table
    pop = population.trained()
    task = pop.task
    trials = task.sample(np.random.default_rng(seed), n_trials).inputs_btm
    geometry = analysis.geometry(pop, trials, metrics=tuple(metrics), variance_kept=variance_kept)
    if dynamics:
        geometry["dsa"] = analysis.dynamics(pop, trials, progress=progress)
    fps = analysis.fixed_points(pop, progress=progress)
    if task.name == "flipflop":
        principles = list(principles or topology.PRINCIPLES)
        topos = {p: analysis.topology_of(pop, fps, p, config=topology_config, progress=progress) for p in principles}
    else:
        t = analysis.topology_of(pop, fps, n_points=n_points)
        topos = {t.principle: t}
    ev = Evidence(task.name, pop, table, geometry, fps, topos, pd.DataFrame(), {})
    ev.clustering = statistics.clustering_table(ev.distances, n_permutations=n_permutations, seed=seed)
    ev.separations = _separations(geometry, ev.topology.distances) if "svcca" in geometry else {}
    if task.name == "sine":
        omegas = task.conditions().labels["omega"].to_numpy()
        ev.linear["conditions"] = linear.sine_conditions(fps, omegas, pop.table)
    elif task.name == "cdi":
        c = task.n_contexts
        ev.linear["spectra"] = linear.eigenvalue_spectra(fps, pop.table)
        ev.linear["responses"] = linear.cdi_integration(pop, fps)
        ev.linear["modes"] = linear.modes_needed(ev.linear["responses"]) if len(ev.linear["responses"]) else \
            pd.DataFrame(columns=["network_id", "arch", "condition", "modes_90"])
        ev.linear["near_one"] = linear.eigenvalues_near_one(fps, c, pop.table)
        targets = task.probe().targets_bto
        ev.linear["lines"] = linear.line_shapes(fps, c, pop.table, target_range=float(np.ptp(targets)))
    return ev


def _corner_check(f, n_bits: int) -> bool:
    stable = f.outputs[f.is_stable]
    if len(stable) != 2 ** n_bits:
        return False
    patterns = {tuple(np.where(y >= 0, 1, -1)) for y in stable}
    return len(patterns) == 2 ** n_bits


def judge(ev: Evidence) -> list[claims.Claim]:
    """The paper's claims about this task, checked on the evidence."""
    t, tab = ev.task, ev.clustering
    out = []
    if t == "flipflop":
        k = ev.population.task.n_bits
        topo = ev.topology
        out.append(claims.fixed_point_structure({n: _corner_check(f, k) for n, f in ev.fixed_points.items()},
                                                topo.counts.to_dict(), k, topo.modal_count))
        out += [claims.clusters("fig1.geometry", t, tab, "svcca", lab) for lab in ("arch", "activation")]
        out.append(claims.topology_more_similar_than_geometry("fig1.topology_vs_geometry", t, ev.separations))
        for name, p in zip(topology_names(t, ev.topologies), ev.topologies):
            note = f"fixed points lined up by {p}" + ("; compares the modal-count networks only" if p == "readout"
                                                      else "")
            out.append(claims.does_not_cluster(f"fig1.topology ({p})", t, tab, name, "arch",
                                               claims.QUOTES["fig1.topology_arch"], note))
            out.append(claims.does_not_cluster(f"fig1.topology ({p})", t, tab, name, "activation",
                                               claims.QUOTES["fig1.topology_vs_geometry"],
                                               note + "; the paper states this relative to geometry "
                                               "(fig1.topology_vs_geometry), here tested on its own"))
    elif t == "sine":
        out += [claims.clusters("fig2.geometry", t, tab, "svcca", lab) for lab in ("arch", "activation")]
        out.append(claims.one_unstable_oscillation(ev.linear["conditions"]))
        out.append(claims.frequency_alignment(ev.linear["conditions"]))
        out += [claims.does_not_cluster("fig2.topology", t, tab, "topology", lab) for lab in ("arch", "activation")]
        out.append(claims.did_not_train(ev.table))
    elif t == "cdi":
        out += [claims.clusters("fig3.geometry", t, tab, "svcca", lab) for lab in ("arch", "activation")]
        out.append(claims.line_attractors(ev.linear["lines"]))
        out.append(claims.integration_modes(ev.linear["modes"], ev.linear["near_one"]))
        out.append(claims.does_not_cluster("fig3.topology", t, tab, "topology", "arch"))
        out.append(claims.clusters("fig3.topology", t, tab, "topology", "activation"))
    # beyond the paper: the abstract's thesis under a metric shape distance and under DSA
    if "procrustes" in ev.geometry:
        out.append(claims.clusters(f"beyond.geometry ({t}, procrustes)", t, tab, "procrustes", "arch",
                                   claims.QUOTES["beyond.geometry"]))
    if "dsa" in ev.geometry:
        out.append(claims.does_not_cluster(f"beyond.dynamics ({t}, dsa)", t, tab, "dsa", "arch",
                                           claims.QUOTES["beyond.dynamics"],
                                           "DSA compares the linearised dynamics of the networks' trajectories "
                                           "directly (Ostrow et al. 2023); not a measure the paper used"))
    return out


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
    from .population import untrained_population
    from . import similarity

    trained = trained_cdi.trained().select(arch="vanilla")
    if len(trained) == 0:
        raise ValueError("no trained Vanilla CDI network: Figure 4 needs some")
    task = trained.task
    units = sorted(set(int(u) for u in trained.table.units))[0]
    untrained = untrained_population(task, ["vanilla"], ["tanh", "relu"], units,
                                     range(untrained_seed, untrained_seed + n_untrained))
    pop = trained.merge(untrained)
    pop.table["state"] = np.where(pop.table.index.str.startswith("untrained"), "untrained", "trained")
    trials = task.sample(np.random.default_rng(seed), n_trials).inputs_btm
    labels = analysis.labels_of(pop).assign(state=pop.table.state.to_numpy())
    dist = similarity.pairwise_distances(analysis.representations(pop, trials), metric="svcca", labels=labels,
                                         variance_kept=variance_kept, progress=False)
    by = ["activation", "state"]
    share, n_quad, example = analysis.untrained_closer_quadruples(dist, by)
    groups = analysis.group_mean_distances(dist, by)
    intervals = {}
    if {"relu trained", "relu untrained", "tanh trained"} <= set(groups.index):
        for other in ("relu trained", "relu untrained"):
            _, lo, hi = analysis.group_difference_interval(dist, by, ("relu trained", "relu untrained"),
                                                           (other, "tanh trained"), n_boot=n_boot, seed=seed)
            intervals[f"d(relu tr, relu untr) - d({other.replace('trained', 'tr').replace('untr', 'untr')}, "
                      f"tanh tr)"] = (lo, hi)
    ex = "" if not example else "e.g. " + ", ".join(f"{k}: {v}" for k, v in example.items())
    found = [claims.untrained_closer_example(share, n_quad, ex), claims.trained_untrained_relu(groups, intervals)]
    # the same comparison with only the better-trained half of the trained tanh networks
    tab = pop.table
    tanh_tr = tab[(tab.state == "trained") & (tab.activation == "tanh")]
    better = None
    if len(tanh_tr) >= 2:
        best = tanh_tr.valid_loss.nsmallest(len(tanh_tr) // 2).index
        keep = [i for i in tab.index if i not in tanh_tr.index or i in best]
        better = claims.trained_untrained_relu(analysis.group_mean_distances(dist.sel(network=keep, network_2=keep),
                                                                             by))
    return Figure4(pop, dist, groups, share, n_quad, example, intervals, found, better)


# ------------------------------------------------------------------------------ scorecard


def scorecard(populations: dict, n_trials: int = 64, variance_kept: float = 0.95, seed: int = 0,
              n_permutations: int = 1000, cache: bool = True, root=None, progress: bool = False) -> pd.DataFrame:
    """Every claim the book checks, on the given populations (task -> loaded Population;
    the CDI population also gives Fig. 4), as :func:`universality.claims.scorecard`; with
    the beyond-the-paper tests of the abstract's thesis under the Procrustes shape metric
    and under DSA.

    Cached under ``<root>/_cache/scorecard/`` (keyed by every network's weights, the
    settings and the library's source, :func:`universality.analysis.code_version`: a
    verdict's wording or criterion is code), so the introduction and the claims page
    compute it once.
    """
    import json
    from pathlib import Path

    from .store import DEFAULT_ROOT

    key = analysis.cache_key("with procrustes and dsa", analysis.code_version(),
                             [analysis.population_key(p.trained(), None) for p in populations.values()],
                             sorted(populations), n_trials, variance_kept, seed, n_permutations,
                             [sorted(p.table.get("left_out", pd.Series(dtype=bool)).items()) for p in
                              populations.values()])
    path = Path(root or DEFAULT_ROOT) / "_cache" / "scorecard" / f"{key}.json"
    if cache and path.exists():
        return pd.DataFrame(json.loads(path.read_text())).set_index("key")
    found, tables = [], {}
    for task, pop in populations.items():
        from .similarity import Procrustes

        ev = gather(pop, metrics=("svcca", "cka", Procrustes(alpha=1.0)),
                    n_trials=n_trials if task != "sine" else max(1, n_trials // 2), variance_kept=variance_kept,
                    seed=seed, n_permutations=n_permutations, dynamics=True, progress=progress)
        found += judge(ev)
        tables[task] = ev.clustering
        if task == "cdi":
            try:
                found += figure4(pop, n_trials=n_trials, variance_kept=variance_kept, seed=seed).claims
            except ValueError:
                pass
    found.append(claims.cka_agrees_with_svcca(tables))
    card = claims.scorecard(found)
    if cache:
        from .store import atomic_write_bytes

        atomic_write_bytes(path, card.reset_index().to_json(orient="records").encode())
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
