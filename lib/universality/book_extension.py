"""A Sphinx extension for the book: serve plotly.js from the book itself.

The interactive 3-D panels (:func:`universality.plotting.interactive_3d`) are HTML that
needs plotly.js.  This extension copies the ``plotly.min.js`` shipped inside the plotly
Python package into the built book's ``_static`` folder and adds it to every page, so the
book builds, and its 3-D views rotate, with no network access.  It also copies the
result files the pages wrote when they ran (``book/downloads/``, linked from each page)
into the built book.  Enabled in
``book/_config.yml`` under ``sphinx: extra_extensions``.
"""

from __future__ import annotations

import shutil
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


def setup(app):
    app.add_js_file(PLOTLY_JS)
    app.connect("build-finished", _copy)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
