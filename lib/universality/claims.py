"""The paper's claims as code: a statistic, its uncertainty, a criterion, a verdict.

Every claim the book checks is a function here.  It takes numbers the analyses computed
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

__all__ = ["VERDICTS", "ALPHA", "MOST", "SOME", "Claim", "scorecard", "clusters", "does_not_cluster",
           "topology_more_similar_than_geometry", "fixed_point_structure", "one_unstable_oscillation",
           "frequency_alignment", "did_not_train", "line_attractors", "integration_modes",
           "trained_untrained_relu", "untrained_closer_example", "cka_agrees_with_svcca", "QUOTES"]

VERDICTS = ("reproduced", "partly reproduced", "not reproduced", "not tested")
ALPHA = 0.05
MOST = 0.9
SOME = 0.5

#: The paper's sentences, verbatim (NeurIPS 2019 text; '2^3' is a superscript there).
QUOTES = {
    "fig1.structure": "The network solves the task by encoding all 2^3 possible outputs as 8 stable fixed points. "
                      "[...] Networks with different numbers of fixed points than the modal number were discarded "
                      "(less than 10% of the population).",
    "fig1.geometry": "While these example trajectories look qualitatively similar across architectures, SVCCA "
                     "revealed systematic differences. [Fig. 1d:] showing clustering based on RNN architecture "
                     "(left) and activation function (right).",
    "fig1.topology_vs_geometry": "the topological representation of a network using fixed point structure is more "
                                 "similar across architectures (left) and activation functions (right) than the "
                                 "geometry of the network is",
    "fig1.topology_arch": "Using this topological measure of RNN similarity, we find that all architectures "
                          "converge to very similar solutions as shown by an MDS embedding of the fixed point "
                          "graph (Fig. 1f).",
    "fig2.geometry": "These SVCCA MDS summaries show systematic differences in the representations across both "
                     "architecture and activation.",
    "fig2.oscillation": "we found for each input frequency a single input-dependent fixed point (Fig. 2d, left). We "
                        "studied the linearized dynamics around each fixed point and found a single pair of "
                        "imaginary eigenvalues, representing a mildly unstable oscillatory mode",
    "fig2.frequency": "We compared the frequency of the linear model to the input frequency and found generally "
                      "good alignment. We averaged the linear frequency across all networks within architecture "
                      "or activation and found small, but systematic differences (Fig. 2f).",
    "fig2.topology": "Embeddings of the topological structure of the input-dependent fixed points did not reveal "
                     "any structure that systematically varied by architecture or activation (Fig. 2e).",
    "fig2.lstm_relu": "LSTM with ReLU did not train effectively, so we excluded it",
    "fig3.geometry": "The MDS summary plot of the SVCCA distances of the representations is shown in Fig. 3c, again "
                     "showing systematic clustering as a function of architecture (left) and activation (right).",
    "fig3.lines": "The fixed points (black dots) show approximate line attractors for all RNN architectures and "
                  "nonlinearities.",
    "fig3.topology": "The MDS summary plot did not cluster strongly by architecture, but did cluster based on "
                     "activation.",
    "fig3.modes": "These plots indicate that the vanilla RNN (blue) uses a single mode to perform the integration, "
                  "while the gated architectures distribute this across a larger number of linear modes. [...] "
                  "the gated architectures had many more eigenvalues near 1 (Fig. 3e)",
    "fig4.groups": "MDS plot of SVCCA-based distances for many trained and untrained networks, showing that "
                   "trained and untrained relu networks are more similar to each other on average than to tanh "
                   "networks.",
    "fig4.example": "We found that the average canonical correlation between trained and untrained networks can be "
                    "larger than between trained RNNs with different nonlinearities.",
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

    def render(self) -> str:
        """Plain text for a page: the quote, the number, the verdict."""
        lines = [f'[{self.key}] The paper: "{self.quote}"', f"  measured: {self.statistic}: {self.value}",
                 f"  criterion: {self.criterion}", f"  verdict: {self.verdict.upper()}"]
        if self.note:
            lines.append(f"  note: {self.note}")
        return "\n".join(lines)


def scorecard(claims: Sequence[Claim]) -> pd.DataFrame:
    """The claims as a table (one row each), in the order given."""
    return pd.DataFrame([asdict(c) for c in claims]).set_index("key")


def _grade(share: float, most: float = MOST, some: float = SOME) -> str:
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
    return Claim(f"{key} [{label}]", task, quote or QUOTES[key], f"{distance} nearest-neighbour accuracy by {label}",
                 _fmt_nn(rows), f"accuracy above its permutation null (p < {ALPHA}) on the panel subset and on all "
                 "networks", verdict)


def does_not_cluster(key: str, task: str, table: pd.DataFrame, distance: str, label: str,
                     quote: str | None = None, note: str = "") -> Claim:
    """The claim "``distance`` does not cluster the networks by ``label``"."""
    rows = _rows(table, distance, label)
    flat = [r.p_value >= ALPHA for r in rows.values()]
    verdict = ("not tested" if not rows else "reproduced" if all(flat) and len(flat) == 2 else
               "partly reproduced" if any(flat) else "not reproduced")
    return Claim(f"{key} [{label}]", task, quote or QUOTES[key], f"{distance} nearest-neighbour accuracy by {label}",
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
    return Claim(key, task, quote or QUOTES[key],
                 "separation ratio (between-class / within-class mean distance), panel subsets", "; ".join(parts),
                 "topology ratio minus SVCCA ratio below 0 with its 95% bootstrap interval, for both labels", verdict)


# ------------------------------------------------------------------------- flip-flop


def fixed_point_structure(n_stable_corners: Mapping[str, bool], counts: Mapping[str, int], n_bits: int,
                          modal: int | None) -> Claim:
    """Fig. 1e: 2^K stable points (one per output pattern) in (nearly) every network, and
    the modal count shared by over 90% of networks.

    ``n_stable_corners``: network -> True when its stable points are exactly 2^K and read out
    the 2^K distinct sign patterns.
    """
    n = len(counts)
    share_corners = float(np.mean(list(n_stable_corners.values()))) if n else np.nan
    share_modal = float(np.mean([c == modal for c in counts.values()])) if n else np.nan
    verdict = _grade(min(share_corners, share_modal))
    value = (f"{share_corners:.0%} of {n} networks have {2 ** n_bits} stable points on the {2 ** n_bits} corners; "
             f"modal fixed-point count {modal} (a full cube has {3 ** n_bits}) in {share_modal:.0%}")
    return Claim("fig1.structure", "flipflop", QUOTES["fig1.structure"], "stable corners and modal count", value,
                 f"both shares >= {MOST:.0%} (partly: >= {SOME:.0%})", verdict)


# ------------------------------------------------------------------------------ sine


def one_unstable_oscillation(per_condition: pd.DataFrame) -> Claim:
    """Fig. 2d: one fixed point per frequency, its leading mode a mildly unstable
    oscillation.  ``per_condition`` has one row per (network, condition) with columns
    ``n_points`` (fixed points found there) and ``magnitude``/``frequency`` of the leading
    complex pair of the lowest-q point (NaN when real)."""
    n = len(per_condition)
    one = per_condition.n_points == 1
    osc = per_condition.frequency.notna() & (per_condition.magnitude > 1.0)
    mild = osc & (per_condition.magnitude <= 1.1)
    share = float(np.mean(one & osc)) if n else np.nan
    value = (f"of {n} (network, frequency) cases: {one.mean():.0%} have exactly one fixed point, "
             f"{osc.mean():.0%} an unstable complex leading pair (|lambda| > 1), {mild.mean():.0%} with "
             f"1 < |lambda| <= 1.1; both one point and unstable oscillation: {share:.0%}")
    return Claim("fig2.oscillation", "sine", QUOTES["fig2.oscillation"], "fixed points and leading mode per frequency",
                 value, f"one point with an unstable oscillatory leading mode in >= {MOST:.0%} of cases "
                        f"(partly: >= {SOME:.0%})", _grade(share) if n else "not tested")


def frequency_alignment(freqs: pd.DataFrame, n_permutations: int = 1000, seed: int = 0) -> Claim:
    """Fig. 2f: linearised frequency close to the command frequency, with small but
    systematic differences between architectures.

    ``freqs``: one row per (network, condition) with arch, network_id, omega, frequency.
    The per-network offset is the mean of ``frequency / omega - 1`` over its conditions;
    "systematic" is a permutation test of the between-architecture variance of the
    offsets (networks' architecture labels shuffled); "small" is every architecture's
    mean offset within 20%; "good alignment" is a median relative error within 20%.
    """
    ok = freqs.dropna(subset=["frequency"])
    if ok.empty or ok.arch.nunique() < 2:
        return Claim("fig2.frequency", "sine", QUOTES["fig2.frequency"], "linearised vs command frequency",
                     "not computable", "", "not tested")
    rel = (ok.frequency / ok.omega - 1.0)
    med_err = float(rel.abs().median())
    per_net = rel.groupby(ok.network_id).mean()
    arch = ok.groupby("network_id").arch.first().loc[per_net.index].to_numpy()
    x = per_net.to_numpy()
    codes = np.unique(arch, return_inverse=True)[1]

    def between(c):
        means = np.bincount(c, weights=x) / np.bincount(c)
        return float(np.sum(np.bincount(c) * (means - x.mean()) ** 2))

    obs = between(codes)
    rng = np.random.default_rng(seed)
    exceed = sum(between(rng.permutation(codes)) >= obs - 1e-15 for _ in range(n_permutations))
    p = (1 + exceed) / (1 + n_permutations)
    by_arch = pd.Series(x).groupby(arch).agg(["mean", "sem"])
    small = bool((by_arch["mean"].abs() <= 0.2).all())
    good = med_err <= 0.2
    verdict = ("reproduced" if good and small and p < ALPHA else "partly reproduced" if good else "not reproduced")
    value = (f"median |relative error| {med_err:.1%}; mean offset by architecture (95% CI): "
             + ", ".join(f"{a} {m:+.1%} [{m - 1.96 * s:+.1%}, {m + 1.96 * s:+.1%}]" for a, (m, s) in by_arch.iterrows())
             + f"; architecture effect p = {p:.3g}")
    return Claim("fig2.frequency", "sine", QUOTES["fig2.frequency"], "linearised frequency / command frequency - 1",
                 value, f"median |error| <= 20%, every architecture's mean offset within 20%, and the offsets differ "
                        f"by architecture (permutation p < {ALPHA}); partly: alignment only", verdict)


def did_not_train(table: pd.DataFrame, arch: str = "lstm", activation: str = "relu") -> Claim:
    """Sec. 3.2: LSTM-relu did not train on the sine task.  ``table``: the population
    table with ``meets_criterion`` and ``diverged`` (every network, failed ones included)."""
    grp = (table.arch == arch) & (table.activation == activation)
    if not grp.any():
        return Claim("fig2.lstm_relu", "sine", QUOTES["fig2.lstm_relu"], "share meeting the quality criterion",
                     "no such networks", "", "not tested")
    ok = table.meets_criterion.astype(bool) & ~table.diverged.astype(bool)
    share, others = float(ok[grp].mean()), float(ok[~grp].mean()) if (~grp).any() else np.nan
    verdict = "reproduced" if share < 0.5 <= others else "not reproduced" if share >= 0.5 else "partly reproduced"
    return Claim("fig2.lstm_relu", "sine", QUOTES["fig2.lstm_relu"],
                 f"share of {arch}-{activation} networks meeting the quality criterion",
                 f"{share:.0%} of {int(grp.sum())} ({others:.0%} of the other networks)",
                 "reproduced when fewer than half train (and at least half of the others do); not reproduced "
                 "when at least half train", verdict)


# ------------------------------------------------------------------------------- CDI


def line_attractors(lines: pd.DataFrame, min_points: int = 10, min_span: float = 0.5) -> Claim:
    """Fig. 3b: an approximate line attractor per context in every architecture.

    ``lines``: one row per (network, context) with ``n_points`` (slow points on the line,
    leading ``|lambda|`` near 1) and ``span`` (the range of their readouts over the range of
    the probe targets).  A context has a line attractor when at least ``min_points`` slow
    points cover at least ``min_span`` of the targets' range.
    """
    n = len(lines)
    is_line = (lines.n_points >= min_points) & (lines.span >= min_span)
    share = float(is_line.mean()) if n else np.nan
    by = is_line.groupby([lines.arch, lines.activation]).mean() if n and "activation" in lines else \
        is_line.groupby(lines.arch).mean() if n and "arch" in lines else pd.Series(dtype=float)
    value = (f"{share:.0%} of {n} (network, context) cases; by architecture: "
             + ", ".join(f"{'-'.join(np.atleast_1d(a))} {v:.0%}" for a, v in by.items()))
    return Claim("fig3.lines", "cdi", QUOTES["fig3.lines"],
                 f"cases with >= {min_points} slow points whose readouts cover >= {min_span:.0%} of the probe "
                 "targets' range", value, f">= {MOST:.0%} of cases (partly: >= {SOME:.0%})", _grade(share))


def integration_modes(modes: pd.DataFrame, near_one: pd.DataFrame) -> Claim:
    """Fig. 3e-f: Vanilla integrates with one mode, the gated architectures with more,
    and they have more eigenvalues near 1.

    ``modes``: one row per (network, context) with arch and ``modes_90`` (modes needed to
    reach 90% of the full linearised response); ``near_one``: one row per (network,
    context) with arch and ``n_near_one`` (eigenvalues within the stated distance of 1).
    """
    if modes.empty or "vanilla" not in set(modes.arch):
        return Claim("fig3.modes", "cdi", QUOTES["fig3.modes"], "modes to 90% of the response", "not computable", "",
                     "not tested")
    m = modes.groupby("arch").modes_90.median()
    e = near_one.groupby("arch").n_near_one.median()
    gated = [a for a in m.index if a != "vanilla"]
    one_mode = m["vanilla"] <= 1
    more_modes = all(m[a] > m["vanilla"] for a in gated)
    more_eigs = all(e.get(a, np.nan) > e.get("vanilla", np.nan) for a in gated)
    score = sum([bool(one_mode), bool(more_modes), bool(more_eigs)])
    verdict = "reproduced" if score == 3 else "partly reproduced" if score >= 1 else "not reproduced"
    value = ("median modes to 90% of the full response: " + ", ".join(f"{a} {v:g}" for a, v in m.items())
             + "; median (over network x context) of the mean number of eigenvalues within 0.05 of |lambda| = 1 "
               "per slow point: " + ", ".join(f"{a} {v:.2f}" for a, v in e.items()))
    return Claim("fig3.modes", "cdi", QUOTES["fig3.modes"], "modes used and eigenvalues near 1, by architecture",
                 value, "Vanilla's median is 1 mode, every gated architecture needs more, and has more eigenvalues "
                        "near 1 (partly: one or two of the three)", verdict)


# -------------------------------------------------------------------------- Figure 4


def trained_untrained_relu(group_means: pd.DataFrame, intervals: Mapping[str, tuple] | None = None) -> Claim:
    """Fig. 4b: trained and untrained relu networks closer to each other than to tanh.

    ``group_means``: mean SVCCA distance between groups, indexed and columned by names
    containing 'relu'/'tanh' and 'trained'/'untrained' (:func:`analysis.group_mean_distances`
    with ``by=('activation', 'state')``, names like 'relu trained').  Compared: d(relu
    trained, relu untrained) against d(relu trained, tanh trained) and d(relu untrained,
    tanh trained); ``intervals`` may give bootstrap intervals of the two differences.
    """
    g = group_means
    need = ["relu trained", "relu untrained", "tanh trained"]
    if any(n not in g.index for n in need):
        return Claim("fig4.groups", "cdi", QUOTES["fig4.groups"], "group mean SVCCA distances", "not computable",
                     "", "not tested")
    rr = g.loc["relu trained", "relu untrained"]
    rt = g.loc["relu trained", "tanh trained"]
    ut = g.loc["relu untrained", "tanh trained"]
    wins = int(rr < rt) + int(rr < ut)
    verdict = "reproduced" if wins == 2 else "partly reproduced" if wins == 1 else "not reproduced"
    extra = ""
    if intervals:
        extra = "; " + ", ".join(f"{k} [{lo:+.2f}, {hi:+.2f}]" for k, (lo, hi) in intervals.items())
    value = (f"d(relu trained, relu untrained) = {rr:.2f}; d(relu trained, tanh trained) = {rt:.2f}; "
             f"d(relu untrained, tanh trained) = {ut:.2f}{extra}")
    return Claim("fig4.groups", "cdi", QUOTES["fig4.groups"], "mean SVCCA distance between groups", value,
                 "trained-untrained relu distance below both relu-tanh distances (partly: below one)", verdict)


def untrained_closer_example(share: float, n_quadruples: int, example: str = "") -> Claim:
    """Fig. 4a: an untrained network can be closer (SVCCA) to a trained tanh network than
    a trained relu network is.  ``share``: fraction of (trained tanh, trained relu,
    untrained tanh, untrained relu) quadruples where both untrained networks are closer to
    the trained tanh network than the trained relu one is."""
    verdict = "not tested" if n_quadruples == 0 else "reproduced" if share > 0 else "not reproduced"
    return Claim("fig4.example", "cdi", QUOTES["fig4.example"], "quadruples where both untrained networks correlate "
                 "better with the trained tanh network than the trained relu network does",
                 f"{share:.0%} of {n_quadruples}" + (f"; {example}" if example else ""),
                 "the paper's claim is that this can happen: at least one quadruple", verdict)


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
                 "all agree (partly: at least half)", _grade(share, 1.0, 0.5) if cells else "not tested")
