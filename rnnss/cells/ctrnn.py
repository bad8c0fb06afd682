"""The continuous-time RNN ``tau dh/dt = -h + phi(W h + U x + b)`` and its forward-Euler cell."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import _validate as v
from .._model import Model, register_model
from .base import Cell
from .elman import ACTIVATIONS, _resolve_activation

__all__ = ["CTRNN", "EulerCTRNNCell"]


def _validate_ctrnn(obj: Any) -> None:
    """Shared checks of ``W, U, b, tau, activation``: arrays frozen, ``tau`` broadcast to ``(n,)``."""
    W = v.as_square("W", obj.W, allow_scalar=True)
    n = W.shape[0]
    if n == 0:
        raise v.DimensionError("W must have at least one hidden unit; got shape (0, 0)")
    U = np.zeros((n, 0)) if obj.U is None else v.as_matrix("U", obj.U, (n, None))
    b = np.zeros(n) if obj.b is None else v.as_vector("b", obj.b, n)
    tau = v.as_float_array("tau", obj.tau)
    if tau.ndim == 0:
        tau = np.full(n, float(tau))
    if tau.shape != (n,):
        raise v.DimensionError(
            f"tau must be a scalar or have shape ({n},), one time constant per unit; got {tau.shape}"
        )
    v.check_finite("tau", tau)
    if np.any(tau <= 0):
        raise ValueError(f"tau must be > 0 (time constants); got {tau[tau <= 0][0]}")
    for name, arr in (("W", W), ("U", U), ("b", b), ("tau", tau)):
        object.__setattr__(obj, name, v.freeze(arr))
    object.__setattr__(obj, "_act", _resolve_activation(obj.activation, obj.derivative))


def _save_fields(obj: Any) -> dict[str, Any]:
    if not isinstance(obj.activation, str):
        raise TypeError(
            f"cannot save a {type(obj).__name__} with a custom activation ({obj._act.name}): Python callables are "
            f"not saveable; only the named activations {', '.join(map(repr, ACTIVATIONS))} are"
        )
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj) if f.init}


@register_model
@dataclass(frozen=True, eq=False, repr=False)
class CTRNN(Model):
    r"""A continuous-time recurrent network ``tau dh/dt = -h + phi(W h + U x(t) + b)``.

    Each unit relaxes towards its drive ``phi(W h + U x + b)`` with its own time constant ``tau_i``
    (Hopfield 1984; Beer 1995). Its equilibria are the fixed points ``h* = phi(W h* + U x + b)`` of the
    Elman cell with the same weights, and its forward-Euler step of size ``dt`` is the leaky cell with
    ``alpha = dt / tau`` (:meth:`euler`). :func:`rnnss.integrate` solves it at arbitrary times with
    scipy's ``solve_ivp``; :func:`rnnss.euler_comparison` measures when the Euler cell stops following it.

    Parameters
    ----------
    W : array_like, shape (n, n)
        Recurrent weights (a scalar is read as a 1x1 matrix).
    U : array_like, shape (n, p), optional
        Input weights. Default: no input (``p = 0``).
    b : array_like, shape (n,), optional
        Bias. Default zeros.
    tau : float or array_like, shape (n,), default 1
        Time constants (> 0), one per unit; a scalar is broadcast to shape ``(n,)``.
    activation : {"tanh", "relu", "sigmoid", "identity"} or callable
        The elementwise ``phi``; a callable needs ``derivative`` and makes the model unsaveable.
    derivative : callable, optional
        ``phi'`` for a custom ``activation`` (checked against central differences).

    Raises
    ------
    DimensionError
        If ``W``, ``U``, ``b`` or ``tau`` has the wrong shape.
    ValueError
        If an entry is not finite, a time constant is not positive, or the activation is invalid.
    TypeError
        If the activation is neither a name nor a callable.

    Examples
    --------
    >>> import rnnss
    >>> net = rnnss.CTRNN(W=[[0.5]], tau=2.0, activation="identity")
    >>> net.vector_field([1.0])  # (-1 + 0.5 * 1) / 2
    array([-0.25])
    """

    W: np.ndarray
    U: np.ndarray | None = None
    b: np.ndarray | None = None
    tau: Any = 1.0
    activation: Any = "tanh"
    derivative: Any = None
    _act: Any = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _validate_ctrnn(self)

    @property
    def n_hidden(self) -> int:
        """Number of units ``n``."""
        return self.W.shape[0]

    @property
    def state_size(self) -> int:
        """Length of the state, ``n``."""
        return self.W.shape[0]

    @property
    def n_inputs(self) -> int:
        """Number of inputs ``p``."""
        return self.U.shape[1]

    def _args(self, state: Any, x: Any) -> tuple[np.ndarray, np.ndarray, bool]:
        # Fast path for the float arrays an ODE solver passes thousands of times; anything else is validated.
        s = state if isinstance(state, np.ndarray) and state.dtype == np.float64 else v.as_float_array("state", state)
        if s.ndim not in (1, 2) or s.shape[-1] != self.n_hidden:
            raise v.DimensionError(
                f"state must have shape ({self.n_hidden},) or (batch, {self.n_hidden}); got shape {s.shape}"
            )
        if x is None:
            xa = np.zeros(self.n_inputs)
        else:
            xa = x if isinstance(x, np.ndarray) and x.dtype == np.float64 else v.as_float_array("x", x)
        if xa.ndim not in (1, 2) or xa.shape[-1] != self.n_inputs:
            raise v.DimensionError(
                f"x must have shape ({self.n_inputs},) or (batch, {self.n_inputs}); got shape {xa.shape}"
            )
        return s, xa, s.ndim == 2 or xa.ndim == 2

    def vector_field(self, state: Any, x: Any = None) -> np.ndarray:
        """``dh/dt = (-h + phi(W h + U x + b)) / tau``.

        Parameters
        ----------
        state : array_like, shape (n,) or (batch, n)
            The state ``h``.
        x : array_like, shape (p,) or (batch, p), optional
            The input at that instant (default zeros).

        Returns
        -------
        ndarray, shape (n,) or (batch, n)
            The time derivative.
        """
        s, xa, _ = self._args(state, x)
        return (-s + self._act.phi(s @ self.W.T + xa @ self.U.T + self.b)) / self.tau

    def jacobian(self, state: Any, x: Any = None) -> np.ndarray:
        """``d(dh/dt)/dh = diag(1 / tau) (-I + diag(phi'(a)) W)`` with ``a = W h + U x + b``.

        Parameters
        ----------
        state : array_like, shape (n,) or (batch, n)
            The state ``h``.
        x : array_like, shape (p,) or (batch, p), optional
            The input (default zeros).

        Returns
        -------
        ndarray, shape (n, n) or (batch, n, n)
            The Jacobian of the vector field.
        """
        s, xa, batched = self._args(state, x)
        d = self._act.dphi(np.atleast_2d(s) @ self.W.T + np.atleast_2d(xa) @ self.U.T + self.b)
        J = (d[:, :, None] * self.W - np.eye(self.n_hidden)) / self.tau[:, None]
        return J if batched else J[0]

    def euler(self, dt: float) -> EulerCTRNNCell:
        """The forward-Euler discretisation with step ``dt``, an ordinary cell.

        Parameters
        ----------
        dt : float
            Step size (> 0), in the units of ``tau``.

        Returns
        -------
        EulerCTRNNCell
            ``h_t = h_{t-1} + (dt / tau) (-h_{t-1} + phi(W h_{t-1} + U x_t + b))``.
        """
        return EulerCTRNNCell(
            self.W, self.U, self.b, tau=self.tau, dt=dt, activation=self.activation, derivative=self.derivative
        )

    def _save_fields(self) -> dict[str, Any]:
        return _save_fields(self)

    def __repr__(self) -> str:
        taus = f"{self.tau[0]:g}" if np.all(self.tau == self.tau[0]) else f"[{self.tau.min():g}, {self.tau.max():g}]"
        return (
            f"CTRNN(n={self.n_hidden}, p={self.n_inputs}, activation={self._act.name!r}, tau={taus}, "
            f"||W||_2={np.linalg.norm(self.W, 2):.4g})"
        )


@register_model
@dataclass(frozen=True, eq=False, repr=False)
class EulerCTRNNCell(Cell):
    r"""Forward Euler of a :class:`CTRNN`: ``h_t = h_{t-1} + (dt / tau) (-h_{t-1} + phi(W h_{t-1} + U x_t + b))``.

    With ``alpha = dt / tau`` (one per unit) this is ``h_t = (1 - alpha) h_{t-1} + alpha phi(...)``: for a
    common ``tau`` and ``dt <= tau`` exactly the :class:`~rnnss.LeakyCell` with that ``alpha``; here
    ``alpha`` may differ per unit and exceed 1 (a step longer than a time constant), which is where Euler
    breaks down. The input ``x_t`` is held over the step ``(t - 1) dt .. t dt``. Its fixed points are the
    CTRNN's equilibria for every ``dt``; their stability is not (see :func:`rnnss.euler_comparison`).

    Parameters
    ----------
    W : array_like, shape (n, n)
        Recurrent weights.
    U : array_like, shape (n, p), optional
        Input weights. Default: no input.
    b : array_like, shape (n,), optional
        Bias. Default zeros.
    tau : float or array_like, shape (n,), default 1
        Time constants (> 0), broadcast to shape ``(n,)``.
    dt : float
        Step size (> 0, keyword-only, required).
    activation : {"tanh", "relu", "sigmoid", "identity"} or callable
        The elementwise ``phi``.
    derivative : callable, optional
        ``phi'`` for a custom ``activation``.

    Raises
    ------
    DimensionError
        If a parameter has the wrong shape.
    ValueError
        If an entry is not finite, ``tau`` or ``dt`` is not positive, or the activation is invalid.
    TypeError
        If ``dt`` is not a real number or the activation is neither a name nor a callable.

    Examples
    --------
    >>> import rnnss
    >>> cell = rnnss.CTRNN(W=[[0.0]], tau=2.0).euler(0.5)
    >>> cell.alpha, cell.step([], [1.0])  # h decays by 1 - dt / tau per step
    (array([0.25]), array([0.75]))
    """

    W: np.ndarray
    U: np.ndarray | None = None
    b: np.ndarray | None = None
    tau: Any = 1.0
    dt: float = field(kw_only=True)
    activation: Any = "tanh"
    derivative: Any = None
    _act: Any = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _validate_ctrnn(self)
        object.__setattr__(self, "dt", v.as_float("dt", self.dt, positive=True))

    @property
    def n_hidden(self) -> int:
        """Number of units ``n``."""
        return self.W.shape[0]

    @property
    def n_inputs(self) -> int:
        """Number of inputs ``p``."""
        return self.U.shape[1]

    @property
    def alpha(self) -> np.ndarray:
        """``dt / tau``, shape ``(n,)``: the fraction of the way to its drive each unit moves per step."""
        return self.dt / self.tau

    def step(self, x: Any, state: Any) -> np.ndarray:
        """One Euler step; shapes ``(p,)``/``(batch, p)`` and ``(n,)``/``(batch, n)``."""
        xa, sa, batched = self._check_step_args(x, state)
        out = sa + self.alpha * (-sa + self._act.phi(sa @ self.W.T + xa @ self.U.T + self.b))
        return out if batched else out[0]

    def jacobian(self, x: Any, state: Any) -> np.ndarray:
        """``d h_t / d h_{t-1} = I - diag(alpha) + diag(alpha phi'(a_t)) W``, shape ``(n, n)`` or ``(batch, n, n)``."""
        xa, sa, batched = self._check_step_args(x, state)
        d = self.alpha * self._act.dphi(sa @ self.W.T + xa @ self.U.T + self.b)
        J = d[:, :, None] * self.W + np.diag(1.0 - self.alpha)
        return J if batched else J[0]

    def input_jacobian(self, x: Any, state: Any) -> np.ndarray:
        """``d h_t / d x_t = diag(alpha phi'(a_t)) U``, shape ``(n, p)`` or ``(batch, n, p)``."""
        xa, sa, batched = self._check_step_args(x, state)
        d = self.alpha * self._act.dphi(sa @ self.W.T + xa @ self.U.T + self.b)
        B = d[:, :, None] * self.U
        return B if batched else B[0]

    @property
    def jacobian_bound(self) -> float | None:
        """``max |1 - alpha_i| + max alpha_i sup|phi'| ||W||_2`` (None for a custom activation)."""
        sup = self._act.sup_derivative
        if sup is None:
            return None
        a = self.alpha
        return float(np.max(np.abs(1.0 - a)) + np.max(a) * sup * np.linalg.norm(self.W, 2))

    def _save_fields(self) -> dict[str, Any]:
        return _save_fields(self)

    def __repr__(self) -> str:
        return (
            f"EulerCTRNNCell(n={self.n_hidden}, p={self.n_inputs}, activation={self._act.name!r}, dt={self.dt:g}, "
            f"alpha in [{self.alpha.min():.4g}, {self.alpha.max():.4g}])"
        )
