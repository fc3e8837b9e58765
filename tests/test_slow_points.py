"""Slow points along the CDI line attractors (universality.fixed_points.lines).

Thresholds, fixed before the runs, and why:

* a context *holds its integral* when every drive to a value across the trained range
  reaches it within 10% of the range, keeps it within 10% over 30 steps of zero input,
  and is at rest when those end, its readout moving by at most 10% of the range per
  trial over the last 5 steps (``LineSampler.hold_tolerance``, ``rest_steps``): a slow
  point is a state at rest on the task's time scale, and a value that is still moving
  at the end of the hold has none to sample;
* its slow points *cover* the held range when at least 90% of it lies within 5% of the
  trained range (one readout slot) of a slow point's readout, and no stretch wider than
  20% of it (four slots) has none.
"""

from dataclasses import asdict

import numpy as np
import pytest

from universality import cells, linear, roundoff, studies
from universality import fixed_points as fp
from universality.population import Population, load_population
from universality.store import DEFAULT_ROOT
from universality.tasks import ContextIntegration

MIN_COVERAGE = 0.9
MAX_GAP = 0.2
#: held lines whose slow points are known not to cover them, and why.  The book's
#: LSTM-relu network at L2 1e-3, seed 1: its readout holds values up to y = 28 (and 35)
#: for the hold test's 30 steps, but above y of about 13 the states at the end of the hold
#: still move at 0.18-0.86 of the line's length per trial (v_accept is 0.1), in directions
#: the readout does not see, so no slow point is accepted there (coverage 0.84 and 0.86,
#: the top 4 of 21 slots empty): a readout that holds without a slow line in state space.
#: Found when the population grew to 128 (measured 2026-12-07 from the hold trajectories).
KNOWN_UNCOVERED = {("cdi-lstm-relu-n64-l2_1e-03-s1", 0), ("cdi-lstm-relu-n64-l2_1e-03-s1", 1)}


# --------------------------------------------------------------------------------------
# Known answer: a 2-unit ReLU network in its linear regime has an exact line attractor
# --------------------------------------------------------------------------------------


def _line_network():
    """h' = relu(x W_x + h W_h + b) with W_h = u u^T + 0.5 p p^T, u = (1, -1)/sqrt2,
    p = (1, 1)/sqrt2, b = 5 p: under either context input (zero weights) every
    ``h = s u + 10 p`` is a fixed point (the relu is the identity while |s| < 10); each
    stream adds 0.2 mu to s per step and the readout is ``y = 5 s``, so a drive of mean mu
    integrates to ``y = mu T`` and stays there."""
    u, p = np.array([1.0, -1.0]) / np.sqrt(2), np.array([1.0, 1.0]) / np.sqrt(2)
    w_x = np.zeros((4, 2))
    w_x[2] = w_x[3] = 0.2 * u
    one = {"W_x": w_x, "W_h": np.outer(u, u) + 0.5 * np.outer(p, p), "b": 5 * p, "W_out": 5 * u[:, None],
           "b_out": np.zeros(1)}
    spec = cells.CellSpec("vanilla", "relu", 2, 4, 1)
    task = ContextIntegration()
    return Population.from_stacked(task, spec, {k: v[None].astype(np.float32) for k, v in one.items()}), u, p


