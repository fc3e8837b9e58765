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
# # Appendix C: final losses
#
# **The paper's claim** (Section 2.1 and its Appendix C): all networks achieve low error;
# the appendix shows histograms of the final losses of every network, per task.
#
# Here: histograms of the validation MSE of every stored network, per task, coloured by
# architecture and split by activation, with the networks that diverged counted apart.

# %% tags=["remove-output"]
# NBVAL_IGNORE_OUTPUT
import numpy as np
import pandas as pd
from universality.notebooks import start_tensorflow
tf = start_tensorflow()  # TensorFlow's and XLA's start-up logs land in this cell, which nbval ignores

from universality import pages, plotting

plotting.setup()

# %% tags=["parameters"]
profile: str = "book"  # population profile: 'smoke', 'book' or 'paper'
data_root: str = ""  # root of the store of trained networks ("" means the repository data folder)
tasks: list = ["flipflop", "sine", "cdi"]  # tasks to show

# %%
pages.check(profile=profile, data_root=data_root, tasks=tasks)
pops = {t: pages.population_for_page(pages.page_profile(profile, t), t, root=data_root) for t in tasks}
table = pd.concat([p.table for p in pops.values()])
print(f"profile {profile!r}: {len(table)} networks over {len(tasks)} task(s), {int(table.diverged.sum())} diverged")

# %% [markdown]
# ## Histograms

# %%
for t, pop in pops.items():
    fig = plotting.plot_loss_histograms(pop.table, title=f"{t}: validation MSE of every network")

# %% [markdown]
# ## The numbers
#
# Minimum, median and maximum validation MSE per task, architecture and activation, and
# how many networks diverged; then the same as the *normalised error* (validation MSE over
# the MSE of an output stuck at 0) against each task's quality criterion (see the methods
# page). The silent-output MSE of each task is printed with its criterion.

# %%
pages.loss_table(table).round(4)

# %%
for t, pop in pops.items():
    print(pages.quality_statement(pop))
pages.quality_summary(table)
