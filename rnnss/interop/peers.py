"""The peer filters (filterpy, statsmodels, pykalman) run on an rnnss model, for reports, tests and benchmarks."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._model import register_peer
from ..linear import LinearRNN

__all__ = ["statsmodels_smoother", "filterpy_filter", "pykalman_smoother"]

# The peers' timing conventions differ from rnnss's (docs/conventions.md): filterpy predicts first like
# rnnss; statsmodels and pykalman take the moments of the *first* state, i.e. rnnss's first prediction
# (W h0 + U x_1 + b, W P0 W^T + Q), and attach the input term of step t+1 to the transition out of t.


def _drive(rnn: LinearRNN, y: np.ndarray, x: np.ndarray | None) -> np.ndarray:
    """``U x_t + b`` for ``t = 1..T``, shape (T, n)."""
    T = y.shape[0]
    xs = np.zeros((T, 0)) if x is None else np.asarray(x, float).reshape(T, -1)
    return xs @ rnn.U.T + rnn.b


def _first_prediction(rnn: LinearRNN, drive: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return rnn.W @ rnn.h0 + drive[0], rnn.W @ rnn.P0 @ rnn.W.T + rnn.Q


def filterpy_filter(rnn: LinearRNN, y: np.ndarray, x: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """filterpy ``KalmanFilter.batch_filter``; biases enter as a constant input, ``d`` is subtracted from ``y``.

    filterpy skips whole missing rows (``None``) but cannot update on part of a row.
    """
    from filterpy.kalman import KalmanFilter

    y = np.asarray(y, float).reshape(len(y), -1)
    partial = np.isnan(y).any(axis=1) & ~np.isnan(y).all(axis=1)
    if partial.any():
        raise ValueError("filterpy cannot use partly missing observations")
    T, n = y.shape[0], rnn.n_hidden
    xs = np.zeros((T, 0)) if x is None else np.asarray(x, float).reshape(T, -1)
    kf = KalmanFilter(dim_x=n, dim_z=rnn.n_outputs, dim_u=rnn.n_inputs + 1)
    kf.x, kf.P = rnn.h0.copy(), rnn.P0.copy()
    kf.F, kf.H, kf.Q, kf.R = rnn.W.copy(), rnn.V.copy(), rnn.Q.copy(), rnn.R.copy()
    kf.B = np.column_stack([rnn.U, rnn.b])
    zs = [None if np.isnan(row).all() else row - rnn.d for row in y]
    us = [np.append(row, 1.0) for row in xs]
    mf, Pf, mp, Pp = kf.batch_filter(zs, us=us)
    out = dict(filtered_means=mf, filtered_covs=Pf, predicted_means=mp, predicted_covs=Pp)
    # filterpy's rts_smoother has no input term, so it smooths only models without inputs and bias.
    if rnn.n_inputs == 0 and not np.any(rnn.b):
        ms, Ps, _, _ = kf.rts_smoother(mf, Pf)
        out.update(smoothed_means=ms, smoothed_covs=Ps)
    return out


def statsmodels_smoother(rnn: LinearRNN, y: np.ndarray, x: np.ndarray | None = None) -> dict[str, Any]:
    """statsmodels' compiled ``KalmanSmoother`` on the same model (NaN = missing, also per component)."""
    from statsmodels.tsa.statespace.kalman_smoother import KalmanSmoother

    y = np.asarray(y, float).reshape(len(y), -1)
    T, n, m = y.shape[0], rnn.n_hidden, rnn.n_outputs
    drive = _drive(rnn, y, x)
    ks = KalmanSmoother(k_endog=m, k_states=n, k_posdef=n)
    ks.bind(np.ascontiguousarray(y))
    ks["design"], ks["obs_cov"] = rnn.V, rnn.R
    ks["obs_intercept"] = np.repeat(rnn.d[:, None], T, axis=1)
    ks["transition"], ks["selection"], ks["state_cov"] = rnn.W, np.eye(n), rnn.Q
    intercept = np.zeros((n, T))
    intercept[:, :-1] = drive[1:].T  # statsmodels: alpha_{t+1} = T alpha_t + c_t, so c_t carries x_{t+1}
    ks["state_intercept"] = intercept
    ks.initialize_known(*_first_prediction(rnn, drive))
    res = ks.smooth()
    return dict(
        filtered_means=res.filtered_state.T,
        filtered_covs=np.moveaxis(res.filtered_state_cov, 2, 0),
        predicted_means=res.predicted_state[:, :-1].T,
        predicted_covs=np.moveaxis(res.predicted_state_cov, 2, 0)[:-1],
        smoothed_means=res.smoothed_state.T,
        smoothed_covs=np.moveaxis(res.smoothed_state_cov, 2, 0),
        # statsmodels' autocov[:, :, t] is Cov(alpha_{t+1}, alpha_t | Y), rnnss's lag_one_covs[t+1].
        lag_one_covs=np.moveaxis(res.smoothed_state_autocov, 2, 0)[:-1],
        loglik=float(res.llf_obs.sum()),
    )


def pykalman_smoother(rnn: LinearRNN, y: np.ndarray, x: np.ndarray | None = None) -> dict[str, Any]:
    """pykalman's ``KalmanFilter.filter``/``smooth`` (a row with any missing entry is skipped whole)."""
    from pykalman import KalmanFilter

    y = np.asarray(y, float).reshape(len(y), -1)
    partial = np.isnan(y).any(axis=1) & ~np.isnan(y).all(axis=1)
    if partial.any():
        raise ValueError("pykalman cannot use partly missing observations")
    drive = _drive(rnn, y, x)
    a1, P1 = _first_prediction(rnn, drive)
    kf = KalmanFilter(
        transition_matrices=rnn.W,
        observation_matrices=rnn.V,
        transition_covariance=rnn.Q,
        observation_covariance=rnn.R,
        transition_offsets=drive[1:] if len(y) > 1 else drive,
        observation_offsets=rnn.d,
        initial_state_mean=a1,
        initial_state_covariance=P1,
    )
    z = np.ma.masked_invalid(y)
    mf, Pf = kf.filter(z)
    ms, Ps = kf.smooth(z)
    return dict(
        filtered_means=mf, filtered_covs=Pf, smoothed_means=ms, smoothed_covs=Ps, loglik=float(kf.loglikelihood(z))
    )


# The Kalman equivalence report compares rnnss's exact filter and smoother with these peers.
register_peer("kalman", "statsmodels", statsmodels_smoother)
register_peer("kalman", "filterpy", filterpy_filter)
