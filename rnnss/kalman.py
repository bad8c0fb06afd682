"""Kalman filter, RTS smoother, their steady state, and the linear RNNs that compute them exactly."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.linalg

from . import _validate as v
from .exceptions import NotDetectableError, NotStabilizableError, NumericalError
from .linear import LinearRNN, _check_rnn, _solve_stein, simulate, with_stationary_prior
from .structure import pbh_test

if TYPE_CHECKING:  # pragma: no cover
    from numpy.typing import ArrayLike

__all__ = [
    "FilterResult",
    "SmootherResult",
    "SteadyState",
    "SmootherRNN",
    "EquivalenceReport",
    "kalman_filter",
    "rts_smoother",
    "steady_state",
    "kalman_rnn",
    "smoother_rnn",
    "verify_kalman_equivalence",
]

_LOG_2PI = math.log(2.0 * math.pi)


# -- results ---------------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class FilterResult:
    """Output of :func:`kalman_filter`; arrays follow the caller's layout (a leading batch axis if batched).

    Attributes
    ----------
    rnn : LinearRNN
        The model that was filtered (with the prior actually used, see ``initialization``).
    predicted_means : ndarray, shape (T, n)
        ``E[h_t | y_1..y_{t-1}]``.
    predicted_covs : ndarray, shape (T, n, n) or None
        ``Cov[h_t | y_1..y_{t-1}]`` (None with ``store_covariances=False``).
    filtered_means : ndarray, shape (T, n)
        ``E[h_t | y_1..y_t]``.
    filtered_covs : ndarray, shape (T, n, n) or None
        ``Cov[h_t | y_1..y_t]``.
    innovations : ndarray, shape (T, m)
        ``y_t - V E[h_t | y_1..y_{t-1}] - d``; NaN where ``y_t`` is missing.
    innovation_covs : ndarray, shape (T, m, m) or None
        ``S_t = V P_{t|t-1} V^T + R``, the predictive covariance of ``y_t`` (all components).
    gains : ndarray, shape (T, n, m) or None
        Kalman gains ``K_t``; the columns of missing components are zero.
    loglik : float or ndarray, shape (batch,)
        Exact Gaussian log-likelihood ``log p(y_1..y_T)`` of the observed entries.
    loglik_terms : ndarray, shape (T,)
        Per-step contributions ``log p(y_t | y_1..y_{t-1})`` (0 where all of ``y_t`` is missing).
    n_observed : int or ndarray, shape (batch,)
        Number of observed scalar entries of ``y`` (for information criteria).
    final_filtered_cov : ndarray, shape (n, n)
        ``Cov[h_T | y_1..y_T]``, kept even when covariances are not stored (batch: (batch, n, n)).
    """

    rnn: LinearRNN
    predicted_means: np.ndarray
    predicted_covs: np.ndarray | None
    filtered_means: np.ndarray
    filtered_covs: np.ndarray | None
    innovations: np.ndarray
    innovation_covs: np.ndarray | None
    gains: np.ndarray | None
    loglik: Any
    loglik_terms: np.ndarray
    n_observed: Any
    final_filtered_cov: np.ndarray

    @property
    def batched(self) -> bool:
        """Whether the result holds a batch of sequences."""
        return self.filtered_means.ndim == 3

    def __repr__(self) -> str:
        shape = self.filtered_means.shape
        ll = np.array2string(np.asarray(self.loglik), precision=6) if self.batched else f"{self.loglik:.6f}"
        return f"FilterResult(T={shape[-2]}, n={shape[-1]}{f', batch={shape[0]}' if self.batched else ''}, loglik={ll})"


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


# -- input handling --------------------------------------------------------------------------------


def _data(rnn: LinearRNN, y: Any, x: Any) -> tuple[np.ndarray, np.ndarray, bool]:
    """``y`` as ``(batch, T, m)`` (NaN = missing), ``x`` as ``(batch, T, p)``, and whether batched."""
    return v.as_observations_and_inputs(y, rnn.n_outputs, x, rnn.n_inputs)


def _initial(rnn: LinearRNN, initialization: str) -> LinearRNN:
    if initialization == "prior":
        return rnn
    if initialization == "stationary":
        return with_stationary_prior(rnn)
    raise ValueError(f"initialization must be 'prior' or 'stationary'; got {initialization!r}")


# -- the NumPy engine: one covariance recursion per missing-data pattern, means batched -------------------


def _filter_group(rnn: LinearRNN, y: np.ndarray, x: np.ndarray, store: bool, tol: float | None) -> dict[str, Any]:
    """Time-varying Kalman filter of ``B`` sequences that share the model and the missing-data pattern.

    The covariances, gains and log-determinants depend only on the model and on which entries are
    observed, so they are computed once per step for the whole group; only the means are per sequence.
    Joseph-form update; gain and log-likelihood through a Cholesky factor of the innovation covariance.
    ``y``: (B, T, m) with NaN where missing (same pattern in every sequence); ``x``: (B, T, p).

    Steady-state switch (``tol`` not None): once two consecutive fully observed steps give predicted
    covariances within ``tol`` (relative, max-abs) of each other, the Riccati recursion has converged to
    rounding level and the covariance, gain and Cholesky factor are reused until a step with missing
    values. The reused values differ from the recursion's by about ``tol / (1 - rho^2)`` relative, with
    ``rho`` the filter RNN's spectral radius: far below 1e-10 for the default ``tol = 1e-14``.
    """
    B, T, m = y.shape
    n = rnn.n_hidden
    W, V, Q, R, d = rnn.W, rnn.V, rnn.Q, rnn.R, rnn.d
    drive = x @ rnn.U.T + rnn.b  # (B, T, n)
    observed = ~np.isnan(y[0])
    mp_all, mf_all = np.empty((B, T, n)), np.empty((B, T, n))
    innov = np.full((B, T, m), np.nan)
    terms = np.zeros((B, T))
    covs = {k: np.empty(sh) for k, sh in [("Pp", (T, n, n)), ("Pf", (T, n, n)), ("S", (T, m, m)), ("K", (T, n, m))]} if store else None
    mf = np.broadcast_to(rnn.h0, (B, n))
    Pf = rnn.P0
    eye = np.eye(n)
    steady = prev_full = False
    Pp_prev = None
    K = np.zeros((n, m))
    for t in range(T):
        obs = observed[t]
        full = bool(obs.all())
        if not (steady and full):
            steady = False
            Pp = W @ Pf @ W.T + Q
            Pp = 0.5 * (Pp + Pp.T)
            K = np.zeros((n, m))
            k = int(obs.sum())
            if k:
                Vo, Ro = (V, R) if full else (V[obs], R[np.ix_(obs, obs)])
                So = Vo @ Pp @ Vo.T + Ro
                try:
                    L = np.linalg.cholesky(So)
                except np.linalg.LinAlgError:
                    raise NumericalError(
                        f"the innovation covariance at step t = {t + 1} is singular: the observed outputs are known "
                        "exactly given the past (R = 0 in those directions and no state uncertainty); give R a "
                        "positive variance or P0/Q more uncertainty"
                    ) from None
                Ko = scipy.linalg.cho_solve((L, True), Vo @ Pp, check_finite=False).T  # K = Pp Vo^T So^{-1}
                A = eye - Ko @ Vo
                Pf = A @ Pp @ A.T + Ko @ Ro @ Ko.T  # Joseph form: PSD by construction
                Pf = 0.5 * (Pf + Pf.T)
                logdet = 2.0 * np.sum(np.log(np.diag(L)))
                K[:, obs] = Ko
            else:
                Pf = Pp
            if tol is not None:
                if full and prev_full:
                    steady = np.max(np.abs(Pp - Pp_prev)) <= tol * np.max(np.abs(Pp))
                Pp_prev = Pp
            prev_full = full
        mp = mf @ W.T + drive[:, t]
        if k:
            vo = (y[:, t] if full else y[:, t, obs]) - mp @ Vo.T - (d if full else d[obs])  # (B, k)
            mf = mp + vo @ Ko.T
            z = scipy.linalg.solve_triangular(L, vo.T, lower=True, check_finite=False)  # (k, B)
            terms[:, t] = -0.5 * (k * _LOG_2PI + logdet + np.sum(z * z, axis=0))
            innov[:, t, obs] = vo
        else:
            mf = mp
        mp_all[:, t], mf_all[:, t] = mp, mf
        if store:
            covs["Pp"][t], covs["Pf"][t], covs["K"][t] = Pp, Pf, K
            covs["S"][t] = V @ Pp @ V.T + R
    out = dict(mp=mp_all, mf=mf_all, innov=innov, terms=terms, n_obs=int(observed.sum()), Pf_last=Pf)
    if store:
        out.update(covs)
    return out


def _filter_group_numba(rnn: LinearRNN, y: np.ndarray, x: np.ndarray, store: bool, tol: float | None) -> dict[str, Any]:
    """The compiled twin of :func:`_filter_group` (same algorithm, same steady-state switch)."""
    from . import _kalman_numba as nk

    B, T, m = y.shape
    n = rnn.n_hidden
    observed = ~np.isnan(y[0])
    out = dict(mp=np.empty((B, T, n)), mf=np.empty((B, T, n)), innov=np.full((B, T, m), np.nan), terms=np.zeros((B, T)))
    shapes = [("Pp", (T, n, n)), ("Pf", (T, n, n)), ("S", (T, m, m)), ("K", (T, n, m))]
    covs = {k: np.empty(sh if store else (1,) + sh[1:]) for k, sh in shapes}
    Pf_last = np.empty((n, n))
    status = nk.filter_kernel(
        rnn.W, rnn.U, rnn.b, rnn.V, rnn.d, rnn.Q, rnn.R, rnn.h0, rnn.P0, np.ascontiguousarray(x), np.ascontiguousarray(y),
        observed, store,
        -1.0 if tol is None else float(tol), out["mp"], out["mf"], out["innov"], out["terms"],
        covs["Pp"], covs["Pf"], covs["S"], covs["K"], Pf_last,
    )
    if status:
        raise NumericalError(
            f"the innovation covariance at step t = {status} is singular: the observed outputs are known "
            "exactly given the past (R = 0 in those directions and no state uncertainty); give R a "
            "positive variance or P0/Q more uncertainty"
        )
    out.update(n_obs=int(observed.sum()), Pf_last=Pf_last)
    if store:
        out.update(covs)
    return out


ENGINES = ("auto", "numba", "numpy")


def _engine(engine: str) -> str:
    from ._jit import AVAILABLE

    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}; got {engine!r}")
    if engine == "numba" and not AVAILABLE:
        raise ImportError("engine='numba' needs numba: pip install numba (or use engine='numpy')")
    if engine == "auto":
        return "numba" if AVAILABLE else "numpy"
    return engine


def _patterns(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group sequences by missing-data pattern: (group index per sequence, first member of each group)."""
    nb = y.shape[0]
    if nb == 1:
        return np.zeros(1, dtype=int), np.zeros(1, dtype=int)
    packed = np.packbits(np.isnan(y).reshape(nb, -1), axis=1)  # one byte string per pattern: hashable
    seen: dict[bytes, int] = {}
    group, first = np.empty(nb, dtype=int), []
    for i, row in enumerate(packed):
        g = seen.setdefault(row.tobytes(), len(seen))
        if g == len(first):
            first.append(i)
        group[i] = g
    return group, np.array(first)


