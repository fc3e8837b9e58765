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
# **The paper's claims** (Section 3.1 and the caption of Fig. 1):
#
# > While these example trajectories look qualitatively similar across architectures,
# > SVCCA revealed systematic differences. [...] The network solves the task by encoding
# > all 2^3 possible outputs as 8 stable fixed points. [...] Using this topological measure
# > of RNN similarity, we find that all architectures converge to very similar solutions as
# > shown by an MDS embedding of the fixed point graph (Fig. 1f).
#
# > [Fig. 1f] showing that the topological representation of a network using fixed point
# > structure is more similar across architectures (left) and activation functions (right)
# > than the geometry of the network is
#
# Panels: **b** state trajectories on probe inputs, one network per architecture;
# **c** the SVCCA distance matrix; **d** its MDS embedding, tanh networks by
# architecture and Vanilla networks by activation (the paper's layout); **e** one network's
# fixed points, coloured by their number of unstable dimensions, with the heteroclinic
# orbits between them, and its transition graph; **f** MDS of the topology distances, laid
# out like **d**. The page ends with the paper's claims, each judged by the book's code.

# %% tags=["remove-output"]
# NBVAL_IGNORE_OUTPUT
import numpy as np
from universality.notebooks import start_tensorflow
tf = start_tensorflow()  # TensorFlow's and XLA's start-up logs land in this cell, which nbval ignores
import matplotlib.pyplot as plt
import pandas as pd

from universality import analysis, evidence, pages, plotting, topology

plotting.setup()
tf.get_logger().setLevel("ERROR")  # no retracing notices in the page

# %% tags=["parameters"]
profile: str = "book"  # population profile: 'smoke', 'book' or 'paper'
data_root: str = ""  # root of the store of trained networks ("" means the repository data folder)
retrain: bool = False  # True: train the networks afresh (into data/_retrained) instead of loading them
n_seeds: int = 0  # seeds per configuration (0 means all the profile has)
archs: list = []  # architectures to include, e.g. ["gru", "lstm"] ([] means all the profile has)
activations: list = []  # activations to include, e.g. ["tanh"] ([] means all the profile has)
units: list = []  # network sizes, e.g. [128] ([] means the profile's: the book has 64 and 128; another size trains a new store)
l2: list = []  # L2 coefficients, e.g. [1e-3] ([] means the profile's; others train a new store)
n_bits: int = 3  # K, the number of flip-flop channels (the paper: 3)
p_flip: float = 0.05  # probability that an input channel pulses at a time step (the paper: 0.05)
n_trials: int = 64  # random task trials whose hidden states are compared by SVCCA
variance_kept: float = 0.95  # SVCCA keeps the top PCs that explain this fraction of the variance
n_perturbations: int = 100  # perturbation runs from each fixed point for the transition graphs (paper: 100)
principle: str = "position"  # how fixed points are lined up across networks: 'position', 'routing' or 'readout'
example_arch: str = "gru"  # architecture of the network shown in panel e
seed: int = 0  # seed of the trials, of the perturbations and of the permutation tests

# %%
pages.check(profile=profile, data_root=data_root, retrain=retrain, n_seeds=n_seeds, archs=archs,
             activations=activations, units=units, l2=l2, n_bits=n_bits, p_flip=p_flip, n_trials=n_trials,
             variance_kept=variance_kept, n_perturbations=n_perturbations, principle=principle,
             example_arch=example_arch, seed=seed)
prof = pages.page_profile(profile, "flipflop", {"n_bits": n_bits, "p_flip": p_flip}, n_seeds=n_seeds,
                          archs=archs, activations=activations, units=units, l2=l2)
everyone = pages.population_for_page(prof, "flipflop", root=data_root, retrain=retrain)
print(f"profile {prof.name!r}, K = {everyone.task.n_bits}: {pages.describe(everyone)}")

# %%
principles = [principle] + [p for p in topology.PRINCIPLES if p != principle]
ev = evidence.gather(everyone, n_trials=n_trials, variance_kept=variance_kept, seed=seed, principles=principles,
                     topology_config=topology.TopologyConfig(n_perturbations=n_perturbations, seed=seed))
pop, task, topo = ev.population, ev.population.task, ev.topology

# %% [markdown]
# ## b: trajectories on probe inputs
#
# Each network runs on the same probe trials; its hidden states are projected on their
# own top three principal components. One tanh network per architecture (or whatever
# activation the population has).

# %%
probe = task.probe()
act0 = "tanh" if "tanh" in set(pop.table.activation) else pop.table.activation.iloc[0]
examples = pop.table[pop.table.activation == act0].drop_duplicates("arch")
hs = analysis.hidden(pop, probe.inputs_btm)
trajs = {f"{plotting.ARCH_LABELS[r.arch]} {r.activation}": analysis.pca(hs[nid], 3).project(hs[nid])
         for nid, r in examples.iterrows()}
