"""Panels of one figure each (Figs. 2d, 3b/4a colours, the numbers page's bars) and the
interactive 3-D views (plotly; plotly.js is served by :mod:`universality.book_extension`)."""

from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

__all__ = ["plot_oscillation_panel", "cdi_probe_colors", "plot_clustering_bars", "interactive_3d"]


def plot_oscillation_panel(trajectories_bt3: np.ndarray, points_c3: np.ndarray, point_colors, fps: Mapping,
                           conditions: pd.DataFrame, title: str = ""):
    """Fig. 2d: one network's trajectories and per-frequency fixed points in 3-D (left),
    and every linearisation's eigenvalues in the complex plane with each frequency's
    leading complex pair coloured by command frequency (right)."""
    fig = plt.figure(figsize=(10, 4.4))
    ax = fig.add_subplot(1, 2, 1, projection="3d")
    cmap = plt.get_cmap("plasma")
    colors = cmap(np.linspace(0, 0.9, len(trajectories_bt3)))
    for b, tr in enumerate(trajectories_bt3):
        ax.plot(tr[:, 0], tr[:, 1], tr[:, 2], color=colors[b], lw=0.6, alpha=0.6)
    if len(points_c3):
        ax.scatter(points_c3[:, 0], points_c3[:, 1], points_c3[:, 2], c=point_colors, s=40, edgecolor="k",
                   depthshade=False)
    ax.set_xticklabels([]), ax.set_yticklabels([]), ax.set_zticklabels([])
    ax.set_title("fixed point per frequency", fontsize="small")
    ax2 = fig.add_subplot(1, 2, 2)
    theta = np.linspace(0, 2 * np.pi, 200)
    ax2.plot(np.cos(theta), np.sin(theta), color="k", lw=0.6)
    for f in fps.values():
        lam = f.eigenvalues.ravel()
        ax2.scatter(lam.real, lam.imag, s=2, color="0.75", rasterized=True)
    sel = conditions.dropna(subset=["frequency"])
    angle, mag = 2 * np.pi * sel.frequency.to_numpy(), sel.magnitude.to_numpy()
    sc = ax2.scatter(mag * np.cos(angle), mag * np.sin(angle), c=sel.omega, cmap=cmap, s=8)
    ax2.scatter(mag * np.cos(angle), -mag * np.sin(angle), c=sel.omega, cmap=cmap, s=8)
    fig.colorbar(sc, ax=ax2, label="command frequency (cycles/step)")
    ax2.set_xlabel("Re lambda")
    ax2.set_ylabel("Im lambda")
    ax2.set_aspect("equal")
    ax2.set_title("eigenvalues of all linearisations", fontsize="small")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def cdi_probe_colors(probe_labels: pd.DataFrame) -> list:
    """Colours of the CDI probe trials: the context's hue (blue, orange, green, ...), lighter
    for a smaller input mean mu (Figs. 3b, 4a)."""
    cmaps = [plt.get_cmap(n) for n in ("Blues", "Oranges", "Greens", "Purples", "Greys")]
    mu = probe_labels["mu"].to_numpy()
    shade = 0.35 + 0.6 * (mu - mu.min()) / max(np.ptp(mu), 1e-9)
    return [cmaps[int(c) % len(cmaps)](s) for c, s in zip(probe_labels["context"], shade)]


