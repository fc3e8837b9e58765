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
import tensorflow as tf  # noqa: F401  (its start-up log is ignored by nbval)

from universality import pages, plotting
from universality.tasks import make_task

plotting.setup()

# %% tags=["parameters"]
trial_seed: int = 0  # seed of the example trials drawn below

# %%
pages.check_page_params(seed=trial_seed)
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
# iteration), so training is reproducible and resumable.
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
# polishing would drag onto the few exact fixed points, so there we keep unpolished points
# with $q \le 10^{-4}$ (speed at most 0.014 per step) and merge points closer than 0.1
# (the paper does not state its criterion). Jacobians come from one reverse pass over
# tiled copies of each point.
#
# **Topology.** Flip-flop: from every fixed point, 100 random perturbations of norm 0.05
# run under the autonomous dynamics until they settle; the fraction that ends at each
# stable point gives a transition-probability matrix, its rows and columns ordered by the
# sign pattern of the fixed point's readout so that matrices of different networks are
# comparable (networks with a fixed-point count other than the modal one are set aside).
# Sine and CDI: nearest-neighbour graphs over the input-dependent fixed points (one per
# frequency; 10 evenly spaced along each context's line attractor). Networks are compared
# by the Euclidean distance between their matrices.
#
# ## Representational geometry
#
# **SVCCA** {cite:p}`raghu2017svcca`: centre each network's states (samples x units), keep
# the top principal components covering 95% of the variance, run CCA between the two
# reductions, and report $1 - \bar\rho$, one minus the mean canonical correlation.
# **Linear CKA** {cite:p}`kornblith2019similarity`:
# $\mathrm{CKA}(X, Y) = \|Y^\top X\|_F^2 / (\|X^\top X\|_F \|Y^\top Y\|_F)$ on centred data;
# distance $1 - \mathrm{CKA}$. Networks are embedded in 2-D by classical multidimensional
# scaling {cite:p}`borg2005mds` of the distance matrices.

# %%
print("tasks:", {t.name: (t.n_inputs, t.n_outputs, t.n_steps) for t in (ff, sine, cdi)})
