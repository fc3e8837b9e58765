"""The paper's claims as code: a statistic, its uncertainty, a criterion, a verdict.

The claims every task shares are functions here (clustering, topology against geometry,
CKA against SVCCA); each task's own claims live in its study (:mod:`universality.studies`).  It takes numbers the analyses computed
(clustering tables, separation ratios, linearisation tables, fixed points) and returns a
:class:`Claim`: the paper's sentence (quoted, not paraphrased), what was measured, the
measured value with its permutation p-value or confidence interval, the criterion -- fixed
in this module, before any page runs -- and the verdict, one of :data:`VERDICTS`.  Pages
print verdicts; none writes one by hand.

Criteria, in general:

* "X clusters by label" (geometry): the tie-averaged nearest-neighbour accuracy beats its
  permutation null at ``ALPHA`` on the paper's panel subset (architectures among tanh
  networks, activations among Vanilla networks) and on the whole population ->
  reproduced; on one of the two -> partly; on neither -> not reproduced.
* "X does not cluster by label" (topology): the same test finds no clustering
  (p >= ``ALPHA``) on both sets -> reproduced; on one -> partly; on neither -> not
  reproduced.  Absence of clustering is a weaker statement than its presence: the p-value
  and the number of networks are printed with it.
* "topology is more similar across classes than geometry" (Fig. 1f): the separation
  ratio (between-class over within-class mean distance) of the topology distances minus
  that of the SVCCA distances, on the panel subset, with a stratified bootstrap interval:
  interval below 0 -> reproduced; estimate below 0 -> partly; otherwise not reproduced.
* shares ("every network has ...", "for each frequency ..."): at least ``MOST`` of the
  cases -> reproduced; at least ``SOME`` -> partly; fewer -> not reproduced.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = ["VERDICTS", "ALPHA", "MOST", "SOME", "Claim", "scorecard", "from_scorecard", "changed_verdicts",
           "clustering_hits", "grade", "clusters", "does_not_cluster",
           "topology_more_similar_than_geometry", "cka_agrees_with_svcca", "QUOTES"]

VERDICTS = ("reproduced", "partly reproduced", "not reproduced", "not tested")
ALPHA = 0.05
MOST = 0.9
SOME = 0.5

#: The paper's sentences that no single study owns, verbatim (NeurIPS 2019 text); each
#: study holds the quotes of its own claims (:mod:`universality.studies`).
QUOTES = {
    "appE.cka": "We found that using SVCCA and CKA yielded similar results for the purposes of determining whether "
                "representations cluster by architecture or activation function",
    # beyond the paper: the abstract's thesis, tested with measures the paper did not use
    "beyond.geometry": "We find the geometry of the RNN representations can be highly sensitive to different network "
                       "architectures, yielding a cautionary tale for measures of similarity that rely on "
                       "representational geometry, such as CCA.",
    "beyond.dynamics": "while the geometry of neural dynamics can vary greatly across architectures, the underlying "
                       "computational scaffold—the topological structure of fixed points, transitions between "
                       "them, limit cycles, and linearized dynamics—often appears universal across all "
                       "architectures.",
}


@dataclass(frozen=True)
class Claim:
    """One of the paper's claims, checked."""

    key: str
    task: str
    quote: str
    statistic: str
    value: str
    criterion: str
    verdict: str
    note: str = ""

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict={self.verdict!r} is not one of {VERDICTS!r}")

    def render(self, with_task: bool = False, with_statistic: bool = True) -> str:
        """Plain text for a page: the quote, the number, the verdict (``with_task``: the
        task after the key; ``with_statistic``: what was measured before its value)."""
        head = f"[{self.key}] ({self.task}) " if with_task else f"[{self.key}] "
        measured = f"{self.statistic}: {self.value}" if with_statistic else self.value
        lines = [f'{head}The paper: "{self.quote}"', f"  measured: {measured}",
                 f"  criterion: {self.criterion}", f"  verdict: {self.verdict.upper()}"]
        if self.note:
            lines.append(f"  note: {self.note}")
        return "\n".join(lines)


def scorecard(claims: Sequence[Claim]) -> pd.DataFrame:
    """The claims as a table (one row each), in the order given."""
    return pd.DataFrame([asdict(c) for c in claims]).set_index("key")


def from_scorecard(card: pd.DataFrame) -> list[Claim]:
    """The claims of a :func:`scorecard` table, back as :class:`Claim` objects."""
    fields = [f for f in Claim.__dataclass_fields__ if f != "key"]
    return [Claim(str(key), **{f: (row[f] if isinstance(row[f], str) else "") for f in fields})
            for key, row in card.iterrows()]


def changed_verdicts(card: pd.DataFrame, before: Mapping[str, Mapping]) -> tuple[list, list]:
    """The claims whose verdict differs from an earlier scorecard's (``before``: key ->
    {'verdict', 'measured'}), as (key, before entry, row) triples, and the keys that are new."""
    changed = [(k, before[k], c) for k, c in card.iterrows() if k in before and before[k]["verdict"] != c.verdict]
    return changed, [k for k in card.index if k not in before]


def clustering_hits(tables: Mapping[str, pd.DataFrame], names: Sequence[str], label: str = "arch",
                    networks: str = "panel") -> pd.Series:
    """For each distance in ``names``: in how many of the tasks' clustering tables it
    separates ``label`` (permutation p < :data:`ALPHA` on ``networks``), out of how many."""
    out = {}
    for n in names:
        hits = [bool((n, label, networks) in t.index and t.loc[(n, label, networks), "p_value"] < ALPHA)
                for t in tables.values()]
        out[n] = f"{sum(hits)} of {len(hits)}"
    return pd.Series(out, name=f"clusters by {label} ({networks}, p < {ALPHA})")


