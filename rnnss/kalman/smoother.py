"""The Rauch-Tung-Striebel smoother: smoothed means, covariances, lag-one cross-covariances and the pre-sample state."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.linalg

from .. import _validate as v
from .._engine import resolve_engine
from .filter import FilterResult, kalman_filter, patterns

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
    smoother_gains : ndarray, shape (T, n, n)
        ``J_{t-1} = P_{t-1|t-1} W^T P_{t|t-1}^{-1}`` for ``t = 1..T`` (entry 0 is ``J_0`` of ``h_0``).
    initial_mean : ndarray, shape (n,)
        ``E[h_0 | y_1..y_T]``.
    initial_cov : ndarray, shape (n, n)
        ``Cov[h_0 | y_1..y_T]``.
    filter : FilterResult
        The forward pass the smoother ran on.
    """

    smoothed_means: np.ndarray
    smoothed_covs: np.ndarray
    lag_one_covs: np.ndarray
    smoother_gains: np.ndarray
    initial_mean: np.ndarray
    initial_cov: np.ndarray
    filter: FilterResult

    @property
    def loglik(self) -> Any:
        """The log-likelihood of the data (from the forward pass)."""
        return self.filter.loglik

    def __repr__(self) -> str:
        return "SmootherResult(" + repr(self.filter)[len("FilterResult(") :]


# -- RTS smoother ----------------------------------------------------------------------------------


def smoother_gain(Pf: np.ndarray, W: np.ndarray, Pp_next: np.ndarray) -> np.ndarray:
    """Smoother gain ``J = Pf W^T Pp_next^{-1}``; a pseudo-inverse where ``Pp_next`` is singular.

    ``Pp_next`` is singular when some state direction carries no uncertainty (e.g. ``Q`` and ``P0``
    singular); the pseudo-inverse then gives the minimum-norm gain, which leaves that known direction alone.
    """
    rhs = W @ Pf  # J^T = Pp_next^{-1} W Pf
    try:
        c = scipy.linalg.cho_factor(Pp_next, lower=True, check_finite=False)
        if np.min(np.abs(np.diag(c[0]))) > 1e-7 * math.sqrt(max(np.max(np.abs(np.diag(Pp_next))), 1e-300)):
            return scipy.linalg.cho_solve(c, rhs, check_finite=False).T
    except np.linalg.LinAlgError:
        pass
    return (np.linalg.pinv(Pp_next, hermitian=True) @ rhs).T


def _smooth_group(
    W: np.ndarray,
    h0: np.ndarray,
    P0: np.ndarray,
    mp: np.ndarray,
    Pp: np.ndarray,
    mf: np.ndarray,
    Pf: np.ndarray,
    tol: float | None,
) -> dict[str, np.ndarray]:
    """RTS backward pass for ``B`` sequences sharing covariances: gains once per step, means batched.

    ``mp, mf``: (B, T, n); ``Pp, Pf``: (T, n, n). Returns means (B, T, n) and shared covariances.
    Where the filter reused its steady state (bit-identical ``Pf[t] == Pf[t+1]`` and
    ``Pp[t+1] == Pp[t+2]``) the smoother gain is identical too and is reused exactly; with ``tol`` set,
    the smoothed covariance is frozen once it stops changing by more than ``tol`` (relative) there.
    """
    B, T, n = mf.shape
    ms, Ps = np.empty((B, T, n)), np.empty((T, n, n))
    J, lag = np.empty((T, n, n)), np.empty((T, n, n))
    ms[:, -1], Ps[-1] = mf[:, -1], Pf[-1]
    G, frozen = None, False
    for t in range(T - 2, -1, -1):
        reuse = (
            G is not None
            and t + 2 <= T - 1
            and np.array_equal(Pf[t], Pf[t + 1])
            and np.array_equal(Pp[t + 1], Pp[t + 2])
        )
        if not reuse:
            G, frozen = smoother_gain(Pf[t], W, Pp[t + 1]), False
        ms[:, t] = mf[:, t] + (ms[:, t + 1] - mp[:, t + 1]) @ G.T
        if reuse and frozen and tol is not None:
            Ps[t], lag[t + 1] = Ps[t + 1], lag[t + 2]
        else:
            P = Pf[t] + G @ (Ps[t + 1] - Pp[t + 1]) @ G.T
            Ps[t] = 0.5 * (P + P.T)
            lag[t + 1] = Ps[t + 1] @ G.T  # Cov(h_{t+1}, h_t | Y) = P_{t+1|T} J_t^T
            if reuse and tol is not None:
                frozen = np.max(np.abs(Ps[t] - Ps[t + 1])) <= tol * np.max(np.abs(Ps[t]))
        J[t + 1] = G
    G0 = smoother_gain(P0, W, Pp[0])  # the pre-sample state h_0 ~ N(h0, P0)
    m0 = h0 + (ms[:, 0] - mp[:, 0]) @ G0.T
    P0s = P0 + G0 @ (Ps[0] - Pp[0]) @ G0.T
    J[0], lag[0] = G0, Ps[0] @ G0.T
    return dict(ms=ms, Ps=Ps, J=J, lag=lag, m0=m0, P0=0.5 * (P0s + P0s.T))


