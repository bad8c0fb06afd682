"""Signal-to-noise ratio through an RNN: analytic and Monte Carlo SNR gain, resonators, the SNR-optimal RNN."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _validate as v
from ._deprecation import renamed_keywords
from .frequency import TARGETS, frequency_response
from .linear import LinearRNN, require_stable, simulate, spectral_radius
from .spectra import input_components, require_inputs, response_covariance

if TYPE_CHECKING:  # pragma: no cover
    pass

__all__ = ["SNRGain", "MonteCarloSNR", "OptimalFilter", "snr_gain", "snr_gain_mc", "resonator", "snr_optimal_rnn"]

# -- signal-to-noise ratio ------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class SNRGain:
    """Signal-to-noise ratios at the input and in the network, and their ratio. ``float(result)`` is :attr:`gain`.

    Powers are summed over channels (traces of covariances).

    Attributes
    ----------
    gain : float
        ``output_snr / input_snr``.
    gain_db : float
        ``10 log10(gain)``.
    input_snr : float
        Signal power over noise power of the input ``x``.
    output_snr : float
        The same in the target (hidden state or output); the model's noise counts as noise.
    per_unit_snr : ndarray, shape (d,)
        SNR of every hidden unit (or output) separately.
    signal_power_in, noise_power_in : float
        ``tr Cov`` of the signal and noise parts of the input.
    signal_power_out, noise_power_out : float
        ``tr Cov`` of the signal and noise parts of the target.
    target : str
        ``"output"`` or ``"hidden"``.
    """

    gain: float
    gain_db: float
    input_snr: float
    output_snr: float
    per_unit_snr: np.ndarray
    signal_power_in: float
    noise_power_in: float
    signal_power_out: float
    noise_power_out: float
    target: str

    def __float__(self) -> float:
        return self.gain

    def __repr__(self) -> str:
        return (
            f"SNRGain(gain={self.gain:.6g} ({self.gain_db:+.2f} dB): SNR {self.input_snr:.4g} at the input -> "
            f"{self.output_snr:.4g} in the {self.target})"
        )


def _snr_check(comps_sig: list, comps_noise: list) -> None:
    if not comps_sig:
        raise ValueError("signal must describe at least one input component")
    if not comps_noise:
        raise ValueError("noise must describe at least one input component (the input SNR is infinite otherwise)")


def snr_gain(rnn: LinearRNN, signal: Any, noise: Any, *, target: str = "output", model_noise: bool = True) -> SNRGain:
    r"""Analytic signal-to-noise ratio at the input and in the hidden state or output: the gain of the filter.

    The input is ``x_t = s_t + n_t`` with independent zero-mean ``signal`` and ``noise`` processes. By
    linearity the target splits into a signal part and a noise part (the model noise ``Q``, ``R`` is
    added to the latter), and

    .. math::

        \mathrm{SNR}_{in} = \frac{\operatorname{tr}\Sigma_s}{\operatorname{tr}\Sigma_n}, \qquad
        \mathrm{SNR}_{out} = \frac{\operatorname{tr} C \Sigma_{h,s} C^\top}
                                  {\operatorname{tr}(C \Sigma_{h,n} C^\top) [+ \operatorname{tr} R]},

    all covariances from :func:`response_covariance`. For a sinusoid of frequency ``omega_0`` in white
    noise of variance ``s`` on a single input the gain is ``|H(e^{i omega_0})|^2 / ||H||_2^2``: the
    peak gain over the mean gain, ``2 pi`` over the equivalent noise bandwidth -- how well the RNN acts as a matched
    filter in one number.

    Parameters
    ----------
    rnn : LinearRNN
        A network with stable ``W`` and at least one input.
    signal : Sinusoid, WhiteNoise, ARNoise, PSD or list of them
        The signal part of the input.
    noise : Sinusoid, WhiteNoise, ARNoise, PSD or list of them
        The noise part of the input (independent of the signal).
    target : {"output", "hidden"}
        Where to measure the output SNR.
    model_noise : bool, default True
        Count the model's process noise ``Q`` (and, for the output, ``R``) as noise.

    Returns
    -------
    SNRGain
        Input and output SNR, their ratio, and the powers.

    Raises
    ------
    NotStableError
        If ``W`` is not stable.
    ValueError
        If ``signal`` or ``noise`` is empty, or either has zero power at the input, or the noise has
        zero power in the target.

    Examples
    --------
    >>> from rnnss import Sinusoid, WhiteNoise, resonator, snr_gain
    >>> res = resonator(0.5, radius=0.95)
    >>> g = snr_gain(res, Sinusoid(0.5, 1.0), WhiteNoise(1.0))
    >>> round(g.input_snr, 6), round(g.gain, 3)
    (0.5, 19.556)
    """
    model_noise = v.as_bool("model_noise", model_noise)
    rnn = v.check_instance(rnn, LinearRNN, "rnn")
    if target not in TARGETS:
        raise ValueError(f"target must be 'output' or 'hidden'; got {target!r}")
    sig, nse = input_components(signal, "signal"), input_components(noise, "noise")
    _snr_check(sig, nse)
    require_inputs(rnn, sig + nse)
    ps_in = float(np.trace(response_covariance(rnn, sig, target="input")))
    pn_in = float(np.trace(response_covariance(rnn, nse, target="input")))
    if pn_in <= 0:
        raise ValueError("noise has zero power at the input: the input SNR is infinite")
    Ss = response_covariance(rnn, sig, target=target, noise=False)
    Sn = response_covariance(rnn, nse, target=target, noise=model_noise)
    ps_out, pn_out = float(np.trace(Ss)), float(np.trace(Sn))
    if pn_out <= 0:
        raise ValueError(f"the noise does not reach the {target} (zero noise power there): the SNR is infinite")
    with np.errstate(divide="ignore", invalid="ignore"):
        per_unit = np.diag(Ss) / np.diag(Sn)
    snr_in, snr_out = ps_in / pn_in, ps_out / pn_out
    if snr_in <= 0:
        raise ValueError("signal has zero power at the input: the SNR gain is undefined")
    gain = snr_out / snr_in
    gain_db = float(10.0 * np.log10(gain)) if gain > 0 else float("-inf")
    return SNRGain(gain, gain_db, snr_in, snr_out, per_unit, ps_in, pn_in, ps_out, pn_out, target)


@dataclass(frozen=True, repr=False)
class MonteCarloSNR:
    """Monte Carlo estimate of the SNR gain with a standard error from independent runs; ``float(result)`` is the gain.

    Attributes
    ----------
    gain : float
        ``(sum of output signal power / sum of output noise power) / (same at the input)`` over runs and
        the measured window (a ratio of pooled powers, bias ``O(1 / (n_runs T))``).
    standard_error : float
        Jackknife standard error of :attr:`gain` over the independent runs.
    ci : tuple of float
        Normal confidence interval ``gain +- z * standard_error``.
    confidence : float
        Level of ``ci``.
    input_snr, output_snr : float
        The pooled measured SNRs.
    analytic : SNRGain
        :func:`snr_gain` for the same setting.
    n_runs : int
        Independent sequences (each with fresh signal phase, input noise and model noise).
    T : int
        Length of each.
    window : tuple of int
        ``(start, stop)``: the steps averaged over (the first ``burn_in`` are dropped).
    """

    gain: float
    standard_error: float
    ci: tuple
    confidence: float
    input_snr: float
    output_snr: float
    analytic: SNRGain
    n_runs: int
    T: int
    window: tuple

    @property
    def z_score(self) -> float:
        """``(gain - analytic gain) / standard_error``."""
        return (self.gain - self.analytic.gain) / self.standard_error

    @property
    def contains_analytic(self) -> bool:
        """Whether the analytic gain lies in :attr:`ci`."""
        return self.ci[0] <= self.analytic.gain <= self.ci[1]

    def __float__(self) -> float:
        return self.gain

    def __repr__(self) -> str:
        lo, hi = self.ci
        return (
            f"MonteCarloSNR(gain={self.gain:.5g} +- {self.standard_error:.2g}, {self.confidence:.0%} CI "
            f"[{lo:.5g}, {hi:.5g}], analytic {self.analytic.gain:.5g} (z = {self.z_score:+.2f}); "
            f"{self.n_runs} runs x T={self.T})"
        )


@renamed_keywords(T="steps")
def snr_gain_mc(
    rnn: LinearRNN,
    signal: Any,
    noise: Any,
    steps: int,
    n_runs: int,
    *,
    target: str = "output",
    model_noise: bool = True,
    burn_in: int | None = None,
    confidence: float = 0.95,
    rng: Any = None,
) -> MonteCarloSNR:
    """Measure the SNR gain by simulation, with an honest standard error, to check :func:`snr_gain`.

    Draws ``n_runs`` independent input paths of the signal and of the noise (``sample`` of the records),
    runs :func:`rnnss.simulate` on each separately -- the network is linear, so the response to
    ``s + n`` is the sum of the two, and the biases are removed -- and pools the powers over the window
    ``[burn_in, steps)``. The standard error is the jackknife over runs, which are independent.

    Parameters
    ----------
    rnn : LinearRNN
        A network with stable ``W``.
    signal, noise : Sinusoid, WhiteNoise, ARNoise or list of them
        As for :func:`snr_gain` (a :class:`PSD` cannot be sampled).
    steps : int
        Steps per run, including the burn-in.
    n_runs : int
        Independent runs (>= 2).
    target : {"output", "hidden"}
        Where to measure.
    model_noise : bool, default True
        Simulate the model noise ``Q``, ``R`` (and count it as noise).
    burn_in : int, optional
        Steps dropped at the start (the simulation starts from ``h = 0``). Default: until the slowest
        mode has decayed to 1e-8, ``ceil(log(1e-8) / log rho(W))``.
    confidence : float, default 0.95
        Level of the confidence interval.
    rng : numpy.random.Generator or int, optional
        Random source. Draw order: signal paths, noise paths, model noise.

    Returns
    -------
    MonteCarloSNR
        Measured gain, its standard error and the analytic value.

    Raises
    ------
    TypeError
        If a component cannot be sampled (:class:`PSD`).
    ValueError
        If ``steps <= burn_in``, ``n_runs < 2`` or ``confidence`` is not in (0, 1); and as :func:`snr_gain`.

    Examples
    --------
    >>> from rnnss import Sinusoid, WhiteNoise, resonator, snr_gain_mc
    >>> res = resonator(0.5, radius=0.9)
    >>> mc = snr_gain_mc(res, Sinusoid(0.5), WhiteNoise(1.0), steps=1000, n_runs=20, rng=1)
    >>> abs(mc.z_score) < 3
    True
    """
    model_noise = v.as_bool("model_noise", model_noise)
    rnn = v.check_instance(rnn, LinearRNN, "rnn")
    analytic = snr_gain(rnn, signal, noise, target=target, model_noise=model_noise)
    steps = v.as_int("steps", steps, minimum=2)
    n_runs = v.as_int("n_runs", n_runs, minimum=2)
    confidence = v.as_float("confidence", confidence)
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1); got {confidence}")
    if burn_in is None:
        rho = spectral_radius(rnn)
        burn_in = 0 if rho == 0 else math.ceil(math.log(1e-8) / math.log(rho))
    burn_in = v.as_int("burn_in", burn_in, minimum=0)
    if steps <= burn_in:
        raise ValueError(
            f"steps must exceed burn_in = {burn_in} to leave a window to average over; got steps = {steps}"
        )
    gen = v.as_rng(rng)
    p = rnn.n_inputs
    sig, nse = input_components(signal, "signal"), input_components(noise, "noise")
    xs = sum(c._sample(steps, n_runs, p, gen) for c in sig)
    xn = sum(c._sample(steps, n_runs, p, gen) for c in nse)
    base = dataclasses.replace(rnn, b=None, d=None, h0=None, P0=None)  # fluctuations only, from h = 0
    ts = simulate(base, x=xs, noise=False)
    tn = simulate(base, x=xn, noise=model_noise, rng=gen)
    pick = (lambda tr: tr.h) if target == "hidden" else (lambda tr: tr.y)
    win = slice(burn_in, steps)

    def power(a: np.ndarray) -> np.ndarray:
        return np.sum(a[:, win] ** 2, axis=-1).mean(axis=1)  # (runs,)

    P = np.stack([power(xs), power(xn), power(pick(ts)), power(pick(tn))])  # (4, runs)

    def estimate(tot: np.ndarray) -> float:
        return (tot[2] / tot[3]) / (tot[0] / tot[1])

    total = P.sum(axis=1)
    gain = estimate(total)
    loo = np.array([estimate(total - P[:, b]) for b in range(n_runs)])
    se = float(math.sqrt((n_runs - 1) / n_runs * np.sum((loo - loo.mean()) ** 2)))
    zq = NormalDist().inv_cdf(0.5 + confidence / 2)
    return MonteCarloSNR(
        gain=float(gain),
        standard_error=se,
        ci=(gain - zq * se, gain + zq * se),
        confidence=confidence,
        input_snr=float(total[0] / total[1]),
        output_snr=float(total[2] / total[3]),
        analytic=analytic,
        n_runs=n_runs,
        T=steps,
        window=(burn_in, steps),
    )


# -- design ----------------------------------------------------------------------------------------------


def _radius_from_bandwidth(bandwidth: float) -> float:
    # Half power of 1 / |1 - r e^{i delta}|^2 at delta = B/2: (1 - r)^2 = 2 r (1 - cos(B/2)); take the root < 1.
    c = 1.0 - math.cos(bandwidth / 2.0)
    return 1.0 + c - math.sqrt(c * (2.0 + c))


def resonator(
    omega0: float,
    *,
    radius: float | None = None,
    bandwidth: float | None = None,
    normalize: bool = False,
    Q: Any = None,
    R: Any = None,
    dt: float = 1.0,
) -> LinearRNN:
    r"""A two-unit resonator tuned to ``omega0``: the recurrence ``h_t = (alpha A) h_{t-1} + alpha x_t``.

    ``A`` is the rotation by ``omega0``, so ``W = alpha A`` has the poles ``alpha e^{+-i omega0}``: the
    hidden state is a damped oscillation that a sinusoid at ``omega0`` keeps driving in phase. The
    scalar input enters the first unit with weight ``alpha`` (``U = alpha e_1``); the output is the
    whole hidden state (``V = I``).

    ``alpha`` (the pole radius) sets the bandwidth. Each pole contributes the factor
    ``1 / (1 - alpha e^{i omega0} z^{-1})``, whose full width at half power is

    .. math:: B = 2 \arccos\Bigl(1 - \frac{(1-\alpha)^2}{2\alpha}\Bigr) \approx 2 (1 - \alpha),

    in rad/sample (``B / (2 pi dt)`` in cycles per unit of ``dt``); the mirror pole at ``-omega0``
    perturbs the actual peak by ``O((1 - alpha) / sin omega0)``. For a sinusoid at ``omega0`` in white
    noise the SNR gain of the hidden state is about ``(1 + alpha) / (2 (1 - alpha)) ~ 2 / B`` (see
    :func:`snr_gain`): the noise passes both circular modes of ``W``, the sinusoid resonates in one.

    Parameters
    ----------
    omega0 : float
        Resonance frequency in rad/sample, in ``[0, pi]`` (``2 pi f0 dt`` for ``f0`` in cycles per unit
        of ``dt``).
    radius : float, optional
        ``alpha`` in ``(0, 1)``.
    bandwidth : float, optional
        ``B`` in ``(0, 2 pi)`` rad/sample, converted to ``alpha`` by the formula above. Give exactly one
        of ``radius`` and ``bandwidth``.
    normalize : bool, default False
        Scale ``U`` so that the hidden-state gain at ``omega0`` is one (``||H_h(e^{i omega0})|| = 1``):
        the tuned sinusoid keeps its amplitude. SNRs do not depend on this scale.
    Q, R : array_like or float, optional
        Process and observation noise of the model (as for :class:`rnnss.LinearRNN`).
    dt : float, default 1.0
        Sampling interval.

    Returns
    -------
    LinearRNN
        ``n = 2``, ``p = 1``, ``m = 2``.

    Raises
    ------
    ValueError
        If ``omega0``, ``radius`` or ``bandwidth`` is out of range, or not exactly one of the last two
        is given.

    Examples
    --------
    >>> import numpy as np
    >>> from rnnss import poles, resonator
    >>> res = resonator(np.pi / 4, radius=0.9)
    >>> np.abs(poles(res)).round(12)
    array([0.9, 0.9])
    """
    normalize = v.as_bool("normalize", normalize)
    w0 = v.as_float("omega0", omega0)
    if not 0.0 <= w0 <= np.pi:
        raise ValueError(f"omega0 must be in [0, pi] rad/sample; got {w0!r}")
    if (radius is None) == (bandwidth is None):
        raise ValueError("give exactly one of radius and bandwidth")
    if radius is not None:
        r = v.as_float("radius", radius)
        if not 0.0 < r < 1.0:
            raise ValueError(f"radius must be in (0, 1) for a stable resonator; got {r!r}")
    else:
        bw = v.as_float("bandwidth", bandwidth)
        if not 0.0 < bw < 2.0 * np.pi:
            raise ValueError(f"bandwidth must be in (0, 2 pi) rad/sample; got {bw!r}")
        r = _radius_from_bandwidth(bw)
    c, s = math.cos(w0), math.sin(w0)
    W = r * np.array([[c, -s], [s, c]])
    U = np.array([[r], [0.0]])
    rnn = LinearRNN(W=W, U=U, Q=Q, R=R, dt=dt)
    if normalize:
        g = float(np.linalg.norm(frequency_response(rnn, [w0], target="hidden").response[0, :, 0]))
        rnn = dataclasses.replace(rnn, U=U / g)
    return rnn


@dataclass(frozen=True, repr=False)
class OptimalFilter:
    """The SNR-optimal causal linear RNN for a signal that is itself a linear-Gaussian RNN.

    Attributes
    ----------
    rnn : LinearRNN
        The filter: input ``[x_t; y_t]`` (p + m), hidden state the steady-state filtered mean (it is
        :func:`rnnss.kalman_rnn`), read-out ``V m_t + d``: the estimate of the clean signal ``s_t = V h_t + d``.
    input_snr : float
        ``tr Cov(s) / tr R``: signal power over noise power in the observations.
    output_snr : float
        ``tr Cov(s) / E||s_hat_t - s_t||^2``: signal power over the power of the estimate's error.
    gain : float
        ``output_snr / input_snr``.
    gain_db : float
        The gain in decibels.
    error_cov : ndarray, shape (m, m)
        ``V P_f V^T``, the covariance of the signal estimate's error.
    """

    rnn: LinearRNN
    input_snr: float
    output_snr: float
    gain: float
    gain_db: float
    error_cov: np.ndarray

    def __repr__(self) -> str:
        return (
            f"OptimalFilter(SNR {self.input_snr:.4g} in y -> {self.output_snr:.4g} in the estimate; "
            f"gain {self.gain:.4g} = {self.gain_db:+.2f} dB)"
        )


def snr_optimal_rnn(signal: LinearRNN) -> OptimalFilter:
    r"""The linear RNN that recovers a linear-Gaussian signal from white noise with the best SNR.

    The signal is ``s_t = V h_t + d`` with ``h_t = W h_{t-1} + U x_t + b + eta_t`` (``eta ~ N(0, Q)``); the
    observations are ``y_t = s_t + eps_t`` with white ``eps ~ N(0, R)`` — exactly a :class:`rnnss.LinearRNN`.
    Among all causal linear filters of ``y``, the steady-state Kalman (Wiener) filter minimises the error
    ``E||s_hat_t - s_t||^2``, so it maximises the estimation SNR ``tr Cov(s) / E||s_hat - s||^2``. This
    function returns that filter as a linear RNN (:func:`rnnss.kalman_rnn` with the signal read-out) and its
    SNRs; no other linear RNN driven by ``y`` does better.

    (The "SNR in the hidden state" of :func:`snr_gain` — signal-driven over noise-driven power — has no
    finite optimum for a tone: it grows without bound as a resonator's radius tends to 1. Estimation SNR is
    the criterion under which "optimal" is well defined.)

    Parameters
    ----------
    signal : LinearRNN
        The signal model with its observation noise ``R`` (positive definite) and stable ``W``.

    Returns
    -------
    OptimalFilter
        The filter RNN and the input/output SNRs.

    Raises
    ------
    NotStableError
        If ``W`` is not stable (the signal power is then undefined).
    NotDetectableError, NotStabilizableError, NumericalError
        As :func:`rnnss.steady_state`.

    Examples
    --------
    >>> import rnnss
    >>> from rnnss import snr_optimal_rnn
    >>> opt = snr_optimal_rnn(rnnss.LinearRNN(W=0.95, Q=0.1, R=1.0))
    >>> round(opt.input_snr, 4), round(opt.output_snr, 4)
    (1.0256, 4.2562)
    """
    from .kalman import steady_state
    from .kalman.rnn import filter_rnn
    from .linear import stationary_covariance

    signal = v.check_instance(signal, LinearRNN, "signal")
    require_stable(signal, "the signal power")
    ss = steady_state(signal)
    m = signal.n_outputs
    filt = dataclasses.replace(filter_rnn(signal, ss), V=signal.V, d=signal.d, R=np.zeros((m, m)))
    power = float(np.trace(signal.V @ stationary_covariance(signal) @ signal.V.T))
    err = signal.V @ ss.filtered_cov @ signal.V.T
    snr_in, snr_out = power / float(np.trace(signal.R)), power / float(np.trace(err))
    gain = snr_out / snr_in
    return OptimalFilter(filt, snr_in, snr_out, gain, 10.0 * math.log10(gain), 0.5 * (err + err.T))
