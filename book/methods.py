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
# # Methods
#
# What the library computes, with the equations, and where it follows or departs from
# {cite:t}`maheswaranathan2019universality`.
#
# ## The four cells
#
# Each network updates its state $h_t = F(h_{t-1}, x_t)$ and reads out $y_t = W_{out} h_t + b_{out}$
# (for the LSTM, from the $h$ half of its state). $\phi$ is the non-gate nonlinearity
# (relu or tanh, the paper's "activation"), $\sigma$ the logistic sigmoid of the gates,
# $\odot$ the elementwise product.
#
# | cell | update |
# |---|---|
# | Vanilla | $h' = \phi(W_x x + W_h h + b)$ |
# | UGRNN {cite:p}`collins2017capacity` | $g = \sigma(W_{gx} x + W_{gh} h + b_g)$, $c = \phi(W_{cx} x + W_{ch} h + b_c)$, $h' = g \odot h + (1 - g) \odot c$ |
# | GRU {cite:p}`cho2014gru` | $r = \sigma(\cdot)$, $u = \sigma(\cdot)$, $c = \phi(W_{cx} x + W_{ch}(r \odot h) + b_c)$, $h' = u \odot h + (1-u) \odot c$ |
# | LSTM {cite:p}`hochreiter1997lstm` | $i, f, o = \sigma(\cdot)$, $g = \phi(\cdot)$, $c' = f \odot c + i \odot g$, $h' = o \odot \phi(c')$; state $[h; c]$ |
#
# The state is always one flat vector (the LSTM's is $[h; c]$, $2N$ entries), so fixed
# points and Jacobians need no special case. The weights of a population of networks of
# one (arch, activation, units) are stacked along a leading axis, so one TensorFlow graph
# steps them all. Initialisation (not stated in the paper): Glorot-uniform input weights,
# orthogonal recurrent blocks, zero biases except the LSTM forget gate (1).

# %% tags=["remove-output"]
# NBVAL_IGNORE_OUTPUT
import numpy as np
from universality.notebooks import start_tensorflow
tf = start_tensorflow()  # TensorFlow's and XLA's start-up logs land in this cell, which nbval ignores

from universality import pages, plotting
from universality.tasks import make_task

plotting.setup()

# %% tags=["parameters"]
trial_seed: int = 0  # seed of the example trials drawn below

# %%
pages.check(trial_seed=trial_seed)
rng = np.random.default_rng(trial_seed)

# %% [markdown]
# ## The three tasks (Fig. 1a, 2a, 3a)
#
# **3-bit flip-flop** {cite:p}`sussillo2013opening`: three inputs carry pulses of $\pm 1$
# with probability 0.05 per step and channel; output $k$ holds the sign of the last pulse
# on input $k$. T = 100. (Every channel is pulsed at t = 0 so the outputs are defined.)

# %%
ff = make_task("flipflop")
b = ff.sample(rng, 1)
fig = plotting.plot_trial(b.inputs_btm[0], b.targets_bto[0], title="3-bit flip-flop (Fig. 1a)")

# %% [markdown]
# **Frequency-cued sine wave** {cite:p}`sussillo2013opening`: a static input
# $x \sim U(0, 1)$ commands the frequency $\omega = 0.04 x + 0.01$ cycles per step; the
# target is $\sin(2 \pi \omega t)$, T = 500 steps.

# %%
sine = make_task("sine")
b = sine.sample(rng, 1)
fig = plotting.plot_trial(b.inputs_btm[0], b.targets_bto[0], input_names=["x"], output_names=["sin"],
                          title=f"Sine wave (Fig. 2a): x = {b.inputs_btm[0, 0, 0]:.2f}, "
                                f"omega = {sine.omega(b.inputs_btm[0, 0, 0]):.3f} cycles/step")

# %% [markdown]
# **Context-dependent integration** {cite:p}`mante2013context`: two one-hot context inputs
# and two white-noise streams $\mathcal{N}(\mu_k, 1)$ with $\mu_k \sim U(-1, 1)$ per trial;
# the output is the running sum of the cued stream only. T = 30.

