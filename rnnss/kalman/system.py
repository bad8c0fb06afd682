"""A model as the Kalman recursions see it: system arrays with a time axis, drives, prior, engine functions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._engine import resolve_engine
from ..linear import LinearRNN
from . import _core


def _c(a: np.ndarray) -> np.ndarray:
    """A writable C-contiguous float64 copy: one compiled signature for every call (model arrays are read-only)."""
    return np.array(a, dtype=np.float64, order="C")


@dataclass(frozen=True)
class System:
    """Kernel-ready arrays of a linear-Gaussian state-space model.

    ``W, Q`` have shape (Tw, n, n), ``V`` (Tw, m, n), ``R`` (Tw, m, m) and ``S`` (Tw, n, m) with ``Tw`` 1
    (time-invariant) or ``T``; ``U`` (n, p), ``b`` (n,), ``D`` (m, p), ``d`` (m,) make the drives. The prior
    ``h0, P0`` is that of the state before step 1, or of the first state itself when ``first_predicted``.
    """

    W: np.ndarray
    Q: np.ndarray
    V: np.ndarray
    R: np.ndarray
    S: np.ndarray
    has_s: bool
    U: np.ndarray
    b: np.ndarray
    D: np.ndarray
    d: np.ndarray
    h0: np.ndarray
    P0: np.ndarray
    first_predicted: bool

    @property
    def n(self) -> int:
        return self.W.shape[1]

    @property
    def m(self) -> int:
        return self.V.shape[1]

    def drives(self, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``C = U x_t + b`` (B, T, n) and ``E = D x_t + d`` (B, T, m) for inputs ``xs`` (B, T, p).

        Without inputs (or with zero weights) a drive is constant: it is returned with shape (1, 1, n) (or
        (1, 1, m)) and the recursions broadcast it, so a long record costs no per-step drive arrays.
        """
        nb, T, p = xs.shape
        C = xs @ self.U.T + self.b if p and np.any(self.U) else self.b.reshape(1, 1, -1)
        E = xs @ self.D.T + self.d if p and np.any(self.D) else self.d.reshape(1, 1, -1)
        return np.ascontiguousarray(C, dtype=float), np.ascontiguousarray(E, dtype=float)


def system_of(rnn: LinearRNN) -> System:
    """The :class:`System` of a (time-invariant) LinearRNN: prior before step 1, no cross-covariance."""
    n, m = rnn.n_hidden, rnn.n_outputs
    return System(
        W=_c(rnn.W[None]),
        Q=_c(rnn.Q[None]),
        V=_c(rnn.V[None]),
        R=_c(rnn.R[None]),
        S=np.zeros((1, n, m)),
        has_s=False,
        U=_c(rnn.U),
        b=_c(rnn.b),
        D=np.zeros((m, rnn.n_inputs)),
        d=_c(rnn.d),
        h0=_c(rnn.h0),
        P0=_c(rnn.P0),
        first_predicted=False,
    )


def recursions(engine: str) -> dict[str, Any]:
    """The recursion functions of an engine option: compiled (numba) or their NumPy twins."""
    return _core.NUMBA if resolve_engine(engine) == "numba" else _core.NUMPY
