"""Fixed points of many recurrent networks at once, and their linearisations.

A fixed point of the update rule ``h_{t+1} = F(h_t, x)`` under a static input x* is a
state with ``h* = F(h*, x*)`` (Section 2.3 of the paper; "approximate" fixed points
are merely very slow).  They are found, as in Sussillo & Barak (2013) and Golub &
Sussillo (2018), by minimising the speed

    q(h) = 1/2 || F(h, x*) - h ||^2,     grad q = (J_h(h, x*) - I)^T (F(h, x*) - h),

from many initial states, with every network of a population and every initial state
in ONE batched graph: states are ``h_pks`` (P networks x K points x S state units) and
each point carries its own condition input ``x_pkm``.

The optimiser (:func:`minimize_q`) is Adam with, for every point separately,

* gradient-norm clipping, ``g <- g min(1, clip_norm / ||g||)``;
* an adaptive step size: ``lr <- lr * lr_grow`` when q fell over the last step and
  ``lr <- lr * lr_shrink`` when it rose, kept in ``[lr_min, lr_max]``;
* a stopping rule: a point stops (and is frozen) as soon as ``q < tol_q`` or
  ``|q_i - q_{i-1}| < tol_dq``.

Adam finds the basins but converges slowly (linearly, and badly near saddles), so its
end points are then, per network:

1. cleaned (:func:`clean`): non-finite points and points with ``q > q_candidate`` are
   dropped, then distance outliers (farther from the centroid c of the network's
   reference states -- its trajectories -- than ``outlier_distance_scale`` times their
   median distance to c), then duplicates (points of one condition closer than
   ``tol_unique`` merge into the one of lowest q: connected components of the
   ``tol_unique`` neighbour graph, found with a k-d tree, never a Python pair loop);
2. polished (:func:`polish`): a few Levenberg-Marquardt steps on ``F(h) - h = 0``, which
   take a point near a fixed point (saddle or not) to float32 round-off (q ~ 1e-13)
   and leave slow points (non-zero minima of q) where they are;
3. cleaned again with ``q_max`` (default 1e-10): exact fixed points stay, slow points go.

This departs from a pure-Adam finder on purpose: on trained flip-flop networks Adam
alone left a continuum of q values between 1e-12 and 1e-5, so the number of "fixed
points" depended on an arbitrary q cut (GRU/ReLU networks gave 30-170 points); after
the polish the q values split into two groups (< 1e-12 and > 1e-9) and 25 of the 29
trained book networks give exactly the cube's 27 (8 stable, 12/6/1 saddles with
1/2/3 unstable directions).  The CDI line attractor is made of *approximate* fixed
points, which this pipeline would reduce to the few exact ones: its preset
(the CDI study's preset, a :class:`LineSearchConfig`) samples each context's
line instead, from the states the network holds, with a slowness criterion in the
task's units and one point per readout slot (:mod:`.lines`).

Finally each fixed point is linearised, ``J_h = dF/dh`` (S x S) and ``J_x = dF/dx``
(S x M), and ``J_h`` is eigendecomposed (:func:`decompose`)::

    J_h = R diag(lambda) L,   L R = I,   |lambda_1| >= |lambda_2| >= ...

with right eigenvectors as the columns of R and left eigenvectors as the rows of
``L = R^{-1}``.  A point is stable when ``max |lambda| < 1``; ``n_unstable`` counts the
eigenvalues with ``|lambda| > 1``.

Modules: :mod:`.config` (settings, task presets), :mod:`.optimise` (Adam on q, the
polish), :mod:`.cleaning` (outliers, duplicates), :mod:`.result` (the container and its
one file format), :mod:`.finder` (the finders), :mod:`.lines` (slow points along line
attractors, CDI).  Every stage's counts (initial states,
candidates, points below ``q_max``, kept) are kept in each result's ``meta['stages']``.

Entry points: :func:`find_fixed_points` takes any batched step function
``F(h_pks, x_pkm, *args) -> h_pks`` (a linear map in the tests);
:func:`find_cell_fixed_points` wraps it for the cells of :mod:`universality.cells`
(Jacobians from ``cells.jacobians``, the project's one implementation);
:func:`find_population_fixed_points` samples each network's initial states from its own
trajectories on task inputs and runs the finder per spec group, with the task's preset
the task's study preset (:mod:`universality.studies`; under a :class:`LineSearchConfig`, the CDI preset, it runs
:func:`line_slow_points` instead).  Results are
:class:`FixedPoints` (one per network), saved and loaded without pickle
(:meth:`FixedPoints.save`, :func:`save_collection`).
"""

from .cleaning import clean, deduplicate, outlier_mask
from .config import FixedPointConfig, LineSampler, LineSearchConfig
from .finder import (find_cell_fixed_points, find_fixed_points, find_population_fixed_points, linearise,
                     sample_initial_states)
from .lines import held_lines, hold_inputs, hold_trajectories, line_slow_points, slot_edges
from .optimise import OptimiseResult, minimize_q, polish, residual_and_jacobian
from .io import load_collection
from .result import COMPACT, FixedPoints, decompose, read_collection, save_collection

__all__ = [
    "FixedPointConfig",
    "LineSampler",
    "LineSearchConfig",
    "OptimiseResult",
    "FixedPoints",
    "COMPACT",
    "decompose",
    "deduplicate",
    "outlier_mask",
    "minimize_q",
    "residual_and_jacobian",
    "clean",
    "polish",
    "find_fixed_points",
    "find_cell_fixed_points",
    "sample_initial_states",
    "find_population_fixed_points",
    "linearise",
    "line_slow_points",
    "hold_inputs",
    "hold_trajectories",
    "held_lines",
    "slot_edges",
    "save_collection",
    "load_collection",
    "read_collection",
    "read_compact",
]

#: The stored (compact) form of a population's fixed points, as :func:`universality.analysis.fixed_points` reads it.
read_compact = read_collection
