"""Reading and writing ``data/``: trained networks, search results and manifests.

Layout::

    data/<profile>/<task>/networks/<network_id>.npz   one trained network
    data/<profile>/<task>/search/<group_id>.json       random-search results of a group
    data/<profile>/<task>/checkpoints/<group_id>.npz   in-flight training (deleted at the end)
    data/<profile>/manifest.json                       command, profile, versions, checksums

A network file holds its parameters (``param/<name>``), its loss curve
(``loss_curve``, ``curve_iterations``) and a JSON document ``meta`` (labels: task, arch,
activation, units, l2, seed; hyperparameters; losses; divergence; a fingerprint of
everything that determines its training).  Only numpy arrays and JSON are written
(``np.load(..., allow_pickle=False)`` reads everything back): no pickle anywhere.
Every write goes to a temporary file that is renamed over the target, so an interrupted
run never leaves a half-written file, and a rerun trains only what is missing.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Mapping

import numpy as np

from . import roundoff
from .errors import DataError

__all__ = [
    "DEFAULT_ROOT",
    "DamagedFileError",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_savez",
    "network_path",
    "search_path",
    "checkpoint_path",
    "save_network",
    "load_network",
    "read_meta",
    "list_networks",
    "sha256",
    "package_versions",
    "write_manifest",
    "read_manifest",
    "check_network",
]

# The store of the repository this package is installed from (editable install), unless
# UNIVERSALITY_DATA says otherwise; independent of the working directory, so pages executed
# from book/ (jupyter-book) or tests/notebooks (nbval) find the same data.
DEFAULT_ROOT = Path(os.environ.get("UNIVERSALITY_DATA", Path(__file__).resolve().parents[2] / "data"))


def _tmp(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.{time.monotonic_ns()}.tmp")


def atomic_write_bytes(path, data: bytes) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp(path)
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return path


def atomic_write_json(path, obj) -> Path:
    return atomic_write_bytes(path, (json.dumps(obj, indent=1, sort_keys=True, default=_json_default) + "\n").encode())


def atomic_savez(path, arrays: Mapping[str, np.ndarray]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp(path)
    with open(tmp, "wb") as f:
        np.savez_compressed(f, **{k: np.asarray(v) for k, v in arrays.items()})
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return path


def _json_default(o):
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.bool_):
        return bool(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"cannot write {type(o).__name__} to JSON")


def network_path(root, profile: str, task: str, network_id: str) -> Path:
    return Path(root) / profile / task / "networks" / f"{network_id}.npz"


def search_path(root, profile: str, task: str, group_id: str) -> Path:
    return Path(root) / profile / task / "search" / f"{group_id}.json"


def timing_path(root, profile: str, task: str, group_id: str) -> Path:
    return Path(root) / profile / task / "timing" / f"{group_id}.json"


def checkpoint_path(root, profile: str, task: str, group_id: str) -> Path:
    return Path(root) / profile / task / "checkpoints" / f"{group_id}.npz"


def save_network(path, params: Mapping[str, np.ndarray], meta: Mapping, loss_curve, curve_iterations) -> Path:
    """Write one network (parameters, loss curve, JSON metadata) atomically."""
    arrays = {f"param/{k}": np.asarray(v, np.float32) for k, v in params.items()}
    arrays["loss_curve"] = np.asarray(loss_curve, np.float64)
    arrays["curve_iterations"] = np.asarray(curve_iterations, np.int64)
    arrays["meta"] = np.array(json.dumps(dict(meta), sort_keys=True, default=_json_default))
    return atomic_savez(path, arrays)


class DamagedFileError(DataError):
    """A store file that exists but cannot be read (truncated, not an npz, missing arrays)."""


def _damaged(path, err) -> DamagedFileError:
    return DamagedFileError(f"{path} is damaged ({type(err).__name__}: {err}); delete it, or run "
                            "'universality train' with the same profile to train it again")


def load_network(path) -> tuple[dict[str, np.ndarray], dict, np.ndarray, np.ndarray]:
    """Read a network file: (params, meta, loss_curve, curve_iterations).

    Raises :class:`DamagedFileError` naming the file when it cannot be read.  With
    ``UNIVERSALITY_PERTURB`` set, the weights come back perturbed (:mod:`universality.roundoff`).
    """
    try:
        with np.load(path, allow_pickle=False) as z:
            params = {k[len("param/"):]: z[k] for k in z.files if k.startswith("param/")}
            meta = json.loads(str(z["meta"]))
            curve, its = z["loss_curve"], z["curve_iterations"]
    except FileNotFoundError:
        raise
    except Exception as e:  # zipfile.BadZipFile, EOFError, KeyError, OSError, ValueError ...
        raise _damaged(path, e) from None
    return roundoff.perturb(params, Path(path).stem), meta, curve, its


def read_meta(path) -> dict:
    """A network file's metadata; :class:`DamagedFileError` when it cannot be read."""
    try:
        with np.load(path, allow_pickle=False) as z:
            return json.loads(str(z["meta"]))
    except FileNotFoundError:
        raise
    except Exception as e:
        raise _damaged(path, e) from None


