"""Fixed-point topology: graphs over each network's fixed points, compared across networks.

Flip-flop (Section 3.1, Fig. 1e-f)
    From every fixed point h*_i, ``n_perturbations`` random displacements of norm
    ``perturbation_scale`` are run under the autonomous dynamics ``h_{t+1} = F(h_t, 0)``
    until they settle (every run moves less than ``settle_tol`` in one step, or
    ``max_steps``).  The stable fixed point nearest each end state is where that run
    went, and

        T[i, j] = (number of runs from i that end at stable point j) / n_perturbations

    is the transition-probability matrix (rows sum to 1; a stable point that keeps its
    perturbations has only a self-loop).  Fixed points are ordered lexicographically by
    their readout (rounded to ``readout_decimals``, ties broken by the exact values), so
    row i of two networks means the same output pattern.  Graphs are compared only
    between networks with the population's modal number of fixed points; the others are
    set aside and counted (the paper: under 10%).

Sine and CDI (Sections 3.2-3.3, Figs. 2e, 3d)
    Nearest-neighbour graphs over the input-dependent fixed points: ``A[i, j] = 1`` when
    point j is one of the ``k`` nearest (Euclidean, in state space) to point i, else 0.
    Sine: one fixed point per command frequency (the lowest-q one of each condition),
    ordered by frequency.  CDI: per context, the fixed points sorted by readout and
    ``n_points`` of them taken at evenly spaced ranks along the line attractor; the
    graph is the (C, n_points, n_points) stack of the contexts' adjacency matrices.

Distance between two networks: the Euclidean (Frobenius) norm of the difference of
their matrices, returned as a labelled (network, network_2) matrix like
:func:`universality.similarity.pairwise_distances`.

Command line: ``python -m universality.topology --profile book --task flipflop`` prints
the fraction of networks that have the modal number of fixed points, and that number.
"""

from __future__ import annotations

import argparse
from collections import Counter
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
import tensorflow as tf
import xarray as xr
from scipy.spatial.distance import pdist, squareform
from tqdm import tqdm

from . import cells
from . import fixed_points as fp
from .similarity import DIMS, SUFFIX

__all__ = [
    "TopologyConfig",
    "Topology",
    "readout_order",
    "modal_count",
    "perturbation_endpoints",
    "transition_matrices",
    "heteroclinic_trajectories",
    "knn_adjacency",
    "sine_graph",
    "cdi_graph",
    "graph_distances",
    "flipflop_topology",
    "sine_topology",
    "cdi_topology",
    "main",
]

LABEL_COLUMNS = ("task", "arch", "activation", "units", "l2", "seed")


@dataclass(frozen=True)
class TopologyConfig:
    """Parameters of the flip-flop transition graphs.

    Parameters
    ----------
    n_perturbations : int, default 100
        Runs started from each fixed point (the paper: 100).
    perturbation_scale : float, default 0.05
        Euclidean norm of each initial displacement (a uniformly random direction).
    max_steps : int, default 3000
        Longest autonomous run.
    check_every : int, default 100
        Steps between settling checks.
    settle_tol : float, default 1e-5
        A run has settled once one step moves it less than this (Euclidean norm).
    readout_decimals : int, default 1
        Readouts are rounded to this many decimals before the lexicographic sort.
    seed : int, default 0
        Seeds the perturbation directions.
    """

    n_perturbations: int = 100
    perturbation_scale: float = 0.05
    max_steps: int = 3000
    check_every: int = 100
    settle_tol: float = 1e-5
    readout_decimals: int = 1
    seed: int = 0

    def __post_init__(self):
        for name in ("n_perturbations", "max_steps", "check_every"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"{name}={v!r} must be a positive integer")
        for name in ("perturbation_scale", "settle_tol"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float, np.number)) and np.isfinite(v) and v > 0):
                raise ValueError(f"{name}={v!r} must be a finite number > 0")
        if isinstance(self.readout_decimals, bool) or not isinstance(self.readout_decimals, (int, np.integer)):
            raise ValueError(f"readout_decimals={self.readout_decimals!r} must be an integer")
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            raise ValueError(f"seed={self.seed!r} must be an integer >= 0")


