"""Importing a Keras model: one SimpleRNN, GRU or LSTM layer and a linear Dense readout.

Keras layers are row-vector layers like the library's: ``kernel`` (M, G*N),
``recurrent_kernel`` (N, G*N), gate blocks side by side along the columns.  Gate orders:

* ``SimpleRNN``: ``h' = act(x K + h R + b)``, one block;
* ``GRU``: blocks [z, r, h]; ``h' = z * h + (1 - z) * hh``, so Keras' z is the
  library's update gate u (the fraction of the old state kept).  With
  ``reset_after=False``, ``hh = act(x K_h + b_h + (r * h) R_h)``: the paper's GRU (arch
  'gru'), bias (3N,).  With ``reset_after=True`` (the TF2 default),
  ``hh = act(x K_h + b_h + r * (h R_h + b'_h))``, bias (2, 3N) = [input bias; recurrent
  bias]: arch 'gru_ra', the recurrent biases of z and r added to ``b``, that of h kept as
  ``b_hc``;
* ``LSTM``: blocks [i, f, c, o] (the library's [i, f, o, g]); state [h; c].

The readout ``Dense`` (or ``TimeDistributed(Dense)``) must be linear: ``y = h W + b``.
"""

from __future__ import annotations

import os

import numpy as np

from .common import ImportedNetwork, check_activation, single, to_library

__all__ = ["from_keras", "KERAS_SUPPORTED", "KERAS_LAYOUT"]

KERAS_SUPPORTED = ("one keras SimpleRNN (tanh or relu), GRU (reset_after True or False) or LSTM layer, "
                   "then one linear Dense (or TimeDistributed(Dense)) readout")


def _numpy(v) -> np.ndarray:
    import keras

    return np.asarray(keras.ops.convert_to_numpy(v))


def _layers(model) -> list:
    """The model's layers without its InputLayers; nested models are refused."""
    import keras

    out = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if isinstance(layer, keras.Model):
            raise ValueError(f"keras nested model {layer.name!r} is not supported; supported: {KERAS_SUPPORTED}")
        out.append(layer)
    return out


def _readout(layer):
    """(W (N, O), b (O,)) of a linear Dense layer (or one wrapped in TimeDistributed)."""
    import keras

    dense = layer.layer if isinstance(layer, keras.layers.TimeDistributed) else layer
    act = dense.get_config().get("activation")
    if act not in ("linear", None):
        raise ValueError(f"keras Dense readout {dense.name!r}: activation={act!r} is not supported; "
                         "supported: a linear readout (activation=None or 'linear')")
    w = _numpy(dense.kernel)
    b = _numpy(dense.bias) if dense.use_bias else np.zeros(w.shape[1])
    return w, b


