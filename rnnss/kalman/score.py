"""The exact score of the Kalman log-likelihood: reverse-mode differentiation of the filter, for every model matrix."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .. import _validate as v
from .._engine import resolve_engine
from .._linalg import SteinSolver, symmetrize
from ..exceptions import NumericalError
from ..linear import LinearRNN, stationary_covariance

if TYPE_CHECKING:  # pragma: no cover
    from numpy.typing import ArrayLike

__all__ = ["LoglikGradient", "loglik_gradient"]

# Relative change of the predicted covariance below which the Riccati recursion counts as converged (the
# same default as kalman_filter's steady_tol): the frozen values then differ from the recursion's by
# about STEADY_TOL / (1 - rho^2) relative, rho the filter's spectral radius.
STEADY_TOL = 1e-14


def run_kernel(
    W, C, V, d, Q, R, h0, P0, y, om, grad: bool, engine: str = "auto", steady_tol: float | None = STEADY_TOL
):
    """Log-likelihood (and adjoints) of one sequence; ``y`` has NaN replaced by 0 and ``om`` is the 0/1 mask.

    Returns ``(loglik, status, frozen, gW, gC, gV, gd, gQ, gR, gh0, gP0)``; ``status = t + 1`` if the
    innovation covariance of step ``t`` is not positive definite (then the gradients are zero).
    """
    from . import _adjoint  # loaded on first use: it compiles the kernel

    kern = _adjoint.kernel_numba if resolve_engine(engine) == "numba" else _adjoint.kernel_numpy

    def c(a: np.ndarray) -> np.ndarray:
        # One numba signature for every call: writable C-contiguous float64 (model arrays are read-only).
        if a.flags.writeable and a.flags.c_contiguous and a.dtype == np.float64:
            return a
        return np.array(a, dtype=np.float64, order="C")

    tol = -1.0 if steady_tol is None else float(steady_tol)
    return kern(c(W), c(C), c(V), c(d), c(Q), c(R), c(h0), c(P0), c(y), c(om), bool(grad), tol)


def stationary_adjoint(stein: SteinSolver, h0: np.ndarray, P0: np.ndarray, gh0: np.ndarray, gP0: np.ndarray):
    """Pull the adjoints of ``h0 = (I - W)^{-1} b`` and ``P0 = W P0 W^T + Q`` back to ``(W, b, Q)``.

    ``P0`` solves a Stein equation, so its adjoint ``L`` solves the transposed one, ``L = W^T L W + gP0``;
    then ``gQ = L`` and ``gW = 2 L W P0``. For the mean, ``g = (I - W)^{-T} gh0`` gives ``gb = g`` and
    ``gW = g h0^T``.
    """
    W = stein.W
    n = W.shape[0]
    g = np.linalg.solve((np.eye(n) - W).T, gh0)
    Lam = stein.solve(symmetrize(gP0), adjoint=True)
    return np.outer(g, h0) + 2.0 * Lam @ W @ P0, g, Lam


@dataclass(frozen=True, repr=False)
class LoglikGradient:
    """The exact log-likelihood of a linear-Gaussian RNN and its gradient with respect to every matrix.

    Each gradient has the shape of its matrix; for the symmetric ``Q, R, P0`` it is the symmetric matrix
    ``G`` with ``d loglik = sum_ij G_ij dQ_ij`` for every symmetric perturbation ``dQ``.

    Attributes
    ----------
    loglik : float
        ``log p(y_1..y_T)`` (summed over a batch).
    W, U, b, V, d, Q, R : ndarray
        ``d loglik / d W`` (n, n), ``/ d U`` (n, p), ``/ d b`` (n,), ``/ d V`` (m, n), ``/ d d`` (m,),
        ``/ d Q`` (n, n), ``/ d R`` (m, m).
    h0, P0 : ndarray or None
        ``/ d h0`` (n,) and ``/ d P0`` (n, n) with ``initialization="prior"``; None with
        ``"stationary"`` (then the prior's dependence on ``W, b, Q`` is already in those gradients).
    """

    loglik: float
    W: np.ndarray
    U: np.ndarray
    b: np.ndarray
    V: np.ndarray
    d: np.ndarray
    Q: np.ndarray
    R: np.ndarray
    h0: np.ndarray | None
    P0: np.ndarray | None

    def __repr__(self) -> str:
        norms = ", ".join(f"|d/d{k}|={np.max(np.abs(getattr(self, k))):.3g}" for k in ("W", "V", "Q", "R"))
        return f"LoglikGradient(loglik={self.loglik:.6f}; {norms})"


def _masked(ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    om = (~np.isnan(ys)).astype(float)
    return np.where(om > 0, ys, 0.0), om


def loglik_gradient(
    rnn: LinearRNN,
    y: ArrayLike,
    x: ArrayLike | None = None,
    *,
    initialization: str = "prior",
    steady_tol: float | None = STEADY_TOL,
    engine: str = "auto",
) -> LoglikGradient:
    r"""Exact log-likelihood and its exact gradient (the score) with respect to all model matrices.

    Reverse-mode differentiation of the Kalman filter (the adjoint of every step of the recursion), so the
    gradient costs about one extra filter pass for all ``n^2 + ...`` entries at once and is exact to
    rounding -- no finite differences. Unlike scores from Fisher's identity it needs no ``Q^{-1}`` or
    ``R^{-1}``: singular noise covariances (e.g. the ``R = 0`` of a VARMA realisation) are fine as long as
    every innovation covariance is positive definite.

    Parameters
    ----------
    rnn : LinearRNN
        The model.
    y : array_like, shape (T, m), (T,) if m == 1, or (batch, T, m)
        Observations; NaN marks missing values (whole rows or single components).
    x : array_like, shape (T, p) or (batch, T, p), optional
        Inputs, required when ``p > 0``.
    initialization : {"prior", "stationary"}
        As for :func:`rnnss.kalman_filter`; with ``"stationary"`` the prior ``h0 = (I - W)^{-1} b`` and
        ``P0 = W P0 W^T + Q`` is differentiated too (through the adjoint Stein equation).
    steady_tol : float or None, default 1e-14
        As for :func:`rnnss.kalman_filter`: once the predicted covariance has converged (relative change below
        ``steady_tol``) and the rest of the data is complete, the converged covariances are reused; the
        returned gradient is the exact gradient of that computation. ``None``: the full recursion every step.
    engine : {"auto", "numba", "numpy"}
        ``"numba"``: compiled loops; ``"numpy"``: the same algorithm on NumPy; ``"auto"``: numba if installed.

    Returns
    -------
    LoglikGradient
        ``loglik`` and one gradient per matrix (summed over a batch).

    Raises
    ------
    NumericalError
        If an innovation covariance is not positive definite.
    NotStableError
        With ``initialization="stationary"`` and an unstable ``W``.
    DimensionError
        If ``y`` or ``x`` has the wrong shape.

    Examples
    --------
    >>> import numpy as np, rnnss
        >>> rnn = rnnss.LinearRNN(W=0.5, Q=1.0, R=1.0, P0=1.0)
    >>> y = np.array([0.3, -0.1, 0.8])
    >>> g = rnnss.loglik_gradient(rnn, y)
    >>> eps = 1e-6
    >>> up = rnnss.kalman_filter(rnnss.LinearRNN(W=0.5 + eps, Q=1.0, R=1.0, P0=1.0), y).loglik
    >>> down = rnnss.kalman_filter(rnnss.LinearRNN(W=0.5 - eps, Q=1.0, R=1.0, P0=1.0), y).loglik
    >>> bool(np.isclose(g.W[0, 0], (up - down) / (2 * eps)))
    True
    """
    rnn = v.check_instance(rnn, LinearRNN, "rnn")
    if initialization not in ("prior", "stationary"):
        raise ValueError(f"initialization must be 'prior' or 'stationary'; got {initialization!r}")
    if steady_tol is not None:
        steady_tol = v.as_float("steady_tol", steady_tol, nonnegative=True)
    ys, _ = v.as_sequence("y", y, rnn.n_outputs, allow_nan=True)
    nb, T, _ = ys.shape
    if x is None:
        if rnn.n_inputs:
            raise ValueError(f"x is required: this network has p = {rnn.n_inputs} inputs")
        xs = np.zeros((nb, T, 0))
    else:
        xs, _ = v.as_sequence("x", x, rnn.n_inputs, steps=T)
        if xs.shape[0] not in (1, nb):
            raise v.DimensionError(f"x holds {xs.shape[0]} sequences but y holds {nb}")
        xs = np.broadcast_to(xs, (nb, T, rnn.n_inputs))
    n = rnn.n_hidden
    if initialization == "stationary":
        P0 = stationary_covariance(rnn)  # raises NotStableError
        h0 = np.linalg.solve(np.eye(n) - rnn.W, rnn.b)
    else:
        h0, P0 = rnn.h0, rnn.P0
    total = dict(ll=0.0, W=0.0, U=0.0, b=0.0, V=0.0, d=0.0, Q=0.0, R=0.0, h0=0.0, P0=0.0)
    for yb, xb in zip(ys, xs, strict=True):
        yf, om = _masked(yb)
        C = xb @ rnn.U.T + rnn.b
        ll, status, _, gW, gC, gV, gd, gQ, gR, gh0, gP0 = run_kernel(
            rnn.W, C, rnn.V, rnn.d, rnn.Q, rnn.R, h0, P0, yf, om, True, engine, steady_tol
        )
        if status:
            raise NumericalError(
                f"the innovation covariance at step t = {status} is not positive definite: the observed outputs are "
                "known exactly given the past; give R a positive variance or P0/Q more uncertainty"
            )
        for key, val in (
            ("ll", ll),
            ("W", gW),
            ("U", gC.T @ xb),
            ("b", gC.sum(axis=0)),
            ("V", gV),
            ("d", gd),
            ("Q", gQ),
            ("R", gR),
            ("h0", gh0),
            ("P0", gP0),
        ):
            total[key] = total[key] + val
    gW, gb, gQ = total["W"], total["b"], symmetrize(total["Q"])
    gh0, gP0 = total["h0"], symmetrize(total["P0"])
    if initialization == "stationary":
        dW, g, Lam = stationary_adjoint(SteinSolver(rnn.W), h0, P0, gh0, gP0)
        gW, gb, gQ = gW + dW, gb + g, gQ + Lam
        gh0 = gP0 = None
    return LoglikGradient(
        float(total["ll"]), gW, total["U"], gb, total["V"], total["d"], gQ, symmetrize(total["R"]), gh0, gP0
    )
