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
    assert "tasks contains 'parity'" in str(err.value)
    assert err.value.exec_count == 4  # the imports, the parameters, the injected parameters, the check
