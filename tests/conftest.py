import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest

from universality import cells

ARCH_ACT = [(a, f) for a in cells.ALL_ARCHS for f in cells.ACTIVATIONS]


@pytest.fixture(params=ARCH_ACT, ids=[f"{a}-{f}" for a, f in ARCH_ACT])
def arch_act(request):
    """Every cell x activation (the paper's four and the reset-after GRU): one parametrised
    suite runs them all."""
    return request.param


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture(scope="session")
def book_flipflop():
    """The trained book-profile flip-flop population of data/ (skips when it is absent)."""
    from universality.population import load_population

    try:
        return load_population("book", "flipflop").trained()
    except FileNotFoundError as e:
        pytest.skip(f"book-profile flip-flop networks are not in data/ ({e}); "
                    "train them with: universality train --profile book --task flipflop")


@pytest.fixture(autouse=True, scope="module")
def one_blas_thread():
    """Small matrices run on one BLAS thread: on a busy 2-core machine, oversubscribed
    OpenBLAS threads made the statistics and similarity tests ~100x slower."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield


class Tanh2d:
    """The 2-unit tanh network of tests/data, whose fixed points scipy.optimize.root found
    (9 at x* = 0: 4 stable corners, 4 saddles, an unstable centre; 9 more at x* = 1)."""

    def __init__(self):
        from pathlib import Path

        self.z = np.load(Path(__file__).parent / "data" / "tanh2d_fixed_points.npz", allow_pickle=False)
        self.spec = cells.CellSpec("vanilla", "tanh", 2, 1, 1)
        self.one = {"W_x": self.z["W_x"], "W_h": self.z["W_h"], "b": self.z["b"],
                    "W_out": np.array([[1.0], [0.5]]), "b_out": np.zeros(1)}

    def params(self, p: int = 1) -> dict:
        """Stacked parameters of p copies (float32)."""
        return {k: np.stack([v] * p).astype(np.float32) for k, v in self.one.items()}

    def population(self, p: int = 1, ids=None):
        """p copies as a Population (task: a 1-bit flip-flop, which has its input and output)."""
        from universality.population import Population
        from universality.tasks import make_task

        return Population.from_stacked(make_task("flipflop", n_bits=1), self.spec, self.params(p), ids)

    def fixed_points(self, condition: int = 0):
        """The stored fixed points of one condition as a FixedPoints (readout h0 + h1 / 2)."""
        from universality import fixed_points as fp

        sel = self.z["condition"] == condition
        h = self.z["h"][sel]
        n = len(h)
        return fp.FixedPoints.build(h, np.zeros(n), np.zeros((n, 1)), np.zeros(n, int), self.z["J_h"][sel],
                                    np.zeros((n, 2, 1)), h @ self.one["W_out"])


@pytest.fixture(scope="session")
def tanh2d():
    return Tanh2d()
