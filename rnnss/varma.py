"""The VARMA model, its algebra, and its exact state-space realisation as a linear RNN (and simulation through it)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _validate as v
from ._linalg import companion_radius
from ._model import Model, register_model
from .exceptions import NumericalError
from .linear import LinearRNN, simulate, stationary_covariance

if TYPE_CHECKING:  # pragma: no cover
    from numpy.typing import ArrayLike

__all__ = ["VARMA", "varma_to_rnn"]


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
            f"got shape {v.shape_str(arr.shape)}"
        )
    v.check_finite(name, arr)
    return tuple(v.freeze(np.array(a)) for a in arr)


@register_model
@dataclass(frozen=True, eq=False, repr=False)
class VARMA(Model):
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

    Raises
    ------
    DimensionError
        If a coefficient has the wrong shape (the message names it, the expected and the received shape).
    ValueError
        If an entry is not finite or ``sigma`` is not symmetric PSD.
    TypeError
        If an argument is not numeric.

    Notes
    -----
    The properties ``p``, ``q`` (orders), ``n_outputs`` (``m``) and ``n_inputs`` (``k``) describe the sizes.

    Examples
    --------
    >>> from rnnss import VARMA
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
                f"sigma must be a square matrix with shape (m, m), m >= 1; got shape {v.shape_str(sig.shape)}"
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
        return companion_radius(self.ar)

    @property
    def ma_radius(self) -> float:
        """Spectral radius of the companion of ``[-M_1 .. -M_q]`` (inverse of the smallest MA root modulus)."""
        return companion_radius([-M for M in self.ma])

    @property
    def is_stationary(self) -> bool:
        """Whether every root of ``det(I - A_1 z - ... - A_p z^p)`` lies outside the unit circle."""
        return self.ar_radius < 1.0

    @property
    def is_invertible(self) -> bool:
        """Whether every root of ``det(I + M_1 z + ... + M_q z^q)`` lies outside the unit circle."""
        return self.ma_radius < 1.0

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
        from .varma_rnn import autocovariances

        return autocovariances(self, lags)

    def impulse_responses(self, steps: int) -> np.ndarray:
        """Psi weights ``Psi_0 .. Psi_{steps-1}``; see :func:`rnnss.innovation_responses`."""
        from .varma_rnn import innovation_responses

        return innovation_responses(self, steps)

    def simulate(self, steps: int | None = None, x: ArrayLike | None = None, **kwargs: Any) -> np.ndarray:
        """Deprecated: draw ``y`` only; use ``rnnss.simulate(varma, ...)``, which returns a Trajectory."""
        import warnings

        warnings.warn(
            "VARMA.simulate is deprecated; use rnnss.simulate(varma, ...).y (removed in rnnss 0.3)",
            DeprecationWarning,
            stacklevel=2,
        )
        return simulate_varma(self, steps, x, **kwargs)

    def loglik(self, y: ArrayLike, x: ArrayLike | None = None, **kwargs: Any) -> Any:
        """Exact Gaussian log-likelihood; see :func:`rnnss.varma_loglik`."""
        from .varma_rnn import varma_loglik

        return varma_loglik(self, y, x, **kwargs)

    def to_rnn(self, **kwargs: Any) -> LinearRNN:
        """The state-space realisation; see :func:`rnnss.varma_to_rnn`."""
        return varma_to_rnn(self, **kwargs)


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
    >>> from rnnss import VARMA, varma_to_rnn
    >>> rnn = varma_to_rnn(VARMA(ar=[0.5], ma=[0.4], sigma=1.0))
    >>> rnn.W
    array([[0.5, 1. ],
           [0. , 0. ]])
    >>> rnn.Q
    array([[1.  , 0.4 ],
           [0.4 , 0.16]])
    """
    varma = v.check_instance(varma, VARMA, "varma")
    ss = _observer_form(varma)
    rnn = LinearRNN(W=ss["W"], U=ss["U"], b=ss["b"], V=ss["V"], Q=ss["Q"])
    if not varma.is_stationary:
        return rnn
    xc = np.zeros(varma.n_inputs) if x0 is None else v.as_vector("x0", x0, varma.n_inputs)
    n = rnn.n_hidden
    h0 = np.linalg.solve(np.eye(n) - rnn.W, rnn.U @ xc + rnn.b)
    return dataclasses.replace(rnn, h0=h0, P0=stationary_covariance(rnn))


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
    >>> import rnnss
    >>> y = rnnss.varma.simulate_varma(rnnss.VARMA(ar=[0.5], ma=[0.4], sigma=1.0), 5, rng=0)
    >>> y.shape
    (5, 1)
    """
    varma = v.check_instance(varma, VARMA, "varma")
    return simulate(varma_to_rnn(varma, x0=x0), steps, x, batch=batch, rng=rng).y
