"""Seeing another CPU's round-off on this one: a seeded relative perturbation of weights.

Float32 results differ in their last bits from one processor to the next (TensorFlow and
XLA choose kernels and reduction orders by the instruction set).  A test reference that
moves when the last bits move tests the machine, not the code.  With the environment
variable ``UNIVERSALITY_PERTURB`` set to a relative size (e.g. ``1e-6``), every network
the store loads, and every untrained network the library initialises, has its weights
multiplied element-wise by ``1 + eps * z`` with ``z ~ N(0, 1)``, drawn from a generator
seeded by the network's id and ``UNIVERSALITY_PERTURB_SEED`` (default 0): a change of a
few float32 ulps (``eps = 1e-6`` is about 8 ulps), the same on every run.  Whatever test
fails under it would fail on another CPU.

    UNIVERSALITY_PERTURB=1e-6 python -m pytest        # the whole suite, perturbed
"""

from __future__ import annotations

import hashlib
import os
from contextlib import contextmanager
from typing import Mapping

import numpy as np

__all__ = ["ENV", "SEED_ENV", "perturbation", "perturb", "unperturbed"]

ENV = "UNIVERSALITY_PERTURB"
SEED_ENV = "UNIVERSALITY_PERTURB_SEED"


def perturbation() -> tuple[float, int]:
    """(relative size, seed) from the environment; size 0 when the switch is off.

    Raises ``ValueError`` naming the variable when it is not a finite number >= 0 (or the
    seed not an integer)."""
    raw, raw_seed = os.environ.get(ENV, ""), os.environ.get(SEED_ENV, "0")
    try:
        eps = float(raw) if raw.strip() else 0.0
    except ValueError:
        eps = float("nan")
    if not (np.isfinite(eps) and eps >= 0):
        raise ValueError(f"{ENV}={raw!r} must be a finite number >= 0 (a relative size such as 1e-6), or unset")
    try:
        seed = int(raw_seed)
    except ValueError:
        raise ValueError(f"{SEED_ENV}={raw_seed!r} must be an integer") from None
    return eps, seed


def perturb(params: Mapping[str, np.ndarray], key: str) -> dict[str, np.ndarray]:
    """``params`` with the environment's perturbation applied (unchanged when it is off).

    ``key`` names the network (its id or file name): the draw depends on it, on the seed
    and on each array's name, never on the order in which networks are loaded.
    """
    eps, seed = perturbation()
    if eps == 0:
        return dict(params)
    out = {}
    for name, value in params.items():
        h = int(hashlib.sha256(f"{seed}/{key}/{name}".encode()).hexdigest()[:16], 16)
        a = np.asarray(value)
        z = np.random.default_rng(h).standard_normal(a.shape)
        out[name] = (a * (1.0 + eps * z)).astype(a.dtype)
    return out


@contextmanager
def unperturbed():
    """Within this block the switch is off: for what is about the committed files
    themselves (their checksums, the keys of the results shipped with them)."""
    saved = os.environ.pop(ENV, None)
    try:
        yield
    finally:
        if saved is not None:
            os.environ[ENV] = saved
