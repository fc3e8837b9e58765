"""universality: an executable reproduction of Maheswaranathan, Williams, Golub, Ganguli &
Sussillo, "Universality and individuality in neural dynamics across large populations of
recurrent networks" (NeurIPS 2019).

Modules (one concept each): ``cells``, ``tasks``, ``training``, ``population``, ``store``,
``fixed_points``, ``topology``, ``linear``, ``similarity``, ``embedding``, ``plotting``.
Importing the package does not import TensorFlow; the modules that need it do.
"""

__version__ = "0.1.0"
