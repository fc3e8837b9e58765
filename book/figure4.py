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
# # Figure 4: trained versus untrained networks
#
# **The paper's claim** (Section 3.4): part of what separates architectures in SVCCA
# geometry is there before any training. Vanilla relu and Vanilla tanh networks driven by
# the CDI inputs differ in their representations already at initialisation, and in the
# MDS of trained and untrained networks together the activation separates the networks
# at least as much as training does.
#
# Panels: **a** the representations of the probe inputs for trained and untrained
# Vanilla tanh and relu networks; **b** the SVCCA MDS of many trained and untrained
# networks.

# %% tags=["remove-output"]
# NBVAL_IGNORE_OUTPUT
import numpy as np
import tensorflow as tf  # noqa: F401  (its start-up log is ignored by nbval)
import matplotlib.pyplot as plt
import pandas as pd

from universality import analysis, embedding, pages, plotting, similarity
from universality.population import untrained_population

plotting.setup()
tf.get_logger().setLevel("ERROR")

# %% tags=["parameters"]
profile: str = "book"  # population profile of the trained networks: 'smoke', 'book' or 'paper'
data_root: str = ""  # root of the store of trained networks ("" means the repository data folder)
retrain: bool = False  # True: train the networks afresh (into data/_retrained) instead of loading them
n_seeds: int = 0  # trained seeds per activation (0 means all the profile has)
n_untrained: int = 8  # untrained networks per activation
untrained_seed: int = 1000  # first seed of the untrained networks (seeds 0 to 3 are the trained ones at init)
n_trials: int = 64  # random task trials whose hidden states are compared by SVCCA
variance_kept: float = 0.95  # SVCCA keeps the top PCs that explain this fraction of the variance
seed: int = 0  # seed of the trials and of the permutation tests

# %%
pages.check_page_params(profile=profile, n_seeds=n_seeds or None, seed=seed, n_untrained=n_untrained,
                        n_trials=n_trials, variance_kept=variance_kept)
pages.check_page_params(seed=untrained_seed)
pages.check_fraction("variance_kept", variance_kept)
prof = pages.page_profile(profile, "cdi", n_seeds=n_seeds or None, archs=["vanilla"])
trained = pages.population_for_page(prof, "cdi", root=data_root, retrain=retrain).trained()
task = trained.task
units = int(trained.table.units.iloc[0])
untrained = untrained_population(task, ["vanilla"], ["tanh", "relu"], units,
                                 range(untrained_seed, untrained_seed + n_untrained))
pop = trained.merge(untrained)
pop.table["state"] = np.where(pop.table.index.str.startswith("untrained"), "untrained", "trained")
print(f"{len(trained)} trained and {len(untrained)} untrained Vanilla networks ({units} units)")
print(pop.table.groupby(["state", "activation"]).valid_loss.median().rename("median MSE").round(3).to_string())

# %% [markdown]
# ## a: representations of the probe inputs
#
# One network of each kind on the CDI probes (blue: context 1, orange: context 2;
# lightness: the input mean mu), projected on its own top 3 principal components.

# %%
probe = task.probe()
hs = analysis.hidden(pop, probe.inputs_btm)
ctx_cmaps = [plt.get_cmap("Blues"), plt.get_cmap("Oranges")]
levels = probe.labels["mu"].to_numpy()
shade = 0.35 + 0.6 * (levels - levels.min()) / max(np.ptp(levels), 1e-9)
colors = [ctx_cmaps[c % 2](s) for c, s in zip(probe.labels["context"], shade)]
trajs = {}
for state in ("trained", "untrained"):
    for act in ("tanh", "relu"):
        rows = pop.table[(pop.table.state == state) & (pop.table.activation == act)]
        if len(rows):
            nid = rows.index[0]
            trajs[f"{state} Vanilla {act}"] = analysis.pca(hs[nid], 3).project(hs[nid])
fig = plotting.plot_trajectories(trajs, colors=colors, title="Fig. 4a: probe responses, top 3 PCs of each network")

# %% [markdown]
# ## b: SVCCA MDS of trained and untrained networks

# %%
trials = task.sample(np.random.default_rng(seed), n_trials).inputs_btm
reps = analysis.representations(pop, trials)
labels = analysis.labels_of(pop).assign(state=pop.table.state.to_numpy())
dist = similarity.pairwise_distances(reps, metric="svcca", labels=labels, variance_kept=variance_kept,
                                     progress=False)
coords = embedding.mds(dist)
fig, ax = plt.subplots(figsize=(5, 4.2))
fig = plotting.plot_mds(coords, hue="activation", style="state", ax=ax,
                  title="Fig. 4b: SVCCA MDS, trained (o) and untrained (s) Vanilla networks")

# %% [markdown]
# ## Result in numbers
#
# Mean SVCCA distance within and between the four groups, and how well each label
# (activation; trained or not) explains the distances.

# %%
print(analysis.group_mean_distances(dist, ["state", "activation"]).round(2).to_string())
stats = analysis.clustering_table({"svcca": dist}, by=("activation", "state"), seed=seed)
for (dname, label), r in stats.iterrows():
    print(f"{dname} by {label:<10}: nn accuracy {r.nn_accuracy:.2f} (chance {r.chance:.2f}), p = {r.p_value:.3f}")

# %% [markdown]
# **The paper**: untrained relu and tanh networks already occupy different regions of the
# SVCCA MDS, and trained networks stay near the untrained networks of their own
# activation (Fig. 4b).
#
# **Where we differ**: Vanilla networks only (the paper's Fig. 4 also uses Vanilla), book
# profile: 4 trained seeds per activation and `n_untrained` untrained ones.
