"""Chaotic benchmark flows (Lorenz, Rössler): vector fields and Jacobians to generate data and test embeddings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _validate as v
from ._model import Model, register_model

__all__ = ["Lorenz", "Rossler"]


class _Flow(Model):
    """Shared argument handling of the three-dimensional autonomous flows (no input, ``p = 0``)."""

    @property
    def state_size(self) -> int:
        """Dimension of the state, 3."""
        return 3

    @property
    def n_inputs(self) -> int:
        """Number of inputs, 0: the flow is autonomous."""
        return 0

    def _state(self, state: Any, x: Any) -> np.ndarray:
        # Fast path for the float arrays an ODE solver passes thousands of times; anything else is validated.
        fast = isinstance(state, np.ndarray) and state.dtype == np.float64
        s = state if fast else v.as_float_array("state", state)
        if s.ndim not in (1, 2) or s.shape[-1] != 3:
            raise v.DimensionError(f"state must have shape (3,) or (batch, 3); got shape {s.shape}")
        if x is not None and np.size(x):
            raise ValueError(
                f"{type(self).__name__} is autonomous: x must be None; got an input of shape {np.shape(x)}"
            )
        return s

    def _check_params(self) -> None:
        for name in self._param_names:
            object.__setattr__(self, name, v.as_float(name, getattr(self, name)))

    _param_names: tuple[str, ...] = ()


@register_model
@dataclass(frozen=True, eq=False, repr=False)
class Lorenz(_Flow):
    r"""The Lorenz (1963) system, the classic chaotic benchmark.

    .. math::

        \dot x = \sigma (y - x), \qquad \dot y = x (\rho - z) - y, \qquad \dot z = x y - \beta z .

    At the classic parameters ``(sigma, rho, beta) = (10, 28, 8/3)`` the flow is chaotic with Lyapunov
    exponents about ``(0.9056, 0, -14.5723)`` per unit time (Sprott, *Chaos and Time-Series Analysis*,
    2003) and an attractor of dimension about 2.06, so a delay embedding of ``x`` needs 3 coordinates
    (Kennel, Brown & Abarbanel 1992). Generate data with :func:`rnnss.simulate_flow`.

    Parameters
    ----------
    sigma : float, default 10
        Prandtl number.
    rho : float, default 28
        Rayleigh number (chaotic above about 24.74).
    beta : float, default 8/3
        Geometric factor.

    Raises
    ------
    TypeError
        If a parameter is not a real number.
    ValueError
        If a parameter is not finite.

    Examples
    --------
    >>> import rnnss
    >>> rnnss.Lorenz().vector_field([1.0, 1.0, 1.0])
    array([ 0.        , 26.        , -1.66666667])
    """

    sigma: float = 10.0
    rho: float = 28.0
    beta: float = 8.0 / 3.0
    _param_names = ("sigma", "rho", "beta")

    def __post_init__(self) -> None:
        self._check_params()

    def vector_field(self, state: Any, x: Any = None) -> np.ndarray:
        """The time derivative at ``state``.

        Parameters
        ----------
        state : array_like, shape (3,) or (batch, 3)
            ``(x, y, z)``.
        x : None
            No input (the argument exists for the common interface of :func:`rnnss.integrate`).

        Returns
        -------
        ndarray, shape (3,) or (batch, 3)
            ``(dx/dt, dy/dt, dz/dt)``.
        """
        s = self._state(state, x)
        if s.ndim == 1:  # one state, as an ODE solver asks: scalar arithmetic is several times faster
            X, Y, Z = s.tolist()
            return np.array([self.sigma * (Y - X), X * (self.rho - Z) - Y, X * Y - self.beta * Z])
        X, Y, Z = s[:, 0], s[:, 1], s[:, 2]
        return np.stack([self.sigma * (Y - X), X * (self.rho - Z) - Y, X * Y - self.beta * Z], axis=-1)

    def jacobian(self, state: Any, x: Any = None) -> np.ndarray:
        """The Jacobian of the vector field.

        Parameters
        ----------
        state : array_like, shape (3,) or (batch, 3)
            ``(x, y, z)``.
        x : None
            No input.

        Returns
        -------
        ndarray, shape (3, 3) or (batch, 3, 3)
            ``[[-sigma, sigma, 0], [rho - z, -1, -x], [y, x, -beta]]``.
        """
        s = self._state(state, x)
        X, Y, Z = s[..., 0], s[..., 1], s[..., 2]
        J = np.zeros(s.shape + (3,))
        J[..., 0, 0], J[..., 0, 1] = -self.sigma, self.sigma
        J[..., 1, 0], J[..., 1, 1], J[..., 1, 2] = self.rho - Z, -1.0, -X
        J[..., 2, 0], J[..., 2, 1], J[..., 2, 2] = Y, X, -self.beta
        return J

    def random_state(self, rng: Any = None) -> np.ndarray:
        """A start drawn uniformly from the box ``[-20, 20] x [-25, 25] x [0, 50]`` around the attractor.

        Parameters
        ----------
        rng : numpy.random.Generator or int, optional
            Source of the draw.

        Returns
        -------
        ndarray, shape (3,)
            The initial state.
        """
        return v.as_rng(rng).uniform([-20.0, -25.0, 0.0], [20.0, 25.0, 50.0])

    def __repr__(self) -> str:
        return f"Lorenz(sigma={self.sigma:g}, rho={self.rho:g}, beta={self.beta:.6g})"


@register_model
@dataclass(frozen=True, eq=False, repr=False)
class Rossler(_Flow):
    r"""The Rössler (1976) system: a single folded band, chaotic with a small positive exponent.

    .. math::

        \dot x = -y - z, \qquad \dot y = x + a y, \qquad \dot z = b + z (x - c) .

    At ``(a, b, c) = (0.2, 0.2, 5.7)`` the Lyapunov exponents are about ``(0.0714, 0, -5.3943)`` per unit
    time (Sprott 2003); the attractor turns once about every 6 time units.

    Parameters
    ----------
    a : float, default 0.2
        Growth of the oscillation in the ``(x, y)`` plane.
    b : float, default 0.2
        Constant feed of ``z``.
    c : float, default 5.7
        Threshold of ``x`` above which ``z`` grows (the fold).

    Raises
    ------
    TypeError
        If a parameter is not a real number.
    ValueError
        If a parameter is not finite.

    Examples
    --------
    >>> import rnnss
    >>> rnnss.Rossler().vector_field([1.0, 0.0, 0.0])
    array([-0. ,  1. ,  0.2])
    """

    a: float = 0.2
    b: float = 0.2
    c: float = 5.7
    _param_names = ("a", "b", "c")

    def __post_init__(self) -> None:
        self._check_params()

    def vector_field(self, state: Any, x: Any = None) -> np.ndarray:
        """The time derivative at ``state``.

        Parameters
        ----------
        state : array_like, shape (3,) or (batch, 3)
            ``(x, y, z)``.
        x : None
            No input.

        Returns
        -------
        ndarray, shape (3,) or (batch, 3)
            ``(dx/dt, dy/dt, dz/dt)``.
        """
        s = self._state(state, x)
        if s.ndim == 1:  # one state, as an ODE solver asks: scalar arithmetic is several times faster
            X, Y, Z = s.tolist()
            return np.array([-Y - Z, X + self.a * Y, self.b + Z * (X - self.c)])
        X, Y, Z = s[:, 0], s[:, 1], s[:, 2]
        return np.stack([-Y - Z, X + self.a * Y, self.b + Z * (X - self.c)], axis=-1)

    def jacobian(self, state: Any, x: Any = None) -> np.ndarray:
        """The Jacobian of the vector field.

        Parameters
        ----------
        state : array_like, shape (3,) or (batch, 3)
            ``(x, y, z)``.
        x : None
            No input.

        Returns
        -------
        ndarray, shape (3, 3) or (batch, 3, 3)
            ``[[0, -1, -1], [1, a, 0], [z, 0, x - c]]``.
        """
        s = self._state(state, x)
        X, Z = s[..., 0], s[..., 2]
        J = np.zeros(s.shape + (3,))
        J[..., 0, 1], J[..., 0, 2] = -1.0, -1.0
        J[..., 1, 0], J[..., 1, 1] = 1.0, self.a
        J[..., 2, 0], J[..., 2, 2] = Z, X - self.c
        return J

    def random_state(self, rng: Any = None) -> np.ndarray:
        """A start drawn uniformly from ``[-8, 8] x [-8, 8] x [0, 1]``, inside the attractor's basin.

        Parameters
        ----------
        rng : numpy.random.Generator or int, optional
            Source of the draw.

        Returns
        -------
        ndarray, shape (3,)
            The initial state.
        """
        return v.as_rng(rng).uniform([-8.0, -8.0, 0.0], [8.0, 8.0, 1.0])

    def __repr__(self) -> str:
        return f"Rossler(a={self.a:g}, b={self.b:g}, c={self.c:g})"
