"""Figures: the only module that imports matplotlib/seaborn.  One function per panel.

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
