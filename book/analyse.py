# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Analyse your own network
#
# This page measures **one network that is not part of the paper** -- yours, or a small
# Keras GRU the page trains itself -- the way the book measures its own populations, and
# shows where it falls among the book's 3-bit flip-flop networks in Figs. 1d and 1f.
# Nothing here reproduces a result of the paper: the paper's networks were never compared
# with this one. What the page does is apply the paper's two readings to a new network.
# Of a representative flip-flop network (Section 3.1):
#
# > The network solves the task by encoding all 2^3 possible outputs as 8 stable fixed
# > points. Furthermore, there are saddle points with one, two, or three unstable dimensions
# > (see caption), which route the network activity towards the appropriate stable fixed
# > point for a given input.
#
# And of every task (the abstract):
#
# > Moreover, we find that while the geometry of neural dynamics can vary greatly across
# > architectures, the underlying computational scaffold—the topological structure of fixed
# > points, transitions between them, limit cycles, and linearized dynamics—often appears
# > universal across all architectures.
#
# If the scaffold is universal, a network of any architecture that solves the task should
# have the cube's fixed points and sit among the reference networks in the topology MDS
# (Fig. 1f), whatever its place in the SVCCA MDS (Fig. 1d). The page prints what it finds
# for this network; it does not judge the paper's claims (the figure pages do, on the
# book's populations).
#
# **Your network.** Save a single-layer recurrent network with a linear readout, trained on
# the 3-bit flip-flop (3 inputs, 3 outputs), as a Keras model (`model.save("mine.keras")`:
# `SimpleRNN`, `GRU` with either `reset_after`, or `LSTM`, then `Dense`) or as a PyTorch
# state dict in an `.npz` (`numpy.savez("mine.npz", **{k: v.numpy() for k, v in
# net.state_dict().items()})`: `nn.RNN`, `nn.GRU` or `nn.LSTM`, then `nn.Linear`), and run
#
# ```
# universality page analyse -p model_path mine.keras
# ```
#
# (or `universality analyse mine.keras` for the same report without the page). With no
# `model_path`, the page trains a small Keras GRU (`reset_after=True`, the Keras default,
# an architecture the book's populations do not have) on the reference's task, with the
# reference profile's training settings.

# %% tags=["remove-output"]
# NBVAL_IGNORE_OUTPUT
import dataclasses
from pathlib import Path

import numpy as np
from universality.notebooks import start_tensorflow
tf = start_tensorflow()  # TensorFlow's and XLA's start-up logs land in this cell, which nbval ignores
import keras
import matplotlib.pyplot as plt
import pandas as pd

from universality import analysis, importers, pages, plotting, report
from universality.errors import DataError, ParameterError

plotting.setup()
tf.get_logger().setLevel("ERROR")

# %% tags=["parameters"]
profile: str = "book"  # reference population the network is placed among: 'smoke', 'book' or 'paper'
data_root: str = ""  # root of the store of the reference networks ("" means the repository data folder)
model_path: str = ""  # your saved model (.keras, .h5, or a PyTorch state dict as .npz); "" trains a Keras GRU here
torch_nonlinearity: str = ""  # 'tanh' or 'relu' for a PyTorch nn.RNN state dict ("" for any other model)
n_units: int = 32  # units of the Keras GRU trained here (not used with model_path)
iterations: int = 0  # training iterations of that GRU (0 means as many as the profile trains its own networks)
n_trials: int = 64  # random task trials whose hidden states are compared (SVCCA, CKA, Procrustes, DSA)
variance_kept: float = 0.95  # SVCCA keeps the top PCs that explain this fraction of the variance
dsa: bool = False  # also place it by DSA (refits every reference network's operator: minutes with 'book')
seed: int = 0  # seed of the GRU's initial weights and training trials, and of the compared trials

