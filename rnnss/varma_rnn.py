"""Linear RNN -> VARMA and their shared second-order structure: innovations form, autocovariances, likelihood."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _validate as v
from .exceptions import NotStableError
from .kalman.filter import kalman_filter
from .kalman.steady import steady_state
from .kronecker import echelon_form
from .linear import LinearRNN, stationary_covariance
from .varma import VARMA, lag_responses, varma_to_rnn

if TYPE_CHECKING:  # pragma: no cover
    from numpy.typing import ArrayLike

__all__ = ["rnn_to_varma", "autocovariances", "innovation_responses", "varma_loglik"]

# A read-out V whose condition number exceeds this is not inverted for the VAR(1) elimination of the state;
# the general innovations route is used instead (it needs no inverse of V).
_VAR1_MAX_COND = 1e10


# -- linear RNN -> VARMA ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Innovations:
    """Steady-state innovations form ``s_{t+1} = W s_t + W K e_t + U x_{t+1} + b``, ``y_t = V s_t + d + e_t``."""

    K: np.ndarray  # (n, m): rnnss's filter gain, P V^T S^{-1}
    S: np.ndarray  # (m, m): innovation covariance
    P: np.ndarray  # (n, n): steady predicted-state covariance


def _innovations(rnn: LinearRNN) -> _Innovations:
    """The steady-state Kalman filter of ``rnn`` (R may be singular as long as ``V P V^T + R`` is not)."""
    ss = steady_state(rnn)
    return _Innovations(ss.gain, ss.innovation_cov, ss.predicted_cov)


def rnn_to_varma(rnn: LinearRNN, *, form: str = "final") -> VARMA:
    r"""The VARMA model with exactly the same distribution of outputs as a stationary linear RNN.

    ``form="echelon"`` returns the minimal, identified echelon form of :func:`rnnss.echelon_form`: AR and MA
    orders ``max p_i`` and McMillan degree ``sum p_i`` from the Kronecker indices, computed by orthogonal
    staircases -- the form to use beyond a few hidden units or with slow modes. ``form="final"`` (the
    default) is described below.

    **No observation noise, square invertible read-out** (``R = 0``, ``m = n``): eliminating
    the hidden state, ``h_t = V^{-1} (y_t - d)``, gives the VAR(1)

    .. math:: y_t = V W V^{-1} y_{t-1} + (I - V W V^{-1}) d + V b + V U x_t + V \eta_t,
              \qquad \Sigma = V Q V^T .

    **General case** (observation noise, ``m != n``): the steady-state Kalman filter gives the innovations
    form ``s_{t+1} = W s_t + W K e_t + U x_{t+1} + b``, ``y_t = V s_t + d + e_t`` with ``e_t ~ N(0, S)``
    white (the Wold innovations). With ``det(I - W z) = 1 + a_1 z + ... + a_n z^n`` (characteristic
    polynomial of ``W``), Cayley-Hamilton turns it into the *final-equation* VARMA(n, n) with scalar AR
    matrices:

    .. math::

        A_i = -a_i I,\quad M_j = a_j I + \sum_{i=0}^{j-1} a_i V W^{j-i} K,\quad
        B_l = \sum_{i=0}^{l} a_i V W^{l-i} U\ (l < n),\quad
        c = a(1)\, d + \sum_{l=0}^{n-1}\sum_{i=0}^{l} a_i V W^{l-i} b,\quad \Sigma = S,

    with ``a_0 = 1``. It is exact (same psi weights ``V W^k K``, autocovariances and likelihood) but in
    general not of minimal order: AR and MA polynomials share the factor ``a(z)^{m-1}``. The MA part is
    invertible because the steady-state filter ``(I - K V) W`` is stable.

    The final-equation form needs the characteristic polynomial of ``W`` and the powers ``V W^k``: it loses
    accuracy quickly with the state dimension when modes are slow (with two outputs and eigenvalues near
    0.99 it is off by 1e-3, or fails, at ``n = 6`` and fails from ``n = 8``), where the echelon form stays at 1e-10.

    Parameters
    ----------
    rnn : LinearRNN
        The network. Its prior ``h0, P0`` is ignored: the VARMA describes the stationary process (or, for
        an unstable ``W``, the process started far in the past with zero inputs).
    form : {"final", "echelon"}
        Which VARMA representation of the process.

    Returns
    -------
    VARMA
        ``"final"``: VAR(1) in the first case; VARMA(n, n) with exogenous lags ``0..n-1`` (if ``p > 0``
        inputs) otherwise. ``"echelon"``: the echelon form (``kronecker_indices`` set).

    Raises
    ------
    NotDetectableError, NotStabilizableError, NumericalError
        If the steady-state Kalman filter does not exist (see :func:`rnnss.steady_state`); with a singular
        ``R`` the innovation covariance ``V P V^T + R`` must be non-singular.
    ValueError
        If ``form`` is unknown.

    Examples
    --------
    >>> import numpy as np, rnnss
    >>> from rnnss import rnn_to_varma
    >>> rnn = rnnss.LinearRNN(W=[[0.5, 0.1], [0.0, 0.3]], Q=np.eye(2))  # V = I, R = 0
    >>> var = rnn_to_varma(rnn)
    >>> var.p, var.q
    (1, 0)
    >>> noisy = rnn_to_varma(rnnss.LinearRNN(W=0.9, Q=1.0, R=1.0))  # AR(1) + noise = ARMA(1, 1)
    >>> round(float(noisy.ar[0][0, 0]), 6), round(float(noisy.ma[0][0, 0]), 6)
    (0.9, -0.362333)
    """
    rnn = v.check_instance(rnn, LinearRNN, "rnn")
    if v.as_choice("form", form, ("final", "echelon")) == "echelon":
        return echelon_form(rnn)
    n, m = rnn.n_hidden, rnn.n_outputs
    W, V, U = rnn.W, rnn.V, rnn.U
    if m == n and not np.any(rnn.R) and np.linalg.cond(V) < _VAR1_MAX_COND:
        Vinv = np.linalg.inv(V)
        A1 = V @ W @ Vinv
        sigma = V @ rnn.Q @ V.T
        c = rnn.d - A1 @ rnn.d + V @ rnn.b
        return VARMA(ar=[A1], ma=[], sigma=0.5 * (sigma + sigma.T), intercept=c, exog=[V @ U] if rnn.n_inputs else None)
    inn = _innovations(rnn)
    a = np.real(np.poly(W))  # [1, a_1, ..., a_n]: det(lambda I - W), so det(I - W z) = sum a_i z^i
    # VW[k] = V W^k, k = 0..n
    VW = [V]
    for _ in range(n):
        VW.append(VW[-1] @ W)
    eye = np.eye(m)
    ar = [-a[i] * eye for i in range(1, n + 1)]
    ma = [a[j] * eye + sum(a[i] * VW[j - i] @ inn.K for i in range(j)) for j in range(1, n + 1)]

    def lag_sum(X: np.ndarray, lag: int) -> np.ndarray:
        return sum(a[i] * VW[lag - i] @ X for i in range(lag + 1))

    exog = [lag_sum(U, lag) for lag in range(n)] if rnn.n_inputs else None
    c = a.sum() * rnn.d + sum((lag_sum(rnn.b[:, None], lag)[:, 0] for lag in range(n)), np.zeros(m))
    return VARMA(ar=ar, ma=ma, sigma=inn.S, intercept=c, exog=exog)


# -- second-order structure -------------------------------------------------------------------------


def _as_rnn(model: Any, name: str = "model") -> LinearRNN:
    if isinstance(model, VARMA):
        return varma_to_rnn(model)
    if isinstance(model, LinearRNN):
        return model
    raise TypeError(f"{name} must be a rnnss.VARMA or rnnss.LinearRNN; got {type(model).__name__}")


def autocovariances(model: VARMA | LinearRNN, lags: int) -> np.ndarray:
    r"""Exact autocovariances ``Gamma(k) = Cov(y_{t+k}, y_t)`` of the stationary output process.

    Through the state-space form: with ``P`` the stationary state covariance (``P = W P W^T + Q``, a
    Lyapunov solve), ``Gamma(0) = V P V^T + R`` and ``Gamma(k) = V W^k P V^T`` for ``k >= 1``. For a
    VARMA the realisation of :func:`varma_to_rnn` is used (``R = 0``), with its stationary prior as ``P``.

    Parameters
    ----------
    model : VARMA or LinearRNN
        A stationary model.
    lags : int
        Largest lag ``K >= 0``.

    Returns
    -------
    ndarray, shape (K + 1, m, m)
        ``out[k] = Cov(y_{t+k}, y_t)``; ``out[k].T = Cov(y_t, y_{t+k})``. statsmodels'
        ``VARProcess.acf`` uses the same convention.

    Raises
    ------
    NotStableError
        If the model is not stationary.
    TypeError
        If ``model`` is neither a VARMA nor a LinearRNN.

    Examples
    --------
    >>> from rnnss import VARMA, autocovariances
    >>> g = autocovariances(VARMA(ar=[0.5], ma=[], sigma=1.0), 2)[:, 0, 0]
    >>> g.round(6)  # AR(1): sigma^2 / (1 - phi^2) * phi^k
    array([1.333333, 0.666667, 0.333333])
    """
    if isinstance(model, VARMA) and not model.is_stationary:
        raise NotStableError(
            f"autocovariances need a stationary VARMA; the AR companion radius is {model.ar_radius:.6g} >= 1"
        )
    rnn = _as_rnn(model)
    lags = v.as_int("lags", lags, minimum=0)
    # A VARMA's realisation carries its stationary covariance as the prior (for the echelon form computed from
    # the minimal predictor state, which keeps slow modes accurate); a LinearRNN's is one Stein solve.
    P = rnn.P0 if isinstance(model, VARMA) else stationary_covariance(rnn)
    out = np.empty((lags + 1, rnn.n_outputs, rnn.n_outputs))
    X = P @ rnn.V.T  # W^k P V^T
    for k in range(lags + 1):
        out[k] = rnn.V @ X
        X = rnn.W @ X
    out[0] = 0.5 * (out[0] + out[0].T) + rnn.R
    return out


def innovation_responses(model: VARMA | LinearRNN, steps: int) -> np.ndarray:
    r"""Psi weights: the response of ``y_{t+k}`` to a unit innovation ``e_t`` (the Wold MA(infinity) form).

    For a VARMA, ``Psi_0 = I`` and ``A_0 Psi_k = sum_{i=1}^{min(k, p)} A_i Psi_{k-i} + M_k`` (``M_k = 0`` for
    ``k > q``) -- statsmodels' ``impulse_responses(orthogonalized=False)`` when ``A_0 = I``. For a linear RNN the
    innovations are those of the steady-state Kalman filter and ``Psi_k = V W^k K`` (``K`` the filter gain), so a
    RNN and its :func:`rnn_to_varma` image have the same psi weights (and the same innovation covariance).

    Parameters
    ----------
    model : VARMA or LinearRNN
        The model.
    steps : int
        Number of weights ``K >= 1`` (lags ``0..K-1``).

    Returns
    -------
    ndarray, shape (K, m, m)
        ``out[k, i, j]``: response of output ``i`` at lag ``k`` to a unit innovation in component ``j``.

    Raises
    ------
    TypeError
        If ``model`` is neither a VARMA nor a LinearRNN.
    NotDetectableError, NotStabilizableError, NumericalError
        For a LinearRNN without a steady-state Kalman filter.

    Examples
    --------
    >>> from rnnss import VARMA, innovation_responses
    >>> innovation_responses(VARMA(ar=[0.5], ma=[], sigma=1.0), 4)[:, 0, 0]
    array([1.   , 0.5  , 0.25 , 0.125])
    """
    steps = v.as_int("steps", steps, minimum=1)
    if isinstance(model, VARMA):
        return lag_responses(model, model.ma, model.a0, steps)
    rnn = _as_rnn(model)
    inn = _innovations(rnn)
    out = np.empty((steps, rnn.n_outputs, rnn.n_outputs))
    out[0] = np.eye(rnn.n_outputs)
    X = rnn.W @ inn.K
    for k in range(1, steps):
        out[k] = rnn.V @ X
        X = rnn.W @ X
    return out


# -- likelihood and simulation -------------------------------------------------------------------------


def varma_loglik(varma: VARMA, y: ArrayLike, x: ArrayLike | None = None, *, x0: ArrayLike | None = None) -> Any:
    r"""Exact Gaussian log-likelihood ``log p(y_1..y_T)`` of a stationary VARMA.

    Computed by the Kalman filter (:func:`rnnss.kalman_filter`) on :func:`varma_to_rnn`, whose prior is the
    stationary distribution: the pre-sample values are integrated out, nothing is conditioned on. This is
    statsmodels ``VARMAX``'s likelihood (it also initialises at the stationary distribution) -- except with
    exogenous inputs, where statsmodels centres the first state at the stationary mean under ``x_2``
    (its ``state_intercept[:, 0]``) while rnnss uses the constant pre-sample input ``x0`` (default 0).

    Parameters
    ----------
    varma : VARMA
        A stationary model.
    y : array_like, shape (T, m), (T,) if m == 1, or (batch, T, m)
        Observations; NaN marks missing values (whole rows or single components).
    x : array_like, shape (T, k) or (batch, T, k), optional
        Exogenous inputs, required when ``k > 0``.
    x0 : array_like, shape (k,), optional
        Constant input before the sample (sets the stationary mean of the pre-sample state).

    Returns
    -------
    float or ndarray, shape (batch,)
        The log-likelihood of the observed entries.

    Raises
    ------
    NotStableError
        If the VARMA is not stationary (no stationary initialisation exists).
    NumericalError
        If ``sigma`` is singular (the likelihood is degenerate).
    DimensionError
        If ``y`` or ``x`` has the wrong shape.

    Examples
    --------
    >>> import numpy as np
    >>> from rnnss import VARMA, varma_loglik
    >>> ar1 = VARMA(ar=[0.5], ma=[], sigma=1.0)
    >>> ll = varma_loglik(ar1, [0.3, -0.2])
    >>> ref = -np.log(2 * np.pi) - 0.5 * np.log(4 / 3) - 0.5 * (0.3**2 * 0.75 + (-0.2 - 0.15) ** 2)
    >>> bool(np.isclose(ll, ref))
    True
    """
    varma = v.check_instance(varma, VARMA, "varma")
    if not varma.is_stationary:
        raise NotStableError(
            f"the exact likelihood with stationary initialisation needs a stationary VARMA; the AR companion radius "
            f"is {varma.ar_radius:.6g} >= 1"
        )
    return kalman_filter(varma_to_rnn(varma, x0=x0), y, x, store_covariances=False).loglik
