"""Training throughput against the machine's matmul ceiling, old step versus new.

For each cell at 64 units (flip-flop task, T = 100, batch 64, Adam, tanh) it prints
network-iterations per second (forward + backward + update) of

* ``old``: the original step -- GradientTape through ``cells.run`` (tf.scan), graph
  mode, one two-threaded process (``training.train_population(..., gradients="autodiff")``);
* ``new``: the default step -- the written-out BPTT of ``universality.bptt``, compiled
  with XLA -- in one two-threaded process;
* ``new x2``: the new step in two single-threaded worker processes (a Dask
  ``LocalCluster``, as ``universality train --scheduler local`` and the pages' reruns
  use), each training its own population at the same time; their iterations summed
  over the common wall-clock window;

for populations of P = 1 and P = ``--population`` networks in one graph.  Work is
counted as 3x the forward multiply-adds (x 2 FLOP), and divided by the matmul ceiling
measured in the same run by ``benchmarks/fixed_points.py``'s kernel (a 1024 x 64 by
64 x 64 matmul + tanh, one process with every core): the ``frac`` columns.  ``ratio``
is new / old, both measured here.

GPU: no GPU is lent to this project, so no GPU row is printed.  Nothing in the new step
is CPU-specific (plain TensorFlow ops, XLA); on a GPU the ``new`` column would be the
one to read, with P in the hundreds (a whole sweep group per graph) -- the two-process
column is a CPU device.  The last lines convert the paper profile's work to GPU-hours
at an assumed sustained rate.

    python benchmarks/training.py [--population 8] [--seconds 3] [--archs vanilla gru]
    python benchmarks/training.py --sine-only       # the sine curriculum: buckets against a program per length
    python benchmarks/training.py --worker-memory   # a sweep worker's malloc setting against Dask's
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

from universality import cells, training  # noqa: E402
from universality.tasks import make_task  # noqa: E402

UNITS = 64


def flops_per_iteration(arch, units, n_in, n_out, n_steps, batch):
    """Multiply-adds x 2 of one training iteration (forward ~1x, backward ~2x)."""
    g = cells.n_gates(arch)
    n = units
    per_step = 2 * batch * (n_in * g * n + n * g * n + n * n_out)
    return 3 * per_step * n_steps


def timed_rate(arch, population, seconds, gradients, start_at=None, activation="tanh", batch_size=64):
    """Network-iterations/s of the training step for one population, timed over at least
    ``seconds`` of wall clock; with ``start_at`` (a ``time.time()`` value) the timed
    window starts then, so that workers measured together run at the same time.
    Returns (rate, True if the warm-up finished before ``start_at``)."""
    task = make_task("flipflop")
    spec = cells.CellSpec(arch, activation, UNITS, task.n_inputs, task.n_outputs)
    cfg = training.TrainConfig(iterations=10**9, batch_size=batch_size, optimizer="adam")
    seeds = list(range(population))
    x, y = training._population_batch(task, seeds, 0, batch_size)
    hp = [training.HParams(learning_rate=1e-3)] * population
    tr = training._Trainer(spec, cells.init_params(spec, seeds), [1e-4] * population, hp, cfg, gradients=gradients)
    tr.step(x, y, 0)  # trace / compile
    tr.step(x, y, 1)
    on_time = True
    if start_at is not None:
        on_time = time.time() < start_at
        time.sleep(max(0.0, start_at - time.time()))
    t0 = time.time()
    n = 0
    while n < 3 or time.time() - t0 < seconds:
        tr.step(x, y, n + 2)
        n += 1
    return population * n / (time.time() - t0), on_time


def two_processes(client, arch, population, seconds, warmup=20.0):
    """Summed network-iterations/s of two single-threaded workers training at the same
    time: each builds and compiles its step, then both time the same wall-clock window."""
    start_at = time.time() + warmup
    workers = sorted(client.scheduler_info()["workers"])
    futs = [client.submit(timed_rate, arch, population, seconds, "analytic", start_at, pure=False,
                          key=f"{arch}-{population}-{w}", workers=[addr]) for w, addr in enumerate(workers)]
    res = client.gather(futs)
    return sum(r[0] for r in res), all(r[1] for r in res)


def sine_curriculum(units=64, population=2, iterations=120, arch="gru"):
    """The sine task's curriculum (trial length 20 -> 500 over the first half) for
    ``iterations`` iterations of one group: wall clock and compiled programs with the
    lengths padded to buckets (the default) and with every length compiled on its own."""
    task = make_task("sine")
    spec = cells.CellSpec(arch, "tanh", units, task.n_inputs, task.n_outputs)
    cfg = training.TrainConfig(iterations=iterations, batch_size=32, optimizer="adam", log_every=10,
                               curriculum=0.5, curriculum_start=20, valid_size=32)
    lengths = len({cfg.trial_length(i, task.n_steps) for i in range(iterations)})
    out = {}
    saved = training.CURRICULUM_BUCKETS
    try:
        for name, buckets in (("per length", 0), ("buckets", saved)):
            training.CURRICULUM_BUCKETS = buckets
            t0 = time.time()
            res = training.train_population(task, spec, list(range(population)), 1e-4,
                                            training.HParams(learning_rate=2e-3), cfg, progress=False)
            out[name] = (time.time() - t0, res.extra["programs"])
    finally:
        training.CURRICULUM_BUCKETS = saved
    return lengths, out


_WORKER_GROUP = """
import os, resource, sys, time
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
from universality import cells, training
from universality.tasks import make_task
task = make_task("sine")
spec = cells.CellSpec("gru", "tanh", 64, task.n_inputs, task.n_outputs)
cfg = training.TrainConfig(iterations=int(sys.argv[1]), batch_size=32, optimizer="adam", log_every=10, valid_size=32)
t0, r0 = time.time(), resource.getrusage(resource.RUSAGE_SELF)
res = training.train_population(task, spec, [0, 1, 2, 3] * 3, [1e-5] * 4 + [1e-4] * 4 + [1e-3] * 4,
                                training.HParams(learning_rate=2e-3), cfg, progress=False)
