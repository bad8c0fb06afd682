"""Discretisation of continuous-time linear models: Euler and zero-order hold, with the Euler stability limit."""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING

import numpy as np
import scipy.linalg

from . import _validate as v
from .linear import LinearRNN

if TYPE_CHECKING:  # pragma: no cover
    from numpy.typing import ArrayLike

__all__ = ["from_continuous", "euler_max_step"]


def euler_max_step(J: ArrayLike) -> float:
    r"""The largest step for which forward Euler, ``W = I + dt J``, is stable.

    For an eigenvalue ``lambda = a + i omega`` of ``J`` with ``a < 0``, ``|1 + dt lambda| < 1`` iff
    ``dt < -2 a / |lambda|^2``; the bound is the minimum over eigenvalues. Past it the discrete RNN
    explodes although the continuous system decays: exploding gradients pictured as an
    unstable Euler step.

    Parameters
    ----------
    J : array_like, shape (n, n)
        Continuous-time dynamics ``dh/dt = J h``.

    Returns
    -------
    float
        The supremum of stable steps; ``0.0`` if ``J`` has an eigenvalue with ``Re >= 0`` (no Euler
        step is asymptotically stable because the ODE itself is not).

    Examples
    --------
    >>> import rnnss
    >>> rnnss.euler_max_step([[-10.0]])
    0.2
    """
    J = v.as_square("J", J)
    lam = np.linalg.eigvals(J)
    if np.any(lam.real >= 0):
        return 0.0
    return float(np.min(-2.0 * lam.real / np.abs(lam) ** 2))


def _power_of_two(x: float) -> float:
    """The power of two in ``(x / 2, x]`` for ``x > 0``: dividing and multiplying by it is exact."""
    return math.ldexp(1.0, math.frexp(x)[1] - 1)


def _expm(M: np.ndarray) -> np.ndarray:
    # Overflow is reported by the caller, naming the caller's fields, not as a RuntimeWarning from SciPy.
    with np.errstate(over="ignore", invalid="ignore"):
        return scipy.linalg.expm(M)  # type: ignore[no-any-return]


