"""Identification: exact-likelihood fits of linear RNNs and VARMA-equivalent RNNs, exact score, canonical form."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
import scipy.linalg

from . import _validate as v
from ._progress import Progress
from .exceptions import NotStableError, NumericalError, StructureError
from .linear import LinearRNN, _check_rnn, _require_stable, stationary_covariance
from .varma import VARMA, varma_loglik, varma_to_rnn

if TYPE_CHECKING:  # pragma: no cover
    from numpy.typing import ArrayLike

__all__ = [
    "LoglikGradient",
    "FitReport",
    "loglik_gradient",
    "fit_linear_rnn",
    "fit_varma_rnn",
    "canonical_form",
]

# Relative change of the predicted covariance below which the Riccati recursion counts as converged (the
# same default as kalman_filter's steady_tol): the frozen values then differ from the recursion's by
# about STEADY_TOL / (1 - rho^2) relative, rho the filter's spectral radius.
STEADY_TOL = 1e-14


def _run_kernel(
    W, C, V, d, Q, R, h0, P0, y, om, grad: bool, engine: str = "auto", steady_tol: float | None = STEADY_TOL
):
    """Log-likelihood (and adjoints) of one sequence; ``y`` has NaN replaced by 0 and ``om`` is the 0/1 mask.

    Returns ``(loglik, status, frozen, gW, gC, gV, gd, gQ, gR, gh0, gP0)``; ``status = t + 1`` if the
    innovation covariance of step ``t`` is not positive definite (then the gradients are zero).
    """
    from . import _kalman_adjoint as ka  # loaded on first use: it imports numba

    if engine not in ("auto", "numba", "numpy"):
        raise ValueError(f"engine must be 'auto', 'numba' or 'numpy'; got {engine!r}")
    if engine == "numba" and not ka._NUMBA:
        raise ImportError("engine='numba' needs numba: pip install numba (or use engine='numpy')")
    kern = ka._kernel_numba if engine != "numpy" and ka._NUMBA else ka._kernel_numpy

    def c(a: np.ndarray) -> np.ndarray:
        # One numba signature for every call: writable C-contiguous float64 (model arrays are read-only).
        if a.flags.writeable and a.flags.c_contiguous and a.dtype == np.float64:
            return a
        return np.array(a, dtype=np.float64, order="C")

    tol = -1.0 if steady_tol is None else float(steady_tol)
    return kern(c(W), c(C), c(V), c(d), c(Q), c(R), c(h0), c(P0), c(y), c(om), bool(grad), tol)


def _sym(A: np.ndarray) -> np.ndarray:
    return 0.5 * (A + A.T)


class _Stein:
    """Solver of ``X = W X W^T + Y`` and of its adjoint ``L = W^T L W + G`` for one ``W``.

    Small ``n``: one LU factorisation of ``I - W (x) W`` (row-major ``vec(W X W^T) = (W (x) W) vec X``) serves
    both equations (the adjoint uses the transposed system). Larger ``n``: scipy's Lyapunov solver.
    """

    def __init__(self, W: np.ndarray):
        self.W = W
        n = W.shape[0]
        self.lu = scipy.linalg.lu_factor(np.eye(n * n) - np.kron(W, W), check_finite=False) if n <= 12 else None

    def solve(self, Y: np.ndarray, *, adjoint: bool = False) -> np.ndarray:
        n = self.W.shape[0]
        if self.lu is not None:
            X = scipy.linalg.lu_solve(self.lu, Y.ravel(), trans=1 if adjoint else 0, check_finite=False).reshape(n, n)
        else:
            X = scipy.linalg.solve_discrete_lyapunov(self.W.T if adjoint else self.W, Y)
        return _sym(X)


def _stationary_adjoint(stein: _Stein, h0: np.ndarray, P0: np.ndarray, gh0: np.ndarray, gP0: np.ndarray):
    """Pull the adjoints of ``h0 = (I - W)^{-1} b`` and ``P0 = W P0 W^T + Q`` back to ``(W, b, Q)``.

    ``P0`` solves a Stein equation, so its adjoint ``L`` solves the transposed one, ``L = W^T L W + gP0``;
    then ``gQ = L`` and ``gW = 2 L W P0``. For the mean, ``g = (I - W)^{-T} gh0`` gives ``gb = g`` and
    ``gW = g h0^T``.
    """
    W = stein.W
    n = W.shape[0]
    g = np.linalg.solve((np.eye(n) - W).T, gh0)
    Lam = stein.solve(_sym(gP0), adjoint=True)
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
    >>> from rnnss.fit import loglik_gradient
    >>> rnn = rnnss.LinearRNN(W=0.5, Q=1.0, R=1.0, P0=1.0)
    >>> y = np.array([0.3, -0.1, 0.8])
    >>> g = loglik_gradient(rnn, y)
    >>> eps = 1e-6
    >>> up = rnnss.kalman_filter(rnnss.LinearRNN(W=0.5 + eps, Q=1.0, R=1.0, P0=1.0), y).loglik
    >>> down = rnnss.kalman_filter(rnnss.LinearRNN(W=0.5 - eps, Q=1.0, R=1.0, P0=1.0), y).loglik
    >>> bool(np.isclose(g.W[0, 0], (up - down) / (2 * eps)))
    True
    """
    rnn = _check_rnn(rnn)
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
        ll, status, _, gW, gC, gV, gd, gQ, gR, gh0, gP0 = _run_kernel(
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
    gW, gb, gQ = total["W"], total["b"], _sym(total["Q"])
    gh0, gP0 = total["h0"], _sym(total["P0"])
    if initialization == "stationary":
        dW, g, Lam = _stationary_adjoint(_Stein(rnn.W), h0, P0, gh0, gP0)
        gW, gb, gQ = gW + dW, gb + g, gQ + Lam
        gh0 = gP0 = None
    return LoglikGradient(
        float(total["ll"]), gW, total["U"], gb, total["V"], total["d"], gQ, _sym(total["R"]), gh0, gP0
    )


# =====================================================================================================
# Data, standardisation, parameterisations
# =====================================================================================================


@dataclass(frozen=True)
class _Data:
    """One sequence on the standardised scale: ``y_s = (y - mu) / sd``, ``x_s = x / sx``."""

    y: np.ndarray  # (T, m), NaN replaced by 0
    om: np.ndarray  # (T, m) 0/1 mask
    x: np.ndarray  # (T, k)
    mu: np.ndarray
    sd: np.ndarray
    sx: np.ndarray
    n_obs: int
    n_steps: int  # time steps with at least one observation

    @property
    def log_jacobian(self) -> float:
        """``log p(y) = log p(y_s) - sum_j n_obs_j log sd_j``."""
        return float(np.sum(self.om.sum(axis=0) * np.log(self.sd)))


def _prepare(y: Any, x: Any, *, center: bool) -> tuple[_Data, np.ndarray, np.ndarray | None]:
    """Validate one sequence ``y`` (NaN = missing) and inputs ``x``; return the standardised data."""
    arr = v.as_float_array("y", y)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise v.DimensionError(
            f"y must be one sequence of shape (T, m) or (T,); got shape {v._shape_str(arr.shape)} "
            "(fits take a single sequence)"
        )
    T, m = arr.shape
    if m == 0 or T == 0:
        raise v.DimensionError(
            f"y must have at least one time step and one output; got shape {v._shape_str(arr.shape)}"
        )
    v.check_finite("y", arr, allow_nan=True)
    obs = ~np.isnan(arr)
    if not obs.any(axis=0).all():
        raise ValueError(f"y column(s) {np.nonzero(~obs.any(axis=0))[0].tolist()} hold no observed value")
    if x is None:
        xs = np.zeros((T, 0))
    else:
        xs = v.as_float_array("x", x)
        if xs.ndim == 1:
            xs = xs[:, None]
        if xs.ndim != 2 or xs.shape[0] != T:
            raise v.DimensionError(
                f"x must have shape ({T}, k) or ({T},) to match y; got shape {v._shape_str(xs.shape)}"
            )
        v.check_finite("x", xs)
    mu = np.nanmean(arr, axis=0) if center else np.zeros(m)
    sd = np.sqrt(np.nanmean((arr - mu) ** 2, axis=0))
    sd = np.where(sd > 0, sd, 1.0)
    sx = np.sqrt(np.mean(xs**2, axis=0)) if xs.shape[1] else np.zeros(0)
    sx = np.where(sx > 0, sx, 1.0)
    ys = (arr - mu) / sd
    data = _Data(
        np.where(obs, ys, 0.0), obs.astype(float), xs / sx, mu, sd, sx, int(obs.sum()), int(obs.any(axis=1).sum())
    )
    return data, arr, None if x is None else xs


def _tril_log(L: np.ndarray) -> np.ndarray:
    """Lower-triangular entries of a Cholesky factor, the diagonal as logs (keeps the covariance PD)."""
    i, j = np.tril_indices(L.shape[0])
    vals = L[i, j].copy()
    vals[i == j] = np.log(vals[i == j])
    return vals


def _tril_exp(vals: np.ndarray, m: int) -> np.ndarray:
    i, j = np.tril_indices(m)
    L = np.zeros((m, m))
    L[i, j] = np.where(i == j, np.exp(np.clip(vals, -300.0, 300.0)), vals)
    return L


def _tril_grad(gL: np.ndarray, L: np.ndarray) -> np.ndarray:
    """Gradient with respect to :func:`_tril_log` parameters from the gradient of ``L``."""
    i, j = np.tril_indices(L.shape[0])
    g = gL[i, j].copy()
    g[i == j] *= L[i, j][i == j]
    return g


def _chol_pd(S: np.ndarray, name: str) -> np.ndarray:
    try:
        return np.linalg.cholesky(_sym(S))
    except np.linalg.LinAlgError:
        raise ValueError(f"{name} must be positive definite for the fit (its Cholesky factor is a parameter)") from None


class _VarmaMap:
    """VARMA(p, q) parameters <-> observer-form state-space matrices, on the standardised scale.

    ``theta = [c (m, if trend), A_1..A_p (row-major), M_1..M_q, B (m, k), tril(L) with log-diagonal]``
    where ``Sigma = L L^T``. AR and MA coefficients are unconstrained; the objective is +inf outside the
    stationary region (the line search then shortens the step).
    """

    def __init__(self, m: int, p: int, q: int, k: int, trend: bool):
        self.m, self.p, self.q, self.k, self.trend = m, p, q, k, trend
        sizes = [m if trend else 0, p * m * m, q * m * m, m * k, m * (m + 1) // 2]
        self.cuts = np.cumsum([0] + sizes)
        self.size = int(self.cuts[-1])

    def unpack(self, theta: np.ndarray) -> VARMA:
        m, p, q, k = self.m, self.p, self.q, self.k
        part = [theta[self.cuts[i] : self.cuts[i + 1]] for i in range(5)]
        L = _tril_exp(part[4], m)
        return VARMA(
            ar=part[1].reshape(p, m, m),
            ma=part[2].reshape(q, m, m),
            sigma=L @ L.T,
            intercept=part[0] if self.trend else None,
            exog=part[3].reshape(m, k) if k else None,
        )

    def pack(self, varma: VARMA) -> np.ndarray:
        m = self.m
        parts = [
            varma.intercept if self.trend else np.zeros(0),
            np.asarray(varma.ar, dtype=float).ravel() if varma.p else np.zeros(0),
            np.asarray(varma.ma, dtype=float).ravel() if varma.q else np.zeros(0),
            varma.exog[0].ravel() if self.k else np.zeros(0),
            _tril_log(_chol_pd(varma.sigma, "the start's sigma")),
        ]
        out = np.concatenate(parts)
        if out.size != self.size or (self.k and len(varma.exog) != 1) or (varma.n_outputs != m):
            raise v.DimensionError(
                f"start must be a VARMA({self.p}, {self.q}) with m = {m} outputs and k = {self.k} "
                "contemporaneous inputs; "
                f"got {varma!r}"
            )
        return out

    def objective(self, theta: np.ndarray, data: _Data, grad: bool = True) -> tuple[float, np.ndarray | None]:
        """``-loglik / n_obs`` on the standardised data, and its exact gradient."""
        m, p, q, k = self.m, self.p, self.q, self.k
        part = [theta[self.cuts[i] : self.cuts[i + 1]] for i in range(5)]
        ar = part[1].reshape(p, m, m)
        inf = (math.inf, np.zeros_like(theta) if grad else None)
        if p and np.max(np.abs(np.linalg.eigvals(_companion_np(ar)))) >= 1.0 - 1e-10:
            return inf
        # observer form (see varma._observer_form), filled in place
        r = max(p, q + 1)
        n = m * r
        W = np.zeros((n, n))
        W[: p * m, :m] = ar.reshape(p * m, m)
        W[: n - m, m:] = np.eye(n - m)
        G = np.zeros((n, m))
        G[:m] = np.eye(m)
        G[m : (q + 1) * m] = part[2].reshape(q * m, m)
        L = _tril_exp(part[4], m)
        sigma = L @ L.T
        Q = _sym(G @ sigma @ G.T)
        b = np.zeros(n)
        if self.trend:
            b[:m] = part[0]
        U = np.zeros((n, k))
        U[:m] = part[3].reshape(m, k)
        V = np.zeros((m, n))
        V[:, :m] = np.eye(m)
        try:
            stein = _Stein(W)
            P0 = stein.solve(Q)
            h0 = np.linalg.solve(np.eye(n) - W, b)
        except (np.linalg.LinAlgError, ValueError):
            return inf
        C = data.x @ U.T + b
        ll, status, _, gW, gC, _, _, gQ, _, gh0, gP0 = _run_kernel(
            W, C, V, np.zeros(m), Q, np.zeros((m, m)), h0, P0, data.y, data.om, grad
        )
        if status or not math.isfinite(ll):
            return inf
        f = -ll / data.n_obs
        if not grad:
            return f, None
        dW, g, Lam = _stationary_adjoint(stein, h0, P0, gh0, gP0)
        gW = gW + dW
        gb = gC.sum(axis=0) + g
        gQ = _sym(gQ) + Lam
        gG = 2.0 * gQ @ G @ sigma
        gS = _sym(G.T @ gQ @ G)
        out = [
            gb[:m] if self.trend else np.zeros(0),
            gW[: p * m, :m].ravel(),
            gG[m : (q + 1) * m].ravel(),
            (gC.T @ data.x)[:m].ravel(),
            _tril_grad(2.0 * gS @ L, L),
        ]
        return f, -np.concatenate(out) / data.n_obs

    def to_original(self, varma_s: VARMA, data: _Data) -> VARMA:
        """Undo the standardisation ``y = mu + D y_s``, ``x = x_s * sx``: ``A = D A_s D^{-1}`` and so on."""
        D, Di = np.diag(data.sd), np.diag(1.0 / data.sd)
        ar = [D @ A @ Di for A in varma_s.ar]
        ma = [D @ M @ Di for M in varma_s.ma]
        c = D @ varma_s.intercept + data.mu - sum((A @ data.mu for A in ar), np.zeros(self.m))
        exog = [D @ varma_s.exog[0] / data.sx] if self.k else None
        return VARMA(ar=ar, ma=ma, sigma=D @ varma_s.sigma @ D, intercept=c if self.trend else None, exog=exog)

    def to_standard(self, varma: VARMA, data: _Data) -> VARMA:
        D, Di = np.diag(data.sd), np.diag(1.0 / data.sd)
        ar = [Di @ A @ D for A in varma.ar]
        ma = [Di @ M @ D for M in varma.ma]
        c = Di @ (varma.intercept - data.mu + sum((A @ data.mu for A in varma.ar), np.zeros(self.m)))
        exog = [Di @ varma.exog[0] * data.sx] if self.k and varma.exog else None
        return VARMA(ar=ar, ma=ma, sigma=Di @ varma.sigma @ Di, intercept=c if self.trend else None, exog=exog)


def _companion_np(ar: np.ndarray) -> np.ndarray:
    p, m, _ = ar.shape
    C = np.zeros((p * m, p * m))
    C[:m] = np.hstack(list(ar))
    C[m:, :-m] = np.eye((p - 1) * m)
    return C


class _RnnMap:
    r"""Linear-RNN parameters in the *normalised* basis, where the stationary state covariance is ``I``.

    ``theta = [A (n, n), V (m, n), d (m,), U (n, p), tril(L_R) with log-diagonal]`` with

    .. math:: X = I + A A^T,\quad W = X^{-1/2} A,\quad Q = X^{-1} = I - W W^T,\quad R = L_R L_R^T,

    ``b = 0``, ``h0 = 0``, ``P0 = I``. ``A -> W`` maps all real matrices one-to-one onto the strict
    contractions ``||W||_2 < 1``, so ``W`` is stable for every ``theta`` and ``P0 = I`` is exactly the
    stationary covariance (``W W^T + Q = I``). Every stationary model whose noise reaches all hidden units
    has such a basis (``h -> P^{-1/2} h``); what remains is the orthogonal freedom ``A -> O A O^T``.
    """

    def __init__(self, n: int, m: int, p: int):
        self.n, self.m, self.p = n, m, p
        sizes = [n * n, m * n, m, n * p, m * (m + 1) // 2]
        self.cuts = np.cumsum([0] + sizes)
        self.size = int(self.cuts[-1])

    def split(self, theta: np.ndarray) -> list[np.ndarray]:
        return [theta[self.cuts[i] : self.cuts[i + 1]] for i in range(5)]

    def system(self, theta: np.ndarray) -> dict[str, np.ndarray]:
        n, m, p = self.n, self.m, self.p
        A, V, d, U, lr = self.split(theta)
        A = A.reshape(n, n)
        lam, E = np.linalg.eigh(np.eye(n) + A @ A.T)
        Y = (E / np.sqrt(lam)) @ E.T  # X^{-1/2}
        Q = _sym((E / lam) @ E.T)
        LR = _tril_exp(lr, m)
        return dict(
            A=A, lam=lam, E=E, Y=Y, W=Y @ A, Q=Q, V=V.reshape(m, n), d=d.copy(), U=U.reshape(n, p), LR=LR, R=LR @ LR.T
        )

    def rnn(self, theta: np.ndarray) -> LinearRNN:
        s = self.system(theta)
        return LinearRNN(W=s["W"], U=s["U"], V=s["V"], d=s["d"], Q=s["Q"], R=s["R"], P0=np.eye(self.n))

    def objective(self, theta: np.ndarray, data: _Data, grad: bool = True) -> tuple[float, np.ndarray | None]:
        n = self.n
        s = self.system(theta)
        if s["lam"][-1] * np.finfo(float).eps > 1e-6:  # ||A|| ~ 1e5: W at the unit circle to rounding
            return math.inf, np.zeros_like(theta) if grad else None
        C = data.x @ s["U"].T
        ll, status, _, gW, gC, gV, gd, gQ, gR, _, _ = _run_kernel(
            s["W"], C, s["V"], s["d"], s["Q"], s["R"], np.zeros(n), np.eye(n), data.y, data.om, grad
        )
        if status or not math.isfinite(ll):
            return math.inf, np.zeros_like(theta) if grad else None
        f = -ll / data.n_obs
        if not grad:
            return f, None
        A, lam, E, Y, Q = s["A"], s["lam"], s["E"], s["Y"], s["Q"]
        # Q = X^{-1}: dQ = -Q dX Q.  W = X^{-1/2} A: the Frechet derivative of X^{-1/2} in the eigenbasis of X
        # multiplies entrywise by the divided differences of lambda^{-1/2}.
        gX = -Q @ _sym(gQ) @ Q
        gA = Y @ gW
        gY = _sym(gW @ A.T)
        r = np.sqrt(lam)
        Gam = -1.0 / (np.outer(r, r) * (r[:, None] + r[None, :]))
        gX += E @ ((E.T @ gY @ E) * Gam) @ E.T
        gA += 2.0 * _sym(gX) @ A
        out = [gA.ravel(), gV.ravel(), gd, (gC.T @ data.x).ravel(), _tril_grad(2.0 * _sym(gR) @ s["LR"], s["LR"])]
        return f, -np.concatenate(out) / data.n_obs

    def gauge_tangents(self, theta: np.ndarray) -> np.ndarray:
        """Directions of ``theta`` along which the model only rotates its basis: ``A -> O A O^T``, ``V -> V O^T``."""
        n = self.n
        A, V, d, U, lr = self.split(theta)
        A, V, U = A.reshape(n, n), V.reshape(self.m, n), U.reshape(n, self.p)
        cols = []
        for i in range(n):
            for j in range(i + 1, n):
                E = np.zeros((n, n))
                E[i, j], E[j, i] = 1.0, -1.0
                cols.append(
                    np.concatenate(
                        [
                            (E @ A - A @ E).ravel(),
                            (-V @ E).ravel(),
                            np.zeros(self.m),
                            (E @ U).ravel(),
                            np.zeros(lr.size),
                        ]
                    )
                )
        return np.array(cols).T if cols else np.zeros((theta.size, 0))

    def pack(self, rnn: LinearRNN) -> np.ndarray:
        """``theta`` of a stable model on the standardised scale (its bias moved into ``d``)."""
        n = self.n
        W = rnn.W
        if rnn.spectral_radius >= 1:
            raise NotStableError(f"the start must be stable; its spectral radius is {rnn.spectral_radius:.6g} >= 1")
        P = stationary_covariance(rnn)
        try:
            Lc = np.linalg.cholesky(P)
        except np.linalg.LinAlgError:
            raise ValueError(
                "the start's stationary state covariance is singular (Q does not reach every hidden unit); the fit's "
                "normalised basis needs it positive definite -- add a little process noise to the start"
            ) from None
        Wn = scipy.linalg.solve_triangular(Lc, W @ Lc, lower=True)
        Qn = _sym(np.eye(n) - Wn @ Wn.T)
        lam, E = np.linalg.eigh(Qn)
        if lam[0] <= 0:
            raise NumericalError(
                f"the start's normalised process-noise covariance is not positive definite (min eig {lam[0]:.3g})"
            )
        A = (E / np.sqrt(lam)) @ E.T @ Wn
        V = rnn.V @ Lc
        U = scipy.linalg.solve_triangular(Lc, rnn.U, lower=True)
        d = rnn.d + rnn.V @ np.linalg.solve(np.eye(n) - W, rnn.b)  # b moved into d: same stationary process
        return np.concatenate([A.ravel(), V.ravel(), d, U.ravel(), _tril_log(_chol_pd(rnn.R, "the start's R"))])

    @staticmethod
    def to_original(rnn_s: LinearRNN, data: _Data) -> LinearRNN:
        D = np.diag(data.sd)
        return LinearRNN(
            W=rnn_s.W,
            U=rnn_s.U / data.sx,
            V=D @ rnn_s.V,
            d=D @ rnn_s.d + data.mu,
            Q=rnn_s.Q,
            R=D @ rnn_s.R @ D,
            h0=rnn_s.h0,
            P0=rnn_s.P0,
            dt=rnn_s.dt,
        )

    @staticmethod
    def to_standard(rnn: LinearRNN, data: _Data) -> LinearRNN:
        Di = np.diag(1.0 / data.sd)
        return LinearRNN(
            W=rnn.W,
            U=rnn.U * data.sx,
            b=rnn.b,
            V=Di @ rnn.V,
            d=Di @ (rnn.d - data.mu),
            Q=rnn.Q,
            R=Di @ rnn.R @ Di,
            h0=rnn.h0,
            P0=rnn.P0,
            dt=rnn.dt,
        )


# =====================================================================================================
# Starting values
# =====================================================================================================


def _lstsq_rows(Y: np.ndarray, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Least squares ``Y ~ Z`` over the rows without NaN; (coefficients (cols, m), residuals) or None."""
    ok = ~(np.isnan(Y).any(axis=1) | np.isnan(Z).any(axis=1))
    if ok.sum() < max(2 * Z.shape[1], Z.shape[1] + 2):
        return None
    beta, *_ = np.linalg.lstsq(Z[ok], Y[ok], rcond=None)
    resid = np.full_like(Y, np.nan)
    resid[ok] = Y[ok] - Z[ok] @ beta
    return beta, resid


def _lags(Y: np.ndarray, lags: range) -> np.ndarray:
    """Columns ``[Y_{t-lag} for lag in lags]`` with NaN before the start."""
    T = Y.shape[0]
    out = []
    for lag in lags:
        shifted = np.full_like(Y, np.nan)
        shifted[lag:] = Y[: T - lag]
        out.append(shifted)
    return np.hstack(out) if out else np.zeros((T, 0))


def _shrink(blocks: np.ndarray, limit: float = 0.95) -> np.ndarray:
    """Scale ``C_i -> lambda^i C_i`` so the companion radius is at most ``limit`` (radius scales by lambda)."""
    if not len(blocks):
        return blocks
    rho = float(np.max(np.abs(np.linalg.eigvals(_companion_np(blocks)))))
    if rho <= limit:
        return blocks
    lam = limit / rho
    return blocks * lam ** np.arange(1, len(blocks) + 1)[:, None, None]


def _hannan_rissanen(data: _Data, p: int, q: int, trend: bool) -> VARMA:
    """Hannan-Rissanen start: a long VAR's residuals stand in for the innovations in a VARMA regression.

    Rows with missing values are skipped; an unstable (non-invertible) estimate is shrunk to radius 0.95.
    If the series is too short for the regressions, the start is white noise with the sample covariance.
    """
    T, m = data.y.shape
    Y = np.where(data.om > 0, data.y, np.nan)
    ones = np.ones((T, 1)) if trend else np.zeros((T, 0))
    eps = np.zeros((T, m))
    if q:
        L = max(p + q, min(int(round(1.5 * math.log(T))), (T // 3) // (m + 1)))
        fit = _lstsq_rows(Y, np.hstack([ones, _lags(Y, range(1, L + 1)), data.x]))
        if fit is not None:
            eps = np.nan_to_num(fit[1])
    Z = np.hstack([ones, _lags(Y, range(1, p + 1)), _lags(eps, range(1, q + 1)), data.x])
    fit = _lstsq_rows(Y, Z)
    sigma = np.cov(np.nan_to_num(Y), rowvar=False).reshape(m, m) if fit is None else None
    if fit is None:
        beta = np.zeros((Z.shape[1], m))
    else:
        beta, resid = fit
        r = resid[~np.isnan(resid).any(axis=1)]
        sigma = r.T @ r / max(len(r) - Z.shape[1], 1)
    sigma = _sym(sigma) + 1e-6 * np.eye(m)
    B = beta.T  # (m, cols)
    pos = 1 if trend else 0
    ar = B[:, pos : pos + p * m].reshape(m, p, m).transpose(1, 0, 2)
    ma = B[:, pos + p * m : pos + (p + q) * m].reshape(m, q, m).transpose(1, 0, 2)
    exog = B[:, pos + (p + q) * m :]
    return VARMA(
        ar=_shrink(ar),
        ma=-_shrink(-ma),
        sigma=sigma,
        intercept=B[:, 0] if trend else None,
        exog=exog if data.x.shape[1] else None,
    )


def _subspace_start(data: _Data, n: int) -> LinearRNN:
    r"""Canonical variate analysis (CVA) state estimates, then least squares for the matrices.

    The future outputs ``f_t = [y_t .. y_{t+L-1}]`` are regressed on the past ``[y_{t-1} .. y_{t-L},
    x_t .. x_{t-L+1}]`` and the future inputs; the predicted future, weighted by the inverse square root
    of the future covariance (CVA), has rank ``n`` in theory, and its leading ``n`` directions are state
    estimates ``h_t``. Least squares of ``h_{t+1}`` on ``[h_t, x_{t+1}]`` and of ``y_t`` on ``[h_t, 1]``
    give ``W, U, Q`` and ``V, d, R``. (Treating predicted states as states puts the prediction error into
    ``R``; maximum likelihood corrects the split.) Missing values are set to the mean for this start only.
    """
    T, m = data.y.shape
    x, y, k = data.x, data.y, data.x.shape[1]
    L = max(-(-(n + 1) // m), min(8, T // (4 * (m + k + 1))))
    N = T - 2 * L + 1
    if N < 2 * (L * (m + k) + n + 2):
        raise ValueError(
            f"y is too short for a {n}-state fit: T = {T} time steps leave {max(N, 0)} past/future windows of length "
            f"L = {L}, fewer than the {2 * (L * (m + k) + n + 2)} the subspace start needs; use fewer states or "
            "more data"
        )
    idx = np.arange(L, T - L + 1)
    past = np.hstack([y[idx - i] for i in range(1, L + 1)] + [x[idx - i] for i in range(L)])
    fut = np.hstack([y[idx + i] for i in range(L)])
    futx = np.hstack([x[idx + i] for i in range(1, L)]) if k and L > 1 else np.zeros((N, 0))
    beta, *_ = np.linalg.lstsq(np.hstack([past, futx]), fut, rcond=None)
    pred = past @ beta[: past.shape[1]]
    lam, E = np.linalg.eigh(fut.T @ fut / N)
    Wf = (E / np.sqrt(np.maximum(lam, 1e-8 * lam[-1]))) @ E.T
    _, _, Vt = np.linalg.svd(pred @ Wf, full_matrices=False)
    H = pred @ Wf @ Vt[:n].T
    H /= np.maximum(H.std(axis=0), 1e-12)
    Z = np.hstack([H[:-1], x[idx[1:]]])
    bs, *_ = np.linalg.lstsq(Z, H[1:], rcond=None)
    W, U = bs[:n].T, bs[n:].T
    Q = np.cov(H[1:] - Z @ bs, rowvar=False).reshape(n, n)
    Zy = np.hstack([H, np.ones((N, 1))])
    by, *_ = np.linalg.lstsq(Zy, y[idx], rcond=None)
    R = np.cov(y[idx] - Zy @ by, rowvar=False).reshape(m, m)
    rho = float(np.max(np.abs(np.linalg.eigvals(W))))
    if rho > 0.98:
        W = W * (0.98 / rho)
    Q = _sym(Q) + 1e-3 * max(np.trace(Q) / n, 1e-6) * np.eye(n)
    R = _sym(R) + 1e-3 * max(np.trace(R) / m, 1e-6) * np.eye(m)
    return LinearRNN(W=W, U=U, V=by[:n].T, d=by[n], Q=Q, R=R)


# =====================================================================================================
# Optimisation, standard errors, the report
# =====================================================================================================


def _minimize(
    fun: Callable,
    theta0: np.ndarray,
    *,
    maxiter: int,
    gtol: float,
    progress: bool | None,
    desc: str,
    offset: float,
    scale: int,
):
    """BFGS on the exact gradient, with a progress line showing the log-likelihood."""
    f0, _ = fun(theta0)
    if not math.isfinite(f0):
        raise NumericalError(f"{desc}: the likelihood is not finite at the starting values")
    with Progress(total=maxiter, desc=desc, show=progress) as bar:
        last = {"f": f0}

        def fg(theta: np.ndarray) -> tuple[float, np.ndarray]:
            f, g = fun(theta)
            if math.isfinite(f):
                last["f"] = min(last["f"], f)
            return f, g

        def callback(_: np.ndarray) -> None:
            bar.update(1, info=f"loglik {-last['f'] * scale - offset:.4f}")

        import scipy.optimize  # lazily: 0.2 s of import time

        res = scipy.optimize.minimize(
            fg, theta0, jac=True, method="BFGS", callback=callback, options=dict(maxiter=maxiter, gtol=gtol)
        )
    gmax = float(np.max(np.abs(res.jac))) if res.jac is not None and res.jac.size else 0.0
    # BFGS stops with "precision loss" when the line search can no longer decrease f at rounding level;
    # with a gradient that small the point is a stationary point all the same.
    converged = bool(res.success) or (res.status == 2 and gmax <= 100 * gtol)
    return res, converged, gmax


def _hessian(fun: Callable, theta: np.ndarray) -> np.ndarray | None:
    """Central differences of the exact gradient; None if a probe leaves the parameter space."""
    k = theta.size
    H = np.empty((k, k))
    for i in range(k):
        h = 1e-5 * max(1.0, abs(theta[i]))
        e = np.zeros(k)
        e[i] = h
        fp, gp = fun(theta + e)
        fm, gm = fun(theta - e)
        if not (math.isfinite(fp) and math.isfinite(fm)):
            return None
        H[:, i] = (gp - gm) / (2 * h)
    return _sym(H)


def _jacobian(g: Callable, theta: np.ndarray) -> np.ndarray:
    """Central-difference Jacobian of a smooth parameter map (no likelihood evaluations)."""
    cols = []
    for i in range(theta.size):
        h = 1e-6 * max(1.0, abs(theta[i]))
        e = np.zeros(theta.size)
        e[i] = h
        cols.append((g(theta + e) - g(theta - e)) / (2 * h))
    return np.array(cols).T


def _delta_method(
    H: np.ndarray | None, J: np.ndarray, n_obs: int, basis: np.ndarray | None = None
) -> tuple[np.ndarray | None, str]:
    """Standard errors ``sqrt(diag(J I^{-1} J^T))``, ``I = n_obs H`` restricted to ``basis`` (identified directions)."""
    if H is None:
        return None, "not computed: the Hessian probes left the stationary region (optimum at its boundary)"
    N = np.eye(H.shape[0]) if basis is None else basis
    Hr = N.T @ H @ N
    lam = np.linalg.eigvalsh(Hr) if Hr.size else np.ones(1)
    if lam[0] <= 1e-10 * max(lam[-1], 1e-300):
        return None, (
            "not computed: the observed information is singular or indefinite "
            f"(eigenvalues {lam[0]:.3g} .. {lam[-1]:.3g}); "
            "the parameters are not identified at this point, or the optimum was not reached"
        )
    cov = N @ np.linalg.solve(Hr, N.T) / n_obs
    JN = J @ cov @ J.T
    return np.sqrt(
        np.clip(np.diag(JN), 0.0, None)
    ), "from the inverse observed information (numerical Hessian of the exact score)"


@dataclass(frozen=True, repr=False)
class FitReport:
    """Result of :func:`fit_linear_rnn` or :func:`fit_varma_rnn`.

    Attributes
    ----------
    rnn : LinearRNN
        The fitted network, with its prior set to the stationary distribution (so
        ``kalman_filter(rnn, y, x).loglik == loglik``).
    varma : VARMA or None
        The fitted VARMA (:func:`fit_varma_rnn`), else None (use :func:`rnnss.rnn_to_varma`).
    loglik : float
        Maximised exact log-likelihood of the observed data.
    start_loglik : float
        Log-likelihood at the starting values (subspace or Hannan-Rissanen estimate, or ``start``).
    n_params : int
        Free parameters of the identified model (see the fit functions), used by ``aic`` and ``bic``.
    n_obs : int
        Observed scalar values.
    n_steps : int
        Time steps with at least one observation.
    aic : float
        ``-2 loglik + 2 n_params``.
    bic : float
        ``-2 loglik + n_params log(n_steps)`` (statsmodels' convention for multivariate series).
    converged : bool
        Whether the optimiser met its gradient tolerance.
    message : str
        The optimiser's message.
    n_iter : int
        Quasi-Newton iterations.
    n_evals : int
        Likelihood-and-gradient evaluations (each one filter pass plus its adjoint).
    max_gradient : float
        Largest absolute entry of the gradient of ``-loglik / n_obs`` (standardised scale) at the end.
    std_errors : dict or None
        Standard errors by parameter name, arrays shaped like the parameters; None where not defined.
    std_errors_note : str
        How the standard errors were obtained, or why they are missing.
    method : str
        ``"mle"`` or ``"subspace"``.
    elapsed : float
        Wall-clock seconds of the fit (for information only).
    """

    rnn: LinearRNN
    varma: VARMA | None
    loglik: float
    start_loglik: float
    n_params: int
    n_obs: int
    n_steps: int
    aic: float
    bic: float
    converged: bool
    message: str
    n_iter: int
    n_evals: int
    max_gradient: float
    std_errors: dict | None
    std_errors_note: str
    method: str
    elapsed: float = field(compare=False)

    def __repr__(self) -> str:
        model = repr(self.varma) if self.varma is not None else f"LinearRNN(n={self.rnn.n_hidden})"
        return (
            f"FitReport({model}: loglik={self.loglik:.4f}, aic={self.aic:.3f}, bic={self.bic:.3f}, "
            f"{'converged' if self.converged else 'NOT converged'} in {self.n_iter} iterations)"
        )

    def summary(self) -> str:
        """A multi-line report: likelihood, information criteria, convergence, estimates and standard errors."""
        lines = [
            repr(self),
            f"  log-likelihood {self.loglik:.6f} (start {self.start_loglik:.6f}); {self.n_params} parameters, "
            f"{self.n_obs} observed values over {self.n_steps} steps",
            f"  AIC {self.aic:.4f}, BIC {self.bic:.4f}",
            f"  optimiser: {self.message} ({self.n_iter} iterations, {self.n_evals} evaluations, "
            f"max |gradient| {self.max_gradient:.2e}, {self.elapsed:.3f} s)",
            f"  standard errors: {self.std_errors_note}",
        ]
        if self.varma is not None:
            lines.append(self.varma.summary())
        else:
            lines.append(canonical_form(self.rnn).summary())
        if self.std_errors:
            with np.printoptions(precision=4, suppress=True, linewidth=100):
                for name, se in self.std_errors.items():
                    lines.append(f"  se({name}) =\n{se}")
        return "\n".join(lines)


def _positive_int(name: str, value: Any, minimum: int) -> int:
    return v.as_int(name, value, minimum=minimum)


# =====================================================================================================
# fit_varma_rnn
# =====================================================================================================


def fit_varma_rnn(
    y: ArrayLike,
    p: int,
    q: int,
    x: ArrayLike | None = None,
    *,
    trend: str = "c",
    start: VARMA | None = None,
    maxiter: int = 1000,
    gtol: float = 1e-6,
    standard_errors: bool = True,
    progress: bool | None = None,
) -> FitReport:
    r"""Maximum-likelihood VARMA(p, q), returned with the linear RNN that realises it exactly.

    The exact Gaussian likelihood (stationary initialisation, missing values integrated out) is computed by
    the Kalman filter on the observer-form RNN of :func:`rnnss.varma_to_rnn` (``m max(p, q + 1)`` hidden
    units), and maximised by BFGS with its exact gradient (:func:`loglik_gradient`, chained through the
    stationary prior). Starting values: Hannan-Rissanen regressions. The data are standardised internally
    (column means and standard deviations) and the estimates mapped back exactly.

    Parameters
    ----------
    y : array_like, shape (T, m) or (T,)
        One multivariate series; NaN marks missing values.
    p, q : int
        AR and MA orders (``p = q = 0`` fits white noise with mean ``c``).
    x : array_like, shape (T, k) or (T,), optional
        Exogenous inputs entering as ``B x_t`` (contemporaneous, as in statsmodels ``VARMAX``).
    trend : {"c", "n"}
        Estimate an intercept ``c`` (``"c"``) or fix it to 0 (``"n"``).
    start : VARMA, optional
        Starting values instead of Hannan-Rissanen; must be stationary, with positive-definite ``sigma``.
    maxiter : int, default 1000
        Maximum BFGS iterations.
    gtol : float, default 1e-6
        Gradient tolerance on ``-loglik / n_obs`` (standardised scale).
    standard_errors : bool, default True
        Compute standard errors from the inverse observed information (numerical Hessian of the exact
        score, ``2 n_params`` extra evaluations) by the delta method on the original scale.
    progress : bool, optional
        Show a progress line (default: only when stderr is a terminal).

    Returns
    -------
    FitReport
        ``varma`` (the estimate), ``rnn`` (``varma_to_rnn(varma)``, stationary prior), ``loglik``, ``aic``,
        ``bic`` with ``n_params = m (if trend) + m^2 (p + q) + m k + m (m + 1) / 2`` (statsmodels' count),
        convergence information and ``std_errors`` keyed ``"intercept", "ar", "ma", "exog", "sigma"``.

    Raises
    ------
    DimensionError
        If ``y`` is not one sequence or ``x`` does not match it.
    ValueError
        If there are no more observed values than parameters, or ``trend`` is unknown.
    NotStableError
        If ``start`` is not stationary.
    NumericalError
        If the likelihood is not finite at the start.

    Notes
    -----
    AR and MA coefficients are unconstrained; a step outside the stationary region gets an infinite
    objective and the line search backs off, so the estimate is always stationary. Invertibility is not
    imposed (the likelihood is the same for a non-invertible MA and its invertible flip in the univariate
    case); ``varma.is_invertible`` reports it. Full VARMA(p, q) coefficient matrices are generically
    identified only when ``[A_p, M_q]`` has full row rank; otherwise the information matrix is singular
    and ``std_errors`` is None (see ``std_errors_note``).

    Examples
    --------
    >>> import rnnss
    >>> from rnnss.fit import fit_varma_rnn
    >>> from rnnss.varma import VARMA, simulate_varma
    >>> y = simulate_varma(VARMA(ar=[0.6], ma=[0.3], sigma=1.0, intercept=[1.0]), 400, rng=1)
    >>> fit = fit_varma_rnn(y, 1, 1)
    >>> fit.converged, fit.varma.p, fit.varma.q, fit.rnn.n_hidden
    (True, 1, 1, 2)
    >>> bool(abs(fit.loglik - rnnss.kalman_filter(fit.rnn, y).loglik) < 1e-8)
    True
    """
    t_start = time.perf_counter()
    p = _positive_int("p", p, 0)
    q = _positive_int("q", q, 0)
    if trend not in ("c", "n"):
        raise ValueError(f"trend must be 'c' (intercept) or 'n' (none); got {trend!r}")
    maxiter = _positive_int("maxiter", maxiter, 1)
    gtol = v.as_float("gtol", gtol, positive=True)
    data, y_arr, x_arr = _prepare(y, x, center=trend == "c")
    m, k = y_arr.shape[1], data.x.shape[1]
    pm = _VarmaMap(m, p, q, k, trend == "c")
    if data.n_obs <= pm.size:
        raise ValueError(
            f"y has {data.n_obs} observed values but a VARMA({p}, {q}) with m = {m}, k = {k} has {pm.size} free "
            "parameters; more data (or lower orders) are needed"
        )
    if start is not None:
        if not isinstance(start, VARMA):
            raise TypeError(f"start must be a rnnss.VARMA; got {type(start).__name__}")
        if not start.is_stationary:
            raise NotStableError(f"start must be stationary; its AR companion radius is {start.ar_radius:.6g} >= 1")
        if start.p != p or start.q != q or start.n_outputs != m or start.n_inputs != k:
            raise v.DimensionError(f"start must be a VARMA({p}, {q}) with m = {m} and k = {k}; got {start!r}")
        theta0 = pm.pack(pm.to_standard(start, data))
    else:
        theta0 = pm.pack(_hannan_rissanen(data, p, q, trend == "c"))

    def fun(theta: np.ndarray, grad: bool = True):
        return pm.objective(theta, data, grad)

    offset = data.log_jacobian
    f0, _ = fun(theta0, False)
    res, converged, gmax = _minimize(
        fun,
        theta0,
        maxiter=maxiter,
        gtol=gtol,
        progress=progress,
        desc=f"fit_varma_rnn VARMA({p},{q})",
        offset=offset,
        scale=data.n_obs,
    )
    theta = res.x
    varma = pm.to_original(pm.unpack(theta), data)
    rnn = varma_to_rnn(varma)
    loglik = float(varma_loglik(varma, y_arr, x_arr))
    std, note = None, "not requested"
    if standard_errors:
        names = ["intercept", "ar", "ma", "exog", "sigma"]

        def g(th: np.ndarray) -> np.ndarray:
            vm = pm.to_original(pm.unpack(th), data)
            return np.concatenate(
                [
                    vm.intercept,
                    np.ravel(vm.ar),
                    np.ravel(vm.ma),
                    vm.exog[0].ravel() if vm.exog else np.zeros(0),
                    vm.sigma.ravel(),
                ]
            )

        se, note = _delta_method(_hessian(fun, theta), _jacobian(g, theta), data.n_obs)
        if se is not None:
            shapes = [(m,), (p, m, m), (q, m, m), (m, k), (m, m)]
            cuts = np.cumsum([0] + [int(np.prod(s)) for s in shapes])
            std = {nm: se[cuts[i] : cuts[i + 1]].reshape(shapes[i]) for i, nm in enumerate(names)}
            if trend == "n":
                del std["intercept"]
            if not k:
                del std["exog"]
    kp = pm.size
    return FitReport(
        rnn=rnn,
        varma=varma,
        loglik=loglik,
        start_loglik=-f0 * data.n_obs - offset,
        n_params=kp,
        n_obs=data.n_obs,
        n_steps=data.n_steps,
        aic=-2 * loglik + 2 * kp,
        bic=-2 * loglik + kp * math.log(data.n_steps),
        converged=converged,
        message=str(res.message),
        n_iter=int(res.nit),
        n_evals=int(res.nfev),
        max_gradient=gmax,
        std_errors=std,
        std_errors_note=note,
        method="mle",
        elapsed=time.perf_counter() - t_start,
    )


# =====================================================================================================
# fit_linear_rnn
# =====================================================================================================


def _rnn_param_count(n: int, m: int, p: int) -> int:
    """Dimension of the identified model: (W, V, Q, R) modulo similarity, capped at the innovations form."""
    return min(n * (n + 1) // 2 + n * m, 2 * n * m) + m * (m + 1) // 2 + m + n * p


def fit_linear_rnn(
    y: ArrayLike,
    n_states: int,
    x: ArrayLike | None = None,
    *,
    method: str = "mle",
    start: LinearRNN | None = None,
    maxiter: int = 2000,
    gtol: float = 1e-6,
    standard_errors: bool = True,
    progress: bool | None = None,
) -> FitReport:
    r"""Fit a linear-Gaussian RNN ``h_t = W h_{t-1} + U x_t + eta_t``, ``y_t = V h_t + d + eps_t`` by exact ML.

    Training a linear RNN with Gaussian noise by maximum likelihood is system identification. The fit
    runs in two stages:

    1. **Subspace start** (canonical variate analysis, CVA): state estimates from the canonical
       correlations between past and future, then least squares for the matrices.
    2. **Exact maximum likelihood**: BFGS on the Kalman-filter log-likelihood with its exact gradient
       (reverse-mode, :func:`loglik_gradient`), in a basis where the stationary state covariance is the
       identity: ``W = (I + A A^T)^{-1/2} A``, ``Q = I - W W^T`` for an unconstrained ``A`` (so ``W`` is
       always stable, ``||W||_2 < 1``, and ``Q`` positive definite) and ``R = L L^T`` (Cholesky factor with
       log-diagonal). The prior is the stationary distribution (``h0 = 0``, ``P0 = I``, ``b = 0``; the mean
       lives in ``d``).

    The data are standardised internally and the estimates mapped back exactly.

    Parameters
    ----------
    y : array_like, shape (T, m) or (T,)
        One multivariate series; NaN marks missing values (whole rows or components).
    n_states : int
        Hidden units ``n >= 1``.
    x : array_like, shape (T, p) or (T,), optional
        Inputs (acting in the same step, ``h_t`` depends on ``x_t``).
    method : {"mle", "subspace"}
        ``"mle"``: the full fit; ``"subspace"``: stop after the subspace estimate.
    start : LinearRNN, optional
        Starting values instead of the subspace estimate; must be stable, with ``n_states`` hidden units,
        and a positive-definite stationary state covariance and ``R``.
    maxiter : int, default 2000
        Maximum BFGS iterations.
    gtol : float, default 1e-6
        Gradient tolerance on ``-loglik / n_obs`` (standardised scale).
    standard_errors : bool, default True
        Standard errors of the entries of :func:`canonical_form` of the estimate (delta method on the
        inverse observed information, restricted to the identified directions). Only defined for
        ``n < 2 m``: with ``n >= 2m`` the split of the noise into ``Q`` and ``R`` is not identified.
    progress : bool, optional
        Show a progress line (default: only when stderr is a terminal).

    Returns
    -------
    FitReport
        ``rnn`` (stationary prior), ``loglik``, ``aic``/``bic`` with ``n_params = min(n(n+1)/2 + nm, 2nm)
        + m(m+1)/2 + m + np`` -- the dimension of the model modulo the change of hidden basis, capped at
        that of the innovations form (the VARMA image) -- and convergence information.

    Raises
    ------
    DimensionError
        If ``y`` is not one sequence or ``x`` does not match it.
    ValueError
        If the series is too short for the subspace start or for the number of parameters, or ``method``
        is unknown.
    NotStableError
        If ``start`` is unstable.

    Notes
    -----
    The hidden basis is not identified (any ``T h`` fits equally well): compare fits through
    :func:`canonical_form`, :func:`rnnss.autocovariances`, :func:`rnnss.innovation_responses` or the
    Markov parameters ``V W^k U``. The fitted model has no bias ``b`` (it would only duplicate ``d``).

    Examples
    --------
    >>> import rnnss
    >>> from rnnss.fit import fit_linear_rnn
    >>> true = rnnss.LinearRNN(W=[[0.8, 0.2], [-0.2, 0.7]], V=[[1.0, 0.0], [0.3, 1.0]], Q=0.5, R=0.2)
    >>> y = rnnss.simulate(rnnss.with_stationary_prior(true), 500, rng=3).y
    >>> fit = fit_linear_rnn(y, 2)
    >>> fit.converged, fit.rnn.n_hidden
    (True, 2)
    >>> bool(fit.loglik >= rnnss.kalman_filter(true, y, initialization="stationary").loglik)
    True
    """
    t_start = time.perf_counter()
    n = _positive_int("n_states", n_states, 1)
    if method not in ("mle", "subspace"):
        raise ValueError(f"method must be 'mle' or 'subspace'; got {method!r}")
    maxiter = _positive_int("maxiter", maxiter, 1)
    gtol = v.as_float("gtol", gtol, positive=True)
    data, y_arr, x_arr = _prepare(y, x, center=True)
    m, k = y_arr.shape[1], data.x.shape[1]
    pm = _RnnMap(n, m, k)
    kp = _rnn_param_count(n, m, k)
    if data.n_obs <= kp:
        raise ValueError(
            f"y has {data.n_obs} observed values but a {n}-state linear RNN with m = {m} outputs and p = {k} inputs "
            f"has {kp} free parameters; more data (or fewer states) are needed"
        )
    if start is not None:
        start = _check_rnn(start, "start")
        if (start.n_hidden, start.n_outputs, start.n_inputs) != (n, m, k):
            raise v.DimensionError(
                f"start must have n = {n} hidden units, m = {m} outputs and p = {k} inputs; got "
                f"({start.n_hidden}, {start.n_outputs}, {start.n_inputs})"
            )
        theta0 = pm.pack(pm.to_standard(start, data))
    else:
        theta0 = pm.pack(_subspace_start(data, n))

    def fun(theta: np.ndarray, grad: bool = True):
        return pm.objective(theta, data, grad)

    offset = data.log_jacobian
    f0, _ = fun(theta0, False)
    if method == "subspace":
        theta, converged, message, nit, nfev, gmax = (
            theta0,
            True,
            "subspace estimate (no likelihood optimisation)",
            0,
            1,
            math.nan,
        )
    else:
        res, converged, gmax = _minimize(
            fun,
            theta0,
            maxiter=maxiter,
            gtol=gtol,
            progress=progress,
            desc=f"fit_linear_rnn n={n}",
            offset=offset,
            scale=data.n_obs,
        )
        theta, message, nit, nfev = res.x, str(res.message), int(res.nit), int(res.nfev)
    rnn = pm.to_original(pm.rnn(theta), data)
    from .kalman import kalman_filter

    loglik = float(kalman_filter(rnn, y_arr, x_arr, store_covariances=False).loglik)
    std, note = None, "not requested"
    if standard_errors and method == "mle":
        if n >= 2 * m:
            note = (
                f"not defined: with n = {n} >= 2 m = {2 * m} the split of the noise into Q and R is not identified "
                "(only the innovations form is); compare fits through rnn_to_varma or autocovariances"
            )
        else:
            ref = canonical_form(rnn)
            names = ["W", "U", "V", "d", "Q", "R"]

            def g(th: np.ndarray) -> np.ndarray:
                c = _canonical(pm.to_original(pm.rnn(th), data), ref)
                return np.concatenate([getattr(c, nm).ravel() for nm in names])

            tangents = pm.gauge_tangents(theta)
            if tangents.shape[1]:
                Qt, _ = np.linalg.qr(tangents, mode="complete")
                basis = Qt[:, tangents.shape[1] :]
            else:
                basis = None
            se, note = _delta_method(_hessian(fun, theta), _jacobian(g, theta), data.n_obs, basis)
            if se is not None:
                cuts = np.cumsum([0] + [getattr(ref, nm).size for nm in names])
                std = {nm: se[cuts[i] : cuts[i + 1]].reshape(getattr(ref, nm).shape) for i, nm in enumerate(names)}
                if not k:
                    del std["U"]
                note += "; for the entries of canonical_form(rnn)"
    return FitReport(
        rnn=rnn,
        varma=None,
        loglik=loglik,
        start_loglik=-f0 * data.n_obs - offset,
        n_params=kp,
        n_obs=data.n_obs,
        n_steps=data.n_steps,
        aic=-2 * loglik + 2 * kp,
        bic=-2 * loglik + kp * math.log(data.n_steps),
        converged=converged,
        message=message,
        n_iter=nit,
        n_evals=nfev,
        max_gradient=gmax,
        std_errors=std,
        std_errors_note=note,
        method=method,
        elapsed=time.perf_counter() - t_start,
    )


# =====================================================================================================
# Canonical form
# =====================================================================================================


def _canonical(rnn: LinearRNN, ref: LinearRNN | None = None, tol: float = 1e-10) -> LinearRNN:
    """Balanced realisation; with ``ref``, the state signs are chosen to match ``ref`` (for derivatives)."""
    from .structure import controllability_gramian, observability_gramian

    W, V = rnn.W, rnn.V
    n = rnn.n_hidden
    _require_stable(rnn, "the canonical (balanced) form")
    P = controllability_gramian(rnn, source="both")  # reachability from [U, Q^{1/2}]
    G = observability_gramian(rnn)
    for name, M, what in (
        ("reachability", P, "the noise and inputs do not reach"),
        ("observability", G, "the outputs do not see"),
    ):
        lam = np.linalg.eigvalsh(M)
        if lam[0] <= tol * max(lam[-1], np.finfo(float).tiny):
            raise StructureError(
                f"the model is not minimal: its {name} Gramian is singular "
                f"(eigenvalues {lam[0]:.3g} .. {lam[-1]:.3g}), "
                f"{what} some hidden direction; remove it (a minimal realisation) before comparing canonical forms"
            )
    Lc = np.linalg.cholesky(P)
    s2, Ub = np.linalg.eigh(Lc.T @ G @ Lc)
    order = np.argsort(s2)[::-1]
    s2, Ub = s2[order], Ub[:, order]
    hsv = np.sqrt(s2)
    Tinv = Lc @ Ub / np.sqrt(hsv)  # h = Tinv h'
    T = (Ub * np.sqrt(hsv)).T @ np.linalg.inv(Lc)
    # Sign convention: the largest entry (in modulus) of each column of the observability matrix is positive.
    Vb = V @ Tinv
    Wb = T @ W @ Tinv
    obs = [Vb]
    for _ in range(n - 1):
        obs.append(obs[-1] @ Wb)
    Ob = np.vstack(obs)
    if ref is None:
        signs = np.sign(Ob[np.argmax(np.abs(Ob), axis=0), np.arange(n)])
    else:
        Oref = np.vstack([ref.V @ np.linalg.matrix_power(ref.W, i) for i in range(n)])
        signs = np.sign(np.sum(Ob * Oref, axis=0))
    signs[signs == 0] = 1.0
    T, Tinv = T * signs[:, None], Tinv * signs[None, :]
    return LinearRNN(
        W=T @ W @ Tinv,
        U=T @ rnn.U,
        b=T @ rnn.b,
        V=V @ Tinv,
        d=rnn.d,
        Q=_sym(T @ rnn.Q @ T.T),
        R=rnn.R,
        h0=T @ rnn.h0,
        P0=_sym(T @ rnn.P0 @ T.T),
        dt=rnn.dt,
    )


def canonical_form(rnn: LinearRNN, *, tol: float = 1e-10) -> LinearRNN:
    r"""The model in balanced coordinates: a canonical representative of its similarity class.

    The hidden basis of a linear RNN is not identified: ``h -> T h`` (``W -> T W T^{-1}``, ``U -> T U``,
    ``V -> V T^{-1}``, ``Q -> T Q T^T``) changes nothing observable. This picks the basis in which the
    reachability Gramian of ``(W, [Q^{1/2}, U])`` (the stationary state covariance plus the input part) and
    the observability Gramian of ``(W, V)`` are equal and diagonal, ``diag(sigma_1 >= ... >= sigma_n)``, the
    Hankel singular values (Moore's balanced realisation), and fixes each state's sign so that the largest
    entry of its column of the observability matrix ``[V; V W; ...]`` is positive. Two models related by a
    similarity map to the same canonical form; compare fits this way.

    Parameters
    ----------
    rnn : LinearRNN
        A stable, minimal model (noise or inputs reach every hidden direction, and every direction is seen).
    tol : float, default 1e-10
        Relative size of the smallest Gramian eigenvalue below which the model counts as non-minimal.

    Returns
    -------
    LinearRNN
        The transformed model (``R``, ``d`` and ``dt`` unchanged; ``b``, ``h0``, ``P0`` transformed too).

    Raises
    ------
    NotStableError
        If ``W`` is not stable (the Gramians do not exist).
    StructureError
        If the model is not minimal.

    Notes
    -----
    Unique when the Hankel singular values are distinct (generic); with repeated values any rotation within
    their block is balanced too. For ``n >= 2m`` even the canonical forms of two equally likely models can
    differ in their ``Q``/``R`` split, which the likelihood does not identify.

    Examples
    --------
    >>> import numpy as np, rnnss
    >>> from rnnss.fit import canonical_form
    >>> rnn = rnnss.random_rnn(3, 2, 1, rng=0)
    >>> T = np.array([[2.0, 1.0, 0.0], [0.0, 1.0, 0.0], [1.0, 0.0, -1.0]])
    >>> Ti = np.linalg.inv(T)
    >>> other = rnnss.LinearRNN(W=T @ rnn.W @ Ti, U=T @ rnn.U, V=rnn.V @ Ti, Q=T @ rnn.Q @ T.T, R=rnn.R)
    >>> bool(np.allclose(canonical_form(rnn).W, canonical_form(other).W))
    True
    """
    rnn = _check_rnn(rnn)
    tol = v.as_float("tol", tol, positive=True)
    return _canonical(rnn, None, tol)
