"""A nonlinear cell with additive Gaussian noise and a read-out: the state-space model the EKF/UKF estimate."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _validate as v
from .._model import Model, register_model
from .base import Cell

__all__ = ["NoisyCell"]


@register_model
@dataclass(frozen=True, eq=False, repr=False)
class NoisyCell(Model):
    r"""A nonlinear cell with additive Gaussian noise, observed through a read-out: a nonlinear state-space model.

    .. math::

        s_t = f(x_t, s_{t-1}) + \eta_t, \quad \eta_t \sim N(0, Q), \qquad
        y_t = V s_t + d + \varepsilon_t \ \text{(or } g(s_t) + \varepsilon_t), \quad \varepsilon_t \sim N(0, R),

    with ``s_0 ~ N(h0, P0)`` (the prior *before* step 1, as for :class:`~rnnss.LinearRNN`). ``f`` is the
    cell's step; for an LSTM the state is ``[h; c]``.

    Parameters
    ----------
    cell : Cell
        The deterministic recurrence ``f``.
    Q : array_like, shape (S, S) or scalar
        Process-noise covariance (symmetric PSD; a scalar ``q`` means ``q I``).
    R : array_like, shape (m, m) or scalar
        Observation-noise covariance (symmetric PSD).
    V : array_like, shape (m, S), optional
        Linear read-out. Default: the hidden part of the state (``I`` for most cells, ``[I, 0]`` for an
        LSTM). Not allowed together with ``readout``.
    d : array_like, shape (m,), optional
        Output bias of the linear read-out (default zeros).
    readout : callable, optional
        Nonlinear read-out ``g(s) -> y`` of one state ``(S,) -> (m,)``, instead of ``V, d``.
    readout_jacobian : callable, optional
        ``dg/ds`` of one state, ``(S,) -> (m, S)``; needed by the extended filter with a callable read-out
        (checked against central differences at ``h0``).
    h0 : array_like, shape (S,), optional
        Prior mean of the state before step 1 (default zeros).
    P0 : array_like, shape (S, S) or scalar, optional
        Prior covariance (default zeros: ``s_0`` known).

    Raises
    ------
    TypeError
        If ``cell`` is not a cell, ``readout``/``readout_jacobian`` are not callables, or a parameter is not numeric.
    DimensionError
        If a matrix has the wrong shape or the read-out returns the wrong shape.
    ValueError
        If a covariance is not symmetric PSD, an entry is not finite, both ``V`` and ``readout`` are given,
        or ``readout_jacobian`` disagrees with finite differences of ``readout``.

    Examples
    --------
    >>> from rnnss import ElmanCell
    >>> from rnnss import NoisyCell
    >>> model = NoisyCell(ElmanCell(W=[[1.5]]), Q=0.01, R=0.1, P0=1.0)
    >>> model.n_outputs, model.state_size
    (1, 1)
    """

    cell: Cell
    Q: Any
    R: Any
    V: Any = None
    d: Any = None
    readout: Callable[[np.ndarray], np.ndarray] | None = None
    readout_jacobian: Callable[[np.ndarray], np.ndarray] | None = None
    h0: Any = None
    P0: Any = None

    def __post_init__(self) -> None:
        if not isinstance(self.cell, Cell):
            raise TypeError(f"cell must be an rnnss cell (rnnss.Cell); got {type(self.cell).__name__}")
        S = self.cell.state_size
        h0 = np.zeros(S) if self.h0 is None else v.as_vector("h0", self.h0, S)
        P0 = np.zeros((S, S)) if self.P0 is None else v.as_psd("P0", self.P0, S)
        if self.readout is None:
            if self.readout_jacobian is not None:
                raise ValueError("readout_jacobian is only used with a callable readout")
            if self.V is None:
                V = np.zeros((self.cell.n_hidden, S))
                V[np.arange(self.cell.n_hidden), np.arange(self.cell.n_hidden)] = 1.0  # the h part of the state
            else:
                V = v.as_matrix("V", self.V, (None, S))
            if V.shape[0] == 0:
                raise v.DimensionError(f"V must have at least one output row; got shape (0, {S})")
            m = V.shape[0]
            d = np.zeros(m) if self.d is None else v.as_vector("d", self.d, m)
            object.__setattr__(self, "V", v.freeze(V))
            object.__setattr__(self, "d", v.freeze(d))
        else:
            if self.V is not None or self.d is not None:
                raise ValueError("give either a linear read-out (V, d) or a callable readout, not both")
            if not callable(self.readout):
                raise TypeError(f"readout must be a callable g(s) -> y; got {type(self.readout).__name__}")
            y0 = v.as_float_array("readout(h0)", self.readout(h0.copy()))
            if y0.ndim != 1 or y0.size == 0:
                raise v.DimensionError(
                    f"readout must map a state of shape ({S},) to a vector of shape (m,); got shape {y0.shape}"
                )
            v.check_finite("readout(h0)", y0)
            m = y0.size
            if self.readout_jacobian is not None:
                if not callable(self.readout_jacobian):
                    raise TypeError(
                        f"readout_jacobian must be a callable s -> dg/ds; got {type(self.readout_jacobian).__name__}"
                    )
                G = v.as_float_array("readout_jacobian(h0)", self.readout_jacobian(h0.copy()))
                if G.shape != (m, S):
                    raise v.DimensionError(f"readout_jacobian must return shape ({m}, {S}); got shape {G.shape}")
                # Central differences, error O(eps^2): a wrong Jacobian would silently bias the EKF.
                eps = 1e-6
                fd = np.stack(
                    [
                        (np.asarray(self.readout(h0 + eps * e), float) - np.asarray(self.readout(h0 - eps * e), float))
                        / (2 * eps)
                        for e in np.eye(S)
                    ],
                    axis=1,
                )
                if np.max(np.abs(G - fd)) > 1e-5 * (1.0 + np.max(np.abs(fd))):
                    raise ValueError(
                        f"readout_jacobian disagrees with central differences of readout at h0 "
                        f"(max abs difference {np.max(np.abs(G - fd)):.3g})"
                    )
        object.__setattr__(self, "Q", v.freeze(v.as_psd("Q", self.Q, S)))
        object.__setattr__(self, "R", v.freeze(v.as_psd("R", self.R, m)))
        object.__setattr__(self, "h0", v.freeze(h0))
        object.__setattr__(self, "P0", v.freeze(P0))

    @property
    def state_size(self) -> int:
        """Length ``S`` of the state."""
        return self.cell.state_size

    @property
    def n_outputs(self) -> int:
        """Number of outputs ``m``."""
        return self.R.shape[0]

    @property
    def n_inputs(self) -> int:
        """Number of inputs ``p``."""
        return self.cell.n_inputs

    def observe(self, state: np.ndarray) -> np.ndarray:
        """The noiseless output of one state or a batch: ``(S,) -> (m,)`` or ``(k, S) -> (k, m)``.

        Parameters
        ----------
        state : ndarray, shape (S,) or (k, S)
            States.

        Returns
        -------
        ndarray, shape (m,) or (k, m)
            ``V s + d`` or ``g(s)``.
        """
        s = np.asarray(state, float)
        if self.readout is None:
            return s @ self.V.T + self.d
        if s.ndim == 1:
            return np.asarray(self.readout(s.copy()), float)
        return np.stack([np.asarray(self.readout(row.copy()), float) for row in s])

    def _observation_jacobian(self, state: np.ndarray) -> np.ndarray:
        if self.readout is None:
            return self.V
        if self.readout_jacobian is None:
            raise TypeError("the extended Kalman filter needs readout_jacobian with a callable readout")
        return np.asarray(self.readout_jacobian(state.copy()), float)

    def __repr__(self) -> str:
        out = "callable readout" if self.readout is not None else "linear readout"
        return f"NoisyCell({self.cell!r}, S={self.state_size}, m={self.n_outputs}, {out})"
