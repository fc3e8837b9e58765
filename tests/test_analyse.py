"""Analysing a user's network: distances from a few networks to a population, and the report.

Tolerances: the cross blocks repeat the all-pairs computation's operations on the same
arrays, so they agree to float64 round-off (1e-12); DSA's alignment is an optimisation
whose per-pair path does not depend on the batch, allowed 1e-6 rad as the DSA tests do.
"""

import numpy as np
import pytest

from universality import dynamics_similarity as dsa
from universality import similarity as sim


def _reps(seed=0, n=6):
    rng = np.random.default_rng(seed)
    reps = [rng.standard_normal((240, 4)) @ rng.standard_normal((4, 10)) + 0.05 * rng.standard_normal((240, 10))
            for _ in range(n)]
    reps[0] = rng.standard_normal((240, 10))  # full rank: raises MatchedSVCCA's common k for the merged set
    return reps


@pytest.mark.parametrize("metric", [sim.SVCCA(), sim.MatchedSVCCA(), sim.LinearCKA(), sim.Procrustes()],
                         ids=lambda m: m.name)
def test_cross_is_the_block_of_the_merged_all_pairs_matrix(metric):
    reps = _reps()
    full = sim.pairwise(metric, reps, progress=False)
    block = sim.cross(metric, reps[:2], reps[2:])
    assert block.shape == (2, 4)
    np.testing.assert_allclose(block.values, full.values[:2, 2:], rtol=0, atol=1e-12)
    assert block.attrs == full.attrs


def test_cross_binds_matched_svcca_on_both_sets():
    """The new network's components raise the common k: the stored matrix of the others no
    longer fits, and the attrs say so."""
    reps = _reps()
    alone = sim.pairwise(sim.MatchedSVCCA(), reps[1:], progress=False)
    block = sim.cross(sim.MatchedSVCCA(), reps[:1], reps[1:])
    assert block.attrs["k_common"] > alone.attrs["k_common"]
    assert block.attrs != alone.attrs


def test_cross_labels_and_errors():
    import pandas as pd

    reps = _reps(n=3)
    block = sim.cross(sim.SVCCA(), reps[:1], reps[1:], pd.DataFrame({"network_id": ["mine"], "arch": ["gru_ra"]}),
                      pd.DataFrame({"network_id": ["a", "b"], "arch": ["gru", "lstm"]}))
    assert list(block.coords["network"].values) == ["mine"] and list(block.coords["arch_2"].values) == ["gru", "lstm"]
    with pytest.raises(ValueError, match="samples"):
        sim.cross(sim.SVCCA(), [reps[0][:100]], reps[1:])
    with pytest.raises(ValueError, match="is not a Metric"):
        sim.cross("svcca", reps[:1], reps[1:])


def test_cross_operator_distances_are_the_row_of_the_all_pairs_matrix():
    rng = np.random.default_rng(1)
    states = {f"n{i}": np.cumsum(rng.standard_normal((3, 40, 5)), axis=1) for i in range(5)}
    cfg = dsa.DSAConfig(n_delays=3, rank=6, iterations=300)
    ops = dsa.operators(states, cfg)
    full = dsa.operator_distances(ops, cfg)
    row = dsa.cross_operator_distances({"n0": ops["n0"]}, ops, cfg)
    assert row.shape == (1, 5) and list(row.coords["network_2"].values) == list(ops)
    np.testing.assert_allclose(row.values[0], full.values[0], rtol=0, atol=1e-6)
    assert row.values[0, 0] <= 1e-6  # itself
    with pytest.raises(ValueError, match="ops_a is empty"):
        dsa.cross_operator_distances({}, ops, cfg)
