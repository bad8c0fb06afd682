"""The Elman cell ``h_t = phi(W h_{t-1} + U x_t + b)`` and the elementwise activations shared by affine cells."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import _validate as v
from .._model import register_model
from .base import Cell

__all__ = ["ElmanCell", "ACTIVATIONS"]


@dataclass(frozen=True)
class _Activation:
    """An elementwise nonlinearity with its derivative and ``sup |phi'|`` (None when unknown)."""

    name: str
    phi: Callable[[np.ndarray], np.ndarray]
    dphi: Callable[[np.ndarray], np.ndarray]
    sup_derivative: float | None


def _sigmoid(z: np.ndarray) -> np.ndarray:
    # 0.5 (1 + tanh(z/2)) is the logistic function without overflow for large |z|.
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _dsigmoid(z: np.ndarray) -> np.ndarray:
    s = _sigmoid(z)
    return s * (1.0 - s)


# ReLU's derivative at 0 is taken as 0 (the subgradient deep-learning frameworks use).
_NAMED = {
    "tanh": _Activation("tanh", np.tanh, lambda z: 1.0 - np.tanh(z) ** 2, 1.0),
    "relu": _Activation("relu", lambda z: np.maximum(z, 0.0), lambda z: (z > 0).astype(float), 1.0),
    "sigmoid": _Activation("sigmoid", _sigmoid, _dsigmoid, 0.25),
    "identity": _Activation("identity", lambda z: z.copy(), np.ones_like, 1.0),
}

#: Names of the built-in activations (saveable with :func:`rnnss.save`).
ACTIVATIONS: tuple[str, ...] = tuple(_NAMED)

# Probe points for a user's activation: away from 0 and +-1, where common piecewise functions
# (ReLU, hard tanh) have kinks, so a correct derivative matches central differences there.
_PROBE = np.array([[-1.7, -0.3], [0.45, 1.3]])


def _resolve_activation(activation: Any, derivative: Any) -> _Activation:
    """Validate an activation given by name or as a callable with its derivative."""
    if isinstance(activation, str):
        if activation not in _NAMED:
            raise ValueError(
                f"activation must be one of {', '.join(map(repr, ACTIVATIONS))} or a callable; got {activation!r}"
            )
        if derivative is not None:
            raise ValueError(
                f"derivative is only given with a custom activation; {activation!r} has a built-in derivative"
            )
        return _NAMED[activation]
    if not callable(activation):
        raise TypeError(
            f"activation must be one of {', '.join(map(repr, ACTIVATIONS))} "
            f"or a callable; got {type(activation).__name__}"
        )
    if derivative is None:
        raise TypeError("derivative is required with a custom activation: give the callable phi'(z)")
    if not callable(derivative):
        raise TypeError(f"derivative must be a callable phi'(z); got {type(derivative).__name__}")
    for name, fn in (("activation", activation), ("derivative", derivative)):
        try:
            out = np.asarray(fn(_PROBE.copy()), dtype=float)
        except Exception as exc:  # any failure on a plain float array is the user function's fault
            raise TypeError(
                f"{name} must map a float array elementwise; calling it on an array of shape (2, 2) raised {exc!r}"
            ) from exc
        if out.shape != _PROBE.shape:
            raise ValueError(
                f"{name} must act elementwise and keep the shape: an input of shape (2, 2) gave shape {out.shape}"
            )
        if not np.all(np.isfinite(out)):
            raise ValueError(f"{name} returned non-finite values at z = {_PROBE.ravel().tolist()}")
    # A wrong derivative would make every Jacobian silently wrong: check it against central
    # differences (error O(eps^2) ~ 1e-12 for smooth phi, far below the 1e-5 tolerance).
    eps = 1e-6
    fd = (np.asarray(activation(_PROBE + eps), float) - np.asarray(activation(_PROBE - eps), float)) / (2 * eps)
    got = np.asarray(derivative(_PROBE.copy()), float)
    bad = np.abs(got - fd) > 1e-5 * (1.0 + np.abs(fd))
    if bad.any():
        i = tuple(np.argwhere(bad)[0])
        raise ValueError(
            f"derivative disagrees with central differences of activation at z = {_PROBE[i]}: "
            f"derivative gives {got[i]:.6g}, differences give {fd[i]:.6g}"
        )
    name = getattr(activation, "__name__", type(activation).__name__)
    return _Activation(f"custom:{name}", activation, derivative, None)


