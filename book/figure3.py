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
# # Figure 3: context-dependent integration
#
# **The paper's claims** (Section 3.3 and the caption of Fig. 3):
#
# > The fixed points (black dots) show approximate line attractors for all RNN
# > architectures and nonlinearities. [...] The MDS summary plot of the SVCCA distances of
# > the representations is shown in Fig. 3c, again showing systematic clustering as a
# > function of architecture (left) and activation (right). [...] The MDS summary plot did
# > not cluster strongly by architecture, but did cluster based on activation. [...] the
# > gated architectures had many more eigenvalues near 1 (Fig. 3e) [...] These plots
# > indicate that the vanilla RNN (blue) uses a single mode to perform the integration,
# > while the gated architectures distribute this across a larger number of linear modes.
#
# Panels: **b** probe responses in the top 3 PCs with each context's slow points;
# **c** SVCCA MDS; **d** topology MDS; **e** average sorted eigenvalue magnitudes by
# architecture; **f** the linearised response to a unit relevant input with the k
# slowest modes kept, by architecture. Panels e and f use the same points: the slow
# points on the line attractor (leading |lambda| <= 1.05). The page ends with the claims,
# judged by code.

# %% tags=["remove-output"]
# NBVAL_IGNORE_OUTPUT
import numpy as np
from universality.notebooks import start_tensorflow
tf = start_tensorflow()  # TensorFlow's and XLA's start-up logs land in this cell, which nbval ignores
import matplotlib.pyplot as plt

from universality import analysis, evidence, pages, plotting, studies

plotting.setup()
tf.get_logger().setLevel("ERROR")  # no retracing notices in the page

# %% tags=["parameters"]
profile: str = "book"  # population profile: 'smoke', 'book' or 'paper'
data_root: str = ""  # root of the store of trained networks ("" means the repository data folder)
retrain: bool = False  # True: train the networks afresh (into data/_retrained) instead of loading them
n_seeds: int = 0  # seeds per configuration (0 means all the profile has)
archs: list = []  # architectures to include, e.g. ["gru", "lstm"] ([] means all the profile has)
activations: list = []  # activations to include ([] means all the profile has)
units: list = []  # network sizes, e.g. [128] ([] means the profile's: the book has 64 and 128; another size trains a new store)
l2: list = []  # L2 coefficients, e.g. [1e-3] ([] means the profile's; others train a new store)
n_contexts: int = 2  # K, contexts (and noisy input streams) (the paper: 2)
n_steps: int = 30  # T, time steps per trial (the paper: 30)
noise_std: float = 1.0  # standard deviation of the white-noise streams (the paper: 1)
n_trials: int = 64  # random task trials whose hidden states are compared by SVCCA
variance_kept: float = 0.95  # SVCCA keeps the top PCs that explain this fraction of the variance
n_points: int = 10  # slots along each line attractor for the topology graphs
n_modes: int = 20  # eigenvalues shown in panel e
seed: int = 0  # seed of the trials and of the permutation tests

# %%
pages.check(profile=profile, data_root=data_root, retrain=retrain, n_seeds=n_seeds, archs=archs,
             activations=activations, units=units, l2=l2, n_contexts=n_contexts, n_steps=n_steps,
             noise_std=noise_std, n_trials=n_trials, variance_kept=variance_kept, n_points=n_points,
             n_modes=n_modes, seed=seed)
prof = pages.page_profile(profile, "cdi", {"n_contexts": n_contexts, "n_steps": n_steps, "noise_std": noise_std},
                          n_seeds=n_seeds, archs=archs, activations=activations, units=units, l2=l2)
everyone = pages.population_for_page(prof, "cdi", root=data_root, retrain=retrain)
print(f"profile {prof.name!r}, {everyone.task.n_contexts} contexts, T = {everyone.task.n_steps}: "
      f"{pages.describe(everyone)}")

# %%
ev = evidence.gather(everyone, n_trials=n_trials, variance_kept=variance_kept, seed=seed, n_points=n_points)
pop, task = ev.population, ev.population.task

# %% [markdown]
# ## Slow points of every network
#
# One search per context (the static input x* is the context cue with every stream at
# zero). The line attractor is a continuum of slow points: the search starts from the
# states the network holds -- driven to 41 levels, then the streams switched off -- and
# stops each point as soon as it is slow on the task's time scale, so points sample the
# whole line instead of sliding onto a few exact fixed points; 21 readout slots over the
# held range keep one point each (see the methods page). `held_span` is the range of values
# the network holds, `coverage` the share of it within reach of a slow point, `max_gap` the
# widest stretch without one; `holds` whether the network keeps the driven values for
# another trial. A line is counted when its slow points cover at least 90% of the held
# range with no gap over 20%.

# %%
lines = ev.linear["lines"]
cols = ["n_points", "held_span", "coverage", "max_gap", "holds"]
print(lines.groupby(["arch", "activation"])[cols].median().round(2).to_string())

# %% [markdown]
# ## b: probe responses and line attractors
#
# Noise-free probes: a constant input mu on the cued stream (colour: context; lightness:
# mu). Dots: the slow points of each context.

# %%
probe = task.probe()
act0 = "tanh" if "tanh" in set(pop.table.activation) else pop.table.activation.iloc[0]
examples = pop.table[pop.table.activation == act0].drop_duplicates("arch")
hs = analysis.hidden(pop, probe.inputs_btm)
trajs, points = {}, {}
for nid, row in examples.iterrows():
    p = analysis.pca(hs[nid], 3)
    name = f"{plotting.ARCH_LABELS[row.arch]} {row.activation}"
    trajs[name] = p.project(hs[nid])
    points[name] = p.project(ev.fixed_points[nid].h[:, : int(row.units)])
