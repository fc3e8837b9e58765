"""Importers of users' networks: the imported network runs as the original layer does.

Keras runs live (it ships with TensorFlow).  PyTorch is not a dependency: its networks are
checked against tests/data/torch_fixture.npz (weights, inputs and torch's own outputs,
written by tests/data/make_torch_fixture.py), and live only where torch is importable.

Tolerance: trajectories agree within 1e-5 of their largest magnitude.  Keras, PyTorch and
the library order their float32 operations differently (fused gate matmuls, the sum of
torch's two biases), which moves the last bits (~1e-7 relative seen); an element-wise
relative test would be meaningless where a state crosses 0.
"""

import logging
from pathlib import Path

import numpy as np
import pytest

from universality import cells, importers

keras = pytest.importorskip("keras")

FIXTURE = Path(__file__).parent / "data" / "torch_fixture.npz"
M, N, O, T = 3, 6, 2, 12


def _close(got, want, what):
    err = np.abs(got - want).max() / np.abs(want).max()
    assert err <= 1e-5, (what, err)


def _library(net, x_btm):
    """The imported network's states (B, T, S) and readouts (B, T, O) on inputs x."""
    h = cells.run(net.spec, net.params, x_btm[None]).numpy()[0]
    return h, cells.readout(net.spec, net.params, h[None]).numpy()[0]


# ------------------------------------------------------------------ Keras

KERAS = {  # name: (layer factory, the library's arch, activation)
    "simple_rnn-tanh": (lambda: keras.layers.SimpleRNN(N, activation="tanh", return_sequences=True), "vanilla", "tanh"),
    "simple_rnn-relu": (lambda: keras.layers.SimpleRNN(N, activation="relu", return_sequences=True), "vanilla", "relu"),
    "gru-reset_after": (lambda: keras.layers.GRU(N, reset_after=True, return_sequences=True), "gru_ra", "tanh"),
    "gru-reset_before": (lambda: keras.layers.GRU(N, reset_after=False, return_sequences=True), "gru", "tanh"),
    "gru-reset_after-relu": (lambda: keras.layers.GRU(N, activation="relu", return_sequences=True), "gru_ra", "relu"),
    "lstm": (lambda: keras.layers.LSTM(N, return_sequences=True), "lstm", "tanh"),
}


def _keras_model(layer):
    return keras.Sequential([keras.Input((T, M)), layer, keras.layers.Dense(O)])


def _check_keras(model, x, arch, act, what):
    net = importers.from_keras(model)
    assert (net.spec.arch, net.spec.activation, net.spec.units, net.spec.n_inputs, net.spec.n_outputs) == \
        (arch, act, N, M, O)
    assert {k: v.shape[1:] for k, v in net.params.items()} == cells.param_shapes(net.spec)
    h, y = _library(net, x)
    _close(h[..., :N], np.asarray(model.layers[0](x)), f"{what}: states")  # the LSTM's [h; c]: h first
    _close(y, np.asarray(model(x)), f"{what}: readout")
    return net


def _train_briefly(model, rng, steps=3):
    """A few eager Adam steps on a small regression (Keras' fit would spend seconds tracing
    its training step)."""
    import tensorflow as tf

    x = rng.standard_normal((16, T, M)).astype(np.float32)
    y = 0.3 * np.cumsum(x[..., :O], axis=1)
    opt = keras.optimizers.Adam(0.05)
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(x, training=True) - y))
        opt.apply(tape.gradient(loss, model.trainable_variables), model.trainable_variables)


@pytest.mark.parametrize("name", list(KERAS))
def test_keras_import_runs_as_the_layer(name, tmp_path):
    """Random weights (every bias non-zero, so each bias's place is checked), then the
    same model briefly trained, saved and loaded from its .keras file."""
    make, arch, act = KERAS[name]
    rng = np.random.default_rng(0)
    model = _keras_model(make())
    model.set_weights([(0.4 * rng.standard_normal(w.shape)).astype(np.float32) for w in model.get_weights()])
    x = rng.standard_normal((4, T, M)).astype(np.float32)
    before = _check_keras(model, x, arch, act, f"{name} random")
    _train_briefly(model, rng)
    path = tmp_path / "model.keras"
    model.save(path)
    after = _check_keras(keras.saving.load_model(path), x, arch, act, f"{name} trained")
    assert np.abs(after.params["W_h"] - before.params["W_h"]).max() > 1e-2  # training moved the weights
    again = importers.from_keras(path)  # from the path itself
    for k in again.params:
        np.testing.assert_array_equal(again.params[k], after.params[k])


