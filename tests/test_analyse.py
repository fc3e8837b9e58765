"""Analysing a user's network: distances from a few networks to a population, and the report.

Tolerances: the cross blocks repeat the all-pairs computation's operations on the same
arrays, so they agree to float64 round-off (1e-12); DSA's alignment is an optimisation
whose per-pair path does not depend on the batch, allowed 1e-6 rad as the DSA tests do.
"""

import numpy as np
import pytest

from universality import dynamics_similarity as dsa
from universality import similarity as sim


def _reps(seed=0, n=6):
    rng = np.random.default_rng(seed)
    reps = [rng.standard_normal((240, 4)) @ rng.standard_normal((4, 10)) + 0.05 * rng.standard_normal((240, 10))
            for _ in range(n)]
    reps[0] = rng.standard_normal((240, 10))  # full rank: raises MatchedSVCCA's common k for the merged set
    return reps


@pytest.mark.parametrize("metric", [sim.SVCCA(), sim.MatchedSVCCA(), sim.LinearCKA(), sim.Procrustes()],
                         ids=lambda m: m.name)
def test_cross_is_the_block_of_the_merged_all_pairs_matrix(metric):
    reps = _reps()
    full = sim.pairwise(metric, reps, progress=False)
    block = sim.cross(metric, reps[:2], reps[2:])
    assert block.shape == (2, 4)
    np.testing.assert_allclose(block.values, full.values[:2, 2:], rtol=0, atol=1e-12)
    assert block.attrs == full.attrs


def test_cross_binds_matched_svcca_on_both_sets():
    """The new network's components raise the common k: the stored matrix of the others no
    longer fits, and the attrs say so."""
    reps = _reps()
    alone = sim.pairwise(sim.MatchedSVCCA(), reps[1:], progress=False)
    block = sim.cross(sim.MatchedSVCCA(), reps[:1], reps[1:])
    assert block.attrs["k_common"] > alone.attrs["k_common"]
    assert block.attrs != alone.attrs


def test_cross_labels_and_errors():
    import pandas as pd

    reps = _reps(n=3)
    block = sim.cross(sim.SVCCA(), reps[:1], reps[1:], pd.DataFrame({"network_id": ["mine"], "arch": ["gru_ra"]}),
                      pd.DataFrame({"network_id": ["a", "b"], "arch": ["gru", "lstm"]}))
    assert list(block.coords["network"].values) == ["mine"] and list(block.coords["arch_2"].values) == ["gru", "lstm"]
    with pytest.raises(ValueError, match="samples"):
        sim.cross(sim.SVCCA(), [reps[0][:100]], reps[1:])
    with pytest.raises(ValueError, match="is not a Metric"):
        sim.cross("svcca", reps[:1], reps[1:])


def test_cross_operator_distances_are_the_row_of_the_all_pairs_matrix():
    rng = np.random.default_rng(1)
    states = {f"n{i}": np.cumsum(rng.standard_normal((3, 40, 5)), axis=1) for i in range(5)}
    cfg = dsa.DSAConfig(n_delays=3, rank=6, iterations=300)
    ops = dsa.operators(states, cfg)
    full = dsa.operator_distances(ops, cfg)
    row = dsa.cross_operator_distances({"n0": ops["n0"]}, ops, cfg)
    assert row.shape == (1, 5) and list(row.coords["network_2"].values) == list(ops)
    np.testing.assert_allclose(row.values[0], full.values[0], rtol=0, atol=1e-6)
    assert row.values[0, 0] <= 1e-6  # itself
    with pytest.raises(ValueError, match="ops_a is empty"):
        dsa.cross_operator_distances({}, ops, cfg)


# --------------------------------------------------------------------------- the report

pytest.importorskip("keras")

from universality import analysis, cli, importers, report  # noqa: E402
from universality.population import load_population  # noqa: E402

ME = "flipflop-vanilla-tanh-n16-l2_1e-04-s0"  # the reference network exported as a torch state dict
QUICK = {"n_initial": 128, "max_iters": 300}  # a quicker fixed-point search, for the models and the reference alike


def _torch_state_dict(params) -> dict:
    """A vanilla network of the library in PyTorch's layout (nn.RNN + nn.Linear): column
    vectors, so every matrix is transposed; torch's second bias is zero."""
    return {"rnn.weight_ih_l0": params["W_x"].T, "rnn.weight_hh_l0": params["W_h"].T, "rnn.bias_ih_l0": params["b"],
            "rnn.bias_hh_l0": np.zeros_like(params["b"]), "fc.weight": params["W_out"].T, "fc.bias": params["b_out"]}


def _keras_gru(path, units=8, n_inputs=3, seed=0):
    import keras

    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((None, n_inputs)), keras.layers.GRU(units, reset_after=True,
                                                                               return_sequences=True),
                              keras.layers.Dense(3)])
    model.save(path)
    return path


