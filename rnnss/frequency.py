"""The LinearRNN as an LTI filter: frequency response, poles and zeros, H2 and H-infinity norms."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.linalg

from . import _validate as v
from ._linalg import solve_stein
from .exceptions import ConvergenceWarning, NumericalError
from .linear import LinearRNN, is_stable, require_stable

if TYPE_CHECKING:  # pragma: no cover
    from numpy.typing import ArrayLike

__all__ = [
    "FrequencyResponse",
    "HinfNorm",
    "frequency_response",
    "poles",
    "transmission_zeros",
    "h2_norm",
    "hinf_norm",
]

_EPS = np.finfo(float).eps
TARGETS = ("output", "hidden")

# |z - lambda| below this multiple of eps * max(1, |W|) means omega sits on a pole: the response is
# infinite there and a finite number would be rounding noise.
_POLE_HIT = 64.0

# Unit-circle test for the eigenvalues of the symplectic pencil in the H-infinity iteration. A crossing
# pair near a sharp peak is a nearly double eigenvalue, computed only to about sqrt(eps * cond): 2e-8 off
# the circle was seen at a pole of modulus 0.9999. Counting too many candidates is harmless (they only
# add gain evaluations), missing one stops the iteration early, hence a generous threshold.
_CIRCLE_TOL = 1e-6

# -- argument helpers -----------------------------------------------------------------------------------


def target_matrix(rnn: LinearRNN, target: str) -> np.ndarray:
    """The read-out ``C`` of the chosen target: ``V`` for the output, the identity for the hidden state."""
    if target == "output":
        return rnn.V
    if target == "hidden":
        return np.eye(rnn.n_hidden)
    raise ValueError(f"target must be 'output' or 'hidden'; got {target!r}")


def angular_frequencies(rnn: LinearRNN, omega: Any, hz: bool) -> np.ndarray:
    """Frequencies in rad/sample from ``omega`` (rad/sample) or, with ``hz``, cycles per unit of ``dt``."""
    w = v.as_vector("omega", omega, None)
    if w.size == 0:
        raise ValueError("omega must hold at least one frequency; got an empty array")
    return 2.0 * np.pi * rnn.dt * w if hz else w


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


def transfer_matrix(rnn: LinearRNN, C: np.ndarray, B: np.ndarray, omega: np.ndarray, schur: Any = None) -> np.ndarray:
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
    >>> from rnnss import frequency_response
    >>> fr = frequency_response(rnnss.LinearRNN(W=0.5, U=[[1.0]]), [0.0, np.pi])
    >>> fr.magnitude[:, 0, 0]  # 1 / |1 - 0.5 e^{-i omega}|
    array([2.        , 0.66666667])
    >>> fr.group_delay[:, 0, 0]  # a / (1 - a) at DC, -a / (1 + a) at Nyquist
    array([ 1.        , -0.33333333])
    """
    hz = v.as_bool("hz", hz)
    rnn = v.check_instance(rnn, LinearRNN, "rnn")
    C = target_matrix(rnn, target)
    w = angular_frequencies(rnn, omega, hz)
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
    >>> from rnnss import poles
    >>> poles(rnnss.LinearRNN(W=[[0.5, 0.0], [1.0, 0.9]]))
    array([0.9+0.j, 0.5+0.j])
    """
    lam = np.linalg.eigvals(v.check_instance(rnn, LinearRNN, "rnn").W).astype(complex)
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
    >>> from rnnss import transmission_zeros
    >>> # H(z) = z (z - 0.2) / ((z - 0.5)(z - 0.9)): zeros 0.2 (as python-control) and 0 (the advance)
    >>> rnn = rnnss.LinearRNN(W=[[0.5, 0.0], [0.0, 0.9]], U=[[1.0], [1.0]], V=[[-0.75, 1.75]])
    >>> transmission_zeros(rnn).round(12) + 0.0
    array([0.2+0.j, 0. +0.j])
    """
    rnn = v.check_instance(rnn, LinearRNN, "rnn")
    C = target_matrix(rnn, target)
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
        ``||H||_2`` (0 for a network without inputs; ``inf`` when ``W`` is not stable, marginal modes
        included -- see :func:`rnnss.is_stable` -- as python-control's ``h2norm`` does).

    Raises
    ------
    ValueError
        If ``target`` is unknown.

    Examples
    --------
    >>> import rnnss
    >>> from rnnss import h2_norm
    >>> round(h2_norm(rnnss.LinearRNN(W=0.6, U=[[1.0]])) ** 2, 12)  # 1 / (1 - a^2)
    1.5625
    """
    rnn = v.check_instance(rnn, LinearRNN, "rnn")
    C = target_matrix(rnn, target)
    if not rnn.n_inputs:
        return 0.0
    if not is_stable(rnn):
        return math.inf
    P = solve_stein(rnn.W, rnn.U @ rnn.U.T)
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
    H = transfer_matrix(rnn, C, rnn.U, omega, schur)
    return np.linalg.svd(H, compute_uv=False)[:, 0]


def _polish(f: Callable[[float], float], a: float, b: float) -> tuple[float, float]:
    """Maximise ``f`` on ``[a, b]`` (bounded Brent, to the resolution of double precision)."""
    import scipy.optimize

    res = scipy.optimize.minimize_scalar(
        lambda w: -f(w), bounds=(a, b), method="bounded", options={"xatol": 4 * _EPS * max(abs(a), abs(b), 1.0)}
    )
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
    >>> from rnnss import hinf_norm
    >>> nrm = hinf_norm(rnnss.LinearRNN(W=0.6, U=[[1.0]]))
    >>> round(float(nrm), 10), nrm.omega  # 1 / (1 - a) at DC
    (2.5, 0.0)
    """
    rnn = v.check_instance(rnn, LinearRNN, "rnn")
    C = target_matrix(rnn, target)
    rtol = v.as_float("rtol", rtol)
    if not 1e-14 <= rtol <= 1e-2:
        raise ValueError(f"rtol must be in [1e-14, 1e-2]; got {rtol:g}")
    require_stable(rnn, "the H-infinity norm")
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