def from_keras(model_or_path) -> ImportedNetwork:
    """Import a Keras model (an object, or the path of a saved ``.keras`` file).

    The model is one recurrent layer -- ``SimpleRNN`` (activation tanh or relu), ``GRU``
    (``reset_after`` True or False, activation tanh or relu, recurrent activation
    sigmoid) or ``LSTM`` (same) -- followed by one linear ``Dense`` readout; InputLayers
    are skipped.  See this module's docstring for how weights map onto the library.

    Returns
    -------
    :class:`ImportedNetwork` (spec, params stacked with P = 1, source).  Its trajectories
    equal the Keras layer's (``cells.run``; the LSTM's state is [h; c]) and its readout
    the Dense layer's, at every step (also for a layer with ``return_sequences=False``,
    whose model reads out the last step only).

    Raises
    ------
    ValueError for a stacked or bidirectional layer, another layer type, another
    activation, a missing readout or mismatched shapes, naming what is supported.
    """
    import keras

    if isinstance(model_or_path, (str, os.PathLike)):
        model = keras.saving.load_model(os.fspath(model_or_path))
    else:
        model = model_or_path
    if not isinstance(model, keras.Model):
        raise ValueError(f"from_keras takes a keras Model or the path of a .keras file, not "
                         f"{type(model).__name__}; supported: {KERAS_SUPPORTED}")
    layers = _layers(model)
    kinds = (keras.layers.SimpleRNN, keras.layers.GRU, keras.layers.LSTM)
    readouts = (keras.layers.Dense, keras.layers.TimeDistributed)
    for layer in layers:
        if isinstance(layer, keras.layers.Bidirectional):
            raise ValueError(f"keras Bidirectional layer {layer.name!r} is not supported (only forward in time); "
                             f"supported: {KERAS_SUPPORTED}")
        wrapped_dense = isinstance(layer, keras.layers.TimeDistributed) and isinstance(layer.layer, keras.layers.Dense)
        if type(layer) not in kinds and not (isinstance(layer, keras.layers.Dense) or wrapped_dense):
            raise ValueError(f"keras layer {type(layer).__name__} ({layer.name!r}) is not supported; "
                             f"supported: {KERAS_SUPPORTED}")
    rnns = [layer for layer in layers if type(layer) in kinds]
    if len(rnns) > 1:
        raise ValueError(f"{len(rnns)} stacked keras recurrent layers ({', '.join(r.name for r in rnns)}) are not "
                         f"supported; supported: {KERAS_SUPPORTED}")
    rnn = single(rnns, "keras recurrent layers", KERAS_SUPPORTED)
    after = layers[layers.index(rnn) + 1:]
    dense = [layer for layer in after if isinstance(layer, readouts)]
    if not dense:
        raise ValueError(f"no Dense readout after keras layer {rnn.name!r}; supported: {KERAS_SUPPORTED}")
    if len(layers) != 2 or layers[0] is not rnn:
        raise ValueError(f"keras model {model.name!r} has layers {[x.name for x in layers]}; supported: "
                         f"{KERAS_SUPPORTED}")
    return _convert(rnn, *_readout(dense[0]))


#: (layer class, reset_after) -> (library arch, Keras' gate blocks in the library's letters)
KERAS_LAYOUT = {("SimpleRNN", None): ("vanilla", "c"), ("LSTM", None): ("lstm", "ifgo"),
                ("GRU", False): ("gru", "urc"), ("GRU", True): ("gru_ra", "urc")}


def _convert(rnn, w_out, b_out) -> ImportedNetwork:
    cfg = rnn.get_config()
    name = type(rnn).__name__
    if cfg.get("go_backwards"):
        raise ValueError(f"keras {name} {rnn.name!r}: go_backwards=True is not supported (only forward in time)")
    act = check_activation(f"keras {name} {rnn.name!r}", cfg.get("activation"))
    if "recurrent_activation" in cfg and cfg["recurrent_activation"] != "sigmoid":
        raise ValueError(f"keras {name} {rnn.name!r}: recurrent_activation={cfg['recurrent_activation']!r} is "
                         "not supported; supported: 'sigmoid'")
    cell = rnn.cell
    reset_after = getattr(cell, "reset_after", None)
    arch, order = KERAS_LAYOUT[(name, reset_after)]
    k, r = _numpy(cell.kernel), _numpy(cell.recurrent_kernel)
    bias = _numpy(cell.bias) if cell.use_bias else None
    source = f"keras {name}{'' if reset_after is None else f'(reset_after={reset_after})'} + Dense"
    b_in, b_rec = bias, None
    if bias is not None and bias.ndim == 2:  # GRU(reset_after=True): [input bias; recurrent bias]
        if bias.shape != (2, k.shape[1]):
            raise ValueError(f"{source}: bias has shape {bias.shape}; expected (2, {k.shape[1]}) = "
                             "[input bias; recurrent bias]")
        b_in, b_rec = bias[0], bias[1]
    return to_library(arch, act, order, k, r, b_in, b_rec, w_out, b_out, source)