# %%
cdi = make_task("cdi")
b = cdi.sample(rng, 1)
fig = plotting.plot_trial(b.inputs_btm[0], b.targets_bto[0],
                          input_names=["context 1", "context 2", "stream 1", "stream 2"],
                          output_names=["sum"], title=f"Context-dependent integration (Fig. 3a): "
                                                      f"context {int(b.labels.context[0]) + 1}")

# %% [markdown]
# ## Training
#
# The loss of network $p$ is the mean squared error over batch, time and outputs plus
# $\lambda_p \sum_W \|W\|_F^2$ over its weight matrices. The paper trains with SGD and
# momentum for 20,000 iterations (batch 64), an exponentially decaying learning rate and
# gradient-norm clipping, after a random search per configuration (clip log-uniform in
# [0.1, 10], initial rate in [1e-5, 0.1], decay 0.1-0.9, momentum 0-1) judged on a
# validation set. The `paper` profile does exactly that; the `book` profile this book is
# built from trains fewer, smaller populations with Adam and fixed hyperparameters (see
# the introduction and the README for every departure). Each network's hyperparameters
# are vectors in the batched graph; a network whose loss turns NaN/inf is marked diverged
# and excluded, never a crash. Every batch is a pure function of (network seed,
# iteration), so training is reproducible and resumable. Gradients come from
# backpropagation through time written out per cell and compiled with XLA
# (`universality.bptt`), equal to TensorFlow's automatic differentiation to float32
# round-off (tested); the stored networks were trained with the automatic-differentiation
# step, which `universality train --gradients autodiff` still runs and which reproduces
# them bit for bit (tested on the committed smoke networks).
#
# ## Fixed points and linearisation
#
# Following {cite:t}`sussillo2013opening` and {cite:t}`golub2018fixedpointfinder`, fixed
# points minimise $q(h) = \tfrac12 \|F(h, x^*) - h\|^2$ from many initial states sampled
# from the network's own trajectories, for static condition inputs $x^*$ (time-varying
# input dimensions set to 0). Around each, $h_t \approx h^* + J (h_{t-1} - h^*)$ with
# $J = \partial F / \partial h$, whose eigendecomposition (right and left eigenvectors)
# gives the linearised dynamics: stable points have all $|\lambda| < 1$, saddles some
# unstable directions.
#
# Our finder (`universality.fixed_points`) runs Adam on 1,024 (sine: 256) initial states per network
# (the network's states on 64 random trials plus Gaussian noise), for all networks of one
# architecture at once, with per-point stopping, an adaptive step and gradient clipping;
# then a few Levenberg-Marquardt steps polish each candidate to round-off
# ($q \le 10^{-10}$ kept), duplicates closer than 0.01 are merged and distance outliers
# dropped. For the CDI task the line attractor is a continuum of *slow* points, which
# polishing would drag onto the few exact fixed points. There the search
# (`universality.fixed_points.lines`) starts from the states the network actually holds
# -- each context driven to 41 levels of the integrated value, then the streams switched
# off for another trial -- plus small noise; a point's speed is measured relative to the
# line's length over the task's T steps, and a point stops as soon as that speed is below
# 0.02 (it would travel 2% of the line in a trial), so points do not slide onto a few exact
# points; points up to 0.1 are kept, and 21 equal readout slots over the held range keep one
# each. Counts change only when a point crosses a slot, not when a threshold falls between
# two nearly equal values (a 1e-6 change of the weights changes no per-line count, tested).
# The coverage of the held range (the share within reach of a slow point) is reported per
# line; the paper does not state its criterion. Jacobians are written out in closed form per
# cell (tested against automatic differentiation of the update rule and against finite
# differences).
#
# **Topology.** Flip-flop: from every fixed point, 100 random perturbations of norm 0.05
# run under the autonomous dynamics until they settle; the fraction that ends at each
# stable point gives a transition-probability matrix (Section 3.1). Comparing two
# networks' matrices entry by entry needs row $i$ to mean the same fixed point in both.
# The paper orders the points "lexicographically ... based on the RNN readout" and sets
# aside networks whose number of points differs from the modal one. Sorting by a rounded
# readout does not line saddles up: a saddle's readout is near 0 on the channels it sits
# between and varies by about 0.2 from network to network, so the rounding scrambles their
# order. The book therefore gives every fixed point of a K-bit network a **label**, one of
# the $3^K$ positions $t \in \{-1, 0, +1\}^K$ of the cube (corners, edge midpoints, face
# centres, the centre), and the rows and columns of the compared $3^K \times 3^K$ matrix
# are these positions; a position a network has no point for is an empty row, so every
# network whose fixed points were found is compared. Two principles assign the labels
# (`universality.topology.alignment`):
#
# * **by position** (the book's default): each point goes to the position nearest its
#   readout, one point per position, by a minimum-cost assignment
#   $\min \sum_i \|y_i - t_{(i)}\|^2$. This is the paper's own principle -- the readout
#   decides -- without the rounding;
# * **by routing**: a stable point takes its corner's sign pattern; a saddle takes the
#   smallest sub-cube containing the corners its perturbations reach (an edge saddle that
#   sends runs to two neighbouring corners is that edge). This labels a point by what it
#   does rather than where it reads out; two points claiming one label keep the one whose
#   number of unstable dimensions matches the sub-cube's dimension.
#
# The paper's own procedure (rounded readout order, modal-count networks only) is computed
# beside them. The columns are always "the run ended at this corner". Which principle is
# used can change a verdict, so every page reports all three, and the claims page judges
# the topology claims under each. Known answers in the tests: a network with its fixed
# points shuffled is at distance 0 from itself under all three; a network missing one edge
# saddle is at distance $\sqrt{0.5}$ (one row (0.5, 0.5) gone); one whose two opposite
# corners swap roles is far.
#
# Sine: the paper's graph -- edges between nearest-neighbour fixed points, one per command
# frequency in order (the lowest-q point of that frequency; a frequency without a point
# is an empty row) -- is computed and reported as **the paper's literal measure**. For
# points on a curve it only records whether each point's nearest neighbour is the next
# lower or the next higher frequency, that is, whether the spacing along the curve shrinks
# or grows: geometry, not topology. The book's sine topology is therefore the
# **stability signature**: per frequency, the number of fixed points, and the slowest
# point's unstable oscillatory modes (complex pairs with $|\lambda| > 1$) and unstable real
# modes, compared by Euclidean distance; it does not change under any re-spacing of the
# points (tested). Verdicts are given under both. CDI: per context, the slow points on the
# line (leading $|\lambda| \le 1.05$) sorted by readout fill 10 slots evenly along it; a
# line with fewer points leaves slots empty. Networks are compared by the Euclidean
# distance between their matrices.
#
# **Fixed points, exact and approximate.** The paper counts approximate fixed points --
# "not truly fixed but ... very slow on the time scale of the task" -- as fixed points.
# The flip-flop structure claim is graded on approximate points ($q \le 10^{-6}$ after
# the polish: under 0.15 state units of drift over a 100-step trial), with the count of
# exact points ($q \le 10^{-10}$) printed beside it.
#
# **Statistics.** "Clusters by architecture" is read as an **effect with an interval**,
# not a p-value. The effect is the leave-one-out nearest-neighbour accuracy of the label
# under a distance matrix minus its exact permutation chance level; when a network has
# several equally near neighbours (topology distances take few distinct values), the
# credit is shared among them, so the result does not depend on the order of the
# networks. Its 95% interval is a stratified bootstrap over networks (resampled with
# replacement within each class; a network is never its own copy's neighbour). A claim
# that a label *clusters* is reproduced when the interval lies above 0 and the permutation
# test (1,000 label shuffles) rejects too: with a hub network every network's nearest
# neighbour is the hub whichever networks are resampled, so the interval can sit above 0,
# even with zero width, while shuffled labels do as well (such a reading is inconclusive,
# and says why; so is any zero-width interval that does not cluster). A claim that it
# does *not* cluster needs an equivalence test: the interval must lie below a margin fixed
# in the library before any run (0.10: at most one network in ten more often next to its
# own class than chance would put it). Otherwise the verdict is **inconclusive**, printed
# with the number of networks at which the interval (shrinking as $1/\sqrt{n}$) would have
# decided it: failing to detect an effect in a few dozen networks is not evidence of its
# absence. Each test is run on the paper's MDS panel subset (architectures among tanh
# networks, activations among Vanilla networks) and on every network. The comparison of
# topology with geometry (Fig. 1f; the Discussion's "far less variation" for all three
# tasks) uses the separation ratio, mean distance between classes over mean distance
# within them (1: no separation), of both matrices, with a bootstrap interval of the
# difference. Each verdict of the scorecard is also judged again on the two halves of the
# population split by seed and on 20 subsamples of three quarters of every class; a
# verdict whose halves disagree is marked unstable.
#
# **Quality criterion.** A network has learned its task when its validation error, divided
# by the error of the silent output (a network that always outputs 0), is at most 0.01
# (flip-flop, CDI) or 0.1 (sine, whose 500-step oscillation drifts in phase with any error
# in frequency); networks that miss it are left out of every analysis and counted on each
# page (`universality.quality`).

