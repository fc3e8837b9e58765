"""What a network's representation is, the one way every analysis takes it.

* **Representation** of a network (SVCCA, CKA, Procrustes, DSA, PCA): its hidden state
  ``h`` on the same inputs, concatenated over trials and time (``B*T`` samples x ``N``
  units).  For the LSTM this is ``h`` (the part of the state ``[h; c]`` the readout sees),
  so that every architecture contributes ``N`` units; fixed points and Jacobians use the
  full state.
* **Inputs** of the representations: a batch of the task's own random trials drawn from
  a seed that is a page parameter (the same trials for every network); how many is the
  task's study's choice (:meth:`universality.studies.Study.representation_trials`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["LABEL_COLUMNS", "hidden", "representations", "labels_of", "PCA", "pca"]

LABEL_COLUMNS = ("arch", "activation", "units", "l2", "seed")


def hidden(population, inputs_btm: np.ndarray) -> dict[str, np.ndarray]:
    """``network_id -> (B, T, N)`` hidden states ``h`` (the LSTM's ``h``, not ``c``)."""
    states = population.states(inputs_btm)
    units = population.table["units"]
    return {nid: s[..., : int(units[nid])] for nid, s in states.items()}


def labels_of(population) -> pd.DataFrame:
    """The population's label table with a ``network_id`` column (for labelled matrices)."""
    tab = population.table
    return tab[[c for c in LABEL_COLUMNS if c in tab.columns]].reset_index()


def representations(population, inputs_btm: np.ndarray) -> list[np.ndarray]:
    """One ``(B*T, N)`` float32 matrix per network, in the population's table order."""
    hs = hidden(population, inputs_btm)
    return [h.reshape(-1, h.shape[-1]) for h in hs.values()]


class PCA:
    """Principal axes of a cloud of states: ``project(x) = (x - mean) @ axes``."""

    def __init__(self, mean: np.ndarray, axes: np.ndarray, explained: np.ndarray):
        self.mean, self.axes, self.explained = mean, axes, explained

    def project(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, np.float64)
        return (x - self.mean) @ self.axes


def pca(x: np.ndarray, n_components: int = 3) -> PCA:
    """PCA of ``(..., S)`` states (all leading axes pooled); deterministic signs (the
    largest-magnitude loading of each axis is positive)."""
    x = np.asarray(x, np.float64).reshape(-1, np.shape(x)[-1])
    if not 1 <= n_components <= x.shape[1]:
        raise ValueError(f"n_components={n_components!r} must be in [1, {x.shape[1]}]")
    mean = x.mean(0)
    _, s, vt = np.linalg.svd(x - mean, full_matrices=False)
    axes = vt[:n_components].T
    idx = np.argmax(np.abs(axes), axis=0)
    axes = axes * np.sign(axes[idx, np.arange(n_components)])
    var = s**2
    return PCA(mean, axes, var[:n_components] / max(var.sum(), 1e-300))
