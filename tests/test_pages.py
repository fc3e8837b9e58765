import pytest

from universality import pages
from universality.notebooks import run_page


@pytest.mark.parametrize("kwargs, message", [
    ({"profile": "huge"}, r"profile='huge' is not one of \('smoke', 'book', 'paper'\)"),
    ({"task": "parity"}, r"task='parity' is not one of \('flipflop', 'sine', 'cdi'\)"),
    ({"tasks": ["flipflop", "parity"]}, r"tasks contains 'parity', which is not one of"),
    ({"tasks": "flipflop"}, r"tasks='flipflop' must be a non-empty list"),
    ({"archs": ["gru", "transformer"]}, r"archs contains 'transformer', which is not one of"),
    ({"activations": []}, r"activations=\[\] must be a non-empty list drawn from \('relu', 'tanh'\)"),
    ({"n_seeds": -2}, r"n_seeds=-2 must be a positive integer"),
    ({"seed": -1}, r"seed=-1 must be an integer >= 0"),
    ({"n_bits": 0}, r"n_bits=0 must be a number > 0"),
])
def test_bad_page_parameters_name_the_parameter(kwargs, message):
    with pytest.raises(ValueError, match=message):
        pages.check_page_params(**kwargs)


def test_good_page_parameters_pass():
    pages.check_page_params(profile="book", task="sine", tasks=["cdi"], archs=["gru"], activations=["relu"],
                            n_seeds=2, seed=0, n_bits=3)
    pages.check_fraction("variance_kept", 1.0)
    with pytest.raises(ValueError, match=r"variance_kept=0 must be a number in \(0, 1\]"):
        pages.check_fraction("variance_kept", 0)


def test_a_page_stops_at_its_check_cell(tmp_path):
    """A papermill run with a task name that does not exist fails in the check cell, with
    the message, before any network is loaded or trained."""
    import papermill as pm

    with pytest.raises(pm.PapermillExecutionError) as err:
        run_page("numbers", tmp_path / "out.ipynb", {"profile": "smoke", "tasks": ["flipflop", "parity"]},
                 cwd=tmp_path, progress=False)
    assert "tasks=['flipflop', 'parity'] contains 'parity'" in str(err.value)
    assert err.value.exec_count == 4  # the imports, the parameters, the injected parameters, the check


@pytest.mark.parametrize("call, message", [
    (lambda: pages.check_one_of("example_arch", "transformer", ("gru", "lstm")),
     r"example_arch='transformer' is not one of \('gru', 'lstm'\)"),
    (lambda: pages.check_subset("archs", ["gru", "mlp"], ("gru", "lstm")),
     r"archs=\['gru', 'mlp'\] contains 'mlp', which is not one of"),
    (lambda: pages.check_subset("archs", "gru", ("gru",)), r"archs='gru' must be a list"),
    (lambda: pages.check_int("n_bits", 0, 1), r"n_bits=0 must be an integer >= 1"),
    (lambda: pages.check_int("n_seeds", 1.5, 0), r"n_seeds=1.5 must be an integer >= 0"),
    (lambda: pages.check_number("p_flip", 1.5, 0, 1), r"p_flip=1.5 must be a finite number in \(0, 1\]"),
    (lambda: pages.check_number("noise_std", -1, 0, None, low_inclusive=True),
     r"noise_std=-1 must be a finite number in \[0, inf\)"),
])
def test_page_checks_name_the_page_parameter(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_page_profile_renames_the_store_for_other_sizes_l2_and_task_constants():
    book = pages.page_profile("book", "flipflop")
    assert book.name == "book"
    assert pages.page_profile("book", "flipflop", units=[256]).name == "book-units256"
    assert pages.page_profile("book", "flipflop", l2=[1e-2]).name == "book-l2_0.01"
    big = pages.page_profile("book", "flipflop", units=[128])  # a size of the grid: selects its block
    assert big.name == "book" and big.all_units == (128,) and big.n_search == book.n_search
    assert pages.grid_summary(big).startswith("units 128, L2 0.0001, 4 seed(s)")
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
