"""Echelon-form VARMA estimation: the identified parameter map, its Hannan-Rissanen start, and the fit on the driver."""

from __future__ import annotations

import math
import time

import numpy as np

from .. import _validate as v
from .._linalg import companion_radius, symmetrize
from ..echelon import EchelonStructure, echelon_structure
from ..exceptions import NotStableError
from ..linear import LinearRNN
from ..varma import VARMA, varma_to_rnn
from .driver import FitProblem, FitReport, StdErrorSpec, run_fit
from .params import Data, VarmaMap, _chol_pd, _tril_exp, _tril_log
from .start import _lags, _lstsq_rows


class EchelonMap:
    r"""Echelon-form VARMA parameters on the standardised scale, chained onto :class:`VarmaMap`.

    ``theta = [c (m, if trend), free entries of A_0, of A_1..A_p, of M_1..M_p (row-major, in the echelon
    pattern), B_0 (m, k), tril(L) with log-diagonal]``, ``Sigma = L L^T``. The likelihood is that of the
    standard form ``A_0^{-1} (c, A_i, M_j, B_0)`` -- the same process -- through ``VarmaMap.objective``
    (the exact score of the Kalman filter on the observer-form RNN, the one place that calls the kernel);
    its gradient is pulled back through ``X~ = A_0^{-1} X``: ``g_X = A_0^{-T} g_X~`` and
    ``g_{A_0} = -A_0^{-T} sum_X g_X~ X~^T``, restricted to the free entries.
    """

    def __init__(self, structure: EchelonStructure, k: int, trend: bool):
        self.st, self.k, self.trend = structure, k, trend
        m, p = structure.n_outputs, structure.order
        self.m, self.p = m, p
        self.vmap = VarmaMap(m, p, p, k, trend)
        sizes = [
            m if trend else 0,
            int(structure.a0_free.sum()),
            int(structure.ar_free.sum()),
            int(structure.ma_free.sum()),
            m * k,
            m * (m + 1) // 2,
        ]
        self.cuts = np.cumsum([0] + sizes)
        self.size = int(self.cuts[-1])

    def split(self, theta: np.ndarray) -> list[np.ndarray]:
        return [theta[self.cuts[i] : self.cuts[i + 1]] for i in range(6)]

    def matrices(self, theta: np.ndarray) -> tuple[np.ndarray, ...]:
        """``(c, A_0, A (p, m, m), M (p, m, m), B_0 (m, k), L)`` from ``theta``."""
        m, p, k = self.m, self.p, self.k
        c, a0v, arv, mav, bv, lv = self.split(theta)
        a0 = np.eye(m)
        a0[self.st.a0_free] = a0v
        ar, ma = np.zeros((p, m, m)), np.zeros((p, m, m))
        ar[self.st.ar_free] = arv
        ma[self.st.ma_free] = mav
        return (c if self.trend else np.zeros(m)), a0, ar, ma, bv.reshape(m, k), _tril_exp(lv, m)

    def unpack(self, theta: np.ndarray) -> VARMA:
        c, a0, ar, ma, B, L = self.matrices(theta)
        return VARMA(
            ar=ar,
            ma=ma,
            sigma=L @ L.T,
            intercept=c if self.trend else None,
            exog=B if self.k else None,
            a0=a0,
            kronecker_indices=self.st.kronecker_indices,
        )

    def pack(self, varma: VARMA) -> np.ndarray:
        if varma.kronecker_indices != self.st.kronecker_indices or varma.n_inputs != self.k or len(varma.exog) > 1:
            raise v.DimensionError(
                f"start must be an echelon-form VARMA with Kronecker indices {self.st.kronecker_indices} and "
                f"k = {self.k} contemporaneous inputs; got {varma!r}"
            )
        parts = [
            varma.intercept if self.trend else np.zeros(0),
            varma.a0[self.st.a0_free],
            np.asarray(varma.ar, dtype=float).reshape(self.p, self.m, self.m)[self.st.ar_free],
            np.asarray(varma.ma, dtype=float).reshape(self.p, self.m, self.m)[self.st.ma_free],
            varma.exog[0].ravel() if self.k else np.zeros(0),
            _tril_log(_chol_pd(varma.sigma, "the start's sigma")),
        ]
        return np.concatenate(parts)

    def objective(self, theta: np.ndarray, data: Data, grad: bool = True) -> tuple[float, np.ndarray | None]:
        """``-loglik / n_obs`` on the standardised data, and its exact gradient."""
        m, p, k = self.m, self.p, self.k
        c, a0, ar, ma, B, L = self.matrices(theta)
        # A_0 is unit lower triangular (determinant 1); its explicit inverse is exact enough at these sizes and
        # avoids the per-call overhead of LAPACK's threaded triangular solvers in the optimiser's inner loop.
        a0i = np.linalg.inv(a0)
        ct, Bt = a0i @ c, a0i @ B
        art, mat = a0i @ ar, a0i @ ma  # broadcast over lags
        lv = self.split(theta)[5]
        theta_v = np.concatenate([ct if self.trend else np.zeros(0), art.ravel(), mat.ravel(), Bt.ravel(), lv])
        f, gv = self.vmap.objective(theta_v, data, grad)
        if not grad or not math.isfinite(f):
            return f, (np.zeros_like(theta) if grad else None)
        gc, gar, gma, gB, gl = (gv[self.vmap.cuts[i] : self.vmap.cuts[i + 1]] for i in range(5))
        gar, gma, gB = gar.reshape(p, m, m), gma.reshape(p, m, m), gB.reshape(m, k)
        outer = np.einsum("lij,lkj->ik", gar, art) + np.einsum("lij,lkj->ik", gma, mat) + gB @ Bt.T
        if self.trend:
            outer += np.outer(gc, ct)
        out = [
            a0i.T @ gc if self.trend else np.zeros(0),
            -(a0i.T @ outer)[self.st.a0_free],
            (a0i.T @ gar)[self.st.ar_free],
            (a0i.T @ gma)[self.st.ma_free],
            (a0i.T @ gB).ravel(),
            gl,
        ]
        return f, np.concatenate(out)

    def to_original(self, vs: VARMA, data: Data) -> VARMA:
        """Undo ``y = mu + D y_s``, ``x = x_s * sx``: ``X -> D X D^{-1}`` (patterns and the unit diagonal exact)."""
        d = data.sd
        sim = lambda X: (X * d[:, None]) / d[None, :]  # noqa: E731
        a0, ar, ma = sim(vs.a0), [sim(A) for A in vs.ar], [sim(M) for M in vs.ma]
        a1 = a0 - sum(ar, np.zeros((self.m, self.m)))
        c = d * vs.intercept + a1 @ data.mu
        exog = [d[:, None] * vs.exog[0] / data.sx] if self.k else None
        return VARMA(
            ar=np.array(ar).reshape(self.p, self.m, self.m),
            ma=np.array(ma).reshape(self.p, self.m, self.m),
            sigma=vs.sigma * np.outer(d, d),
            intercept=c if self.trend else None,
            exog=exog,
            a0=a0,
            kronecker_indices=vs.kronecker_indices,
        )

    def to_standard(self, varma: VARMA, data: Data) -> VARMA:
        d = data.sd
        sim = lambda X: (X / d[:, None]) * d[None, :]  # noqa: E731
        a1 = varma.a0 - sum(varma.ar, np.zeros((self.m, self.m)))
        c = (varma.intercept - a1 @ data.mu) / d
        exog = [varma.exog[0] / d[:, None] * data.sx] if self.k and varma.exog else None
        return VARMA(
            ar=np.array([sim(A) for A in varma.ar]).reshape(self.p, self.m, self.m),
            ma=np.array([sim(M) for M in varma.ma]).reshape(self.p, self.m, self.m),
            sigma=varma.sigma / np.outer(d, d),
            intercept=c if self.trend else None,
            exog=exog,
            a0=sim(varma.a0),
            kronecker_indices=varma.kronecker_indices,
        )