def test_keras_gru_update_gate_is_the_kept_fraction():
    """Keras' z keeps the old state (h' = z h + (1 - z) hh): a saturated z holds the state
    in the library too, through the update-gate block of b."""
    model = _keras_model(keras.layers.GRU(N, return_sequences=True))
    w = model.get_weights()
    w[2][0, :N] = 60.0  # Keras' z block of the input bias
    model.set_weights(w)
    net = importers.from_keras(model)
    assert np.all(net.params["b"][0, N: 2 * N] >= 60.0)  # the library's u block
    h0 = np.random.default_rng(1).standard_normal((1, 3, N)).astype(np.float32)
    x = np.zeros((1, 3, M), np.float32)
    np.testing.assert_allclose(cells.step(net.spec, net.params, h0, x).numpy(), h0, atol=1e-6)


@pytest.mark.parametrize("build, match", [
    (lambda: keras.Sequential([keras.Input((T, M)), keras.layers.Bidirectional(keras.layers.GRU(N, return_sequences=True)),
                               keras.layers.Dense(O)]), r"Bidirectional layer .* not supported"),
    (lambda: keras.Sequential([keras.Input((T, M)), keras.layers.GRU(N, return_sequences=True),
                               keras.layers.GRU(N, return_sequences=True), keras.layers.Dense(O)]),
     r"2 stacked keras recurrent layers .* not supported"),
    (lambda: keras.Sequential([keras.Input((T, M)), keras.layers.Conv1D(N, 2), keras.layers.Dense(O)]),
     r"keras layer Conv1D .* not supported; supported: one keras SimpleRNN"),
    (lambda: _keras_model(keras.layers.SimpleRNN(N, activation="sigmoid", return_sequences=True)),
     r"activation='sigmoid' is not supported; supported: \('relu', 'tanh'\)"),
    (lambda: _keras_model(keras.layers.GRU(N, recurrent_activation="hard_sigmoid", return_sequences=True)),
     r"recurrent_activation='hard_sigmoid' is not supported; supported: 'sigmoid'"),
    (lambda: _keras_model(keras.layers.LSTM(N, go_backwards=True, return_sequences=True)),
     r"go_backwards=True is not supported"),
    (lambda: keras.Sequential([keras.Input((T, M)), keras.layers.LSTM(N, return_sequences=True),
                               keras.layers.Dense(O, activation="tanh")]),
     r"Dense readout .*activation='tanh' is not supported; supported: a linear readout"),
    (lambda: keras.Sequential([keras.Input((T, M)), keras.layers.LSTM(N, return_sequences=True)]),
     r"no Dense readout after keras layer"),
    (lambda: keras.Sequential([keras.Input((T, M)), keras.layers.Dense(O)]), r"found 0 keras recurrent layers"),
    (lambda: keras.layers.GRU(N), r"from_keras takes a keras Model .* not GRU"),
], ids=["bidirectional", "stacked", "conv1d", "activation", "recurrent_activation", "go_backwards",
        "dense_activation", "no_readout", "no_rnn", "not_a_model"])
def test_keras_unsupported_models_are_named(build, match):
    with pytest.raises(ValueError, match=match) as err:
        importers.from_keras(build())
    assert "\n" not in str(err.value)  # one line


# ------------------------------------------------------------------ PyTorch, from the fixture

TORCH_KINDS = {"rnn_tanh": ("vanilla", "tanh"), "rnn_relu": ("vanilla", "relu"), "gru": ("gru_ra", "tanh"),
               "lstm": ("lstm", "tanh")}
VARIANTS = ("random", "trained")  # the fixture's leading axis (make_torch_fixture.VARIANTS)