fig = plotting.plot_trajectories(trajs, title="Fig. 1b: probe trajectories (top 3 PCs of each network)")

# %% tags=["remove-input"]
# NBVAL_IGNORE_OUTPUT
plotting.interactive_3d({k: v[:, :, :3] for k, v in trajs.items()}, title="Fig. 1b, interactive: drag to rotate",
                        div_id="fig1b")

# %% [markdown]
# ## c, d: representational geometry (SVCCA)
#
# SVCCA as the paper describes it keeps, per network, the components that explain 95% of
# its variance, and averages min(k_a, k_b) canonical correlations: a network with few
# components sits close to every other one (a *hub*: the dark rows and columns of the
# matrix). The verdicts use SVCCA with **matched dimensions**: both networks of every pair
# keep the same k, the largest 95% count of the population (see the methods page). Both
# are shown; the numbers below say how many components each network keeps and where the
# hubs are.

# %%
dist = ev.geometry["svcca"]
fig = plotting.plot_distance_matrix(dist, title="Fig. 1c: SVCCA distance (95% of each network's variance)",
                                    label="SVCCA distance")

# %%
matched = ev.geometry["svcca_matched"]
fig = plotting.plot_distance_matrix(matched, title=f"Fig. 1c with matched dimensions (k = {matched.attrs.get('k_common')})",
                                    label="SVCCA distance, matched k")

# %%
fig = plotting.plot_mds_pair(matched, title="Fig. 1d: MDS of the SVCCA distances (matched dimensions: the verdicts)")

# %%
fig = plotting.plot_mds_pair(dist, title="Fig. 1d as the paper computes it: SVCCA keeping 95% per network")

# %%
print(ev.geometry_report())

# %% [markdown]
# ## e: fixed points and the transition graph of one network
#
# Every network's fixed points: how many are stable, and how many saddles have 1, 2, 3, ...
# unstable dimensions. A perfect K-bit flip-flop has the cube's 3^K points: 2^K stable
# corners and a saddle at the middle of every edge, face, ..., and at the centre.

# %%
counts = pd.DataFrame({nid: {"fixed points": len(f), "stable": int(f.is_stable.sum()),
                             **{f"saddles {d}": int((f.n_unstable == d).sum()) for d in range(1, task.n_bits + 1)}}
                       for nid, f in ev.fixed_points.items()}).T
print(counts.to_string())
print(topo.summary())

# %% [markdown]
# The graph's rows and columns are the cube's positions (`+` / `-`: the readout's sign on
# a channel, `0`: between the two). Each of the network's fixed points is placed at the
# position its readout is nearest to (principle `position`, see the methods page), so row
# `+0-` means the same point in every network; a position the network has no point for
# is hatched. The network shown is the first of `example_arch` (tanh if the population has
# it) with the modal number of fixed points, as a typical network of the population.

# %%
ids = [i for i in pop.table.index if i in topo.graphs]
ids = [i for i in ids if int(topo.counts[i]) == topo.modal_count] or ids  # a typical network first
choice = ([i for i in ids if pop.table.arch[i] == example_arch and pop.table.activation[i] == act0]
          or [i for i in ids if pop.table.arch[i] == example_arch] or ids)
if not choice:
    print("no network has fixed points to show")
else:
    nid = choice[0]
    f = ev.fixed_points[nid]
    print(f"{nid}: {f.summary()}")
    runs = topology.heteroclinic_trajectories(pop.spec(nid), pop.params[nid], f, n_perturbations=6, n_steps=200,
                                              scale=0.05, seed=seed)
    p = analysis.pca(pop.states(probe.inputs_btm)[nid], 3)
    fig = plt.figure(figsize=(7.5, 12))  # one panel above the other: readable at book width
    ax = fig.add_subplot(2, 1, 1, projection="3d")
    plotting.plot_fixed_points_3d(p.project(f.h), f.n_unstable, p.project(runs), ax=ax,
                                  title=f"Fig. 1e: fixed points of {nid}")
    ax2 = fig.add_subplot(2, 1, 2)
    present = topo.point_index[nid] >= 0
    n_unst = np.where(present, f.n_unstable[np.maximum(topo.point_index[nid], 0)], -1)
    names = topo.row_names
    plotting.plot_transition_matrix(topo.graphs[nid], names, n_unst, ax=ax2, present=present,
                                    title=f"transition graph (points lined up by {topo.principle})")
    fig.tight_layout()

# %% tags=["remove-input"]
# NBVAL_IGNORE_OUTPUT
if choice:
    runs3 = p.project(runs).reshape(-1, runs.shape[2], 3)
    plotting.interactive_3d({nid: runs3}, colors=["#bbbbbb"] * len(runs3), points={nid: p.project(f.h)},
                            point_colors={nid: plotting.unstable_colors(f.n_unstable)}, ncols=1,
                            title="Fig. 1e, interactive: fixed points (black stable; red, orange, gold: 1, 2, 3 "
                                  "unstable dimensions) and the runs leaving them", div_id="fig1e")

