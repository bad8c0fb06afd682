"""The steady-state (infinite-horizon) Kalman filter and RTS smoother of a model, from the filter DARE."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.linalg

from .. import _validate as v
from .._linalg import eigen_clusters, solve_dare, solve_stein, symmetrize
from ..exceptions import IllConditionedError, NotDetectableError, NotStabilizableError, NumericalError
from ..linear import LinearRNN
from ..structure.pbh import unstable_modes_lost

__all__ = ["SteadyState", "steady_state"]


# -- steady state ----------------------------------------------------------------------------------

# Above this condition number of the steady innovation covariance S (or of P) the gains lose more than
# about 4 of the 16 significant digits and the RNN-equivalence checks at 1e-10 would be meaningless.
STEADY_MAX_COND = 1e12


@dataclass(frozen=True, repr=False)
class SteadyState:
    """The steady-state (infinite-horizon) Kalman filter and RTS smoother of a model.

    Attributes
    ----------
    predicted_cov : ndarray, shape (n, n)
        ``P``, the stabilising solution of the filter DARE ``P = W P W^T - W P V^T S^{-1} V P W^T + Q``.
    filtered_cov : ndarray, shape (n, n)
        ``P_f = (I - K V) P (I - K V)^T + K R K^T`` (the Joseph form of ``(I - K V) P``: PSD, and accurate
        also where it is small against ``P``).
    smoothed_cov : ndarray, shape (n, n)
        ``P_s = P - P N P``: the mid-sequence smoother error (see ``information``).
    lag_one_cov : ndarray, shape (n, n)
        ``Cov[h_{t+1}, h_t | all y] = (I - P N) L P``.
    innovation_cov : ndarray, shape (m, m)
        ``S = V P V^T + R``.
    gain : ndarray, shape (n, m)
        The filter gain ``K = P V^T S^{-1}``.
    smoother_gain : ndarray, shape (n, n)
        The RTS gain ``J = P_f W^T P^{+}`` (minimum-norm where ``P`` is singular): for reference only, nothing
        here is computed through it.
    filter_matrix : ndarray, shape (n, n)
        ``(I - K V) W``, the recurrent matrix of the filter RNN.
    filter_radius : float
        Spectral radius of ``filter_matrix``: the filter RNN forgets its start like ``filter_radius^t``.
    smoother_radius : float
        Spectral radius of the backward recursion ``L^T``: equal to ``filter_radius`` (``L`` is similar to the
        filter matrix), the rate at which the smoother forgets the end of the record.
    riccati_residual : float
        ``||DARE(P) - P||_F / ||P||_F`` of the returned solution.
    condition_numbers : dict
        2-norm condition numbers of ``S`` (``"innovation_cov"``) and ``P`` (``"predicted_cov"``; no result
        depends on inverting ``P``).
    error_transition : ndarray, shape (n, n)
        ``L = W (I - K V)``: the one-step propagation of the prediction error, ``e_{t+1} = L e_t + noise``.
    information : ndarray, shape (n, n)
        ``N``, the steady state of the backward information recursion ``N = V^T S^{-1} V + L^T N L`` (a Stein
        equation in the stable ``L``); ``E[h_t | all y] = a_t + P r_t`` with ``Cov(r_t) = N``.
    """

    predicted_cov: np.ndarray
    filtered_cov: np.ndarray
    smoothed_cov: np.ndarray
    lag_one_cov: np.ndarray
    innovation_cov: np.ndarray
    gain: np.ndarray
    smoother_gain: np.ndarray
    filter_matrix: np.ndarray
    filter_radius: float
    smoother_radius: float
    riccati_residual: float
    condition_numbers: dict
    error_transition: np.ndarray
    information: np.ndarray

    def __repr__(self) -> str:
        tr = lambda a: float(np.trace(a))  # noqa: E731
        return (
            f"SteadyState(tr P={tr(self.predicted_cov):.6g}, tr P_f={tr(self.filtered_cov):.6g}, "
            f"tr P_s={tr(self.smoothed_cov):.6g}, filter radius={self.filter_radius:.4g}, "
            f"smoother radius={self.smoother_radius:.4g}, residual={self.riccati_residual:.1e})"
        )


def steady_state(rnn: LinearRNN) -> SteadyState:
    r"""Steady-state covariances and gains of the Kalman filter and RTS smoother, from the DARE.

    Parameters
    ----------
    rnn : LinearRNN
        The model; needs ``(W, V)`` detectable, ``(W, Q^{1/2})`` stabilisable and a non-singular steady
        innovation covariance ``V P V^T + R`` (``R`` itself may be singular, e.g. noise-free outputs).

    Returns
    -------
    SteadyState
        Predicted, filtered and smoothed error covariances, the gains ``K`` and ``J``, and the spectral
        radii that set how fast the time-varying filter and smoother reach them.

    Raises
    ------
    NotDetectableError
        If a mode with ``|lambda| >= 1`` is invisible in ``y`` (its error would grow without bound).
    NotStabilizableError
        If a mode with ``|lambda| >= 1`` receives no process noise (no stabilising DARE solution).
    NumericalError
        If ``V P V^T + R`` is singular (an output is an exact function of the past) or the DARE solution
        fails its residual or stabilisation check.
    IllConditionedError
        If ``S`` or ``P`` has a condition number above ``1e12`` (reported on the exception).

    Examples
    --------
    >>> import rnnss
    >>> ss = rnnss.steady_state(rnnss.LinearRNN(W=0.9, Q=1.0, R=1.0))
    >>> round(float(ss.predicted_cov[0, 0]), 6)  # scalar DARE: P^2 + (r(1-a^2) - q) P - q r = 0
    1.4839
    """
    rnn = v.check_instance(rnn, LinearRNN, "rnn")
    W, V, Q, R = (np.array(a) for a in (rnn.W, rnn.V, rnn.Q, rnn.R))
    n = rnn.n_hidden
    undetectable, unstabilizable = unstable_modes_lost(rnn, source="noise")
    if undetectable.size:
        raise NotDetectableError(
            "(W, V) is not detectable: the mode(s) "
            + ", ".join(f"{lam:.4g}" for lam in undetectable)
            + " with |lambda| >= 1 do not reach the outputs, so their estimation error grows without bound"
        )
    if unstabilizable.size:
        raise NotStabilizableError(
            "(W, Q^1/2) is not stabilisable: the mode(s) "
            + ", ".join(f"{lam:.4g}" for lam in unstabilizable)
            + " with |lambda| >= 1 receive no process noise; the filter gain for them tends to zero and no "
            "stabilising steady state exists (add process noise to those modes or remove them)"
        )
    P = _solve_filter_dare(W, V, Q, R)
    S = symmetrize(V @ P @ V.T + R)
    lam_s = np.linalg.eigvalsh(S)
    if lam_s[0] <= 1e-14 * max(float(lam_s[-1]), np.finfo(float).tiny):
        raise NumericalError(
            "the steady innovation covariance V P V^T + R is singular "
            f"(eigenvalues {lam_s[0]:.3g} .. {lam_s[-1]:.3g}): "
            "some outputs are exact linear functions of the past; drop them or give R a positive variance"
        )
    cond = {"innovation_cov": float(lam_s[-1] / lam_s[0]), "predicted_cov": float(np.linalg.cond(P))}
    if cond["innovation_cov"] > STEADY_MAX_COND:
        raise IllConditionedError(
            f"the steady innovation covariance S is ill-conditioned (condition number {cond['innovation_cov']:.3g}); "
            "rescale the outputs or check R",
            cond["innovation_cov"],
        )
    Lc = np.linalg.cholesky(S)
    X = scipy.linalg.solve_triangular(Lc, V @ P, lower=True)
    K = scipy.linalg.solve_triangular(Lc, X, lower=True, trans="T").T
    A = np.eye(n) - K @ V
    # Joseph form: PSD by construction, and a small P_f (a well-observed state, R small against P) keeps its
    # relative accuracy, which P - K S K^T loses to cancellation
    Pf = symmetrize(A @ P @ A.T + K @ R @ K.T)
    residual = float(np.linalg.norm(W @ Pf @ W.T + Q - P) / max(np.linalg.norm(P), np.finfo(float).tiny))
    if residual > 1e-8:
        raise NumericalError(f"the DARE solution fails its residual check (relative residual {residual:.3g})")
    Wf = A @ W
    L = W @ A
    rho_f = float(np.max(np.abs(np.linalg.eigvals(Wf))))
    if any(cl.unstable for cl in eigen_clusters(L)):
        raise NumericalError(
            f"the steady-state filter is not stable: its error transition W (I - K V) has spectral radius "
            f"{rho_f:.17g}, on the unit circle within rounding. The model has a zero on the unit circle (for a "
            "VARMA, an MA root of modulus 1: it is not invertible), so the filter forgets its start only "
            "polynomially and no steady-state smoother exists; refit with invertible=True or perturb the model"
        )
    # Backward information form: N = V^T S^{-1} V + L^T N L, then P_s = P - P N P (no inverse of P anywhere).
    G = scipy.linalg.solve_triangular(Lc, V, lower=True)
    N = solve_stein(L.T, G.T @ G)
    Ps = symmetrize(P - P @ N @ P)
    lag = (np.eye(n) - P @ N) @ L @ P
    J = np.linalg.lstsq(P, W @ Pf, rcond=None)[0].T  # RTS gain, for reference (minimum norm if P is singular)
    return SteadyState(P, Pf, Ps, lag, S, K, J, Wf, rho_f, rho_f, residual, cond, L, N)


def _solve_filter_dare(W: np.ndarray, V: np.ndarray, Q: np.ndarray, R: np.ndarray) -> np.ndarray:
    """The stabilising DARE solution: doubling when ``R`` is well conditioned, else scipy's extended pencil.

    Doubling needs ``R^{-1}``; with ``R`` singular or nearly so (noise-free outputs, or an ML fit that ended
    on the boundary) scipy's solver, which never inverts ``R``, is the right tool. scipy's warnings about
    ill-conditioned solves become a named error instead of leaking.
    """
    lam_r = np.linalg.eigvalsh(R)
    singular_r = lam_r[0] <= 1e-8 * max(float(lam_r[-1]), np.finfo(float).tiny)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", scipy.linalg.LinAlgWarning)
            P = scipy.linalg.solve_discrete_are(W.T, V.T, Q, R) if singular_r else solve_dare(W, V, Q, R)
    except scipy.linalg.LinAlgWarning as exc:
        raise IllConditionedError(
            f"the filter DARE is too ill-conditioned to solve reliably ({exc}); rescale the states or outputs",
            float("inf"),
        ) from None
    except (np.linalg.LinAlgError, ValueError) as exc:
        hint = (
            "; with a singular R this usually means the steady innovation covariance V P V^T + R is singular "
            "(some outputs are exact linear functions of the past)"
            if singular_r
            else ""
        )
        raise NumericalError(f"the filter DARE could not be solved ({exc}){hint}") from None
    return symmetrize(P)
