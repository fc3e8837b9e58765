"""Figures: the only modules that import matplotlib (and plotly).  One function per panel.

Colours are fixed project-wide: one colour per architecture (:data:`ARCH_COLORS`) and one
per activation (:data:`ACTIVATION_COLORS`), the same on every page.  :mod:`.core` holds the
panels every page draws, :mod:`.panels` the ones of a single figure and the interactive
3-D views, :mod:`.placement` a user's network among a population.
"""

from .core import *  # noqa: F401,F403
from .core import __all__ as _core
from .panels import *  # noqa: F401,F403
from .panels import __all__ as _panels
from .placement import *  # noqa: F401,F403
from .placement import __all__ as _placement

__all__ = [*_core, *_panels, *_placement]