def kalman_filter(
    rnn: LinearRNN,
    y: ArrayLike,
    x: ArrayLike | None = None,
    *,
    initialization: str = "prior",
    store_covariances: bool = True,
    steady_tol: float | None = 1e-14,
    engine: str = "auto",
) -> FilterResult:
    r"""The exact (time-varying) Kalman filter of a linear-Gaussian RNN.

    Computes ``p(h_t | y_1..y_t)`` for

    .. math:: h_t = W h_{t-1} + U x_t + b + \eta_t,\quad y_t = V h_t + d + \varepsilon_t,\quad h_0 \sim N(h0, P0).

    Convention: ``h0, P0`` is the prior of the state *before* step 1, so the first predicted state is
    ``W h0 + U x_1 + b`` with covariance ``W P0 W^T + Q`` (filterpy's and pykalman's predict-then-update
    convention; statsmodels' ``initialize_known`` takes that first *predicted* moment instead).

    Parameters
    ----------
    rnn : LinearRNN
        The model (``W, U, b, V, d, Q, R, h0, P0``).
    y : array_like, shape (T, m), (T,) if m == 1, or (batch, T, m)
        Observations ``y_1 .. y_T``. NaN marks a missing value: a whole row (no update at that step) or
        single components (the update uses the observed ones).
    x : array_like, shape (T, p) or (batch, T, p), optional
        Inputs ``x_1 .. x_T``; required when ``p > 0``; must be finite. An unbatched ``x`` is shared by a
        batch of ``y``.
    initialization : {"prior", "stationary"}
        ``"prior"`` uses ``rnn.h0, rnn.P0``; ``"stationary"`` replaces them by the stationary mean (under zero
        input) and covariance of a stable ``W`` (:func:`rnnss.with_stationary_prior`).
    store_covariances : bool, default True
        Keep the per-step covariances and gains (``O(T n^2)`` memory). With False only means, innovations
        and the log-likelihood are kept: a million steps then fit in bounded memory.
    steady_tol : float or None, default 1e-14
        Once the predicted covariance changes by less than this (relative, max-abs) between two fully
        observed steps, the converged covariance and gain are reused until a step with missing data. The
        results stay within about ``steady_tol / (1 - rho^2)`` relative of the full recursion (``rho`` the
        filter RNN's spectral radius). ``None`` runs the full Riccati recursion at every step.
    engine : {"auto", "numba", "numpy"}
        ``"numba"``: compiled loops (the fast path); ``"numpy"``: the reference implementation, same
        algorithm; ``"auto"``: numba when installed.

    Returns
    -------
    FilterResult
        Means ``(T, n)``, covariances ``(T, n, n)``, innovations ``(T, m)`` and their covariances
        ``(T, m, m)``, gains ``(T, n, m)``, ``loglik`` (a float, or ``(batch,)`` for a batch).

    Raises
    ------
    DimensionError
        If ``y`` or ``x`` has the wrong shape.
    ValueError
        If ``x`` holds NaN/inf, ``y`` holds inf, or the initialization is unknown.
    NumericalError
        If an innovation covariance is singular (exactly predictable outputs with ``R = 0``).
    NotStableError
        With ``initialization="stationary"`` and an unstable ``W``.

    Notes
    -----
    The update is in Joseph form, ``P = (I - K V) P (I - K V)^T + K R K^T``, symmetrised every step, with
    ``K`` and the log-likelihood from a Cholesky factor of the innovation covariance: covariances stay
    symmetric positive semi-definite over arbitrarily long runs.

    Examples
    --------
    >>> import numpy as np, rnnss
    >>> rnn = rnnss.LinearRNN(W=0.9, Q=1.0, R=1.0, P0=1.0)
    >>> res = rnnss.kalman_filter(rnn, np.array([0.5, np.nan, -0.2]))
    >>> res.filtered_means.shape, res.filtered_covs.shape
    ((3, 1), (3, 1, 1))
    >>> bool(res.filtered_covs[1, 0, 0] == res.predicted_covs[1, 0, 0])  # missing step: no update
    True
    """
    rnn = _initial(_check_rnn(rnn), initialization)
    ys, xs, batched = _data(rnn, y, x)
    if steady_tol is not None:
        steady_tol = v.as_float("steady_tol", steady_tol, nonnegative=True)
    run = _filter_group_numba if _engine(engine) == "numba" else _filter_group
    group, first = _patterns(ys)
    runs = [run(rnn, ys[group == g], xs[group == g], store_covariances, steady_tol) for g in range(len(first))]
    return _assemble(rnn, runs, group, batched, store_covariances)


