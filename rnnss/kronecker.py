"""Kronecker indices of linear systems by orthogonal staircases, their echelon-form VARMA, and VARMA identification."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.linalg

from . import _validate as v
from ._linalg import companion, psd_sqrt
from .echelon import EchelonStructure, as_indices, echelon_structure
from .exceptions import NotStableError, NumericalError
from .kalman.steady import steady_state
from .linear import LinearRNN
from .structure.common import EPS, fro_norm
from .structure.staircase import staircase_reduce
from .varma import VARMA, varma_standard_form

__all__ = [
    "KroneckerIndices",
    "kronecker_indices",
    "echelon_form",
    "IdentificationReport",
    "varma_identification",
]


# -- the innovations form of a model ------------------------------------------------------------------


@dataclass(frozen=True)
class _Innovations:
    """``x_{t+1} = F x_t + G e_t + U u_t``, ``y_t = H x_t + D u_t + e_t`` (``e_t ~ N(0, S)``), and the mean of ``y``."""

    F: np.ndarray
    G: np.ndarray
    H: np.ndarray
    S: np.ndarray
    U: np.ndarray
    D: np.ndarray
    mean: Any  # callable A(1) -> intercept; raises if the intercept is not defined


def _rnn_innovations(rnn: LinearRNN) -> _Innovations:
    """The steady-state Kalman predictor of ``rnn`` as an innovations form (no powers of ``W``).

    ``s_{t+1} = W s_t + W K e_t + U u_{t+1} + b``, ``y_t = V s_t + d + e_t`` with ``s_t`` the predicted state;
    the part ``xi_t = s_t - U u_t`` not yet driven by the current input gives ``F = W``, ``G = W K``,
    ``U -> W U`` and the feed-through ``D = V U`` (the input responses are then ``V U, V W U, ...``).
    """
    ss = steady_state(rnn)
    W, V = np.array(rnn.W), np.array(rnn.V)
    n = rnn.n_hidden

    def intercept(a1: np.ndarray) -> np.ndarray:
        if not np.any(rnn.b):
            return a1 @ rnn.d
        try:
            mu = rnn.d + V @ np.linalg.solve(np.eye(n) - W, rnn.b)
        except np.linalg.LinAlgError:
            raise NumericalError(
                "I - W is singular and the bias b is non-zero: the output drifts, which a VARMA intercept cannot "
                "represent"
            ) from None
        if not rnn.is_stable:
            raise NotStableError(
                f"the echelon form of an unstable network (spectral radius {rnn.spectral_radius:.6g}) with a non-zero "
                "bias b is not defined: its mean is not constant"
            )
        return a1 @ mu

    return _Innovations(W, W @ ss.gain, V, ss.innovation_cov, W @ rnn.U, V @ rnn.U, intercept)


def _varma_innovations(varma: VARMA) -> _Innovations:
    """The observer-type innovations form of the standard form of ``varma`` (``m max(p, q, s)`` states)."""
    std = varma_standard_form(varma)
    m, k = std.n_outputs, std.n_inputs
    r = max(std.p, std.q, len(std.exog) - 1, 0)
    n = m * r
    F, G, U = np.zeros((n, n)), np.zeros((n, m)), np.zeros((n, k))
    D = std.exog[0] if k else np.zeros((m, 0))
    for lag in range(1, r + 1):
        A = std.ar[lag - 1] if lag <= std.p else np.zeros((m, m))
        M = std.ma[lag - 1] if lag <= std.q else np.zeros((m, m))
        B = std.exog[lag] if lag < len(std.exog) else np.zeros((m, k))
        rows = slice((lag - 1) * m, lag * m)
        F[rows, :m] = A  # x^(l)_{t+1} = A_l y_t + M_l e_t + B_l u_t + x^(l+1)_t, y_t = x^(1)_t + D u_t + e_t
        G[rows] = A + M
        U[rows] = A @ D + B
    if r:
        F[: n - m, m:] += np.eye(n - m)
    H = np.eye(m, n)

    def intercept(a1: np.ndarray) -> np.ndarray:
        return a1 @ varma.mean() if np.any(varma.intercept) else np.zeros(m)

    return _Innovations(F, G, H, std.sigma, U, D, intercept)


def _innovations(model: Any) -> _Innovations:
    if isinstance(model, LinearRNN):
        return _rnn_innovations(model)
    if isinstance(model, VARMA):
        return _varma_innovations(model)
    raise TypeError(f"model must be a rnnss.LinearRNN or rnnss.VARMA; got {type(model).__name__}")


# -- the ordered observability staircase ------------------------------------------------------------------


@dataclass(frozen=True)
class _Staircase:
    """The minimal system in the orthonormal basis of the ordered observability staircase."""

    indices: tuple
    labels: tuple  # (level, output) of each basis row, in order
    A: np.ndarray  # (N, N): q_s F as a combination of the basis rows (structural zeros exact)
    C: np.ndarray  # (m, N): the output rows
    G: np.ndarray  # (N, m): innovation loading
    U: np.ndarray  # (N, k): input loading
    margins: np.ndarray
    tol: float
    reachable: int
    reachability_margin: float


def _ordered_observability(A: np.ndarray, C: np.ndarray, scale: float, n_full: int, amp: float):
    r"""Row-ordered observability staircase (a block Arnoldi process in the Kronecker order).

    Candidates are taken in the order ``c_1, ..., c_m, c_1 W, ..., c_m W, ...``; candidate ``(k, i)`` is
    ``q_{(k-1, i)} A`` -- the last basis row accepted for output ``i`` times ``A`` -- which spans the same space
    modulo earlier rows as the Krylov row ``c_i A^k`` (so no power of ``A`` is formed). Its component
    orthogonal to the rows accepted so far (classical Gram-Schmidt, twice: orthogonal to working precision)
    decides: norm above ``tol`` -- a new basis row; otherwise ``c_i A^k`` depends on earlier rows, output
    ``i`` has Kronecker index ``k`` and leaves the search (``c_i A^{k+1}`` then depends on earlier rows too).
    ``tol`` follows the staircase convention of :func:`rnnss.controllability_staircase`: ``n^2 eps s`` times
    the amplification of the earlier levels, at most ``sqrt(eps) s``.
    """
    r, m = A.shape[0], C.shape[0]
    base = n_full**2 * EPS * scale
    basis = np.zeros((r, r))
    count = 0
    labels: list[tuple[int, int]] = []
    where: dict[tuple[int, int], int] = {}
    coefs: dict[tuple[int, int], np.ndarray] = {}
    indices = [0] * m
    margins = np.full(m, np.inf)
    alive = list(range(m))
    cand = {i: C[i] for i in range(m)}
    level, tol = 0, min(base * amp, np.sqrt(EPS) * scale)
    while alive:
        tol = min(base * amp, np.sqrt(EPS) * scale)
        kept, new = np.inf, []
        for i in alive:
            g = cand[i]
            Bq = basis[:count]
            h = Bq @ g
            res = g - Bq.T @ h
            h2 = Bq @ res
            res -= Bq.T @ h2
            h += h2
            rho = float(np.linalg.norm(res))
            if count < r and rho > tol:
                basis[count] = res / rho
                coefs[(level, i)] = np.append(h, rho)
                where[(level, i)] = count
                labels.append((level, i))
                count += 1
                new.append(i)
                margins[i] = min(margins[i], rho / tol)
                kept = min(kept, rho)
            else:
                indices[i] = level
                coefs[(level, i)] = h
                margins[i] = min(margins[i], tol / rho if rho > 0 else np.inf)
        if np.isfinite(kept):
            amp *= max(1.0, scale / kept)
        cand = {i: basis[where[(level, i)]] @ A for i in new}
        alive = new
        level += 1
    return tuple(indices), tuple(labels), coefs, basis[:count], margins, float(tol)


def _staircase(inn: _Innovations) -> _Staircase:
    """Reachable part (from innovations and inputs), then the ordered observability staircase on it."""
    F, H = inn.F, inn.H
    n, m = F.shape[0], H.shape[0]
    L = psd_sqrt(inn.S)  # the innovations in their own units; a VARMA's Sigma may be singular
    drives = [inn.G @ L] + ([inn.U] if inn.U.shape[1] else [])
    scale = fro_norm(F) or max((fro_norm(X) for X in drives), default=0.0) or 1.0
    # Each driving block rescaled to ||F||: reachability does not depend on the units of the noise or inputs.
    B = np.hstack([X * (scale / fro_norm(X)) if fro_norm(X) else X for X in drives])
    if n:
        Z, _, _, r, cmargin, _, amp = staircase_reduce(np.array(F), B, scale)
    else:
        Z, r, cmargin, amp = np.zeros((0, 0)), 0, np.inf, 1.0
    Zr = Z[:, :r]
    Ac, Cc = Zr.T @ F @ Zr, H @ Zr
    # Kronecker indices do not depend on the units of the outputs: each row of C is rescaled to ||F||, by its
    # norm before the restriction (a row that vanishes on the reachable states stays at rounding level).
    rn = np.linalg.norm(H, axis=1)
    Cn = Cc * np.where(rn > 0, scale / np.where(rn > 0, rn, 1.0), 0.0)[:, None]
    indices, labels, coefs, basis, margins, tol = _ordered_observability(Ac, Cn, scale, max(n, 1), amp)
    N = len(labels)
    Ao = np.zeros((N, N))
    for s, (lev, i) in enumerate(labels):
        c = coefs[(lev + 1, i)]
        Ao[s, : c.size] = c
    Co = np.zeros((m, N))
    for i in range(m):
        c = coefs[(0, i)]
        Co[i, : c.size] = c * (rn[i] / scale)
    return _Staircase(
        indices, labels, Ao, Co, basis @ (Zr.T @ inn.G), basis @ (Zr.T @ inn.U), margins, tol, r, float(cmargin)
    )


# -- Kronecker indices -------------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class KroneckerIndices:
    """The Kronecker indices of a model's output process, with the margins of the rank decisions behind them.

    Attributes
    ----------
    indices : tuple of int
        ``(p_1, ..., p_m)``: ``p_i`` is the first ``k`` for which row ``c_i W^k`` of the observability matrix
        (restricted to the states the innovations reach) depends on the rows before it in the order
        ``c_1, ..., c_m, c_1 W, ..., c_m W, ...`` -- equivalently, of the Hankel matrix of the psi weights.
    margins : ndarray, shape (m,)
        For each output, the smallest factor by which the tolerance would have to change to alter one of
        the decisions that fixed ``p_i`` (as :attr:`rnnss.NumericalRank.margin`; ``inf`` when every residual
        was exactly zero or none was tested). ``1e6`` is firm; near 1 the index is on the edge.
    margin : float
        The smallest of ``margins`` and ``reachability_margin``.
    tol : float
        Threshold of the last decision (after rescaling every output row and the noise to ``||W||_F``).
    degree : int
        ``sum p_i``, the McMillan degree: the state dimension of the minimal innovations form.
    n_states : int
        Dimension of the state space analysed (the RNN's ``n``, or ``m max(p, q)`` for a VARMA).
    reachable : int
        Dimension of the subspace the innovations (and inputs) reach.
    reachability_margin : float
        Margin of the controllability staircase that found it.
    """

    indices: tuple
    margins: np.ndarray
    margin: float
    tol: float
    degree: int
    n_states: int
    reachable: int
    reachability_margin: float

    @property
    def structure(self) -> EchelonStructure:
        """The echelon form of these indices (:func:`rnnss.echelon_structure`)."""
        return echelon_structure(self.indices)

    def __repr__(self) -> str:
        return (
            f"KroneckerIndices({self.indices}: McMillan degree {self.degree} of {self.n_states} states, "
            f"margin={self.margin:.3g})"
        )

    def summary(self) -> str:
        """A multi-line report: the indices with their margins, the degree and the tolerance.

        Returns
        -------
        str
            One line per output.
        """
        lines = [
            repr(self),
            f"  reachable from the innovations: {self.reachable} of {self.n_states} "
            f"(margin {self.reachability_margin:.3g}); rank tolerance {self.tol:.3g}",
        ]
        lines += [
            f"  output {i}: p_{i} = {p} (margin {mg:.3g})" for i, (p, mg) in enumerate(zip(self.indices, self.margins))
        ]
        return "\n".join(lines)


def kronecker_indices(model: LinearRNN | VARMA) -> KroneckerIndices:
    r"""Kronecker indices of the output process of a linear RNN or a VARMA, from orthogonal rank decisions.

    The process is written in innovations form ``x_{t+1} = F x_t + G e_t``, ``y_t = H x_t + e_t`` (for a
    LinearRNN the steady-state Kalman predictor, ``F = W``, ``G = W K``, ``H = V``; for a VARMA its observer
    form). A controllability staircase keeps the states the innovations (and inputs) reach; on them, a
    row-ordered observability staircase -- a block Arnoldi process that takes the candidate rows in the
    order ``c_1, ..., c_m, c_1 F, ..., c_m F, ...`` and never forms a power of ``F`` -- finds, for each
    output, the first row that depends on the rows before it. Those positions are the Kronecker indices
    (the row dependencies of the Hankel matrix of the psi weights, Hannan and Deistler 1988, Ch. 2; Lütkepohl
    2005, Section 12.1.2). Each decision compares a residual norm with the staircase tolerance (see
    :func:`rnnss.observability_staircase`) and reports its margin. The output rows are rescaled to a common
    norm first, so the indices do not depend on the units of the outputs.

    Parameters
    ----------
    model : LinearRNN or VARMA
        A LinearRNN must have a steady-state Kalman filter (detectable, stabilisable, non-singular
        innovation covariance); its prior ``h0, P0`` is ignored.

    Returns
    -------
    KroneckerIndices
        ``indices``, ``margins`` (per output), ``degree = sum(indices)`` (the minimal state dimension).

    Raises
    ------
    TypeError
        If ``model`` is neither a LinearRNN nor a VARMA.
    NotDetectableError, NotStabilizableError, NumericalError
        If the steady-state Kalman filter of a LinearRNN does not exist.

    Examples
    --------
    >>> import numpy as np, rnnss
    >>> rnn = rnnss.LinearRNN(W=[[0.9, 0.0], [0.0, 0.5]], V=[[1.0, 1.0], [0.0, 0.0]], Q=np.eye(2), R=np.eye(2))
    >>> rnnss.kronecker_indices(rnn).indices  # output 2 is white noise: index 0
    (2, 0)
    """
    inn = _innovations(model)
    st = _staircase(inn)
    return KroneckerIndices(
        st.indices,
        v.freeze(st.margins),
        float(min(np.min(st.margins, initial=np.inf), st.reachability_margin)),
        st.tol,
        int(sum(st.indices)),
        inn.F.shape[0],
        st.reachable,
        st.reachability_margin,
    )


# -- the echelon form ---------------------------------------------------------------------------------------


def _echelon_coefficients(st: _Staircase) -> tuple[np.ndarray, np.ndarray]:
    r"""``A_0`` and ``A_1 .. A_p`` from the row dependencies found by the staircase.

    With ``T`` the Krylov rows ``c_j F^k`` (``k < p_j``) in the orthonormal basis -- lower triangular in the
    Kronecker order -- the dependent row of output ``i`` is ``c_i F^{p_i} = alpha_i T``, one triangular
    solve. ``alpha_i`` vanishes exactly beyond the rows preceding ``(p_i, i)``, which is the echelon pattern;
    its entry at ``(k, j)`` is ``A_{p_i - k}[i, j]`` (``-A_0[i, j]`` at ``k = p_i``).
    """
    idx, labels, A, C = st.indices, st.labels, st.A, st.C
    m, N = len(idx), len(labels)
    where = {lab: s for s, lab in enumerate(labels)}
    T = np.zeros((N, N))
    for s, (lev, i) in enumerate(labels):
        T[s] = C[i] if lev == 0 else T[where[(lev - 1, i)]] @ A
    p = max(idx)
    a0, ar = np.eye(m), np.zeros((p, m, m))
    for i in range(m):
        row = C[i] if idx[i] == 0 else T[where[(idx[i] - 1, i)]] @ A
        alpha = scipy.linalg.solve_triangular(T, row, trans="T", lower=True) if N else np.zeros(0)
        for s, (lev, j) in enumerate(labels):
            lag = idx[i] - lev
            if lag == 0:
                a0[i, j] = -alpha[s]
            elif lag > 0:
                ar[lag - 1, i, j] = alpha[s]
    return a0, ar


def _truncate(a0: np.ndarray, ar: np.ndarray, X: np.ndarray, idx: tuple) -> np.ndarray:
    """``N_l = A_0 X_l - sum_{s=1}^{l} A_s X_{l-s}`` for ``l = 0..p`` with row ``i`` zero beyond ``p_i``."""
    p = ar.shape[0]
    out = np.empty((p + 1,) + X.shape[1:])
    for lag in range(p + 1):
        acc = a0 @ X[lag]
        for s in range(1, lag + 1):
            acc -= ar[s - 1] @ X[lag - s]
        out[lag] = acc
    for i, pi in enumerate(idx):
        out[pi + 1 :, i] = 0.0
    return out


def echelon_form(model: LinearRNN | VARMA) -> VARMA:
    r"""The minimal, identified echelon-form VARMA of a linear RNN's (or a VARMA's) output process.

    Kronecker indices ``(p_1, ..., p_m)`` as in :func:`kronecker_indices`; then, in the orthonormal basis of
    the staircase, the echelon AR operator from one triangular solve per output (the coordinates of the
    dependent row ``c_i F^{p_i}`` on the rows before it), the MA operator ``M(L) = A(L) Psi(L)`` truncated to
    the row degrees ``p_i`` (psi weights ``H F^{k-1} G`` up to lag ``p = max p_i`` only), the same for the
    inputs, and ``Sigma`` the innovation covariance. The result (Lütkepohl's ARMA\ :sub:`E`) has AR and MA
    orders ``max p_i``, McMillan degree ``sum p_i`` (the minimal order: redundant states of a non-minimal
    network are dropped) and is unique: every model with the same output process gives the same echelon
    form (up to rounding).

    Parameters
    ----------
    model : LinearRNN or VARMA
        The network (its prior is ignored: the echelon form describes the stationary process) or a VARMA
        (in any form: an echelon VARMA is returned unchanged up to rounding).

    Returns
    -------
    VARMA
        ``kronecker_indices`` set, ``a0`` unit lower triangular, every coefficient outside the echelon pattern
        exactly zero; exogenous lags ``0..p`` when there are inputs; the intercept ``A(1) mu`` with ``mu`` the
        mean of ``y`` (under zero input).

    Raises
    ------
    TypeError
        If ``model`` is neither a LinearRNN nor a VARMA.
    NotDetectableError, NotStabilizableError, NumericalError
        If the steady-state Kalman filter of a LinearRNN does not exist.
    NotStableError, NumericalError
        If the mean is not constant (an unstable network with a bias; a unit root at 1 with an intercept).

    Examples
    --------
    >>> import rnnss
    >>> ech = rnnss.echelon_form(rnnss.LinearRNN(W=0.9, Q=1.0, R=1.0))  # AR(1) + noise = ARMA(1, 1)
    >>> ech.kronecker_indices, round(float(ech.ar[0][0, 0]), 6), round(float(ech.ma[0][0, 0]), 6)
    ((1,), 0.9, -0.362333)
    """
    inn = _innovations(model)
    st = _staircase(inn)
    idx = st.indices
    m, k, p = len(idx), inn.U.shape[1], max(idx)
    a0, ar = _echelon_coefficients(st)
    # psi weights and input responses up to lag p, in the staircase basis: X_0, C A^{l-1} B
    psi, xi = np.zeros((p + 1, m, m)), np.zeros((p + 1, m, k))
    psi[0], xi[0] = np.eye(m), inn.D
    Xg, Xu = st.G, st.U
    for lag in range(1, p + 1):
        psi[lag], xi[lag] = st.C @ Xg, st.C @ Xu
        Xg, Xu = st.A @ Xg, st.A @ Xu
    ma = _truncate(a0, ar, psi, idx)[1:]
    exog = list(_truncate(a0, ar, xi, idx)) if k else None
    a1 = a0 - ar.sum(axis=0)
    return VARMA(
        ar=ar,
        ma=ma,
        sigma=inn.S,
        intercept=inn.mean(a1),
        exog=exog,
        a0=a0,
        kronecker_indices=idx,
    )


# -- identification -------------------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class IdentificationReport:
    """Whether a VARMA parameterisation (and optionally a model in it) is identified, with the reason.

    Attributes
    ----------
    p, q : int
        AR and MA orders (``max p_i`` for an echelon form).
    m : int
        Number of outputs.
    kronecker_indices : tuple of int or None
        The echelon structure, or None for unrestricted VARMA(p, q) coefficients.
    n_params : int
        Free parameters (intercept if ``trend``, coefficients, ``Sigma``, a contemporaneous exogenous term).
    identified : bool
        Structure only: whether every process the parameterisation is meant for has exactly one parameter
        point (echelon forms, pure VARs, univariate ARMA with coprime polynomials: yes; unrestricted
        multivariate VARMA(p, q) with ``p, q >= 1``: no). With ``varma``: whether that model's coefficients
        are unique in the parameterisation.
    reason : str
        Why, with the reference.
    model_indices : KroneckerIndices or None
        The Kronecker indices of ``varma`` when one was given.
    """

    p: int
    q: int
    m: int
    kronecker_indices: tuple | None
    n_params: int
    identified: bool
    reason: str
    model_indices: KroneckerIndices | None

    def __repr__(self) -> str:
        what = (
            f"echelon form {self.kronecker_indices}"
            if self.kronecker_indices is not None
            else f"VARMA({self.p}, {self.q}), m={self.m}"
        )
        return (
            f"IdentificationReport({what}: {'identified' if self.identified else 'NOT identified'}, "
            f"{self.n_params} free parameters)"
        )

    def summary(self) -> str:
        """The verdict and its reason.

        Returns
        -------
        str
            ``repr`` and the reason (and the model's Kronecker indices when a model was checked).
        """
        lines = [repr(self), "  " + self.reason]
        if self.model_indices is not None:
            lines.append("  model: " + repr(self.model_indices))
        return "\n".join(lines)


def _rank_margin(M: np.ndarray, tol: float) -> tuple[int, float]:
    s = np.linalg.svd(M, compute_uv=False)
    r = int(np.sum(s > tol))
    return r, float(s[r - 1] if r else 0.0)


def _check_standard(varma: VARMA) -> tuple[bool, str]:
    """Hannan's conditions for a standard VARMA(p, q): left coprime operators and rank [A_p, M_q] = m."""
    std = varma_standard_form(varma)
    m, p, q = std.n_outputs, std.p, std.q
    scale = max(1.0, max((fro_norm(X) for X in std.ar + std.ma), default=0.0))
    # A common left factor is a root z of det A(z) where [A(z), M(z)] loses rank; the roots are the inverse
    # non-zero eigenvalues of the AR companion matrix, computed to about sqrt(eps) for double roots.
    tol = np.sqrt(EPS) * scale * max(p, q, 1)
    mus = np.linalg.eigvals(companion(std.ar)) if p else np.zeros(0)
    for mu in mus:
        if abs(mu) <= np.sqrt(EPS):
            continue
        z = 1.0 / mu
        Az = np.eye(m) - sum(A * z ** (i + 1) for i, A in enumerate(std.ar))
        Mz = np.eye(m) + sum(M * z ** (j + 1) for j, M in enumerate(std.ma))
        r, _ = _rank_margin(np.hstack([Az, Mz]), tol * max(1.0, abs(z)) ** max(p, q))
        if r < m:
            return False, (
                f"A(L) and M(L) have a common left factor (rank [A(z), M(z)] < {m} at the AR root z = {z:.6g}): "
                "the same process has other VARMA(p, q) representations (Hannan 1969; Lütkepohl 2005, Sec. 12.1.1)"
            )
    if p and q:
        r, _ = _rank_margin(np.hstack([std.ar[-1], std.ma[-1]]), m * EPS * scale * 100)
        if r < m:
            return False, (
                f"rank [A_p, M_q] = {r} < m = {m}: an equation has lower orders than (p, q), so the process has a "
                "continuum of VARMA(p, q) representations (Hannan's rank condition; Lütkepohl 2005, Sec. 12.1.1)"
            )
    return True, (
        "A(L), M(L) are left coprime and [A_p, M_q] has full row rank: this VARMA(p, q) representation is unique "
        "(Hannan 1969; Lütkepohl 2005, Sec. 12.1.1)"
    )


def varma_identification(
    p: int | None = None,
    q: int | None = None,
    m: int | None = None,
    *,
    kronecker_indices: Any = None,
    varma: VARMA | None = None,
    trend: bool = True,
    n_inputs: int = 0,
) -> IdentificationReport:
    r"""Is a VARMA parameterisation identified? The free-parameter count, the verdict and the reason.

    * **Echelon form** (``kronecker_indices``): identified. Every process whose Kronecker indices are
      ``(p_1, ..., p_m)`` has exactly one echelon representation with that zero/one pattern (Lütkepohl 2005,
      Section 12.1.2). With ``varma``: identified iff the model's own Kronecker indices
      (:func:`kronecker_indices`) are the declared ones; lower ones mean common factors, hence a continuum of
      representations.
    * **Unrestricted VARMA(p, q)**: a pure VAR(p) (``q = 0``) is identified; a pure VMA(q) is identified
      among invertible representations; a univariate ARMA(p, q) is identified when its polynomials have no
      common root. A multivariate VARMA(p, q) with ``p, q >= 1`` is *not*: it is unique only where ``A(L)``
      and ``M(L)`` are left coprime and ``[A_p, M_q]`` has full row rank (Hannan 1969; Lütkepohl 2005,
      Section 12.1.1), which fails for every process with lower orders in some equation -- the reason
      statsmodels ``VARMAX`` warns. With ``varma`` these conditions are checked numerically at the model.
      (When ``p = q`` the unrestricted form is the echelon form with all indices ``p``.)

    Parameters
    ----------
    p, q, m : int, optional
        Orders and number of outputs of an unrestricted VARMA(p, q); not needed with
        ``kronecker_indices`` (then ``p = q = max`` index) or ``varma``.
    kronecker_indices : sequence of int, optional
        An echelon structure.
    varma : VARMA, optional
        A model to check at (its structure is used when the others are not given).
    trend : bool, default True
        Count an intercept.
    n_inputs : int, default 0
        Count a contemporaneous exogenous term.

    Returns
    -------
    IdentificationReport
        ``n_params``, ``identified``, ``reason`` (and ``model_indices`` with ``varma``).

    Raises
    ------
    TypeError, ValueError
        For missing or inconsistent arguments.

    Examples
    --------
    >>> import rnnss
    >>> rnnss.varma_identification(1, 1, 3)
    IdentificationReport(VARMA(1, 1), m=3: NOT identified, 27 free parameters)
    >>> rnnss.varma_identification(kronecker_indices=(1, 0, 0))
    IdentificationReport(echelon form (1, 0, 0): identified, 15 free parameters)
    """
    trend = v.as_bool("trend", trend)
    k = v.as_int("n_inputs", n_inputs, minimum=0)
    if varma is not None:
        varma = v.check_instance(varma, VARMA, "varma")
        if m is not None and v.as_int("m", m, minimum=1) != varma.n_outputs:
            raise ValueError(f"m = {m} does not match varma, which has m = {varma.n_outputs} outputs")
        m = varma.n_outputs
        if kronecker_indices is None and varma.is_echelon:
            kronecker_indices = varma.kronecker_indices
        if kronecker_indices is None:
            for name, val, got in (("p", p, varma.p), ("q", q, varma.q)):
                if val is not None and v.as_int(name, val, minimum=0) != got:
                    raise ValueError(f"{name} = {val} does not match varma ({name} = {got})")
            p, q = varma.p, varma.q
    if kronecker_indices is not None:
        idx = as_indices(kronecker_indices, None if m is None else v.as_int("m", m, minimum=1))
        st = echelon_structure(idx, trend=trend, n_inputs=k)
        for name, val in (("p", p), ("q", q)):
            if val is not None and v.as_int(name, val, minimum=0) != st.order:
                raise ValueError(f"{name} = {val} does not match the Kronecker indices {idx} (order {st.order})")
        model_idx = None
        identified = True
        reason = (
            f"echelon form: every process with Kronecker indices {idx} has exactly one representation with this "
            "zero/one pattern (Lütkepohl 2005, Sec. 12.1.2)"
        )
        if varma is not None:
            model_idx = _indices_of(varma)
            if model_idx.indices != idx:
                identified = False
                reason = (
                    f"the model's Kronecker indices are {model_idx.indices}, not the declared {idx}: its AR and MA "
                    "operators share a common factor, so the coefficients are not unique in this echelon form"
                )
            else:
                reason = (
                    f"the model's Kronecker indices are the declared {idx} (margin {model_idx.margin:.3g}); " + reason
                )
        return IdentificationReport(st.order, st.order, len(idx), idx, st.n_params, identified, reason, model_idx)
    if p is None or q is None or m is None:
        raise TypeError("give p, q and m, or kronecker_indices, or varma")
    p, q, m = v.as_int("p", p, minimum=0), v.as_int("q", q, minimum=0), v.as_int("m", m, minimum=1)
    n_params = m * m * (p + q) + m * (m + 1) // 2 + (m if trend else 0) + m * k
    if q == 0:
        identified, reason = True, "a pure VAR(p) is identified: its coefficients solve the Yule-Walker equations"
    elif p == 0:
        identified, reason = (
            True,
            (
                "a pure VMA(q) is identified among invertible representations (det M(z) != 0 for |z| <= 1); the "
                "likelihood cannot tell an MA root from its reciprocal"
            ),
        )
    elif m == 1:
        identified, reason = (
            True,
            ("a univariate ARMA(p, q) is identified when its AR and MA polynomials have no common root"),
        )
    else:
        identified, reason = (
            False,
            (
                f"an unrestricted VARMA({p}, {q}) with m = {m} is unique only where A(L), M(L) are left coprime and "
                "[A_p, M_q] has full row rank (Hannan 1969; Lütkepohl 2005, Sec. 12.1.1); this fails for every process "
                "with lower orders in some equation. Use an echelon form (kronecker_indices)"
            ),
        )
    model_idx = None
    if varma is not None:
        model_idx = _indices_of(varma)
        identified, reason = _check_standard(varma)
    return IdentificationReport(p, q, m, None, n_params, identified, reason, model_idx)


_indices_of = kronecker_indices  # for varma_identification, whose keyword argument shadows the function's name
