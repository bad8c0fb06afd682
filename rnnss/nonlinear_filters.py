"""Extended and unscented Kalman filters for a noisy nonlinear cell: the hidden state from noisy outputs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _validate as v
from ._linalg import LOG_2PI, psd_factor
from .cells.noisy import NoisyCell
from .exceptions import NumericalError
from .linear import Trajectory

if TYPE_CHECKING:  # pragma: no cover
    from numpy.typing import ArrayLike

__all__ = ["NonlinearFilterResult", "extended_kalman_filter", "unscented_kalman_filter"]


def simulate_noisy(
    model: NoisyCell,
    steps: int | None = None,
    x: ArrayLike | None = None,
    *,
    rng: Any = None,
) -> Trajectory:
    """Draw one sequence of states and outputs from a :class:`NoisyCell`.

    Parameters
    ----------
    model : NoisyCell
        The model.
    steps : int, optional
        ``T``; required when the cell has no input, otherwise read from ``x``.
    x : array_like, shape (T, p) or (T,) if p == 1, optional
        Inputs ``x_1 .. x_T``.
    rng : numpy.random.Generator or int, optional
        Random source. Draw order: ``s_0``, then all ``eta``, then all ``eps``.

    Returns
    -------
    Trajectory
        ``h`` of shape (T, S) (the full states) and ``y`` of shape (T, m).

    Raises
    ------
    TypeError
        If neither ``steps`` nor ``x`` is given for a cell with inputs.
    DimensionError
        If ``x`` has the wrong shape.

    Examples
    --------
    >>> from rnnss import ElmanCell
    >>> from rnnss import NoisyCell, simulate
    >>> traj = simulate(NoisyCell(ElmanCell(W=[[0.9]]), Q=0.1, R=0.1), 5, rng=0)
    >>> traj.h.shape, traj.y.shape
    ((5, 1), (5, 1))
    """
    model = v.check_instance(model, NoisyCell, "model", "an rnnss NoisyCell")
    xs = _inputs(model, x, steps)
    T, S, m = xs.shape[0], model.state_size, model.n_outputs
    gen = v.as_rng(rng)
    s = model.h0 + psd_factor(model.P0) @ gen.standard_normal(S)
    eta = gen.standard_normal((T, S)) @ psd_factor(model.Q).T
    eps = gen.standard_normal((T, m)) @ psd_factor(model.R).T
    H = np.empty((T, S))
    for t in range(T):
        s = model.cell.step(xs[t], s) + eta[t]
        H[t] = s
    return Trajectory(H, model.observe(H) + eps)


def _inputs(model: NoisyCell, x: Any, steps: Any) -> np.ndarray:
    p = model.n_inputs
    if x is None:
        if p:
            raise ValueError(f"x is required: the cell has p = {p} inputs")
        if steps is None:
            raise TypeError("give the number of steps or the input sequence x")
        return np.zeros((v.as_int("steps", steps, minimum=1), 0))
    xs, batched = v.as_sequence("x", x, p, steps=None if steps is None else v.as_int("steps", steps, minimum=1))
    if batched:
        raise v.DimensionError(f"x must be one sequence of shape (T, {p}); got shape {xs.shape}")
    return xs[0]


@dataclass(frozen=True, repr=False)
class NonlinearFilterResult:
    """Output of :func:`extended_kalman_filter` and :func:`unscented_kalman_filter` (Gaussian approximations).

    Arrays follow the caller's layout: a leading batch axis when ``y`` was a batch.

    Attributes
    ----------
    method : str
        ``"ekf"`` or ``"ukf"``.
    predicted_means : ndarray, shape (T, S)
        Approximate ``E[s_t | y_1..y_{t-1}]``.
    predicted_covs : ndarray, shape (T, S, S)
        Approximate ``Cov[s_t | y_1..y_{t-1}]``.
    filtered_means : ndarray, shape (T, S)
        Approximate ``E[s_t | y_1..y_t]``.
    filtered_covs : ndarray, shape (T, S, S)
        Approximate ``Cov[s_t | y_1..y_t]``.
    innovations : ndarray, shape (T, m)
        ``y_t - E[y_t | y_1..y_{t-1}]`` (NaN where ``y_t`` is missing).
    innovation_covs : ndarray, shape (T, m, m)
        Predictive covariance of ``y_t`` (all components).
    loglik : float or ndarray, shape (batch,)
        Approximate log-likelihood ``sum_t log N(y_t; E[y_t | ...], S_t)`` over observed entries.
    loglik_terms : ndarray, shape (T,)
        Per-step terms (0 where ``y_t`` is entirely missing).
    """

    method: str
    predicted_means: np.ndarray
    predicted_covs: np.ndarray
    filtered_means: np.ndarray
    filtered_covs: np.ndarray
    innovations: np.ndarray
    innovation_covs: np.ndarray
    loglik: Any
    loglik_terms: np.ndarray

    def __repr__(self) -> str:
        shape = self.filtered_means.shape
        batched = len(shape) == 3
        ll = np.array2string(np.asarray(self.loglik), precision=6) if batched else f"{self.loglik:.6f}"
        return (
            f"NonlinearFilterResult({self.method}, T={shape[-2]}, "
            f"S={shape[-1]}{f', batch={shape[0]}' if batched else ''}, loglik={ll})"
        )


def _data(model: NoisyCell, y: Any, x: Any) -> tuple[np.ndarray, np.ndarray, bool]:
    return v.as_observations_and_inputs(y, model.n_outputs, x, model.n_inputs, owner="the cell")


def _update(
    m_pred: np.ndarray,
    P_pred: np.ndarray,
    y: np.ndarray,
    y_hat: np.ndarray,
    S_full: np.ndarray,
    cross: np.ndarray,
    R: np.ndarray,
    H: np.ndarray | None,
    t: int,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Condition on the observed components of ``y`` given the predicted output moments.

    ``cross`` is ``Cov[s_t, y_t]`` (``P H^T`` for the EKF). With ``H`` the covariance update is in Joseph
    form (EKF); without it, ``P - K S K^T`` (the UKF's form, as filterpy).
    """
    obs = ~np.isnan(y)
    if not obs.any():
        return m_pred, P_pred, 0.0
    So = S_full[np.ix_(obs, obs)]
    try:
        L = np.linalg.cholesky(So)
    except np.linalg.LinAlgError:
        raise NumericalError(
            f"the innovation covariance at step {t + 1} is not positive definite (min eigenvalue "
            f"{np.linalg.eigvalsh(So)[0]:.3g}); give R > 0 or a prior with P0 > 0"
        ) from None
    e = y[obs] - y_hat[obs]
    # K = C S^{-1} through the Cholesky factor: two triangular solves, no explicit inverse.
    K = np.linalg.solve(L.T, np.linalg.solve(L, cross[:, obs].T)).T
    m = m_pred + K @ e
    if H is None:
        P = P_pred - K @ So @ K.T
    else:
        A = np.eye(P_pred.shape[0]) - K @ H[obs]
        P = A @ P_pred @ A.T + K @ R[np.ix_(obs, obs)] @ K.T
    z = np.linalg.solve(L, e)
    ll = -0.5 * (obs.sum() * LOG_2PI + 2.0 * np.sum(np.log(np.diag(L))) + z @ z)
    return m, 0.5 * (P + P.T), float(ll)