def _fixture(kind, variant):
    """(state dict of numpy arrays, inputs, torch's states, torch's outputs, final cell or None)."""
    z = np.load(FIXTURE, allow_pickle=False)
    v = VARIANTS.index(variant)
    arrays = {k.split("__", 1)[1]: z[k][v] for k in z.files if k.startswith(kind + "__")}
    outputs = {k: arrays.pop(k, None) for k in ("states", "outputs", "final_cell")}
    return arrays, z["inputs"], outputs["states"], outputs["outputs"], outputs["final_cell"]


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("kind", list(TORCH_KINDS))
def test_torch_state_dict_import_runs_as_torch(kind, variant):
    """Without torch: a state dict of numpy arrays (``rnn.*`` and ``readout.*``) imports to a
    network whose states and readouts are torch's (and the LSTM's final cell state is the
    second half of the library's [h; c])."""
    sd, x, states, outputs, final_cell = _fixture(kind, variant)
    arch, act = TORCH_KINDS[kind]
    net = importers.from_torch(sd, nonlinearity=act if kind.startswith("rnn") else None)
    assert (net.spec.arch, net.spec.activation) == (arch, act)
    n = net.spec.units
    h, y = _library(net, x)
    _close(h[..., :n], states, f"{kind} {variant}: states")
    _close(y, outputs, f"{kind} {variant}: readout")
    if final_cell is not None:
        _close(h[:, -1, n:], final_cell, f"{kind} {variant}: final cell state")
    if kind == "gru":  # torch's candidate recurrent bias stays inside r * ( ), the rest adds into b
        np.testing.assert_allclose(net.params["b_hc"][0], sd["rnn.bias_hh_l0"][2 * n:], rtol=1e-6)
        np.testing.assert_allclose(net.params["b"][0, :2 * n], sd["rnn.bias_ih_l0"][:2 * n] + sd["rnn.bias_hh_l0"][:2 * n],
                                   rtol=1e-6)


def test_torch_readout_can_be_given_or_named():
    sd, x, _, outputs, _ = _fixture("gru", "trained")
    rnn = {k[len("rnn."):]: v for k, v in sd.items() if k.startswith("rnn.")}
    lin = {"weight": sd["readout.weight"], "bias": sd["readout.bias"]}
    by_mapping = importers.from_torch(rnn, readout=lin)
    by_name = importers.from_torch({**sd, "other.weight": np.zeros((4, 5))}, readout="readout")
    for net in (by_mapping, by_name):
        _close(_library(net, x)[1], outputs, "readout")
    no_bias = importers.from_torch(rnn, readout={"weight": lin["weight"]})
    assert not no_bias.params["b_out"].any()


def _bad(sd, **changes):
    out = dict(sd)
    for k, v in changes.items():
        if v is None:
            out.pop(k)
        else:
            out[k] = v
    return out


@pytest.mark.parametrize("edit, kwargs, match", [
    (lambda sd: {**sd, "rnn.weight_ih_l1": sd["rnn.weight_ih_l0"]}, {}, r"stacked layers \(num_layers > 1\) are not supported"),
    (lambda sd: {**sd, "rnn.weight_ih_l0_reverse": sd["rnn.weight_ih_l0"]}, {}, r"bidirectional layers are not supported"),
    (lambda sd: {**sd, "rnn.weight_hr_l0": np.zeros((3, 5))}, {}, r"proj_size > 0\) are not supported"),
    (lambda sd: {**sd, "embed.weight": np.zeros((7, 3))}, {}, r"layers \['embed', 'readout'\] besides the recurrent one"),
    (lambda sd: {**sd, "norm.running_mean": np.zeros(5)}, {}, r"key 'norm.running_mean' is not supported"),
    (lambda sd: _bad(sd, **{"readout.weight": None, "readout.bias": None}), {}, r"no nn.Linear readout in the state dict"),
    (lambda sd: _bad(sd, **{"readout.weight": np.zeros((2, 7))}), {}, r"readout weight has shape \(2, 7\); expected \(O, 5\)"),
    (lambda sd: _bad(sd, **{"rnn.weight_hh_l0": np.zeros((10, 5)), "rnn.weight_ih_l0": np.zeros((10, 3))}), {},
     r"2 gate blocks of 5 units; supported: 1 \(nn.RNN\), 3 \(nn.GRU\), 4 \(nn.LSTM\)"),
    (lambda sd: _bad(sd, **{"rnn.weight_ih_l0": np.zeros((20, 3))}), {}, r"weight_ih \(20, 3\) and weight_hh \(15, 5\)"),
    (lambda sd: _bad(sd, **{"rnn.bias_ih_l0": np.zeros(4)}), {}, r"input bias has shape \(4,\); expected \(15,\)"),
    (lambda sd: sd, {"nonlinearity": "relu"}, r"nonlinearity='relu': torch's nn.GRU is always tanh"),
    (lambda sd: sd, {"readout": "fc"}, r"readout='fc' names no layer of the state dict; layers: \['readout'\]"),
    (lambda sd: {k: v for k, v in sd.items() if k.startswith("readout")}, {}, r"no recurrent layer in the state dict"),
], ids=["stacked", "bidirectional", "proj", "extra_layer", "unknown_key", "no_readout", "readout_shape",
        "gate_blocks", "ih_shape", "bias_shape", "gru_relu", "readout_name", "no_rnn"])
