"""Did a network learn its task?  A quality criterion per task, stated before training.

The paper: "All networks achieve low error" (Section 2.1), and LSTM-relu networks on the
sine task "did not train effectively, so we excluded it" (Section 3.2).  Here "low
error" is a number.  The scale is the loss of the silent output (a network that always
outputs 0), ``mean(y^2)`` over the validation trials: 1 for the flip-flop (targets
+-1), about 0.5 for the sine wave, and for CDI the mean square of the accumulated
evidence (about 116 at T = 30).  The **normalised error** of a network is

    NE = validation MSE / silent-output MSE            (1 - R^2 about zero)

and a network **meets its task's criterion** when ``NE <= THRESHOLDS[task]``:

* flip-flop 0.01: each output within about 0.1 of +-1 on average;
* sine 0.1: 90% of the target's power reproduced -- the phase of a 500-step oscillation
  drifts with any error in its frequency, so the sine task gets a looser bound;
* CDI 0.01: below the error of reporting the sum one step late (about 0.0115).

A network that misses the criterion stays in the store, is marked, and is left out of
the analyses (:meth:`universality.population.Population.trained`), with the count
printed by the pages.

The remedy (the paper's): a group of networks (one arch x activation of a task, and one size
when the population has several: the networks that train together) whose
median NE misses the criterion, or is more than ``RELATIVE_FACTOR`` times the median of
its task's group medians ("much worse than the others"), is retrained after a small
random search over the paper's hyperparameter ranges, candidates chosen by validation
loss only (``Profile.n_search`` entries for that group).  :func:`remedy_groups` applies
this rule to a store; the book profile records its result.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["THRESHOLDS", "RELATIVE_FACTOR", "silent_loss", "normalised_errors", "quality_table", "remedy_groups"]

THRESHOLDS = {"flipflop": 0.01, "sine": 0.1, "cdi": 0.01}
RELATIVE_FACTOR = 5.0


def silent_loss(targets_bto: np.ndarray) -> float:
    """MSE of the silent output (always 0) on these targets: ``mean(y^2)``."""
    y = np.asarray(targets_bto, np.float64)
    if not y.size:
        raise ValueError("targets_bto is empty: no trials to measure the silent-output loss on")
    return float(np.mean(y ** 2))


def normalised_errors(valid_loss, task_name: str, silent: float) -> tuple[np.ndarray, np.ndarray]:
    """(NE, meets) for validation losses of networks of ``task_name``; NaN losses (diverged
    networks) never meet the criterion."""
    if task_name not in THRESHOLDS:
        raise ValueError(f"task_name={task_name!r} is not one of {tuple(THRESHOLDS)!r}")
    if not (np.isfinite(silent) and silent > 0):
        raise ValueError(f"silent={silent!r} must be a finite number > 0")
    ne = np.asarray(valid_loss, np.float64) / silent
    return ne, np.isfinite(ne) & (ne <= THRESHOLDS[task_name])


def quality_table(table: pd.DataFrame) -> pd.DataFrame:
    """Per (task, arch, activation), and per size when ``table`` has several (``units``):
    networks, diverged, missing the criterion, and the min / median / max normalised error
    of the networks that did not diverge.

    ``table`` is a population table with ``normalised_error``, ``meets_criterion`` and
    ``diverged`` columns (:func:`universality.population.load_population` adds them).
    """
    keys = [k for k in ("task", "arch", "activation") if k in table.columns]
    if "units" in table.columns and table["units"].nunique() > 1:
        keys.append("units")
    g = table.groupby(keys)
    ok = table[~table.diverged.astype(bool)].groupby(keys)["normalised_error"]
    out = pd.DataFrame({"networks": g.size(), "diverged": g["diverged"].sum().astype(int),
                        "miss": (~table.meets_criterion.astype(bool) & ~table.diverged.astype(bool)).groupby(
                            [table[k] for k in keys]).sum().astype(int),
                        "ne_min": ok.min(), "ne_median": ok.median(), "ne_max": ok.max()})
    out["threshold"] = [THRESHOLDS[i[0]] if "task" in keys else np.nan for i in out.index]
    return out


def remedy_groups(table: pd.DataFrame) -> pd.DataFrame:
    """The groups the remedy applies to (by :func:`quality_table`'s keys, so by size too
    when the population has several), with the reason: median NE above the threshold, or
    above ``RELATIVE_FACTOR`` x the median of the task's group medians."""
    q = quality_table(table)
    rows = []
    for task, sub in q.groupby(level="task"):
        typical = float(np.nanmedian(sub.ne_median))
        for idx, r in sub.iterrows():
            why = []
            if not r.ne_median <= r.threshold:
                why.append(f"median NE {r.ne_median:.3g} > threshold {r.threshold:g}")
            if r.ne_median > RELATIVE_FACTOR * typical:
                why.append(f"median NE {r.ne_median:.3g} > {RELATIVE_FACTOR:g} x the task's typical {typical:.3g}")
            if why:
                rows.append({**dict(zip(q.index.names, idx)), "reason": "; ".join(why)})
    return pd.DataFrame(rows, columns=list(q.index.names) + ["reason"])
