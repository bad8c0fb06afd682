"""Parameter maps of the fits: unconstrained vectors to VARMA models and to stable linear RNNs, with their gradients."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.linalg

from .. import _validate as v
from .._linalg import SteinSolver, companion_radius, symmetrize
from ..exceptions import NotStableError, NumericalError
from ..kalman.score import run_kernel, stationary_adjoint
from ..linear import LinearRNN, stationary_covariance
from ..varma import VARMA


@dataclass(frozen=True)
class Data:
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


def prepare(y: Any, x: Any, *, center: bool) -> tuple[Data, np.ndarray, np.ndarray | None]:
    """Validate one sequence ``y`` (NaN = missing) and inputs ``x``; return the standardised data."""
    arr = v.as_float_array("y", y)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise v.DimensionError(
            f"y must be one sequence of shape (T, m) or (T,); got shape {v.shape_str(arr.shape)} "
            "(fits take a single sequence)"
        )
    T, m = arr.shape
    if m == 0 or T == 0:
        raise v.DimensionError(f"y must have at least one time step and one output; got shape {v.shape_str(arr.shape)}")
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
                f"x must have shape ({T}, k) or ({T},) to match y; got shape {v.shape_str(xs.shape)}"
            )
        v.check_finite("x", xs)
    mu = np.nanmean(arr, axis=0) if center else np.zeros(m)
    sd = np.sqrt(np.nanmean((arr - mu) ** 2, axis=0))
    sd = np.where(sd > 0, sd, 1.0)
    sx = np.sqrt(np.mean(xs**2, axis=0)) if xs.shape[1] else np.zeros(0)
    sx = np.where(sx > 0, sx, 1.0)
    ys = (arr - mu) / sd
    data = Data(
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
        return np.linalg.cholesky(symmetrize(S))
    except np.linalg.LinAlgError:
        raise ValueError(f"{name} must be positive definite for the fit (its Cholesky factor is a parameter)") from None


class VarmaMap:
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

    def objective(self, theta: np.ndarray, data: Data, grad: bool = True) -> tuple[float, np.ndarray | None]:
        """``-loglik / n_obs`` on the standardised data, and its exact gradient."""
        m, p, q, k = self.m, self.p, self.q, self.k
        part = [theta[self.cuts[i] : self.cuts[i + 1]] for i in range(5)]
        ar = part[1].reshape(p, m, m)
        inf = (math.inf, np.zeros_like(theta) if grad else None)
        if p and companion_radius(ar) >= 1.0 - 1e-10:
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
        Q = symmetrize(G @ sigma @ G.T)
        b = np.zeros(n)
        if self.trend:
            b[:m] = part[0]
        U = np.zeros((n, k))
        U[:m] = part[3].reshape(m, k)
        V = np.zeros((m, n))
        V[:, :m] = np.eye(m)
        try:
            stein = SteinSolver(W)
            P0 = stein.solve(Q)
            h0 = np.linalg.solve(np.eye(n) - W, b)
        except (np.linalg.LinAlgError, ValueError):
            return inf
        C = data.x @ U.T + b
        ll, status, _, gW, gC, _, _, gQ, _, gh0, gP0 = run_kernel(
            W, C, V, np.zeros(m), Q, np.zeros((m, m)), h0, P0, data.y, data.om, grad
        )
        if status or not math.isfinite(ll):
            return inf
        f = -ll / data.n_obs
        if not grad:
            return f, None
        dW, g, Lam = stationary_adjoint(stein, h0, P0, gh0, gP0)
        gW = gW + dW
        gb = gC.sum(axis=0) + g
        gQ = symmetrize(gQ) + Lam
        gG = 2.0 * gQ @ G @ sigma
        gS = symmetrize(G.T @ gQ @ G)
        out = [
            gb[:m] if self.trend else np.zeros(0),
            gW[: p * m, :m].ravel(),
            gG[m : (q + 1) * m].ravel(),
            (gC.T @ data.x)[:m].ravel(),
            _tril_grad(2.0 * gS @ L, L),
        ]
        return f, -np.concatenate(out) / data.n_obs

    def to_original(self, varma_s: VARMA, data: Data) -> VARMA:
        """Undo the standardisation ``y = mu + D y_s``, ``x = x_s * sx``: ``A = D A_s D^{-1}`` and so on."""
        D, Di = np.diag(data.sd), np.diag(1.0 / data.sd)
        ar = [D @ A @ Di for A in varma_s.ar]
        ma = [D @ M @ Di for M in varma_s.ma]
        c = D @ varma_s.intercept + data.mu - sum((A @ data.mu for A in ar), np.zeros(self.m))
        exog = [D @ varma_s.exog[0] / data.sx] if self.k else None
        return VARMA(ar=ar, ma=ma, sigma=D @ varma_s.sigma @ D, intercept=c if self.trend else None, exog=exog)

    def to_standard(self, varma: VARMA, data: Data) -> VARMA:
        D, Di = np.diag(data.sd), np.diag(1.0 / data.sd)
        ar = [Di @ A @ D for A in varma.ar]
        ma = [Di @ M @ D for M in varma.ma]
        c = Di @ (varma.intercept - data.mu + sum((A @ data.mu for A in varma.ar), np.zeros(self.m)))
        exog = [Di @ varma.exog[0] * data.sx] if self.k and varma.exog else None
        return VARMA(ar=ar, ma=ma, sigma=Di @ varma.sigma @ Di, intercept=c if self.trend else None, exog=exog)


class RnnMap:
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
        Q = symmetrize((E / lam) @ E.T)
        LR = _tril_exp(lr, m)
        return dict(
            A=A, lam=lam, E=E, Y=Y, W=Y @ A, Q=Q, V=V.reshape(m, n), d=d.copy(), U=U.reshape(n, p), LR=LR, R=LR @ LR.T
        )

    def rnn(self, theta: np.ndarray) -> LinearRNN:
        s = self.system(theta)
        return LinearRNN(W=s["W"], U=s["U"], V=s["V"], d=s["d"], Q=s["Q"], R=s["R"], P0=np.eye(self.n))

    def objective(self, theta: np.ndarray, data: Data, grad: bool = True) -> tuple[float, np.ndarray | None]:
        n = self.n
        s = self.system(theta)
        if s["lam"][-1] * np.finfo(float).eps > 1e-6:  # ||A|| ~ 1e5: W at the unit circle to rounding
            return math.inf, np.zeros_like(theta) if grad else None
        C = data.x @ s["U"].T
        ll, status, _, gW, gC, gV, gd, gQ, gR, _, _ = run_kernel(
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
        gX = -Q @ symmetrize(gQ) @ Q
        gA = Y @ gW
        gY = symmetrize(gW @ A.T)
        r = np.sqrt(lam)
        Gam = -1.0 / (np.outer(r, r) * (r[:, None] + r[None, :]))
        gX += E @ ((E.T @ gY @ E) * Gam) @ E.T
        gA += 2.0 * symmetrize(gX) @ A
        out = [gA.ravel(), gV.ravel(), gd, (gC.T @ data.x).ravel(), _tril_grad(2.0 * symmetrize(gR) @ s["LR"], s["LR"])]
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
        Qn = symmetrize(np.eye(n) - Wn @ Wn.T)
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
    def to_original(rnn_s: LinearRNN, data: Data) -> LinearRNN:
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
    def to_standard(rnn: LinearRNN, data: Data) -> LinearRNN:
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
