"""Filter versus smoother error: what the backward direction of a bidirectional RNN buys, exactly and by simulation."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _validate as v
from ._deprecation import renamed_keywords
from ._progress import progress_bar
from .exceptions import IllConditionedError, NumericalError
from .kalman import rts_smoother, steady_state
from .linear import LinearRNN, simulate

if TYPE_CHECKING:  # pragma: no cover
    from numpy.typing import ArrayLike

__all__ = ["MSERatio", "MonteCarloMSE", "MSESweep", "mse_ratio", "ar1_mse_ratio", "mse_ratio_mc", "mse_ratio_sweep"]


@dataclass(frozen=True, repr=False)
class MSERatio:
    """Steady-state mean squared errors of the filter (causal RNN) and smoother (bidirectional RNN).

    ``float(result)`` is :attr:`total`.

    Attributes
    ----------
    total : float
        ``tr(P_s) / tr(P_f)``: smoother MSE over filter MSE, summed over hidden units (always <= 1; 1 when
        every unit is determined by the past outputs, see ``determined``).
    per_unit : ndarray, shape (n,)
        ``diag(P_s) / diag(P_f)``, the ratio for each hidden unit; 1 where the unit is ``determined`` (both
        MSEs are exactly 0: the smoother cannot improve on an exact estimate).
    filter_mse : float
        ``tr(P_f)``, the expected squared error of the filtered mean ``E[h_t | y_1..y_t]``.
    smoother_mse : float
        ``tr(P_s)``, the expected squared error of the smoothed mean ``E[h_t | all y]`` mid-sequence.
    predictor_mse : float
        ``tr(P)``, the error of the one-step prediction ``E[h_t | y_1..y_{t-1}]``.
    filter_mse_per_unit, smoother_mse_per_unit : ndarray, shape (n,)
        Diagonals of ``P_f`` and ``P_s`` (exactly 0 for determined units).
    determined : ndarray, shape (n,), bool
        Units whose filter MSE is zero to working precision: the state is determined by past outputs (every
        VARMA realisation with an invertible MA part, noise-free outputs of a state). Their MSEs are reported
        as exact zeros, never as rounding noise of either sign.
    """

    total: float
    per_unit: np.ndarray
    filter_mse: float
    smoother_mse: float
    predictor_mse: float
    filter_mse_per_unit: np.ndarray
    smoother_mse_per_unit: np.ndarray
    determined: np.ndarray

    def __float__(self) -> float:
        return self.total

    def __repr__(self) -> str:
        note = ""
        if self.determined.any():
            units = ", ".join(f"h{i + 1}" for i in np.nonzero(self.determined)[0])
            note = f"; state determined by past outputs for {units} (MSE exactly 0)"
        return (
            f"MSERatio(total={self.total:.6g}: smoother MSE "
            f"{self.smoother_mse:.6g} / filter MSE {self.filter_mse:.6g}; "
            f"per unit {np.array2string(self.per_unit, precision=4)}{note})"
        )


#: Rounding multiplier of the error estimates of the steady variances; a ratio whose estimated absolute error
#: exceeds RATIO_MAX_ERROR (fewer than about 4 digits) is refused with IllConditionedError.
ZERO_FACTOR = 64.0
RATIO_MAX_ERROR = 1e-4


def _ratio(Ps: np.ndarray, Pf: np.ndarray, P: np.ndarray, f_err: Any = 0.0, s_err: Any = 0.0) -> MSERatio:
    """Per-unit and total ratios from the steady covariances and absolute error bounds of their diagonals.

    A filter variance within its error bound of 0 is exactly 0 (the unit is determined by past outputs); a
    smoother variance within its bound of 0 is exactly 0 (determined by the whole record). A ratio whose error
    bound exceeds :data:`RATIO_MAX_ERROR` is refused with its condition number, never printed.
    """
    fd, sd = np.diag(Pf).copy(), np.diag(Ps).copy()
    f_err = np.broadcast_to(np.asarray(f_err, dtype=float), fd.shape)
    s_err = np.broadcast_to(np.asarray(s_err, dtype=float), fd.shape)
    determined = fd <= f_err
    sd[np.abs(sd) <= s_err] = 0.0
    bad = ~determined & ((sd > fd + s_err + f_err) | (sd < 0.0))
    if np.any(bad):
        i = int(np.argmax(bad))
        raise NumericalError(
            f"the steady smoother MSE of h{i + 1} ({sd[i]:.6g}) is not within [0, filter MSE {fd[i]:.6g}] to "
            f"rounding ({s_err[i]:.3g}): the steady-state solution is inaccurate"
        )
    fd[determined], sd[determined] = 0.0, 0.0
    sd = np.minimum(sd, fd)  # rounding only: the excess was checked above
    with np.errstate(divide="ignore", invalid="ignore"):
        err = np.where(determined, 0.0, (s_err + f_err) / np.where(determined, 1.0, fd))
    if np.any(err > RATIO_MAX_ERROR):
        i = int(np.argmax(err))
        cond = float(err[i] / np.finfo(float).eps / ZERO_FACTOR)
        raise IllConditionedError(
            f"the smoother/filter MSE ratio of h{i + 1} cannot be resolved in double precision: its filter MSE "
            f"{fd[i]:.3g} is below the rounding ({s_err[i]:.3g}) of the smoothed covariance, which is computed as "
            "a difference of much larger numbers; rescale the states (a similarity transform) so their "
            "variances are comparable",
            cond,
        )
    per = np.where(determined, 1.0, sd / np.where(determined, 1.0, fd))
    tf, ts = float(fd.sum()), float(sd.sum())
    total = ts / tf if tf > 0 else 1.0
    return MSERatio(min(total, 1.0), per, tf, ts, float(np.trace(P)), fd, sd, determined)


def _steady_errors(ss: Any, V: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Absolute error bounds of ``diag(P_f)`` (Joseph form) and ``diag(P_s)`` (``P - P N P``) of a steady state.

    Each product is accurate to ``eps`` relative, so a sum of PSD products errs by ``eps`` times its own size;
    ``A = I - K V`` errs by ``eps ||K V||``, which enters ``A P A^T`` once with ``||A||`` and once squared.
    ``P_s`` is a difference, so it errs by ``eps (max|P| + max|P N P|)``.
    """
    n = ss.predicted_cov.shape[0]
    eps = np.finfo(float).eps
    unit = ZERO_FACTOR * n * eps
    P, N = ss.predicted_cov, ss.information
    KV = ss.gain @ V
    nkv, na = float(np.linalg.norm(KV, 2)), float(np.linalg.norm(np.eye(n) - KV, 2))
    scale = float(np.max(np.abs(P), initial=0.0))
    f_err = unit * (np.abs(np.diag(ss.filtered_cov)) + (nkv * na + eps * nkv * nkv) * scale)
    s_err = unit * (scale + float(np.max(np.abs(P @ N @ P), initial=0.0))) * np.ones(n)
    return f_err, s_err