def _run(model: NoisyCell, y: Any, x: Any, method: str, one: Callable[..., Any]) -> NonlinearFilterResult:
    ys, xs, batched = _data(model, y, x)
    nb, T, m = ys.shape
    S = model.state_size
    out = {
        "pm": np.empty((nb, T, S)),
        "pc": np.empty((nb, T, S, S)),
        "fm": np.empty((nb, T, S)),
        "fc": np.empty((nb, T, S, S)),
        "inn": np.empty((nb, T, m)),
        "ic": np.empty((nb, T, m, m)),
        "ll": np.zeros((nb, T)),
    }
    for i in range(nb):
        mean, cov = model.h0.copy(), model.P0.copy()
        for t in range(T):
            m_pred, P_pred, y_hat, S_full, cross, H = one(model, xs[i, t], mean, cov)
            mean, cov, ll = _update(m_pred, P_pred, ys[i, t], y_hat, S_full, cross, model.R, H, t)
            out["pm"][i, t], out["pc"][i, t], out["fm"][i, t], out["fc"][i, t] = m_pred, P_pred, mean, cov
            out["inn"][i, t], out["ic"][i, t], out["ll"][i, t] = ys[i, t] - y_hat, S_full, ll
    pick = (lambda a: a) if batched else (lambda a: a[0])
    loglik = out["ll"].sum(axis=1)
    return NonlinearFilterResult(
        method,
        pick(out["pm"]),
        pick(out["pc"]),
        pick(out["fm"]),
        pick(out["fc"]),
        pick(out["inn"]),
        pick(out["ic"]),
        loglik if batched else float(loglik[0]),
        pick(out["ll"]),
    )