# %% [markdown]
# ## f: MDS of the topology distances
#
# The distance between two networks is the Euclidean distance between their lined-up
# transition matrices. Every network whose fixed points were found is compared; a point a
# network lacks is an empty row.

# %%
tdist = topo.distances
fig = plotting.plot_mds_pair(tdist, title=f"Fig. 1f: MDS of the fixed-point topology distances ({topo.principle})")

# %% [markdown]
# ## How far from a perfect cube?
#
# The distance of each network's lined-up graph from the perfect cube's (every saddle
# sending its runs equally to the corners of its edge, face or cube), by architecture and
# activation. 0 is a perfect cube.

# %%
if topo.principle != "readout" and topo.graphs:
    ideal = topology.distance_to_ideal(topo).to_frame().join(pop.table[["arch", "activation"]])
    print(ideal.groupby(["arch", "activation"]).distance_to_ideal.agg(["count", "median", "min", "max"])
          .round(2).to_string())
    fig, ax = plt.subplots(figsize=(6, 3))
    for j, (key, g) in enumerate(ideal.groupby(["arch", "activation"])):
        ax.scatter(np.full(len(g), j), g.distance_to_ideal, color=plotting.ACTIVATION_COLORS[key[1]], s=14)
    ax.set_xticks(range(ideal.groupby(["arch", "activation"]).ngroups),
                  [f"{plotting.ARCH_LABELS[a]}\n{b}" for a, b in ideal.groupby(["arch", "activation"]).groups],
                  fontsize=7)
    ax.set_ylabel("distance to the perfect cube")
    ax.set_title("each network's transition graph against the perfect cube's", fontsize="medium")
    fig.tight_layout()

# %% [markdown]
# ## Clustering, in numbers
#
# Leave-one-out nearest-neighbour accuracy of each label under each distance (ties
# averaged), against its permutation chance level, on the paper's panel subsets (`panel`:
# architectures among tanh networks, activations among Vanilla networks) and on every
# network (`all`). The topology is computed under the three ways of lining up fixed points
# (see the methods page) and, as the paper did, on the networks with the modal number of
# fixed points only.

# %%
print(ev.clustering[["n", "nn_accuracy", "chance", "p_value", "n_tied", "note"]].round(3).to_string())

# %% [markdown]
# Fig. 1f's sentence compares topology with geometry: the separation ratio (mean distance
# between classes over mean distance within them; 1 means no separation) of the topology
# distances against the SVCCA distances, on the panel subsets, with a 95% bootstrap
# interval of the difference.

# %%
for label, s in ev.separations.items():
    if s is None:
        print(f"{label}: not computable (too few networks or classes)")
    else:
        print(f"{label}: topology {s.ratio_a:.2f}, SVCCA {s.ratio_b:.2f}, difference {s.difference:+.2f} "
              f"[{s.ci_low:+.2f}, {s.ci_high:+.2f}], n = {s.n}")

# %% [markdown]
# ## The paper's claims, checked
#
# Each verdict below is computed by `universality.claims` from the numbers above, with
# the criterion fixed in the library (see the page *The paper's claims, checked*).

# %%
for claim in evidence.judge(ev):
    print(claim.render(), end="\n\n")

# %% [markdown]
# ## Take the results away
#
# The page's numbers as plain files (CSV tables with network ids as labels, fixed points as
# an `.npz` without pickle): <a href="downloads/figure1/networks.csv" download>every network</a>,
# <a href="downloads/figure1/distances_svcca.csv" download>SVCCA distances</a>,
# <a href="downloads/figure1/distances_topology.csv" download>topology distances</a>,
# <a href="downloads/figure1/clustering.csv" download>nearest-neighbour tests</a>,
# <a href="downloads/figure1/claims.csv" download>verdicts</a>,
# <a href="downloads/figure1/fixed_points.npz" download>fixed points</a>, or
# <a href="downloads/figure1.zip" download>all of them</a>. Load them with
# `pandas.read_csv(path, index_col=0)` and
# `numpy.load(path)`: network `i` (its id in `network_ids`) has its points `i/h`, residuals
# `i/q`, inputs `i/x`, conditions `i/condition`, readouts `i/outputs` and Jacobian
# eigenvalues `i/eigenvalues`; `universality.fixed_points.load_collection(path,
# population=...)` rebuilds the Jacobians and eigenvectors from the networks' weights.

# %%
saved = evidence.save(ev, "downloads/figure1")
print(f"saved {len(saved)} files: " + ", ".join(p.name for p in saved))

# %% [markdown]
# **Where we differ.** The book population is much smaller than the paper's (see the
# introduction for its size and training), so the permutation tests have less power.
# The paper orders fixed points by their rounded readout and compares only networks with
# the modal number of points; the book lines points up by cube position (the verdicts
# under routing and under the paper's own order are printed beside it) and compares every
# network whose fixed points were found.
