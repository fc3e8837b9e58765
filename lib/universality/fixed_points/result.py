"""The result container: one network's fixed points and their linearisations, and the
one file format they are stored in."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from ..store import atomic_savez

__all__ = ["decompose", "eigenvalues_of", "FixedPoints", "save_collection", "read_collection", "COMPACT"]


def _single_threaded_blas():
    """Limit numpy's BLAS/LAPACK to one thread for batches of small matrices.

    Threaded OpenBLAS on small matrices busy-waits, and on a shared 2-core machine was
    measured 20-40x slower than one thread.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - a scikit-learn dependency, normally present
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


#: ``L R = I`` must hold to this (max abs entry of ``L R - I``) for ``L = R^{-1}`` to be kept;
#: an eigenvector matrix that misses it (a defective ``J``: a repeated eigenvalue without a
#: full set of eigenvectors) gets its left eigenvectors from ``J^T`` instead
INVERSE_RESIDUAL = 1e-6
#: a group of modes of one eigenvalue whose left/right overlap ``V^T R`` (unit eigenvectors)
#: has a singular value below ``1 / DEFECTIVE_CONDITION`` is defective: it has no left
#: eigenvectors, and its rows of ``L`` are 0 (they contribute nothing to a modal sum)
DEFECTIVE_CONDITION = 1e8
#: eigenvalues closer than this (relative to the largest |lambda|, at least 1) are one
#: repeated eigenvalue, whose left eigenvectors are the dual basis of its right ones
REPEATED = 1e-6


def _left_from_transpose(j_ss: np.ndarray, lam_s: np.ndarray, r_ss: np.ndarray) -> np.ndarray:
    """Left eigenvectors (rows) of one ``J`` whose eigenvector matrix cannot be inverted.

    The eigenvectors of ``J^T`` (``J^T v = mu v``) are grouped with the modes of ``J`` by
    eigenvalue (modes within :data:`REPEATED` of each other form one group, matched to as
    many of the nearest unused ``mu``); in a group with right eigenvectors ``R_g`` and
    transposed ones ``V_g``, the left eigenvectors are the rows of ``(V_g^T R_g)^{-1} V_g^T``
    (so ``l_i^T r_j = delta_ij``, and they are orthogonal to every other group's right
    eigenvectors).  A defective group (``V_g^T R_g`` near singular) gets rows of zeros.
    """
    mu, v = np.linalg.eig(j_ss.T)
    tol = REPEATED * max(1.0, float(np.abs(lam_s).max()))
    used = np.zeros(len(mu), bool)
    left = np.zeros(r_ss.shape[::-1], np.complex128)
    todo = np.ones(len(lam_s), bool)
    while todo.any():
        i = int(np.flatnonzero(todo)[0])
        group = np.flatnonzero(todo & (np.abs(lam_s - lam_s[i]) <= tol))
        todo[group] = False
        ks = np.argsort(np.where(used, np.inf, np.abs(mu - lam_s[i])), kind="stable")[: len(group)]
        used[ks] = True
        vg = v[:, ks] / np.linalg.norm(v[:, ks], axis=0)
        rg = r_ss[:, group] / np.linalg.norm(r_ss[:, group], axis=0)
        m = vg.T @ rg
        if np.linalg.svd(m, compute_uv=False).min() * DEFECTIVE_CONDITION > 1.0:
            left[group] = np.linalg.solve(m, vg.T) / np.linalg.norm(r_ss[:, group], axis=0)[:, None]
    return left


