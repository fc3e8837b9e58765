import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest

from universality import cells

# ------------------------------------------------------------------ another CPU's round-off


#: Every test and notebook replay runs with every loaded network's weights perturbed by this
#: relative size (the references were recorded without): a result that does not survive it
#: would not survive another CPU's round-off.  ``--perturb 0`` runs on the weights as stored.
PERTURBATION = 1e-6


def pytest_addoption(parser):
    parser.addoption("--perturb", type=float, default=PERTURBATION, metavar="EPS",
                     help=f"perturb every network the store loads by a relative EPS (default {PERTURBATION:g}; "
                          "0: none; sets UNIVERSALITY_PERTURB for this process and the notebook kernels): "
                          "what fails under it would fail on another CPU")
    parser.addoption("--perturb-notebooks", type=float, default=None, metavar="EPS",
                     help="the perturbation of the notebook replays' kernels (default: --perturb's; 0: none)")
    parser.addoption("--training", action="store_true",
                     help="also run the training tier (tests marked 'training': sweeps, resumption, Dask, "
                          "the written-out BPTT against autodiff; about 15 minutes on 2 cores)")


def _check_eps(name, eps):
    if not (np.isfinite(eps) and eps >= 0):
        raise pytest.UsageError(f"{name}={eps!r} must be a finite number >= 0")


def pytest_configure(config):
    eps = config.getoption("--perturb")
    _check_eps("--perturb", eps)
    if eps > 0:
        os.environ["UNIVERSALITY_PERTURB"] = repr(float(eps))
    else:
        os.environ.pop("UNIVERSALITY_PERTURB", None)
    nb = config.getoption("--perturb-notebooks")
    nb = eps if nb is None else nb
    _check_eps("--perturb-notebooks", nb)
    config._universality_notebook_eps = float(nb)
    _tolerant_nbval()
    _perturbed_kernels(float(nb))


def pytest_report_header(config):
    from universality import roundoff

    eps, seed = roundoff.perturbation()
    nb = getattr(config, "_universality_notebook_eps", 0.0)
    return (f"universality: loaded weights perturbed by a relative {eps:g} in the tests, {nb:g} in the notebook "
            f"replays (seed {seed})")


def _perturbed_kernels(eps: float) -> None:
    """Start nbval's kernels with ``UNIVERSALITY_PERTURB=eps`` in their environment."""
    try:
        from nbval import kernel
    except ImportError:
        return
    if getattr(kernel, "_universality_original_start", None) is None:
        kernel._universality_original_start = kernel.start_new_kernel
    original = kernel._universality_original_start

    def start_new_kernel(*args, **kwargs):
        env = dict(kwargs.pop("env", None) or os.environ)
        env["UNIVERSALITY_PERTURB"] = repr(eps)
        return original(*args, env=env, **kwargs)

    kernel.start_new_kernel = start_new_kernel


# Tests that take long (notebook replays, page reruns, the book build, training populations):
# `pytest -m "not slow"` is the contributors' fast tier; the default run has every test but
# the training tier (marked 'training': populations trained in tests), which `--training` adds.
SLOW_FILES = {"test_rerun_matrix.py", "test_notebooks.py"}


def pytest_collection_modifyitems(config, items):
    training = config.getoption("--training")
    skip = pytest.mark.skip(reason="training tier: run with --training")
    for item in items:
        path = str(getattr(item, "path", getattr(item, "fspath", "")))
        if path.endswith(".ipynb") or os.path.basename(path) in SLOW_FILES:
            item.add_marker(pytest.mark.slow)
        if "training" in item.keywords and not training:
            item.add_marker(skip)


# ------------------------------------------------------------- nbval at the printed precision

_NUMBER = None


def _tokens(text: str):
    """Alternating (text, number) pieces of a printed output; runs of blanks in the text
    collapse to one (a table's column widths follow its numbers' widths)."""
    import re

    global _NUMBER
    if _NUMBER is None:
        _NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
    parts, last = [], 0
    for m in _NUMBER.finditer(text):
        parts.append(("text", re.sub(r"\s+", " ", text[last:m.start()])))
        parts.append(("number", m.group()))
        last = m.end()
    parts.append(("text", re.sub(r"\s+", " ", text[last:])))
    return parts


def _unit(token: str) -> float:
    """One unit in the last printed digit of a decimal number ('0.024' -> 0.001)."""
    mant, _, exp = token.lower().partition("e")
    decimals = len(mant.split(".")[1]) if "." in mant else 0
    return 10.0 ** (int(exp or 0) - decimals)


def same_at_printed_precision(ref: str, test: str) -> bool:
    """Two printed outputs agree when their words agree, their integers (counts) are equal,
    and each decimal number is within one unit of its last printed digit.

    Float32 results differ in their last bits between CPUs; a number printed with d
    decimals carries its value to +-half a unit, and round-off may move it across a
    rounding boundary by one unit.  A count, a verdict or a label that changes is a real
    difference; so is a number that moves by more than one printed unit."""
    a, b = _tokens(ref), _tokens(test)
    if len(a) != len(b):
        return False
    for (ka, va), (kb, vb) in zip(a, b):
        if ka == "text":
            if va != vb:
                return False
            continue
        decimal_a, decimal_b = any(c in va for c in ".eE"), any(c in vb for c in ".eE")
        if decimal_a != decimal_b:
            return False
        if not decimal_a:
            if int(va) != int(vb):
                return False
            continue
        unit = max(_unit(va), _unit(vb))
        if abs(float(va) - float(vb)) > unit * (1 + 1e-9):
            return False
    return True


def _tolerant_nbval():
    """nbval compares outputs as strings; compare them at the printed precision instead
    (:func:`same_at_printed_precision`): when nbval finds a difference, the outputs pass if
    every pair of texts agrees at that precision."""
    try:
        from nbval import plugin
    except ImportError:
        return
    cls = plugin.IPyNbCell
    if getattr(cls, "_universality_tolerant", False):
        return
    original = cls.compare_outputs

    def flatten(cell, outputs, skip):
        out = {}
        for o in plugin.transform_streams_for_comparison(outputs):
            for key, value in o.items():
                if key in skip:
                    continue
                if key == "data":
                    for dk, dv in value.items():
                        if dk not in skip:
                            out.setdefault(dk, []).append(cell.sanitize(dv))
                else:
                    out.setdefault(key, []).append(cell.sanitize(value))
        return out

    def compare_outputs(self, test, ref, skip_compare=None):
        if original(self, test, ref, skip_compare):
            return True
        skip = skip_compare or self.parent.skip_compare
        t, r = flatten(self, test, skip), flatten(self, ref, skip)
        if t.keys() != r.keys() or any(len(t[k]) != len(r[k]) for k in r):
            return False
        for k in r:
            for rv, tv in zip(r[k], t[k]):
                if rv != tv and not (isinstance(rv, str) and isinstance(tv, str)
                                     and same_at_printed_precision(rv, tv)):
                    return False
        self.comparison_traceback = []
        return True

    cls.compare_outputs = compare_outputs
    cls._universality_tolerant = True


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
