"""The panels every page draws: trials, losses, trajectories, matrices, MDS, spectra.

Colours are fixed project-wide: one colour per architecture (:data:`ARCH_COLORS`) and one
per activation (:data:`ACTIVATION_COLORS`), the same on every page.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

__all__ = [
    "ARCH_COLORS",
    "ACTIVATION_COLORS",
    "ARCH_LABELS",
    "setup",
    "arch_legend",
    "activation_legend",
    "plot_trial",
    "plot_loss_curves",
    "plot_outputs",
    "plot_loss_histograms",
    "plot_trajectories",
    "plot_distance_matrix",
    "plot_mds",
    "unstable_colors",
    "plot_fixed_points_3d",
    "plot_transition_matrix",
    "plot_mds_pair",
    "plot_mean_sem",
]

ARCH_COLORS: dict[str, str] = {"vanilla": "#0072B2", "ugrnn": "#E69F00", "gru": "#009E73", "lstm": "#CC79A7"}
ACTIVATION_COLORS: dict[str, str] = {"relu": "#D55E00", "tanh": "#332288"}
ARCH_LABELS: dict[str, str] = {"vanilla": "Vanilla", "ugrnn": "UGRNN", "gru": "GRU", "lstm": "LSTM"}


def setup():
    """Book-wide matplotlib style (readable at book width)."""
    import seaborn as sns

    sns.set_theme(context="notebook", style="ticks", font_scale=0.95)
    plt.rcParams.update({"figure.dpi": 100, "savefig.dpi": 120, "axes.spines.top": False,
                         "axes.spines.right": False, "legend.frameon": False})


def arch_legend(ax, archs: Sequence[str] = tuple(ARCH_COLORS), **kw):
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=ARCH_COLORS[a], marker="o", ls="", label=ARCH_LABELS[a]) for a in archs]
    return ax.legend(handles=handles, **kw)


def activation_legend(ax, activations: Sequence[str] = tuple(ACTIVATION_COLORS), **kw):
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=ACTIVATION_COLORS[a], marker="o", ls="", label=a) for a in activations]
    return ax.legend(handles=handles, **kw)


def plot_trial(inputs_tm: np.ndarray, targets_to: np.ndarray, input_names: Sequence[str] | None = None,
               output_names: Sequence[str] | None = None, title: str = "", outputs_to: np.ndarray | None = None):
    """One trial of a task: inputs (top rows) and targets (bottom rows), Fig. 1a/2a/3a style."""
    m, o = inputs_tm.shape[1], targets_to.shape[1]
    fig, axes = plt.subplots(m + o, 1, figsize=(7, 0.9 * (m + o) + 0.6), sharex=True)
    axes = np.atleast_1d(axes)
    t = np.arange(len(inputs_tm))
    for i in range(m):
        axes[i].plot(t, inputs_tm[:, i], color="k", lw=1)
        axes[i].set_ylabel(input_names[i] if input_names else f"input {i + 1}", rotation=0, ha="right", va="center")
    for j in range(o):
        ax = axes[m + j]
        ax.plot(t, targets_to[:, j], color="#C0392B", ls="--", lw=1.5, label="target")
        if outputs_to is not None:
            ax.plot(t, outputs_to[:, j], color="#0072B2", lw=1, label="network")
        ax.set_ylabel(output_names[j] if output_names else f"output {j + 1}", rotation=0, ha="right", va="center")
    axes[-1].set_xlabel("time step")
    axes[m].legend(loc="upper right", ncol=2, fontsize="small")
    if title:
        axes[0].set_title(title)
    fig.align_ylabels(axes)
    fig.tight_layout()
    return fig


def plot_loss_curves(curves: Mapping[str, tuple[np.ndarray, np.ndarray]], table: pd.DataFrame, title: str = ""):
    """Training loss (log scale) against iteration, one line per network, coloured by arch;
    one panel per activation."""
    acts = [a for a in ACTIVATION_COLORS if a in set(table.activation)]
    fig, axes = plt.subplots(1, len(acts), figsize=(4.2 * len(acts), 3.2), sharey=True, squeeze=False)
    for ax, act in zip(axes[0], acts):
        for nid, row in table[table.activation == act].iterrows():
            its, curve = curves[nid]
            ax.plot(its, curve, color=ARCH_COLORS[row.arch], lw=0.8, alpha=0.8)
        ax.set_yscale("log")
        ax.set_xlabel("iteration")
        ax.set_title(f"{act}")
    axes[0, 0].set_ylabel("training MSE")
    arch_legend(axes[0, -1], [a for a in ARCH_COLORS if a in set(table.arch)], loc="upper right", fontsize="small")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_outputs(outputs: Mapping[str, np.ndarray], table: pd.DataFrame, targets_bto: np.ndarray, trial: int = 0,
                 channel: int = 0, title: str = ""):
    """One probe trial: the target and the output of one network of each arch x activation."""
    combos = table.drop_duplicates(["arch", "activation"])
    fig, ax = plt.subplots(figsize=(7.5, 3))
    t = np.arange(targets_bto.shape[1])
    ax.plot(t, targets_bto[trial, :, channel], color="k", ls="--", lw=2, label="target")
    for nid, row in combos.iterrows():
        ax.plot(t, outputs[nid][trial, :, channel], color=ARCH_COLORS[row.arch], lw=1,
                ls="-" if row.activation == "tanh" else ":",
                label=f"{ARCH_LABELS[row.arch]} {row.activation}")
    ax.set_xlabel("time step")
    ax.set_ylabel(f"output {channel + 1}")
    ax.legend(ncol=3, fontsize="x-small", loc="upper left", bbox_to_anchor=(0, -0.25))
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_loss_histograms(table: pd.DataFrame, title: str = ""):
    """Appendix C: histograms of final validation losses, one panel per activation,
    coloured by architecture (log-spaced bins); diverged networks counted in the title."""
    tab = table[~table.diverged]
    vals = tab.valid_loss[np.isfinite(tab.valid_loss) & (tab.valid_loss > 0)]
    lo, hi = (np.log10(vals.min()) - 0.1, np.log10(vals.max()) + 0.1) if len(vals) else (-4, 0)
    bins = np.logspace(lo, hi, 25)
    acts = [a for a in ACTIVATION_COLORS if a in set(table.activation)]
    fig, axes = plt.subplots(1, len(acts), figsize=(4.2 * len(acts), 3), sharex=True, sharey=True, squeeze=False)
    for ax, act in zip(axes[0], acts):
        sub = tab[tab.activation == act]
        data = [sub.valid_loss[sub.arch == a] for a in ARCH_COLORS if a in set(sub.arch)]
        cols = [ARCH_COLORS[a] for a in ARCH_COLORS if a in set(sub.arch)]
        ax.hist(data, bins=bins, stacked=True, color=cols)
        ax.set_xscale("log")
        ax.set_xlabel("validation MSE")
        n_div = int(table[(table.activation == act)].diverged.sum())
        ax.set_title(f"{act}" + (f" ({n_div} diverged)" if n_div else ""))
    axes[0, 0].set_ylabel("networks")
    arch_legend(axes[0, -1], [a for a in ARCH_COLORS if a in set(table.arch)], fontsize="small")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------- figure panels


def _label(row) -> str:
    return f"{ARCH_LABELS[row['arch']]} {row['activation']}"


def plot_trajectories(trajectories: Mapping[str, np.ndarray], colors=None, fixed_points: Mapping | None = None,
                      title: str = "", ncols: int = 2, elev: float = 20, azim: float = -60, cmap: str = "viridis"):
    """One 3-D panel per network: probe trajectories ``(B, T, 3)`` projected on the top 3 PCs.

    Panels are laid out ``ncols`` per row (2: readable at book width).
    ``colors``: one colour per trial (default: one per trial from ``cmap``); ``fixed_points``:
    optional ``name -> (n, 3)`` projected fixed points drawn as black crosses.
    """
    names = list(trajectories)
    ncols = min(ncols, len(names))
    nrows = int(np.ceil(len(names) / ncols))
    fig = plt.figure(figsize=(4.0 * ncols, 3.9 * nrows))
    for i, name in enumerate(names):
        ax = fig.add_subplot(nrows, ncols, i + 1, projection="3d")
        tr = np.asarray(trajectories[name])
        cols = colors if colors is not None else plt.get_cmap(cmap)(np.linspace(0, 1, len(tr)))
        for b in range(len(tr)):
            ax.plot(tr[b, :, 0], tr[b, :, 1], tr[b, :, 2], color=cols[b], lw=0.8, alpha=0.8)
        if fixed_points is not None and name in fixed_points and len(fixed_points[name]):
            p = np.asarray(fixed_points[name])
            ax.scatter(p[:, 0], p[:, 1], p[:, 2], color="k", marker="x", s=18, depthshade=False)
        ax.set_title(name, fontsize="medium")
        ax.set_xlabel("PC1", labelpad=-10)
        ax.set_ylabel("PC2", labelpad=-10)
        ax.set_zlabel("PC3", labelpad=-10)
        ax.tick_params(labelbottom=False, labelleft=False, labelsize=0, length=0)
        ax.set_xticklabels([]), ax.set_yticklabels([]), ax.set_zticklabels([])
        ax.view_init(elev=elev, azim=azim)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_distance_matrix(distances, title: str = "", ax=None, label: str = "distance"):
    """A labelled (network, network_2) matrix as a heat map, networks grouped by arch and
    activation, with the group boundaries and names on the axes."""
    d = np.asarray(distances)
    arch = np.asarray(distances.coords["arch"].values)
    act = np.asarray(distances.coords["activation"].values)
    order = np.lexsort((act, [list(ARCH_COLORS).index(a) for a in arch]))
    d = d[np.ix_(order, order)]
    groups = [f"{ARCH_LABELS[a]} {b}" for a, b in zip(arch[order], act[order])]
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(5.6, 4.8))
    im = ax.imshow(d, cmap="viridis", interpolation="nearest")
    fig.colorbar(im, ax=ax, shrink=0.8, label=label)
    edges = [0] + [i for i in range(1, len(groups)) if groups[i] != groups[i - 1]] + [len(groups)]
    for e in edges[1:-1]:
        ax.axhline(e - 0.5, color="w", lw=0.6)
        ax.axvline(e - 0.5, color="w", lw=0.6)
    mids = [(a + b - 1) / 2 for a, b in zip(edges[:-1], edges[1:])]
    names = [groups[a] for a in edges[:-1]]
    ax.set_xticks(mids, names, rotation=90, fontsize="x-small")
    ax.set_yticks(mids, names, fontsize="x-small")
    ax.tick_params(length=0)
    if title:
        ax.set_title(title)
    return fig


def plot_mds(coords, hue: str = "arch", ax=None, title: str = "", style: str | None = None, legend: bool = True,
             s: float = 36):
    """A 2-D MDS embedding (dims network x component), coloured by ``hue`` ('arch' or
    'activation'), optionally with marker by ``style``."""
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(4, 3.6))
    xy = np.asarray(coords)
    vals = np.asarray(coords.coords[hue].values)
    palette = ARCH_COLORS if hue == "arch" else ACTIVATION_COLORS if hue == "activation" else None
    cats = [c for c in (palette or {}) if c in set(vals)] or sorted(set(vals))
    markers = {}
    if style is not None:
        svals = np.asarray(coords.coords[style].values)
        markers = {v: m for v, m in zip(sorted(set(svals)), "os^D")}
    # networks at (nearly) the same place are drawn once, larger, with their count
    span = float(np.ptp(xy, axis=0).max()) if len(xy) else 0.0
    key = np.round(xy / max(span, 1e-12) * 200).astype(np.int64) if len(xy) else np.zeros((0, 2), np.int64)
    count = {tuple(k): int(n) for k, n in zip(*np.unique(key, axis=0, return_counts=True))}
    n_at = np.array([count[tuple(k)] for k in key])
    first = np.zeros(len(xy), bool)
    first[np.unique(key, axis=0, return_index=True)[1]] = True
    for c in cats:
        sel = vals == c
        color = palette[c] if palette else None
        name = ARCH_LABELS.get(c, c) if hue == "arch" else str(c)
        for v, m in (markers.items() if style is not None else [(None, "o")]):
            sub = sel & (svals == v) if style is not None else sel
            lab = name if v is None else f"{name} {v}"
            ax.scatter(xy[sub, 0], xy[sub, 1], s=s * np.sqrt(n_at[sub]), color=color, marker=m, edgecolor="w",
                       lw=0.5, label=lab)
    # a stack of coincident networks is labelled with its classes, not only its size (the
    # marker on top takes the colour of the class drawn last)
    for i in np.flatnonzero(first & (n_at > 1)):
        here = np.all(key == key[i], axis=1)
        names = [ARCH_LABELS.get(c, c) if hue == "arch" else str(c) for c in cats]
        parts = [f"{nm} {int(np.sum(here & (vals == c)))}" for nm, c in zip(names, cats) if np.any(here & (vals == c))]
        text = f"x{n_at[i]}" if len(parts) == 1 else f"x{n_at[i]}: " + ", ".join(parts)
        ax.annotate(text, xy[i], xytext=(4, 4), textcoords="offset points", fontsize=7)
    notes = []
    if (n_at > 1).any():
        notes.append(f"xN: N networks at one place ({int((n_at > 1).sum())} of {len(xy)})")
    # a few far-away networks would squeeze everyone else into a corner: show the central
    # region and say how many lie outside it
    if len(xy) >= 8:
        lo, hi = np.quantile(xy, 0.05, axis=0), np.quantile(xy, 0.95, axis=0)
        pad = 0.35 * np.maximum(hi - lo, 1e-12)
        view_lo, view_hi = lo - pad, hi + pad
        outside = np.any((xy < view_lo) | (xy > view_hi), axis=1)
        if outside.any() and np.ptp(xy, axis=0).max() > 2.5 * (view_hi - view_lo).max():
            ax.set_xlim(view_lo[0], view_hi[0])
            ax.set_ylim(view_lo[1], view_hi[1])
            notes.append(f"{int(outside.sum())} network(s) outside this view (far from the others)")
    if notes:
        ax.text(0.01, 0.01, "; ".join(notes), transform=ax.transAxes, fontsize=6, color="0.35")
    ax.set_xlabel("MDS 1")
    ax.set_ylabel("MDS 2")
    if not any("outside this view" in n for n in notes):
        ax.set_aspect("equal", adjustable="datalim")
    if legend:
        ax.legend(fontsize="x-small", loc="best")
    if title:
        ax.set_title(title, fontsize="medium")
    return fig


def unstable_colors(n_unstable: np.ndarray) -> list:
    """Fixed-point colours by number of unstable dimensions: 0 black, 1 red, 2 orange, 3+ gold."""
    pal = {0: "#000000", 1: "#D62728", 2: "#FF7F0E", 3: "#E6C229"}
    return [pal[min(int(k), 3)] if k >= 0 else "0.6" for k in n_unstable]  # < 0: no point (grey)


def plot_fixed_points_3d(points_n3: np.ndarray, n_unstable: np.ndarray, trajectories=None, ax=None,
                         title: str = ""):
    """Fixed points in a 3-D projection coloured by number of unstable dimensions, with
    optional perturbation runs ``(n, R, T, 3)`` (the heteroclinic orbits) in grey."""
    from matplotlib.lines import Line2D

    if ax is None:
        fig = plt.figure(figsize=(4.6, 4.2))
        ax = fig.add_subplot(projection="3d")
    fig = ax.figure
    if trajectories is not None:
        for runs in trajectories:
            for r in runs:
                ax.plot(r[:, 0], r[:, 1], r[:, 2], color="0.6", lw=0.5, alpha=0.6)
    p = np.asarray(points_n3)
    ax.scatter(p[:, 0], p[:, 1], p[:, 2], c=unstable_colors(n_unstable), s=30, depthshade=False, edgecolor="w",
               linewidth=0.4)
    ax.set_xlabel("PC1", labelpad=-10)
    ax.set_ylabel("PC2", labelpad=-10)
    ax.set_zlabel("PC3", labelpad=-10)
    ax.set_xticklabels([]), ax.set_yticklabels([]), ax.set_zticklabels([])
    present = sorted(set(min(int(k), 3) for k in n_unstable))
    names = {0: "stable", 1: "1 unstable dim.", 2: "2 unstable dims.", 3: "3+ unstable dims."}
    cols = unstable_colors(present)
    ax.legend(handles=[Line2D([], [], color=c, marker="o", ls="", label=names[k]) for k, c in zip(present, cols)],
              fontsize="x-small", loc="upper left")
    if title:
        ax.set_title(title, fontsize="medium")
    return fig


def plot_transition_matrix(matrix: np.ndarray, names: Sequence[str], n_unstable: np.ndarray, ax=None,
                           title: str = "", present: np.ndarray | None = None):
    """A flip-flop transition-probability matrix, rows and columns named (cube positions
    such as '+0-') and coloured by their number of unstable dimensions; rows the network
    has no fixed point for (``present`` False) are hatched."""
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(5, 4.6))
    im = ax.imshow(matrix, cmap="Greys", vmin=0, vmax=1, interpolation="nearest")
    fig.colorbar(im, ax=ax, shrink=0.8, label="P(end at column | start at row)")
    ticks = np.arange(len(names))
    ax.set_xticks(ticks, names, rotation=90, fontsize=6, family="monospace")
    ax.set_yticks(ticks, names, fontsize=6, family="monospace")
    for labels in (ax.get_xticklabels(), ax.get_yticklabels()):
        for lab, c in zip(labels, unstable_colors(n_unstable)):
            lab.set_color(c)
    if present is not None:
        for i in np.flatnonzero(~np.asarray(present, bool)):
            ax.axhspan(i - 0.5, i + 0.5, facecolor="none", edgecolor="0.6", hatch="///", lw=0)
    ax.set_xlabel("end point (cube corner)")
    ax.set_ylabel("start point (cube position)")
    if title:
        ax.set_title(title, fontsize="medium")
    return fig


def plot_mds_pair(distances, title: str = "", refine: bool = False):
    """The paper's two MDS views of one distance matrix: tanh networks coloured by
    architecture (left) and Vanilla networks coloured by activation (right), each its own
    embedding; below them, when the population spans several sizes or L2 values, the tanh
    networks' embedding again, coloured by size and by L2 (a 2 x 2 grid, so that each panel
    stays readable at the book's width).  A view with fewer than 3 networks is left empty
    with a note."""
    from ..statistics import subset
    from ..embedding import mds

    extra = [k for k in ("units", "l2") if k in distances.coords and len(set(distances.coords[k].values)) > 1]
    rows = 2 if extra else 1
    fig, axes = plt.subplots(rows, 2, figsize=(9, 4 * rows), squeeze=False)
    axes = axes.ravel()
    views = [(axes[0], subset(distances, activation="tanh"), "arch", "tanh networks, by architecture"),
             (axes[1], subset(distances, arch="vanilla"), "activation", "Vanilla networks, by activation")]
    names = {"units": "size (units)", "l2": "L2 coefficient"}
    for ax, key in zip(axes[2:], extra):  # where do the sizes and L2 values fall within the clusters?
        views.append((ax, subset(distances, activation="tanh"), key, f"tanh networks, by {names[key]}"))
    for ax in axes[2 + len(extra):]:
        ax.set_axis_off()
    for ax, sub, hue, name in views:
        why = "fewer than 3 networks" if sub.sizes["network"] < 3 else None
        if why is None:
            try:
                plot_mds(mds(sub, refine=refine), hue=hue, ax=ax, title=f"{name} ({sub.sizes['network']})")
            except ValueError as e:  # e.g. every network at distance 0: nothing to embed
                why = str(e).split(":")[-1].strip()
        if why is not None:
            ax.set_title(f"{name}:\n{why}", fontsize="medium")
            ax.set_axis_off()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_mean_sem(df: pd.DataFrame, x: str, y: str, hue: str = "arch", ax=None, title: str = "",
                  xlabel: str | None = None, ylabel: str | None = None, unit: str = "network_id"):
    """Mean +- s.e.m. over networks (``unit``) of ``y`` against ``x``, one line per ``hue``
    value (colours: :data:`ARCH_COLORS` or :data:`ACTIVATION_COLORS`)."""
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(4.6, 3.4))
    per_net = df.groupby([hue, unit, x], sort=False)[y].mean().reset_index()
    palette = ARCH_COLORS if hue == "arch" else ACTIVATION_COLORS
    for h in [c for c in palette if c in set(per_net[hue])]:
        g = per_net[per_net[hue] == h].groupby(x)[y]
        m, s, n = g.mean(), g.std(ddof=1), g.count()
        sem = (s / np.sqrt(n)).fillna(0.0)
        name = ARCH_LABELS.get(h, h) if hue == "arch" else h
        ax.plot(m.index, m.values, color=palette[h], lw=1.5, label=f"{name} (n={int(n.max())})")
        ax.fill_between(m.index, (m - sem).values, (m + sem).values, color=palette[h], alpha=0.25, lw=0)
    ax.set_xlabel(xlabel or x)
    ax.set_ylabel(ylabel or y)
    ax.legend(fontsize="x-small")
    if title:
        ax.set_title(title, fontsize="medium")
    return fig
