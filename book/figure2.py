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
# # Figure 2: the frequency-cued sine wave
#
# **The paper's claims** (Section 3.2):
#
# > These SVCCA MDS summaries show systematic differences in the representations across
# > both architecture and activation. [...] we found for each input frequency a single
# > input-dependent fixed point (Fig. 2d, left). We studied the linearized dynamics around
# > each fixed point and found a single pair of imaginary eigenvalues, representing a mildly
# > unstable oscillatory mode whose complex angle aligned well with the input frequency
# > (Fig. 2d, right). We compared the frequency of the linear model to the input frequency
# > and found generally good alignment. We averaged the linear frequency across all networks
# > within architecture or activation and found small, but systematic differences
# > (Fig. 2f). Embeddings of the topological structure of the input-dependent fixed points
# > did not reveal any structure that systematically varied by architecture or activation
# > (Fig. 2e).
#
# and, on training: "LSTM with ReLU did not train effectively, so we excluded it".
#
# Panels: **b** trajectories on probe inputs coloured by command frequency; **c** SVCCA
# MDS; **d** the fixed point of each frequency, and the eigenvalues of every
# linearisation in the complex plane with the oscillatory pair coloured by frequency;
# **e** topology MDS; **f** linearised oscillation frequency against command frequency,
# by architecture and by activation. The page ends with the claims, judged by code.

# %% tags=["remove-output"]
# NBVAL_IGNORE_OUTPUT
import numpy as np
from universality.notebooks import start_tensorflow
tf = start_tensorflow()  # TensorFlow's and XLA's start-up logs land in this cell, which nbval ignores
import matplotlib.pyplot as plt

from universality import analysis, evidence, pages, plotting

plotting.setup()
tf.get_logger().setLevel("ERROR")

# %% tags=["parameters"]
profile: str = "book"  # population profile: 'smoke', 'book' or 'paper'
data_root: str = ""  # root of the store of trained networks ("" means the repository data folder)
retrain: bool = False  # True: train the networks afresh (into data/_retrained) instead of loading them
n_seeds: int = 0  # seeds per configuration (0 means all the profile has)
archs: list = []  # architectures to include, e.g. ["gru", "lstm"] ([] means all the profile has)
activations: list = []  # activations to include ([] means all the profile has)
units: list = []  # network sizes, e.g. [128] ([] means the profile's: the book has 64 and 128; another size trains a new store)
l2: list = []  # L2 coefficients, e.g. [1e-3] ([] means the profile's; others train a new store)
omega_offset: float = 0.01  # lowest command frequency in cycles per step (the paper: 0.01)
omega_slope: float = 0.04  # width of the frequency range, cycles per step (the paper: 0.04)
n_frequencies: int = 10  # command frequencies probed and searched for fixed points, evenly spaced
n_trials: int = 64  # random task trials whose hidden states are compared by SVCCA (the sine study takes half)
variance_kept: float = 0.95  # SVCCA keeps the top PCs that explain this fraction of the variance
example_arch: str = "gru"  # architecture of the network shown in panel d
seed: int = 0  # seed of the trials and of the permutation tests

# %%
pages.check(profile=profile, data_root=data_root, retrain=retrain, n_seeds=n_seeds, archs=archs,
             activations=activations, units=units, l2=l2, omega_offset=omega_offset, omega_slope=omega_slope,
             n_frequencies=n_frequencies, n_trials=n_trials, variance_kept=variance_kept,
             example_arch=example_arch, seed=seed)
prof = pages.page_profile(profile, "sine", {"omega_offset": omega_offset, "omega_slope": omega_slope,
                                            "n_probe": n_frequencies}, n_seeds=n_seeds, archs=archs,
                          activations=activations, units=units, l2=l2)
everyone = pages.population_for_page(prof, "sine", root=data_root, retrain=retrain)
print(f"profile {prof.name!r}: {pages.describe(everyone)}")

# %%
ev = evidence.gather(everyone, n_trials=n_trials, variance_kept=variance_kept, seed=seed)
pop, task = ev.population, ev.population.task
omegas = task.conditions().labels["omega"].to_numpy()
print(f"{len(omegas)} command frequencies from {omegas.min():.3f} to {omegas.max():.3f} cycles per step")

# %% [markdown]
# ## b: trajectories coloured by command frequency

# %%
probe = task.probe()
freq_colors = plt.get_cmap("plasma")(np.linspace(0, 0.9, len(probe.labels)))
act0 = "tanh" if "tanh" in set(pop.table.activation) else pop.table.activation.iloc[0]
examples = pop.table[pop.table.activation == act0].drop_duplicates("arch")
hs = analysis.hidden(pop, probe.inputs_btm)
half = task.n_steps // 2  # the second half of the trial: the settled oscillation
trajs = {f"{plotting.ARCH_LABELS[r.arch]} {r.activation}": analysis.pca(hs[nid][:, half:], 3).project(hs[nid][:, half:])
         for nid, r in examples.iterrows()}
fig = plotting.plot_trajectories(trajs, colors=freq_colors,
                                 title="Fig. 2b: probe trajectories, second half of the trial (colour: frequency)")

# %% tags=["remove-input"]
# NBVAL_IGNORE_OUTPUT
plotting.interactive_3d(trajs, colors=freq_colors, title="Fig. 2b, interactive: drag to rotate", div_id="fig2b")

# %% [markdown]
# ## c: representational geometry (SVCCA)
#
# The verdicts use SVCCA with matched dimensions (both networks of a pair keep the same
# number of components); SVCCA keeping 95% of each network's variance, as the paper
# describes it, is shown below it (see Figure 1 and the methods page for why).

