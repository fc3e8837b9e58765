"""The paper's claims as code: a statistic, its uncertainty, a criterion, a verdict.

The claims every task shares are functions here (clustering, topology against geometry,
CKA against SVCCA); each task's own claims live in its study (:mod:`universality.studies`).
A claim takes numbers the analyses computed (clustering tables, separation ratios,
linearisation tables, fixed points) and returns a :class:`Claim`: the paper's sentence
(quoted, not paraphrased), what was measured, the measured value with its interval, the
criterion -- fixed in code, before any page runs -- and the verdict, one of
:data:`VERDICTS`.  Pages print verdicts; none writes one by hand.

Criteria, in general:

* "X clusters by label" (geometry): the nearest-neighbour effect (tie-averaged accuracy
  minus chance) with its 95% stratified bootstrap interval (:mod:`universality.effects`),
  on the paper's panel subset (architectures among tanh networks, activations among
  Vanilla networks) and on the whole population: both intervals above 0 -> reproduced;
  one -> partly; both below the margin of :data:`universality.effects.MARGINS` (shown not
  to cluster) -> not reproduced; otherwise inconclusive.
* "X does not cluster by label" (topology): an equivalence test -- both intervals below
  the margin -> reproduced; both above 0 -> not reproduced; one of each -> partly;
  otherwise inconclusive.  "p >= 0.05" alone never makes a verdict.
* "topology is more similar across classes than geometry" (Figs. 1f, 2e, 3d and the
  Discussion): the separation ratio (between-class over within-class mean distance) of
  the topology distances minus that of the SVCCA distances, on the panel subset, with a
  stratified bootstrap interval: interval below 0 -> reproduced; estimate below 0 ->
  partly; otherwise not reproduced.
* shares ("every network has ...", "for each frequency ..."): at least ``MOST`` of the
  cases -> reproduced; at least ``SOME`` -> partly; fewer -> not reproduced.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = ["VERDICTS", "ALPHA", "MOST", "SOME", "GEOMETRY", "GEOMETRY_95", "Claim", "scorecard", "paper_claims", "beyond_the_paper",
           "from_scorecard", "changed_verdicts", "verdict_changes", "population_changes",
           "clustering_hits", "grade", "format_p", "clusters", "does_not_cluster",
           "topology_more_similar_than_geometry", "architecture_beyond_size", "all_networks_train", "cka_agrees_with_svcca", "QUOTES"]

VERDICTS = ("reproduced", "partly reproduced", "not reproduced", "inconclusive", "not tested")
ALPHA = 0.05
MOST = 0.9
SOME = 0.5

#: The paper's sentences that no single study owns, verbatim (NeurIPS 2019 text); each
#: study holds the quotes of its own claims (:mod:`universality.studies`).
QUOTES = {
    "appC.losses": "All networks achieve low error; histograms of the final loss values achieved by all networks "
                   "are available in Appendix C.",
    "discussion.universality": "We also see hints of universality: the fixed point topologies show far less "
                               "variation across networks than the representations do (Fig. 1f, 2e, 3d).",
    "beyond.size": "We trained networks for every combination of the following parameters: RNN architecture "
                   "(Vanilla, UGRNN, LSTM, GRU), activation (relu, tanh), number of units/neurons (64, 128, 256), "
                   "and L2 regularization [...] [Fig. 1d:] showing clustering based on RNN architecture",
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

    def render(self, with_task: bool = False, with_statistic: bool = True, width: int = 100) -> str:
        """Plain text for a page: the quote, the number, the verdict (``with_task``: the
        task after the key; ``with_statistic``: what was measured before its value), each
        part wrapped at ``width`` characters so that a page shows it without scrolling."""
        import textwrap

        head = f"[{self.key}] ({self.task}) " if with_task else f"[{self.key}] "
        measured = f"{self.statistic}: {self.value}" if with_statistic else self.value
        parts = [(f'{head}The paper: "{self.quote}"', ""), (f"  measured: {measured}", "    "),
                 (f"  criterion: {self.criterion}", "    "), (f"  verdict: {self.verdict.upper()}", "    ")]
        if self.note:
            parts.append((f"  note: {self.note}", "    "))
        return "\n".join(textwrap.fill(text, width=width, subsequent_indent=indent, break_long_words=False,
                                       break_on_hyphens=False) for text, indent in parts)


def scorecard(claims: Sequence[Claim]) -> pd.DataFrame:
    """The claims as a table (one row each), in the order given."""
    return pd.DataFrame([asdict(c) for c in claims]).set_index("key")


def paper_claims(card: pd.DataFrame) -> pd.DataFrame:
    """The rows of a :func:`scorecard` that are the paper's claims (not the findings
    beyond it, whose keys start with 'beyond.')."""
    return card[~card.index.str.startswith("beyond.")]


def beyond_the_paper(card: pd.DataFrame) -> pd.DataFrame:
    """The rows of a :func:`scorecard` that test the paper's thesis with measures it did
    not use (Procrustes, DSA): findings of the book, not claims of the paper."""
    return card[card.index.str.startswith("beyond.")]


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


def verdict_changes(card: pd.DataFrame, before: Mapping[str, Mapping],
                    same_networks: pd.DataFrame | None = None) -> pd.DataFrame:
    """What changed since an earlier scorecard (``before``: key -> {'verdict', 'measured'}),
    and why: ``same_networks`` is today's scorecard on the earlier population's networks,
    so a verdict that already changed there changed with the measurement (the code), one
    that changed only on the current population changed with the networks, and one that
    changed on both, with both."""
    rows = []
    for key, now in card.iterrows():
        if key not in before or before[key]["verdict"] == now.verdict:
            continue
        mid = same_networks.verdict.get(key) if same_networks is not None else None
        if mid is None:
            why = "not known (no scorecard of the earlier networks under today's code)"
        elif mid == now.verdict:
            why = "the measurement changed (today's code on the earlier networks gives it already)"
        elif mid == before[key]["verdict"]:
            why = "the population changed (today's code on the earlier networks keeps the earlier verdict)"
        else:
            why = f"both (today's code on the earlier networks: {mid})"
        rows.append({"key": key, "before": before[key]["verdict"], "now": now.verdict, "why": why,
                     "measured before": before[key].get("measured", ""), "measured now": now.value})
    return pd.DataFrame(rows, columns=["key", "before", "now", "why", "measured before", "measured now"])


def _halves(row) -> str:
    """A scorecard row's stability, in words ('' when it was not computed)."""
    if "stable" not in row.index or not isinstance(row.get("half_low_seeds"), str):
        return ""
    agreement = row.get("agreement")
    share = f", agreement {agreement:.0%}" if isinstance(agreement, float) and np.isfinite(agreement) else ""
    return f"seed halves {row['half_low_seeds']} / {row['half_high_seeds']}{share}"


