"""Generate ``dsa_reference.npz``: DSA computed once by dsa-metric, the method's reference.

dsa-metric is Ostrow, Eisen, Kozachkov and Fiete's package (``pip install dsa-metric``,
imported as ``DSA``); it needs torch, so it lives in a venv of its own, never in the
project's.  Two steps, run from the repo root:

1. ``PYTHONPATH=lib python tests/data/make_dsa_fixture.py states`` (the project's venv):
   the hidden states ``h`` of the 8 smoke flip-flop networks (``data/smoke``, one per
   architecture x activation, 16 units) on 8 of the smoke task's trials (40 steps) drawn
   from ``numpy.random.default_rng(0)``, stored as float32 (8 x 31 = 248 delay vectors
   of 160 dimensions: dsa-metric needs at least as many rows as columns).
2. ``python tests/data/make_dsa_fixture.py reference`` (the venv with dsa-metric):
   ``DSA.DSA(states, n_delays=10, delay_interval=1, rank=10, score_method='angular',
   iters=1500, lr=5e-3)`` -- the flip-flop preset of the book, dsa-metric's default
   optimiser settings and its angular score -- adds the distance matrix, each network's
   operator ``A_v`` (after dsa-metric scaled it to unit norm in place) and the versions.

Made with dsa-metric 2.0.2 (``DSA.__version__`` says 2.0.0), torch 2.13.0+cpu, numpy
2.4.6 on CPU; ``torch.manual_seed(0)`` (dsa-metric's alignment network is initialised at
random).  No pickle: plain arrays and strings.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

OUT = Path(__file__).parent / "dsa_reference.npz"
N_TRIALS = 8
SETTINGS = {"n_delays": 10, "delay_interval": 1, "rank": 10}


def states():
    from universality import analysis
    from universality.population import load_population

    pop = load_population("smoke", "flipflop", root=Path(__file__).parents[2] / "data")
    tab = pop.table.sort_values(["arch", "activation"])
    trials = pop.task.sample(np.random.default_rng(0), N_TRIALS).inputs_btm
    hs = analysis.hidden(pop, trials)
    x = np.stack([hs[i] for i in tab.index]).astype(np.float32)
    np.savez_compressed(OUT, states=x, network_id=np.array(tab.index, dtype=str))
    print(f"{OUT}: states {x.shape}")


def reference():
    import DSA
    import torch
    from importlib.metadata import version

    with np.load(OUT, allow_pickle=False) as z:
        data = {k: z[k] for k in z.files}
    torch.manual_seed(0)
    model = DSA.DSA([s for s in data["states"]], score_method="angular", iters=1500, lr=5e-3, **SETTINGS)
    dist = np.asarray(model.fit_score(), np.float64)
    ops = np.stack([d.A_v.numpy() for d in model.dmds[0]]).astype(np.float64)
    data.update(distances=dist, operators=ops, **{k: np.array(v) for k, v in SETTINGS.items()},
                versions=np.array(f"dsa-metric {version('dsa-metric')}, torch {torch.__version__}, "
                                  f"numpy {np.__version__}"))
    np.savez_compressed(OUT, **data)
    print(f"{OUT}: distances {dist.shape}, {data['versions']}")


if __name__ == "__main__":
    steps = {"states": states, "reference": reference}
    if len(sys.argv) != 2 or sys.argv[1] not in steps:
        raise SystemExit(f"usage: make_dsa_fixture.py {{{'|'.join(steps)}}}")
    steps[sys.argv[1]]()
