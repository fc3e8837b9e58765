"""How stable a verdict is: the same claims judged again on parts of the population.

A verdict computed on 64 or 128 networks may follow the particular networks drawn.  For
every claim judged on a task's evidence (:func:`universality.evidence.judge`) this module
judges it again

* on two disjoint **halves split by seed** (the lower half of the seed values against the
  upper half: every arch x activation x size x L2 configuration in both), and
* on ``n_resamples`` random **subsamples** of ``fraction`` of the networks of every
  arch x activation class, drawn without replacement (a subsampling bootstrap: a network
  drawn twice would be its own nearest neighbour at distance 0);

and reports the verdict of each half, whether the halves agree with each other
(``stable``), and the share of subsamples that give the verdict of the whole population
(``agreement``).  The statistics of a resample are computed with ``n_boot`` bootstrap
resamples and ``n_permutations`` shuffles (fewer than the whole population's).
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

__all__ = ["seed_halves", "subsamples", "resampled_verdicts"]


def seed_halves(table: pd.DataFrame) -> tuple[list, list]:
    """The networks of the lower and of the upper half of the seed values."""
    seeds = sorted(set(int(s) for s in table.seed))
    low = set(seeds[: max(1, len(seeds) // 2)])
    a = [i for i, s in table.seed.items() if int(s) in low]
    return a, [i for i in table.index if i not in set(a)]


def subsamples(table: pd.DataFrame, n: int, fraction: float, seed: int):
    """``n`` subsamples of ``fraction`` of each arch x activation class (at least one
    network each), without replacement; a generator of id lists."""
    rng = np.random.default_rng(seed)
    groups = [list(rows.index) for _, rows in table.groupby(["arch", "activation"], sort=True)]
    for _ in range(n):
        out = []
        for g in groups:
            k = max(1, int(round(fraction * len(g))))
            out += list(rng.choice(np.array(g, dtype=object), size=k, replace=False))
        yield out


def resampled_verdicts(evidences: Mapping[str, object], judge, card: pd.DataFrame | None = None,
                       n_resamples: int = 20, fraction: float = 0.75, seed: int = 0, n_boot: int = 200,
                       n_permutations: int = 200) -> pd.DataFrame:
    """Per claim key: the verdicts of the two seed halves, ``stable`` (they agree), and
    ``agreement``, the share of subsamples whose verdict is the whole population's (from
    ``card``, a scorecard, or judged here on the whole evidence).  ``judge(evidence) ->
    claims`` is :func:`universality.evidence.judge`.  Claims not judged on the evidence
    (e.g. Fig. 4's) get no row."""
    from . import claims

    whole = {c.key: c.verdict for ev in evidences.values() for c in judge(ev)}
    if card is not None:
        whole.update({k: v for k, v in card.verdict.items() if k in whole})

    def verdicts(parts):
        out, tables = {}, {}
        for task, (ev, ids) in parts.items():
            sub = ev.subset(ids, n_permutations=n_permutations, seed=seed, n_boot=n_boot)
            out.update({c.key: c.verdict for c in judge(sub)})
            tables[task] = sub.clustering
        cka = claims.cka_agrees_with_svcca(tables)
        out[cka.key] = cka.verdict
        return out

    halves = [verdicts({t: (ev, seed_halves(ev.population.table)[h]) for t, ev in evidences.items()})
              for h in (0, 1)]
    draws = {t: list(subsamples(ev.population.table, n_resamples, fraction, seed)) for t, ev in evidences.items()}
    resamples = [verdicts({t: (ev, draws[t][r]) for t, ev in evidences.items()}) for r in range(n_resamples)]
    if card is not None and "appE.cka" in card.index:
        whole["appE.cka"] = card.loc["appE.cka", "verdict"]
    rows = []
    for key, v in whole.items():
        a, b = halves[0].get(key, "not tested"), halves[1].get(key, "not tested")
        agree = np.mean([r.get(key) == v for r in resamples]) if resamples else np.nan
        rows.append({"key": key, "verdict": v, "half_low_seeds": a, "half_high_seeds": b, "stable": a == b,
                     "agreement": float(agree)})
    return pd.DataFrame(rows).set_index("key")