def _ekf_step(model: NoisyCell, x: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> tuple[Any, ...]:
    F = model.cell.jacobian(x, mean)
    m_pred = model.cell.step(x, mean)
    P_pred = F @ cov @ F.T + model.Q
    P_pred = 0.5 * (P_pred + P_pred.T)
    H = model._observation_jacobian(m_pred)
    PHt = P_pred @ H.T
    return m_pred, P_pred, model.observe(m_pred), H @ PHt + model.R, PHt, H


def extended_kalman_filter(model: NoisyCell, y: ArrayLike, x: ArrayLike | None = None) -> NonlinearFilterResult:
    r"""The extended Kalman filter: propagate mean and covariance through the cell's Jacobians.

    Predict ``m_t^- = f(x_t, m_{t-1})``, ``P_t^- = F_t P_{t-1} F_t^T + Q`` with ``F_t = d f / d s`` at
    ``(x_t, m_{t-1})`` (the cell's analytic :meth:`~rnnss.Cell.jacobian`); update with the read-out
    linearised at ``m_t^-`` (``H = V``, or ``readout_jacobian``) in Joseph form. On a linear cell
    (``ElmanCell(activation="identity")``) with a linear read-out it *is* the exact Kalman filter.

    Parameters
    ----------
    model : NoisyCell
        The noisy cell and its read-out.
    y : array_like, shape (T, m), (T,) if m == 1, or (batch, T, m)
        Observations; NaN marks missing entries (rows or single components).
    x : array_like, shape (T, p) or (batch, T, p), optional
        Inputs (required when the cell has inputs).

    Returns
    -------
    NonlinearFilterResult
        Predicted and filtered means ``(T, S)`` and covariances ``(T, S, S)``, innovations, log-likelihood.

    Raises
    ------
    DimensionError
        If ``y`` or ``x`` has the wrong shape.
    TypeError
        With a callable read-out but no ``readout_jacobian``.
    NumericalError
        If an innovation covariance is not positive definite.

    Examples
    --------
    >>> import numpy as np
    >>> from rnnss import ElmanCell
    >>> from rnnss import NoisyCell, extended_kalman_filter
    >>> model = NoisyCell(ElmanCell(W=[[0.9]]), Q=0.1, R=0.2, P0=1.0)
    >>> res = extended_kalman_filter(model, np.array([0.3, np.nan, -0.1]))
    >>> res.filtered_means.shape, bool(res.filtered_covs[1, 0, 0] == res.predicted_covs[1, 0, 0])
    ((3, 1), True)
    """
    model = v.check_instance(model, NoisyCell, "model", "an rnnss NoisyCell")
    if model.readout is not None and model.readout_jacobian is None:
        raise TypeError("the extended Kalman filter needs readout_jacobian with a callable readout")
    return _run(model, y, x, "ekf", _ekf_step)


def _merwe(n: int, alpha: float, beta: float, kappa: float) -> tuple[float, np.ndarray, np.ndarray]:
    lam = alpha**2 * (n + kappa) - n
    Wm = np.full(2 * n + 1, 0.5 / (n + lam))
    Wc = Wm.copy()
    Wm[0] = lam / (n + lam)
    Wc[0] = lam / (n + lam) + (1.0 - alpha**2 + beta)
    return lam, Wm, Wc


def _sigma_points(mean: np.ndarray, cov: np.ndarray, lam: float) -> np.ndarray:
    n = mean.size
    L = psd_factor((n + lam) * cov)
    # Ordering as van der Merwe (and filterpy): the mean, then mean + columns, then mean - columns.
    return np.vstack([mean, mean + L.T, mean - L.T])


def unscented_kalman_filter(
    model: NoisyCell,
    y: ArrayLike,
    x: ArrayLike | None = None,
    *,
    alpha: float = 1.0,
    beta: float = 2.0,
    kappa: float = 0.0,
) -> NonlinearFilterResult:
    r"""The unscented Kalman filter with van der Merwe's scaled sigma points.

    With ``lambda = alpha^2 (S + kappa) - S``, the ``2S + 1`` sigma points of ``N(m, P)`` are ``m`` and
    ``m ± (sqrt((S + lambda) P))_i`` (columns of the Cholesky factor), with mean weights
    ``lambda / (S + lambda)``, ``1 / (2 (S + lambda))`` and covariance weight ``+ (1 - alpha^2 + beta)`` on the
    centre. Predict: push the points through the cell (one batched :meth:`~rnnss.Cell.step`) and add
    ``Q``; update: redraw points from the prediction, push them through the read-out, and condition on
    ``y_t``. No Jacobians are needed, and the moments are exact to second order. This is filterpy's
    ``UnscentedKalmanFilter`` with ``MerweScaledSigmaPoints(S, alpha, beta, kappa)``; on a linear model it is
    the exact Kalman filter for any ``alpha, beta, kappa``.

    Parameters
    ----------
    model : NoisyCell
        The noisy cell and its read-out.
    y : array_like, shape (T, m), (T,) if m == 1, or (batch, T, m)
        Observations; NaN marks missing entries.
    x : array_like, shape (T, p) or (batch, T, p), optional
        Inputs (required when the cell has inputs).
    alpha : float, default 1
        Spread of the sigma points. The default keeps all weights non-negative (``lambda = kappa``); small
        values (``1e-3``, common in the literature) give weights of order ``1 / alpha^2`` and lose digits
        to cancellation.
    beta : float, default 2
        Prior knowledge of the distribution (2 is optimal for Gaussians).
    kappa : float, default 0
        Secondary scaling.

    Returns
    -------
    NonlinearFilterResult
        Predicted and filtered means ``(T, S)`` and covariances ``(T, S, S)``, innovations, log-likelihood.

    Raises
    ------
    DimensionError
        If ``y`` or ``x`` has the wrong shape.
    ValueError
        If ``alpha <= 0`` or ``S + lambda <= 0``.
    NumericalError
        If an innovation covariance is not positive definite.

    Examples
    --------
    >>> import numpy as np
    >>> from rnnss import ElmanCell
    >>> from rnnss import NoisyCell, unscented_kalman_filter
    >>> model = NoisyCell(ElmanCell(W=[[0.9]]), Q=0.1, R=0.2, P0=1.0)
    >>> unscented_kalman_filter(model, [0.3, 0.2, -0.1]).filtered_means.shape
    (3, 1)
    """
    model = v.check_instance(model, NoisyCell, "model", "an rnnss NoisyCell")
    alpha = v.as_float("alpha", alpha, positive=True)
    beta = v.as_float("beta", beta)
    kappa = v.as_float("kappa", kappa)
    n = model.state_size
    lam, Wm, Wc = _merwe(n, alpha, beta, kappa)
    if n + lam <= 0:
        raise ValueError(f"alpha^2 (S + kappa) must be > 0 for S = {n}; got alpha = {alpha}, kappa = {kappa}")

    def one(model: NoisyCell, x: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> tuple[Any, ...]:
        X = model.cell.step(x[None], _sigma_points(mean, cov, lam))
        m_pred = Wm @ X
        D = X - m_pred
        P_pred = (D.T * Wc) @ D + model.Q
        P_pred = 0.5 * (P_pred + P_pred.T)
        X = _sigma_points(m_pred, P_pred, lam)
        Z = model.observe(X)
        y_hat = Wm @ Z
        E = Z - y_hat
        S_full = (E.T * Wc) @ E + model.R
        cross = ((X - m_pred).T * Wc) @ E
        return m_pred, P_pred, y_hat, 0.5 * (S_full + S_full.T), cross, None

    return _run(model, y, x, "ukf", one)
