"""The VARMA model (standard or echelon form), its algebra, and its exact realisation as a linear RNN."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _validate as v
from ._linalg import companion_radius, solve_stein_schur, symmetrize
from ._model import Model, register_model
from .echelon import as_indices, echelon_structure
from .exceptions import NumericalError
from .linear import LinearRNN, simulate, stationary_covariance

if TYPE_CHECKING:  # pragma: no cover
    from numpy.typing import ArrayLike

__all__ = ["VARMA", "varma_to_rnn", "varma_standard_form"]

# A leading matrix A_0 whose condition number exceeds this is refused: the standard form A_0^{-1} A_i would
# carry fewer than about four significant digits.
A0_MAX_COND = 1e12


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
    r"""A vector autoregressive moving-average model VARMA(p, q), in standard or echelon form, with optional inputs.

    .. math::

        A_0 y_t = c + \sum_{i=1}^{p} A_i\, y_{t-i} + A_0 \varepsilon_t + \sum_{j=1}^{q} M_j\, \varepsilon_{t-j}
              + \sum_{l=0}^{s} B_l\, x_{t-l}, \qquad \varepsilon_t \sim N(0, \Sigma)\ \text{i.i.d.}

    With the default ``A_0 = I`` these are statsmodels' ``VARMAX`` signs (``+A_i``, ``+M_j``; ``c`` is an
    intercept, not the mean). ``A_0`` multiplies both ``y_t`` and ``epsilon_t``, so ``epsilon_t`` is always
    the one-step prediction error (the Wold innovation) with covariance ``Sigma`` -- Lütkepohl's echelon
    form ARMA\ :sub:`E` (``M_0 = A_0``). statsmodels allows only the contemporaneous exogenous term
    ``B_0 x_t``; the distributed lags ``B_1 .. B_s`` appear in the VARMA image of a linear RNN with inputs
    (:func:`rnn_to_varma`).

    **Echelon form.** With ``kronecker_indices = (p_1, ..., p_m)`` the model is the identified echelon form
    of those indices (:func:`rnnss.echelon_structure`): ``p = q = max p_k``, ``A_0`` lower triangular with
    unit diagonal, and every coefficient outside the echelon pattern exactly zero (checked here; exogenous
    rows ``k`` have degree ``p_k`` too). :func:`rnnss.rnn_to_varma` ``(rnn, form="echelon")`` and
    :func:`rnnss.echelon_form` build such models; :func:`rnnss.fit_varma_rnn` estimates them.

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
    a0 : array_like, shape (m, m), optional
        The leading matrix ``A_0`` (non-singular); default the identity.
    kronecker_indices : sequence of int, length m, optional
        Declares the echelon form of these Kronecker indices (None: unrestricted coefficients).

    Raises
    ------
    DimensionError
        If a coefficient has the wrong shape (the message names it, the expected and the received shape),
        or ``kronecker_indices`` does not fit the orders.
    ValueError
        If an entry is not finite, ``sigma`` is not symmetric PSD, ``a0`` is singular, or a coefficient
        breaks the echelon pattern of ``kronecker_indices``.
    TypeError
        If an argument is not numeric.

    Notes
    -----
    The properties ``p``, ``q`` (orders), ``n_outputs`` (``m``) and ``n_inputs`` (``k``) describe the sizes.
    :func:`varma_standard_form` divides ``A_0`` out (the same process with ``A_0 = I``).

    Examples
    --------
    >>> from rnnss import VARMA
    >>> arma = VARMA(ar=[0.5], ma=[0.4], sigma=1.0)  # univariate ARMA(1, 1)
    >>> arma.p, arma.q, arma.n_outputs, arma.is_stationary, arma.is_invertible
    (1, 1, 1, True, True)
    >>> arma.impulse_responses(3)[:, 0, 0]  # psi weights 1, 0.5 + 0.4, 0.5 * 0.9
    array([1.  , 0.9 , 0.45])
    >>> ech = VARMA(ar=[[[0.5, 0.0], [0.0, 0.0]]], ma=[[[0.3, 0.1], [0.0, 0.0]]], sigma=[[1.0, 0.2], [0.2, 1.0]],
    ...             a0=[[1.0, 0.0], [-0.4, 1.0]], kronecker_indices=(1, 0))
    >>> ech
    VARMA(p=1, q=1, m=2, k=0; echelon form, Kronecker indices (1, 0); stationary, invertible)
    """

    ar: Any
    ma: Any
    sigma: Any
    intercept: Any = None
    exog: Any = None
    a0: Any = None
    kronecker_indices: Any = None

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
        a0 = np.eye(m) if self.a0 is None else v.as_matrix("a0", self.a0, (m, m), allow_scalar=m == 1)
        v.check_finite("a0", a0)
        s = np.linalg.svd(a0, compute_uv=False)
        if not s[-1] > 0 or s[0] / s[-1] > A0_MAX_COND:
            raise ValueError(
                f"a0 must be non-singular (condition number at most {A0_MAX_COND:g}); got singular values "
                f"{s[0]:.3g} .. {s[-1]:.3g}"
            )
        object.__setattr__(self, "a0", v.freeze(a0))
        if self.kronecker_indices is not None:
            object.__setattr__(self, "kronecker_indices", as_indices(self.kronecker_indices, m))
            _check_echelon(self)

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
    def is_echelon(self) -> bool:
        """Whether the model declares an echelon form (``kronecker_indices`` is set)."""
        return self.kronecker_indices is not None

    @property
    def has_a0(self) -> bool:
        """Whether the leading matrix ``A_0`` differs from the identity."""
        return not np.array_equal(self.a0, np.eye(self.n_outputs))

    @property
    def ar_radius(self) -> float:
        """Spectral radius of the AR companion matrix of ``A_0^{-1} A_i`` (inverse of the smallest AR root modulus)."""
        return companion_radius(_divide_a0(self, self.ar))

    @property
    def ma_radius(self) -> float:
        """Spectral radius of the companion of ``-A_0^{-1} M_j`` (inverse of the smallest MA root modulus)."""
        return companion_radius([-M for M in _divide_a0(self, self.ma)])

    @property
    def is_stationary(self) -> bool:
        """Whether every root of ``det(A_0 - A_1 z - ... - A_p z^p)`` lies outside the unit circle."""
        return self.ar_radius < 1.0

    @property
    def is_invertible(self) -> bool:
        """Whether every root of ``det(A_0 + M_1 z + ... + M_q z^q)`` lies outside the unit circle."""
        return self.ma_radius < 1.0

    def __repr__(self) -> str:
        flags = (
            ("stationary" if self.is_stationary else "NOT stationary")
            + ", "
            + ("invertible" if self.is_invertible else "NOT invertible")
        )
        lags = f", exog lags={len(self.exog) - 1}" if len(self.exog) > 1 else ""
        form = ""
        if self.is_echelon:
            form = f"; echelon form, Kronecker indices {self.kronecker_indices}"
        elif self.has_a0:
            form = "; leading matrix A_0"
        return f"VARMA(p={self.p}, q={self.q}, m={self.n_outputs}, k={self.n_inputs}{lags}{form}; {flags})"

    def summary(self) -> str:
        """A multi-line text with every coefficient matrix."""
        with np.printoptions(precision=4, suppress=True, linewidth=100):
            parts = [repr(self), f"intercept c = {self.intercept}"]
            if self.has_a0 or self.is_echelon:
                parts.append(f"A_0 =\n{self.a0}")
            parts += [f"A_{i + 1} =\n{A}" for i, A in enumerate(self.ar)]
            parts += [f"M_{j + 1} =\n{M}" for j, M in enumerate(self.ma)]
            parts += [f"B_{lag} =\n{B}" for lag, B in enumerate(self.exog)]
            parts.append(f"Sigma =\n{self.sigma}")
        return "\n".join(parts)

    # -- one-line conveniences ------------------------------------------------------------------
    def mean(self, x: ArrayLike | None = None) -> np.ndarray:
        """Stationary mean ``(A_0 - sum A_i)^{-1} (c + sum_l B_l x)`` under a constant input ``x`` (default 0).

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
            If ``A_0 - sum A_i`` is singular (a unit root at ``z = 1``).
        """
        xc = np.zeros(self.n_inputs) if x is None else v.as_vector("x", x, self.n_inputs)
        M = self.a0 - sum(self.ar, np.zeros((self.n_outputs, self.n_outputs)))
        rhs = self.intercept + sum((B @ xc for B in self.exog), np.zeros(self.n_outputs))
        try:
            return np.linalg.solve(M, rhs)
        except np.linalg.LinAlgError:
            raise NumericalError("A_0 - sum(A_i) is singular (a unit root at z = 1): the mean is not defined") from None

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

    def standard_form(self) -> VARMA:
        """The same process with ``A_0 = I``; see :func:`rnnss.varma_standard_form`."""
        return varma_standard_form(self)


def _divide_a0(varma: VARMA, blocks: tuple[np.ndarray, ...]) -> list[np.ndarray]:
    """``[A_0^{-1} X for X in blocks]`` (the blocks unchanged when ``A_0 = I``)."""
    if not varma.has_a0:
        return list(blocks)
    return [np.linalg.solve(varma.a0, X) for X in blocks]


def _check_echelon(varma: VARMA) -> None:
    """Raise unless every coefficient of ``varma`` fits the echelon pattern of its Kronecker indices."""
    idx = varma.kronecker_indices
    st = echelon_structure(idx)
    if varma.p != st.order or varma.q != st.order:
        raise v.DimensionError(
            f"an echelon-form VARMA with Kronecker indices {idx} has AR and MA orders p = q = max index = "
            f"{st.order}; got p = {varma.p}, q = {varma.q} (pad with zero matrices)"
        )
    a0 = varma.a0
    eye = np.eye(st.n_outputs, dtype=bool)
    where = "the echelon form of Kronecker indices " + str(idx)
    bad = np.argwhere(eye & (a0 != 1.0))
    if bad.size:
        r = bad[0][0]
        raise ValueError(f"a0[{r}, {r}] must be 1 in {where} (unit diagonal); got {a0[r, r]!r}")
    bad = np.argwhere(~eye & ~st.a0_free & (a0 != 0.0))
    if bad.size:
        r, c = bad[0]
        raise ValueError(
            f"a0[{r}, {c}] must be 0 in {where} (A_0 is lower triangular, with a free entry (k, i) only where "
            f"p_i > p_k); got {a0[r, c]!r}"
        )
    for name, blocks, free in (("ar", varma.ar, st.ar_free), ("ma", varma.ma, st.ma_free)):
        for j, X in enumerate(blocks):
            bad = np.argwhere(~free[j] & (X != 0.0))
            if bad.size:
                r, c = bad[0]
                raise ValueError(
                    f"{name}[{j}][{r}, {c}] (lag {j + 1}) must be 0 in {where}; got {X[r, c]!r} "
                    "(see rnnss.echelon_structure(kronecker_indices).summary() for the pattern)"
                )
    degree = np.array(idx)
    for lag, B in enumerate(varma.exog):
        bad = np.argwhere((lag > degree)[:, None] & (B != 0.0))
        if bad.size:
            r, c = bad[0]
            raise ValueError(
                f"exog[{lag}][{r}, {c}] must be 0 in {where}: row {r} has degree p_{r} = {idx[r]} < lag {lag}"
            )


def varma_standard_form(varma: VARMA) -> VARMA:
    r"""The same process with the leading matrix divided out: ``A_0 = I``, unrestricted coefficients.

    ``A_i -> A_0^{-1} A_i``, ``M_j -> A_0^{-1} M_j``, ``B_l -> A_0^{-1} B_l``, ``c -> A_0^{-1} c``; ``Sigma``
    and the innovations are unchanged. This is the form statsmodels ``VARMAX`` parameterises (an echelon
    model with unequal Kronecker indices is a standard VARMA(p, p) whose coefficients satisfy restrictions
    that are not zero restrictions any more).

    Parameters
    ----------
    varma : VARMA
        Any model.

    Returns
    -------
    VARMA
        ``a0 = I``, ``kronecker_indices = None``; the same orders.

    Raises
    ------
    TypeError
        If ``varma`` is not a VARMA.

    Examples
    --------
    >>> import numpy as np, rnnss
    >>> ech = rnnss.VARMA(ar=[[[0.5, 0.0], [0.0, 0.0]]], ma=[[[0.3, 0.1], [0.0, 0.0]]], sigma=np.eye(2),
    ...                   a0=[[1.0, 0.0], [-0.4, 1.0]], kronecker_indices=(1, 0))
    >>> rnnss.varma_standard_form(ech).ar[0]
    array([[0.5, 0. ],
           [0.2, 0. ]])
    """
    varma = v.check_instance(varma, VARMA, "varma")
    if not varma.has_a0:
        return VARMA(ar=varma.ar, ma=varma.ma, sigma=varma.sigma, intercept=varma.intercept, exog=varma.exog or None)
    m = varma.n_outputs
    ar, ma, exog, c = (
        _divide_a0(varma, varma.ar),
        _divide_a0(varma, varma.ma),
        _divide_a0(varma, varma.exog),
        _divide_a0(varma, (varma.intercept[:, None],))[0][:, 0],
    )
    return VARMA(
        ar=np.array(ar).reshape(varma.p, m, m),
        ma=np.array(ma).reshape(varma.q, m, m),
        sigma=varma.sigma,
        intercept=c,
        exog=exog or None,
    )


# -- VARMA -> linear RNN -----------------------------------------------------------------------------


def lag_responses(varma: VARMA, blocks: tuple[np.ndarray, ...], lead: np.ndarray, steps: int) -> np.ndarray:
    """``X_0 .. X_{steps-1}`` of ``A(L)^{-1} N(L)``: ``A_0 X_k = sum_{i<=min(k,p)} A_i X_{k-i} + N_k``.

    ``N_0 = lead`` and ``N_k = blocks[k - 1]`` (zero beyond). With ``lead = A_0`` and ``blocks = ma`` these
    are the psi weights (``X_0 = I``); with ``lead = B_0``, ``blocks = B_1 ..`` the input responses.
    """
    m = varma.n_outputs
    out = np.zeros((steps, m, lead.shape[1]))
    if steps:
        out[0] = _divide_a0(varma, (lead,))[0]
    for k in range(1, steps):
        acc = blocks[k - 1].copy() if k <= len(blocks) else np.zeros_like(lead)
        for i in range(1, min(k, varma.p) + 1):
            acc += varma.ar[i - 1] @ out[k - i]
        out[k] = _divide_a0(varma, (acc,))[0]
    return out


@dataclass(frozen=True)
class PredictorForm:
    r"""The minimal innovations (predictor) realisation of an echelon-form VARMA, of dimension ``n = sum p_k``.

    ``x_{t+1} = F x_t + G e_t + U u_t + b``, ``y_t = H x_t + D u_t + d + e_t`` (``e_t`` the innovations, ``u_t``
    the inputs). Component ``(k, i)`` of ``x_t`` (``k < p_i``, ordered by ``k`` then ``i``) is the prediction of
    ``y_{i, t+k}`` from the past (future inputs zero): the basis of rows ``c_i W^k`` of the observability
    matrix that defines the Kronecker indices. Row ``(p_i - 1, i)`` of ``F`` holds the echelon AR coefficients
    of equation ``i`` (``A_l[i, j]`` at ``(p_i - l, j)``, ``-A_0[i, j]`` at ``(p_i, j)``), the other rows shift;
    ``G`` and ``U`` hold the psi weights and input responses ``Psi_{k+1}[i]``, ``Xi_{k+1}[i]``.
    """

    F: np.ndarray
    G: np.ndarray
    H: np.ndarray
    U: np.ndarray
    D: np.ndarray
    b: np.ndarray
    d: np.ndarray
    labels: tuple


def echelon_predictor_form(varma: VARMA) -> PredictorForm:
    """:class:`PredictorForm` of an echelon-form VARMA (built from its coefficients, no rank decisions)."""
    idx = varma.kronecker_indices
    m, k = varma.n_outputs, varma.n_inputs
    labels = tuple((lev, i) for lev in range(max(idx, default=0)) for i in range(m) if lev < idx[i])
    pos = {lab: s for s, lab in enumerate(labels)}
    n = len(labels)
    F, H = np.zeros((n, n)), np.zeros((m, n))
    b, d = np.zeros(n), np.zeros(m)

    def relation(i: int, level: int, row: np.ndarray) -> None:
        # y_{i, t+level} = c_i - sum_{j != i} A_0[i, j] y_{j, t+level} + sum_l A_l[i] y_{t+level-l} + (future terms)
        for (lev, j), s in pos.items():
            lag = level - lev
            if lag == 0 and j != i:
                row[s] = -varma.a0[i, j]
            elif 1 <= lag <= varma.p:
                row[s] = varma.ar[lag - 1][i, j]

    for s, (lev, i) in enumerate(labels):
        if lev + 1 < idx[i]:
            F[s, pos[(lev + 1, i)]] = 1.0
        else:
            relation(i, idx[i], F[s])
            b[s] = varma.intercept[i]
    for i in range(m):
        if idx[i]:
            H[i, pos[(0, i)]] = 1.0
        else:
            relation(i, 0, H[i])
            d[i] = varma.intercept[i]
    p = varma.p
    psi = lag_responses(varma, varma.ma, varma.a0, p + 1)
    xi = lag_responses(varma, varma.exog[1:], varma.exog[0], p + 1) if k else np.zeros((p + 1, m, 0))
    G = np.array([psi[lev + 1][i] for lev, i in labels]).reshape(n, m)
    U = np.array([xi[lev + 1][i] for lev, i in labels]).reshape(n, k)
    return PredictorForm(F, G, H, U, xi[0], b, d, labels)


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


def _echelon_form(varma: VARMA) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The ``[y_t; x_{t+1}]`` realisation of an echelon VARMA, and its stationary covariance (or None)."""
    pf = echelon_predictor_form(varma)
    m, n = varma.n_outputs, pf.F.shape[0]
    W = np.zeros((m + n, m + n))
    W[:m, m:] = pf.H
    W[m:, m:] = pf.F
    L = np.vstack([np.eye(m), pf.G])
    V = np.hstack([np.eye(m), np.zeros((m, n))])
    ss = dict(W=W, U=np.vstack([pf.D, pf.U]), b=np.concatenate([pf.d, pf.b]), V=V, Q=symmetrize(L @ varma.sigma @ L.T))
    if not varma.is_stationary:
        return ss, None
    # The stationary covariance from the minimal n-dimensional Stein equation: Cov(x_{t+1}) = P, and then
    # Cov(y_t) = H P H^T + Sigma, Cov(x_{t+1}, y_t) = F P H^T + G Sigma (x_t is independent of e_t).
    P = solve_stein_schur(pf.F, symmetrize(pf.G @ varma.sigma @ pf.G.T))
    C = pf.F @ P @ pf.H.T + pf.G @ varma.sigma
    return ss, np.block([[pf.H @ P @ pf.H.T + varma.sigma, C.T], [C, P]])


