"""Starting values of the fits: Hannan-Rissanen regressions for VARMA, canonical variate analysis for linear RNNs."""

from __future__ import annotations

import math

import numpy as np

from .._linalg import companion_radius, symmetrize
from ..linear import LinearRNN
from ..varma import VARMA
from .params import Data


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
    rho = companion_radius(blocks)
    if rho <= limit:
        return blocks
    lam = limit / rho
    return blocks * lam ** np.arange(1, len(blocks) + 1)[:, None, None]


def hannan_rissanen(data: Data, p: int, q: int, trend: bool) -> VARMA:
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
    sigma = symmetrize(sigma) + 1e-6 * np.eye(m)
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


def subspace_start(data: Data, n: int) -> LinearRNN:
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
    Q = symmetrize(Q) + 1e-3 * max(np.trace(Q) / n, 1e-6) * np.eye(n)
    R = symmetrize(R) + 1e-3 * max(np.trace(R) / m, 1e-6) * np.eye(m)
    return LinearRNN(W=W, U=U, V=by[:n].T, d=by[n], Q=Q, R=R)
