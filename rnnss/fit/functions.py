"""The two fits users call: a VARMA-equivalent linear RNN and a linear RNN with a given number of states."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import _validate as v
from .._deprecation import renamed_keywords
from ..echelon import as_indices
from ..exceptions import NotStableError
from ..linear import LinearRNN
from ..realization import canonical_form, canonical_realization
from ..varma import VARMA, varma_to_rnn
from .driver import FitProblem, FitReport, StdErrorSpec, run_fit
from .echelon import fit_echelon
from .params import RnnMap, VarmaMap, prepare
from .start import hannan_rissanen, subspace_start

if TYPE_CHECKING:  # pragma: no cover
    from numpy.typing import ArrayLike

__all__ = ["fit_varma_rnn", "fit_linear_rnn"]


@renamed_keywords(maxiter="max_iter")
def fit_varma_rnn(
    y: ArrayLike,
    p: int | None = None,
    q: int | None = None,
    x: ArrayLike | None = None,
    *,
    kronecker_indices: Any = None,
    trend: str = "c",
    start: VARMA | None = None,
    max_iter: int = 1000,
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

    **Echelon form** (``kronecker_indices=(p_1, ..., p_m)``): the identified echelon-form VARMA of
    :func:`rnnss.echelon_structure` -- ``A_0 y_t = c + sum A_i y_{t-i} + A_0 e_t + sum M_j e_{t-j} + B x_t`` with
    the zero/one pattern of the indices, ``p = q = max p_i``. Only the free coefficients are parameters, so a
    maximum is a point, not a ridge (where the data's Kronecker indices are the declared ones): starts that
    climb to it return the same estimate, and standard errors exist. (VARMA likelihoods can still have several
    local maxima, often near the boundary of invertibility.) The likelihood is that of the equivalent standard form
    ``A_0^{-1}(...)`` on the same observer-form RNN, with the gradient pulled back through ``A_0^{-1}``; the
    start is Hannan-Rissanen under the echelon restrictions (equation-by-equation least squares). Candidate
    index vectors and their parameter counts: :func:`rnnss.kronecker_candidates`.

    Parameters
    ----------
    y : array_like, shape (T, m) or (T,)
        One multivariate series; NaN marks missing values.
    p, q : int, optional
        AR and MA orders (``p = q = 0`` fits white noise with mean ``c``); required unless
        ``kronecker_indices`` is given (then they must be ``max p_i`` if given).
    x : array_like, shape (T, k) or (T,), optional
        Exogenous inputs entering as ``B x_t`` (contemporaneous, as in statsmodels ``VARMAX``).
    kronecker_indices : sequence of int, length m, optional
        Fit the echelon form of these Kronecker indices instead of unrestricted coefficients.
    trend : {"c", "n"}
        Estimate an intercept ``c`` (``"c"``) or fix it to 0 (``"n"``).
    start : VARMA, optional
        Starting values instead of Hannan-Rissanen; must be stationary, with positive-definite ``sigma`` (for
        the echelon form: an echelon VARMA with the same indices).
    max_iter : int, default 1000
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
        ``bic`` with ``n_params = m (if trend) + m^2 (p + q) + m k + m (m + 1) / 2`` (statsmodels' count; for
        the echelon form ``EchelonStructure.n_params``), convergence information and ``std_errors`` keyed
        ``"intercept", "ar", "ma", "exog", "sigma"`` (and ``"a0"`` for the echelon form, where entries fixed by
        the pattern have standard error 0).

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
    >>> y = rnnss.simulate(rnnss.VARMA(ar=[0.6], ma=[0.3], sigma=1.0, intercept=[1.0]), 400, rng=1).y
    >>> fit = rnnss.fit_varma_rnn(y, 1, 1)
    >>> fit.converged, fit.varma.p, fit.varma.q, fit.rnn.n_hidden
    (True, 1, 1, 2)
    >>> bool(abs(fit.loglik - rnnss.kalman_filter(fit.rnn, y).loglik) < 1e-8)
    True
    """
    standard_errors = v.as_bool("standard_errors", standard_errors)
    progress = v.as_bool("progress", progress, allow_none=True)
    t_start = time.perf_counter()
    if trend not in ("c", "n"):
        raise ValueError(f"trend must be 'c' (intercept) or 'n' (none); got {trend!r}")
    max_iter = v.as_int("max_iter", max_iter, minimum=1)
    gtol = v.as_float("gtol", gtol, positive=True)
    if kronecker_indices is not None:
        idx = as_indices(kronecker_indices)
        for name, val in (("p", p), ("q", q)):
            if val is not None and v.as_int(name, val, minimum=0) != max(idx):
                raise ValueError(
                    f"{name} = {val} contradicts kronecker_indices={idx}: the echelon form has p = q = {max(idx)}"
                )
        data, y_arr, x_arr = prepare(y, x, center=trend == "c")
        return fit_echelon(
            data,
            y_arr,
            x_arr,
            idx,
            trend=trend == "c",
            start=start,
            max_iter=max_iter,
            gtol=gtol,
            standard_errors=standard_errors,
            progress=progress,
            t_start=t_start,
        )
    if p is None or q is None:
        raise TypeError("fit_varma_rnn needs the orders p and q, or kronecker_indices")
    p = v.as_int("p", p, minimum=0)
    q = v.as_int("q", q, minimum=0)
    data, y_arr, x_arr = prepare(y, x, center=trend == "c")
    m, k = y_arr.shape[1], data.x.shape[1]
    pm = VarmaMap(m, p, q, k, trend == "c")
    if data.n_obs <= pm.size:
        raise ValueError(
            f"y has {data.n_obs} observed values but a VARMA({p}, {q}) with m = {m}, k = {k} has {pm.size} free "
            "parameters; more data (or lower orders) are needed"
        )
    if start is not None:
        start = v.check_instance(start, VARMA, "start")
        if not start.is_stationary:
            raise NotStableError(f"start must be stationary; its AR companion radius is {start.ar_radius:.6g} >= 1")
        if start.p != p or start.q != q or start.n_outputs != m or start.n_inputs != k:
            raise v.DimensionError(f"start must be a VARMA({p}, {q}) with m = {m} and k = {k}; got {start!r}")
        theta0 = pm.pack(pm.to_standard(start, data))
    else:
        theta0 = pm.pack(hannan_rissanen(data, p, q, trend == "c"))

    def models(theta: np.ndarray) -> tuple[LinearRNN, VARMA]:
        varma = pm.to_original(pm.unpack(theta), data)
        return varma_to_rnn(varma), varma

    def std_errors(theta: np.ndarray, rnn: LinearRNN) -> StdErrorSpec:
        def values(th: np.ndarray) -> np.ndarray:
            vm = pm.to_original(pm.unpack(th), data)
            exog = vm.exog[0].ravel() if vm.exog else np.zeros(0)
            return np.concatenate([vm.intercept, np.ravel(vm.ar), np.ravel(vm.ma), exog, vm.sigma.ravel()])

        layout = [("intercept", (m,)), ("ar", (p, m, m)), ("ma", (q, m, m)), ("exog", (m, k)), ("sigma", (m, m))]
        drop = (() if trend == "c" else ("intercept",)) + (() if k else ("exog",))
        return StdErrorSpec(values, layout, drop=drop)

    problem = FitProblem(
        data=data,
        desc=f"fit_varma_rnn VARMA({p},{q})",
        n_params=pm.size,
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
        t_start=t_start,
    )


