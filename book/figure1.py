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
# # Figure 1: the 3-bit flip-flop
#
# **The paper's claim** (Section 3.1): networks of different architectures trained on the
# flip-flop task have different representational geometry (SVCCA clusters them by
# architecture and activation), yet the same fixed-point topology: 8 stable points at the
# corners of a cube, one per output pattern, joined by saddles, and the same transition
# graph between them, whatever the architecture.
#
# Panels: **b** state trajectories on probe inputs, one network per architecture;
# **c** the SVCCA distance matrix of the population; **d** its MDS embedding, coloured by
# architecture (tanh networks) and by activation (Vanilla networks); **e** one network's
# fixed points, coloured by their number of unstable dimensions, with the heteroclinic
# orbits between them, and its transition graph; **f** MDS of the topology distances,
# laid out like **d**.

# %% tags=["remove-output"]
# NBVAL_IGNORE_OUTPUT
import numpy as np
import tensorflow as tf  # noqa: F401  (its start-up log is ignored by nbval)
import matplotlib.pyplot as plt

from universality import analysis, pages, plotting, topology

plotting.setup()
tf.get_logger().setLevel("ERROR")  # no retracing notices in the page

# %% tags=["parameters"]
profile: str = "book"  # population profile: 'smoke', 'book' or 'paper'
data_root: str = ""  # root of the store of trained networks ("" means the repository data folder)
retrain: bool = False  # True: train the networks afresh (into data/_retrained) instead of loading them
n_seeds: int = 0  # seeds per arch x activation (0 means all the profile has)
n_bits: int = 3  # K, the number of flip-flop channels (the paper: 3)
n_trials: int = 64  # random task trials whose hidden states are compared by SVCCA
variance_kept: float = 0.95  # SVCCA keeps the top PCs that explain this fraction of the variance
n_perturbations: int = 100  # perturbation runs from each fixed point for the transition graphs
example_arch: str = "gru"  # architecture of the network shown in panel e
seed: int = 0  # seed of the trials and of the permutation tests

# %%
pages.check_page_params(profile=profile, n_seeds=n_seeds or None, seed=seed, archs=[example_arch],
                        n_bits=n_bits, n_trials=n_trials, variance_kept=variance_kept,
                        n_perturbations=n_perturbations)
pages.check_fraction("variance_kept", variance_kept)
prof = pages.page_profile(profile, "flipflop", {"n_bits": n_bits}, n_seeds=n_seeds or None)
pop = pages.population_for_page(prof, "flipflop", root=data_root, retrain=retrain).trained()
task = pop.task
print(f"profile {prof.name!r}: {len(pop)} trained networks, K={task.n_bits}")

# %% [markdown]
# ## b: trajectories on probe inputs
#
# Each network runs on the same probe trials; its hidden states are projected on their
# own top three principal components. One tanh network per architecture.

# %%
probe = task.probe()
examples = pop.table[(pop.table.activation == "tanh")].drop_duplicates("arch")
hs = analysis.hidden(pop, probe.inputs_btm)
trajs = {}
for nid, row in examples.iterrows():
    p = analysis.pca(hs[nid], 3)
    trajs[f"{plotting.ARCH_LABELS[row.arch]} {row.activation}"] = p.project(hs[nid])
fig = plotting.plot_trajectories(trajs, title="Fig. 1b: probe trajectories (top 3 PCs of each network)")

# %% [markdown]
# ## c, d: representational geometry (SVCCA)

# %%
trials = task.sample(np.random.default_rng(seed), n_trials).inputs_btm
dist = analysis.geometry(pop, trials, metrics=("svcca",), variance_kept=variance_kept)["svcca"]
fig = plotting.plot_distance_matrix(dist, title="Fig. 1c: SVCCA distance", label="SVCCA distance")

# %%
fig = plotting.plot_mds_pair(dist, title="Fig. 1d: MDS of the SVCCA distances")

# %% [markdown]
# ## e: fixed points and the transition graph of one network

# %%
fps = analysis.fixed_points(pop)
topo = analysis.flipflop_topology(pop, fps, topology.TopologyConfig(n_perturbations=n_perturbations, seed=seed))
counts = topo.counts
print(f"modal fixed-point count: {topo.modal_count}; networks with it: {len(topo.graphs)}/{len(counts)} "
      f"= {topo.fraction_modal:.0%}; set aside: {len(topo.set_aside)}")

# %%
kept = [i for i in pop.table.index if i in topo.graphs]
choice = ([i for i in kept if pop.table.arch[i] == example_arch and pop.table.activation[i] == "tanh"]
          or [i for i in kept if pop.table.arch[i] == example_arch] or kept)
nid = choice[0]
f = topo.fixed_points[nid]
print(f"{nid}: {f.summary()}")
spec = pop.spec(nid)
runs = topology.heteroclinic_trajectories(spec, pop.params[nid], f, n_perturbations=6, n_steps=200,
                                          scale=0.05, seed=seed)
h_probe = pop.states(probe.inputs_btm)[nid]
p = analysis.pca(h_probe, 3)
fig = plt.figure(figsize=(7.5, 12))  # one panel above the other: readable at book width
ax = fig.add_subplot(2, 1, 1, projection="3d")
plotting.plot_fixed_points_3d(p.project(f.h), f.n_unstable, p.project(runs), ax=ax,
                              title=f"Fig. 1e: fixed points of {nid}")
ax2 = fig.add_subplot(2, 1, 2)
plotting.plot_transition_matrix(topo.graphs[nid], f.outputs, f.n_unstable, ax=ax2, title="transition graph")
fig.tight_layout()

# %% [markdown]
# ## f: MDS of the topology distances
#
# The distance between two networks is the Euclidean distance between their transition
# matrices (fixed points in the same readout order); networks with a non-modal number of
# fixed points are set aside.

# %%
tdist = topo.distances
fig = plotting.plot_mds_pair(tdist, title="Fig. 1f: MDS of the fixed-point topology distances")

# %% [markdown]
# ## Result in numbers
#
# Leave-one-out nearest-neighbour accuracy of each label under each distance, against
# its chance level (a permutation p-value below 0.05 means the label explains the
# geometry better than chance). Universality predicts high accuracy for SVCCA and chance
# for topology.

# %%
stats = analysis.clustering_table({"svcca": dist, "topology": tdist}, n_permutations=1000, seed=seed)
stats.round(2)

# %%
for (d, label), r in stats.iterrows():
    print(f"{d:>8} by {label:<10}: nn accuracy {r.nn_accuracy:.2f} (chance {r.chance:.2f}), p = {r.p_value:.3f}")
stable = {k: int(v.is_stable.sum()) for k, v in fps.items()}
print(f"stable fixed points per network: modal {max(set(stable.values()), key=list(stable.values()).count)} "
      f"(expected 2^K = {2 ** task.n_bits})")

# %% [markdown]
# **The paper**: SVCCA MDS separates architectures and activations (Fig. 1d), while
# every network has 8 stable fixed points and the topology MDS shows no structure by
# architecture (Fig. 1f); over 90% of the networks share the modal fixed-point count.
#
# **Where we differ**: the population is the book profile (4 seeds per arch x activation,
# 64 units, one L2; see the introduction), so every MDS has 32 points instead of
# hundreds, and the permutation tests have correspondingly less power.
