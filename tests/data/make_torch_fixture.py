"""Write tests/data/torch_fixture.npz: small PyTorch networks, inputs and torch's outputs.

Run once with a Python that has torch and numpy (torch is not a dependency of the
library or of its tests)::

    python tests/data/make_torch_fixture.py

For each of nn.RNN (tanh, relu), nn.GRU and nn.LSTM, each with an nn.Linear readout, at
torch's initialisation and after 60 Adam steps on a small regression, the file holds,
under ``<kind>__<key>`` with a leading axis of 2 (``VARIANTS``: random, trained): the
module's state dict (``rnn.weight_ih_l0`` ... ``readout.bias``), torch's ``states``
(B, T, N) and ``outputs`` (B, T, O) on the shared ``inputs`` (B, T, M), and for the LSTM
its final cell state ``final_cell`` (B, N).  float32 arrays only (loaded with
``allow_pickle=False``).
tests/test_importers.py checks the library's importer against it without torch.
"""

from pathlib import Path

import numpy as np
import torch

M, N, O, B, T = 3, 5, 2, 2, 12
KINDS = {"rnn_tanh": (torch.nn.RNN, {"nonlinearity": "tanh"}), "rnn_relu": (torch.nn.RNN, {"nonlinearity": "relu"}),
         "gru": (torch.nn.GRU, {}), "lstm": (torch.nn.LSTM, {})}


class Net(torch.nn.Module):
    def __init__(self, kind, kwargs):
        super().__init__()
        self.rnn = kind(M, N, batch_first=True, **kwargs)
        self.readout = torch.nn.Linear(N, O)

    def forward(self, x):
        states, last = self.rnn(x)
        return states, self.readout(states), last


def train(net, steps=60):
    """A few Adam steps on a fixed regression (cumulative sums of the inputs), so the
    weights move away from the initialisation's distribution."""
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(16, T, M, generator=gen)
    y = torch.cumsum(x[..., :O], dim=1) * 0.3
    opt = torch.optim.Adam(net.parameters(), lr=0.02)
    for _ in range(steps):
        opt.zero_grad()
        loss = torch.mean((net(x)[1] - y) ** 2)
        loss.backward()
        opt.step()


VARIANTS = ("random", "trained")


def main():
    torch.manual_seed(0)
    x = torch.randn(B, T, M)
    out = {"inputs": x.numpy()}
    for name, (kind, kwargs) in KINDS.items():
        per = {}
        for variant in VARIANTS:
            net = Net(kind, kwargs)
            if variant == "trained":
                train(net)
            with torch.no_grad():
                states, y, last = net(x)
            arrays = {k: v.numpy() for k, v in net.state_dict().items()}
            arrays.update(states=states.numpy(), outputs=y.numpy())
            if kind is torch.nn.LSTM:
                arrays["final_cell"] = last[1][0].numpy()
            for k, v in arrays.items():
                per.setdefault(k, []).append(v.astype(np.float32))
        out.update({f"{name}__{k}": np.stack(v) for k, v in per.items()})
    path = Path(__file__).with_name("torch_fixture.npz")
    np.savez_compressed(path, **out)
    print(f"wrote {path} ({path.stat().st_size} bytes, {len(out)} arrays, torch {torch.__version__})")


if __name__ == "__main__":
    main()