def _rnn_param_count(n: int, m: int, p: int) -> int:
    """Dimension of the identified model: (W, V, Q, R) modulo similarity, capped at the innovations form."""
    return min(n * (n + 1) // 2 + n * m, 2 * n * m) + m * (m + 1) // 2 + m + n * p


@renamed_keywords(maxiter="max_iter")
def fit_linear_rnn(
    y: ArrayLike,
    n_states: int,
    x: ArrayLike | None = None,
    *,
    method: str = "mle",
    start: LinearRNN | None = None,
    max_iter: int = 2000,
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
    max_iter : int, default 2000
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
        >>> true = rnnss.LinearRNN(W=[[0.8, 0.2], [-0.2, 0.7]], V=[[1.0, 0.0], [0.3, 1.0]], Q=0.5, R=0.2)
    >>> y = rnnss.simulate(rnnss.with_stationary_prior(true), 500, rng=3).y
    >>> fit = rnnss.fit_linear_rnn(y, 2)
    >>> fit.converged, fit.rnn.n_hidden
    (True, 2)
    >>> bool(fit.loglik >= rnnss.kalman_filter(true, y, initialization="stationary").loglik)
    True
    """
    standard_errors = v.as_bool("standard_errors", standard_errors)
    progress = v.as_bool("progress", progress, allow_none=True)
    t_start = time.perf_counter()
    n = v.as_int("n_states", n_states, minimum=1)
    if method not in ("mle", "subspace"):
        raise ValueError(f"method must be 'mle' or 'subspace'; got {method!r}")
    max_iter = v.as_int("max_iter", max_iter, minimum=1)
    gtol = v.as_float("gtol", gtol, positive=True)
    data, y_arr, x_arr = prepare(y, x, center=True)
    m, k = y_arr.shape[1], data.x.shape[1]
    pm = RnnMap(n, m, k)
    kp = _rnn_param_count(n, m, k)
    if data.n_obs <= kp:
        raise ValueError(
            f"y has {data.n_obs} observed values but a {n}-state linear RNN with m = {m} outputs and p = {k} inputs "
            f"has {kp} free parameters; more data (or fewer states) are needed"
        )
    if start is not None:
        start = v.check_instance(start, LinearRNN, "start")
        if (start.n_hidden, start.n_outputs, start.n_inputs) != (n, m, k):
            raise v.DimensionError(
                f"start must have n = {n} hidden units, m = {m} outputs and p = {k} inputs; got "
                f"({start.n_hidden}, {start.n_outputs}, {start.n_inputs})"
            )
        theta0 = pm.pack(pm.to_standard(start, data))
    else:
        theta0 = pm.pack(subspace_start(data, n))

    def models(theta: np.ndarray) -> tuple[LinearRNN, None]:
        return pm.to_original(pm.rnn(theta), data), None

    def std_errors(theta: np.ndarray, rnn: LinearRNN) -> StdErrorSpec | str:
        if n >= 2 * m:
            return (
                f"not defined: with n = {n} >= 2 m = {2 * m} the split of the noise into Q and R is not identified "
                "(only the innovations form is); compare fits through rnn_to_varma or autocovariances"
            )
        ref = canonical_form(rnn)
        names = ["W", "U", "V", "d", "Q", "R"]

        def values(th: np.ndarray) -> np.ndarray:
            c = canonical_realization(pm.to_original(pm.rnn(th), data), ref)
            return np.concatenate([getattr(c, nm).ravel() for nm in names])

        tangents = pm.gauge_tangents(theta)
        basis = None
        if tangents.shape[1]:
            Qt, _ = np.linalg.qr(tangents, mode="complete")
            basis = Qt[:, tangents.shape[1] :]
        layout = [(nm, getattr(ref, nm).shape) for nm in names]
        return StdErrorSpec(values, layout, basis, () if k else ("U",), "; for the entries of canonical_form(rnn)")

    problem = FitProblem(
        data=data,
        desc=f"fit_linear_rnn n={n}",
        n_params=kp,
        theta0=theta0,
        objective=lambda theta, grad: pm.objective(theta, data, grad),
        models=models,
        std_errors=std_errors,
    )
    return run_fit(
        problem,
        y_arr,
        x_arr,
        optimise=method == "mle",
        max_iter=max_iter,
        gtol=gtol,
        standard_errors=standard_errors,
        progress=progress,
        t_start=t_start,
    )
