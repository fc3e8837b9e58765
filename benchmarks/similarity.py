"""All-pairs SVCCA, CKA and the Procrustes shape metric: batched blocks versus per-pair loops.

Synthetic population: P networks on the same ``samples`` inputs, each a shared 10-D
latent trajectory (with a decaying spectrum) mixed into ``units`` units by a random
per-network map, plus small isotropic noise.  Stored as float32, as trained networks'
hidden states would be.

Timed, in one run:

* batched (``similarity.pairwise_distances``) for all P(P-1)/2 pairs, split into the
  per-network phase (reductions / centring, ~P) and the pair phase (~P^2);
* per-pair loops on a random subset of pairs, scaled up to all pairs (per-pair time x
  P(P-1)/2, plus the cached reductions where the loop reuses them):
  SVCCA with the two reductions (PCA) inside each pair; SVCCA with cached orthonormal
  bases (``Q_i^T Q_j`` + one small SVD per pair: the best a loop can do); SVCCA with
  cached reduced data ``Xc V_k`` (QR of both sides per pair); CKA recentring inside each
  pair; CKA with cached centred data; Procrustes (angular, alpha = 1, top PCs covering
  99% of the variance) with each network prepared once and a per-pair nuclear norm;
* extrapolation to P = 2,880 (the paper's population per task): per-network phases
  scale as P, pair phases as P^2.

The loop results are checked against the batched matrix on the timed pairs.

    python benchmarks/similarity.py [--n-networks 200 --units 128 --samples 3000]
                                    [--threads 1] [--target 2880]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from universality import similarity


def make_population(n_networks, samples, units, latent=10, noise=0.1, seed=0):
    """(P, samples, units) float32: Z_shared M_i + noise, Z with a decaying spectrum."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((samples, latent)) / np.sqrt(np.arange(1, latent + 1))
    out = np.empty((n_networks, samples, units), dtype=np.float32)
    for i in range(n_networks):
        m = rng.standard_normal((latent, units)) / np.sqrt(latent)
        out[i] = np.tanh(z @ m + noise * rng.standard_normal((samples, units)))
    return out


def centre_and_norm(x):
    """CKA's per-network work: centred float64 data and ||Xc^T Xc||_F."""
    xc = np.asarray(x, dtype=np.float64)
    xc = xc - xc.mean(axis=0)
    return xc, np.linalg.norm(xc.T @ xc)


