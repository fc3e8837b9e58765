"""Reading fixed points back: a full file as it is, a compact one linearised again."""

from __future__ import annotations

from .finder import linearise
from .result import FixedPoints, read_collection

__all__ = ["load_collection"]


def load_collection(path, population=None) -> dict:
    """Inverse of :func:`~universality.fixed_points.save_collection`: ``network_id -> FixedPoints``.

    A compact file needs the ``population`` whose networks the points belong to (the
    Jacobians are recomputed from its weights, :func:`~universality.fixed_points.linearise`).
    """
    points = read_collection(path)
    if all(isinstance(f, FixedPoints) for f in points.values()):
        return points
    if population is None:
        raise ValueError(f"{path} is a compact file: pass the population its networks come from "
                         "(population=...) so the Jacobians can be recomputed")
    keys = {str(k): k for k in population.table.index}
    return linearise(population, {keys.get(n, n): v for n, v in points.items()})
