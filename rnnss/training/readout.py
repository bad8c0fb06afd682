"""The linear read-out ``y_t = V h_t + d`` that maps a cell's hidden vectors to outputs (values or logits)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _validate as v
from .._model import Model, register_model

__all__ = ["LinearReadout", "random_readout"]


@register_model
@dataclass(frozen=True, eq=False, repr=False)
class LinearReadout(Model):
    r"""A linear read-out ``y_t = V h_t + d`` of a cell's hidden vector (a dense output layer).

    The same ``V, d`` as the output equation of :class:`rnnss.LinearRNN` (control's ``C`` and the
    feedthrough-free output offset): a cell with this read-out is the nonlinear analogue of the linear
    RNN ``(W, U, b, V, d)``. For a classification loss ``y_t`` are logits.

    Parameters
    ----------
    V : array_like, shape (m, n)
        Output weights (``n`` hidden units, ``m`` outputs).
    d : array_like, shape (m,), optional
        Output offset. Default zeros.

    Raises
    ------
    DimensionError
        If ``V`` is not a matrix with at least one row and column, or ``d`` does not have ``m`` entries.
    ValueError
        If an entry is not finite.

    Examples
    --------
    >>> import rnnss
    >>> out = rnnss.LinearReadout(V=[[1.0, -1.0]], d=[0.5])
    >>> out([[2.0, 0.5]])
    array([[2.]])
    """

    V: np.ndarray
    d: np.ndarray | None = None

    def __post_init__(self) -> None:
        V = v.as_matrix("V", self.V, (None, None))
        if 0 in V.shape:
            raise v.DimensionError(f"V must have at least one output and one hidden unit; got shape {V.shape}")
        d = np.zeros(V.shape[0]) if self.d is None else v.as_vector("d", self.d, V.shape[0])
        object.__setattr__(self, "V", v.freeze(V))
        object.__setattr__(self, "d", v.freeze(d))

    @property
    def n_hidden(self) -> int:
        """Number of hidden units ``n`` read."""
        return self.V.shape[1]

    @property
    def n_outputs(self) -> int:
        """Number of outputs ``m``."""
        return self.V.shape[0]

    def __call__(self, hidden: Any) -> np.ndarray:
        """Outputs ``V h + d`` of hidden vectors of shape ``(..., n)``; returns ``(..., m)``."""
        h = v.as_float_array("hidden", hidden)
        if h.ndim == 0 or h.shape[-1] != self.n_hidden:
            raise v.DimensionError(f"hidden must have shape (..., {self.n_hidden}); got shape {h.shape}")
        return h @ self.V.T + self.d

    def __repr__(self) -> str:
        return f"LinearReadout(n={self.n_hidden}, m={self.n_outputs}, ||V||_2={np.linalg.norm(self.V, 2):.4g})"


def random_readout(n_hidden: int, n_outputs: int, *, rng: Any = None) -> LinearReadout:
    """A read-out with ``V ~ Uniform(-1/sqrt(n), 1/sqrt(n))`` entries and ``d = 0`` (PyTorch's ``nn.Linear`` scale).

    Parameters
    ----------
    n_hidden : int
        Hidden units ``n`` read.
    n_outputs : int
        Outputs ``m``.
    rng : numpy.random.Generator or int, optional
        Random source.

    Returns
    -------
    LinearReadout
        The read-out; each output starts with variance ``1/3`` for unit-variance hidden vectors.

    Examples
    --------
    >>> import rnnss
    >>> rnnss.random_readout(4, 2, rng=0).V.shape
    (2, 4)
    """
    n = v.as_int("n_hidden", n_hidden, minimum=1)
    m = v.as_int("n_outputs", n_outputs, minimum=1)
    a = 1.0 / math.sqrt(n)
    return LinearReadout(v.as_rng(rng).uniform(-a, a, (m, n)))