def decompose(j_nss: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Eigendecomposition ``J = R diag(lambda) L`` with eigenvalues by |lambda| descending.

    Parameters
    ----------
    j_nss : (n, S, S) real matrices

    Returns
    -------
    eigenvalues : (n, S) complex128, ``|lambda_1| >= |lambda_2| >= ...``
    right : (n, S, S) complex128, right eigenvectors as COLUMNS (``J r_i = lambda_i r_i``)
    left : (n, S, S) complex128, left eigenvectors as ROWS, ``L = R^{-1}`` (so ``L R = I``
        and ``l_i^T J = lambda_i l_i^T``).  A defective ``J`` (a repeated eigenvalue without
        a full set of eigenvectors, e.g. the exact zeros of relu units that are off) has no
        ``R^{-1}``: where ``R^{-1}`` does not exist or misses ``L R = I`` by more than
        :data:`INVERSE_RESIDUAL`, the left eigenvectors come from ``J^T``
        (:func:`_left_from_transpose`), and a defective eigenvalue's rows are 0.
    """
    j = np.asarray(j_nss, np.float64)
    if j.ndim != 3 or j.shape[1] != j.shape[2]:
        raise ValueError(f"j_nss has shape {j.shape}; expected (n, S, S)")
    if j.shape[0] == 0:
        s = j.shape[1]
        return (np.zeros((0, s), complex), np.zeros((0, s, s), complex), np.zeros((0, s, s), complex))
    with _single_threaded_blas():  # many small matrices: threads only contend
        lam, r = np.linalg.eig(j)
        order = np.argsort(-np.abs(lam), axis=-1, kind="stable")
        lam = np.take_along_axis(lam, order, axis=-1).astype(np.complex128)
        r = np.take_along_axis(r, order[:, None, :], axis=-1).astype(np.complex128)
        try:
            left = np.linalg.inv(r)
        except np.linalg.LinAlgError:  # one singular R fails the whole stack: invert one by one
            left = np.full_like(r, np.nan)
            for i in range(len(r)):
                try:
                    left[i] = np.linalg.inv(r[i])
                except np.linalg.LinAlgError:
                    pass
        eye = np.eye(r.shape[-1])
        residual = np.abs(left @ r - eye).max(axis=(1, 2))
        for i in np.flatnonzero(~(residual <= INVERSE_RESIDUAL)):  # NaN (no inverse) included
            left[i] = _left_from_transpose(j[i], lam[i], r[i])
        return lam, r, left


def eigenvalues_of(j_nss: np.ndarray) -> np.ndarray:
    """(n, S) complex128 eigenvalues of each ``J`` by |lambda| descending, without the
    eigenvectors (about half the cost of :func:`decompose` for 64-256 units)."""
    j = np.asarray(j_nss, np.float64)
    if j.ndim != 3 or j.shape[1] != j.shape[2]:
        raise ValueError(f"j_nss has shape {j.shape}; expected (n, S, S)")
    if j.shape[0] == 0:
        return np.zeros((0, j.shape[1]), complex)
    with _single_threaded_blas():
        lam = np.linalg.eigvals(j)
    order = np.argsort(-np.abs(lam), axis=-1, kind="stable")
    return np.take_along_axis(lam, order, axis=-1).astype(np.complex128)


def _aligned(lam_ns: np.ndarray, j_nss: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(right, left) of each ``J`` with their modes in the order of the given eigenvalues
    ``lam_ns`` (:func:`decompose` may order modes of (nearly) equal |lambda| otherwise, and
    its eigenvalues differ from ``eigvals``' in the last bits): each given eigenvalue takes
    the nearest unused mode."""
    lam2, r, left = decompose(j_nss)
    for i in range(len(lam_ns)):
        if np.allclose(lam2[i], lam_ns[i], rtol=0.0, atol=1e-9):
            continue
        used = np.zeros(lam2.shape[1], bool)
        perm = np.empty(lam2.shape[1], np.int64)
        for k, v in enumerate(lam_ns[i]):
            d = np.where(used, np.inf, np.abs(lam2[i] - v))
            perm[k] = int(np.argmin(d))
            used[perm[k]] = True
        r[i], left[i] = r[i][:, perm], left[i][perm]
    return r, left


_ARRAYS = ("h", "q", "x", "condition", "J_h", "J_x", "eigenvalues", "right", "left", "outputs")
#: the dataclass field behind each stored array (the eigenvectors are computed lazily)
_FIELD = {"right": "right_", "left": "left_"}


@dataclass(frozen=True, eq=False)
class FixedPoints:
    """The fixed points of ONE network and their linearisations.

    Attributes
    ----------
    h : (n, S) float64, the fixed points h*
    q : (n,) float64, ``1/2 ||F(h*, x*) - h*||^2`` at each
    x : (n, M) float64, the static input x* each was found under
    condition : (n,) int64, the index of x* among the task's conditions
    J_h : (n, S, S) float64, ``dF_i/dh_j`` at (h*, x*)
    J_x : (n, S, M) float64, ``dF_i/dx_j`` at (h*, x*)
    eigenvalues : (n, S) complex128, of J_h, by |lambda| descending
    right : (n, S, S) complex128, right eigenvectors (columns), same order (computed from
        ``J_h`` when first read: most analyses need the eigenvalues only)
    left : (n, S, S) complex128, left eigenvectors (rows of R^{-1}; ``L R = I``; see
        :func:`decompose` for a defective ``J_h``), computed with ``right
    outputs : (n, O) float64, the network's readout at h* (O = 0 when unknown)
    meta : dict, JSON-able (e.g. ``network_id``, arch, activation)

    Index it like an array (``fps[fps.is_stable]``, ``fps[:3]``, ``fps[[0, 2]]``); an
    integer index keeps a length-1 container.
    """

    h: np.ndarray
    q: np.ndarray
    x: np.ndarray
    condition: np.ndarray
    J_h: np.ndarray
    J_x: np.ndarray
    eigenvalues: np.ndarray
    right_: np.ndarray | None  # None: computed from J_h when ``right`` or ``left`` is first read
    left_: np.ndarray | None
    outputs: np.ndarray
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        n, s = np.shape(self.h)
        m = np.shape(self.x)[1]
        want = {"q": (n,), "x": (n, m), "condition": (n,), "J_h": (n, s, s), "J_x": (n, s, m),
                "eigenvalues": (n, s), "right_": (n, s, s), "left_": (n, s, s)}
        if (self.right_ is None) != (self.left_ is None):
            raise ValueError("right and left eigenvectors are given together or not at all")
        for name, shape in want.items():
            if getattr(self, name) is None:
                continue
            if np.shape(getattr(self, name)) != shape:
                raise ValueError(f"{name.rstrip('_')} has shape {np.shape(getattr(self, name))}; expected {shape} "
                                 f"for {n} points of a {s}-unit state with {m} inputs")
        if np.ndim(self.outputs) != 2 or np.shape(self.outputs)[0] != n:
            raise ValueError(f"outputs has shape {np.shape(self.outputs)}; expected ({n}, O)")

    @classmethod
    def build(cls, h, q, x, condition, J_h, J_x, outputs=None, meta=None, eigenvalues=None) -> "FixedPoints":
        """A container from points and Jacobians; the eigenvalues are computed here (or
        taken from ``eigenvalues``, e.g. a cache of this J_h's), the eigenvectors when
        first read."""
        h = np.asarray(h, np.float64)
        J_h = np.asarray(J_h, np.float64)
        lam = eigenvalues_of(J_h) if eigenvalues is None else np.asarray(eigenvalues, np.complex128)
        outputs = np.zeros((len(h), 0)) if outputs is None else np.asarray(outputs, np.float64)
        return cls(h, np.asarray(q, np.float64), np.asarray(x, np.float64), np.asarray(condition, np.int64),
                   J_h, np.asarray(J_x, np.float64), lam, None, None, outputs, dict(meta or {}))

    @classmethod
    def empty(cls, state_size: int, n_inputs: int, n_outputs: int = 0, meta=None) -> "FixedPoints":
        s, m = state_size, n_inputs
        return cls.build(np.zeros((0, s)), np.zeros(0), np.zeros((0, m)), np.zeros(0, np.int64),
                         np.zeros((0, s, s)), np.zeros((0, s, m)), np.zeros((0, n_outputs)), meta)

    # -- derived quantities -------------------------------------------------------------
    def _vectors(self) -> tuple[np.ndarray, np.ndarray]:
        if self.right_ is None:
            r, left = _aligned(self.eigenvalues, self.J_h)
            object.__setattr__(self, "right_", r)
            object.__setattr__(self, "left_", left)
        return self.right_, self.left_

    @property
    def right(self) -> np.ndarray:
        """(n, S, S) complex128 right eigenvectors (columns), in the order of ``eigenvalues``."""
        return self._vectors()[0]

    @property
    def left(self) -> np.ndarray:
        """(n, S, S) complex128 left eigenvectors (rows; ``L R = I``; :func:`decompose`)."""
        return self._vectors()[1]

    @property
    def n(self) -> int:
        return len(self.q)

    @property
    def state_size(self) -> int:
        return self.h.shape[1]

    @property
    def magnitudes(self) -> np.ndarray:
        """(n, S) |lambda|, descending."""
        return np.abs(self.eigenvalues)

    @property
    def n_unstable(self) -> np.ndarray:
        """(n,) number of eigenvalues with |lambda| > 1."""
        return (self.magnitudes > 1.0).sum(axis=1)

    @property
    def is_stable(self) -> np.ndarray:
        """(n,) True where ``max |lambda| < 1``."""
        if self.n == 0:
            return np.zeros(0, bool)
        return self.magnitudes.max(axis=1) < 1.0

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, index) -> "FixedPoints":
        if isinstance(index, (int, np.integer)):
            index = [int(index)]
        idx = np.arange(self.n)[index]
        parts = [getattr(self, _FIELD.get(a, a)) for a in _ARRAYS]  # eigenvectors only if computed
        return FixedPoints(*(None if v is None else v[idx] for v in parts), meta=dict(self.meta))

    def __repr__(self) -> str:
        nid = self.meta.get("network_id")
        return f"FixedPoints({self.summary()}{'' if nid is None else f'; {nid}'})"

    def contains(self, h, tol: float = 1e-3):
        """Whether a fixed point lies within Euclidean distance ``tol`` of ``h``.

        ``h`` (S,) gives a bool; ``h`` (k, S) gives a (k,) bool array.
        """
        if not tol > 0:
            raise ValueError(f"tol={tol!r} must be > 0")
        h = np.asarray(h, np.float64)
        single = h.ndim == 1
        h2 = np.atleast_2d(h)
        if h2.shape[1] != self.state_size:
            raise ValueError(f"h has {h2.shape[1]} units; these fixed points have {self.state_size}")
        if self.n == 0:
            out = np.zeros(len(h2), bool)
        else:
            d = np.linalg.norm(h2[:, None, :] - self.h[None], axis=-1)
            out = d.min(axis=1) <= tol
        return bool(out[0]) if single else out

    def summary(self) -> str:
        """One line, e.g. ``12 fixed points: 8 stable, saddles with 1/2/3 unstable dims: 3/0/1``."""
        n_st = int(self.is_stable.sum())
        head = f"{self.n} fixed point{'s' if self.n != 1 else ''}: {n_st} stable"
        nu = self.n_unstable[~self.is_stable]
        nu = nu[nu > 0]
        marginal = int(self.n - n_st - len(nu))  # max |lambda| == 1 exactly
        if len(nu) == 0:
            tail = ", no saddles"
        else:
            k = np.arange(1, nu.max() + 1)
            counts = [int((nu == i).sum()) for i in k]
            tail = (f", saddles with {'/'.join(map(str, k))} unstable dims: "
                    f"{'/'.join(map(str, counts))}")
        return head + tail + (f", {marginal} marginal" if marginal else "")

    # -- storage ------------------------------------------------------------------------
    def to_arrays(self, prefix: str = "") -> dict[str, np.ndarray]:
        out = {prefix + a: np.asarray(getattr(self, a)) for a in _ARRAYS}
        out[prefix + "meta"] = np.array(json.dumps(self.meta, sort_keys=True))
        return out

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], prefix: str = "") -> "FixedPoints":
        meta = json.loads(str(arrays[prefix + "meta"]))
        return cls(*(np.asarray(arrays[prefix + a]) for a in _ARRAYS), meta=meta)

    def save(self, path) -> Path:
        """Write to an ``.npz`` (numpy arrays and a JSON string only; atomic)."""
        return atomic_savez(path, self.to_arrays())

    @classmethod
    def load(cls, path) -> "FixedPoints":
        with np.load(path, allow_pickle=False) as z:
            return cls.from_arrays({k: z[k] for k in z.files})


