"""One study per task: everything the book measures about a task, declared in one module.

* :mod:`~universality.studies.flipflop` (Fig. 1), :mod:`~universality.studies.sine`
  (Fig. 2), :mod:`~universality.studies.cdi` (Figs. 3 and 4);
* :class:`Study` (:mod:`~universality.studies.base`) says what a study declares;
  :func:`study_for` finds a task's study; :data:`STUDIES` holds them by task name.

A new task is a :class:`~universality.tasks.Task` in :mod:`universality.tasks` and a
study module here that subclasses :class:`Study` and calls :func:`register`.
"""

from . import cdi, flipflop, sine
from .base import STUDIES, ClaimSpec, Study, register, study_for

__all__ = ["Study", "ClaimSpec", "STUDIES", "register", "study_for", "flipflop", "sine", "cdi"]
