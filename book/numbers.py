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
from universality.notebooks import start_tensorflow
tf = start_tensorflow()  # TensorFlow's and XLA's start-up logs land in this cell, which nbval ignores
import matplotlib.pyplot as plt
import pandas as pd

from universality import evidence, pages, plotting

plotting.setup()
tf.get_logger().setLevel("ERROR")

# %% tags=["parameters"]
profile: str = "book"  # population profile: 'smoke', 'book' or 'paper'
data_root: str = ""  # root of the store of trained networks ("" means the repository data folder)
tasks: list = ["flipflop", "sine", "cdi"]  # tasks to test
n_seeds: int = 0  # seeds per arch x activation (0 means all the profile has)
n_trials: int = 64  # random task trials whose hidden states are compared (sine: half as many)
n_permutations: int = 1000  # label shuffles of each permutation test
seed: int = 0  # seed of the trials and of the permutation tests

# %%
pages.check(profile=profile, data_root=data_root, tasks=tasks, n_seeds=n_seeds, n_trials=n_trials,
             n_permutations=n_permutations, seed=seed)
pops = {t: pages.population_for_page(pages.page_profile(profile, t, n_seeds=n_seeds), t, root=data_root)
        for t in tasks}
for t, pop in pops.items():
    print(f"{t}: {pages.describe(pop)}")

# %%
found = {}
for t, pop in pops.items():
    ev = evidence.gather(pop, metrics=("svcca", "svcca_matched", "cka"), n_trials=n_trials, seed=seed,
                         n_permutations=n_permutations)
    found[t] = ev
    print(ev.topology.summary())
table = pd.concat({t: ev.clustering for t, ev in found.items()}, names=["task"])
cols = ["n", "nn_accuracy", "chance", "nn_effect", "nn_low", "nn_high", "decision", "n_to_decide", "p_value",
        "silhouette", "n_tied", "note"]
table[cols].round(3)

# %% [markdown]
# ## At a glance
#
# Nearest-neighbour accuracy above chance, per task and distance (bars), with its 95%
# bootstrap interval (error bars; dotted: the margin under which an interval shows no
# clustering): on every network, and on the paper's panel subsets.

# %%
fig = plotting.plot_clustering_bars(table, "all")

# %%
fig = plotting.plot_clustering_bars(table, "panel")

# %% [markdown]
# ## Result

# %%
for (t, dname, label, which), r in table.iterrows():
    if r.decision == "not computed":
        print(f"{t:>8} {dname:>26} by {label:<10} ({which}): {r.note}")
        continue
    more = f" ({r.note})" if r.note else ""
    if r.decision == "inconclusive" and np.isfinite(r.n_to_decide):
        more += f" (about {int(np.ceil(r.n_to_decide))} networks would decide it)"
    print(f"{t:>8} {dname:>26} by {label:<10} ({which:>5}, n={int(r.n):>3}): accuracy {r.nn_accuracy:.2f} vs "
          f"chance {r.chance:.2f}, effect {r.nn_effect:+.2f} [{r.nn_low:+.2f}, {r.nn_high:+.2f}] -> {r.decision}{more}")

# %% [markdown]
# **Reading the table.** The effect is the nearest-neighbour accuracy minus chance, with a
# 95% bootstrap interval over networks (`universality.effects`). "Clusters": the interval
# is above 0 and the permutation test rejects (p < 0.05); where the two disagree, or the
# interval has zero width, the reading is inconclusive (a hub network decides every
# resample's nearest neighbours; `note` says so). "Does not cluster": the interval is below the margin fixed in the library
# before any run (0.10: at most one network in ten more often next to its own class than
# chance would put it) -- absence shown, not assumed. "Inconclusive": neither, with the
# number of networks at which the interval would have decided; failing to find an effect
# at a few dozen networks is not evidence of absence. Ties (`n_tied`, networks with several equally near
# neighbours) are averaged over, so the table does not depend on the order of the networks.
# Under the flip-flop transition graphs, two distances closer than the change two perturbations'
# outcomes can make (2 sqrt(2) / 100 with 100 runs per point) tie as well: a run started near
# a basin boundary can end on either side when the last bits change, so the measure does not
# resolve them.
# The sine and CDI topology distances compare nearest-neighbour graphs over points on a
# curve; such graphs coincide for many networks, which is why they tie so often. The
# claims these numbers decide are judged on {doc}`scorecard`.
