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


def test_smoke_book_builds(tmp_path):
    """CI's smoke-profile build of the book: the reference notebooks (every page executed
    with the smoke parameters) built into HTML with the book's config and TOC, warnings
    as errors.  Execution itself is what nbval replays; this checks that the executed
    pages, the markdown pages, the TOC and the bibliography make a book."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    import yaml

    from universality.notebooks import BOOK, REFERENCES

    book = tmp_path / "book"
    book.mkdir()
    for f in BOOK.iterdir():
        if f.suffix in (".md", ".bib", ".yml") or f.name == "_static":
            (shutil.copytree if f.is_dir() else shutil.copy)(f, book / f.name)
    for page in page_paths():
        shutil.copy(REFERENCES / f"{page.stem}.ipynb", book / f"{page.stem}.ipynb")
    cfg = yaml.safe_load((book / "_config.yml").read_text())
    cfg["execute"]["execute_notebooks"] = "off"
    (book / "_config.yml").write_text(yaml.safe_dump(cfg))
    exe = Path(sys.executable).with_name("jupyter-book")
    res = subprocess.run([str(exe), "build", str(book), "-W", "-n", "--keep-going"], capture_output=True,
                         text=True, timeout=900)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    html = book / "_build" / "html"
    for page in page_paths():
        assert (html / f"{page.stem}.html").exists(), page.stem
