"""The exact (time-varying) Kalman filter of a linear-Gaussian RNN: means, covariances, innovations, likelihood."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import _validate as v
from ..exceptions import NumericalError
from ..linear import LinearRNN, with_stationary_prior
from ._core import NEED_ROWS
from .system import System, recursions, system_of

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
    system, paths, groups
        The recursion's compact state (system arrays, the covariance path of each missing-data pattern and
        the pattern of each sequence), from which :func:`rts_smoother` continues without recomputing it.
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
    system: Any = field(default=None, compare=False)
    paths: tuple = field(default=(), compare=False)
    groups: Any = field(default=None, compare=False)

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


# -- the two phases: one covariance path per missing-data pattern, then the means of every sequence --------


@dataclass(frozen=True)
class CovariancePath:
    """The covariance recursion of one missing-data pattern, as rows of a table indexed by ``node[t]``.

    A row is shared by consecutive steps once the Riccati recursion has converged (see
    ``_core.filter_covariances``), so a long steady run costs a handful of rows.
    """

    obs: np.ndarray  # (T, m) 1.0 observed / 0.0 missing
    node: np.ndarray  # (T,) row of each step
    Pp: np.ndarray  # (rows, n, n) predicted covariances
    Pf: np.ndarray  # (rows, n, n) filtered covariances
    L: np.ndarray  # (rows, m, m) Cholesky factors of the masked innovation covariances
    X: np.ndarray  # (rows, m, n) L^{-1} Vo P
    Y: np.ndarray  # (rows, m, n) L^{-1} (S diag(o))^T (zeros without cross-covariance)
    logdet: np.ndarray  # (rows,)
    k: np.ndarray  # (rows,) observed outputs
    steady_from: int  # first step that reused a converged row (T if none)


def _table(rows: int, n: int, m: int) -> list[np.ndarray]:
    return [
        np.zeros((rows, n, n)),
        np.zeros((rows, n, n)),
        np.zeros((rows, m, m)),
        np.zeros((rows, m, n)),
        np.zeros((rows, m, n)),
        np.zeros(rows),
        np.zeros(rows, dtype=np.int64),
    ]


def covariance_path(sys: System, fns: dict[str, Any], obs: np.ndarray, tol: float | None) -> CovariancePath:
    """Phase 1: run the covariance recursion of one pattern ``obs`` (T, m), growing the table as needed."""
    T, m = obs.shape
    n = sys.n
    tv = max(a.shape[0] for a in (sys.W, sys.Q, sys.V, sys.R, sys.S)) > 1
    rows = T if tv or tol is None else min(T, 64)
    tables = _table(rows, n, m)
    node = np.empty(T, dtype=np.int64)
    counters = np.zeros(3, dtype=np.int64)
    start, steady_from = 0, T
    tolerance = -1.0 if tol is None else float(tol)
    while True:
        status, t = fns["filter_covariances"](
            sys.W,
            sys.Q,
            sys.V,
            sys.R,
            sys.S,
            sys.has_s,
            sys.P0,
            sys.first_predicted,
            obs,
            tolerance,
            start,
            counters,
            node,
            *tables,
        )
        if status == NEED_ROWS:
            grown = _table(min(T, 2 * rows), n, m)
            for old, new in zip(tables, grown):
                new[:rows] = old
            tables, rows, start = grown, min(T, 2 * rows), t
            continue
        if status:
            raise NumericalError(
                f"the innovation covariance at step t = {status} is singular: the observed outputs are known "
                "exactly given the past (R = 0 in those directions and no state uncertainty); give R a "
                "positive variance or P0/Q more uncertainty"
            )
        break
    used = int(counters[0])
    steady = np.nonzero(node[1:] == node[:-1])[0]
    steady_from = int(steady[0] + 1) if steady.size else T
    return CovariancePath(obs, node, *[tab[:used] for tab in tables], steady_from=steady_from)


def _filter_group(
    sys: System, fns: dict[str, Any], path: CovariancePath, ys: np.ndarray, C: np.ndarray, E: np.ndarray
) -> dict[str, np.ndarray]:
    """Phase 2: means, innovations and log-likelihood terms of the sequences ``ys`` (B, T, m) on one path."""
    B, T, m = ys.shape
    n = sys.n
    out = dict(mp=np.empty((B, T, n)), mf=np.empty((B, T, n)), innov=np.empty((B, T, m)), terms=np.empty((B, T)))
    h0 = np.ascontiguousarray(np.broadcast_to(sys.h0, (B, n)))
    fns["filter_means"](
        sys.W,
        sys.V,
        path.obs,
        sys.first_predicted,
        sys.has_s,
        h0,
        C,
        E,
        ys,
        path.node,
        path.L,
        path.X,
        path.Y,
        path.logdet,
        path.k,
        out["mp"],
        out["mf"],
        out["innov"],
        out["terms"],
    )
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
    store_covariances = v.as_bool("store_covariances", store_covariances)
    if steady_tol is not None:
        steady_tol = v.as_float("steady_tol", steady_tol, nonnegative=True)
    return filter_system(
        system_of(rnn), ys, xs, batched, rnn=rnn, store=store_covariances, tol=steady_tol, engine=engine
    )


def filter_system(
    sys: System,
    ys: np.ndarray,
    xs: np.ndarray,
    batched: bool,
    *,
    rnn: Any,
    store: bool,
    tol: float | None,
    engine: str,
) -> FilterResult:
    """The filter of a :class:`System` on validated data ``ys`` (B, T, m) and ``xs`` (B, T, p)."""
    fns = recursions(engine)
    group, first = patterns(ys)
    C, E = sys.drives(xs)
    paths, runs = [], []
    for g, i in enumerate(first):
        sel = group == g
        path = covariance_path(sys, fns, (~np.isnan(ys[i])).astype(float), tol)
        paths.append(path)
        Cg = C[sel] if C.shape[0] > 1 else C
        Eg = E[sel] if E.shape[0] > 1 else E
        runs.append(_filter_group(sys, fns, path, np.ascontiguousarray(ys[sel]), Cg, Eg))
    return _assemble(rnn, sys, paths, runs, group, batched, store)


def _assemble(
    rnn: Any,
    sys: System,
    paths: list[CovariancePath],
    runs: list[dict[str, np.ndarray]],
    group: np.ndarray,
    batched: bool,
    store: bool,
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

    covs = [_covariances(sys, path) for path in paths] if store else None

    def shared(key: str) -> np.ndarray | None:
        if covs is None:
            return None
        if not batched:
            return covs[0][key]
        if len(covs) == 1:
            return np.broadcast_to(covs[0][key], (nb,) + covs[0][key].shape)
        return np.stack([covs[g][key] for g in group])

    terms = per_sequence("terms")
    loglik = terms.sum(axis=-1)
    n_obs = np.array([int(paths[g].obs.sum()) for g in group])
    pf_last = np.stack([paths[g].Pf[paths[g].node[-1]] for g in group])
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
        loglik_terms=terms,
        n_observed=n_obs if batched else int(n_obs[0]),
        final_filtered_cov=pf_last if batched else pf_last[0],
        system=sys,
        paths=tuple(paths),
        groups=group,
    )


def _covariances(sys: System, path: CovariancePath) -> dict[str, np.ndarray]:
    """Per-step covariances and gains of one path, materialised from its table rows."""
    node = path.node
    rows = path.Pp
    if sys.V.shape[0] == 1 and sys.R.shape[0] == 1:
        S_rows = np.einsum("ij,rjk,lk->ril", sys.V[0], rows, sys.V[0]) + sys.R[0]
        S = S_rows[node]
    else:
        Pp = rows[node]
        S = np.einsum("tij,tjk,tlk->til", sys.V, Pp, sys.V) + sys.R
    # K = (L^{-T} X)^T: the gain of the masked update (zero columns where outputs are missing)
    K_rows = np.swapaxes(np.linalg.solve(np.swapaxes(path.L, -1, -2), path.X), -1, -2)
    return dict(Pp=path.Pp[node], Pf=path.Pf[node], S=0.5 * (S + np.swapaxes(S, -1, -2)), K=K_rows[node])