def _assemble(rnn: LinearRNN, runs: list[dict[str, Any]], group: np.ndarray, batched: bool, store: bool) -> FilterResult:
    """Put per-group results back in the caller's sequence order and layout.

    Per-sequence arrays are scattered back; per-group covariances are shared, so with a single group
    they are returned as read-only broadcast views instead of ``batch`` copies.
    """
    nb = group.size

    def per_sequence(key: str) -> np.ndarray:
        first = runs[0][key]
        if len(runs) == 1:  # one group: the arrays are already in sequence order (no copy)
            return first if batched else first[0]
        out = np.empty((nb,) + first.shape[1:])
        for g, r in enumerate(runs):
            out[group == g] = r[key]
        return out if batched else out[0]

    def shared(key: str) -> np.ndarray | None:
        if not store:
            return None
        if not batched:
            return runs[0][key]
        if len(runs) == 1:
            return np.broadcast_to(runs[0][key], (nb,) + runs[0][key].shape)
        return np.stack([runs[g][key] for g in group])

    loglik = per_sequence("terms").sum(axis=-1)
    n_obs = np.array([runs[g]["n_obs"] for g in group])
    pf_last = np.stack([runs[g]["Pf_last"] for g in group])
    return FilterResult(
        rnn=rnn,
        predicted_means=per_sequence("mp"),
        predicted_covs=shared("Pp"),
        filtered_means=per_sequence("mf"),
        filtered_covs=shared("Pf"),
        innovations=per_sequence("innov"),
        innovation_covs=shared("S"),
        gains=shared("K"),
        loglik=loglik if batched else float(loglik),
        loglik_terms=per_sequence("terms"),
        n_observed=n_obs if batched else int(n_obs[0]),
        final_filtered_cov=pf_last if batched else pf_last[0],
    )