@dataclass(frozen=True, eq=False)
class Topology:
    """Graphs of a population and the distances between them.

    Attributes
    ----------
    graphs : dict network_id -> ndarray, one matrix (or stack) per KEPT network
    counts : pandas.Series network_id -> number of fixed points (every analysed network)
    modal_count : int or None, the modal count (flip-flop) or the graph size (sine/CDI)
    set_aside : list of network_ids whose graphs are not comparable (non-modal count,
        missing conditions, too few points)
    distances : xarray.DataArray (kept x kept), dims ('network', 'network_2')
    fixed_points : dict network_id -> FixedPoints in graph order (kept networks)
    """

    graphs: dict
    counts: pd.Series
    modal_count: int | None
    set_aside: list
    distances: xr.DataArray
    fixed_points: dict = field(default_factory=dict)

    @property
    def fraction_modal(self) -> float:
        """Fraction of the analysed networks that were kept."""
        return len(self.graphs) / max(len(self.counts), 1)


# --------------------------------------------------------------------------------------
# Ordering and counting
# --------------------------------------------------------------------------------------


def readout_order(outputs_no: np.ndarray, decimals: int = 1) -> np.ndarray:
    """Permutation sorting points lexicographically by readout (first output first).

    Keys, most significant first: ``round(y_0, decimals), round(y_1, decimals), ...``,
    then the unrounded ``y_0, y_1, ...`` to break ties.
    """
    y = np.asarray(outputs_no, np.float64)
    if y.ndim != 2:
        raise ValueError(f"outputs_no has shape {y.shape}; expected (n points, O outputs)")
    keys = [y[:, j] for j in range(y.shape[1])][::-1] + [np.round(y[:, j], decimals) for j in range(y.shape[1])][::-1]
    return np.lexsort(keys) if len(y) else np.zeros(0, np.int64)


def modal_count(counts: Mapping) -> tuple[int, list, list]:
    """The most common value of ``counts`` (ties: the smaller), and who has it.

    Returns
    -------
    modal : int, kept : list of keys with it, set_aside : list of the others
    """
    if not counts:
        raise ValueError("counts is empty: no networks to compare")
    freq = Counter(int(v) for v in counts.values())
    modal = min(freq, key=lambda c: (-freq[c], c))
    kept = [k for k, v in counts.items() if int(v) == modal]
    return modal, kept, [k for k, v in counts.items() if int(v) != modal]


# --------------------------------------------------------------------------------------
# Flip-flop: perturbation runs
# --------------------------------------------------------------------------------------

_RUNNERS: dict = {}


def _runner(spec: cells.CellSpec):
    if spec not in _RUNNERS:
        step_fn = fp._cell_fns(spec)[0]

        @tf.function(reduce_retracing=True)
        def run(h, x, params, n):
            for _ in tf.range(n - 1):
                h = step_fn(h, x, params)
            h_next = step_fn(h, x, params)
            return h_next, tf.norm(h_next - h, axis=-1)

        _RUNNERS[spec] = run
    return _RUNNERS[spec]


def _perturbations(fps_list: Sequence[fp.FixedPoints], config: TopologyConfig, network_ids: Sequence):
    """Start states (P, n_max * n_pert, S) and validity, point index per run."""
    n_max = max(len(f) for f in fps_list)
    s = fps_list[0].state_size
    npert = config.n_perturbations
    h0 = np.zeros((len(fps_list), n_max * npert, s))
    valid = np.zeros((len(fps_list), n_max * npert), bool)
    for i, f in enumerate(fps_list):
        rng = fp._network_rng(config.seed, network_ids[i])
        d = rng.standard_normal((len(f), npert, s))
        d *= config.perturbation_scale / np.linalg.norm(d, axis=-1, keepdims=True)
        h0[i, : len(f) * npert] = (f.h[:, None, :] + d).reshape(-1, s)
        valid[i, : len(f) * npert] = True
    return h0, valid, n_max


def perturbation_endpoints(spec: cells.CellSpec, params, fps_list: Sequence[fp.FixedPoints], x_star,
                           config: TopologyConfig = TopologyConfig(), network_ids: Sequence | None = None,
                           progress: bool = False) -> list[np.ndarray]:
    """End states of the perturbation runs of P stacked networks, in one batched loop.

    Parameters
    ----------
    spec, params : the cell and the stacked parameters of P networks
    fps_list : P :class:`FixedPoints` (the runs start around each of their points)
    x_star : (M,) the static input of the autonomous dynamics (flip-flop: zeros)

    Returns
    -------
    list of P arrays (n_i, n_perturbations, S): where each run was after settling
    """
    p = len(fps_list)
    ids = list(range(p)) if network_ids is None else list(network_ids)
    if p == 0 or all(len(f) == 0 for f in fps_list):
        return [np.zeros((0, config.n_perturbations, spec.state_size)) for _ in fps_list]
    h0, valid, n_max = _perturbations(fps_list, config, ids)
    x = tf.zeros((p, h0.shape[1], spec.n_inputs)) + tf.constant(np.asarray(x_star, np.float32))
    tparams = {k: tf.constant(np.asarray(v, np.float32)) for k, v in params.items()}
    run = _runner(spec)
    h = tf.constant(h0, tf.float32)
    done = 0
    bar = tqdm(total=config.max_steps, desc="perturbation runs", disable=not progress, leave=False)
    while done < config.max_steps:
        n = min(config.check_every, config.max_steps - done)
        h, moved = run(h, x, tparams, tf.constant(n))
        done += n
        bar.update(n)
        if float(tf.reduce_max(tf.where(valid, moved, 0.0))) < config.settle_tol:
            break
    bar.close()
    ends = h.numpy().astype(np.float64).reshape(p, n_max, config.n_perturbations, -1)
    return [ends[i, : len(f)] for i, f in enumerate(fps_list)]


