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
# # Universality in numbers
#
# The paper reads its central claim off MDS plots: **representational geometry clusters
# by architecture (individuality), fixed-point topology does not (universality)**. This
# page turns the plots into tests. For every task and every distance between networks
# (SVCCA, CKA, fixed-point topology) it asks how well a label (architecture; activation)
# predicts a network's nearest neighbour:
#
# * **nn accuracy**: leave-one-out nearest-neighbour accuracy of the label;
# * **chance**: its expected value when the labels are shuffled;
# * **p**: permutation p-value (1,000 shuffles) of the accuracy;
# * **silhouette**: mean silhouette coefficient of the label's clusters (-1 to 1).
#
# Universality predicts accuracy near chance (large p) for topology, individuality
# predicts accuracy well above chance (small p) for SVCCA and CKA.

# %% tags=["remove-output"]
# NBVAL_IGNORE_OUTPUT
import numpy as np
import tensorflow as tf  # noqa: F401  (its start-up log is ignored by nbval)
import matplotlib.pyplot as plt
import pandas as pd

from universality import analysis, pages, plotting, topology

plotting.setup()
tf.get_logger().setLevel("ERROR")

# %% tags=["parameters"]
profile: str = "book"  # population profile: 'smoke', 'book' or 'paper'
data_root: str = ""  # root of the store of trained networks ("" means the repository data folder)
tasks: list = ["flipflop", "sine", "cdi"]  # tasks to test
n_seeds: int = 0  # seeds per arch x activation (0 means all the profile has)
n_trials: int = 64  # random task trials whose hidden states are compared
n_permutations: int = 1000  # label shuffles of each permutation test
seed: int = 0  # seed of the trials and of the permutation tests

# %%
pages.check_page_params(profile=profile, tasks=tasks, n_seeds=n_seeds or None, seed=seed, n_trials=n_trials,
                        n_permutations=n_permutations)
pops = {t: pages.population_for_page(pages.page_profile(profile, t, n_seeds=n_seeds or None), t,
                                     root=data_root).trained() for t in tasks}
for t, pop in pops.items():
    print(f"{t}: {len(pop)} trained networks")

# %%
distances = {}
for t, pop in pops.items():
    trials = pop.task.sample(np.random.default_rng(seed), n_trials).inputs_btm
    d = analysis.geometry(pop, trials, metrics=("svcca", "cka"))
    fps = analysis.fixed_points(pop)
    if t == "flipflop":
        topo = analysis.flipflop_topology(pop, fps, topology.TopologyConfig(seed=seed))
    elif t == "sine":
        topo = topology.sine_topology(pop, fps, n_conditions=len(pop.task.conditions().labels))
    else:
        topo = topology.cdi_topology(pop, fps, n_conditions=pop.task.n_contexts)
    d["topology"] = topo.distances
    distances[t] = d
    print(f"{t}: topology compares {len(topo.graphs)} of {len(topo.counts)} networks")

# %%
table = pd.concat({t: analysis.clustering_table(d, n_permutations=n_permutations, seed=seed)
                   for t, d in distances.items()}, names=["task"])
table.round(3)

# %% [markdown]
# ## At a glance
#
# Nearest-neighbour accuracy above chance, per task, distance and label (bars), with the
# permutation p-value written above each bar.

# %%
labels = ["arch", "activation"]
fig, axes = plt.subplots(1, len(labels), figsize=(9.5, 3.6), sharey=True)
colors = {"svcca": "#0072B2", "cka": "#56B4E9", "topology": "#D55E00"}
for ax, label in zip(axes, labels):
    sub = table.xs(label, level="label")
    x = np.arange(len(distances))
    for j, dname in enumerate(colors):
        vals = [sub.loc[(t, dname)] if (t, dname) in sub.index else None for t in distances]
        h = [v.nn_accuracy - v.chance if v is not None else np.nan for v in vals]
        bars = ax.bar(x + (j - 1) * 0.27, h, width=0.26, color=colors[dname], label=dname)
        for b, v in zip(bars, vals):
            if v is not None:
                ax.text(b.get_x() + b.get_width() / 2, max(b.get_height(), 0) + 0.02, f"p={v.p_value:.2g}",
                        ha="center", fontsize=6, rotation=90)
    ax.axhline(0, color="k", lw=0.6)
    ax.set_xticks(x, list(distances))
    ax.set_title(f"label: {label}")
axes[0].set_ylabel("nn accuracy - chance")
axes[0].legend(fontsize="x-small")
fig.tight_layout()

# %% [markdown]
# ## Result

# %%
for (t, dname, label), r in table.iterrows():
    verdict = "clusters" if r.p_value < 0.05 else "no evidence of clustering"
    print(f"{t:>8} {dname:>8} by {label:<10}: accuracy {r.nn_accuracy:.2f} vs chance {r.chance:.2f}, "
          f"p = {r.p_value:.3f} -> {verdict}")

# %% [markdown]
# **Reading the table.** Where SVCCA and CKA cluster by architecture with small p and the
# topology does not, the book profile reproduces the paper's claim for that task. With 4
# seeds per arch x activation (32 networks per task) a permutation test can only detect
# strong clustering; the paper's populations are 90 times larger. The topology distance
# of the sine and CDI tasks compares nearest-neighbour graphs, which are nearly identical
# across networks by construction when the fixed points lie on a curve: chance accuracy
# there is what universality predicts, and also what a coarse graph would give, so these
# rows are weaker evidence than the flip-flop row.
