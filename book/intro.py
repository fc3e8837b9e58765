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
# # Universality and individuality in RNN dynamics
#
# An executable, reproducible reproduction of {cite:t}`maheswaranathan2019universality`,
# built from the `universality` library (`lib/` in the repository) and the trained networks
# stored in `data/`.
#
# ## What the paper asks, and what it finds
#
# Task-trained recurrent networks are often compared with brains, or with each other, by the
# geometry of their activity (CCA-like measures). But many different networks solve the same
# task: Vanilla RNNs, gated UGRNNs, GRUs and LSTMs, each with a relu or a tanh nonlinearity.
# Which properties of their dynamics depend on such modelling choices (*individuality*), and
# which are fixed by the task (*universality*)?
#
# The paper trains thousands of networks on three canonical tasks (a 3-bit flip-flop memory,
# a frequency-cued sine-wave generator, and context-dependent integration) and finds:
#
# - the **representational geometry** (SVCCA, CKA) clusters networks by architecture and
#   by activation: it is individual;
# - the **topology of the fixed points** (which stable and unstable states exist and how
#   the flow connects them) and the **linearised dynamics** around them are largely the
#   same across architectures: they are universal, with systematic, smaller differences
#   (e.g. the number of modes gated networks use to integrate);
# - SVCCA can rate an untrained network closer to a trained one than two trained networks
#   with different nonlinearities, a caution for geometry-based comparisons.

# %% [markdown]
# ## The paper's claims, checked (in short)
#
# Each claim of the paper that the book tests, and its verdict on the book's populations,
# computed by the library (the full table, with the paper's sentences, the numbers and the
# criteria, is on {doc}`scorecard`):

# %% tags=["remove-cell"]
# NBVAL_IGNORE_OUTPUT
from universality.notebooks import start_tensorflow
tf = start_tensorflow()  # TensorFlow's and XLA's start-up logs land in this cell, which nbval ignores

from universality import claims, evidence, pages

tf.get_logger().setLevel("ERROR")  # no retracing notices in the page

# %% tags=["parameters"]
profile: str = "book"  # population profile whose claims are summarised: 'smoke', 'book' or 'paper'
data_root: str = ""  # root of the store of trained networks ("" means the repository data folder)

# %% tags=["remove-input"]
pages.check(profile=profile, data_root=data_root)
pops = {t: pages.population_for_page(pages.page_profile(profile, t), t, root=data_root)
        for t in ("flipflop", "sine", "cdi")}
card = claims.paper_claims(evidence.scorecard(pops))  # the paper's claims; findings beyond it are on the scorecard page
short = card[["task", "verdict"]].copy()
short.index.name = "claim"
print(short.groupby("verdict").size().to_string())
short