def test_slow_points_of_an_exact_line_attractor_lie_on_it_and_cover_it():
    pop, u, p = _line_network()
    cfg = studies.study_for("cdi").fixed_point_config(n_initial=256)
    (f,) = fp.find_population_fixed_points(pop, pop.task, cfg, progress=False).values()
    line = f.meta["line"]
    t, sampler = pop.task.n_steps, cfg.line
    assert line["holds"] == [True, True]
    np.testing.assert_allclose(line["held_lo"], [-30, -30], atol=1e-3)  # y = mu T, mu = -1 .. 1
    np.testing.assert_allclose(line["held_hi"], [30, 30], atol=1e-3)
    for c in range(2):
        g = f[f.condition == c]
        assert len(g) == sampler.n_slots, f"context {c}: {len(g)} slots of {sampler.n_slots} filled"
        # on the line: off it the map contracts by 0.5, so ||F(h) - h|| = |h.p - 10| / 2 and
        # a kept point (v <= v_accept) is within 2 v_accept L / T of it
        off = np.abs(g.h @ p - 10.0)
        assert off.max() <= 2 * sampler.v_accept * line["length"][c] / t
        np.testing.assert_allclose(g.outputs[:, 0], 5 * g.h @ u, atol=1e-4)
        np.testing.assert_allclose(np.sort(g.magnitudes, axis=1), np.tile([0.5, 1.0], (len(g), 1)), atol=1e-5)
    shapes = linear.line_shapes({0: f}, 2, target_range=60.0)
    assert np.all(shapes.coverage == 1.0) and np.all(shapes.held_span > 0.9) and np.all(shapes.max_gap < 0.1)