def _zoh(J: np.ndarray, B: np.ndarray, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """``e^{J dt}`` and ``int_0^dt e^{J s} ds B`` from one block exponential (Van Loan).

    The integral is linear in each column of ``B``, so each column is scaled by a power of two to unit
    size and scaled back: a huge input matrix does not inflate the norm of the block matrix (which would
    cost the exponential's scaling-and-squaring its accuracy), and the result scales exactly.
    """
    n, p = B.shape
    col = np.max(np.abs(B), axis=0, initial=0.0)
    scale = np.array([_power_of_two(c) if c > 0 else 1.0 for c in col])
    M = np.zeros((n + p, n + p))
    M[:n, :n], M[:n, n:] = J, B / scale
    with np.errstate(over="ignore", invalid="ignore"):
        E = _expm(M * dt)
        return E[:n, :n], E[:n, n:] * scale


def _zoh_noise(J: np.ndarray, Qc: np.ndarray, dt: float) -> np.ndarray:
    """``int_0^dt e^{J s} Qc e^{J^T s} ds`` (Van Loan, 1978), computed for ``Qc`` scaled to unit size.

    The integral is linear in ``Qc``: it is computed for ``Qc / s`` with ``s`` a power of two near
    ``max |Qc|`` and multiplied back by ``s``, both exactly. Without this a huge ``Qc`` (1e120) dominates
    the norm of the block matrix and the exponential loses digits (4.5% at 1e120).
    """
    n = J.shape[0]
    top = float(np.max(np.abs(Qc), initial=0.0))
    if top == 0.0:
        return np.zeros((n, n))
    s = _power_of_two(top)
    M = np.zeros((2 * n, 2 * n))
    M[:n, :n], M[:n, n:], M[n:, n:] = -J, Qc / s, J.T
    with np.errstate(over="ignore", invalid="ignore"):
        E = _expm(M * dt)
        Qd = E[n:, n:].T @ E[:n, n:]
        return s * (0.5 * (Qd + Qd.T))


def from_continuous(
    J: ArrayLike,
    B: ArrayLike | None = None,
    *,
    dt: float,
    method: str = "zoh",
    C: ArrayLike | None = None,
    b: ArrayLike | None = None,
    d: ArrayLike | None = None,
    Qc: ArrayLike | None = None,
    R: ArrayLike | None = None,
    h0: ArrayLike | None = None,
    P0: ArrayLike | None = None,
) -> LinearRNN:
    r"""Discretise ``dh/dt = J h + B u + b + w(t)``, ``y = C h + d + eps`` into a LinearRNN.

    Parameters
    ----------
    J : array_like, shape (n, n)
        Continuous-time dynamics.
    B : array_like, shape (n, p), optional
        Input matrix (default: no input).
    dt : float
        Sampling interval (> 0).
    method : {"zoh", "euler"}
        ``"zoh"``: exact for inputs held constant over each interval — ``W = e^{J dt}``,
        ``U = int_0^dt e^{J s} ds B`` (and ``b`` likewise), ``Q = int_0^dt e^{J s} Qc e^{J^T s} ds``.
        ``"euler"``: forward Euler — ``W = I + dt J``, ``U = dt B``, ``b -> dt b``, ``Q = dt Qc``
        (Euler-Maruyama); stable only for ``dt < euler_max_step(J)``.
    C : array_like, shape (m, n), optional
        Read-out (default identity).
    b : array_like, shape (n,), optional
        Constant drift of the ODE.
    d : array_like, shape (m,), optional
        Output bias.
    Qc : array_like, shape (n, n), optional
        Spectral density of the white process noise ``w(t)`` (PSD).
    R, h0, P0 : array_like, optional
        Observation-noise covariance and prior of the discrete model, used as given.

    Returns
    -------
    LinearRNN
        The discrete network with ``dt`` set.

    Raises
    ------
    ValueError
        For an unknown ``method``, a non-positive ``dt`` or invalid matrices.

    Warns
    -----
    UserWarning
        With ``method="euler"`` when ``J`` is stable but ``dt >= euler_max_step(J)``: the discrete
        network is unstable although the ODE is not.

    Examples
    --------
    >>> import rnnss
    >>> rnn = rnnss.from_continuous([[-1.0]], [[1.0]], dt=0.1, method="euler")
    >>> rnn.W, rnn.U
    (array([[0.9]]), array([[0.1]]))
    """
    J = v.as_square("J", J)
    n = J.shape[0]
    dt = v.as_float("dt", dt, positive=True)
    method = v.as_choice("method", method, ("zoh", "euler"))
    Bm = np.zeros((n, 0)) if B is None else v.as_matrix("B", B, (n, None))
    bc = np.zeros(n) if b is None else v.as_vector("b", b, n)
    Qcm = np.zeros((n, n)) if Qc is None else v.as_psd("Qc", Qc, n)
    # The read-out and priors are checked here under the caller's names (C, not the network's V).
    Cm = np.eye(n) if C is None else v.as_matrix("C", C, (None, n))
    m = Cm.shape[0]
    if m == 0:
        raise v.DimensionError(f"C must have at least one output row; got shape (0, {n})")
    dm = None if d is None else v.as_vector("d", d, m)
    Rm = None if R is None else v.as_psd("R", R, m)
    h0m = None if h0 is None else v.as_vector("h0", h0, n)
    P0m = None if P0 is None else v.as_psd("P0", P0, n)
    if method == "euler":
        lim = euler_max_step(J)
        if lim > 0 and dt >= lim:
            warnings.warn(
                f"Euler step dt = {dt:g} is at or above the stability limit {lim:.6g} of this stable J: the "
                "discrete network is unstable although the continuous system decays",
                UserWarning,
                stacklevel=2,
            )
        with np.errstate(over="ignore", invalid="ignore"):
            W, U, bd, Q = np.eye(n) + dt * J, dt * Bm, dt * bc, dt * Qcm
    else:
        W, G = _zoh(J, np.column_stack([Bm, bc]), dt)
        U, bd = G[:, :-1], G[:, -1]
        Q = _zoh_noise(J, Qcm, dt)
    for name, arr, what in (("W", W, "J"), ("U", U, "B"), ("b", bd, "b"), ("Q", Q, "Qc")):
        if not np.all(np.isfinite(arr)):
            raise ValueError(
                f"discretising with method={method!r} and dt = {dt:g} overflows float64 in the discrete {name} "
                f"(computed from {'J' if what == 'J' else what + ', J'} and dt): use a smaller dt"
                + (f" or a smaller {what}" if what != "J" else "")
            )
    return LinearRNN(W=W, U=U, b=bd, V=Cm, d=dm, Q=Q, R=Rm, h0=h0m, P0=P0m, dt=dt)
