"""The quality criterion: normalised error against the silent output, and the remedy rule."""

import numpy as np
import pandas as pd
import pytest

from universality import quality


def test_silent_loss_and_normalised_error():
    y = np.ones((4, 10, 3))
    y[::2] = -1
    assert quality.silent_loss(y) == 1.0
    ne, ok = quality.normalised_errors([0.005, 0.02, np.nan], "flipflop", 1.0)
    np.testing.assert_allclose(ne[:2], [0.005, 0.02])
    assert ok.tolist() == [True, False, False]  # a diverged network (NaN) never meets it
    _, ok_sine = quality.normalised_errors([0.04], "sine", 0.5)  # NE 0.08 <= 0.1
    assert ok_sine.tolist() == [True]
    with pytest.raises(ValueError, match="task_name='maze'"):
        quality.normalised_errors([0.1], "maze", 1.0)
    with pytest.raises(ValueError, match="targets_bto is empty"):
        quality.silent_loss(np.zeros((0, 5, 1)))


def table(values):
    rows = []
    for (task, arch, act), nes in values.items():
        for ne in nes:
            rows.append({"task": task, "arch": arch, "activation": act, "diverged": bool(np.isnan(ne)),
                         "normalised_error": ne, "meets_criterion": bool(ne <= quality.THRESHOLDS[task])})
    return pd.DataFrame(rows)


def test_remedy_applies_to_groups_that_miss_or_lag_far_behind():
    t = table({("cdi", "gru", "tanh"): [1e-4, 2e-4], ("cdi", "lstm", "tanh"): [2e-4, 3e-4],
               ("cdi", "vanilla", "tanh"): [4e-3, 6e-3],  # passes the threshold, 20x the typical group
               ("sine", "gru", "tanh"): [0.03, 0.05], ("sine", "vanilla", "relu"): [0.2, 0.3, np.nan]})
    q = quality.quality_table(t)
    assert q.loc[("sine", "vanilla", "relu"), "diverged"] == 1
    assert q.loc[("sine", "vanilla", "relu"), "miss"] == 2
    assert q.loc[("cdi", "vanilla", "tanh"), "miss"] == 0
    r = quality.remedy_groups(t)
    assert set(zip(r.task, r.arch, r.activation)) == {("cdi", "vanilla", "tanh"), ("sine", "vanilla", "relu")}
    assert "threshold" in r.set_index("arch").loc["vanilla"].reason.iloc[1]


def test_with_several_sizes_the_groups_are_the_networks_that_train_together():
    """A size that trains worse is named apart from the other size of its class (and a
    population of one size keeps one row per arch x activation)."""
    t = table({("sine", "gru", "tanh"): [0.03, 0.04, 0.15, 0.3], ("sine", "lstm", "tanh"): [0.03, 0.04, 0.05, 0.04]})
    t["units"] = [64, 64, 128, 128, 64, 64, 128, 128]
    q = quality.quality_table(t)
    assert q.index.names == ["task", "arch", "activation", "units"]
    assert q.loc[("sine", "gru", "tanh", 128), "miss"] == 2 and q.loc[("sine", "gru", "tanh", 64), "miss"] == 0
    r = quality.remedy_groups(t)
    assert list(zip(r.arch, r.units)) == [("gru", 128)]
    # negative control: the same networks as one size are one group, whose median passes
    t["units"] = 64
    assert quality.quality_table(t).index.names == ["task", "arch", "activation", "units"][:3]
    assert quality.remedy_groups(t).empty
