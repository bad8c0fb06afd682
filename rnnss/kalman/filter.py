"""The exact (time-varying) Kalman filter of a linear-Gaussian RNN: means, covariances, innovations, likelihood."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.linalg

from .. import _validate as v
from .._engine import resolve_engine
from .._linalg import LOG_2PI
from ..exceptions import NumericalError
from ..linear import LinearRNN, with_stationary_prior

if TYPE_CHECKING:  # pragma: no cover
    from numpy.typing import ArrayLike

__all__ = ["FilterResult", "kalman_filter"]


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


# -- input handling --------------------------------------------------------------------------------


def observations(rnn: LinearRNN, y: Any, x: Any) -> tuple[np.ndarray, np.ndarray, bool]:
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
    covs = (
        {k: np.empty(sh) for k, sh in [("Pp", (T, n, n)), ("Pf", (T, n, n)), ("S", (T, m, m)), ("K", (T, n, m))]}
        if store
        else None
    )
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
            terms[:, t] = -0.5 * (k * LOG_2PI + logdet + np.sum(z * z, axis=0))
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
    from . import _kernels as nk

    B, T, m = y.shape
    n = rnn.n_hidden
    observed = ~np.isnan(y[0])
    out = dict(mp=np.empty((B, T, n)), mf=np.empty((B, T, n)), innov=np.full((B, T, m), np.nan), terms=np.zeros((B, T)))
    shapes = [("Pp", (T, n, n)), ("Pf", (T, n, n)), ("S", (T, m, m)), ("K", (T, n, m))]
    covs = {k: np.empty(sh if store else (1,) + sh[1:]) for k, sh in shapes}
    Pf_last = np.empty((n, n))
    status = nk.filter_kernel(
        rnn.W,
        rnn.U,
        rnn.b,
        rnn.V,
        rnn.d,
        rnn.Q,
        rnn.R,
        rnn.h0,
        rnn.P0,
        np.ascontiguousarray(x),
        np.ascontiguousarray(y),
        observed,
        store,
        -1.0 if tol is None else float(tol),
        out["mp"],
        out["mf"],
        out["innov"],
        out["terms"],
        covs["Pp"],
        covs["Pf"],
        covs["S"],
        covs["K"],
        Pf_last,
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


def patterns(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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
    store_covariances = v.as_bool("store_covariances", store_covariances)
    rnn = _initial(v.check_instance(rnn, LinearRNN, "rnn"), initialization)
    ys, xs, batched = observations(rnn, y, x)
    if steady_tol is not None:
        steady_tol = v.as_float("steady_tol", steady_tol, nonnegative=True)
    run = _filter_group_numba if resolve_engine(engine) == "numba" else _filter_group
    group, first = patterns(ys)
    runs = [run(rnn, ys[group == g], xs[group == g], store_covariances, steady_tol) for g in range(len(first))]
    return _assemble(rnn, runs, group, batched, store_covariances)


def _assemble(
    rnn: LinearRNN, runs: list[dict[str, Any]], group: np.ndarray, batched: bool, store: bool
) -> FilterResult:
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