# %%
pages.check(profile=profile, data_root=data_root, model_path=model_path, torch_nonlinearity=torch_nonlinearity,
            n_units=n_units, iterations=iterations, n_trials=n_trials, variance_kept=variance_kept, dsa=dsa,
            seed=seed)
prof = pages.page_profile(profile, "flipflop")
task = prof.task("flipflop")
if model_path:  # a missing file or a model the importers do not support stops here, named
    try:
        mine = importers.load_model(model_path, torch_nonlinearity or None)
    except (DataError, ParameterError) as e:
        raise type(e)(f"model_path={model_path!r}: {e}") from None
    if (mine.spec.n_inputs, mine.spec.n_outputs) != (task.n_inputs, task.n_outputs):
        raise ParameterError(f"model_path={model_path!r}: the model has {mine.spec.n_inputs} inputs and "
                             f"{mine.spec.n_outputs} outputs; the {task.n_bits}-bit flip-flop has {task.n_inputs} "
                             f"and {task.n_outputs}")
reference = pages.population_for_page(prof, "flipflop", root=data_root)
print(f"reference: profile {prof.name!r}, {task.n_bits}-bit flip-flop of {task.n_steps} steps; "
      f"{pages.describe(reference)}")

# %% [markdown]
# ## The network
#
# Without `model_path`, a Keras `GRU(n_units, reset_after=True)` with a `Dense` readout,
# trained on trials of the reference's task with the profile's batch size, optimiser,
# initial learning rate, its exponential decay and gradient-norm clip (the book trains its
# own networks with its own code, and with an L2 penalty this training leaves out). The
# training log depends on the last bits of every float32 operation, which differ from one
# CPU to the next, so nbval ignores this cell's output.

# %%
# NBVAL_IGNORE_OUTPUT
out = Path("downloads/analyse")
out.mkdir(parents=True, exist_ok=True)
if model_path:
    path = Path(model_path)
    print(f"your model: {path}")
else:
    cfg, hp = prof.train_config("flipflop"), prof.hparams_for("flipflop")
    cfg = dataclasses.replace(cfg, iterations=iterations or cfg.iterations)
    keras.utils.set_random_seed(seed)  # the initial weights
    model = keras.Sequential([keras.Input((None, task.n_inputs)),
                              keras.layers.GRU(n_units, reset_after=True, return_sequences=True),
                              keras.layers.Dense(task.n_outputs)])
    rate = keras.optimizers.schedules.ExponentialDecay(hp.learning_rate, cfg.effective_decay_steps, hp.decay_rate)
    optimiser = {"adam": lambda: keras.optimizers.Adam(rate, global_clipnorm=hp.clip),
                 "sgd_momentum": lambda: keras.optimizers.SGD(rate, momentum=hp.momentum,
                                                              global_clipnorm=hp.clip)}[cfg.optimizer]()
    model.compile(optimizer=optimiser, loss="mse", jit_compile=True)  # XLA: about a third faster on CPU
    rng = np.random.default_rng([seed, 0xA1A])  # the training trials
    losses = []
    for i in range(cfg.iterations):
        batch = task.sample(rng, cfg.batch_size)
        losses.append(float(model.train_on_batch(batch.inputs_btm, batch.targets_bto)))
    path = out / "small_gru.keras"
    model.save(path)
    print(f"trained {cfg.iterations} iterations of {cfg.optimizer}, batch {cfg.batch_size}: training MSE "
          f"{losses[0]:.3g} -> {losses[-1]:.3g}; saved as {path}")
    fig, ax = plt.subplots(figsize=(5, 2.8))
    ax.semilogy(losses, lw=0.8)
    ax.set_xlabel("iteration")
    ax.set_ylabel("training MSE")
    ax.set_title(f"the Keras GRU's training ({n_units} units)", fontsize="medium")
    fig.tight_layout()

# %% [markdown]
# The saved file is imported as a user's file is: `universality.importers.load_model`
# maps its weights onto the library's cells (the reset-after GRU is arch `gru_ra`).

