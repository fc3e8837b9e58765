"""All-pairs Dynamical Similarity Analysis: every pair aligned in one graph, versus a loop.

Synthetic population: P networks of ``units`` units, each a random stable linear system
(a few damped rotations and decays, embedded by a random orthogonal map) driven from
random initial states, ``trials`` x ``steps`` states each.  Timed in one run:

* the per-network phase: delay embedding and DMD fit (:func:`dsa.operators`), ~P;
* the batched alignment of all P(P-1)/2 pairs (:func:`dsa.operator_distances`), ~P^2;
* a per-pair loop: the same alignment (same restarts, iterations and stopping rule) for
  one pair at a time, on a random subset of pairs, scaled to all pairs;
* the extrapolation to P = 2,880 (per-network phase x P, pair phase x P^2).

The loop's distances are checked against the batched matrix on the timed pairs.  With
``--baseline-rev REV`` the module as it was at git revision REV is loaded too and its
alignment of all pairs (with its own default settings) is timed in the same run, so the
speed of a change is a ratio measured under the same load.

    python benchmarks/dynamics_similarity.py [--n-networks 64 --units 64 --loop-pairs 40]
                                             [--baseline-rev 77ee1ef]

A GPU run (TensorFlow with CUDA) would print the same table; the batched alignment is one
graph of (pairs x restarts) small matrices, which is where a GPU's launch-amortisation
pays, so its ratio to the loop should grow there.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from universality import dynamics_similarity as dsa


def make_population(p, units, trials, steps, seed=0):
    rng = np.random.default_rng(seed)
    out = {}
    for i in range(p):
        a = np.zeros((units, units))
        for k in range(0, 6, 2):  # three damped rotations
            th, r = rng.uniform(0.05, 0.5), rng.uniform(0.85, 0.99)
            a[k:k + 2, k:k + 2] = r * np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
        for k in range(6, units):
            a[k, k] = rng.uniform(0.1, 0.7)
        q, _ = np.linalg.qr(rng.standard_normal((units, units)))
        a = q @ a @ q.T
        x = np.zeros((trials, steps, units))
        x[:, 0] = rng.standard_normal((trials, units))
        for t in range(steps - 1):
            x[:, t + 1] = x[:, t] @ a.T + 0.01 * rng.standard_normal((trials, units))
        out[f"net{i}"] = x
    return out


def load_revision(rev: str):
    """``universality.dynamics_similarity`` as it was at git revision ``rev`` (a module of
    the installed package, so that its relative imports resolve)."""
    root = Path(__file__).resolve().parents[1]
    source = subprocess.run(["git", "-C", str(root), "show", f"{rev}:lib/universality/dynamics_similarity.py"],
                            check=True, capture_output=True, text=True).stdout
    # a file of its own, so that AutoGraph can read the source of its tf.functions
    path = Path(tempfile.mkdtemp(prefix="dsa-baseline-")) / f"dynamics_similarity_{rev}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("universality._dsa_baseline", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n-networks", type=int, default=64)
    ap.add_argument("--units", type=int, default=64)
    ap.add_argument("--trials", type=int, default=16)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--loop-pairs", type=int, default=40)
    ap.add_argument("--target", type=int, default=2880)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--baseline-rev", default=None, help="git revision whose alignment is timed as the baseline")
    args = ap.parse_args(argv)
    cfg = dsa.DSAConfig()
    p = args.n_networks
    n_pairs = p * (p - 1) // 2
    states = make_population(p, args.units, args.trials, args.steps, args.seed)
    print(f"P={p} networks of {args.units} units, {args.trials} trials x {args.steps} steps; DSA {cfg}; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    dsa.operator_distances([np.eye(cfg.rank), 0.5 * np.eye(cfg.rank)], cfg)  # warm-up: tracing
    t0 = time.perf_counter()
    ops = dsa.operators(states, cfg)
    t_fit = time.perf_counter() - t0
    t0 = time.perf_counter()
    d = dsa.operator_distances(ops, cfg)
    t_pairs = time.perf_counter() - t0
    mats = list(ops.values())
    rng = np.random.default_rng(args.seed + 1)
    i = rng.integers(0, p, size=args.loop_pairs)
    j = (i + rng.integers(1, p, size=args.loop_pairs)) % p
    t0 = time.perf_counter()
    loop = [dsa.operator_distances([mats[a], mats[b]], cfg).values[0, 1] for a, b in zip(i, j)]
    t_loop = (time.perf_counter() - t0) / args.loop_pairs
    err = max(abs(v - d.values[a, b]) for v, a, b in zip(loop, i, j))
    scale_pairs = args.target * (args.target - 1) / 2 / n_pairs
    print()
    print(f"{'phase':40s} {'P=' + str(p):>10s} {'per unit':>12s} {'P=' + str(args.target):>12s}")
    print(f"{'fit operators (per network)':40s} {t_fit:9.1f}s {1e3 * t_fit / p:9.1f} ms {t_fit * args.target / p / 3600:10.2f} h")
    print(f"{'align all pairs, batched':40s} {t_pairs:9.1f}s {1e3 * t_pairs / n_pairs:9.2f} ms "
          f"{t_pairs * scale_pairs / 3600:10.2f} h")
    print(f"{'align pair by pair (loop)':40s} {t_loop * n_pairs:9.1f}s {1e3 * t_loop:9.2f} ms "
          f"{t_loop * n_pairs * scale_pairs / 3600:10.2f} h")
    if args.baseline_rev:
        base = load_revision(args.baseline_rev)
        bcfg = base.DSAConfig()
        base.operator_distances([np.eye(bcfg.rank), 0.5 * np.eye(bcfg.rank)], bcfg)  # warm-up
        t0 = time.perf_counter()
        d_base = base.operator_distances(ops, bcfg)
        t_base = time.perf_counter() - t0
        print(f"{'align all pairs, batched, ' + args.baseline_rev:40s} {t_base:9.1f}s {1e3 * t_base / n_pairs:9.2f} ms "
              f"{t_base * scale_pairs / 3600:10.2f} h")
    print()
    if args.baseline_rev:
        print(f"this revision / {args.baseline_rev}, all pairs, measured in this run: {t_pairs / t_base:.2f}x the time "
              f"(baseline: {bcfg}; its score is {bcfg.score!r}, so distances are not compared)")
    print(f"batched / loop, measured in this run: {t_loop * n_pairs / t_pairs:.1f}x faster "
          f"({args.loop_pairs} random pairs timed alone; max |difference| {err:.1e})")


if __name__ == "__main__":
    main()