fig = plotting.plot_trajectories(trajs, colors=plotting.cdi_probe_colors(probe.labels), fixed_points=points,
                                 title="Fig. 3b: probe responses (colour: context) and slow points")

# %% tags=["remove-input"]
# NBVAL_IGNORE_OUTPUT
plotting.interactive_3d(trajs, colors=plotting.cdi_probe_colors(probe.labels), points=points,
                        title="Fig. 3b, interactive: drag to rotate (black: slow points)", div_id="fig3b")

# %% [markdown]
# ## c: representational geometry (SVCCA)
#
# The verdicts use SVCCA with matched dimensions (both networks of a pair keep the same
# number of components); SVCCA keeping 95% of each network's variance, as the paper
# describes it, is shown below it (see Figure 1 and the methods page for why).

# %%
fig = plotting.plot_mds_pair(ev.geometry["svcca_matched"],
                             title="Fig. 3c: MDS of the SVCCA distances (matched dimensions: the verdicts)")

# %%
fig = plotting.plot_mds_pair(ev.geometry["svcca"], title="Fig. 3c as the paper computes it: SVCCA keeping 95% per network")

# %%
print(ev.geometry_report())

# %% [markdown]
# ## d: fixed-point topology
#
# Per context, the slow points on the line, sorted by readout, fill `n_points` slots
# evenly along it (a line with fewer points leaves slots empty); each is joined to its
# nearest neighbour in state space. Networks are compared by the Euclidean distance
# between these adjacency matrices; every network with slow points is compared.

# %%
topo = ev.topology
print(topo.summary())
fig = plotting.plot_mds_pair(topo.distances, title="Fig. 3d: MDS of the fixed-point topology distances")

# %% [markdown]
# ## e: eigenvalue spectra of the linearised dynamics

# %%
spectra = ev.linear["spectra"]
spectra = spectra[spectra["rank"] <= n_modes]
fig = plotting.plot_mean_sem(spectra, "rank", "magnitude", hue="arch", xlabel="eigenvalue rank",
                             ylabel="|lambda| (mean over a line's points)",
                             title="Fig. 3e: sorted eigenvalue magnitudes (mean +- s.e.m.)")
_ = fig.axes[0].axhline(1.0, color="k", lw=0.6, ls=":")

# %% [markdown]
# ## f: integration by the slowest modes
#
# The linearised system's output T steps after a unit pulse on the relevant stream,
# keeping only the k slowest modes; a perfect integrator gives 1 with k = 1.

# %%
resp = ev.linear["responses"]
if len(resp):
    fig = plotting.plot_mean_sem(resp, "k", "response", hue="arch", xlabel="modes kept, k",
                                 ylabel="response to a unit input",
                                 title="Fig. 3f: linearised response vs. modes kept (mean +- s.e.m.)")
    fig.axes[0].set_xscale("log")
    _ = fig.axes[0].axhline(1.0, color="k", lw=0.6, ls=":")
else:
    print("no slow point on any line: panel f cannot be drawn")

# %% [markdown]
# ## Numbers
#
# Per architecture (medians over networks and contexts): the leading |lambda|, the
# eigenvalues within 0.05 of |lambda| = 1, the modes needed to reach 90% of the full
# linearised response, and that full response (1 for a perfect integrator).

# %%
summary = studies.cdi.summary(ev.linear)
print(summary.round(2).to_string())
print(ev.clustering[["n", "nn_accuracy", "chance", "p_value", "n_tied", "note"]].round(3).to_string())
print(pages.quality_summary(ev.table).to_string())

# %% [markdown]
# ## The paper's claims, checked

# %%
for claim in evidence.judge(ev):
    print(claim.render(), end="\n\n")

# %% [markdown]
# ## Take the results away
#
# The page's numbers as plain files (CSV tables with network ids as labels, fixed points as
# an `.npz` without pickle): <a href="downloads/figure3/networks.csv" download>every network</a>,
# <a href="downloads/figure3/distances_svcca.csv" download>SVCCA distances</a>,
# <a href="downloads/figure3/distances_topology.csv" download>topology distances</a>,
# <a href="downloads/figure3/clustering.csv" download>nearest-neighbour tests</a>,
# <a href="downloads/figure3/claims.csv" download>verdicts</a>,
# <a href="downloads/figure3/fixed_points.npz" download>fixed points</a>, or
# <a href="downloads/figure3.zip" download>all of them</a>. Load them with
# `pandas.read_csv(path, index_col=0)` and
# `numpy.load(path)`: network `i` (its id in `network_ids`) has its points `i/h`, residuals
# `i/q`, inputs `i/x`, conditions `i/condition`, readouts `i/outputs` and Jacobian
# eigenvalues `i/eigenvalues`; `universality.fixed_points.load_collection(path,
# population=...)` rebuilds the Jacobians and eigenvectors from the networks' weights.

# %%
saved = evidence.save(ev, "downloads/figure3")
print(f"saved {len(saved)} files: " + ", ".join(p.name for p in saved))

# %% [markdown]
# **Where we differ.** The book population is smaller than the paper's and trained with a
# shorter protocol (see the introduction); the slow-point procedure (speed relative to
# the line's length over a trial, readout slots over the held range) is our choice: the
# paper does not state its own.
