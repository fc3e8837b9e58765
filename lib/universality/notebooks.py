"""The book's pages as notebooks: running them with parameters, and the nbval references.

Every page of ``book/`` is a jupytext percent-format ``.py`` file with a parameters cell.

* :func:`run_page` runs a page with papermill and other parameters (the project's
  one-word wrapper: ``universality page figure1 -p n_bits 2``).
* :func:`regenerate_references` executes every page with the smoke parameters
  (:data:`SMOKE_PARAMETERS`, the committed ``data/smoke`` networks) into
  ``tests/notebooks/<page>.ipynb``; ``pytest`` replays them with nbval and compares the
  printed summaries.  Regenerate with ``universality refs`` after changing a page.
* :func:`stale_references` says which references no longer match their page's code.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Mapping, Sequence

from .errors import ParameterError

__all__ = [
    "start_tensorflow",
    "REPO",
    "BOOK",
    "REFERENCES",
    "SMOKE_PARAMETERS",
    "REGENERATE_COMMAND",
    "page_paths",
    "load_page",
    "page_parameters",
    "run_page",
    "regenerate_references",
    "stale_references",
]

REPO = Path(__file__).resolve().parents[2]
BOOK = REPO / "book"
REFERENCES = REPO / "tests" / "notebooks"
REGENERATE_COMMAND = "universality refs"

# Parameters every reference notebook is executed with (the store defaults to the
# repository's data/, wherever the notebook runs).
SMOKE_PARAMETERS: dict = {"profile": "smoke"}


def page_paths() -> list[Path]:
    """The executable pages of the book (jupytext .py files), in table-of-contents order."""
    import yaml

    toc = yaml.safe_load((BOOK / "_toc.yml").read_text())
    files = []

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            if "root" in node:
                files.append(node["root"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(toc)
    return [BOOK / f"{f}.py" for f in files if (BOOK / f"{f}.py").exists()]


def load_page(page: str | Path):
    """A page as an nbformat notebook (``page`` is a path or a name such as 'figure1')."""
    import jupytext

    path = Path(page)
    if not path.suffix:
        path = BOOK / f"{page}.py"
    if not path.exists():
        names = [p.stem for p in page_paths()]
        raise ParameterError(f"page={str(page)!r} does not exist; pages are {names!r}")
    return jupytext.read(path)


def page_parameters(page: str | Path) -> dict:
    """The parameters a page declares in its parameters cell: name -> papermill's
    description (type, default, help), as ``papermill --help-notebook`` lists them."""
    import nbformat
    import papermill as pm

    nb = load_page(page)
    nb.metadata.setdefault("kernelspec", {"name": "python3", "display_name": "Python 3", "language": "python"})
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "page.ipynb"
        nbformat.write(nb, src)
        return dict(pm.inspect_notebook(str(src)))


def run_page(page: str | Path, output: str | Path, parameters: Mapping | None = None, cwd: str | Path | None = None,
             progress: bool = True, stream=None):
    """Execute a page with papermill and ``parameters``; writes and returns the notebook.

    A parameter the page does not declare raises ``ValueError`` listing the ones it has,
    before anything runs.  ``stream`` (a file such as ``sys.stderr``) receives the page's
    printed output and progress bars while it runs.
    """
    import nbformat
    import papermill as pm

    known = page_parameters(page)
    unknown = sorted(set(parameters or {}) - set(known))
    if unknown:
        raise ParameterError(f"page {Path(str(page)).stem!r} has no parameter {unknown[0]!r}; its parameters are "
                         f"{', '.join(known)}")
    nb = load_page(page)
    nb.metadata.setdefault("kernelspec", {"name": "python3", "display_name": "Python 3", "language": "python"})
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "page.ipynb"
        nbformat.write(nb, src)
        return pm.execute_notebook(str(src), str(output), parameters=dict(parameters or {}), kernel_name="python3",
                                   cwd=str(cwd) if cwd else None, progress_bar=progress,
                                   log_output=stream is not None, stdout_file=stream, stderr_file=stream)


def _strip_images(nb):
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data")
            if data:
                for k in [k for k in data if k.startswith("image/")]:
                    del data[k]
    return nb


def regenerate_references(pages: Sequence[str] | None = None) -> list[Path]:
    """Execute pages with the smoke parameters into ``tests/notebooks`` (images stripped)."""
    import nbformat

    REFERENCES.mkdir(parents=True, exist_ok=True)
    written = []
    for path in page_paths():
        if pages and path.stem not in pages:
            continue
        out = REFERENCES / f"{path.stem}.ipynb"
        known = page_parameters(path)
        run_page(path, out, {k: v for k, v in SMOKE_PARAMETERS.items() if k in known}, cwd=REFERENCES,
                 progress=False)
        nb = _strip_images(nbformat.read(out, 4))
        nb.metadata.pop("papermill", None)
        for cell in nb.cells:
            cell.metadata.pop("papermill", None)
            cell.metadata.pop("execution", None)
        nbformat.write(nb, out)
        written.append(out)
    return written


def _code_sources(nb) -> list[str]:
    return [c.source.strip() for c in nb.cells if c.cell_type == "code" and "injected-parameters" not in c.metadata.get("tags", [])]


def stale_references() -> dict[str, str]:
    """Pages whose reference notebook is missing or whose code differs: name -> reason."""
    import nbformat

    stale = {}
    for path in page_paths():
        ref = REFERENCES / f"{path.stem}.ipynb"
        if not ref.exists():
            stale[path.stem] = "no reference notebook"
            continue
        if _code_sources(load_page(path)) != _code_sources(nbformat.read(ref, 4)):
            stale[path.stem] = "the page's code changed since the reference was executed"
    return stale


def start_tensorflow():
    """Import TensorFlow and start its XLA compiler service now; returns the module.

    Both write start-up lines to stderr through absl logging (``TF_CPP_MIN_LOG_LEVEL`` no
    longer silences them).  A page calls this in its first cell, which nbval ignores, so
    that the XLA line does not land in whichever later cell first trains or searches --
    a cell that differs with the state of the analysis cache.
    """
    import numpy as np
    import tensorflow as tf

    from .fixed_points.config import FixedPointConfig
    from .fixed_points.optimise import minimize_q

    # the smallest search that goes through the compiled Adam chunk: it logs the XLA
    # service, MLIR and compiled-cluster lines (training logs nothing new after it)
    minimize_q(lambda h, x, w: tf.tanh(tf.matmul(h, w)) + 0.0 * x, np.ones((1, 2, 2), np.float32),
               np.zeros((1, 2, 2), np.float32), FixedPointConfig(max_iters=2, check_every=2),
               args=(np.eye(2, dtype=np.float32)[None],))
    return tf
