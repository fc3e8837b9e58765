"""Seeds keyed by network: each network's random draws depend on its id, never on which
other networks share a batch or in which order they come."""

from __future__ import annotations

import zlib

import numpy as np

__all__ = ["network_key", "network_rng"]


def network_key(network_id) -> int:
    """A stable 32-bit integer for a network id (CRC-32 of its text)."""
    return zlib.crc32(str(network_id).encode())


def network_rng(seed: int, network_id, *extra: int) -> np.random.Generator:
    """``numpy.random.default_rng([seed, network_key(network_id), *extra])``."""
    return np.random.default_rng([int(seed), network_key(network_id), *(int(e) for e in extra)])