def test_torch_unsupported_state_dicts_are_named(edit, kwargs, match):
    sd = _fixture("gru", "random")[0]
    with pytest.raises(ValueError, match=match) as err:
        importers.from_torch(edit(sd), **kwargs)
    assert "\n" not in str(err.value)


def test_torch_rnn_nonlinearity_must_be_stated_for_a_state_dict():
    sd = _fixture("rnn_relu", "random")[0]
    with pytest.raises(ValueError, match=r"nonlinearity=None: a state dict does not record nn.RNN's nonlinearity"):
        importers.from_torch(sd)
    with pytest.raises(ValueError, match=r"activation='gelu' is not supported; supported: \('relu', 'tanh'\)"):
        importers.from_torch(sd, nonlinearity="gelu")
    with pytest.raises(ValueError, match=r"from_torch takes a torch module or a state dict .* not list"):
        importers.from_torch([1, 2])


# ------------------------------------------------------------------ PyTorch, live

def test_torch_modules_live():
    """Where torch is installed: modules (a container, or the recurrent layer with its
    readout) and state dicts of torch tensors, against torch's own forward pass; stacked,
    bidirectional and projected layers and other module types are refused."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    x = torch.randn(2, 9, M)
    for kind, kwargs, nonlin in ((torch.nn.RNN, {"nonlinearity": "relu"}, "relu"), (torch.nn.RNN, {}, "tanh"),
                                 (torch.nn.GRU, {}, "tanh"), (torch.nn.LSTM, {}, "tanh"), (torch.nn.GRU, {"bias": False}, "tanh")):
        net = torch.nn.Module()
        net.rnn, net.fc = kind(M, N, batch_first=True, **kwargs), torch.nn.Linear(N, O)
        with torch.no_grad():
            states = net.rnn(x)[0]
            y = net.fc(states)
        for imported in (importers.from_torch(net), importers.from_torch(net.rnn, readout=net.fc),
                         importers.from_torch(net.state_dict(), nonlinearity=nonlin)):
            assert imported.spec.activation == nonlin
            h, yy = _library(imported, x.numpy())
            _close(h[..., :N], states.numpy(), f"{kind.__name__} states")
            _close(yy, y.numpy(), f"{kind.__name__} readout")
    for cell, nonlin in ((torch.nn.RNNCell(M, N, nonlinearity="relu"), "relu"), (torch.nn.GRUCell(M, N), "tanh"),
                         (torch.nn.LSTMCell(M, N), "tanh")):  # the cells, stepped by hand
        fc = torch.nn.Linear(N, O)
        with torch.no_grad():
            state, hs = None, []
            for t in range(x.shape[1]):
                state = cell(x[:, t], state)
                hs.append(state[0] if isinstance(state, tuple) else state)
            states = torch.stack(hs, dim=1)
        imported = importers.from_torch(cell, readout=fc)
        assert imported.spec.activation == nonlin
        h, yy = _library(imported, x.numpy())
        _close(h[..., :N], states.numpy(), f"{type(cell).__name__} states")
        _close(yy, fc(states).detach().numpy(), f"{type(cell).__name__} readout")
    for module, match in ((torch.nn.GRU(M, N, num_layers=2), r"num_layers=2\) is not supported"),
                          (torch.nn.GRU(M, N, bidirectional=True), r"bidirectional=True\) is not supported"),
                          (torch.nn.LSTM(M, N, proj_size=2), r"proj_size=2\) is not supported"),
                          (torch.nn.Sequential(torch.nn.Conv1d(M, N, 2), torch.nn.Linear(N, O)),
                           r"torch module Conv1d is not supported"),
                          (torch.nn.GRU(M, N), r"no nn.Linear readout in the torch module")):
        with pytest.raises(ValueError, match=match):
            importers.from_torch(module)
    with pytest.raises(ValueError, match=r"nonlinearity='tanh' contradicts the module's nonlinearity='relu'"):
        importers.from_torch(torch.nn.RNN(M, N, nonlinearity="relu"), readout=torch.nn.Linear(N, O),
                             nonlinearity="tanh")


# ------------------------------------------------------------------ into the library's analyses

def test_imported_network_is_a_population():
    from universality.tasks import FlipFlop

    sd, x, states, _, _ = _fixture("lstm", "trained")
    net = importers.from_torch(sd)
    pop = net.population(network_id="mine")
    assert list(pop.table.index) == ["mine"] and pop.spec("mine") == net.spec
    np.testing.assert_allclose(pop.states(x)["mine"], cells.run(net.spec, net.params, x[None]).numpy()[0])
    with pytest.raises(ValueError, match=r"task 'flipflop' has 3 inputs and 3 outputs but the imported network has 3 and 2"):
        net.population(FlipFlop())


def _search(net, config):
    from universality import fixed_points as fp

    x = np.random.default_rng(0).standard_normal((8, 20, net.spec.n_inputs)).astype(np.float32) * 0.5
    states = cells.run(net.spec, net.params, x[None]).numpy().reshape(1, -1, net.spec.state_size)
    return fp.find_cell_fixed_points(net.spec, net.params, np.zeros((1, net.spec.n_inputs)), states, config)


def test_repeated_search_of_a_users_network_neither_retraces_nor_warns():
    """A user's second search of the same network compiles nothing and logs no TensorFlow
    retracing warning (the compiled Adam programs are kept per spec and settings), and the
    cells' functions are one object per spec."""
    from universality import fixed_points as fp
    from universality.fixed_points import optimise

    net = importers.from_torch(_fixture("rnn_tanh", "trained")[0], nonlinearity="tanh")
    spec_again = cells.CellSpec(*(getattr(net.spec, f) for f in ("arch", "activation", "units", "n_inputs", "n_outputs")))
    assert cells.functions(spec_again) is cells.functions(net.spec)
    config = fp.FixedPointConfig(n_initial=64, max_iters=300)
    first = _search(net, config)
    messages = []

    class Capture(logging.Handler):
        def emit(self, record):
            messages.append(record.getMessage())

    handler = Capture()
    logging.getLogger("tensorflow").addHandler(handler)
    try:
        traced = optimise.compilations()
        again = _search(net, config)
        assert optimise.compilations() == traced
    finally:
        logging.getLogger("tensorflow").removeHandler(handler)
    assert not [m for m in messages if "retracing" in m], messages
    assert len(first[0]) == len(again[0]) and len(first[0]) >= 1


