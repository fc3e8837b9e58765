"""The artifact store: keys from inputs and code, shipped results served only when current."""

import numpy as np
import pytest

from universality import analysis, artifacts, roundoff
from universality import fixed_points as fp
from universality.population import Population
from universality.tasks import make_task


def _population(tanh2d, p=2):
    return Population.from_stacked(make_task("flipflop", n_bits=1), tanh2d.spec, tanh2d.params(p),
                                   [f"tanh2d-{i}" for i in range(p)])


def test_a_source_change_invalidates_exactly_its_dependents(monkeypatch):
    """Change one module's source: the kinds it produces, and the kinds downstream of them,
    get new code keys; every other kind keeps its key."""
    before = {k: artifacts.code_key(k) for k in artifacts.KINDS}
    original = artifacts.source_of

    def edited(module):
        src = original(module)
        return src + b"# an edit\n" if module == "topology.transitions" else src

    monkeypatch.setattr(artifacts, "source_of", edited)
    after = {k: artifacts.code_key(k) for k in artifacts.KINDS}
    changed = {k for k in artifacts.KINDS if before[k] != after[k]}
    assert changed == {"transitions", "scorecard"}
    # and the fixed-point search's code reaches the fixed points and everything made from them
    monkeypatch.setattr(artifacts, "source_of", lambda m: original(m) + (b"#" if m == "fixed_points" else b""))
    again = {k for k in artifacts.KINDS if before[k] != artifacts.code_key(k)}
    assert again == {"fixed_points", "transitions", "scorecard"}


def test_the_scorecard_is_keyed_by_what_it_imports_and_not_by_the_pages(monkeypatch):
    """The scorecard's code is evidence.scorecard and its import closure (lazy imports
    too): an edit of the claims or the effects changes its key, an edit of the pages, the
    command line or the plotting does not."""
    closure = artifacts.imported_closure(["evidence"])
    assert {"claims", "effects", "stability", "studies.flipflop", "statistics"} <= set(closure)
    assert not {"pages", "cli", "plotting", "report", "notebooks"} & set(closure)
    before = artifacts.code_key("scorecard")
    original = artifacts.source_of
    for module, moves in (("plotting", False), ("pages", False), ("cli", False), ("claims", True), ("effects", True)):
        monkeypatch.setattr(artifacts, "source_of", lambda m, e=module: original(m) + (b"#" if m == e else b""))
        assert (artifacts.code_key("scorecard") != before) == moves, module
        monkeypatch.setattr(artifacts, "source_of", original)


def test_every_kind_names_modules_that_exist():
    for kind in artifacts.KINDS:
        for module in artifacts.KINDS[kind].modules:
            assert artifacts.source_of(module), (kind, module)
    with pytest.raises(ValueError, match="kind='maps' is not one of"):
        artifacts.code_key("maps")


def test_results_recompute_when_their_code_changes(tmp_path, tanh2d, monkeypatch):
    """A stored result is read back while its code is unchanged; after a change of the code
    that produces it, it is computed again (and what it does not depend on is not)."""
    pop = _population(tanh2d)
    cfg = fp.FixedPointConfig(n_initial=64, max_iters=200)
    calls = []
    real = fp.find_population_fixed_points
    monkeypatch.setattr(fp, "find_population_fixed_points", lambda *a, **k: calls.append(1) or real(*a, **k))
    a = analysis.fixed_points(pop, cfg, workspace=tmp_path)
    b = analysis.fixed_points(pop, cfg, workspace=tmp_path)
    assert len(calls) == 1 and a.key == b.key
    original = artifacts.source_of
    monkeypatch.setattr(artifacts, "source_of", lambda m: original(m) + (b"#" if m == "fixed_points" else b""))
    c = analysis.fixed_points(pop, cfg, workspace=tmp_path)
    assert len(calls) == 2 and c.key != a.key
    for nid in a:
        np.testing.assert_array_equal(a[nid].h, c[nid].h)


def test_caches_live_under_the_workspace_root(tmp_path, tanh2d):
    """Hermetic: a workspace on a temporary root writes there and nowhere else."""
    from universality.store import DEFAULT_ROOT

    pop = _population(tanh2d)
    before = sorted((DEFAULT_ROOT / "_cache").rglob("*")) if (DEFAULT_ROOT / "_cache").exists() else []
    analysis.fixed_points(pop, fp.FixedPointConfig(n_initial=32, max_iters=50), workspace=tmp_path)
    trials = pop.task.sample(np.random.default_rng(0), 4).inputs_btm
    analysis.geometry(pop, trials, metrics=("cka",), workspace=tmp_path)
    assert list((tmp_path / "_cache" / "fixed_points").glob("*.npz"))
    assert list((tmp_path / "_cache" / "geometry").glob("*.npz"))
    after = sorted((DEFAULT_ROOT / "_cache").rglob("*")) if (DEFAULT_ROOT / "_cache").exists() else []
    assert after == before


def test_shipped_results_are_served_only_under_their_key(tmp_path, tanh2d, capsys):
    pop = _population(tanh2d)
    cfg = fp.FixedPointConfig(n_initial=64, max_iters=200)
    ws = artifacts.Workspace.of(tmp_path)
    with artifacts.recording() as requests:
        first = analysis.fixed_points(pop, cfg, workspace=ws)
    shipped = artifacts.ship(requests, ws)
    assert [p.parent.name for p in shipped] == ["fixed_points"]
    for f in (tmp_path / "_cache").rglob("*.npz"):
        f.unlink()
    table = artifacts.check(ws, load_population=lambda profile, task: pop)
    assert table.current.all() and len(table) == 1
    again = analysis.fixed_points(pop, cfg, workspace=ws)  # from the shipped file
    assert again.key == first.key and not list((tmp_path / "_cache" / "fixed_points").rglob("*.npz"))
    # the eigenvalues of the points are cached per machine, and read back as computed
    (lams,) = (tmp_path / "_cache" / "eigenvalues").glob(f"*{first.key}.npz")
    third = analysis.fixed_points(pop, cfg, workspace=ws)
    for nid in first:
        np.testing.assert_allclose(third[nid].eigenvalues, first[nid].eigenvalues, rtol=1e-9, atol=1e-12)
        assert np.array_equal(third[nid].n_unstable, first[nid].n_unstable)
    # other settings: the shipped file is not served; one line says so, and it is computed
    other = analysis.fixed_points(pop, cfg.with_(n_initial=32), workspace=ws)
    err = capsys.readouterr().err
    assert other.key != first.key and err.count("\n") == 1 and "computing them afresh" in err
    # other weights: check reports the shipped file as not current
    pop.params["tanh2d-1"]["W_h"] = pop.params["tanh2d-1"]["W_h"] * np.float32(0.5)
    table = artifacts.check(ws, load_population=lambda profile, task: pop)
    assert not table.current.any() and table.why.iloc[0] == "networks, settings or code changed"


def test_shipped_book_artifacts_are_current():
    """Every result shipped in data/artifacts is the one today's networks and code give
    (keys computed again from the committed weights and the library's source)."""
    from universality.store import DEFAULT_ROOT

    if not (DEFAULT_ROOT / "artifacts" / "manifest.json").exists():
        pytest.fail("no shipped artifacts: run 'universality artifacts --ship'")
    with roundoff.unperturbed():
        table = artifacts.check(artifacts.Workspace.of(DEFAULT_ROOT))
    stale = table[~table.current]
    assert stale.empty, ("not current (run 'universality artifacts --ship'):\n" + stale.to_string())
    assert {"fixed_points", "geometry", "dynamics", "transitions", "scorecard"} <= set(table.kind)