# %% [markdown]
# ## What this book reproduces
#
# | paper | page |
# |---|---|
# | Methods: cells, tasks (Fig. 1a, 2a, 3a), training, fixed points, topology, statistics | {doc}`methods` |
# | The trained populations, one page per task, with the quality criterion | {doc}`task_flipflop`, {doc}`task_sine`, {doc}`task_cdi` |
# | Fig. 1: 3-bit flip-flop (trajectories, SVCCA, MDS, fixed points, transition graphs, topology MDS) | {doc}`figure1` |
# | Fig. 2: sine wave (trajectories, SVCCA MDS, fixed points and eigenvalues, topology MDS, linearised frequency) | {doc}`figure2` |
# | Fig. 3: context-dependent integration (line attractors, SVCCA MDS, topology MDS, spectra, modes kept) | {doc}`figure3` |
# | Fig. 4: trained versus untrained networks | {doc}`figure4` |
# | Appendix C: final-loss histograms and the quality criterion | {doc}`appendix_losses` |
# | Appendix E: CKA versus SVCCA | {doc}`appendix_cka` |
# | Beyond the paper: every claim judged by code | {doc}`scorecard` |
# | Beyond the paper: the universality claim as nearest-neighbour tests with permutation p-values | {doc}`numbers` |
#
# Every figure page quotes the paper's sentences, computes the numbers behind them, and
# closes with the verdicts of `universality.claims`; its tables, distance matrices and
# fixed points can be downloaded as CSV and NPZ files.
#
# ## Profiles: how many networks, at what cost
#
# | profile | networks per task | training | cost on 2 CPU cores |
# |---|---|---|---|
# | `smoke` | 8 (one per arch x activation, 16 units) | 30 iterations | seconds; used by the tests |
# | `book` (this book) | 128: 8 arch x activation x 4 seeds, at 64 units with L2 1e-5, 1e-4 and 1e-3, and at 128 units with L2 1e-4 | Adam; fixed hyperparameters, or a small random search for the groups that trained worst | hours, once (see the README); stored in `data/book` |
# | `book-64` | 64: the book's population until 2026-12 (64 units, L2 1e-5 and 1e-4), a part of `book` | as `book`; the same networks | none: kept so that its earlier verdicts can be judged again ({doc}`scorecard`) |
# | `paper` | 2,880 (4 archs x 2 activations x 3 sizes x 4 L2 x 30 seeds) | SGD + momentum, 20,000 iterations, random search | GPU or Dask cluster |
#
# ## Where this reproduction differs from the paper, and why
#
# - **Smaller populations.** 128 networks per task instead of 2,880: two of the paper's
#   three sizes (64 and 128 units), three of its four L2 values (1e-5, 1e-4, 1e-3 at 64
#   units; 1e-4 at 128), 4 seeds instead of 30, and the two axes not crossed (128 units only
#   at L2 1e-4). So size and L2 vary inside every arch x activation cluster, as in the
#   paper's panels, but over a narrower range. Clustering statistics have less power than
#   the paper's; where they cannot decide, the verdict says "inconclusive" with the
#   population size that would, and the scorecard says how stable each verdict is over the
#   two seed halves and over subsamples. The `paper` profile runs the full grid with the
#   same code.
# - **Verdicts from effect sizes.** The paper reads clustering off MDS plots. The book
#   turns each reading into an effect (nearest-neighbour accuracy above chance) with a
#   bootstrap interval, and a claim that something does *not* cluster needs its interval
#   under a margin fixed in advance; see {doc}`methods`.
# - **Geometry on matched dimensions.** SVCCA keeping 95% of each network's variance, as
#   the paper describes it, makes low-dimensional networks close to everyone (hubs); the
#   verdicts use SVCCA with the same number of components on both sides of every pair, and
#   the 95% reading is printed beside each.
# - **Optimiser.** Adam and a few thousand iterations instead of SGD with momentum and
#   20,000 iterations: measured on this machine, SGD with momentum did not reach low loss
#   within the 2-core budget, Adam did. Hyperparameters are fixed per task, except for the
#   groups whose median error missed their task's quality criterion or was more than 5 times
#   their task's typical group: those were retrained after a small random search over the
#   paper's ranges, the profile's own setting competing with the draws and the winner chosen
#   by validation loss, as the paper chose.
# - **A stated quality criterion.** The paper says all its networks "achieve low error".
#   Here a network's validation error divided by that of a silent output must be at most
#   0.01 (flip-flop, CDI) or 0.1 (sine); networks that miss it are left out of every
#   analysis and counted on every page.
# - **Sine task.** 3,000 iterations with a curriculum over the trial length (20 to 500
#   steps over the first half of training), batch 32, and a 4x smaller learning rate for
#   Vanilla networks than for gated ones. With the curriculum LSTM-relu networks train,
#   which the paper reports failing on this task; {doc}`task_sine` shows how many meet the
#   criterion.
# - **Flip-flop LSTM-relu** networks train with a curriculum too (trial length 10 to 100);
#   with the flip-flop defaults three of four diverged.
# - **Lining fixed points up across networks.** The paper orders flip-flop fixed points by
#   their rounded readout and discards networks with a non-modal number of points. The book
#   labels each point by its position on the cube (and, as a check, by where its
#   perturbations lead), compares every network, and reports the paper's procedure beside
#   it; see {doc}`methods`.
# - **Fixed points of the CDI task** are slow points sampled along the line each context
#   holds (started from the network's own hold states, stopped as soon as they are slow on
#   the task's time scale, one per readout slot); the paper does not state its criterion.
# - **Representations** compared by SVCCA/CKA are the hidden states h on 64 (sine: 32)
#   random task trials; for the LSTM, h and not the cell state c.
# - **Sine topology.** The paper's nearest-neighbour graph over the per-frequency fixed
#   points records their spacing along a curve; the book's sine topology is each
#   frequency's stability signature, with the paper's graph reported beside it.
# - **Choices the paper leaves open**, made explicit: initialisation (Keras defaults), a
#   pulse on every flip-flop channel at t = 0, the sine time in steps, the learning-rate
#   decay interval, the L2 penalty on weight matrices only.
#
# ## Rerunning a page with other parameters
#
# Every executable page has a parameters cell: the paper's task constants (flip-flop bits
# and flip probability, sine frequency range, CDI contexts, trial length and noise) and the
# population (seeds, architectures, activations, network sizes, L2 values). Run it with
# papermill, e.g. Figure 1 with two bits and one seed:
#
# ```bash
# universality page figure1 -p n_bits 2 -p n_seeds 1 -o out.ipynb
# # or, with papermill itself:
# jupytext --to ipynb -o - book/figure1.py | papermill - out.ipynb -p n_bits 2 -p n_seeds 1
# ```
#
# `papermill --help-notebook` on the converted notebook lists each parameter with its type,
# default and meaning. A page whose networks are not stored trains them first (with
# progress bars); changed task constants, sizes or L2 values get their own directory in the
# store, so the book's networks are never overwritten. A statistic a small population
# cannot support is reported in one line, and the page goes on.