def test_the_adam_working_set_keeps_a_quarter_of_its_points(monkeypatch):
    """With XLA every working-set shape is one compilation: a search that stops most of its
    points uses at most 3 shapes, none below K/4; without the floor it goes lower
    (negative control: the floor is what bounds it)."""
    from universality import fixed_points as fp
    from universality.fixed_points import optimise

    net = importers.from_torch(_fixture("rnn_tanh", "trained")[0], nonlinearity="tanh")
    config = fp.FixedPointConfig(n_initial=128, max_iters=1000, check_every=20)
    original = optimise._compiled

    def spy(step_fn, cfg):
        chunk = original(step_fn, cfg)

        def call(h, *rest):
            seen.append(h.shape[1])
            return chunk(h, *rest)
        return call

    monkeypatch.setattr(optimise, "_compiled", spy)
    assert optimise.JIT
    shapes = {}
    for floor in (optimise.COMPACT_FLOOR, None):
        monkeypatch.setattr(optimise, "COMPACT_FLOOR", floor)
        seen = []
        result = _search(net, config)
        shapes[floor] = sorted(set(seen), reverse=True)
        assert result[0].meta["stages"]["adam_stopped"] > 0.8 * 128  # most points stopped
    assert shapes[4][0] == 128 and min(shapes[4]) >= 32 and len(shapes[4]) <= 3, shapes
    assert min(shapes[None]) < 32, shapes
