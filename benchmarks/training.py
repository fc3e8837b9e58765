"""Training throughput: one network at a time versus a population-batched graph.

Prints network-iterations per second (forward + backward + SGD-momentum update, batch
64, the flip-flop task, T = 100) for each architecture at 64 and 128 units, stepping
one network at a time (P separate graphs) and P networks stacked in one graph, and the
ratio of the two measured in the same run.  Then it counts the floating-point work of
the paper profile (3 tasks x 96 configurations x 30 seeds x 20,000 iterations) and
converts it to GPU-hours at an assumed sustained rate.

    python benchmarks/training.py [--population 8] [--repeats 20] [--units 64 128]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from universality import cells, training
from universality.tasks import make_task


def _time_steps(trainer, x, y, repeats):
    trainer.step(x, y, 0)  # trace + warm up
    trainer.step(x, y, 1)
    t0 = time.perf_counter()
    for i in range(repeats):
        trainer.step(x, y, i + 2)
    return (time.perf_counter() - t0) / repeats


def throughput(task, arch, activation, units, population, repeats, batch_size=64):
    """(one-at-a-time, batched) network-iterations per second."""
    spec = cells.CellSpec(arch, activation, units, task.n_inputs, task.n_outputs)
    cfg = training.TrainConfig(iterations=repeats + 2, batch_size=batch_size)
    seeds = list(range(population))
    x, y = training._population_batch(task, seeds, 0, batch_size)
    hp = [training.HParams(learning_rate=1e-3)] * population
    one = training._Trainer(spec, cells.init_params(spec, seeds[:1]), [1e-4], hp[:1], cfg)
    t_one = _time_steps(one, x[:1], y[:1], repeats)
    many = training._Trainer(spec, cells.init_params(spec, seeds), [1e-4] * population, hp, cfg)
    t_many = _time_steps(many, x, y, max(2, repeats // 2))
    return 1.0 / t_one, population / t_many


def flops_per_iteration(arch, units, n_in, n_out, n_steps, batch):
    """Multiply-adds x 2 of one training iteration (forward ~1x, backward ~2x)."""
    g = cells.n_gates(arch)
    n = units
    per_step = 2 * batch * (n_in * g * n + n * g * n + n * n_out)
    return 3 * per_step * n_steps


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--population", type=int, default=8, help="networks stacked in the batched graph")
    ap.add_argument("--repeats", type=int, default=20, help="timed iterations for one network")
    ap.add_argument("--units", type=int, nargs="+", default=[64, 128])
    ap.add_argument("--archs", nargs="+", default=list(cells.ARCHS))
    ap.add_argument("--gpu-tflops", type=float, default=20.0,
                    help="assumed sustained TFLOP/s of one modern GPU on these small matmuls (fp32)")
    args = ap.parse_args()

    task = make_task("flipflop")
    print(f"flip-flop task, T={task.n_steps}, batch 64, tanh; P={args.population} networks in the batched graph")
    print(f"{'arch':8s} {'units':>5s} {'one-at-a-time':>15s} {'batched':>12s} {'ratio':>7s}   (network-iterations / s)")
    for units in args.units:
        for arch in args.archs:
            one, many = throughput(task, arch, "tanh", units, args.population, args.repeats)
            print(f"{arch:8s} {units:5d} {one:15.1f} {many:12.1f} {many / one:7.2f}x")

    # The paper profile: 3 tasks x (4 archs x 2 act x 3 sizes x 4 L2) x 30 seeds x 20k iters.
    tasks = {name: make_task(name) for name in ("flipflop", "sine", "cdi")}
    total = 0.0
    for name, t in tasks.items():
        sub = 0.0
        for arch in cells.ARCHS:
            for units in (64, 128, 256):
                f = flops_per_iteration(arch, units, t.n_inputs, t.n_outputs, t.n_steps, 64)
                sub += f * 2 * 4 * 30 * 20_000  # activations x L2 x seeds x iterations
        total += sub
        print(f"paper profile, {name:8s}: {sub:.3e} FLOP")
    hours = total / (args.gpu_tflops * 1e12) / 3600
    print(f"paper profile, all tasks: {total:.3e} FLOP (random search not included)")
    print(f"at {args.gpu_tflops:g} TFLOP/s sustained on one GPU: {hours:.1f} GPU-hours "
          f"(small per-step matmuls rarely sustain peak; at 10% of that rate: {hours * 10:.0f} GPU-hours)")


if __name__ == "__main__":
    main()