def _timed(f):
    t0 = time.perf_counter()
    out = f()
    return time.perf_counter() - t0, out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n-networks", type=int, default=200)
    ap.add_argument("--units", type=int, default=128)
    ap.add_argument("--samples", type=int, default=3000)
    ap.add_argument("--loop-pairs", type=int, default=2000, help="pairs timed in the cached loops")
    ap.add_argument("--svd-loop-pairs", type=int, default=40, help="pairs timed in the uncached loops")
    ap.add_argument("--target", type=int, default=2880, help="population size to extrapolate to")
    ap.add_argument(
        "--threads",
        type=int,
        default=1,
        help="BLAS threads via threadpoolctl (default 1: per-core figures, robust on a shared "
        "machine, where oversubscribed BLAS threads can be 100x slower; 0 = library default)",
    )
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    if args.threads:
        threadpool_limits(limits=args.threads, user_api="blas")

    blas = [f"{i['internal_api']} x{i['num_threads']}" for i in threadpool_info() if i["user_api"] == "blas"]
    p, n = args.n_networks, args.samples
    n_pairs = p * (p - 1) // 2
    reps = make_population(p, n, args.units, seed=args.seed)
    print(
        f"P={p} networks, {n} samples, {args.units} units (float32 input); "
        f"{os.cpu_count()} CPUs, BLAS {', '.join(blas)}; {platform.processor() or platform.machine()}; "
        f"load average {os.getloadavg()[0]:.1f}"
    )

    # ---- batched (after a warm-up call: the first one pays xarray's lazy imports)
    for metric in similarity.METRICS:
        similarity.pairwise_distances(reps[:3, :100], metric, progress=False)
    t_red, reduced = _timed(lambda: [similarity.reduce(x) for x in reps])
    ks = np.array([r.n_kept for r in reduced])
    print(f"kept dimensions (95% variance): median {int(np.median(ks))}, range {ks.min()}-{ks.max()}")
    t_svcca, d_svcca = _timed(lambda: similarity.pairwise_distances(reps, "svcca", progress=False))
    t_centre, _ = _timed(lambda: [centre_and_norm(x) for x in reps])
    t_cka, d_cka = _timed(lambda: similarity.pairwise_distances(reps, "cka", progress=False))
    shape = similarity.Procrustes(alpha=1.0)
    t_prep, prepared = _timed(lambda: [shape.prepare(np.asarray(x, np.float64), "x") for x in reps])
    t_proc, d_proc = _timed(lambda: similarity.pairwise(shape, reps, progress=False))

    rng = np.random.default_rng(args.seed + 1)

    def sample_pairs(m):
        i = rng.integers(0, p, size=m)
        j = (i + rng.integers(1, p, size=m)) % p
        return list(zip(i.tolist(), j.tolist()))

    # ---- loops
    rows = []  # (name, pairs timed, per-network seconds (P), per-pair seconds, batched ref, check)

    def loop(name, pairs, f, per_network, ref):
        t, vals = _timed(lambda: [f(i, j) for i, j in pairs])
        err = max(abs(v - ref.values[i, j]) for (i, j), v in zip(pairs, vals))
        rows.append((name, len(pairs), per_network, t / len(pairs), err))

    few, many = sample_pairs(args.svd_loop_pairs), sample_pairs(args.loop_pairs)
    loop("SVCCA loop, reductions inside each pair", few, lambda i, j: similarity.svcca_distance(reps[i], reps[j]), 0.0, d_svcca)
    loop(
        "SVCCA loop, cached bases Q_i",
        many,
        lambda i, j: similarity.svcca_distance_reduced(reduced[i], reduced[j]),
        t_red,
        d_svcca,
    )
    used = sorted({k for pair in many for k in pair})
    reduced_data = {}  # Xc V_k, the PCA-reduced data (n x k_i)
    for k in used:
        xc = np.asarray(reps[k], dtype=np.float64)
        xc = xc - xc.mean(axis=0)
        _, _, vt = np.linalg.svd(xc, full_matrices=False)
        reduced_data[k] = xc @ vt[: reduced[k].n_kept].T

    def qr_cca(i, j):
        qa, qb = np.linalg.qr(reduced_data[i])[0], np.linalg.qr(reduced_data[j])[0]
        s = np.linalg.svd(qa.T @ qb, compute_uv=False)
        return 1.0 - np.clip(s, 0, 1).mean()

    loop("SVCCA loop, cached reduced data (QR per pair)", many, qr_cca, t_red, d_svcca)
    del reduced_data
    loop("CKA loop, centring inside each pair", few, lambda i, j: similarity.cka_distance(reps[i], reps[j]), 0.0, d_cka)
    cka_pairs = many[: max(50, len(many) // 4)]
    centred = {k: centre_and_norm(reps[k]) for k in sorted({k for pair in cka_pairs for k in pair})}

    def cached_cka(i, j):
        (xi, ni), (xj, nj) = centred[i], centred[j]
        c = xj.T @ xi
        return 1.0 - np.sum(c * c) / (ni * nj)

    loop("CKA loop, cached centred data", cka_pairs, cached_cka, t_centre, d_cka)
    del centred

    def cached_procrustes(i, j):
        c = prepared[i].columns.T @ prepared[j].columns
        return float(np.arccos(np.clip(np.linalg.svd(c, compute_uv=False).sum(), 0.0, 1.0)))

    loop("Procrustes loop, prepared once (nuclear norm per pair)", many, cached_procrustes, t_prep, d_proc)

    # ---- table
    scale_pairs = args.target * (args.target - 1) / 2 / n_pairs
    scale_net = args.target / p

    def fmt(s):
        return f"{s:9.1f} s" if s < 1e5 else f"{s / 3600:9.1f} h"

    batched = {
        "SVCCA": (t_red, t_svcca - t_red),
        "CKA": (t_centre, t_cka - t_centre),
        "Procrustes": (t_prep, t_proc - t_prep),
    }
    head = f"{'method':48s} {'timed pairs':>11s} {'P=' + str(p):>11s} {'loop/batch':>10s} {'P=' + str(args.target):>11s}  max |diff|"
    print()
    print(head)
    print("-" * len(head))
    for metric, (t_net, t_pair) in batched.items():
        total = t_net + t_pair
        extra = t_net * scale_net + t_pair * scale_pairs
        print(f"{metric + ' batched (pairwise_distances)':48s} {n_pairs:11d} {fmt(total)} {1.0:9.1f}x {fmt(extra)}")
        for name, m, t_net_loop, per_pair, err in rows:
            if not name.startswith(metric):
                continue
            total_loop = t_net_loop + per_pair * n_pairs
            extra_loop = t_net_loop * scale_net + per_pair * n_pairs * scale_pairs
            print(
                f"{name:48s} {m:11d} {fmt(total_loop)} {total_loop / total:9.1f}x {fmt(extra_loop)}  {err:.1e}"
            )
    print()
    print(
        f"Batched pair phase: SVCCA {1e6 * (t_svcca - t_red) / n_pairs:.1f} us/pair, "
        f"CKA {1e6 * (t_cka - t_centre) / n_pairs:.1f} us/pair, Procrustes {1e6 * (t_proc - t_prep) / n_pairs:.1f} "
        f"us/pair; per-network phase: "
        f"SVCCA reduce {1e3 * t_red / p:.1f} ms, CKA centre {1e3 * t_centre / p:.1f} ms."
    )
    print(
        f"Loop rows time the listed number of random pairs and scale to all {n_pairs} pairs "
        f"(plus the cached per-network phase); P={args.target} columns scale per-network "
        f"phases by {scale_net:.1f} (P) and pair phases by {scale_pairs:.0f} (P^2)."
    )


if __name__ == "__main__":
    main()
