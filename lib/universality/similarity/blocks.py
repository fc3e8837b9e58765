"""All pairs, batched: each network prepared once, pair values from block products."""

from __future__ import annotations

from typing import Sequence

import numpy as np

__all__ = ["COLUMN_BUDGET", "blocks", "stack"]


# Padded columns per block: one block product is at most COLUMN_BUDGET^2 float64 values
# (32 MiB); the blocks of bases/centred data are (n_samples x COLUMN_BUDGET).
COLUMN_BUDGET = 2048

def blocks(sizes_sorted: np.ndarray, block_size: int | None) -> list[tuple[int, int]]:
    """Contiguous blocks of the (ascending) size order: fixed count or column budget."""
    blocks, start = [], 0
    for i, s in enumerate(sizes_sorted):
        count = i - start + 1
        full = count > block_size if block_size else (count > 1 and count * s > COLUMN_BUDGET)
        if full:
            blocks.append((start, i))
            start = i
    blocks.append((start, len(sizes_sorted)))
    return blocks


def stack(columns: Sequence[np.ndarray], width: int) -> np.ndarray:
    """Stack (n, w_i) arrays as (n, len * width), each zero-padded to ``width`` columns."""
    n = columns[0].shape[0]
    out = np.zeros((n, len(columns) * width))
    for j, c in enumerate(columns):
        out[:, j * width : j * width + c.shape[1]] = c
    return out

