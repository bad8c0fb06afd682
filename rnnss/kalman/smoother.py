"""The fixed-interval smoother: smoothed means, covariances, lag-one cross-covariances and the pre-sample state."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import _validate as v
from .filter import FilterResult, kalman_filter
from .system import recursions

if TYPE_CHECKING:  # pragma: no cover
    from numpy.typing import ArrayLike

    from ..linear import LinearRNN

__all__ = ["SmootherResult", "rts_smoother"]


@dataclass(frozen=True, repr=False)
class SmootherResult:
    """Output of :func:`rts_smoother`.

    Attributes
    ----------
    smoothed_means : ndarray, shape (T, n)
        ``E[h_t | y_1..y_T]``.
    smoothed_covs : ndarray, shape (T, n, n)
        ``Cov[h_t | y_1..y_T]``.
    lag_one_covs : ndarray, shape (T, n, n)
        ``Cov[h_t, h_{t-1} | y_1..y_T]`` for ``t = 1..T`` (entry 0 pairs ``h_1`` with the pre-sample
        state ``h_0``), the cross-covariances EM needs.
    initial_mean : ndarray, shape (n,)
        ``E[h_0 | y_1..y_T]`` (NaN when the prior is on the first state: there is no pre-sample state).
    initial_cov : ndarray, shape (n, n)
        ``Cov[h_0 | y_1..y_T]`` (NaN likewise).
    filter : FilterResult
        The forward pass the smoother ran on.

    Notes
    -----
    ``smoother_gains`` (computed on first access) are the RTS gains ``J_{t-1} = P_{t-1|t-1} W^T
    P_{t|t-1}^{+}``, shape (T, n, n), entry 0 that of ``h_0``; where a predicted covariance is singular the
    gain is not unique and the pseudo-inverse gives the minimum-norm one. The smoother itself never uses
    them.
    """

    smoothed_means: np.ndarray
    smoothed_covs: np.ndarray
    lag_one_covs: np.ndarray
    initial_mean: np.ndarray
    initial_cov: np.ndarray
    filter: FilterResult

    @property
    def loglik(self) -> Any:
        """The log-likelihood of the data (from the forward pass)."""
        return self.filter.loglik

    @functools.cached_property
    def smoother_gains(self) -> np.ndarray:
        """RTS gains ``J_{t-1} = P_{t-1|t-1} W^T P_{t|t-1}^{+}``, shape (T, n, n) (batch: (batch, T, n, n))."""
        f = self.filter
        if f.filtered_covs is None:
            raise ValueError(
                "smoother gains need the filter covariances: run kalman_filter with store_covariances=True"
            )
        sys = f.system
        W = sys.W if sys.W.shape[0] > 1 else np.broadcast_to(sys.W, (f.filtered_covs.shape[-3],) + sys.W.shape[1:])
        Pf_prev = np.concatenate(
            [
                np.broadcast_to(sys.P0, f.filtered_covs.shape[:-3] + (1,) + sys.P0.shape),
                f.filtered_covs[..., :-1, :, :],
            ],
            axis=-3,
        )
        rhs = W @ Pf_prev  # J^T = P_{t|t-1}^+ W P_{t-1|t-1}
        return np.swapaxes(np.linalg.pinv(f.predicted_covs, hermitian=True) @ rhs, -1, -2)

    def __repr__(self) -> str:
        return "SmootherResult(" + repr(self.filter)[len("FilterResult(") :]


def rts_smoother(
    rnn: LinearRNN | FilterResult,
    y: ArrayLike | None = None,
    x: ArrayLike | None = None,
    *,
    initialization: str = "prior",
    steady_tol: float | None = 1e-14,
    engine: str = "auto",
) -> SmootherResult:
    r"""The fixed-interval (Rauch-Tung-Striebel) smoother: ``p(h_t | y_1..y_T)`` for every ``t``.

    Runs :func:`kalman_filter` forward, then the backward information recursion (de Jong 1989; Durbin &
    Koopman 2012, sec. 4.4), the form KFAS and statsmodels use:

    .. math:: r_{t} = V^T F_t^{-1} v_t + L_t^T r_{t+1},\quad N_t = V^T F_t^{-1} V + L_t^T N_{t+1} L_t,\quad
              E[h_t | y] = a_t + P_t r_t,\quad \mathrm{Cov}[h_t | y] = P_t - P_t N_t P_t,

    with ``a_t, P_t`` the predicted moments, ``v_t, F_t`` the innovations and their covariances and
    ``L_t = W (I - K_t V)`` the one-step error transition. It gives the same posterior as the RTS form
    ``m_{t|T} = m_{t|t} + J_t (m_{t+1|T} - m_{t+1|t})`` but never inverts a predicted covariance, so it is
    exact when ``Q`` is rank-deficient, ``R = 0`` or a covariance is singular (every VARMA realisation).

    Parameters
    ----------
    rnn : LinearRNN or FilterResult
        The model, or a filter result to smooth (then omit ``y`` and ``x``).
    y : array_like, shape (T, m) or (batch, T, m), optional
        Observations (NaN = missing), as for :func:`kalman_filter`.
    x : array_like, shape (T, p) or (batch, T, p), optional
        Inputs.
    initialization : {"prior", "stationary"}
        As for :func:`kalman_filter` (ignored when a FilterResult is given).
    steady_tol : float or None, default 1e-14
        As for :func:`kalman_filter`; in the backward pass ``N_t`` is frozen once it has converged where the
        filter was steady. ``None``: the full recursion at every step.
    engine : {"auto", "numba", "numpy"}
        As for :func:`kalman_filter`.

    Returns
    -------
    SmootherResult
        Smoothed means ``(T, n)``, covariances ``(T, n, n)``, lag-one cross-covariances ``(T, n, n)``, the
        smoothed pre-sample state ``h_0``, and the filter result.

    Raises
    ------
    TypeError
        If ``y`` is missing with a model, or given with a filter result.
    ValueError
        As :func:`kalman_filter`.

    Examples
    --------
    >>> import numpy as np, rnnss
    >>> rnn = rnnss.LinearRNN(W=0.9, Q=1.0, R=1.0, P0=1.0)
    >>> sm = rnnss.rts_smoother(rnn, np.array([0.5, np.nan, -0.2]))
    >>> bool(sm.smoothed_covs[1, 0, 0] < sm.filter.filtered_covs[1, 0, 0])  # the future helps
    True
    """
    if steady_tol is not None:
        steady_tol = v.as_float("steady_tol", steady_tol, nonnegative=True)
    if isinstance(rnn, FilterResult):
        if y is not None or x is not None:
            raise TypeError("pass either a model with y (and x), or a FilterResult alone")
        f = rnn
    else:
        if y is None:
            raise TypeError("rts_smoother needs the observations y when given a model")
        f = kalman_filter(rnn, y, x, initialization=initialization, steady_tol=steady_tol, engine=engine)
    return smooth_filter_result(f, tol=steady_tol, engine=engine)


def smooth_filter_result(f: FilterResult, *, tol: float | None, engine: str) -> SmootherResult:
    """The backward pass over a filter result: one run per missing-data pattern, means per sequence."""
    fns = recursions(engine)
    sys = f.system
    n = sys.n
    mp = f.predicted_means if f.batched else f.predicted_means[None]
    mf = f.filtered_means if f.batched else f.filtered_means[None]
    innov = f.innovations if f.batched else f.innovations[None]
    group = f.groups
    nb, T = group.size, mp.shape[1]
    pre = not sys.first_predicted
    tolerance = -1.0 if tol is None else float(tol)
    ms, m0 = np.empty((nb, T, n)), np.full((nb, n), np.nan)
    runs = []
    for g, path in enumerate(f.paths):
        sel = group == g
        B = int(sel.sum())
        out = dict(
            ms=np.empty((B, T, n)),
            Ps=np.empty((T, n, n)),
            lag=np.zeros((T, n, n)),
            m0=np.empty((B, n)),
            P0=np.full((n, n), np.nan),
        )
        h0 = np.ascontiguousarray(np.broadcast_to(sys.h0, (B, n)))
        fns["smoother_pass"](
            sys.W,
            sys.V,
            sys.R,
            sys.S,
            sys.has_s,
            path.obs,
            path.node,
            path.Pp,
            path.L,
            path.X,
            np.ascontiguousarray(innov[sel]),
            np.ascontiguousarray(mp[sel]),
            pre,
            h0,
            sys.P0,
            tolerance,
            out["ms"],
            out["Ps"],
            out["lag"],
            out["m0"],
            out["P0"],
        )
        # at the last step the smoothed moments are the filtered ones by definition: take them bit for bit
        out["ms"][:, -1] = mf[sel][:, -1]
        out["Ps"][-1] = path.Pf[path.node[-1]]
        if not pre:
            out["m0"][:] = np.nan
            out["lag"][0] = np.nan
        ms[sel] = out["ms"]
        m0[sel] = out["m0"]
        runs.append(out)
    if not f.batched:
        r = runs[0]
        return SmootherResult(ms[0], r["Ps"], r["lag"], m0[0], r["P0"], f)

    def covs(key: str) -> np.ndarray:
        if len(runs) == 1:
            return np.broadcast_to(runs[0][key], (nb,) + runs[0][key].shape)
        return np.stack([runs[g][key] for g in group])

    return SmootherResult(ms, covs("Ps"), covs("lag"), m0, covs("P0"), f)