# -- RTS smoother ----------------------------------------------------------------------------------


def _gain(Pf: np.ndarray, W: np.ndarray, Pp_next: np.ndarray) -> np.ndarray:
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
    W: np.ndarray, h0: np.ndarray, P0: np.ndarray, mp: np.ndarray, Pp: np.ndarray, mf: np.ndarray, Pf: np.ndarray,
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
        reuse = G is not None and t + 2 <= T - 1 and np.array_equal(Pf[t], Pf[t + 1]) and np.array_equal(Pp[t + 1], Pp[t + 2])
        if not reuse:
            G, frozen = _gain(Pf[t], W, Pp[t + 1]), False
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
    G0 = _gain(P0, W, Pp[0])  # the pre-sample state h_0 ~ N(h0, P0)
    m0 = h0 + (ms[:, 0] - mp[:, 0]) @ G0.T
    P0s = P0 + G0 @ (Ps[0] - Pp[0]) @ G0.T
    J[0], lag[0] = G0, Ps[0] @ G0.T
    return dict(ms=ms, Ps=Ps, J=J, lag=lag, m0=m0, P0=0.5 * (P0s + P0s.T))


def _smooth_group_numba(
    W: np.ndarray, h0: np.ndarray, P0: np.ndarray, mp: np.ndarray, Pp: np.ndarray, mf: np.ndarray, Pf: np.ndarray,
    tol: float | None,
) -> dict[str, np.ndarray]:
    """The compiled twin of :func:`_smooth_group`."""
    from . import _kalman_numba as nk

    B, T, n = mf.shape
    out = dict(ms=np.empty((B, T, n)), Ps=np.empty((T, n, n)), J=np.empty((T, n, n)), lag=np.empty((T, n, n)),
               m0=np.empty((B, n)), P0=np.empty((n, n)))
    c = np.ascontiguousarray
    nk.smoother_kernel(W, h0, P0, c(mp), c(Pp), c(mf), c(Pf), -1.0 if tol is None else float(tol),
                       out["ms"], out["Ps"], out["J"], out["lag"], out["m0"], out["P0"])
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
    smooth = _smooth_group_numba if _engine(engine) == "numba" else _smooth_group
    W, h0, P0 = f.rnn.W, f.rnn.h0, f.rnn.P0
    if not f.batched:
        r = smooth(W, h0, P0, f.predicted_means[None], f.predicted_covs, f.filtered_means[None], f.filtered_covs, steady_tol)
        return SmootherResult(r["ms"][0], r["Ps"], r["lag"], r["J"], r["m0"][0], r["P0"], f)
    # Sequences with the same missing-data pattern share every covariance (innovations are NaN exactly there).
    group, first = _patterns(f.innovations)
    runs = []
    for g, i in enumerate(first):
        sel = group == g
        runs.append(
            smooth(W, h0, P0, f.predicted_means[sel], f.predicted_covs[i], f.filtered_means[sel], f.filtered_covs[i], steady_tol)
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


# -- steady state ----------------------------------------------------------------------------------

# Above this condition number of the steady innovation covariance S (or of P) the gains lose more than
# about 4 of the 16 significant digits and the RNN-equivalence checks at 1e-10 would be meaningless.
STEADY_MAX_COND = 1e12


@dataclass(frozen=True, repr=False)
class SteadyState:
    """The steady-state (infinite-horizon) Kalman filter and RTS smoother of a model.

    Attributes
    ----------
    predicted_cov : ndarray, shape (n, n)
        ``P``, the stabilising solution of the filter DARE ``P = W P W^T - W P V^T S^{-1} V P W^T + Q``.
    filtered_cov : ndarray, shape (n, n)
        ``P_f = (I - K V) P``.
    smoothed_cov : ndarray, shape (n, n)
        ``P_s``, solving ``P_s = P_f + J (P_s - P) J^T`` (a Stein equation): the mid-sequence smoother error.
    lag_one_cov : ndarray, shape (n, n)
        ``Cov[h_{t+1}, h_t | all y] = P_s J^T``.
    innovation_cov : ndarray, shape (m, m)
        ``S = V P V^T + R``.
    gain : ndarray, shape (n, m)
        The filter gain ``K = P V^T S^{-1}``.
    smoother_gain : ndarray, shape (n, n)
        ``J = P_f W^T P^{-1}``.
    filter_matrix : ndarray, shape (n, n)
        ``(I - K V) W``, the recurrent matrix of the filter RNN.
    filter_radius : float
        Spectral radius of ``filter_matrix``: the filter RNN forgets its start like ``filter_radius^t``.
    smoother_radius : float
        Spectral radius of ``J``, the backward RNN's forgetting rate.
    riccati_residual : float
        ``||DARE(P) - P||_F / ||P||_F`` of the returned solution.
    condition_numbers : dict
        2-norm condition numbers of ``S`` (``"innovation_cov"``) and ``P`` (``"predicted_cov"``).
    """

    predicted_cov: np.ndarray
    filtered_cov: np.ndarray
    smoothed_cov: np.ndarray
    lag_one_cov: np.ndarray
    innovation_cov: np.ndarray
    gain: np.ndarray
    smoother_gain: np.ndarray
    filter_matrix: np.ndarray
    filter_radius: float
    smoother_radius: float
    riccati_residual: float
    condition_numbers: dict

    def __repr__(self) -> str:
        tr = lambda a: float(np.trace(a))  # noqa: E731
        return (
            f"SteadyState(tr P={tr(self.predicted_cov):.6g}, tr P_f={tr(self.filtered_cov):.6g}, "
            f"tr P_s={tr(self.smoothed_cov):.6g}, filter radius={self.filter_radius:.4g}, "
            f"smoother radius={self.smoother_radius:.4g}, residual={self.riccati_residual:.1e})"
        )


def _solve_dare(W: np.ndarray, V: np.ndarray, Q: np.ndarray, R: np.ndarray) -> np.ndarray:
    """Stabilising solution of the filter DARE by the structure-preserving doubling algorithm.

    The filter DARE ``P = W P W^T - W P V^T (V P V^T + R)^{-1} V P W^T + Q`` equals
    ``P = W P (I + G P)^{-1} W^T + Q`` with ``G = V^T R^{-1} V``. Doubling (Chu, Fan & Lin 2005) iterates
    ``A <- A (I + G H)^{-1} A``, ``G <- G + A (I + G H)^{-1} G A^T``, ``H <- H + A^T H (I + G H)^{-1} A`` from
    ``(W^T, G, Q)``; ``H`` converges quadratically to ``P``. Unlike the QZ approach it is unbothered by a
    (numerically) singular ``W``. Falls back to scipy's QZ solver if doubling does not converge.
    """
    n = W.shape[0]
    eye = np.eye(n)
    A, G, H = W.T.copy(), V.T @ np.linalg.solve(R, V), Q.copy()
    G = 0.5 * (G + G.T)
    for _ in range(100):
        M = eye + G @ H
        A_next = A @ np.linalg.solve(M, A)
        G_next = G + A @ np.linalg.solve(M, G) @ A.T
        H_next = H + A.T @ H @ np.linalg.solve(M, A)
        H_next, G_next = 0.5 * (H_next + H_next.T), 0.5 * (G_next + G_next.T)
        if not np.all(np.isfinite(H_next)):
            break
        done = np.linalg.norm(H_next - H, 1) <= 1e-15 * max(np.linalg.norm(H_next, 1), np.finfo(float).tiny)
        A, G, H = A_next, G_next, H_next
        if done:
            return H
    return scipy.linalg.solve_discrete_are(W.T, V.T, Q, R)


def steady_state(rnn: LinearRNN) -> SteadyState:
    r"""Steady-state covariances and gains of the Kalman filter and RTS smoother, from the DARE.

    Parameters
    ----------
    rnn : LinearRNN
        The model; needs ``(W, V)`` detectable, ``(W, Q^{1/2})`` stabilisable and a non-singular steady
        innovation covariance ``V P V^T + R`` (``R`` itself may be singular, e.g. noise-free outputs).

    Returns
    -------
    SteadyState
        Predicted, filtered and smoothed error covariances, the gains ``K`` and ``J``, and the spectral
        radii that set how fast the time-varying filter and smoother reach them.

    Raises
    ------
    NotDetectableError
        If a mode with ``|lambda| >= 1`` is invisible in ``y`` (its error would grow without bound).
    NotStabilizableError
        If a mode with ``|lambda| >= 1`` receives no process noise (no stabilising DARE solution).
    NumericalError
        If ``V P V^T + R`` is singular (an output is an exact function of the past) or the DARE solution
        fails its residual or stabilisation check.
    IllConditionedError
        If ``S`` or ``P`` has a condition number above ``1e12`` (reported on the exception).

    Examples
    --------
    >>> import rnnss
    >>> ss = rnnss.steady_state(rnnss.LinearRNN(W=0.9, Q=1.0, R=1.0))
    >>> round(float(ss.predicted_cov[0, 0]), 6)  # scalar DARE: P^2 + (r(1-a^2) - q) P - q r = 0
    1.4839
    """
    from .exceptions import IllConditionedError

    rnn = _check_rnn(rnn)
    W, V, Q, R = rnn.W, rnn.V, rnn.Q, rnn.R
    n = rnn.n_hidden
    lam_r = np.linalg.eigvalsh(R)
    # Doubling needs R^{-1}; with R singular or nearly so (noise-free outputs, or an ML fit that ended on
    # the boundary) scipy's extended-pencil solver, which never inverts R, is the right tool.
    singular_r = lam_r[0] <= 1e-8 * max(float(lam_r[-1]), np.finfo(float).tiny)
    pbh = pbh_test(rnn, source="noise")  # only modes with |lambda| >= 1 matter for the filter DARE
    undetectable = pbh.eigenvalues[~pbh.stable & ~pbh.observable]
    unstabilizable = pbh.eigenvalues[~pbh.stable & ~pbh.controllable]
    if undetectable.size:
        raise NotDetectableError(
            "(W, V) is not detectable: the mode(s) "
            + ", ".join(f"{lam:.4g}" for lam in undetectable)
            + " with |lambda| >= 1 do not reach the outputs, so their estimation error grows without bound"
        )
    if unstabilizable.size:
        raise NotStabilizableError(
            "(W, Q^1/2) is not stabilisable: the mode(s) "
            + ", ".join(f"{lam:.4g}" for lam in unstabilizable)
            + " with |lambda| >= 1 receive no process noise; the filter gain for them tends to zero and no "
            "stabilising steady state exists (add process noise to those modes or remove them)"
        )
    try:
        P = scipy.linalg.solve_discrete_are(W.T, V.T, Q, R) if singular_r else _solve_dare(W, V, Q, R)
    except (np.linalg.LinAlgError, ValueError) as exc:
        hint = (
            "; with a singular R this usually means the steady innovation covariance V P V^T + R is singular "
            "(some outputs are exact linear functions of the past)"
            if singular_r
            else ""
        )
        raise NumericalError(f"the filter DARE could not be solved ({exc}){hint}") from None
    P = 0.5 * (P + P.T)
    S = V @ P @ V.T + R
    S = 0.5 * (S + S.T)
    lam_s = np.linalg.eigvalsh(S)
    if lam_s[0] <= 1e-14 * max(float(lam_s[-1]), np.finfo(float).tiny):
        raise NumericalError(
            f"the steady innovation covariance V P V^T + R is singular (eigenvalues {lam_s[0]:.3g} .. {lam_s[-1]:.3g}): "
            "some outputs are exact linear functions of the past; drop them or give R a positive variance"
        )
    cond = {"innovation_cov": float(np.linalg.cond(S)), "predicted_cov": float(np.linalg.cond(P))}
    if cond["innovation_cov"] > STEADY_MAX_COND:
        raise IllConditionedError(
            f"the steady innovation covariance S is ill-conditioned (condition number {cond['innovation_cov']:.3g}); "
            "rescale the outputs or check R", cond["innovation_cov"],
        )
    K = scipy.linalg.solve(S, V @ P, assume_a="pos").T
    A = np.eye(n) - K @ V
    Pf = A @ P @ A.T + K @ R @ K.T
    Pf = 0.5 * (Pf + Pf.T)
    resid_mat = W @ Pf @ W.T + Q - P
    residual = float(np.linalg.norm(resid_mat) / max(np.linalg.norm(P), np.finfo(float).tiny))
    if residual > 1e-8:
        raise NumericalError(f"the DARE solution fails its residual check (relative residual {residual:.3g})")
    Wf = A @ W
    rho_f = float(np.max(np.abs(np.linalg.eigvals(Wf))))
    if rho_f >= 1:
        raise NumericalError(f"the DARE solution is not stabilising (spectral radius of (I - K V) W = {rho_f:.6g})")
    if cond["predicted_cov"] > STEADY_MAX_COND:
        # P nearly singular: J = Pf W^T P^{-1} is then determined only through a pseudo-inverse.
        J = _gain(Pf, W, P)
    else:
        J = scipy.linalg.solve(P, W @ Pf, assume_a="pos").T
    rho_s = float(np.max(np.abs(np.linalg.eigvals(J))))
    Ps = _solve_stein(J, Pf - J @ P @ J.T)
    return SteadyState(P, Pf, Ps, Ps @ J.T, S, K, J, Wf, rho_f, rho_s, residual, cond)


# -- the RNN equivalents ---------------------------------------------------------------------------


def kalman_rnn(rnn: LinearRNN) -> LinearRNN:
    r"""The steady-state Kalman filter written as a linear RNN driven by ``[x_t; y_t]``.

    Substituting the prediction ``W m_{t-1} + U x_t + b`` into the update ``m_t = m_t^- + K (y_t - V m_t^- - d)``
    gives a linear recurrence whose hidden state **is** the filtered mean:

    .. math:: m_t = (I - K V) W\, m_{t-1} + \big[(I - K V) U,\; K\big] \begin{bmatrix} x_t \\ y_t \end{bmatrix}
              + (I - K V) b - K d .

    Parameters
    ----------
    rnn : LinearRNN
        The generative model (see :func:`steady_state` for the requirements).

    Returns
    -------
    LinearRNN
        ``W' = (I - K V) W`` (n, n), ``U' = [(I - K V) U, K]`` (n, p + m), ``b' = (I - K V) b - K d``, read-out
        ``V' = I`` (the output is the estimate itself), no noise, ``h0' = rnn.h0``, same ``dt``. Run it with
        ``rnnss.simulate(filter_rnn, x=np.hstack([x, y]), noise=False)``; after a transient that decays like
        ``filter_radius^t`` its states equal the exact filter's means.

    Raises
    ------
    NotDetectableError, NotStabilizableError, NumericalError
        As :func:`steady_state`.

    Examples
    --------
    >>> import numpy as np, rnnss
    >>> model = rnnss.LinearRNN(W=0.9, Q=1.0, R=1.0)
    >>> f = rnnss.kalman_rnn(model)
    >>> f.n_inputs, f.n_hidden
    (1, 1)
    """
    return _filter_rnn(rnn, steady_state(rnn))


def _filter_rnn(rnn: LinearRNN, ss: SteadyState) -> LinearRNN:
    """:func:`kalman_rnn` from an already solved steady state."""
    A = np.eye(rnn.n_hidden) - ss.gain @ rnn.V
    return LinearRNN(
        W=ss.filter_matrix,
        U=np.hstack([A @ rnn.U, ss.gain]),
        b=A @ rnn.b - ss.gain @ rnn.d,
        h0=rnn.h0,
        dt=rnn.dt,
    )


@dataclass(frozen=True, repr=False)
class SmootherRNN:
    r"""A bidirectional pair of linear RNNs whose combination is the steady-state RTS smoother.

    The forward RNN is :func:`kalman_rnn` (state = filtered mean ``m_t``). The backward RNN runs in reverse
    time from ``g_T = m_T``:

    .. math:: g_t = J g_{t+1} + \big[I - J W,\; -J U\big] \begin{bmatrix} m_t \\ x_{t+1} \end{bmatrix} - J b,

    and its state ``g_t`` is the smoothed mean. It reads the forward states, as a bidirectional layer reads
    the concatenation of both directions.

    Attributes
    ----------
    forward : LinearRNN
        Input ``[x_t; y_t]`` (p + m), state the filtered mean.
    backward : LinearRNN
        Input ``[m_t; x_{t+1}]`` (n + p) in reverse time, state the smoothed mean.
    steady : SteadyState
        The steady state the gains come from.
    """

    forward: LinearRNN
    backward: LinearRNN
    steady: SteadyState

    def __repr__(self) -> str:
        return (
            f"SmootherRNN(n={self.forward.n_hidden}, forward radius={self.steady.filter_radius:.4g}, "
            f"backward radius={self.steady.smoother_radius:.4g})"
        )

    def run(self, y: ArrayLike, x: ArrayLike | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Run both directions on one sequence.

        Parameters
        ----------
        y : array_like, shape (T, m) or (T,) if m == 1
            Complete observations (no NaN: a fixed-gain RNN cannot skip an update).
        x : array_like, shape (T, p), optional
            Inputs.

        Returns
        -------
        forward : ndarray, shape (T, n)
            Forward states: the steady-state filtered means.
        backward : ndarray, shape (T, n)
            Backward states: the steady-state smoothed means.
        """
        p = self.backward.n_inputs - self.forward.n_hidden  # backward input is [m_t; x_{t+1}]
        ys, batched = v.as_sequence("y", y, self.forward.n_inputs - p)
        if batched:
            raise v.DimensionError(f"y must be one sequence of shape (T, {ys.shape[2]}); got a batch of shape {ys.shape}")
        ys = ys[0]
        T = ys.shape[0]
        if p and x is None:
            raise ValueError(f"x is required: the model has p = {p} inputs")
        xs = np.zeros((T, 0)) if x is None else v.as_sequence("x", x, p, steps=T)[0][0]
        fwd = simulate(self.forward, x=np.hstack([xs, ys]), noise=False).h
        if T == 1:
            return fwd, fwd.copy()
        # Reverse time: step tau = 1..T-1 reads [m_t; x_{t+1}] for t = T-1, ..., 1.
        z = np.hstack([fwd[:-1], xs[1:]])[::-1]
        back = simulate(dataclasses.replace(self.backward, h0=fwd[-1]), x=z, noise=False).h[::-1]
        return fwd, np.vstack([back, fwd[-1:]])


def smoother_rnn(rnn: LinearRNN) -> SmootherRNN:
    """The steady-state RTS smoother as a bidirectional linear RNN (forward filter RNN + backward RNN).

    Parameters
    ----------
    rnn : LinearRNN
        The generative model (see :func:`steady_state` for the requirements).

    Returns
    -------
    SmootherRNN
        ``forward = kalman_rnn(rnn)``; ``backward`` has ``W = J`` (n, n), ``U = [I - J W, -J U]`` (n, n + p),
        ``b = -J b``, ``V = I``. ``SmootherRNN.run(y, x)`` returns both state sequences; the backward one is
        the smoothed mean.

    Raises
    ------
    NotDetectableError, NotStabilizableError, NumericalError
        As :func:`steady_state`.

    Examples
    --------
    >>> import numpy as np, rnnss
    >>> pair = rnnss.smoother_rnn(rnnss.LinearRNN(W=0.9, Q=1.0, R=1.0))
    >>> fwd, bwd = pair.run(np.array([1.0, 0.5, -0.3, 0.2]))
    >>> fwd.shape, bwd.shape
    ((4, 1), (4, 1))
    """
    ss = steady_state(rnn)
    J = ss.smoother_gain
    n = rnn.n_hidden
    backward = LinearRNN(W=J, U=np.hstack([np.eye(n) - J @ rnn.W, -J @ rnn.U]), b=-J @ rnn.b, dt=rnn.dt)
    return SmootherRNN(_filter_rnn(rnn, ss), backward, ss)


# -- verification ----------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class EquivalenceReport:
    """How closely the RNN forms reproduce the exact filter and smoother, and the peers agree.

    Attributes
    ----------
    T : int
        Length of the data.
    tol : float
        The relative tolerance defining the end of the transient and ``passed``.
    filter_transient, smoother_transient : int or None
        Steps until the RNN form's error stays below ``tol`` (relative) for good; None if it never does.
    predicted_transient : int
        ``ceil(log(tol) / log(filter_radius))``: the steps the theory predicts (the error of the start
        decays like ``filter_radius^t``).
    settled_from : int
        Index from which the settled differences below are measured: the end of the transients, and at least
        ``T // 2`` (the last step if a transient never ended).
    filter_max_abs, filter_max_rel, smoother_max_abs, smoother_max_rel : float
        Largest absolute and relative (to the largest exact mean) difference from ``settled_from`` on.
    filter_scale, smoother_scale : float
        The largest absolute exact filtered and smoothed means: the scales of the relative differences.
    filter_errors, smoother_errors : ndarray, shape (T,)
        Per-step max-abs difference between RNN form and exact recursion (the transient's decay curve).
    filter_radius, smoother_radius : float
        Spectral radii of the forward and backward RNNs.
    condition_numbers : dict
        Of the steady innovation and predicted covariances.
    peers : dict
        Per peer library, the largest absolute differences to rnnss's exact filter/smoother and log-likelihood,
        or a note why it was skipped.
    passed : bool
        RNN forms within ``tol`` after the transient and peers within ``1e-8`` relative.
    """

    T: int
    tol: float
    filter_transient: int | None
    smoother_transient: int | None
    predicted_transient: int
    settled_from: int
    filter_max_abs: float
    filter_max_rel: float
    smoother_max_abs: float
    smoother_max_rel: float
    filter_scale: float
    smoother_scale: float
    filter_errors: np.ndarray
    smoother_errors: np.ndarray
    filter_radius: float
    smoother_radius: float
    condition_numbers: dict
    peers: dict
    passed: bool

    def __str__(self) -> str:
        def tr(t: int | None) -> str:
            return "never (series too short)" if t is None else f"{t} steps"

        lines = [
            f"Kalman-RNN equivalence on T = {self.T} steps (tolerance {self.tol:g} relative): "
            + ("PASSED" if self.passed else "FAILED"),
            f"  transient (error above tolerance): filter RNN {tr(self.filter_transient)}, "
            f"smoother RNN {tr(self.smoother_transient)}",
            f"  settled (t >= {self.settled_from + 1}): filter RNN vs exact filter max abs {self.filter_max_abs:.2e} "
            f"(rel {self.filter_max_rel:.2e}); smoother RNN vs exact smoother max abs {self.smoother_max_abs:.2e} "
            f"(rel {self.smoother_max_rel:.2e})",
            f"  transient decay: forward radius {self.filter_radius:.4f}, backward radius {self.smoother_radius:.4f} "
            f"(theory: ~{self.predicted_transient} steps to reach {self.tol:g})",
            "  condition numbers: "
            + ", ".join(f"{k} {val:.3g}" for k, val in self.condition_numbers.items()),
        ]
        for name, res in self.peers.items():
            if isinstance(res, str):
                lines.append(f"  {name}: {res}")
            else:
                lines.append(f"  {name} vs rnnss exact: " + ", ".join(f"{k} {val:.2e}" for k, val in res.items()))
        return "\n".join(lines)

    __repr__ = __str__


def _transient(err: np.ndarray, bound: float) -> int | None:
    """First index after which ``err`` stays at or below ``bound``; None if the last step is above it."""
    above = np.nonzero(err > bound)[0]
    if not above.size:
        return 0
    return None if above[-1] == len(err) - 1 else int(above[-1] + 1)


def verify_kalman_equivalence(
    rnn: LinearRNN,
    y: ArrayLike,
    x: ArrayLike | None = None,
    *,
    tol: float = 1e-10,
    peers: bool = True,
) -> EquivalenceReport:
    """Check numerically that the filter RNN and smoother RNN compute the exact Kalman estimates.

    Runs the exact time-varying filter and RTS smoother (:func:`rts_smoother`), the steady-state
    :func:`kalman_rnn` and :func:`smoother_rnn` as plain linear RNNs (:func:`rnnss.simulate`), and, when
    installed, filterpy and statsmodels on the same data.

    Parameters
    ----------
    rnn : LinearRNN
        The generative model.
    y : array_like, shape (T, m) or (T,) if m == 1
        One complete observation sequence (no NaN: the fixed-gain RNNs cannot skip updates).
    x : array_like, shape (T, p), optional
        Inputs.
    tol : float, default 1e-10
        Relative tolerance (to the largest exact mean) that ends the transient and decides ``passed``.
    peers : bool, default True
        Also compare with filterpy and statsmodels.

    Returns
    -------
    EquivalenceReport
        Printable; ``report.passed`` summarises it.

    Raises
    ------
    ValueError
        If ``y`` has missing values or ``tol`` is not positive.
    NotDetectableError, NotStabilizableError, NumericalError
        As :func:`steady_state`.

    Examples
    --------
    >>> import rnnss
    >>> model = rnnss.LinearRNN(W=0.9, Q=1.0, R=1.0)
    >>> y = rnnss.simulate(model, 300, rng=0).y
    >>> rnnss.verify_kalman_equivalence(model, y, peers=False).passed
    True
    """
    rnn = _check_rnn(rnn)
    tol = v.as_float("tol", tol, positive=True)
    ys, xs, batched = _data(rnn, y, x)
    if batched:
        raise v.DimensionError(f"y must be one sequence of shape (T, {rnn.n_outputs}); got a batch of shape {ys.shape}")
    ys, xs = ys[0], xs[0]
    if np.isnan(ys).any():
        raise ValueError("y has missing values; the fixed-gain RNN forms need complete data (the exact filter handles NaN)")
    exact = rts_smoother(rnn, ys, xs, steady_tol=None)  # the time-varying recursion at every step
    pair = smoother_rnn(rnn)
    fwd, bwd = pair.run(ys, xs)
    T = ys.shape[0]
    scale_f = max(float(np.max(np.abs(exact.filter.filtered_means))), np.finfo(float).tiny)
    scale_s = max(float(np.max(np.abs(exact.smoothed_means))), np.finfo(float).tiny)
    ef = np.max(np.abs(fwd - exact.filter.filtered_means), axis=1)
    es = np.max(np.abs(bwd - exact.smoothed_means), axis=1)
    tf, ts = _transient(ef, tol * scale_f), _transient(es, tol * scale_s)
    # Judge the settled agreement on the later part of the series (from the end of the transient, and at
    # least the second half), so the reported maximum is the floor reached, not the tolerance crossed.
    start = max(T // 2, tf or 0, ts or 0) if tf is not None and ts is not None else T - 1
    after_f, after_s = ef[start:], es[start:]
    rho = pair.steady.filter_radius
    predicted = 0 if rho == 0 else int(math.ceil(math.log(tol) / math.log(rho)))
    peer_results: dict[str, Any] = {}
    peers_ok = True
    if peers:
        from . import _peers

        scale_ll = max(abs(exact.loglik), 1.0)
        try:
            sm = _peers.statsmodels_smoother(rnn, ys, xs)
            peer_results["statsmodels"] = {
                "filtered means": float(np.max(np.abs(sm["filtered_means"] - exact.filter.filtered_means))),
                "smoothed means": float(np.max(np.abs(sm["smoothed_means"] - exact.smoothed_means))),
                "smoothed covs": float(np.max(np.abs(sm["smoothed_covs"] - exact.smoothed_covs))),
                "loglik": abs(sm["loglik"] - exact.loglik),
            }
            peers_ok &= peer_results["statsmodels"]["loglik"] <= 1e-8 * scale_ll
        except ImportError:
            peer_results["statsmodels"] = "not installed"
        try:
            fp = _peers.filterpy_filter(rnn, ys, xs)
            peer_results["filterpy"] = {
                "filtered means": float(np.max(np.abs(fp["filtered_means"] - exact.filter.filtered_means))),
                "filtered covs": float(np.max(np.abs(fp["filtered_covs"] - exact.filter.filtered_covs))),
            }
            if "smoothed_means" in fp:
                peer_results["filterpy"]["smoothed means"] = float(np.max(np.abs(fp["smoothed_means"] - exact.smoothed_means)))
        except ImportError:
            peer_results["filterpy"] = "not installed"
        for res in peer_results.values():
            if isinstance(res, dict):
                peers_ok &= all(val <= 1e-8 * max(scale_f, scale_s, 1.0) for k, val in res.items() if k != "loglik")
    passed = tf is not None and ts is not None and peers_ok
    return EquivalenceReport(
        T=T,
        tol=tol,
        filter_transient=tf,
        smoother_transient=ts,
        predicted_transient=predicted,
        settled_from=start,
        filter_max_abs=float(after_f.max()),
        filter_max_rel=float(after_f.max() / scale_f),
        smoother_max_abs=float(after_s.max()),
        smoother_max_rel=float(after_s.max() / scale_s),
        filter_scale=scale_f,
        smoother_scale=scale_s,
        filter_errors=ef,
        smoother_errors=es,
        filter_radius=rho,
        smoother_radius=pair.steady.smoother_radius,
        condition_numbers=pair.steady.condition_numbers,
        peers=peer_results,
        passed=passed,
    )