# ## Representational geometry
#
# **SVCCA** {cite:p}`raghu2017svcca`: centre each network's states (samples x units), keep
# the top principal components covering 95% of the variance, run CCA between the two
# reductions, and report $1 - \bar\rho$, one minus the mean canonical correlation. As the
# paper describes it, each network keeps its own number of components $k_i$ and a pair
# averages $\min(k_a, k_b)$ correlations; a network whose representation is
# low-dimensional then correlates well with anyone and sits close to every other network
# (a **hub**). The book's verdicts use **SVCCA with matched dimensions**: both networks of
# every pair keep the same $k$, the largest 95% count of the population (a network with
# fewer real dimensions contributes zero correlations for the missing ones), so every pair
# is on one scale and no network keeps less than 95% of its variance
# (`universality.similarity.MatchedSVCCA`). The 95%-per-network reading is printed beside
# every geometry verdict, with the verdict it would give, and each page prints every
# network's kept dimensions. The **hub diagnostic** (`universality.hubs`) runs on every
# distance matrix a verdict uses: a network is a hub when its 90th-percentile distance to
# the others is below half the population's median of that value, or when it is the
# nearest neighbour of more than a third of the others.
# **Linear CKA** {cite:p}`kornblith2019similarity`:
# $\mathrm{CKA}(X, Y) = \|Y^\top X\|_F^2 / (\|X^\top X\|_F \|Y^\top Y\|_F)$ on centred data;
# distance $1 - \mathrm{CKA}$. Networks are embedded in 2-D by classical multidimensional
# scaling {cite:p}`borg2005mds` of the distance matrices.
#
# **Beyond the paper.** The Procrustes shape metric is the angular one of
# {cite:t}`williams2021generalized` with $\alpha = 1$ on the full representations (netrep's
# `LinearMetric(alpha=1, score_method="angular")`; truncating to a share of the variance is
# an option, named as a departure where used). Dynamical Similarity Analysis
# {cite:p}`ostrow2023beyond` fits one linear operator per network to its delay-embedded,
# whitened, uncentred trajectories without an intercept, as the method's reference package
# (`dsa-metric`) does, and aligns two operators up to an orthogonal change of basis
# (angular score); the aligner starts from eigenvector frames under every sign pattern
# that matters, so an operator and any conjugate of it give the same distances (tested),
# and it reproduces `dsa-metric` on a committed fixture. The centred operator with an
# intercept that the book used before is kept as `operator="centred"`.

# %%
print("tasks:", {t.name: (t.n_inputs, t.n_outputs, t.n_steps) for t in (ff, sine, cdi)})
