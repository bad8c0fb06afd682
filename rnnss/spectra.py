"""Input spectra (sinusoids, white and AR noise, PSDs) and the power spectra and variances they give through an RNN."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.linalg

from . import _validate as v
from ._linalg import psd_sqrt, solve_stein
from .exceptions import DimensionError, NotStableError
from .frequency import angular_frequencies, target_matrix, transfer_matrix
from .linear import LinearRNN, require_stable

if TYPE_CHECKING:  # pragma: no cover
    from numpy.typing import ArrayLike

__all__ = ["Sinusoid", "WhiteNoise", "ARNoise", "PSD", "Spectrum", "power_spectrum", "response_covariance"]

# Absolute/relative tolerance for the numerical quadrature over a user-given PSD (the only place where
# a variance is not obtained from a Lyapunov equation or a closed form).
_QUAD_TOL = 1e-12


# -- input spectra -------------------------------------------------------------------------------------


class InputSpectrum:
    """Base of the input-spectrum records; each is a zero-mean stationary process on the ``p`` inputs.

    Spectral densities are two-sided on ``[-pi, pi]`` in variance per (rad/sample)/(2 pi): a process
    with autocovariance ``gamma_k`` has ``S(omega) = sum_k gamma_k e^{-i omega k}`` and variance
    ``(1/2pi) int S``. Real processes have ``S(-omega) = conj S(omega)``.
    """

    def _density(self, omega: np.ndarray, p: int) -> np.ndarray:  # (K, p, p) continuous part
        return np.zeros((len(omega), p, p), dtype=complex)

    def _lines(self, p: int) -> list[tuple[float, np.ndarray]]:  # (omega, amplitude vector (p,))
        return []

    def _hidden_covariance(self, rnn: LinearRNN) -> np.ndarray:  # (n, n) stationary contribution
        raise NotImplementedError

    def _covariance(self, p: int) -> np.ndarray:  # (p, p) covariance of the input itself
        raise NotImplementedError

    def _sample(self, steps: int, batch: int, p: int, gen: np.random.Generator) -> np.ndarray:
        raise TypeError(f"{type(self).__name__} cannot be sampled; use Sinusoid, WhiteNoise or ARNoise")

    def sample(self, steps: int, n_inputs: int = 1, *, batch: int | None = None, rng: Any = None) -> np.ndarray:
        """Draw a stationary sample path ``x_1 .. x_T`` of this process.

        Parameters
        ----------
        steps : int
            Length ``T``.
        n_inputs : int, default 1
            Dimension ``p`` of the process.
        batch : int, optional
            Number of independent paths.
        rng : numpy.random.Generator or int, optional
            Random source.

        Returns
        -------
        ndarray, shape (T, p) or (batch, T, p)
            The path(s).
        """
        steps = v.as_int("steps", steps, minimum=1)
        p = v.as_int("n_inputs", n_inputs, minimum=1)
        nb = 1 if batch is None else v.as_int("batch", batch, minimum=1)
        x = self._sample(steps, nb, p, v.as_rng(rng))
        return x if batch is not None else x[0]


def _input_cov(name: str, value: np.ndarray, p: int) -> np.ndarray:
    """A stored variance (0-d) or covariance (2-d) as a ``(p, p)`` matrix."""
    if value.ndim == 0:
        return float(value) * np.eye(p)
    if value.shape != (p, p):
        raise DimensionError(
            f"{name} must be a scalar or have shape ({p}, {p}) for p = {p} inputs; got shape {value.shape}"
        )
    return value


def _as_variance(name: str, value: Any) -> np.ndarray:
    arr = v.as_float_array(name, value)
    if arr.ndim == 0:
        return v.freeze(np.array(v.as_float(name, float(arr), nonnegative=True)))
    if arr.ndim != 2:
        raise DimensionError(f"{name} must be a scalar or a (p, p) covariance matrix; got shape {arr.shape}")
    return v.freeze(v.as_psd(name, arr, arr.shape[0], allow_scalar=False))


@dataclass(frozen=True, repr=False, eq=False)
class Sinusoid(InputSpectrum):
    r"""A sinusoid ``x_t = a cos(omega t + phi)`` with a random phase ``phi ~ U[0, 2 pi)``: a line spectrum.

    Its power ``||a||^2 / 2`` sits in two spectral lines at ``+-omega`` (one at 0 or ``pi``); through a
    filter ``H`` it becomes the sinusoid ``Re(H(e^{i omega}) a e^{i(omega t + phi)})`` of power
    ``||H(e^{i omega}) a||^2 / 2``. The random phase makes the process stationary (its power at 0 and
    ``pi`` is the phase average ``||a||^2 / 2`` too).

    Parameters
    ----------
    omega : float
        Frequency in rad/sample, in ``[0, pi]`` (``2 pi f dt`` for ``f`` in cycles per unit of ``dt``).
    amplitude : float or array_like, shape (p,)
        ``a``: a scalar for a single-input network, a vector (the direction in input space) otherwise.

    Examples
    --------
    >>> from rnnss import Sinusoid
    >>> Sinusoid(0.3, 2.0).sample(3, rng=0).shape
    (3, 1)
    """

    omega: float
    amplitude: Any = 1.0

    def __post_init__(self) -> None:
        w = v.as_float("omega", self.omega)
        if not 0.0 <= w <= np.pi:
            raise ValueError(f"Sinusoid omega must be in [0, pi] rad/sample; got {w!r}")
        a = v.as_float_array("amplitude", self.amplitude)
        if a.ndim > 1:
            raise DimensionError(f"Sinusoid amplitude must be a scalar or have shape (p,); got shape {a.shape}")
        v.check_finite("amplitude", a)
        object.__setattr__(self, "omega", w)
        object.__setattr__(self, "amplitude", v.freeze(a))

    def __repr__(self) -> str:
        a = float(self.amplitude) if self.amplitude.ndim == 0 else np.array2string(self.amplitude, precision=4)
        return f"Sinusoid(omega={self.omega:.6g}, amplitude={a})"

    def _vector(self, p: int) -> np.ndarray:
        a = self.amplitude
        if a.ndim == 0:
            if p != 1:
                raise DimensionError(
                    f"Sinusoid amplitude must have shape ({p},) (a direction in input space) for p = {p} inputs; "
                    "got a scalar"
                )
            return a.reshape(1)
        if a.shape != (p,):
            raise DimensionError(f"Sinusoid amplitude must have shape ({p},) for p = {p} inputs; got shape {a.shape}")
        return a

    def _lines(self, p: int) -> list[tuple[float, np.ndarray]]:
        return [(self.omega, self._vector(p))]

    def _covariance(self, p: int) -> np.ndarray:
        a = self._vector(p)
        return 0.5 * np.outer(a, a)

    def _hidden_covariance(self, rnn: LinearRNN) -> np.ndarray:
        c = transfer_matrix(
            rnn, np.eye(rnn.n_hidden), rnn.U @ self._vector(rnn.n_inputs)[:, None], np.array([self.omega])
        )
        c = c[0, :, 0]
        return 0.5 * np.real(np.outer(c, c.conj()))

    def _sample(self, steps: int, batch: int, p: int, gen: np.random.Generator) -> np.ndarray:
        phi = gen.uniform(0.0, 2.0 * np.pi, batch)
        t = np.arange(1, steps + 1)
        return np.cos(self.omega * t[None, :] + phi[:, None])[:, :, None] * self._vector(p)


@dataclass(frozen=True, repr=False, eq=False)
class WhiteNoise(InputSpectrum):
    r"""Gaussian white noise on the inputs: a flat spectrum ``S(omega) = Sigma``.

    Parameters
    ----------
    variance : float or array_like, shape (p, p)
        A scalar ``s`` means ``s I``: independent inputs of equal variance. A matrix is the covariance
        ``Sigma`` of ``x_t`` (symmetric PSD).

    Examples
    --------
    >>> from rnnss import WhiteNoise
    >>> WhiteNoise(0.5)
    WhiteNoise(variance=0.5)
    """

    variance: Any = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "variance", _as_variance("variance", self.variance))

    def __repr__(self) -> str:
        s = float(self.variance) if self.variance.ndim == 0 else np.array2string(self.variance, precision=4)
        return f"WhiteNoise(variance={s})"

    def _density(self, omega: np.ndarray, p: int) -> np.ndarray:
        return np.broadcast_to(_input_cov("variance", self.variance, p), (len(omega), p, p)).astype(complex)

    def _covariance(self, p: int) -> np.ndarray:
        return _input_cov("variance", self.variance, p).copy()

    def _hidden_covariance(self, rnn: LinearRNN) -> np.ndarray:
        U = rnn.U
        S = solve_stein(rnn.W, U @ _input_cov("variance", self.variance, rnn.n_inputs) @ U.T)
        return 0.5 * (S + S.T)

    def _sample(self, steps: int, batch: int, p: int, gen: np.random.Generator) -> np.ndarray:
        L = psd_sqrt(_input_cov("variance", self.variance, p))
        return gen.standard_normal((batch, steps, p)) @ L.T


@dataclass(frozen=True, repr=False, eq=False)
class ARNoise(InputSpectrum):
    r"""A stationary autoregressive process on every input: ``x_t = sum_k phi_k x_{t-k} + e_t``, ``e_t ~ N(0, Sigma)``.

    Spectral density ``S(omega) = Sigma / |1 - sum_k phi_k e^{-i omega k}|^2``: with ``phi_1 > 0``
    low-pass ("red") noise, with ``phi_1 < 0`` high-pass ("blue").

    Parameters
    ----------
    coeffs : array_like, shape (q,)
        ``phi_1 .. phi_q``, shared by all inputs; the roots of ``1 - sum phi_k z^{-k}`` must lie inside
        the unit circle (a stationary process).
    variance : float or array_like, shape (p, p)
        Innovation variance ``Sigma`` (a scalar ``s`` means ``s I``: independent inputs).

    Raises
    ------
    NotStableError
        If the coefficients do not define a stationary process.

    Examples
    --------
    >>> from rnnss import ARNoise
    >>> ARNoise([0.9], 0.19)  # an AR(1) of unit variance
    ARNoise(coeffs=[0.9], variance=0.19)
    """

    coeffs: Any
    variance: Any = 1.0

    def __post_init__(self) -> None:
        phi = v.as_vector("coeffs", self.coeffs, None)
        object.__setattr__(self, "coeffs", v.freeze(phi))
        object.__setattr__(self, "variance", _as_variance("variance", self.variance))
        if phi.size:
            rho = float(np.max(np.abs(np.linalg.eigvals(self._companion()))))
            if rho >= 1:
                raise NotStableError(
                    f"ARNoise coeffs must define a stationary process (roots of 1 - sum phi_k z^-k inside the unit "
                    f"circle); the largest root has modulus {rho:.6g} >= 1"
                )

    def __repr__(self) -> str:
        s = float(self.variance) if self.variance.ndim == 0 else np.array2string(self.variance, precision=4)
        return f"ARNoise(coeffs={np.array2string(self.coeffs, precision=6, separator=', ')}, variance={s})"

    def _companion(self) -> np.ndarray:
        q = len(self.coeffs)
        F = np.zeros((q, q))
        F[0] = self.coeffs
        F[1:, :-1] = np.eye(q - 1)
        return F

    def _gain2(self, omega: np.ndarray) -> np.ndarray:
        k = np.arange(1, len(self.coeffs) + 1)
        return 1.0 / np.abs(1.0 - np.exp(-1j * np.outer(omega, k)) @ self.coeffs) ** 2

    def _density(self, omega: np.ndarray, p: int) -> np.ndarray:
        return self._gain2(omega)[:, None, None] * _input_cov("variance", self.variance, p)

    def _unit_variance(self) -> float:
        """Variance of the AR process driven by unit innovations (``gamma_0 / Sigma``)."""
        if not self.coeffs.size:
            return 1.0
        e1 = np.zeros((len(self.coeffs), 1))
        e1[0] = 1.0
        return float(solve_stein(self._companion(), e1 @ e1.T)[0, 0])

    def _covariance(self, p: int) -> np.ndarray:
        return self._unit_variance() * _input_cov("variance", self.variance, p)

    def _hidden_covariance(self, rnn: LinearRNN) -> np.ndarray:
        # Joint state [h_t; s_t] with the companion state s_t = (a_t, .., a_{t-q+1}) (x) I_p and x_t = a_t
        # acting in the same step: h_t = W h_{t-1} + U (F s_{t-1} + G e_t), s_t = F s_{t-1} + G e_t.
        n, p, q = rnn.n_hidden, rnn.n_inputs, len(self.coeffs)
        Sigma = _input_cov("variance", self.variance, p)
        if q == 0:
            S = solve_stein(rnn.W, rnn.U @ Sigma @ rnn.U.T)
            return 0.5 * (S + S.T)
        F = np.kron(self._companion(), np.eye(p))
        G = np.zeros((q * p, p))
        G[:p] = np.eye(p)
        A = np.block([[rnn.W, rnn.U @ F[:p]], [np.zeros((q * p, n)), F]])
        B = np.concatenate([rnn.U, G])
        S = solve_stein(A, B @ Sigma @ B.T)[:n, :n]
        return 0.5 * (S + S.T)

    def _sample(self, steps: int, batch: int, p: int, gen: np.random.Generator) -> np.ndarray:
        L = psd_sqrt(_input_cov("variance", self.variance, p))
        e = gen.standard_normal((batch, steps, p)) @ L.T
        q = len(self.coeffs)
        if q == 0:
            return e
        # Start the companion state in its stationary law (drawn after the innovations).
        Fc = self._companion()
        Sq = solve_stein(Fc, np.eye(q)[:, :1] @ np.eye(q)[:1])
        s = np.einsum("qr,brp->bqp", psd_sqrt(0.5 * (Sq + Sq.T)), gen.standard_normal((batch, q, p)) @ L.T)
        x = np.empty((batch, steps, p))
        for t in range(steps):
            new = np.einsum("q,bqp->bp", self.coeffs, s) + e[:, t]
            s = np.concatenate([new[:, None], s[:, :-1]], axis=1)
            x[:, t] = new
        return x


@dataclass(frozen=True, repr=False, eq=False)
class PSD(InputSpectrum):
    r"""A stationary input process given by its spectral density, evaluated by a callable.

    Variances through a network are obtained by adaptive quadrature (``scipy.integrate.quad_vec``,
    absolute and relative tolerance 1e-12) of ``H S H^*`` over ``[0, pi]``: exact rational spectra
    (:class:`WhiteNoise`, :class:`ARNoise`) use Lyapunov equations instead.

    Parameters
    ----------
    density : callable
        ``density(omega) -> S``: for ``omega`` of shape (K,) in ``[0, pi]`` (rad/sample) return shape
        (K,) (then ``S(omega) I``: independent inputs with equal spectra) or (K, p, p) (Hermitian PSD
        cross-spectra). Two-sided normalisation: the variance is ``(1/2pi) int_{-pi}^{pi} S``, so white
        noise of variance ``s`` is ``S = s``. The density of a real process is even, so only
        ``[0, pi]`` is ever requested (other frequencies are folded into it).
    breakpoints : array_like, shape (k,), optional
        Frequencies in ``(0, pi)`` where the density is not smooth (kinks, steps), passed to the quadrature.

    Examples
    --------
    >>> import numpy as np, rnnss
    >>> from rnnss import PSD, response_covariance
    >>> band = PSD(lambda w: np.where(np.abs(w - 1.0) < 0.1, 5.0, 0.0), breakpoints=[0.9, 1.1])
    >>> round(float(response_covariance(rnnss.LinearRNN(W=0.0, U=[[1.0]]), band)[0, 0]), 10)
    0.3183098862
    """

    density: Callable[[np.ndarray], Any]
    breakpoints: Any = None

    def __post_init__(self) -> None:
        if not callable(self.density):
            raise TypeError(f"PSD density must be a callable omega -> S(omega); got {type(self.density).__name__}")
        bp = np.zeros(0) if self.breakpoints is None else v.as_vector("breakpoints", self.breakpoints, None)
        if np.any((bp <= 0) | (bp >= np.pi)):
            raise ValueError("PSD breakpoints must lie in (0, pi)")
        object.__setattr__(self, "breakpoints", v.freeze(np.sort(bp)))

    @classmethod
    def from_samples(cls, omega: ArrayLike, values: ArrayLike) -> PSD:
        """A scalar density given by samples on ``[0, pi]``, linearly interpolated between them.

        Parameters
        ----------
        omega : array_like, shape (k,)
            Increasing frequencies in rad/sample; they must start at 0 and end at ``pi``.
        values : array_like, shape (k,)
            Non-negative density values (two-sided normalisation, as for :class:`PSD`).

        Returns
        -------
        PSD
            The piecewise-linear density, with the sample frequencies as quadrature breakpoints.
        """
        w = v.as_vector("omega", omega, None)
        s = v.as_vector("values", values, len(w))
        if len(w) < 2 or w[0] != 0.0 or w[-1] != np.pi or np.any(np.diff(w) <= 0):
            raise ValueError("PSD.from_samples needs increasing omega from 0 to pi (at least two samples)")
        if np.any(s < 0):
            raise ValueError(f"PSD values must be non-negative; got min {s.min():.3g}")
        w.setflags(write=False)
        s.setflags(write=False)
        return cls(lambda x: np.interp(np.abs(x), w, s), breakpoints=w[1:-1])

    def __repr__(self) -> str:
        return f"PSD(density={getattr(self.density, '__name__', 'callable')}, breakpoints={len(self.breakpoints)})"

    def _density(self, omega: np.ndarray, p: int) -> np.ndarray:
        # A real process has a 2 pi-periodic, even density: fold every omega into [0, pi].
        S = np.asarray(self.density(np.abs(np.mod(omega + np.pi, 2.0 * np.pi) - np.pi)))
        K = len(omega)
        if S.shape == (K,):
            S = S[:, None, None] * np.eye(p)
        elif S.shape != (K, p, p):
            raise DimensionError(f"PSD density must return shape ({K},) or ({K}, {p}, {p}); got shape {S.shape}")
        if not np.all(np.isfinite(S)):
            raise ValueError("PSD density returned non-finite values")
        diag = np.real(np.diagonal(S, axis1=1, axis2=2))
        if np.any(diag < 0):
            raise ValueError(f"PSD density must be non-negative; got a diagonal value {diag.min():.3g}")
        return S.astype(complex)

    def _integrate(self, f: Callable[[float], np.ndarray]) -> np.ndarray:
        points = list(self.breakpoints) or None
        import scipy.integrate  # lazily: only PSD inputs given as functions need quadrature

        val, _ = scipy.integrate.quad_vec(f, 0.0, np.pi, epsabs=_QUAD_TOL, epsrel=_QUAD_TOL, points=points, limit=2000)
        return np.real(val) / np.pi  # (1/2pi) int_{-pi}^{pi} = (1/pi) Re int_0^pi for a real process

    def _covariance(self, p: int) -> np.ndarray:
        return self._integrate(lambda w: self._density(np.array([w]), p)[0])

    def _hidden_covariance(self, rnn: LinearRNN) -> np.ndarray:
        schur = scipy.linalg.schur(rnn.W, output="complex")

        def f(w: float) -> np.ndarray:
            Hh = transfer_matrix(rnn, np.eye(rnn.n_hidden), rnn.U, np.array([w]), schur)[0]
            return Hh @ self._density(np.array([w]), rnn.n_inputs)[0] @ Hh.conj().T

        S = self._integrate(f)
        return 0.5 * (S + S.T)


# -- power spectra and variances ------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class Spectrum:
    r"""A power spectrum: a continuous cross-spectral density plus spectral lines.

    Normalisation (two-sided, per sample): the covariance of the process is

    .. math:: \Sigma = \frac{1}{2\pi}\int_{-\pi}^{\pi} S(\omega)\,d\omega + \sum_l P_l ,

    so white noise of variance ``s`` has ``S = s``. In physical units (``dt`` in seconds) the one-sided
    density per Hz is ``2 dt S(2 pi f dt)`` on ``0 <= f <= 1 / (2 dt)``.

    Attributes
    ----------
    omega : ndarray, shape (K,)
        Frequencies in rad/sample.
    density : ndarray, shape (K, d, d), complex
        Cross-spectral density matrix ``S(omega)`` (Hermitian PSD) of the continuous part.
    line_omega : ndarray, shape (L,)
        Frequencies in ``[0, pi]`` of the spectral lines (sinusoids); each stands for the pair ``+-omega``.
    line_power : ndarray, shape (L, d, d)
        Covariance ``P_l`` contributed by each line (both halves of the pair): ``Re(c c^*) / 2`` for the
        complex amplitude ``c`` of the sinusoid in this signal.
    target : str
        ``"input"``, ``"hidden"`` or ``"output"``.
    dt : float
        Sampling interval, for :attr:`frequency`.
    """

    omega: np.ndarray
    density: np.ndarray
    line_omega: np.ndarray
    line_power: np.ndarray
    target: str
    dt: float

    @property
    def auto(self) -> np.ndarray:
        """Auto-spectra ``S_ii(omega)`` of every channel, shape (K, d)."""
        return np.real(np.diagonal(self.density, axis1=1, axis2=2)).copy()

    @property
    def total(self) -> np.ndarray:
        """``tr S(omega)``, the density of the summed power of all channels, shape (K,)."""
        return np.real(np.trace(self.density, axis1=1, axis2=2))

    @property
    def frequency(self) -> np.ndarray:
        """Frequencies in cycles per unit of ``dt``: ``omega / (2 pi dt)``."""
        return self.omega / (2.0 * np.pi * self.dt)

    def __repr__(self) -> str:
        K, d, _ = self.density.shape
        lines = ", ".join(f"{w:.4g}: {np.trace(P):.4g}" for w, P in zip(self.line_omega, self.line_power, strict=True))
        shown = f" {{omega: power}} = {{{lines}}}" if lines else ""
        return f"Spectrum(target={self.target!r}, d={d}, K={K} frequencies, {len(self.line_omega)} line(s){shown})"


_TARGETS_IN = ("output", "hidden", "input")


def power_spectrum(
    rnn: LinearRNN,
    omega: ArrayLike,
    inputs: Any = None,
    *,
    target: str = "output",
    noise: bool = True,
    hz: bool = False,
) -> Spectrum:
    r"""The power spectrum of the input, hidden state or output when the network is driven by stationary inputs.

    For independent input components with spectra ``S_x`` (continuous) and sinusoids ``a_l cos(omega_l t
    + phi)`` (lines), and the model's own noise,

    .. math::

        S_h(\omega) &= H_h S_x H_h^* + H_\eta Q H_\eta^*, \qquad
        H_h(z) = (I - W z^{-1})^{-1} U,\; H_\eta(z) = (I - W z^{-1})^{-1}, \\
        S_y(\omega) &= V S_h(\omega) V^\top + R, \qquad
        P_l = \tfrac12 \operatorname{Re}(c_l c_l^*),\; c_l = H(e^{i\omega_l}) a_l .

    Parameters
    ----------
    rnn : LinearRNN
        A network with stable ``W`` (for ``target="input"`` only its number of inputs is used).
    omega : array_like, shape (K,)
        Frequencies in rad/sample (or cycles per unit of ``dt`` with ``hz=True``).
    inputs : Sinusoid, WhiteNoise, ARNoise, PSD or list of them, optional
        Independent, zero-mean components of the input ``x_t`` (summed). ``None``: no input, only the
        model noise.
    target : {"output", "hidden", "input"}
        Which signal's spectrum to return.
    noise : bool, default True
        Include the process noise ``Q`` (and for the output the observation noise ``R``).
    hz : bool, default False
        Read ``omega`` as cycles per unit of ``rnn.dt``.

    Returns
    -------
    Spectrum
        Density of shape (K, d, d) (``d`` = p, n or m) and the spectral lines.

    Raises
    ------
    NotStableError
        If ``W`` is not stable (no stationary spectrum exists) and ``target`` is not ``"input"``.
    TypeError
        If ``inputs`` holds something other than the spectrum records.
    ValueError
        If ``omega`` is not finite or not 1-D, ``target`` is unknown, or the network has no inputs but
        ``inputs`` is given.

    Examples
    --------
    >>> import numpy as np, rnnss
    >>> from rnnss import WhiteNoise, power_spectrum
    >>> rnn = rnnss.LinearRNN(W=0.5, U=[[1.0]])
    >>> S = power_spectrum(rnn, [0.0, np.pi], WhiteNoise(1.0), target="hidden")
    >>> S.auto[:, 0]  # 1 / |1 - 0.5 e^{-i omega}|^2
    array([4.        , 0.44444444])
    """
    noise, hz = v.as_bool("noise", noise), v.as_bool("hz", hz)
    rnn = v.check_instance(rnn, LinearRNN, "rnn")
    if target not in _TARGETS_IN:
        raise ValueError(f"target must be 'output', 'hidden' or 'input'; got {target!r}")
    comps = input_components(inputs, "inputs")
    require_inputs(rnn, comps)
    w = angular_frequencies(rnn, omega, hz)
    p, K = rnn.n_inputs, len(w)
    Sx = sum((c._density(w, p) for c in comps), np.zeros((K, p, p), dtype=complex))
    lines = [ln for c in comps for ln in c._lines(p)]
    line_w = np.array([ln[0] for ln in lines], dtype=float)
    if target == "input":
        P = np.array([0.5 * np.outer(a, a) for _, a in lines]).reshape(len(lines), p, p)
        return Spectrum(w, Sx, line_w, P, target, rnn.dt)
    require_stable(rnn, "a power spectrum")
    C = target_matrix(rnn, target)
    d, n = C.shape[0], rnn.n_hidden
    L = psd_sqrt(rnn.Q) if noise else np.zeros((n, 0))
    schur = scipy.linalg.schur(rnn.W, output="complex")
    H = transfer_matrix(rnn, C, np.concatenate([rnn.U, L], axis=1), w, schur)  # (K, d, p + n)
    Hx, Hq = H[:, :, :p], H[:, :, p:]
    S = Hx @ Sx @ np.conj(np.swapaxes(Hx, 1, 2)) + Hq @ np.conj(np.swapaxes(Hq, 1, 2))
    if noise and target == "output":
        S = S + rnn.R
    P = np.zeros((len(lines), d, d))
    for i, (wl, a) in enumerate(lines):
        c = transfer_matrix(rnn, C, rnn.U @ a[:, None], np.array([wl]), schur)[0, :, 0]
        P[i] = 0.5 * np.real(np.outer(c, c.conj()))
    return Spectrum(w, S, line_w, P, target, rnn.dt)


def response_covariance(
    rnn: LinearRNN, inputs: Any = None, *, target: str = "output", noise: bool = True
) -> np.ndarray:
    r"""The stationary covariance of the input, hidden state or output under stationary inputs, analytically.

    Each independent component contributes exactly: white noise ``Sigma`` through the discrete Lyapunov
    equation ``S = W S W^T + U Sigma U^T``; an AR input through the Lyapunov equation of the network
    augmented with the AR companion state; a sinusoid through its response amplitude
    (``Re(c c^*) / 2``); a :class:`PSD` by quadrature of ``H_h S_x H_h^*``. The model noise adds
    ``S = W S W^T + Q`` (hidden) and ``R`` (output). This is Parseval's theorem in closed form: the result
    equals ``(1/2pi) int S(omega) d omega + sum of line powers`` of :func:`power_spectrum`.

    Parameters
    ----------
    rnn : LinearRNN
        A network with stable ``W``.
    inputs : Sinusoid, WhiteNoise, ARNoise, PSD or list of them, optional
        Independent zero-mean input components (``None``: only the model noise).
    target : {"output", "hidden", "input"}
        Covariance of ``y`` (m, m), ``h`` (n, n) or of the input ``x`` itself (p, p).
    noise : bool, default True
        Include ``Q`` and ``R``.

    Returns
    -------
    ndarray, shape (d, d)
        The symmetric PSD covariance.

    Raises
    ------
    NotStableError
        If ``W`` is not stable and ``target`` is not ``"input"``.
    TypeError
        If ``inputs`` holds something other than the spectrum records.
    ValueError
        If ``target`` is unknown, or the network has no inputs but ``inputs`` is given.

    Examples
    --------
    >>> import rnnss
    >>> from rnnss import WhiteNoise, response_covariance
    >>> rnn = rnnss.LinearRNN(W=0.8, U=[[1.0]], Q=0.5, R=0.1)
    >>> round(float(response_covariance(rnn, WhiteNoise(1.0))[0, 0]), 12)  # 1.5 / 0.36 + 0.1
    4.266666666667
    """
    noise = v.as_bool("noise", noise)
    rnn = v.check_instance(rnn, LinearRNN, "rnn")
    if target not in _TARGETS_IN:
        raise ValueError(f"target must be 'output', 'hidden' or 'input'; got {target!r}")
    comps = input_components(inputs, "inputs")
    require_inputs(rnn, comps)
    if target == "input":
        p = rnn.n_inputs
        return sum((c._covariance(p) for c in comps), np.zeros((p, p)))
    require_stable(rnn, "a stationary covariance")
    n = rnn.n_hidden
    S = np.zeros((n, n))
    for c in comps:
        S = S + c._hidden_covariance(rnn)
    if noise and np.any(rnn.Q):
        SQ = solve_stein(rnn.W, rnn.Q)
        S = S + 0.5 * (SQ + SQ.T)
    C = target_matrix(rnn, target)
    out = C @ S @ C.T
    if noise and target == "output":
        out = out + rnn.R
    return 0.5 * (out + out.T)


# -- argument helpers shared with snr -------------------------------------------------------------


def input_components(value: Any, name: str) -> list[InputSpectrum]:
    """A list of independent spectrum components from one record or a list/tuple of them."""
    if value is None:
        return []
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    for item in items:
        if not isinstance(item, InputSpectrum):
            raise TypeError(
                f"{name} must be a Sinusoid, WhiteNoise, ARNoise or PSD record, or a list of them; "
                f"got {type(item).__name__}"
            )
    return items


def require_inputs(rnn: LinearRNN, comps: list) -> None:
    if comps and rnn.n_inputs == 0:
        raise ValueError("this network has no inputs (p = 0), so an input spectrum cannot drive it")