def varma_to_rnn(varma: VARMA, *, x0: ArrayLike | None = None) -> LinearRNN:
    r"""A linear RNN with exactly the VARMA's distribution: an observer-type state-space realisation.

    **Standard form** (``A_0 = I``; a general ``A_0`` is divided out first, :func:`varma_standard_form`): with
    ``r = max(p, q + 1, s + 1)`` blocks of size ``m`` (``n = m r`` hidden units),

    .. math::

        W = \begin{bmatrix} A_1 & I & & \\ A_2 & & \ddots & \\ \vdots & & & I \\
            A_r & 0 & \cdots & 0 \end{bmatrix},\quad
        \eta_t = G \varepsilon_t,\ G = \begin{bmatrix} I \\ M_1 \\ \vdots \\ M_{r-1} \end{bmatrix},\quad
        U = \begin{bmatrix} B_0 \\ \vdots \\ B_{r-1} \end{bmatrix},\quad
        b = \begin{bmatrix} c \\ 0 \\ \vdots \end{bmatrix},\quad V = [I\ 0 \cdots 0],

    (``A_i = 0`` for ``i > p``, etc.), so ``Q = G Sigma G^T`` (rank ``m``), ``R = 0`` and ``y_t = V h_t``
    is the first block of the state. Substituting the block rows into each other gives back the VARMA
    equation, so input→output responses, psi weights and autocovariances are equal exactly.

    **Echelon form** (``kronecker_indices`` set, McMillan degree ``n_E = sum p_k``): the hidden state is
    ``h_t = [y_t; x_{t+1}]`` with ``m + n_E`` units, where component ``(k, i)`` of ``x_{t+1}`` is the prediction
    of ``y_{i, t+1+k}`` from the data up to ``t`` (``k < p_i``) -- the minimal echelon predictor state:
    ``x_{t+1} = F x_t + G e_t + ...`` and ``y_t = H x_t + e_t + ...`` with ``F`` holding the echelon AR
    coefficients in rows ``(p_i - 1, i)`` and ``G`` the psi weights. The stationary prior comes from the
    ``n_E``-dimensional Stein equation of ``F`` (complex-Schur solver), which keeps slow modes accurate.
    ``n_E`` is the smallest dimension of any state-space model of the process, but it is not reachable
    within LinearRNNs, whose noises ``eta_t`` and ``epsilon_t`` are independent: an MA(1) has McMillan
    degree 1, yet no one-unit LinearRNN has its autocovariances. Carrying ``y_t`` in the state (``R = 0``)
    is what makes the innovation ``e_t`` both the state noise and the output noise. When the state is not
    reachable from the noise (pure VAR parts, where ``x_{t+1}`` is a function of ``y_t``),
    :func:`rnnss.minimal_realization` ``(rnn, preserve="distribution")`` removes the redundant units.

    Parameters
    ----------
    varma : VARMA
        The model.
    x0 : array_like, shape (k,), optional
        Constant input assumed before the sample, which sets the stationary mean of the prior (default 0).

    Returns
    -------
    LinearRNN
        ``n = m r`` (standard) or ``m + sum p_k`` (echelon) hidden units, ``k`` inputs, ``m`` outputs,
        ``R = 0``. For a stationary VARMA the prior ``h0, P0`` is the stationary distribution, so the RNN's
        Kalman log-likelihood is the VARMA's exact likelihood; otherwise ``h0 = 0, P0 = 0`` (all pre-sample
        values zero).

    Raises
    ------
    TypeError
        If ``varma`` is not a VARMA.
    NumericalError
        If the computed stationary covariance is indefinite beyond rounding (coefficients so ill-conditioned
        that the realisation cannot be evaluated in double precision).

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
    >>> varma_to_rnn(VARMA(ar=[0.5], ma=[0.4], sigma=1.0, kronecker_indices=(1,))).W  # [y_t; E(y_{t+1} | y_{<=t})]
    array([[0. , 1. ],
           [0. , 0.5]])
    """
    varma = v.check_instance(varma, VARMA, "varma")
    if varma.is_echelon:
        ss, P0 = _echelon_form(varma)
    else:
        ss = _observer_form(varma_standard_form(varma) if varma.has_a0 else varma)
        P0 = None
    rnn = LinearRNN(W=ss["W"], U=ss["U"], b=ss["b"], V=ss["V"], Q=ss["Q"])
    if not varma.is_stationary:
        return rnn
    if P0 is None:
        P0 = stationary_covariance(rnn)
    scale = max(float(np.max(np.abs(P0))), np.finfo(float).tiny)
    lam = float(np.linalg.eigvalsh(symmetrize(P0))[0])
    if lam < -1e-10 * scale * len(P0):
        raise NumericalError(
            f"the stationary covariance of the VARMA's realisation is indefinite (min eigenvalue {lam:.3g}, "
            f"largest entry {scale:.3g}): the coefficients are too ill-conditioned to be evaluated in double "
            "precision (typically many clustered roots near the unit circle); use the linear RNN itself"
        )
    xc = np.zeros(varma.n_inputs) if x0 is None else v.as_vector("x0", x0, varma.n_inputs)
    n = rnn.n_hidden
    h0 = np.linalg.solve(np.eye(n) - rnn.W, rnn.U @ xc + rnn.b)
    return dataclasses.replace(rnn, h0=h0, P0=symmetrize(P0))


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