@pytest.fixture(scope="module")
def reference():
    return load_population("smoke", "flipflop").select(activation="tanh")


@pytest.fixture(scope="module")
def analysed(tmp_path_factory, reference):
    """One report on two models against the smoke flip-flop tanh networks, in a fresh
    workspace: a small untrained Keras GRU, and a copy of a reference network exported as a
    torch state dict (.npz) and named as that network (so its seeds are the same)."""
    tmp = tmp_path_factory.mktemp("analyse")
    keras_path = _keras_gru(tmp / "small_gru.keras")
    np.savez(tmp / "copy.npz", **_torch_state_dict(reference.params[ME]))
    rep = report.analyse([keras_path, tmp / "copy.npz"], "flipflop", out=tmp / "out", reference=reference,
                         names=["small gru", ME], workspace=tmp / "ws", torch_nonlinearity="tanh",
                         fixed_point_changes=QUICK)
    return rep, tmp


@pytest.mark.slow
def test_the_report_writes_its_files(analysed):
    rep, tmp = analysed
    out = tmp / "out"
    names = {p.name for p in out.iterdir()}
    assert {"index.html", "summary.csv", "nearest.csv", "topology.csv", "distances_small_gru.csv",
            "fixed_points_small_gru.csv", "mds_svcca_matched.png", "mds_topology.png", "mds_dsa.png",
            "distances_small_gru.png"} <= names, sorted(names)
    page = (out / "index.html").read_text()
    for p in out.iterdir():  # every file is linked, relatively
        if p.name != "index.html":
            assert f'href="{p.name}"' in page, p.name
    assert "http" not in page.replace("http-equiv", "")  # nothing to download
    import pandas as pd

    table = pd.read_csv(out / "distances_small_gru.csv", index_col=0)
    assert list(table.index) == list(rep.distances["svcca_matched"].coords["network_2"].values)
    assert {"svcca_matched", "svcca", "cka", "procrustes", "dsa", "topology"} <= set(table.columns)


@pytest.mark.slow
def test_the_rows_are_the_merged_populations_all_pairs(analysed, reference):
    """Each measure's rows (models x reference) and the models' own block equal the
    all-pairs computation on the merged population: geometry to 1e-10 (the same float64
    operations), DSA to 1e-6 rad (its alignment's stopping rule), topology to 1e-12."""
    from universality import dynamics_similarity as dsa
    from universality import similarity as sim
    from universality.studies import study_for

    from universality import topology

    rep, tmp = analysed
    study = study_for("flipflop")
    pops = [reference.trained()] + [net.population(reference.task, network_id=n) for n, net in rep.models.items()]
    hs = {}
    for p in pops[1:] + pops[:1]:
        hs.update(analysis.hidden(p, rep.trials))
    ids = list(rep.models) + list(reference.trained().table.index)
    reps = [hs[i].reshape(-1, hs[i].shape[-1]) for i in ids]
    m = len(rep.models)
    for metric in report.geometry_metrics():
        full = np.asarray(sim.pairwise(metric, reps, progress=False))
        np.testing.assert_allclose(np.asarray(rep.merged[metric.name]), full, rtol=0, atol=1e-10,
                                   err_msg=metric.name)
        np.testing.assert_allclose(np.asarray(rep.distances[metric.name]), full[:m, m:], rtol=0, atol=1e-10)
    cfg = study.dsa_config()
    full = np.asarray(dsa.operator_distances([dsa.fit_operator(hs[i], cfg) for i in ids], cfg))
    np.testing.assert_allclose(np.asarray(rep.merged["dsa"]), full, rtol=0, atol=1e-6)
    # topology: the models' graphs beside the reference's (read from the workspace), all pairs
    fps = analysis.fixed_points(pops[0], study.fixed_point_config(**QUICK), workspace=tmp / "ws")
    graphs = {rep.display[n]: rep.graphs[n]["topology"][0] for n in rep.models if "topology" in rep.graphs[n]}
    graphs.update(study.topologies(pops[0], fps, tmp / "ws")["position"].graphs)
    full = topology.graph_distances(graphs)
    merged = rep.merged["topology"]
    order = list(merged.coords["network"].values)
    np.testing.assert_allclose(np.asarray(merged), np.asarray(full.sel(network=order, network_2=order)), rtol=0,
                               atol=1e-12)