def mse_ratio(rnn: LinearRNN) -> MSERatio:
    """Steady-state smoother/filter MSE ratio from the Riccati solutions (see :func:`rnnss.steady_state`).

    Parameters
    ----------
    rnn : LinearRNN
        The generative model (``R`` positive definite, detectable, stabilisable).

    Returns
    -------
    MSERatio
        ``float(result)`` is ``tr(P_s) / tr(P_f)``; per-unit ratios and the MSEs themselves are attributes.

    Raises
    ------
    NotDetectableError, NotStabilizableError, NumericalError
        As :func:`rnnss.steady_state`.

    Examples
    --------
    >>> import rnnss
    >>> r = rnnss.mse_ratio(rnnss.LinearRNN(W=0.9, Q=1.0, R=1.0))
    >>> round(float(r), 6) == round(float(rnnss.ar1_mse_ratio(0.9, 1.0, 1.0)), 6)
    True
    """
    rnn = v.check_instance(rnn, LinearRNN, "rnn")
    ss = steady_state(rnn)
    return _ratio(ss.smoothed_cov, ss.filtered_cov, ss.predicted_cov, *_steady_errors(ss, rnn.V))


def ar1_mse_ratio(a: float, q: float, r: float, c: float = 1.0) -> MSERatio:
    r"""Closed form of the MSE ratio for the scalar AR(1) plus noise, ``h_t = a h_{t-1} + eta``, ``y_t = c h_t + eps``.

    With ``rho = r / c^2`` the predicted variance solves ``P^2 + (rho (1 - a^2) - q) P - q rho = 0`` (positive
    root), then ``P_f = P rho / (P + rho)``, the smoother gain ``J = a P_f / P`` and
    ``P_s = (P_f - J^2 P) / (1 - J^2) = P rho (P + rho (1 - a^2)) / ((P + rho (1 - a)) (P + rho (1 + a)))``,
    evaluated in these cancellation-free forms so that every ``q, r > 0`` (``q / r = 1e-300`` as well as
    ``1e300``) keeps full relative accuracy. As ``r -> inf`` the ratio tends to 1 (nothing to smooth), as
    ``q / r -> inf`` it tends to 1 too (each ``y_t`` already pins ``h_t`` down); it is smallest in between,
    and lower for ``|a|`` near 1 (a slow process whose future says much about its past).

    Parameters
    ----------
    a : float
        AR coefficient, ``|a| < 1`` or any ``a`` with ``q > 0`` (the steady state exists for unstable ``a`` too).
    q : float
        Process-noise variance, > 0.
    r : float
        Observation-noise variance, > 0.
    c : float, default 1
        Observation gain, non-zero.

    Returns
    -------
    MSERatio
        With ``n = 1``.

    Raises
    ------
    ValueError
        If ``q <= 0``, ``r <= 0`` or ``c == 0``.

    Examples
    --------
    >>> import rnnss
    >>> round(float(rnnss.ar1_mse_ratio(0.9, 1.0, 1.0)), 6)
    0.775744
    """
    a = v.as_float("a", a)
    q = v.as_float("q", q, positive=True)
    r = v.as_float("r", r, positive=True)
    c = v.as_float("c", c)
    if c == 0:
        raise ValueError("c must be non-zero (with c = 0 the state is unobservable)")
    rho = r / c**2
    beta = rho * (1 - a * a) - q
    root = math.hypot(beta, 2.0 * math.sqrt(q * rho))  # sqrt(beta^2 + 4 q rho), without overflow
    # the positive root of P^2 + beta P - q rho = 0, in the form that does not cancel for either sign of beta
    P = 2.0 * q * rho / (beta + root) if beta > 0 else (root - beta) / 2.0
    Pf = P * rho / (P + rho)
    # P_s = (P_f - J^2 P) / (1 - J^2) with J = a rho / (P + rho), multiplied out: a product of positive factors
    # as a product of O(1) factors, so neither P = 1e300 overflows nor P = 1e-300 underflows
    Ps = Pf * ((P + rho * (1 - a * a)) / (P + rho * (1 - a))) * ((P + rho) / (P + rho * (1 + a)))
    return _ratio(np.array([[Ps]]), np.array([[Pf]]), np.array([[P]]))