def population_changes(card: pd.DataFrame, earlier: pd.DataFrame) -> pd.DataFrame:
    """The verdicts a larger population changed: the rows of ``card`` (a scorecard of the
    current population) whose verdict differs from ``earlier`` (the scorecard of an earlier
    population judged by the same code), with each side's stability over seed halves and
    subsamples (:mod:`universality.stability`) where the scorecards carry it.  ``why``
    says which: a verdict whose earlier seed halves disagreed, or agreed with each other
    but not with it (fragile), was within the earlier population's noise; one that both
    halves gave moved with the networks added."""
    rows = []
    for key, now in card.iterrows():
        if key not in earlier.index or earlier.loc[key, "verdict"] == now.verdict:
            continue
        was = earlier.loc[key]
        if not _halves(was):
            why = "the population (stability of the earlier verdict not computed)"
        elif not bool(was["stable"]):
            why = "the population: the earlier verdict was unstable (its seed halves disagreed)"
        elif was["half_low_seeds"] != was.verdict:
            why = (f"the population: the earlier verdict was fragile (neither seed half gave it: both "
                   f"{was['half_low_seeds']})")
        else:
            why = "the population: the earlier verdict held on both seed halves; the added networks moved it"
        rows.append({"key": key, "before": was.verdict, "now": now.verdict, "why": why,
                     "stability before": _halves(was), "stability now": _halves(now),
                     "measured before": was.value, "measured now": now.value})
    return pd.DataFrame(rows, columns=["key", "before", "now", "why", "stability before", "stability now",
                                       "measured before", "measured now"])


def clustering_hits(tables: Mapping[str, pd.DataFrame], names: Sequence[str], label: str = "arch",
                    networks: str = "panel") -> pd.DataFrame:
    """For each distance in ``names``, over the tasks' clustering tables: in how many it is
    shown to separate ``label`` ('clusters': the effect's interval above 0), shown not to
    ('does not cluster': below the margin), or neither ('inconclusive'), on ``networks``."""
    rows = {}
    for n in names:
        dec = [t.loc[(n, label, networks), "decision"] for t in tables.values() if (n, label, networks) in t.index]
        rows[n] = {d: dec.count(d) for d in ("clusters", "does not cluster", "inconclusive")}
        rows[n]["tasks"] = len(dec)
    return pd.DataFrame(rows).T


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


def format_p(p: float) -> str:
    """A permutation p-value at the precision it carries: two significant digits (from
    1,000 shuffles its standard error is about 0.005 at p = 0.025)."""
    if not np.isfinite(p):
        return "nan"
    return f"{p:.2f}" if p >= 0.1 else f"{p:.2g}"


