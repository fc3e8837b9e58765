"""What a study is: everything the book measures about one task, declared in one place.

A :class:`Study` belongs to one task (its name is the task's, as in
:data:`universality.tasks.TASKS`) and declares

* the trials its representations are taken on (:meth:`Study.representation_trials`);
* its fixed-point and DSA presets (:meth:`Study.fixed_point_config`, :meth:`Study.dsa_config`);
* how its fixed-point topology is built (:meth:`Study.topologies`) and which options that
  takes (:attr:`Study.options`);
* its linearisation tables (:meth:`Study.linear`);
* its claims: each a key, the paper's sentence and an evaluator over the evidence
  (:attr:`Study.claims`, :class:`ClaimSpec`).

:func:`universality.evidence.gather` and :func:`universality.evidence.judge` are loops
over these declarations, so a new task is one new study module, and no code outside the
studies asks which task it is looking at.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np

from ..errors import ParameterError

__all__ = ["ClaimSpec", "Study", "register", "study_for", "STUDIES"]


@dataclass(frozen=True)
class ClaimSpec:
    """One claim of the paper a study checks: its key, the paper's sentence (verbatim),
    and ``evaluate(evidence, spec) -> Claim | list[Claim]``."""

    key: str
    quote: str
    evaluate: Callable


class Study:
    """The measurements of one task (subclass per task; see the module docstring)."""

    #: the task's name (:data:`universality.tasks.TASKS`)
    task: str = ""
    #: the share of a page's ``n_trials`` the representations are taken on
    trial_share: float = 1.0
    #: fields of :class:`~universality.fixed_points.FixedPointConfig` that differ from its defaults
    fixed_point_preset: Mapping = {}
    #: more fixed-point searches a claim needs: name -> fields changed from the preset
    #: (e.g. the flip-flop's approximate fixed points, q <= 1e-6 instead of exact ones)
    fixed_point_variants: Mapping = {}
    #: fields of :class:`~universality.dynamics_similarity.DSAConfig` that differ from its defaults
    dsa_preset: Mapping = {}
    #: the topology options :meth:`topologies` takes, with their defaults
    options: Mapping = {}
    #: the paper's claims about this task
    claims: tuple = ()
    #: topology principles that are the paper's own procedure (named ', paper' in tables)
    paper_principles: tuple = ()

    # ---------------------------------------------------------------- declarations

    def representation_trials(self, task, n_trials: int, seed: int) -> np.ndarray:
        """The inputs (B, T, M) every network's representation is taken on: the task's own
        random trials, ``max(1, floor(n_trials * trial_share))`` of them, drawn from ``seed``."""
        n = max(1, int(n_trials * self.trial_share))
        return task.sample(np.random.default_rng(seed), n).inputs_btm

    def fixed_point_config(self, **overrides):
        """The fixed-point search's settings for this task (the preset, then ``overrides``)."""
        from ..fixed_points import FixedPointConfig

        return FixedPointConfig(**{**dict(self.fixed_point_preset), **overrides})

    def dsa_config(self, **overrides):
        """DSA's settings for this task (the preset, then ``overrides``)."""
        from ..dynamics_similarity import DSAConfig

        return DSAConfig(**{**dict(self.dsa_preset), **overrides})

    def check_options(self, options: Mapping) -> dict:
        """The study's topology options with ``options`` applied; an unknown one is an error."""
        unknown = sorted(set(options) - set(self.options))
        if unknown:
            raise ParameterError(f"{unknown[0]}={options[unknown[0]]!r} is not an option of the {self.task} study; "
                                 f"its options are {tuple(self.options)!r}")
        return {**dict(self.options), **{k: v for k, v in options.items() if v is not None}}

    # ------------------------------------------------------------------- measures

    def topologies(self, population, fps, workspace, **options) -> dict:
        """``name -> Topology`` of the population's fixed points (the book's first)."""
        raise NotImplementedError

    def topology_distances(self, topologies: Mapping) -> dict:
        """Every topology distance matrix the statistics use, by name: 'topology' for the
        book's (the first), then 'topology (<principle>)'."""
        out = {}
        for i, (p, t) in enumerate(topologies.items()):
            out["topology" if i == 0 else f"topology ({p}{', paper' if p in self.paper_principles else ''})"] = \
                t.distances
        return out

    def linear(self, population, fps) -> dict:
        """``name -> table`` of the linearised dynamics (none by default)."""
        return {}

    def judge(self, evidence) -> list:
        """The study's claims, evaluated on ``evidence``."""
        out = []
        for spec in self.claims:
            got = spec.evaluate(evidence, spec)
            out += got if isinstance(got, list) else [got]
        return out

    def extra_claims(self, population, n_trials: int, variance_kept: float, seed: int, workspace) -> list:
        """Claims that need more than the evidence of :func:`~universality.evidence.gather`
        (the CDI study's Figure 4 compares trained with untrained networks)."""
        return []

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of task {self.task!r}>"


STUDIES: dict[str, Study] = {}


def register(study: Study) -> Study:
    """Add ``study`` to :data:`STUDIES` under its task's name."""
    from ..tasks import TASKS

    if study.task not in TASKS:
        raise ParameterError(f"study task={study.task!r} is not one of {tuple(TASKS)!r}")
    STUDIES[study.task] = study
    return study


def study_for(task) -> Study:
    """The study of a task (a :class:`~universality.tasks.Task` or its name)."""
    name = getattr(task, "name", task)
    if name not in STUDIES:
        raise ParameterError(f"task={name!r} has no study; studies exist for {tuple(STUDIES)!r}")
    return STUDIES[name]
