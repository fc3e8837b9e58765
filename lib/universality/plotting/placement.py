"""Panels of a user's network placed among a population (:mod:`universality.report`)."""

from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from .core import ARCH_COLORS, ARCH_LABELS, plot_mds

__all__ = ["plot_mds_marked", "plot_distances_to_reference", "plot_eigenvalues", "save_figure"]

_ACT_MARKERS = {"tanh": "o", "relu": "^"}


def save_figure(fig, path, dpi: int = 100) -> None:
    """Write a figure (PNG by the path's suffix) and close it."""
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    plt.close(fig)


def _mark(ax, xy: np.ndarray, names: Sequence[str]) -> None:
    """The user's networks as black stars with their names, kept inside the view."""
    ax.scatter(xy[:, 0], xy[:, 1], marker="*", s=260, color="k", edgecolor="w", lw=0.8, zorder=6)
    for (x, y), name in zip(xy, names):
        ax.annotate(str(name), (x, y), xytext=(6, 6), textcoords="offset points", fontsize=8, weight="bold",
                    zorder=7)
    if ax.get_aspect() != "auto":  # an equal-aspect view sized by its data: let the stars join the data
        ax.update_datalim(xy)
        ax.autoscale_view()
        return
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()  # a zoomed view (far outliers): widen it to the stars
    px, py = 0.08 * (x1 - x0), 0.08 * (y1 - y0)
    ax.set_xlim(min(x0, xy[:, 0].min() - px), max(x1, xy[:, 0].max() + px))
    ax.set_ylim(min(y0, xy[:, 1].min() - py), max(y1, xy[:, 1].max() + py))


def plot_mds_marked(merged, title: str = "", refine: bool = False):
    """MDS of a merged (models + reference) distance matrix, embedded together: the
    reference networks coloured by architecture (left) and by activation (right), the
    models (coordinate ``model`` True) as black stars with their names."""
    from ..embedding import mds

    coords = mds(merged, refine=refine)
    is_model = np.asarray(coords.coords["model"].values, bool)
    xy = np.asarray(coords)
    names = list(coords.coords["network"].values[is_model])
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.4))
    for ax, hue, what in ((axes[0], "arch", "reference by architecture"),
                          (axes[1], "activation", "reference by activation")):
        plot_mds(coords.isel(network=~is_model), hue=hue, ax=ax, title=f"{what} ({int((~is_model).sum())})")
        _mark(ax, xy[is_model], names)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_distances_to_reference(rows: Mapping[str, np.ndarray], classes: Sequence[str],
                                typical: Mapping[str, float] | None = None, title: str = ""):
    """One model's distance to every reference network, one panel per measure, the
    networks grouped by class (architecture colour, activation marker); the dotted line is
    the reference's own median nearest-neighbour distance (``typical``), the star the
    nearest network.

    ``rows``: measure -> (R,) distances (NaN: not compared); ``classes``: measure ->
    R classes ('gru-tanh') in the same order, or one sequence for every measure.
    """
    names = list(rows)
    ncols = min(4, len(names))
    nrows = int(np.ceil(len(names) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.9 * ncols + 0.6, 3.0 * nrows), squeeze=False)
    for ax in axes.ravel()[len(names):]:
        ax.set_axis_off()
    for ax, name in zip(axes.ravel(), names):
        d = np.asarray(rows[name], float)
        cls = np.asarray(classes[name] if isinstance(classes, Mapping) else classes)
        arch_order = list(ARCH_COLORS)
        order = sorted(set(cls), key=lambda c: (arch_order.index(c.split("-")[0]) if c.split("-")[0] in arch_order
                                                else len(arch_order), c))
        for j, c in enumerate(order):
            sel = (cls == c) & np.isfinite(d)
            arch, act = c.split("-")[0], c.split("-")[-1]
            jitter = (np.arange(sel.sum()) % 5 - 2) * 0.06
            ax.scatter(np.full(sel.sum(), j) + jitter, d[sel], s=14, color=ARCH_COLORS.get(arch, "0.4"),
                       marker=_ACT_MARKERS.get(act, "s"), lw=0)
        if np.isfinite(d).any():
            i = int(np.nanargmin(d))
            ax.scatter([order.index(cls[i])], [d[i]], marker="*", s=160, color="k", zorder=5)
        if typical and np.isfinite(typical.get(name, np.nan)):
            ax.axhline(typical[name], color="0.4", ls=":", lw=1)
        ax.set_xticks(range(len(order)), [f"{ARCH_LABELS.get(c.split('-')[0], c.split('-')[0])}\n{c.split('-')[-1]}"
                                          for c in order], fontsize=6)
        ax.set_title(name, fontsize="small")
    for row in axes:
        row[0].set_ylabel("distance from the model")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_eigenvalues(fps, title: str = "", ax=None):
    """Every fixed point's Jacobian eigenvalues in the complex plane with the unit circle,
    coloured by the point's number of unstable dimensions (black: stable)."""
    from .core import unstable_colors

    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(4.2, 4.0))
    theta = np.linspace(0, 2 * np.pi, 200)
    ax.plot(np.cos(theta), np.sin(theta), color="0.5", lw=0.8)
    colors = unstable_colors(fps.n_unstable)
    for lam, c in zip(fps.eigenvalues, colors):
        ax.scatter(lam.real, lam.imag, s=6, color=c, alpha=0.6, lw=0)
    ax.set_xlabel("Re lambda")
    ax.set_ylabel("Im lambda")
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_title(title or f"eigenvalues at {len(fps)} fixed points", fontsize="medium")
    return fig
