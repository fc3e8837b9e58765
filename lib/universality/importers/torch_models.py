"""Importing a PyTorch network: one nn.RNN, nn.GRU or nn.LSTM layer and an nn.Linear readout.

torch is not a dependency: a state dict given as a mapping of numpy arrays imports
without it, and torch is imported only when a torch module is given.

PyTorch writes ``W x`` with column vectors: ``weight_ih_l0`` (G*N, M), ``weight_hh_l0``
(G*N, N), ``bias_ih_l0`` and ``bias_hh_l0`` (G*N,), gate blocks stacked along the rows,
and the readout ``y = h W^T + b`` with ``nn.Linear.weight`` (O, N).  The library's
row-vector matrices are their transposes.  Gate orders:

* ``nn.RNN``: ``h' = act(W_ih x + b_ih + W_hh h + b_hh)``, act tanh or relu
  (``nonlinearity``); both biases add into ``b``;
* ``nn.GRU``: blocks [r, z, n]; ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))`` and
  ``h' = (1 - z) * n + z * h``, so torch's z is the library's update gate u (the kept
  fraction): arch 'gru_ra', ``b`` = b_ih + b_hh for r and z, b_in for the candidate, and
  ``b_hc`` = b_hn (inside the reset gate's product);
* ``nn.LSTM``: blocks [i, f, g, o] (the library's [i, f, o, g]); both biases add into
  ``b``; state [h; c].

The cells ``nn.RNNCell``, ``nn.GRUCell`` and ``nn.LSTMCell`` (keys without ``_l0``) import
the same way.
"""

from __future__ import annotations

import re
from typing import Mapping

import numpy as np

from .common import ImportedNetwork, as_numpy, check_activation, single, to_library

__all__ = ["from_torch", "TORCH_SUPPORTED", "TORCH_LAYOUT"]

TORCH_SUPPORTED = ("one torch nn.RNN (tanh or relu), nn.GRU or nn.LSTM layer (num_layers=1, not bidirectional, "
                   "proj_size=0; or nn.RNNCell/GRUCell/LSTMCell), then one nn.Linear readout")

#: gate blocks G -> (library arch, torch's gate blocks in the library's letters)
TORCH_LAYOUT = {1: ("vanilla", "c"), 3: ("gru_ra", "ruc"), 4: ("lstm", "ifgo")}
_NAMES = {1: "nn.RNN", 3: "nn.GRU", 4: "nn.LSTM"}
_RECURRENT_KEY = re.compile(r"^(?P<prefix>.*?)(?P<name>weight|bias)_(?P<side>ih|hh|hr)(?:_l(?P<layer>\d+))?"
                            r"(?P<reverse>_reverse)?$")


def _is_torch_module(obj) -> bool:
    return hasattr(obj, "state_dict") and hasattr(obj, "modules")


def _module_parts(module, readout, nonlinearity):
    """(recurrent state dict, readout state dict, nonlinearity) of a torch module."""
    import torch

    leaves = [m for m in module.modules() if not any(True for _ in m.children())]
    kinds = (torch.nn.RNNBase, torch.nn.RNNCellBase)
    for m in leaves:
        if not isinstance(m, kinds + (torch.nn.Linear,)):
            raise ValueError(f"torch module {type(m).__name__} is not supported; supported: {TORCH_SUPPORTED}")
    rnns = [m for m in leaves if isinstance(m, kinds)]
    if len(rnns) > 1:
        raise ValueError(f"{len(rnns)} torch recurrent layers are not supported; supported: {TORCH_SUPPORTED}")
    rnn = single(rnns, "torch recurrent layers", TORCH_SUPPORTED)
    if isinstance(rnn, torch.nn.RNNBase):
        if rnn.num_layers != 1:
            raise ValueError(f"torch {type(rnn).__name__}(num_layers={rnn.num_layers}) is not supported (stacked); "
                             f"supported: {TORCH_SUPPORTED}")
        if rnn.bidirectional:
            raise ValueError(f"torch {type(rnn).__name__}(bidirectional=True) is not supported; "
                             f"supported: {TORCH_SUPPORTED}")
        if getattr(rnn, "proj_size", 0):
            raise ValueError(f"torch LSTM(proj_size={rnn.proj_size}) is not supported; supported: {TORCH_SUPPORTED}")
    own = getattr(rnn, "nonlinearity", None)  # nn.RNN and nn.RNNCell only
    if own is not None and nonlinearity is not None and nonlinearity != own:
        raise ValueError(f"nonlinearity={nonlinearity!r} contradicts the module's nonlinearity={own!r}")
    if readout is None:
        linears = [m for m in leaves if isinstance(m, torch.nn.Linear)]
        if not linears:
            raise ValueError(f"no nn.Linear readout in the torch module (pass readout=); supported: {TORCH_SUPPORTED}")
        readout = single(linears, "torch nn.Linear readouts", TORCH_SUPPORTED)
    rec, lin = _split_state_dict(as_numpy(rnn.state_dict()), readout)
    return rec, lin, own or nonlinearity