def _transition(f: fp.FixedPoints, ends: np.ndarray) -> np.ndarray:
    """(n, n) fraction of runs from point i that end nearest stable point j."""
    n = len(f)
    stable = np.flatnonzero(f.is_stable)
    mat = np.zeros((n, n))
    if n == 0 or len(stable) == 0:
        return mat
    d = np.linalg.norm(ends[:, :, None, :] - f.h[stable][None, None], axis=-1)  # (n, npert, n_stable)
    dest = stable[d.argmin(axis=-1)]  # (n, npert)
    np.add.at(mat, (np.repeat(np.arange(n), ends.shape[1]), dest.ravel()), 1.0)
    return mat / ends.shape[1]


def transition_matrices(population, fps: Mapping, x_star=None, config: TopologyConfig = TopologyConfig(),
                        network_ids: Sequence | None = None, progress: bool = True) -> dict:
    """Transition-probability matrices ``network_id -> (n, n)``, points in readout order.

    Parameters
    ----------
    population : Population or ``(spec, stacked params)`` (keys 0..P-1)
    fps : network_id -> :class:`FixedPoints` (with ``outputs``)
    x_star : (M,) static input, default zeros
    network_ids : analyse only these (default: every network in both)

    Returns
    -------
    dict network_id -> (matrix (n, n), FixedPoints in readout order)
    """
    out = {}
    groups = fp._groups(population)
    known = {i for _, ids, _ in groups for i in ids}
    missing = [k for k in (fps if network_ids is None else network_ids) if k not in known]
    if missing:
        raise ValueError(f"{len(missing)} network(s) are not in the population: {missing[:5]!r}; a "
                         "(spec, params) pair is keyed 0..P-1")
    for spec, ids, params in groups:
        want = [i for i in ids if i in fps and (network_ids is None or i in network_ids)]
        if not want:
            continue
        sel = [ids.index(i) for i in want]
        sub = {k: np.asarray(v)[sel] for k, v in params.items()}
        ordered = [fps[i][readout_order(fps[i].outputs, config.readout_decimals)] for i in want]
        xs = np.zeros(spec.n_inputs) if x_star is None else np.asarray(x_star, np.float64)
        if xs.shape != (spec.n_inputs,):
            raise ValueError(f"x_star has shape {xs.shape}; expected ({spec.n_inputs},)")
        nonempty = [j for j, f in enumerate(ordered) if len(f)]
        ends = perturbation_endpoints(spec, sub, ordered, xs, config, want, progress) if nonempty else \
            [np.zeros((0, config.n_perturbations, spec.state_size))] * len(want)
        for nid, f, e in zip(want, ordered, ends):
            out[nid] = (_transition(f, e), f)
    return out


def heteroclinic_trajectories(spec: cells.CellSpec, params_one: Mapping, fps_one: fp.FixedPoints, x_star=None,
                              n_perturbations: int = 10, n_steps: int = 300, scale: float = 0.05,
                              seed: int = 0) -> np.ndarray:
    """Perturbation runs of ONE network, for plotting (Fig. 1e's light trajectories).

    Parameters
    ----------
    params_one : one network's (unstacked) parameters
    fps_one : its fixed points; runs start at ``h*_i + scale * u`` with u a random unit
        vector
    n_steps : steps of each run

    Returns
    -------
    (n, n_perturbations, n_steps + 1, S) states, the start state first
    """
    if len(fps_one) == 0:
        return np.zeros((0, n_perturbations, n_steps + 1, spec.state_size))
    rng = np.random.default_rng([seed, 0x4E7])
    s = spec.state_size
    d = rng.standard_normal((len(fps_one), n_perturbations, s))
    d *= scale / np.linalg.norm(d, axis=-1, keepdims=True)
    h0 = (fps_one.h[:, None] + d).reshape(1, -1, s)
    xs = np.zeros(spec.n_inputs) if x_star is None else np.asarray(x_star, np.float64)
    x = np.broadcast_to(xs.astype(np.float32), (1, h0.shape[1], n_steps, spec.n_inputs))
    stacked = {k: np.asarray(v)[None] for k, v in params_one.items()}
    states = cells.run(spec, stacked, x, h0.astype(np.float32)).numpy()[0]
    traj = np.concatenate([h0[0][:, None], states], axis=1)
    return traj.reshape(len(fps_one), n_perturbations, n_steps + 1, s)


