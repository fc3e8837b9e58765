"""A Sphinx extension for the book: execute its pages two at a time, and serve plotly.js
from the book itself.

**Pages in parallel.** myst-nb executes a book's notebooks one after the other as Sphinx
reads them; most of a page's time here is single-threaded numpy (eigendecompositions of
the networks' fixed points), so one core idles.  With ``execute_notebooks: cache``, this
extension first executes every page whose outputs are not in the build's jupyter-cache,
``UNIVERSALITY_BOOK_JOBS`` at a time (default: one per core), exactly as myst-nb would (same
reader, same working directory, timeout and error setting), and caches the results; myst-nb
then reads them from the cache.  A page that fails here is left to myst-nb, which executes
it again and reports the error as usual.

The interactive 3-D panels (:func:`universality.plotting.interactive_3d`) are HTML that
needs plotly.js.  This extension copies the ``plotly.min.js`` shipped inside the plotly
Python package into the built book's ``_static`` folder and adds it to every page, so the
book builds, and its 3-D views rotate, with no network access.  It also copies the
result files the pages wrote when they ran (``book/downloads/``, linked from each page)
into the built book.  Enabled in
``book/_config.yml`` under ``sphinx: extra_extensions``.
"""

from __future__ import annotations

import os
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

__all__ = ["setup", "PLOTLY_JS"]

PLOTLY_JS = "plotly.min.js"


def _plotly_js() -> Path:
    import plotly

    return Path(plotly.__file__).parent / "package_data" / PLOTLY_JS


def _copy(app, exception):
    if exception is None and app.builder.format == "html":
        dst = Path(app.outdir) / "_static"
        dst.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_plotly_js(), dst / PLOTLY_JS)
        downloads = Path(app.srcdir) / "downloads"  # the files the pages saved when they ran
        if downloads.is_dir():
            shutil.copytree(downloads, Path(app.outdir) / "downloads", dirs_exist_ok=True)


def _jobs() -> int:
    raw = os.environ.get("UNIVERSALITY_BOOK_JOBS", "")
    try:
        return max(1, int(raw)) if raw else max(1, os.cpu_count() or 1)
    except ValueError:
        raise ValueError(f"UNIVERSALITY_BOOK_JOBS={raw!r} must be a positive integer") from None


def _execute_ahead(app):
    """Execute the pages missing from the jupyter-cache, ``_jobs()`` at a time, and cache them."""
    cfg = app.config
    jobs = _jobs()
    if getattr(cfg, "nb_execution_mode", None) != "cache" or jobs < 2:
        return
    import jupytext
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn
    from jupyter_cache.executors.utils import single_nb_execution
    from sphinx.util import logging

    log = logging.getLogger(__name__)
    formats = dict(getattr(cfg, "nb_custom_formats", {}) or {})
    if ".py" not in formats:
        return
    cache = get_cache(str(cfg.nb_execution_cache_path or Path(app.outdir).parent / ".jupyter_cache"))
    todo = []
    for path in sorted(Path(app.srcdir).glob("*.py")):
        text = path.read_text()
        if not text.startswith("# ---\n# jupyter:"):  # a jupytext page, not a helper
            continue
        nb = jupytext.reads(text, fmt="py:percent")
        try:
            cache.match_cache_notebook(nb)
        except KeyError:
            todo.append((path, nb))
    if len(todo) < 2:
        return
    log.info(f"[universality] executing {len(todo)} pages, {jobs} at a time")

    def run(item):
        path, nb = item
        t0 = time.time()
        res = single_nb_execution(nb, cwd=str(path.parent), allow_errors=cfg.nb_execution_allow_errors,
                                  timeout=cfg.nb_execution_timeout, meta_override=True)
        return path, nb, res, time.time() - t0

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for path, nb, res, seconds in pool.map(run, todo):
            if res.err is not None:  # myst-nb executes it again and reports the error
                log.info(f"[universality] {path.name}: failed ahead ({type(res.err).__name__}); left to myst-nb")
                continue
            record = cache.add_nb_to_project(str(path))
            cache.cache_notebook_bundle(CacheBundleIn(nb, record.uri, data={"execution_seconds": res.time}),
                                        check_validity=False, overwrite=True)
            log.info(f"[universality] {path.name}: executed in {seconds:.1f} s")


def setup(app):
    app.add_js_file(PLOTLY_JS)
    app.connect("builder-inited", _execute_ahead)
    app.connect("build-finished", _copy)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