def list_networks(root, profile: str, task: str) -> list[Path]:
    d = Path(root) / profile / task / "networks"
    return sorted(d.glob("*.npz")) if d.is_dir() else []


def sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def package_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": sys.version.split()[0], "platform": platform.platform()}
    for name in ("universality", "numpy", "tensorflow", "tensorflow-cpu", "scipy", "dask", "distributed"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            pass
    return out


def write_manifest(root, profile: str, *, command: str, profile_spec: Mapping, extra: Mapping | None = None) -> Path:
    """(Re)write ``<root>/<profile>/manifest.json`` with checksums of every stored file."""
    base = Path(root) / profile
    files = {}
    for p in sorted(base.rglob("*")):
        if p.is_file() and p.name != "manifest.json" and "checkpoints" not in p.parts and not p.name.startswith("."):
            files[str(p.relative_to(base))] = {"sha256": sha256(p), "bytes": p.stat().st_size}
    doc = {
        "profile": profile,
        "command": command,
        "profile_spec": dict(profile_spec),
        "versions": package_versions(),
        "written": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "files": files,
    }
    if extra:
        doc.update(extra)
    return atomic_write_json(base / "manifest.json", doc)


def read_manifest(root, profile: str) -> dict:
    """The store's manifest; :class:`DataError` naming the file when it is not a JSON
    object (a sweep would otherwise write over it)."""
    path = Path(root) / profile / "manifest.json"
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        raise
    except (ValueError, OSError, UnicodeDecodeError) as e:
        raise DataError(f"{path} is not a JSON manifest ({type(e).__name__}: {e}); fix or delete it") from None
    if not isinstance(doc, dict):
        raise DataError(f"{path} is not a JSON manifest (it holds a {type(doc).__name__}); fix or delete it")
    return doc


def check_network(path, params: Mapping[str, np.ndarray], shapes: Mapping[str, tuple]) -> None:
    """Raise :class:`DamagedFileError` naming ``path`` and the array when a network file
    lacks an array its cell needs, has one of the wrong shape, or holds non-finite values."""
    for name, shape in shapes.items():
        if name not in params:
            raise DamagedFileError(f"{path} is damaged: array 'param/{name}' is missing (the cell needs "
                                   f"{', '.join(sorted(shapes))}); delete it, or run 'universality train' with the "
                                   "same profile to train it again")
        if tuple(np.shape(params[name])) != tuple(shape):
            raise DamagedFileError(f"{path} is damaged: array 'param/{name}' has shape {np.shape(params[name])}, "
                                   f"the cell needs {tuple(shape)}")
        if not np.all(np.isfinite(params[name])):
            raise DamagedFileError(f"{path} is damaged: array 'param/{name}' holds NaN or inf values")
    extra = sorted(set(params) - set(shapes))
    if extra:
        raise DamagedFileError(f"{path} is damaged: array 'param/{extra[0]}' is not a parameter of its cell")
