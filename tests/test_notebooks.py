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


def test_pages_execute_ahead_in_parallel_and_myst_nb_reads_them_from_the_cache(tmp_path):
    """The book extension executes the pages missing from the jupyter-cache two at a time;
    myst-nb then finds every one in the cache (it executes none itself), and a page that
    fails ahead is executed by myst-nb, whose error fails the build as before."""
    import subprocess
    import sys
    from pathlib import Path

    import yaml

    book = tmp_path / "book"
    book.mkdir()
    head = ("# ---\n# jupyter:\n#   jupytext:\n#     formats: py:percent\n#   kernelspec:\n#     display_name: Python 3\n"
            "#     language: python\n#     name: python3\n# ---\n\n# %% [markdown]\n# # Page {i}\n\n# %%\nprint({i} * 7)\n")
    for i in (1, 2, 3):
        (book / f"page{i}.py").write_text(head.format(i=i))
    (book / "_toc.yml").write_text("format: jb-book\nroot: page1\nchapters:\n- file: page2\n- file: page3\n")
    cfg = {"title": "t", "only_build_toc_files": True,
           "execute": {"execute_notebooks": "cache", "timeout": 120, "allow_errors": False},
           "sphinx": {"extra_extensions": ["universality.book_extension"],
                      "config": {"nb_custom_formats": {".py": ["jupytext.reads", {"fmt": "py:percent"}]},
                                 "nb_execution_raise_on_error": True}}}
    (book / "_config.yml").write_text(yaml.safe_dump(cfg))
    exe = Path(sys.executable).with_name("jupyter-book")
    env = {**__import__("os").environ, "UNIVERSALITY_BOOK_JOBS": "2"}
    res = subprocess.run([str(exe), "build", str(book)], capture_output=True, text=True, timeout=600, env=env)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-3000:]
    assert "[universality] executing 3 pages, 2 at a time" in out
    assert "Executing notebook using" not in out  # myst-nb executed nothing itself
    assert out.count("Using cached notebook") == 3
    assert "21" in (book / "_build" / "html" / "page3.html").read_text()
    # a failing page: left to myst-nb, which fails the build
    (book / "page2.py").write_text(head.format(i=2).replace("print(2 * 7)", "raise RuntimeError('boom')"))
    (book / "page3.py").write_text(head.format(i=3).replace("print(3 * 7)", "print(3 * 8)"))
    res = subprocess.run([str(exe), "build", str(book)], capture_output=True, text=True, timeout=600, env=env)
    out = res.stdout + res.stderr
    assert res.returncode != 0 and "page2.py: failed ahead" in out and "boom" in out