def _fmt_nn(rows: Mapping) -> str:
    parts = []
    for w, r in rows.items():
        text = (f"{w}: accuracy {r.nn_accuracy:.2f} vs chance {r.chance:.2f}, effect {r.nn_effect:+.2f} "
                f"[{r.nn_low:+.2f}, {r.nn_high:+.2f}], p = {format_p(r.p_value)}, n = {int(r.n)}: {r.decision}")
        if r.decision == "inconclusive" and isinstance(r.get("note"), str) and r.note:
            text += f" ({r.note})"
        if r.decision == "inconclusive" and np.isfinite(r.n_to_decide):
            text += f" (about {int(np.ceil(r.n_to_decide))} networks would decide it)"
        parts.append(text)
    return "; ".join(parts) or "not computable"


def _margin() -> str:
    from .effects import MARGINS

    return f"{MARGINS['nn']:.2f}"


# ------------------------------------------------------------------------ clustering claims


#: The geometry distance the verdicts use: SVCCA with both sides of every pair keeping the
#: same number of components (:class:`universality.similarity.MatchedSVCCA`).  SVCCA keeping
#: 95% of each network's variance (``GEOMETRY_95``, the paper's "typical" choice) averages
#: ``min(k_a, k_b)`` correlations, so a low-dimensional network sits close to everyone (a
#: hub, :mod:`universality.hubs`); its reading is printed beside every verdict.
GEOMETRY = "svcca_matched"
GEOMETRY_95 = "svcca"


def _clusters_verdict(rows) -> str:
    dec = [r.decision for r in rows.values()]
    return ("not tested" if not rows else
            "reproduced" if dec.count("clusters") == 2 else
            "partly reproduced" if "clusters" in dec else
            "not reproduced" if all(d == "does not cluster" for d in dec) else "inconclusive")


def clusters(key: str, task: str, table: pd.DataFrame, distance: str, label: str, quote: str | None = None,
             also: str | None = None) -> Claim:
    """The claim "``distance`` clusters the networks by ``label``", judged on the
    nearest-neighbour effect (accuracy - chance) and its 95% bootstrap interval on the
    panel subset and on all networks (:mod:`universality.effects`): both intervals above 0
    -> reproduced; one -> partly; both below the margin (no clustering shown) -> not
    reproduced; otherwise inconclusive.  ``also``: another distance whose reading (and the
    verdict it would give) is printed beside, not graded."""
    rows = _rows(table, distance, label)
    value = _fmt_nn(rows)
    if also is not None and _rows(table, also, label):
        other = _rows(table, also, label)
        value += f" || {also} reading (not graded): {_fmt_nn(other)} -> {_clusters_verdict(other)}"
    return Claim(f"{key} [{label}]", task, quote or QUOTES.get(key, ""),
                 f"{distance} nearest-neighbour accuracy by {label}", value,
                 f"accuracy above chance with its 95% bootstrap interval above 0 on the panel subset and on all "
                 f"networks (not reproduced: both intervals below the margin {_margin()})", _clusters_verdict(rows))


def does_not_cluster(key: str, task: str, table: pd.DataFrame, distance: str, label: str,
                     quote: str | None = None, note: str = "") -> Claim:
    """The claim "``distance`` does not cluster the networks by ``label``": an equivalence
    test.  Both intervals of the nearest-neighbour effect below the margin fixed in
    :data:`universality.effects.MARGINS` -> reproduced; both above 0 -> not reproduced;
    one of each -> partly; otherwise inconclusive (never reproduced from p >= 0.05)."""
    rows = _rows(table, distance, label)
    dec = [r.decision for r in rows.values()]
    verdict = ("not tested" if not rows else
               "reproduced" if dec.count("does not cluster") == 2 else
               "not reproduced" if dec.count("clusters") == len(dec) else
               "partly reproduced" if "clusters" in dec and "does not cluster" in dec else "inconclusive")
    return Claim(f"{key} [{label}]", task, quote or QUOTES.get(key, ""),
                 f"{distance} nearest-neighbour accuracy by {label}", _fmt_nn(rows),
                 f"no clustering shown: the 95% bootstrap interval of accuracy - chance below the margin "
                 f"{_margin()} on the panel subset and on all networks", verdict, note)


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
        parts.append(f"{label}: topology {s.ratio_a:.2f} vs geometry {s.ratio_b:.2f}, difference {s.difference:+.2f} "
                     f"[{s.ci_low:+.2f}, {s.ci_high:+.2f}] (n = {s.n})")
        grades.append("below" if s.ci_high < 0 else "above" if s.ci_low > 0 else "across")
    verdict = ("not tested" if not grades else
               "reproduced" if all(g == "below" for g in grades) else
               "partly reproduced" if "below" in grades else
               "not reproduced" if "above" in grades else "inconclusive")
    return Claim(key, task, quote or QUOTES.get(key, ""),
                 f"separation ratio (between-class / within-class mean distance) of topology and geometry "
                 f"({GEOMETRY}), panel subsets", "; ".join(parts),
                 "topology ratio minus SVCCA ratio: its 95% bootstrap interval below 0 for every label (partly: for "
                 "one; not reproduced: above 0 for one and below for none; otherwise inconclusive)", verdict)


