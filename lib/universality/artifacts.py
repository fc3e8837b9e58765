"""One artifact store: every stored result, keyed by its inputs and by the code that made it.

Every result the library stores (fixed points, flip-flop transitions, distance matrices,
DSA, the scorecard) passes through :func:`get`.  A result's key is

    key = H(kind, code key of the kind, the networks' weights, the settings, upstream keys)

* the **code key** of a kind (:func:`code_key`) hashes the source of the modules that
  produce it (:data:`KINDS`) and the code keys of the kinds upstream of it, so a change of
  the fixed-point search invalidates the fixed points, the transitions and the scorecard,
  and leaves the distance matrices alone;
* the **weights** enter through :func:`population_key` (every network's id and arrays);
* the **settings** are any JSON-able description (a config dataclass, the trials' hash);
* **upstream keys** are the keys of the results this one was computed from (the
  transitions from the fixed points), so no result is ever served for stale inputs.

A :class:`Workspace` names where results live: ``<root>/_cache/<kind>/<name>-<key>.<ext>``
(computed here, not committed) and ``<root>/artifacts/<kind>/<name>-<key>.<ext>`` (shipped
with the repository for the book's populations, so a fresh build reads them instead of
computing).  A shipped file is served only when its key is the one asked for; when the
store holds a shipped file of the same kind and name under another key, :func:`get` says
so in one line and computes afresh.  ``universality artifacts --check`` reports which
shipped results are current (:func:`check`), ``--ship`` writes them (:func:`ship`).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, is_dataclass
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np

from .store import DEFAULT_ROOT, atomic_write_json

__all__ = ["Workspace", "Kind", "KINDS", "code_key", "population_key", "settings_of", "make_key", "get", "ship",
           "check", "recording", "SHIPPED", "CACHE"]

PACKAGE = Path(__file__).resolve().parent
SHIPPED = "artifacts"
CACHE = "_cache"


@dataclass(frozen=True)
class Workspace:
    """Where results are read and written, and how a computation reports progress.

    Parameters
    ----------
    root : the store (``data/`` by default): trained networks, ``_cache/`` and ``artifacts/``
    cache : read and write stored results (False: compute everything, store nothing)
    progress : show progress bars of long computations
    """

    root: Path = DEFAULT_ROOT
    cache: bool = True
    progress: bool = False

    @classmethod
    def of(cls, root=None, cache: bool = True, progress: bool = False) -> "Workspace":
        """A workspace on ``root`` ('' or None: the repository's ``data/``)."""
        if isinstance(root, Workspace):
            return root
        return cls(Path(root) if root not in (None, "") else DEFAULT_ROOT, bool(cache), bool(progress))

    @property
    def cache_dir(self) -> Path:
        return Path(self.root) / CACHE

    @property
    def shipped_dir(self) -> Path:
        return Path(self.root) / SHIPPED


@dataclass(frozen=True)
class Kind:
    """A kind of stored result: the modules whose source produces it (dotted names below
    ``universality``; a package means all its files) and the kinds it is computed from.
    With ``closure``, every library module these import, directly or not (lazy imports
    inside functions too), counts as well (:func:`imported_closure`)."""

    modules: tuple[str, ...]
    upstream: tuple[str, ...] = ()
    suffix: str = ".npz"
    closure: bool = False


#: Every kind of stored result, the code that produces it, and what it is computed from.
KINDS: dict[str, Kind] = {
    "fixed_points": Kind(("cells", "tasks", "seeding", "fixed_points", "representations")),
    "transitions": Kind(("topology.transitions", "cells"), ("fixed_points",)),
    "geometry": Kind(("similarity", "representations", "cells", "tasks")),
    "dynamics": Kind(("dynamics_similarity", "representations", "cells", "tasks")),
    # the scorecard: evidence.scorecard and everything it imports (claims, effects, studies,
    # statistics, stability, ...), not the pages, the command line or the plotting
    "scorecard": Kind(("evidence",), ("fixed_points", "transitions", "geometry", "dynamics"), ".json", closure=True),
}


def _files(module: str) -> list[Path]:
    """The source files of ``module`` ('' is the whole library)."""
    base = PACKAGE.joinpath(*module.split(".")) if module else PACKAGE
    if base.is_dir():
        return sorted(base.rglob("*.py"))
    path = base.with_suffix(".py")
    if not path.exists():
        raise ValueError(f"module {module!r} has no source under {PACKAGE}")
    return [path]


def _is_module(dotted: str) -> bool:
    p = PACKAGE.joinpath(*dotted.split(".")) if dotted else PACKAGE
    return p.with_suffix(".py").exists() or (p / "__init__.py").exists()


def imports_of(module: str) -> set[str]:
    """The library modules that ``module``'s files import anywhere (lazy imports inside
    functions too), as dotted names below ``universality``; ``from PKG import NAME`` counts
    NAME when it is a module, else PKG."""
    import ast

    out = set()
    for path in _files(module):
        parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
        package = parts[:-1]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                    mod = ".".join(base + ([node.module] if node.module else []))
                elif (node.module or "").split(".")[0] == "universality":
                    mod = node.module[len("universality"):].lstrip(".")
                else:
                    continue
                for a in node.names:
                    sub = f"{mod}.{a.name}" if mod else a.name
                    out.add(sub if _is_module(sub) else mod)
            elif isinstance(node, ast.Import):
                out.update(a.name[len("universality."):] for a in node.names if a.name.startswith("universality."))
    return {m for m in out if m}


def imported_closure(modules: Iterable[str]) -> tuple[str, ...]:
    """``modules`` and every library module they import, directly or not, sorted."""
    seen, todo = set(), list(modules)
    while todo:
        m = todo.pop()
        if m in seen:
            continue
        seen.add(m)
        todo.extend(imports_of(m) - seen)
    return tuple(sorted(seen))


def source_of(module: str) -> bytes:
    """The source of ``module`` as one byte string (files in sorted order, with their names)."""
    out = b""
    for path in _files(module):
        out += str(path.relative_to(PACKAGE)).encode() + b"\0" + path.read_bytes() + b"\0"
    return out


def code_key(kind: str) -> str:
    """A short hash of the source that produces ``kind`` and of everything upstream of it."""
    if kind not in KINDS:
        raise ValueError(f"kind={kind!r} is not one of {tuple(KINDS)!r}")
    k = KINDS[kind]
    h = hashlib.sha256(kind.encode())
    for module in (imported_closure(k.modules) if k.closure else k.modules):
        h.update(source_of(module))
    for up in k.upstream:
        h.update(code_key(up).encode())
    return h.hexdigest()[:20]


def population_key(population) -> str:
    """A short hash of a population's task constants, network ids and weights."""
    h = hashlib.sha256()
    h.update(json.dumps({"task": population.task.name if population.task is not None else "",
                         "task_params": population.task.params() if population.task is not None else {}},
                        sort_keys=True, default=str).encode())
    for nid in sorted(population.table.index, key=str):
        h.update(str(nid).encode())
        for name in sorted(population.params[nid]):
            h.update(name.encode())
            h.update(np.ascontiguousarray(population.params[nid][name]).tobytes())
    return h.hexdigest()[:20]


def settings_of(*parts):
    """A JSON-able form of settings: dataclasses as dicts, arrays by their hash."""
    def one(p):
        if is_dataclass(p) and not isinstance(p, type):
            return {"type": type(p).__name__, **asdict(p)}
        if isinstance(p, np.ndarray):
            return {"array": hashlib.sha256(np.ascontiguousarray(p).tobytes()).hexdigest()[:20],
                    "shape": list(p.shape)}
        if isinstance(p, (list, tuple)):
            return [one(q) for q in p]
        if isinstance(p, Mapping):
            return {str(k): one(v) for k, v in p.items()}
        return p
    return [one(p) for p in parts]


def make_key(kind: str, population_keys: Sequence[str], settings, upstream: Sequence[str] = ()) -> str:
    """The key of a result: ``kind``'s code key, its populations, settings and upstream keys."""
    doc = json.dumps([kind, code_key(kind), list(population_keys), settings, list(upstream)], sort_keys=True,
                     default=str)
    return hashlib.sha256(doc.encode()).hexdigest()[:20]


# ---------------------------------------------------------------------------- requests

_RECORD: list | None = None


@contextmanager
def recording():
    """Collect every request :func:`get` serves within the block (for :func:`ship`)."""
    global _RECORD
    saved, _RECORD = _RECORD, []
    try:
        yield _RECORD
    finally:
        _RECORD = saved


@dataclass(frozen=True)
class Request:
    """What :func:`get` was asked for: enough to find the file and to compute its key again."""

    kind: str
    name: str
    key: str
    populations: tuple = ()  # (profile or '', task, network ids) of each population
    settings: object = None
    upstream: tuple[str, ...] = ()
    meta: dict = field(default_factory=dict)

    @property
    def filename(self) -> str:
        return f"{self.name}-{self.key}{KINDS[self.kind].suffix}"


def _describe(population) -> tuple:
    src = getattr(population, "source", None) or {}
    return (src.get("profile", ""), population.task.name if population.task is not None else "",
            [str(i) for i in population.table.index])


def _shipped_of_the_same_networks(ws: Workspace, req: Request) -> list[str]:
    """The shipped files of ``req``'s kind and name computed from the same networks under
    another key (a result of other networks with the same name, such as the smoke
    population's beside the book's, is not one)."""
    path = ws.shipped_dir / "manifest.json"
    if not path.exists():
        return []
    try:
        entries = json.loads(path.read_text()).get("artifacts", [])
    except (ValueError, OSError):
        return []
    mine = json.loads(json.dumps([list(p) for p in req.populations], default=str))
    return sorted(Path(e["file"]).name for e in entries
                  if e.get("kind") == req.kind and e.get("name") == req.name and e.get("key") != req.key
                  and json.loads(json.dumps(e.get("populations"), default=str)) == mine)


def get(kind: str, name: str, populations: Sequence, settings, compute: Callable, read: Callable,
        write: Callable, workspace: Workspace | None = None, upstream: Sequence[str] = ()):
    """A stored result, or computed (and stored).

    Parameters
    ----------
    kind : one of :data:`KINDS`
    name : the file's stem before the key (e.g. the task's name)
    populations : the populations the result is computed from (their weights enter the key)
    settings : JSON-able settings (:func:`settings_of`)
    compute : ``() -> result``
    read, write : ``read(path) -> result`` and ``write(path, result)`` of this kind's format
    workspace : where to look and write (default :meth:`Workspace.of`)
    upstream : keys of the stored results ``compute`` uses

    Returns (result, key).
    """
    ws = Workspace.of(workspace)
    req = Request(kind, name, make_key(kind, [population_key(p) for p in populations], settings, upstream),
                  tuple(_describe(p) for p in populations), settings, tuple(upstream))
    if _RECORD is not None:
        _RECORD.append(req)
    cached = ws.cache_dir / kind / req.filename
    shipped = ws.shipped_dir / kind / req.filename
    if ws.cache:
        for path in (cached, shipped):
            if path.exists():
                try:
                    return read(path), req.key
                except (ValueError, KeyError, OSError):  # a damaged or older file: compute again
                    pass
        others = _shipped_of_the_same_networks(ws, req)
        if others:  # a shipped result of these networks, for other settings or code
            print(f"artifacts: the shipped {kind} of {name} ({others[0]}) are of other networks, settings or "
                  f"code; computing them afresh", file=sys.stderr)
    result = compute()
    if ws.cache:
        cached.parent.mkdir(parents=True, exist_ok=True)
        write(cached, result)
    return result, req.key


def ship(requests: Iterable[Request], workspace: Workspace | None = None) -> list[Path]:
    """Copy the cached results of ``requests`` into the shipped directory (replacing older
    shipped files of the same kind and name) and write its manifest."""
    ws = Workspace.of(workspace)
    requests = list({(r.kind, r.key): r for r in requests}.values())
    out, entries = [], []
    for r in requests:
        src = ws.cache_dir / r.kind / r.filename
        if not src.exists() and (ws.shipped_dir / r.kind / r.filename).exists():
            src = ws.shipped_dir / r.kind / r.filename
        if not src.exists():
            raise FileNotFoundError(f"{src} is not in the cache: compute it first")
        dst = ws.shipped_dir / r.kind / r.filename
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src != dst:
            shutil.copyfile(src, dst)
        out.append(dst)
        entries.append({"kind": r.kind, "name": r.name, "key": r.key, "file": f"{r.kind}/{r.filename}",
                        "populations": [list(p) for p in r.populations], "settings": r.settings,
                        "upstream": list(r.upstream)})
    keep = {p.resolve() for p in out}
    for kind in {r.kind for r in requests}:
        names = {r.name for r in requests if r.kind == kind}
        for old in (ws.shipped_dir / kind).glob("*"):
            if old.resolve() not in keep and any(old.name.startswith(f"{n}-") for n in names):
                old.unlink()
    atomic_write_json(ws.shipped_dir / "manifest.json", {"artifacts": entries})
    return out


def check(workspace: Workspace | None = None, load_population: Callable | None = None):
    """Which shipped results are current: a table with one row per manifest entry and a
    ``current`` column (its key computed again from today's networks and code equals the
    file's), and why not when it is not."""
    import pandas as pd

    ws = Workspace.of(workspace)
    path = ws.shipped_dir / "manifest.json"
    if not path.exists():
        return pd.DataFrame(columns=["kind", "name", "file", "current", "why"])
    try:
        entries = json.loads(path.read_text())["artifacts"]
    except (ValueError, KeyError) as e:
        from .errors import DataError

        raise DataError(f"{path} is not a manifest of shipped artifacts ({e})") from None
    if load_population is None:
        from .population import load_population as _load

        def load_population(profile, task):
            return _load(profile, task, root=ws.root, require_complete=False)

    pops, now, rows = {}, {}, []
    by_key = {e["key"]: e for e in entries}

    def current_key(e):
        if e["key"] in now:
            return now[e["key"]]
        keys = []
        for profile, task, ids in e["populations"]:
            if (profile, task) not in pops:
                pops[(profile, task)] = load_population(profile, task)
            pop = pops[(profile, task)]
            missing = [i for i in ids if i not in pop.table.index]
            if missing:
                raise KeyError(f"network {missing[0]} of {profile}/{task} is not stored")
            missing = [i for i in ids if i not in pop.table.index]
            if missing:
                raise KeyError(f"network {missing[0]} of {profile}/{task} is not stored")
            keys.append(population_key(pop.subset(ids)))
        up = [current_key(by_key[u]) if u in by_key else u for u in e["upstream"]]
        now[e["key"]] = make_key(e["kind"], keys, e["settings"], up)
        return now[e["key"]]

    for e in entries:
        file_ok = (ws.shipped_dir / e["file"]).exists()
        try:
            k = current_key(e)
            why = "" if k == e["key"] else "networks, settings or code changed"
        except KeyError as err:
            k, why = None, str(err)
        if not file_ok:
            why = "file missing"
        rows.append({"kind": e["kind"], "name": e["name"], "file": e["file"], "current": file_ok and k == e["key"],
                     "why": why})
    return pd.DataFrame(rows)
