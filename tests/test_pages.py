import pytest

from universality import pages
from universality.notebooks import run_page


@pytest.mark.parametrize("kwargs, message", [
    ({"profile": "huge"}, r"profile='huge' is not one of \('smoke', 'book', 'book-64', 'paper'\)"),
    ({"task": "parity"}, r"task='parity' is not one of \('flipflop', 'sine', 'cdi'\)"),
    ({"tasks": ["flipflop", "parity"]}, r"tasks=\['flipflop', 'parity'\] contains 'parity', which is not one of"),
    ({"tasks": "flipflop"}, r"tasks='flipflop' must be a list of task names, written e.g. -p tasks"),
    ({"tasks": []}, r"tasks=\[\] must list at least one of"),
    ({"archs": ["gru", "transformer"]}, r"archs=\['gru', 'transformer'\] contains 'transformer'"),
    ({"n_seeds": -2}, r"n_seeds=-2 must be an integer >= 0"),
    ({"n_seeds": 1.5}, r"n_seeds=1.5 must be an integer >= 0"),
    ({"seed": -1}, r"seed=-1 must be an integer >= 0"),
    ({"n_bits": 0}, r"n_bits=0 must be an integer >= 1"),
    ({"example_arch": "transformer"}, r"example_arch='transformer' is not one of"),
    ({"p_flip": 1.5}, r"p_flip=1.5 must be a finite number in \(0, 1\]"),
    ({"noise_std": -1}, r"noise_std=-1 must be a finite number in \[0, inf\)"),
    ({"variance_kept": 0}, r"variance_kept=0 must be a finite number in \(0, 1\]"),
    ({"retrain": "yes"}, r"retrain='yes' must be true or false"),
    # papermill reads -p l2 1e-4 as a string: named as given, with how to write it
    ({"l2": "1e-4"}, r"l2='1e-4' must be a list of L2 coefficients, written e.g. -p l2 \"\[0.0001\]\""),
    ({"l2": [-1.0]}, r"l2=-1.0 must be a finite number in \[0, inf\)"),
    ({"units": [0]}, r"units=0 must be an integer >= 1"),
    ({"unheard_of": 3}, r"parameter 'unheard_of' has no rule"),
])
def test_bad_page_parameters_name_the_parameter(kwargs, message):
    from universality.errors import ParameterError

    with pytest.raises(ParameterError, match=message):
        pages.check(**kwargs)


def test_good_page_parameters_pass():
    pages.check(profile="book", task="sine", tasks=["cdi"], archs=["gru"], activations=["relu"], n_seeds=2, seed=0,
                n_bits=3, variance_kept=1.0, l2=[1e-4], units=[64, 128], retrain=False, data_root="")


def test_every_page_parameter_has_a_rule():
    """Every parameter of every page is checked by pages.check (one way to declare them)."""
    from universality.notebooks import page_parameters, page_paths

    missing = [f"{p.stem}:{n}" for p in page_paths() for n in page_parameters(p) if n not in pages.PARAMETER_RULES]
    assert not missing, missing


@pytest.mark.slow
def test_a_page_stops_at_its_check_cell(tmp_path):
    """A papermill run with a task name that does not exist fails in the check cell, with
    the message, before any network is loaded or trained."""
    import papermill as pm

    with pytest.raises(pm.PapermillExecutionError) as err:
        run_page("numbers", tmp_path / "out.ipynb", {"profile": "smoke", "tasks": ["flipflop", "parity"]},
                 cwd=tmp_path, progress=False)
    assert "tasks=['flipflop', 'parity'] contains 'parity'" in str(err.value)
    assert err.value.exec_count == 4  # the imports, the parameters, the injected parameters, the check


def test_page_profile_renames_the_store_for_other_sizes_l2_and_task_constants():
    book = pages.page_profile("book", "flipflop")
    assert book.name == "book"
    assert pages.page_profile("book", "flipflop", units=[256]).name == "book-units256"
    assert pages.page_profile("book", "flipflop", l2=[1e-2]).name == "book-l2_0.01"
    big = pages.page_profile("book", "flipflop", units=[128])  # a size of the grid: selects its block
    assert big.name == "book" and big.store_name == "book" and big.all_units == (128,)
    assert big.n_search == book.n_search
    assert pages.grid_summary(big).startswith("units 128, L2 0.0001, 4 seed(s)")
    assert pages.page_profile("book", "flipflop", units=[64, 256]).name == "book-units64_256"  # 256: not in the grid
    assert pages.page_profile("book", "flipflop", {"n_bits": 2, "p_flip": 0.1}).name == "book-n_bits2-p_flip0.1"
    assert pages.page_profile("book", "flipflop", units=list(book.units)).name == "book"  # unchanged: no rename
    sub = pages.page_profile("book", "flipflop", archs=["gru"], n_seeds=1)
    assert sub.name == "book" and sub.archs == ("gru",) and sub.n_seeds == 1
    one_l2 = pages.page_profile("book", "flipflop", l2=[book.l2[-1]])  # a subset of the stored values
    assert one_l2.name == "book" and one_l2.all_l2 == (book.l2[-1],) and one_l2.n_search == book.n_search
    rerun = pages.page_profile("book", "flipflop", {"n_bits": 2})  # a new store: no per-group searches
    assert book.n_search and not rerun.n_search


def test_every_page_parameter_is_documented():
    """papermill --help-notebook must see every line of every parameters cell (a comment it
    cannot parse drops the parameter: then 'universality page' would reject it)."""
    import re

    from universality.notebooks import load_page, page_parameters, page_paths

    for path in page_paths():
        nb = load_page(path)
        cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
        declared = re.findall(r"^(\w+)\s*:", cell.source, flags=re.M)
        found = page_parameters(path)
        assert list(found) == declared, path.stem
        assert all(found[k]["help"] for k in found), path.stem