@pytest.mark.slow
def test_a_reference_network_imported_back_sits_on_itself(analysed, reference):
    """Known answer: the reference network exported as a torch state dict and imported
    again is at distance ~0 from itself under every measure (1e-6: representations,
    operators and graphs are the same arrays), and its own class is nearest."""
    from universality.studies import study_for

    rep, tmp = analysed
    disp = rep.display[ME]
    assert disp == f"{ME} (model)"  # it keeps its name (and seeds); beside the reference it is marked
    for measure, rows in rep.distances.items():
        d = float(rows.sel(network=disp, network_2=ME))
        assert d <= 1e-6, (measure, d)
    near = rep.nearest[rep.nearest.model == disp].set_index("measure")
    for measure in ("svcca_matched", "svcca", "cka", "procrustes", "dsa"):
        assert near.loc[measure, "nearest class"] == "vanilla-tanh", measure
        assert near.loc[measure, "nearest network"] == ME, measure
    assert near.loc["topology", "distance"] <= 1e-12  # topology: its own graph (others may tie with it)
    mine = rep.fixed_points[ME]
    theirs = analysis.fixed_points(reference.trained(), study_for("flipflop").fixed_point_config(**QUICK),
                                   workspace=tmp / "ws")[ME]
    assert mine.summary() == theirs.summary()
    np.testing.assert_allclose(np.sort(mine.h, axis=0), np.sort(theirs.h, axis=0), atol=1e-6)


# ------------------------------------------------------------------------ the command line


def _run(capsys, *argv):
    with pytest.raises(SystemExit) as e:
        cli.main(list(argv))
    return e.value.code, capsys.readouterr().err


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    import keras

    tmp = tmp_path_factory.mktemp("models")
    keras.utils.set_random_seed(1)
    stacked = keras.Sequential([keras.Input((None, 3)), keras.layers.LSTM(4, return_sequences=True),
                                keras.layers.LSTM(4, return_sequences=True), keras.layers.Dense(3)])
    stacked.save(tmp / "stacked.keras")
    _keras_gru(tmp / "two_inputs.keras", units=4, n_inputs=2)
    (tmp / "junk.keras").write_text("not a model")
    np.savez(tmp / "no_rnn.npz", **{"fc.weight": np.ones((3, 4)), "fc.bias": np.zeros(3)})
    return tmp


@pytest.mark.parametrize("model, extra, words", [
    ("missing.keras", [], "does not exist"),
    ("junk.keras", [], "cannot be loaded by keras"),
    ("stacked.keras", [], "2 stacked keras recurrent layers"),
    ("no_rnn.npz", [], "no recurrent layer in the state dict"),
    ("two_inputs.keras", [], "has 2 inputs and 3 outputs; task 'flipflop' takes 3 inputs"),
    ("two_inputs.keras", ["--task", "cdi"], "task 'cdi' takes"),
    ("model.txt", [], "does not exist"),
])
def test_analyse_errors_are_one_line_naming_the_model(capsys, models, model, extra, words):
    if model == "model.txt":
        (models / model).write_text("x")
        words = "suffix '.txt' is not one of ('.keras', '.h5', '.npz')"
    code, err = _run(capsys, "analyse", str(models / model), "--reference", "smoke", "--out",
                     str(models / "never"), *extra)
    assert code == 2, err
    assert words in err, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert not (models / "never").exists()  # nothing was written


def test_analyse_bad_options_name_what_is_allowed(capsys, models):
    code, err = _run(capsys, "analyse", str(models / "two_inputs.keras"), "--task", "maze")
    assert code == 2 and "invalid choice: 'maze'" in err
    code, err = _run(capsys, "analyse", str(models / "two_inputs.keras"), "--select", "units")
    assert code == 2 and "--select 'units' is not LABEL=VALUE" in err, err


@pytest.mark.slow
def test_analyse_a_task_of_their_own_with_two_models(capsys, models):
    """--task none: fixed points under the static input given, their eigenvalues, and the
    two models compared with each other; no reference, no placement."""
    a = _keras_gru(models / "mine_a.keras", units=6, seed=2)
    b = _keras_gru(models / "mine_b.keras", units=6, seed=3)
    out = models / "own"
    code = cli.main(["analyse", str(a), str(b), "--task", "none", "--out", str(out), "--static-input", "0,0,0",
                     "--static-input", "0.5,0,0", "--n-initial", "64", "--quiet"])
    printed = capsys.readouterr().out
    assert code == 0
    assert "task: none" in printed and "mine_a: keras GRU(reset_after=True) + Dense" in printed
    names = {p.name for p in out.iterdir()}
    assert {"index.html", "summary.csv", "fixed_points_mine_a.csv", "fixed_points_mine_b.csv",
            "eigenvalues_mine_a.png", "among_svcca_matched.csv", "among_cka.csv", "among_dsa.csv"} <= names, names
    assert not any(n.startswith(("mds_", "nearest", "distances_")) for n in names)
    import pandas as pd

    pts = pd.read_csv(out / "fixed_points_mine_a.csv")
    assert set(pts["input 0"]) <= {0.0, 0.5} and len(pts) >= 1  # points under each static input given
    among = pd.read_csv(out / "among_cka.csv", index_col=0)
    assert among.shape == (2, 2) and among.loc["mine_a", "mine_a"] == 0 and among.loc["mine_a", "mine_b"] > 0
    np.testing.assert_allclose(among.to_numpy(), among.to_numpy().T)
