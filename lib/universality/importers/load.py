"""One entry point for a user's model, whatever form it comes in.

:func:`load_model` takes a saved Keras model (``.keras``, or a legacy ``.h5``), a PyTorch
state dict saved as ``.npz`` (numpy arrays under the state dict's keys, e.g.
``numpy.savez("net.npz", **{k: v.numpy() for k, v in module.state_dict().items()})``;
no pickle), a Keras model, a torch module, a state dict (a mapping of arrays) or an
:class:`ImportedNetwork`, and returns the :class:`ImportedNetwork`.  What the user got
wrong is a :class:`~universality.errors.DataError` (a file that is missing or unreadable)
or a :class:`~universality.errors.ParameterError` (a model the importers do not support),
each one line naming the model.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

from ..errors import DataError, ParameterError
from .common import ImportedNetwork
from .keras_models import KERAS_SUPPORTED, from_keras
from .torch_models import TORCH_SUPPORTED, from_torch

__all__ = ["load_model", "MODEL_SUFFIXES", "describe_model"]

#: File suffixes :func:`load_model` reads, and what each holds.
MODEL_SUFFIXES = {".keras": "a saved Keras model", ".h5": "a legacy Keras HDF5 model",
                  ".npz": "a PyTorch state dict as numpy arrays"}


def _from_file(path: Path, nonlinearity):
    import numpy as np

    if not path.exists():
        raise DataError(f"model {str(path)!r} does not exist")
    suffix = path.suffix.lower()
    if suffix not in MODEL_SUFFIXES:
        raise ParameterError(f"model {str(path)!r}: suffix {path.suffix!r} is not one of "
                             f"{tuple(MODEL_SUFFIXES)!r} ({', '.join(f'{k}: {v}' for k, v in MODEL_SUFFIXES.items())})")
    if suffix == ".npz":
        try:
            with np.load(path, allow_pickle=False) as z:
                state = {k: z[k] for k in z.files}
        except (OSError, ValueError) as e:
            raise DataError(f"model {str(path)!r} is not a readable .npz of arrays ({e})") from None
        return from_torch(state, nonlinearity=nonlinearity)
    import keras

    try:
        model = keras.saving.load_model(os.fspath(path), compile=False)
    except (OSError, ValueError, TypeError, KeyError, ImportError) as e:  # a damaged file, a custom layer, ...
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise DataError(f"model {str(path)!r} cannot be loaded by keras: {first}") from None
    except Exception as e:  # e.g. zipfile.BadZipFile for a file that is not a .keras archive
        raise DataError(f"model {str(path)!r} cannot be loaded by keras ({type(e).__name__}: {e})") from None
    return from_keras(model)


def load_model(model, nonlinearity: str | None = None) -> ImportedNetwork:
    """The :class:`ImportedNetwork` of a user's model (see the module docstring).

    ``nonlinearity``: 'tanh' or 'relu' for a PyTorch ``nn.RNN`` given as a state dict (it
    does not record it); ignored for every other form.
    """
    if isinstance(model, ImportedNetwork):
        return model
    what = f"model {os.fspath(model)!r}" if isinstance(model, (str, os.PathLike)) else \
        f"model ({type(model).__name__})"
    try:
        if isinstance(model, (str, os.PathLike)):
            return _from_file(Path(model), nonlinearity)
        if isinstance(model, Mapping) or (hasattr(model, "state_dict") and hasattr(model, "modules")):
            return from_torch(model, nonlinearity=nonlinearity)
        try:
            import keras
        except ImportError:  # pragma: no cover - keras ships with TensorFlow
            keras = None
        if keras is not None and isinstance(model, keras.Model):
            return from_keras(model)
    except (DataError, ParameterError):
        raise
    except ValueError as e:  # the importers' "not supported" messages
        raise ParameterError(f"{what}: {e}") from None
    raise ParameterError(f"{what} is not supported; give a path ({', '.join(MODEL_SUFFIXES)}), a Keras model "
                         f"({KERAS_SUPPORTED}), a torch module or state dict ({TORCH_SUPPORTED}), or an "
                         "ImportedNetwork")


def describe_model(net: ImportedNetwork) -> str:
    """One line: what was imported and its size."""
    s = net.spec
    return (f"{net.source}: arch {s.arch!r}, activation {s.activation!r}, {s.units} units, {s.n_inputs} inputs, "
            f"{s.n_outputs} outputs")