# --------------------------------------------------------------------------------------
# Sine and CDI: nearest-neighbour graphs
# --------------------------------------------------------------------------------------


def knn_adjacency(points_ns: np.ndarray, k: int = 1) -> np.ndarray:
    """Directed k-nearest-neighbour adjacency: ``A[i, j] = 1`` if j is among i's k nearest.

    Distances are Euclidean; a point is not its own neighbour; ties go to the lower
    index.  Shape (n, n), float.
    """
    x = np.asarray(points_ns, np.float64)
    n = len(x)
    if not 1 <= k < max(n, 2):
        raise ValueError(f"k={k!r} must be in [1, n-1] for n={n} points")
    d = squareform(pdist(x)) if n > 1 else np.zeros((1, 1))
    np.fill_diagonal(d, np.inf)
    nn = np.argsort(d, axis=1, kind="stable")[:, :k]
    a = np.zeros((n, n))
    np.put_along_axis(a, nn, 1.0, axis=1)
    return a


def sine_graph(f: fp.FixedPoints, n_conditions: int, k: int = 1):
    """k-NN graph over one fixed point per condition (lowest q), in condition order.

    Returns (adjacency (C, C), the chosen FixedPoints) or None when a condition has none.
    """
    chosen = []
    for c in range(n_conditions):
        idx = np.flatnonzero(f.condition == c)
        if len(idx) == 0:
            return None
        chosen.append(idx[f.q[idx].argmin()])
    sel = f[np.array(chosen)]
    return knn_adjacency(sel.h, k), sel


def cdi_graph(f: fp.FixedPoints, n_conditions: int, n_points: int = 10, k: int = 1,
              max_magnitude: float | None = 1.05):
    """Per context: ``n_points`` fixed points at evenly spaced readout ranks, k-NN graph.

    Within context c the points on the line attractor (``max |lambda| <= max_magnitude``;
    None: all) are sorted by their first readout and the ones at ranks
    ``round(linspace(0, n_c - 1, n_points))`` are kept.  Returns (adjacency stack
    (C, n_points, n_points), the chosen FixedPoints, context-major) or None when a
    context has fewer than ``n_points`` such points.
    """
    mats, chosen = [], []
    on_line = np.ones(len(f), bool) if max_magnitude is None or not len(f) else f.magnitudes[:, 0] <= max_magnitude
    for c in range(n_conditions):
        idx = np.flatnonzero((f.condition == c) & on_line)
        if len(idx) < n_points:
            return None
        idx = idx[np.argsort(f.outputs[idx, 0], kind="stable")]
        pick = idx[np.round(np.linspace(0, len(idx) - 1, n_points)).astype(int)]
        chosen.append(pick)
        mats.append(knn_adjacency(f.h[pick], k))
    return np.stack(mats), f[np.concatenate(chosen)]


# --------------------------------------------------------------------------------------
# Distances
# --------------------------------------------------------------------------------------


def graph_distances(graphs: Mapping, labels: pd.DataFrame | None = None) -> xr.DataArray:
    """Euclidean (Frobenius) distances between equally shaped graph matrices.

    Parameters
    ----------
    graphs : network_id -> array (any shape, the same for all)
    labels : table indexed by network_id (e.g. ``Population.table``); its label columns
        (task, arch, activation, units, l2, seed, where present) become coordinates
        ``col`` along 'network' and ``col_2`` along 'network_2'

    Returns
    -------
    xarray.DataArray (P, P), dims ('network', 'network_2'), symmetric, zero diagonal
    """
    ids = list(graphs)
    if ids:
        shapes = {np.shape(g) for g in graphs.values()}
        if len(shapes) != 1:
            raise ValueError(f"graphs have different shapes {sorted(shapes)}; only networks with the same "
                             "number of fixed points can be compared")
        flat = np.stack([np.asarray(graphs[i], np.float64).ravel() for i in ids])
        d = squareform(pdist(flat)) if len(ids) > 1 else np.zeros((1, 1))
    else:
        d = np.zeros((0, 0))
    coords = {DIMS[0]: np.array(ids, dtype=object), DIMS[1]: np.array(ids, dtype=object)}
    if labels is not None:
        for col in LABEL_COLUMNS:
            if col in labels.columns:
                vals = labels.loc[ids, col].to_numpy()
                coords[col] = (DIMS[0], vals)
                coords[col + SUFFIX] = (DIMS[1], vals)
    return xr.DataArray(d, dims=DIMS, coords=coords, attrs={"metric": "euclidean graph distance"})


