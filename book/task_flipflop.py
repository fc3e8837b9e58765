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
# # Task: the 3-bit flip-flop
#
# **The paper's setting** (Section 2.2, following {cite:t}`sussillo2013opening`): three
# inputs carry rare pulses of +1 or -1 (probability 0.05 per step and channel); each of the
# three outputs must hold the sign of the last pulse on its own input. T = 100 steps.
#
# This page shows the population the flip-flop figures are built from: which networks,
# how they were trained, their loss curves, and their outputs on a probe trial.

# %% tags=["remove-output"]
# NBVAL_IGNORE_OUTPUT
import numpy as np
from universality.notebooks import start_tensorflow
tf = start_tensorflow()  # TensorFlow's and XLA's start-up logs land in this cell, which nbval ignores

from universality import pages, plotting
from universality.population import get_profile

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
n_bits: int = 3  # K, the number of flip-flop channels (the paper: 3)
p_flip: float = 0.05  # probability that an input channel pulses at a time step (the paper: 0.05)

# %%
pages.check(profile=profile, data_root=data_root, retrain=retrain, n_seeds=n_seeds, archs=archs,
             activations=activations, units=units, l2=l2, n_bits=n_bits, p_flip=p_flip)
prof = pages.page_profile(profile, "flipflop", {"n_bits": n_bits, "p_flip": p_flip}, n_seeds=n_seeds, archs=archs,
                          activations=activations, units=units, l2=l2)
pop = pages.population_for_page(prof, "flipflop", root=data_root, retrain=retrain)
task = pop.task
print(f"profile {prof.name!r}: {len(pop)} networks, {pop.table.diverged.sum()} diverged")
print(f"task: K={task.n_bits}, T={task.n_steps}, p_flip={task.p_flip}")

# %% [markdown]
# ## An example trial (Fig. 1a)
#
# Inputs (black) arrive at random times; each output (dashed red) holds the last
# non-zero input of its channel. Every channel receives a pulse at t = 0 so that the
# outputs are defined from the start (a choice the paper does not state).

# %%
probe = task.probe()
fig = plotting.plot_trial(probe.inputs_btm[0], probe.targets_bto[0], title="3-bit flip-flop: one trial",
                          input_names=[f"input {k + 1}" for k in range(task.n_bits)],
                          output_names=[f"output {k + 1}" for k in range(task.n_bits)])

# %% [markdown]
# ## The population and how it was trained

# %%
print(pages.training_summary(prof, "flipflop"))
pages.loss_table(pop.table).round(4)

# %%
fig = plotting.plot_loss_curves(pop.curves, pop.table, title="Training loss, every network")

# %% [markdown]
# ## Outputs on a probe trial

# %%
outputs = pop.outputs(probe.inputs_btm)
fig = plotting.plot_outputs(outputs, pop.table, probe.targets_bto, trial=0, channel=0,
                            title="Probe trial, output 1: one network per arch x activation")

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
