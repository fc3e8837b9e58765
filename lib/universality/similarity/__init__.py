"""Representational similarity of networks: SVCCA and linear CKA, one pair or all pairs.

A network's *representation* is a ``(n_samples, n_units)`` matrix: its hidden states on
a fixed set of inputs, concatenated over trials and time.  Two networks are compared on
the SAME inputs, so their sample counts must match; their unit counts may differ.

SVCCA (singular vector canonical correlation analysis; Raghu, Gilmer, Yosinski and
Sohl-Dickstein, NeurIPS 2017), as Section 2.3 of the paper describes it:

1. centre each representation, ``Xc = X - 1 mean(X)``, and write ``Xc = U S V^T``;
2. keep the top ``k`` principal components, the smallest ``k`` with
   ``sum_{i<=k} s_i^2 >= variance_kept * sum_i s_i^2`` (variance = SQUARED singular
   values); the reduced representation is ``Xr = Xc V_k = U_k S_k``;
3. canonical correlation analysis between the reduced representations.  Because CCA is
   invariant to invertible linear maps of either side, it depends only on the column
   spaces, ``span(U_k)``: with orthonormal bases ``Q_x`` (n x k_x) and ``Q_y`` (n x k_y)
   the canonical correlations are the singular values of ``Q_x^T Q_y``,
   ``1 >= rho_1 >= ... >= rho_m >= 0`` with ``m = min(k_x, k_y)``;
4. distance ``d = 1 - (1/m) sum_i rho_i`` (the plain mean, as in the paper's Fig. 1c).

Linear CKA (centered kernel alignment; Kornblith, Norouzi, Lee and Hinton, ICML 2019),
computed in feature space, never with samples x samples kernels::

    CKA(X, Y) = ||Yc^T Xc||_F^2 / (||Xc^T Xc||_F ||Yc^T Yc||_F),   d = 1 - CKA.

Metrics are objects (:class:`SVCCA`, :class:`MatchedSVCCA` (both sides of every pair keep
the same number of components), :class:`LinearCKA`, :class:`Procrustes`, the angular shape
metric with partial whitening) and :func:`pairwise` computes any of them for all pairs (:func:`pairwise_distances` names the metric by a string).  All pairs reduce each
network ONCE and batch the pair products: the cached bases are stacked block by block (networks sorted by their kept
dimension, zero-padded to the largest in the block) so that one matrix product
``B_I^T B_J`` yields the ``Q_i^T Q_j`` of every pair of two blocks, and one batched
singular-value call yields their correlations.  Memory is bounded by the block size.
:func:`kept_dimensions` tabulates how many components each network keeps under a metric;
:func:`cross` gives the distances from a few networks to a population (the (A, B) block of
the merged all-pairs matrix, without the population's own pairs).
"""

from .blocks import COLUMN_BUDGET
from .core import (DIMS, SUFFIX, Reduced, cka_distance, linear_cka, reduce, svcca_correlations, svcca_distance,
                   svcca_distance_reduced)
from .cross import cross, labelled_cross
from .dimensions import kept_dimensions, kept_summary
from .metrics import (K_RULES, METRICS, LinearCKA, MatchedSVCCA, Metric, Procrustes, SVCCA, metric_from_name,
                      pairwise, pairwise_distances)

__all__ = ["METRICS", "DIMS", "SUFFIX", "COLUMN_BUDGET", "Reduced", "reduce", "svcca_correlations", "svcca_distance",
           "svcca_distance_reduced", "linear_cka", "cka_distance", "Metric", "SVCCA", "MatchedSVCCA", "K_RULES",
           "LinearCKA", "Procrustes",
           "metric_from_name", "pairwise", "pairwise_distances", "cross", "labelled_cross", "kept_dimensions",
           "kept_summary"]
