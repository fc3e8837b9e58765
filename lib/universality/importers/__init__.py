"""Users' own networks in the library's terms: Keras and PyTorch importers.

``from_keras(model_or_path)`` and ``from_torch(module_or_state_dict)`` turn one trained
recurrent layer with a linear readout into an :class:`ImportedNetwork`: a
:class:`~universality.cells.CellSpec` and the library's parameters stacked with P = 1,
whose trajectories equal the original layer's (to float32 round-off), so the library's
analyses (fixed points, linearisation, topology, representational similarity) apply as
they do to the project's own networks (``ImportedNetwork.population(task)``).

Conventions of the library that the importers map onto (``universality.cells``): states
and inputs are ROW vectors, ``u = x W_x + b`` and ``y = h W_out + b_out``; gate blocks
side by side along the columns, in the orders GRU [r, u, c] and LSTM [i, f, o, g]; the
update gate u is the fraction of the old state kept, ``h' = u * h + (1 - u) * c``, which
is Keras' and PyTorch's z (both write ``h' = z * h + (1 - z) * n``); the LSTM's state is
[h; c].  Keras' ``GRU(reset_after=False)`` is the paper's GRU (arch 'gru'); PyTorch's
``nn.GRU`` and Keras' ``GRU(reset_after=True)`` apply the reset gate after the recurrent
matmul (arch 'gru_ra', with the candidate's recurrent bias ``b_hc``).  Every other
recurrent bias adds into ``b``.  Supported: one SimpleRNN/nn.RNN (tanh or relu),
GRU/nn.GRU or LSTM/nn.LSTM layer, single layer and forward in time, with a linear
readout; anything else raises a ``ValueError`` that names what is supported.
:func:`load_model` takes any of these forms, or a saved file (``.keras``, ``.h5``, a
state dict as ``.npz``), and says in one line what is wrong with a model it cannot use.
"""

from .common import ImportedNetwork
from .keras_models import KERAS_SUPPORTED, from_keras
from .load import MODEL_SUFFIXES, describe_model, load_model
from .torch_models import TORCH_SUPPORTED, from_torch

__all__ = ["ImportedNetwork", "from_keras", "from_torch", "load_model", "describe_model", "MODEL_SUFFIXES",
           "KERAS_SUPPORTED", "TORCH_SUPPORTED"]
