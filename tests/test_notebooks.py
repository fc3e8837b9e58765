"""The nbval references in tests/notebooks must match the book's pages."""

from universality.notebooks import REGENERATE_COMMAND, page_paths, stale_references


def test_every_page_has_a_current_reference():
    assert page_paths(), "the book has no executable pages"
    stale = stale_references()
    assert not stale, (
        "reference notebooks out of date: "
        + "; ".join(f"{k}: {v}" for k, v in stale.items())
        + f". Regenerate them with `{REGENERATE_COMMAND}` and commit tests/notebooks/."
    )
