"""The leaky-integrator cell ``h_t = (1 - alpha) h_{t-1} + alpha phi(W h_{t-1} + U x_t + b)``."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import _validate as v
from .._model import register_model
from .elman import _AffineCell

__all__ = ["LeakyCell"]


@register_model
@dataclass(frozen=True, eq=False, repr=False)
class LeakyCell(_AffineCell):
    r"""A leaky-integrator cell: ``h_t = (1 - alpha) h_{t-1} + alpha phi(W h_{t-1} + U x_t + b)``.

    Each unit keeps the fraction ``1 - alpha`` of its previous value: it is the forward-Euler step
    ``dt / tau_c = alpha`` of ``tau_c dh/dt = -h + phi(W h + U x + b)``, a capacitor that integrates its
    drive and leaks. ``alpha = 1`` is the Elman cell; small ``alpha`` gives a long memory, with time
    constant ``tau = -dt / ln(1 - alpha)`` (see :attr:`leak_time_constant`).

    Parameters
    ----------
    W : array_like, shape (n, n)
        Recurrent weights (a scalar is read as a 1x1 matrix).
    U : array_like, shape (n, p), optional
        Input weights. Default: no input (``p = 0``).
    b : array_like, shape (n,), optional
        Bias. Default zeros.
    activation : {"tanh", "relu", "sigmoid", "identity"} or callable
        The elementwise ``phi``; a callable needs ``derivative`` and makes the cell unsaveable.
    derivative : callable, optional
        ``phi'`` for a custom ``activation``.
    alpha : float
        Leak rate in ``(0, 1]`` (keyword-only, required).

    Raises
    ------
    DimensionError
        If ``W``, ``U`` or ``b`` has the wrong shape.
    ValueError
        If ``alpha`` is outside ``(0, 1]``, an entry is not finite, or the activation is invalid.
    TypeError
        If ``alpha`` is not a real number, or the activation is neither a name nor a callable.

    Examples
    --------
    >>> from rnnss import LeakyCell
    >>> cell = LeakyCell(W=[[0.0]], alpha=0.05)
    >>> round(cell.leak_time_constant(dt=0.02), 2)  # f = 0.95 per step at 50 Hz
    0.39
    """

    W: np.ndarray
    U: np.ndarray | None = None
    b: np.ndarray | None = None
    activation: Any = "tanh"
    derivative: Any = None
    alpha: float = field(kw_only=True)
    _act: Any = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._validate_affine()
        alpha = v.as_float("alpha", self.alpha)
        if not 0.0 < alpha <= 1.0:
            raise ValueError(f"alpha must be in (0, 1] (the fraction of the new drive taken per step); got {alpha}")
        object.__setattr__(self, "alpha", alpha)

    @property
    def _alpha(self) -> float:
        return self.alpha

    def leak_time_constant(self, dt: float = 1.0) -> float:
        """Time constant ``tau = -dt / ln(1 - alpha)`` of the leak alone (0 for ``alpha = 1``).

        Parameters
        ----------
        dt : float, default 1
            Sampling interval; the result is in its units.

        Returns
        -------
        float
            The e-folding time of a state left to the leak (``phi`` term held fixed).
        """
        dt = v.as_float("dt", dt, positive=True)
        return 0.0 if self.alpha == 1.0 else -dt / math.log1p(-self.alpha)

    def _repr_extra(self) -> str:
        return f", alpha={self.alpha:g}"