def _smooth_group_numba(
    W: np.ndarray,
    h0: np.ndarray,
    P0: np.ndarray,
    mp: np.ndarray,
    Pp: np.ndarray,
    mf: np.ndarray,
    Pf: np.ndarray,
    tol: float | None,
) -> dict[str, np.ndarray]:
    """The compiled twin of :func:`_smooth_group`."""
    from . import _kernels as nk

    B, T, n = mf.shape
    out = dict(
        ms=np.empty((B, T, n)),
        Ps=np.empty((T, n, n)),
        J=np.empty((T, n, n)),
        lag=np.empty((T, n, n)),
        m0=np.empty((B, n)),
        P0=np.empty((n, n)),
    )
    c = np.ascontiguousarray
    nk.smoother_kernel(
        W,
        h0,
        P0,
        c(mp),
        c(Pp),
        c(mf),
        c(Pf),
        -1.0 if tol is None else float(tol),
        out["ms"],
        out["Ps"],
        out["J"],
        out["lag"],
        out["m0"],
        out["P0"],
    )
    return out


def rts_smoother(
    rnn: LinearRNN | FilterResult,
    y: ArrayLike | None = None,
    x: ArrayLike | None = None,
    *,
    initialization: str = "prior",
    steady_tol: float | None = 1e-14,
    engine: str = "auto",
) -> SmootherResult:
    r"""The Rauch-Tung-Striebel smoother: ``p(h_t | y_1..y_T)`` for every ``t``.

    Runs :func:`kalman_filter` forward, then the backward recursion

    .. math:: J_t = P_{t|t} W^T P_{t+1|t}^{-1},\quad
              m_{t|T} = m_{t|t} + J_t (m_{t+1|T} - m_{t+1|t}),\quad
              P_{t|T} = P_{t|t} + J_t (P_{t+1|T} - P_{t+1|t}) J_t^T .

    Parameters
    ----------
    rnn : LinearRNN or FilterResult
        The model, or a stored-covariance filter result to smooth (then omit ``y`` and ``x``).
    y : array_like, shape (T, m) or (batch, T, m), optional
        Observations (NaN = missing), as for :func:`kalman_filter`.
    x : array_like, shape (T, p) or (batch, T, p), optional
        Inputs.
    initialization : {"prior", "stationary"}
        As for :func:`kalman_filter` (ignored when a FilterResult is given).
    steady_tol : float or None, default 1e-14
        As for :func:`kalman_filter`; in the backward pass the smoothed covariance is frozen once it has
        converged where the filter was steady. ``None``: the full recursion at every step.
    engine : {"auto", "numba", "numpy"}
        As for :func:`kalman_filter`.

    Returns
    -------
    SmootherResult
        Smoothed means ``(T, n)``, covariances ``(T, n, n)``, lag-one cross-covariances ``(T, n, n)``,
        smoother gains, the smoothed pre-sample state ``h_0``, and the filter result.

    Raises
    ------
    TypeError
        If ``y`` is missing with a model, or given with a filter result.
    ValueError
        If the filter result was computed without covariances; and as :func:`kalman_filter`.

    Examples
    --------
    >>> import numpy as np, rnnss
    >>> rnn = rnnss.LinearRNN(W=0.9, Q=1.0, R=1.0, P0=1.0)
    >>> sm = rnnss.rts_smoother(rnn, np.array([0.5, np.nan, -0.2]))
    >>> bool(sm.smoothed_covs[1, 0, 0] < sm.filter.filtered_covs[1, 0, 0])  # the future helps
    True
    """
    if isinstance(rnn, FilterResult):
        if y is not None or x is not None:
            raise TypeError("pass either a model with y (and x), or a FilterResult alone")
        f = rnn
    else:
        if y is None:
            raise TypeError("rts_smoother needs the observations y when given a model")
        f = kalman_filter(rnn, y, x, initialization=initialization, steady_tol=steady_tol, engine=engine)
    if f.filtered_covs is None:
        raise ValueError("the filter result has no covariances: run kalman_filter with store_covariances=True")
    if steady_tol is not None:
        steady_tol = v.as_float("steady_tol", steady_tol, nonnegative=True)
    smooth = _smooth_group_numba if resolve_engine(engine) == "numba" else _smooth_group
    W, h0, P0 = f.rnn.W, f.rnn.h0, f.rnn.P0
    if not f.batched:
        r = smooth(
            W, h0, P0, f.predicted_means[None], f.predicted_covs, f.filtered_means[None], f.filtered_covs, steady_tol
        )
        return SmootherResult(r["ms"][0], r["Ps"], r["lag"], r["J"], r["m0"][0], r["P0"], f)
    # Sequences with the same missing-data pattern share every covariance (innovations are NaN exactly there).
    group, first = patterns(f.innovations)
    runs = []
    for g, i in enumerate(first):
        sel = group == g
        runs.append(
            smooth(
                W,
                h0,
                P0,
                f.predicted_means[sel],
                f.predicted_covs[i],
                f.filtered_means[sel],
                f.filtered_covs[i],
                steady_tol,
            )
        )
    nb = group.size

    def means(key: str) -> np.ndarray:
        out = np.empty((nb,) + runs[0][key].shape[1:])
        for g, r in enumerate(runs):
            out[group == g] = r[key]
        return out

    def covs(key: str) -> np.ndarray:
        if len(runs) == 1:
            return np.broadcast_to(runs[0][key], (nb,) + runs[0][key].shape)
        return np.stack([runs[g][key] for g in group])

    return SmootherResult(means("ms"), covs("Ps"), covs("lag"), covs("J"), means("m0"), covs("P0"), f)