def plot_clustering_bars(table: pd.DataFrame, networks: str = "all", labels: Sequence[str] = ("arch", "activation"),
                         title: str = ""):
    """Nearest-neighbour accuracy above chance per task and distance (bars) with its 95%
    bootstrap interval (error bars), one panel per label; the dotted line is the margin
    under which an interval shows no clustering (:data:`universality.effects.MARGINS`).
    ``table``: rows (task, distance, label, networks) of
    :func:`universality.statistics.clustering_table` tables."""
    from ..effects import MARGINS

    sub_all = table.xs(networks, level="networks")
    tasks = list(dict.fromkeys(sub_all.index.get_level_values("task")))
    dists = list(dict.fromkeys(sub_all.index.get_level_values("distance")))
    cmap = plt.get_cmap("tab10")
    fig, axes = plt.subplots(1, len(labels), figsize=(4.8 * len(labels), 3.8), sharey=True, squeeze=False)
    width = 0.8 / max(len(dists), 1)
    for ax, label in zip(axes[0], labels):
        sub = sub_all.xs(label, level="label")
        x = np.arange(len(tasks))
        for j, dname in enumerate(dists):
            vals = [sub.loc[(t, dname)] if (t, dname) in sub.index else None for t in tasks]
            h = np.array([v.nn_effect if v is not None else np.nan for v in vals], float)
            lo = np.array([v.nn_low if v is not None else np.nan for v in vals], float)
            hi = np.array([v.nn_high if v is not None else np.nan for v in vals], float)
            xs = x + (j - (len(dists) - 1) / 2) * width
            ax.bar(xs, h, width=width * 0.95, color=cmap(j % 10), label=dname)
            # the interval as it is, [low, high]: a bootstrap interval need not contain the
            # estimate (a tie-averaged accuracy at the edge of its range)
            ax.errorbar(xs, (lo + hi) / 2, yerr=np.nan_to_num((hi - lo) / 2), fmt="none", ecolor="k",
                        elinewidth=0.8, capsize=1.5)
        ax.axhline(0, color="k", lw=0.6)
        ax.axhline(MARGINS["nn"], color="k", lw=0.6, ls=":")
        ax.set_xticks(x, tasks)
        ax.set_title(f"label: {label} ({networks} networks)", fontsize="medium")
    axes[0][0].set_ylabel("nn accuracy - chance")
    axes[0][-1].legend(fontsize="x-small", loc="upper right")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _rgb(c) -> str:
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(c)
    return f"rgb({int(255 * r)},{int(255 * g)},{int(255 * b)})"


def interactive_3d(trajectories: Mapping[str, np.ndarray], colors=None, points: Mapping | None = None,
                   point_colors: Mapping | None = None, title: str = "", div_id: str = "view3d", ncols: int = 2):
    """The 3-D panels as an interactive view the reader can rotate (plotly, no network needed:
    plotly.js is served by the book, :mod:`universality.book_extension`).

    Parameters
    ----------
    trajectories : name -> (B, T, 3) states (one 3-D scene per name)
    colors : B colours, one per trajectory (matplotlib colour specs)
    points : name -> (n, 3) fixed points drawn as markers; ``point_colors`` name -> n colours
    div_id : a fixed element id, so the page's output does not change from run to run

    Returns an ``IPython.display.HTML`` object.
    """
    import plotly.graph_objects as go
    from IPython.display import HTML
    from plotly.subplots import make_subplots

    names = list(trajectories)
    rows = max(1, int(np.ceil(len(names) / ncols)))
    fig = make_subplots(rows=rows, cols=ncols, specs=[[{"type": "scene"}] * ncols] * rows,
                        subplot_titles=names, horizontal_spacing=0.02, vertical_spacing=0.05)
    for k, name in enumerate(names):
        r, c = k // ncols + 1, k % ncols + 1
        tr = np.asarray(trajectories[name])
        cols = colors if colors is not None else plt.get_cmap("viridis")(np.linspace(0, 1, len(tr)))
        for b in range(len(tr)):
            col = _rgb(cols[b] if len(cols) > b else cols[-1])
            fig.add_trace(go.Scatter3d(x=tr[b, :, 0], y=tr[b, :, 1], z=tr[b, :, 2], mode="lines",
                                       line={"color": col, "width": 3}, showlegend=False, hoverinfo="skip"),
                          row=r, col=c)
        if points and name in points and len(points[name]):
            p = np.asarray(points[name])
            pc = [_rgb(x) for x in point_colors[name]] if point_colors and name in point_colors else "black"
            fig.add_trace(go.Scatter3d(x=p[:, 0], y=p[:, 1], z=p[:, 2], mode="markers",
                                       marker={"size": 4, "color": pc, "line": {"color": "black", "width": 1}},
                                       showlegend=False), row=r, col=c)
    fig.update_layout(height=420 * rows, width=None, title=title or None, margin={"l": 0, "r": 0, "t": 40, "b": 0})
    fig.update_scenes(xaxis_title="PC 1", yaxis_title="PC 2", zaxis_title="PC 3")
    return HTML(fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                            config={"displaylogo": False}))
