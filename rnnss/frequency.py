"""The LinearRNN as an LTI filter: frequency response, poles and zeros, H2/H-infinity norms, power spectra and SNR."""

from __future__ import annotations

import dataclasses
import math
import warnings
from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
import scipy.linalg

from . import _validate as v
from .exceptions import ConvergenceWarning, DimensionError, NotStableError, NumericalError
from .linear import LinearRNN, _check_rnn, _psd_sqrt, _require_stable, _solve_stein, simulate, spectral_radius

if TYPE_CHECKING:  # pragma: no cover
    from numpy.typing import ArrayLike

__all__ = [
    "FrequencyResponse",
    "frequency_response",
    "poles",
    "transmission_zeros",
    "h2_norm",
    "HinfNorm",
    "hinf_norm",
    "Sinusoid",
    "WhiteNoise",
    "ARNoise",
    "PSD",
    "Spectrum",
    "power_spectrum",
    "response_covariance",
    "SNRGain",
    "snr_gain",
    "MonteCarloSNR",
    "snr_gain_mc",
    "resonator",
    "OptimalFilter",
    "snr_optimal_rnn",
]

_EPS = np.finfo(float).eps
_TARGETS = ("output", "hidden")

# |z - lambda| below this multiple of eps * max(1, |W|) means omega sits on a pole: the response is
# infinite there and a finite number would be rounding noise.
_POLE_HIT = 64.0

# Unit-circle test for the eigenvalues of the symplectic pencil in the H-infinity iteration. A crossing
# pair near a sharp peak is a nearly double eigenvalue, computed only to about sqrt(eps * cond): 2e-8 off
# the circle was seen at a pole of modulus 0.9999. Counting too many candidates is harmless (they only
# add gain evaluations), missing one stops the iteration early, hence a generous threshold.
_CIRCLE_TOL = 1e-6

# Absolute/relative tolerance for the numerical quadrature over a user-given PSD (the only place where
# a variance is not obtained from a Lyapunov equation or a closed form).
_QUAD_TOL = 1e-12


# -- argument helpers -----------------------------------------------------------------------------------


def _target_matrix(rnn: LinearRNN, target: str) -> np.ndarray:
    """The read-out ``C`` of the chosen target: ``V`` for the output, the identity for the hidden state."""
    if target == "output":
        return rnn.V
    if target == "hidden":
        return np.eye(rnn.n_hidden)
    raise ValueError(f"target must be 'output' or 'hidden'; got {target!r}")


def _omega(rnn: LinearRNN, omega: Any, hz: bool) -> np.ndarray:
    """Frequencies in rad/sample from ``omega`` (rad/sample) or, with ``hz``, cycles per unit of ``dt``."""
    w = v.as_vector("omega", omega, None)
    if w.size == 0:
        raise ValueError("omega must hold at least one frequency; got an empty array")
    return 2.0 * np.pi * rnn.dt * w if hz else w


def _components(value: Any, name: str) -> list[_InputSpectrum]:
    """A list of independent spectrum components from one record or a list/tuple of them."""
    if value is None:
        return []
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    for item in items:
        if not isinstance(item, _InputSpectrum):
            raise TypeError(
                f"{name} must be a Sinusoid, WhiteNoise, ARNoise or PSD record, or a list of them; "
                f"got {type(item).__name__}"
            )
    return items


def _need_inputs(rnn: LinearRNN, comps: list) -> None:
    if comps and rnn.n_inputs == 0:
        raise ValueError("this network has no inputs (p = 0), so an input spectrum cannot drive it")


# -- resolvent on the unit circle ---------------------------------------------------------------------


