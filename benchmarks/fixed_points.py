"""Fixed points of P trained flip-flop networks: batched over networks vs one at a time.

For P = 1, 8, 32 networks of one spec (default vanilla/tanh, 64 units) the full
pipeline is timed -- Adam from ``n_initial`` states per network, candidate clean-up,
Levenberg-Marquardt polish, final de-duplication, Jacobians and eigendecomposition
(``fixed_points.find_cell_fixed_points``) -- once with all P networks stacked in one
graph, and once looping over the networks (P = 1 each time).  Tracing (the compiled
Adam chunk, once per process and spec, twice as shapes change) is done before timing
and reported on its own line.

Networks: the book profile's trained flip-flop networks (``data/book/flipflop``, or
``--data``); when fewer than P are available they are reused (each copy with its own
initial-state draw) and the output says so.  Without stored networks, ``--train``
trains 4 quick ones (a few minutes).  Last, the kernel ceiling: the search's core
matmul for one network versus P stacked in one batched matmul, i.e. the most that
batching over networks can buy on this machine.  Then the per-network time of one
network searched alone, warm, with today's XLA-compiled Adam chunk next to the previous
graph-mode chunk (``optimise.JIT = False``), both measured in this run, and whether they
find the same points.

First, users' networks (:func:`user_networks`): 64-unit vanilla tanh flip-flop networks
the project did not train -- one trained here by Keras (its own initialisation and Adam,
imported with ``importers.from_keras``) and one with random PyTorch-style weights given as
a state dict of numpy arrays (``importers.from_torch``) -- searched with
``find_cell_fixed_points``' default settings, cold (the first call after the compiled
programs are forgotten) and warm (best of 3): today's search of the initial states in two
fixed parts on two threads (``optimise.PARTS = 2``) against the previous single part
(``PARTS = 1``), measured in the same run, with the number of XLA compilations and of
TensorFlow retracing warnings.

    python benchmarks/fixed_points.py [--arch vanilla --activation tanh] [--sizes 1 8 32]
                                      [--data data] [--train] [--user-only] [--user-steps 600]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from universality import cells, studies  # noqa: E402
from universality import fixed_points as fp  # noqa: E402
from universality.tasks import FlipFlop  # noqa: E402


def load_networks(args):
    """(spec, list of (network_id, params), source description)."""
    from universality.population import load_population

    task = FlipFlop()
    try:
        pop = load_population("book", "flipflop", root=args.data, require_complete=False).trained()
        pop = pop.select(arch=args.arch, activation=args.activation)
        if len(pop) == 0:
            raise FileNotFoundError(f"no trained {args.arch}/{args.activation} networks")
        spec = pop.spec(pop.table.index[0])
        nets = [(nid, pop.params[nid]) for nid in pop.table.index]
        return spec, nets, f"book profile, {args.data}"
    except FileNotFoundError as e:
        if not args.train:
            raise SystemExit(f"{e}\nno stored networks: pass --train to train 4 quick ones, or --data ROOT")
    from universality.training import HParams, TrainConfig, train_population

    spec = cells.CellSpec(args.arch, args.activation, 64, task.n_inputs, task.n_outputs)
    res = train_population(task, spec, [0, 1, 2, 3], 1e-4, HParams(learning_rate=3e-3, decay_rate=0.7),
                           TrainConfig(iterations=1500, batch_size=64, optimizer="adam"))
    nets = [(f"quick-s{i}", {k: v[i] for k, v in res.params.items()}) for i in range(4) if not res.diverged[i]]
    return spec, nets, "trained here (1500 Adam iterations)"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", default="vanilla")
    ap.add_argument("--activation", default="tanh")
    ap.add_argument("--sizes", type=int, nargs="+", default=[1, 8, 32])
    ap.add_argument("--data", default="data")
    ap.add_argument("--train", action="store_true", help="train quick networks when none are stored")
    ap.add_argument("--n-initial", type=int, default=fp.FixedPointConfig.n_initial)
    ap.add_argument("--user-only", action="store_true", help="time only the users' networks")
    ap.add_argument("--user-steps", type=int, default=600, help="Keras training steps of the user's network")
    args = ap.parse_args(argv)
    user_networks(args.user_steps, args.data)
    if args.user_only:
        return None

    task = FlipFlop()
    cfg = studies.study_for("flipflop").fixed_point_config(n_initial=args.n_initial)
    spec, nets, source = load_networks(args)
    trials = task.sample(np.random.default_rng([cfg.seed, 0xF1C5]), cfg.n_trials).inputs_btm
    states = {}
    for nid, p in nets:
        stacked = {k: v[None] for k, v in p.items()}
        states[nid] = cells.run(spec, stacked, trials[None]).numpy().reshape(-1, spec.state_size)
    xc = task.conditions().inputs_cm

    print(f"# fixed points of trained flip-flop networks: batched over networks vs one at a time")
    print(f"# networks: {len(nets)} x {spec.arch}/{spec.activation}, {spec.units} units ({source})")
    print(f"# config: n_initial={cfg.n_initial}, max_iters={cfg.max_iters}, polish_iters={cfg.polish_iters}, "
          f"q_max={cfg.q_max:g}, tol_unique={cfg.tol_unique:g}")
    print(f"# machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f} at start")

    def population(n):
        chosen = [nets[i % len(nets)] for i in range(n)]
        ids = [nid if i < len(nets) else f"{nid}#copy{i // len(nets)}" for i, (nid, _) in enumerate(chosen)]
        params = cells.stack_params([p for _, p in chosen])
        st = np.stack([states[nid] for nid, _ in chosen])
        return ids, params, st

    t0 = time.perf_counter()
    for n in (1, 2):  # trace the compiled chunk for a concrete, then a general shape
        ids, params, st = population(n)
        fp.find_cell_fixed_points(spec, params, xc, st, studies.study_for("flipflop").fixed_point_config(n_initial=64, max_iters=200),
                                  network_ids=ids)
    print(f"# tracing and warm-up (once per process and spec): {time.perf_counter() - t0:.1f} s")

    print()
    print(f"{'P':>3} {'batched s':>10} {'one-by-one s':>13} {'ratio':>6} {'s/network (1by1)':>17} "
          f"{'fixed points per network (min/median/max)':>44}  note")
    rows = []
    for n in args.sizes:
        ids, params, st = population(n)
        t0 = time.perf_counter()
        batched = fp.find_cell_fixed_points(spec, params, xc, st, cfg, network_ids=ids)
        t_b = time.perf_counter() - t0
        t0 = time.perf_counter()
        alone = [fp.find_cell_fixed_points(spec, {k: v[i : i + 1] for k, v in params.items()}, xc, st[i : i + 1],
                                           cfg, network_ids=[ids[i]])[0] for i in range(n)]
        t_1 = time.perf_counter() - t0
        counts = np.array([len(f) for f in batched])
        same = all(len(a) == len(b) and np.all(a.contains(b.h, tol=1e-3)) for a, b in zip(alone, batched))
        note = f"reuses {len(nets)} networks" if n > len(nets) else ""
        note += ("; " if note else "") + ("same points batched/alone" if same else "DIFFERENT points batched/alone")
        print(f"{n:>3} {t_b:>10.1f} {t_1:>13.1f} {t_1 / t_b:>6.2f} {t_1 / n:>17.2f} "
              f"{f'{counts.min()}/{int(np.median(counts))}/{counts.max()}':>44}  {note}")
        rows.append((n, t_b, t_1))
    print()
    print("# per-network counts (P = largest):", " ".join(str(len(f)) for f in batched))
    print("# summaries:", "; ".join(sorted({f.summary() for f in batched})))
    kernel_ceiling(spec.state_size, cfg.n_initial, max(args.sizes))
    print()
    new_vs_old(spec, nets, states, xc, cfg)
    return rows


def keras_flipflop(steps: int, units: int = 64, seed: int = 0):
    """A flip-flop network trained by Keras alone (its initialisation, its Adam), ``steps``
    batches of 64 trials; returns the model."""
    import keras

    task = FlipFlop()
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((task.n_steps, task.n_inputs)),
                              keras.layers.SimpleRNN(units, return_sequences=True),
                              keras.layers.Dense(task.n_outputs)])
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="mse")
    rng = np.random.default_rng(seed)
    data = task.sample(rng, 64 * 10)
    model.fit(data.inputs_btm, data.targets_bto, batch_size=64, epochs=max(1, steps // 10), verbose=0)
    return model


def torch_style_random(units: int = 64, seed: int = 0, gain: float = 1.0):
    """A state dict like an untrained ``nn.RNN`` + ``nn.Linear`` (uniform +-1/sqrt(N)), with
    the recurrent matrix drawn N(0, gain^2 / N) so the dynamics are not trivially
    contracting; numpy arrays only."""
    rng = np.random.default_rng(seed)
    k = 1 / np.sqrt(units)
    return {"rnn.weight_ih_l0": rng.uniform(-k, k, (units, 3)),
            "rnn.weight_hh_l0": rng.standard_normal((units, units)) * gain / np.sqrt(units),
            "rnn.bias_ih_l0": rng.uniform(-k, k, units), "rnn.bias_hh_l0": rng.uniform(-k, k, units),
            "readout.weight": rng.uniform(-k, k, (3, units)), "readout.bias": rng.uniform(-k, k, 3)}


def user_networks(keras_steps: int, data_root="data", passes: int = 3):
    """Users' networks through the importers, cold and warm, today's two parts on two
    threads against the previous single part (both measured here), and a book network of
    the same spec measured the same way as the baseline (when ``data_root`` has one)."""
    import logging

    from universality import importers
    from universality.fixed_points import optimise

    warnings = []

    class Capture(logging.Handler):
        def emit(self, record):
            if "retracing" in record.getMessage():
                warnings.append(record.getMessage())

    logging.getLogger("tensorflow").addHandler(Capture())
    task = FlipFlop()
    t0 = time.perf_counter()
    nets = {}
    if keras_steps > 0:
        model = keras_flipflop(keras_steps)
        nets[f"keras-trained ({keras_steps} steps)"] = importers.from_keras(model)
    nets["torch-style random (gain 1)"] = importers.from_torch(torch_style_random(), nonlinearity="tanh")
    try:
        from universality.population import load_population

        book = load_population("book", "flipflop", root=data_root, require_complete=False).trained()
        book = book.select(arch="vanilla", activation="tanh", units=64)
        nid = book.table.index[0]
        nets[f"baseline: book network {nid}"] = importers.ImportedNetwork(
            book.spec(nid), {k: v[None] for k, v in book.params[nid].items()}, "book")
    except (FileNotFoundError, IndexError) as e:
        print(f"# no book network for the baseline ({e})")
    print(f"# users' networks (64-unit vanilla tanh, not trained by the project; prepared in "
          f"{time.perf_counter() - t0:.0f} s), find_cell_fixed_points with default settings; load average "
          f"{os.getloadavg()[0]:.1f} (cpu = this process's CPU time, less sensitive to other load):")
    trials = task.sample(np.random.default_rng(0), 64).inputs_btm
    xc = task.conditions().inputs_cm
    # one-time costs of the process (TensorFlow's and XLA's start-up) on another spec first,
    # so that neither policy's cold start below pays them
    small = cells.CellSpec("vanilla", "tanh", 8, 3, 3)
    small_params = cells.init_params(small, [0])
    fp.find_cell_fixed_points(small, small_params, xc, cells.run(small, small_params, trials[None, :8]).numpy()
                              .reshape(1, -1, 8), fp.FixedPointConfig(n_initial=64, max_iters=200))
    saved = optimise.PARTS
    today = {}
    try:
        for name, net in nets.items():
            states = cells.run(net.spec, net.params, trials[None]).numpy().reshape(1, -1, net.spec.state_size)
            res = {}
            for parts in (1, saved):  # the previous behaviour first, then today's
                optimise.PARTS = parts
                optimise.clear_compiled()
                n_warn, traced = len(warnings), optimise.compilations()
                t0, c0 = time.perf_counter(), time.process_time()
                found = fp.find_cell_fixed_points(net.spec, net.params, xc, states)[0]
                cold = (time.perf_counter() - t0, time.process_time() - c0)
                compiled = optimise.compilations() - traced
                warm = []
                for _ in range(passes):
                    t0, c0 = time.perf_counter(), time.process_time()
                    fp.find_cell_fixed_points(net.spec, net.params, xc, states)
                    warm.append((time.perf_counter() - t0, time.process_time() - c0))
                res[parts] = (cold, min(warm), compiled, len(warnings) - n_warn, found,
                              optimise.compilations() - traced - compiled)
            (c0, w0, k0, n0, f0, r0), (c1, w1, k1, n1, f1, r1) = res[1], res[saved]
            same = len(f0) == len(f1) and bool(np.all(f0.contains(f1.h, tol=1e-3)))
            print(f"#   {name}: {f1.summary()}; same points with both: {same}")
            for label, (c, w, k, n, r) in (("previous (one part)", (c0, w0, k0, n0, r0)),
                                            (f"today ({saved} parts)", (c1, w1, k1, n1, r1))):
                print(f"#     {label:<22} cold {c[0]:5.2f} s wall ({c[1]:5.2f} s cpu; {k} compilations, {n} retracing "
                      f"warnings), warm {w[0]:5.2f} s wall ({w[1]:5.2f} s cpu; {r} on repeated calls)")
            print(f"#     ratio previous / today: cold {c0[0] / c1[0]:.2f}x wall ({c0[1] / c1[1]:.2f}x cpu), "
                  f"warm {w0[0] / w1[0]:.2f}x wall ({w0[1] / w1[1]:.2f}x cpu)")
            today[name] = (c1, w1)
        base = [v for k, v in today.items() if k.startswith("baseline")]
        for name, (c, w) in today.items():
            if base and not name.startswith("baseline"):
                print(f"#   {name} / book network, today: cold {c[0] / base[0][0][0]:.2f}x wall "
                      f"({c[1] / base[0][0][1]:.2f}x cpu), warm {w[0] / base[0][1][0]:.2f}x wall "
                      f"({w[1] / base[0][1][1]:.2f}x cpu)")
    finally:
        optimise.PARTS = saved
    print()


def new_vs_old(spec, nets, states, xc, cfg, passes=3):
    """Per-network time of one network's full search, warm, today's algorithm (the
    XLA-compiled Adam chunk, ``optimise.JIT = True``) against the previous one (the
    graph-mode chunk), both measured here over the same networks, one at a time."""
    from universality.fixed_points import optimise

    def one_pass(jit):
        optimise.JIT = jit
        out, times = {}, []
        for nid, p in nets:
            t0 = time.perf_counter()
            out[nid] = fp.find_cell_fixed_points(spec, {k: v[None] for k, v in p.items()}, xc, states[nid][None],
                                                 cfg, network_ids=[nid])[0]
            times.append(time.perf_counter() - t0)
        return out, np.array(times)

    saved = optimise.JIT
    try:
        res = {}
        for jit in (True, False):
            one_pass(jit)  # warm-up: traces / compiles every shape these networks need
            best = None
            for _ in range(passes):
                out, t = one_pass(jit)
                best = t if best is None else np.minimum(best, t)
            res[jit] = (out, best)
    finally:
        optimise.JIT = saved
    (new, t_new), (old, t_old) = res[True], res[False]
    same = sum(len(new[n]) == len(old[n]) and bool(np.all(new[n].contains(old[n].h, tol=1e-3)))
               and bool(np.all(old[n].contains(new[n].h, tol=1e-3))) for n, _ in nets)
    print(f"# one network at a time, warm (best of {passes} passes per network), {len(nets)} networks "
          f"{spec.arch}/{spec.activation} {spec.units} units, n_initial={cfg.n_initial}:")
    print(f"#   today (XLA Adam chunk):        median {np.median(t_new):.2f} s/network "
          f"(min {t_new.min():.2f}, max {t_new.max():.2f})")
    print(f"#   previous (graph-mode chunk):   median {np.median(t_old):.2f} s/network "
          f"(min {t_old.min():.2f}, max {t_old.max():.2f})")
    print(f"#   ratio previous / today: {np.median(t_old) / np.median(t_new):.2f}x; same points (count, every "
          f"point within 1e-3) in {same} of {len(nets)} networks; counts today: "
          + " ".join(str(len(new[n])) for n, _ in nets))
    return t_new, t_old


def kernel_ceiling(n_units, n_states, p_max, reps=300):
    """What batching can buy at best on this machine: throughput of the search's core
    operation (an (n_states x N) by (N x N) matmul + tanh per network) for one network
    versus ``p_max`` networks stacked in one batched matmul, measured here."""
    import tensorflow as tf

    @tf.function
    def chain(a, w):
        for _ in range(20):
            a = tf.tanh(tf.matmul(a, w) * 0.01)
        return a

    rng = np.random.default_rng(0)
    out, rate = {}, {}
    for p in (1, p_max):
        a = tf.constant(rng.random((p, n_states, n_units), dtype=np.float32))
        w = tf.constant(rng.random((p, n_units, n_units), dtype=np.float32))
        chain(a, w)
        t0 = time.perf_counter()
        for _ in range(reps // 20):
            chain(a, w)
        dt = (time.perf_counter() - t0) / (reps // 20 * 20)
        out[p] = dt / p
        rate[p] = 2 * p * n_states * n_units ** 2 / dt / 1e9
        print(f"# kernel ceiling, P={p:>3}: {dt * 1e6:8.0f} us per matmul+tanh, "
              f"{2 * p * n_states * n_units ** 2 / dt / 1e9:5.1f} GFLOP/s, {dt / p * 1e6:6.1f} us per network")
    print(f"# batching {p_max} networks can speed the search's kernel by at most {out[1] / out[p_max]:.2f}x here "
          "(the rest of a step is the same per-network work)")
    return rate


if __name__ == "__main__":
    main()
