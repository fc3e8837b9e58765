"""Figures that must draw whatever the statistics give them."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from universality import plotting  # noqa: E402


def test_clustering_bars_draw_an_interval_that_excludes_its_estimate():
    """A bootstrap interval need not contain the point estimate (a tie-averaged accuracy at
    the edge of its range): the bars draw [low, high] as it is."""
    idx = pd.MultiIndex.from_tuples([("flipflop", "svcca", lab, "all") for lab in ("arch", "activation")],
                                    names=["task", "distance", "label", "networks"])
    table = pd.DataFrame({"nn_effect": [0.30, 0.05], "nn_low": [0.32, -0.10], "nn_high": [0.60, 0.20]}, index=idx)
    fig = plotting.plot_clustering_bars(table, "all")
    ax = fig.axes[0]
    segments = [seg for coll in ax.collections for seg in coll.get_segments()]
    assert any(np.allclose(sorted(s[:, 1]), [0.32, 0.60]) for s in segments)