def test_line_coverage_counts_gaps_and_clips_to_the_held_range():
    assert linear.line_coverage([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0, 10, 0.5) == (1.0, 1.0, 0.1)
    span, cov, gap = linear.line_coverage([0, 1, 2, 8, 9, 10, 50], 0, 10, 0.5)  # a hole from 2 to 8
    assert span == 1.0 and gap == pytest.approx(0.6) and cov == pytest.approx(0.5)
    assert linear.line_coverage([], 0, 10, 1.0) == (0.0, 0.0, 1.0)
    assert np.isnan(linear.line_coverage([1.0], 3, 3, 1.0)[1])  # no held range
    with pytest.raises(ValueError, match=r"reach=-1 must be a finite number >= 0"):
        linear.line_coverage([1.0], 0, 3, -1)


def test_line_sampler_settings_are_validated():
    with pytest.raises(ValueError, match=r"v_accept=0.01 must be >= v_stop=0.02"):
        fp.LineSampler(v_accept=0.01)
    with pytest.raises(ValueError, match=r"n_slots=0 must be an integer >= 1"):
        fp.LineSampler(n_slots=0)
    with pytest.raises(ValueError, match=r"noise=-0.1 must be a number in \[0, 1\]"):
        fp.LineSampler(noise=-0.1)
    with pytest.raises(ValueError, match=r"line='hold' must be a LineSampler"):
        fp.LineSearchConfig(line="hold")
    cdi = studies.study_for("cdi").fixed_point_config(n_initial=64)
    assert isinstance(cdi, fp.LineSearchConfig) and cdi.line == fp.LineSampler() and cdi.n_initial == 64
    assert isinstance(cdi.with_(max_iters=10), fp.LineSearchConfig)
    # the flip-flop and sine presets keep every field they had: the cache keys of their
    # shipped fixed points hash asdict(config)
    for task in ("flipflop", "sine"):
        assert type(studies.study_for(task).fixed_point_config()) is fp.FixedPointConfig and "line" not in asdict(studies.study_for(task).fixed_point_config())
    pop, _, _ = _line_network()
    from universality.tasks import FlipFlop

    with pytest.raises(ValueError, match="config.line .* needs a task whose probe"):
        fp.line_slow_points(pop, FlipFlop(), cdi)
    with pytest.raises(ValueError, match="config is a FixedPointConfig: line_slow_points needs a LineSearchConfig"):
        fp.line_slow_points(pop, pop.task, fp.FixedPointConfig())


# --------------------------------------------------------------------------------------
# Round-off: the same counts and coverage with the weights perturbed by 1e-6
# --------------------------------------------------------------------------------------


def _lines_table(pop, n_initial=1024):
    fps = fp.find_population_fixed_points(pop, pop.task, studies.study_for("cdi").fixed_point_config(n_initial=n_initial), progress=False)
    counts = {(nid, c): int(np.sum(f.condition == c)) for nid, f in fps.items() for c in range(2)}
    # every slow point (max_magnitude=None): the linear analyses' filter |lambda_1| <= 1.05
    # is a threshold on a continuous quantity and not part of the sampler
    shapes = linear.line_shapes(fps, 2, target_range=60.0, max_magnitude=None).set_index(["network_id", "condition"])
    return counts, shapes


def _perturbed(monkeypatch, load):
    with monkeypatch.context() as m:  # restores the session's own setting (pytest --perturb) after
        m.setenv(roundoff.ENV, "1e-6")
        return load()


def _assert_roundoff_invariant(load, monkeypatch):
    with roundoff.unperturbed():  # the committed weights, also under pytest --perturb
        pop = load()
    moved = _perturbed(monkeypatch, load)
    nid = pop.table.index[0]
    assert not np.array_equal(pop.params[nid]["W_h"], moved.params[nid]["W_h"])  # the perturbation is real
    (c0, s0), (c1, s1) = _lines_table(pop), _lines_table(moved)
    assert c0 == c1
    # with the slots' occupancy fixed, coverage moves only as the kept points do: a slot's
    # median point can give way to its neighbour in readout order, ~0.1 readout units
    # apart at ~25 candidates per slot and ~1 unit (0.017 of the range) in the sparsest
    # slots; measured on the 64 book networks: at most 0.005
    np.testing.assert_allclose(s1.coverage, s0.coverage, atol=0.02)
    # (not compared: how many points pass |lambda_1| <= 1.05; on the 64 book networks one
    # line of a network that does not hold its integral changes)


def test_smoke_cdi_slow_points_survive_a_roundoff_perturbation(monkeypatch):
    if not (DEFAULT_ROOT / "smoke" / "cdi").exists():
        pytest.skip("no smoke-profile CDI networks in data/")
    _assert_roundoff_invariant(lambda: load_population("smoke", "cdi").select(diverged=False), monkeypatch)


@pytest.mark.slow
def test_book_cdi_slow_points_survive_a_roundoff_perturbation(monkeypatch):
    """One network per architecture x activation (seed 0, L2 1e-4)."""
    if not (DEFAULT_ROOT / "book" / "cdi").exists():
        pytest.skip("no book-profile CDI networks in data/")

    def load():
        return load_population("book", "cdi", require_complete=False).trained().select(units=64, l2=1e-4, seed=0)

    _assert_roundoff_invariant(load, monkeypatch)


# --------------------------------------------------------------------------------------
# The bar: on every book network that holds its integral, the line is covered
# --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_slow_points_cover_the_line_every_book_network_holds():
    """On the book's points as the pages read them: the committed weights and the study's
    preset, through the artifact store (the shipped file when it is current, which
    test_artifacts checks; otherwise a search afresh).  Round-off robustness of the search
    itself: test_book_cdi_slow_points_survive_a_roundoff_perturbation."""
    from universality import analysis

    if not (DEFAULT_ROOT / "book" / "cdi").exists():
        pytest.skip("no book-profile CDI networks in data/")
    with roundoff.unperturbed():
        pop = load_population("book", "cdi", require_complete=False).trained()
        fps = analysis.fixed_points(pop, studies.study_for("cdi").fixed_point_config())
    shapes = linear.line_shapes(fps, pop.task.n_contexts, pop.table,
                                target_range=float(np.ptp(pop.task.probe().targets_bto)))
    held = shapes[shapes.holds.astype(bool)]
    assert len(held) >= len(shapes) // 2, f"only {len(held)} of {len(shapes)} lines hold their integral"
    bad = held[(held.coverage < MIN_COVERAGE) | (held.max_gap > MAX_GAP)]
    found = set(zip(bad.network_id, bad.condition.astype(int)))
    assert found <= KNOWN_UNCOVERED, bad[["network_id", "condition", "n_points", "held_lo", "held_hi", "coverage",
                                          "max_gap"]]
    # a known exception that is covered now: remove it from KNOWN_UNCOVERED
    assert found == KNOWN_UNCOVERED & set(zip(shapes.network_id, shapes.condition.astype(int))), \
        KNOWN_UNCOVERED - found