#: What a compact file keeps: the points and their readouts; Jacobians and
#: eigendecompositions are recomputed when it is read (:func:`universality.fixed_points.load_collection`).
COMPACT = ("h", "q", "x", "condition", "outputs")


def save_collection(path, fps: Mapping[str, "FixedPoints"], compact: bool = False, extra: Sequence[str] = ()) -> Path:
    """Write a dict ``network_id -> FixedPoints`` to one ``.npz`` (no pickle; atomic).

    ``compact`` keeps only :data:`COMPACT`, the fields named in ``extra`` (e.g.
    ``('eigenvalues',)`` for a file a reader takes away) and the metadata (a 64-unit
    network's Jacobians are 32 KB per point); :func:`universality.fixed_points.load_collection` recomputes the rest.
    """
    bad = [e for e in extra if e not in _ARRAYS]
    if bad:
        raise ValueError(f"extra={tuple(extra)!r}: {bad} are not fields of FixedPoints {_ARRAYS!r}")
    arrays = {"network_ids": np.array([str(k) for k in fps], dtype=str), "compact": np.array(bool(compact))}
    keep = (*COMPACT, *extra)
    for i, f in enumerate(fps.values()):
        names = [a for a in _ARRAYS if not compact or a in keep]  # a compact file computes no eigenvectors
        arrays.update({f"{i}/{a}": np.asarray(getattr(f, a)) for a in names})
        arrays[f"{i}/meta"] = np.array(json.dumps(f.meta, sort_keys=True))
    return atomic_savez(path, arrays)


def read_collection(path) -> dict:
    """What :func:`save_collection` wrote: ``network_id -> FixedPoints`` for a full file;
    for a compact one, ``network_id -> {h, q, x, condition, outputs, meta}`` (the points
    without their linearisation, which :func:`universality.fixed_points.linearise`
    recomputes from the networks' weights)."""
    with np.load(path, allow_pickle=False) as z:
        ids = [str(i) for i in z["network_ids"]]
        data = {k: z[k] for k in z.files}
    if "compact" in data and bool(data["compact"]):
        return {nid: {**{a: data[f"{i}/{a}"] for a in COMPACT}, "meta": json.loads(str(data[f"{i}/meta"]))}
                for i, nid in enumerate(ids)}
    return {nid: FixedPoints.from_arrays(data, prefix=f"{i}/") for i, nid in enumerate(ids)}
