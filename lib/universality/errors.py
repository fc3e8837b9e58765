"""The library's errors that are the user's to fix (the command line exits with status 2).

* :class:`ParameterError`: a parameter with a value that is not allowed; the message
  names the parameter, its value as given and what is allowed.  A ``ValueError``, so
  code that catches ``ValueError`` keeps working.
* :class:`DataError`: a file or address the user pointed at that cannot be used (a damaged
  network file, a manifest that is not JSON, a scheduler nobody listens at); the message
  names the file or address.
"""

from __future__ import annotations

__all__ = ["ParameterError", "DataError"]


class ParameterError(ValueError):
    """A parameter's value is not allowed (the message says which, and what is)."""


class DataError(ValueError):
    """A file or an address cannot be used (the message names it)."""