def _triangular_solve(T: np.ndarray, z: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Solve ``(z_k I - T) X_k = rhs_k`` for an upper-triangular ``T`` at every ``z_k`` at once.

    Back substitution over the ``n`` rows, each step vectorised over all frequencies: ``O(K n^2 q)``
    flops and ``n`` Python iterations. With ``T`` the complex Schur form of ``W`` this is a backward-stable
    evaluation of the resolvent, as SLICOT's TB05AD does with a Hessenberg form.
    """
    K, n, q = rhs.shape
    X = np.empty((K, n, q), dtype=complex)
    diag = z[:, None] - np.diag(T)[None, :]
    for i in range(n - 1, -1, -1):
        acc = rhs[:, i, :] + T[i, i + 1 :] @ X[:, i + 1 :, :] if i + 1 < n else rhs[:, i, :]
        X[:, i, :] = acc / diag[:, i, None]
    return X


def _resolvent(W: np.ndarray, B: np.ndarray, omega: np.ndarray, *, squared: bool = False, schur: Any = None):
    """``(Z, X, Y, z)`` with ``Z X_k = (z_k I - W)^{-1} B`` and ``Z Y_k = (z_k I - W)^{-2} B``, ``z = e^{i omega}``.

    ``W = Z T Z^H`` is the complex Schur decomposition (pass ``schur=(T, Z)`` to reuse one). Raises
    ``NumericalError`` when some ``z_k`` is an eigenvalue of ``W`` (the response is infinite there).
    """
    T, Z = scipy.linalg.schur(W, output="complex") if schur is None else schur
    z = np.exp(1j * omega)
    gap = np.abs(z[:, None] - np.diag(T)[None, :])
    hit = gap <= _POLE_HIT * _EPS * max(1.0, float(np.max(np.abs(T))))
    if hit.any():
        k, i = (int(a) for a in np.argwhere(hit)[0])
        raise NumericalError(
            f"omega[{k}] = {float(omega[k])!r} lies on a pole: W has the eigenvalue {complex(np.diag(T)[i]):.6g} "
            f"= e^(i omega) on the unit circle, where the response is infinite; evaluate off that frequency"
        )
    rhs = np.broadcast_to(Z.conj().T @ B, (len(z),) + B.shape).astype(complex)
    X = _triangular_solve(T, z, rhs)
    Y = _triangular_solve(T, z, X) if squared else None
    return Z, X, Y, z


def _transfer(rnn: LinearRNN, C: np.ndarray, B: np.ndarray, omega: np.ndarray, schur: Any = None) -> np.ndarray:
    """``C z (zI - W)^{-1} B`` at ``z = e^{i omega}``, shape ``(K, rows of C, columns of B)``."""
    Z, X, _, z = _resolvent(rnn.W, B, omega, schur=schur)
    return z[:, None, None] * ((C @ Z) @ X)


# -- frequency response ---------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class FrequencyResponse:
    r"""The frequency response of a LinearRNN on a grid of frequencies.

    Attributes
    ----------
    omega : ndarray, shape (K,)
        Frequencies in rad/sample (``omega = 2 pi f dt`` for a frequency ``f`` in cycles per unit of ``dt``).
    response : ndarray, shape (K, d, p), complex
        ``H(e^{i omega})`` with ``H(z) = C (I - W z^{-1})^{-1} U``; ``C = V`` (``d = m``) for the output,
        ``C = I`` (``d = n``) for the hidden state. ``response[k, i, j]``: output ``i``, input ``j``.
    magnitude : ndarray, shape (K, d, p)
        ``|H|``.
    phase : ndarray, shape (K, d, p)
        ``arg H`` in radians, unwrapped along the frequency axis (starting in ``(-pi, pi]``).
    group_delay : ndarray, shape (K, d, p)
        ``-d arg H / d omega`` in samples, evaluated analytically (NaN where ``H = 0``).
    target : str
        ``"output"`` or ``"hidden"``.
    dt : float
        Sampling interval of the model, for :attr:`frequency`.
    """

    omega: np.ndarray
    response: np.ndarray
    magnitude: np.ndarray
    phase: np.ndarray
    group_delay: np.ndarray
    target: str
    dt: float

    @property
    def frequency(self) -> np.ndarray:
        """Frequencies in cycles per unit of ``dt`` (Hz when ``dt`` is in seconds): ``omega / (2 pi dt)``."""
        return self.omega / (2.0 * np.pi * self.dt)

    @property
    def magnitude_db(self) -> np.ndarray:
        """``20 log10 |H|`` (``-inf`` where ``H = 0``)."""
        with np.errstate(divide="ignore"):
            return 20.0 * np.log10(self.magnitude)

    def __repr__(self) -> str:
        K, d, p = self.response.shape
        k, i, j = np.unravel_index(int(np.argmax(self.magnitude)), self.magnitude.shape)
        return (
            f"FrequencyResponse(target={self.target!r}, {d} x {p}, K={K} frequencies in "
            f"[{self.omega.min():.4g}, {self.omega.max():.4g}] rad/sample; largest |H| = "
            f"{self.magnitude[k, i, j]:.6g} at omega = {self.omega[k]:.4g} ({i} <- {j}))"
        )


def frequency_response(
    rnn: LinearRNN, omega: ArrayLike, *, target: str = "output", hz: bool = False
) -> FrequencyResponse:
    r"""The complex frequency response of the network from its inputs to its outputs or hidden state.

    With the RNN timing ``h_t = W h_{t-1} + U x_t`` (the input acts in the step it arrives) the
    transfer function is

    .. math:: H(z) = C (I - W z^{-1})^{-1} U = z\, C (zI - W)^{-1} U ,

    with ``C = V`` (output) or ``C = I`` (hidden). python-control's ``frequency_response`` of
    :func:`rnnss.to_statespace` evaluates ``G(z) = C (zI - W)^{-1} U``, one sample later:
    ``H = e^{i omega} G``. The magnitudes agree; the phase of ``H`` leads by ``omega`` and its group
    delay is one sample shorter. Biases ``b, d`` do not enter (they are a constant offset), nor does
    the noise (see :func:`power_spectrum`).

    Evaluation: ``W = Z T Z^H`` (complex Schur) once, then one triangular solve with ``z_k I - T`` per
    frequency, vectorised over all frequencies: backward stable, no explicit inverse, ``O(n^3 + K n^2 p)``.

    Parameters
    ----------
    rnn : LinearRNN
        The network (any spectral radius: for an unstable ``W`` this is the transfer function on the unit
        circle, not a steady-state response).
    omega : array_like, shape (K,)
        Frequencies in rad/sample; ``[0, pi]`` covers everything for a real system (``pi`` is Nyquist).
        A frequency ``f`` in cycles per unit of ``dt`` is ``omega = 2 pi f dt``.
    target : {"output", "hidden"}
        Response of ``y`` (``d = m`` rows) or of ``h`` (``d = n`` rows).
    hz : bool, default False
        Read ``omega`` as frequencies ``f`` in cycles per unit of ``rnn.dt`` (Hz when ``dt`` is in
        seconds); the record still stores rad/sample.

    Returns
    -------
    FrequencyResponse
        ``response`` of shape (K, d, p) with magnitude, unwrapped phase and group delay.

    Raises
    ------
    DimensionError
        If ``omega`` is not 1-D.
    ValueError
        If ``omega`` is empty or not finite, or ``target`` is unknown.
    NumericalError
        If some ``e^{i omega}`` is an eigenvalue of ``W`` (the response is infinite there).

    Examples
    --------
    >>> import numpy as np, rnnss
    >>> from rnnss.frequency import frequency_response
    >>> fr = frequency_response(rnnss.LinearRNN(W=0.5, U=[[1.0]]), [0.0, np.pi])
    >>> fr.magnitude[:, 0, 0]  # 1 / |1 - 0.5 e^{-i omega}|
    array([2.        , 0.66666667])
    >>> fr.group_delay[:, 0, 0]  # a / (1 - a) at DC, -a / (1 + a) at Nyquist
    array([ 1.        , -0.33333333])
    """
    rnn = _check_rnn(rnn)
    C = _target_matrix(rnn, target)
    w = _omega(rnn, omega, hz)
    if rnn.n_inputs == 0:
        H = np.zeros((len(w), C.shape[0], 0), dtype=complex)
        return FrequencyResponse(w, H, np.abs(H), np.angle(H), np.zeros(H.shape), target, rnn.dt)
    Z, X, Y, z = _resolvent(rnn.W, rnn.U, w, squared=True)
    CZ = C @ Z
    H = z[:, None, None] * (CZ @ X)
    # d arg H / d omega = Re(z H'(z) / H) with z H'(z) = H - z^2 C (zI - W)^{-2} U.
    with np.errstate(divide="ignore", invalid="ignore"):
        tau = np.real((z**2)[:, None, None] * (CZ @ Y) / H) - 1.0
    tau[H == 0] = np.nan
    return FrequencyResponse(w, H, np.abs(H), np.unwrap(np.angle(H), axis=0), tau, target, rnn.dt)


# -- poles and zeros -----------------------------------------------------------------------------------


def poles(rnn: LinearRNN) -> np.ndarray:
    """The poles of the network's transfer function: the eigenvalues of ``W``.

    Every eigenvalue is returned, including modes that the input cannot excite or the output cannot see
    (those cancel against invariant zeros; see :func:`transmission_zeros`).

    Parameters
    ----------
    rnn : LinearRNN
        The network.

    Returns
    -------
    ndarray, shape (n,), complex
        Sorted by decreasing modulus, then decreasing imaginary part (as :func:`rnnss.eigenmodes`).

    Examples
    --------
    >>> import rnnss
    >>> from rnnss.frequency import poles
    >>> poles(rnnss.LinearRNN(W=[[0.5, 0.0], [1.0, 0.9]]))
    array([0.9+0.j, 0.5+0.j])
    """
    lam = np.linalg.eigvals(_check_rnn(rnn).W).astype(complex)
    return lam[np.lexsort((-lam.imag, -np.abs(lam)))]


def _svd_rank(M: np.ndarray, tol: float) -> tuple[int, np.ndarray, np.ndarray]:
    """Numerical rank of ``M`` with its full left and right singular bases."""
    U, s, Vt = np.linalg.svd(M, full_matrices=True)
    return int(np.sum(s > tol)), U, Vt


def _reduce(A: np.ndarray, B: np.ndarray, C: np.ndarray, D: np.ndarray, tol: float):
    """One pass of Emami-Naeini & Van Dooren (1982): an equivalent system whose ``D`` has full row rank.

    The output rows on which ``D`` vanishes force the component ``x2`` of the state in the row space of
    those rows of ``C`` to zero; the dynamics of ``x2`` then become new outputs (``A21 x1 + B2 u = 0``)
    and ``x2`` leaves the state. Each step is an orthogonal transformation plus a unimodular row
    operation on the system pencil, so the invariant zeros are unchanged.
    """
    while True:
        p, n = D.shape[0], A.shape[0]
        if p == 0:
            return A, B, C, D
        sigma, Ud, _ = _svd_rank(D, tol)
        if sigma == p:
            return A, B, C, D
        Ct, Dt = Ud.T @ C, Ud.T @ D
        C1, Cs, Ds = Ct[sigma:], Ct[:sigma], Dt[:sigma]
        rho, _, Vt = _svd_rank(C1, tol) if n else (0, None, None)
        if rho == 0:  # those rows of the pencil are zero: drop them
            C, D = Cs, Ds
            continue
        T = np.concatenate([Vt[rho:], Vt[:rho]]).T  # columns: null space of C1, then its row space
        At, Bt, Cst = T.T @ A @ T, T.T @ B, Cs @ T
        k = n - rho
        A, B = At[:k, :k], Bt[:k]
        C = np.concatenate([At[k:, :k], Cst[:, :k]])
        D = np.concatenate([Bt[k:], Ds])


def _invariant_zeros(A: np.ndarray, B: np.ndarray, C: np.ndarray, D: np.ndarray) -> np.ndarray:
    """Finite ``z`` where ``[[A - zI, B], [C, D]]`` loses rank below its normal rank (any shape)."""
    n, m, p = A.shape[0], B.shape[1], C.shape[0]
    S = np.block([[A, B], [C, D]])
    tol = max(n + p, n + m, 1) * _EPS * max(float(np.linalg.norm(S, "fro")), 1.0)
    A, B, C, D = _reduce(A, B, C, D, tol)  # D of full row rank
    At, Ct, Bt, Dt = _reduce(A.T, C.T, B.T, D.T, tol)  # the dual pass: D of full column rank as well
    A, B, C, D = At.T, Bt.T, Ct.T, Dt.T
    n, r = A.shape[0], D.shape[0]
    if n == 0:
        return np.zeros(0, dtype=complex)
    if r == 0:  # no input/output channel left: what remains are decoupling zeros
        return np.linalg.eigvals(A).astype(complex)
    if D.shape[1] != r:  # pragma: no cover - the two passes leave D square (Emami-Naeini & Van Dooren, Thm. 3)
        raise NumericalError(f"zero computation failed: the reduced feed-through has shape {D.shape}, not square")
    # Compress the columns of [C D]: [C D] Q = [0 R]; the pencil's first n columns of Q give a square
    # regular pencil (A_f, E_f) whose generalised eigenvalues are the zeros (E_f is invertible because D is).
    Qfull, _ = np.linalg.qr(np.concatenate([C, D], axis=1).T, mode="complete")
    Qn = Qfull[:, r:]
    Af = np.concatenate([A, B], axis=1) @ Qn
    Ef = Qn[:n]
    z = scipy.linalg.eigvals(Af, Ef)
    return z[np.isfinite(z)].astype(complex)


def transmission_zeros(rnn: LinearRNN, *, target: str = "output") -> np.ndarray:
    r"""The (invariant) zeros of the network's transfer function ``H(z) = C (I - W z^{-1})^{-1} U``.

    A zero is a ``z_0`` at which some input ``x_t = x_0 z_0^t`` produces no output: the finite ``z``
    where the Rosenbrock system pencil of the realisation ``H(z) = C U + C W (zI - W)^{-1} U``,

    .. math:: P(z) = \begin{pmatrix} W - zI & U \\ C W & C U \end{pmatrix},

    drops below its normal rank. This is computed for any shape: square, tall or wide (for a non-square
    system with no common zero of all its minors the answer is empty). The pencil is reduced by the
    orthogonal staircase of Emami-Naeini & Van Dooren (1982) to a square regular pencil whose
    generalised eigenvalues are returned; ranks are decided with tolerance
    ``max(n + m, n + p) * eps * ||P||_F``.

    Relation to python-control: ``control.zeros(rnnss.to_statespace(rnn))`` are the zeros of
    ``G(z) = z^{-1} H(z)`` (pencil ``[[W - zI, U], [V, 0]]``). Away from the origin the two sets are the
    same; for a square system (``m = p``) ``det P_H(z) = \pm z^m \det P_G(z)``, so ``H`` has ``m`` extra
    zeros at ``z = 0`` -- the one-sample advance, which changes the phase but not the magnitude on the
    unit circle. The zeros are *invariant* zeros: for a non-minimal network they include decoupling
    zeros, which cancel poles.

    Parameters
    ----------
    rnn : LinearRNN
        The network.
    target : {"output", "hidden"}
        Zeros from the inputs to ``y`` (``C = V``) or to ``h`` (``C = I``).

    Returns
    -------
    ndarray, shape (k,), complex
        The finite zeros, sorted by decreasing modulus (empty if there are none).

    Raises
    ------
    ValueError
        If ``target`` is unknown or the network has no inputs.

    Examples
    --------
    >>> import rnnss
    >>> from rnnss.frequency import transmission_zeros
    >>> # H(z) = z (z - 0.2) / ((z - 0.5)(z - 0.9)): zeros 0.2 (as python-control) and 0 (the advance)
    >>> rnn = rnnss.LinearRNN(W=[[0.5, 0.0], [0.0, 0.9]], U=[[1.0], [1.0]], V=[[-0.75, 1.75]])
    >>> transmission_zeros(rnn).round(12) + 0.0
    array([0.2+0.j, 0. +0.j])
    """
    rnn = _check_rnn(rnn)
    C = _target_matrix(rnn, target)
    if rnn.n_inputs == 0:
        raise ValueError("transmission zeros need inputs; this network has p = 0")
    z = _invariant_zeros(rnn.W, rnn.U, C @ rnn.W, C @ rnn.U)
    return z[np.lexsort((-z.imag, -np.abs(z)))]


# -- norms -------------------------------------------------------------------------------------------


def h2_norm(rnn: LinearRNN, *, target: str = "output") -> float:
    r"""The H2 norm: the RMS response to unit white noise on every input.

    .. math::

        \|H\|_2^2 = \frac{1}{2\pi}\int_{-\pi}^{\pi} \operatorname{tr} H H^* \,d\omega
                  = \sum_{k \ge 0} \|C W^k U\|_F^2 = \operatorname{tr}(C P C^\top),
        \qquad P = W P W^\top + U U^\top ,

    with ``P`` the controllability Gramian (one discrete Lyapunov solve). The one-sample shift between
    the RNN and python-control timings does not change it: ``|H| = |G|`` on the unit circle.

    Parameters
    ----------
    rnn : LinearRNN
        A network with stable ``W``.
    target : {"output", "hidden"}
        Norm of the input-to-``y`` (``C = V``) or input-to-``h`` (``C = I``) system.

    Returns
    -------
    float
        ``||H||_2`` (0 for a network without inputs).

    Raises
    ------
    NotStableError
        If the spectral radius of ``W`` is not below one (the norm is infinite).
    ValueError
        If ``target`` is unknown.

    Examples
    --------
    >>> import rnnss
    >>> from rnnss.frequency import h2_norm
    >>> round(h2_norm(rnnss.LinearRNN(W=0.6, U=[[1.0]])) ** 2, 12)  # 1 / (1 - a^2)
    1.5625
    """
    rnn = _check_rnn(rnn)
    C = _target_matrix(rnn, target)
    _require_stable(rnn, "the H2 norm")
    P = _solve_stein(rnn.W, rnn.U @ rnn.U.T)
    return float(math.sqrt(max(float(np.trace(C @ P @ C.T)), 0.0)))


@dataclass(frozen=True, repr=False)
class HinfNorm:
    """The H-infinity norm and where it is reached. ``float(result)`` is :attr:`value`.

    Attributes
    ----------
    value : float
        ``max_omega sigma_max(H(e^{i omega}))``, attained at :attr:`omega`; the true norm lies in
        ``[value, (1 + 2 rtol) value]``.
    omega : float
        Peak frequency in rad/sample, in ``[0, pi]``.
    rtol : float
        Relative tolerance of the bisection.
    iterations : int
        Level-set iterations used.
    """

    value: float
    omega: float
    rtol: float
    iterations: int

    def __float__(self) -> float:
        return self.value

    def __repr__(self) -> str:
        return f"HinfNorm(value={self.value:.12g} at omega={self.omega:.6g} rad/sample, rtol={self.rtol:g})"


def _sigma_max(rnn: LinearRNN, C: np.ndarray, omega: np.ndarray, schur: Any) -> np.ndarray:
    H = _transfer(rnn, C, rnn.U, omega, schur)
    return np.linalg.svd(H, compute_uv=False)[:, 0]


def _polish(f: Callable[[float], float], a: float, b: float) -> tuple[float, float]:
    """Maximise ``f`` on ``[a, b]`` (bounded Brent, to the resolution of double precision)."""
    import scipy.optimize

    res = scipy.optimize.minimize_scalar(lambda w: -f(w), bounds=(a, b), method="bounded",
                                         options={"xatol": 4 * _EPS * max(abs(a), abs(b), 1.0)})
    return float(res.x), float(-res.fun)


def hinf_norm(rnn: LinearRNN, *, target: str = "output", rtol: float = 1e-10) -> HinfNorm:
    r"""The H-infinity norm, the largest gain over all frequencies, by the level-set (symplectic pencil) method.

    For a level ``gamma``, the frequencies where ``gamma`` is a singular value of ``G(e^{i omega}) =
    C (e^{i omega} I - W)^{-1} U`` are the unit-circle eigenvalues of the symplectic pencil (with the
    balanced scaling ``B = U / sqrt(gamma)``, ``D = C / sqrt(gamma)`` so that the level is 1)

    .. math::

        \begin{pmatrix} W & B B^\top \\ 0 & -I \end{pmatrix}
        - z \begin{pmatrix} I & 0 \\ -D^\top D & -W^\top \end{pmatrix} .

    Starting from the largest gain on a grid and at the pole angles, the quadratically convergent
    iteration of Boyd-Balakrishnan-Bruinsma-Steinbuch raises the level to the largest gain between
    consecutive crossings (the midpoint, then a bounded Brent search inside that interval, which removes
    the limit that rounding in the crossing angles puts on a very sharp peak), until a level
    ``(1 + 2 rtol)`` times the best gain found has no crossing. Eigenvalues within ``1e-6`` of the unit
    circle count as crossings: a superset only costs evaluations, while a missed crossing would stop the
    iteration early. The returned value is an attained gain, so ``value <= ||H||_inf <= (1 + 2 rtol)
    value``. ``|H| = |G|`` on the unit circle, so the RNN timing does not matter.

    Parameters
    ----------
    rnn : LinearRNN
        A network with stable ``W``.
    target : {"output", "hidden"}
        Norm of the input-to-``y`` or input-to-``h`` system.
    rtol : float, default 1e-10
        Relative tolerance, in ``[1e-14, 1e-2]``.

    Returns
    -------
    HinfNorm
        The norm (``float(result)``) and the peak frequency.

    Raises
    ------
    NotStableError
        If the spectral radius of ``W`` is not below one.
    ValueError
        If ``target`` or ``rtol`` is invalid.

    Warns
    -----
    ConvergenceWarning
        If the iteration has not met ``rtol`` after 100 steps (the best gain found is returned).

    Examples
    --------
    >>> import rnnss
    >>> from rnnss.frequency import hinf_norm
    >>> nrm = hinf_norm(rnnss.LinearRNN(W=0.6, U=[[1.0]]))
    >>> round(float(nrm), 10), nrm.omega  # 1 / (1 - a) at DC
    (2.5, 0.0)
    """
    rnn = _check_rnn(rnn)
    C = _target_matrix(rnn, target)
    rtol = v.as_float("rtol", rtol)
    if not 1e-14 <= rtol <= 1e-2:
        raise ValueError(f"rtol must be in [1e-14, 1e-2]; got {rtol:g}")
    _require_stable(rnn, "the H-infinity norm")
    W, U, n = rnn.W, rnn.U, rnn.n_hidden
    schur = scipy.linalg.schur(W, output="complex")
    # Every entry of H is a ratio of polynomials of degree <= n, so a grid of more than n + 1 points on
    # which all gains vanish proves H = 0.
    angles = np.abs(np.angle(np.linalg.eigvals(W)))
    grid = np.unique(np.concatenate([np.linspace(0.0, np.pi, max(65, n + 2)), angles]))
    gains = _sigma_max(rnn, C, grid, schur) if rnn.n_inputs else np.zeros(len(grid))
    k = int(np.argmax(gains))
    best, w_best = float(gains[k]), float(grid[k])
    if best == 0.0:
        return HinfNorm(0.0, 0.0, rtol, 0)

    def gain(w: float) -> float:
        return float(_sigma_max(rnn, C, np.array([w]), schur)[0])

    for it in range(1, 101):
        gamma = (1.0 + 2.0 * rtol) * best
        B, D = U / math.sqrt(gamma), C / math.sqrt(gamma)
        M = np.block([[W, B @ B.T], [np.zeros((n, n)), -np.eye(n)]])
        N = np.block([[np.eye(n), np.zeros((n, n))], [-D.T @ D, -W.T]])
        z = scipy.linalg.eigvals(M, N)
        z = z[np.isfinite(z)]
        theta = np.unique(np.abs(np.angle(z[np.abs(np.abs(z) - 1.0) < _CIRCLE_TOL])))
        if theta.size == 0:
            return HinfNorm(best, w_best, rtol, it)
        # Between consecutive crossings sigma_max - gamma keeps its sign; 0 and pi are already below gamma.
        edges = np.unique(np.concatenate([[0.0], theta, [np.pi]]))
        mids = 0.5 * (edges[1:] + edges[:-1])
        g = _sigma_max(rnn, C, mids, schur)
        j = int(np.argmax(g))
        if g[j] <= gamma:  # the candidate crossings do not enclose a higher gain: converged
            return HinfNorm(best, w_best, rtol, it)
        best, w_best = float(g[j]), float(mids[j])
        w, val = _polish(gain, float(edges[j]), float(edges[j + 1]))
        if val > best:
            best, w_best = val, w
    warnings.warn(f"hinf_norm did not reach rtol = {rtol:g} in 100 iterations", ConvergenceWarning, stacklevel=2)
    return HinfNorm(best, w_best, rtol, 100)


# -- input spectra -------------------------------------------------------------------------------------


class _InputSpectrum:
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
class Sinusoid(_InputSpectrum):
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
    >>> from rnnss.frequency import Sinusoid
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
        c = _transfer(rnn, np.eye(rnn.n_hidden), rnn.U @ self._vector(rnn.n_inputs)[:, None], np.array([self.omega]))
        c = c[0, :, 0]
        return 0.5 * np.real(np.outer(c, c.conj()))

    def _sample(self, steps: int, batch: int, p: int, gen: np.random.Generator) -> np.ndarray:
        phi = gen.uniform(0.0, 2.0 * np.pi, batch)
        t = np.arange(1, steps + 1)
        return np.cos(self.omega * t[None, :] + phi[:, None])[:, :, None] * self._vector(p)


@dataclass(frozen=True, repr=False, eq=False)
class WhiteNoise(_InputSpectrum):
    r"""Gaussian white noise on the inputs: a flat spectrum ``S(omega) = Sigma``.

    Parameters
    ----------
    variance : float or array_like, shape (p, p)
        A scalar ``s`` means ``s I``: independent inputs of equal variance. A matrix is the covariance
        ``Sigma`` of ``x_t`` (symmetric PSD).

    Examples
    --------
    >>> from rnnss.frequency import WhiteNoise
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
        S = _solve_stein(rnn.W, U @ _input_cov("variance", self.variance, rnn.n_inputs) @ U.T)
        return 0.5 * (S + S.T)

    def _sample(self, steps: int, batch: int, p: int, gen: np.random.Generator) -> np.ndarray:
        L = _psd_sqrt(_input_cov("variance", self.variance, p))
        return gen.standard_normal((batch, steps, p)) @ L.T


@dataclass(frozen=True, repr=False, eq=False)
class ARNoise(_InputSpectrum):
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
    >>> from rnnss.frequency import ARNoise
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
        return float(_solve_stein(self._companion(), e1 @ e1.T)[0, 0])

    def _covariance(self, p: int) -> np.ndarray:
        return self._unit_variance() * _input_cov("variance", self.variance, p)

    def _hidden_covariance(self, rnn: LinearRNN) -> np.ndarray:
        # Joint state [h_t; s_t] with the companion state s_t = (a_t, .., a_{t-q+1}) (x) I_p and x_t = a_t
        # acting in the same step: h_t = W h_{t-1} + U (F s_{t-1} + G e_t), s_t = F s_{t-1} + G e_t.
        n, p, q = rnn.n_hidden, rnn.n_inputs, len(self.coeffs)
        Sigma = _input_cov("variance", self.variance, p)
        if q == 0:
            S = _solve_stein(rnn.W, rnn.U @ Sigma @ rnn.U.T)
            return 0.5 * (S + S.T)
        F = np.kron(self._companion(), np.eye(p))
        G = np.zeros((q * p, p))
        G[:p] = np.eye(p)
        A = np.block([[rnn.W, rnn.U @ F[:p]], [np.zeros((q * p, n)), F]])
        B = np.concatenate([rnn.U, G])
        S = _solve_stein(A, B @ Sigma @ B.T)[:n, :n]
        return 0.5 * (S + S.T)

    def _sample(self, steps: int, batch: int, p: int, gen: np.random.Generator) -> np.ndarray:
        L = _psd_sqrt(_input_cov("variance", self.variance, p))
        e = gen.standard_normal((batch, steps, p)) @ L.T
        q = len(self.coeffs)
        if q == 0:
            return e
        # Start the companion state in its stationary law (drawn after the innovations).
        Fc = self._companion()
        Sq = _solve_stein(Fc, np.eye(q)[:, :1] @ np.eye(q)[:1])
        s = np.einsum("qr,brp->bqp", _psd_sqrt(0.5 * (Sq + Sq.T)), gen.standard_normal((batch, q, p)) @ L.T)
        x = np.empty((batch, steps, p))
        for t in range(steps):
            new = np.einsum("q,bqp->bp", self.coeffs, s) + e[:, t]
            s = np.concatenate([new[:, None], s[:, :-1]], axis=1)
            x[:, t] = new
        return x


@dataclass(frozen=True, repr=False, eq=False)
class PSD(_InputSpectrum):
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
    >>> from rnnss.frequency import PSD, response_covariance
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
            Hh = _transfer(rnn, np.eye(rnn.n_hidden), rnn.U, np.array([w]), schur)[0]
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
    >>> from rnnss.frequency import WhiteNoise, power_spectrum
    >>> rnn = rnnss.LinearRNN(W=0.5, U=[[1.0]])
    >>> S = power_spectrum(rnn, [0.0, np.pi], WhiteNoise(1.0), target="hidden")
    >>> S.auto[:, 0]  # 1 / |1 - 0.5 e^{-i omega}|^2
    array([4.        , 0.44444444])
    """
    rnn = _check_rnn(rnn)
    if target not in _TARGETS_IN:
        raise ValueError(f"target must be 'output', 'hidden' or 'input'; got {target!r}")
    comps = _components(inputs, "inputs")
    _need_inputs(rnn, comps)
    w = _omega(rnn, omega, hz)
    p, K = rnn.n_inputs, len(w)
    Sx = sum((c._density(w, p) for c in comps), np.zeros((K, p, p), dtype=complex))
    lines = [ln for c in comps for ln in c._lines(p)]
    line_w = np.array([ln[0] for ln in lines], dtype=float)
    if target == "input":
        P = np.array([0.5 * np.outer(a, a) for _, a in lines]).reshape(len(lines), p, p)
        return Spectrum(w, Sx, line_w, P, target, rnn.dt)
    _require_stable(rnn, "a power spectrum")
    C = _target_matrix(rnn, target)
    d, n = C.shape[0], rnn.n_hidden
    L = _psd_sqrt(rnn.Q) if noise else np.zeros((n, 0))
    schur = scipy.linalg.schur(rnn.W, output="complex")
    H = _transfer(rnn, C, np.concatenate([rnn.U, L], axis=1), w, schur)  # (K, d, p + n)
    Hx, Hq = H[:, :, :p], H[:, :, p:]
    S = Hx @ Sx @ np.conj(np.swapaxes(Hx, 1, 2)) + Hq @ np.conj(np.swapaxes(Hq, 1, 2))
    if noise and target == "output":
        S = S + rnn.R
    P = np.zeros((len(lines), d, d))
    for i, (wl, a) in enumerate(lines):
        c = _transfer(rnn, C, rnn.U @ a[:, None], np.array([wl]), schur)[0, :, 0]
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
    >>> from rnnss.frequency import WhiteNoise, response_covariance
    >>> rnn = rnnss.LinearRNN(W=0.8, U=[[1.0]], Q=0.5, R=0.1)
    >>> round(float(response_covariance(rnn, WhiteNoise(1.0))[0, 0]), 12)  # 1.5 / 0.36 + 0.1
    4.266666666667
    """
    rnn = _check_rnn(rnn)
    if target not in _TARGETS_IN:
        raise ValueError(f"target must be 'output', 'hidden' or 'input'; got {target!r}")
    comps = _components(inputs, "inputs")
    _need_inputs(rnn, comps)
    if target == "input":
        p = rnn.n_inputs
        return sum((c._covariance(p) for c in comps), np.zeros((p, p)))
    _require_stable(rnn, "a stationary covariance")
    n = rnn.n_hidden
    S = np.zeros((n, n))
    for c in comps:
        S = S + c._hidden_covariance(rnn)
    if noise and np.any(rnn.Q):
        SQ = _solve_stein(rnn.W, rnn.Q)
        S = S + 0.5 * (SQ + SQ.T)
    C = _target_matrix(rnn, target)
    out = C @ S @ C.T
    if noise and target == "output":
        out = out + rnn.R
    return 0.5 * (out + out.T)


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
    peak gain over the mean gain, ``2 pi`` over the equivalent noise bandwidth -- the seeds' matched
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
    >>> from rnnss.frequency import Sinusoid, WhiteNoise, resonator, snr_gain
    >>> res = resonator(0.5, radius=0.95)
    >>> g = snr_gain(res, Sinusoid(0.5, 1.0), WhiteNoise(1.0))
    >>> round(g.input_snr, 6), round(g.gain, 3)
    (0.5, 19.556)
    """
    rnn = _check_rnn(rnn)
    if target not in _TARGETS:
        raise ValueError(f"target must be 'output' or 'hidden'; got {target!r}")
    sig, nse = _components(signal, "signal"), _components(noise, "noise")
    _snr_check(sig, nse)
    _need_inputs(rnn, sig + nse)
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


def snr_gain_mc(
    rnn: LinearRNN,
    signal: Any,
    noise: Any,
    T: int,
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
    ``[burn_in, T)``. The standard error is the jackknife over runs, which are independent.

    Parameters
    ----------
    rnn : LinearRNN
        A network with stable ``W``.
    signal, noise : Sinusoid, WhiteNoise, ARNoise or list of them
        As for :func:`snr_gain` (a :class:`PSD` cannot be sampled).
    T : int
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
        If ``T <= burn_in``, ``n_runs < 2`` or ``confidence`` is not in (0, 1); and as :func:`snr_gain`.

    Examples
    --------
    >>> from rnnss.frequency import Sinusoid, WhiteNoise, resonator, snr_gain_mc
    >>> res = resonator(0.5, radius=0.9)
    >>> mc = snr_gain_mc(res, Sinusoid(0.5), WhiteNoise(1.0), T=1000, n_runs=20, rng=1)
    >>> abs(mc.z_score) < 3
    True
    """
    rnn = _check_rnn(rnn)
    analytic = snr_gain(rnn, signal, noise, target=target, model_noise=model_noise)
    T = v.as_int("T", T, minimum=2)
    n_runs = v.as_int("n_runs", n_runs, minimum=2)
    confidence = v.as_float("confidence", confidence)
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1); got {confidence}")
    if burn_in is None:
        rho = spectral_radius(rnn)
        burn_in = 0 if rho == 0 else math.ceil(math.log(1e-8) / math.log(rho))
    burn_in = v.as_int("burn_in", burn_in, minimum=0)
    if T <= burn_in:
        raise ValueError(f"T must exceed burn_in = {burn_in} to leave a window to average over; got T = {T}")
    gen = v.as_rng(rng)
    p = rnn.n_inputs
    sig, nse = _components(signal, "signal"), _components(noise, "noise")
    xs = sum(c._sample(T, n_runs, p, gen) for c in sig)
    xn = sum(c._sample(T, n_runs, p, gen) for c in nse)
    base = dataclasses.replace(rnn, b=None, d=None, h0=None, P0=None)  # fluctuations only, from h = 0
    ts = simulate(base, x=xs, noise=False)
    tn = simulate(base, x=xn, noise=model_noise, rng=gen)
    pick = (lambda tr: tr.h) if target == "hidden" else (lambda tr: tr.y)
    win = slice(burn_in, T)

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
        T=T,
        window=(burn_in, T),
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
    r"""A two-unit resonator tuned to ``omega0``: the seeds' ``h_t = (alpha A) h_{t-1} + alpha x_t``.

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
    >>> from rnnss.frequency import poles, resonator
    >>> res = resonator(np.pi / 4, radius=0.9)
    >>> np.abs(poles(res)).round(12)
    array([0.9, 0.9])
    """
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
    >>> from rnnss.frequency import snr_optimal_rnn
    >>> opt = snr_optimal_rnn(rnnss.LinearRNN(W=0.95, Q=0.1, R=1.0))
    >>> round(opt.input_snr, 4), round(opt.output_snr, 4)
    (1.0256, 4.2562)
    """
    from .kalman import _filter_rnn, steady_state
    from .linear import stationary_covariance

    signal = _check_rnn(signal)
    _require_stable(signal, "the signal power")
    ss = steady_state(signal)
    m = signal.n_outputs
    filt = dataclasses.replace(_filter_rnn(signal, ss), V=signal.V, d=signal.d, R=np.zeros((m, m)))
    power = float(np.trace(signal.V @ stationary_covariance(signal) @ signal.V.T))
    err = signal.V @ ss.filtered_cov @ signal.V.T
    snr_in, snr_out = power / float(np.trace(signal.R)), power / float(np.trace(err))
    gain = snr_out / snr_in
    return OptimalFilter(filt, snr_in, snr_out, gain, 10.0 * math.log10(gain), 0.5 * (err + err.T))