r1 = resource.getrusage(resource.RUSAGE_SELF)
print(time.time() - t0, r1.ru_utime - r0.ru_utime, r1.ru_stime - r0.ru_stime, float(res.valid_loss.sum()))
"""


def worker_memory_policy(iterations=40):
    """One sine group as a sweep worker trains it (12 GRU-tanh networks at 64 units, the
    three L2 values x 4 seeds, batch 32, full trials, one thread), in a fresh process
    with Dask's worker setting ``MALLOC_TRIM_THRESHOLD_=65536`` and in one without
    (the sweep's local workers, ``sweep.worker_spawn_environ``): wall, user and system
    seconds of each, and whether the two trained the same networks."""
    import subprocess

    from universality.sweep import ONE_THREAD_ENV

    out = {}
    for name, trim in (("dask default", "65536"), ("sweep workers", None)):
        env = {k: v for k, v in os.environ.items() if k != "MALLOC_TRIM_THRESHOLD_"}
        env.update(ONE_THREAD_ENV)
        if trim is not None:
            env["MALLOC_TRIM_THRESHOLD_"] = trim
        line = subprocess.run([sys.executable, "-c", _WORKER_GROUP, str(iterations)], env=env, check=True,
                              capture_output=True, text=True).stdout.strip().splitlines()[-1]
        out[name] = [float(x) for x in line.split()]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--population", type=int, default=8, help="networks in one graph for the second row")
    ap.add_argument("--seconds", type=float, default=3.0, help="timed wall clock per measurement")
    ap.add_argument("--archs", nargs="+", default=list(cells.ARCHS), choices=list(cells.ARCHS))
    ap.add_argument("--sine-only", action="store_true", help="only the sine curriculum comparison")
    ap.add_argument("--worker-memory", action="store_true",
                    help="only a sine group trained under Dask's MALLOC_TRIM_THRESHOLD_ and without it")
    ap.add_argument("--sine-iterations", type=int, default=120,
                    help="iterations of the sine curriculum comparison (the ramp covers the first half)")
    ap.add_argument("--gpu-tflops", type=float, default=20.0,
                    help="assumed sustained TFLOP/s of one modern GPU on these small matmuls (fp32)")
    args = ap.parse_args()

    from fixed_points import kernel_ceiling
    from universality.sweep import local_cluster

    if args.worker_memory:
        res = worker_memory_policy()
        print("# one sine group (12 GRU-tanh networks, 64 units, batch 32, T = 500, 40 iterations), one thread:")
        for name, (wall, user, sys_s, _) in res.items():
            print(f"#   {name:13s}: wall {wall:6.1f} s, user {user:6.1f} s, system {sys_s:5.1f} s")
        (w0, u0, s0, l0), (w1, u1, s1, l1) = res["dask default"], res["sweep workers"]
        print(f"#   ratio (Dask default / sweep workers): wall {w0 / w1:.2f}x, CPU {(u0 + s0) / (u1 + s1):.2f}x; "
              f"same validation losses: {l0 == l1}")
        return
    lengths, sine = sine_curriculum(iterations=args.sine_iterations)
    print(f"# sine curriculum, GRU-tanh 64 units, 2 networks, {args.sine_iterations} iterations "
          f"({lengths} trial lengths): wall clock (compiled programs)")
    (t_len, p_len), (t_b, p_b) = sine["per length"], sine["buckets"]
    print(f"#   every length compiled: {t_len:.1f} s ({p_len} programs); padded to "
          f"{training.CURRICULUM_BUCKETS} buckets: {t_b:.1f} s ({p_b} programs); ratio {t_len / t_b:.2f}x")
    print()
    if args.sine_only:
        return

    task = make_task("flipflop")
    print(f"# flip-flop, T={task.n_steps}, batch 64, {UNITS} units, tanh, Adam; {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f} at start")
    ceiling = kernel_ceiling(UNITS, 1024, 8, reps=300)[1]
    print(f"# ceiling (one process, every core, 1024x64 @ 64x64 + tanh): {ceiling:.1f} GFLOP/s")
    print()
    hdr = (f"{'arch':8s} {'P':>3s} {'old':>8s} {'new':>8s} {'new x2':>8s}   {'frac old':>8s} {'frac new':>8s} "
           f"{'frac x2':>8s}   {'ratio new':>9s} {'ratio x2':>8s}")
    print("# network-iterations / s; frac = GFLOP/s / ceiling; ratio = / old")
    print(hdr)
    with local_cluster(2) as client:
        for arch in args.archs:
            gflop = flops_per_iteration(arch, UNITS, task.n_inputs, task.n_outputs, task.n_steps, 64) / 1e9
            for p in (1, args.population):
                old = timed_rate(arch, p, args.seconds, "autodiff")[0]
                new = timed_rate(arch, p, args.seconds, "analytic")[0]
                two, on_time = two_processes(client, arch, p, args.seconds)
                f = [r * gflop / ceiling for r in (old, new, two)]
                print(f"{arch:8s} {p:3d} {old:8.1f} {new:8.1f} {two:8.1f}   {f[0]:8.2f} {f[1]:8.2f} {f[2]:8.2f}   "
                      f"{new / old:8.2f}x {two / old:7.2f}x" + ("" if on_time else "  (a worker's warm-up overran)"),
                      flush=True)

    # The paper profile: 3 tasks x (4 archs x 2 act x 3 sizes x 4 L2) x 30 seeds x 20k iters.
    print()
    total = 0.0
    for name in ("flipflop", "sine", "cdi"):
        t = make_task(name)
        sub = 0.0
        for arch in cells.ARCHS:
            for units in (64, 128, 256):
                f = flops_per_iteration(arch, units, t.n_inputs, t.n_outputs, t.n_steps, 64)
                sub += f * 2 * 4 * 30 * 20_000  # activations x L2 x seeds x iterations
        total += sub
        print(f"# paper profile, {name:8s}: {sub:.3e} FLOP")
    hours = total / (args.gpu_tflops * 1e12) / 3600
    print(f"# paper profile, all tasks: {total:.3e} FLOP (random search not included)")
    print(f"# at {args.gpu_tflops:g} TFLOP/s sustained on one GPU: {hours:.1f} GPU-hours "
          f"(small per-step matmuls rarely sustain peak; at 10% of that rate: {hours * 10:.0f} GPU-hours)")


if __name__ == "__main__":
    main()
