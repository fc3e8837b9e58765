import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest

from universality import cells

ARCH_ACT = [(a, f) for a in cells.ARCHS for f in cells.ACTIVATIONS]


@pytest.fixture(params=ARCH_ACT, ids=[f"{a}-{f}" for a, f in ARCH_ACT])
def arch_act(request):
    """Every cell x activation: one parametrised suite runs them all."""
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
