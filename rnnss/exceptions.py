"""Exception and warning types raised by rnnss, each a subclass of the builtin a user would catch."""

from __future__ import annotations

import numpy as np

__all__ = [
    "DimensionError",
    "NotStableError",
    "NumericalError",
    "IllConditionedError",
    "StructureError",
    "NotDetectableError",
    "NotStabilizableError",
    "NotReachableError",
    "FileFormatError",
    "ConvergenceWarning",
    "IllConditionedWarning",
]


class DimensionError(ValueError):
    """An array argument has the wrong number of dimensions or the wrong shape."""


class NotStableError(ValueError):
    """The operation needs a stable recurrence (spectral radius of ``W`` below one)."""


class NumericalError(np.linalg.LinAlgError):
    """A numerical computation failed (singular matrix, no stabilising solution, ...).

    Subclasses :class:`numpy.linalg.LinAlgError` (itself a :class:`ValueError`), so code
    that already catches NumPy's linear-algebra failures catches these too.
    """


class IllConditionedError(NumericalError):
    """A matrix is too ill-conditioned for the requested accuracy.

    Attributes
    ----------
    condition_number : float
        The 2-norm condition number that triggered the error.
    """

    def __init__(self, message: str, condition_number: float = float("nan")):
        super().__init__(message)
        self.condition_number = condition_number


class StructureError(ValueError):
    """The system lacks a structural property (detectability, stabilisability, reachability)."""


class NotDetectableError(StructureError):
    """An unstable mode of ``W`` cannot be seen in the outputs ``y = V h``."""


class NotStabilizableError(StructureError):
    """An unstable mode of ``W`` is not excited by the process noise ``Q`` (or the input)."""


class NotReachableError(StructureError):
    """A requested hidden state cannot be reached with the available inputs."""


class FileFormatError(ValueError):
    """A file is not what it should be: a corrupt, truncated, tampered or hand-edited model or data file.

    The message names the file and the problem (and, for data files, the line and column).

    Attributes
    ----------
    path : str or None
        The offending file.
    """

    def __init__(self, message: str, path: str | None = None):
        super().__init__(message)
        self.path = path


class ConvergenceWarning(UserWarning):
    """An iterative method stopped before meeting its tolerance."""


class IllConditionedWarning(UserWarning):
    """A result was computed but a condition number says it may be inaccurate."""
