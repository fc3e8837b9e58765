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
# # Task: context-dependent integration
#
# **The paper's setting** (Section 2.2, following {cite:t}`mante2013context`): two static
# one-hot context inputs say which of two white-noise streams, $\mathcal{N}(\mu_k, 1)$ with
# $\mu_k \sim U(-1, 1)$ per trial, the network must integrate; the output is the running
# sum of the cued stream, and the other stream must be ignored. T = 30 steps.

# %% tags=["remove-output"]
# NBVAL_IGNORE_OUTPUT
import numpy as np
from universality.notebooks import start_tensorflow
tf = start_tensorflow()  # TensorFlow's and XLA's start-up logs land in this cell, which nbval ignores

from universality import pages, plotting, training

plotting.setup()

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

# %%
pages.check(profile=profile, data_root=data_root, retrain=retrain, n_seeds=n_seeds, archs=archs,
             activations=activations, units=units, l2=l2, n_contexts=n_contexts, n_steps=n_steps,
             noise_std=noise_std)
prof = pages.page_profile(profile, "cdi", {"n_contexts": n_contexts, "n_steps": n_steps, "noise_std": noise_std},
                          n_seeds=n_seeds, archs=archs, activations=activations, units=units, l2=l2)
pop = pages.population_for_page(prof, "cdi", root=data_root, retrain=retrain)
task = pop.task
print(f"profile {prof.name!r}: {len(pop)} networks, {pop.table.diverged.sum()} diverged")
print(f"task: K={task.n_contexts}, T={task.n_steps}, noise N(mu, {task.noise_std}^2), mu ~ U(-{task.mu_max}, {task.mu_max})")

# %% [markdown]
# ## The population and how it was trained

# %%
print(pages.training_summary(prof, "cdi"))
pages.loss_table(pop.table).round(4)

# %%
fig = plotting.plot_loss_curves(pop.curves, pop.table, title="Training loss, every network")

# %% [markdown]
# ## Outputs on a noisy trial

# %%
trial = task.sample(np.random.default_rng(7), 1)
outputs = pop.outputs(trial.inputs_btm)
fig = plotting.plot_outputs(outputs, pop.table, trial.targets_bto, trial=0,
                            title=f"A trial cueing context {int(trial.labels.context[0]) + 1}: "
                                  "one network per arch x activation")

# %% [markdown]
# ## Did every network learn the task?
#
# The book's quality criterion (see the methods page): the validation error divided by
# the error of a silent output (one that always says 0), the *normalised error*, must be at
# most the task's threshold. A network above it stays in the store, is counted here and
# is left out of every analysis. Per architecture and activation: networks, diverged,
# missing the criterion, and the normalised error (min / median / max).

# %%
print(pages.quality_statement(pop))
pages.quality_summary(pop.table)
