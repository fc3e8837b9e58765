"""Placing a network among the reference population (universality.placement)."""

import numpy as np
import pandas as pd
import xarray as xr

from universality import placement


def test_nearest_ties_within_the_measures_resolution():
    """Two reference networks closer to the model than the measure resolves are tied
    nearest neighbours (their classes share the vote); with no declared resolution only
    the exact nearest counts (negative control)."""
    row = pd.Series([1.00, 1.01, 2.0, 3.0], index=["a", "b", "c", "d"])
    classes = pd.Series(["gru-tanh", "lstm-tanh", "gru-tanh", "lstm-tanh"], index=row.index)
    exact = placement.nearest_classes(row, classes, k=2)
    assert exact["nearest"] == ["a"] and exact["nn_class"] == "gru-tanh" and exact["nn_weight"] == 1.0
    tied = placement.nearest_classes(row, classes, k=2, atol=0.02)
    assert tied["nearest"] == ["a", "b"] and tied["nn_weight"] == 0.5


def test_the_table_reads_the_declared_tie_tolerance():
    ids = ["r0", "r1", "r2", "r3"]
    labels = pd.DataFrame({"arch": ["gru", "lstm", "gru", "lstm"], "activation": ["tanh"] * 4}, index=ids)
    block = xr.DataArray(np.array([[1.00, 1.01, 2.0, 3.0]]), dims=("network", "network_2"),
                         coords={"network": ["model"], "network_2": ids})
    ref = xr.DataArray(np.ones((4, 4)) - np.eye(4), dims=("network", "network_2"),
                       coords={"network": ids, "network_2": ids})
    plain = placement.nearest_table({"topology": block}, {"topology": ref}, labels, k=2)
    assert plain["nearest network"].iloc[0] == "r0"
    ref.attrs["tie_tolerance"] = 0.02
    tied = placement.nearest_table({"topology": block}, {"topology": ref}, labels, k=2)
    assert tied["nearest network"].iloc[0] == "r0, r1" and tied["share of the tied nearest"].iloc[0] == 0.5