def grade(share: float, most: float = MOST, some: float = SOME) -> str:
    """The verdict of a share: >= ``most`` reproduced, >= ``some`` partly, fewer not; NaN not tested."""
    if not np.isfinite(share):
        return "not tested"
    return "reproduced" if share >= most else "partly reproduced" if share >= some else "not reproduced"


def _rows(table: pd.DataFrame, distance: str, label: str) -> dict:
    """{'panel': row, 'all': row} of a statistics.clustering_table, where computed."""
    out = {}
    for which in ("panel", "all"):
        key = (distance, label, which)
        if key in table.index and np.isfinite(table.loc[key, "p_value"]):
            out[which] = table.loc[key]
    return out


def _fmt_nn(rows: Mapping) -> str:
    return "; ".join(f"{w}: accuracy {r.nn_accuracy:.2f} vs chance {r.chance:.2f}, p = {r.p_value:.3g}, "
                     f"n = {int(r.n)}" for w, r in rows.items()) or "not computable"


# ------------------------------------------------------------------------ clustering claims


def clusters(key: str, task: str, table: pd.DataFrame, distance: str, label: str, quote: str | None = None) -> Claim:
    """The claim "``distance`` clusters the networks by ``label``"."""
    rows = _rows(table, distance, label)
    sig = [r.p_value < ALPHA for r in rows.values()]
    verdict = ("not tested" if not rows else "reproduced" if all(sig) and len(sig) == 2 else
               "partly reproduced" if any(sig) else "not reproduced")
    return Claim(f"{key} [{label}]", task, quote or QUOTES.get(key, ""), f"{distance} nearest-neighbour accuracy by {label}",
                 _fmt_nn(rows), f"accuracy above its permutation null (p < {ALPHA}) on the panel subset and on all "
                 "networks", verdict)


def does_not_cluster(key: str, task: str, table: pd.DataFrame, distance: str, label: str,
                     quote: str | None = None, note: str = "") -> Claim:
    """The claim "``distance`` does not cluster the networks by ``label``"."""
    rows = _rows(table, distance, label)
    flat = [r.p_value >= ALPHA for r in rows.values()]
    verdict = ("not tested" if not rows else "reproduced" if all(flat) and len(flat) == 2 else
               "partly reproduced" if any(flat) else "not reproduced")
    return Claim(f"{key} [{label}]", task, quote or QUOTES.get(key, ""), f"{distance} nearest-neighbour accuracy by {label}",
                 _fmt_nn(rows), f"no clustering detected (p >= {ALPHA}) on the panel subset and on all networks",
                 verdict, note)


def topology_more_similar_than_geometry(key: str, task: str, separations: Mapping[str, object],
                                        quote: str | None = None) -> Claim:
    """Fig. 1f: topology separates the classes less than geometry does.

    ``separations`` maps a label ('arch', 'activation') to a
    :class:`universality.statistics.Separation` with ``a`` = topology and ``b`` = SVCCA on
    that label's panel subset (or None when it could not be computed).
    """
    parts, grades = [], []
    for label, s in separations.items():
        if s is None or not np.isfinite(s.difference):
            parts.append(f"{label}: not computable")
            continue
        parts.append(f"{label}: topology {s.ratio_a:.2f} vs SVCCA {s.ratio_b:.2f}, difference {s.difference:+.2f} "
                     f"[{s.ci_low:+.2f}, {s.ci_high:+.2f}] (n = {s.n})")
        grades.append(2 if s.ci_high < 0 else 1 if s.difference < 0 else 0)
    verdict = ("not tested" if not grades else "reproduced" if min(grades) == 2 else
               "partly reproduced" if max(grades) >= 1 else "not reproduced")
    return Claim(key, task, quote or QUOTES.get(key, ""),
                 "separation ratio (between-class / within-class mean distance), panel subsets", "; ".join(parts),
                 "topology ratio minus SVCCA ratio below 0 with its 95% bootstrap interval, for both labels", verdict)


# ------------------------------------------------------------------------ Appendix E


def cka_agrees_with_svcca(tables: Mapping[str, pd.DataFrame]) -> Claim:
    """Appendix E: CKA and SVCCA reach the same clustering conclusions.  ``tables``: task
    -> statistics.clustering_table with 'svcca' and 'cka' rows; compared: whether each
    label clusters (p < ALPHA) on the panel subset."""
    cells, agree = [], 0
    for task, t in tables.items():
        for label in ("arch", "activation"):
            a, b = _rows(t, "svcca", label).get("panel"), _rows(t, "cka", label).get("panel")
            if a is None or b is None:
                continue
            same = (a.p_value < ALPHA) == (b.p_value < ALPHA)
            agree += same
            cells.append(f"{task}/{label}: SVCCA p = {a.p_value:.3g}, CKA p = {b.p_value:.3g}"
                         + ("" if same else " (differ)"))
    share = agree / len(cells) if cells else np.nan
    return Claim("appE.cka", "all", QUOTES["appE.cka"], "same clustering verdict (p < 0.05 or not), panel subsets",
                 f"{agree} of {len(cells)} agree: " + "; ".join(cells),
                 "all agree (partly: at least half)", grade(share, 1.0, 0.5) if cells else "not tested")