# %%
net = importers.load_model(path, torch_nonlinearity or None)
name = path.stem
print(importers.describe_model(net))
if not model_path:  # the import reproduces Keras' own outputs
    probe = task.probe()
    theirs = model.predict(probe.inputs_btm, verbose=0)
    ours = net.population(task, network_id=name).outputs(probe.inputs_btm)[name]
    print(f"imported outputs equal Keras' on the probe trials to within 1e-4: "
          f"{bool(np.max(np.abs(ours - theirs)) < 1e-4)}")

# %% [markdown]
# ## Fixed points, topology and placement
#
# `universality.report.analyse` runs the study's fixed-point search on the network (the
# preset the figure pages use), lines its points up with the cube's positions, builds its
# transition graph, and places it among the reference networks under each measure. The
# reference's own results (fixed points, graphs, all-pairs distances) are read from the
# store, or computed once and stored. DSA is left out unless `dsa` is true: it refits the
# operator of every reference network on each run.

# %%
rep = report.analyse(path, "flipflop", out=out / "report", reference=reference, names=[name],
                     data_root=data_root, n_trials=n_trials, seed=seed, variance_kept=variance_kept, dynamics=dsa,
                     torch_nonlinearity=torch_nonlinearity or None)
disp = rep.display[name]
print(f"reference: {rep.reference}")
print("the reference's fixed points:")
print(rep.reference_summary.round(2).to_string(index=False))

# %% [markdown]
# The network's fixed points: how many are stable, how many saddles have 1, 2, 3 unstable
# dimensions, the largest residual q, and its validation error against the task's quality
# criterion. A perfect 3-bit flip-flop has the cube's 27 points: 8 stable corners and a
# saddle at the middle of every edge, face and at the centre. These numbers are those of
# this network, trained on this machine: another CPU trains another network (nbval ignores
# the cell).

# %%
# NBVAL_IGNORE_OUTPUT
print(rep.summary.T.to_string())
f = rep.fixed_points[name]
print(f.summary())

# %%
pop = net.population(task, network_id=name)
if len(f) and f.state_size >= 3:
    p = analysis.pca(pop.states(task.probe().inputs_btm)[name], 3)
    fig = plt.figure(figsize=(10, 4.4))
    ax = fig.add_subplot(1, 2, 1, projection="3d")
    plotting.plot_fixed_points_3d(p.project(f.h), f.n_unstable, ax=ax,
                                  title=f"{name}: fixed points (top 3 PCs of its probe trajectories)")
    plotting.plot_eigenvalues(f, ax=fig.add_subplot(1, 2, 2), title=f"eigenvalues at its {len(f)} fixed points")
    fig.tight_layout()
else:
    print(f"{name}: {len(f)} fixed points, state size {f.state_size}: nothing to draw in 3-D")

# %% [markdown]
# ## Its transition graph, against the perfect cube
#
# As on the Fig. 1 page: each point is placed at the cube position its readout is nearest
# to (`+` / `-`: the readout's sign on a channel, `0`: between), and the graph holds the
# probability of reaching each point from a small perturbation of each other. The distance
# to the ideal is the Euclidean distance from the perfect cube's graph (0: a perfect cube);
# the typical graph is the reference's medoid. The values are this network's (nbval
# ignores them).

# %%
# NBVAL_IGNORE_OUTPUT
cols = [c for c in ("topology", "compared", "distance to the ideal", "distance to the typical graph",
                    "reference's median distance to it", "note") if c in rep.topology]
print(rep.topology[cols].round(2).to_string(index=False) if len(rep.topology) else "no topology computed")