@dataclass(frozen=True, repr=False)
class MonteCarloMSE:
    """Monte Carlo estimate of the filter and smoother MSE and their ratio.

    Attributes
    ----------
    ratio : float
        ``mean smoother squared error / mean filter squared error`` over runs and the measured window.
    ci : tuple of float
        Confidence interval of the ratio (delta method over independent runs).
    confidence : float
        Level of ``ci``.
    filter_mse, smoother_mse : float
        Mean squared errors, summed over hidden units, averaged over runs and window.
    filter_mse_se, smoother_mse_se : float
        Their standard errors across runs.
    expected_filter_mse, expected_smoother_mse : float
        The exact expectations over the same window: the average trace of the time-varying filter and
        smoother covariances (the model is correct, so these are what the MC estimates).
    analytic : MSERatio
        The steady-state :func:`mse_ratio` for comparison.
    n_runs : int
        Independent simulated sequences.
    T : int
        Length of each.
    window : tuple of int
        ``(start, stop)``: the steps (0-based, ``stop`` exclusive) the errors are averaged over; edges are
        dropped so the filter has converged and the smoother is not near the series end.
    """

    ratio: float
    ci: tuple
    confidence: float
    filter_mse: float
    smoother_mse: float
    filter_mse_se: float
    smoother_mse_se: float
    expected_filter_mse: float
    expected_smoother_mse: float
    analytic: MSERatio
    n_runs: int
    T: int
    window: tuple

    @property
    def contains_analytic(self) -> bool:
        """Whether the analytic steady-state ratio lies in :attr:`ci`."""
        return self.ci[0] <= self.analytic.total <= self.ci[1]

    def __repr__(self) -> str:
        lo, hi = self.ci
        return (
            f"MonteCarloMSE(ratio={self.ratio:.5f}, {self.confidence:.0%} CI [{lo:.5f}, {hi:.5f}], "
            f"analytic {self.analytic.total:.5f}; filter MSE {self.filter_mse:.5g} +- {self.filter_mse_se:.2g}, "
            f"smoother MSE {self.smoother_mse:.5g} +- {self.smoother_mse_se:.2g}; {self.n_runs} runs x T={self.T})"
        )


