"""The command line: user errors print one line and exit with status 2, never a traceback."""

import numpy as np
import pytest

from universality import cells, cli, store
from universality.population import PROFILES, network_id


def run(capsys, *argv):
    with pytest.raises(SystemExit) as e:
        cli.main(list(argv))
    err = capsys.readouterr().err
    return e.value.code, err


@pytest.mark.parametrize("argv, words", [
    (["train", "--profile", "nope"], "'nope' is not one of smoke, book, book-64, paper"),
    (["train", "--n-seeds", "-1"], "-1 must be a positive integer"),
    (["train", "--task", "maze"], "invalid choice: 'maze'"),
    (["losses", "--profile", "nope"], "'nope' is not one of"),
    (["page", "nope"], "page='nope' does not exist; pages are"),
    (["page", "figure1", "-p", "colour", "red"], "page 'figure1' has no parameter 'colour'; its parameters are"),
    (["fixed-points", "--n-initial", "0"], "0 must be a positive integer"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    (["sizes", "--profile", "book-64"], "its trained networks have one size ([64])"),
    (["sizes", "--metric", "euclid"], "invalid choice: 'euclid'"),
])
def test_user_errors_print_one_line_and_exit_2(capsys, argv, words):
    code, err = run(capsys, *argv)
    assert code == 2
    assert words in err, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err


def test_losses_on_an_empty_store(capsys, tmp_path):
    code, err = run(capsys, "losses", "--profile", "smoke", "--data", str(tmp_path))
    assert code == 2 and "universality train --profile smoke" in err and len(err.strip().splitlines()) == 1


def test_profile_names_match_the_registry():
    assert cli.PROFILE_NAMES == tuple(PROFILES)


def _store_one(root, seed=0):
    spec = cells.CellSpec("vanilla", "tanh", 16, 3, 3)
    nid = network_id("flipflop", "vanilla", "tanh", 16, 1e-4, seed)
    meta = {"task": "flipflop", "arch": "vanilla", "activation": "tanh", "units": 16, "l2": 1e-4, "seed": seed,
            "valid_loss": 0.1, "train_loss": 0.1, "diverged": False, "hparams": {"learning_rate": 0.01}}
    path = store.network_path(root, "smoke", "flipflop", nid)
    store.save_network(path, cells.init_one(spec, seed), meta, np.zeros(1), np.ones(1))
    return path


def test_a_damaged_network_file_is_named(capsys, tmp_path):
    path = _store_one(tmp_path)
    path.write_bytes(path.read_bytes()[:100])  # truncated
    with pytest.raises(store.DamagedFileError, match=str(path.name)):
        store.load_network(path)
    code, err = run(capsys, "losses", "--profile", "smoke", "--task", "flipflop", "--data", str(tmp_path))
    assert code == 2 and path.name in err and "is damaged" in err and "Traceback" not in err


@pytest.mark.slow
def test_the_sweep_retrains_a_damaged_file(tmp_path):
    from universality.population import get_profile
    from universality.sweep import missing_groups as _missing_groups

    prof = get_profile("smoke").with_(archs=("vanilla",), activations=("tanh",))
    from universality.sweep import run_sweep

    run_sweep(prof, ["flipflop"], root=tmp_path, progress=False)
    assert _missing_groups(prof, "flipflop", tmp_path) == {}
    path = store.list_networks(tmp_path, "smoke", "flipflop")[0]
    path.write_bytes(b"not a zip file")
    assert list(_missing_groups(prof, "flipflop", tmp_path)) == ["flipflop-vanilla-tanh-n16"]
    table = run_sweep(prof, ["flipflop"], root=tmp_path, progress=False)
    assert (table.status == "trained").sum() == 1
    store.load_network(path)  # readable again


def test_an_unexpected_error_keeps_its_traceback(monkeypatch):
    def boom(args):
        raise ValueError("internal: shapes (3,) and (4,) not aligned")

    monkeypatch.setattr(cli, "_profiles", boom)
    with pytest.raises(ValueError, match="not aligned"):
        cli.main(["profiles"])


def test_a_network_file_missing_an_array_is_named(capsys, tmp_path):
    path = _store_one(tmp_path)
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files if k != "param/W_h"}
    np.savez(path, **arrays)  # a valid zip, one weight array short
    code, err = run(capsys, "losses", "--profile", "smoke", "--task", "flipflop", "--data", str(tmp_path))
    assert code == 2 and path.name in err and "'param/W_h' is missing" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err


def test_a_corrupt_manifest_is_named_before_training(capsys, tmp_path):
    manifest = tmp_path / "smoke" / "manifest.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_text("{not json")
    code, err = run(capsys, "train", "--profile", "smoke", "--task", "flipflop", "--data", str(tmp_path), "--quiet")
    assert code == 2 and "manifest.json is not a JSON manifest" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert manifest.read_text() == "{not json"  # not overwritten
    assert not (tmp_path / "smoke" / "flipflop").exists()  # nothing trained


def test_an_unreachable_scheduler_is_named(capsys, tmp_path):
    code, err = run(capsys, "train", "--profile", "smoke", "--task", "flipflop", "--data", str(tmp_path), "--quiet",
                    "--scheduler", "tcp://127.0.0.1:1")
    assert code == 2 and "no Dask scheduler answers at 'tcp://127.0.0.1:1'" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err


def test_training_time_on_a_store_without_records_and_with_a_damaged_one(capsys, tmp_path):
    cli.main(["training-time", "--profile", "smoke", "--task", "cdi", "--data", str(tmp_path)])
    out = capsys.readouterr().out
    assert "cdi: 0 of 8 groups timed (0 of 8 networks), 0 CPU-s" in out and "untimed: cdi-vanilla-relu-n16" in out
    bad = store.timing_path(tmp_path, "smoke", "cdi", "cdi-gru-tanh-n16")
    bad.parent.mkdir(parents=True)
    bad.write_text("[1, 2")
    code, err = run(capsys, "training-time", "--profile", "smoke", "--task", "cdi", "--data", str(tmp_path))
    assert code == 2 and bad.name in err and "is damaged" in err and "Traceback" not in err


@pytest.mark.slow
def test_train_prints_what_the_groups_cost(capsys, tmp_path):
    cli.main(["train", "--profile", "smoke", "--task", "cdi", "--data", str(tmp_path), "--quiet"])
    out = capsys.readouterr().out
    assert "the 8 groups trained now cost" in out and "universality training-time" in out
    cli.main(["training-time", "--profile", "smoke", "--task", "cdi", "--data", str(tmp_path), "--by-group"])
    out = capsys.readouterr().out
    assert "cdi: 8 of 8 groups timed (8 of 8 networks)" in out and "cdi-lstm-tanh-n16" in out