def architecture_beyond_size(key: str, task: str, comparison, distance: str) -> Claim:
    """Beyond the paper's text, its design: size (64/128/256 units) varies *inside* every
    cluster of its MDS panels.  Is geometry further apart between architectures (same
    activation, size and L2) than across sizes within a class (same L2)?  ``comparison``:
    :func:`universality.sizes.compare` on the ``distance`` matrix, whose decision, with the
    margin fixed there, is the verdict: 'architecture more' reproduced, 'size more' or
    'comparable' not reproduced (size then moves geometry as much as architecture does),
    'inconclusive' inconclusive; a population of one size (or no L2 value trained at two
    sizes) is not tested."""
    c = comparison
    if c.decision == "not computed":
        return Claim(key, task, QUOTES["beyond.size"], "geometry across sizes vs between architectures",
                     f"no L2 value trained at two sizes (sizes {list(c.sizes)})", "", "not tested")
    verdict = {"architecture more": "reproduced", "size more": "not reproduced", "comparable": "not reproduced",
               "inconclusive": "inconclusive"}[c.decision]
    m, e = c.means, c.effect
    return Claim(key, task, QUOTES["beyond.size"],
                 f"{distance}: log(mean distance across sizes within a class / mean distance between "
                 "architectures at one size), the same activation and L2 in both",
                 f"across sizes {m['size']:.3f}, between architectures {m['architecture']:.3f} (seeds {m['seed']:.3f}): "
                 f"log ratio {e.estimate:+.2f} [{e.low:+.2f}, {e.high:+.2f}] (n = {c.n_networks}): {c.decision}",
                 f"the log ratio's 95% bootstrap interval below 0 (above 0, or inside +-{c.margin:.3f}: not "
                 "reproduced; otherwise inconclusive)", verdict)


# ------------------------------------------------------------------------ Appendix C


def all_networks_train(tables: Mapping[str, pd.DataFrame]) -> Claim:
    """Section 2.1 / Appendix C: every network reaches low error.  ``tables``: task -> the
    population table (every network, with ``meets_criterion`` and ``diverged``); the
    criterion is each task's (:mod:`universality.quality`)."""
    parts, ok, n = [], 0, 0
    for task, t in tables.items():
        good = t.meets_criterion.astype(bool) & ~t.diverged.astype(bool)
        ok, n = ok + int(good.sum()), n + len(t)
        parts.append(f"{task} {int(good.sum())} of {len(t)} ({good.mean():.1%})")
    share = ok / n if n else np.nan
    # one decimal: a share rounded to the grade's threshold (89.6% as '90%') would print a
    # number that contradicts its verdict
    return Claim("appC.losses", "all", QUOTES["appC.losses"], "networks meeting their task's quality criterion",
                 f"{ok} of {n} ({share:.1%}): " + ", ".join(parts),
                 "every network (partly: at least 90%)", grade(share, 1.0, 0.9) if n else "not tested")


# ------------------------------------------------------------------------ Appendix E


def cka_agrees_with_svcca(tables: Mapping[str, pd.DataFrame], svcca: str = GEOMETRY) -> Claim:
    """Appendix E: CKA and SVCCA reach the same clustering conclusions.  ``tables``: task
    -> statistics.clustering_table with ``svcca`` and 'cka' rows; compared: the decision
    each reaches on each label's panel subset ('clusters', 'does not cluster',
    'inconclusive'; :mod:`universality.effects`)."""
    cells, agree = [], 0
    for task, t in tables.items():
        for label in ("arch", "activation"):
            a, b = _rows(t, svcca, label).get("panel"), _rows(t, "cka", label).get("panel")
            if a is None or b is None:
                continue
            same = a.decision == b.decision
            agree += same
            cells.append(f"{task}/{label}: SVCCA {a.nn_effect:+.2f} [{a.nn_low:+.2f}, {a.nn_high:+.2f}] "
                         f"{a.decision}, CKA {b.nn_effect:+.2f} [{b.nn_low:+.2f}, {b.nn_high:+.2f}] {b.decision}"
                         + ("" if same else " (differ)"))
    share = agree / len(cells) if cells else np.nan
    return Claim("appE.cka", "all", QUOTES["appE.cka"],
                 f"same clustering decision under {svcca} and CKA, panel subsets",
                 f"{agree} of {len(cells)} agree: " + "; ".join(cells),
                 "all agree (partly: at least half)", grade(share, 1.0, 0.5) if cells else "not tested")