def _readout_arrays(readout) -> dict[str, np.ndarray]:
    if isinstance(readout, Mapping):
        lin = as_numpy(readout)
    elif _is_torch_module(readout):
        lin = as_numpy(readout.state_dict())
    else:
        raise ValueError(f"readout={type(readout).__name__} is not supported; supported: an nn.Linear, a mapping "
                         "{'weight': (O, N), 'bias': (O,)}, or the key prefix of the readout in the state dict")
    if set(lin) - {"weight", "bias"} or "weight" not in lin:
        raise ValueError(f"readout has keys {sorted(lin)}; expected 'weight' (O, N) and optionally 'bias' (O,)")
    return lin


def _split_state_dict(sd: dict, readout):
    """(recurrent arrays keyed without prefix, readout arrays) of a flat state dict."""
    rec, prefixes = {}, set()
    for k, v in sd.items():
        m = _RECURRENT_KEY.match(k)
        if m is None:
            continue
        if m["reverse"]:
            raise ValueError(f"state dict key {k!r}: bidirectional layers are not supported; "
                             f"supported: {TORCH_SUPPORTED}")
        if m["layer"] not in (None, "0"):
            raise ValueError(f"state dict key {k!r}: stacked layers (num_layers > 1) are not supported; "
                             f"supported: {TORCH_SUPPORTED}")
        if m["side"] == "hr":
            raise ValueError(f"state dict key {k!r}: LSTM projections (proj_size > 0) are not supported; "
                             f"supported: {TORCH_SUPPORTED}")
        prefixes.add(m["prefix"])
        rec[f"{m['name']}_{m['side']}"] = v
    if not rec:
        raise ValueError(f"no recurrent layer in the state dict (no 'weight_ih_l0' key; keys: {sorted(sd)[:6]}); "
                         f"supported: {TORCH_SUPPORTED}")
    if len(prefixes) > 1:
        raise ValueError(f"{len(prefixes)} recurrent layers in the state dict ({sorted(prefixes)}) are not "
                         f"supported; supported: {TORCH_SUPPORTED}")
    (prefix,) = prefixes
    rest = {k: v for k, v in sd.items() if not (_RECURRENT_KEY.match(k) and k.startswith(prefix))}
    if readout is not None and not isinstance(readout, str):
        if rest:
            raise ValueError(f"state dict keys {sorted(rest)} are not supported beside readout=; "
                             f"supported: {TORCH_SUPPORTED}")
        return rec, _readout_arrays(readout)
    groups: dict[str, dict] = {}
    for k, v in rest.items():
        head, _, tail = k.rpartition(".")
        if tail not in ("weight", "bias"):
            raise ValueError(f"state dict key {k!r} is not supported; supported: {TORCH_SUPPORTED}")
        groups.setdefault(head, {})[tail] = v
    if isinstance(readout, str):
        if readout.rstrip(".") not in groups:
            raise ValueError(f"readout={readout!r} names no layer of the state dict; layers: {sorted(groups)}")
        groups = {readout.rstrip("."): groups[readout.rstrip(".")]}
    if not groups:
        raise ValueError(f"no nn.Linear readout in the state dict (only {sorted(sd)}; pass readout=); "
                         f"supported: {TORCH_SUPPORTED}")
    if len(groups) > 1:
        raise ValueError(f"state dict layers {sorted(groups)} besides the recurrent one are not supported "
                         f"(pass readout= to name the readout); supported: {TORCH_SUPPORTED}")
    return rec, _readout_arrays(next(iter(groups.values())))