@renamed_keywords(T="steps")
def mse_ratio_mc(
    rnn: LinearRNN,
    steps: int,
    n_runs: int,
    *,
    rng: Any = None,
    burn_in: int | None = None,
    confidence: float = 0.95,
    progress: bool | None = None,
) -> MonteCarloMSE:
    """Monte Carlo estimate of the filter MSE, the smoother MSE and their ratio, from simulated data.

    Simulates ``n_runs`` independent sequences from ``rnn`` (inputs set to zero: they do not change the
    errors of a linear-Gaussian model), runs the exact Kalman filter and RTS smoother, and averages the
    squared errors ``||E[h_t | .] - h_t||^2`` over runs and over the window ``[burn_in, steps - burn_in)``.

    Parameters
    ----------
    rnn : LinearRNN
        The generative model (see :func:`mse_ratio`).
    steps : int
        Length of each simulated sequence; must exceed ``2 * burn_in``.
    n_runs : int
        Number of independent sequences (>= 2, for the standard errors).
    rng : numpy.random.Generator or int, optional
        Random source.
    burn_in : int, optional
        Steps dropped at each end. Default: the steps the filter covariance needs to converge to 1e-8
        relative, ``ceil(log(1e-8) / (2 log filter_radius))``.
    confidence : float, default 0.95
        Level of the confidence interval.
    progress : bool, optional
        Show a progress bar on stderr (default: only on a terminal). Runs are simulated and smoothed in
        chunks of about 2 million state values, so memory stays bounded for any ``n_runs``.

    Returns
    -------
    MonteCarloMSE
        Ratio with confidence interval, both MSEs with standard errors, their exact expectations and the
        analytic steady-state ratio.

    Raises
    ------
    ValueError
        If ``steps <= 2 * burn_in``, ``n_runs < 2`` or ``confidence`` is not in (0, 1).

    Examples
    --------
    >>> import rnnss
    >>> mc = rnnss.mse_ratio_mc(rnnss.LinearRNN(W=0.9, Q=1.0, R=1.0), steps=400, n_runs=50, rng=0)
    >>> mc.contains_analytic
    True
    """
    progress = v.as_bool("progress", progress, allow_none=True)
    rnn = v.check_instance(rnn, LinearRNN, "rnn")
    steps = v.as_int("steps", steps, minimum=2)
    n_runs = v.as_int("n_runs", n_runs, minimum=2)
    confidence = v.as_float("confidence", confidence)
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1); got {confidence}")
    ss = steady_state(rnn)
    analytic = _ratio(ss.smoothed_cov, ss.filtered_cov, ss.predicted_cov)
    if burn_in is None:
        rho = ss.filter_radius
        burn_in = 1 if rho == 0 else max(1, int(math.ceil(math.log(1e-8) / (2 * math.log(rho)))))
    burn_in = v.as_int("burn_in", burn_in, minimum=0)
    if steps <= 2 * burn_in:
        raise ValueError(
            f"steps must exceed 2 * burn_in = {2 * burn_in} to leave a window to average over; got steps = {steps}"
        )
    gen = v.as_rng(rng)
    lo, hi = burn_in, steps - burn_in
    chunk = max(1, min(n_runs, 2_000_000 // (steps * rnn.n_hidden)))
    ef, es = np.empty(n_runs), np.empty(n_runs)  # per-run mean squared errors over the window
    with progress_bar(n_runs, "Monte Carlo runs", show=progress) as bar:
        for start in range(0, n_runs, chunk):
            k = min(chunk, n_runs - start)
            x = np.zeros((k, steps, rnn.n_inputs)) if rnn.n_inputs else None
            traj = simulate(rnn, steps, x, batch=None if x is not None else k, rng=gen)
            sm = rts_smoother(rnn, traj.y, x)
            ef[start : start + k] = np.sum((sm.filter.filtered_means - traj.h)[:, lo:hi] ** 2, axis=-1).mean(axis=1)
            es[start : start + k] = np.sum((sm.smoothed_means - traj.h)[:, lo:hi] ** 2, axis=-1).mean(axis=1)
            bar.update(k)
    mf, ms = float(ef.mean()), float(es.mean())
    ratio = ms / mf
    # Delta method for a ratio of means over independent runs: Var(R) ~ Var(es - R ef) / (n mf^2).
    se_ratio = float(np.std(es - ratio * ef, ddof=1) / (math.sqrt(n_runs) * mf))
    zq = NormalDist().inv_cdf(0.5 + confidence / 2)  # stdlib: keeps scipy.stats (0.7 s) out of the import
    Pf = sm.filter.filtered_covs[0] if sm.filter.batched else sm.filter.filtered_covs
    Ps = sm.smoothed_covs[0] if sm.filter.batched else sm.smoothed_covs
    return MonteCarloMSE(
        ratio=ratio,
        ci=(ratio - zq * se_ratio, ratio + zq * se_ratio),
        confidence=confidence,
        filter_mse=mf,
        smoother_mse=ms,
        filter_mse_se=float(np.std(ef, ddof=1) / math.sqrt(n_runs)),
        smoother_mse_se=float(np.std(es, ddof=1) / math.sqrt(n_runs)),
        expected_filter_mse=float(np.trace(Pf[lo:hi], axis1=1, axis2=2).mean()),
        expected_smoother_mse=float(np.trace(Ps[lo:hi], axis1=1, axis2=2).mean()),
        analytic=analytic,
        n_runs=n_runs,
        T=steps,
        window=(lo, hi),
    )


@dataclass(frozen=True, repr=False)
class MSESweep:
    """The steady-state MSE ratio over a grid of noise ratios and spectral radii.

    Attributes
    ----------
    noise_ratio : ndarray, shape (a,)
        Values of the signal-to-noise knob ``s``: the swept model has ``Q = s * Q_ref`` (see :func:`mse_ratio_sweep`).
    radius : ndarray, shape (b,)
        Spectral radii ``|lambda|`` of ``W`` (``W`` rescaled to each).
    ratio : ndarray, shape (a, b)
        ``float(mse_ratio)`` at each grid point.
    filter_mse, smoother_mse : ndarray, shape (a, b)
        The two MSEs at each grid point.
    """

    noise_ratio: np.ndarray
    radius: np.ndarray
    ratio: np.ndarray
    filter_mse: np.ndarray
    smoother_mse: np.ndarray

    def __repr__(self) -> str:
        return (
            f"MSESweep({self.ratio.shape[0]} noise ratios x {self.ratio.shape[1]} radii; ratio in "
            f"[{np.nanmin(self.ratio):.4f}, {np.nanmax(self.ratio):.4f}])"
        )


def mse_ratio_sweep(
    rnn: LinearRNN | None = None,
    *,
    noise_ratio: ArrayLike | None = None,
    radius: ArrayLike = (0.0, 0.5, 0.8, 0.9, 0.95, 0.99),
) -> MSESweep:
    """Sweep the smoother/filter MSE ratio against signal-to-noise (Q/R) and against ``|lambda|``.

    The estimation-theory result "the ratio is <= 1 and the reduction depends on the process", made visible: for each
    noise ratio ``s`` and radius ``r`` the model is ``replace(rnn, W = r W / rho(W), Q = s Q_ref)``.

    Parameters
    ----------
    rnn : LinearRNN, optional
        The reference model; default the scalar AR(1) ``LinearRNN(W=0.9, Q=1, R=1)``, for which ``s`` is
        exactly ``q / r``. Its ``Q`` is the reference ``Q_ref`` (scaled by ``s``).
    noise_ratio : array_like, shape (a,)
        Positive multipliers of ``Q`` (the signal-to-noise knob ``Q/R``); default 25 values from 1e-2 to 1e2.
    radius : array_like, shape (b,)
        Spectral radii to rescale ``W`` to, each in ``[0, 1)``; ``0`` is allowed (white hidden process).

    Returns
    -------
    MSESweep
        Grid of ratios; plot with :func:`rnnss.plot.plot_mse_ratio_sweep`.

    Raises
    ------
    ValueError
        If a noise ratio is not positive, a radius is outside ``[0, 1)``, or ``W`` has spectral radius 0
        while a positive radius is requested.

    Examples
    --------
    >>> import rnnss
    >>> sweep = rnnss.mse_ratio_sweep(noise_ratio=[0.1, 1.0, 10.0], radius=[0.5, 0.9])
    >>> bool((sweep.ratio <= 1).all())
    True
    """
    rnn = LinearRNN(W=0.9, Q=1.0, R=1.0) if rnn is None else v.check_instance(rnn, LinearRNN, "rnn")
    s = np.logspace(-2, 2, 25) if noise_ratio is None else v.as_vector("noise_ratio", noise_ratio, None)
    rad = v.as_vector("radius", radius, None)
    if np.any(s <= 0):
        raise ValueError(f"noise_ratio must be positive; got min {s.min():g}")
    if np.any((rad < 0) | (rad >= 1)):
        raise ValueError(f"radius must lie in [0, 1); got values in [{rad.min():g}, {rad.max():g}]")
    rho = rnn.spectral_radius
    if rho == 0 and np.any(rad > 0):
        raise ValueError("W has spectral radius 0, so it cannot be rescaled to a positive radius")
    out = np.empty((3, s.size, rad.size))
    for j, r in enumerate(rad):
        W = rnn.W * (r / rho) if rho > 0 else rnn.W
        for i, si in enumerate(s):
            res = mse_ratio(dataclasses.replace(rnn, W=W, Q=si * rnn.Q))
            out[:, i, j] = res.total, res.filter_mse, res.smoother_mse
    return MSESweep(s, rad, out[0], out[1], out[2])