# %%
fig = plotting.plot_mds_pair(ev.geometry["svcca_matched"],
                             title="Fig. 2c: MDS of the SVCCA distances (matched dimensions: the verdicts)")

# %%
fig = plotting.plot_mds_pair(ev.geometry["svcca"], title="Fig. 2c as the paper computes it: SVCCA keeping 95% per network")

# %%
print(ev.geometry_report())

# %% [markdown]
# ## d: fixed points and their linearisations
#
# One search per command frequency (x* = the static input). Left: the lowest-q fixed
# point of each frequency, with the trajectories, in the network's top 3 PCs. Right:
# every eigenvalue of every linearisation of the population's networks (grey), the
# leading complex pair coloured by frequency, and the unit circle.

# %%
cond = ev.linear["conditions"]
found = cond.groupby("network_id").n_points.apply(lambda n: int((n > 0).sum()))
print(f"frequencies with a fixed point: median {found.median():.0f} of {len(omegas)} per network; "
      f"networks with one at every frequency: {int((found == len(omegas)).sum())} of {len(found)}")

# %%
candidates = examples[examples.arch == example_arch].index.tolist() or examples.index.tolist()
if candidates:
    nid = candidates[0]
    f = ev.fixed_points[nid]
    units_n = int(pop.table.units[nid])
    order = np.lexsort((f.q, f.condition))
    first = order[np.r_[True, f.condition[order][1:] != f.condition[order][:-1]]] if len(f) else order
    p = analysis.pca(hs[nid][:, half:], 3)
    colors = plt.get_cmap("plasma")(np.linspace(0, 0.9, len(omegas))[f.condition[first]])
    fig = plotting.plot_oscillation_panel(p.project(hs[nid][:, half:]), p.project(f.h[first, :units_n]), colors,
                                          ev.fixed_points, cond, title=f"Fig. 2d: {nid} (left), all networks (right)")

# %% [markdown]
# ## e: fixed-point topology
#
# The graph joins each frequency's fixed point to its nearest neighbour in state space;
# rows are frequencies, in order, so they mean the same in every network, and a frequency
# without a fixed point is an empty row. Networks are compared by the Euclidean distance
# between their adjacency matrices.

# %%
topo = ev.topology
print(topo.summary())
print(f"distinct topology distances: {len(np.unique(np.round(topo.distances.values, 9)))}")
fig = plotting.plot_mds_pair(topo.distances, title="Fig. 2e: MDS of the fixed-point topology distances")

# %% [markdown]
# ## f: linearised frequency against command frequency

# %%
freqs = cond.dropna(subset=["frequency"])
fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.8), sharey=True)
for ax, hue in zip(axes, ("arch", "activation")):
    plotting.plot_mean_sem(freqs, "omega", "frequency", hue=hue, ax=ax,
                           xlabel="command frequency omega (cycles/step)",
                           ylabel="linearised frequency (cycles/step)", title=f"by {hue}")
    ax.plot(omegas, omegas, color="k", lw=0.8, ls=":", label="identity")
    ax.xaxis.set_major_locator(plt.MaxNLocator(4))
fig.suptitle("Fig. 2f: |arg lambda| / 2 pi of the leading complex pair (mean +- s.e.m. over networks)")
fig.tight_layout()

# %% [markdown]
# ## Numbers
#
# Nearest-neighbour tests of each label (ties averaged) on the paper's panel subsets and
# on every network.

# %%
print(ev.clustering[["n", "nn_accuracy", "chance", "p_value", "n_tied", "note"]].round(3).to_string())
print(pages.quality_summary(ev.table).to_string())

# %% [markdown]
# ## The paper's claims, checked
#
# Each verdict is computed by `universality.claims` (criteria fixed in the library).

# %%
for claim in evidence.judge(ev):
    print(claim.render(), end="\n\n")

# %% [markdown]
# ## Take the results away
#
# The page's numbers as plain files (CSV tables with network ids as labels, fixed points as
# an `.npz` without pickle): <a href="downloads/figure2/networks.csv" download>every network</a>,
# <a href="downloads/figure2/distances_svcca.csv" download>SVCCA distances</a>,
# <a href="downloads/figure2/distances_topology.csv" download>topology distances</a>,
# <a href="downloads/figure2/clustering.csv" download>nearest-neighbour tests</a>,
# <a href="downloads/figure2/claims.csv" download>verdicts</a>,
# <a href="downloads/figure2/fixed_points.npz" download>fixed points</a>, or
# <a href="downloads/figure2.zip" download>all of them</a>. Load them with
# `pandas.read_csv(path, index_col=0)` and
# `numpy.load(path)`: network `i` (its id in `network_ids`) has its points `i/h`, residuals
# `i/q`, inputs `i/x`, conditions `i/condition`, readouts `i/outputs` and Jacobian
# eigenvalues `i/eigenvalues`; `universality.fixed_points.load_collection(path,
# population=...)` rebuilds the Jacobians and eigenvectors from the networks' weights.

# %%
saved = evidence.save(ev, "downloads/figure2")
print(f"saved {len(saved)} files: " + ", ".join(p.name for p in saved))

# %% [markdown]
# **Where we differ.** The book population is much smaller than the paper's and trained
# with a shorter protocol (see the introduction and the sine task page); networks that miss
# the sine task's quality criterion are left out of every analysis and counted above. The
# topology graphs over the per-frequency fixed points take few distinct values (most
# networks' points lie on one curve ordered by frequency, so their graphs coincide), which
# is why the nearest-neighbour statistics average over ties.