def from_torch(module_or_state_dict, readout=None, *, nonlinearity: str | None = None) -> ImportedNetwork:
    """Import a PyTorch recurrent network (a module, or its state dict).

    Parameters
    ----------
    module_or_state_dict : a torch module holding one ``nn.RNN``/``nn.GRU``/``nn.LSTM``
        (``num_layers=1``, unidirectional) or its cell and one ``nn.Linear`` readout (or
        the recurrent module alone, with ``readout``); or a state dict -- a mapping of
        names to torch tensors or numpy arrays, e.g. ``{'rnn.weight_ih_l0': ...,
        'rnn.weight_hh_l0': ..., 'rnn.bias_ih_l0': ..., 'rnn.bias_hh_l0': ...,
        'fc.weight': ..., 'fc.bias': ...}``.  The kind of layer is read from the number of
        gate blocks (1 RNN, 3 GRU, 4 LSTM).
    readout : an ``nn.Linear``, a mapping ``{'weight': (O, N), 'bias': (O,)}``, or the
        readout's key prefix in the state dict (``'fc'``); default: the one linear layer
        found beside the recurrent one
    nonlinearity : 'tanh' or 'relu', for an ``nn.RNN`` given as a state dict (a state
        dict does not record it); a module's own is used otherwise

    Returns
    -------
    :class:`ImportedNetwork`; see this module's docstring for the mapping.

    Raises
    ------
    ValueError for stacked or bidirectional layers, projections, other module types,
    another nonlinearity, a missing readout, or mismatched shapes, naming what is supported.
    """
    if isinstance(module_or_state_dict, Mapping):
        rec, lin = _split_state_dict(as_numpy(module_or_state_dict), readout)
        given = "state dict"
    elif _is_torch_module(module_or_state_dict):
        rec, lin, nonlinearity = _module_parts(module_or_state_dict, readout, nonlinearity)
        given = "module"
    else:
        raise ValueError(f"from_torch takes a torch module or a state dict (a mapping of arrays), not "
                         f"{type(module_or_state_dict).__name__}; supported: {TORCH_SUPPORTED}")
    for k in ("weight_ih", "weight_hh"):
        if k not in rec:
            raise ValueError(f"the recurrent layer has no {k} (keys {sorted(rec)}); supported: {TORCH_SUPPORTED}")
    w_ih, w_hh = rec["weight_ih"], rec["weight_hh"]
    if w_ih.ndim != 2 or w_hh.ndim != 2 or w_hh.shape[0] % max(w_hh.shape[1], 1) or w_ih.shape[0] != w_hh.shape[0]:
        raise ValueError(f"weight_ih {w_ih.shape} and weight_hh {w_hh.shape} are not (G*N, M) and (G*N, N)")
    n = w_hh.shape[1]
    g = w_hh.shape[0] // n
    if g not in TORCH_LAYOUT:
        raise ValueError(f"weight_hh {w_hh.shape} has {g} gate blocks of {n} units; supported: 1 (nn.RNN), "
                         "3 (nn.GRU), 4 (nn.LSTM)")
    arch, order = TORCH_LAYOUT[g]
    if g == 1:
        if nonlinearity is None:
            raise ValueError("nonlinearity=None: a state dict does not record nn.RNN's nonlinearity; pass "
                             "nonlinearity='tanh' or 'relu'")
        act = check_activation("torch nn.RNN", nonlinearity)
    else:
        if nonlinearity not in (None, "tanh"):
            raise ValueError(f"nonlinearity={nonlinearity!r}: torch's {_NAMES[g]} is always tanh")
        act = "tanh"
    w, b = lin["weight"], lin.get("bias")
    if w.ndim != 2 or w.shape[1] != n:
        raise ValueError(f"readout weight has shape {w.shape}; expected (O, {n}) for {n} units")
    b = np.zeros(w.shape[0]) if b is None else b
    return to_library(arch, act, order, w_ih.T, w_hh.T, rec.get("bias_ih"), rec.get("bias_hh"), w.T, b,
                      f"torch {_NAMES[g]} ({given}) + nn.Linear")