# %%
graphs = rep.graphs.get(name, {})
if "topology" in graphs:
    g, row_names, index = graphs["topology"]
    present = index >= 0
    n_unst = np.where(present, f.n_unstable[np.maximum(index, 0)], -1)
    fig, ax = plt.subplots(figsize=(7.5, 6.5))
    plotting.plot_transition_matrix(g, row_names, n_unst, ax=ax, present=present,
                                    title=f"{name}: transition graph (points lined up by cube position)")
    fig.tight_layout()
else:
    print(f"{name}: no transition graph beside the reference's")

# %% [markdown]
# ## Where it falls in Fig. 1d: representational geometry
#
# The network and the reference embedded together by MDS of their SVCCA distances: with
# matched dimensions (the book's verdict geometry: every pair keeps the same number of
# components) and keeping 95% of each network's variance (the paper's reading). The star is
# the network; the reference is coloured by architecture (left) and by activation (right).

# %%
for measure, what in (("svcca_matched", "SVCCA, matched dimensions"), ("svcca", "SVCCA keeping 95% per network")):
    if measure in rep.merged:
        fig = plotting.plot_mds_marked(rep.merged[measure], title=f"Fig. 1d with {name}: MDS of {what}")

# %% [markdown]
# ## Where it falls in Fig. 1f: fixed-point topology
#
# The same, with the distances between the lined-up transition graphs.

# %%
if "topology" in rep.merged:
    fig = plotting.plot_mds_marked(rep.merged["topology"], title=f"Fig. 1f with {name}: MDS of the topology distances")
else:
    print(f"{name} has no graph beside the reference's: no Fig. 1f placement")

# %% [markdown]
# ## Its nearest class, by each measure
#
# For each measure: the class (architecture and activation) of the nearest reference
# network (ties shared), the class most common among the nearest few, the distance to the
# nearest network, and the reference's own median nearest-neighbour distance for scale.
# Which class is nearest depends on this network's trained weights (nbval ignores the
# cell). The book's populations have no `gru_ra` network: the Keras GRU's nearest class
# cannot be its own.

# %%
# NBVAL_IGNORE_OUTPUT
if len(rep.nearest):
    k_col = [c for c in rep.nearest.columns if c.startswith("class of the")][0]
    cols = ["measure", "nearest class", "share of the tied nearest", k_col, "distance",
            "reference nn distance (median)"]
    print(rep.nearest[cols].round(3).to_string(index=False))
for n in rep.notes:
    print(f"note: {n}")

# %%
# every measure but the other ways of lining up fixed points (the paper's readout order
# compares only networks with the reference's modal number of points; see topology.csv)
measures = {m: d for m, d in rep.distances.items() if " (" not in m}
rows = {m: np.asarray(d.sel(network=disp)) for m, d in measures.items()}
classes = {m: [f"{a}-{b}" for a, b in zip(d.coords["arch_2"].values, d.coords["activation_2"].values)]
           for m, d in measures.items()}
fig = plotting.plot_distances_to_reference(rows, classes, title=f"{name}: distance to every reference network "
                                                                "(star: the nearest)")
print(f"placed among {len(reference.trained())} reference networks by: {', '.join(measures)}")

# %% [markdown]
# ## Take the report away
#
# Everything above as plain files: the report's <a href="downloads/analyse/report/index.html">index.html</a>
# (open it from disk), its CSV tables (`summary.csv`, `fixed_points_<name>.csv`,
# `topology.csv`, `nearest.csv`, `distances_<name>.csv`: the network's distance to every
# reference network under every measure) and PNG figures, in `downloads/analyse/report/`,
# and the trained Keras model, `downloads/analyse/small_gru.keras`.

# %%
# NBVAL_IGNORE_OUTPUT
print(f"wrote {len(rep.files)} files to {out / 'report'}: " + ", ".join(sorted(p.name for p in rep.files)))

# %% [markdown]
# **What this page is not.** The network analysed here was trained in the page or by you,
# not by the paper, and is compared with the book's populations, not the paper's. Its
# placement says which of the book's networks it resembles under each measure; one network
# is no test of the paper's claims.
