"""VARMA models and their exact equivalence with linear RNNs, both ways, plus the statsmodels VARMAX bridge."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _validate as v
from .exceptions import NotStableError, NumericalError
from .io import register_model
from .linear import LinearRNN, _check_rnn, simulate, stationary_covariance

if TYPE_CHECKING:  # pragma: no cover
    from numpy.typing import ArrayLike

__all__ = [
    "VARMA",
    "varma_to_rnn",
    "rnn_to_varma",
    "autocovariances",
    "innovation_responses",
    "varma_loglik",
    "simulate_varma",
    "to_statsmodels_params",
    "from_statsmodels",
]

# A read-out V whose condition number exceeds this is not inverted for the seed's VAR(1) elimination;
# the general innovations route is used instead (it needs no inverse of V).
_VAR1_MAX_COND = 1e10


def _blocks(name: str, value: Any, m: int, cols: int | None, *, allow_matrix: bool = False) -> tuple[np.ndarray, ...]:
    """A sequence of ``(m, cols)`` matrices as a tuple of read-only arrays (``cols=None``: any, but equal)."""
    if value is None:
        return ()
    arr = v.as_float_array(name, value)
    if arr.ndim == 1 and arr.size == 0:
        arr = arr.reshape(0, m, 0 if cols is None else cols)
    elif arr.ndim == 1 and m == 1 and cols in (1, None):
        arr = arr.reshape(-1, 1, 1)  # univariate shorthand: a list of scalars
    elif arr.ndim == 2 and allow_matrix:
        arr = arr[None]
    expected = f"({m}, {'k' if cols is None else cols})"
    if arr.ndim != 3 or arr.shape[1] != m or (cols is not None and arr.shape[2] != cols):
        hint = " (wrap a single matrix in a list, e.g. [A1])" if arr.ndim == 2 else ""
        raise v.DimensionError(
            f"{name} must be a sequence of {expected} matrices, i.e. shape (lags, {expected[1:-1]}){hint}; "
            f"got shape {v._shape_str(arr.shape)}"
        )
    v.check_finite(name, arr)
    return tuple(v.freeze(np.array(a)) for a in arr)


def _companion(blocks: tuple[np.ndarray, ...]) -> np.ndarray:
    """Block companion matrix ``[[C_1 .. C_k], [I 0 .. 0], ...]``: its eigenvalues are the inverse roots."""
    k, m = len(blocks), blocks[0].shape[0]
    C = np.zeros((k * m, k * m))
    C[:m] = np.hstack(blocks)
    C[m:, :-m] = np.eye((k - 1) * m)
    return C


def _radius(blocks: tuple[np.ndarray, ...]) -> float:
    return 0.0 if not blocks else float(np.max(np.abs(np.linalg.eigvals(_companion(blocks)))))


@register_model
@dataclass(frozen=True, eq=False, repr=False)
class VARMA:
    r"""A vector autoregressive moving-average model VARMA(p, q) with optional exogenous inputs.

    .. math::

        y_t = c + \sum_{i=1}^{p} A_i\, y_{t-i} + \varepsilon_t + \sum_{j=1}^{q} M_j\, \varepsilon_{t-j}
              + \sum_{l=0}^{s} B_l\, x_{t-l}, \qquad \varepsilon_t \sim N(0, \Sigma)\ \text{i.i.d.}

    These are statsmodels' ``VARMAX`` signs (``+A_i``, ``+M_j``; ``c`` is an intercept, not the mean).
    statsmodels allows only the contemporaneous exogenous term ``B_0 x_t``; the distributed lags
    ``B_1 .. B_s`` appear in the VARMA image of a linear RNN with inputs (:func:`rnn_to_varma`).

    Parameters
    ----------
    ar : sequence of array_like, each (m, m)
        ``[A_1, ..., A_p]`` (a (p, m, m) array works too; ``[]`` for p = 0). For ``m = 1`` a list of
        scalars is accepted.
    ma : sequence of array_like, each (m, m)
        ``[M_1, ..., M_q]`` (``[]`` for q = 0).
    sigma : array_like, shape (m, m), or scalar for m = 1
        Innovation covariance ``Sigma``, symmetric positive semi-definite. It fixes ``m``.
    intercept : array_like, shape (m,), optional
        ``c``; default zeros.
    exog : array_like, shape (m, k) or sequence of (m, k), optional
        ``B_0`` alone, or ``[B_0, B_1, ..., B_s]`` (distributed lags). Default: no inputs (``k = 0``).

    Notes
    -----
    The properties ``p``, ``q`` (orders), ``n_outputs`` (``m``) and ``n_inputs`` (``k``) describe the sizes.

    Raises
    ------
    DimensionError
        If a coefficient has the wrong shape (the message names it, the expected and the received shape).
    ValueError
        If an entry is not finite or ``sigma`` is not symmetric PSD.
    TypeError
        If an argument is not numeric.

    Examples
    --------
    >>> from rnnss.varma import VARMA
    >>> arma = VARMA(ar=[0.5], ma=[0.4], sigma=1.0)  # univariate ARMA(1, 1)
    >>> arma.p, arma.q, arma.n_outputs, arma.is_stationary, arma.is_invertible
    (1, 1, 1, True, True)
    >>> arma.impulse_responses(3)[:, 0, 0]  # psi weights 1, 0.5 + 0.4, 0.5 * 0.9
    array([1.  , 0.9 , 0.45])
    """

    ar: Any
    ma: Any
    sigma: Any
    intercept: Any = None
    exog: Any = None

    def __post_init__(self) -> None:
        sig = v.as_float_array("sigma", self.sigma)
        if sig.ndim == 0:
            sig = sig.reshape(1, 1)
        if sig.ndim != 2 or sig.shape[0] != sig.shape[1] or sig.shape[0] == 0:
            raise v.DimensionError(
                f"sigma must be a square matrix with shape (m, m), m >= 1; got shape {v._shape_str(sig.shape)}"
            )
        m = sig.shape[0]
        object.__setattr__(self, "sigma", v.freeze(v.as_psd("sigma", sig, m)))
        object.__setattr__(self, "ar", _blocks("ar", self.ar, m, m))
        object.__setattr__(self, "ma", _blocks("ma", self.ma, m, m))
        c = np.zeros(m) if self.intercept is None else v.as_vector("intercept", self.intercept, m)
        object.__setattr__(self, "intercept", v.freeze(c))
        object.__setattr__(self, "exog", _blocks("exog", self.exog, m, None, allow_matrix=True))

    # -- sizes and properties -----------------------------------------------------------------
    @property
    def p(self) -> int:
        """Autoregressive order."""
        return len(self.ar)

    @property
    def q(self) -> int:
        """Moving-average order."""
        return len(self.ma)

    @property
    def n_outputs(self) -> int:
        """Number of series ``m``."""
        return self.sigma.shape[0]

    @property
    def n_inputs(self) -> int:
        """Number of exogenous inputs ``k``."""
        return self.exog[0].shape[1] if self.exog else 0

    @property
    def ar_radius(self) -> float:
        """Spectral radius of the AR companion matrix (inverse of the smallest AR root modulus)."""
        return _radius(self.ar)

    @property
    def ma_radius(self) -> float:
        """Spectral radius of the companion of ``[-M_1 .. -M_q]`` (inverse of the smallest MA root modulus)."""
        return _radius(tuple(-M for M in self.ma))

    @property
    def is_stationary(self) -> bool:
        """Whether every root of ``det(I - A_1 z - ... - A_p z^p)`` lies outside the unit circle."""
        return self.ar_radius < 1.0

    @property
    def is_invertible(self) -> bool:
        """Whether every root of ``det(I + M_1 z + ... + M_q z^q)`` lies outside the unit circle."""
        return self.ma_radius < 1.0

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, VARMA):
            return NotImplemented
        pairs = [(self.sigma, other.sigma), (self.intercept, other.intercept)]
        for a, b in ((self.ar, other.ar), (self.ma, other.ma), (self.exog, other.exog)):
            if len(a) != len(b):
                return False
            pairs += list(zip(a, b, strict=True))
        return all(np.array_equal(a, b) for a, b in pairs)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        flags = (
            ("stationary" if self.is_stationary else "NOT stationary")
            + ", "
            + ("invertible" if self.is_invertible else "NOT invertible")
        )
        lags = f", exog lags={len(self.exog) - 1}" if len(self.exog) > 1 else ""
        return f"VARMA(p={self.p}, q={self.q}, m={self.n_outputs}, k={self.n_inputs}{lags}; {flags})"

    def summary(self) -> str:
        """A multi-line text with every coefficient matrix."""
        with np.printoptions(precision=4, suppress=True, linewidth=100):
            parts = [repr(self), f"intercept c = {self.intercept}"]
            parts += [f"A_{i + 1} =\n{A}" for i, A in enumerate(self.ar)]
            parts += [f"M_{j + 1} =\n{M}" for j, M in enumerate(self.ma)]
            parts += [f"B_{lag} =\n{B}" for lag, B in enumerate(self.exog)]
            parts.append(f"Sigma =\n{self.sigma}")
        return "\n".join(parts)

    # -- one-line conveniences ------------------------------------------------------------------
    def mean(self, x: ArrayLike | None = None) -> np.ndarray:
        """Stationary mean ``(I - sum A_i)^{-1} (c + sum_l B_l x)`` under a constant input ``x`` (default 0).

        Parameters
        ----------
        x : array_like, shape (k,), optional
            The constant input.

        Returns
        -------
        ndarray, shape (m,)
            The mean of ``y_t``.

        Raises
        ------
        NumericalError
            If ``I - sum A_i`` is singular (a unit root at ``z = 1``).
        """
        xc = np.zeros(self.n_inputs) if x is None else v.as_vector("x", x, self.n_inputs)
        M = np.eye(self.n_outputs) - sum(self.ar, np.zeros((self.n_outputs, self.n_outputs)))
        rhs = self.intercept + sum((B @ xc for B in self.exog), np.zeros(self.n_outputs))
        try:
            return np.linalg.solve(M, rhs)
        except np.linalg.LinAlgError:
            raise NumericalError("I - sum(A_i) is singular (a unit root at z = 1): the mean is not defined") from None

    def autocovariances(self, lags: int) -> np.ndarray:
        """``Cov(y_{t+k}, y_t)`` for ``k = 0..lags``; see :func:`rnnss.autocovariances`."""
        return autocovariances(self, lags)

    def impulse_responses(self, steps: int) -> np.ndarray:
        """Psi weights ``Psi_0 .. Psi_{steps-1}``; see :func:`rnnss.innovation_responses`."""
        return innovation_responses(self, steps)

    def simulate(self, steps: int | None = None, x: ArrayLike | None = None, **kwargs: Any) -> np.ndarray:
        """Draw ``y``; see :func:`rnnss.simulate_varma`."""
        return simulate_varma(self, steps, x, **kwargs)

    def loglik(self, y: ArrayLike, x: ArrayLike | None = None, **kwargs: Any) -> Any:
        """Exact Gaussian log-likelihood; see :func:`rnnss.varma_loglik`."""
        return varma_loglik(self, y, x, **kwargs)

    def to_rnn(self, **kwargs: Any) -> LinearRNN:
        """The state-space realisation; see :func:`rnnss.varma_to_rnn`."""
        return varma_to_rnn(self, **kwargs)

    def save(self, path: Any) -> None:
        """Write to ``.npz`` or ``.json``; see :func:`rnnss.save`."""
        from .io import save

        save(self, path)


def _check_varma(model: Any, name: str = "varma") -> VARMA:
    if not isinstance(model, VARMA):
        raise TypeError(f"{name} must be a rnnss.VARMA; got {type(model).__name__}")
    return model


# -- VARMA -> linear RNN -----------------------------------------------------------------------------


def _observer_form(varma: VARMA) -> dict[str, np.ndarray]:
    """Matrices of the observer (Akaike/Harvey) realisation of dimension ``m * r``, ``r = max(p, q + 1, s + 1)``."""
    m, k = varma.n_outputs, varma.n_inputs
    r = max(varma.p, varma.q + 1, len(varma.exog))
    n = m * r
    W = np.zeros((n, n))
    for i, A in enumerate(varma.ar):
        W[i * m : (i + 1) * m, :m] = A
    W[: n - m, m:] = np.eye(n - m)  # block super-diagonal identities
    G = np.zeros((n, m))
    G[:m] = np.eye(m)
    for j, M in enumerate(varma.ma):
        G[(j + 1) * m : (j + 2) * m] = M
    U = np.zeros((n, k))
    for lag, B in enumerate(varma.exog):
        U[lag * m : (lag + 1) * m] = B
    b = np.zeros(n)
    b[:m] = varma.intercept
    V = np.zeros((m, n))
    V[:, :m] = np.eye(m)
    Q = G @ varma.sigma @ G.T
    return dict(W=W, U=U, b=b, V=V, Q=0.5 * (Q + Q.T), G=G)


def varma_to_rnn(varma: VARMA, *, x0: ArrayLike | None = None) -> LinearRNN:
    r"""A linear RNN with exactly the VARMA's distribution: the observer-form state-space realisation.

    With ``r = max(p, q + 1, s + 1)`` blocks of size ``m`` (``n = m r`` hidden units),

    .. math::

        W = \begin{bmatrix} A_1 & I & & \\ A_2 & & \ddots & \\ \vdots & & & I \\
            A_r & 0 & \cdots & 0 \end{bmatrix},\quad
        \eta_t = G \varepsilon_t,\ G = \begin{bmatrix} I \\ M_1 \\ \vdots \\ M_{r-1} \end{bmatrix},\quad
        U = \begin{bmatrix} B_0 \\ \vdots \\ B_{r-1} \end{bmatrix},\quad
        b = \begin{bmatrix} c \\ 0 \\ \vdots \end{bmatrix},\quad V = [I\ 0 \cdots 0],

    (``A_i = 0`` for ``i > p``, etc.), so ``Q = G Sigma G^T`` (rank ``m``), ``R = 0`` and ``y_t = V h_t``
    is the first block of the state. Substituting the block rows into each other gives back the VARMA
    equation, so input→output responses, psi weights and autocovariances are equal exactly.

    Parameters
    ----------
    varma : VARMA
        The model.
    x0 : array_like, shape (k,), optional
        Constant input assumed before the sample, which sets the stationary mean of the prior (default 0).

    Returns
    -------
    LinearRNN
        ``n = m r`` hidden units, ``k`` inputs, ``m`` outputs, ``R = 0``. For a stationary VARMA the prior
        ``h0, P0`` is the stationary distribution, so the RNN's Kalman log-likelihood is the VARMA's exact
        likelihood; otherwise ``h0 = 0, P0 = 0`` (all pre-sample values zero).

    Raises
    ------
    TypeError
        If ``varma`` is not a VARMA.

    Examples
    --------
    >>> from rnnss.varma import VARMA, varma_to_rnn
    >>> rnn = varma_to_rnn(VARMA(ar=[0.5], ma=[0.4], sigma=1.0))
    >>> rnn.W
    array([[0.5, 1. ],
           [0. , 0. ]])
    >>> rnn.Q
    array([[1.  , 0.4 ],
           [0.4 , 0.16]])
    """
    varma = _check_varma(varma)
    ss = _observer_form(varma)
    rnn = LinearRNN(W=ss["W"], U=ss["U"], b=ss["b"], V=ss["V"], Q=ss["Q"])
    if not varma.is_stationary:
        return rnn
    xc = np.zeros(varma.n_inputs) if x0 is None else v.as_vector("x0", x0, varma.n_inputs)
    n = rnn.n_hidden
    h0 = np.linalg.solve(np.eye(n) - rnn.W, rnn.U @ xc + rnn.b)
    return dataclasses.replace(rnn, h0=h0, P0=stationary_covariance(rnn))


# -- linear RNN -> VARMA ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Innovations:
    """Steady-state innovations form ``s_{t+1} = W s_t + W K e_t + U x_{t+1} + b``, ``y_t = V s_t + d + e_t``."""

    K: np.ndarray  # (n, m): rnnss's filter gain, P V^T S^{-1}
    S: np.ndarray  # (m, m): innovation covariance
    P: np.ndarray  # (n, n): steady predicted-state covariance


def _innovations(rnn: LinearRNN) -> _Innovations:
    """The steady-state Kalman filter of ``rnn`` (R may be singular as long as ``V P V^T + R`` is not)."""
    from .kalman import steady_state

    ss = steady_state(rnn)
    return _Innovations(ss.gain, ss.innovation_cov, ss.predicted_cov)


def rnn_to_varma(rnn: LinearRNN) -> VARMA:
    r"""The VARMA model with exactly the same distribution of outputs as a stationary linear RNN.

    **No observation noise, square invertible read-out** (``R = 0``, ``m = n``): the seeds' elimination of
    the hidden state, ``h_t = V^{-1} (y_t - d)``, gives the VAR(1)

    .. math:: y_t = V W V^{-1} y_{t-1} + (I - V W V^{-1}) d + V b + V U x_t + V \eta_t,
              \qquad \Sigma = V Q V^T .

    **General case** (observation noise, ``m != n``): the steady-state Kalman filter gives the innovations
    form ``s_{t+1} = W s_t + W K e_t + U x_{t+1} + b``, ``y_t = V s_t + d + e_t`` with ``e_t ~ N(0, S)``
    white (the Wold innovations). With ``det(I - W z) = 1 + a_1 z + ... + a_n z^n`` (characteristic
    polynomial of ``W``), Cayley-Hamilton turns it into the *final-equation* VARMA(n, n) with scalar AR
    matrices:

    .. math::

        A_i = -a_i I,\quad M_j = a_j I + \sum_{i=0}^{j-1} a_i V W^{j-i} K,\quad
        B_l = \sum_{i=0}^{l} a_i V W^{l-i} U\ (l < n),\quad
        c = a(1)\, d + \sum_{l=0}^{n-1}\sum_{i=0}^{l} a_i V W^{l-i} b,\quad \Sigma = S,

    with ``a_0 = 1``. It is exact (same psi weights ``V W^k K``, autocovariances and likelihood) but in
    general not of minimal order: AR and MA polynomials share the factor ``a(z)^{m-1}``. The MA part is
    invertible because the steady-state filter ``(I - K V) W`` is stable.

    Parameters
    ----------
    rnn : LinearRNN
        The network. Its prior ``h0, P0`` is ignored: the VARMA describes the stationary process (or, for
        an unstable ``W``, the process started far in the past with zero inputs).

    Returns
    -------
    VARMA
        VAR(1) in the first case; VARMA(n, n) with exogenous lags ``0..n-1`` (if ``p > 0`` inputs) otherwise.

    Raises
    ------
    NotDetectableError, NotStabilizableError, NumericalError
        If the steady-state Kalman filter does not exist (see :func:`rnnss.steady_state`); with a singular
        ``R`` the innovation covariance ``V P V^T + R`` must be non-singular.

    Examples
    --------
    >>> import numpy as np, rnnss
    >>> from rnnss.varma import rnn_to_varma
    >>> rnn = rnnss.LinearRNN(W=[[0.5, 0.1], [0.0, 0.3]], Q=np.eye(2))  # V = I, R = 0
    >>> var = rnn_to_varma(rnn)
    >>> var.p, var.q
    (1, 0)
    >>> noisy = rnn_to_varma(rnnss.LinearRNN(W=0.9, Q=1.0, R=1.0))  # AR(1) + noise = ARMA(1, 1)
    >>> round(float(noisy.ar[0][0, 0]), 6), round(float(noisy.ma[0][0, 0]), 6)
    (0.9, -0.362333)
    """
    rnn = _check_rnn(rnn)
    n, m = rnn.n_hidden, rnn.n_outputs
    W, V, U = rnn.W, rnn.V, rnn.U
    if m == n and not np.any(rnn.R) and np.linalg.cond(V) < _VAR1_MAX_COND:
        Vinv = np.linalg.inv(V)
        A1 = V @ W @ Vinv
        sigma = V @ rnn.Q @ V.T
        c = rnn.d - A1 @ rnn.d + V @ rnn.b
        return VARMA(ar=[A1], ma=[], sigma=0.5 * (sigma + sigma.T), intercept=c, exog=[V @ U] if rnn.n_inputs else None)
    inn = _innovations(rnn)
    a = np.real(np.poly(W))  # [1, a_1, ..., a_n]: det(lambda I - W), so det(I - W z) = sum a_i z^i
    # VW[k] = V W^k, k = 0..n
    VW = [V]
    for _ in range(n):
        VW.append(VW[-1] @ W)
    eye = np.eye(m)
    ar = [-a[i] * eye for i in range(1, n + 1)]
    ma = [a[j] * eye + sum(a[i] * VW[j - i] @ inn.K for i in range(j)) for j in range(1, n + 1)]

    def lag_sum(X: np.ndarray, lag: int) -> np.ndarray:
        return sum(a[i] * VW[lag - i] @ X for i in range(lag + 1))

    exog = [lag_sum(U, lag) for lag in range(n)] if rnn.n_inputs else None
    c = a.sum() * rnn.d + sum((lag_sum(rnn.b[:, None], lag)[:, 0] for lag in range(n)), np.zeros(m))
    return VARMA(ar=ar, ma=ma, sigma=inn.S, intercept=c, exog=exog)


# -- second-order structure -------------------------------------------------------------------------


def _as_rnn(model: Any, name: str = "model") -> LinearRNN:
    if isinstance(model, VARMA):
        return varma_to_rnn(model)
    if isinstance(model, LinearRNN):
        return model
    raise TypeError(f"{name} must be a rnnss.VARMA or rnnss.LinearRNN; got {type(model).__name__}")


def autocovariances(model: VARMA | LinearRNN, lags: int) -> np.ndarray:
    r"""Exact autocovariances ``Gamma(k) = Cov(y_{t+k}, y_t)`` of the stationary output process.

    Through the state-space form: with ``P`` the stationary state covariance (``P = W P W^T + Q``, a
    Lyapunov solve), ``Gamma(0) = V P V^T + R`` and ``Gamma(k) = V W^k P V^T`` for ``k >= 1``. For a
    VARMA the observer form of :func:`varma_to_rnn` is used (``R = 0``).

    Parameters
    ----------
    model : VARMA or LinearRNN
        A stationary model.
    lags : int
        Largest lag ``K >= 0``.

    Returns
    -------
    ndarray, shape (K + 1, m, m)
        ``out[k] = Cov(y_{t+k}, y_t)``; ``out[k].T = Cov(y_t, y_{t+k})``. statsmodels'
        ``VARProcess.acf`` uses the same convention.

    Raises
    ------
    NotStableError
        If the model is not stationary.
    TypeError
        If ``model`` is neither a VARMA nor a LinearRNN.

    Examples
    --------
    >>> from rnnss.varma import VARMA, autocovariances
    >>> g = autocovariances(VARMA(ar=[0.5], ma=[], sigma=1.0), 2)[:, 0, 0]
    >>> g.round(6)  # AR(1): sigma^2 / (1 - phi^2) * phi^k
    array([1.333333, 0.666667, 0.333333])
    """
    if isinstance(model, VARMA) and not model.is_stationary:
        raise NotStableError(
            f"autocovariances need a stationary VARMA; the AR companion radius is {model.ar_radius:.6g} >= 1"
        )
    rnn = _as_rnn(model)
    lags = v.as_int("lags", lags, minimum=0)
    P = stationary_covariance(rnn)
    out = np.empty((lags + 1, rnn.n_outputs, rnn.n_outputs))
    X = P @ rnn.V.T  # W^k P V^T
    for k in range(lags + 1):
        out[k] = rnn.V @ X
        X = rnn.W @ X
    out[0] = 0.5 * (out[0] + out[0].T) + rnn.R
    return out


def innovation_responses(model: VARMA | LinearRNN, steps: int) -> np.ndarray:
    r"""Psi weights: the response of ``y_{t+k}`` to a unit innovation ``e_t`` (the Wold MA(infinity) form).

    For a VARMA, ``Psi_0 = I`` and ``Psi_k = sum_{i=1}^{min(k, p)} A_i Psi_{k-i} + M_k`` (``M_k = 0`` for
    ``k > q``) -- statsmodels' ``impulse_responses(orthogonalized=False)``. For a linear RNN the innovations
    are those of the steady-state Kalman filter and ``Psi_k = V W^k K`` (``K`` the filter gain), so a RNN and
    its :func:`rnn_to_varma` image have the same psi weights (and the same innovation covariance).

    Parameters
    ----------
    model : VARMA or LinearRNN
        The model.
    steps : int
        Number of weights ``K >= 1`` (lags ``0..K-1``).

    Returns
    -------
    ndarray, shape (K, m, m)
        ``out[k, i, j]``: response of output ``i`` at lag ``k`` to a unit innovation in component ``j``.

    Raises
    ------
    TypeError
        If ``model`` is neither a VARMA nor a LinearRNN.
    NotDetectableError, NotStabilizableError, NumericalError
        For a LinearRNN without a steady-state Kalman filter.

    Examples
    --------
    >>> from rnnss.varma import VARMA, innovation_responses
    >>> innovation_responses(VARMA(ar=[0.5], ma=[], sigma=1.0), 4)[:, 0, 0]
    array([1.   , 0.5  , 0.25 , 0.125])
    """
    steps = v.as_int("steps", steps, minimum=1)
    if isinstance(model, VARMA):
        m = model.n_outputs
        psi = np.zeros((steps, m, m))
        psi[0] = np.eye(m)
        for k in range(1, steps):
            acc = model.ma[k - 1].copy() if k <= model.q else np.zeros((m, m))
            for i in range(1, min(k, model.p) + 1):
                acc += model.ar[i - 1] @ psi[k - i]
            psi[k] = acc
        return psi
    rnn = _as_rnn(model)
    inn = _innovations(rnn)
    out = np.empty((steps, rnn.n_outputs, rnn.n_outputs))
    out[0] = np.eye(rnn.n_outputs)
    X = rnn.W @ inn.K
    for k in range(1, steps):
        out[k] = rnn.V @ X
        X = rnn.W @ X
    return out


# -- likelihood and simulation -------------------------------------------------------------------------


def varma_loglik(varma: VARMA, y: ArrayLike, x: ArrayLike | None = None, *, x0: ArrayLike | None = None) -> Any:
    r"""Exact Gaussian log-likelihood ``log p(y_1..y_T)`` of a stationary VARMA.

    Computed by the Kalman filter (:func:`rnnss.kalman_filter`) on :func:`varma_to_rnn`, whose prior is the
    stationary distribution: the pre-sample values are integrated out, nothing is conditioned on. This is
    statsmodels ``VARMAX``'s likelihood (it also initialises at the stationary distribution) -- except with
    exogenous inputs, where statsmodels centres the first state at the stationary mean under ``x_2``
    (its ``state_intercept[:, 0]``) while rnnss uses the constant pre-sample input ``x0`` (default 0).

    Parameters
    ----------
    varma : VARMA
        A stationary model.
    y : array_like, shape (T, m), (T,) if m == 1, or (batch, T, m)
        Observations; NaN marks missing values (whole rows or single components).
    x : array_like, shape (T, k) or (batch, T, k), optional
        Exogenous inputs, required when ``k > 0``.
    x0 : array_like, shape (k,), optional
        Constant input before the sample (sets the stationary mean of the pre-sample state).

    Returns
    -------
    float or ndarray, shape (batch,)
        The log-likelihood of the observed entries.

    Raises
    ------
    NotStableError
        If the VARMA is not stationary (no stationary initialisation exists).
    NumericalError
        If ``sigma`` is singular (the likelihood is degenerate).
    DimensionError
        If ``y`` or ``x`` has the wrong shape.

    Examples
    --------
    >>> import numpy as np
    >>> from rnnss.varma import VARMA, varma_loglik
    >>> ar1 = VARMA(ar=[0.5], ma=[], sigma=1.0)
    >>> ll = varma_loglik(ar1, [0.3, -0.2])
    >>> ref = -np.log(2 * np.pi) - 0.5 * np.log(4 / 3) - 0.5 * (0.3**2 * 0.75 + (-0.2 - 0.15) ** 2)
    >>> bool(np.isclose(ll, ref))
    True
    """
    from .kalman import kalman_filter

    varma = _check_varma(varma)
    if not varma.is_stationary:
        raise NotStableError(
            f"the exact likelihood with stationary initialisation needs a stationary VARMA; the AR companion radius "
            f"is {varma.ar_radius:.6g} >= 1"
        )
    return kalman_filter(varma_to_rnn(varma, x0=x0), y, x, store_covariances=False).loglik


def simulate_varma(
    varma: VARMA,
    steps: int | None = None,
    x: ArrayLike | None = None,
    *,
    batch: int | None = None,
    x0: ArrayLike | None = None,
    rng: Any = None,
) -> np.ndarray:
    """Draw a sample path of the VARMA, started exactly from its stationary distribution (no burn-in).

    Runs :func:`rnnss.simulate` on :func:`varma_to_rnn`, whose prior is the stationary distribution; a
    non-stationary VARMA starts from zero pre-sample values.

    Parameters
    ----------
    varma : VARMA
        The model.
    steps : int, optional
        ``T``; required when there are no inputs, otherwise read from ``x``.
    x : array_like, shape (T, k) or (batch, T, k), optional
        Exogenous inputs.
    batch : int, optional
        Number of independent paths.
    x0 : array_like, shape (k,), optional
        Constant pre-sample input (sets the stationary mean).
    rng : numpy.random.Generator or int, optional
        Random source.

    Returns
    -------
    ndarray, shape (T, m) or (batch, T, m)
        The simulated ``y``.

    Examples
    --------
    >>> from rnnss.varma import VARMA, simulate_varma
    >>> y = simulate_varma(VARMA(ar=[0.5], ma=[0.4], sigma=1.0), 5, rng=0)
    >>> y.shape
    (5, 1)
    """
    varma = _check_varma(varma)
    return simulate(varma_to_rnn(varma, x0=x0), steps, x, batch=batch, rng=rng).y


# -- statsmodels VARMAX bridge ---------------------------------------------------------------------------


def to_statsmodels_params(varma: VARMA, *, trend: str = "c") -> np.ndarray:
    """The parameter vector of statsmodels ``VARMAX(order=(p, q), trend=trend)`` for this VARMA.

    Ordering (statsmodels' ``param_names``): intercepts (``trend="c"``), AR (row ``i`` of
    ``[A_1 .. A_p]`` per equation ``i``), MA likewise, exogenous ``B_0`` row by row, then the lower
    Cholesky factor of ``Sigma`` row by row (``error_cov_type="unstructured"``, the default). Use it with
    ``model.loglike(params)`` (``transformed=True``, the default) on a model built with
    ``measurement_error=False`` (the default).

    Parameters
    ----------
    varma : VARMA
        The model; ``Sigma`` must be positive definite and exogenous inputs contemporaneous only.
    trend : {"c", "n"}
        Whether the statsmodels model has a constant (``"c"``) or none (``"n"``; then ``c`` must be 0).

    Returns
    -------
    ndarray, shape (k_params,)
        The parameters in statsmodels' order.

    Raises
    ------
    ValueError
        For an unknown trend, a non-zero intercept with ``trend="n"``, lagged exogenous terms, or a
        singular ``Sigma``.

    Examples
    --------
    >>> from rnnss.varma import VARMA, to_statsmodels_params
    >>> to_statsmodels_params(VARMA(ar=[0.5], ma=[0.4], sigma=4.0, intercept=[1.0]))
    array([1. , 0.5, 0.4, 2. ])
    """
    varma = _check_varma(varma)
    if trend not in ("c", "n"):
        raise ValueError(f"trend must be 'c' or 'n' (statsmodels VARMAX trends rnnss can represent); got {trend!r}")
    if trend == "n" and np.any(varma.intercept):
        raise ValueError("trend='n' drops the intercept, but this VARMA has a non-zero intercept c; use trend='c'")
    if len(varma.exog) > 1:
        raise ValueError(
            f"statsmodels VARMAX has only the contemporaneous exogenous term B_0 x_t; this VARMA has exogenous lags "
            f"up to {len(varma.exog) - 1}"
        )
    try:
        L = np.linalg.cholesky(varma.sigma)
    except np.linalg.LinAlgError:
        raise ValueError(
            "statsmodels parameterises Sigma by its Cholesky factor; Sigma must be positive definite"
        ) from None
    m = varma.n_outputs
    parts = [varma.intercept] if trend == "c" else []
    parts.append(np.hstack(varma.ar).ravel() if varma.p else np.zeros(0))
    parts.append(np.hstack(varma.ma).ravel() if varma.q else np.zeros(0))
    parts.append(varma.exog[0].ravel() if varma.exog else np.zeros(0))
    parts.append(L[np.tril_indices(m)])
    return np.concatenate(parts)


def from_statsmodels(results_or_model: Any, params: ArrayLike | None = None) -> VARMA:
    """The VARMA of a statsmodels ``VARMAX`` model (or fitted results) at given parameters.

    Parameters
    ----------
    results_or_model : VARMAXResults or VARMAX
        A fitted result (its ``params`` are used unless ``params`` is given) or a model.
    params : array_like, shape (k_params,), optional
        Constrained parameters in statsmodels' order (as for ``loglike(params)``); required with a model.

    Returns
    -------
    VARMA
        With ``Sigma = L L^T`` from the Cholesky parameters (or the diagonal for
        ``error_cov_type="diagonal"``).

    Raises
    ------
    TypeError
        If the object is not a VARMAX model or results, or ``params`` is missing for a model.
    ValueError
        If the model has measurement error, a non-constant trend, or ``params`` has the wrong length.
    """
    from statsmodels.tsa.statespace.varmax import VARMAX

    model = getattr(results_or_model, "model", results_or_model)
    if not isinstance(model, VARMAX):
        raise TypeError(
            f"results_or_model must be a statsmodels VARMAX model or its results; got {type(results_or_model).__name__}"
        )
    if params is None:
        if model is results_or_model:
            raise TypeError("params is required when a VARMAX model (not a fitted result) is given")
        params = results_or_model.params
    theta = v.as_float_array("params", params)
    if theta.shape != (model.k_params,):
        raise v.DimensionError(
            f"params must have shape ({model.k_params},) for this VARMAX; got {v._shape_str(theta.shape)}"
        )
    if model.measurement_error:
        raise ValueError("VARMAX with measurement_error=True adds observation noise, which a VARMA does not have")
    if model.k_trend > 1 or (model.k_trend == 1 and not model._trend_is_const):
        raise ValueError(f"only trend='c' or 'n' maps to a VARMA intercept; this model has trend={model.trend!r}")
    m, p, q, k = model.k_endog, model.k_ar, model.k_ma, model.k_exog
    pos = 0

    def take(size: int) -> np.ndarray:
        nonlocal pos
        out = theta[pos : pos + size]
        pos += size
        return out

    c = take(m) if model.k_trend else np.zeros(m)
    ar = take(m * m * p).reshape(m, m * p)
    ma = take(m * m * q).reshape(m, m * q)
    B = take(m * k).reshape(m, k)
    if model.error_cov_type == "diagonal":
        sigma = np.diag(take(m))
    else:
        L = np.zeros((m, m))
        L[np.tril_indices(m)] = take(m * (m + 1) // 2)
        sigma = L @ L.T
    return VARMA(
        ar=[ar[:, i * m : (i + 1) * m] for i in range(p)],
        ma=[ma[:, j * m : (j + 1) * m] for j in range(q)],
        sigma=sigma,
        intercept=c,
        exog=B if k else None,
    )
