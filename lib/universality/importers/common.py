"""What both importers share: the imported network, and the mapping of a framework's
gate blocks and biases onto the library's cells."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from .. import cells

__all__ = ["ImportedNetwork", "LIBRARY_GATES", "RECURRENT_WEIGHTS", "RECURRENT_BIASES", "to_library",
           "check_activation", "single", "as_numpy"]

#: The library's gate blocks per architecture, in the order of its matrices' columns
#: (``u = x W_x + b``): r reset, u update (kept fraction), c candidate; LSTM i input,
#: f forget, o output, g candidate.
LIBRARY_GATES = {"vanilla": "c", "gru": "ruc", "gru_ra": "ruc", "lstm": "ifog"}
#: The library's recurrent matrices and the gate blocks each holds: the paper's GRU applies
#: its reset gate before the candidate's matrix, so that matrix stands apart (W_hc).
RECURRENT_WEIGHTS = {"vanilla": {"W_h": "c"}, "gru": {"W_h": "ru", "W_hc": "c"}, "gru_ra": {"W_h": "ruc"},
                     "lstm": {"W_h": "ifog"}}
#: Recurrent biases kept apart from ``b``: the reset-after GRU's candidate bias, which the
#: reset gate multiplies.
RECURRENT_BIASES = {"gru_ra": {"b_hc": "c"}}


@dataclass(frozen=True)
class ImportedNetwork:
    """A user's network in the library's terms.

    Attributes
    ----------
    spec : :class:`~universality.cells.CellSpec` (arch, activation, units, inputs, outputs)
    params : the library's parameters stacked with P = 1 (``cells.param_shapes(spec)``,
        each with a leading axis of 1), float32
    source : what was imported, e.g. ``"keras GRU(reset_after=True) + Dense"``
    """

    spec: cells.CellSpec
    params: dict
    source: str

    def population(self, task=None, network_id: str = "imported"):
        """The network as a one-network :class:`~universality.population.Population`
        (``task`` may be None for a network not trained on one of the book's tasks)."""
        from ..population import Population

        if task is not None and (task.n_inputs, task.n_outputs) != (self.spec.n_inputs, self.spec.n_outputs):
            raise ValueError(f"task {task.name!r} has {task.n_inputs} inputs and {task.n_outputs} outputs but the "
                             f"imported network has {self.spec.n_inputs} and {self.spec.n_outputs}")
        return Population.from_stacked(task, self.spec, self.params, [network_id])


def check_activation(what: str, activation) -> str:
    """The activation's library name, or a ``ValueError`` naming what is supported."""
    if activation not in cells.ACTIVATIONS:
        raise ValueError(f"{what}: activation={activation!r} is not supported; supported: {cells.ACTIVATIONS!r}")
    return activation


def _blocks(a: np.ndarray, order: str) -> dict[str, np.ndarray]:
    n = a.shape[-1] // len(order)
    return {g: a[..., i * n: (i + 1) * n] for i, g in enumerate(order)}


def to_library(arch: str, activation: str, order: str, w_x, w_h, b_in, b_rec, w_out, b_out,
               source: str) -> ImportedNetwork:
    """Map one layer's weights, in ROW-vector form, onto the library's parameters.

    Parameters
    ----------
    arch : the library's arch ('vanilla', 'gru', 'gru_ra' or 'lstm')
    order : the framework's gate blocks in the library's letters (:data:`LIBRARY_GATES`),
        e.g. Keras' GRU [z, r, h] is ``"urc"`` (its z is the kept fraction, the library's u)
    w_x : (M, G*N) input kernel; w_h : (N, G*N) recurrent kernel, blocks in ``order``
    b_in, b_rec : (G*N,) input-side and recurrent-side biases (``b_rec`` None when the
        framework has one bias).  Both add into the library's ``b``, except the
        reset-after GRU's candidate recurrent bias, which the reset gate multiplies and
        which becomes ``b_hc``.
    w_out : (N, O), b_out : (O,) the linear readout ``y = h W_out + b_out``
    """
    w_x, w_h = np.asarray(w_x, np.float64), np.asarray(w_h, np.float64)
    n, m = w_h.shape[0], w_x.shape[0]
    g = len(order)
    if w_x.shape != (m, g * n) or w_h.shape != (n, g * n):
        raise ValueError(f"{source}: kernel {w_x.shape} and recurrent kernel {w_h.shape} do not fit {n} units "
                         f"with {g} gate blocks; expected ({m}, {g * n}) and ({n}, {g * n})")
    b_in = np.zeros(g * n) if b_in is None else np.asarray(b_in, np.float64)
    b_rec = None if b_rec is None else np.asarray(b_rec, np.float64)
    for name, b in (("input bias", b_in), ("recurrent bias", b_rec)):
        if b is not None and b.shape != (g * n,):
            raise ValueError(f"{source}: {name} has shape {b.shape}; expected ({g * n},)")
    w_out, b_out = np.asarray(w_out, np.float64), np.asarray(b_out, np.float64)
    if w_out.ndim != 2 or w_out.shape[0] != n or b_out.shape != (w_out.shape[1],):
        raise ValueError(f"{source}: readout weights {w_out.shape} and bias {b_out.shape} do not fit {n} units; "
                         f"expected ({n}, O) and (O,)")
    lib = LIBRARY_GATES[arch]
    kx, kh, bi = _blocks(w_x, order), _blocks(w_h, order), _blocks(b_in, order)
    br = _blocks(np.zeros(g * n) if b_rec is None else b_rec, order)
    apart = RECURRENT_BIASES.get(arch, {})  # recurrent biases that cannot join b
    p = {"W_x": np.concatenate([kx[c] for c in lib], axis=1),
         "b": np.concatenate([bi[c] + (0.0 if c in apart.values() else br[c]) for c in lib])}
    for name, gates in RECURRENT_WEIGHTS[arch].items():
        p[name] = np.concatenate([kh[c] for c in gates], axis=1)
    for name, c in apart.items():
        p[name] = br[c]
    p["W_out"], p["b_out"] = w_out, b_out
    spec = cells.CellSpec(arch, activation, int(n), int(m), int(w_out.shape[1]))
    shapes = cells.param_shapes(spec)
    assert set(p) == set(shapes), (sorted(p), sorted(shapes))
    return ImportedNetwork(spec, {k: p[k].astype(np.float32)[None] for k in shapes}, source)


def single(found: Sequence, what: str, supported: str):
    """The one entry of ``found``, or a ``ValueError`` saying how many there were."""
    if len(found) != 1:
        raise ValueError(f"found {len(found)} {what}; supported: {supported}")
    return found[0]


def as_numpy(mapping: Mapping) -> dict[str, np.ndarray]:
    """A state dict's values as numpy arrays (torch tensors through ``.detach().cpu()``)."""
    out = {}
    for k, v in mapping.items():
        if hasattr(v, "detach"):
            v = v.detach().cpu().numpy()
        out[str(k)] = np.asarray(v)
    return out