def _table(population):
    return population.table if hasattr(population, "table") else None


def flipflop_topology(population, fps: Mapping, config: TopologyConfig = TopologyConfig(),
                      progress: bool = True) -> Topology:
    """Transition graphs of the networks with the modal fixed-point count, and distances."""
    counts = pd.Series({k: len(v) for k, v in fps.items()}, name="n_fixed_points", dtype=int)
    modal, kept, aside = modal_count(counts.to_dict())
    mats = transition_matrices(population, fps, None, config, network_ids=kept, progress=progress)
    kept = [k for k in kept if k in mats]
    graphs = {k: mats[k][0] for k in kept}
    return Topology(graphs, counts, modal, aside, graph_distances(graphs, _table(population)),
                    {k: mats[k][1] for k in kept})


def _condition_topology(population, fps, builder) -> Topology:
    counts = pd.Series({k: len(v) for k, v in fps.items()}, name="n_fixed_points", dtype=int)
    graphs, chosen, aside = {}, {}, []
    for nid, f in fps.items():
        out = builder(f)
        if out is None:
            aside.append(nid)
        else:
            graphs[nid], chosen[nid] = out
    size = int(next(iter(graphs.values())).shape[-1]) if graphs else None
    return Topology(graphs, counts, size, aside, graph_distances(graphs, _table(population)), chosen)


def sine_topology(population, fps: Mapping, n_conditions: int, k: int = 1) -> Topology:
    """k-NN graphs over the per-frequency fixed points (conditions in frequency order)."""
    return _condition_topology(population, fps, lambda f: sine_graph(f, n_conditions, k))


def cdi_topology(population, fps: Mapping, n_conditions: int, n_points: int = 10, k: int = 1,
                 max_magnitude: float | None = 1.05) -> Topology:
    """k-NN graphs along each context's line attractor (see :func:`cdi_graph`)."""
    return _condition_topology(population, fps, lambda f: cdi_graph(f, n_conditions, n_points, k, max_magnitude))


# --------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------


def main(argv=None) -> int:
    """Print each network's fixed-point summary and the modal-count fraction."""
    from .population import load_population
    from .store import DEFAULT_ROOT
    from .tasks import TASKS

    ap = argparse.ArgumentParser(prog="universality fixed-points",
                                 description="Fixed-point counts of a trained population: the fraction of "
                                             "networks with the modal count, and that count.")
    ap.add_argument("--profile", default="book", help="smoke, book or paper (default: book)")
    ap.add_argument("--task", default="flipflop", choices=list(TASKS))
    ap.add_argument("--data", default=str(DEFAULT_ROOT), help="store root (default: data)")
    ap.add_argument("--n-initial", type=int, default=fp.FixedPointConfig.n_initial,
                    help="initial states per network (default: %(default)s)")
    ap.add_argument("--save", default=None, help="also write the fixed points to this .npz")
    ap.add_argument("--quiet", action="store_true", help="no progress bars")
    args = ap.parse_args(argv)
    pop = load_population(args.profile, args.task, root=args.data, require_complete=False)
    n_div = int(pop.table["diverged"].sum()) if "diverged" in pop.table else 0
    cfg = fp.task_config(args.task, n_initial=args.n_initial)
    fps = fp.find_population_fixed_points(pop, pop.task, cfg, progress=not args.quiet)
    if args.save:
        fp.save_collection(args.save, fps)
    for nid, f in fps.items():
        print(f"{nid}: {f.summary()}")
    modal, kept, aside = modal_count({k: len(v) for k, v in fps.items()})
    stable = Counter(int(np.sum(f.is_stable)) for f in fps.values())
    print("stable fixed points per network (count: networks): "
          + ", ".join(f"{k}: {v}" for k, v in sorted(stable.items())))
    print(f"modal fixed-point count: {modal}")
    print(f"networks with the modal count: {len(kept)}/{len(fps)} = {len(kept) / len(fps):.1%} "
          f"(set aside: {len(aside)}; diverged, not analysed: {n_div})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
