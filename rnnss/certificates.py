"""Stability certificates: quadratic Lyapunov functions that prove a network has one globally attracting state."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.linalg
import scipy.optimize

from . import _validate as v
from ._linalg import SteinSolver, symmetrize
from .cells.ctrnn import EulerCTRNNCell
from .cells.elman import ElmanCell
from .cells.leaky import LeakyCell
from .linear import LinearRNN

if TYPE_CHECKING:  # pragma: no cover
    from numpy.typing import ArrayLike

__all__ = ["LyapunovCertificate", "lyapunov_certificate"]

CERTIFIED = "certified"
NOT_FOUND = "no certificate found"

# Diagonal weights are kept within e^(2 BOUND) = e^60 of each other, far beyond any that double precision
# could use (the scaled matrix's entries would lose all digits of the small ones).
BOUND = 30.0


@dataclass(frozen=True, repr=False)
class LyapunovCertificate:
    r"""A quadratic Lyapunov function for a recurrent network, or the honest report that none was found.

    With ``V(e) = e^T P e``, the certificate proves ``V(s_t - s'_t) <= rate^2 V(s_{t-1} - s'_{t-1})`` for
    any two trajectories driven by the same inputs: they converge to each other geometrically, so under a
    constant input there is exactly one fixed point and it attracts every start (and the network forgets
    its initial state, the echo-state property).

    Attributes
    ----------
    verdict : {"certified", "no certificate found"}
        "no certificate found" never means "unstable": the search covers one class of functions (all
        quadratic ones for a linear network, diagonal ones for a nonlinear cell).
    method : {"stein", "diagonal scaling"}
        How ``P`` was obtained.
    P : ndarray, shape (n, n) or None
        The Lyapunov matrix (symmetric positive definite); for ``"diagonal scaling"`` a diagonal ``D``
        (largest entry 1), the best one found even when it does not certify. None when none exists.
    rate : float
        The contraction factor per step in the norm ``||e||_P = sqrt(e^T P e)``: ``||P^{1/2} W P^{-1/2}||_2``
        for a linear network; ``|1 - alpha| + alpha * slope * gamma`` for a cell with one leak ``alpha``
        (Elman: ``alpha = 1``); for per-unit leaks the smaller of ``max|1 - alpha_i| + max alpha_i slope
        gamma`` and the Jensen bound described in :func:`lyapunov_certificate`. Certified iff ``rate < 1``.
    margin : float
        ``1 - rate^2``: the guaranteed relative decrease of ``V`` per step (``V_t <= (1 - margin) V_{t-1}``).
        For a linear network with ``W^T P W - P = -Q`` it is the smallest generalised eigenvalue of
        ``(Q, P)``.
    gamma : float
        ``||D^{1/2} W D^{-1/2}||_2`` at the returned ``P = D`` (diagonal scaling), recomputed from ``P`` and
        not taken from the optimiser; ``rate`` for a linear network.
    spectral_norm : float
        ``||W||_2`` without scaling: scaling helps when ``gamma`` is below it.
    spectral_radius : float
        ``rho(W)``, a lower bound of ``gamma`` over every scaling.
    slope : float
        ``sup |phi'|`` of the activation (1 for a linear network).
    reason : str
        One sentence on the verdict.
    """

    verdict: str
    method: str
    P: np.ndarray | None
    rate: float
    margin: float
    gamma: float
    spectral_norm: float
    spectral_radius: float
    slope: float
    reason: str

    @property
    def certified(self) -> bool:
        """Whether a certificate was found."""
        return self.verdict == CERTIFIED

    def __repr__(self) -> str:
        return (
            f"LyapunovCertificate({self.verdict}, {self.method}: rate={self.rate:.6g}, margin={self.margin:.6g}, "
            f"gamma={self.gamma:.6g}, ||W||_2={self.spectral_norm:.6g}, rho(W)={self.spectral_radius:.6g})"
        )

    def summary(self) -> str:
        """The verdict, the reason and the Lyapunov matrix."""
        lines = [repr(self), f"  {self.reason}"]
        if self.P is not None:
            with np.printoptions(precision=4, linewidth=100):
                lines.append(f"  P =\n{self.P}")
        return "\n".join(lines)


def _scaled_norm(W: np.ndarray, x: np.ndarray) -> tuple[float, np.ndarray]:
    """``sigma_max(E W E^{-1})`` with ``E = diag(exp(x / 2))`` and its gradient ``(sigma / 2)(u^2 - v^2)``.

    With ``M_ij = exp((x_i - x_j) / 2) W_ij`` and top singular pair ``(u, v)``,
    ``d sigma / d x_k = u^T (dM / dx_k) v = (u_k (M v)_k - v_k (M^T u)_k) / 2 = sigma (u_k^2 - v_k^2) / 2``.
    """
    e = np.exp(0.5 * x)
    M = e[:, None] * W / e[None, :]
    U, s, Vt = np.linalg.svd(M)
    return float(s[0]), 0.5 * s[0] * (U[:, 0] ** 2 - Vt[0] ** 2)


def _perron_start(W: np.ndarray) -> np.ndarray | None:
    """``log(l / r)`` from the Perron vectors of ``|W|``: it gives ``||D |W| D^{-1}||_2 = rho(|W|)``, an upper
    bound of the optimum since ``||A||_2 <= || |A| ||_2``. None where the vectors are not positive."""
    A = np.abs(W)
    lam, R = np.linalg.eig(A)
    lamL, L = np.linalg.eig(A.T)
    r, l_ = R[:, np.argmax(lam.real)].real, L[:, np.argmax(lamL.real)].real
    r, l_ = r * np.sign(r.sum() or 1.0), l_ * np.sign(l_.sum() or 1.0)
    if np.all(r > 0) and np.all(l_ > 0):
        x = np.log(l_ / r)
        return np.clip(x - x.mean(), -BOUND, BOUND)
    return None


def optimal_diagonal_scaling(W: np.ndarray) -> tuple[np.ndarray, float]:
    r"""Minimise ``||D^{1/2} W D^{-1/2}||_2`` over positive diagonal ``D = diag(exp(x))``.

    The objective is convex in ``x`` (Sezginer & Overton 1990: ``sigma_max(e^X A e^{-X})`` is convex on
    commuting ``X``) and invariant under ``x -> x + c 1``; it is minimised by quasi-Newton steps with the analytic
    gradient (BFGS) from the identity and from the Perron scaling of ``|W|``. At a minimum with a repeated top
    singular value the function is not differentiable, and the optimiser may stop slightly above it: the
    value returned is recomputed at the returned ``D`` and so never understates the norm.

    Returns ``(D, gamma)`` with ``D`` normalised to largest entry 1.
    """
    n = W.shape[0]
    starts = [np.zeros(n)]
    perron = _perron_start(W)
    if perron is not None:
        starts.append(perron)
    best_x, best = np.zeros(n), _scaled_norm(W, np.zeros(n))[0]
    for x0 in starts:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = scipy.optimize.minimize(
                lambda x: _scaled_norm(W, x), x0, jac=True, method="BFGS", options={"maxiter": 1000, "gtol": 1e-10}
            )
        for x in (x0, res.x):
            # Keep the weights within e^(2 BOUND) of each other: a reducible W lets the optimum drift off to
            # infinity, and a weight that underflows would make D singular.
            x = np.clip(x - x.max(), -2 * BOUND, 0.0)
            val = _scaled_norm(W, x)[0]
            if val < best:
                best_x, best = x, val
    d = np.exp(best_x)
    return np.diag(d), _scaled_norm(W, best_x)[0]


def _recurrence(model: Any) -> tuple[np.ndarray, np.ndarray, float, str | None]:
    """``(W, alpha, slope, activation)`` of a supported model: ``s_t - s'_t = (I - A + A Lambda W)(s - s')``."""
    if isinstance(model, LinearRNN):
        return model.W, np.ones(model.W.shape[0]), 1.0, None
    if isinstance(model, (ElmanCell, LeakyCell, EulerCTRNNCell)):
        n = model.W.shape[0]
        if isinstance(model, ElmanCell):
            alpha = np.ones(n)
        elif isinstance(model, LeakyCell):
            alpha = np.full(n, model.alpha)
        else:
            alpha = model.alpha
        if not isinstance(model.activation, str):
            raise ValueError(
                f"cannot certify a {type(model).__name__} with a custom activation: the bound sup|phi'| is unknown; "
                "rebuild it with a named activation"
            )
        # sup|phi'| of the named activation: the Jacobian bound of a 1-unit Elman cell with W = 1.
        slope = float(ElmanCell(W=[[1.0]], activation=model.activation).jacobian_bound)
        return model.W, alpha, slope, model.activation
    raise TypeError(
        "model must be a rnnss.LinearRNN or a slope-restricted cell (rnnss.ElmanCell, rnnss.LeakyCell, "
        f"rnnss.EulerCTRNNCell); got {type(model).__name__}"
    )


def lyapunov_certificate(model: Any, *, Q: ArrayLike | None = None, tol: float = 1e-9) -> LyapunovCertificate:
    r"""Prove global contraction of a network with a quadratic Lyapunov function, or report that none was found.

    **Linear networks** (:class:`~rnnss.LinearRNN`, or a cell with ``activation="identity"``): the error
    ``e_t = s_t - s'_t`` of two trajectories obeys ``e_t = W e_{t-1}``, and ``V(e) = e^T P e`` with

    .. math::

        W^\top P W - P = -Q \qquad (Q = I \text{ by default})

    decreases by ``e^T Q e`` per step. The Stein equation has a positive-definite solution iff
    ``rho(W) < 1`` (Lyapunov's theorem), so for a linear network this is exact: no certificate means the
    network is not asymptotically stable. ``P`` is solved by the same Stein solver as the rest of rnnss.

    **Slope-restricted cells** (Elman, leaky and Euler-CTRNN cells with tanh, ReLU or sigmoid): by the mean
    value theorem ``phi(a) - phi(a') = Lambda (a - a')`` with ``Lambda`` diagonal, ``|Lambda_ii| <= s =
    sup|phi'|``, so ``e_t = (I - A + A Lambda W) e_{t-1}`` with ``A = diag(alpha)``. For a positive diagonal
    ``D``, diagonal matrices commute with ``D^{1/2}``, hence

    .. math::

        \|e_t\|_D \le \big(\max_i |1 - \alpha_i| + \max_i \alpha_i \, s\, \gamma\big) \|e_{t-1}\|_D,
        \qquad \gamma = \|D^{1/2} W D^{-1/2}\|_2 ,

    whatever the input and the point on the trajectory (for units with different leaks ``alpha_i <= 1``,
    Jensen's inequality gives the sharper ``rate^2 = lambda_max(I - A + s^2 A^{1/2} N^T N A^{1/2})`` in the
    metric ``P = A^{-1} D``, with ``N = D^{1/2} W D^{-1/2}``: below one whenever ``s gamma < 1``, so a cell
    with any leaks is certified exactly when the Elman cell with the same ``W`` is). The best ``D``
    minimises ``gamma``, a convex
    function of ``log diag D`` (Sezginer & Overton 1990), found by BFGS with its analytic gradient
    (no LMI solver needed). ``gamma >= rho(W)`` for every ``D``, with equality for a nonnegative
    irreducible ``W`` (the Perron scaling). A bistable network has no such certificate (two stable
    fixed points cannot both attract everything), but neither has every stable one: the verdict is then
    "no certificate found", never "unstable".

    Parameters
    ----------
    model : LinearRNN, ElmanCell, LeakyCell or EulerCTRNNCell
        The network; only the recurrence (``W``, the leak and the activation) matters.
    Q : array_like, shape (n, n), optional
        Right-hand side of the Stein equation for a linear network (symmetric positive definite,
        default ``I``). Not used by the diagonal search.
    tol : float, default 1e-9
        Certified iff ``rate <= 1 - tol``: a rate within rounding of 1 proves nothing.

    Returns
    -------
    LyapunovCertificate
        Verdict, ``P``, contraction rate, margin and the norms behind them.

    Raises
    ------
    TypeError
        If ``model`` is not a supported network.
    ValueError
        If ``Q`` is not symmetric positive definite, a custom activation has no known slope bound, or
        ``tol`` is not in ``(0, 1)``.

    Examples
    --------
    >>> import rnnss
    >>> cert = rnnss.lyapunov_certificate(rnnss.ElmanCell(W=[[0.5, 3.0], [0.01, 0.5]]))  # ||W||_2 = 3.04
    >>> cert.verdict, round(cert.gamma, 4)  # scaled: 0.5 + sqrt(3 * 0.01)
    ('certified', 0.6732)
    >>> rnnss.lyapunov_certificate(rnnss.ElmanCell(W=[[2.0]])).verdict  # bistable: h = tanh(2h)
    'no certificate found'
    """
    W, alpha, slope, activation = _recurrence(model)
    tol = v.as_float("tol", tol, positive=True)
    if tol >= 1:
        raise ValueError(f"tol must be in (0, 1); got {tol}")
    norm = float(np.linalg.norm(W, 2))
    rho = float(np.max(np.abs(np.linalg.eigvals(W))))
    if activation is None or activation == "identity":
        W_eff = np.diag(1.0 - alpha) + alpha[:, None] * W
        return _stein_certificate(W_eff, Q, tol)
    if Q is not None:
        raise ValueError(
            "Q is only used for linear networks (the Stein equation); a cell is certified by diagonal scaling"
        )
    D, gamma = optimal_diagonal_scaling(W)
    # Triangle bound in the D-norm: ||(I - A) + A Lambda M|| <= max|1 - alpha_i| + max alpha_i s gamma.
    rate = float(np.max(np.abs(1.0 - alpha)) + np.max(alpha) * slope * gamma)
    if np.ptp(alpha) > 0 and np.all(alpha <= 1):
        # Units with different leaks: component i of the next error is a convex combination, so by Jensen
        # ||z_t||^2 <= z^T (I - A) z + s^2 z^T M^T A M z. With P = A^{-1} D the bound is
        # lambda_max(I - A + s^2 A^1/2 N^T N A^1/2), N = D^1/2 W D^-1/2: below 1 whenever s gamma < 1.
        N = np.sqrt(np.diag(D))[:, None] * W / np.sqrt(np.diag(D))[None, :]
        ra = np.sqrt(alpha)
        G = np.diag(1.0 - alpha) + slope**2 * (ra[:, None] * (N.T @ N) * ra[None, :])
        jensen = float(np.sqrt(max(np.linalg.eigvalsh(symmetrize(G))[-1], 0.0)))
        if jensen < rate:
            d = np.diag(D) / alpha
            D, rate = np.diag(d / d.max()), jensen
    ok = rate <= 1 - tol
    if ok:
        reason = (
            f"||D^1/2 W D^-1/2||_2 = {gamma:.6g} with sup|phi'| = {slope:g}: every pair of trajectories contracts by "
            f"{rate:.6g} per step in the D-norm"
        )
    else:
        reason = (
            f"the best diagonal scaling gives rate {rate:.6g} >= 1 (gamma = {gamma:.6g} >= rho(W) = {rho:.6g}); "
            "this is not a proof of instability"
        )
    return LyapunovCertificate(
        CERTIFIED if ok else NOT_FOUND,
        "diagonal scaling",
        D,
        rate,
        1.0 - rate**2,
        gamma,
        norm,
        rho,
        slope,
        reason,
    )


def _stein_certificate(W: np.ndarray, Q: Any, tol: float) -> LyapunovCertificate:
    n = W.shape[0]
    Qm = np.eye(n) if Q is None else v.as_psd("Q", Q, n)
    q_min = float(np.linalg.eigvalsh(Qm)[0])
    if q_min <= 0:
        raise ValueError(f"Q must be positive definite; got min eigenvalue {q_min:.3g}")
    norm = float(np.linalg.norm(W, 2))
    rho = float(np.max(np.abs(np.linalg.eigvals(W))))
    if rho >= 1 - tol:
        reason = (
            f"rho(W) = {rho:.6g} >= 1: no quadratic Lyapunov function exists (Lyapunov's theorem), the linear "
            "network is not asymptotically stable"
        )
        return LyapunovCertificate(NOT_FOUND, "stein", None, np.nan, np.nan, np.nan, norm, rho, 1.0, reason)
    P = SteinSolver(W).solve(Qm, adjoint=True)  # P = W^T P W + Q
    # rate^2 = ||P^1/2 W P^-1/2||_2^2 = 1 - lambda_min(Q, P), the generalised eigenvalue of W^T P W = P - Q.
    margin = float(scipy.linalg.eigh(symmetrize(Qm), P, eigvals_only=True)[0])
    rate = float(np.sqrt(max(1.0 - margin, 0.0)))
    ok = rate <= 1 - tol and float(np.linalg.eigvalsh(P)[0]) > 0
    reason = (
        f"W^T P W - P = -Q with P positive definite: V(e) = e^T P e decreases by at least {margin:.6g} V per step"
        if ok
        else f"rho(W) = {rho:.6g} is within rounding of 1: the Stein solution does not prove contraction"
    )
    return LyapunovCertificate(CERTIFIED if ok else NOT_FOUND, "stein", P, rate, margin, rate, norm, rho, 1.0, reason)
