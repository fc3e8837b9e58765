"""The suite's own machinery: nbval's comparison at the printed precision."""

from conftest import same_at_printed_precision as same


def test_numbers_agree_within_one_printed_unit():
    assert same("p = 0.024, accuracy 0.50", "p = 0.023, accuracy 0.49")
    assert same("rho\n  0.77  0.50      0.18", "rho\n  0.77  0.49  0.18")  # column widths follow numbers
    assert same("1.2e-05", "1.3e-05")
    assert not same("p = 0.024", "p = 0.026")  # two units
    assert not same("silhouette -0.068", "silhouette -0.062")


def test_counts_words_and_verdicts_must_agree_exactly():
    assert not same("modal count 2 in 6 (75%)", "modal count 2 in 5 (62%)")
    assert not same("verdict: REPRODUCED", "verdict: NOT REPRODUCED")
    assert not same("16 networks", "15 networks")
    assert not same("a 1 b", "a 1 b 2")
    assert same("16 networks, 0.5", "16 networks, 0.5")
    assert not same("x 10", "x 10.0")  # an integer that became a decimal is a different output
