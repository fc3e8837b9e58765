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
# # Task: the frequency-cued sine wave
#
# **The paper's setting** (Section 2.2, following {cite:t}`sussillo2013opening`): a static
# input $x \sim U(0, 1)$ commands a frequency $\omega = 0.04 x + 0.01$ cycles per step, and
# the network must produce $\sin(2 \pi \omega t)$ for T = 500 steps. The paper reports that
# LSTM networks with relu did not train effectively on this task and excludes them; this
# page records what happens here.

# %% tags=["remove-output"]
# NBVAL_IGNORE_OUTPUT
import numpy as np
from universality.notebooks import start_tensorflow
tf = start_tensorflow()  # TensorFlow's and XLA's start-up logs land in this cell, which nbval ignores

from universality import pages, plotting

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
omega_offset: float = 0.01  # lowest command frequency in cycles per step (the paper: 0.01)
omega_slope: float = 0.04  # width of the frequency range, cycles per step (the paper: 0.04)

# %%
pages.check(profile=profile, data_root=data_root, retrain=retrain, n_seeds=n_seeds, archs=archs,
             activations=activations, units=units, l2=l2, omega_offset=omega_offset, omega_slope=omega_slope)
prof = pages.page_profile(profile, "sine", {"omega_offset": omega_offset, "omega_slope": omega_slope},
                          n_seeds=n_seeds, archs=archs, activations=activations, units=units, l2=l2)
pop = pages.population_for_page(prof, "sine", root=data_root, retrain=retrain)
task = pop.task
print(f"profile {prof.name!r}: {len(pop)} networks, {pop.table.diverged.sum()} diverged")
print(f"task: T={task.n_steps}, omega = {task.omega_slope} x + {task.omega_offset}")

# %% [markdown]
# ## The population and how it was trained

# %%
print(pages.training_summary(prof, "sine"))
pages.loss_table(pop.table).round(4)

# %%
fig = plotting.plot_loss_curves(pop.curves, pop.table, title="Training loss, every network")

# %% [markdown]
# ## Outputs for a probe frequency

# %%
probe = task.probe()
trial = len(probe.labels) // 2
outputs = pop.outputs(probe.inputs_btm)
fig = plotting.plot_outputs(outputs, pop.table, probe.targets_bto, trial=trial,
                            title=f"Probe x = {probe.labels.x[trial]:.2f} (omega = {probe.labels.omega[trial]:.3f}): "
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