class _AffineCell(Cell):
    """Shared body of the Elman and leaky cells: ``s_t = (1 - alpha) s_{t-1} + alpha phi(W s_{t-1} + U x_t + b)``."""

    W: np.ndarray
    U: np.ndarray | None
    b: np.ndarray | None
    activation: Any
    derivative: Any
    _act: Any

    def _validate_affine(self) -> None:
        W = v.as_square("W", self.W, allow_scalar=True)
        n = W.shape[0]
        if n == 0:
            raise v.DimensionError("W must have at least one hidden unit; got shape (0, 0)")
        U = np.zeros((n, 0)) if self.U is None else v.as_matrix("U", self.U, (n, None))
        b = np.zeros(n) if self.b is None else v.as_vector("b", self.b, n)
        for name, arr in (("W", W), ("U", U), ("b", b)):
            object.__setattr__(self, name, v.freeze(arr))
        object.__setattr__(self, "_act", _resolve_activation(self.activation, self.derivative))

    @property
    def n_hidden(self) -> int:
        """Number of hidden units ``n``."""
        return self.W.shape[0]

    @property
    def n_inputs(self) -> int:
        """Number of inputs ``p``."""
        return self.U.shape[1]

    @property
    def _alpha(self) -> float:
        return 1.0

    def preactivation(self, x: Any, state: Any) -> np.ndarray:
        """``a_t = W s_{t-1} + U x_t + b``, shape ``(n,)`` or ``(batch, n)``."""
        xa, sa, batched = self._check_step_args(x, state)
        a = sa @ self.W.T + xa @ self.U.T + self.b
        return a if batched else a[0]

    def step(self, x: Any, state: Any) -> np.ndarray:
        """One step of the recurrence; shapes ``(p,)``/``(batch, p)`` and ``(n,)``/``(batch, n)``."""
        xa, sa, batched = self._check_step_args(x, state)
        out = self._act.phi(sa @ self.W.T + xa @ self.U.T + self.b)
        if self._alpha != 1.0:
            out = (1.0 - self._alpha) * sa + self._alpha * out
        return out if batched else out[0]

    def jacobian(self, x: Any, state: Any) -> np.ndarray:
        """``d s_t / d s_{t-1} = (1 - alpha) I + alpha diag(phi'(a_t)) W``, shape ``(n, n)`` or ``(batch, n, n)``."""
        xa, sa, batched = self._check_step_args(x, state)
        d = self._alpha * self._act.dphi(sa @ self.W.T + xa @ self.U.T + self.b)
        J = d[:, :, None] * self.W
        if self._alpha != 1.0:
            J += (1.0 - self._alpha) * np.eye(self.n_hidden)
        return J if batched else J[0]

    def input_jacobian(self, x: Any, state: Any) -> np.ndarray:
        """``d s_t / d x_t = alpha diag(phi'(a_t)) U``, shape ``(n, p)`` or ``(batch, n, p)``."""
        xa, sa, batched = self._check_step_args(x, state)
        d = self._alpha * self._act.dphi(sa @ self.W.T + xa @ self.U.T + self.b)
        B = d[:, :, None] * self.U
        return B if batched else B[0]

    @property
    def jacobian_bound(self) -> float | None:
        """``(1 - alpha) + alpha sup|phi'| ||W||_2``, bounding ``||d s_t / d s_{t-1}||_2`` everywhere.

        Elman cells have ``alpha = 1``: the usual bound ``|phi'|_inf ||W||_2``. None for a custom activation
        (its ``sup |phi'|`` is unknown).
        """
        sup = self._act.sup_derivative
        if sup is None:
            return None
        return (1.0 - self._alpha) + self._alpha * sup * float(np.linalg.norm(self.W, 2))

    def _save_fields(self) -> dict[str, Any]:
        if not isinstance(self.activation, str):
            raise TypeError(
                f"cannot save a {type(self).__name__} with a custom activation ({self._act.name}): Python callables "
                f"are not saveable; only the named activations {', '.join(map(repr, ACTIVATIONS))} are. Save W, U, b "
                "yourself or rebuild the cell with a named activation"
            )
        return {f: getattr(self, f) for f in self._init_field_names()}

    def _init_field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(self) if f.init)

    def _repr_extra(self) -> str:
        return ""

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(n={self.n_hidden}, p={self.n_inputs}, activation={self._act.name!r}"
            f"{self._repr_extra()}, ||W||_2={np.linalg.norm(self.W, 2):.4g})"
        )


@register_model
@dataclass(frozen=True, eq=False, repr=False)
class ElmanCell(_AffineCell):
    r"""The Elman ("vanilla") recurrent cell ``h_t = phi(W h_{t-1} + U x_t + b)``.

    The usual :math:`W_{hh}` (or :math:`W_h`) is ``W``, :math:`W_{xh}` (or :math:`W_x`) is ``U``.
    With ``activation="identity"`` the cell is the noiseless linear RNN (control's ``A, B``).

    Parameters
    ----------
    W : array_like, shape (n, n)
        Recurrent weights (a scalar is read as a 1x1 matrix).
    U : array_like, shape (n, p), optional
        Input weights. Default: no input (``p = 0``).
    b : array_like, shape (n,), optional
        Bias. Default zeros.
    activation : {"tanh", "relu", "sigmoid", "identity"} or callable
        The elementwise nonlinearity ``phi``. A callable must map a float array elementwise and needs
        ``derivative``; cells with a callable cannot be saved with :func:`rnnss.save`.
    derivative : callable, optional
        ``phi'`` for a custom ``activation``. It is checked against central differences of ``phi``.

    Raises
    ------
    DimensionError
        If ``W``, ``U`` or ``b`` has the wrong shape.
    ValueError
        If an entry is not finite, the activation name is unknown, or ``derivative`` disagrees with
        ``activation``.
    TypeError
        If ``activation`` or ``derivative`` is not callable (or a name), or a parameter is not numeric.

    Examples
    --------
    >>> import numpy as np
    >>> from rnnss import ElmanCell, scan
    >>> cell = ElmanCell(W=[[1.0]], U=[[1.0]])
    >>> np.round(scan(cell, [-0.5, 0.0])[:, 0], 4)  # tanh keeps a negative pulse
    array([-0.4621, -0.4318])
    """

    W: np.ndarray
    U: np.ndarray | None = None
    b: np.ndarray | None = None
    activation: Any = "tanh"
    derivative: Any = None
    _act: Any = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._validate_affine()