def _shrink_echelon(a0: np.ndarray, blocks: np.ndarray, limit: float = 0.95) -> np.ndarray:
    """``X_l -> lambda^l X_l`` so that the companion radius of ``A_0^{-1} X_l`` is at most ``limit`` (pattern kept)."""
    if not len(blocks):
        return blocks
    rho = companion_radius(np.linalg.inv(a0) @ blocks)
    if rho <= limit:
        return blocks
    return blocks * (limit / rho) ** np.arange(1, len(blocks) + 1)[:, None, None]


def echelon_start(data: Data, st: EchelonStructure, trend: bool) -> VARMA:
    """Hannan-Rissanen in echelon form: equation-by-equation least squares under the zero restrictions.

    A long VAR's residuals ``e_t`` stand in for the innovations. Equation ``i`` of ``A_0 y_t = c + sum A_l
    y_{t-l} + A_0 e_t + sum M_l e_{t-l}`` reads ``y_{i,t} = c_i + sum_{j != i} A_0[i, j] (e_{j,t} - y_{j,t}) +
    sum_l A_l[i] y_{t-l} + sum_{l <= p_i} M_l[i] e_{t-l} + e_{i,t}``; its free coefficients are regressed
    (Lütkepohl 2005, Sec. 12.2). Rows with missing values are skipped; an estimate outside the stationary or
    invertible region is shrunk to radius 0.95; a failed regression leaves white noise.
    """
    T, m = data.y.shape
    p, k = st.order, data.x.shape[1]
    Y = np.where(data.om > 0, data.y, np.nan)
    ones = np.ones((T, 1)) if trend else np.zeros((T, 0))
    eps = np.zeros((T, m))
    if p:
        L = max(2 * p, min(int(round(1.5 * math.log(T))), (T // 3) // (m + 1)))
        fit = _lstsq_rows(Y, np.hstack([ones, _lags(Y, range(1, L + 1)), data.x]))
        if fit is not None:
            eps = np.nan_to_num(fit[1])
    ylags, elags = _lags(Y, range(1, p + 1)), _lags(eps, range(1, p + 1))
    a0, ar, ma = np.eye(m), np.zeros((p, m, m)), np.zeros((p, m, m))
    c, B = np.zeros(m), np.zeros((m, k))
    resid = np.full((T, m), np.nan)
    for i in range(m):
        cols = [ones]
        j0 = np.flatnonzero(st.a0_free[i])
        cols.append(eps[:, j0] - Y[:, j0])
        lag_j = np.argwhere(st.ar_free[:, i, :])  # (lag - 1, j)
        cols.append(ylags[:, lag_j[:, 0] * m + lag_j[:, 1]] if len(lag_j) else np.zeros((T, 0)))
        n_ma = st.kronecker_indices[i] * m
        cols.append(elags[:, :n_ma])
        cols.append(data.x)
        fit = _lstsq_rows(Y[:, i : i + 1], np.hstack(cols))
        if fit is None:
            continue
        beta, res = fit[0][:, 0], fit[1][:, 0]
        pos = np.cumsum([0] + [X.shape[1] for X in cols])
        if trend:
            c[i] = beta[0]
        a0[i, j0] = beta[pos[1] : pos[2]]
        ar[lag_j[:, 0], i, lag_j[:, 1]] = beta[pos[2] : pos[3]]
        ma[: st.kronecker_indices[i], i, :] = beta[pos[3] : pos[4]].reshape(st.kronecker_indices[i], m)
        B[i] = beta[pos[4] : pos[5]]
        resid[:, i] = res
    ok = ~np.isnan(resid).any(axis=1)
    if ok.sum() > m + 1:
        r = resid[ok]
        sigma = r.T @ r / ok.sum()
    else:
        sigma = np.cov(np.nan_to_num(Y), rowvar=False).reshape(m, m)
    # Shrinking A_l, M_l by lambda^l maps every root z to z / lambda and keeps the echelon pattern.
    ar = _shrink_echelon(a0, ar)
    ma = -_shrink_echelon(a0, -ma)
    return VARMA(
        ar=ar,
        ma=ma,
        sigma=symmetrize(sigma) + 1e-6 * np.eye(m),
        intercept=c if trend else None,
        exog=B if k else None,
        a0=a0,
        kronecker_indices=st.kronecker_indices,
    )


def _white_noise_start(data: Data, st: EchelonStructure, trend: bool) -> VARMA:
    m, p, k = st.n_outputs, st.order, data.x.shape[1]
    sigma = np.cov(np.nan_to_num(np.where(data.om > 0, data.y, 0.0)), rowvar=False).reshape(m, m)
    return VARMA(
        ar=np.zeros((p, m, m)),
        ma=np.zeros((p, m, m)),
        sigma=symmetrize(sigma) + 1e-6 * np.eye(m),
        intercept=np.zeros(m) if trend else None,
        exog=np.zeros((m, k)) if k else None,
        kronecker_indices=st.kronecker_indices,
    )


def fit_echelon(
    data: Data,
    y_arr: np.ndarray,
    x_arr: np.ndarray | None,
    kronecker_indices: tuple,
    *,
    trend: bool,
    start: VARMA | None,
    max_iter: int,
    gtol: float,
    standard_errors: bool,
    progress: bool | None,
    t_start: float,
) -> FitReport:
    """The echelon-form fit behind :func:`rnnss.fit_varma_rnn` ``(..., kronecker_indices=...)``."""
    m, k = y_arr.shape[1], data.x.shape[1]
    st = echelon_structure(kronecker_indices, trend=trend, n_inputs=k)
    if len(st.kronecker_indices) != m:
        raise v.DimensionError(f"kronecker_indices must have one entry per output, m = {m}; got {kronecker_indices}")
    pm = EchelonMap(st, k, trend)
    if data.n_obs <= st.n_params:
        raise ValueError(
            f"y has {data.n_obs} observed values but the echelon form with Kronecker indices {st.kronecker_indices} "
            f"(m = {m}, k = {k}) has {st.n_params} free parameters; more data (or smaller indices) are needed"
        )
    if start is not None:
        start = v.check_instance(start, VARMA, "start")
        if start.kronecker_indices != st.kronecker_indices or start.n_inputs != k or len(start.exog) > 1:
            raise v.DimensionError(
                f"start must be an echelon-form VARMA with Kronecker indices {st.kronecker_indices} and k = {k} "
                f"contemporaneous inputs; got {start!r}"
            )
        if not start.is_stationary:
            raise NotStableError(f"start must be stationary; its AR companion radius is {start.ar_radius:.6g} >= 1")
        theta0 = pm.pack(pm.to_standard(start, data))
    else:
        theta0 = pm.pack(echelon_start(data, st, trend))
        if not math.isfinite(pm.objective(theta0, data, False)[0]):
            theta0 = pm.pack(_white_noise_start(data, st, trend))

    def models(theta: np.ndarray) -> tuple[LinearRNN, VARMA]:
        varma = pm.to_original(pm.unpack(theta), data)
        return varma_to_rnn(varma), varma

    def std_errors(theta: np.ndarray, rnn: LinearRNN) -> StdErrorSpec:
        def values(th: np.ndarray) -> np.ndarray:
            vm = pm.to_original(pm.unpack(th), data)
            exog = vm.exog[0].ravel() if vm.exog else np.zeros(0)
            parts = [vm.intercept, vm.a0.ravel(), np.ravel(vm.ar), np.ravel(vm.ma), exog, vm.sigma.ravel()]
            return np.concatenate(parts)

        p = st.order
        layout = [
            ("intercept", (m,)),
            ("a0", (m, m)),
            ("ar", (p, m, m)),
            ("ma", (p, m, m)),
            ("exog", (m, k)),
            ("sigma", (m, m)),
        ]
        drop = (() if trend else ("intercept",)) + (() if k else ("exog",))
        return StdErrorSpec(values, layout, drop=drop, note="; entries fixed by the echelon pattern have 0")

    problem = FitProblem(
        data=data,
        desc=f"fit_varma_rnn echelon {st.kronecker_indices}",
        n_params=st.n_params,
        theta0=theta0,
        objective=lambda theta, grad: pm.objective(theta, data, grad),
        models=models,
        std_errors=std_errors,
    )
    return run_fit(
        problem,
        y_arr,
        x_arr,
        optimise=True,
        max_iter=max_iter,
        gtol=gtol,
        standard_errors=standard_errors,
        progress=progress,
        t_start=t_start if t_start is not None else time.perf_counter(),
    )
