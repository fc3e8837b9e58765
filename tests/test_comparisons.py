"""How distance measures are compared with each other."""

import warnings

import numpy as np
import xarray as xr

from universality.comparisons import rank_agreement


def _matrix(d, ids):
    return xr.DataArray(d, dims=("network", "network_2"), coords={"network": ids, "network_2": ids})


def test_rank_agreement_known_answers_and_a_constant_matrix():
    rng = np.random.default_rng(0)
    ids = [f"n{i}" for i in range(6)]
    a = rng.random((6, 6))
    a = a + a.T
    np.fill_diagonal(a, 0)
    mats = {"a": _matrix(a, ids), "twice": _matrix(2 * a + 1, ids), "neg": _matrix(-a, ids),
            "flat": _matrix(np.ones((6, 6)) - np.eye(6), ids)}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a constant matrix gives NaN, not scipy's warning
        rho = rank_agreement(mats)
    assert rho.loc["a", "twice"] == 1.0 and rho.loc["a", "neg"] == -1.0
    assert np.isnan(rho.loc["a", "flat"]) and np.isnan(rho.loc["flat", "flat"])
